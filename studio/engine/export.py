"""Writing what the artist keeps: PNGs with their recipe, timelapse GIFs of a run's sample grids.

Every write goes to a temporary file first, so a failed export never leaves half a file behind.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
from PIL import Image, PngImagePlugin

from studio.engine.runs import RunDir, atomic_write_bytes, atomic_write_json


class ExportError(Exception):
    """An export that could not be written, with the reason in plain words."""


def _write(path: Path, data: bytes) -> None:
    try:
        atomic_write_bytes(path, data)
    except OSError as exc:
        raise ExportError(f"Could not write {path}: {exc.strerror or exc}") from exc


def save_png(image: np.ndarray | Image.Image, path: str | Path, recipe: dict | None = None) -> Path:
    """Save a PNG; the recipe goes into its metadata and into ``<name>.json`` beside it."""
    path = Path(path)
    img = image if isinstance(image, Image.Image) else Image.fromarray(np.squeeze(image))
    info = PngImagePlugin.PngInfo()
    if recipe is not None:
        info.add_text("gan-art-studio:recipe", json.dumps(recipe, sort_keys=True))
    buf = io.BytesIO()
    img.save(buf, format="PNG", pnginfo=info)
    _write(path, buf.getvalue())
    if recipe is not None:
        atomic_write_json(path.with_suffix(".json"), recipe)
    return path


def read_png_recipe(path: str | Path) -> dict | None:
    with Image.open(path) as im:
        text = im.text.get("gan-art-studio:recipe") if hasattr(im, "text") else None
    return json.loads(text) if text else None


def timelapse_gif(run_dir: str | Path, out_path: str | Path, fps: float = 8.0, max_frames: int = 200,
                  max_side: int = 768, hold_last_s: float = 1.5) -> Path:
    """A GIF of the run's sample grids in step order: watch the GAN learn."""
    run = RunDir(run_dir)
    grids = run.sample_grids()
    if not grids:
        raise ExportError("This run has no sample grids yet")
    if len(grids) > max_frames:  # keep the first and last, thin the middle evenly
        picks = np.linspace(0, len(grids) - 1, max_frames).round().astype(int)
        grids = [grids[i] for i in sorted(set(picks.tolist()))]
    frames = []
    for _, p in grids:
        with Image.open(p) as im:
            im = im.convert("RGB")
            scale = min(1.0, max_side / max(im.size))
            if scale < 1.0:
                im = im.resize((round(im.width * scale), round(im.height * scale)), Image.LANCZOS)
            frames.append(im.copy())
    duration = max(20, int(round(1000 / fps)))
    durations = [duration] * len(frames)
    durations[-1] = max(duration, int(hold_last_s * 1000))
    buf = io.BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:], duration=durations, loop=0,
                   optimize=False)
    out = Path(out_path)
    _write(out, buf.getvalue())
    return out
