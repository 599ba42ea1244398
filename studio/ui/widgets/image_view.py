"""Show a numpy image scaled to fit, crisp (nearest neighbour) when enlarged, aspect kept."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPixmap
from PySide6.QtWidgets import QSizePolicy, QWidget


def array_to_qimage(image: np.ndarray) -> QImage:
    """Copy a uint8 HW / HWC (1, 3 or 4 channels) array into a QImage that owns its pixels."""
    arr = np.asarray(image)
    if arr.dtype != np.uint8:
        raise TypeError(f"expected uint8 pixels, got {arr.dtype}")
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    arr = np.ascontiguousarray(arr)
    h, w = arr.shape[:2]
    if arr.ndim == 2:
        fmt, bpl = QImage.Format.Format_Grayscale8, w
    elif arr.shape[2] == 3:
        fmt, bpl = QImage.Format.Format_RGB888, w * 3
    elif arr.shape[2] == 4:
        fmt, bpl = QImage.Format.Format_RGBA8888, w * 4
    else:
        raise ValueError(f"cannot show an image of shape {arr.shape}")
    # QImage borrows the buffer; .copy() makes it own the pixels before ``arr`` goes away.
    return QImage(arr.data, w, h, bpl, fmt).copy()


class ImageView(QWidget):
    """Paints one image centred in the widget; pixel art stays pixel art when scaled up."""

    def __init__(self, parent: QWidget | None = None, placeholder: str = "",
                 min_size: QSize | None = None, whole_multiples: bool = False) -> None:
        super().__init__(parent)
        self._whole = whole_multiples  # enlarge by 2×, 3×… only: every source pixel the same size
        self._array: np.ndarray | None = None
        self._pixmap: QPixmap | None = None
        self._placeholder = placeholder
        self._min = min_size or QSize(48, 48)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    # --- data -----------------------------------------------------------------------------------
    @property
    def image(self) -> np.ndarray | None:
        """The array on show (a private copy), or None."""
        return self._array

    @property
    def pixmap(self) -> QPixmap | None:
        return self._pixmap

    def set_image(self, image: np.ndarray | None) -> None:
        if image is None:
            self._array, self._pixmap = None, None
        else:
            self._array = np.array(image, dtype=np.uint8, copy=True)
            self._pixmap = QPixmap.fromImage(array_to_qimage(self._array))
        self.update()

    def set_placeholder(self, text: str) -> None:
        self._placeholder = text
        self.update()

    # --- geometry -------------------------------------------------------------------------------
    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return self._min

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        if self._pixmap is not None:
            return self._pixmap.size().expandedTo(self._min)
        return self._min

    def target_rect(self) -> QRect:
        """Where the image lands: as large as fits, aspect kept (whole multiples from 2× if asked)."""
        if self._pixmap is None:
            return QRect()
        pw, ph = self._pixmap.width(), self._pixmap.height()
        scale = min(self.width() / pw, self.height() / ph)
        if self._whole and 2.0 <= scale < 8.0:
            scale = float(int(scale))
        w, h = max(1, int(pw * scale)), max(1, int(ph * scale))
        return QRect((self.width() - w) // 2, (self.height() - h) // 2, w, h)

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        if self._pixmap is None:
            if self._placeholder:
                painter.setPen(QColor(150, 150, 150))
                painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                                 self._placeholder)
            painter.end()
            return
        rect = self.target_rect()
        enlarging = rect.width() >= self._pixmap.width()
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, not enlarging)
        painter.drawPixmap(rect, self._pixmap)
        painter.end()
