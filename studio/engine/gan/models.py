"""Generator/discriminator architectures and the presets artists pick from.

Discriminators return logits: the lesson's final Sigmoid is folded into the loss
(``binary_cross_entropy_with_logits``), which is the same function but numerically stable, and lets
the hinge loss use the same networks.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from studio.engine.gan.config import PRESETS, RGB_HEADS, PresetInfo  # noqa: F401 - re-exported (torch-free there)


def init_dcgan_weights(module: nn.Module) -> None:
    """DCGAN initialisation: conv weights N(0, 0.02); BatchNorm weight N(1, 0.02), bias 0."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm2d, nn.BatchNorm1d)):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


class LessonMLPGenerator(nn.Module):
    """Linear 100→256→512→1024→H·W·C; hidden layers Linear + BatchNorm1d(momentum 0.2) + LeakyReLU(0.2).
    Without ``batchnorm`` no model of the run normalises over its batch, so how a batch is split over
    processes (distributed.py) cannot change the maths, on CPUs too."""

    def __init__(self, latent_dim: int = 100, channels: int = 1, size: int = 28, batchnorm: bool = True) -> None:
        super().__init__()
        self.shape = (channels, size, size)
        layers: list[nn.Module] = []
        d = latent_dim
        for h in (256, 512, 1024):
            norm = [nn.BatchNorm1d(h, momentum=0.2)] if batchnorm else []
            layers += [nn.Linear(d, h), *norm, nn.LeakyReLU(0.2)]
            d = h
        layers += [nn.Linear(d, channels * size * size), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z.flatten(1)).view(z.shape[0], *self.shape)


class LessonMLPDiscriminator(nn.Module):
    """Linear H·W·C→512→256→1 with LeakyReLU(0.2); returns a logit."""

    def __init__(self, channels: int = 1, size: int = 28) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(channels * size * size, 512), nn.LeakyReLU(0.2),
            nn.Linear(512, 256), nn.LeakyReLU(0.2),
            nn.Linear(256, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x.flatten(1)).view(-1)


class LessonDCGANGenerator(nn.Module):
    """ConvTranspose 100→256→128→64→C, kernel 3 stride 2, no bias; 1→3→7→15→28."""

    def __init__(self, latent_dim: int = 100, channels: int = 1) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.ConvTranspose2d(latent_dim, 256, 3, 2, bias=False), nn.BatchNorm2d(256), nn.ReLU(True),
            nn.ConvTranspose2d(256, 128, 3, 2, bias=False), nn.BatchNorm2d(128), nn.ReLU(True),
            nn.ConvTranspose2d(128, 64, 3, 2, bias=False), nn.BatchNorm2d(64), nn.ReLU(True),
            nn.ConvTranspose2d(64, channels, 3, 2, padding=2, output_padding=1, bias=False), nn.Tanh(),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z.view(z.shape[0], -1, 1, 1))


class LessonDCGANDiscriminator(nn.Module):
    """Conv C→64→128→256→1, kernel 4 stride 2 padding 1 (28→14→7→3→1), BatchNorm except the first."""

    def __init__(self, channels: int = 1) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(channels, 64, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, True),
            nn.Conv2d(64, 128, 4, 2, 1, bias=False), nn.BatchNorm2d(128), nn.LeakyReLU(0.2, True),
            nn.Conv2d(128, 256, 4, 2, 1, bias=False), nn.BatchNorm2d(256), nn.LeakyReLU(0.2, True),
            nn.Conv2d(256, 1, 4, 2, 1, bias=False),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).view(-1)


def _dcgan_stages(size: int) -> int:
    stages = int(round(math.log2(size / 4)))
    if 4 * 2**stages != size or stages < 1:
        raise ValueError(f"DCGAN image size must be 4·2^k (8, 16, 32, 64, 128 …), not {size}")
    return stages


