"""Gatys style transfer as an engine Job: optimise the pixels so CNN features match a photo and Grams a painting.

Loss conventions (say them once, keep them everywhere):
- content: mean squared difference of the content layer's post-ReLU features (mean over C·H·W);
- style: per layer, Gram = F·Fᵀ / (H·W) (the lesson's normalisation), loss = mean over C² of the squared
  Gram difference (= Gatys' 1/(4N²M²)·Σ(G−A)² times 4); layers combine with weights normalised to sum 1;
- variation: sum of absolute differences between horizontal and vertical neighbours (the lesson's),
  divided by the number of pixel values, so it does not grow with the image size.
Pixels live in [0, 1] RGB; ImageNet normalisation happens inside the loss.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from studio.engine.errors import StudioError
from studio.engine.jobs import Cancelled, JobContext, Metrics, Preview
from studio.engine.style import color
from studio.engine.style.backbones import Backbone, load_backbone
from studio.engine.style.grams import RegionPlan, gram_rows, plan_regions, region_grams
from studio.engine.style.masks import at_layer, mask_tensor, masked_gram, resize_mask

DEFAULT_STYLE_LAYERS = {"conv1_1": 1.0, "conv2_1": 1.0, "conv3_1": 1.0, "conv4_1": 1.0, "conv5_1": 1.0}
LESSON_STYLE_LAYERS = {"conv1_1": 1.0, "conv2_1": 1.0, "conv3_1": 1.0, "conv4_1": 1.0}
INITS = ("content", "noise", "style", "content+noise")
OPTIMIZERS = ("lbfgs", "adam")
COLOR_MODES = ("none", "keep", "match")
PRECISIONS = ("auto", "fp32", "bf16")
RECIPE_KIND = "gan-art-studio/style-transfer"


class StyleError(StudioError, ValueError):
    """Settings or inputs that cannot run, in words an artist can act on."""


@dataclass
class StyleSettings:
    size: int = 512  # output long side (px)
    # optimiser evaluations over all scales. 200 at 512 px = 11 at 128 + 21 at 256 + 168 at 512 (plan_scales): the
    # tutorial-style reference's loss (fp32, one scale, 150 L-BFGS evaluations) is reached after 131 of the 168, at
    # 0.44× the reference's compute, and the whole run ends 3 % below it (tests/bench/bench_style.py --only quality;
    # the old 300 = 133 + 67 + 100 never reached it: it ended 12 % above)
    iterations: int = 200
    optimizer: str = "lbfgs"
    lr: float = 0.02  # Adam only (pixels in [0, 1])
    init: str = "content"
    noise: float = 0.25  # "content+noise": amplitude of the uniform noise added
    seed: int = 0
    content_weight: float = 1.0
    # our Gram is divided by H·W only (not C·H·W), so weights are far below the tutorial's 1e6: measured at 256 px,
    # 3–10 repaints the photo clearly in the painting's manner, 30 starts copying the painting's layout
    style_weight: float = 5.0
    tv_weight: float = 1.0
    content_layers: dict[str, float] = field(default_factory=lambda: {"conv4_2": 1.0})
    style_layers: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_STYLE_LAYERS))
    style_blend: list[float] | None = None  # one weight per style image (default: equal)
    style_scale: float = 1.0  # style image long side relative to the working size
    colors: str = "none"  # "none" | "keep" (luminance-only transfer) | "match" (style recoloured)
    scales: list[int] | None = None  # working long sides, coarse to fine; None = automatic
    scale_iterations: list[int] | None = None  # evaluations per scale; None = most at the coarsest
    min_scale: int = 128  # automatic scales halve the size while it stays at least this
    center_crop: bool = False  # square crop of content (and styles), as the lesson did
    backbone: str = "auto"
    vgg19_path: str | None = None
    pooling: str = "max"  # "max" (as trained) | "avg" (Gatys: smoother gradients)
    device: str = "auto"
    preview_every_s: float = 0.5  # 0 = no previews
    timelapse_frames: int = 120  # previews kept for the timelapse GIF (0 = none)
    timelapse_side: int = 256
    keep_on_stop: bool = True  # a stop returns the current image instead of discarding it
    lbfgs_history: int = 50  # 100 (torch's default) measured no better: 180 evaluations to the bench's target either way
    # "auto" (bf16 where the CPU/GPU runs it fast) | "fp32" | "bf16"; bf16 keeps the first layer in float32
    # (GatysLoss.fp32_head), so it needs as many L-BFGS evaluations as float32 (152 vs 150 to the bench's target)
    precision: str = "auto"
    # above 512 px: also hold the result, downscaled to the 512 px pass's size, to that pass's objective, so a big
    # output keeps the look of the 512 px one instead of washing its brushwork back towards the photo
    keep_look: bool = True
    look_weight: float = 1.0

    def validate(self) -> None:
        if self.optimizer not in OPTIMIZERS:
            raise StyleError(f"optimizer must be one of {', '.join(OPTIMIZERS)}")
        if self.init not in INITS:
            raise StyleError(f"start image must be one of {', '.join(INITS)}")
        if self.colors not in COLOR_MODES:
            raise StyleError(f"colour mode must be one of {', '.join(COLOR_MODES)}")
        if self.precision not in PRECISIONS:
            raise StyleError(f"precision must be one of {', '.join(PRECISIONS)}")
        if self.pooling not in ("max", "avg"):
            raise StyleError("pooling must be max or avg")
        if self.size < 16:
            raise StyleError("the output must be at least 16 px")
        if self.iterations < 1:
            raise StyleError("iterations must be at least 1")
        if not self.content_layers and not self.style_layers:
            raise StyleError("choose at least one content or style layer")
        for name, value in (("content", self.content_weight), ("style", self.style_weight),
                            ("smoothness", self.tv_weight)):
            if not math.isfinite(value) or value < 0:
                raise StyleError(f"{name} weight must be a number ≥ 0")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> StyleSettings:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in d.items() if k in known})


# ------------------------------------------------------------------------------------------- losses

def gram(features: torch.Tensor) -> torch.Tensor:
    """(B, C, H, W) → (B, C, C), divided by H·W (channels-last friendly, one-product backward: grams.py)."""
    return gram_rows(features)


def tv_loss(x: torch.Tensor) -> torch.Tensor:
    """Σ|x[i+1,j]−x[i,j]| + Σ|x[i,j+1]−x[i,j]|, divided by the number of values."""
    dh = (x[..., 1:, :] - x[..., :-1, :]).abs().sum()
    dw = (x[..., :, 1:] - x[..., :, :-1]).abs().sum()
    return (dh + dw) / x.numel()


def _first_activation(net: torch.nn.Sequential) -> int:
    """Number of leading layers up to and including the first activation after the first convolution (0 if none)."""
    seen_conv = False
    for i, layer in enumerate(net):
        seen_conv = seen_conv or isinstance(layer, torch.nn.Conv2d)
        if seen_conv and not isinstance(layer, torch.nn.Conv2d):
            return i + 1
    return 0


def _normalised(weights: dict[str, float]) -> dict[str, float]:
    total = sum(max(0.0, w) for w in weights.values())
    return {k: w / total for k, w in weights.items() if w > 0} if total > 0 else {}


class GatysLoss(torch.nn.Module):
    """Content + style + variation loss with targets computed once (style Grams blended across paintings)."""

    def __init__(self, backbone: Backbone, content_layers: dict[str, float], style_layers: dict[str, float],
                 content_weight: float, style_weight: float, tv_weight: float, bf16: bool = False) -> None:
        super().__init__()
        self.bf16 = bf16
        self.content_layers = {backbone.index(k): w for k, w in _normalised(content_layers).items()}
        self.style_layers = {backbone.index(k): w for k, w in _normalised(style_layers).items()}
        if content_weight == 0:
            self.content_layers = {}
        if style_weight == 0:
            self.style_layers = {}
        needed = set(self.content_layers) | set(self.style_layers)
        self.net = backbone.net[: max(needed) + 1] if needed else torch.nn.Sequential()
        # channels-last: bf16 convolutions measured ~20 % faster on this CPU, and a feature map is then already the
        # (pixels × channels) matrix the Grams want (grams.py)
        self.net.to(memory_format=torch.channels_last)
        self.wanted = sorted(needed)
        # in bf16 mode the first convolution and its activation still run in float32: its input is the image being
        # optimised, and bf16 keeps 8 bits of mantissa, so the late small pixel steps (~1e-3, ~0.005 after the
        # ImageNet normalisation, below half a bf16 step for values above 1) were rounded away and L-BFGS needed
        # 180 evaluations instead of float32's 150 to reach the tutorial reference's loss at 512 px (float32 first
        # layer: 152). It is 3 input channels, so it costs ~2 % of an evaluation (tests/bench/bench_style.py).
        self.fp32_head = _first_activation(self.net)
        self.register_buffer("mean", torch.tensor(backbone.mean).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(backbone.std).view(1, 3, 1, 1))
        self.cw, self.sw, self.tw = content_weight, style_weight, tv_weight
        self.content_targets: dict[int, torch.Tensor] = {}
        self.style_targets: dict[int, torch.Tensor] = {}
        self.per_style_targets: list[dict[int, torch.Tensor]] = []
        self.set_regions(None)

    def features(self, x: torch.Tensor, raw: set[int] | frozenset = frozenset()) -> dict[int, torch.Tensor]:
        """Post-ReLU features at the wanted indices, float32 (the convolutions may run in bf16) except the layers in
        ``raw``, which come as computed (the region Grams convert them while permuting)."""
        out: dict[int, torch.Tensor] = {}
        h = ((x - self.mean) / self.std).contiguous(memory_format=torch.channels_last)
        want = set(self.wanted)
        head = self.fp32_head if self.bf16 else len(self.net)
        for i, layer in enumerate(self.net[:head]):
            h = layer(h)
            if i in want:
                out[i] = h
        with torch.autocast(x.device.type, dtype=torch.bfloat16, enabled=self.bf16):
            for i, layer in enumerate(self.net[head:], start=head):
                h = layer(h)
                if i in want:
                    out[i] = h if i in raw else h.float()
        return out

    @torch.no_grad()
    def set_content(self, content: torch.Tensor) -> None:
        feats = self.features(content)
        self.content_targets = {i: feats[i].detach() for i in self.content_layers}

    @torch.no_grad()
    def set_styles(self, styles: list[torch.Tensor], blend: list[float],
                   masks: list[torch.Tensor | None] | None = None) -> None:
        """Gram targets per painting (masked by its selection, if any) and their blend (the global target)."""
        total = sum(blend)
        targets: dict[int, torch.Tensor] = {}
        self.per_style_targets = []
        for k, (img, w) in enumerate(zip(styles, blend, strict=True)):
            feats = self.features(img)
            mask = masks[k] if masks else None
            grams: dict[int, torch.Tensor] = {}
            for i in self.style_layers:
                f = feats[i]
                grams[i] = gram(f) if mask is None else masked_gram(f, at_layer(mask, tuple(f.shape[-2:])))
                g = grams[i] * (w / total) if total > 0 else grams[i] * 0
                targets[i] = g if i not in targets else targets[i] + g
            self.per_style_targets.append(grams)
        self.style_targets = targets

    def set_regions(self, regions: torch.Tensor | None) -> None:
        """Content regions (1, R, H, W) at the working size: region r takes painting r's Gram; what is left
        (1 − Σ regions) takes the blended target. None = no regions (every pixel takes the blend)."""
        self._layer_regions: dict[tuple, RegionPlan] = {}
        if regions is None:
            self.regions = None
            return
        rest = (1 - regions.sum(1, keepdim=True)).clamp(min=0)
        self.regions = torch.cat([regions.clamp(0, 1), rest], 1)

    def _regions_at(self, i: int, hw: tuple[int, int]):
        """The region plan at one layer resolution (grams.RegionPlan): which regions cover anything there, their area
        shares, and the pixel order that lets each region's Gram read only its own pixels — so hard-edged regions
        cost about one plain Gram in all instead of one per region."""
        key = (i, hw)
        if key not in self._layer_regions:
            pooled = at_layer(self.regions, hw)
            flat = pooled.reshape(pooled.shape[1], -1)
            last = flat.shape[0] - 1
            candidates = [r for r in range(flat.shape[0]) if r < len(self.per_style_targets) or r == last]
            self._layer_regions[key] = plan_regions(flat, candidates)
        return self._layer_regions[key]

    def _style_loss(self, feats: dict[int, torch.Tensor], zero: torch.Tensor) -> torch.Tensor:
        if getattr(self, "regions", None) is None:
            return sum((w * F.mse_loss(gram(feats[i]), self.style_targets[i]) for i, w in self.style_layers.items()),
                       zero)
        loss = zero
        last = self.regions.shape[1] - 1
        for i, w in self.style_layers.items():
            f = feats[i]
            plan = self._regions_at(i, tuple(f.shape[-2:]))
            if not plan.count:
                continue
            grams = region_grams(f, plan)
            for k, (r, frac) in enumerate(zip(plan.regions, plan.shares, strict=True)):
                target = self.style_targets[i] if r == last else self.per_style_targets[r][i]
                # × area share: every pixel feels the same style pressure as without regions
                loss = loss + w * frac * F.mse_loss(grams[k], target[0] if target.dim() == 3 else target)
        return loss

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        regions = getattr(self, "regions", None) is not None
        raw = set(self.style_layers) - set(self.content_layers) if regions else frozenset()
        feats = self.features(x, raw) if self.wanted else {}
        zero = x.new_zeros(())
        content = sum((w * F.mse_loss(feats[i], self.content_targets[i]) for i, w in self.content_layers.items()),
                      zero)
        style = self._style_loss(feats, zero) if self.style_layers else zero
        tv = tv_loss(x) if self.tw > 0 else zero
        total = self.cw * content + self.sw * style + self.tw * tv
        return {"content": content, "style": style, "tv": tv, "total": total}


# ------------------------------------------------------------------------------------------- images

def _center_square(img: Image.Image) -> Image.Image:
    s = min(img.size)
    left, top = (img.width - s) // 2, (img.height - s) // 2
    return img.crop((left, top, left + s, top + s))


def fit_long_side(size: tuple[int, int], long_side: int) -> tuple[int, int]:
    w, h = size
    scale = long_side / max(w, h)
    return max(1, round(w * scale)), max(1, round(h * scale))


def _resized(img: Image.Image, size: tuple[int, int]) -> np.ndarray:
    if img.size != size:
        img = img.resize(size, Image.LANCZOS if size[0] < img.width else Image.BICUBIC)
    return np.asarray(img, dtype=np.float32) / 255.0


def _to_tensor(a: np.ndarray, device) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(a.transpose(2, 0, 1)))[None].to(device)


def _to_numpy(t: torch.Tensor) -> np.ndarray:
    return t.detach()[0].clamp(0, 1).permute(1, 2, 0).float().cpu().numpy()


def _to_uint8(a: np.ndarray) -> np.ndarray:
    return (np.clip(a, 0, 1) * 255.0 + 0.5).astype(np.uint8)


def _open(source) -> tuple[Image.Image, str]:
    """A path goes through the one safe loader; arrays and PIL images (tests, GUI paste) are taken as given."""
    if isinstance(source, Image.Image):
        return source.convert("RGB"), "<image>"
    if isinstance(source, np.ndarray):
        a = source if source.ndim == 3 else np.repeat(source[..., None], 3, axis=-1)
        return Image.fromarray(a[..., :3].astype(np.uint8)), "<array>"
    from studio.engine.images import load_image

    return load_image(source, "RGB"), str(Path(source))


# ------------------------------------------------------------------------------------------- planning

def plan_scales(settings: StyleSettings) -> list[tuple[int, int]]:
    """[(long side, evaluations)] coarse to fine; most evaluations go to the largest side ≤ 512 px (``scale_weights``)."""
    if settings.scales:
        sides = sorted({int(s) for s in settings.scales if 16 <= int(s) <= settings.size})
        if not sides or sides[-1] != settings.size:
            sides.append(settings.size)
    else:
        sides = [settings.size]
        while sides[0] // 2 >= settings.min_scale:
            sides.insert(0, sides[0] // 2)
    if settings.scale_iterations:
        its = list(settings.scale_iterations)[: len(sides)]
        its += [its[-1]] * (len(sides) - len(its))
        return list(zip(sides, [max(1, int(i)) for i in its], strict=True))
    n = settings.iterations
    sides = sides[-n:]  # fewer passes than scales: drop the coarsest
    raw = scale_weights(sides)
    its = [max(1, int(round(n * r / sum(raw)))) for r in raw]
    main = raw.index(max(raw))
    its[main] += n - sum(its)  # rounding goes to the scale with the most passes
    while its[main] < 1:  # tiny budgets: take passes back from the others
        donor = max((i for i in range(len(its)) if i != main), key=lambda i: its[i])
        its[donor] -= 1
        its[main] += 1
    return list(zip(sides, its, strict=True))


ANCHOR_SIDE = 512
COARSE_SHARE = 1 / 8  # the scale just below the anchor, relative to the anchor; each coarser one half of that


def scale_weights(sides: list[int]) -> list[float]:
    """Share of the evaluations per scale (coarse to fine), measured rather than guessed (tests/bench/bench_style.py).

    The largest side ≤ 512 px (the anchor) gets the most; the scale below it 1/8 of that, each coarser one half of
    the next. At 512 px the coarse passes only give the full-size pass a head start: with the result upsampled as a
    change on top of the photo (``StyleTransferJob._upsample``) and the coarse style weight matched (``_style_factor``),
    24 to 100 coarse passes all left 131–140 of the 152 evaluations a single 512 px run needs to reach the tutorial
    reference's loss, so a few are enough and everything else goes where the loss is decided. The old split (most
    passes at 128 px, a third at the anchor: 133/67/100 at 512 px, plain bicubic upsampling) never reached that loss:
    a pass at 128 px optimised a much more stylised balance than 512 px and the blurred upsample started the 512 px
    pass above the photo's own loss (21 vs 14), which the 100 full-size passes had to undo.
    Each scale above the anchor gets half of the one below it: refining detail needs fewer passes than finding the
    picture, and a 2048 px pass costs 16× a 512 px one."""
    n = len(sides)
    if n == 1:
        return [1.0]
    anchor = max([i for i, s in enumerate(sides) if s <= ANCHOR_SIDE], default=0)
    w = [COARSE_SHARE / 2 ** (anchor - 1 - i) for i in range(anchor)]
    w.append(1.0)
    for _ in range(anchor + 1, n):
        w.append(w[-1] / 2)
    return w


_VGG_CFG = {"vgg16": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
            "vgg19": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M",
                      512, 512, 512, 512, "M"]}


def look_anchor(plan: list[tuple[int, int]]) -> int | None:
    """Index of the scale whose look the finer ones keep (``keep_look``): the largest side ≤ 512 px when finer
    scales follow it; None when there are none (outputs up to 512 px) or nothing is ≤ 512 px."""
    below = [i for i, (side, _) in enumerate(plan) if side <= ANCHOR_SIDE]
    if not below or below[-1] == len(plan) - 1:
        return None
    return below[-1]


def _activations_per_pixel(arch: str) -> float:
    """Values the backbone's forward produces per output pixel (conv and ReLU outputs, pools)."""
    acts, res, cin = 0.0, 1.0, 3
    for v in _VGG_CFG.get(arch, _VGG_CFG["vgg19"]):
        if v == "M":
            res /= 4
            acts += cin * res
        else:
            acts += 2 * v * res
            cin = v
    return acts


