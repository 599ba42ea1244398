"""Latent walks: keyframes, interpolation, easing, loops, and rendering frames from a generator.

Pure torch + numpy: the Explore page, the CLI (``python -m studio walk``) and the tests share it.
"""

from studio.engine.latent.easing import EASINGS, ease
from studio.engine.latent.interp import lerp, slerp
from studio.engine.latent.keyframes import (
    Keyframe,
    Segment,
    Timeline,
    TimelineError,
    Wander,
    frame_latents,
    noise_loop,
    seconds_to_frames,
    seed_latent,
    truncate,
    variations,
)

__all__ = [
    "EASINGS", "Keyframe", "Segment", "Timeline", "TimelineError", "ease", "frame_latents", "lerp",
    "noise_loop", "seconds_to_frames", "seed_latent", "slerp", "truncate", "variations", "Wander",
]
