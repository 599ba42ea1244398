"""The latents a latent walk produces; its description (Timeline, Keyframe, …) lives in timeline.py.

Keyframes given by seed resolve to latents through a seeded ``torch.Generator`` (CPU), which gives the
same numbers on every machine; a recipe also stores the resolved latents, so it survives even a change
of that generator.
"""

from __future__ import annotations

import math

import torch

from studio.engine.latent.easing import EASINGS, ease  # noqa: F401 - re-exported
from studio.engine.latent.interp import lerp, slerp
from studio.engine.latent.timeline import (  # noqa: F401 - re-exported: the torch-free description lives there
    EASING_NAMES,
    INTERPOLATIONS,
    TIMELINE_FORMAT,
    Keyframe,
    Segment,
    Timeline,
    TimelineError,
    Wander,
    seconds_to_frames,
)


def seed_latent(seed: int, dim: int) -> torch.Tensor:
    """The latent of a seed: N(0, I) from a CPU generator seeded with ``seed`` (stable across machines)."""
    g = torch.Generator(device="cpu").manual_seed(int(seed) % (2**63))
    return torch.randn(int(dim), generator=g, dtype=torch.float32)


def seed_latents(seeds, dim: int) -> torch.Tensor:
    return torch.stack([seed_latent(s, dim) for s in seeds]) if len(seeds) else torch.zeros(0, dim)


def truncate(z: torch.Tensor, psi: float) -> torch.Tensor:
    """Pull latents toward the mean (0) by ``psi``: 1 = off, smaller = safer, less varied pictures.

    The first coordinate is left alone: a generator trained on kinds of pictures reads the kind from it
    (``clusters.ClusterGenerator``), and pulling it in would draw only the middle kinds — a calmer grid must still
    show every kind as often as the folder holds it. For any other generator it is one of ~100 coordinates."""
    if psi == 1.0:
        return z
    out = z * float(psi)
    if z.shape[-1] > 1:
        out[..., 0] = z[..., 0]
    return out


def _segment_latents(a: torch.Tensor, b: torch.Tensor, seg: Segment, ts: torch.Tensor) -> torch.Tensor:
    w = ease(seg.easing, ts)
    return (slerp if seg.interp == "slerp" else lerp)(a, b, w)


def frame_latents(timeline: Timeline, latent_dim: int | None = None, include_end: bool = False,
                  frames: range | None = None) -> torch.Tensor:
    """The latent of every frame, shape (F, D), truncation applied.

    A looping timeline's last segment returns to keyframe 0 and stops one frame short of it, so playing
    the frames on repeat shows neither a jump nor a doubled frame at the seam. ``include_end`` adds that
    would-be next frame (for a loop it equals frame 0; used to check the seam). ``frames`` picks a range
    of frame indices, so an editor can re-render just what an edit changed.
    """
    timeline.validate()
    dim = timeline.infer_dim(latent_dim)
    keys = [k.vector(dim) for k in timeline.keyframes]
    total = timeline.frame_count
    closed = timeline.loop or timeline.wander is not None
    wanted = range(total + (1 if include_end and closed else 0)) if frames is None else frames
    if len(wanted) == 0:
        return torch.zeros(0, dim)
    if timeline.wander is not None:
        w = timeline.wander
        path = noise_loop(keys[w.keyframe], w.radius, w.frames, w.seed)
        idx = torch.as_tensor(list(wanted), dtype=torch.long) % w.frames  # frame F is frame 0 again
        return truncate(path[idx], timeline.truncation)
    if not timeline.segments:
        out = keys[0].reshape(1, -1).repeat(len(wanted), 1)
        return truncate(out, timeline.truncation)
    starts = timeline.segment_starts()
    idx = torch.as_tensor(list(wanted), dtype=torch.long)
    out = torch.empty(len(idx), dim)
    # Segment i covers global frames [starts[i], starts[i] + frames); the last one also takes the end frame.
    for i, seg in enumerate(timeline.segments):
        lo, hi = starts[i], starts[i] + seg.frames
        last = i == len(timeline.segments) - 1
        mask = (idx >= lo) & ((idx < hi) | (last & (idx >= hi)))
        if not bool(mask.any()):
            continue
        ts = (idx[mask].double() - lo) / seg.frames
        b = keys[(i + 1) % len(keys)]
        out[mask] = _segment_latents(keys[i], b, seg, ts.clamp(max=1.0)).float()
    return truncate(out, timeline.truncation)


def noise_loop(center: torch.Tensor, radius: float, frames: int, seed: int = 0, harmonics: int = 3) -> torch.Tensor:
    """A smooth closed random walk around ``center``: shape (frames, D), periodic by construction.

    The offset is a sum of a few sine/cosine harmonics of one turn, each along its own random orthonormal
    directions, so frame ``frames`` would equal frame 0 exactly and the motion has no corners. ``radius``
    is in units of a typical latent's length (√D): 0.3 wanders about 30 % of the way to another sample.
    """
    if frames < 1:
        raise TimelineError("A noise loop needs at least 1 frame")
    center = center.float().reshape(-1)
    dim = center.numel()
    k = min(2 * harmonics, dim)
    g = torch.Generator(device="cpu").manual_seed(int(seed) % (2**63))
    basis, _ = torch.linalg.qr(torch.randn(dim, k, generator=g, dtype=torch.float64))  # orthonormal columns
    amps = torch.rand(k, generator=g, dtype=torch.float64) * 0.5 + 0.5
    phases = torch.rand(k, generator=g, dtype=torch.float64) * 2 * math.pi
    theta = torch.arange(frames, dtype=torch.float64) * (2 * math.pi / frames)
    coeffs = torch.empty(frames, k, dtype=torch.float64)
    for j in range(k):
        h = j // 2 + 1  # harmonic number: 1, 1, 2, 2, 3, 3 …
        wave = torch.cos if j % 2 == 0 else torch.sin
        coeffs[:, j] = amps[j] / h * wave(h * theta + phases[j])
    offsets = coeffs @ basis.T  # (frames, D)
    rms = float(offsets.pow(2).sum(1).mean().sqrt()) or 1.0
    offsets *= radius * math.sqrt(dim) / rms
    return (center.double() + offsets).float()


def variations(center: torch.Tensor, count: int, strength: float = 0.3, seed: int = 0) -> torch.Tensor:
    """``count`` nearby latents around ``center`` to pick a better one from (shape (count, D)).

    Mixed as cos·center + sin·noise so that for a Gaussian center the variations stay Gaussian (same
    typical length) instead of drifting outward as plain additive noise would.
    """
    center = center.float().reshape(-1)
    g = torch.Generator(device="cpu").manual_seed(int(seed) % (2**63))
    noise = torch.randn(count, center.numel(), generator=g)
    angle = float(strength) * math.pi / 2
    return math.cos(angle) * center.reshape(1, -1) + math.sin(angle) * noise