# Calibrated on whole default runs at 512/1024/2048 px on VGG16 (tests/bench/bench_style.py --only big and
# --only memory; peak RSS over what the process held before the job). A run's growth was about
# FIXED + pixels × (PER_PIXEL + 24 bytes × stored L-BFGS pairs): 1.45 / 4.18 / 11.3 GB measured vs 1.42 / 4.15 /
# 12.7 GB from the fit; bf16 (the default where it is fast) measured about 430 bytes per pixel below float32. The
# look guide's 512 px pass is counted as a whole activation budget at that size, which errs high: with it the runs
# grew 1.49 / 4.29 / 11.52 GB against estimates of 1.61 / 5.26 / 14.61 GB.
_FIXED_BYTES = 0.55e9  # backbone weights, the paintings' features, allocator slack
_PER_PIXEL_VGG16 = {"bf16": 2270.0, "fp32": 2700.0}  # activations, their gradients, image-sized buffers
_SAFETY = 1.1


def estimate_memory_bytes(settings: StyleSettings, aspect: float = 1.0, arch: str = "vgg19",
                          bf16: bool = False) -> int:
    """The peak memory a run adds to the process, at its finest scale (the coarser ones need less).

    Activations kept for backward scale with the backbone's depth; L-BFGS adds two float32 image-sized vectors per
    stored pair, and it stores one per evaluation at that scale up to ``lbfgs_history``, so a 2048 px pass of 26
    evaluations holds half the history a long one does. Ten percent above what the bench measured."""
    w = settings.size
    h = max(1, round(settings.size * min(aspect, 1 / aspect)))
    px = w * h
    acts_px = _PER_PIXEL_VGG16["bf16" if bf16 else "fp32"] * _activations_per_pixel(arch) / _activations_per_pixel(
        "vgg16")
    plan = plan_scales(settings)
    per_px = acts_px
    if settings.optimizer == "lbfgs":
        per_px += 2 * 3 * 4 * min(settings.lbfgs_history, plan[-1][1])
    else:
        per_px += 3 * 3 * 4  # Adam's two moments and the gradient
    guide = 0.0
    anchor = look_anchor(plan) if settings.keep_look and settings.look_weight > 0 else None
    if anchor is not None:  # the look guide runs the backbone at the anchor's size too
        guide = acts_px * px * (plan[anchor][0] / settings.size) ** 2
    return int(_SAFETY * (_FIXED_BYTES + px * per_px + guide))


