"""The brush mask editor, driven like an artist drives it: raw mouse events, the wheel, keys, toolbar.

Geometry used throughout: a 200×100 picture in a 400×200 editor fits at exactly 2 widget pixels per
image pixel with no margin, so widget point (2x, 2y) is image point (x, y). Expected pixels are worked
out from that by hand, never through the editor's own mapping functions (which are under test).
A pixel (row i, column j) spans [j, j+1) × [i, i+1) in image coordinates.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QAction, QKeySequence, QMouseEvent, QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMainWindow

from studio.engine.images import ImageRejected
from studio.ui.widgets.mask.brush import DabPath, dab_spacing, stamp_line, stamp_max
from studio.ui.widgets.mask.history import PatchHistory
from studio.ui.widgets.mask.select import connected_region
from studio.ui.widgets.mask_editor import (
    ZOOM_STEP,
    MaskEditor,
    MaskToolBar,
    load_region_png,
    normalized_weights,
    save_region_png,
)

IMG_W, IMG_H = 200, 100
LEFT = Qt.MouseButton.LeftButton
NO_BUTTON = Qt.MouseButton.NoButton
NO_MOD = Qt.KeyboardModifier.NoModifier


def gradient_image(w: int = IMG_W, h: int = IMG_H) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w]
    return np.stack([xx * 255 // max(1, w - 1), yy * 255 // max(1, h - 1), (xx + yy) % 256],
                    axis=2).astype(np.uint8)


def send_mouse(widget, kind: QEvent.Type, pos: QPointF, button=LEFT, buttons=LEFT, mods=NO_MOD) -> None:
    event = QMouseEvent(kind, QPointF(pos), widget.mapToGlobal(QPointF(pos)), button, buttons, mods)
    QApplication.sendEvent(widget, event)


def w(x: float, y: float) -> QPointF:
    """Widget point of image point (x, y) in the fitted 400×200 editor (scale 2, no margin)."""
    return QPointF(2 * x, 2 * y)


def drag(widget, points: list[QPointF], button=LEFT, mods=NO_MOD) -> None:
    """Press at the first point, one move event per further point (however far), release at the last."""
    send_mouse(widget, QEvent.Type.MouseButtonPress, points[0], button, button, mods)
    for p in points[1:]:
        send_mouse(widget, QEvent.Type.MouseMove, p, NO_BUTTON, button, mods)
    send_mouse(widget, QEvent.Type.MouseButtonRelease, points[-1], button, NO_BUTTON, mods)


def click(widget, pos: QPointF, button=LEFT, mods=NO_MOD) -> None:
    drag(widget, [pos], button, mods)


def wheel(widget, pos: QPointF, notches: int = 1) -> None:
    event = QWheelEvent(QPointF(pos), widget.mapToGlobal(QPointF(pos)), QPoint(0, 0),
                        QPoint(0, 120 * notches), NO_BUTTON, NO_MOD, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)


def painted(mask: np.ndarray) -> set[tuple[int, int]]:
    return {(int(r), int(c)) for r, c in np.argwhere(mask > 0)}


@pytest.fixture
def editor(qtbot) -> MaskEditor:
    e = MaskEditor()
    qtbot.addWidget(e)
    e.resize(400, 200)
    e.show()
    qtbot.waitUntil(lambda: e.width() == 400 and e.height() == 200)
    e.set_image(gradient_image())
    e.set_brush_size(10)
    e.set_brush_hardness(1.0)
    assert e.zoom() == 2.0 and e.is_fit()
    return e


class Counter:
    def __init__(self, signal) -> None:
        self.count = 0
        signal.connect(self.bump)

    def bump(self, *args) -> None:
        self.count += 1


# ------------------------------------------------------------------------------------------ strokes
def test_fast_horizontal_jump_leaves_no_gap(editor):
    drag(editor, [w(20, 50), w(180, 50)])  # one move event: a 160 px jump
    m = editor.mask()
    assert (m[45:55, 20:180] == 1.0).all()  # 10 px wide hard stroke centred on y = 50
    assert m[:45].max() == 0.0 and m[55:].max() == 0.0
    assert m[:, :14].max() == 0.0 and m[:, 186:].max() == 0.0  # round caps end at the radius


def test_fast_diagonal_jump_is_continuous_and_thin(editor):
    editor.set_brush_size(4)
    a, b = np.array([10.0, 10.0]), np.array([190.0, 90.0])
    drag(editor, [w(*a), w(*b)])
    m = editor.mask()
    for t in np.linspace(0, 1, 2000):  # every pixel under the line is painted
        x, y = a + t * (b - a)
        assert m[int(y), int(x)] == 1.0, (x, y)
    # and nothing farther from the line than the radius (+ the pixel-centre half diagonal)
    rows, cols = np.nonzero(m)
    d = b - a
    dist = np.abs((cols + 0.5 - a[0]) * d[1] - (rows + 0.5 - a[1]) * d[0]) / np.hypot(*d)
    assert dist.max() <= 2.0 + 1e-6


def test_many_small_moves_match_one_continuous_line(editor):
    xs = np.linspace(20, 180, 97)
    drag(editor, [w(x, 30 + 0.1 * x) for x in xs])
    m = editor.mask()
    for x in np.arange(20, 180, 0.25):
        assert m[int(30 + 0.1 * x), int(x)] == 1.0


@pytest.mark.parametrize("size", [4, 10, 21])
def test_brush_size_sets_painted_width(editor, size):
    editor.set_brush_size(size)
    y = 50.0 if size % 2 == 0 else 50.5  # even widths centre on a pixel edge, odd ones on a pixel
    drag(editor, [w(20, y), w(180, y)])
    column = editor.mask()[:, 100]
    assert int((column > 0).sum()) == size
    assert column[50] == 1.0


def test_hard_brush_has_a_hard_edge_and_soft_brush_falls_off(editor):
    editor.set_brush_size(20)
    drag(editor, [w(20, 50), w(180, 50)])
    hard = editor.mask()[:, 100].copy()
    assert set(np.unique(hard)) == {0.0, 1.0}
    editor.clear()
    editor.set_brush_hardness(0.0)
    drag(editor, [w(20, 50), w(180, 50)])
    soft = editor.mask()[:, 100].copy()
    upper = soft[40:50][::-1]  # from the centre row outwards
    assert soft[49] > 0.9 and soft[50] > 0.9
    assert np.all(np.diff(upper) <= 0) and upper[-1] < 0.05  # falls monotonically towards the rim
    assert ((soft > 0.05) & (soft < 0.95)).sum() >= 8  # a real gradient, not an edge
    assert soft[:40].max() == 0.0 and soft[60:].max() == 0.0  # still bounded by the radius
    assert soft.sum() < hard.sum()
    editor.clear()
    editor.set_brush_hardness(0.5)
    drag(editor, [w(20, 50), w(180, 50)])
    half = editor.mask()[:, 100]
    assert (half == 1.0).sum() > (soft == 1.0).sum()  # a wider solid core than the soft brush
    assert ((half > 0) & (half < 1)).any()


def test_soft_stroke_has_no_stripes(editor):
    """Alongside a soft stroke the alpha is the same all the way (dabs close enough not to ripple)."""
    editor.set_brush_size(60)
    editor.set_brush_hardness(0.0)
    drag(editor, [w(10, 50), w(190, 50)])
    m = editor.mask()
    for row in (55, 62, 70, 76):  # from the core out to the faint shoulder
        assert 0 < m[row, 100] < 1
        assert np.ptp(m[row, 60:140]) < 0.5 / 255, row


def test_overlapping_dabs_do_not_build_up(editor):
    """Coverage is the max of the dabs, so a soft stroke is as soft in the middle of a long drag as one
    dab is, and going back and forth inside one stroke does not darken it."""
    editor.set_brush_size(20)
    editor.set_brush_hardness(0.0)
    drag(editor, [w(20, 50), w(180, 50), w(20, 50), w(180, 50)])
    back_and_forth = editor.mask()[:, 100].copy()
    editor.clear()
    drag(editor, [w(20, 50), w(180, 50)])
    np.testing.assert_allclose(editor.mask()[:, 100], back_and_forth, atol=1e-6)


def test_eraser_clears_what_it_touches(editor):
    editor.set_brush_size(10)
    drag(editor, [w(20, 50), w(180, 50)])
    editor.set_tool("eraser")
    assert editor.tool() == "eraser" and editor.is_erasing()
    drag(editor, [w(100, 0), w(100, 99)])
    m = editor.mask()
    assert m[45:55, 95:105].max() == 0.0
    assert (m[45:55, 20:94] == 1.0).all() and (m[45:55, 106:180] == 1.0).all()


def test_changed_is_emitted_once_per_stroke(editor):
    changed = Counter(editor.changed)
    send_mouse(editor, QEvent.Type.MouseButtonPress, w(20, 20))
    for x in range(25, 150, 5):
        send_mouse(editor, QEvent.Type.MouseMove, w(x, 20), NO_BUTTON, LEFT)
    assert changed.count == 0  # nothing while the stroke is going on
    assert editor.mask()[20, 100] == 1.0  # ... but the paint already shows
    send_mouse(editor, QEvent.Type.MouseButtonRelease, w(150, 20), LEFT, NO_BUTTON)
    assert changed.count == 1
    editor.set_tool("eraser")
    drag(editor, [w(20, 80), w(180, 80)])  # erasing nothing changes nothing
    assert changed.count == 1 and not editor.can_redo()


def test_smoothing_still_ends_at_the_release_point(editor):
    editor.set_smoothing(0.8)
    drag(editor, [w(20, 50), w(60, 50), w(100, 50), w(180, 50)])
    m = editor.mask()
    assert (m[50, 20:181] == 1.0).all()


# ------------------------------------------------------------------------------------- undo / redo
def test_undo_redo_restore_exact_arrays(editor):
    snapshots = [editor.mask()]
    strokes = [(10, 1.0, [(20, 20), (180, 80)]), (30, 0.0, [(100, 10), (100, 90), (150, 50)]),
               (6, 0.5, [(20, 80), (180, 20)]), (50, 0.2, [(60, 50)])]
    editor.set_region_count(0)
    for size, hardness, pts in strokes:
        editor.set_brush_size(size)
        editor.set_brush_hardness(hardness)
        drag(editor, [w(*p) for p in pts])
        snapshots.append(editor.mask())
    editor.set_tool("eraser")
    drag(editor, [w(10, 50), w(190, 50)])
    snapshots.append(editor.mask())
    assert all(not np.array_equal(a, b) for a, b in zip(snapshots, snapshots[1:], strict=False))
    changed = Counter(editor.changed)
    for expected in reversed(snapshots[:-1]):
        assert editor.undo()
        np.testing.assert_array_equal(editor.mask(), expected)
    assert not editor.can_undo() and not editor.undo()
    for expected in snapshots[1:]:
        assert editor.redo()
        np.testing.assert_array_equal(editor.mask(), expected)
    assert not editor.can_redo()
    assert changed.count == 2 * (len(snapshots) - 1)
    editor.undo()
    editor.set_tool("brush")
    drag(editor, [w(5, 5)])
    assert not editor.can_redo()  # a new stroke forgets the undone one


def test_history_keeps_fifty_steps_of_changed_tiles_only(qtbot):
    e = MaskEditor(history_limit=50)
    qtbot.addWidget(e)
    e.resize(400, 200)
    e.show()
    qtbot.waitUntil(lambda: e.width() == 400)
    e.set_image(gradient_image())
    e.set_brush_size(4)
    e.set_brush_hardness(0.3)
    snapshots = [e.mask()]
    for i in range(55):
        x = 3 + 3.5 * i
        drag(e, [w(x, 10 + i), w(x + 2, 60)])
        snapshots.append(e.mask())
    for k in range(50):
        assert e.undo(), f"undo step {k + 1} of 50"
        np.testing.assert_array_equal(e.mask(), snapshots[54 - k])
    assert not e.can_undo()  # the 5 oldest strokes were dropped
    np.testing.assert_array_equal(e.mask(), snapshots[5])
    full_mask = IMG_W * IMG_H * 4
    assert e.history_bytes() < 50 * full_mask / 20  # compressed tiles, not whole masks
    for _ in range(50):
        assert e.redo()
    np.testing.assert_array_equal(e.mask(), snapshots[55])


def test_patch_history_stores_only_changed_tiles():
    h = PatchHistory(limit=50)
    before = np.zeros((300, 300, 2), np.float32)
    after = before.copy()
    after[10:20, 200:210, 1] = 0.5
    boxes = h.record(before, after)
    assert boxes == [(0, 64, 192, 256)]
    assert h.record(after, after.copy()) == [] and h.undo_steps() == 1
    arr = after.copy()
    assert h.undo(arr) == boxes
    np.testing.assert_array_equal(arr, before)
    h.redo(arr)
    np.testing.assert_array_equal(arr, after)
    with pytest.raises(ValueError):
        PatchHistory(limit=0)


# ------------------------------------------------------------------------------ whole-mask edits
def test_invert_clear_fill_are_undoable(editor):
    editor.fill()
    assert (editor.mask() == 1.0).all()
    editor.invert()
    assert (editor.mask() == 0.0).all()
    editor.set_brush_hardness(0.0)
    editor.set_brush_size(30)
    drag(editor, [w(30, 30), w(150, 70)])
    before = editor.mask()
    editor.invert()
    np.testing.assert_allclose(editor.mask(), 1.0 - before, atol=1e-7)
    editor.clear()
    assert (editor.mask() == 0.0).all()
    editor.undo()
    np.testing.assert_allclose(editor.mask(), 1.0 - before, atol=1e-7)
    editor.undo()
    np.testing.assert_array_equal(editor.mask(), before)
    assert editor.clear() is True
    assert editor.clear() is False  # nothing left to clear
    assert editor.fill(erase=True) is False


def test_set_mask_accepts_floats_bools_and_bytes(editor):
    editor.set_mask(np.full((IMG_H, IMG_W), 255, np.uint8))
    assert (editor.mask() == 1.0).all()
    editor.set_mask(np.zeros((IMG_H, IMG_W), bool))
    assert (editor.mask() == 0.0).all()
    with pytest.raises(ValueError):
        editor.set_mask(np.zeros((10, 10), np.float32))
    with pytest.raises(ValueError):  # mask mode has no regions to set
        editor.set_region_masks(np.zeros((IMG_H, IMG_W, 1)))


# ------------------------------------------------------------------------------------ view mapping
def test_painting_lands_right_after_a_wheel_zoom(editor):
    editor.set_brush_size(1)
    anchor = w(60.5, 40.5)  # the centre of pixel (row 40, column 60)
    wheel(editor, anchor, 1)
    assert editor.zoom() == pytest.approx(2 * ZOOM_STEP) and not editor.is_fit()
    click(editor, anchor)  # the pixel under the pointer stayed under the pointer
    assert painted(editor.mask()) == {(40, 60)}
    editor.clear()
    click(editor, anchor + QPointF(10 * 2 * ZOOM_STEP, -5 * 2 * ZOOM_STEP))  # 10 px right, 5 up
    assert painted(editor.mask()) == {(35, 70)}
    wheel(editor, anchor, -1)  # and back out around the same point: the fitted view again
    assert editor.zoom() == pytest.approx(2.0)
    editor.clear()
    click(editor, w(150.5, 80.5))
    assert painted(editor.mask()) == {(80, 150)}


def test_painting_lands_right_after_resize(editor, qtbot):
    editor.set_brush_size(1)
    editor.resize(800, 400)  # still fit: 4 widget px per image px
    qtbot.waitUntil(lambda: editor.width() == 800)
    click(editor, QPointF(4 * 30.5, 4 * 20.5))
    assert painted(editor.mask()) == {(20, 30)}
    editor.resize(600, 200)  # wider than the picture: scale 2, centred with a 100 px margin
    qtbot.waitUntil(lambda: editor.width() == 600)
    editor.clear()
    click(editor, QPointF(100 + 2 * 120.5, 2 * 70.5))
    assert painted(editor.mask()) == {(70, 120)}
    click(editor, QPointF(50, 50))  # in the margin: no pixel there
    assert painted(editor.mask()) == {(70, 120)}
    # zoomed (not fit): a resize keeps the middle of the view in the middle
    editor.set_zoom(4.0, QPointF(300, 100))  # image point (100, 50) stays at (300, 100)
    editor.clear()
    editor.resize(800, 300)
    qtbot.waitUntil(lambda: editor.width() == 800)
    click(editor, QPointF(400 + 4 * 0.5, 150 + 4 * 0.5))  # (300,100) + half the growth (100,50)
    assert painted(editor.mask()) == {(50, 100)}


def test_pan_with_right_middle_and_space_drag(editor):
    editor.set_brush_size(1)
    drag(editor, [QPointF(100, 100), QPointF(140, 100)], button=Qt.MouseButton.RightButton)
    assert editor.mask().max() == 0.0  # panning never paints
    click(editor, w(60.5, 40.5) + QPointF(40, 0))
    assert painted(editor.mask()) == {(40, 60)}
    drag(editor, [QPointF(100, 100), QPointF(100, 60)], button=Qt.MouseButton.MiddleButton)
    editor.clear()
    click(editor, w(60.5, 40.5) + QPointF(40, -40))
    assert painted(editor.mask()) == {(40, 60)}
    QTest.keyPress(editor, Qt.Key.Key_Space)
    drag(editor, [QPointF(100, 100), QPointF(60, 100)])
    QTest.keyRelease(editor, Qt.Key.Key_Space)
    editor.clear()
    click(editor, w(60.5, 40.5) + QPointF(0, -40))
    assert painted(editor.mask()) == {(40, 60)}
    editor.fit_to_view()
    editor.clear()
    click(editor, w(60.5, 40.5))
    assert painted(editor.mask()) == {(40, 60)}
    editor.pan_by(10_000, -10_000)  # flung away: a strip of the picture stays in view
    left, bottom = editor.image_to_widget(QPointF(0, IMG_H)).x(), editor.image_to_widget(QPointF(0, IMG_H)).y()
    assert left == pytest.approx(400 - 32) and bottom == pytest.approx(32)


def test_replacing_the_image_with_a_resized_version_resamples_the_mask(editor):
    editor.set_mask(np.pad(np.ones((20, 40), np.float32), ((30, 50), (80, 80))))  # rows 30-49, cols 80-119
    editor.set_image(gradient_image(400, 200))
    m = editor.mask()
    assert m.shape == (200, 400)
    assert (m[62:98, 162:238] > 0.99).all()  # same place, twice the pixels
    assert m[:58].max() < 0.01 and m[102:].max() < 0.01
    assert m[:, :158].max() < 0.01 and m[:, 242:].max() < 0.01
    assert not editor.can_undo()  # history belonged to the old size
    editor.set_brush_size(2)
    click(editor, QPointF(1, 1) + QPointF(2 * 10, 2 * 10) / 2)  # fit at scale 1: widget == image
    assert editor.mask()[10, 10] == 1.0
    editor.set_zoom(4.0, QPointF(0, 0))  # not fit: replacing keeps the picture's size on screen
    editor.set_image(gradient_image(200, 100))
    assert editor.zoom() == pytest.approx(8.0)
    editor.set_image(gradient_image(200, 100))  # same size: paint kept as it is
    assert editor.mask().shape == (100, 200) and editor.mask()[31, 81] > 0.99


# ------------------------------------------------------------------------------- similar colour
def two_colour_image() -> np.ndarray:
    img = np.zeros((40, 60, 3), np.uint8)
    img[:, :30] = (200, 30, 30)  # red left half
    img[:, 30:] = (30, 30, 200)  # blue right half
    rng = np.random.default_rng(0)
    img[:, 30:] += rng.integers(0, 6, size=(40, 30, 1), dtype=np.uint8)  # a little noise
    img[:, 50] = (30, 30, 170)  # a darker blue line splits the right half
    img[10:16, 10:16] = (30, 30, 200)  # a blue island in the red
    return img


def test_select_similar_colour(editor):
    img = two_colour_image()
    editor.set_image(img)
    right = np.zeros((40, 60), bool)
    right[:, 30:] = True
    island = np.zeros((40, 60), bool)
    island[10:16, 10:16] = True
    line = np.zeros((40, 60), bool)
    line[:, 50] = True

    n = editor.select_similar(40, 20, tolerance=10, contiguous=False)
    expect = (right & ~line) | island
    assert n == expect.sum()
    np.testing.assert_array_equal(editor.mask() == 1.0, expect)
    editor.select_similar(40, 20, tolerance=10, contiguous=True)
    expect = right & ~line
    expect[:, 51:] = False  # beyond the line: not connected
    np.testing.assert_array_equal(editor.mask() == 1.0, expect)
    editor.select_similar(40, 20, tolerance=40, contiguous=True)
    np.testing.assert_array_equal(editor.mask() == 1.0, right)
    editor.select_similar(12, 12, tolerance=0, contiguous=True, mode="subtract")
    np.testing.assert_array_equal(editor.mask() == 1.0, right)  # the island was not selected
    editor.select_similar(5, 5, tolerance=0, contiguous=False, mode="add")
    np.testing.assert_array_equal(editor.mask() == 1.0, ~island)


def test_fill_tool_clicks(editor):
    img = two_colour_image()
    editor.set_image(img)
    editor.clear()
    editor.set_tool("fill")
    editor.set_tolerance(10)
    editor.set_contiguous(False)
    s = editor.zoom()  # 60×40 in 400×200: scale 5, centred horizontally
    assert s == 5.0

    def at(x, y):
        return QPointF(50 + 5 * (x + 0.5), 5 * (y + 0.5))

    click(editor, at(5, 5))  # red, not contiguous: the whole red area
    red = np.zeros((40, 60), bool)
    red[:, :30] = True
    red[10:16, 10:16] = False
    np.testing.assert_array_equal(editor.mask() == 1.0, red)
    click(editor, at(55, 5), mods=Qt.KeyboardModifier.ShiftModifier)  # Shift: replace the selection
    blue = np.zeros((40, 60), bool)
    blue[:, 30:50] = blue[:, 51:] = True  # not contiguous: both sides of the darker line ...
    blue[10:16, 10:16] = True  # ... and the island, and nothing red any more
    np.testing.assert_array_equal(editor.mask() == 1.0, blue)
    editor.swap_paint_erase()  # X: the fill tool now erases
    assert editor.tool() == "fill" and editor.is_erasing()
    editor.set_contiguous(True)
    click(editor, at(55, 5))
    blue[:, 51:] = False  # only the part connected to the click is erased
    np.testing.assert_array_equal(editor.mask() == 1.0, blue)
    assert set(np.unique(editor.mask())) == {0.0, 1.0}


def test_connected_region_matches_a_plain_flood_fill():
    rng = np.random.default_rng(3)
    for trial in range(20):
        mask = rng.random((37, 53)) < (0.45 + 0.02 * trial)
        ys, xs = np.nonzero(mask)
        y, x = int(ys[0]), int(xs[0])
        expect = np.zeros_like(mask)
        stack = [(y, x)]
        while stack:
            cy, cx = stack.pop()
            if 0 <= cy < 37 and 0 <= cx < 53 and mask[cy, cx] and not expect[cy, cx]:
                expect[cy, cx] = True
                stack += [(cy - 1, cx), (cy + 1, cx), (cy, cx - 1), (cy, cx + 1)]
        np.testing.assert_array_equal(connected_region(mask, x, y), expect)
    assert not connected_region(np.zeros((4, 4), bool), 1, 1).any()


# ----------------------------------------------------------------------------------------- regions
def test_region_mode_soft_overlap_blends(editor):
    editor.set_region_count(2, ["#ff0000", (0, 0, 255)])
    assert editor.mode() == "regions" and editor.region_count() == 2
    with pytest.raises(ValueError):
        editor.mask()
    editor.set_active_region(0)
    editor.set_brush_size(20)
    drag(editor, [w(10, 30), w(190, 30)])  # region 0: hard band, rows 20..39
    editor.set_active_region(1)
    editor.set_brush_hardness(0.0)
    editor.set_brush_size(40)
    drag(editor, [w(100, 0), w(100, 99)])  # region 1: soft band around x = 100, across region 0
    r = editor.region_masks()
    assert r.shape == (IMG_H, IMG_W, 2)
    total = r.sum(axis=2)
    assert total.max() <= 1.0 + 1e-6
    assert r[30, 20, 0] == 1.0 and r[30, 20, 1] == 0.0  # region 0 only
    assert r[30, 100, 1] > 0.95 and r[30, 100, 0] < 0.05  # region 1 painted over region 0
    edge = r[30, 112]  # region 1's soft edge over region 0: a blend that still sums to 1
    assert 0.05 < edge[0] < 0.95 and 0.05 < edge[1] < 0.95
    assert edge.sum() == pytest.approx(1.0, abs=1e-6)
    outside = r[70, 112]  # region 1's soft edge over nothing: the rest is unassigned
    assert 0.05 < outside[1] < 0.95 and outside[0] == 0.0
    norm = normalized_weights(r)
    assert norm[70, 112, 1] == pytest.approx(1.0) and norm[80, 10].sum() == 0.0
    # the overlay shows each region in its colour
    editor.set_overlay_opacity(1.0)
    img = editor.grab().toImage()
    red, blue = img.pixelColor(2 * 20, 2 * 30), img.pixelColor(2 * 100, 2 * 70)
    assert (red.red(), red.green(), red.blue()) == (255, 0, 0)
    assert blue.blue() > 240 and blue.red() < 15
    # eraser and invert work on the active region; back to mask mode keeps region 0
    editor.invert()
    inv = editor.region_masks()
    np.testing.assert_allclose(inv[..., 1], 1.0 - r[..., 1], atol=1e-6)
    assert inv.sum(axis=2).max() <= 1.0 + 1e-6
    editor.undo()
    np.testing.assert_array_equal(editor.region_masks(), r)
    editor.set_region_count(0)
    np.testing.assert_array_equal(editor.mask(), r[..., 0])


def test_set_region_masks_scales_down_overfull_pixels(editor):
    editor.set_region_count(3)
    masks = np.zeros((IMG_H, IMG_W, 3), np.float32)
    masks[..., 0] = 1.0
    masks[..., 2] = 1.0
    masks[:10, :, 2] = 0.25
    editor.set_region_masks(masks)
    r = editor.region_masks()
    assert r[50, 50].tolist() == [0.5, 0.0, 0.5]
    assert r[5, 5] == pytest.approx([0.8, 0.0, 0.2])
    with pytest.raises(ValueError):
        editor.set_region_masks(np.zeros((IMG_H, IMG_W, 2), np.float32))


# --------------------------------------------------------------------------------------- PNG files
def test_mask_png_round_trip(editor, tmp_path):
    levels = (np.arange(IMG_H * IMG_W) % 256).reshape(IMG_H, IMG_W).astype(np.float32) / np.float32(255.0)
    editor.set_mask(levels)
    path = editor.export_mask_png(tmp_path / "mask.png")
    with Image.open(path) as img:
        assert img.mode == "L" and img.size == (IMG_W, IMG_H)
        assert np.array_equal(np.asarray(img), (np.arange(IMG_H * IMG_W) % 256).reshape(IMG_H, IMG_W))
    editor.clear()
    editor.import_mask_png(path)
    np.testing.assert_array_equal(editor.mask(), levels)  # 8-bit levels come back exactly
    editor.set_brush_hardness(0.0)
    editor.set_brush_size(33)
    drag(editor, [w(10, 10), w(150, 90)])
    soft = editor.mask()
    editor.export_mask_png(path)
    editor.import_mask_png(path)
    np.testing.assert_allclose(editor.mask(), soft, atol=0.5 / 255 + 1e-6)
    editor.set_image(gradient_image(100, 50))  # a smaller picture: the file is resampled on import
    editor.import_mask_png(path)
    assert editor.mask().shape == (50, 100)


def test_region_png_round_trip(editor, tmp_path):
    colors = [(255, 0, 0), (0, 200, 0), (0, 0, 255)]
    editor.set_region_count(3, colors)
    masks = np.zeros((IMG_H, IMG_W, 3), np.float32)
    masks[:, :60, 0] = 1.0
    masks[:, 60:120, 1] = 1.0
    masks[:, 120:140, 2] = np.linspace(1.0, 0.0, 20, dtype=np.float32)  # soft edge into nothing
    masks[:50, 170:, 0] = 0.7
    masks[:50, 170:, 2] = 0.2  # soft overlap: comes back as the dominant region with the total
    editor.set_region_masks(masks)
    path = editor.export_mask_png(tmp_path / "regions.png")
    with Image.open(path) as img:
        assert img.mode == "RGBA"
        px = np.asarray(img)
    assert tuple(px[5, 5]) == (255, 0, 0, 255) and tuple(px[5, 100]) == (0, 200, 0, 255)
    assert tuple(px[90, 160]) == (0, 0, 0, 0)
    back, pal = load_region_png(path)
    assert pal.tolist() == [list(c) for c in colors]
    np.testing.assert_array_equal(back[:, :120], masks[:, :120])
    np.testing.assert_allclose(back[:, 120:140], masks[:, 120:140], atol=0.5 / 255 + 1e-6)
    np.testing.assert_allclose(back[:50, 170:, 0], 0.9, atol=0.5 / 255 + 1e-6)
    assert back[:50, 170:, 2].max() == 0.0
    editor.clear()
    editor.import_mask_png(path)
    np.testing.assert_array_equal(editor.region_masks(), back)
    # a map painted elsewhere: plain RGB, colours over black; brightness along a colour is its weight
    rgb = np.zeros((IMG_H, IMG_W, 3), np.uint8)
    rgb[:, :50] = (255, 0, 0)
    rgb[:, 50:60] = (102, 0, 0)  # 40 % red
    rgb[:, 150:] = (10, 10, 240)  # nearly pure blue
    Image.fromarray(rgb).save(tmp_path / "painted.png")
    other, _ = load_region_png(tmp_path / "painted.png", colors=colors)
    assert (other[:, :50, 0] == 1).all()
    np.testing.assert_allclose(other[:, 50:60, 0], 0.4, atol=1e-6)
    assert (other[:, 150:, 2] > 0.93).all() and other[:, 150:, :2].max() == 0
    assert other[:, 60:150].max() == 0 and other.sum(axis=2).max() <= 1.0
    # the RGBA map flattened onto black (what a colour-over-black reader sees) reads the same
    flat = Image.alpha_composite(Image.new("RGBA", (IMG_W, IMG_H), (0, 0, 0, 255)),
                                 Image.open(path).convert("RGBA")).convert("RGB")
    flat.save(tmp_path / "flat.png")
    flat_back, _ = load_region_png(tmp_path / "flat.png", colors=colors)
    np.testing.assert_allclose(flat_back, back, atol=1.5 / 255)
    with pytest.raises(ValueError):
        load_region_png(tmp_path / "painted.png")  # no colours stored, none given
    save_region_png(masks, colors, tmp_path / "direct.png")
    assert load_region_png(tmp_path / "direct.png", size=(50, 25))[0].shape == (25, 50, 3)
    # the stored colours decide the regions, even after this editor's colours changed
    editor.set_region_colors([(0, 0, 255), (0, 200, 0), (255, 0, 0)])
    editor.import_mask_png(path)
    np.testing.assert_array_equal(editor.region_masks(), back)
    editor.set_region_count(2)  # fewer regions than the file: the extra one is dropped
    editor.import_mask_png(path)
    np.testing.assert_array_equal(editor.region_masks(), back[..., :2])
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    with pytest.raises(ImageRejected):
        editor.import_mask_png(tmp_path / "broken.png")
    editor.set_region_count(0)
    with pytest.raises(ImageRejected):
        editor.import_mask_png(tmp_path / "broken.png")


# ------------------------------------------------------------------------------- keys and toolbar
def test_shortcuts_change_size_tool_and_history(editor):
    editor.set_brush_size(20)
    QTest.keyClick(editor, Qt.Key.Key_BracketRight)
    assert editor.brush_size() == 23  # ×1.15
    QTest.keyClick(editor, Qt.Key.Key_BracketLeft)
    QTest.keyClick(editor, Qt.Key.Key_BracketLeft)
    assert editor.brush_size() == 17
    editor.set_brush_size(1)
    QTest.keyClick(editor, Qt.Key.Key_BracketLeft)
    assert editor.brush_size() == 1
    QTest.keyClick(editor, Qt.Key.Key_BracketRight)
    assert editor.brush_size() == 2
    editor.set_brush_hardness(0.5)
    QTest.keyClick(editor, Qt.Key.Key_BracketRight, Qt.KeyboardModifier.ShiftModifier)
    assert editor.brush_hardness() == 0.75
    QTest.keyClick(editor, Qt.Key.Key_E)
    assert editor.tool() == "eraser"
    QTest.keyClick(editor, Qt.Key.Key_E)
    assert editor.tool() == "brush"
    QTest.keyClick(editor, Qt.Key.Key_X)
    assert editor.tool() == "eraser"
    QTest.keyClick(editor, Qt.Key.Key_X)
    assert editor.tool() == "brush"
    editor.set_brush_size(10)
    drag(editor, [w(20, 50), w(180, 50)])
    stroke = editor.mask()
    ctrl = Qt.KeyboardModifier.ControlModifier
    QTest.keyClick(editor, Qt.Key.Key_Z, ctrl)
    assert editor.mask().max() == 0.0
    QTest.keyClick(editor, Qt.Key.Key_Z, ctrl | Qt.KeyboardModifier.ShiftModifier)
    np.testing.assert_array_equal(editor.mask(), stroke)
    QTest.keyClick(editor, Qt.Key.Key_Z, ctrl)
    QTest.keyClick(editor, Qt.Key.Key_Y, ctrl)
    np.testing.assert_array_equal(editor.mask(), stroke)
    QTest.keyClick(editor, Qt.Key.Key_1, ctrl)
    assert editor.zoom() == 1.0
    QTest.keyClick(editor, Qt.Key.Key_0, ctrl)
    assert editor.is_fit() and editor.zoom() == 2.0


def test_editor_keys_win_over_window_shortcuts(qtbot):
    """An app-wide Ctrl+Z (e.g. a main-window Undo action) must not steal the key from the editor."""
    window = QMainWindow()
    qtbot.addWidget(window)
    window_undo = QAction("Undo", window)
    window_undo.setShortcut(QKeySequence("Ctrl+Z"))
    window.addAction(window_undo)
    fired = Counter(window_undo.triggered)
    editor = MaskEditor()
    window.setCentralWidget(editor)
    window.resize(400, 200)
    window.show()
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window and editor.width() > 0)
    editor.set_image(gradient_image())
    editor.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is editor)
    drag(editor, [QPointF(20, 20), QPointF(200, 100)])
    assert editor.can_undo()
    QTest.keyClick(editor, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert not editor.can_undo() and editor.mask().max() == 0.0
    assert fired.count == 0
    QTest.keyClick(editor, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # nothing left to undo:
    assert fired.count == 0  # still the editor's key while it has focus
    window_undo.setShortcut(QKeySequence("Ctrl+U"))  # a key the editor does not use reaches the window
    QTest.keyClick(editor, Qt.Key.Key_U, Qt.KeyboardModifier.ControlModifier)
    assert fired.count == 1


def test_toolbar_drives_the_editor_and_follows_it(editor, qtbot):
    bar = MaskToolBar(editor)
    qtbot.addWidget(bar)
    bar.show()
    qtbot.mouseClick(bar.eraser_button, LEFT)
    assert editor.tool() == "eraser"
    qtbot.mouseClick(bar.fill_button, LEFT)
    assert editor.tool() == "fill"
    qtbot.mouseClick(bar.brush_button, LEFT)
    assert editor.tool() == "brush"
    bar.size_spin.setValue(40)
    assert editor.brush_size() == 40
    QTest.keyClick(editor, Qt.Key.Key_BracketRight)
    assert bar.size_spin.value() == 46 and editor.brush_size() == 46
    QTest.keyClick(editor, Qt.Key.Key_E)
    assert bar.eraser_button.isChecked()
    bar.hardness_slider.setValue(25)
    assert editor.brush_hardness() == 0.25
    bar.opacity_slider.setValue(80)
    assert editor.overlay_opacity() == 0.8
    bar.overlay_check.setChecked(False)
    assert not editor.overlay_visible()
    bar.tolerance_spin.setValue(77)
    assert editor.tolerance() == 77
    assert not bar.undo_button.isEnabled()
    qtbot.mouseClick(bar.fill_all_button, LEFT)
    assert (editor.mask() == 1.0).all() and bar.undo_button.isEnabled()
    qtbot.mouseClick(bar.invert_button, LEFT)
    assert (editor.mask() == 0.0).all()
    qtbot.mouseClick(bar.undo_button, LEFT)
    assert (editor.mask() == 1.0).all() and bar.redo_button.isEnabled()
    qtbot.mouseClick(bar.clear_button, LEFT)
    assert (editor.mask() == 0.0).all()
    editor.set_region_count(3)
    assert len(bar.region_buttons) == 3
    qtbot.mouseClick(bar.region_buttons[2], LEFT)
    assert editor.active_region() == 2
    assert all(b.toolTip() for b in (bar.brush_button, bar.size_slider, bar.tolerance_spin,
                                     bar.contiguous_check, bar.opacity_slider, bar.region_buttons[0]))


# ------------------------------------------------------------------------------------------ overlay
def test_overlay_is_updated_in_place_and_drawn(editor):
    editor.set_overlay_opacity(1.0)
    clean = editor.grab().toImage()
    editor.set_brush_hardness(0.3)
    editor.set_brush_size(25)
    drag(editor, [w(20, 20), w(100, 80), w(180, 20)])
    reference = MaskEditor()  # the same mask pushed in whole: its overlay is built from scratch
    reference.set_image(gradient_image())
    reference.set_mask(editor.mask())
    assert editor.overlay_image() == reference.overlay_image()
    reference.deleteLater()
    shown = editor.grab().toImage()
    c = shown.pixelColor(2 * 100, 2 * 80)
    assert (c.red(), c.green(), c.blue()) == editor.mask_color()  # fully painted, opacity 1
    assert shown.pixelColor(2 * 190, 2 * 90) == clean.pixelColor(2 * 190, 2 * 90)  # untouched
    editor.set_overlay_visible(False)
    assert editor.grab().toImage().pixelColor(2 * 100, 2 * 80) == clean.pixelColor(2 * 100, 2 * 80)


def test_brush_ring_follows_the_pointer(editor):
    editor.set_brush_size(40)  # 80 widget px across at scale 2
    before = editor.grab().toImage()
    send_mouse(editor, QEvent.Type.MouseMove, QPointF(200, 100), NO_BUTTON, NO_BUTTON)
    after = editor.grab().toImage()
    assert after.pixelColor(200 + 40, 100) != before.pixelColor(200 + 40, 100)  # on the ring
    assert after.pixelColor(200 + 20, 100) == before.pixelColor(200 + 20, 100)  # inside it
    assert editor.mask().max() == 0.0  # hovering never paints


# ------------------------------------------------------------------------------------ pure helpers
def test_dab_path_spacing_is_even_across_events():
    size = 40
    path = DabPath((0.0, 0.0), dab_spacing(size))
    assert dab_spacing(size) <= 0.25 * size / 2 and dab_spacing(size, 0.0) <= dab_spacing(size)
    dabs = path.start()
    for x in (3.0, 3.5, 50.0, 51.0, 121.0):
        dabs += path.advance((x, 0.0))
    xs = np.array([p[0] for p in dabs])
    np.testing.assert_allclose(np.diff(xs), dab_spacing(size), atol=1e-9)
    assert 0 < 121.0 - xs[-1] < dab_spacing(size)
    assert path.finish() == [(121.0, 0.0)] and path.finish() == []  # the end point gets its dab


@pytest.mark.parametrize("size,hardness", [(1, 1.0), (7, 0.0), (10, 0.5), (24, 0.3), (60, 0.9)])
def test_batched_dabs_equal_one_by_one(size, hardness):
    """stamp_line (numpy batches for small brushes) paints exactly what stamp_max does dab by dab,
    including dabs hanging over the picture's edges."""
    path = DabPath((-5.3, 3.7), dab_spacing(size, hardness))
    points = path.start() + path.advance((97.2, 58.9))
    assert len(points) >= 8
    one_by_one = np.zeros((50, 90), np.float32)
    for x, y in points:
        stamp_max(one_by_one, x, y, size, hardness)
    batched = np.zeros((50, 90), np.float32)
    box = stamp_line(batched, points, size, hardness)
    np.testing.assert_array_equal(batched, one_by_one)
    y0, y1, x0, x1 = box
    assert batched.sum() == batched[y0:y1, x0:x1].sum() > 0


