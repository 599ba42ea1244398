"""Latent walks: keyframes, interpolation, easing, loops, and rendering frames from a generator.

Pure torch + numpy: the Explore page, the CLI (``python -m studio walk``) and the tests share it. The
names below load on first use, so ``studio.engine.latent.timeline`` (torch-free) can be imported without
pulling torch in through this package.
"""

from __future__ import annotations

import importlib

_HOMES = {
    "EASINGS": "easing", "ease": "easing", "lerp": "interp", "slerp": "interp",
    "Keyframe": "timeline", "Segment": "timeline", "Timeline": "timeline", "TimelineError": "timeline",
    "Wander": "timeline", "seconds_to_frames": "timeline",
    "frame_latents": "keyframes", "noise_loop": "keyframes", "seed_latent": "keyframes", "truncate": "keyframes",
    "variations": "keyframes",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str):
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
