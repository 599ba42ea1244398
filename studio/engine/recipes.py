"""Recipes: the JSON that lets every artwork, animation and run be made again — one home for their rules.

Three kinds of recipe live in a workspace:

- **artwork** (style transfer): ``art.json`` beside ``art.png`` and a copy inside the picture
  (PNG text / EXIF description), ``kind`` = ``"style-transfer"``;
- **walk** (latent walk animation): ``walk.gif.json`` beside ``walk.gif`` (``format`` =
  ``"gan-art-studio/walk"``, a ``timeline`` object);
- **run**: a training run's ``config.json`` (what reproduces the run).

Where each recipe file lives, what kind a file holds, reading one with its schema (``studio.engine.schema``:
wrong types and NaN refused naming the file and the field), writing one atomically, and keeping recipes
pointing at the right files when the Gallery renames or copies something — each of these rules exists here
once; the style engine, the walk exporter, the Gallery and the pages call them.

Imports neither torch nor Qt.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studio.engine.errors import StudioError

__all__ = [
    "ARTWORK_KIND", "PNG_RECIPE_KEY", "RecipeError", "Recipe", "WALK_FORMAT", "artwork_recipe_path", "follow_moves",
    "mentions", "moved_with", "read_recipe", "recipe_kind", "recipe_text", "repoint_recipe", "rewrite_recipe_file",
    "run_renamed", "walk_recipe_path", "write_recipe",
]

ARTWORK_KIND = "gan-art-studio/style-transfer"
WALK_FORMAT = "gan-art-studio/walk"
RUN_CONFIG_NAME = "config.json"
PNG_RECIPE_KEY = "gan-art-studio:recipe"


_WRONG_KIND = {
    "artwork": "{name} holds no style-transfer recipe",
    "walk": "{name} is not a GAN Art Studio animation recipe",
    "run": "{name} is not a training run's config.json",
}


class RecipeError(StudioError, ValueError):
    """A recipe that cannot be read or used, in words naming the file (and the field)."""


@dataclass(frozen=True)
class Recipe:
    kind: str  # "artwork" | "walk" | "run"
    path: Path  # the file it was read from (a JSON, or a picture that carries it)
    data: dict


# ------------------------------------------------------------------------------------------ where
def artwork_recipe_path(picture: str | Path) -> Path:
    """``art.png`` → ``art.json``: the recipe beside an artwork."""
    return Path(picture).with_suffix(".json")


def walk_recipe_path(output: str | Path) -> Path:
    """``walk.gif`` → ``walk.gif.json``, a folder of frames ``frames`` → ``frames.json``: the recipe beside an export."""
    out = Path(output)
    return out.with_name(out.name + ".json")


# ------------------------------------------------------------------------------------------- what
def _kind_of(data: Any) -> str | None:
    if not isinstance(data, dict):
        return None
    if isinstance(data.get("timeline"), dict) or data.get("format") == WALK_FORMAT:
        return "walk"
    kind = data.get("kind") or data.get("format")
    return str(kind) if kind else None


def _load_any(path: Path, error: type[StudioError] = RecipeError) -> Any:
    """The JSON a recipe file holds: a .json file, or the copy a picture carries (None when there is none)."""
    if path.suffix.lower() == ".json":
        from studio.engine.schema import read_json_file

        return read_json_file(path, None, error, what="recipe")
    from studio.engine.export import read_artwork_recipe

    return read_artwork_recipe(path)


def recipe_kind(path: str | Path) -> str | None:
    """What a recipe (JSON, or a picture carrying one) is for: its ``kind`` / ``format``; ``"walk"`` for an animation
    recipe; None when there is none or it cannot be read. Never raises: the Gallery asks this of every file."""
    try:
        return _kind_of(_load_any(Path(path)))
    except Exception:  # noqa: BLE001 - any unreadable file simply has no recipe
        return None


def read_recipe(path: str | Path, expect: str | None = None, error: type[StudioError] = RecipeError) -> Recipe:
    """Read and validate a recipe: an artwork's (JSON or picture), a walk's, or a run's ``config.json``.

    ``expect`` ("artwork" | "walk" | "run") refuses any other kind in words; ``error`` is the caller's own refusal type
    (StyleError, TimelineError…), so pages keep catching what they catch today.
    """
    from studio.engine import schema

    p = Path(path)
    try:
        data = _load_any(p, error)
    except StudioError:
        raise
    except (OSError, ValueError) as exc:
        raise error(f"Cannot read the recipe in {p.name}: {exc}") from exc
    if p.name == RUN_CONFIG_NAME and isinstance(data, dict) and "preset" in data:
        kind = "run"
    else:
        found = _kind_of(data)
        kind = "walk" if found == "walk" else "artwork" if found == ARTWORK_KIND else None
    if kind is None or (expect is not None and kind != expect):
        raise error(_WRONG_KIND.get(expect or "", "{name} holds no recipe the studio knows").format(name=p.name))
    spec = {"artwork": schema.STYLE_RECIPE, "walk": schema.WALK_RECIPE, "run": schema.RUN_CONFIG}[kind]
    return Recipe(kind, p, schema.validate(data, spec, p.name, error))


def write_recipe(path: str | Path, data: dict) -> Path:
    """Write a recipe JSON all at once (a temp file renamed over the old one), indented and sorted like every other."""
    from studio.engine.runs import atomic_write_bytes

    path = Path(path)
    atomic_write_bytes(path, recipe_text(data).encode("utf-8"))
    return path


def recipe_text(data: dict) -> str:
    """The one way recipes are written as text (stable order, so two saves of one recipe are the same bytes)."""
    return json.dumps(data, indent=2, sort_keys=True)


# ------------------------------------------------------------------------------------ after a rename
def follow_moves(data: Any, moves: Iterable[tuple[Path, Path]]) -> bool:
    """Point an artwork/walk recipe at files that moved with it (mask names, its output path). True when changed.

    ``moves`` are (old, new) paths of the files that were renamed or copied together (picture, masks, poster).
    """
    if not isinstance(data, dict):
        return False
    moves = list(moves)
    names = {src.name: dst.name for src, dst in moves}
    paths = {str(src): str(dst) for src, dst in moves}
    paths.update({str(src.resolve()): str(dst.resolve()) for src, dst in moves if dst.exists()})
    changed = False
    files = data.get("mask_files")
    if isinstance(files, dict):
        for key in ("style", "regions"):
            lst = files.get(key)
            if isinstance(lst, list):
                new_lst = [names.get(x, x) if isinstance(x, str) else x for x in lst]
                changed |= new_lst != lst
                files[key] = new_lst
    out = data.get("output")
    if isinstance(out, dict) and isinstance(out.get("path"), str) and out["path"] in paths:
        out["path"] = paths[out["path"]]
        changed = True
    return changed


def repoint_recipe(data: Any, old: Path, new: Path) -> tuple[Any, bool]:
    """Every path in a recipe that is ``old`` or inside it, moved to ``new`` (a run renamed under its walks)."""
    olds = {str(old), str(old.absolute())}
    try:
        olds.add(str(old.parent.resolve() / old.name))
    except OSError:
        pass

    def swap(value):
        if isinstance(value, str):
            for o in olds:
                if value == o or value.startswith(o + os.sep):
                    return str(new) + value[len(o):], True
            return value, False
        if isinstance(value, list):
            pairs = [swap(v) for v in value]
            return [v for v, _ in pairs], any(c for _, c in pairs)
        if isinstance(value, dict):
            pairs = {k: swap(v) for k, v in value.items()}
            return {k: v for k, (v, _) in pairs.items()}, any(c for _, c in pairs.values())
        return value, False

    return swap(data)


def mentions(text: str, old: Path) -> bool:
    """A cheap test before parsing: could this recipe text name ``old`` at all?"""
    return str(old) in text or str(old.absolute()) in text or old.name in text


def rewrite_recipe_file(path: Path, change: Callable[[Any], Any | None]) -> bool:
    """Read a recipe JSON, let ``change`` return its new content (None: nothing to change), write it back atomically.

    A file that cannot be read or written is left alone — a rename must not fail for a recipe. True when rewritten.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    new = change(data)
    if new is None:
        return False
    try:
        write_recipe(path, new)
    except OSError:
        return False
    return True


def moved_with(moves: Iterable[tuple[Path, Path]]) -> Callable[[Any], Any | None]:
    """A ``rewrite_recipe_file`` change: the recipe follows files that moved with it (``follow_moves``)."""
    moves = list(moves)
    return lambda data: data if follow_moves(data, moves) else None


def run_renamed(old: Path, new: Path) -> Callable[[Any], Any | None]:
    """A ``rewrite_recipe_file`` change: paths inside a renamed run now point into its new name."""

    def change(data):
        swapped, changed = repoint_recipe(data, old, new)
        return swapped if changed else None

    return change
