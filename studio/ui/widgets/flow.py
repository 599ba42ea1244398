"""A row of controls that wraps onto the next line when the panel is narrow, instead of squeezing or overlapping.

Qt has no flow layout. Splitters and box layouts ask a child for its minimum size, not for its height at a given
width, so this layout reports as its minimum height the height it needs at the width it was last given, and asks
its parent to lay out again when the number of lines changes. The result: a panel never overlaps or cuts a
button; on a narrow screen the row simply takes two lines. Any page may use it (``FlowLayout(parent)`` then
``addWidget``; ``addStretch`` ends a group that should keep to the right when there is room). ``DownScrollArea``
is its companion for panels that may scroll down on a short screen but must never scroll sideways.
"""

from __future__ import annotations

from math import ceil

from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QLayout,
    QLayoutItem,
    QScrollArea,
    QSizePolicy,
    QSpacerItem,
    QWidget,
    QWidgetItem,
)


class FlowLayout(QLayout):
    """Items left to right, wrapping to a new line where the next item does not fit; every item at its size hint
    (never below its minimum), lines as tall as their tallest item, items centred vertically on their line."""

    def __init__(self, parent: QWidget | None = None, spacing: int = 6, line_spacing: int = 4) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._h_spacing = spacing
        self._v_spacing = line_spacing
        self._last_width = -1
        self._last_height = -1
        self.setContentsMargins(0, 0, 0, 0)

    # ------------------------------------------------------------------ QLayout API
    def addItem(self, item: QLayoutItem) -> None:  # noqa: N802 - Qt override
        self._items.append(item)
        self.invalidate()

    def addWidget(self, widget: QWidget) -> None:  # noqa: N802 - Qt naming
        self.addChildWidget(widget)
        self.addItem(QWidgetItem(widget))

    def addStretch(self) -> None:  # noqa: N802 - Qt naming
        """What follows keeps to the right of its line (a line break point when the row wraps)."""
        self.addItem(QSpacerItem(0, 0, QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum))

    def addSpacing(self, px: int) -> None:  # noqa: N802 - Qt naming
        self.addItem(QSpacerItem(px, 0, QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Minimum))

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 - Qt override
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 - Qt override
        if 0 <= index < len(self._items):
            item = self._items.pop(index)
            self.invalidate()
            return item
        return None

    def expandingDirections(self) -> Qt.Orientation:  # noqa: N802 - Qt override
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt override
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 - Qt override
        return self._arrange(QRect(0, 0, width, 0), place=False)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        """All on one line."""
        m = self.contentsMargins()
        shown = self._shown()
        width = sum(self._hint(i).width() for i in shown) + self._h_spacing * max(0, len(shown) - 1)
        height = max((self._hint(i).height() for i in shown), default=0)
        return QSize(width + m.left() + m.right(), height + m.top() + m.bottom())

    def minimumSize(self) -> QSize:  # noqa: N802 - Qt override
        """As narrow as the widest item; as tall as the lines need at the width last given (one line before)."""
        m = self.contentsMargins()
        shown = self._shown()
        width = max((self._hint(i).width() for i in shown), default=0) + m.left() + m.right()
        if self._last_width > 0:
            height = self.heightForWidth(max(width, self._last_width))
        else:
            height = self.sizeHint().height()
        return QSize(width, height)

    def setGeometry(self, rect: QRect) -> None:  # noqa: N802 - Qt override
        super().setGeometry(rect)
        height = self._arrange(rect, place=True)
        self._last_width = rect.width()
        if height != self._last_height:
            self._last_height = height
            self.invalidate()  # the number of lines changed: the parent must make room (or may take it back)
            parent = self.parentWidget()
            if parent is not None:
                parent.updateGeometry()

    # ------------------------------------------------------------------ placing
    def _shown(self) -> list[QLayoutItem]:
        return [i for i in self._items if not (i.widget() is not None and i.widget().isHidden())]

    @staticmethod
    def _hint(item: QLayoutItem) -> QSize:
        return item.sizeHint().expandedTo(item.minimumSize())

    def _size(self, item: QLayoutItem, width: int) -> QSize:
        """The item's hint. A word-wrapped label asks for its text on one line, or the whole line and the
        height it then needs (Qt's own hint for such a label is a guess that wraps even where there is room)."""
        hint = self._hint(item)
        if not item.hasHeightForWidth():
            return hint
        label = item.widget()
        if isinstance(label, QLabel) and label.wordWrap():
            doc = QTextDocument()
            doc.setDocumentMargin(0)
            doc.setDefaultFont(label.font())
            fmt = label.textFormat()
            if fmt == Qt.TextFormat.RichText or fmt == Qt.TextFormat.AutoText and "<" in label.text():
                doc.setHtml(label.text())
            else:
                doc.setPlainText(label.text())
            margins = label.contentsMargins()
            one_line = ceil(doc.idealWidth()) + 2 * label.margin() + margins.left() + margins.right() + 2
            w = min(one_line, width)
        else:
            w = min(hint.width(), width)
        if w == hint.width():
            return hint
        return QSize(w, max(item.heightForWidth(w), item.minimumSize().height()))

    def _arrange(self, rect: QRect, place: bool) -> int:
        """Lay the items out in ``rect`` (or only measure); return the height the lines need."""
        m = self.contentsMargins()
        area = rect.adjusted(m.left(), m.top(), -m.right(), -m.bottom())
        lines: list[list[tuple[QLayoutItem, QSize]]] = [[]]
        x = 0
        for item in self._shown():
            size = self._size(item, area.width())
            if lines[-1] and x + size.width() > area.width():
                lines.append([])
                x = 0
            if isinstance(item, QSpacerItem) and not lines[-1]:
                continue  # a spacer at the start of a line is no use there
            lines[-1].append((item, size))
            x += size.width() + self._h_spacing
        y = area.y()
        for line in lines:
            if len(line) > 1 and isinstance(line[-1][0], QSpacerItem):
                line = line[:-1]  # nor at its end
            height = max((size.height() for _item, size in line), default=0)
            if place:
                self._place_line(line, QRect(area.x(), y, area.width(), height))
            y += height + self._v_spacing
        return max(0, y - self._v_spacing - area.y()) + m.top() + m.bottom()

    def _place_line(self, line: list[tuple[QLayoutItem, QSize]], rect: QRect) -> None:
        """Items at their sizes; spare width goes to the expanding spacers of the line (left-aligned if none)."""
        fixed = sum(size.width() for item, size in line if not self._stretches(item))
        fixed += self._h_spacing * max(0, len(line) - 1)
        stretches = [item for item, _size in line if self._stretches(item)]
        extra = max(0, rect.width() - fixed) // len(stretches) if stretches else 0
        x = rect.x()
        for item, size in line:
            w = extra if self._stretches(item) else min(size.width(), rect.width())
            h = min(size.height(), rect.height())
            item.setGeometry(QRect(QPoint(x, rect.y() + (rect.height() - h) // 2), QSize(w, h)))
            x += w + self._h_spacing

    @staticmethod
    def _stretches(item: QLayoutItem) -> bool:
        return isinstance(item, QSpacerItem) and bool(item.expandingDirections() & Qt.Orientation.Horizontal)


class DownScrollArea(QScrollArea):
    """A frameless panel that scrolls down, never sideways: it is never narrower than what it holds can be.

    A plain QScrollArea lets a splitter squeeze it to a sliver and then shows a sideways scroll bar; this one
    asks for its content's minimum width (plus the vertical bar) and only a small height, so a short screen
    gets every panel at once, each scrolling down where it must.
    """

    def __init__(self, widget: QWidget, name: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        if name:
            self.setObjectName(name)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setWidget(widget)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        hint = super().minimumSizeHint()
        inner = self.widget()
        if inner is None:
            return hint
        bar = self.verticalScrollBar().sizeHint().width()
        return QSize(inner.minimumSizeHint().expandedTo(inner.minimumSize()).width() + bar + 2 * self.frameWidth(),
                     hint.height())
