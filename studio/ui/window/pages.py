"""The window's page table and the page slots: what each page is called, what its placeholder card says,
and the line icons the navigation draws. Nothing here knows about jobs, menus or the engine."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPainter, QPainterPath, QPen, QPixmap
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

__all__ = ["COMING_SOON", "PAGES", "PAGE_HELP", "InfoPage", "PageSpec", "PageSlot", "nav_icon", "scrollable"]


@dataclass(frozen=True)
class PageSpec:
    key: str
    title: str
    headline: str
    features: tuple[str, ...]


PAGES: tuple[PageSpec, ...] = (
    PageSpec("train", "Train", "Teach a GAN your own pictures",
             ("Drop a folder of your images, or start from a demo set.",
              "Watch the losses and the generated samples evolve while it learns.",
              "Pause, resume and pick up later from saved checkpoints.",
              "Export the trained generator and a timelapse of its progress.")),
    PageSpec("explore", "Explore", "Wander through what your generator learned",
             ("Browse endless images from a trained generator.",
              "Star your favourites so you never lose them.",
              "Arrange favourites as keyframes on a timeline.",
              "Export the latent walk between them as a GIF or MP4.")),
    PageSpec("stylize", "Stylize", "Repaint a photo in the style of paintings",
             ("Pick a photo and one or more paintings whose style you love.",
              "Blend styles and choose whether to keep the photo's colours.",
              "Paint masks with a brush to decide where each style goes.",
              "Save full-size artwork together with its recipe.")),
    PageSpec("gallery", "Gallery", "Everything you made, in one place",
             ("Artworks, animations and training runs side by side.",
              "Every piece keeps its recipe, so you can remake or tweak it.",
              "Open, export or find any piece on disk.")),
)
PAGE_HELP = {"train": "training", "explore": "latent", "stylize": "style", "gallery": "gan"}  # F1 per page
COMING_SOON = "Arrives in a coming version."


# ------------------------------------------------------------------------------------------- icons
def _draw_icon(key: str, color: QColor, size: int = 24, ratio: float = 2.0) -> QPixmap:
    """Small line icons drawn in code: crisp on any DPI, tinted to the theme, no files to ship."""
    pm = QPixmap(int(size * ratio), int(size * ratio))
    pm.setDevicePixelRatio(ratio)
    pm.fill(Qt.GlobalColor.transparent)
    p = QPainter(pm)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.scale(size / 24.0, size / 24.0)
    pen = QPen(color, 1.8, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin)
    p.setPen(pen)
    p.setBrush(Qt.BrushStyle.NoBrush)
    if key == "train":  # a rising curve with a spark: learning
        path = QPainterPath(QPointF(3, 19))
        path.cubicTo(QPointF(8, 18), QPointF(9, 11), QPointF(13, 12))
        path.cubicTo(QPointF(16, 13), QPointF(17, 8), QPointF(20, 6))
        p.drawPath(path)
        p.drawLine(QPointF(3, 21), QPointF(21, 21))
        p.setBrush(color)
        p.drawEllipse(QPointF(20, 6), 1.6, 1.6)
    elif key == "explore":  # a compass
        p.drawEllipse(QPointF(12, 12), 9, 9)
        needle = QPainterPath(QPointF(15.5, 8.5))
        needle.lineTo(QPointF(13.2, 13.2))
        needle.lineTo(QPointF(8.5, 15.5))
        needle.lineTo(QPointF(10.8, 10.8))
        needle.closeSubpath()
        p.setBrush(color)
        p.drawPath(needle)
    elif key == "stylize":  # a brush
        p.drawLine(QPointF(20, 4), QPointF(12, 12))
        tip = QPainterPath(QPointF(11, 11))
        tip.cubicTo(QPointF(7, 11), QPointF(7.5, 16), QPointF(4, 20))
        tip.cubicTo(QPointF(9, 20), QPointF(13.5, 17.5), QPointF(13, 13))
        tip.closeSubpath()
        p.setBrush(color)
        p.drawPath(tip)
    else:  # gallery: a framed landscape
        p.drawRoundedRect(QRectF(3, 5, 18, 14), 2.5, 2.5)
        hills = QPainterPath(QPointF(5, 17))
        hills.lineTo(QPointF(9.5, 11.5))
        hills.lineTo(QPointF(13, 15))
        hills.lineTo(QPointF(15.5, 12.5))
        hills.lineTo(QPointF(19, 17))
        p.drawPath(hills)
        p.setBrush(color)
        p.drawEllipse(QPointF(16, 9), 1.4, 1.4)
    p.end()
    return pm


def nav_icon(key: str) -> QIcon:
    from studio.ui.theme import theme_colors

    c = theme_colors()
    screen = QGuiApplication.primaryScreen()
    ratio = max(2.0, float(screen.devicePixelRatio()) if screen is not None else 1.0)  # sharp on HiDPI
    icon = QIcon()
    icon.addPixmap(_draw_icon(key, c["nav_icon"], ratio=ratio), QIcon.Mode.Normal)
    icon.addPixmap(_draw_icon(key, c["nav_icon_selected"], ratio=ratio), QIcon.Mode.Selected)
    icon.addPixmap(_draw_icon(key, c["nav_icon_selected"], ratio=ratio), QIcon.Mode.Active)
    return icon


# ------------------------------------------------------------------------------------------- pages
class InfoPage(QWidget):
    """A calm, centred card: what a page does, as a few plain sentences. No buttons, nothing dead."""

    def __init__(self, spec: PageSpec, note: str = COMING_SOON, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"page-{spec.key}")
        card = QFrame()
        card.setObjectName("infoCard")
        card.setMaximumWidth(620)
        card.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)

        icon = QLabel()
        self.key = spec.key
        self.icon_label = icon
        self.refresh_icon()
        title = QLabel(spec.title)
        title.setObjectName("pageTitle")
        headline = QLabel(spec.headline)
        headline.setObjectName("pageHeadline")
        headline.setWordWrap(True)

        head = QHBoxLayout()
        head.setSpacing(16)
        head.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
        titles = QVBoxLayout()
        titles.setSpacing(2)
        titles.addWidget(title)
        titles.addWidget(headline)
        head.addLayout(titles, 1)

        features = QGridLayout()
        features.setHorizontalSpacing(10)
        features.setVerticalSpacing(8)
        features.setColumnStretch(1, 1)
        for row, sentence in enumerate(spec.features):
            bullet = QLabel("•")
            bullet.setObjectName("pageBullet")
            line = QLabel(sentence)
            line.setObjectName("pageFeature")
            line.setWordWrap(True)
            features.addWidget(bullet, row, 0, Qt.AlignmentFlag.AlignTop)
            features.addWidget(line, row, 1)

        self.note_label = QLabel()
        self.note_label.setObjectName("pageNote")

        inner = QVBoxLayout(card)
        inner.setContentsMargins(32, 28, 32, 28)
        inner.setSpacing(18)
        inner.addLayout(head)
        inner.addLayout(features)
        inner.addWidget(self.note_label)
        self._card_layout = inner
        self.set_note(note)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(40, 40, 40, 40)
        outer.addStretch(2)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(card, 100)
        row.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(3)

    def refresh_icon(self) -> None:
        """The page's drawing in the current theme's accent."""
        from studio.ui.theme import theme_colors

        self.icon_label.setPixmap(_draw_icon(self.key, theme_colors()["accent_text"], 40))

    def set_note(self, text: str, error: bool = False) -> None:
        # A short note is a pill sized to its text; a long one (an error) wraps across the card.
        self.note_label.setProperty("error", error)
        self.note_label.style().unpolish(self.note_label)
        self.note_label.style().polish(self.note_label)
        long = len(text) > 60
        self.note_label.setWordWrap(long)
        self.note_label.setText(text)
        align = Qt.AlignmentFlag(0) if long else Qt.AlignmentFlag.AlignLeft
        self._card_layout.setAlignment(self.note_label, align)

    def text(self) -> str:
        """Everything the page says, as plain text (what a reader of the page sees)."""
        return "\n".join(lbl.text() for lbl in self.findChildren(QLabel) if lbl.text())


class PageSlot(QWidget):
    """A page slot in the stack whose content can be swapped (placeholder -> real page)."""

    def __init__(self, key: str, content: QWidget) -> None:
        super().__init__()
        self.setObjectName(f"slot-{key}")
        self.key = key
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self.content = content
        self._layout.addWidget(content)

    def set_content(self, widget: QWidget) -> None:
        old = self.content
        self._layout.replaceWidget(old, widget)
        self.content = widget
        old.hide()
        old.deleteLater()


def scrollable(page: QWidget) -> QScrollArea:
    """A placeholder card inside a frameless scroll area (small windows can still read all of it)."""
    area = QScrollArea()
    area.setObjectName("pageScroll")
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidget(page)
    return area

