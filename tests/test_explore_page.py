"""The Explore page with a real (tiny) generator: open, browse, star, build a timeline, play, export."""

from __future__ import annotations

import json
import pickle
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from studio.engine.gan.checkpoints import export_generator
from studio.engine.gan.trainer import GanTrainingJob, TrainConfig
from studio.engine.jobs import run_job
from studio.engine.latent.favourites import favourites_path
from studio.engine.runs import default_workspace, new_run_dir
from studio.ui.explore.page import ExplorePage
from studio.ui.widgets.explore_lists import FAVOURITE_MIME

WAIT_MS = 60_000


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> tuple[Path, Path]:
    """(run directory in the workspace, exported generator file) from two training steps on CPU."""
    run_dir = new_run_dir(default_workspace() / "runs", "explore-test")
    cfg = TrainConfig.for_preset("dcgan32", data="demo", width=4, batch_size=8, steps=2, demo_count=32,
                                 sample_every_s=1e9, checkpoint_every_min=0, device="cpu")
    outcome = run_job(GanTrainingJob(cfg, run_dir))
    assert outcome.error is None, outcome.error
    out = tmp_path_factory.mktemp("gen") / "tiny.safetensors"
    return run_dir, export_generator(run_dir, out)


@pytest.fixture
def page(qtbot):
    p = ExplorePage()
    qtbot.addWidget(p)
    p.resize(1280, 800)
    p.show()
    yield p
    p.shutdown(WAIT_MS)


def _idle(page: ExplorePage) -> bool:
    return not page.is_busy()


def open_and_wait(qtbot, page: ExplorePage, source: Path) -> None:
    page.open_generator(source)
    qtbot.waitUntil(lambda: page.has_generator() and _idle(page) and None not in page.grid.seeds(),
                    timeout=WAIT_MS)


