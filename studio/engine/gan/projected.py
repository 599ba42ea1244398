"""A discriminator that looks through pretrained eyes (Projected GAN, Sauer et al. 2021, adapted to a CPU).

A pixel discriminator trained on 200 pictures must learn what an edge, a corner and a face are from those
pictures alone, and it memorises them long before it can tell G anything useful. This one starts from the
ImageNet VGG16 the studio already ships (``python -m studio models fetch``): the picture goes through VGG16's
first blocks, frozen; each tapped scale is mixed by a fixed random 1×1 projection (channels that the heads cannot
collapse onto a few easy features), deeper scales are also added into the shallower ones (cross-scale mixing),
and a small trainable patch discriminator per scale — the only weights that learn — says real or fake.

Cost on a CPU: VGG16 is run only up to the deepest tap, on the picture's own size, in channels-last memory and,
where the CPU has native bfloat16 (AVX512-BF16 or AMX), in bfloat16 — the heads and the loss stay in float32.
The frozen VGG16 is not part of ``state_dict()`` (checkpoints stay small and never carry ImageNet weights); the
random projections are buffers, so a checkpoint resumes exactly.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from studio.engine.gan import config

# VGG16 ``features`` indices of the ReLU outputs we may tap, and their channels
_VGG16_TAPS = {"conv1_2": (3, 64), "conv2_2": (8, 128), "conv3_3": (15, 256), "conv4_3": (22, 512)}
_MEAN = (0.485, 0.456, 0.406)
_STD = (0.229, 0.224, 0.225)


class ProjectionError(RuntimeError):
    """The pretrained features are missing; the text says how to get them."""


def cpu_has_native_bf16() -> bool:
    """Whether this CPU runs bfloat16 convolutions natively (oneDNN: AVX512-BF16 or AMX); emulated bf16 is slower."""
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def load_vgg16_features() -> nn.Sequential:
    from studio.engine.style.backbones import BackboneError, load_vgg16_file

    try:
        return load_vgg16_file()
    except BackboneError as exc:
        raise ProjectionError("The pretrained-eyes discriminator needs the VGG16 weights: run "
                              "`python -m studio models fetch` (or `make models`), or pick another preset.") from exc


class _Head(nn.Module):
    """A patch discriminator on one feature scale: strided 4×4 convs down to 4×4 (or the map's own size if
    smaller), then a 1×1 conv to one logit per patch."""

    def __init__(self, ch_in: int, size: int, width: int) -> None:
        super().__init__()
        from studio.engine.gan.models import MinibatchStd

        layers: list[nn.Module] = []
        ch = ch_in
        while size > 4:
            out = min(width * 2, 256) if layers else width
            layers += [nn.Conv2d(ch, out, 4, 2, 1), nn.LeakyReLU(0.2, True)]
            ch, size = out, size // 2
            width = out
        # the batch's spread as a channel: a head can see a lack of variety (mode collapse), not only single fakes
        layers += [MinibatchStd(), nn.Conv2d(ch + 1, ch, 3, 1, 1), nn.LeakyReLU(0.2, True), nn.Conv2d(ch, 1, 1, 1, 0)]
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).flatten(1)


class ProjectedDiscriminator(nn.Module):
    """Frozen VGG16 taps → fixed random projections (+ cross-scale mixing) → one trainable head per scale.

    ``forward`` returns one logit per patch and scale, flattened (N·K): the losses average them."""

    def __init__(self, channels: int = 3, size: int = 32, width: int = 64, taps: tuple[str, ...] | None = None,
                 proj_channels: int = 64, features: nn.Sequential | None = None, bf16: bool | None = None) -> None:
        super().__init__()
        taps = tuple(taps or config.PROJECTED_TAPS)
        unknown = [t for t in taps if t not in _VGG16_TAPS]
        if unknown or not taps:
            raise ValueError(f"unknown VGG16 taps {unknown}; choose from {', '.join(_VGG16_TAPS)}")
        self.channels, self.size = channels, size
        self.taps = tuple(sorted(taps, key=lambda t: _VGG16_TAPS[t][0]))
        self.tap_index = [_VGG16_TAPS[t][0] for t in self.taps]
        net = features if features is not None else load_vgg16_features()
        net = net[: self.tap_index[-1] + 1].eval().requires_grad_(False)
        # a plain attribute, not a submodule: not in state_dict(), not touched by requires_grad_(), not optimised
        self.__dict__["vgg"] = net
        self.bf16 = cpu_has_native_bf16() if bf16 is None else bool(bf16)
        self.register_buffer("mean", torch.tensor(_MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(_STD).view(1, 3, 1, 1))
        sizes, chans = [], []
        s = size
        for i, t in enumerate(self.taps):
            if i:  # each VGG block after the first halves the map
                s = s // 2 ** (int(t[4]) - int(self.taps[i - 1][4]))
            sizes.append(max(1, s))
            chans.append(min(_VGG16_TAPS[t][1], proj_channels * 2**i))
        self.sizes = sizes
        # fixed random 1×1 projections (Kaiming-uniform like a fresh conv) and 3×3 cross-scale mixers
        for i, t in enumerate(self.taps):
            self.register_buffer(f"ccm{i}", _kaiming((chans[i], _VGG16_TAPS[t][1], 1, 1)))
            if i + 1 < len(self.taps):
                self.register_buffer(f"csm{i}", _kaiming((chans[i], chans[i + 1], 3, 3)))
        self.heads = nn.ModuleList(_Head(chans[i], sizes[i], width) for i in range(len(self.taps)))

    # the frozen network follows .to(device) and .to(memory_format=…) although it is not a submodule
    def _apply(self, fn, recurse=True):
        self.__dict__["vgg"] = self.vgg._apply(fn)
        return super()._apply(fn, recurse)

    def train(self, mode: bool = True):
        super().train(mode)
        self.vgg.eval()  # never leaves eval mode
        return self

    def features(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The tapped VGG16 maps (float32), gradients flowing to ``x``."""
        if x.shape[1] == 1:
            x = x.expand(-1, 3, -1, -1)
        h = ((x.float() + 1.0) * 0.5 - self.mean) / self.std
        out = []
        want = set(self.tap_index)
        with torch.autocast(h.device.type, dtype=torch.bfloat16, enabled=self.bf16):
            for i, layer in enumerate(self.vgg):
                h = layer(h)
                if i in want:
                    out.append(h.float())
                if i >= self.tap_index[-1]:
                    break
        return out

    def projected(self, feats: list[torch.Tensor]) -> list[torch.Tensor]:
        proj = [F.conv2d(f, getattr(self, f"ccm{i}")) for i, f in enumerate(feats)]
        mixed = [None] * len(proj)
        deeper = None
        for i in range(len(proj) - 1, -1, -1):  # deep to shallow: each scale also sees the ones below it
            p = proj[i]
            if deeper is not None:
                up = F.interpolate(deeper, size=p.shape[-2:], mode="bilinear", align_corners=False)
                p = p + F.conv2d(up, getattr(self, f"csm{i}"), padding=1)
            mixed[i] = p
            deeper = p
        return mixed

    def forward(self, x: torch.Tensor | list[torch.Tensor]) -> torch.Tensor:
        if isinstance(x, (list, tuple)):  # an MSG pyramid: only the full picture matters here
            x = x[-1]
        feats = self.projected(self.features(x))
        return torch.cat([head(f) for head, f in zip(self.heads, feats, strict=True)], 1).reshape(-1)


class DualDiscriminator(nn.Module):
    """A pixel discriminator and a pretrained-eyes one side by side (in the manner of Vision-aided GAN, Kumari et
    al. 2022): the pixel one sees the whole picture's layout and variety, the pretrained one its shapes and edges.
    Returns both verdicts per picture, the pixel one repeated so each weighs half in the averaged loss."""

    def __init__(self, pixel: nn.Module, eyes: ProjectedDiscriminator) -> None:
        super().__init__()
        self.pixel, self.eyes = pixel, eyes

    def forward(self, x: torch.Tensor | list[torch.Tensor]) -> torch.Tensor:
        full = x[-1] if isinstance(x, (list, tuple)) else x
        n = full.shape[0]
        e = self.eyes(full).view(n, -1)
        p = self.pixel(x).view(n, 1).expand(n, e.shape[1])
        return torch.cat([p, e], 1).reshape(-1)


def _kaiming(shape: tuple[int, ...]) -> torch.Tensor:
    w = torch.empty(shape)
    nn.init.kaiming_uniform_(w, a=5**0.5)
    return w
