"""Exporting a latent walk as a Job: render in batches, write the file atomically, keep its recipe.

The recipe (``<output>.json`` beside the output, e.g. ``walk.gif.json``) names the generator by path
and SHA-256 and stores the whole timeline with every keyframe's latent, so ``load_recipe`` restores the
timeline and re-rendering it gives the same frames.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from studio.engine.export import (
    ExportError,
    write_gif,
    write_mp4,
    write_png_sequence,
    write_sprite_sheet,
)
from studio.engine.jobs import JobContext, Preview
from studio.engine.latent.keyframes import Timeline, TimelineError, frame_latents
from studio.engine.latent.render import render_frames, tile_frames
from studio.engine.runs import atomic_write_json

RECIPE_FORMAT = "gan-art-studio/walk"
FORMATS = ("gif", "mp4", "png-sequence", "sprite-sheet")
GRID_PADDING = 2  # pixels around and between the cells of a grid animation


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def recipe_path(out_path: str | Path) -> Path:
    """Where an export's recipe lives: ``walk.gif`` → ``walk.gif.json``, folder ``frames`` → ``frames.json``."""
    out = Path(out_path)
    return out.with_name(out.name + ".json")


def infer_format(out_path: str | Path) -> str:
    """gif / mp4 from the suffix, sprite sheet for ``*.sheet.png``, PNG frames for a folder (no suffix)."""
    out = Path(out_path)
    name = out.name.lower()
    if name.endswith(".sheet.png"):
        return "sprite-sheet"
    if out.suffix.lower() == ".gif":
        return "gif"
    if out.suffix.lower() == ".mp4":
        return "mp4"
    if out.is_dir() or out.suffix == "":
        return "png-sequence"
    raise ExportError(f"Cannot tell what to write from {out.name!r}: use .gif, .mp4, .sheet.png "
                      "(sprite sheet) or a folder name (PNG frames)")


@dataclass
class GeneratorInfo:
    path: str
    sha256: str
    latent_dim: int
    image_size: int
    channels: int
    preset: str
    step: int | None
    has_ema: bool = False  # the checkpoint carries smoothed (EMA) generator weights
    ema: bool = False  # the loaded weights are the EMA ones

    @property
    def weights(self) -> str:
        return "ema" if self.ema else "raw"


def open_generator(source: str | Path, device: str | torch.device = "cpu",
                   prefer_ema: bool = True, use_ema: bool | None = None) -> tuple[nn.Module, GeneratorInfo]:
    """A generator from an exported file (``.safetensors`` + ``.json``) or a run directory's newest checkpoint.

    Only our formats load (no pickles). From a run, the EMA generator (``model.G_ema``) is used when the
    checkpoint has one and ``prefer_ema`` is set; ``use_ema`` (when given) overrides ``prefer_ema`` — the
    raw/EMA switch. ``GeneratorInfo.has_ema`` says whether EMA weights exist, ``.ema`` which were loaded.
    """
    if use_ema is not None:
        prefer_ema = bool(use_ema)
    from studio.engine.gan.checkpoints import CheckpointError, load_checkpoint, load_generator
    from studio.engine.gan.models import build_gan, generator_msg
    from studio.engine.runs import RunDir

    source = Path(source)
    if not source.exists():
        raise CheckpointError(f"{source} does not exist")
    if source.is_dir():
        run = RunDir(source)
        ckpt = run.latest_checkpoint() if run.exists() else None
        if ckpt is None:
            raise CheckpointError(f"{source.name} is not a run with a checkpoint yet")
        cfg = run.read_config()
        loaded = load_checkpoint(ckpt)
        has_ema = bool(loaded.module_state("G_ema"))
        name = "G_ema" if prefer_ema and has_ema else "G"
        state = loaded.module_state(name)
        g, _ = build_gan(cfg["preset"], int(cfg["resolved_channels"]), int(cfg["latent_dim"]), int(cfg["width"]),
                         int(cfg["image_size"]), msg=generator_msg(cfg["preset"], state))
        try:
            g.load_state_dict(state)
        except RuntimeError as exc:
            raise CheckpointError(f"{ckpt.name}: weights do not match the run's architecture") from exc
        info = GeneratorInfo(str(source.resolve()), loaded.meta.get("weights_sha256", ""), int(cfg["latent_dim"]),
                             int(cfg["image_size"]), int(cfg["resolved_channels"]), cfg["preset"], loaded.step,
                             has_ema, name == "G_ema")
        return g.to(device).eval(), info
    g, meta = load_generator(source, device)
    weights = source.with_suffix(".safetensors")
    info = GeneratorInfo(str(weights.resolve()), file_sha256(weights), int(meta["latent_dim"]),
                         int(meta["image_size"]), int(meta["channels"]), str(meta["preset"]), meta.get("step"))
    return g, info


