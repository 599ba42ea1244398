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
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from studio.engine.jobs import Cancelled, JobContext, Metrics, Preview
from studio.engine.style import color
from studio.engine.style.artwork_files import _to_uint8
from studio.engine.style.backbones import Backbone, load_backbone
from studio.engine.style.budget import (  # noqa: F401 - re-exported: the plan and the budget live there
    ANCHOR_SIDE,
    COARSE_SHARE,
    _gb,
    _largest_fitting,
    available_memory_bytes,
    estimate_memory_bytes,
    fast_bf16,
    look_anchor,
    max_size_for_memory,
    memory_parts,
    plan_scales,
    scale_weights,
    use_bf16,
)
from studio.engine.style.grams import RegionPlan, gram_rows, plan_regions, region_grams
from studio.engine.style.masks import at_layer, mask_tensor, masked_gram, resize_mask
from studio.engine.style.settings import (  # noqa: F401 - re-exported: torch-free definitions live there
    COLOR_MODES,
    DEFAULT_STYLE_LAYERS,
    INITS,
    LESSON_PRESETS,
    LESSON_STYLE_LAYERS,
    OPTIMIZERS,
    PRECISIONS,
    RECIPE_KIND,
    StyleError,
    StyleSettings,
    preset_settings,
)

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
                 content_weight: float, style_weight: float, tv_weight: float, bf16: bool = False,
                 normalize: bool = False) -> None:
        super().__init__()
        self.bf16 = bf16
        # relative terms (StyleSettings.normalize): each style layer's error over the photo's own error there against
        # the same target, the content error over the photo's and paintings' mean feature energy — set with the
        # targets
        self.normalize = normalize
        self._photo_grams: dict[int, torch.Tensor] = {}
        self.content_scale: dict[int, float] = {}
        self.style_scale: dict[int, float] = {}
        self.per_style_scale: list[dict[int, float]] = []
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
        if self.normalize:
            self._photo_energy = {i: float(feats[i].square().mean()) for i in self.content_layers}
            self.content_scale = {i: max(e, 1e-8) for i, e in self._photo_energy.items()}
            self._photo_grams = {i: gram(feats[i]) for i in self.style_layers}

    def _scale_of(self, i: int, target: torch.Tensor) -> float:
        """The photo's own style error at layer ``i`` against ``target`` (what 1.0 means there), floored at 1 % of the
        target's energy so a painting that already resembles the photo in one layer does not make that layer's
        weight explode. 1.0 without normalisation or before the photo is known."""
        photo = self._photo_grams.get(i) if self.normalize else None
        if photo is None:
            return 1.0
        target = target if target.dim() == photo.dim() else target.expand_as(photo)
        return max(float(F.mse_loss(photo, target)), 0.01 * float(target.square().mean()), 1e-12)

    @torch.no_grad()
    def set_styles(self, styles: list[torch.Tensor], blend: list[float],
                   masks: list[torch.Tensor | None] | None = None) -> None:
        """Gram targets per painting (masked by its selection, if any) and their blend (the global target)."""
        total = sum(blend)
        targets: dict[int, torch.Tensor] = {}
        self.per_style_targets = []
        energy = dict.fromkeys(self.content_layers, 0.0)
        for k, (img, w) in enumerate(zip(styles, blend, strict=True)):
            feats = self.features(img)
            for i in energy:
                energy[i] += float(feats[i].square().mean()) * (w / total if total > 0 else 1 / len(styles))
            mask = masks[k] if masks else None
            grams: dict[int, torch.Tensor] = {}
            for i in self.style_layers:
                f = feats[i]
                grams[i] = gram(f) if mask is None else masked_gram(f, at_layer(mask, tuple(f.shape[-2:])))
                g = grams[i] * (w / total) if total > 0 else grams[i] * 0
                targets[i] = g if i not in targets else targets[i] + g
            self.per_style_targets.append(grams)
        self.style_targets = targets
        if self.normalize and getattr(self, "_photo_energy", None):
            # the content error counts in the mean feature energy of the photo and the paintings: a flat photo
            # (little energy) would otherwise make the content term so stiff that no style gets in
            self.content_scale = {i: max(0.5 * (e + energy.get(i, e)), 1e-8) for i, e in self._photo_energy.items()}
        self.style_scale = {i: self._scale_of(i, t) for i, t in targets.items()}
        self.per_style_scale = [{i: self._scale_of(i, t) for i, t in g.items()} for g in self.per_style_targets]

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
            return sum((w / self.style_scale.get(i, 1.0) * F.mse_loss(gram(feats[i]), self.style_targets[i])
                        for i, w in self.style_layers.items()), zero)
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
                norm = self.style_scale.get(i, 1.0) if r == last else self.per_style_scale[r].get(i, 1.0)
                # × area share: every pixel feels the same style pressure as without regions
                loss = loss + w * frac / norm * F.mse_loss(grams[k], target[0] if target.dim() == 3 else target)
        return loss

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        regions = getattr(self, "regions", None) is not None
        raw = set(self.style_layers) - set(self.content_layers) if regions else frozenset()
        feats = self.features(x, raw) if self.wanted else {}
        zero = x.new_zeros(())
        content = sum((w / self.content_scale.get(i, 1.0) * F.mse_loss(feats[i], self.content_targets[i])
                       for i, w in self.content_layers.items()), zero)
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


