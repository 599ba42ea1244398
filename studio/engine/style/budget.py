"""How a style run is laid out and what it costs: the scales and their evaluations (``plan_scales``), the memory a
run needs (``estimate_memory_bytes``, ``max_size_for_memory``) and whether bf16 is fast on a device. Torch is used
only to ask the device; nothing here runs a network."""

from __future__ import annotations

import math
import os

import torch

from studio.engine.device import fast_bf16  # noqa: F401 - re-exported (gatys, tests)
from studio.engine.style.settings import StyleSettings


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


_STYLE_PER_PIXEL = 800.0  # a painting's no-grad forward at its working size (measured ~710 B/px on VGG16 fp32)
_ROLLBACK_PER_PIXEL = 2 * 3 * 4  # _FiniteGuard: the last good picture and the one before the step (float32)


def memory_parts(settings: StyleSettings, aspect: float = 1.0, arch: str = "vgg19", bf16: bool = False,
                 style_aspects: list[float] | None = None) -> dict[str, float]:
    """What a run's peak is made of, in bytes before the safety margin: ``fixed``, ``run`` (the finest scale's
    optimisation), ``styles`` (the paintings' forward at their working size, done before that scale's optimisation
    starts, so it peaks apart from ``run``) and ``timelapse`` (kept frames, held to the end)."""
    w = settings.size
    h = max(1, round(settings.size * min(aspect, 1 / aspect)))
    px = w * h
    acts_px = _PER_PIXEL_VGG16["bf16" if bf16 else "fp32"] * _activations_per_pixel(arch) / _activations_per_pixel(
        "vgg16")
    plan = plan_scales(settings)
    per_px = acts_px + _ROLLBACK_PER_PIXEL
    if settings.optimizer == "lbfgs":
        per_px += 2 * 3 * 4 * min(settings.lbfgs_history, plan[-1][1])
    else:
        per_px += 3 * 3 * 4  # Adam's two moments and the gradient
    guide = 0.0
    anchor = look_anchor(plan) if settings.keep_look and settings.look_weight > 0 else None
    if anchor is not None:  # the look guide runs the backbone at the anchor's size too
        guide = acts_px * px * (plan[anchor][0] / settings.size) ** 2
    side = max(16, round(settings.size * settings.style_scale))
    style_px = [side * max(1, round(side * min(a, 1 / a))) for a in (style_aspects or [1.0])]
    styles = max(style_px) * _STYLE_PER_PIXEL + sum(style_px) * 24  # one forward at a time; all their pixels held
    kept = 0
    if settings.timelapse_frames > 0:
        kept = settings.timelapse_frames + 1 if settings.preview_every_s > 0 else 1
    tw = settings.timelapse_side
    timelapse = kept * tw * max(1, round(tw * min(aspect, 1 / aspect))) * 3
    return {"fixed": _FIXED_BYTES, "run": px * per_px + guide, "styles": styles, "timelapse": float(timelapse)}


def estimate_memory_bytes(settings: StyleSettings, aspect: float = 1.0, arch: str = "vgg19",
                          bf16: bool = False, style_aspects: list[float] | None = None) -> int:
    """The peak memory a run adds to the process, at its finest scale (the coarser ones need less).

    Activations kept for backward scale with the backbone's depth; L-BFGS adds two float32 image-sized vectors per
    stored pair, and it stores one per evaluation at that scale up to ``lbfgs_history``, so a 2048 px pass of 26
    evaluations holds half the history a long one does. The paintings' forward at ``style_scale`` peaks on its own
    (a style scale of 10 can outgrow the optimisation); kept timelapse frames stay to the end. Ten percent above
    what the bench measured."""
    p = memory_parts(settings, aspect, arch, bf16, style_aspects)
    return int(_SAFETY * (p["fixed"] + max(p["run"], p["styles"]) + p["timelapse"]))


def _largest_fitting(settings: StyleSettings, field_name: str, lo, hi, fits, integer: bool = True):
    """The largest value of one setting in [lo, hi] for which ``fits(settings with it)`` holds (None if not even lo)."""
    probe = StyleSettings(**settings.to_dict())
    setattr(probe, field_name, lo)
    if not fits(probe):
        return None
    if integer:
        while lo < hi:
            mid = (lo + hi + 1) // 2
            setattr(probe, field_name, mid)
            lo, hi = (mid, hi) if fits(probe) else (lo, mid - 1)
        return lo
    for _ in range(40):
        mid = (lo + hi) / 2
        setattr(probe, field_name, mid)
        lo, hi = (mid, hi) if fits(probe) else (lo, mid)
    return math.floor(lo * 100) / 100


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
                        bf16: bool = False, style_aspects: list[float] | None = None) -> int:
    lo, hi = 16, max(16, settings.size)
    probe = StyleSettings(**{**settings.to_dict(), "size": hi})
    while lo < hi:
        mid = (lo + hi + 1) // 2
        probe.size = mid
        if estimate_memory_bytes(probe, aspect, arch, bf16, style_aspects) <= available:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _gb(n: float) -> str:
    return f"{n / 1e9:.1f} GB"
