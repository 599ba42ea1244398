"""How one Gallery cell is painted: the thumbnail (or a placeholder / broken mark), a kind badge, the
name and a detail line."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPainterPath, QPen, QPixmap
from PySide6.QtWidgets import QListView, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from studio.engine.gallery import GalleryItem
from studio.engine.gallery_delete import when_text
from studio.ui.gallery.model import ItemRole, StateRole
from studio.ui.gallery.thumbnails import BOX
from studio.ui.theme import theme_colors

__all__ = ["BOX", "CELL", "GalleryDelegate"]

CELL = QSize(196, 236)  # one grid cell: thumbnail box + two lines of text


def _kind_icon(p: QPainter, kind: str, detail: str, center: QRectF, color: QColor) -> None:
    """A large, faint line drawing for a placeholder: a curve (run), a film strip (animation), a frame."""
    s = min(center.width(), center.height()) * 0.34
    cx, cy = center.center().x(), center.center().y()
    p.save()
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(QPen(color, 2.0, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin))
    p.setBrush(Qt.BrushStyle.NoBrush)
    if kind == "run":
        path = QPainterPath()
        path.moveTo(cx - s, cy + s * 0.6)
        path.cubicTo(cx - s * 0.4, cy + s * 0.5, cx - s * 0.3, cy - s * 0.2, cx, cy - s * 0.1)
        path.cubicTo(cx + s * 0.3, cy, cx + s * 0.4, cy - s * 0.5, cx + s, cy - s * 0.7)
        p.drawPath(path)
        p.drawLine(int(cx - s), int(cy + s * 0.85), int(cx + s), int(cy + s * 0.85))
    elif kind == "animation":
        r = QRectF(cx - s, cy - s * 0.7, 2 * s, 1.4 * s)
        p.drawRoundedRect(r, 4, 4)
        for i in range(5):
            x = r.left() + (i + 0.5) * r.width() / 5
            p.drawPoint(int(x), int(r.top() + 5))
            p.drawPoint(int(x), int(r.bottom() - 5))
        tri = QPainterPath()
        tri.moveTo(cx - s * 0.22, cy - s * 0.3)
        tri.lineTo(cx + s * 0.32, cy)
        tri.lineTo(cx - s * 0.22, cy + s * 0.3)
        tri.closeSubpath()
        p.setBrush(color)
        p.drawPath(tri)
    else:
        r = QRectF(cx - s, cy - s * 0.75, 2 * s, 1.5 * s)
        p.drawRoundedRect(r, 4, 4)
        hills = QPainterPath()
        hills.moveTo(r.left() + 4, r.bottom() - 4)
        hills.lineTo(cx - s * 0.3, cy - s * 0.05)
        hills.lineTo(cx + s * 0.1, cy + s * 0.35)
        hills.lineTo(cx + s * 0.4, cy + s * 0.1)
        hills.lineTo(r.right() - 4, r.bottom() - 4)
        p.drawPath(hills)
    p.restore()


class GalleryDelegate(QStyledItemDelegate):
    """One cell: the thumbnail (or a placeholder / broken mark), a kind badge, the name and a detail line."""

    def sizeHint(self, option, index) -> QSize:  # noqa: N802 - Qt override
        view = self.parent()
        return view.gridSize() if isinstance(view, QListView) and view.gridSize().isValid() else CELL

    def paint(self, p: QPainter, option: QStyleOptionViewItem, index) -> None:
        item: GalleryItem | None = index.data(ItemRole)
        if item is None:
            return
        pm = index.data(Qt.ItemDataRole.DecorationRole)
        state = index.data(StateRole)
        tc = theme_colors()
        p.save()
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        cell = QRectF(option.rect).adjusted(5, 5, -5, -5)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        hover = bool(option.state & QStyle.StateFlag.State_MouseOver)
        if selected or hover:
            p.setPen(QPen(tc["accent"], 1.5) if selected else Qt.PenStyle.NoPen)
            p.setBrush(tc["accent_soft"] if selected else tc["cell_hover"])
            p.drawRoundedRect(cell, 10, 10)
        box = QRectF(cell.left() + (cell.width() - BOX) / 2, cell.top() + 7, BOX, BOX)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(tc["thumb_well"])
        p.drawRoundedRect(box, 8, 8)
        broken = state == "broken" or item.problem is not None
        if isinstance(pm, QPixmap) and not pm.isNull():
            dpr = pm.devicePixelRatio() or 1.0
            w, h = pm.width() / dpr, pm.height() / dpr
            scale = min(BOX / w, BOX / h, 1.0 if max(w, h) >= BOX * 0.75 else BOX / max(w, h))
            tw, th = w * scale, h * scale
            target = QRectF(box.center().x() - tw / 2, box.center().y() - th / 2, tw, th)
            clip = QPainterPath()
            clip.addRoundedRect(box, 8, 8)
            p.setClipPath(clip)
            p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, scale < 1.0 or max(w, h) > 64)
            p.drawPixmap(target, pm, QRectF(pm.rect()))
            p.setClipping(False)
        else:
            faint = tc["placeholder"] if state != "broken" else tc["placeholder_broken"]
            _kind_icon(p, item.kind, item.detail, box, faint)
            if state == "broken":
                p.setPen(tc["bad_text"])
                font = QFont(option.font)
                font.setPointSizeF(max(7.5, font.pointSizeF() * 0.9))
                p.setFont(font)
                p.drawText(box.adjusted(8, 0, -8, -12), int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom),
                           "Can't be shown")
        badge = {"run": "RUN", "animation": item.detail.split()[-1].upper() if item.detail else "ANIM"}.get(item.kind)
        if item.kind == "animation" and "frames" in item.detail:
            badge = "FRAMES"
        elif item.kind == "animation" and item.detail == "sprite sheet":
            badge = "SHEET"
        small = QFont(option.font)
        small.setPointSizeF(max(7.0, option.font.pointSizeF() * 0.78))
        small.setBold(True)
        if badge:
            fm = QFontMetrics(small)
            bw, bh = fm.horizontalAdvance(badge) + 12, fm.height() + 4
            br = QRectF(box.left() + 6, box.top() + 6, bw, bh)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(tc["badge_back"])
            p.drawRoundedRect(br, bh / 2, bh / 2)
            p.setPen(tc["badge_text"])
            p.setFont(small)
            p.drawText(br, int(Qt.AlignmentFlag.AlignCenter), badge)
        if broken:
            r = 10.0
            c = QRectF(box.right() - 6 - 2 * r, box.top() + 6, 2 * r, 2 * r)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(tc["broken_dot"])
            p.drawEllipse(c)
            p.setPen(tc["on_broken_dot"])
            p.setFont(small)
            p.drawText(c, int(Qt.AlignmentFlag.AlignCenter), "!")
        name_font = QFont(option.font)
        name_font.setWeight(QFont.Weight.DemiBold)
        fm = QFontMetrics(name_font)
        text_rect = QRectF(box.left(), box.bottom() + 7, BOX, fm.height())
        p.setFont(name_font)
        p.setPen(tc["cell_text_selected"] if selected else tc["cell_text"])
        p.drawText(text_rect, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                   fm.elidedText(item.name, Qt.TextElideMode.ElideMiddle, BOX))
        sub_font = QFont(option.font)
        sub_font.setPointSizeF(max(7.5, option.font.pointSizeF() * 0.88))
        sfm = QFontMetrics(sub_font)
        sub = f"{item.detail} · {when_text(item.modified)}" if item.detail else when_text(item.modified)
        p.setFont(sub_font)
        p.setPen(tc["bad_text"] if broken else tc["muted"])
        sub_rect = QRectF(box.left(), text_rect.bottom() + 2, BOX, sfm.height())
        p.drawText(sub_rect, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                   sfm.elidedText(sub, Qt.TextElideMode.ElideRight, BOX))
        p.restore()

