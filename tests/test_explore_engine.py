"""The Explore page's widget-free rules, now in the engine: favourites file, segment cache, undo, wording."""

from __future__ import annotations

import json

import numpy as np
import pytest

from studio.engine.latent.favourites import (
    FAVOURITES_FORMAT,
    entry_key,
    favourites_path,
    keyframe_entry,
    load_favourites,
    save_favourites,
    valid_entry,
)
from studio.engine.latent.history import EditHistory
from studio.engine.latent.walk_preview import (
    SegmentCache,
    entries_from_timeline,
    segment_plan,
    timeline_from_entries,
    timeline_key,
)
from studio.engine.latent.wording import (
    format_bytes,
    gif_loop_from_plays,
    plays_from_gif_loop,
    segment_caption,
    timeline_summary,
)


def test_favourites_round_trip_beside_a_generator_or_in_a_run(tmp_path):
    gen = tmp_path / "tiny.safetensors"
    run = tmp_path / "run"
    run.mkdir()
    assert favourites_path(gen) == tmp_path / "tiny.favourites.json"
    assert favourites_path(run) == run / "favourites.json"
    entries = [{"seed": 7, "label": "seed 7"}, {"seed": None, "latent": [0.25, -1.0], "label": "seed 7 ~1"}]
    save_favourites(favourites_path(gen), entries, "ab" * 32)
    data = json.loads(favourites_path(gen).read_text(encoding="utf-8"))
    assert data["format"] == FAVOURITES_FORMAT and data["generator_sha256"] == "ab" * 32
    assert load_favourites(favourites_path(gen)) == entries
    assert not list(tmp_path.glob("*.tmp*"))  # written whole, nothing left beside it


@pytest.mark.parametrize("text", ["not json", "[]", json.dumps({"format": "other", "items": [{"seed": 1}]}),
                                  json.dumps({"format": FAVOURITES_FORMAT, "items": "seed 1"})])
def test_a_damaged_or_foreign_favourites_file_gives_none(tmp_path, text):
    path = tmp_path / "favourites.json"
    path.write_text(text, encoding="utf-8")
    assert load_favourites(path) == []


def test_only_entries_that_name_a_sample_are_kept(tmp_path):
    items = [{"seed": 3}, {"seed": True}, {"seed": "4"}, {"latent": []}, {"latent": [1, "x"]}, {"latent": [1.5]}, 5]
    assert [valid_entry(e) for e in items] == [True, False, False, False, False, True, False]
    path = tmp_path / "favourites.json"
    path.write_text(json.dumps({"format": FAVOURITES_FORMAT, "items": items}), encoding="utf-8")
    assert [e.get("seed") for e in load_favourites(path)] == [3, None]


def test_a_sample_is_known_by_its_seed_or_by_its_latent():
    assert entry_key({"seed": 12}) == 12
    a, b = entry_key({"seed": 12, "latent": [0.5, 0.25]}), entry_key({"latent": [0.5, 0.25]})
    assert a == b and str(a).startswith("z:") and a != entry_key({"latent": [0.5, 0.26]})
    assert keyframe_entry({"seed": 2}) == {"seed": 2, "label": "seed 2", "frames": 24, "easing": "linear",
                                           "interp": "slerp"}


def test_undo_history_coalesces_one_control_and_redo_is_dropped_by_a_new_edit():
    now = [0.0]
    h = EditHistory(limit=3, coalesce_s=1.5, clock=lambda: now[0])
    h.reset({"v": 0})
    for v in (1, 2, 3):  # a spin box arrow held down: one step
        now[0] += 0.5
        assert h.record({"v": v}, 0, tag="frames")
    assert not h.record({"v": 3}, 0, tag="frames")  # nothing changed
    now[0] += 5
    h.record({"v": 4}, 1, tag="frames")  # later: a step of its own
    assert h.undo({"v": 4}, 1) == {"state": {"v": 3}, "row": 1}
    h.commit({"v": 3})
    assert h.undo({"v": 3}, 1) == {"state": {"v": 0}, "row": 0}
    h.commit({"v": 0})
    assert h.undo({"v": 0}, 0) is None and h.can_redo()
    assert h.redo({"v": 0}, 0)["state"] == {"v": 3}
    h.commit({"v": 3})
    h.record({"v": 9}, 0)
    assert not h.can_redo()
    for v in range(10, 20):
        h.record({"v": v}, 0)
    steps = 0
    while h.undo({"v": -1}, 0) is not None:
        steps += 1
    assert steps == 3  # the limit


def _entries(n: int) -> list[dict]:
    return [keyframe_entry({"seed": s}) | {"frames": 3} for s in range(1, n + 1)]


def test_timeline_entries_round_trip_and_an_edit_changes_only_its_segment_key():
    tl = timeline_from_entries(_entries(3), loop=True, fps=12, truncation=0.8, latent_dim=8)
    assert tl.loop and tl.frame_count == 9 and tl.truncation == 0.8
    assert timeline_from_entries([], True, 12, 1.0, 8) is None
    back = entries_from_timeline(tl, 8)
    assert [e["seed"] for e in back] == [1, 2, 3] and all("latent" not in e for e in back)
    assert timeline_from_entries(back, True, 12, 0.8, 8).to_dict() == tl.to_dict()

    plan = segment_plan(tl)
    assert [list(r) for _k, r in plan] == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    edited = _entries(3)
    edited[1]["frames"] = 5
    plan2 = segment_plan(timeline_from_entries(edited, True, 12, 0.8, 8))
    assert [a == b for (a, _r), (b, _s) in zip(plan, plan2, strict=True)] == [True, False, True]
    assert timeline_key(tl) == timeline_key(timeline_from_entries(_entries(3), True, 24, 0.8, 8))  # fps aside


def test_the_segment_cache_keeps_within_its_budget_and_keeps_the_newest():
    cache = SegmentCache(budget_bytes=2 * 1000)
    plan = [("a", range(0, 1)), ("b", range(1, 2))]
    assert cache.assemble(plan) is None and list(cache.missing(plan)) == ["a", "b"]
    cache.store("a", np.zeros((1, 10, 10, 10), np.uint8))
    cache.store("b", np.ones((1, 10, 10, 10), np.uint8))
    assert cache.assemble(plan).shape == (2, 10, 10, 10)
    cache.store("c", np.full((1, 10, 10, 10), 2, np.uint8))  # over budget: the least recently used goes
    assert "a" not in cache and "b" in cache and "c" in cache
    cache.store("huge", np.zeros((5, 10, 10, 10), np.uint8))
    assert len(cache) == 1 and "huge" in cache


def test_the_words_the_page_uses():
    assert [format_bytes(n) for n in (900, 2048, 3 * 1024**2)] == ["900 B", "2 KB", "3.0 MB"]
    for plays in (0, 1, 2, 7):
        assert plays_from_gif_loop(gif_loop_from_plays(plays)) == plays
    assert gif_loop_from_plays(1) == -1 and gif_loop_from_plays(0) == 0
    assert segment_caption(2, 3, loop=True, wandering=False) == ("Keyframe 3 → 1:", True)
    assert segment_caption(2, 3, loop=False, wandering=False)[1] is False
    tl = timeline_from_entries(_entries(2), loop=False, fps=10, truncation=1.0, latent_dim=8)
    assert timeline_summary(tl) == "2 keyframes · 4 frames · 0.4 s"
