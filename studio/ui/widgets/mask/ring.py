"""The brush outline the mask editor draws under the pointer, and the thin band a move of it repaints."""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen, QRegion


def draw_ring(painter: QPainter, c: QPointF, r: float, erasing: bool) -> None:
    """A dark and a light circle of radius ``r`` (widget px), visible on any picture; a minus sign for the eraser."""
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    for color, radius in ((QColor(0, 0, 0, 200), r + 0.5), (QColor(255, 255, 255, 220), r - 0.5)):
        painter.setPen(QPen(color, 1.0))
        painter.drawEllipse(c, max(radius, 0.5), max(radius, 0.5))
    if erasing:  # a small minus sign: this brush removes paint
        painter.setPen(QPen(QColor(255, 255, 255, 220), 1.5))
        painter.drawLine(QPointF(c.x() + r * 0.7 + 3, c.y() - r * 0.7 - 3),
                         QPointF(c.x() + r * 0.7 + 9, c.y() - r * 0.7 - 3))


def ring_region(center: QPointF, r: float) -> QRegion:
    """Where the ring (and its minus sign) is drawn, as a few small boxes along the circle, so moving a large
    brush repaints a thin band, not the whole disc."""
    pad = 12.0  # pens, antialiasing and the eraser mark
    if r < 24.0:
        return QRegion(QRectF(center.x() - r - pad, center.y() - r - pad, 2 * (r + pad),
                              2 * (r + pad)).toAlignedRect())
    n = int(min(48, max(8, 2 * math.pi * r / 64.0)))  # few boxes: each is one drawImage call
    sag = r * (1.0 - math.cos(math.pi / n)) + pad
    region = QRegion()
    for i in range(n):
        a0, a1 = 2 * math.pi * i / n, 2 * math.pi * (i + 1) / n
        xs = (center.x() + r * math.cos(a0), center.x() + r * math.cos(a1))
        ys = (center.y() + r * math.sin(a0), center.y() + r * math.sin(a1))
        region += QRectF(min(xs) - sag, min(ys) - sag, abs(xs[1] - xs[0]) + 2 * sag,
                         abs(ys[1] - ys[0]) + 2 * sag).toAlignedRect()
    mark = QRectF(center.x() + r * 0.7, center.y() - r * 0.7 - 8, 14, 10).toAlignedRect()
    return region + mark