def _style_factor(full: float, here: float) -> float:
    """Style weight multiplier for a coarse scale: the photo's style loss at full size over its style loss here.

    A downscaled picture packs more detail per pixel, so its Grams (and their distance to the painting's) are larger:
    for the bench's photo and painting the photo's style loss at 256 px is 2.5× its 512 px value, at 128 px 12×. With
    one weight for every scale the coarse passes solve a much more stylised balance than the full size, which then has
    to undo it. Scaled by this factor they aim at about the full size's balance: measured at 512 px (with the residual
    upsample and the float32 first layer), evaluations at 512 px to the reference's loss after 128/256 px passes of
    8/16, 11/21, 15/30, 18/36 and 0/60 went 145→132, 144→131, 140→135, 131→134 and 143→140. The final scale always
    uses the settings' weight, so the objective the result is judged by does not change."""
    if not (math.isfinite(full) and math.isfinite(here)) or full <= 0 or here <= 0:
        return 1.0
    return min(1.0e3, max(1.0e-3, full / here))


def fast_bf16(device: torch.device | str) -> bool:
    """Whether bf16 convolutions run natively (and so about 1.7× faster than fp32) on ``device``."""
    device = torch.device(device)
    try:
        if device.type == "cuda":
            return bool(torch.cuda.is_bf16_supported())
        if device.type == "cpu":
            cpu = torch.cpu
            return bool(getattr(cpu, "_is_avx512_bf16_supported", lambda: False)()
                        or getattr(cpu, "_is_amx_tile_supported", lambda: False)())
    except Exception:  # noqa: BLE001 - a probe, never a failure
        return False
    return False