class WalkExportJob:
    """Render a timeline and write it as GIF, MP4, PNG frames or a sprite sheet, with its recipe beside it.

    Cancelling (between batches or frames) leaves no output and no recipe behind.
    """

    def __init__(self, generator_path: str | Path, timeline: Timeline, out_path: str | Path,
                 size: int | None = None, fmt: str | None = None, resample: str = "lanczos",
                 gif_loop: int = 0, palette_colors: int = 256, dither: bool = False,
                 sheet_columns: int | None = None, batch_size: int = 16, device: str = "cpu",
                 grid: int = 1, grid_columns: int | None = None, grid_padding: int = GRID_PADDING,
                 use_ema: bool = True) -> None:
        self.generator_path = Path(generator_path)
        self.timeline = timeline
        self.out_path = Path(out_path)
        self.fmt = fmt or infer_format(out_path)
        if self.fmt not in FORMATS:
            raise ExportError(f"Unknown export format {self.fmt!r}; choose one of {', '.join(FORMATS)}")
        self.size = size
        self.resample = resample
        self.gif_loop = gif_loop
        self.palette_colors = palette_colors
        self.dither = dither
        self.sheet_columns = sheet_columns
        self.batch_size = batch_size
        self.device = device
        if not (isinstance(grid, int) and 1 <= grid <= 64):
            raise ExportError("A grid holds 1 to 64 walks")
        self.grid = grid
        self.grid_columns = grid_columns or math.ceil(math.sqrt(grid))
        self.grid_padding = int(grid_padding)
        self.use_ema = use_ema
        self.title = f"Export {self.out_path.name}"

    def settings(self) -> dict:
        return {"format": self.fmt, "size": self.size, "resample": self.resample, "gif_loop": self.gif_loop,
                "palette_colors": self.palette_colors, "dither": self.dither, "sheet_columns": self.sheet_columns,
                "grid": self.grid_settings()}

    def grid_settings(self) -> dict | None:
        if self.grid <= 1:
            return None
        return {"cells": self.grid, "columns": self.grid_columns, "padding": self.grid_padding,
                "mode": "phase", "size": self.size}

    def run(self, ctx: JobContext) -> Path:
        from studio import __version__

        ctx.progress(0, None, f"Opening {self.generator_path.name}")
        g, info = open_generator(self.generator_path, self.device, use_ema=self.use_ema)
        timeline = self.timeline.resolved(info.latent_dim)
        latents = frame_latents(timeline)
        n = latents.shape[0]
        total = 2 * n
        ctx.progress(0, total, f"Rendering {n} frames")

        def on_progress(done: int, _total: int) -> None:
            ctx.progress(done, total, f"Rendering frame {done} of {n}")

        def on_batch(start: int, frames) -> None:
            ctx.emit(Preview(start, frames[0].copy(), "frame"))

        frames = render_frames(g, latents, self.batch_size, self.device, on_progress, ctx.check, on_batch)
        size = self.size
        if self.grid > 1:  # each cell is enlarged to ``size``, then the cells are tiled
            frames = grid_frames(frames, self.grid, self.grid_columns, self.grid_padding, size, self.resample)
            size = None
        written = {"n": 0}

        def check() -> None:
            ctx.check()
            written["n"] += 1
            if written["n"] % 8 == 0:
                ctx.progress(n + written["n"], total, f"Writing frame {written['n']} of {n}")

        ctx.progress(n, total, f"Writing {self.out_path.name}")
        fps = timeline.fps
        if self.fmt == "gif":
            write_gif(frames, self.out_path, fps, self.gif_loop, size, self.resample, self.palette_colors,
                      self.dither, check)
        elif self.fmt == "mp4":
            write_mp4(frames, self.out_path, fps, size, self.resample, check=check)
        elif self.fmt == "png-sequence":
            write_png_sequence(frames, self.out_path, size, self.resample, check=check)
        else:
            write_sprite_sheet(frames, self.out_path, self.sheet_columns, size, self.resample, check)
        recipe = {
            "format": RECIPE_FORMAT, "version": 1, "studio_version": __version__,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "generator": {"path": info.path, "sha256": info.sha256, "preset": info.preset,
                          "latent_dim": info.latent_dim, "image_size": info.image_size, "step": info.step,
                          "weights": info.weights, "has_ema": info.has_ema},
            "timeline": timeline.to_dict(),
            "output": {"path": str(self.out_path.resolve()), "frames": n, "fps": fps,
                       "seconds": round(n / fps, 3), **self.settings(),
                       "easing": sorted({s.easing for s in timeline.segments}),
                       "interp": sorted({s.interp for s in timeline.segments})},
        }
        try:
            atomic_write_json(recipe_path(self.out_path), recipe)
        except OSError as exc:
            _remove(self.out_path)
            raise ExportError(f"Could not write the recipe beside {self.out_path.name}: {exc}") from exc
        ctx.progress(total, total, f"Wrote {self.out_path.name}")
        return self.out_path


