"""What a finished style-transfer artwork is on disk: its files, written all-or-nothing, and its recipe, read back.

The picture (recipe inside and as JSON beside), the masks it was painted with, and an optional timelapse GIF are
written together or not at all (``export.FileSet``); output places are checked before a run starts; a recipe is read
back with its schema. Kept apart from the optimisation (``gatys.py``) because none of it needs torch: the CLI and the
pages can check a path or open a recipe without loading the network.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from studio.engine.style.settings import StyleError, StyleSettings

if TYPE_CHECKING:
    from studio.engine.style.gatys import StyleResult


def _to_uint8(a: np.ndarray) -> np.ndarray:
    """A float picture in [0, 1] as uint8, rounded (the optimisation's pictures and masks are floats)."""
    return (np.clip(a, 0, 1) * 255.0 + 0.5).astype(np.uint8)


def mask_file_names(artwork: str | Path, style_count: int, regions: bool) -> dict:
    """File names (beside the artwork) its masks are written under."""
    stem = Path(artwork).stem
    return {"style": [f"{stem}.style-mask-{k + 1}.png" for k in range(style_count)],
            "regions": [f"{stem}.region-{k + 1}.png" for k in range(style_count)] if regions else None}


_MASK_NAME_RE = r"^{stem}\.(?:style-mask|region)-\d+\.png$"


def _old_companions(path: Path) -> list[Path]:
    """Masks beside ``path`` that belong to an artwork of the same name (the one about to be replaced)."""
    import re

    pattern = re.compile(_MASK_NAME_RE.format(stem=re.escape(path.stem)), re.IGNORECASE)
    try:
        names = os.listdir(path.parent)
    except OSError:
        return []
    return [path.with_name(n) for n in names if pattern.match(n)]


def save_result(result: StyleResult, path: str | Path, timelapse_gif: str | Path | None = None,
                fps: float = 8.0, quality: int = 95) -> Path:
    """Write the artwork (recipe inside and as JSON beside), the masks it used as PNGs beside it (named in the
    recipe's ``mask_files``) and, when asked, the optimisation timelapse — all of them or none.

    Every file is written to a hidden temporary name first; only when all are complete do they replace the earlier
    artwork's files, whose masks the new one lacks are removed after that (``export.FileSet``). A failure raises an
    ExportError sentence and leaves the earlier artwork exactly as it was, so its picture never points at a new mask."""
    from studio.engine.export import (
        ExportError,
        FileSet,
        encode_artwork,
        gif_bytes,
        recipe_bytes,
        recipe_json_path,
        recover_interrupted_saves,
    )

    path = Path(path)
    image = np.asarray(result.image)
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[-1] != 3 or image.size == 0:
        raise ExportError("There is no finished picture to save")
    if timelapse_gif is not None and not result.timelapse:
        raise ExportError("No timelapse frames were kept (previews were off)")
    recipe = dict(result.recipe)
    masks: dict[Path, np.ndarray] = {}
    has_style_masks = any(m is not None for m in result.style_masks)
    if has_style_masks or result.content_regions is not None:
        names = mask_file_names(path, len(result.style_masks) or (result.content_regions.shape[-1]
                                                                   if result.content_regions is not None else 0),
                                result.content_regions is not None)
        files: dict = {"style": [None] * len(result.style_masks), "regions": None}
        for k, m in enumerate(result.style_masks):
            if m is not None:
                masks[path.with_name(names["style"][k])] = m
                files["style"][k] = names["style"][k]
        if result.content_regions is not None:
            files["regions"] = []
            for k in range(result.content_regions.shape[-1]):
                masks[path.with_name(names["regions"][k])] = result.content_regions[..., k]
                files["regions"].append(names["regions"][k])
        recipe["mask_files"] = files
    else:
        recipe.pop("mask_files", None)
    recover_interrupted_saves(path.parent)
    if timelapse_gif is not None and Path(timelapse_gif).parent != path.parent:
        recover_interrupted_saves(Path(timelapse_gif).parent)
    files_set = FileSet(path.parent, path.name)
    try:
        for target, m in masks.items():
            files_set.stage(target, encode_artwork(_to_uint8(m), ".png"))
        files_set.stage(path, encode_artwork(image, path.suffix, recipe, quality))
        files_set.stage(recipe_json_path(path), recipe_bytes(recipe))
        if timelapse_gif is not None:
            files_set.stage(timelapse_gif, gif_bytes(np.stack(_same_size(result.timelapse)), fps))
        for old in _old_companions(path):
            if old not in masks:
                files_set.remove(old)
    except BaseException:
        files_set.abort()
        raise
    files_set.commit()
    result.recipe = recipe
    return path


def check_output_path(path: str | Path, need_bytes: int = 0, suffixes=(".png", ".jpg", ".jpeg", ".webp")) -> Path:
    """Refuse, before a run spends minutes, an output the studio could not write: a missing or unsupported suffix,
    a folder in the way, a place that does not take new files (read-only, no permission, /proc), or a disk with less
    free space than ``need_bytes``. Creates nothing that stays behind (the probe file is removed at once)."""
    import errno
    import tempfile

    from studio.engine.export import ExportError

    path = Path(path).expanduser()
    if path.is_dir():
        raise ExportError(f"{path} is a folder; give a file name such as {path / ('artwork' + suffixes[0])}")
    if suffixes and path.suffix.lower() not in suffixes:
        raise ExportError(f"{path.name} cannot be written: its name must end in {', '.join(suffixes)}")
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise ExportError(f"{path} cannot be written: {folder} is a file, not a folder")
    try:
        fd, probe = tempfile.mkstemp(prefix=".write-test.", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        reason = {errno.EROFS: "the place is read-only", errno.ENOSPC: "the disk is full"}.get(
            exc.errno, "the studio may not create files there")
        raise ExportError(f"{path} cannot be written ({reason}); choose another folder before starting") from exc
    if path.exists() and not os.access(path, os.W_OK) and not os.access(folder, os.W_OK):
        raise ExportError(f"{path} exists and may not be replaced; choose another name")
    if need_bytes > 0:
        try:
            free = shutil.disk_usage(folder).free
        except OSError:
            free = None
        if free is not None and free < need_bytes:
            raise ExportError(f"Saving to {folder} needs about {need_bytes / 1e6:.0f} MB but only "
                              f"{free / 1e6:.0f} MB is free; free some space or choose another folder")
    return path


def estimate_output_bytes(settings: StyleSettings, aspect: float = 1.0, masks: int = 0,
                          timelapse: bool = False) -> int:
    """A generous bound on the disk an artwork takes: the picture (and its temporary copy while it replaces an
    earlier one) as uncompressed RGB, each mask as uncompressed grey, the timelapse as one byte per pixel and frame."""
    w = settings.size
    h = max(1, round(settings.size * min(aspect, 1 / aspect)))
    picture = 2 * (w * h * 3 + 65_536)
    mask_bytes = masks * w * h
    gif = 0
    if timelapse and settings.timelapse_frames > 0:
        tw = settings.timelapse_side
        th = max(1, round(tw * min(aspect, 1 / aspect)))
        gif = (settings.timelapse_frames + 1) * (tw * th + 1024)
    return picture + mask_bytes + gif


def _same_size(frames: list[np.ndarray]) -> list[np.ndarray]:
    h, w = frames[-1].shape[:2]
    return [f if f.shape[:2] == (h, w) else np.asarray(Image.fromarray(f).resize((w, h), Image.BICUBIC))
            for f in frames]


def load_recipe(path: str | Path) -> tuple[StyleSettings, str, list[str], list[float]]:
    """Settings, content path, style paths and blend weights from a recipe JSON or an artwork that carries one."""
    from studio.engine.export import recover_interrupted_saves
    from studio.engine.recipes import read_recipe

    p = Path(path)
    recover_interrupted_saves(p.parent)  # a save killed midway: put the earlier artwork back first
    data = read_recipe(p, expect="artwork", error=StyleError).data  # wrong types and NaN refused, naming the field
    settings = dict(data.get("settings") or {})
    settings.setdefault("keep_look", False)  # recipes from before the look guide were painted without it
    return (StyleSettings.from_dict(settings), data.get("content", ""),
            list(data.get("styles", [])), list(data.get("style_blend", [])))


def load_recipe_masks(path: str | Path) -> tuple[list[Path | None], list[Path | None] | None]:
    """The mask files a recipe (JSON or artwork) names, resolved beside it: (style masks, content regions or None).

    A named file that is missing raises StyleError so nothing is silently dropped."""
    import json

    from studio.engine.export import read_artwork_recipe, recover_interrupted_saves

    p = Path(path)
    recover_interrupted_saves(p.parent)  # a save killed midway: put the earlier artwork back first
    try:
        data = json.loads(p.read_text()) if p.suffix.lower() == ".json" else read_artwork_recipe(p)
    except (OSError, ValueError) as exc:
        raise StyleError(f"cannot read the recipe in {p.name}: {exc}") from exc
    files = (data or {}).get("mask_files") or {}
    n = len((data or {}).get("styles", []))

    def resolve(name):
        if not name:
            return None
        f = p.with_name(Path(str(name)).name)  # only beside the recipe: never a path elsewhere
        if not f.is_file():
            raise StyleError(f"the recipe names the mask {f.name}, which is missing next to {p.name}")
        return f

    style = [resolve(x) for x in (files.get("style") or [None] * n)]
    regions = files.get("regions")
    return style, ([resolve(x) for x in regions] if regions else None)
