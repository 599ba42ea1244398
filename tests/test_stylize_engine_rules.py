"""The Stylize rules that moved out of the widgets into the engine, without Qt: recipe files, save jobs, presets."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from studio.engine.jobs import Failed, Finished, JobToken, run_job
from studio.engine.style.artwork_jobs import SaveTimelapseJob, artwork_output_path, timelapse_frames
from studio.engine.style.gatys import LESSON_PRESETS, StyleSettings
from studio.engine.style.preset_match import matches_preset, same_value
from studio.engine.style.recipe_files import artwork_for_recipe, locate_recipe_file, recipe_mask_files


def test_recipe_files_are_found_beside_a_moved_recipe(tmp_path):
    moved = tmp_path / "moved"
    moved.mkdir()
    (moved / "photo.png").write_bytes(b"x")
    recipe = moved / "art.json"
    recipe.write_text(json.dumps({"mask_files": {"style": ["art.style-mask-1.png", None],
                                                  "regions": ["art.region-1.png"]}}))
    (moved / "art.style-mask-1.png").write_bytes(b"x")
    assert locate_recipe_file("/somewhere/else/photo.png", recipe) == str(moved / "photo.png")
    assert locate_recipe_file("<pasted>", recipe) is None and locate_recipe_file("gone.png", recipe) is None
    style, regions, missing = recipe_mask_files(recipe)
    assert style == [moved / "art.style-mask-1.png", None] and regions == [None] and missing == ["art.region-1.png"]
    assert artwork_for_recipe(recipe) is None
    (moved / "art.webp").write_bytes(b"x")
    assert artwork_for_recipe(recipe) == moved / "art.webp" and artwork_for_recipe(moved / "art.webp").name == "art.webp"


def test_save_jobs_write_off_any_thread_and_fail_in_one_sentence(tmp_path):
    frames = [np.full((8, 8, 3), 10, np.uint8), np.full((9, 8, 3), 200, np.uint8)]
    stacked = timelapse_frames(frames, fps=4, hold_s=1.0)
    assert stacked.shape == (5, 9, 8, 3)  # one size for all, the last frame held for a second
    events = []
    outcome = run_job(SaveTimelapseJob(frames, tmp_path / "paint.png", fps=4), events.append, JobToken())
    assert isinstance(events[-1], Finished) and events[-1].result == tmp_path / "paint.gif"
    with Image.open(tmp_path / "paint.gif") as im:
        assert im.n_frames >= 2
    events.clear()
    outcome = run_job(SaveTimelapseJob([], tmp_path / "none.gif"), events.append, JobToken())
    assert isinstance(events[-1], Failed) and events[-1].message == "This run kept no timelapse frames."
    assert outcome.error == events[-1].message
    assert artwork_output_path(tmp_path / "d").name == "d.png" and artwork_output_path("a.WEBP").name == "a.WEBP"


@pytest.mark.parametrize("name", list(LESSON_PRESETS))
def test_a_preset_matches_itself_and_not_after_a_change(name):
    values = {**StyleSettings().to_dict(), **LESSON_PRESETS[name]}
    fields = tuple(values)
    assert matches_preset(values, name, fields)
    assert not matches_preset({**values, "iterations": values["iterations"] + 1}, name, fields)
    assert same_value([1, 2.0], (1, 2.0000000000001)) and not same_value([1, 2.0], [1, 2.1])
    assert not same_value(True, False) and not same_value({"a": 1}, {"a": 1, "b": 2})
