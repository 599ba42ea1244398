"""Brush masks on the Stylize page (paint-select): paint on a painting which parts to use and on the photo which style
goes where, run with them, save them beside the artwork and get them back from the recipe — driven like an artist
would, with real widgets, raw mouse strokes and tiny real runs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from studio.engine.style.backbones import ladder_status
from studio.engine.style.gatys import RECIPE_KIND, StyleSettings
from studio.ui.stylize.page import StylizePage
from studio.ui.widgets.mask_dialog import MaskDialog
from studio.ui.widgets.stylize_inputs import fit_mask, image_pixel_size, load_thumbnail

WAIT_MS = 60_000
ONE_LEVEL = 1.0 / 255 + 1e-6  # masks go through 8-bit PNGs


# ------------------------------------------------------------------------------------------ helpers

@pytest.fixture
def pictures(tmp_path) -> tuple[Path, Path, Path]:
    """A landscape photo and two paintings of different shapes (real pictures, small so the runs are quick)."""
    data = pytest.importorskip("skimage.data")

    def save(arr: np.ndarray, name: str, size: tuple[int, int]) -> Path:
        path = tmp_path / name
        Image.fromarray(arr).resize(size, Image.BICUBIC).save(path)
        return path

    return (save(data.chelsea(), "chelsea.png", (150, 100)), save(data.coffee(), "coffee.png", (120, 80)),
            save(data.astronaut(), "astronaut.png", (96, 96)))


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


def open_by_button(qtbot, page: StylizePage, button, target) -> MaskDialog:
    assert button.isEnabled(), button.toolTip()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    dialog = page.mask_dialog(target)
    assert dialog is not None and dialog.isVisible()
    qtbot.waitExposed(dialog)
    return dialog


def stroke(dialog: MaskDialog, points: list[tuple[float, float]], size: float = 10) -> None:
    """Press, drag through ``points`` (image pixels) and release on the editor, with a hard round brush."""
    ed = dialog.editor
    ed.set_brush_size(size)
    ed.set_brush_hardness(1.0)
    at = [ed.image_to_widget(QPointF(x, y)).toPoint() for x, y in points]
    left = Qt.MouseButton.LeftButton
    QTest.mousePress(ed, left, Qt.KeyboardModifier.NoModifier, at[0])
    for p in at[1:]:
        QTest.mouseMove(ed, p)
    QTest.mouseRelease(ed, left, Qt.KeyboardModifier.NoModifier, at[-1])


def png_values(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("L"), np.float32) / 255.0


# ------------------------------------------------------------------------------------------ the whole flow

def test_paint_run_save_and_reopen_masks(qtbot, page: StylizePage, pictures, tmp_path):
    photo, coffee, astro = pictures
    drop_files(page.content.drop, [photo])
    drop_files(page.styles.drop, [coffee, astro])
    assert page.styles.paths() == [str(coffee), str(astro)]
    row0, row1 = page.styles.rows
    assert row0.mask_label.text() == "whole painting used" and row0.clear_mask_button.isHidden()

    # -- which part of the coffee painting to use: a stroke along its top band, at full resolution (120 × 80)
    dialog = open_by_button(qtbot, page, row0.mask_button, 0)
    assert dialog.editor.image().shape == (80, 120, 3)
    stroke(dialog, [(10, 15), (60, 15), (110, 15)])
    assert "% selected" in dialog.summary.text()
    qtbot.mouseClick(dialog.done_button, Qt.MouseButton.LeftButton)
    assert page.mask_dialog(0) is None
    m0 = page.style_masks()[0]
    assert m0 is not None and m0.shape == (80, 120)
    assert m0[15, 20:100].min() > 0.95 and m0[60:, :].max() == 0.0 and m0[:, :2].max() == 0.0
    assert page.style_masks()[1] is None
    share = round(100 * float(m0.mean()))
    assert row0.mask_label.text() == f"{share} % selected" and not row0.clear_mask_button.isHidden()
    shown = row0.thumb.image  # the row's thumbnail dims what is left out
    assert shown[-5:].mean() < 0.5 * load_thumbnail(coffee)[-5:].mean()

    # -- which style goes where on the photo (150 × 100): coffee along the top, astronaut along the bottom
    dialog = open_by_button(qtbot, page, page.content.regions_button, None)
    assert dialog.editor.region_count() == 2 and dialog.editor.image().shape == (100, 150, 3)
    assert [lab.text() for lab in dialog.legend_labels] == ["1 = coffee.png", "2 = astronaut.png"]
    qtbot.mouseClick(dialog.toolbar.region_buttons[0], Qt.MouseButton.LeftButton)
    stroke(dialog, [(10, 12), (75, 12), (140, 12)], size=12)
    qtbot.mouseClick(dialog.toolbar.region_buttons[1], Qt.MouseButton.LeftButton)
    stroke(dialog, [(10, 85), (75, 85), (140, 85)], size=12)
    qtbot.mouseClick(dialog.done_button, Qt.MouseButton.LeftButton)
    regions = page.content_regions()
    assert regions is not None and regions.shape == (100, 150, 2)
    assert regions[12, 20:130, 0].min() > 0.95 and regions[12, :, 1].max() == 0.0
    assert regions[85, 20:130, 1].min() > 0.95 and regions[85, :, 0].max() == 0.0
    assert regions[45:55].max() == 0.0  # the middle is left to the blend
    legend = page.content.regions_label.text()
    assert page.content.regions_label.isVisible() and "coffee.png" in legend and "astronaut.png" in legend
    redness = lambda im: im[8:13, 30:90, 0].astype(float).mean() - im[8:13, 30:90, 1].astype(float).mean()  # noqa: E731
    assert redness(page.content.thumb.image) > redness(load_thumbnail(photo)) + 40  # region 1's red over the top band

    # -- the output size never touches the masks: they stay at each picture's own size
    page.size_spin.setValue(40)
    assert page.style_masks()[0].shape == (80, 120) and page.content_regions().shape == (100, 150, 2)

    # -- run: the job gets the masks; while it runs they are locked
    page.iter_spin.setValue(3)
    page.backbone_combo.setCurrentIndex(page.backbone_combo.findData(_backbone()))
    page.overrides = {"optimizer": "adam", "preview_every_s": 1e-3, "device": "cpu"}
    qtbot.mouseClick(page.start_button, Qt.MouseButton.LeftButton)
    assert page.is_busy()
    assert not row0.mask_button.isEnabled() and not row0.clear_mask_button.isEnabled()
    assert not page.content.regions_button.isEnabled()
    qtbot.waitUntil(lambda: not page.is_busy(), timeout=WAIT_MS)
    assert page.result is not None, (page.progress_label.text(), page.error_message())
    assert row0.mask_button.isEnabled() and page.content.regions_button.isEnabled()
    np.testing.assert_allclose(page.result.style_masks[0], m0, atol=1e-6)
    assert page.result.style_masks[1] is None
    np.testing.assert_allclose(page.result.content_regions, regions, atol=1e-6)

    # -- save: the masks go beside the artwork as PNGs, with the painted pixels where they were painted
    out = page.save_artwork(tmp_path / "art.png")
    assert out is not None and out.is_file(), page.error_message()
    recipe = json.loads((tmp_path / "art.json").read_text())
    assert recipe["mask_files"] == {"style": ["art.style-mask-1.png", None],
                                    "regions": ["art.region-1.png", "art.region-2.png"]}
    saved = png_values(tmp_path / "art.style-mask-1.png")
    assert saved.shape == (80, 120) and saved[15, 20:100].min() > 0.95 and saved[60:].max() == 0.0
    assert not (tmp_path / "art.style-mask-2.png").exists()
    top, bottom = png_values(tmp_path / "art.region-1.png"), png_values(tmp_path / "art.region-2.png")
    assert top.shape == bottom.shape == (100, 150)
    assert top[12, 20:130].min() > 0.95 and top[85].max() == 0.0
    assert bottom[85, 20:130].min() > 0.95 and bottom[12].max() == 0.0

    # -- a fresh page opens the recipe and has the same masks
    fresh = StylizePage()
    qtbot.addWidget(fresh)
    try:
        assert fresh.open_recipe(tmp_path / "art.json"), fresh.error_message()
        assert fresh.error_message() == ""
        assert fresh.styles.paths() == [str(coffee), str(astro)]
        back = fresh.style_masks()
        assert back[1] is None and np.abs(back[0] - m0).max() <= ONE_LEVEL
        assert np.abs(fresh.content_regions() - regions).max() <= ONE_LEVEL
        assert fresh.styles.rows[0].mask_label.text() == f"{share} % selected"
        assert "coffee.png" in fresh.content.regions_label.text()
        dialog = fresh.open_style_mask(0)  # and the painting window shows them again, aligned
        assert np.abs(dialog.editor.mask() - m0).max() <= ONE_LEVEL
        dialog.discard()
    finally:
        fresh.shutdown()


# ------------------------------------------------------------------------------------------ keeping masks straight

def _two_band_regions(h: int, w: int, n: int) -> np.ndarray:
    """Channel r paints band r of n horizontal bands, so a channel says which style it was painted for."""
    out = np.zeros((h, w, n), np.float32)
    for r in range(n):
        out[r * h // n:(r + 1) * h // n, :, r] = 1.0
    return out


def test_removing_adding_and_moving_styles_keeps_masks_with_their_painting(qtbot, page: StylizePage, pictures,
                                                                             tmp_path):
    photo, coffee, astro = pictures
    third = tmp_path / "third.png"
    Image.fromarray(np.full((30, 40, 3), 90, np.uint8)).save(third)
    page.content.set_path(str(photo))
    page.styles.add_paths([str(coffee), str(astro), str(third)])
    a, b, c = page.styles.rows
    masks = {a: np.zeros((80, 120), np.float32), b: np.zeros((96, 96), np.float32), c: np.ones((30, 40), np.float32)}
    masks[a][:10] = 1
    masks[b][:, :5] = 1
    for row, m in masks.items():
        row.set_mask(m)
    painted = _two_band_regions(100, 150, 3)
    page.content.set_regions(painted)

    dialog = page.open_style_mask(b)  # its window closes with it
    qtbot.mouseClick(b.remove_button, Qt.MouseButton.LeftButton)
    assert page.mask_dialog(b) is None and not dialog.isVisible()
    assert page.styles.rows == [a, c]
    got = page.style_masks()
    assert np.array_equal(got[0], masks[a]) and np.array_equal(got[1], masks[c])
    np.testing.assert_array_equal(page.content_regions(), painted[..., [0, 2]])
    assert "astronaut.png" not in page.content.regions_label.text()

    page.styles.add_paths([str(astro)])  # a new painting starts unpainted: an empty channel, no mask
    regions = page.content_regions()
    assert regions.shape == (100, 150, 3) and regions[..., 2].max() == 0.0
    np.testing.assert_array_equal(regions[..., :2], painted[..., [0, 2]])
    assert page.style_masks()[2] is None

    page.styles.move_row(c, 0)  # reordering: mask and region channel follow the painting
    assert page.styles.rows[0] is c and np.array_equal(page.style_masks()[0], masks[c])
    np.testing.assert_array_equal(page.content_regions()[..., 0], painted[..., 2])
    np.testing.assert_array_equal(page.content_regions()[..., 1], painted[..., 0])

    qtbot.mouseClick(a.clear_mask_button, Qt.MouseButton.LeftButton)
    assert a.mask is None and a.mask_label.text() == "whole painting used"

    assert page.content.clear_regions_button.isVisible()
    qtbot.mouseClick(page.content.clear_regions_button, Qt.MouseButton.LeftButton)
    assert page.content_regions() is None and page.content.clear_regions_button.isHidden()
    page.content.set_regions(painted)

    dialog = page.open_region_mask()
    page.content.set_path(str(astro))  # another photo: the paint for the old one goes, and its window
    assert page.content_regions() is None and page.mask_dialog() is None and not dialog.isVisible()
    assert page.content.regions_label.isHidden()


def test_cancel_keeps_the_old_mask_and_closing_asks_first(qtbot, page: StylizePage, pictures, monkeypatch):
    photo, coffee, _ = pictures
    page.content.set_path(str(photo))
    page.styles.add_paths([str(coffee)])
    row = page.styles.rows[0]
    before = np.zeros((80, 120), np.float32)
    before[40:, 60:] = 1.0
    row.set_mask(before)

    dialog = open_by_button(qtbot, page, row.mask_button, 0)
    np.testing.assert_array_equal(dialog.editor.mask(), before)  # opens on the mask there is
    stroke(dialog, [(5, 5), (50, 5)])
    assert dialog.editor.mask()[5, 20] > 0.9
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    assert page.mask_dialog(0) is None
    np.testing.assert_array_equal(row.mask, before)

    dialog = open_by_button(qtbot, page, row.mask_button, 0)
    stroke(dialog, [(5, 5), (50, 5)])
    asked = []
    monkeypatch.setattr(dialog, "confirm_discard", lambda: asked.append(1) or False)
    QTest.keyClick(dialog, Qt.Key.Key_Escape)  # Esc with unkept paint: asks, and "no" keeps the window
    assert asked == [1] and dialog.isVisible() and page.mask_dialog(0) is dialog
    monkeypatch.setattr(dialog, "confirm_discard", lambda: True)
    dialog.close()
    assert page.mask_dialog(0) is None
    np.testing.assert_array_equal(row.mask, before)

    dialog = open_by_button(qtbot, page, row.mask_button, 0)  # "No mask": the whole painting again
    qtbot.mouseClick(dialog.clear_all_button, Qt.MouseButton.LeftButton)
    assert row.mask is None and page.style_masks() == [None]


def test_paint_lands_on_the_right_pixels_after_zoom_and_window_resize(qtbot, page: StylizePage, pictures):
    photo, coffee, _ = pictures
    page.content.set_path(str(photo))
    page.styles.add_paths([str(coffee)])
    dialog = open_by_button(qtbot, page, page.styles.rows[0].mask_button, 0)
    before = dialog.editor.size()
    dialog.resize(dialog.minimumSizeHint().width(), 480)
    qtbot.waitUntil(lambda: dialog.editor.size() != before)
    dialog.editor.zoom_by(3.0, dialog.editor.image_to_widget(QPointF(90, 60)))
    assert not dialog.editor.is_fit()
    stroke(dialog, [(80, 60), (100, 60)], size=6)
    qtbot.mouseClick(dialog.done_button, Qt.MouseButton.LeftButton)
    mask = page.style_masks()[0]
    assert mask.shape == (80, 120)  # still the painting's own size, whatever the zoom
    ys, xs = np.nonzero(mask > 0.5)
    assert 56 <= ys.min() and ys.max() <= 64 and 76 <= xs.min() and xs.max() <= 104


def test_a_mask_window_open_during_a_run_says_done_is_for_the_next_run(qtbot, page: StylizePage, pictures):
    photo, coffee, _ = pictures
    page.content.set_path(str(photo))
    page.styles.add_paths([str(coffee)])
    dialog = page.open_style_mask(0)
    assert dialog.note.isHidden()
    page.size_spin.setValue(32)
    page.iter_spin.setValue(2)
    page.backbone_combo.setCurrentIndex(page.backbone_combo.findData(_backbone()))
    page.overrides = {"optimizer": "adam", "device": "cpu"}
    page.start()
    assert page.is_busy() and not dialog.note.isHidden() and "next run" in dialog.note.text()
    assert page.open_region_mask() is None and "Wait" in page.error_message()
    stroke(dialog, [(10, 40), (100, 40)])
    qtbot.mouseClick(dialog.done_button, Qt.MouseButton.LeftButton)
    assert page.style_masks()[0] is not None  # kept for the next run
    qtbot.waitUntil(lambda: not page.is_busy(), timeout=WAIT_MS)
    assert page.result is not None and page.result.style_masks == [None]  # this run started without it


# ------------------------------------------------------------------------------------------ recipes

def _recipe(tmp_path: Path, content: Path, styles: list[Path], mask_files: dict) -> Path:
    path = tmp_path / "old.json"
    path.write_text(json.dumps({"kind": RECIPE_KIND, "version": 1, "content": str(content),
                                "styles": [str(s) for s in styles], "style_blend": [1.0] * len(styles),
                                "settings": StyleSettings(size=48).to_dict(), "mask_files": mask_files}))
    return path


def test_recipe_with_a_missing_mask_restores_everything_else(qtbot, page: StylizePage, pictures, tmp_path):
    photo, coffee, astro = pictures
    keep = np.zeros((96, 96), np.uint8)
    keep[:, :48] = 255
    Image.fromarray(keep).save(tmp_path / "old.style-mask-2.png")
    region = np.zeros((100, 150), np.uint8)
    region[50:] = 255
    Image.fromarray(region).save(tmp_path / "old.region-2.png")
    recipe = _recipe(tmp_path, photo, [coffee, astro],
                     {"style": ["old.style-mask-1.png", "old.style-mask-2.png"],
                      "regions": ["old.region-1.png", "old.region-2.png"]})
    page.content.set_path(str(photo))  # a regions window open on the same photo, for paintings the recipe replaces
    page.styles.add_paths([str(coffee)])
    dialog = page.open_region_mask()
    assert page.open_recipe(recipe)
    assert page.mask_dialog() is None and not dialog.isVisible()
    message = page.error_message()
    assert "old.style-mask-1.png" in message and "old.region-1.png" in message and "not found" in message
    assert page.content.path() == str(photo) and page.styles.paths() == [str(coffee), str(astro)]
    masks = page.style_masks()
    assert masks[0] is None and masks[1] is not None
    assert masks[1][:, :48].min() == 1.0 and masks[1][:, 48:].max() == 0.0
    regions = page.content_regions()
    assert regions.shape == (100, 150, 2) and regions[..., 0].max() == 0.0
    assert regions[50:, :, 1].min() == 1.0 and regions[:50, :, 1].max() == 0.0


def test_recipe_masks_follow_their_painting_when_one_is_gone(qtbot, page: StylizePage, pictures, tmp_path):
    photo, coffee, astro = pictures
    gone = tmp_path / "gone.png"
    Image.fromarray(np.full((96, 96), 255, np.uint8)).save(tmp_path / "old.style-mask-2.png")
    Image.fromarray(np.full((100, 150), 255, np.uint8)).save(tmp_path / "old.region-2.png")
    Image.fromarray(np.zeros((100, 150), np.uint8)).save(tmp_path / "old.region-1.png")
    recipe = _recipe(tmp_path, photo, [gone, astro], {"style": [None, "old.style-mask-2.png"],
                                                      "regions": ["old.region-1.png", "old.region-2.png"]})
    assert page.open_recipe(recipe)
    assert page.styles.paths() == [str(astro)]  # the astronaut is now first; its mask and region came with it
    assert page.style_masks()[0].min() == 1.0
    assert page.content_regions().shape == (100, 150, 1) and page.content_regions().min() == 1.0


# ------------------------------------------------------------------------------------------ alignment helpers

def test_masks_saved_after_a_square_crop_go_back_into_the_middle():
    square = np.ones((40, 40), np.float32)
    back = fit_mask(square, 60, 40, square_crop=True)
    assert back.shape == (40, 60) and back[:, 10:50].min() == 1.0 and back[:, :10].max() == back[:, 50:].max() == 0
    stretched = fit_mask(np.ones((20, 30, 2), np.float32) * 0.5, 60, 40)
    assert stretched.shape == (40, 60, 2) and np.allclose(stretched, 0.5)


def test_thumbnails_and_sizes_follow_the_camera_orientation(tmp_path):
    pixels = np.zeros((20, 40, 3), np.uint8)
    pixels[:, :20] = 255  # left half white, as stored
    im = Image.fromarray(pixels)
    exif = im.getexif()
    exif[0x0112] = 6  # "rotate 90° clockwise to view"
    path = tmp_path / "phone.jpg"
    im.save(path, exif=exif, quality=95)
    assert image_pixel_size(path) == (20, 40)
    thumb = load_thumbnail(path)
    assert thumb.shape[:2] == (40, 20) and thumb[:15].mean() > 200 and thumb[25:].mean() < 50
