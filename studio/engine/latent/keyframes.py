"""Keyframes, segments and timelines: the description of a latent walk, and the latents it produces.

A timeline is plain data (JSON round trip, validated on load) so it can be saved beside an export as its
recipe, undone/redone by the GUI, and re-rendered on another machine. Keyframes given by seed resolve to
latents through a seeded ``torch.Generator`` (CPU), which gives the same numbers on every machine; a
recipe also stores the resolved latents, so it survives even a change of that generator.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import torch

from studio.engine.errors import StudioError
from studio.engine.latent.easing import EASINGS, ease
from studio.engine.latent.interp import lerp, slerp

INTERPOLATIONS = ("slerp", "lerp")
TIMELINE_FORMAT = "gan-art-studio/timeline"


class TimelineError(StudioError, ValueError):
    """A timeline that cannot be rendered, with the reason in plain words."""


def seed_latent(seed: int, dim: int) -> torch.Tensor:
    """The latent of a seed: N(0, I) from a CPU generator seeded with ``seed`` (stable across machines)."""
    g = torch.Generator(device="cpu").manual_seed(int(seed) % (2**63))
    return torch.randn(int(dim), generator=g, dtype=torch.float32)


def seed_latents(seeds, dim: int) -> torch.Tensor:
    return torch.stack([seed_latent(s, dim) for s in seeds]) if len(seeds) else torch.zeros(0, dim)


def truncate(z: torch.Tensor, psi: float) -> torch.Tensor:
    """Pull latents toward the mean (0) by ``psi``: 1 = off, smaller = safer, less varied pictures."""
    return z if psi == 1.0 else z * float(psi)


@dataclass
class Keyframe:
    seed: int | None = None
    latent: list[float] | None = None  # wins over the seed when both are present
    label: str = ""

    def vector(self, dim: int) -> torch.Tensor:
        if self.latent is not None:
            if len(self.latent) != dim:
                raise TimelineError(f"Keyframe {self.label or ''} has a latent of size {len(self.latent)}, "
                                    f"but this generator expects {dim}".replace("  ", " "))
            return torch.tensor(self.latent, dtype=torch.float32)
        if self.seed is None:
            raise TimelineError("A keyframe needs a seed or a latent")
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
            if s.easing not in EASINGS:
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