class DCGANGenerator(nn.Module):
    """Radford et al. DCGAN: latent → 4×4 → … → size, doubling resolution and halving width each stage."""

    def __init__(self, latent_dim: int = 100, channels: int = 3, size: int = 64, width: int = 64) -> None:
        super().__init__()
        stages = _dcgan_stages(size)
        ch = width * 2 ** (stages - 1)
        layers: list[nn.Module] = [nn.ConvTranspose2d(latent_dim, ch, 4, 1, 0, bias=False),
                                   nn.BatchNorm2d(ch), nn.ReLU(True)]
        for _ in range(stages - 1):
            layers += [nn.ConvTranspose2d(ch, ch // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ch // 2), nn.ReLU(True)]
            ch //= 2
        layers += [nn.ConvTranspose2d(ch, channels, 4, 2, 1, bias=False), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z.view(z.shape[0], -1, 1, 1))


class DCGANDiscriminator(nn.Module):
    """Mirror of the generator: strided convs with LeakyReLU(0.2), BatchNorm except the first layer."""

    def __init__(self, channels: int = 3, size: int = 64, width: int = 64) -> None:
        super().__init__()
        stages = _dcgan_stages(size)
        ch = width
        layers: list[nn.Module] = [nn.Conv2d(channels, ch, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, True)]
        for _ in range(stages - 1):
            layers += [nn.Conv2d(ch, ch * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ch * 2), nn.LeakyReLU(0.2, True)]
            ch *= 2
        layers += [nn.Conv2d(ch, 1, 4, 1, 0, bias=False)]
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).view(-1)


# ------------------------------------------------------------------------------ the small-data family

def _lite_channels(size: int, width: int) -> dict[int, int]:
    """Feature maps per resolution below ``size``: ``width`` at half size, doubling per halving, capped at
    8·width — the DCGAN family's widths, so ``width`` means the same in both."""
    return {4 * 2**i: min(width * (size // 2) // (4 * 2**i), 8 * width) for i in range(_dcgan_stages(size))}


class SkipExcitation(nn.Module):
    """Skip-layer excitation (Liu et al. 2021, FastGAN): a low-resolution map gates a high-resolution
    one channel by channel. Gives G long-range structure cheaply and trains well on few pictures."""

    def __init__(self, ch_low: int, ch_high: int) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.AdaptiveAvgPool2d(4), nn.Conv2d(ch_low, ch_high, 4, 1, 0, bias=False), nn.SiLU(),
            nn.Conv2d(ch_high, ch_high, 1, 1, 0, bias=False), nn.Sigmoid(),
        )

    def forward(self, low: torch.Tensor, high: torch.Tensor) -> torch.Tensor:
        return high * self.net(low)


class LiteUpBlock(nn.Module):
    """×2 by a 4×4 transposed conv (4 taps per output pixel: half the cost of upsample + 3×3 conv on a
    CPU) with BatchNorm; at low resolutions also a residual 3×3 conv, where it is cheap."""

    def __init__(self, ch_in: int, ch_out: int, residual: bool = False) -> None:
        super().__init__()
        self.up = nn.Sequential(nn.ConvTranspose2d(ch_in, ch_out, 4, 2, 1, bias=False), nn.BatchNorm2d(ch_out),
                                nn.LeakyReLU(0.2, True))
        self.res = nn.Sequential(nn.Conv2d(ch_out, ch_out, 3, 1, 1, bias=False), nn.BatchNorm2d(ch_out)) \
            if residual else None
        self.act = nn.LeakyReLU(0.2, True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.up(x)
        if self.res is not None:
            x = self.act(x + self.res(x))
        return x


class LiteGenerator(nn.Module):
    """A residual DCGAN with skip-layer excitation: latent → 4×4 → … → size/2 features (residual 3×3
    convs up to 16×16, excitation from each scale to 4× its size), then a transposed conv to pixels.

    With ``msg`` every scale from 8×8 up also has its own 1×1 to-RGB head; ``forward_multiscale``
    returns the pyramid (low to high) so D can send gradients to every scale (MSG-GAN, Karnewar & Wang
    2019), the lesson's second remedy for high-resolution artifacts. ``forward`` returns the picture.
    """

    def __init__(self, latent_dim: int = 100, channels: int = 3, size: int = 64, width: int = 64,
                 msg: bool = False, rgb_head: str = "convT") -> None:
        super().__init__()
        if rgb_head not in RGB_HEADS:
            raise ValueError(f"the picture head is one of {', '.join(RGB_HEADS)}, not {rgb_head!r}")
        self.ch = ch = _lite_channels(size, width)
        self.size = size
        self.msg = msg
        self.resolutions = res = sorted(ch)  # 4 … size/2
        self.init = nn.Sequential(nn.ConvTranspose2d(latent_dim, ch[4], 4, 1, 0, bias=False),
                                  nn.BatchNorm2d(ch[4]), nn.LeakyReLU(0.2, True))
        self.ups = nn.ModuleList(LiteUpBlock(ch[r], ch[2 * r], residual=2 * r <= 16) for r in res[:-1])
        self.sle = nn.ModuleDict({str(4 * r): SkipExcitation(ch[r], ch[4 * r]) for r in res if 4 * r in ch})
        c = ch[size // 2]
        if rgb_head == "up":  # nearest ×2, then 3×3 convs at full size: no checkerboard, crisp flat colours
            self.to_rgb = nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(c, c, 3, 1, 1, bias=False),
                                        nn.BatchNorm2d(c), nn.LeakyReLU(0.2, True), nn.Conv2d(c, channels, 3, 1, 1),
                                        nn.Tanh())
        else:  # a 4×4 transposed conv: cheaper, but its 2×2 pixel pattern shows for a long time
            self.to_rgb = nn.Sequential(nn.ConvTranspose2d(c, channels, 4, 2, 1), nn.Tanh())
        self.to_rgb_low = nn.ModuleDict(
            {str(r): nn.Sequential(nn.Conv2d(ch[r], channels, 1, 1, 0), nn.Tanh()) for r in res[1:]}
            if msg else {}
        )

    def _features(self, z: torch.Tensor) -> dict[int, torch.Tensor]:
        x = self.init(z.view(z.shape[0], -1, 1, 1))
        feats = {4: x}
        for r, up in zip(self.resolutions[1:], self.ups, strict=True):
            x = up(x)
            key = str(r)
            if key in self.sle:
                x = self.sle[key](feats[r // 4], x)
            feats[r] = x
        return feats

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.to_rgb(self._features(z)[self.size // 2])

    def forward_multiscale(self, z: torch.Tensor) -> list[torch.Tensor]:
        feats = self._features(z)
        low = [self.to_rgb_low[str(r)](feats[r]) for r in self.resolutions[1:] if str(r) in self.to_rgb_low]
        return low + [self.to_rgb(feats[self.size // 2])]


class LiteDownBlock(nn.Module):
    """A strided 4×4 conv averaged with an avg-pool + 1×1 shortcut (FastGAN's DownBlockComp, lightened):
    the shortcut keeps gradients flowing to G through a deep D."""

    def __init__(self, ch_in: int, ch_out: int) -> None:
        super().__init__()
        self.main = nn.Sequential(nn.Conv2d(ch_in, ch_out, 4, 2, 1), nn.LeakyReLU(0.2, True))
        self.skip = nn.Sequential(nn.AvgPool2d(2), nn.Conv2d(ch_in, ch_out, 1, 1, 0))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return 0.5 * (self.main(x) + self.skip(x))


MBSTD_GROUP = 4  # pictures per minibatch-std group


class MinibatchStd(nn.Module):
    """Appends the batch's feature standard deviation as a channel: D can see a lack of variety."""

    def __init__(self, group: int = MBSTD_GROUP) -> None:
        super().__init__()
        self.group = group

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        g = min(self.group, n)
        if n % g:
            g = 1
        if g < 2:
            return torch.cat([x, x.new_zeros(n, 1, h, w)], 1)
        y = x.float().reshape(g, n // g, c * h * w)
        # the variance over the group written out: torch's var over a leading dimension is ~20× slower on a CPU
        # (10.6 ms against 0.5 ms for 32×256×4×4 at one thread; var was 8 % of a lite32 step in torch.profiler, and the
        # rewrite made the step 1.07–1.10× faster: tests/bench/bench_mbstd.py)
        y = (y.sub(y.mean(0)).square().mean(0) + 1e-8).sqrt().mean(1)  # (n/g,)
        y = y.to(x.dtype).view(1, n // g, 1, 1, 1).expand(g, n // g, 1, h, w).reshape(n, 1, h, w)
        return torch.cat([x, y], 1)


class LiteDiscriminator(nn.Module):
    """A strided conv from pixels, residual down-blocks to 4×4, minibatch-std, a 4×4 conv to one logit.
    No BatchNorm (it fights spectral normalisation and mixes real and fake batch statistics).

    With ``msg`` it takes the pyramid G made (or a real picture, whose pyramid ``scales`` builds by
    average pooling) and concatenates each scale to the features of the same size.
    """

    def __init__(self, channels: int = 3, size: int = 64, width: int = 64, msg: bool = False) -> None:
        super().__init__()
        ch = _lite_channels(size, width)
        self.size, self.msg, self.channels = size, msg, channels
        self.from_rgb = nn.Sequential(nn.Conv2d(channels, ch[size // 2], 4, 2, 1), nn.LeakyReLU(0.2, True))
        extra = channels if msg else 0
        self.downs = nn.ModuleList(LiteDownBlock(ch[r] + extra, ch[r // 2]) for r in sorted(ch, reverse=True)[:-1])
        self.mbstd = MinibatchStd()
        self.head = nn.Conv2d(ch[4] + 1, 1, 4, 1, 0)

    def scales(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The low-to-high pyramid D expects for a full-size picture (average pooling down to 8×8)."""
        out = [x]
        while out[0].shape[-1] > 8:
            out.insert(0, F.avg_pool2d(out[0], 2))
        return out

    def forward(self, x: torch.Tensor | list[torch.Tensor]) -> torch.Tensor:
        return self.verdict(self.features(x))

    def verdict(self, h: torch.Tensor) -> torch.Tensor:
        """One logit per picture from the 4×4 features (a conditional D adds its projection to it)."""
        return self.head(self.mbstd(h)).view(-1)

    def features(self, x: torch.Tensor | list[torch.Tensor]) -> torch.Tensor:
        """The 4×4 feature maps before the verdict."""
        pyramid = {t.shape[-1]: t for t in x} if isinstance(x, (list, tuple)) else {x.shape[-1]: x}
        h = self.from_rgb(pyramid[self.size])
        for down in self.downs:
            if self.msg:
                r = h.shape[-1]
                img = pyramid.get(r)
                if img is None:  # a plain picture: build its scale on the fly
                    img = F.adaptive_avg_pool2d(pyramid[self.size], r)
                h = torch.cat([h, img.to(h.dtype)], 1)
            h = down(h)
        return h


def init_lite_weights(module: nn.Module) -> None:
    """Orthogonal-ish small init for convs (N(0, 0.02) as DCGAN); BatchNorm weight 1, bias 0."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)


def apply_spectral_norm(module: nn.Module) -> nn.Module:
    """Spectral normalisation (Miyato et al. 2018) on every conv/linear layer of ``module``: caps how
    sharply D can react to its input, which keeps its gradients useful to G."""
    from torch.nn.utils.parametrizations import spectral_norm

    for name, child in list(module.named_children()):
        if isinstance(child, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear, nn.Embedding)):
            setattr(module, name, spectral_norm(child))
        else:
            apply_spectral_norm(child)
    return module


def multiscale_generate(g: nn.Module, z: torch.Tensor) -> torch.Tensor | list[torch.Tensor]:
    """G's multi-scale pyramid when it has one (MSG presets), else its picture."""
    if getattr(g, "msg", False):
        return g.forward_multiscale(z)
    return g(z)


def has_msg_heads(state: dict) -> bool:
    """Whether a generator's weights (state dict) include MSG-GAN's per-scale to-RGB heads."""
    return any(k.startswith(("to_rgb_low.", "net.to_rgb_low.")) for k in state)


MAX_KINDS = 64
KIND_EMBED = 32  # size of a kind's embedding appended to the latent (clusters.ClusterGenerator)


def generator_kinds(state: dict) -> int:
    """How many kinds a saved generator is conditioned on (its embedding's rows; 0: unconditional)."""
    w = state.get("embed.weight")
    return int(tuple(getattr(w, "shape", w))[0]) if w is not None else 0


def generator_msg(preset: str, state: dict) -> bool | None:
    """The ``msg`` to build a saved generator with: read from its weights for the small-data family
    (multi-scale gradients can be switched off there, which drops the heads), ``None`` otherwise."""
    info = PRESETS.get(preset)
    if info is None or info.family != "lite":
        return None
    return has_msg_heads(state)


def generator_shape(preset: str, state: dict) -> dict:
    """What ``build_generator`` must be told, besides the description, to rebuild a saved generator: its
    multi-scale heads and its kinds, read from its weights (a state dict, or tensor shapes)."""
    out = {"msg": generator_msg(preset, state), "kinds": generator_kinds(state)}
    if any(k.endswith("to_rgb.4.weight") for k in state):
        out["rgb_head"] = "up"
    if preset == "lesson-mlp" and state and not any(k.endswith("running_mean") for k in state):
        out["batchnorm"] = False
    return out


def build_generator(preset: str, channels: int, latent_dim: int = 100, width: int = 0,
                    image_size: int | None = None, msg: bool | None = None, kinds: int = 0,
                    rgb_head: str = "convT", batchnorm: bool = True) -> nn.Module:
    """G alone (Explore and exports need no discriminator — nor the VGG16 weights a projected one loads)."""
    return _build(preset, channels, latent_dim, width, image_size, msg=msg, with_d=False, kinds=kinds,
                  rgb_head=rgb_head, batchnorm=batchnorm)[0]


def build_gan(preset: str, channels: int, latent_dim: int = 100, width: int = 0,
              image_size: int | None = None, spectral_norm: bool = False,
              msg: bool | None = None, projected_features: nn.Sequential | None = None,
              kinds: int = 0, rgb_head: str = "convT", batchnorm: bool = True) -> tuple[nn.Module, nn.Module]:
    """Build (G, D) for a preset. ``width`` 0 means the preset's default; ``spectral_norm`` applies
    to D (the G architecture, and so exported generators, never depend on it). ``msg``: multi-scale
    gradients for the small-data family — None follows the preset (``PresetInfo.msg``), True/False
    switches them on/off (off: G has no per-scale heads; load saved ones with ``generator_msg``).
    The pretrained-eyes presets load the offline VGG16 for D unless ``projected_features`` is given.
    ``kinds`` > 0 (small-data family): G and D conditioned on that many kinds of pictures (``clusters.py``);
    ``rgb_head`` (small-data family): how G turns its last features into pixels (``RGB_HEADS``).
    ``batchnorm`` False (the lesson's fully connected GAN only): no BatchNorm anywhere."""
    return _build(preset, channels, latent_dim, width, image_size, spectral_norm, msg, True, projected_features,
                  kinds, rgb_head, batchnorm)


def _build(preset: str, channels: int, latent_dim: int, width: int, image_size: int | None,
           spectral_norm: bool = False, msg: bool | None = None, with_d: bool = True,
           projected_features: nn.Sequential | None = None, kinds: int = 0,
           rgb_head: str = "convT", batchnorm: bool = True) -> tuple[nn.Module, nn.Module | None]:
    if preset not in PRESETS:
        raise ValueError(f"Unknown preset {preset!r}; choose one of {', '.join(PRESETS)}")
    info = PRESETS[preset]
    if msg and (info.family != "lite" or info.projected):
        raise ValueError(f"Multi-scale gradients exist only in the small-data presets, not {preset!r}")
    if kinds and (info.family != "lite" or info.projected):
        raise ValueError(f"Kinds of pictures exist only in the small-data presets, not {preset!r}")
    if not 0 <= kinds <= MAX_KINDS:
        raise ValueError(f"between 0 and {MAX_KINDS} kinds of pictures, not {kinds}")
    if not batchnorm and preset != "lesson-mlp":
        raise ValueError(f"Only the lesson's fully connected GAN can leave out BatchNorm, not {preset!r}")
    size = image_size or info.image_size
    d: nn.Module | None = None
    if preset == "lesson-mlp":
        g: nn.Module = LessonMLPGenerator(latent_dim, channels, size, batchnorm=batchnorm)
        d = LessonMLPDiscriminator(channels, size) if with_d else None
    elif preset == "lesson-dcgan":
        if size != 28:
            raise ValueError("The lesson DCGAN is built for 28×28 images")
        g = LessonDCGANGenerator(latent_dim, channels)
        d = LessonDCGANDiscriminator(channels) if with_d else None
        init_dcgan_weights(g)  # after both are built: the seeded weights stay what they always were
        if d is not None:
            init_dcgan_weights(d)
    elif info.family == "lite":
        w = width or info.default_width
        use_msg = info.msg if msg is None else bool(msg)
        extra = KIND_EMBED if kinds else 0
        g = LiteGenerator(latent_dim + extra, channels, size, w, msg=use_msg, rgb_head=rgb_head)
        if with_d:
            d = LiteDiscriminator(channels, size, w, msg=use_msg)
        init_lite_weights(g)
        if d is not None:
            init_lite_weights(d)
        if kinds:
            from studio.engine.gan.clusters import ClusterGenerator, ConditionalDiscriminator

            g = ClusterGenerator(g, latent_dim, int(kinds), KIND_EMBED)
            if d is not None:
                d = ConditionalDiscriminator(d, int(kinds), _lite_channels(size, w)[4])
        if d is not None and info.projected:
            from studio.engine.gan import config as gan_config
            from studio.engine.gan.projected import DualDiscriminator, ProjectedDiscriminator

            eyes = ProjectedDiscriminator(channels, size, max(32, w), features=projected_features)
            d = DualDiscriminator(d, eyes) if gan_config.PROJECTED_WITH_PIXEL else eyes
    else:
        w = width or info.default_width
        g = DCGANGenerator(latent_dim, channels, size, w)
        d = DCGANDiscriminator(channels, size, w) if with_d else None
        init_dcgan_weights(g)
        if d is not None:
            init_dcgan_weights(d)
    if spectral_norm and d is not None:
        apply_spectral_norm(d)
    return g, d


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())
