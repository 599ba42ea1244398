"""The Stylize result view: zoom around the cursor, drag to pan, and a before/after divider.

Why it is its own widget rather than a QGraphicsView: the mapping between widget and image pixels is
one scale and one offset that the page (and the tests) can read and set, previews of a new size can keep
the region the artist is looking at, and the before/after split is a single clip in one paint call.

Conventions: ``widget = offset + image * scale`` (image coordinates in pixels, 0,0 = top-left corner of
the first pixel). The divider position is a fraction of the widget's width, so it stays where the artist
put it while zooming and panning. The "before" picture (the photo) is resized to the result's size, after
a centre crop to the result's aspect when they differ (square-crop runs), so both sides line up exactly.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPen, QPixmap
from PySide6.QtWidgets import QSizePolicy, QWidget

from studio.ui.qimage import to_pixmap
from studio.ui.theme import theme_colors

MAX_ZOOM = 32.0
WHEEL_STEP = 1.25  # one wheel notch zooms by this factor
DIVIDER_GRAB_PX = 8  # how close to the divider a press grabs it instead of panning
BACKGROUND = theme_colors("dark")["canvas"]  # pictures sit on dark in both themes


def fit_to(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``image`` centre-cropped to the aspect of ``size`` (w, h) and resized to it (Lanczos)."""
    from PIL import Image

    w, h = size
    ih, iw = image.shape[:2]
    pil = Image.fromarray(np.ascontiguousarray(image[..., :3]) if image.ndim == 3 else image).convert("RGB")
    target_aspect, aspect = w / h, iw / ih
    same_shape = (abs(round(ih * w / iw) - h) <= 1) if iw >= ih else (abs(round(iw * h / ih) - w) <= 1)
    if not same_shape:
        if aspect > target_aspect:  # too wide: crop the sides
            cw = max(1, round(ih * target_aspect))
            left = (iw - cw) // 2
            pil = pil.crop((left, 0, left + cw, ih))
        else:
            ch = max(1, round(iw / target_aspect))
            top = (ih - ch) // 2
            pil = pil.crop((0, top, iw, top + ch))
    if pil.size != (w, h):
        pil = pil.resize((w, h), Image.LANCZOS)
    return np.asarray(pil, dtype=np.uint8)