def use_bf16(precision: str, device: torch.device | str) -> bool:
    if precision == "auto":
        return fast_bf16(device)
    return precision == "bf16"


def available_memory_bytes(device: torch.device | str = "cpu") -> int | None:
    device = torch.device(device)
    if device.type == "cuda":
        try:
            return int(torch.cuda.mem_get_info(device)[0])
        except Exception:  # noqa: BLE001
            return None
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return None


def max_size_for_memory(settings: StyleSettings, available: int, aspect: float = 1.0, arch: str = "vgg19",
                        bf16: bool = False) -> int:
    lo, hi = 16, max(16, settings.size)
    probe = StyleSettings(**{**settings.to_dict(), "size": hi})
    while lo < hi:
        mid = (lo + hi + 1) // 2
        probe.size = mid
        if estimate_memory_bytes(probe, aspect, arch, bf16) <= available:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _gb(n: float) -> str:
    return f"{n / 1e9:.1f} GB"


# ------------------------------------------------------------------------------------------- the job

@dataclass
class StyleResult:
    image: np.ndarray  # uint8 H×W×3
    recipe: dict
    iterations: int
    stopped: bool
    losses: dict[str, float]
    seconds: float
    timelapse: list[np.ndarray] = field(default_factory=list)
    style_masks: list[np.ndarray | None] = field(default_factory=list)  # at each style image's size
    content_regions: np.ndarray | None = None  # H×W×R at the photo's size


