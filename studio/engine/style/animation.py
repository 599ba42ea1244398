"""Stylize an animation frame by frame without flicker: a GIF, a video clip or a folder of frames, painted in the
style of one or more paintings (Ruder, Dosovitskiy & Brox, "Artistic style transfer for videos", 2016).

The first frame is painted like a still (the still's coarse-to-fine schedule and defaults). Every later frame starts
from the previous *result* carried along the optical flow between the two *content* frames, and a temporal loss
holds it to that carried picture wherever the flow is reliable (forward and backward flow agree, and no motion
boundary runs through the pixel). So the brushwork moves with the picture instead of being re-invented every frame,
and each later frame needs far fewer evaluations than a still.

Optical flow is OpenCV's DIS (``opencv-python-headless``), not ours. Frames stream: the source is read one frame at
a time, every painted frame goes to ``<output>.frames/`` as a PNG as soon as it is done, and the GIF/MP4 is encoded
from that folder at the end, so memory does not grow with the clip's length. The folder is the job's state: a stop
keeps every finished frame, and the same command resumes after the last one (``state.json`` says which recipe the
frames belong to; frames of a different recipe are never mixed in).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from studio.engine.jobs import Cancelled, JobContext, Preview
from studio.engine.style.settings import StyleError, StyleSettings

VIDEO_SUFFIXES = (".mp4", ".webm", ".mov", ".mkv", ".avi", ".m4v")
FRAME_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp")
OUTPUT_SUFFIXES = (".gif", ".mp4")  # anything else is a folder of PNG frames
MAX_FRAMES = 100_000
PHOTO_TOLERANCE = 0.08  # content colours that still "agree" after the flow (mean |difference|, colours in [0, 1])
NEW_SHOT = 0.15  # below this share of pixels whose carried content still matches, a frame is a new shot (a cut)
STATE = "state.json"


# ------------------------------------------------------------------------------------------- frame sources

class FrameSource:
    """An animation read one frame at a time: ``len()``, ``fps``, ``size`` (w, h) and ``frames()``."""

    def __init__(self, path: str | Path, fps: float | None = None) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise StyleError(f"{self.path} does not exist")
        self._files: list[Path] = []
        if self.path.is_dir():
            self._files = sorted(p for p in self.path.iterdir() if p.suffix.lower() in FRAME_SUFFIXES)
            if not self._files:
                raise StyleError(f"{self.path} holds no frames (PNG, JPEG or WebP pictures)")
            with Image.open(self._files[0]) as im:
                self.size = im.size
            self.count, self.fps = len(self._files), float(fps or 12.0)
        elif self.path.suffix.lower() in VIDEO_SUFFIXES:
            import imageio_ffmpeg

            reader = imageio_ffmpeg.read_frames(str(self.path))
            try:
                meta = next(reader)
            except (OSError, RuntimeError, StopIteration) as exc:
                raise StyleError(f"{self.path.name} could not be read as a video: {exc}") from exc
            finally:
                reader.close()
            self.size = tuple(int(v) for v in meta["size"])
            self.fps = float(fps or meta.get("fps") or 24.0)
            self.count = imageio_ffmpeg.count_frames_and_secs(str(self.path))[0]
        else:
            try:
                with Image.open(self.path) as im:
                    self.size = im.size
                    self.count = int(getattr(im, "n_frames", 1))
                    delays = []
                    for i in range(min(self.count, 50)):
                        im.seek(i)
                        delays.append(int(im.info.get("duration", 100) or 100))
            except OSError as exc:
                raise StyleError(f"{self.path.name} is not a picture or animation the studio can read") from exc
            self.fps = float(fps or 1000.0 / float(np.median(delays)))
        if not (0 < self.count <= MAX_FRAMES) or min(self.size) < 1:
            raise StyleError(f"{self.path.name}: {self.count} frames of {self.size}: not an animation to paint")

    def __len__(self) -> int:
        return self.count

    def frames(self) -> Iterator[np.ndarray]:
        """Every frame as uint8 H×W×3, in order, one at a time."""
        if self._files:
            for p in self._files:
                with Image.open(p) as im:
                    yield np.asarray(im.convert("RGB").resize(self.size))
        elif self.path.suffix.lower() in VIDEO_SUFFIXES:
            import imageio_ffmpeg

            reader = imageio_ffmpeg.read_frames(str(self.path), pix_fmt="rgb24")
            try:
                meta = next(reader)
                w, h = meta["size"]
                for raw in reader:
                    yield np.frombuffer(raw, np.uint8).reshape(h, w, 3)
            finally:
                reader.close()
        else:
            with Image.open(self.path) as im:
                for i in range(self.count):
                    im.seek(i)
                    yield np.asarray(im.convert("RGB"))


def is_animation(path: str | Path) -> bool:
    """A video, a folder of frames, or a picture file with more than one frame."""
    p = Path(path)
    if p.is_dir() or p.suffix.lower() in VIDEO_SUFFIXES:
        return True
    try:
        with Image.open(p) as im:
            return int(getattr(im, "n_frames", 1)) > 1
    except OSError:
        return False


class FrameFolder:
    """Numbered PNG frames on disk as a sequence of uint8 arrays (what the exporters take), loaded on demand."""

    def __init__(self, files: list[Path]) -> None:
        self.files = list(files)

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return FrameFolder(self.files[i])
        with Image.open(self.files[i]) as im:
            return np.asarray(im.convert("RGB"))

    def __iter__(self):
        for i in range(len(self.files)):
            yield self[i]


# ------------------------------------------------------------------------------------------- flow

def optical_flow(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Dense flow from frame ``a`` to frame ``b`` (uint8 or float RGB, same size): H×W×2 (dx, dy) with
    a(x) ≈ b(x + flow(x)). OpenCV's DIS, medium preset, on the grey levels."""
    import cv2

    def grey(img: np.ndarray) -> np.ndarray:
        u8 = img if img.dtype == np.uint8 else (np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8)
        return cv2.cvtColor(np.ascontiguousarray(u8[..., :3]), cv2.COLOR_RGB2GRAY)

    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    return dis.calc(grey(a), grey(b), None)