class CompareView(QWidget):
    """Shows the result; wheel zooms around the cursor, drag pans, double-click fits; optional before/after."""

    view_changed = Signal()  # zoom, pan, fit mode or divider moved
    compare_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None, placeholder: str = "",
                 min_size: QSize | None = None) -> None:
        super().__init__(parent)
        self._array: np.ndarray | None = None
        self._pixmap: QPixmap | None = None
        self._before: np.ndarray | None = None  # the photo as given (any size)
        self._before_pixmap: QPixmap | None = None  # the photo at the result's size
        self._before_key: tuple[int, int] | None = None
        self._compare = False
        self._divider = 0.5
        self._scale = 1.0
        self._offset = QPointF(0.0, 0.0)
        self._fit = True
        self._drag: str | None = None  # "pan" | "divider"
        self._press = QPointF()
        self._press_offset = QPointF()
        self._placeholder = placeholder
        self._labels = ("Photo", "Result")
        self._min = min_size or QSize(160, 120)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setToolTip("Mouse wheel: zoom around the pointer · drag: move around · double-click: fit\n"
                        "Keys: F fit, 1 actual size, + and − zoom")

    # ------------------------------------------------------------------------------------ pictures
    @property
    def image(self) -> np.ndarray | None:
        """The result on show (a private copy), or None."""
        return self._array

    def set_image(self, image: np.ndarray | None) -> None:
        """Show a new result. Same size: zoom and pan stay. New size (coarse-to-fine previews): the same
        part of the picture stays in view. Fitted views stay fitted."""
        if image is None:
            self._array, self._pixmap = None, None
            self._fit = True
            self.update()
            self.view_changed.emit()
            return
        old = self._pixmap.size() if self._pixmap is not None else None
        self._array = np.array(image, dtype=np.uint8, copy=True)
        self._pixmap = to_pixmap(self._array)
        if old is None or self._fit:
            self._apply_fit()
        elif old != self._pixmap.size():
            self._scale *= old.width() / self._pixmap.width()  # same widget region, new pixel count
            self._clamp()
        self.update()
        self.view_changed.emit()

    def set_before_image(self, image: np.ndarray | None) -> None:
        """The photo shown left of the divider (resized to the result when painted)."""
        self._before = None if image is None else np.array(image, dtype=np.uint8, copy=True)
        self._before_pixmap, self._before_key = None, None
        self.update()

    def has_before(self) -> bool:
        return self._before is not None

    def set_placeholder(self, text: str) -> None:
        self._placeholder = text
        self.update()

    def set_labels(self, before: str, after: str) -> None:
        self._labels = (before, after)
        self.update()

    # ------------------------------------------------------------------------------------- compare
    def is_comparing(self) -> bool:
        return self._compare

    def set_compare(self, on: bool) -> None:
        on = bool(on)
        if on != self._compare:
            self._compare = on
            self._update_cursor(None)
            self.update()
            self.compare_changed.emit(on)
            self.view_changed.emit()

    def divider(self) -> float:
        """Divider position as a fraction of the widget's width (0 = left edge)."""
        return self._divider

    def set_divider(self, fraction: float) -> None:
        self._divider = min(1.0, max(0.0, float(fraction)))
        self.update()
        self.view_changed.emit()

    def divider_x(self) -> float:
        return self._divider * self.width()

    # ----------------------------------------------------------------------------------- zoom, pan
    def zoom(self) -> float:
        """Screen pixels per image pixel."""
        return self._scale

    def offset(self) -> QPointF:
        return QPointF(self._offset)

    def is_fit(self) -> bool:
        return self._fit

    def fit_scale(self) -> float:
        if self._pixmap is None or self._pixmap.width() == 0 or self._pixmap.height() == 0:
            return 1.0
        return max(1e-4, min(self.width() / self._pixmap.width(), self.height() / self._pixmap.height()))

    def min_zoom(self) -> float:
        return min(self.fit_scale(), 1.0)

    def max_zoom(self) -> float:
        return max(MAX_ZOOM, self.fit_scale())

    def widget_to_image(self, point: QPointF) -> QPointF:
        return QPointF((point.x() - self._offset.x()) / self._scale, (point.y() - self._offset.y()) / self._scale)

    def image_to_widget(self, point: QPointF) -> QPointF:
        return QPointF(self._offset.x() + point.x() * self._scale, self._offset.y() + point.y() * self._scale)

    def pixel_at(self, point: QPointF) -> tuple[int, int] | None:
        """The (x, y) image pixel under a widget point, or None outside the picture."""
        if self._pixmap is None:
            return None
        p = self.widget_to_image(QPointF(point))
        x, y = math.floor(p.x()), math.floor(p.y())
        if 0 <= x < self._pixmap.width() and 0 <= y < self._pixmap.height():
            return x, y
        return None

    def fit(self) -> None:
        """Show the whole picture as large as the view allows; stays fitted when the view resizes."""
        self._fit = True
        self._apply_fit()
        self.update()
        self.view_changed.emit()

    def actual_size(self, anchor: QPointF | None = None) -> None:
        """One image pixel per screen pixel (100 %), keeping the point under ``anchor`` (default: centre)."""
        self.set_zoom(1.0, anchor)

    def zoom_by(self, factor: float, anchor: QPointF | None = None) -> None:
        self.set_zoom(self._scale * factor, anchor)

    def set_zoom(self, scale: float, anchor: QPointF | None = None) -> None:
        """Zoom so the image point under ``anchor`` (widget coordinates; default: centre) stays put."""
        if self._pixmap is None:
            return
        scale = min(self.max_zoom(), max(self.min_zoom(), float(scale)))
        a = QPointF(anchor) if anchor is not None else QPointF(self.width() / 2, self.height() / 2)
        img = self.widget_to_image(a)
        self._scale = scale
        self._offset = QPointF(a.x() - img.x() * scale, a.y() - img.y() * scale)
        self._fit = abs(scale - self.fit_scale()) < 1e-6
        if self._fit:
            self._apply_fit()
        else:
            self._clamp()
        self.update()
        self.view_changed.emit()

    def pan_by(self, dx: float, dy: float) -> None:
        if self._pixmap is None:
            return
        self._offset = QPointF(self._offset.x() + dx, self._offset.y() + dy)
        self._fit = False
        self._clamp()
        self.update()
        self.view_changed.emit()

    def _apply_fit(self) -> None:
        if self._pixmap is None:
            return
        self._scale = self.fit_scale()
        w, h = self._pixmap.width() * self._scale, self._pixmap.height() * self._scale
        self._offset = QPointF((self.width() - w) / 2, (self.height() - h) / 2)

    def _clamp(self) -> None:
        """No empty margin where the picture is larger than the view; fully inside where it is smaller."""
        if self._pixmap is None:
            return
        ox, oy = self._offset.x(), self._offset.y()
        w, h = self._pixmap.width() * self._scale, self._pixmap.height() * self._scale

        def clamp(o: float, size: float, view: float) -> float:
            lo, hi = (view - size, 0.0) if size >= view else (0.0, view - size)
            return min(hi, max(lo, o))

        self._offset = QPointF(clamp(ox, w, self.width()), clamp(oy, h, self.height()))

    def image_rect(self) -> QRectF:
        """Where the whole picture lands in widget coordinates."""
        if self._pixmap is None:
            return QRectF()
        return QRectF(self._offset.x(), self._offset.y(), self._pixmap.width() * self._scale,
                      self._pixmap.height() * self._scale)

    # -------------------------------------------------------------------------------------- events
    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        old = event.oldSize()
        if self._pixmap is not None:
            if self._fit or old.width() <= 0 or old.height() <= 0:
                self._apply_fit()
            else:  # keep the picture point at the centre of the view at the centre
                centre = self.widget_to_image(QPointF(old.width() / 2, old.height() / 2))
                self._offset = QPointF(self.width() / 2 - centre.x() * self._scale,
                                       self.height() / 2 - centre.y() * self._scale)
                self._clamp()
        super().resizeEvent(event)
        self.view_changed.emit()

    def wheelEvent(self, event) -> None:  # noqa: N802 - Qt override
        if self._pixmap is None:
            event.ignore()
            return
        notches = event.angleDelta().y() / 120.0
        if notches == 0:
            notches = event.pixelDelta().y() / 60.0
        if notches:
            self.zoom_by(WHEEL_STEP ** notches, event.position())
        event.accept()

    def _near_divider(self, pos: QPointF) -> bool:
        return (self._compare and self._pixmap is not None
                and abs(pos.x() - self.divider_x()) <= DIVIDER_GRAB_PX)

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.button() in (Qt.MouseButton.LeftButton, Qt.MouseButton.MiddleButton) and self._pixmap is not None:
            pos = event.position()
            if event.button() == Qt.MouseButton.LeftButton and self._near_divider(pos):
                self._drag = "divider"
            else:
                self._drag = "pan"
                self._press = QPointF(pos)
                self._press_offset = QPointF(self._offset)
            self._update_cursor(pos)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:  # noqa: N802 - Qt override
        pos = event.position()
        if self._drag == "divider":
            self.set_divider(pos.x() / max(1, self.width()))
        elif self._drag == "pan":
            self._offset = QPointF(self._press_offset.x() + pos.x() - self._press.x(),
                                   self._press_offset.y() + pos.y() - self._press.y())
            self._fit = False
            self._clamp()
            self.update()
            self.view_changed.emit()
        self._update_cursor(pos)
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802 - Qt override
        if self._drag is not None:
            self._drag = None
            self._update_cursor(event.position())
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.button() == Qt.MouseButton.LeftButton and not self._near_divider(event.position()):
            self.fit()
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt override
        key = event.key()
        if key in (Qt.Key.Key_F, Qt.Key.Key_0):
            self.fit()
        elif key == Qt.Key.Key_1:
            self.actual_size()
        elif key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom_by(WHEEL_STEP)
        elif key == Qt.Key.Key_Minus:
            self.zoom_by(1 / WHEEL_STEP)
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    def _update_cursor(self, pos: QPointF | None) -> None:
        if self._drag == "divider" or (pos is not None and self._near_divider(pos)):
            self.setCursor(Qt.CursorShape.SplitHCursor)
        elif self._drag == "pan":
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
        elif self._pixmap is not None:
            self.setCursor(Qt.CursorShape.OpenHandCursor)
        else:
            self.unsetCursor()

    # ---------------------------------------------------------------------------------------- paint
    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return self._min

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(640, 480)

    def before_pixmap(self) -> QPixmap | None:
        """The photo at the result's size (built once per result size)."""
        if self._before is None or self._pixmap is None:
            return None
        key = (self._pixmap.width(), self._pixmap.height())
        if self._before_key != key:
            self._before_pixmap = to_pixmap(fit_to(self._before, key))
            self._before_key = key
        return self._before_pixmap

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.fillRect(self.rect(), BACKGROUND)
        if self._pixmap is None:
            if self._placeholder:
                painter.setPen(QColor(150, 150, 150))
                painter.drawText(self.rect().adjusted(12, 12, -12, -12),
                                 Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self._placeholder)
            painter.end()
            return
        target = self.image_rect()
        source = QRectF(0, 0, self._pixmap.width(), self._pixmap.height())
        # smooth when shrinking or gently enlarging; from 2× on every picture pixel is shown as a crisp square
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self._scale < 2.0)
        painter.drawPixmap(target, self._pixmap, source)
        before = self.before_pixmap() if self._compare else None
        if before is not None:
            x = self.divider_x()
            painter.save()
            painter.setClipRect(QRectF(0, 0, x, self.height()))
            painter.drawPixmap(target, before, source)
            painter.restore()
            self._paint_divider(painter, x)
        painter.end()

    def _paint_divider(self, painter: QPainter, x: float) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        h = self.height()
        painter.setPen(QPen(QColor(0, 0, 0, 110), 4))
        painter.drawLine(QPointF(x, 0), QPointF(x, h))
        painter.setPen(QPen(QColor(255, 255, 255, 235), 2))
        painter.drawLine(QPointF(x, 0), QPointF(x, h))
        # round handle with two arrows, in the middle of the view
        r, cy = 13.0, h / 2
        painter.setBrush(QColor(255, 255, 255, 235))
        painter.setPen(QPen(QColor(0, 0, 0, 110), 1))
        painter.drawEllipse(QPointF(x, cy), r, r)
        painter.setBrush(theme_colors()["handle"])
        painter.setPen(Qt.PenStyle.NoPen)
        for sign in (-1, 1):
            tri = QPainterPath()
            tip = QPointF(x + sign * 8.5, cy)
            tri.moveTo(tip)
            tri.lineTo(QPointF(x + sign * 3.0, cy - 5))
            tri.lineTo(QPointF(x + sign * 3.0, cy + 5))
            tri.closeSubpath()
            painter.drawPath(tri)
        # tags saying which side is which
        font = QFont(self.font())
        font.setPointSizeF(max(7.5, font.pointSizeF() * 0.9))
        painter.setFont(font)
        fm = painter.fontMetrics()
        for text, left in ((self._labels[0], True), (self._labels[1], False)):
            tw, th = fm.horizontalAdvance(text) + 14, fm.height() + 6
            rx = x - 8 - tw if left else x + 8
            if (left and rx < 2) or (not left and rx + tw > self.width() - 2):
                continue
            rect = QRectF(rx, 10, tw, th)
            painter.setBrush(QColor(20, 21, 24, 190))
            painter.setPen(Qt.PenStyle.NoPen)
            painter.drawRoundedRect(rect, 6, 6)
            painter.setPen(QColor(235, 236, 240))
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
