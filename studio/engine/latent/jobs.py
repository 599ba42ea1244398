"""Exporting a latent walk as a Job: render in batches, write the file atomically, keep its recipe.

The recipe (``<output>.json`` beside the output, e.g. ``walk.gif.json``) names the generator by path
and SHA-256 and stores the whole timeline with every keyframe's latent, so ``load_recipe`` restores the
timeline and re-rendering it gives the same frames.
"""

from __future__ import annotations

import hashlib
import math
import os
import shutil
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
from studio.engine.recipes import WALK_FORMAT
from studio.engine.runs import atomic_write_json
from studio.engine.schema import (
    GENERATOR_JSON,
    MAX_FRAMES,
    MAX_SIDE,
    RUN_CONFIG,
    read_json_file,
    read_safetensors_header,
)

RECIPE_FORMAT = WALK_FORMAT  # one copy: studio.engine.recipes
FORMATS = ("gif", "mp4", "png-sequence", "sprite-sheet")
GRID_PADDING = 2  # pixels around and between the cells of a grid animation


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def recipe_path(out_path: str | Path) -> Path:
    """Where an export's recipe lives: ``walk.gif`` → ``walk.gif.json`` (the rule is ``recipes.walk_recipe_path``)."""
    from studio.engine.recipes import walk_recipe_path

    return walk_recipe_path(out_path)


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
    from studio.engine.gan.models import build_generator, generator_shape
    from studio.engine.runs import RunDir

    source = Path(source)
    if not source.exists():
        raise CheckpointError(f"{source} does not exist")
    if source.is_dir():
        run = RunDir(source)
        ckpt = run.latest_checkpoint() if run.exists() else None
        if ckpt is None:
            raise CheckpointError(f"{source.name} is not a run with a checkpoint yet")
        cfg = read_json_file(run.config_path, RUN_CONFIG, CheckpointError, what="run configuration")
        for key in ("preset", "resolved_channels", "latent_dim", "width", "image_size"):
            if key not in cfg:
                raise CheckpointError(f"{run.config_path.name} in {source.name}: {key} is missing")
        loaded = load_checkpoint(ckpt)
        has_ema = bool(loaded.module_state("G_ema"))
        name = "G_ema" if prefer_ema and has_ema else "G"
        state = loaded.module_state(name)
        check_architecture(cfg["preset"], int(cfg["resolved_channels"]), int(cfg["latent_dim"]), int(cfg["width"]),
                           int(cfg["image_size"]), {k: tuple(v.shape) for k, v in state.items()}, ckpt.name)
        g = build_generator(cfg["preset"], int(cfg["resolved_channels"]), int(cfg["latent_dim"]), int(cfg["width"]),
                            int(cfg["image_size"]), **generator_shape(cfg["preset"], state))
        try:
            g.load_state_dict(state)
        except RuntimeError as exc:
            raise CheckpointError(f"{ckpt.name}: weights do not match the run's architecture") from exc
        info = GeneratorInfo(str(source.resolve()), loaded.meta.get("weights_sha256", ""), int(cfg["latent_dim"]),
                             int(cfg["image_size"]), int(cfg["resolved_channels"]), cfg["preset"], loaded.step,
                             has_ema, name == "G_ema")
        return g.to(device).eval(), info
    weights = source.with_suffix(".safetensors")
    sha = verify_generator(source)["weights_sha256"]
    g, meta = load_generator(source, device)
    info = GeneratorInfo(str(weights.resolve()), sha, int(meta["latent_dim"]),
                         int(meta["image_size"]), int(meta["channels"]), str(meta["preset"]), meta.get("step"))
    return g, info


def check_architecture(preset: str, channels: int, latent_dim: int, width: int, image_size: int,
                       shapes: dict[str, tuple], name: str) -> None:
    """Refuse weights whose tensors are not the described generator's, before any real model is built.

    The network is built on torch's "meta" device (shapes only, no memory), so a description promising a
    width of 200,000 costs nothing; the weights' shapes come from the file's header (see
    ``read_safetensors_header``), so a mismatch is found without loading them either."""
    from studio.engine.gan.checkpoints import CheckpointError
    from studio.engine.gan.models import PRESETS, build_generator, generator_shape

    if preset not in PRESETS:
        raise CheckpointError(f"{name}: unknown architecture {preset!r}; this studio knows {', '.join(PRESETS)}")
    try:
        with torch.device("meta"):
            g = build_generator(preset, channels, latent_dim, width, image_size, **generator_shape(preset, shapes))
    except (ValueError, RuntimeError, TypeError, AssertionError, ZeroDivisionError) as exc:
        raise CheckpointError(f"{name}: its description ({preset}, {image_size} px, latent size {latent_dim}, "
                              f"width {width}) is not an architecture the studio can build") from exc
    want = {k: tuple(v.shape) for k, v in g.state_dict().items()}
    got = {k: tuple(v) for k, v in shapes.items()}
    if want == got:
        return
    missing = sorted(set(want) - set(got))
    extra = sorted(set(got) - set(want))
    if missing or extra:
        what = f"{missing[0]!r} is missing" if missing else f"{extra[0]!r} is unexpected"
    else:
        key = next(k for k in want if want[k] != got[k])
        what = f"{key!r} has shape {list(got[key])}, the description needs {list(want[key])}"
    raise CheckpointError(f"{name}: the weights do not match the described architecture ({what})")