def _open(source) -> tuple[Image.Image, str]:
    """A path goes through the one safe loader; arrays and PIL images (tests, GUI paste) are taken as given."""
    if isinstance(source, Image.Image):
        return source.convert("RGB"), "<image>"
    if isinstance(source, np.ndarray):
        a = source if source.ndim == 3 else np.repeat(source[..., None], 3, axis=-1)
        return Image.fromarray(a[..., :3].astype(np.uint8)), "<array>"
    from studio.engine.images import load_image

    return load_image(source, "RGB"), str(Path(source))


# ------------------------------------------------------------------------------------------- bounds

MAX_SIZE = 16384  # output long side; memory refuses most machines long before this
MAX_ITERATIONS = 100_000
MAX_WEIGHT = 1e12  # loss weights: far above any useful value, far below float32 overflow of a weighted loss
MAX_LR = 10.0
MAX_STYLE_SIDE = 8192  # a painting's working long side (output side × style scale)
MAX_TIMELAPSE_FRAMES = 5000
MAX_TIMELAPSE_SIDE = 4096
MAX_LBFGS_HISTORY = 1000


def _number(label: str, value, lo: float, hi: float, integer: bool = False, lo_open: bool = False) -> float:
    """``value`` as a checked number, or a StyleError naming the setting and the range it must be in."""
    import numbers

    ok_type = isinstance(value, numbers.Integral) if integer else isinstance(value, numbers.Real)
    if isinstance(value, bool) or not ok_type or not math.isfinite(value):
        kind = "a whole number" if integer else "a number"
        raise StyleError(f"{label} must be {kind}, not {value!r}")
    if value < lo or (lo_open and value <= lo) or value > hi:
        low = f"more than {lo:g}" if lo_open else f"at least {lo:g}"
        raise StyleError(f"{label} must be {low} and at most {hi:g}, not {value:g}")
    return value


