"""The Explore preview's bookkeeping: a timeline from keyframe entries and back, and the segment cache.

The preview renders a walk as pieces: one per segment, keyed by everything its frames depend on (its two
keyframes' latents, frames/easing/interp, truncation), so an edit re-renders only the segments it touched
and undoing an edit or toggling back is instant. Nothing here needs a widget.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import asdict

import numpy as np

from studio.engine.latent.favourites import entry_key

SEGMENT_CACHE_BYTES = 384 * 2**20

__all__ = ["SEGMENT_CACHE_BYTES", "SegmentCache", "entries_from_timeline", "segment_plan", "timeline_from_entries",
           "timeline_key"]


def timeline_from_entries(entries: list[dict], loop: bool, fps: float, truncation: float, latent_dim: int):
    """The Timeline that keyframe entries describe, or None without keyframes."""
    if not entries:
        return None
    from studio.engine.latent.keyframes import Keyframe, Segment, Timeline, Wander

    loop = bool(loop) and len(entries) > 1
    n = len(entries) if loop else len(entries) - 1
    keys = [Keyframe(seed=None if d.get("seed") is None else int(d["seed"]),
                     latent=[float(x) for x in d["latent"]] if d.get("latent") else None,
                     label=str(d.get("label", ""))) for d in entries]
    segs = [Segment(int(d.get("frames", 24)), str(d.get("easing", "linear")), str(d.get("interp", "slerp")),
                    None if d.get("seconds") is None else float(d["seconds"])) for d in entries[:n]]
    wander = None
    for i, d in enumerate(entries):
        w = d.get("wander")
        if w:
            wander = Wander(i, float(w["radius"]), int(w["frames"]), int(w["seed"]))
            break
    return Timeline(keys, segs, loop, float(fps), truncation, latent_dim, wander)


def entries_from_timeline(timeline, latent_dim: int) -> list[dict]:
    """Keyframe entries for a saved timeline (a recipe). The latent is kept only where the seed does not give it
    back (variations, edited latents)."""
    import torch

    from studio.engine.latent.keyframes import Segment, seed_latent

    entries = []
    for i, k in enumerate(timeline.keyframes):
        d: dict = {"seed": k.seed, "label": k.label or (f"seed {k.seed}" if k.seed is not None
                                                        else f"keyframe {i + 1}")}
        if k.latent is not None and (k.seed is None or not torch.equal(
                torch.tensor(k.latent, dtype=torch.float32), seed_latent(k.seed, latent_dim))):
            d["latent"] = [float(x) for x in k.latent]
        seg = timeline.segments[i] if i < len(timeline.segments) else Segment()
        d.update(frames=seg.frames, easing=seg.easing, interp=seg.interp)
        if seg.seconds is not None:
            d["seconds"] = float(seg.seconds)
        w = timeline.wander
        if w is not None and w.keyframe == i:
            d["wander"] = {"radius": float(w.radius), "frames": int(w.frames), "seed": int(w.seed)}
        entries.append(d)
    return entries


def timeline_key(timeline) -> str | None:
    """What the frames of a timeline depend on (not its playback speed), as a comparable string."""
    if timeline is None:
        return None
    data = timeline.to_dict()
    data.pop("fps")
    return json.dumps(data, sort_keys=True)


def segment_plan(tl) -> list[tuple[str, range]]:
    """The walk as cacheable pieces: (key, frame range) per segment."""
    ids = [entry_key({"seed": k.seed, "latent": k.latent}) for k in tl.keyframes]
    if tl.wander is not None:
        w = tl.wander
        return [(json.dumps(["wander", ids[w.keyframe], w.radius, w.frames, w.seed, tl.truncation]),
                 range(0, w.frames))]
    if not tl.segments:
        return [(json.dumps(["still", ids[0], tl.truncation]), range(0, 1))]
    plan = []
    starts = tl.segment_starts()
    last = len(tl.segments) - 1
    for i, seg in enumerate(tl.segments):
        extra = 1 if i == last and not tl.loop else 0  # an open walk ends on its last keyframe
        seg_shape = {k: v for k, v in asdict(seg).items() if k != "seconds"}  # the unit does not change frames
        key = json.dumps([ids[i], ids[(i + 1) % len(ids)], seg_shape, tl.truncation, extra])
        plan.append((key, range(starts[i], starts[i] + seg.frames + extra)))
    return plan


class SegmentCache:
    """Rendered segments, newest use last, within a byte budget (the newest one is always kept)."""

    def __init__(self, budget_bytes: int = SEGMENT_CACHE_BYTES) -> None:
        self.budget_bytes = budget_bytes
        self._frames: OrderedDict[str, np.ndarray] = OrderedDict()

    def __contains__(self, key: str) -> bool:
        return key in self._frames

    def __len__(self) -> int:
        return len(self._frames)

    def clear(self) -> None:
        self._frames.clear()

    def store(self, key: str, frames: np.ndarray) -> None:
        self._frames[key] = frames
        self._frames.move_to_end(key)
        total = sum(f.nbytes for f in self._frames.values())
        while total > self.budget_bytes and len(self._frames) > 1:
            _k, old = self._frames.popitem(last=False)
            total -= old.nbytes

    def missing(self, plan: list[tuple[str, range]]) -> OrderedDict[str, range]:
        out: OrderedDict[str, range] = OrderedDict()
        for k, r in plan:
            if k not in self._frames:
                out.setdefault(k, r)
        return out

    def assemble(self, plan: list[tuple[str, range]]) -> np.ndarray | None:
        """The whole walk from cached pieces, or None when one is missing."""
        if any(k not in self._frames for k, _r in plan):
            return None
        for k, _r in plan:
            self._frames.move_to_end(k)
        return np.concatenate([self._frames[k] for k, _r in plan])
