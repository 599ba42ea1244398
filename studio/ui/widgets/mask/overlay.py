"""The coloured layer the mask editor draws over the picture: a premultiplied ARGB32 QImage the size of the picture,
rewritten in place, box by box, from the paint weights (colour Σ wᵢ·colourᵢ, alpha Σ wᵢ). Only the box a stroke
changed is ever rewritten, which is what keeps painting on a 2048 px picture under a frame per mouse move."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6.QtGui import QImage

from .history import Box

BAND = 256  # rows per pass of a whole rebuild: bounded temporaries on big pictures


def _alpha_lut(color: tuple[int, int, int]) -> np.ndarray:
    """Mask mode: the premultiplied overlay pixel for each of the 256 alpha levels."""
    a = np.arange(256, dtype=np.uint32)
    r, g, b = (((a * c) + 127) // 255 for c in color)  # rounded, never above alpha
    return (a << 24) | (r << 16) | (g << 8) | b


class MaskOverlay:
    """``image`` (None until a picture is set); ``set_colors`` takes one colour per region (or the mask's tint)."""

    def __init__(self, colors: Sequence[tuple[int, int, int]]) -> None:
        self.image: QImage | None = None
        self.set_colors(colors)

    def set_colors(self, colors: Sequence[tuple[int, int, int]]) -> None:
        self._colors = np.asarray(colors, np.float32).reshape(-1, 3)
        self._lut = _alpha_lut(tuple(int(c) for c in colors[0]))

    def reset(self, h: int, w: int) -> None:
        self.image = QImage(w, h, QImage.Format.Format_ARGB32_Premultiplied)

    def clear(self) -> None:
        self.image = None

    def copy(self) -> QImage | None:
        return None if self.image is None else self.image.copy()

    def _words(self) -> np.ndarray:
        """A writable H×W uint32 numpy view of the QImage's own pixels (0xAARRGGBB each, in native byte order,
        which is exactly how QImage stores ARGB32)."""
        img = self.image
        h, w = img.height(), img.width()
        return np.frombuffer(img.bits(), np.uint32).reshape(h, img.bytesPerLine() // 4)[:, :w]

    def update_box(self, weights: np.ndarray, box: Box) -> None:
        """Rewrite the pixels inside ``box`` from ``weights`` (H×W×C), premultiplied (mask mode: a 256-entry
        lookup by alpha)."""
        if self.image is None:
            return
        y0, y1, x0, x1 = box
        w = weights[y0:y1, x0:x1]
        words = self._words()[y0:y1, x0:x1]
        if w.shape[2] == 1:
            level = w[..., 0] * np.float32(255.0)
            level += np.float32(0.5)
            np.minimum(level, np.float32(255.0), out=level)
            words[...] = self._lut[level.astype(np.uint8)]
            return
        # one matrix product gives colour and alpha: the last column of ``mix`` is 255 per region
        mix = np.concatenate([self._colors, np.full((w.shape[2], 1), 255.0, np.float32)], axis=1)
        argb = w @ mix
        argb += np.float32(0.5)
        np.minimum(argb, np.float32(255.0), out=argb)
        b = argb.astype(np.uint32)
        words[...] = (b[..., 3] << 24) | (b[..., 0] << 16) | (b[..., 1] << 8) | b[..., 2]

    def rebuild(self, weights: np.ndarray) -> None:
        h, w = weights.shape[:2]
        for y0 in range(0, h, BAND):
            self.update_box(weights, (y0, min(y0 + BAND, h), 0, w))