class StyleTransferJob:
    """Repaint ``content`` with the statistics of ``styles``; emits Progress, Metrics, Preview; returns StyleResult."""

    def __init__(self, settings: StyleSettings, content, styles: list | tuple = (),
                 style_blend: list[float] | None = None, on_iteration=None,
                 style_masks: list | None = None, content_mask=None) -> None:
        """``style_masks``: one entry per style (None, a mask path/image/array; white = use these pixels);
        ``content_mask``: which style goes where on the photo (a colour-coded PNG/array, H×W×R weights, or a list of
        per-style grayscale masks), see ``masks``. ``on_iteration(step, side, x)`` (optional) sees the image tensor
        after every step: benchmarks use it."""
        settings.validate()
        self.on_iteration = on_iteration
        self.style_masks = list(style_masks) if style_masks is not None else [None] * len(styles)
        if len(self.style_masks) != len(styles):
            raise StyleError(f"{len(styles)} style image(s) but {len(self.style_masks)} style mask entries")
        self.content_mask = content_mask
        self.settings = settings
        self.content = content
        self.styles = list(styles)
        self.blend = list(style_blend or settings.style_blend or [1.0] * len(self.styles))
        if len(self.blend) != len(self.styles):
            raise StyleError(f"{len(self.styles)} style image(s) but {len(self.blend)} blend weight(s)")
        if self.styles and sum(self.blend) <= 0:
            raise StyleError("style blend weights must add up to more than 0")
        if settings.style_weight > 0 and settings.style_layers and not self.styles:
            raise StyleError("add at least one style image (or set the style weight to 0)")
        self.title = "Style transfer"
        self.backbone: Backbone | None = None

    # -- pieces -----------------------------------------------------------------------------------
    def _load(self, ctx: JobContext):
        s = self.settings
        content, content_name = _open(self.content)
        styles = [_open(p) for p in self.styles]
        if s.center_crop:
            content = _center_square(content)
            styles = [(_center_square(im), n) for im, n in styles]
        if max(content.size) > 2 * s.size and isinstance(self.content, (str, Path)):
            ctx.notice(f"The photo is {content.width}×{content.height}; it is scaled to {s.size} px on its long side.")
        return content, content_name, styles

    def _load_masks(self, ctx: JobContext, content: Image.Image, styles: list):
        """Style masks at each style image's full size and content regions at the photo's (None where absent)."""
        from studio.engine.style.masks import MaskError, load_content_regions, load_style_mask

        s = self.settings
        style_masks: list[np.ndarray | None] = []
        try:
            for k, (m, (img, name)) in enumerate(zip(self.style_masks, styles, strict=True)):
                if m is None:
                    style_masks.append(None)
                    continue
                raw = load_style_mask(m)
                if s.center_crop and raw.shape[0] != raw.shape[1]:
                    raw = np.asarray(_center_square(Image.fromarray(raw)))
                self._warn_aspect(ctx, raw.shape, img.size, f"the mask of style {k + 1}")
                mask = load_style_mask(raw, img.size)
                if float(mask.max(initial=0.0)) < 0.02:
                    raise StyleError(f"the mask on style {k + 1} ({Path(name).name}) selects nothing: paint the parts "
                                     "to use, or remove the mask")
                style_masks.append(mask)
            regions = None
            if self.content_mask is not None and self.styles:
                raw = load_content_regions(self.content_mask, len(self.styles))
                if s.center_crop and raw.shape[0] != raw.shape[1]:
                    raw = np.stack([np.asarray(_center_square(Image.fromarray(raw[..., r])))
                                    for r in range(raw.shape[-1])], -1)
                self._warn_aspect(ctx, raw.shape, content.size, "the content mask")
                regions = load_content_regions(raw, len(self.styles), content.size)
                if float(regions.max(initial=0.0)) < 0.02:
                    ctx.notice("The content mask paints no region; every part of the photo takes the blend of all "
                               "styles.", "warning")
                    regions = None
        except MaskError as exc:
            raise StyleError(str(exc)) from exc
        return style_masks, regions

    @staticmethod
    def _warn_aspect(ctx: JobContext, mask_shape, image_size, what: str) -> None:
        mh, mw = mask_shape[:2]
        w, h = image_size
        if abs(mw / mh - w / h) > 0.02 * (w / h):
            ctx.notice(f"{what[0].upper() + what[1:]} is {mw}×{mh} but its image is {w}×{h}; it is stretched to fit.",
                       "warning")

    def _check_memory(self, device, aspect: float, arch: str) -> None:
        bf16 = use_bf16(self.settings.precision, device)
        need = estimate_memory_bytes(self.settings, aspect, arch, bf16)
        have = available_memory_bytes(device)
        if have is not None and need > have:
            fits = max_size_for_memory(self.settings, have, aspect, arch, bf16)
            raise StyleError(f"A {self.settings.size} px result needs about {_gb(need)} of memory but only "
                             f"{_gb(have)} is free. Choose {fits} px or less, or close other programs.")

    def recipe(self, content_name: str, style_names: list[str], backbone: Backbone) -> dict:
        return {"kind": RECIPE_KIND, "version": 1, "content": content_name, "styles": style_names,
                "style_blend": self.blend, "backbone": {"name": backbone.name, "source": backbone.source},
                "settings": self.settings.to_dict()}

    # -- run --------------------------------------------------------------------------------------
    def run(self, ctx: JobContext) -> StyleResult:
        from studio.engine.device import pick_device

        s = self.settings
        t0 = time.perf_counter()
        device = pick_device(s.device)
        ctx.progress(0, s.iterations, "loading images")
        content_img, content_name, styles = self._load(ctx)
        style_masks, regions = self._load_masks(ctx, content_img, styles)
        aspect = content_img.width / content_img.height
        needed = list(s.content_layers if s.content_weight > 0 else {}) + list(
            s.style_layers if s.style_weight > 0 else {})
        arch = "vgg19" if s.backbone in ("auto", "vgg19") else "vgg16"
        self._check_memory(device, aspect, arch)
        ctx.progress(0, s.iterations, "loading features")
        backbone = load_backbone(s.backbone, s.vgg19_path, device, seed=s.seed)
        if backbone.warning:
            ctx.notice(backbone.warning, "warning")
        backbone = backbone.truncated(needed) if needed else backbone
        if s.pooling == "avg":
            net = torch.nn.Sequential(*[torch.nn.AvgPool2d(2, 2) if isinstance(m, torch.nn.MaxPool2d) else m
                                        for m in backbone.net])
            backbone = Backbone(backbone.name, net, backbone.layers, backbone.mean, backbone.std, backbone.warning,
                                backbone.source, backbone.arch)
        self.backbone = backbone
        loss_fn = GatysLoss(backbone, s.content_layers, s.style_layers, s.content_weight, s.style_weight,
                            s.tv_weight, bf16=use_bf16(s.precision, device)).to(device)
        recipe = self.recipe(content_name, [n for _, n in styles], backbone)
        gen = torch.Generator().manual_seed(s.seed)
        plan = plan_scales(s)
        total = sum(n for _, n in plan)
        step = 0
        x: torch.Tensor | None = None
        last: dict[str, float] = {}
        frames: list[np.ndarray] = []
        next_preview = time.perf_counter() + s.preview_every_s
        content_np = None
        stopped = False
        prev_target: torch.Tensor | None = None  # the content target of the previous (coarser) scale
        try:
            # coarse scales use a style weight rescaled so that the photo feels the same style pressure there as at
            # the size whose balance counts (_style_factor): the full size, or with the look guide (keep_look) the
            # 512 px anchor, whose objective is then exactly a 512 px run's and is kept by every finer scale (a
            # downscaled copy of the result held to it) while they add detail with the settings' weight
            anchor_i = look_anchor(plan) if s.keep_look and s.look_weight > 0 else None
            ref_i = anchor_i if anchor_i is not None else len(plan) - 1
            guide: GatysLoss | None = None  # the anchor's objective (no smoothness term), targets set once
            guide_hw = (0, 0)
            ref_loss, ref_target = loss_fn, None
            if anchor_i is not None:
                guide = GatysLoss(backbone, s.content_layers, s.style_layers, s.content_weight, s.style_weight, 0.0,
                                  bf16=loss_fn.bf16).to(device)
                _, ref_target = self._set_targets(guide, plan[anchor_i][0], content_img, styles, style_masks,
                                                  regions, device)
                ref_loss = guide
                gw, gh = fit_long_side(content_img.size, plan[anchor_i][0])
                guide_hw = (gh, gw)
            ref_pressure = None
            if len(plan) > 1 and loss_fn.style_layers and s.style_weight > 0:
                if ref_target is None:
                    _, ref_target = self._set_targets(loss_fn, plan[ref_i][0], content_img, styles, style_masks,
                                                      regions, device)
                ref_pressure = self._style_pressure(ref_loss, ref_target)
            for scale_i, (side, n_iter) in enumerate(plan):
                content_np, target_t = self._set_targets(loss_fn, side, content_img, styles, style_masks, regions,
                                                         device)
                size = fit_long_side(content_img.size, side)
                loss_fn.sw = s.style_weight
                if ref_pressure is not None and scale_i < ref_i:
                    loss_fn.sw = s.style_weight * _style_factor(ref_pressure, self._style_pressure(loss_fn, target_t))
                look_guide = guide if anchor_i is not None and scale_i > anchor_i else None
                x = self._start_image(x, prev_target, target_t, styles, size, gen, device)
                prev_target = target_t
                x.requires_grad_(True)
                opt = (torch.optim.LBFGS([x], lr=1.0, max_iter=1, history_size=s.lbfgs_history,
                                         tolerance_grad=0.0, tolerance_change=0.0)
                       if s.optimizer == "lbfgs" else torch.optim.Adam([x], lr=s.lr))
                parts: dict[str, torch.Tensor] = {}

                def closure(opt=opt, parts=parts, x=x, look_guide=look_guide) -> torch.Tensor:
                    opt.zero_grad(set_to_none=True)
                    out = loss_fn(x)
                    if look_guide is not None:  # the 512 px look: the same objective on the result downscaled
                        small = F.interpolate(x, size=guide_hw, mode="bicubic", align_corners=False, antialias=True)
                        look = look_guide(small)["total"]
                        out = {**out, "look": look, "total": out["total"] + s.look_weight * look}
                    out["total"].backward()
                    parts.update(out)
                    return out["total"]

                for _ in range(n_iter):
                    ctx.check()
                    opt.step(closure)
                    with torch.no_grad():
                        x.clamp_(0, 1)
                    step += 1
                    if self.on_iteration is not None:
                        self.on_iteration(step, side, x)
                    last = {k: float(v.detach()) for k, v in parts.items()}
                    ctx.emit(Metrics(step, last))
                    ctx.progress(step, total, f"{side} px")
                    if s.preview_every_s > 0 and time.perf_counter() >= next_preview:
                        img = self._finish(x, content_np)
                        ctx.emit(Preview(step, img, "stylize"))
                        self._keep_frame(frames, img)
                        next_preview = time.perf_counter() + s.preview_every_s
                x = x.detach()
        except Cancelled:
            if not s.keep_on_stop or x is None:
                raise
            stopped = True
        assert x is not None and content_np is not None
        if (x.shape[-1], x.shape[-2]) != fit_long_side(content_img.size, s.size):
            size = fit_long_side(content_img.size, s.size)  # stopped before the finest scale: upsample
            content_np = _resized(content_img, size)
            target_np = color.luminance(content_np) if s.colors == "keep" else content_np
            x = self._upsample(x, prev_target, _to_tensor(target_np, x.device), size)
        image = self._finish(x, content_np)
        self._keep_frame(frames, image)
        seconds = time.perf_counter() - t0
        recipe["result"] = {"iterations": step, "stopped": stopped, "seconds": round(seconds, 2),
                            "losses": last, "size": [int(image.shape[1]), int(image.shape[0])]}
        return StyleResult(image, recipe, step, stopped, last, seconds, frames, style_masks, regions)

    def _set_targets(self, loss_fn: GatysLoss, side: int, content_img: Image.Image, styles, style_masks, regions,
                     device) -> tuple[np.ndarray, torch.Tensor]:
        """Content and style targets (and regions) at one working size → (content pixels, content target tensor)."""
        s = self.settings
        size = fit_long_side(content_img.size, side)
        content_np = _resized(content_img, size)
        target_np = color.luminance(content_np) if s.colors == "keep" else content_np
        target_t = _to_tensor(target_np, device)
        loss_fn.set_content(target_t)
        if loss_fn.style_layers:
            style_tensors, mask_tensors = [], []
            for (im, _), m in zip(styles, style_masks, strict=True):
                ssize = fit_long_side(im.size, max(16, round(side * s.style_scale)))
                a = _resized(im, ssize)
                if s.colors == "keep":
                    a = color.match_luminance(color.luminance(a), target_np)
                elif s.colors == "match":
                    a = color.match_colors(a, content_np)
                style_tensors.append(_to_tensor(a, device))
                mask_tensors.append(None if m is None else mask_tensor(resize_mask(m, ssize), device))
            loss_fn.set_styles(style_tensors, self.blend, mask_tensors)
            loss_fn.set_regions(None if regions is None else mask_tensor(resize_mask(regions, size), device))
        return content_np, target_t

    @staticmethod
    @torch.no_grad()
    def _style_pressure(loss_fn: GatysLoss, target: torch.Tensor) -> float:
        """The unweighted style loss of the photo itself at the current targets: how far it is from the painting."""
        return float(loss_fn(target)["style"])

    def _upsample(self, prev: torch.Tensor, prev_target: torch.Tensor | None, target: torch.Tensor,
                  size: tuple[int, int]) -> torch.Tensor:
        """The coarser scale's result at ``size``: what the optimisation changed (result − coarse photo) upsampled and
        added to the photo at this size, so the photo's own fine detail is kept instead of blurred away. Measured at
        512 px (tests/bench/bench_style.py): a plain bicubic upsample started the 512 px pass at a loss above the
        photo's own (21 vs 14) and never reached the reference's loss; this start is below it. Without a content
        loss (pure texture) there is no photo detail to keep: plain bicubic."""
        w, h = size
        if prev_target is None or self.settings.content_weight <= 0:
            return F.interpolate(prev.detach(), size=(h, w), mode="bicubic", align_corners=False).clamp(0, 1)
        change = F.interpolate(prev.detach() - prev_target, size=(h, w), mode="bicubic", align_corners=False)
        return (target + change).clamp(0, 1).contiguous()

    def _start_image(self, prev, prev_target, target, styles, size, gen, device) -> torch.Tensor:
        s = self.settings
        w, h = size
        if prev is not None:  # coarse to fine: upsample the previous scale's result
            return self._upsample(prev, prev_target, target, size)
        if s.init == "noise":
            x = torch.rand((1, 3, h, w), generator=gen)
        elif s.init == "style" and styles:
            x = _to_tensor(_resized(styles[0][0], size), "cpu")
            if s.colors == "keep":
                x = _to_tensor(color.luminance(_resized(styles[0][0], size)), "cpu")
        else:
            x = target.detach().cpu().clone()
            if s.init == "content+noise":
                x = (x + s.noise * (torch.rand(x.shape, generator=gen) * 2 - 1)).clamp(0, 1)
        return x.to(device).contiguous()

    def _finish(self, x: torch.Tensor, content_np: np.ndarray) -> np.ndarray:
        a = _to_numpy(x)
        if self.settings.colors == "keep":
            a = color.combine_luminance(a, content_np)
        return _to_uint8(a)

    def _keep_frame(self, frames: list, img: np.ndarray) -> None:
        s = self.settings
        if s.timelapse_frames <= 0:
            return
        pil = Image.fromarray(img)
        pil = pil.resize(fit_long_side(pil.size, s.timelapse_side), Image.LANCZOS)
        frames.append(np.asarray(pil))
        if len(frames) > s.timelapse_frames:  # thin evenly: drop every other frame, keep the newest
            del frames[1:-1:2]


