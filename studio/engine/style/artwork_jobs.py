"""Saving a stylized picture as Jobs, so the Stylize page writes files off the GUI thread.

A 4096 px PNG with its masks and recipe, or a timelapse GIF of a long run, takes seconds to encode; run as a Job
through the Qt bridge the window stays responsive, and a failure arrives as the one sentence in ``Failed.message``.
The CLI can run the same jobs with ``run_job``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from studio.engine.style.recipe_files import ARTWORK_SUFFIXES

TIMELAPSE_FPS = 8.0
TIMELAPSE_HOLD_S = 1.5  # the finished picture stays this long before the GIF loops


def artwork_output_path(path: str | Path, suffix: str = ".png") -> Path:
    """``path`` with a picture suffix the studio writes (an unknown one replaced by ``suffix``)."""
    path = Path(path)
    return path if path.suffix.lower() in ARTWORK_SUFFIXES else path.with_suffix(suffix)


def timelapse_frames(frames: list[np.ndarray], fps: float = TIMELAPSE_FPS,
                     hold_s: float = TIMELAPSE_HOLD_S) -> np.ndarray:
    """The frames at one size (scales differ by a pixel), the last one repeated for ``hold_s`` seconds."""
    from PIL import Image

    h, w = frames[-1].shape[:2]
    same = [f if f.shape[:2] == (h, w) else np.asarray(Image.fromarray(f).resize((w, h), Image.BICUBIC))
            for f in frames]
    same += [same[-1]] * max(0, round(fps * hold_s) - 1)
    return np.stack(same)


class SaveArtworkJob:
    """Write a StyleResult: the picture with its recipe inside and beside it, and the masks it used."""

    def __init__(self, result, path: str | Path, quality: int = 95) -> None:
        self.result = result
        self.path = Path(path)
        self.quality = quality
        self.title = f"Saving {self.path.name}"

    def run(self, ctx) -> Path:
        from studio.engine.style.gatys import save_result

        ctx.progress(0, None, self.title)
        return save_result(self.result, self.path, quality=self.quality)


class SaveTimelapseJob:
    """Write the run's previews as an animated GIF that ends on the finished picture, held for a moment."""

    def __init__(self, frames: list[np.ndarray], path: str | Path, fps: float = TIMELAPSE_FPS) -> None:
        self.frames = list(frames)
        self.path = Path(path).with_suffix(".gif")
        self.fps = fps
        self.title = f"Saving {self.path.name}"

    def run(self, ctx) -> Path:
        from studio.engine.export import ExportError, write_gif

        if not self.frames:
            raise ExportError("This run kept no timelapse frames.")
        ctx.progress(0, None, self.title)
        return write_gif(timelapse_frames(self.frames, self.fps), self.path, fps=self.fps, resample="lanczos")
