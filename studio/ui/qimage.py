"""numpy uint8 images -> QImage / QPixmap, always as private copies.

A QImage built on a numpy buffer shares that memory; if the array is reused or freed the picture
changes or the process crashes. Everything here copies, and pixmaps are built only in the GUI thread.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QCoreApplication, QThread
from PySide6.QtGui import QImage, QPixmap

__all__ = ["to_pixmap", "uint8_to_qimage"]

_FORMATS = {1: QImage.Format.Format_Grayscale8, 3: QImage.Format.Format_RGB888, 4: QImage.Format.Format_RGBA8888}


def uint8_to_qimage(arr: np.ndarray) -> QImage:
    """HW, HW1, HW3 (RGB) or HW4 (RGBA) uint8 array -> an independent QImage."""
    a = np.asarray(arr)
    if a.dtype != np.uint8:
        raise TypeError(f"expected a uint8 image, got {a.dtype}")
    if a.ndim == 2:
        a = a[:, :, None]
    if a.ndim != 3 or a.shape[2] not in _FORMATS:
        raise ValueError(f"expected an HxW, HxWx1, HxWx3 or HxWx4 image, got shape {a.shape}")
    a = np.ascontiguousarray(a)
    h, w, c = a.shape
    image = QImage(a.data, w, h, w * c, _FORMATS[c])
    return image.copy()  # detach from the numpy buffer before `a` can go away


def to_pixmap(image: np.ndarray | QImage) -> QPixmap:
    """Array or QImage -> QPixmap. GUI thread only (QPixmap is a GUI-thread resource)."""
    app = QCoreApplication.instance()
    if app is not None and QThread.currentThread() is not app.thread():
        raise RuntimeError("QPixmap may only be built in the GUI thread")
    qimg = image if isinstance(image, QImage) else uint8_to_qimage(image)
    return QPixmap.fromImage(qimg)