def warp(img: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """``img`` sampled at x + flow(x) (bilinear, borders repeated): carries a picture of frame b back onto frame a
    when ``flow`` is optical_flow(a, b)."""
    import cv2

    h, w = flow.shape[:2]
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    src = np.ascontiguousarray(img.astype(np.float32) if img.dtype != np.float32 else img)
    return cv2.remap(src, gx + flow[..., 0], gy + flow[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def came_from_inside(back: np.ndarray) -> np.ndarray:
    """Per pixel of the new frame (float32 0/1): whether the flow brings it from inside the previous frame."""
    h, w = back.shape[:2]
    gx, gy = np.meshgrid(np.arange(w), np.arange(h))
    sx, sy = gx + back[..., 0], gy + back[..., 1]
    return ((sx >= 0) & (sx <= w - 1) & (sy >= 0) & (sy <= h - 1)).astype(np.float32)


def agrees(new: np.ndarray, prev: np.ndarray, back: np.ndarray, tolerance: float = PHOTO_TOLERANCE) -> np.ndarray:
    """Per pixel of the new content frame (float32 0/1): whether the previous content frame, carried by the flow,
    shows the same colour there (mean |difference| over the channels ≤ ``tolerance``, colours in [0, 1]). Flow
    alone calls a flat area reliable even when the picture changed (a cut, a walk that jumps): this catches it."""
    a = new.astype(np.float32) / 255.0 if new.dtype == np.uint8 else new.astype(np.float32)
    b = prev.astype(np.float32) / 255.0 if prev.dtype == np.uint8 else prev.astype(np.float32)
    return (np.abs(a - warp(b, back)).mean(-1) <= tolerance).astype(np.float32)


def reliability(back: np.ndarray, fwd: np.ndarray) -> np.ndarray:
    """Where the carried picture can be trusted, per pixel of the new frame (float32 0/1), as in Ruder et al.:
    ``back`` = flow new → previous, ``fwd`` = flow previous → new. A pixel is unreliable where the two disagree
    (disocclusion), where a motion boundary runs through it, or where it came from outside the previous frame."""
    fwd_at = warp(fwd, back)  # the forward flow where each new pixel came from
    total = back + fwd_at
    consistent = (total ** 2).sum(-1) <= 0.01 * ((back ** 2).sum(-1) + (fwd_at ** 2).sum(-1)) + 0.5
    du_y, du_x = np.gradient(back[..., 0])
    dv_y, dv_x = np.gradient(back[..., 1])
    boundary = du_x ** 2 + du_y ** 2 + dv_x ** 2 + dv_y ** 2 > 0.01 * (back ** 2).sum(-1) + 0.002
    inside = came_from_inside(back) > 0
    return (consistent & ~boundary & inside).astype(np.float32)


def flicker(prev_out: np.ndarray, out: np.ndarray, prev_content: np.ndarray, content: np.ndarray) -> float:
    """How much a painted frame changes where the content only moved: mean |out − prev_out carried by the content's
    flow| over the reliable pixels, divided by the same for the content frames (1 = flickers as much as the content
    changes after motion compensation; lower is steadier). Arrays float in [0, 1] or uint8."""
    f = [a.astype(np.float32) / 255.0 if a.dtype == np.uint8 else a.astype(np.float32)
         for a in (prev_out, out, prev_content, content)]
    back, fwd = optical_flow(f[3], f[2]), optical_flow(f[2], f[3])
    mask = reliability(back, fwd)[..., None]
    if mask.sum() < 1:
        return float("nan")
    painted = float((np.abs(f[1] - warp(f[0], back)) * mask).sum())
    photo = float((np.abs(f[3] - warp(f[2], back)) * mask).sum())
    return painted / max(photo, 1e-6)


# ------------------------------------------------------------------------------------------- the job

@dataclass
class AnimationSettings:
    still: StyleSettings = field(default_factory=StyleSettings)  # the first frame's settings (and every frame's)
    # evaluations for every frame after the first, at the output size only (the still's default spends 168 of its
    # 200 there): the warm start does the rest
    follow_iterations: int = 50
    # weight of the temporal loss (mean over pixels of reliability × squared difference, colours in [0, 1])
    temporal_weight: float = 200.0
    start: int = 0  # first source frame (0-based)
    end: int | None = None  # one past the last source frame; None = to the end
    step: int = 1  # every n-th source frame
    fps: float | None = None  # None = the source's rate (divided by step)
    coherent: bool = True  # False: every frame painted like an independent still (for comparison)

    def validate(self, count: int) -> tuple[int, int, int]:
        """(start, end, step) within a source of ``count`` frames, or StyleError in words."""
        self.still.validate()
        if self.step < 1:
            raise StyleError("the frame step must be 1 or more")
        if self.follow_iterations < 1:
            raise StyleError("each frame needs at least one evaluation")
        if not (math.isfinite(self.temporal_weight) and self.temporal_weight >= 0):
            raise StyleError("the temporal weight must be a number ≥ 0")
        end = count if self.end is None else min(int(self.end), count)
        if not (0 <= self.start < end):
            raise StyleError(f"the clip has {count} frames: start {self.start + 1} and end {end} leave none")
        if self.fps is not None and not (0 < self.fps <= 240):
            raise StyleError("the frame rate must be between 0 and 240 frames per second")
        return self.start, end, self.step

    def to_dict(self) -> dict:
        d = asdict(self)
        d["still"] = self.still.to_dict()
        return d

    @classmethod
    def from_recipe(cls, recipe: dict) -> AnimationSettings | None:
        """The animation settings of a recipe this job wrote (None for a still's recipe)."""
        anim = recipe.get("animation")
        if not isinstance(anim, dict):
            return None
        known = {k: v for k, v in anim.items() if k in cls.__dataclass_fields__ and k != "still"}
        return cls(still=StyleSettings.from_dict(dict(recipe.get("settings") or {})), **known)


@dataclass
class AnimationResult:
    output: Path
    frames_dir: Path
    frames: int  # painted frames in the output
    total: int  # frames the animation has
    stopped: bool
    seconds: float
    recipe: dict


def frames_dir_for(output: str | Path) -> Path:
    out = Path(output)
    return out.with_name(out.name + ".frames") if out.suffix.lower() in OUTPUT_SUFFIXES else out


class AnimationStyleJob:
    """Paint every chosen frame of ``content`` (a GIF, video or folder) in the style of ``styles``; write PNG frames
    to ``<output>.frames/`` as they finish and the GIF/MP4 (or the folder itself) at the end. Resumes after the last
    finished frame of the same recipe."""

    def __init__(self, settings: AnimationSettings, content: str | Path, styles: list, output: str | Path,
                 style_blend: list[float] | None = None, style_masks: list | None = None, content_mask=None) -> None:
        self.settings = settings
        self.content = Path(content)
        self.styles = [Path(s) if isinstance(s, str | Path) else s for s in styles]
        self.output = Path(output)
        self.blend = style_blend
        self.style_masks, self.content_mask = style_masks, content_mask
        self.frames_dir = frames_dir_for(self.output)
        self._left = ""  # ", about … left" once two frames have been timed

    def recipe(self, source: FrameSource) -> dict:
        """An artwork recipe (the still's format, so Open recipe and the Gallery restore it on the Stylize page)
        with the animation's own block: which frames, how they follow each other, and the source they came from."""
        from studio.engine.recipes import ARTWORK_KIND

        anim = self.settings.to_dict()
        still = anim.pop("still")
        return {"kind": ARTWORK_KIND, "content": str(self.content), "styles": [str(s) for s in self.styles],
                "style_blend": list(self.blend) if self.blend else [1.0] * len(self.styles), "settings": still,
                "animation": {**anim, "source": {"frames": len(source), "fps": source.fps,
                                                 "size": list(source.size)}}}

    def _fingerprint(self, recipe: dict) -> str:
        """What the painted frames depend on (not the output format): a resume only continues the same work."""
        keep = {k: recipe[k] for k in ("content", "styles", "style_blend")}
        keep["animation"] = {k: v for k, v in recipe["animation"].items() if k != "fps"}
        still = dict(recipe["settings"])
        for k in ("preview_every_s", "timelapse_frames", "device", "keep_on_stop"):
            still.pop(k, None)
        keep["still"] = still
        return hashlib.sha256(json.dumps(keep, sort_keys=True, default=str).encode()).hexdigest()[:16]

    def _done(self, fingerprint: str, n: int) -> int:
        """Frames already painted for this recipe (0 for a fresh folder); refuses a folder of other work."""
        d = self.frames_dir
        if not d.exists():
            return 0
        state_p = d / STATE
        if not state_p.exists():
            if any(d.iterdir()):
                raise StyleError(f"{d} holds other files: choose another output, or empty that folder")
            return 0
        try:
            state = json.loads(state_p.read_text())
        except (OSError, ValueError) as exc:
            raise StyleError(f"{state_p} is unreadable ({exc}); remove the folder to start over") from exc
        if state.get("fingerprint") != fingerprint:
            raise StyleError(f"{d} holds frames of a different animation or settings; choose another output, or "
                             "remove that folder to start over")
        done = 0
        while done < n and (d / f"frame_{done + 1:05d}.png").exists():
            done += 1
        return min(done, int(state.get("done", done)))

    def frames_done(self) -> int:
        """How many frames of this work are already painted in the output's frames folder (0: none yet);
        StyleError when that folder holds other work. Cheap: reads the source's header only."""
        source = FrameSource(self.content, None)
        start, end, step = self.settings.validate(len(source))
        return self._done(self._fingerprint(self.recipe(source)), len(range(start, end, step)))

    def _write_state(self, fingerprint: str, done: int, n: int, recipe: dict) -> None:
        tmp = self.frames_dir / (STATE + ".tmp")
        tmp.write_text(json.dumps({"fingerprint": fingerprint, "done": done, "frames": n, "recipe": recipe},
                                  indent=1, default=str))
        os.replace(tmp, self.frames_dir / STATE)

    def run(self, ctx: JobContext) -> AnimationResult:
        from studio.engine.style.gatys import StyleTransferJob

        t0 = time.perf_counter()
        a = self.settings
        source = FrameSource(self.content, None)
        start, end, step = a.validate(len(source))
        chosen = range(start, end, step)
        n = len(chosen)
        recipe = self.recipe(source)
        fingerprint = self._fingerprint(recipe)
        done = self._done(fingerprint, n)
        self.frames_dir.mkdir(parents=True, exist_ok=True)
        self._write_state(fingerprint, done, n, recipe)
        if done:
            ctx.notice(f"Resuming: {done} of {n} frames were already painted", "info")
        ctx.progress(done, n, f"frame {done + 1} of {n}" if done < n else "encoding")
        prev_content: np.ndarray | None = None
        prev_out: np.ndarray | None = None
        stopped = False
        seconds: list[float] = []
        k = -1
        try:
            for src_i, frame in enumerate(source.frames()):
                if src_i >= end:
                    break
                if src_i not in chosen:
                    continue
                k += 1
                if k < done:
                    if k == done - 1:  # the last finished frame is where the next one starts from
                        prev_content = frame
                        prev_out = np.asarray(Image.open(self.frames_dir / f"frame_{k + 1:05d}.png").convert("RGB"))
                    continue
                ctx.check()
                f0 = time.perf_counter()
                still = StyleSettings(**{**a.still.to_dict(), "keep_on_stop": False, "timelapse_frames": 0})
                kwargs = {}
                if a.coherent and prev_out is not None and prev_content is not None:
                    size = (prev_out.shape[1], prev_out.shape[0])
                    here = np.asarray(Image.fromarray(frame).resize(size, Image.LANCZOS))
                    there = np.asarray(Image.fromarray(prev_content).resize(size, Image.LANCZOS))
                    back, fwd = optical_flow(here, there), optical_flow(there, here)
                    same = agrees(here, there, back)
                    trusted = reliability(back, fwd) * same
                    if same.mean() >= NEW_SHOT:  # a morph (a walk) keeps what still matches; a cut starts anew
                        carried = warp(prev_out.astype(np.float32) / 255.0, back)
                        # what enters the picture (the camera moved) or changed starts as a still would, not as
                        # the border's pixels smeared inwards or the previous picture's paint
                        kwargs = {"start": carried, "start_fill": came_from_inside(back) * same,
                                  "temporal": (carried, trusted, a.temporal_weight)}
                        still.scales, still.scale_iterations = [still.size], [a.follow_iterations]
                        still.iterations = a.follow_iterations
                    else:
                        ctx.notice(f"Frame {k + 1} is a new shot (too little of it follows from frame {k}): painted "
                                   "like a still", "info")
                sub = JobContext(lambda ev, k=k, frame=frame: self._forward(ctx, ev, k, n, frame), ctx.token)
                result = StyleTransferJob(still, frame, self.styles, self.blend, style_masks=self.style_masks,
                                          content_mask=self.content_mask, **kwargs).run(sub)
                path = self.frames_dir / f"frame_{k + 1:05d}.png"
                tmp = path.with_suffix(".tmp.png")
                Image.fromarray(result.image).save(tmp)
                os.replace(tmp, path)
                self._write_state(fingerprint, k + 1, n, recipe)
                prev_content, prev_out = frame, result.image
                seconds.append(time.perf_counter() - f0)
                if len(seconds) >= 2 and a.coherent:  # the first frame is a still; the rest cost alike
                    self._left = f", {_minutes(float(np.median(seconds[1:])) * (n - k - 1))} left"
                elif len(seconds) >= 1 and not a.coherent:
                    self._left = f", {_minutes(float(np.median(seconds)) * (n - k - 1))} left"
                ctx.progress(k + 1, n, f"frame {k + 1} of {n} painted{self._left}")
                ctx.emit(Preview(k + 1, side_by_side(frame, result.image), "animation"))
        except Cancelled:
            stopped = True
        painted = sorted(self.frames_dir.glob("frame_*.png"))[:n]
        painted = [p for p in painted if not p.name.endswith(".tmp.png")]
        fps = a.fps or source.fps / step
        recipe["result"] = {"frames": len(painted), "of": n, "stopped": stopped, "fps": fps,
                            "seconds": round(time.perf_counter() - t0, 2), "output": str(self.output)}
        if not stopped and len(painted) == n:
            ctx.progress(n, n, "encoding")
            self._encode(painted, fps)
            from studio.engine.recipes import write_recipe

            write_recipe(self.output.with_name(self.output.name + ".json"), recipe)  # beside, as walks do
        return AnimationResult(self.output, self.frames_dir, len(painted), n, stopped,
                               time.perf_counter() - t0, recipe)

    def _forward(self, ctx: JobContext, ev, k: int, n: int, frame: np.ndarray) -> None:
        """A frame's own events: its previews (beside nothing: the page pairs them with the content frame), its
        warnings; its progress is the animation's, counted in frames."""
        from studio.engine.jobs import Notice, Progress

        if isinstance(ev, Preview):
            ctx.emit(Preview(k + 1, side_by_side(frame, ev.image), "animation"))
        elif isinstance(ev, Notice):
            ctx.emit(Notice(ev.level, f"Frame {k + 1}: {ev.text}"))
        elif isinstance(ev, Progress) and ev.total:
            ctx.progress(k, n, f"frame {k + 1} of {n}: {ev.text}{self._left}")

    def _encode(self, painted: list[Path], fps: float) -> None:
        from studio.engine import export

        frames = FrameFolder(painted)
        suffix = self.output.suffix.lower()
        if suffix == ".gif":
            export.write_gif(frames, self.output, fps=fps, resample="lanczos", dither=True)
        elif suffix == ".mp4":
            export.write_mp4(frames, self.output, fps=fps)
        # a folder output is the frames folder itself


def side_by_side(content: np.ndarray, painted: np.ndarray, gap: int = 4) -> np.ndarray:
    """The content frame (scaled to the painted frame's height) and the painted frame next to it: what the Stylize
    page shows while an animation is painted."""
    h, w = painted.shape[:2]
    cw = max(1, round(content.shape[1] * h / content.shape[0]))
    left = np.asarray(Image.fromarray(content).resize((cw, h), Image.LANCZOS))
    out = np.full((h, cw + gap + w, 3), 255, np.uint8)
    out[:, :cw], out[:, cw + gap:] = left[..., :3], painted[..., :3]
    return out


def _minutes(seconds: float) -> str:
    from studio.engine.durations import approximate_duration

    return approximate_duration(seconds)
