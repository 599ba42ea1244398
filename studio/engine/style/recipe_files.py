"""The files a style recipe names, found the way the Stylize page and the CLI both need them (no Qt, no torch).

A recipe travels: the artist moves a folder, or opens an artwork someone sent. So a name in a recipe is looked
for where it was, beside the recipe, and under its own name beside the recipe; masks only ever beside it (never a
path elsewhere). A missing file is named, not fatal: everything else in the recipe still comes back.
"""

from __future__ import annotations

import json
from pathlib import Path

ARTWORK_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")


def locate_recipe_file(name: str, recipe: str | Path) -> str | None:
    """The picture a recipe names, or None when it names none ("<pasted>") or it cannot be found."""
    if not name or name.startswith("<"):
        return None
    recipe = Path(recipe)
    p = Path(name)
    for cand in (p, recipe.parent / p, recipe.parent / p.name):
        if cand.is_file():
            return str(cand)
    return None


def recipe_mask_files(path: str | Path) -> tuple[list[Path | None], list[Path | None] | None, list[str]]:
    """(style masks, content regions or None, names of missing files): like ``gatys.load_recipe_masks`` but a
    missing file becomes None and is named, so a recipe with one mask gone still gives back the others."""
    from studio.engine.export import read_artwork_recipe

    path = Path(path)
    try:
        data = json.loads(path.read_text()) if path.suffix.lower() == ".json" else read_artwork_recipe(path)
    except (OSError, ValueError):
        return [], None, []
    files = (data or {}).get("mask_files") or {}
    missing: list[str] = []

    def resolve(name) -> Path | None:
        if not name:
            return None
        f = path.with_name(Path(str(name)).name)  # only beside the recipe, as the engine reads them
        if f.is_file():
            return f
        missing.append(f.name)
        return None

    style = [resolve(x) for x in files.get("style") or []]
    regions = files.get("regions")
    return style, ([resolve(x) for x in regions] if regions else None), missing


def artwork_for_recipe(path: str | Path) -> Path | None:
    """The finished picture a recipe belongs to: the file itself when it is an artwork, else an artwork with the
    same name beside the JSON (``save_result`` writes ``art.png`` + ``art.json``); None when there is none."""
    path = Path(path)
    if path.suffix.lower() in ARTWORK_SUFFIXES:
        return path if path.is_file() else None
    for suffix in ARTWORK_SUFFIXES:
        cand = path.with_suffix(suffix)
        if cand.is_file():
            return cand
    return None