def check_settings(settings: StyleSettings) -> None:
    """Every value a run would allocate or loop on, checked before anything is loaded: types (recipes are JSON),
    ranges, and the fixed caps above. Memory against the machine is checked by the job (``_check_memory``) once
    the images are known. Raises StyleError with the setting, the value and what is allowed."""
    s = settings
    _number("the output size (px)", s.size, 16, MAX_SIZE, integer=True)
    _number("iterations", s.iterations, 1, MAX_ITERATIONS, integer=True)
    for label, value in (("the content weight", s.content_weight), ("the style weight", s.style_weight),
                         ("the smoothness weight", s.tv_weight), ("the look weight", s.look_weight)):
        _number(label, value, 0, MAX_WEIGHT)
    _number("the learning rate", s.lr, 0, MAX_LR, lo_open=True)
    _number("the start noise", s.noise, 0, 1)
    _number("the seed", s.seed, -(2**63), 2**63 - 1, integer=True)
    _number("the preview interval (s)", s.preview_every_s, 0, 3600)
    _number("the timelapse frame count", s.timelapse_frames, 0, MAX_TIMELAPSE_FRAMES, integer=True)
    _number("the timelapse size (px)", s.timelapse_side, 16, MAX_TIMELAPSE_SIDE, integer=True)
    _number("the L-BFGS history", s.lbfgs_history, 1, MAX_LBFGS_HISTORY, integer=True)
    _number("the smallest automatic scale (px)", s.min_scale, 16, MAX_SIZE, integer=True)
    _number("the style scale", s.style_scale, 0, math.inf, lo_open=True)
    if round(s.size * s.style_scale) > MAX_STYLE_SIDE:
        raise StyleError(f"a style scale of {s.style_scale:g} makes the paintings {round(s.size * s.style_scale)} px "
                         f"wide at a {s.size} px output; the largest is {MAX_STYLE_SIDE} px, so choose a style scale "
                         f"of {math.floor(MAX_STYLE_SIDE / s.size * 100) / 100:g} or less")
    if s.scales is not None:
        if not isinstance(s.scales, (list, tuple)) or not s.scales:
            raise StyleError("the working scales must be a list of sizes in px, such as 256,512")
        for side in s.scales:
            _number("a working scale (px)", side, 16, s.size, integer=True)
    if s.scale_iterations is not None:
        if not isinstance(s.scale_iterations, (list, tuple)) or not s.scale_iterations:
            raise StyleError("the iterations per scale must be a list of whole numbers, such as 50,100")
        for n in s.scale_iterations:
            _number("the iterations of a scale", n, 1, MAX_ITERATIONS, integer=True)
    if s.style_blend is not None:
        if not isinstance(s.style_blend, (list, tuple)):
            raise StyleError("the style blend must be one weight per style image")
        for w in s.style_blend:
            _number("a style blend weight", w, 0, MAX_WEIGHT)
    for what, layers in (("content", s.content_layers), ("style", s.style_layers)):
        if not isinstance(layers, dict):
            raise StyleError(f"the {what} layers must map layer names to weights, such as conv4_2:1")
        for name, w in layers.items():
            _number(f"the weight of {what} layer {name}", w, 0, MAX_WEIGHT)
    settings.validate()


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


# the side at which the paintings' colour statistics are read for "adopt" (plenty for a mean and a 3×3 covariance)
PALETTE_SIDE = 256

# ------------------------------------------------------------------------------------------- the finite guard

MAX_ROLLBACKS_PER_SCALE = 4


