"""The Stylize page with a tiny real run: drop photo + style, start, watch preview and losses, save."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from studio.engine.style.backbones import ladder_status
from studio.ui.stylize_page import StylizePage, slider_to_weight, weight_to_slider

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


def _backbone() -> str:
    ok = {name: avail for name, avail, _ in ladder_status()}
    return "vgg16" if ok.get("vgg16") else "random"


def drop_files(widget, paths: list[Path]) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    pos = QPoint(widget.width() // 2, widget.height() // 2)
    enter = QDragEnterEvent(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(pos), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, drop)


def test_log_sliders_round_trip():
    assert weight_to_slider(1e4, 1.0, 7.0) == 50
    assert slider_to_weight(50, 1.0, 7.0) == pytest.approx(1e4)
    assert slider_to_weight(100, -2.0, 2.0) == pytest.approx(100.0)


def test_drop_start_preview_plot_save(qtbot, page: StylizePage, images, tmp_path):
    content, style = images
    assert not page.start_button.isEnabled()
    drop_files(page.content.drop, [content])
    drop_files(page.styles.drop, [style])
    assert page.content.path() == str(content)
    assert page.content.thumb.image is not None
    assert len(page.styles.rows) == 1 and page.styles.rows[0].thumb.image is not None
    assert page.start_button.isEnabled()

    page.size_spin.setValue(64)
    page.iter_spin.setValue(4)
    page.backbone_combo.setCurrentText(_backbone())
    assert page.backbone_label.text().startswith("Uses:")
    page.overrides = {"optimizer": "adam", "preview_every_s": 1e-3, "device": "cpu"}
    page.start()
    qtbot.waitUntil(lambda: not page.is_busy(), timeout=WAIT_MS)
    assert page.error_message() == "" or _backbone() == "random", page.error_message()
    assert page.result is not None, page.progress_label.text()
    assert page.preview.image is not None
    assert len(page.loss_steps) > 0
    xs, ys = page.curves["total"].getData()
    assert xs is not None and len(xs) > 0
    assert page.save_button.isEnabled()

    out = page.save_artwork(tmp_path / "art.png")
    assert out is not None and out.is_file()
    recipe = json.loads((tmp_path / "art.json").read_text())
    assert recipe["settings"]["size"] == 64
    assert Image.open(out).size[0] == 64 or Image.open(out).size[1] == 64


def test_remove_style_and_start_disabled(qtbot, page: StylizePage, images):
    content, style = images
    page.content.set_path(str(content))
    page.styles.add_paths([str(style), str(content)])
    assert len(page.styles.rows) == 2 and page.start_button.isEnabled()
    page.styles.rows[0].remove_button.click()
    page.styles.rows[0].remove_button.click()
    assert page.styles.paths() == [] and not page.start_button.isEnabled()
    assert not page.stop_button.isEnabled() and not page.keep_button.isEnabled()
    assert not page.save_button.isEnabled()


@pytest.mark.parametrize("keep", [True, False])
def test_keep_current_result_and_stop(qtbot, page: StylizePage, images, keep):
    content, style = images
    page.content.set_path(str(content))
    page.styles.add_paths([str(style)])
    page.size_spin.setValue(64)
    page.iter_spin.setValue(10_000)
    page.backbone_combo.setCurrentText(_backbone())
    page.overrides = {"optimizer": "adam", "device": "cpu", "preview_every_s": 1e-3}
    page.start()
    assert page.stop_button.isEnabled() and page.keep_button.isEnabled() and not page.start_button.isEnabled()
    qtbot.waitUntil(lambda: len(page.loss_steps) >= 2, timeout=WAIT_MS)
    (page.keep_button if keep else page.stop_button).click()
    qtbot.waitUntil(lambda: not page.is_busy(), timeout=WAIT_MS)
    if keep:
        assert page.result is not None and page.result.stopped
        assert page.save_button.isEnabled()
    else:
        assert page.result is None and not page.save_button.isEnabled()
    assert page.start_button.isEnabled()