def _drop_favourites_on_timeline(page: ExplorePage, rows: list[int]) -> None:
    """What a drag from the favourites strip delivers to the keyframe strip: enter, then drop."""
    fav = page.favourites
    mime = fav.mimeData([fav.item(r) for r in rows])
    assert mime.hasFormat(FAVOURITE_MIME)
    target = page.keyframes.viewport()
    pos = QPointF(target.width() - 5, target.height() / 2)
    enter = QDragEnterEvent(pos.toPoint(), Qt.DropAction.CopyAction | Qt.DropAction.MoveAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(target, enter)
    assert enter.isAccepted()
    drop = QDropEvent(pos, Qt.DropAction.CopyAction | Qt.DropAction.MoveAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(target, drop)
    assert drop.dropAction() == Qt.DropAction.CopyAction  # the favourites stay in their strip


def test_opening_a_generator_shows_a_grid_of_seeds(qtbot, page, trained):
    _run, gen = trained
    open_and_wait(qtbot, page, gen)
    info = page.generator_info()
    assert info.image_size == 32
    assert gen.name in page.generator_label.text()
    seeds = page.grid.seeds()
    assert len(seeds) == 16 and len(set(seeds)) > 1
    for tile in page.grid.tiles:
        assert tile.caption.text() == f"seed {tile.seed}"
        assert tile.view.image is not None and tile.view.image.shape[:2] == (32, 32)
    # Clicking a tile shows it large.
    tile = page.grid.tiles[5]
    qtbot.mouseClick(tile, Qt.MouseButton.LeftButton, pos=QPoint(10, 10))
    assert page.grid.current_index() == 5
    assert page.preview_caption.text() == f"Seed {tile.seed}"
    assert (page.preview_view.image == tile.view.image).all()
    # New batch brings other seeds; a typed seed joins the grid in front.
    qtbot.mouseClick(page.new_batch_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _idle(page) and page.grid.seeds() != seeds, timeout=WAIT_MS)
    page.seed_spin.setValue(4242)
    qtbot.mouseClick(page.show_seed_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _idle(page) and page.grid.seeds()[0] == 4242, timeout=WAIT_MS)
    assert page.grid.current_seed() == 4242


def test_diversity_slider_is_off_by_default_and_changes_the_pictures(qtbot, page, trained):
    open_and_wait(qtbot, page, trained[1])
    assert page.truncation() == 1.0 and page.truncation_label.text() == "off"
    before = page.grid.tiles[0].view.image.copy()
    page.truncation_slider.setValue(80)
    assert page.truncation() == pytest.approx(0.2)
    qtbot.waitUntil(lambda: _idle(page) and not (page.grid.tiles[0].view.image == before).all(), timeout=WAIT_MS)


def test_starring_samples_fills_the_strip_and_persists(qtbot, page, trained):
    _run, gen = trained
    favourites_path(gen).unlink(missing_ok=True)
    open_and_wait(qtbot, page, gen)
    first, second = page.grid.tiles[0], page.grid.tiles[3]
    page.grid.select(0)
    page.grid.setFocus()
    qtbot.keyClick(page.grid, Qt.Key.Key_F)  # the F key stars the selected sample
    qtbot.mouseClick(second.star, Qt.MouseButton.LeftButton)  # the star on a tile
    assert page.favourite_seeds() == [first.seed, second.seed]
    assert first.star.isChecked() and second.star.isChecked()
    assert page.favourites.item(0).text() == f"seed {first.seed}" and not page.favourites.item(0).icon().isNull()
    data = json.loads(favourites_path(gen).read_text(encoding="utf-8"))
    assert [e["seed"] for e in data["items"]] == [first.seed, second.seed]
    # Reordering the strip is saved too (what an internal drag does to the model).
    page.favourites.move_row(1, 0)
    data = json.loads(favourites_path(gen).read_text(encoding="utf-8"))
    assert [e["seed"] for e in data["items"]] == [second.seed, first.seed]
    # Unstarring removes it.
    qtbot.mouseClick(first.star, Qt.MouseButton.LeftButton)
    assert page.favourite_seeds() == [second.seed]

    # A fresh page on the same generator remembers them, with pictures.
    other = ExplorePage()
    qtbot.addWidget(other)
    try:
        open_and_wait(qtbot, other, gen)
        assert other.favourite_seeds() == [second.seed]
        qtbot.waitUntil(lambda: not other.favourites.item(0).icon().isNull(), timeout=WAIT_MS)
    finally:
        other.shutdown(WAIT_MS)


def test_timeline_from_favourites_plays_and_exports_a_gif(qtbot, page, trained, tmp_path):
    _run, gen = trained
    favourites_path(gen).unlink(missing_ok=True)
    open_and_wait(qtbot, page, gen)
    for tile in page.grid.tiles[:3]:
        qtbot.mouseClick(tile.star, Qt.MouseButton.LeftButton)
    assert page.favourites.count() == 3

    _drop_favourites_on_timeline(page, [0, 1])
    assert page.favourites.count() == 3
    assert [d["seed"] for d in page.keyframes.datas()] == page.favourite_seeds()[:2]
    page.favourites.setCurrentRow(2)
    qtbot.mouseClick(page.add_key_button, Qt.MouseButton.LeftButton)
    assert page.keyframes.count() == 3
    # Duplicate, then remove the copy; reorder with the arrow buttons.
    page.keyframes.setCurrentRow(2)
    qtbot.mouseClick(page.duplicate_button, Qt.MouseButton.LeftButton)
    assert page.keyframes.count() == 4
    qtbot.mouseClick(page.remove_key_button, Qt.MouseButton.LeftButton)
    assert page.keyframes.count() == 3
    page.keyframes.setCurrentRow(0)
    qtbot.mouseClick(page.move_right_button, Qt.MouseButton.LeftButton)
    favs = page.favourite_seeds()
    assert [d["seed"] for d in page.keyframes.datas()] == [favs[1], favs[0], favs[2]]

    for row in range(3):
        page.set_segment(row, frames=3, easing="linear", interp="slerp")
    page.set_segment(1, easing="ease-in-out", interp="lerp")
    page.loop_check.setChecked(True)
    tl = page.current_timeline()
    assert tl.loop and [s.frames for s in tl.segments] == [3, 3, 3]
    assert tl.segments[1].easing == "ease-in-out" and tl.segments[1].interp == "lerp"
    assert tl.frame_count == 9
    assert "9 frames" in page.timeline_summary.text()

    page.fps_spin.setValue(30)
    qtbot.mouseClick(page.play_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.play_timer.isActive(), timeout=WAIT_MS)
    frames = page.preview_frames()
    assert frames is not None and len(frames) == 9
    start, shown = page.current_frame_index(), page.current_frame().copy()
    qtbot.waitUntil(lambda: page.current_frame_index() != start, timeout=5_000)
    assert not (page.current_frame() == shown).all()
    qtbot.mouseClick(page.play_button, Qt.MouseButton.LeftButton)  # pause
    assert not page.play_timer.isActive()
    page.scrub.setValue(4)
    assert page.frame_label.text() == "5 / 9"
    assert (page.current_frame() == frames[4]).all()

    # Export a GIF through the same timeline.
    page.format_combo.setCurrentIndex(page.format_combo.findData("gif"))
    page.size_spin.setValue(48)
    out = tmp_path / "walk.gif"
    with qtbot.waitSignal(page.export_runner.finished, timeout=WAIT_MS):
        assert page.export_walk(out)
    assert out.is_file() and (tmp_path / "walk.gif.json").is_file()
    with Image.open(out) as im:
        assert im.n_frames == 9 and im.size == (48, 48)
    assert str(out) in page.result_message()


def test_export_can_be_cancelled(qtbot, page, trained, tmp_path):
    open_and_wait(qtbot, page, trained[1])
    qtbot.mouseClick(page.grid.tiles[0].star, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(page.grid.tiles[1].star, Qt.MouseButton.LeftButton)
    page.add_selected_favourites_to_timeline()
    page.set_segment(0, frames=200)
    out = tmp_path / "long.gif"
    assert page.export_walk(out)
    assert page.cancel_export_button.isEnabled()
    with qtbot.waitSignal(page.export_runner.running_changed, timeout=WAIT_MS):
        qtbot.mouseClick(page.cancel_export_button, Qt.MouseButton.LeftButton)
    assert not out.exists() and "cancelled" in page.export_status.text().lower()


def test_a_pickle_is_refused_with_a_plain_message(qtbot, page, tmp_path):
    evil = tmp_path / "model.pkl"
    evil.write_bytes(pickle.dumps({"weights": [1, 2, 3]}))
    page.open_generator(evil)
    qtbot.waitUntil(lambda: bool(page.error_message()) and _idle(page), timeout=WAIT_MS)
    msg = page.error_message()
    assert "model.pkl" in msg and "only GAN Art Studio generators" in msg
    assert "CheckpointError" not in msg and not page.has_generator()
    assert page.open_file_button.isEnabled()
    qtbot.mouseClick(page.error_close_button, Qt.MouseButton.LeftButton)
    assert page.error_message() == ""


def test_runs_in_the_workspace_are_listed_and_open_on_click(qtbot, page, trained):
    run_dir, _gen = trained
    page.refresh_runs()
    names = [page.runs_list.item(i).text().split("\n")[0] for i in range(page.runs_list.count())]
    assert run_dir.name in names
    item = page.runs_list.item(names.index(run_dir.name))
    rect = page.runs_list.visualItemRect(item)
    qtbot.mouseClick(page.runs_list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: page.has_generator() and _idle(page) and None not in page.grid.seeds(),
                    timeout=WAIT_MS)
    assert page.generator_info().step == 2
    qtbot.mouseClick(page.grid.tiles[2].star, Qt.MouseButton.LeftButton)
    assert (run_dir / "favourites.json").is_file()


def test_non_favourite_drops_are_ignored(qtbot, page):
    mime = QMimeData()
    mime.setText("hello")
    target = page.keyframes.viewport()
    drop = QDropEvent(QPointF(5, 5), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(target, drop)
    assert page.keyframes.count() == 0


def test_main_window_mounts_the_explore_page_once_the_engine_loads(qtbot):
    from studio.ui.window.window import MainWindow

    window = MainWindow(load_engine=True)
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.engine_ready, timeout=120_000):
        pass
    assert window.engine_info.ok
    page = window.page_widget("explore")
    assert isinstance(page, ExplorePage) and page is window.explore_page()
    window.show_page("explore")
    assert page.isVisible() and page.open_file_button.isEnabled()
    window.shutdown_background()


def test_the_favourites_strip_refuses_foreign_drops(qtbot, page):
    page.favourites.add_entry({"seed": 1, "label": "seed 1"}, None, "seed 1")
    mime = QMimeData()
    mime.setData(FAVOURITE_MIME, b'[{"seed": 9, "label": "seed 9"}]')
    target = page.favourites.viewport()
    enter = QDragEnterEvent(QPoint(5, 5), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(target, enter)
    assert not enter.isAccepted()
    assert page.favourite_seeds() == [1]


# ---------------------------------------------------------------------------------------------- helpers
def _timeline_page(qtbot, page: ExplorePage, gen: Path, stars: int = 3) -> None:
    favourites_path(gen).unlink(missing_ok=True)
    open_and_wait(qtbot, page, gen)
    for tile in page.grid.tiles[:stars]:
        qtbot.mouseClick(tile.star, Qt.MouseButton.LeftButton)
    page.add_selected_favourites_to_timeline()


def _wait_preview(qtbot, page: ExplorePage) -> None:
    qtbot.waitUntil(lambda: page.preview_is_current() and _idle(page), timeout=WAIT_MS)


def _tl(page: ExplorePage) -> dict:
    return page.current_timeline().to_dict()


# ---------------------------------------------------------------------------------------------- undo
def test_undo_and_redo_walk_back_and_forth_through_timeline_edits(qtbot, page, trained):
    _timeline_page(qtbot, page, trained[1])
    assert page.keyframes.count() == 3 and page.can_undo()
    history = [_tl(page)]

    def edit(fn) -> None:
        fn()
        history.append(_tl(page))
        assert history[-1] != history[-2]

    page.keyframes.setCurrentRow(1)
    edit(lambda: qtbot.mouseClick(page.duplicate_button, Qt.MouseButton.LeftButton))
    edit(lambda: qtbot.mouseClick(page.remove_key_button, Qt.MouseButton.LeftButton))
    page.keyframes.setCurrentRow(0)
    edit(lambda: qtbot.mouseClick(page.move_right_button, Qt.MouseButton.LeftButton))
    edit(lambda: page.set_segment(0, frames=5))
    edit(lambda: page.set_segment(1, easing="ease-in-out"))
    edit(lambda: page.set_segment(1, interp="lerp"))
    edit(lambda: page.loop_check.setChecked(True))
    edit(lambda: page.fps_spin.setValue(12))
    assert page.undo_button.isEnabled() and not page.redo_button.isEnabled()

    for expected in reversed(history[:-1]):  # the Undo button, one step at a time
        qtbot.mouseClick(page.undo_button, Qt.MouseButton.LeftButton)
        assert _tl(page) == expected
    assert page.redo_button.isEnabled()
    for expected in history[1:]:
        assert page.redo()
        assert _tl(page) == expected
    assert not page.redo()
    # Controls follow the restored state.
    assert page.fps_spin.value() == 12 and page.loop_check.isChecked()

    # Keyboard: Ctrl+Z undoes, Ctrl+Shift+Z redoes (the page's shortcuts, focus in the timeline).
    page.activateWindow()
    page.keyframes.setFocus()
    qtbot.waitUntil(lambda: page.keyframes.hasFocus(), timeout=5_000)
    qtbot.keyClick(page.keyframes, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert _tl(page) == history[-2] and page.fps_spin.value() == 24
    qtbot.keyClick(page.keyframes, Qt.Key.Key_Z,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert _tl(page) == history[-1]

    # A new edit after an undo drops the redo branch.
    page.undo()
    page.set_segment(0, frames=7)
    assert not page.can_redo()


def test_spin_box_steps_on_one_segment_are_one_undo_step(qtbot, page, trained):
    _timeline_page(qtbot, page, trained[1], stars=2)
    before = _tl(page)
    page.keyframes.setCurrentRow(0)
    for _ in range(4):
        page.frames_spin.stepUp()
    assert page.current_timeline().segments[0].frames == 28
    assert page.undo()
    assert _tl(page) == before


# ---------------------------------------------------------------------------------------------- segment cache
def test_editing_one_segment_re_renders_only_that_segment(qtbot, page, trained):
    _timeline_page(qtbot, page, trained[1])
    for row in range(3):
        page.set_segment(row, frames=3)
    page.loop_check.setChecked(True)
    page.render_preview()
    _wait_preview(qtbot, page)
    assert len(page.preview_frames()) == 9
    before = page.preview_frames().copy()
    count = page.rendered_frame_count

    page.set_segment(1, frames=5)
    page.render_preview()  # no need to wait for the edit timer
    _wait_preview(qtbot, page)
    frames = page.preview_frames()
    assert len(frames) == 11
    assert page.rendered_frame_count - count == 5  # segment 2 only
    assert (frames[:3] == before[:3]).all() and (frames[8:] == before[6:]).all()

    # Undo brings the old walk back from the cache at once, rendering nothing.
    count = page.rendered_frame_count
    page.undo()
    assert page.preview_is_current() and (page.preview_frames() == before).all()
    assert page.rendered_frame_count == count


# ---------------------------------------------------------------------------------------------- recipes
def test_a_recipe_reopens_the_same_timeline_and_frames_in_a_fresh_page(qtbot, page, trained, tmp_path):
    _run, gen = trained
    _timeline_page(qtbot, page, gen)
    page.set_segment(0, frames=4, easing="ease-in-out")
    page.set_segment(1, frames=3, interp="lerp")
    page.loop_check.setChecked(True)
    page.set_segment(2, frames=2)
    page.fps_spin.setValue(15)
    page.truncation_slider.setValue(30)
    page.resample_combo.setCurrentIndex(page.resample_combo.findData("nearest"))
    page.palette_combo.setCurrentIndex(page.palette_combo.findData(64))
    page.gif_plays_spin.setValue(3)
    page.render_preview()
    _wait_preview(qtbot, page)
    frames = page.preview_frames().copy()
    timeline = _tl(page)
    out = tmp_path / "walk.gif"
    with qtbot.waitSignal(page.export_runner.finished, timeout=WAIT_MS):
        assert page.export_walk(out)
    recipe = tmp_path / "walk.gif.json"
    assert recipe.is_file()

    other = ExplorePage()
    qtbot.addWidget(other)
    try:
        assert other.open_recipe(recipe)
        qtbot.waitUntil(lambda: other.has_generator() and other.keyframes.count() == 3, timeout=WAIT_MS)
        assert _tl(other) == timeline
        assert other.resample_combo.currentData() == "nearest" and other.palette_combo.currentData() == 64
        assert other.gif_loop() == page.gif_loop() == 2
        other.render_preview()
        _wait_preview(qtbot, other)
        assert (other.preview_frames() == frames).all()
        assert other.error_message() == ""
        qtbot.waitUntil(lambda: not other.keyframes.item(0).icon().isNull() and _idle(other), timeout=WAIT_MS)
    finally:
        other.shutdown(WAIT_MS)

    # A recipe made with another generator (its SHA-256 differs) opens, with a warning.
    data = json.loads(recipe.read_text(encoding="utf-8"))
    data["generator"]["sha256"] = "0" * 64
    changed = tmp_path / "changed.gif.json"
    changed.write_text(json.dumps(data), encoding="utf-8")
    assert page.open_recipe(changed)
    qtbot.waitUntil(lambda: page.keyframes.count() == 3 and _idle(page), timeout=WAIT_MS)
    assert "changed since the recipe" in page.error_message()
    # Not a recipe: refused in plain words.
    bad = tmp_path / "bad.json"
    bad.write_text("{}", encoding="utf-8")
    assert not page.open_recipe(bad)
    assert "not a GAN Art Studio animation recipe" in page.error_message()


# ---------------------------------------------------------------------------------------------- variations
def test_variations_fill_the_grid_and_a_starred_one_keeps_its_latent(qtbot, page, trained):
    import torch

    from studio.engine.latent.keyframes import seed_latent

    _run, gen = trained
    favourites_path(gen).unlink(missing_ok=True)
    open_and_wait(qtbot, page, gen)
    page.grid.select(2)
    seed = page.grid.current_seed()
    dim = page.generator_info().latent_dim

    def spread() -> float:
        center = seed_latent(seed, dim)
        return float(torch.stack([torch.tensor(t.entry["latent"]) - center for t in page.grid.tiles[1:]])
                     .norm(dim=1).mean())

    page.variation_slider.setValue(10)
    assert page.variation_label.text() == "10 %"
    qtbot.mouseClick(page.variations_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _idle(page) and page.grid.tiles[1].entry.get("latent") is not None, timeout=WAIT_MS)
    assert page.grid.tiles[0].seed == seed and page.grid.current_index() == 0
    assert page.grid.tiles[3].caption.text() == f"seed {seed} ~3"
    assert all(t.view.image is not None for t in page.grid.tiles)
    near = spread()
    page.variation_slider.setValue(60)
    assert page.show_variations()
    qtbot.waitUntil(lambda: _idle(page) and spread() != near, timeout=WAIT_MS)
    assert spread() > 2 * near
    # The V key on the grid asks for a new ring around the selected tile.
    page.activateWindow()
    page.grid.setFocus()
    qtbot.waitUntil(page.grid.hasFocus, timeout=5_000)
    ring = [t.entry["latent"] for t in page.grid.tiles[1:]]
    qtbot.keyClick(page.grid, Qt.Key.Key_V)
    qtbot.waitUntil(lambda: _idle(page) and [t.entry["latent"] for t in page.grid.tiles[1:]] != ring,
                    timeout=WAIT_MS)
    assert page.grid.tiles[0].seed == seed

    # Star a variation: the favourite (and the saved file) carries its latent; a keyframe made from it too.
    tile = page.grid.tiles[4]
    latent = list(tile.entry["latent"])
    qtbot.mouseClick(tile.star, Qt.MouseButton.LeftButton)
    assert tile.star.isChecked() and page.favourite_seeds() == []
    assert page.favourites.datas()[0]["latent"] == latent
    saved = json.loads(favourites_path(gen).read_text(encoding="utf-8"))["items"][0]
    assert saved["latent"] == latent and saved["label"] == f"seed {seed} ~4"
    page.add_selected_favourites_to_timeline()
    assert page.current_timeline().keyframes[0].latent == latent

    other = ExplorePage()
    qtbot.addWidget(other)
    try:
        open_and_wait(qtbot, other, gen)
        assert other.favourites.datas()[0]["latent"] == latent
        qtbot.waitUntil(lambda: not other.favourites.item(0).icon().isNull(), timeout=WAIT_MS)
    finally:
        other.shutdown(WAIT_MS)


# ---------------------------------------------------------------------------------------------- export options
def test_gif_options_size_estimate_and_sprite_sheet(qtbot, page, trained, tmp_path):
    _timeline_page(qtbot, page, trained[1], stars=2)
    page.set_segment(0, frames=4)
    page.format_combo.setCurrentIndex(page.format_combo.findData("gif"))
    page.size_spin.setValue(64)
    page.render_preview()
    _wait_preview(qtbot, page)
    page.update_size_estimate()
    assert page.size_estimate_label.text().startswith("About ")
    page.gif_plays_spin.setValue(1)  # once
    page.palette_combo.setCurrentIndex(page.palette_combo.findData(16))
    page.resample_combo.setCurrentIndex(page.resample_combo.findData("nearest"))
    out = tmp_path / "once.gif"
    with qtbot.waitSignal(page.export_runner.finished, timeout=WAIT_MS):
        assert page.export_walk(out)
    with Image.open(out) as im:
        assert im.n_frames == 5 and im.size == (64, 64) and "loop" not in im.info
        im.seek(1)
        assert len(im.convert("RGB").getcolors(256)) <= 16
    settings = json.loads((tmp_path / "once.gif.json").read_text(encoding="utf-8"))["output"]
    assert settings["gif_loop"] == -1 and settings["palette_colors"] == 16 and settings["resample"] == "nearest"

    page.format_combo.setCurrentIndex(page.format_combo.findData("sprite-sheet"))
    assert not page.palette_combo.isVisibleTo(page) and page.resample_combo.isVisibleTo(page)
    with qtbot.waitSignal(page.export_runner.finished, timeout=WAIT_MS):
        assert page.export_walk(tmp_path / "walk")
    assert (tmp_path / "walk.sheet.png").is_file() and (tmp_path / "walk.sheet.png.json").is_file()


# ---------------------------------------------------------------------------------------------- wander loop
def test_wander_around_a_keyframe_plays_a_seamless_loop_undoes_and_exports(qtbot, page, trained, tmp_path):
    import torch

    from studio.engine.latent.keyframes import noise_loop, seed_latent

    _timeline_page(qtbot, page, trained[1], stars=2)
    walk = _tl(page)
    assert not page.wander_radius_spin.isEnabled()
    page.set_wander(1, radius=0.25, frames=10)
    tl = page.current_timeline()
    assert tl.wander is not None and tl.wander.keyframe == 1 and tl.wander.frames == 10
    assert tl.wander.radius == pytest.approx(0.25) and tl.frame_count == 10
    assert page.keyframes.item(1).text().endswith("∿") and "Wandering around keyframe 2" in page.timeline_summary.text()
    page.render_preview()
    _wait_preview(qtbot, page)
    frames = page.preview_frames()
    assert len(frames) == 10 and page.scrub.maximum() == 9
    # The frames are the engine's noise loop around that keyframe.
    from studio.engine.latent.render import render_frames

    dim = page.generator_info().latent_dim
    z = noise_loop(seed_latent(tl.keyframes[1].seed, dim), 0.25, 10, tl.wander.seed)
    assert np.array_equal(render_frames(page._generator, z), frames)
    assert not torch.equal(z[0], z[5])

    # New path: another seed; undo goes back to the first path, then to no wander at all.
    first = tl.wander.seed
    qtbot.mouseClick(page.wander_shuffle_button, Qt.MouseButton.LeftButton)
    assert page.current_timeline().wander.seed != first
    page.undo()
    assert page.current_timeline().wander.seed == first and page.wander_check.isChecked()
    while page.current_timeline().wander is not None:
        assert page.undo()
    assert _tl(page) == walk

    assert page.redo()  # wander on, first path
    assert page.current_timeline().wander.seed == first
    out = tmp_path / "wander.gif"
    page.size_spin.setValue(32)
    with qtbot.waitSignal(page.export_runner.finished, timeout=WAIT_MS):
        assert page.export_walk(out)
    with Image.open(out) as im:
        assert im.n_frames == 10
    recipe = json.loads((tmp_path / "wander.gif.json").read_text(encoding="utf-8"))
    assert recipe["timeline"]["wander"]["keyframe"] == 1


# ---------------------------------------------------------------------------------------------- seconds, grid, EMA
def test_a_segment_timed_in_seconds_keeps_its_duration_when_the_fps_changes(qtbot, page, trained):
    _run, gen = trained
    _timeline_page(qtbot, page, gen)
    page.fps_spin.setValue(12)
    page.set_segment(0, seconds=2.0)
    assert page.segment_unit() == "seconds"
    assert page.seconds_spin.isVisible() and not page.frames_spin.isVisible()
    assert _tl(page)["segments"][0] == {"frames": 24, "easing": "linear", "interp": "slerp", "seconds": 2.0}
    page.set_segment(1, frames=5)  # the other segment stays timed in frames
    page.fps_spin.setValue(24)
    segs = _tl(page)["segments"]
    assert segs[0]["frames"] == 48 and segs[0]["seconds"] == 2.0
    assert segs[1]["frames"] == 5 and "seconds" not in segs[1]
    page.keyframes.setCurrentRow(0)
    assert page.segment_unit() == "seconds" and page.frames_spin.value() == 48
    assert page.undo() and _tl(page)["segments"][0]["frames"] == 24  # the fps change is one undo step
    assert page.redo() and _tl(page)["segments"][0]["frames"] == 48
    # back to frames: the duration stays, the frame count is now fixed
    page.unit_combo.setCurrentIndex(page.unit_combo.findData("frames"))
    page.fps_spin.setValue(12)
    assert _tl(page)["segments"][0]["frames"] == 48 and "seconds" not in _tl(page)["segments"][0]
    page.render_preview()
    _wait_preview(qtbot, page)


def test_grid_of_walks_plays_out_of_phase_and_exports_with_its_recipe(qtbot, page, trained, tmp_path):
    from studio.engine.latent.jobs import GRID_PADDING, load_recipe

    _run, gen = trained
    _timeline_page(qtbot, page, gen, stars=2)
    page.loop_check.setChecked(True)
    page.set_segment(0, frames=3)
    page.set_segment(1, frames=3)
    page.render_preview()
    _wait_preview(qtbot, page)
    frames = page.preview_frames()
    h, w = frames.shape[1:3]
    page.scrub.setValue(0)
    page.set_grid_cells(4)
    shown = page.current_frame()
    assert shown.shape[:2] == (2 * h + 3 * GRID_PADDING, 2 * w + 3 * GRID_PADDING)
    p = GRID_PADDING
    assert np.array_equal(shown[p:p + h, p:p + w], frames[0])
    assert np.array_equal(shown[p:p + h, 2 * p + w:2 * p + 2 * w], frames[6 // 4])  # a later point of the loop
    page.size_spin.setValue(32)
    out = tmp_path / "grid.gif"
    with qtbot.waitSignal(page.export_runner.finished, timeout=WAIT_MS):
        assert page.export_walk(out)
    with Image.open(out) as im:
        assert im.size == (2 * 32 + 3 * p, 2 * 32 + 3 * p) and im.n_frames == 6
    _gen, _tl2, settings = load_recipe(tmp_path / "grid.gif.json")
    assert settings["grid"]["cells"] == 4
    other = ExplorePage()
    qtbot.addWidget(other)
    try:
        assert other.open_recipe(tmp_path / "grid.gif.json")
        qtbot.waitUntil(lambda: other.has_generator() and other.keyframes.count() == 2 and _idle(other),
                        timeout=WAIT_MS)
        assert other.grid_cells() == 4
    finally:
        other.shutdown(WAIT_MS)


def _ema_run(src_run: Path, dst: Path) -> Path:
    """A copy of a real run whose newest checkpoint also carries EMA weights (a perturbed copy of G)."""
    import copy
    import shutil

    import torch

    from studio.engine.gan.checkpoints import load_checkpoint, save_checkpoint
    from studio.engine.gan.models import build_gan
    from studio.engine.runs import RunDir

    shutil.copytree(src_run, dst)
    run = RunDir(dst)
    cfg = run.read_config()
    ckpt = load_checkpoint(run.latest_checkpoint())
    g, _d = build_gan(cfg["preset"], int(cfg["resolved_channels"]), int(cfg["latent_dim"]), int(cfg["width"]),
                      int(cfg["image_size"]))
    g.load_state_dict(ckpt.module_state("G"))
    ema = copy.deepcopy(g)
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for prm in ema.parameters():
            prm.add_(torch.randn(prm.shape, generator=gen) * 0.5)
    save_checkpoint(run.checkpoints_dir, ckpt.step + 1, modules={"G": g, "G_ema": ema}, optimizers={},
                    extra_tensors={}, state=ckpt.state)
    return dst


def test_the_ema_switch_is_off_without_ema_weights_and_swaps_the_pictures_with_them(qtbot, page, trained,
                                                                                    tmp_path):
    run, gen = trained
    open_and_wait(qtbot, page, gen)
    assert not page.ema_check.isEnabled() and "no EMA weights yet" in page.ema_check.toolTip()
    ema_run = _ema_run(run, tmp_path / "ema-run")
    _timeline_page(qtbot, page, ema_run, stars=2)
    assert page.ema_check.isEnabled() and page.ema_check.isChecked() and page.uses_ema()
    assert "no EMA" not in page.ema_check.toolTip()
    page.set_segment(0, frames=3)
    page.render_preview()
    _wait_preview(qtbot, page)
    ema_frames = page.preview_frames().copy()
    ema_grid = [im.copy() for im in page._grid_images]
    page.ema_check.setChecked(False)
    qtbot.waitUntil(lambda: not page.uses_ema() and page.preview_is_current() and _idle(page), timeout=WAIT_MS)
    assert not np.array_equal(page.preview_frames(), ema_frames)
    assert not all(np.array_equal(a, b) for a, b in zip(page._grid_images, ema_grid, strict=True))
    out = tmp_path / "raw.gif"
    with qtbot.waitSignal(page.export_runner.finished, timeout=WAIT_MS):
        assert page.export_walk(out)
    assert json.loads((tmp_path / "raw.gif.json").read_text())["generator"]["weights"] == "raw"
    page.ema_check.setChecked(True)
    qtbot.waitUntil(lambda: page.uses_ema() and page.preview_is_current() and _idle(page), timeout=WAIT_MS)
    assert np.array_equal(page.preview_frames(), ema_frames)
    other = ExplorePage()  # a recipe made with the raw weights reopens with them
    qtbot.addWidget(other)
    try:
        assert other.open_recipe(tmp_path / "raw.gif.json")
        qtbot.waitUntil(lambda: other.has_generator() and other.keyframes.count() == 2 and _idle(other),
                        timeout=WAIT_MS)
        assert not other.uses_ema() and not other.ema_check.isChecked() and other.ema_check.isEnabled()
    finally:
        other.shutdown(WAIT_MS)


def test_wander_controls_are_off_until_a_keyframe_is_selected(qtbot):
    from studio.ui.explore.page import ExplorePage

    page = ExplorePage()
    qtbot.addWidget(page)
    assert not page.wander_check.isEnabled()
    assert not page.wander_shuffle_button.isEnabled()
    assert not page.wander_radius_spin.isEnabled()
    page.shutdown()


# ---------------------------------------------------------------------------------------------- defects (issue)
def test_a_seed_caption_that_does_not_fit_ends_in_an_ellipsis_and_shows_whole_on_hover(qtbot):
    """A cut "seed 6055" reads as another seed than 60559: what does not fit must end in "…"."""
    page = ExplorePage()
    qtbot.addWidget(page)
    page.resize(1024, 640)
    page.show()
    qtbot.waitExposed(page)
    picture = np.zeros((32, 32, 3), np.uint8)
    long_label = "seed 60559 ~12 (a variation of a variation)"
    page.grid.set_entries([{"seed": None, "latent": [0.5] * 8, "label": long_label},
                           {"seed": 4, "label": "seed 4"}], [picture, picture])
    QApplication.processEvents()
    cut, short = page.grid.tiles[0].caption, page.grid.tiles[1].caption
    assert cut.fontMetrics().horizontalAdvance(long_label) > cut.contentsRect().width()  # it cannot fit here
    shown = getattr(cut, "shown_text", cut.text)()  # what the label paints
    assert shown.endswith("…") and long_label.startswith(shown[:-1])
    assert cut.toolTip() == long_label
    assert cut.text() == long_label  # the page still reads the whole label
    assert getattr(short, "shown_text", short.text)() == "seed 4"  # what fits is shown whole
    page.shutdown()


def test_your_runs_lists_a_run_that_finished_while_the_page_was_hidden(qtbot, page, trained):
    import shutil

    run_dir, _gen = trained

    def names() -> list[str]:
        return [page.runs_list.item(i).text().split("\n")[0] for i in range(page.runs_list.count())]

    page.hide()
    later = default_workspace() / "runs" / "finished-while-hidden"
    shutil.copytree(run_dir, later)
    try:
        page.show()  # the window switches to Explore
        assert "finished-while-hidden" in names()
        again = default_workspace() / "runs" / "finished-while-shown"
        shutil.copytree(run_dir, again)
        page.refresh_runs()  # what the window calls when a job ends
        assert "finished-while-shown" in names() and not page.runs_hint.isVisibleTo(page)
    finally:
        shutil.rmtree(later, ignore_errors=True)
        shutil.rmtree(default_workspace() / "runs" / "finished-while-shown", ignore_errors=True)


def test_a_failed_job_shows_the_engines_sentence_as_it_is(qtbot, page):
    """Failures arrive as one sentence (engine/errors.py); the page shows it whole, never rewritten."""
    from studio.engine.jobs import Failed

    sentence = "ValueError: the engine wrote this sentence, and the artist reads all of it."
    page.export_runner.failed.emit(Failed(sentence, "details for a bug report"))
    assert sentence in page.error_message()
    assert "details for a bug report" not in page.error_message()


def test_stylize_this_walk_renders_the_frames_and_hands_them_to_stylize(qtbot, page, trained):
    """Issue 18: the walk's frames land in the workspace's animations folder and the page asks for them on
    Stylize, where they open as an animation."""
    from studio.ui.stylize.page import StylizePage

    _run, gen = trained
    open_and_wait(qtbot, page, gen)
    favourites_path(gen).unlink(missing_ok=True)
    for tile in page.grid.tiles[:2]:
        qtbot.mouseClick(tile.star, Qt.MouseButton.LeftButton)
    _drop_favourites_on_timeline(page, [0, 1])
    page.set_segment(0, frames=4, easing="linear", interp="slerp")
    page.size_spin.setValue(40)
    frames = page.current_timeline().frame_count
    assert page.export_panel.stylize_button.isEnabled()
    with qtbot.waitSignal(page.stylize_requested, timeout=WAIT_MS) as got:
        qtbot.mouseClick(page.export_panel.stylize_button, Qt.MouseButton.LeftButton)
    folder = got.args[0]
    assert folder.parent == default_workspace() / "animations" and len(list(folder.glob("frame_*.png"))) == frames
    stylize = StylizePage()
    qtbot.addWidget(stylize)
    stylize.show()
    stylize.content.set_path(str(folder))
    assert stylize.animation.isVisible() and stylize.animation.frame_count() == frames
    stylize.shutdown(WAIT_MS)


def test_the_critic_chooses_each_new_batch_of_a_run_and_the_line_under_the_tools_says_so(qtbot, page, trained):
    import random

    import torch

    from studio.engine.gan.critic import PICK_FROM, Critic, pick_latents
    from studio.engine.latent.favourites import entry_vector, seed_entry
    from studio.engine.latent.jobs import open_generator
    from studio.preferences import load_config
    from studio.ui.explore.session import NEXT_BUDGET_S

    run, gen = trained
    bare = gen.parent / "bare"  # an export made before the critic travelled with it
    bare.mkdir(exist_ok=True)
    for suffix in (".safetensors", ".json"):
        shutil.copy(gen.with_suffix(suffix), (bare / gen.name).with_suffix(suffix))
    open_and_wait(qtbot, page, bare / gen.name)
    assert not page.critic_check.isEnabled() and "exported without its critic" in page.critic_check.toolTip()
    assert page.pick_caption.isHidden()
    open_and_wait(qtbot, page, gen)  # an export carries its run's critic
    assert page.critic_check.isEnabled() and not page.pick_caption.isHidden()
    open_and_wait(qtbot, page, run)
    # on by default: the batch shown on opening the run was already the critic's, and the caption says whose
    assert page.critic_check.isEnabled() and page.critic_check.isChecked()
    assert not page.pick_caption.isHidden()
    assert re.match(r"16 of \d+ samples, chosen by the run's discriminator", page.pick_caption.text())
    before = page.grid.seeds()
    page.browser._next = None  # forget the batch chosen ahead: this New batch is chosen while the artist waits
    page.browser._rng = random.Random(11)
    draw = random.Random(11)
    per_tile = page.session.pick_from(16)  # PICK_FROM for this tiny, quick generator
    assert per_tile == PICK_FROM == page.session.pick_from(16, NEXT_BUDGET_S)
    candidates = draw.sample(range(100_000), 16 * per_tile)  # what New batch draws
    qtbot.mouseClick(page.new_batch_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.grid.seeds() != before, timeout=WAIT_MS)
    # the engine's own choice among those candidates, best first
    G, info = open_generator(run)
    critic = Critic.from_run(run)

    def engine_choice(seeds):
        z = torch.stack([entry_vector(seed_entry(s), info.latent_dim) for s in seeds])
        return pick_latents(G, critic, z, 16)

    choice, images = engine_choice(candidates)
    assert page.grid.seeds() == [candidates[i] for i in choice.chosen]
    assert all(np.array_equal(t.view.image, images[i]) for t, i in zip(page.grid.tiles, choice.chosen, strict=True))
    # while the artist looks, the next batch is chosen in the background; New batch then shows it at once
    qtbot.waitUntil(lambda: _idle(page) and page.browser._next is not None, timeout=WAIT_MS)
    ahead = draw.sample(range(100_000), 16 * PICK_FROM)
    choice_ahead, _ = engine_choice(ahead)
    qtbot.mouseClick(page.new_batch_button, Qt.MouseButton.LeftButton)
    assert page.grid.seeds() == [ahead[i] for i in choice_ahead.chosen]  # no wait: it was ready
    assert page.pick_caption.text().startswith(f"16 of {16 * PICK_FROM} samples")
    qtbot.waitUntil(lambda: _idle(page) and page.browser._next is not None, timeout=WAIT_MS)
    # a calmer grid draws the same chosen samples again and keeps the caption
    page.truncation_slider.setValue(30)
    qtbot.waitUntil(lambda: _idle(page) and not page.browser._grid_timer.isActive(), timeout=WAIT_MS)
    shown = [ahead[i] for i in choice_ahead.chosen]
    assert page.grid.seeds() == shown and not page.pick_caption.isHidden()
    page.truncation_slider.setValue(0)
    qtbot.waitUntil(lambda: _idle(page) and not page.browser._grid_timer.isActive(), timeout=WAIT_MS)
    # off: a new batch at once, sixteen samples as they come, no caption; the choice is kept for the next session
    page.browser._rng = random.Random(12)
    draw = random.Random(12)
    plain = [draw.randrange(0, 100_000) for _ in range(16)]
    try:
        page.critic_check.setChecked(False)
        qtbot.waitUntil(lambda: _idle(page) and page.grid.seeds() == plain, timeout=WAIT_MS)
        assert page.pick_caption.isHidden() and load_config()[0].critic_chooses is False
    finally:
        page.critic_check.setChecked(True)
    qtbot.waitUntil(lambda: _idle(page) and not page.pick_caption.isHidden(), timeout=WAIT_MS)
    assert load_config()[0].critic_chooses is True


def test_the_critic_draws_fewer_candidates_where_a_batch_would_be_slow():
    from types import SimpleNamespace

    from studio.engine.gan.critic import PICK_FROM
    from studio.ui.explore.session import MIN_FROM, NEXT_BUDGET_S, PICK_BUDGET_S, ExploreSession

    session = ExploreSession(queue=None)
    session.install(Path("run"), object(), SimpleNamespace(image_size=32))
    # nothing measured yet: guessed from the picture size; the batch nobody waits for yet may look at more
    waited, ahead = session.pick_from(16), session.pick_from(16, NEXT_BUDGET_S)
    assert MIN_FROM < waited < ahead == PICK_FROM
    session.install(Path("run"), object(), SimpleNamespace(image_size=256))
    assert MIN_FROM <= session.pick_from(16) < waited  # big pictures start with fewer
    session._pick_cost = PICK_BUDGET_S / (16 * 8)  # the last batch: 8 per tile would fill the budget
    assert session.pick_from(16) == 8 and session.pick_from(16, 2 * PICK_BUDGET_S) == 16
    session._pick_cost = 1.0  # very slow: never fewer than MIN_FROM
    assert session.pick_from(16) == MIN_FROM
    session._pick_cost = 1e-6
    assert session.pick_from(16) == PICK_FROM


def test_new_batch_pressed_while_the_next_is_being_chosen_shows_it_when_it_lands(qtbot, page, trained, monkeypatch):
    import threading

    from studio.engine.gan import critic

    run, _gen = trained
    open_and_wait(qtbot, page, run)
    qtbot.waitUntil(lambda: page.browser._next is not None, timeout=WAIT_MS)
    release, entered = threading.Event(), threading.Event()
    real = critic.pick_latents

    def held(*args, **kwargs):  # the background choice takes its time
        entered.set()
        release.wait(WAIT_MS / 1000)
        return real(*args, **kwargs)

    monkeypatch.setattr(critic, "pick_latents", held)
    first = page.grid.seeds()
    qtbot.mouseClick(page.new_batch_button, Qt.MouseButton.LeftButton)  # the ready batch, and the next is chosen
    second = page.grid.seeds()
    assert second != first
    qtbot.waitUntil(entered.is_set, timeout=WAIT_MS)
    qtbot.mouseClick(page.new_batch_button, Qt.MouseButton.LeftButton)
    # nothing new yet: the artist waits for the batch being chosen, and the header says so
    assert page.grid.seeds() == second and page.browser.waiting_for_next()
    assert page.header.render_progress.isVisibleTo(page)
    assert page.header.render_label.text() == "Choosing the next batch"
    release.set()
    qtbot.waitUntil(lambda: page.grid.seeds() != second, timeout=WAIT_MS)
    assert not page.browser.waiting_for_next()
    qtbot.waitUntil(lambda: _idle(page) and page.browser._next is not None, timeout=WAIT_MS)
    assert not page.header.render_progress.isVisibleTo(page)  # work ahead of the artist shows no progress


def test_work_ahead_of_the_artist_gives_way_and_starts_again(qtbot):
    import threading

    from studio.ui.explore.render_queue import RenderQueue

    queue = RenderQueue()
    runs, entered = [], threading.Event()

    def ahead(ctx):
        runs.append("ahead")
        entered.set()
        if len(runs) == 1:
            while True:  # the first time, it runs until it is told to give way
                ctx.check()
                threading.Event().wait(0.01)
        return "ahead done"

    results = []
    queue.result.connect(lambda job, result: results.append((job.kind, result)))
    queue.submit("next", "Choosing the next batch", ahead)
    qtbot.waitUntil(entered.is_set, timeout=WAIT_MS)
    assert queue.is_working_on("next") and not queue.foreground_busy()
    queue.submit("seed", "Drawing seed 7", lambda ctx: "seed done")
    qtbot.waitUntil(lambda: len(results) == 2, timeout=WAIT_MS)
    assert results == [("seed", "seed done"), ("next", "ahead done")] and runs == ["ahead", "ahead"]
    assert not queue.is_busy()
    # a newer request of the same kind, made while the older one waits to start again, replaces it
    runs.clear(), results.clear(), entered.clear()
    queue.submit("next", "Choosing the next batch", ahead)
    qtbot.waitUntil(entered.is_set, timeout=WAIT_MS)

    def after_the_seed(job, _result):
        if job.kind == "seed":  # the queue is idle here, the older background job still waiting
            queue.submit("next", "Choosing the next batch", lambda ctx: "newer")

    queue.result.connect(after_the_seed)
    queue.submit("seed", "Drawing seed 8", lambda ctx: "seed done")
    qtbot.waitUntil(lambda: len(results) == 2, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not queue.is_busy(), timeout=WAIT_MS)
    assert results == [("seed", "seed done"), ("next", "newer")] and runs == ["ahead"]
    queue.shutdown(WAIT_MS)


def test_a_run_whose_critic_cannot_be_rebuilt_still_shows_samples_and_says_why(qtbot, page, trained, monkeypatch):
    from studio.engine.gan import critic
    from studio.engine.gan.checkpoints import CheckpointError

    def unreadable(cls, run_dir, device="cpu"):
        raise CheckpointError("its discriminator's weights are damaged")

    monkeypatch.setattr(critic.Critic, "from_run", classmethod(unreadable))
    run, _gen = trained
    open_and_wait(qtbot, page, run)
    assert len(set(page.grid.seeds())) == 16
    assert page.pick_caption.text() == ("Random samples: the critic could not be loaded (its discriminator's weights "
                                        "are damaged).")
    assert page.error_banner.isHidden()