def phase_offsets(frames: int, cells: int) -> list[int]:
    """Where each grid cell starts along the walk: evenly spread, so the cells play out of phase."""
    return [(i * frames) // cells for i in range(cells)]


def grid_frames(frames: np.ndarray, cells: int, columns: int | None = None, padding: int = GRID_PADDING,
                size: int | None = None, resample: str = "lanczos") -> np.ndarray:
    """A grid animation from one walk: ``cells`` copies side by side, each shifted along the timeline.

    Cell i starts ``phase_offsets`` frames later (the walk wraps around), so a looping walk shows every
    cell in motion at a different point of the same loop. Cells are enlarged to ``size`` first, then tiled
    with ``padding`` pixels around and between them (see ``tile_frames``).
    """
    from studio.engine.export import _frame_images

    if size is not None:
        frames = np.stack([np.asarray(img) for img in _frame_images(frames, size, resample)])
        if frames.ndim == 3:
            frames = frames[..., None]
    n = len(frames)
    stacks = [np.roll(frames, -off, axis=0) for off in phase_offsets(n, cells)]
    return tile_frames(stacks, columns or math.ceil(math.sqrt(cells)), padding)


def _remove(path: Path) -> None:
    import shutil

    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        try:
            path.unlink()
        except OSError:
            pass


def load_recipe(path: str | Path) -> tuple[Path, Timeline, dict]:
    """Restore an export's recipe: (generator path, timeline, settings incl. format, size, out path, sha256)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise TimelineError(f"Cannot read the recipe {path.name}: {exc}") from exc
    if not isinstance(data, dict) or data.get("format") != RECIPE_FORMAT:
        raise TimelineError(f"{path.name} is not a GAN Art Studio animation recipe")
    try:
        gen = data["generator"]
        timeline = Timeline.from_dict(data["timeline"])
        settings = dict(data.get("output", {}))
        settings["generator_sha256"] = gen.get("sha256", "")
        settings["weights"] = gen.get("weights", "ema")  # older recipes: whatever the generator preferred
        return Path(gen["path"]), timeline, settings
    except (KeyError, TypeError) as exc:
        raise TimelineError(f"The recipe {path.name} is incomplete ({exc})") from exc


def generator_matches(generator_path: str | Path, settings: dict) -> bool:
    """True when the file's SHA-256 is the one the recipe was rendered with (run directories: not checked)."""
    p = Path(generator_path)
    want = settings.get("generator_sha256")
    if not want or p.is_dir():
        return True
    try:
        return file_sha256(p.with_suffix(".safetensors")) == want
    except OSError:
        return False
