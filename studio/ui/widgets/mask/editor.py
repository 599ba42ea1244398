"""MaskEditor: paint on top of a picture which parts of it to use, or which style goes where.

Two modes share one widget and one set of tools:

* **mask** mode (the default): one selection mask, float32 H×W in [0, 1] — "use these parts of this
  style image";
* **regions** mode (``set_region_count(n)`` with n ≥ 1): n regions, one colour each (one per style
  image), painted as soft weights, float32 H×W×n. The weights of a pixel add up to at most 1; see
  ``ops`` for what painting does to them and what the remainder means.

Speed is the point of the design. On a 2048 px picture one mouse-move must cost well under a frame, so
nothing here touches more than the box the new dabs cover: the dabs raise a coverage buffer, the mask
is recomputed from the state before the stroke only inside that box, the overlay QImage is rewritten in
place only inside that box, and only that box (in widget coordinates) is scheduled for repainting. The
stroke goes into the undo history when the button is released, as the 64 px tiles it changed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QKeyEvent, QMouseEvent, QPainter, QWheelEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from studio.engine.style.mask_png import (
    DEFAULT_REGION_COLORS,
    load_mask_png,
    load_region_png,
    parse_colors,
    resize_masks,
    save_mask_png,
    save_region_png,
)

from . import ops
from .history import Box, PatchHistory
from .keys import key_action
from .overlay import MaskOverlay
from .ring import draw_ring, ring_region
from .select import select_similar
from .strokes import Stroke
from .view import ViewTransform

TOOLS = ("brush", "eraser", "fill")
DEFAULT_MASK_COLOR = (255, 40, 160)
MIN_BRUSH, MAX_BRUSH = 1.0, 1000.0
BRUSH_KEY_STEP = 1.15  # [ and ] change the brush by this factor (at least 1 px): a few presses, not a leap
ZOOM_STEP = 1.25  # one wheel notch
HISTORY_LIMIT = 100

Color = QColor | str | Sequence[int]


def _rgb(color: Color) -> tuple[int, int, int]:
    if isinstance(color, QColor):
        return color.red(), color.green(), color.blue()
    return tuple(int(v) for v in parse_colors([color])[0])  # type: ignore[return-value]


def _as_rgb_uint8(image: np.ndarray) -> np.ndarray:
    arr = np.asarray(image)
    if arr.dtype != np.uint8:
        raise TypeError(f"expected uint8 pixels, got {arr.dtype}")
    if arr.ndim == 2:
        arr = np.repeat(arr[:, :, None], 3, axis=2)
    elif arr.ndim == 3 and arr.shape[2] == 1:
        arr = np.repeat(arr, 3, axis=2)
    elif arr.ndim == 3 and arr.shape[2] == 4:
        arr = arr[:, :, :3]
    if arr.ndim != 3 or arr.shape[2] != 3 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"expected an H×W×3 image, got shape {np.shape(image)}")
    out = np.array(arr, dtype=np.uint8, copy=True, order="C")
    out.flags.writeable = False
    return out


class MaskEditor(QWidget):
    """Paint a selection mask or region weights over an image. See the module docstring.

    Mouse: left button paints (brush/eraser) or fills (fill tool: click = fill the area of similar
    colour, Shift+click = make the selection exactly that area); wheel zooms around the pointer;
    middle-drag, right-drag or Space+left-drag pans. Keys (when the editor has focus): [ and ] brush
    size, Shift+[ / Shift+] hardness, E eraser on/off, X swap paint/erase (the brush becomes the eraser
    and back; with the fill tool, fills erase), Ctrl+Z undo, Ctrl+Shift+Z or Ctrl+Y redo, Ctrl+0 fit,
    Ctrl+1 actual pixels, Ctrl+= / Ctrl+- zoom.
    """

    changed = Signal()  # once per finished stroke or operation that changed the paint (incl. undo/redo)
    tool_changed = Signal()  # tool, brush, tolerance, overlay or region settings changed
    history_changed = Signal()  # can_undo()/can_redo() may have changed
    view_changed = Signal()  # zoom or pan changed

    def __init__(self, parent: QWidget | None = None, placeholder: str = "",
                 history_limit: int = HISTORY_LIMIT) -> None:
        super().__init__(parent)
        self._placeholder = placeholder
        self._image: np.ndarray | None = None
        self._qimage: QImage | None = None
        self._live: np.ndarray | None = None  # H×W×C weights on show (mid-stroke included)
        self._base: np.ndarray | None = None  # the weights before the current stroke
        self._cov: np.ndarray | None = None  # H×W stroke coverage, zero outside a stroke
        self._overlay = MaskOverlay([DEFAULT_MASK_COLOR])
        self._regions = 0  # 0 = mask mode
        self._region_colors: list[tuple[int, int, int]] = []
        self._mask_color = DEFAULT_MASK_COLOR
        self._active = 0
        self._tool = "brush"  # "brush" or "fill"; erasing is a separate switch
        self._erasing = False
        self._size = 30.0
        self._hardness = 0.5
        self._tolerance = 32
        self._contiguous = True
        self._smoothing = 0.0
        self._overlay_visible = True
        self._overlay_opacity = 0.5
        self._view_tf = ViewTransform()
        self._stroke: Stroke | None = None
        self._pan_from: QPointF | None = None
        self._pan_button = Qt.MouseButton.NoButton
        self._space_down = False
        self._hover: QPointF | None = None
        self._history = PatchHistory(max(50, int(history_limit)))
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)  # paintEvent fills every pixel
        self._update_cursor()

    # ================================================================================= image and paint
    def set_image(self, image: np.ndarray | None) -> None:
        """Show ``image`` (uint8 H×W×3; gray and RGBA are accepted). The paint is kept; if the size
        changed it is resampled to the new size (and the undo history, which is per size, cleared)."""
        self._end_stroke()
        if image is None:
            self._image = self._qimage = self._live = self._base = self._cov = None
            self._overlay.clear()
            self._history.clear()
            self.history_changed.emit()
            self.update()
            return
        arr = _as_rgb_uint8(image)
        h, w = arr.shape[:2]
        old = self._image
        self._image = arr
        self._qimage = QImage(arr.data, w, h, 3 * w, QImage.Format.Format_RGB888).convertToFormat(
            QImage.Format.Format_RGB32)  # the raster engine's fast format; converting owns the pixels
        if self._live is None or old is None:
            self._install(np.zeros((h, w, self._channels()), np.float32))
            self._history.clear()
            self.history_changed.emit()
        elif old.shape[:2] != (h, w):
            self._view_tf.image_resized(old.shape[1], w)  # same size on screen
            self._install(resize_masks(self._live, h, w).reshape(h, w, -1))
            self._history.clear()
            self.history_changed.emit()
        self.updateGeometry()
        self.update()

    def image(self) -> np.ndarray | None:
        """The picture on show (read-only array), or None."""
        return self._image

    def mode(self) -> str:
        """"mask" (one selection mask) or "regions"."""
        return "regions" if self._regions else "mask"

    def mask(self) -> np.ndarray | None:
        """Mask mode: a copy of the selection mask, float32 H×W in [0, 1]; None without an image."""
        if self._regions:
            raise ValueError("the editor paints regions; use region_masks()")
        return None if self._live is None else self._live[..., 0].copy()

    def set_mask(self, mask: np.ndarray) -> None:
        """Mask mode: replace the selection mask (float in [0, 1], bool, or uint8 0..255); undoable."""
        if self._regions:
            raise ValueError("the editor paints regions; use set_region_masks()")
        m = self._checked(mask, expect_channels=None)
        self._commit_full(m.reshape(m.shape[0], m.shape[1], 1))

    def region_masks(self) -> np.ndarray | None:
        """A copy of all weights, float32 H×W×N (N = region count; H×W×1 in mask mode)."""
        return None if self._live is None else self._live.copy()

    def set_region_masks(self, masks: np.ndarray | Sequence[np.ndarray]) -> None:
        """Regions mode: replace all weights (H×W×N array or N H×W masks); pixels whose weights add
        up to more than 1 are scaled down to 1, keeping their ratio. Undoable."""
        if not self._regions:
            raise ValueError("the editor paints one mask; call set_region_count(n) first")
        arr = np.stack([np.asarray(m) for m in masks], axis=2) if isinstance(masks, (list, tuple)) \
            else np.asarray(masks)
        self._commit_full(ops.sanitize_weights(self._checked(arr, expect_channels=self._regions)))

    def _checked(self, masks: np.ndarray, expect_channels: int | None) -> np.ndarray:
        if self._live is None:
            raise RuntimeError("set an image before setting its mask")
        arr = np.asarray(masks)
        if arr.dtype == np.uint8:
            arr = arr.astype(np.float32) / np.float32(255.0)
        arr = np.clip(arr.astype(np.float32), 0.0, 1.0)
        h, w = self._live.shape[:2]
        ok = arr.shape[:2] == (h, w) and (arr.ndim == 2 if expect_channels is None
                                          else arr.ndim == 3 and arr.shape[2] == expect_channels)
        if not ok:
            want = f"{h}×{w}" + ("" if expect_channels is None else f"×{expect_channels}")
            raise ValueError(f"mask shape {arr.shape} does not match the image ({want})")
        return arr

    # --- regions --------------------------------------------------------------------------------------
    def set_region_count(self, count: int, colors: Sequence[Color] | None = None) -> None:
        """``count`` ≥ 1 switches to regions mode with that many regions (one colour each; defaults
        from a palette of distinct colours); 0 switches back to one selection mask. Existing paint is
        kept channel by channel (the mask becomes region 0 and back). Changing the number of channels
        clears the undo history."""
        count = int(count)
        if count < 0:
            raise ValueError("region count cannot be negative")
        if colors is None:
            keep = self._region_colors[:count]
            colors = keep + [DEFAULT_REGION_COLORS[i % len(DEFAULT_REGION_COLORS)]
                             for i in range(len(keep), count)]
        pal = [_rgb(c) for c in colors]
        if count and len(pal) != count:
            raise ValueError(f"{count} regions need {count} colours, got {len(pal)}")
        self._end_stroke()
        self._regions = count
        self._region_colors = pal if count else []
        channels = self._channels()
        self._active = min(self._active, channels - 1)
        if self._live is not None and self._live.shape[2] != channels:
            new = np.zeros(self._live.shape[:2] + (channels,), np.float32)
            keep_n = min(channels, self._live.shape[2])
            new[..., :keep_n] = self._live[..., :keep_n]
            self._install(ops.sanitize_weights(new))
            self._history.clear()
            self.history_changed.emit()
        else:
            self._refresh_overlay_all()
        self.tool_changed.emit()

    def region_count(self) -> int:
        """Number of regions (0 in mask mode)."""
        return self._regions

    def region_colors(self) -> list[tuple[int, int, int]]:
        return list(self._region_colors)

    def set_region_colors(self, colors: Sequence[Color]) -> None:
        pal = [_rgb(c) for c in colors]
        if len(pal) != self._regions:
            raise ValueError(f"{self._regions} regions need {self._regions} colours, got {len(pal)}")
        self._region_colors = pal
        self._refresh_overlay_all()
        self.tool_changed.emit()

    def active_region(self) -> int:
        return self._active

    def set_active_region(self, index: int) -> None:
        """Which region the brush and fill paint (0-based; always 0 in mask mode)."""
        if not 0 <= index < self._channels():
            raise IndexError(f"region {index} does not exist (there are {self._channels()})")
        if index != self._active:
            self._active = int(index)
            self.tool_changed.emit()

    def mask_color(self) -> tuple[int, int, int]:
        return self._mask_color

    def set_mask_color(self, color: Color) -> None:
        """Tint of the selection overlay in mask mode."""
        self._mask_color = _rgb(color)
        if not self._regions:
            self._refresh_overlay_all()
        self.tool_changed.emit()

    def _channels(self) -> int:
        return max(1, self._regions)

    # ========================================================================================= tools
    def tool(self) -> str:
        """"brush", "eraser" or "fill"."""
        if self._tool == "brush":
            return "eraser" if self._erasing else "brush"
        return "fill"

    def set_tool(self, name: str) -> None:
        """"brush" paints, "eraser" removes paint, "fill" fills the area of similar colour clicked
        (it paints; after X it erases)."""
        if name not in TOOLS:
            raise ValueError(f"unknown tool {name!r}; expected one of {', '.join(TOOLS)}")
        self._end_stroke()
        if name == "fill":
            self._tool, self._erasing = "fill", False
        else:
            self._tool, self._erasing = "brush", name == "eraser"
        self._update_cursor()
        self._update_ring(self._hover, self._hover)
        self.tool_changed.emit()

    def is_erasing(self) -> bool:
        """True when the left button removes paint (eraser, or the fill tool after X)."""
        return self._erasing

    def toggle_eraser(self) -> None:
        """E: eraser on, or back to the brush."""
        self.set_tool("brush" if self.tool() == "eraser" else "eraser")

    def swap_paint_erase(self) -> None:
        """X, like swapping black and white in an image editor: paint ⇄ erase for the current tool."""
        self._end_stroke()
        self._erasing = not self._erasing
        self.tool_changed.emit()

    def brush_size(self) -> float:
        """Brush diameter in image pixels."""
        return self._size

    def set_brush_size(self, size: float) -> None:
        size = float(min(MAX_BRUSH, max(MIN_BRUSH, size)))
        if size != self._size:
            self._update_ring(self._hover, None)  # the old circle, at the old size
            self._size = size
            self._update_ring(self._hover, None)
            self.tool_changed.emit()

    def brush_hardness(self) -> float:
        """0 = soft bell-shaped edge over the whole radius, 1 = hard disc."""
        return self._hardness

    def set_brush_hardness(self, hardness: float) -> None:
        hardness = float(min(1.0, max(0.0, hardness)))
        if hardness != self._hardness:
            self._hardness = hardness
            self.tool_changed.emit()

    def smoothing(self) -> float:
        return self._smoothing

    def set_smoothing(self, amount: float) -> None:
        """Steady a shaky hand: 0 = the stroke follows the pointer exactly, up to 0.95 = it trails
        behind smoothly (it still ends where the button is released)."""
        self._smoothing = float(min(0.95, max(0.0, amount)))
        self.tool_changed.emit()

    def tolerance(self) -> int:
        return self._tolerance

    def set_tolerance(self, tolerance: int) -> None:
        """How different a colour may be and still count as similar: 0..255 per channel."""
        tolerance = int(min(255, max(0, tolerance)))
        if tolerance != self._tolerance:
            self._tolerance = tolerance
            self.tool_changed.emit()

    def contiguous(self) -> bool:
        return self._contiguous

    def set_contiguous(self, on: bool) -> None:
        """Similar-colour fills reach only pixels connected to the clicked one (True), or every similar
        pixel in the picture (False)."""
        if bool(on) != self._contiguous:
            self._contiguous = bool(on)
            self.tool_changed.emit()

    # --- overlay --------------------------------------------------------------------------------------
    def overlay_visible(self) -> bool:
        return self._overlay_visible

    def set_overlay_visible(self, visible: bool) -> None:
        if bool(visible) != self._overlay_visible:
            self._overlay_visible = bool(visible)
            self.update()
            self.tool_changed.emit()

    def overlay_opacity(self) -> float:
        return self._overlay_opacity

    def set_overlay_opacity(self, opacity: float) -> None:
        opacity = float(min(1.0, max(0.0, opacity)))
        if opacity != self._overlay_opacity:
            self._overlay_opacity = opacity
            self.update()
            self.tool_changed.emit()

    def overlay_image(self) -> QImage | None:
        """A copy of the overlay as drawn over the picture (premultiplied ARGB32, image-sized)."""
        return self._overlay.copy()

    # ================================================================================ whole-mask edits
    def invert(self) -> bool:
        """Swap painted and unpainted for the active region (mask mode: 1 - mask). Undoable."""
        if self._live is None:
            return False
        self._end_stroke()
        return self._commit_full(ops.invert_region(self._live, self._active))

    def clear(self, region: int | None = None) -> bool:
        """Remove all paint (or only ``region``'s). Undoable."""
        if self._live is None:
            return False
        self._end_stroke()
        return self._commit_full(ops.clear_region(self._live, region))

    def fill(self, x: int | None = None, y: int | None = None, tolerance: int | None = None,
             contiguous: bool | None = None, erase: bool = False) -> bool:
        """Paint the active region fully over the whole picture (no point given), or over the pixels
        whose colour is like pixel (x, y)'s (tolerance and contiguous default to the editor's
        settings). ``erase`` removes paint there instead. Undoable; False when nothing changed."""
        if self._live is None:
            return False
        self._end_stroke()
        if x is None or y is None:
            alpha = np.ones(self._live.shape[:2], np.float32)
        else:
            alpha = self._similar(x, y, tolerance, contiguous).astype(np.float32)
        return self._commit_full(ops.paint_over(self._live, alpha, self._active, erase))

    def select_similar(self, x: int, y: int, tolerance: int | None = None,
                       contiguous: bool | None = None, mode: str = "replace") -> int:
        """Select the pixels whose colour is like pixel (x, y)'s for the active region.

        mode "replace": the region becomes exactly those pixels; "add": they are painted in;
        "subtract": they are erased. Returns how many pixels were similar. Undoable.
        """
        if mode not in ("replace", "add", "subtract"):
            raise ValueError(f"unknown selection mode {mode!r}")
        if self._live is None:
            return 0
        self._end_stroke()
        sel = self._similar(x, y, tolerance, contiguous)
        alpha = sel.astype(np.float32)
        if mode == "replace":
            new = ops.replace_region(self._live, alpha, self._active)
        else:
            new = ops.paint_over(self._live, alpha, self._active, erase=mode == "subtract")
        self._commit_full(new)
        return int(sel.sum())

    def _similar(self, x: int, y: int, tolerance: int | None, contiguous: bool | None) -> np.ndarray:
        assert self._image is not None
        tol = self._tolerance if tolerance is None else tolerance
        cont = self._contiguous if contiguous is None else contiguous
        return select_similar(self._image, int(x), int(y), tol, cont)

    # --- files ----------------------------------------------------------------------------------------
    def export_mask_png(self, path: str | Path) -> Path:
        """Write the paint as a PNG: 8-bit grayscale in mask mode, an RGBA region map in regions mode
        (formats in ``studio.engine.style.mask_png``)."""
        if self._live is None:
            raise RuntimeError("there is no image, so no mask to export")
        self._end_stroke()
        if self._regions:
            return save_region_png(self._live, self._region_colors, path)
        return save_mask_png(self._live[..., 0], path)

    def import_mask_png(self, path: str | Path) -> None:
        """Load a PNG written by export_mask_png (or painted elsewhere), resampled to the picture's size.
        In regions mode region k of the file (its k-th stored colour) becomes region k here; a map
        without stored colours is matched to this editor's region colours. Undoable."""
        if self._live is None:
            raise RuntimeError("set an image before loading its mask")
        h, w = self._live.shape[:2]
        if self._regions:
            try:  # the colours stored in the file say which region is which ...
                masks, _ = load_region_png(path, size=(w, h))
            except ValueError:  # ... a map painted elsewhere is matched to this editor's colours
                masks, _ = load_region_png(path, colors=self._region_colors, size=(w, h))
            fitted = np.zeros((h, w, self._regions), np.float32)
            n = min(self._regions, masks.shape[2])
            fitted[..., :n] = masks[..., :n]  # regions the editor does not have are dropped
            self.set_region_masks(fitted)
        else:
            self.set_mask(load_mask_png(path, size=(w, h)))

    # ========================================================================================= history
    def undo(self) -> bool:
        self._end_stroke()
        return self._replay(self._history.undo)

    def redo(self) -> bool:
        self._end_stroke()
        return self._replay(self._history.redo)

    def can_undo(self) -> bool:
        return self._history.can_undo() or self._stroke is not None

    def can_redo(self) -> bool:
        return self._history.can_redo()

    def history_bytes(self) -> int:
        """Memory the undo history holds (compressed changed tiles)."""
        return self._history.nbytes()

    def history_limit(self) -> int:
        return self._history.limit

    def _replay(self, step) -> bool:
        if self._live is None:
            return False
        boxes = step(self._live)
        if not boxes:
            return False
        for y0, y1, x0, x1 in boxes:
            self._base[y0:y1, x0:x1] = self._live[y0:y1, x0:x1]
        self._refresh_boxes(boxes)
        self.changed.emit()
        self.history_changed.emit()
        return True

    def _commit_full(self, new: np.ndarray) -> bool:
        """Make ``new`` (H×W×C) the paint, recording the tiles that differ. False if none did."""
        assert self._live is not None and self._base is not None
        boxes = self._history.record(self._live, new)
        if not boxes:
            return False
        np.copyto(self._live, new)
        np.copyto(self._base, new)
        self._refresh_boxes(boxes)
        self.changed.emit()
        self.history_changed.emit()
        return True

    def _install(self, masks: np.ndarray) -> None:
        """New paint buffers (after a size or channel change) and a fully rebuilt overlay."""
        self._live = np.ascontiguousarray(masks, dtype=np.float32)
        self._base = self._live.copy()
        self._cov = np.zeros(self._live.shape[:2], np.float32)
        self._overlay.reset(*self._live.shape[:2])
        self._refresh_overlay_all()

    # ========================================================================================= strokes
    def _begin_stroke(self, x: float, y: float) -> None:
        assert self._live is not None
        self._stroke = Stroke.start(x, y, self._live.shape[:2], self._active, self._erasing, self._size,
                                    self._hardness)
        self._stamp(self._stroke.path.start())
        self.history_changed.emit()  # can_undo() is true from the first dab

    def _continue_stroke(self, x: float, y: float) -> None:
        s = self._stroke
        if s is not None:
            self._stamp(s.path.advance(s.smooth_to(x, y, self._smoothing)))

    def _end_stroke(self, x: float | None = None, y: float | None = None) -> None:
        """Finish the stroke (walking to (x, y) first, unsmoothed) and record it for undo."""
        s = self._stroke
        if s is None:
            return
        if x is not None and y is not None:
            self._stamp(s.path.advance((x, y)))
        self._stamp(s.path.finish())
        self._stroke = None
        assert self._live is not None and self._base is not None and self._cov is not None
        if s.finish(self._base, self._live, self._cov, self._history):
            self.changed.emit()
        self.history_changed.emit()

    def _stamp(self, points: list[tuple[float, float]]) -> None:
        if self._stroke is not None and self._cov is not None:
            self._stroke.stamp(points, self._cov, self._flush)

    def _flush(self, box: Box) -> None:
        """One recomputed box of the stroke: paint, overlay, repaint (only there)."""
        assert self._stroke is not None and self._live is not None and self._base is not None
        self._stroke.composite(box, self._base, self._cov, self._live)
        self._overlay.update_box(self._live, box)
        self.update(self._widget_rect(box))

    # ========================================================================================= overlay
    def _refresh_overlay_all(self) -> None:
        self._overlay.set_colors(self._region_colors if self._regions else [self._mask_color])
        if self._live is None:
            return
        self._overlay.rebuild(self._live)
        self.update()

    def _refresh_boxes(self, boxes: list[Box]) -> None:
        assert self._live is not None
        h, w = self._live.shape[:2]
        area = sum((b[1] - b[0]) * (b[3] - b[2]) for b in boxes)
        if area * 4 > h * w:
            self._refresh_overlay_all()
            return
        for box in boxes:
            self._overlay.update_box(self._live, box)
            self.update(self._widget_rect(box))

    # ============================================================================================ view
    def _image_size(self) -> tuple[int, int]:
        if self._image is None:
            return 0, 0
        return self._image.shape[1], self._image.shape[0]

    def _sizes(self) -> tuple[tuple[float, float], tuple[int, int]]:
        return (float(self.width()), float(self.height())), self._image_size()

    def _view(self) -> tuple[float, float, float]:
        """(scale, ox, oy): image point (x, y) lands at widget point (ox + x·scale, oy + y·scale)."""
        return self._view_tf.resolved(*self._sizes())

    def widget_to_image(self, pos: QPointF) -> QPointF:
        """Widget point → continuous image coordinates (pixel (col j, row i) spans [j, j+1)×[i, i+1))."""
        return QPointF(*self._view_tf.to_image(pos.x(), pos.y(), *self._sizes()))

    def image_to_widget(self, pos: QPointF) -> QPointF:
        return QPointF(*self._view_tf.to_widget(pos.x(), pos.y(), *self._sizes()))

    def zoom(self) -> float:
        """Widget pixels per image pixel."""
        return self._view()[0]

    def is_fit(self) -> bool:
        """True while the picture follows the widget's size (fit to view)."""
        return self._view_tf.fit

    def fit_to_view(self) -> None:
        self._view_tf.fit = True
        self._view_moved()

    def set_zoom(self, scale: float, anchor: QPointF | None = None) -> None:
        """Zoom to ``scale`` keeping the image point under ``anchor`` (default: the centre) in place."""
        self.zoom_by(scale / self._view()[0], anchor)

    def zoom_by(self, factor: float, anchor: QPointF | None = None) -> None:
        if self._image is None or factor <= 0:
            return
        a = anchor if anchor is not None else QPointF(self.width() / 2.0, self.height() / 2.0)
        self._view_tf.zoom_about(factor, (a.x(), a.y()), *self._sizes())
        self._view_moved()

    def pan_by(self, dx: float, dy: float) -> None:
        if self._image is None:
            return
        self._view_tf.pan(dx, dy, *self._sizes())
        self._view_moved()

    def _view_moved(self) -> None:
        self.update()
        self.view_changed.emit()

    def _widget_rect(self, box: Box) -> QRect:
        y0, y1, x0, x1 = box
        s, ox, oy = self._view()
        r = QRectF(ox + x0 * s, oy + y0 * s, (x1 - x0) * s, (y1 - y0) * s)
        return r.toAlignedRect().adjusted(-2, -2, 2, 2)  # smooth scaling bleeds a little

    # ======================================================================================== painting
    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(640, 480)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(64, 64)

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        background = QColor(48, 48, 48)
        if self._qimage is None:
            painter.fillRect(event.rect(), background)
            if self._placeholder:
                painter.setPen(QColor(160, 160, 160))
                painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                                 self._placeholder)
            painter.end()
            return
        s, ox, oy = self._view()
        iw, ih = self._image_size()
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, s < 1.0)
        show_overlay = self._overlay_visible and self._overlay_opacity > 0 and self._overlay.image is not None
        for rect in event.region():  # only what was exposed; each rect draws only its image pixels
            painter.setClipRect(rect)
            painter.fillRect(rect, background)
            x0 = max(0, math.floor((rect.left() - ox) / s) - 1)
            y0 = max(0, math.floor((rect.top() - oy) / s) - 1)
            x1 = min(iw, math.ceil((rect.right() + 1 - ox) / s) + 1)
            y1 = min(ih, math.ceil((rect.bottom() + 1 - oy) / s) + 1)
            if x0 >= x1 or y0 >= y1:
                continue
            source = QRectF(x0, y0, x1 - x0, y1 - y0)
            target = QRectF(ox + x0 * s, oy + y0 * s, (x1 - x0) * s, (y1 - y0) * s)
            painter.drawImage(target, self._qimage, source)
            if show_overlay:
                painter.setOpacity(self._overlay_opacity)
                painter.drawImage(target, self._overlay.image, source)
                painter.setOpacity(1.0)
        painter.setClipping(False)
        self._paint_ring(painter)
        painter.end()

    def _ring_radius(self) -> float:
        return self._size / 2.0 * self._view()[0]

    def _shows_ring(self) -> bool:
        return (self._tool == "brush" and self._image is not None and self._pan_from is None
                and not self._space_down)

    def _paint_ring(self, painter: QPainter) -> None:
        if self._hover is not None and self._shows_ring():
            draw_ring(painter, self._hover, self._ring_radius(), self._erasing)

    def _update_ring(self, old: QPointF | None, new: QPointF | None) -> None:
        """Schedule repainting of the ring where it was and where it is now."""
        if self._image is None:
            return
        r = self._ring_radius()
        for c in {(p.x(), p.y()) for p in (old, new) if p is not None}:
            self.update(ring_region(QPointF(*c), r))

    def _set_hover(self, pos: QPointF | None) -> None:
        old, self._hover = self._hover, pos
        if self._shows_ring():
            self._update_ring(old, pos)

    # ========================================================================================= events
    def _to_image(self, pos: QPointF) -> tuple[float, float]:
        p = self.widget_to_image(pos)
        return p.x(), p.y()

    def _update_cursor(self) -> None:
        if self._pan_from is not None:
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
        elif self._space_down:
            self.setCursor(Qt.CursorShape.OpenHandCursor)
        else:
            self.setCursor(Qt.CursorShape.CrossCursor)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if self._image is None:
            return super().mousePressEvent(event)
        pos, button = event.position(), event.button()
        left = Qt.MouseButton.LeftButton
        if button in (Qt.MouseButton.MiddleButton, Qt.MouseButton.RightButton) or (
                button == left and self._space_down):
            self._end_stroke()
            self._set_hover(None)
            self._pan_from, self._pan_button = pos, button
            self._update_cursor()
            event.accept()
            return
        if button != left or self._stroke is not None or self._pan_from is not None:
            return super().mousePressEvent(event)
        x, y = self._to_image(pos)
        if self._tool == "fill":
            iw, ih = self._image_size()
            ix, iy = math.floor(x), math.floor(y)
            if 0 <= ix < iw and 0 <= iy < ih:
                if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
                    self.select_similar(ix, iy, mode="replace")
                else:
                    self.fill(ix, iy, erase=self._erasing)
        else:
            self._set_hover(pos)
            self._begin_stroke(x, y)
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        pos = event.position()
        if self._pan_from is not None:
            delta = pos - self._pan_from
            self._pan_from = pos
            self.pan_by(delta.x(), delta.y())
            event.accept()
            return
        self._set_hover(pos)
        if self._stroke is not None:
            if event.buttons() & Qt.MouseButton.LeftButton:
                self._continue_stroke(*self._to_image(pos))
            else:  # the release went elsewhere (focus change, grab lost): finish here
                self._end_stroke()
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if self._pan_from is not None and event.button() == self._pan_button:
            self._pan_from, self._pan_button = None, Qt.MouseButton.NoButton
            self._update_cursor()
            self._set_hover(event.position())
            event.accept()
            return
        if self._stroke is not None and event.button() == Qt.MouseButton.LeftButton:
            self._end_stroke(*self._to_image(event.position()))
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt override
        steps = event.angleDelta().y() / 120.0
        if self._image is None or steps == 0:
            return super().wheelEvent(event)
        self.zoom_by(ZOOM_STEP ** steps, event.position())
        event.accept()

    def leaveEvent(self, event) -> None:  # noqa: N802 - Qt override
        self._set_hover(None)
        super().leaveEvent(event)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        old, new = event.oldSize(), event.size()
        if old.isValid():
            self._view_tf.widget_resized((old.width(), old.height()), (new.width(), new.height()))
        super().resizeEvent(event)

    def focusOutEvent(self, event) -> None:  # noqa: N802 - Qt override
        if self._space_down:
            self._space_down = False
            self._update_cursor()
        super().focusOutEvent(event)

    # --- keys -----------------------------------------------------------------------------------------
    def event(self, event: QEvent) -> bool:
        # Claim our keys before window-wide shortcuts (e.g. an app-level Ctrl+Z) take them.
        if event.type() == QEvent.Type.ShortcutOverride and key_action(event) is not None:
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        action = key_action(event)
        if action is None:
            return super().keyPressEvent(event)
        event.accept()
        if action == "pan":
            if not event.isAutoRepeat():
                self._space_down = True
                self._set_hover(self._hover)
                self.update()
                self._update_cursor()
            return
        size = self._size
        handlers = {
            "undo": self.undo, "redo": self.redo, "fit": self.fit_to_view,
            "actual": lambda: self.set_zoom(1.0), "zoom-in": lambda: self.zoom_by(ZOOM_STEP),
            "zoom-out": lambda: self.zoom_by(1.0 / ZOOM_STEP),
            "bigger": lambda: self.set_brush_size(max(size + 1, round(size * BRUSH_KEY_STEP))),
            "smaller": lambda: self.set_brush_size(min(size - 1, round(size / BRUSH_KEY_STEP))),
            "harder": lambda: self.set_brush_hardness(self._hardness + 0.25),
            "softer": lambda: self.set_brush_hardness(self._hardness - 0.25),
            "eraser": self.toggle_eraser, "swap": self.swap_paint_erase,
        }
        handlers[action]()

    def keyReleaseEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space_down = False
            self._update_cursor()
            self.update()
            event.accept()
            return
        super().keyReleaseEvent(event)