def test_brackets_change_the_brush_gently(editor):
    """] used to jump ×1.2 per press (40 → 48 → 58 px); now ×1.15, and never less than a pixel."""
    editor.set_brush_size(40)
    sizes = [40.0]
    for _ in range(5):
        QTest.keyClick(editor, Qt.Key.Key_BracketRight)
        sizes.append(editor.brush_size())
    assert sizes == [40, 46, 53, 61, 70, 80]
    for a, b in zip(sizes, sizes[1:], strict=False):
        assert a + 1 <= b <= round(a * 1.15) + 0.5
    editor.set_brush_size(3)
    QTest.keyClick(editor, Qt.Key.Key_BracketRight)
    assert editor.brush_size() == 4
    QTest.keyClick(editor, Qt.Key.Key_BracketLeft)
    assert editor.brush_size() == 3


@pytest.fixture
def dark_theme():
    """The studio's sheet, where the checked tool's colour lives (tests otherwise run with Qt's plain look)."""
    from studio.ui.theme import apply_theme

    app = QApplication.instance()
    sheet, palette, style = app.styleSheet(), app.palette(), app.style().name()
    apply_theme(app, "dark")
    yield
    app.setStyleSheet(sheet)
    app.setPalette(palette)
    app.setStyle(style)


def test_the_active_tool_is_named_and_visibly_checked(editor, qtbot, dark_theme):
    bar = MaskToolBar(editor)
    qtbot.addWidget(bar)
    bar.show()
    assert bar.tool_label.text() == "Tool: Brush" and bar.brush_button.isChecked()
    QTest.keyClick(editor, Qt.Key.Key_E)
    assert bar.tool_label.text() == "Tool: Eraser"
    assert bar.eraser_button.isChecked() and not bar.brush_button.isChecked()
    qtbot.mouseClick(bar.fill_button, LEFT)
    assert bar.tool_label.text() == "Tool: Fill" and bar.fill_button.isChecked()
    QTest.keyClick(editor, Qt.Key.Key_X)
    assert bar.tool_label.text() == "Tool: Fill (erase)"

    def background(button) -> np.ndarray:
        img = button.grab().toImage()
        return np.array([img.pixelColor(3, img.height() // 2).getRgb()[:3]], float)

    # the checked button is filled with the accent colour; the others keep the plain button face
    checked, plain = background(bar.fill_button), background(bar.brush_button)
    assert np.abs(checked - plain).sum() > 120, (checked, plain)
