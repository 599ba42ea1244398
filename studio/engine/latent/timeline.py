"""The description of a latent walk: keyframes, segments, timelines and their JSON format, without torch.

A timeline is plain data (JSON round trip, validated on load) so it can be saved beside an export as its
recipe, undone/redone by the GUI, re-rendered on another machine, and checked by the CLI before torch
loads. keyframes.py turns it into latents (torch) and re-exports everything here; easing.py implements
the curves named in ``EASING_NAMES``. Keep this module free of torch, numpy and Qt
(tests/test_torch_free.py checks).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

from studio.engine.errors import StudioError

__all__ = [
    "EASING_NAMES", "INTERPOLATIONS", "Keyframe", "Segment", "TIMELINE_FORMAT", "Timeline", "TimelineError",
    "Wander", "seconds_to_frames",
]

# How time inside a segment maps to progress along it; easing.py holds one curve per name, in this order.
EASING_NAMES = ("linear", "ease-in-out", "ease-in", "ease-out", "smoothstep", "hold")
INTERPOLATIONS = ("slerp", "lerp")
TIMELINE_FORMAT = "gan-art-studio/timeline"


class TimelineError(StudioError, ValueError):
    """A timeline that cannot be rendered, with the reason in plain words."""


@dataclass
class Keyframe:
    seed: int | None = None
    latent: list[float] | None = None  # wins over the seed when both are present
    label: str = ""

    def vector(self, dim: int):
        """This keyframe's latent as a float32 tensor of size ``dim`` (loads torch)."""
        if self.latent is not None:
            if len(self.latent) != dim:
                raise TimelineError(f"Keyframe {self.label or ''} has a latent of size {len(self.latent)}, "
                                    f"but this generator expects {dim}".replace("  ", " "))
            import torch  # only when a latent is needed: the description itself stays torch-free

            return torch.tensor(self.latent, dtype=torch.float32)
        if self.seed is None:
            raise TimelineError("A keyframe needs a seed or a latent")
        from studio.engine.latent.keyframes import seed_latent

        return seed_latent(self.seed, dim)

    def resolved(self, dim: int) -> Keyframe:
        """A copy that carries its latent explicitly (what a recipe stores)."""
        return Keyframe(self.seed, [float(x) for x in self.vector(dim).tolist()], self.label)


@dataclass
class Segment:
    """The move from one keyframe to the next: ``frames`` frames, starting on the first keyframe."""

    frames: int = 24
    easing: str = "linear"
    interp: str = "slerp"
    seconds: float | None = None  # set: the artist timed it in seconds; ``frames`` follows the frame rate


def seconds_to_frames(seconds: float, fps: float) -> int:
    """A duration in seconds as whole frames at ``fps`` (rounded, at least 1)."""
    return max(1, round(float(seconds) * float(fps)))


@dataclass
class Wander:
    """A seamless random-walk loop around one keyframe (instead of the keyframe-to-keyframe walk).

    ``radius`` is in units of a typical latent's length (see ``noise_loop``); ``seed`` picks the path.
    """

    keyframe: int = 0
    radius: float = 0.3
    frames: int = 48
    seed: int = 0


