""""How it works": a short illustrated guide to GANs and style transfer, built from the lesson's ideas.

One non-modal window per studio window, with a table of contents and sections that controls can link
to: ``show_help("problems")`` opens it at that section, and a label link ``help:losses`` does the same
(``open_help_link``). The diagrams are drawn with QPainter in the current theme's colours, so they are
sharp at any scale and readable in both themes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPainterPath, QPen, QPolygonF
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from studio.ui.theme import theme_colors

__all__ = ["HELP_TOPICS", "HelpDialog", "help_link", "open_help_link", "resolve_topic", "show_help"]


@dataclass(frozen=True)
class HelpSection:
    key: str
    title: str
    body: str  # rich text (a few short paragraphs)
    diagram: str  # which drawing goes with it


SECTIONS: tuple[HelpSection, ...] = (
    HelpSection("gan", "Two networks that learn from each other", """
<p>A <b>generator</b> (G) turns a handful of random numbers into a picture. At first its pictures are
noise. A <b>discriminator</b> (D) is an ordinary picture classifier with one question: is this picture
<i>real</i> (one of yours) or <i>fake</i> (made by the generator)?</p>
<p>They train together. D learns to tell your pictures from the fakes; G learns to make fakes that D
accepts. When it works, the fakes come to look like your pictures: new ones, not copies.</p>
<p>The studio's networks are <b>convolutional GANs</b> (DCGANs). D shrinks a picture with convolutions
down to a single verdict; G does the reverse, growing a picture from the random numbers with
transposed convolutions or upsampling, like the decoder half of an autoencoder.</p>""", "gan"),
    HelpSection("training", "One training step, in two phases", """
<p><b>Phase 1: D learns.</b> D sees a batch of your pictures labelled <i>real</i> (1) and a batch of
fakes labelled <i>fake</i> (0), and is nudged to get both right. G does not change.</p>
<p><b>Phase 2: G learns.</b> Fresh fakes go through G and then through D, which is frozen for this
phase. G is nudged so that D would call its fakes <i>real</i> (1). Only G changes.</p>
<p>Every step repeats both phases, thousands of times. The Train page plots both losses and what D
believes about real pictures and fakes while it happens.</p>""", "training"),
    HelpSection("losses", "Why the losses wobble", """
<p>In most training a loss falls and settles. A GAN is a contest: when G gets better, D's loss rises;
then D catches up and G's loss rises. So both curves should <b>wobble around a level</b> rather than
fall to zero. That is healthy.</p>
<p>Warning signs: D's loss sinking towards 0 and staying there (D is winning, see <i>Balance</i>
below), G's loss climbing steadily, or samples that all look alike (<i>mode collapse</i>).</p>
<p>Judge a GAN by its samples more than by its curves: the curves tell you whether the contest is
still on, the samples tell you whether it makes what you want.</p>""", "losses"),
    HelpSection("problems", "Four known problems and what helps", """
