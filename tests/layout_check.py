"""Does a window fit? Find controls whose text is cut, that overlap a sibling, or that need sideways scrolling.

Used by ``tests/test_layout.py`` (every page at laptop and desktop sizes, 1×, 1.5× and 2×) and by
``tools/screenshots.py``-style manual checks. What counts as a problem is what an artist would see:

- **cut text**: a label, button, check box, combo box, spin box or group title whose text needs more room than
  the widget has (a word-wrapped label: more height than it has). Text that the widget elides itself ("…")
  fits by definition, because the shown text is then short enough; a widget that draws its own elided text
  while ``text()`` stays whole says so with the dynamic property ``elidesText`` = True.
- **cut off**: a control that sticks out of the widget that holds it, so part of it is never drawn (a layout
  squeezed below its minimum does this). Content inside a scroll area may extend below the viewport — the
  artist can scroll down to it — but not sideways.
- **overlap**: two visible siblings whose rectangles cover each other by more than a couple of pixels.
  Widgets that float on purpose (badges, drop hints over a canvas) set the dynamic property
  ``layoutOverlay`` to True and are left out.
- **sideways scroll**: a panel scroll area (``QScrollArea``) showing a horizontal scroll bar; image canvases
  (``QGraphicsView``) and item views may pan and are left out.
- **window**: the window could not be made as small as asked (its minimum size is larger than the screen).

Qt-only; imports nothing from the studio, so it also checks a page in isolation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractScrollArea,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QGroupBox,
    QLabel,
    QScrollArea,
    QScrollBar,
    QStyle,
    QStyleOptionComboBox,
    QStyleOptionSpinBox,
    QWidget,
)

TOLERANCE_PX = 2


@dataclass(frozen=True)
class Problem:
    kind: str  # "cut text" | "cut off" | "overlap" | "sideways scroll" | "window"
    widget: str  # a readable path to the widget
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.widget} — {self.detail}"


def describe(widget: QWidget) -> str:
    """Class, object name and text of a widget and its named ancestors: enough to find it in the code."""
    parts = []
    w: QWidget | None = widget
    while w is not None and len(parts) < 4:
        name = w.objectName()
        label = type(w).__name__ + (f"#{name}" if name else "")
        parts.append(label)
        w = w.parentWidget()
    text = _text_of(widget)
    shown = f" {text[:40]!r}" if text else ""
    return " < ".join(parts) + shown


def _text_of(widget: QWidget) -> str:
    if isinstance(widget, QLabel):
        return widget.text()
    if isinstance(widget, QAbstractButton):
        return widget.text()
    if isinstance(widget, QComboBox):
        return widget.currentText()
    if isinstance(widget, QGroupBox):
        return widget.title()
    if isinstance(widget, QAbstractSpinBox):
        return widget.text()
    return ""


def _shown(widget: QWidget, root: QWidget) -> bool:
    """Visible, with a real size, and not a separate window."""
    if not widget.isVisibleTo(root) or widget.isWindow():
        return False
    return widget.width() > 0 and widget.height() > 0


def _text_problem(w: QWidget) -> str | None:
    """What part of the text does not fit, or None."""
    fm = w.fontMetrics()
    if w.property("elidesText"):
        return None
    if isinstance(w, QLabel):
        text = w.text()
        if not text or w.pixmap() is not None and not w.pixmap().isNull():
            return None
        rect = w.contentsRect()
        if w.wordWrap():
            need = w.heightForWidth(w.width())
            if need > w.height() + TOLERANCE_PX:
                return f"wrapped text needs {need} px of height, has {w.height()}"
            # a single word longer than the line is cut even when wrapping
            longest = max((fm.horizontalAdvance(word) for word in _plain(text).split()), default=0)
            if longest > rect.width() + TOLERANCE_PX:
                return f"a word needs {longest} px, the label is {rect.width()} px wide"
            return None
        hint = w.sizeHint()
        if hint.width() > w.width() + TOLERANCE_PX:
            return f"needs {hint.width()} px of width, has {w.width()}"
        if hint.height() > w.height() + TOLERANCE_PX and not w.minimumSizeHint().height() <= w.height():
            return f"needs {hint.height()} px of height, has {w.height()}"
        return None
    if isinstance(w, QAbstractButton):
        if not w.text():
            return None
        hint = w.sizeHint()
        if hint.width() > w.width() + TOLERANCE_PX:
            return f"needs {hint.width()} px of width, has {w.width()}"
        if hint.height() > w.height() + TOLERANCE_PX + 4:  # buttons tolerate a slightly tighter frame
            return f"needs {hint.height()} px of height, has {w.height()}"
        return None
    if isinstance(w, QComboBox):
        text = w.currentText()
        if not text or w.isEditable():
            return None
        opt = QStyleOptionComboBox()
        w.initStyleOption(opt)
        field = w.style().subControlRect(QStyle.ComplexControl.CC_ComboBox, opt,
                                         QStyle.SubControl.SC_ComboBoxEditField, w)
        icon = w.iconSize().width() + 4 if not w.itemIcon(w.currentIndex()).isNull() else 0
        need = fm.horizontalAdvance(text) + icon
        if need > field.width() + TOLERANCE_PX:
            return f"shows {need} px of text in a {field.width()} px field"
        return None
    if isinstance(w, QAbstractSpinBox):
        text = w.text()
        if not text:
            return None
        opt = QStyleOptionSpinBox()
        w.initStyleOption(opt)
        field = w.style().subControlRect(QStyle.ComplexControl.CC_SpinBox, opt,
                                         QStyle.SubControl.SC_SpinBoxEditField, w)
        need = fm.horizontalAdvance(text)
        if need > field.width() + TOLERANCE_PX:
            return f"shows {need} px of text in a {field.width()} px field"
        return None
    if isinstance(w, QGroupBox):
        title = w.title()
        if title:
            need = fm.horizontalAdvance(title) + (20 if w.isCheckable() else 8)
            if need > w.width() + TOLERANCE_PX:
                return f"title needs {need} px, the box is {w.width()} px wide"
    return None


def _plain(text: str) -> str:
    if "<" in text and ">" in text:
        return re.sub(r"<[^>]+>", " ", text).replace("&nbsp;", " ")
    return text


def _scrolled(widget: QWidget) -> bool:
    """True for what a scroll area (or an item/graphics view) moves inside its viewport."""
    viewport = widget.parentWidget()
    area = viewport.parentWidget() if viewport is not None else None
    return isinstance(area, QAbstractScrollArea) and area.viewport() is viewport


def _overlay(w: QWidget) -> bool:
    return bool(w.property("layoutOverlay"))


def layout_problems(root: QWidget) -> list[Problem]:
    """Every problem an artist would see in ``root`` as it is laid out now (call after showing and resizing)."""
    problems: list[Problem] = []
    widgets = [w for w in root.findChildren(QWidget) if _shown(w, root)]
    for w in widgets:
        if isinstance(w, QScrollBar):
            continue
        text = _text_problem(w)
        if text:
            problems.append(Problem("cut text", describe(w), text))
        parent = w.parentWidget()
        if parent is not None and not _overlay(w) and not isinstance(parent, QScrollArea):
            prect = QRect(QPoint(0, 0), parent.size())
            g = w.geometry()
            if _scrolled(w):
                pass  # the content a scroll area moves: only sideways matters, checked on the scroll area
            elif not prect.adjusted(-TOLERANCE_PX, -TOLERANCE_PX, TOLERANCE_PX, TOLERANCE_PX).contains(g):
                problems.append(Problem("cut off", describe(w),
                                        f"at {_rect(g)} inside a {parent.width()}×{parent.height()} parent"))
        if isinstance(w, QScrollArea):
            bar = w.horizontalScrollBar()
            if bar.isVisible() and bar.maximum() > TOLERANCE_PX:
                problems.append(Problem("sideways scroll", describe(w),
                                        f"content is {bar.maximum()} px wider than the view"))
    for parent in [root, *widgets]:
        kids = [c for c in parent.children()
                if isinstance(c, QWidget) and _shown(c, root) and not _overlay(c) and not isinstance(c, QScrollBar)]
        for i, a in enumerate(kids):
            for b in kids[i + 1:]:
                inter = a.geometry().intersected(b.geometry())
                if inter.width() > TOLERANCE_PX and inter.height() > TOLERANCE_PX:
                    problems.append(Problem("overlap", describe(a),
                                            f"covers {describe(b)} by {inter.width()}×{inter.height()} px"))
    return problems


def _rect(r: QRect) -> str:
    return f"({r.x()},{r.y()} {r.width()}×{r.height()})"


def fit_window(window: QWidget, width: int, height: int) -> list[Problem]:
    """Resize ``window`` to width×height, lay it out, and say if it refused to get that small."""
    window.resize(width, height)
    app = QApplication.instance()
    for _ in range(3):
        app.processEvents()
    size = window.size()
    if size.width() > width or size.height() > height:
        hint = window.minimumSizeHint()
        return [Problem("window", type(window).__name__,
                        f"asked for {width}×{height}, stays {size.width()}×{size.height()} "
                        f"(minimum {window.minimumWidth()}×{window.minimumHeight()}, hint {hint.width()}×{hint.height()})")]
    return []
