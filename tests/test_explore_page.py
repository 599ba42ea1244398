"""The Explore page with a real (tiny) generator: open, browse, star, build a timeline, play, export."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from studio.engine.gan.checkpoints import export_generator
from studio.engine.gan.trainer import GanTrainingJob, TrainConfig
from studio.engine.jobs import run_job
from studio.engine.runs import default_workspace, new_run_dir
from studio.ui.explore_page import ExplorePage, favourites_path
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
    from studio.ui.main_window import MainWindow

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