class _FiniteGuard:
    """Keeps one scale's optimisation finite: a non-finite loss or pixel puts back the last picture whose loss was
    finite and goes on with a gentler optimiser (L-BFGS → Adam at the settings' rate, then Adam at a quarter of
    the rate each time), so a run that blows up never returns, previews or saves NaN pixels (a black picture).

    L-BFGS here takes full steps without a line search (``lr=1``, one evaluation per step); on an ill-conditioned
    objective one curvature pair can send a step to infinity, after which every value is NaN. The guard's cost is
    two image-sized copies and one finiteness test per step."""

    def __init__(self, settings: StyleSettings, x: torch.Tensor) -> None:
        self.settings = settings
        self.x = x
        self.optimizer = settings.optimizer
        self.lr = settings.lr
        self.good = x.detach().clone()  # the last picture whose loss came out finite (the scale's start until then)
        self.before: torch.Tensor | None = None
        self.failures = 0
        self.gave_up = False
        self.opt = self._make()

    def _make(self) -> torch.optim.Optimizer:
        if self.optimizer == "lbfgs":
            return torch.optim.LBFGS([self.x], lr=1.0, max_iter=1, history_size=self.settings.lbfgs_history,
                                     tolerance_grad=0.0, tolerance_change=0.0)
        return torch.optim.Adam([self.x], lr=self.lr)

    def before_step(self) -> None:
        self.before = self.x.detach().clone()

    def after_step(self, values: dict[str, float]) -> str | None:
        """None when the step is kept; otherwise what was done, in words (after rolling back)."""
        loss_ok = bool(values) and all(math.isfinite(v) for v in values.values())
        if loss_ok and bool(torch.isfinite(self.x).all()):
            # the loss was evaluated at the picture before this step, so that one is known good
            self.good = self.before if self.before is not None else self.good
            return None
        with torch.no_grad():
            self.x.copy_(self.good)
        self.failures += 1
        what = "the loss" if not loss_ok else "the picture"
        if self.failures > MAX_ROLLBACKS_PER_SCALE:
            self.gave_up = True
            return (f"{what} stopped being finite again; this scale keeps its last good picture and the run goes "
                    "on.")
        if self.optimizer == "lbfgs":
            self.optimizer = "adam"
            change = f"continues with Adam (learning rate {self.lr:g})"
        else:
            self.lr /= 4
            change = f"continues with Adam at a smaller step (learning rate {self.lr:g})"
        self.opt = self._make()
        return f"{what} stopped being finite; went back to the last good picture and {change}."


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
                 style_masks: list | None = None, content_mask=None, start: np.ndarray | None = None,
                 temporal: tuple[np.ndarray, np.ndarray, float] | None = None,
                 start_fill: np.ndarray | None = None) -> None:
        """``style_masks``: one entry per style (None, a mask path/image/array; white = use these pixels);
        ``content_mask``: which style goes where on the photo (a colour-coded PNG/array, H×W×R weights, or a list of
        per-style grayscale masks), see ``masks``. ``on_iteration(step, side, x)`` (optional) sees the image tensor
        after every step: benchmarks use it. Animations (animation.py): ``start`` (H×W×3 float in [0, 1] at the
        output size) replaces the start image of the first scale where ``start_fill`` (H×W in [0, 1], default all
        1) says so, the usual start elsewhere; ``temporal`` = (target, reliability H×W, weight) adds
        weight × mean(reliability × (x − target)²) at the output size, the temporal loss of Ruder et al."""
        check_settings(settings)
        self.start, self.temporal, self.start_fill = start, temporal, start_fill
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
        for w in self.blend:
            _number("a style blend weight", w, 0, MAX_WEIGHT)
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

    def _check_memory(self, device, aspect: float, arch: str, style_aspects: list[float] | None = None) -> None:
        """Refuse, before the backbone loads, a run that would not fit, naming the setting that makes it too big and
        the largest value of it that fits: the size, the style scale or the timelapse frames."""
        s = self.settings
        bf16 = use_bf16(s.precision, device)
        need = estimate_memory_bytes(s, aspect, arch, bf16, style_aspects)
        have = available_memory_bytes(device)
        if have is None or need <= have:
            return

        def fits(probe: StyleSettings) -> bool:
            return estimate_memory_bytes(probe, aspect, arch, bf16, style_aspects) <= have

        parts = memory_parts(s, aspect, arch, bf16, style_aspects)
        tail = f"needs about {_gb(need)} of memory but only {_gb(have)} is free."
        if parts["styles"] > parts["run"] and s.style_scale > 1:
            best = _largest_fitting(s, "style_scale", 16 / s.size, s.style_scale, fits, integer=False)
            if best is not None:
                raise StyleError(f"A style scale of {s.style_scale:g} (paintings {round(s.size * s.style_scale)} px "
                                 f"wide) {tail} Choose a style scale of {max(best, 0.01):g} or less.")
        if parts["timelapse"] > parts["run"] / 4 and s.timelapse_frames > 1:
            best = _largest_fitting(s, "timelapse_frames", 1, s.timelapse_frames, fits)
            if best is not None:
                raise StyleError(f"Keeping {s.timelapse_frames} timelapse frames of {s.timelapse_side} px {tail} "
                                 f"Choose {best} frames or fewer, or a smaller timelapse.")
        fits_px = max_size_for_memory(s, have, aspect, arch, bf16, style_aspects)
        raise StyleError(f"A {s.size} px result {tail} Choose {fits_px} px or less, or close other programs.")

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
        self._check_memory(device, aspect, arch, [im.width / im.height for im, _ in styles] or None)
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
                            s.tv_weight, bf16=use_bf16(s.precision, device), normalize=s.normalize).to(device)
        recipe = self.recipe(content_name, [n for _, n in styles], backbone)
        gen = torch.Generator().manual_seed(s.seed)
        plan = plan_scales(s)
        self._check_sizes(plan, content_img, styles, needed)
        total = sum(n for _, n in plan)
        step = 0
        x: torch.Tensor | None = None
        last: dict[str, float] = {}
        frames: list[np.ndarray] = []
        next_preview = time.perf_counter() + s.preview_every_s
        content_np = None
        stopped = False
        prev_target: torch.Tensor | None = None  # the content target of the previous (coarser) scale
        accepted = rollbacks = 0  # steps kept / steps undone because a value stopped being finite
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
                                  bf16=loss_fn.bf16, normalize=s.normalize).to(device)
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
                if x is None and self.start is not None:
                    x = _to_tensor(np.asarray(Image.fromarray(_to_uint8(self.start)).resize(size, Image.BICUBIC),
                                              np.float32) / 255.0, device)
                    if self.start_fill is not None:  # elsewhere the usual start (the photo as the content sees it)
                        fill = Image.fromarray(np.asarray(self.start_fill, np.float32)).resize(size, Image.BILINEAR)
                        m = torch.from_numpy(np.array(fill, np.float32))[None, None].to(device)
                        base = self._start_image(None, None, target_t, styles, size, gen, device)
                        x = m * x + (1 - m) * base
                    prev_target = target_t
                x = self._start_image(x, prev_target, target_t, styles, size, gen, device)
                follow = None  # the temporal loss's target and weights, at the output size only
                if self.temporal is not None and scale_i == len(plan) - 1:
                    t_img, t_mask, t_w = self.temporal
                    if t_img.shape[:2] == (size[1], size[0]) and t_w > 0:
                        follow = (_to_tensor(np.asarray(t_img, np.float32), device),
                                  torch.from_numpy(np.array(t_mask, np.float32))[None, None].to(device), t_w)
                prev_target = target_t
                x.requires_grad_(True)
                guard = _FiniteGuard(s, x)
                parts: dict[str, torch.Tensor] = {}

                def closure(guard=guard, parts=parts, x=x, look_guide=look_guide, follow=follow) -> torch.Tensor:
                    guard.opt.zero_grad(set_to_none=True)
                    out = loss_fn(x)
                    if follow is not None:  # stay with the previous frame's paint where the motion is known
                        temporal = (follow[1] * (x - follow[0]).square()).mean()
                        out = {**out, "temporal": temporal, "total": out["total"] + follow[2] * temporal}
                    if look_guide is not None:  # the 512 px look: the same objective on the result downscaled
                        small = F.interpolate(x, size=guide_hw, mode="bicubic", align_corners=False, antialias=True)
                        look = look_guide(small)["total"]
                        out = {**out, "look": look, "total": out["total"] + s.look_weight * look}
                    out["total"].backward()
                    parts.update(out)
                    return out["total"]

                for it in range(n_iter):
                    ctx.check()
                    guard.before_step()
                    parts.clear()
                    guard.opt.step(closure)
                    with torch.no_grad():
                        x.clamp_(0, 1)
                    step += 1
                    if self.on_iteration is not None:
                        self.on_iteration(step, side, x)
                    values = {k: float(v.detach()) for k, v in parts.items()}
                    problem = guard.after_step(values)
                    if problem is not None:  # rolled back to the last finite picture
                        ctx.notice(f"Step {step} at {side} px {problem}", "warning")
                        rollbacks += 1
                        if guard.gave_up:
                            step += n_iter - it - 1
                            ctx.progress(step, total, f"{side} px")
                            break
                        ctx.progress(step, total, f"{side} px")
                        continue
                    accepted += 1
                    last = values
                    ctx.emit(Metrics(step, last))
                    ctx.progress(step, total, f"{side} px")
                    if s.preview_every_s > 0 and time.perf_counter() >= next_preview:
                        img = self._finish(x, content_np)
                        ctx.emit(Preview(step, img, "stylize"))
                        self._keep_frame(frames, img)
                        next_preview = time.perf_counter() + s.preview_every_s
                x = x.detach()
                if s.preview_every_s > 0 and scale_i < len(plan) - 1 and accepted:
                    # every coarse pass ends with a look, whatever the clock says: the first recognisable picture
                    # comes seconds into a run, before the first full-size evaluation (the viewer scales it up)
                    img = self._finish(x, content_np)
                    ctx.emit(Preview(step, img, "stylize"))
                    self._keep_frame(frames, img)
                    next_preview = time.perf_counter() + s.preview_every_s
        except Cancelled:
            if not s.keep_on_stop or x is None:
                raise
            stopped = True
        assert x is not None and content_np is not None
        if not bool(torch.isfinite(x).all()) or (accepted == 0 and rollbacks > 0):
            raise StyleError("the optimisation produced no usable picture: its values stopped being finite at every "
                             "step. Lower the style weight or the learning rate, or choose Adam")
        if (x.shape[-1], x.shape[-2]) != fit_long_side(content_img.size, s.size):
            size = fit_long_side(content_img.size, s.size)  # stopped before the finest scale: upsample
            content_np = _resized(content_img, size)
            target_np = self._content_target(content_np, styles)
            x = self._upsample(x, prev_target, _to_tensor(target_np, x.device), size)
        image = self._finish(x, content_np)
        self._keep_frame(frames, image)
        seconds = time.perf_counter() - t0
        recipe["result"] = {"iterations": step, "stopped": stopped, "seconds": round(seconds, 2),
                            "losses": last, "size": [int(image.shape[1]), int(image.shape[0])]}
        if rollbacks:
            recipe["result"]["rollbacks"] = rollbacks
        return StyleResult(image, recipe, step, stopped, last, seconds, frames, style_masks, regions)

    def _check_sizes(self, plan, content_img: Image.Image, styles, needed: list[str]) -> None:
        """Refuse, in words, a working size at which the deepest layer would see less than a pixel (each block of
        the network halves the picture): the photo's or a painting's short side at that scale is too small."""
        blocks = [int(n[4]) for n in needed if n.startswith("conv") and n[4:5].isdigit()]
        if not blocks:
            return
        need = 2 ** (max(blocks) - 1)
        deepest = max((n for n in needed if n.startswith("conv")), key=lambda n: int(n[4]))
        for side, _ in plan:
            pictures = [("the photo", content_img.size, side)] + [
                (f"painting {k + 1}", im.size, max(16, round(side * self.settings.style_scale)))
                for k, (im, _) in enumerate(styles)]
            for what, size, long_side in pictures:
                w, h = fit_long_side(size, long_side)
                if min(w, h) < need:
                    raise StyleError(
                        f"at the {side} px scale {what} is {w} × {h} px: too small for the network's {deepest}, "
                        f"which needs at least {need} px on the short side. Choose a larger size (or smallest "
                        "scale), or leave out the deepest layers")

    def _set_targets(self, loss_fn: GatysLoss, side: int, content_img: Image.Image, styles, style_masks, regions,
                     device) -> tuple[np.ndarray, torch.Tensor]:
        """Content and style targets (and regions) at one working size → (content pixels, content target tensor)."""
        s = self.settings
        size = fit_long_side(content_img.size, side)
        content_np = _resized(content_img, size)
        target_np = self._content_target(content_np, styles)
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

    def _content_target(self, content_np: np.ndarray, styles) -> np.ndarray:
        """The photo as the content loss sees it (and the optimisation starts from): its luminance for "keep", its
        layout in the paintings' palette for "adopt", the photo itself otherwise."""
        colors = self.settings.colors
        if colors == "keep":
            return color.luminance(content_np)
        if colors == "adopt" and styles:
            if getattr(self, "_palette", None) is None:  # once per run, from every painting by its blend weight
                looks = [_resized(im, fit_long_side(im.size, PALETTE_SIDE)) for im, _ in styles]
                self._palette = color.palette_of(looks, self.blend)
            return color.recolor_to(content_np, *self._palette)
        return content_np

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


# What an artwork writes and reads on disk lives in artwork_files (torch-free); the style engine's public names
# include them, so callers keep one import for style transfer.
from studio.engine.style.artwork_files import (  # noqa: E402, F401
    check_output_path,
    estimate_output_bytes,
    load_recipe,
    load_recipe_masks,
    mask_file_names,
    save_result,
)
