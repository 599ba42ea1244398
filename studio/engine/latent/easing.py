"""Easing curves: how time inside one segment maps to progress along it.

Every curve maps [0, 1] onto [0, 1] monotonically with f(0) = 0; all but ``hold`` reach 1 at t = 1. A
segment samples t = k / frames for k = 0 … frames-1, so t = 1 is the next segment's first frame.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from studio.engine.latent.timeline import EASING_NAMES


def linear(t: torch.Tensor) -> torch.Tensor:
    return t


def ease_in_out(t: torch.Tensor) -> torch.Tensor:
    """Cosine ease: starts and ends at zero speed, so a keyframe is a gentle turning point."""
    return (1.0 - torch.cos(math.pi * t)) / 2.0


def ease_in(t: torch.Tensor) -> torch.Tensor:
    return 1.0 - torch.cos(math.pi / 2 * t)


def ease_out(t: torch.Tensor) -> torch.Tensor:
    return torch.sin(math.pi / 2 * t)


def smoothstep(t: torch.Tensor) -> torch.Tensor:
    return t * t * (3.0 - 2.0 * t)


def hold(t: torch.Tensor) -> torch.Tensor:
    """Stay on the segment's first keyframe for the whole segment, then cut to the next."""
    return torch.where(t >= 1.0, torch.ones_like(t), torch.zeros_like(t))


# The names are defined torch-free in timeline.py (the CLI parser and validation need them without torch).
EASINGS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = dict(
    zip(EASING_NAMES, (linear, ease_in_out, ease_in, ease_out, smoothstep, hold), strict=True))


def ease(name: str, t) -> torch.Tensor:
    """Apply the easing called ``name`` to ``t`` (number or tensor), clamped to [0, 1]."""
    try:
        fn = EASINGS[name]
    except KeyError:
        raise ValueError(f"Unknown easing {name!r}; choose one of {', '.join(EASINGS)}") from None
    tt = torch.as_tensor(t, dtype=torch.float64).clamp(0.0, 1.0)
    return fn(tt)