def verify_generator(path: str | Path) -> dict:
    """Check an exported generator before it costs memory: its description, its header, its SHA-256.

    Returns the validated description. Refuses (CheckpointError, in words) a description with wrong
    types or sizes, weights whose tensor shapes are not the described network's, and weights whose
    SHA-256 differs from the one stored at export (a damaged or swapped file would render noise)."""
    from studio.engine.gan.checkpoints import CheckpointError

    path = Path(path)
    if path.suffix == ".json":
        path = path.with_suffix(".safetensors")
    if path.suffix != ".safetensors":
        raise CheckpointError(f"{path.name}: only GAN Art Studio generators (.safetensors + .json) can be opened")
    desc = path.with_suffix(".json")
    if not desc.is_file():
        raise CheckpointError(f"{path.name}: its description {desc.name} is missing; keep the two files together")
    meta = read_json_file(desc, GENERATOR_JSON, CheckpointError, max_bytes=1 << 20, what="generator description")
    if not path.is_file():
        raise CheckpointError(f"{desc.name}: its weights {path.name} are missing; keep the two files together")
    header = read_safetensors_header(path, CheckpointError)
    check_architecture(str(meta["preset"]), int(meta["channels"]), int(meta["latent_dim"]), int(meta["width"]),
                       int(meta["image_size"]), {k: shape for k, (_dtype, shape) in header.items()}, path.name)
    if file_sha256(path) != meta["weights_sha256"]:
        raise CheckpointError(f"{path.name} is damaged: its SHA-256 differs from the one in {desc.name}, so it "
                              "is not the file that was exported. Export the generator again.")
    return meta


# ------------------------------------------------------------------------------------------ walk bounds

class WalkSettingsError(ExportError, ValueError):
    """A walk's number out of range or an export too big for memory/disk (a ValueError for callers that check
    arguments that way, e.g. the Explore page)."""


MAX_BATCH = 4096
MAX_SHEET_COLUMNS = 1024
MEMORY_SHARE = 0.8  # of the memory that is free now: the rest is for the studio itself and the system


def available_memory() -> int:
    """Bytes of memory free for new work now (MemAvailable on Linux; physical pages elsewhere)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 8 << 30


def available_disk(path: str | Path) -> int:
    """Free bytes on the disk that will hold ``path`` (its nearest existing folder)."""
    p = Path(path).absolute()
    while not p.exists() and p != p.parent:
        p = p.parent
    try:
        return shutil.disk_usage(p if p.is_dir() else p.parent).free
    except OSError:
        return 1 << 62


def _whole(name: str, value, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise WalkSettingsError(f"{name} must be a whole number between {lo} and {hi}, not {value!r}")
    return value


def check_walk_settings(*, frames_per_segment: int | None = None, total_frames: int | None = None,
                        size: int | None = None, fps: float | None = None, batch_size: int | None = None,
                        grid: int | None = None, grid_columns: int | None = None,
                        sheet_columns: int | None = None, palette_colors: int | None = None) -> None:
    """Refuse a walk's numbers before anything is rendered: 0 is refused, never silently replaced."""
    if frames_per_segment is not None:
        _whole("The frames per segment", frames_per_segment, 1, MAX_FRAMES)
    if total_frames is not None and not 1 <= total_frames <= MAX_FRAMES:
        raise WalkSettingsError(f"The walk would have {total_frames:,} frames; at most {MAX_FRAMES:,} can be "
                          "exported at once. Use fewer frames per segment or fewer keyframes.")
    if size is not None:
        _whole("The size", size, 16, MAX_SIDE)
    if fps is not None and (isinstance(fps, bool) or not isinstance(fps, (int, float))
                            or not math.isfinite(fps) or not 0 < fps <= 240):
        raise WalkSettingsError(f"The frame rate must be a number above 0 and at most 240, not {fps!r}")
    if batch_size is not None:
        _whole("The batch size", batch_size, 1, MAX_BATCH)
    if grid is not None:
        _whole("A grid", grid, 1, 64)
    if grid_columns is not None:
        _whole("The grid's columns", grid_columns, 1, 64)
    if sheet_columns is not None:
        _whole("The sprite sheet's columns", sheet_columns, 1, MAX_SHEET_COLUMNS)
    if palette_colors is not None:
        _whole("The GIF palette", palette_colors, 2, 256)


