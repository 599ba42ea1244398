"""Opening an artwork on the Stylize page shows it (not the last picture), and saving runs off the GUI thread."""

from __future__ import annotations

import json
import re
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QTimer

from studio.engine import export
from studio.engine.style.backbones import ladder_status
from studio.ui.stylize.page import StylizePage

WAIT_MS = 60_000


@pytest.fixture
def images(tmp_path) -> tuple[Path, Path]:
    skimage_data = pytest.importorskip("skimage.data")
    content = tmp_path / "chelsea.png"
    style = tmp_path / "coffee.jpg"
    Image.fromarray(skimage_data.chelsea()).save(content)
    Image.fromarray(skimage_data.coffee()).save(style)
    return content, style


@pytest.fixture
def page(qtbot):
    p = StylizePage()
    qtbot.addWidget(p)
    p.resize(1200, 800)
    p.show()
    yield p
    p.shutdown(WAIT_MS)


def _tiny_run(qtbot, page: StylizePage, images) -> None:
    content, style = images
    page.content.set_path(str(content))
    page.styles.add_paths([str(style)])
    page.size_spin.setValue(32)
    page.iter_spin.setValue(2)
    ok = {name: avail for name, avail, _ in ladder_status()}
    page.backbone_combo.setCurrentIndex(page.backbone_combo.findData("vgg16" if ok.get("vgg16") else "random"))
    page.overrides = {"optimizer": "adam", "preview_every_s": 1e-3, "device": "cpu"}
    page.start()
    qtbot.waitUntil(lambda: not page.is_busy(), timeout=WAIT_MS)
    assert page.result is not None, (page.progress_label.text(), page.error_message())


def test_opening_an_artwork_shows_it_and_clears_stale_lines(qtbot, page: StylizePage, images, tmp_path):
    _tiny_run(qtbot, page, images)
    run_picture = page.preview.image.copy()
    assert page.save_artwork(tmp_path / "art.png") is not None
    recipe = json.loads((tmp_path / "art.json").read_text())
    other = np.zeros((20, 30, 3), np.uint8)
    other[..., 0], other[..., 2] = 200, 90  # nothing like the run's picture
    export.save_artwork(other, tmp_path / "other.png", recipe)
    page._show_error("An old problem that no longer applies.")

    assert page.open_recipe(tmp_path / "other.png"), page.error_message()
    np.testing.assert_array_equal(page.preview.image, other)  # the artwork opened, not the last run's picture
    assert page.error_message() == ""
    assert page.progress_label.text().startswith("Recipe other.png opened")
    assert page.result is None and not page.save_button.isEnabled()  # the old result is not what is on show
    assert page.copy_button.isEnabled()

    # a recipe JSON shows the artwork saved beside it
    assert page.open_recipe(tmp_path / "art.json")
    np.testing.assert_array_equal(page.preview.image, np.asarray(Image.open(tmp_path / "art.png").convert("RGB")))
    assert page.progress_label.text().startswith("Recipe art.json opened")

    # a recipe on its own shows the photo it restored, not the last picture on show
    solo = tmp_path / "solo"
    solo.mkdir()
    shutil.copy(tmp_path / "art.json", solo / "recipe.json")
    assert page.open_recipe(solo / "recipe.json")
    photo = np.asarray(Image.open(images[0]).convert("RGB"))
    assert page.preview.image.shape == photo.shape and not np.array_equal(page.preview.image[:20, :30], other)
    np.testing.assert_array_equal(page.preview.image, photo)
    assert page.preview.image.shape != run_picture.shape