<p><b>Mode collapse.</b> G finds one picture (or a few) that fools D and makes only that: the samples
look alike. <i>Helps:</i> a lower learning rate, another seed, more varied pictures, and augmentation
on small sets.</p>
<p><b>Sensitivity to settings (no convergence).</b> Nothing happens for a long time, or the samples
swirl without settling; then a smaller learning rate suddenly works. <i>Helps:</i> start from a preset,
lower both learning rates (the lesson's 2e-4 is a good start), keep the batch size moderate.</p>
<p><b>Balance: D wins.</b> D's loss falls to zero: it spots every fake, its verdicts stop saying
anything useful and G's gradients vanish, so G stops learning. <i>Helps:</i> a lower learning rate for
D than for G, or <i>Skip D while loss below</i> (about 0.1) so D rests while it is ahead.</p>
<p><b>High resolution.</b> Stacked transposed convolutions leave checkerboard artifacts, and large
pictures are much harder to learn. <i>Helps:</i> upsampling + convolution instead of transposed
convolutions, starting small (32 to 64 px), and growing the networks progressively or training at
several scales at once (multi-scale gradient GANs).</p>""", "problems"),
    HelpSection("style", "Style transfer: content, style and smoothness", """
<p>Style transfer trains no network. It borrows a trained picture classifier (VGG) as a pair of eyes
and changes the picture itself, pixel by pixel, to lower three losses at once:</p>
<p><b>Content loss</b>: how far the picture's deep features are from the photo's. It keeps what is
where: shapes and layout.<br>
<b>Style loss</b>: how far the <i>Gram matrices</i> of its features are from the painting's. A Gram
matrix records which textures and colours occur together, but not where, so brush strokes and palette
carry over while the painting's layout does not.<br>
<b>Variation loss</b>: how different neighbouring pixels are. A little of it removes grain and
speckle.</p>
<p>On the Stylize page, <i>Style strength</i> is the weight of the style loss and <i>Smoothness</i>
the weight of the variation loss, both relative to the content. The picture starts from the photo (or
from noise), and each iteration measures the losses and moves every pixel a little downhill.</p>""", "style"),
    HelpSection("latent", "Exploring: walks through the latent space", """
<p>Every picture a generator makes comes from a point in its <b>latent space</b>: a list of about a
hundred random numbers, picked by a seed. Nearby points give similar pictures.</p>
<p>A <b>latent walk</b> glides from one point to the next and renders the pictures along the way:
that is the animation the Explore page exports. Favourite seeds become keyframes; the walk between
them loops seamlessly if you like.</p>""", "latent"),
)
HELP_TOPICS = tuple(s.key for s in SECTIONS)
_ALIASES = {
    "generator": "gan", "discriminator": "gan", "dcgan": "gan", "two-phase": "training", "step": "training",
    "loss": "losses", "oscillation": "losses", "mode-collapse": "problems", "balance": "problems",
    "content": "style", "variation": "style", "smoothness": "style", "style-transfer": "style",
    "walk": "latent", "explore": "latent", "train": "training", "stylize": "style",
}


def resolve_topic(topic: str | None) -> str:
    """A section key for a topic or one of its aliases; the first section when unknown."""
    key = (topic or "").strip().lower()
    key = _ALIASES.get(key, key)
    return key if key in HELP_TOPICS else HELP_TOPICS[0]


def help_link(topic: str, text: str = "How it works") -> str:
    """Rich text for a label: a link that ``open_help_link`` opens at ``topic``."""
    return f'<a href="help:{resolve_topic(topic)}">{text}</a>'


# ------------------------------------------------------------------------------------ diagrams
class Diagram(QWidget):
    """One small drawing per section, in the current theme's colours."""

    HEIGHT = 178

    def __init__(self, kind: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = kind
        self.setMinimumHeight(self.HEIGHT)
        self.setMinimumWidth(460)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(620, self.HEIGHT)

    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt override
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.c = theme_colors()
        p.setPen(QPen(self.c["line"], 1))
        p.setBrush(self.c["card"])
        p.drawRoundedRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5), 10, 10)
        # draw in a fixed 620 x 178 design space, scaled to the widget's width
        scale = min(self.width() / 620.0, self.height() / self.HEIGHT)
        p.translate((self.width() - 620 * scale) / 2, (self.height() - self.HEIGHT * scale) / 2)
        p.scale(scale, scale)
        getattr(self, f"_draw_{self.kind}")(p)
        p.end()

    # --- helpers (design-space coordinates) ---------------------------------------------------------
    def _font(self, p: QPainter, size: float = 9.0, bold: bool = False) -> None:
        f = QFont(self.font())
        f.setPointSizeF(size)
        f.setBold(bold)
        p.setFont(f)

    def _text(self, p: QPainter, rect: QRectF, text: str, color: QColor | None = None, size: float = 9.0,
              bold: bool = False, align=Qt.AlignmentFlag.AlignCenter) -> None:
        self._font(p, size, bold)
        p.setPen(color or self.c["text"])
        p.drawText(rect, int(align | Qt.TextFlag.TextWordWrap), text)

    def _box(self, p: QPainter, rect: QRectF, title: str, color: QColor, subtitle: str = "") -> None:
        fill = QColor(color)
        fill.setAlpha(40)
        p.setPen(QPen(color, 2))
        p.setBrush(fill)
        p.drawRoundedRect(rect, 9, 9)
        if subtitle:
            self._text(p, QRectF(rect.x(), rect.y() + 6, rect.width(), rect.height() / 2), title, None, 10.5, True)
            self._text(p, QRectF(rect.x() + 4, rect.center().y(), rect.width() - 8, rect.height() / 2 - 4),
                       subtitle, self.c["muted"], 8)
        else:
            self._text(p, rect, title, None, 10.5, True)

    def _arrow(self, p: QPainter, a: QPointF, b: QPointF, color: QColor | None = None, label: str = "",
               dashed: bool = False) -> None:
        color = color or self.c["muted"]
        pen = QPen(color, 1.8)
        if dashed:
            pen.setStyle(Qt.PenStyle.DashLine)
        p.setPen(pen)
        p.drawLine(a, b)
        angle = math.atan2(b.y() - a.y(), b.x() - a.x())
        head = QPolygonF([b, QPointF(b.x() - 9 * math.cos(angle - 0.4), b.y() - 9 * math.sin(angle - 0.4)),
                          QPointF(b.x() - 9 * math.cos(angle + 0.4), b.y() - 9 * math.sin(angle + 0.4))])
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(color)
        p.drawPolygon(head)
        if label:
            mid = QPointF((a.x() + b.x()) / 2, (a.y() + b.y()) / 2)
            self._text(p, QRectF(mid.x() - 60, mid.y() - 22, 120, 18), label, self.c["muted"], 8)

    def _picture(self, p: QPainter, rect: QRectF, seed: int, tint: QColor, noisy: bool = False) -> None:
        """A tiny stand-in picture: a soft blob (a "face") or noise."""
        p.setPen(QPen(self.c["line"], 1))
        p.setBrush(self.c["window"])
        p.drawRoundedRect(rect, 4, 4)
        cells = 6
        w, h = rect.width() / cells, rect.height() / cells
        rng = (seed * 9301 + 49297) % 233280
        for i in range(cells):
            for j in range(cells):
                rng = (rng * 9301 + 49297) % 233280
                if noisy:
                    a = 30 + int(200 * rng / 233280)
                else:
                    d = math.hypot(i - 2.5 + (seed % 3 - 1) * 0.5, j - 2.5)
                    a = max(0, int(230 - d * 75)) + int(20 * rng / 233280)
                col = QColor(tint)
                col.setAlpha(min(255, a))
                p.setPen(Qt.PenStyle.NoPen)
                p.setBrush(col)
                p.drawRect(QRectF(rect.x() + i * w, rect.y() + j * h, w + 0.3, h + 0.3))

    def _noise(self, p: QPainter, center: QPointF, label: str = "z") -> None:
        p.setPen(Qt.PenStyle.NoPen)
        for k in range(14):
            ang = k * 2.4
            r = 6 + (k * 7) % 20
            col = QColor(self.c["accent"])
            col.setAlpha(90 + (k * 37) % 160)
            p.setBrush(col)
            p.drawEllipse(QPointF(center.x() + r * math.cos(ang), center.y() + r * math.sin(ang)), 3, 3)
        self._text(p, QRectF(center.x() - 50, center.y() + 28, 100, 34), label, self.c["muted"], 8)

    # --- the drawings ----------------------------------------------------------------------------------
    def _draw_gan(self, p: QPainter) -> None:
        c = self.c
        self._noise(p, QPointF(52, 82), "random numbers z")
        g = QRectF(110, 56, 100, 52)
        self._box(p, g, "G", c["generator"], "generator")
        self._arrow(p, QPointF(84, 82), QPointF(g.left() - 4, 82))
        fake = QRectF(250, 60, 44, 44)
        self._picture(p, fake, 3, c["generator"])
        self._text(p, QRectF(226, 108, 92, 30), "fake", c["muted"], 8)
        self._arrow(p, QPointF(g.right() + 4, 82), QPointF(fake.left() - 6, 82))
        for k in range(3):
            self._picture(p, QRectF(252 + k * 6, 12 + k * 4, 28, 28), 7 + k, c["real"])
        self._text(p, QRectF(298, 16, 90, 28), "your pictures", c["muted"], 8, align=Qt.AlignmentFlag.AlignLeft
                   | Qt.AlignmentFlag.AlignVCenter)
        d = QRectF(360, 56, 110, 52)
        self._box(p, d, "D", c["discriminator"], "discriminator")
        self._arrow(p, QPointF(fake.right() + 6, 82), QPointF(d.left() - 4, 82))
        self._arrow(p, QPointF(296, 46), QPointF(d.left() - 4, 66), c["real"])
        verdict = QRectF(510, 58, 96, 48)
        self._text(p, verdict, "real or fake?\n1 … 0", c["text"], 9.5, True)
        self._arrow(p, QPointF(d.right() + 4, 82), QPointF(verdict.left() + 2, 82))

    def _draw_training(self, p: QPainter) -> None:
        c = self.c
        for i, (x, title) in enumerate(((12, "Phase 1: D learns"), (318, "Phase 2: G learns"))):
            panel = QRectF(x, 10, 290, 158)
            p.setPen(QPen(c["line"], 1, Qt.PenStyle.DashLine))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRoundedRect(panel, 8, 8)
            self._text(p, QRectF(x + 10, 14, 270, 20), title, c["accent_text"], 9.5, True,
                       Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
            if i == 0:
                self._picture(p, QRectF(x + 16, 48, 34, 34), 5, c["real"])
                self._text(p, QRectF(x + 4, 84, 60, 18), "real", c["muted"], 8)
                self._picture(p, QRectF(x + 16, 108, 34, 34), 2, c["generator"])
                self._text(p, QRectF(x + 4, 144, 60, 18), "fake", c["muted"], 8)
                d = QRectF(x + 108, 72, 80, 46)
                self._box(p, d, "D", c["discriminator"], "learns")
                self._arrow(p, QPointF(x + 56, 65), QPointF(d.left() - 4, 88), c["real"])
                self._arrow(p, QPointF(x + 56, 125), QPointF(d.left() - 4, 104), c["generator"])
                self._text(p, QRectF(x + 198, 62, 88, 66), "real → 1\nfake → 0", c["text"], 9.5, True)
                self._arrow(p, QPointF(d.right() + 4, 95), QPointF(x + 212, 95))
            else:
                self._noise(p, QPointF(x + 34, 88), "z")
                g = QRectF(x + 66, 70, 64, 40)
                self._box(p, g, "G", c["generator"], "learns")
                self._arrow(p, QPointF(x + 56, 90), QPointF(g.left() - 3, 90))
                d = QRectF(x + 150, 70, 64, 40)
                self._box(p, d, "D", c["muted"], "frozen")
                self._arrow(p, QPointF(g.right() + 3, 90), QPointF(d.left() - 3, 90))
                self._text(p, QRectF(x + 218, 62, 70, 56), "target:\nreal (1)", c["text"], 9.5, True)
                self._arrow(p, QPointF(d.right() + 3, 90), QPointF(x + 226, 90))
                back = QPainterPath(QPointF(x + 182, 114))
                back.cubicTo(QPointF(x + 172, 136), QPointF(x + 108, 136), QPointF(x + 98, 114))
                p.setPen(QPen(c["accent"], 1.6, Qt.PenStyle.DashLine))
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.drawPath(back)
                self._text(p, QRectF(x + 40, 140, 210, 20), "the error flows back; only G changes", c["muted"], 8)

    def _curve(self, p: QPainter, rect: QRectF, fn, color: QColor) -> None:
        path = QPainterPath()
        for k in range(101):
            t = k / 100
            y = fn(t)
            pt = QPointF(rect.left() + t * rect.width(), rect.bottom() - y * rect.height())
            if k == 0:
                path.moveTo(pt)
            else:
                path.lineTo(pt)
        p.setPen(QPen(color, 2))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawPath(path)

    def _draw_losses(self, p: QPainter) -> None:
        c = self.c
        for i, (x, title) in enumerate(((14, "Healthy: both wobble"), (322, "Trouble: D wins, G gives up"))):
            area = QRectF(x + 26, 38, 250, 98)
            self._text(p, QRectF(x, 10, 290, 20), title, c["real"] if i == 0 else c["bad"], 9.5, True)
            p.setPen(QPen(c["line"], 1))
            p.drawLine(area.bottomLeft(), area.bottomRight())
            p.drawLine(area.bottomLeft(), area.topLeft())
            self._text(p, QRectF(x, area.bottom() + 2, 290, 18), "training steps →", c["muted"], 8)
            self._text(p, QRectF(x - 6, area.top() - 4, 30, 18), "loss", c["muted"], 8)
            if i == 0:
                self._curve(p, area, lambda t: 0.55 + 0.16 * math.sin(t * 23) + 0.06 * math.sin(t * 61)
                            - 0.1 * t, c["generator"])
                self._curve(p, area, lambda t: 0.42 + 0.13 * math.sin(t * 23 + 2.2) + 0.05 * math.sin(t * 47)
                            - 0.05 * t, c["discriminator"])
            else:
                self._curve(p, area, lambda t: 0.35 + 0.55 * t + 0.04 * math.sin(t * 40), c["generator"])
                self._curve(p, area, lambda t: 0.45 * math.exp(-4 * t) + 0.02 + 0.02 * math.sin(t * 50),
                            c["discriminator"])
        for k, (name, key) in enumerate((("G loss", "generator"), ("D loss", "discriminator"))):
            y = 166
            x = 236 + k * 84
            p.setPen(QPen(c[key], 3))
            p.drawLine(QPointF(x, y), QPointF(x + 18, y))
            self._text(p, QRectF(x + 22, y - 9, 56, 18), name, c["muted"], 8,
                       align=Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)

    def _draw_problems(self, p: QPainter) -> None:
        c = self.c
        titles = ("Mode collapse", "Sensitive settings", "Balance: D wins", "High resolution")
        for k, title in enumerate(titles):
            x = 10 + k * 152
            cell = QRectF(x, 10, 144, 158)
            p.setPen(QPen(c["line"], 1))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRoundedRect(cell, 8, 8)
            self._text(p, QRectF(x + 4, 134, 136, 30), title, c["text"], 9, True)
            art = QRectF(x + 22, 22, 100, 100)
            if k == 0:  # every sample the same
                for i in range(3):
                    for j in range(3):
                        self._picture(p, QRectF(art.x() + i * 34, art.y() + j * 34, 30, 30), 4, c["generator"])
            elif k == 1:  # a learning-rate dial
                p.setPen(QPen(c["muted"], 2))
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.drawArc(QRectF(art.x() + 6, art.y() + 10, 88, 88), 30 * 16, 120 * 16)
                p.setPen(QPen(c["bad"], 2))
                p.drawArc(QRectF(art.x() + 6, art.y() + 10, 88, 88), 0, 30 * 16)
                p.setPen(QPen(c["real"], 2))
                p.drawArc(QRectF(art.x() + 6, art.y() + 10, 88, 88), 150 * 16, 30 * 16)
                p.setPen(QPen(c["accent"], 3))
                center = QPointF(art.center().x(), art.y() + 54)
                p.drawLine(center, QPointF(center.x() - 30, center.y() - 18))
                self._text(p, QRectF(art.x() - 12, art.y() + 64, 124, 36), "learning rate\nlower ← · → higher",
                           c["muted"], 7.5)
            elif k == 2:  # a tipped balance: D heavy
                pivot = QPointF(art.center().x(), art.y() + 70)
                p.setPen(QPen(c["muted"], 2))
                p.drawLine(pivot, QPointF(pivot.x(), pivot.y() + 26))
                left, right = QPointF(pivot.x() - 46, pivot.y() - 26), QPointF(pivot.x() + 46, pivot.y() + 14)
                p.drawLine(left, right)
                self._box(p, QRectF(left.x() - 4, left.y() - 30, 30, 28), "G", c["generator"])
                self._box(p, QRectF(right.x() - 44, right.y() - 44, 42, 38), "D", c["discriminator"])
            else:  # a checkerboard artifact
                for i in range(8):
                    for j in range(8):
                        col = QColor(c["muted"])
                        col.setAlpha(200 if (i + j) % 2 else 50)
                        p.setPen(Qt.PenStyle.NoPen)
                        p.setBrush(col)
                        p.drawRect(QRectF(art.x() + 10 + i * 10, art.y() + 10 + j * 10, 10, 10))

    def _draw_style(self, p: QPainter) -> None:
        c = self.c
        self._picture(p, QRectF(16, 10, 48, 48), 1, c["discriminator"])
        self._text(p, QRectF(0, 58, 80, 16), "photo", c["muted"], 8)
        self._picture(p, QRectF(16, 104, 48, 48), 9, c["generator"], noisy=True)
        self._text(p, QRectF(0, 152, 80, 16), "painting", c["muted"], 8)
        work = QRectF(98, 60, 44, 44)
        self._picture(p, work, 1, c["accent"])
        self._text(p, QRectF(84, 104, 72, 30), "your picture\n(changes)", c["muted"], 7.5)
        vgg = QRectF(184, 56, 92, 56)
        self._box(p, vgg, "VGG", c["accent"], "trained eyes")
        self._arrow(p, QPointF(70, 36), QPointF(vgg.left() - 4, 66), c["discriminator"])
        self._arrow(p, QPointF(70, 128), QPointF(vgg.left() - 4, 102), c["generator"])
        self._arrow(p, QPointF(work.right() + 4, 84), QPointF(vgg.left() - 4, 84), c["accent"])
        losses = (("content loss", "keeps the layout", c["discriminator"]),
                  ("style loss", "Gram matrices", c["generator"]),
                  ("variation loss", "smoothness", c["real"]))
        for k, (name, note, col) in enumerate(losses):
            box = QRectF(318, 8 + k * 56, 142, 46)
            self._box(p, box, name, col, note)
            self._arrow(p, QPointF(vgg.right() + 4, 84), QPointF(box.left() - 4, box.center().y()), col)
            self._arrow(p, QPointF(box.right() + 4, box.center().y()), QPointF(494, 84))
        self._text(p, QRectF(500, 50, 116, 68), "weighted sum:\nmove every pixel\na little downhill",
                   c["text"], 8.5, True)
        back = QPainterPath(QPointF(558, 120))
        back.cubicTo(QPointF(556, 182), QPointF(126, 184), QPointF(120, 136))
        p.setPen(QPen(c["accent"], 1.6, Qt.PenStyle.DashLine))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawPath(back)

    def _draw_latent(self, p: QPainter) -> None:
        c = self.c
        center = QPointF(130, 89)
        p.setPen(QPen(c["line"], 1))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawEllipse(center, 100, 70)
        self._text(p, QRectF(30, 150, 200, 20), "latent space", c["muted"], 8)
        pts = [QPointF(70, 70), QPointF(130, 40), QPointF(195, 85), QPointF(120, 128)]
        path = QPainterPath(pts[0])
        for a, b in zip(pts, pts[1:] + pts[:1], strict=True):
            mid = QPointF((a.x() + b.x()) / 2 + 10, (a.y() + b.y()) / 2 - 10)
            path.quadTo(mid, b)
        p.setPen(QPen(c["accent"], 2))
        p.drawPath(path)
        for k, pt in enumerate(pts):
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(c["generator"])
            p.drawEllipse(pt, 5, 5)
            self._text(p, QRectF(pt.x() - 30, pt.y() - 24, 60, 16), f"seed {k + 1}", c["muted"], 7.5)
        self._arrow(p, QPointF(250, 89), QPointF(300, 89), label="render")
        for k in range(6):
            self._picture(p, QRectF(312 + k * 50, 64, 44, 44), 3 + (k // 2), c["generator"])
        self._text(p, QRectF(312, 114, 296, 20), "frames of the animation", c["muted"], 8)


# -------------------------------------------------------------------------------------- dialog
class HelpDialog(QDialog):
    """The guide: contents on the left, the sections in one scrolling column on the right."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("helpDialog")
        self.setWindowTitle("How GANs and style transfer work")
        self.setModal(False)
        self._current = HELP_TOPICS[0]
        self.contents = QListWidget(self)
        self.contents.setObjectName("helpContents")
        self.contents.setFixedWidth(236)
        self.contents.setToolTip("Jump to a section")
        self.contents.setWordWrap(True)
        self.sections: dict[str, QWidget] = {}

        column = QWidget()
        column.setObjectName("helpColumn")
        col = QVBoxLayout(column)
        col.setContentsMargins(22, 18, 22, 22)
        col.setSpacing(10)
        intro = QLabel("GAN Art Studio stands on two ideas from deep learning: <b>generative adversarial "
                       "networks</b>, which learn to make new pictures like yours, and <b>neural style "
                       "transfer</b>, which repaints a photo in the manner of a painting. Here is how they "
                       "work, in a few pictures.")
        intro.setWordWrap(True)
        intro.setObjectName("helpIntro")
        col.addWidget(intro)
        for number, section in enumerate(SECTIONS, 1):
            item = QListWidgetItem(f"{number}. {section.title}")
            item.setData(Qt.ItemDataRole.UserRole, section.key)
            item.setSizeHint(QSize(0, 40))
            self.contents.addItem(item)
            box = QWidget(column)
            box.setObjectName(f"help-{section.key}")
            lay = QVBoxLayout(box)
            lay.setContentsMargins(0, 14, 0, 4)
            lay.setSpacing(8)
            title = QLabel(f"{number}. {section.title}", box)
            title.setObjectName("helpTitle")
            diagram = Diagram(section.diagram, box)
            diagram.setObjectName(f"diagram-{section.key}")
            diagram.setToolTip(section.title)
            body = QLabel(section.body.strip(), box)
            body.setObjectName("helpBody")
            body.setWordWrap(True)
            body.setTextFormat(Qt.TextFormat.RichText)
            body.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            lay.addWidget(title)
            lay.addWidget(diagram)
            lay.addWidget(body)
            col.addWidget(box)
            self.sections[section.key] = box
        col.addStretch(1)

        self.scroll = QScrollArea(self)
        self.scroll.setObjectName("helpScroll")
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setWidget(column)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setToolTip("Close the guide (Esc)")
        buttons.button(QDialogButtonBox.StandardButton.Close).setIcon(QIcon())

        row = QHBoxLayout()
        row.setSpacing(0)
        row.addWidget(self.contents)
        row.addWidget(self.scroll, 1)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 10)
        outer.addLayout(row, 1)
        foot = QHBoxLayout()
        foot.setContentsMargins(12, 0, 12, 0)
        foot.addWidget(buttons)
        outer.addLayout(foot)
        self.contents.currentRowChanged.connect(self._on_contents_row)
        self.resize(980, 720)

    def current_section(self) -> str:
        return self._current

    def show_section(self, topic: str | None) -> str:
        """Scroll to a section (aliases allowed) and select it in the contents; returns its key."""
        key = resolve_topic(topic)
        self._current = key
        row = HELP_TOPICS.index(key)
        if self.contents.currentRow() != row:
            self.contents.blockSignals(True)
            self.contents.setCurrentRow(row)
            self.contents.blockSignals(False)
        self._scroll_to(key)
        QTimer.singleShot(0, lambda: self._scroll_to(self._current))  # again once the layout has settled
        return key

    def _scroll_to(self, key: str) -> None:
        box = self.sections[key]
        self.scroll.widget().layout().activate()
        self.scroll.verticalScrollBar().setValue(box.y())

    def _on_contents_row(self, row: int) -> None:
        if 0 <= row < len(HELP_TOPICS):
            self.show_section(HELP_TOPICS[row])


def show_help(topic: str | None = None, parent: QWidget | None = None) -> HelpDialog:
    """Open (or bring forward) the guide at ``topic``; one guide per parent window."""
    if parent is None:
        parent = QApplication.activeWindow()
    holder = parent if parent is not None else QApplication.instance()
    dialog = getattr(holder, "_help_dialog", None)
    if not isinstance(dialog, HelpDialog):
        dialog = HelpDialog(parent)
        holder._help_dialog = dialog
    dialog.show_section(topic)
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    return dialog


def open_help_link(url: str, parent: QWidget | None = None) -> bool:
    """For ``QLabel.linkActivated``: ``help:<topic>`` opens the guide there. False for other links."""
    if not str(url).startswith("help:"):
        return False
    show_help(str(url)[5:], parent)
    return True
