"""One home for recipe rules (studio.engine.recipes): where they live, what kind a file holds, reading with the schema,
writing, and following renames — used by the style engine, the walk exporter and the Gallery alike."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from studio.engine.export import save_artwork
from studio.engine.latent.keyframes import TimelineError
from studio.engine.recipes import (
    ARTWORK_KIND,
    WALK_FORMAT,
    RecipeError,
    artwork_recipe_path,
    follow_moves,
    read_recipe,
    recipe_kind,
    repoint_recipe,
    walk_recipe_path,
    write_recipe,
)
from studio.engine.style.settings import StyleError


def _artwork(folder: Path) -> Path:
    recipe = {"kind": ARTWORK_KIND, "content": "photo.png", "styles": ["a.png"], "style_blend": [1.0],
              "settings": {"size": 64}, "mask_files": {"style": ["art.style-mask-1.png"], "regions": None}}
    return save_artwork(np.zeros((8, 8, 3), np.uint8), folder / "art.png", recipe)


def _walk(folder: Path) -> Path:
    data = {"format": WALK_FORMAT, "version": 1, "generator": {"path": str(folder / "run"), "sha256": ""},
            "timeline": {"keyframes": [{"seed": 1}, {"seed": 2}], "segments": [{"frames": 4}], "loop": False,
                         "fps": 12}, "output": {"path": str(folder / "walk.gif"), "size": 64}}
    return write_recipe(walk_recipe_path(folder / "walk.gif"), data)


def test_where_recipes_live():
    assert artwork_recipe_path("x/art.png") == Path("x/art.json")
    assert walk_recipe_path("x/walk.gif") == Path("x/walk.gif.json")
    assert walk_recipe_path("x/frames") == Path("x/frames.json")


def test_each_kind_is_read_from_its_file_and_a_picture(tmp_path):
    art = _artwork(tmp_path)
    assert read_recipe(art).kind == "artwork" and read_recipe(art).data["content"] == "photo.png"
    assert read_recipe(artwork_recipe_path(art), expect="artwork").data["styles"] == ["a.png"]
    walk = _walk(tmp_path)
    assert read_recipe(walk).kind == "walk"
    assert recipe_kind(walk) == "walk" and recipe_kind(art) == ARTWORK_KIND
    assert recipe_kind(tmp_path / "missing.json") is None  # never raises: the Gallery asks it of every file


def test_the_wrong_kind_and_wrong_types_are_refused_in_the_callers_words(tmp_path):
    walk = _walk(tmp_path)
    with pytest.raises(StyleError, match="holds no style-transfer recipe"):
        read_recipe(walk, expect="artwork", error=StyleError)
    art = _artwork(tmp_path)
    with pytest.raises(TimelineError, match="not a GAN Art Studio animation recipe"):
        read_recipe(artwork_recipe_path(art), expect="walk", error=TimelineError)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"kind": ARTWORK_KIND, "content": "p.png", "styles": ["s.png"],
                               "settings": {"size": "big"}}))
    with pytest.raises(RecipeError, match=r"bad\.json: settings\.size"):
        read_recipe(bad)
    nan = tmp_path / "nan.json"
    nan.write_text(json.dumps({"kind": ARTWORK_KIND, "content": "p.png", "styles": ["s.png"],
                               "style_blend": [float("nan")]}))  # json writes NaN; the studio refuses it
    with pytest.raises(RecipeError):
        read_recipe(nan)


def test_a_recipe_follows_files_that_moved_with_it(tmp_path):
    data = {"mask_files": {"style": ["art.style-mask-1.png", None], "regions": ["art.region-1.png"]},
            "output": {"path": str(tmp_path / "art.png")}}
    moves = [(tmp_path / "art.png", tmp_path / "new.png"),
             (tmp_path / "art.style-mask-1.png", tmp_path / "new.style-mask-1.png"),
             (tmp_path / "art.region-1.png", tmp_path / "new.region-1.png")]
    assert follow_moves(data, moves)
    assert data["mask_files"] == {"style": ["new.style-mask-1.png", None], "regions": ["new.region-1.png"]}
    assert data["output"]["path"] == str(tmp_path / "new.png")
    assert not follow_moves(data, moves)  # nothing left to change


def test_paths_inside_a_renamed_run_follow_it(tmp_path):
    old, new = tmp_path / "runs" / "a", tmp_path / "runs" / "b"
    data = {"generator": {"path": str(old)}, "grids": [str(old / "samples" / "s.png"), str(tmp_path / "ab")]}
    swapped, changed = repoint_recipe(data, old, new)
    assert changed and swapped["generator"]["path"] == str(new)
    assert swapped["grids"] == [str(new / "samples" / "s.png"), str(tmp_path / "ab")]  # a look-alike stays


def test_writing_is_atomic_and_stable(tmp_path):
    path = tmp_path / "r.json"
    write_recipe(path, {"b": 1, "a": [1, 2]})
    first = path.read_bytes()
    write_recipe(path, {"a": [1, 2], "b": 1})
    assert path.read_bytes() == first  # same recipe, same bytes
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]  # no temp file left