def walk_memory_bytes(frames: int, native: int, side: int, channels: int, fmt: str, grid: int = 1,
                      grid_columns: int = 1, padding: int = GRID_PADDING) -> int:
    """Peak memory of an export, roughly: every rendered frame is held, then the grid/sheet copies."""
    total = frames * native * native * channels  # render_frames keeps all frames
    if grid > 1:
        rows = math.ceil(grid / grid_columns)
        tiled = (rows * side + (rows + 1) * padding) * (grid_columns * side + (grid_columns + 1) * padding)
        total += frames * (side * side * channels * (1 + grid) + tiled * channels)  # enlarged, rolled copies, tiles
        side = max(rows, grid_columns) * side
    if fmt == "sprite-sheet":
        total += frames * side * side * channels * 2  # the sheet and Pillow's copy of it
    elif fmt == "gif":
        total += frames * side * side  # palette indices of every frame until the file is written
    return total + (64 << 20)


def walk_disk_bytes(frames: int, side: int, channels: int, fmt: str) -> int:
    """A generous upper bound of the output's size (noise compresses badly)."""
    per = side * side * channels
    if fmt == "mp4":
        per = per // 4
    elif fmt == "gif":
        per = side * side + 1024
    else:
        per += 1024
    return frames * per + (1 << 20)


def check_walk_fits(frames: int, native: int, side: int | None, channels: int, fmt: str, out_path: str | Path,
                    grid: int = 1, grid_columns: int | None = None, memory: int | None = None,
                    disk: int | None = None) -> None:
    """Refuse an export that would not fit in memory or on disk, naming the largest frames/size that fit."""
    side = side or native
    cols = grid_columns or math.ceil(math.sqrt(grid))
    memory = int((available_memory() if memory is None else memory) * MEMORY_SHARE)
    disk = available_disk(out_path) if disk is None else disk

    def mem(f: int, s: int) -> int:
        return walk_memory_bytes(f, native, s, channels, fmt, grid, cols)

    def dsk(f: int, s: int) -> int:
        gs = s if grid <= 1 else max(cols, math.ceil(grid / cols)) * (s + GRID_PADDING)
        return walk_disk_bytes(f, gs, channels, fmt)

    for need, have, where in ((mem, memory, "memory"), (dsk, disk, "disk space")):
        if need(frames, side) <= have:
            continue
        fit_frames = _largest(lambda f, need=need, have=have: need(f, side) <= have, frames)
        fit_side = _largest(lambda s, need=need, have=have: need(frames, s) <= have, side)
        options = []
        if fit_frames >= 1:
            options.append(f"at most {fit_frames:,} frames at {side} px")
        if fit_side >= 16:
            options.append(f"a size of at most {fit_side} px for {frames:,} frames")
        advice = " or ".join(options) if options else "free some space first"
        free = f"free on the disk of {Path(out_path).absolute().parent}" if where == "disk space" else "free"
        raise WalkSettingsError(f"{frames:,} frames at {side} px need about {_gb(need(frames, side))} of {where}, "
                                f"but about {_gb(have)} is {free}; choose {advice}.")


def _largest(fits, upper: int) -> int:
    """The largest n in [0, upper] with fits(n) (fits is monotone: more costs more)."""
    lo, hi = 0, upper
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if fits(mid):
            lo = mid
        else:
            hi = mid - 1
    return lo


def _gb(n: int) -> str:
    return f"{n / 1e9:.1f} GB" if n >= 1e8 else f"{n / 1e6:.0f} MB"


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
        check_walk_settings(total_frames=timeline.frame_count, size=size, fps=timeline.fps,
                            batch_size=batch_size, grid_columns=grid_columns, sheet_columns=sheet_columns,
                            palette_colors=palette_colors)
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
        check_walk_fits(timeline.frame_count, info.image_size, self.size, info.channels, self.fmt, self.out_path,
                        self.grid, self.grid_columns)
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
    from studio.engine.recipes import read_recipe

    data = read_recipe(path, expect="walk", error=TimelineError).data  # validated, naming the file and field
    gen = data["generator"]
    timeline = Timeline.from_dict(data["timeline"])
    settings = dict(data.get("output", {}))
    settings["generator_sha256"] = gen.get("sha256", "")
    settings["weights"] = gen.get("weights", "ema")  # older recipes: whatever the generator preferred
    return Path(gen["path"]), timeline, settings


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