@dataclass
class Timeline:
    keyframes: list[Keyframe] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)  # len(keyframes) if loop else len(keyframes) - 1
    loop: bool = False
    fps: float = 24.0
    truncation: float = 1.0
    latent_dim: int | None = None  # None: taken from explicit latents or from the generator
    wander: Wander | None = None  # set: the animation wanders around one keyframe and loops by itself

    @classmethod
    def from_seeds(cls, seeds, frames: int = 24, easing: str = "linear", interp: str = "slerp",
                   loop: bool = False, fps: float = 24.0, truncation: float = 1.0,
                   latent_dim: int | None = None) -> Timeline:
        keys = [Keyframe(seed=int(s), label=f"seed {s}") for s in seeds]
        n = len(keys) if loop else max(0, len(keys) - 1)
        tl = cls(keys, [Segment(frames, easing, interp) for _ in range(n)], loop, fps, truncation, latent_dim)
        tl.validate()
        return tl

    # ---------------------------------------------------------------- shape
    @property
    def segment_count(self) -> int:
        return len(self.keyframes) if self.loop else max(0, len(self.keyframes) - 1)

    @property
    def frame_count(self) -> int:
        """Frames rendered: a loop has no closing frame (the next one would be frame 0 again)."""
        if self.wander is not None:
            return self.wander.frames
        total = sum(s.frames for s in self.segments)
        return total if self.loop and total > 0 else total + 1

    @property
    def duration_s(self) -> float:
        return self.frame_count / self.fps

    def segment_starts(self) -> list[int]:
        """Index of the first frame of each segment (the frame showing its start keyframe)."""
        out, pos = [], 0
        for s in self.segments:
            out.append(pos)
            pos += s.frames
        return out

    def validate(self) -> None:
        problems = []
        if not self.keyframes:
            problems.append("add at least one keyframe")
        if len(self.segments) != self.segment_count:
            problems.append(f"{len(self.keyframes)} keyframes need {self.segment_count} segments "
                            f"({'looping' if self.loop else 'not looping'}), not {len(self.segments)}")
        for i, s in enumerate(self.segments):
            if not isinstance(s.frames, int) or s.frames < 1:
                problems.append(f"segment {i + 1} needs at least 1 frame")
            if s.easing not in EASING_NAMES:
                problems.append(f"segment {i + 1}: unknown easing {s.easing!r}")
            if s.seconds is not None and not (isinstance(s.seconds, (int, float)) and 0 < s.seconds <= 3600):
                problems.append(f"segment {i + 1}: a duration in seconds must be above 0")
            if s.interp not in INTERPOLATIONS:
                problems.append(f"segment {i + 1}: interpolation must be slerp or lerp")
        for i, k in enumerate(self.keyframes):
            if k.seed is None and k.latent is None:
                problems.append(f"keyframe {i + 1} needs a seed or a latent")
        if not (isinstance(self.fps, (int, float)) and 0 < self.fps <= 240):
            problems.append("frame rate must be between 0 and 240")
        if not (isinstance(self.truncation, (int, float)) and 0 <= self.truncation <= 2):
            problems.append("truncation must be between 0 and 2")
        if self.latent_dim is not None and (not isinstance(self.latent_dim, int) or self.latent_dim < 1):
            problems.append("latent size must be a positive integer")
        w = self.wander
        if w is not None:
            if not (isinstance(w.keyframe, int) and 0 <= w.keyframe < len(self.keyframes)):
                problems.append("the wander loop must circle one of the keyframes")
            if not (isinstance(w.frames, int) and w.frames >= 2):
                problems.append("a wander loop needs at least 2 frames")
            if not (isinstance(w.radius, (int, float)) and 0 <= w.radius <= 2):
                problems.append("the wander radius must be between 0 and 2")
        if problems:
            raise TimelineError("Invalid timeline: " + "; ".join(problems))

    # ---------------------------------------------------------------- JSON
    def to_dict(self) -> dict:
        data = {
            "format": TIMELINE_FORMAT, "version": 1,
            "keyframes": [asdict(k) for k in self.keyframes],
            "segments": [{k: v for k, v in asdict(s).items() if k != "seconds" or v is not None}
                         for s in self.segments],
            "loop": self.loop, "fps": self.fps, "truncation": self.truncation, "latent_dim": self.latent_dim,
        }
        if self.wander is not None:
            data["wander"] = asdict(self.wander)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Timeline:
        if not isinstance(data, dict) or data.get("format", TIMELINE_FORMAT) != TIMELINE_FORMAT:
            raise TimelineError("This is not a GAN Art Studio timeline")
        try:
            keys = []
            for k in data["keyframes"]:
                seed = k.get("seed")
                latent = k.get("latent")
                if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
                    raise TypeError("seed must be an integer")
                if latent is not None:
                    if not isinstance(latent, list) or not all(isinstance(x, (int, float)) and math.isfinite(x)
                                                               for x in latent):
                        raise TypeError("a latent must be a list of finite numbers")
                    latent = [float(x) for x in latent]
                keys.append(Keyframe(seed, latent, str(k.get("label", ""))))
            segs = [Segment(int(s["frames"]), str(s.get("easing", "linear")), str(s.get("interp", "slerp")),
                            None if s.get("seconds") is None else float(s["seconds"]))
                    for s in data["segments"]]
            dim = data.get("latent_dim")
            w = data.get("wander")
            wander = None if w is None else Wander(int(w.get("keyframe", 0)), float(w.get("radius", 0.3)),
                                                   int(w.get("frames", 48)), int(w.get("seed", 0)))
            tl = cls(keys, segs, bool(data.get("loop", False)), float(data.get("fps", 24.0)),
                     float(data.get("truncation", 1.0)), None if dim is None else int(dim), wander)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise TimelineError(f"The timeline is damaged or incomplete ({exc})") from exc
        tl.validate()
        return tl

    def resolved(self, dim: int) -> Timeline:
        """A copy whose keyframes all carry explicit latents (seeds kept for the artist's reference)."""
        return Timeline([k.resolved(dim) for k in self.keyframes], [Segment(**asdict(s)) for s in self.segments],
                        self.loop, self.fps, self.truncation, dim,
                        None if self.wander is None else Wander(**asdict(self.wander)))

    def with_fps(self, fps: float) -> Timeline:
        """A copy at another frame rate: segments timed in seconds keep their duration (frames recomputed)."""
        segs = [Segment(seconds_to_frames(s.seconds, fps) if s.seconds is not None else s.frames, s.easing,
                        s.interp, s.seconds) for s in self.segments]
        return Timeline(list(self.keyframes), segs, self.loop, float(fps), self.truncation, self.latent_dim,
                        self.wander)

    def infer_dim(self, latent_dim: int | None = None) -> int:
        dim = latent_dim or self.latent_dim
        if dim is None:
            dim = next((len(k.latent) for k in self.keyframes if k.latent is not None), None)
        if dim is None:
            raise TimelineError("The latent size is unknown: open a generator first")
        return int(dim)