def test_saving_runs_off_the_gui_thread_and_the_window_keeps_ticking(qtbot, page: StylizePage, images, tmp_path,
                                                                       monkeypatch):
    _tiny_run(qtbot, page, images)
    gui_thread = threading.get_ident()
    ticked = threading.Event()
    seen: dict = {}
    real = export.encode_artwork  # what save_result calls to encode the picture before its all-or-nothing swap

    def slow_save(*args, **kwargs):
        seen["thread"] = threading.get_ident()
        seen["gui_ticked_meanwhile"] = ticked.wait(5.0)  # the GUI thread's timer fires while the file is written
        return real(*args, **kwargs)

    monkeypatch.setattr(export, "encode_artwork", slow_save)
    timer = QTimer()
    timer.setSingleShot(True)
    timer.timeout.connect(ticked.set)
    timer.start(50)
    out = page.save_artwork(tmp_path / "art.png")
    assert out is not None and out.is_file(), page.error_message()
    assert seen["thread"] != gui_thread and seen["gui_ticked_meanwhile"]
    assert page.progress_label.text().startswith("Saved art.png")


def test_the_save_button_returns_at_once_and_failures_are_one_sentence(qtbot, page: StylizePage, images, tmp_path,
                                                                         monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    _tiny_run(qtbot, page, images)
    target = tmp_path / "clicked.png"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), "")))
    with qtbot.waitSignal(page.saved, timeout=WAIT_MS) as saved:
        page.save_button.click()
        assert not target.exists() or page.saver.is_busy()  # the click returned before the file was done
    assert saved.args == [target] and page.progress_label.text().startswith("Saved clicked.png")
    assert target.is_file() and target.with_suffix(".json").is_file()
    assert page.save_button.isEnabled()

    blocked = tmp_path / "blocked.png"
    blocked.mkdir()  # a folder where the file should go
    assert page.save_artwork(blocked) is None
    message = page.error_message()
    assert message.startswith("Could not save the artwork: ") and not re.search(r"\b\w+(Error|Exception)\b", message)
    assert page.save_button.isEnabled()


def test_a_failed_save_keeps_the_picture_and_offers_the_workspace(qtbot, page: StylizePage, images, tmp_path):
    from studio.ui.workspace import workspace_dir

    _tiny_run(qtbot, page, images)
    result = page.result
    blocked = tmp_path / "blocked.png"
    blocked.mkdir()  # the background save fails: a folder is where the file should go
    assert page.save_artwork(blocked) is None
    assert page.result is result and page.save_button.isEnabled()  # the work is kept
    offered = page.saver.offer[1]
    assert offered.parent == workspace_dir() / "artworks" and offered.stem.startswith("blocked")
    assert page.error_message().startswith("Could not save the artwork: ") and "kept" in page.error_message()
    button = page.run_panel.fallback_button
    assert button.isVisible() and str(offered) in page.run_panel.fallback_label.text()

    with qtbot.waitSignal(page.saved, timeout=WAIT_MS) as saved:
        button.click()
    assert saved.args == [offered] and offered.with_suffix(".json").is_file()
    assert np.array_equal(np.asarray(Image.open(offered).convert("RGB")), result.image)
    assert not button.isVisible() and page.error_message() == "" and page.saver.offer is None


def test_the_save_dialog_refuses_an_impossible_place_before_writing(qtbot, page: StylizePage, images, tmp_path,
                                                                     monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    _tiny_run(qtbot, page, images)
    note = tmp_path / "note.txt"
    note.write_text("not a folder")
    impossible = note / "art.png"
    starts = []

    def dialog(_parent, _title, start, *_args):
        starts.append(start)
        return str(impossible), ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(dialog))
    page.save_button.click()
    assert not page.saver.is_busy()  # refused at once, nothing started
    message = page.error_message()
    assert "note.txt" in message and not re.search(r"\b\w+(Error|Exception)\b", message)
    assert page.result is not None and page.save_button.isEnabled()
    page.save_button.click()
    assert starts[-1] == str(impossible)  # the dialog opens again on the refused choice, to correct it


def test_start_refuses_an_out_of_range_setting_with_its_sentence(qtbot, page: StylizePage, images):
    content, style = images
    page.content.set_path(str(content))
    page.styles.add_paths([str(style)])
    page.overrides = {"lr": 0.0, "device": "cpu"}
    page.start()
    assert not page.is_busy() and page._job is None
    assert "learning rate" in page.error_message()