# ------------------------------------------------------------------------------------------- presets

def _lesson(**kw) -> dict:
    base = {"size": 256, "center_crop": True, "backbone": "vgg16", "optimizer": "adam", "lr": 0.02,
            "content_layers": {"conv4_2": 1.0}, "style_layers": dict(LESSON_STYLE_LAYERS),
            "colors": "none", "scales": [256], "min_scale": 256}
    base.update(kw)
    return base


LESSON_PRESETS: dict[str, dict] = {
    "lesson-content-only": _lesson(init="noise", style_weight=0.0, tv_weight=0.0, iterations=300),
    "lesson-content-style": _lesson(init="noise", content_weight=1.0, style_weight=1e4, tv_weight=0.0,
                                    iterations=300),
    "lesson-content-style-variation": _lesson(init="content+noise", noise=0.25, content_weight=1.0,
                                              style_weight=150.0 * 100, tv_weight=30.0, iterations=300),
    "lesson-layer-block3_conv2": _lesson(init="noise", style_weight=0.0, tv_weight=0.0, optimizer="lbfgs",
                                         content_layers={"conv3_2": 1.0}, iterations=200),
    "lesson-layer-block4_conv2": _lesson(init="noise", style_weight=0.0, tv_weight=0.0, optimizer="lbfgs",
                                         content_layers={"conv4_2": 1.0}, iterations=200),
    "lesson-layer-block5_conv1": _lesson(init="noise", style_weight=0.0, tv_weight=0.0, optimizer="lbfgs",
                                         content_layers={"conv5_1": 1.0}, iterations=200),
}


def preset_settings(name: str, **overrides) -> StyleSettings:
    if name not in LESSON_PRESETS:
        raise StyleError(f"unknown preset {name!r}; choose one of {', '.join(LESSON_PRESETS)}")
    return StyleSettings(**{**LESSON_PRESETS[name], **overrides})


def mask_file_names(artwork: str | Path, style_count: int, regions: bool) -> dict:
    """File names (beside the artwork) its masks are written under."""
    stem = Path(artwork).stem
    return {"style": [f"{stem}.style-mask-{k + 1}.png" for k in range(style_count)],
            "regions": [f"{stem}.region-{k + 1}.png" for k in range(style_count)] if regions else None}


def save_result(result: StyleResult, path: str | Path, timelapse_gif: str | Path | None = None,
                fps: float = 8.0, quality: int = 95) -> Path:
    """Write the artwork (recipe inside and as JSON beside), the masks it used as PNGs beside it (named in the
    recipe's ``mask_files``) and, when asked, the optimisation timelapse."""
    from studio.engine.export import ExportError, save_artwork, save_png, write_gif

    path = Path(path)
    recipe = dict(result.recipe)
    has_style_masks = any(m is not None for m in result.style_masks)
    if has_style_masks or result.content_regions is not None:
        names = mask_file_names(path, len(result.style_masks) or (result.content_regions.shape[-1]
                                                                   if result.content_regions is not None else 0),
                                result.content_regions is not None)
        files: dict = {"style": [None] * len(result.style_masks), "regions": None}
        for k, m in enumerate(result.style_masks):
            if m is not None:
                save_png(_to_uint8(m), path.with_name(names["style"][k]))
                files["style"][k] = names["style"][k]
        if result.content_regions is not None:
            files["regions"] = []
            for k in range(result.content_regions.shape[-1]):
                save_png(_to_uint8(result.content_regions[..., k]), path.with_name(names["regions"][k]))
                files["regions"].append(names["regions"][k])
        recipe["mask_files"] = files
        result.recipe = recipe
    out = save_artwork(result.image, path, recipe, quality)
    if timelapse_gif is not None:
        if not result.timelapse:
            raise ExportError("No timelapse frames were kept (previews were off)")
        write_gif(np.stack(_same_size(result.timelapse)), timelapse_gif, fps=fps, resample="lanczos")
    return out


def _same_size(frames: list[np.ndarray]) -> list[np.ndarray]:
    h, w = frames[-1].shape[:2]
    return [f if f.shape[:2] == (h, w) else np.asarray(Image.fromarray(f).resize((w, h), Image.BICUBIC))
            for f in frames]


def load_recipe(path: str | Path) -> tuple[StyleSettings, str, list[str], list[float]]:
    """Settings, content path, style paths and blend weights from a recipe JSON or an artwork that carries one."""
    import json

    from studio.engine.export import read_artwork_recipe

    p = Path(path)
    try:
        data = json.loads(p.read_text()) if p.suffix.lower() == ".json" else read_artwork_recipe(p)
    except (OSError, ValueError) as exc:
        raise StyleError(f"cannot read the recipe in {p.name}: {exc}") from exc
    if not isinstance(data, dict) or data.get("kind") != RECIPE_KIND:
        raise StyleError(f"{p.name} holds no style-transfer recipe")
    from studio.engine.schema import STYLE_RECIPE, validate
    data = validate(data, STYLE_RECIPE, p.name, StyleError)  # wrong types and NaN refused, naming the field
    settings = dict(data.get("settings") or {})
    settings.setdefault("keep_look", False)  # recipes from before the look guide were painted without it
    return (StyleSettings.from_dict(settings), data.get("content", ""),
            list(data.get("styles", [])), list(data.get("style_blend", [])))


def load_recipe_masks(path: str | Path) -> tuple[list[Path | None], list[Path | None] | None]:
    """The mask files a recipe (JSON or artwork) names, resolved beside it: (style masks, content regions or None).

    A named file that is missing raises StyleError so nothing is silently dropped."""
    import json

    from studio.engine.export import read_artwork_recipe

    p = Path(path)
    try:
        data = json.loads(p.read_text()) if p.suffix.lower() == ".json" else read_artwork_recipe(p)
    except (OSError, ValueError) as exc:
        raise StyleError(f"cannot read the recipe in {p.name}: {exc}") from exc
    files = (data or {}).get("mask_files") or {}
    n = len((data or {}).get("styles", []))

    def resolve(name):
        if not name:
            return None
        f = p.with_name(Path(str(name)).name)  # only beside the recipe: never a path elsewhere
        if not f.is_file():
            raise StyleError(f"the recipe names the mask {f.name}, which is missing next to {p.name}")
        return f

    style = [resolve(x) for x in (files.get("style") or [None] * n)]
    regions = files.get("regions")
    return style, ([resolve(x) for x in regions] if regions else None)
