"""A row of actions that never overlaps or clips: what does not fit moves into a "⋯" menu, as editors' toolbars do.

A QHBoxLayout refuses to get narrower than all its buttons together, so on a small screen a page either pushes the
window wider than the screen or, squeezed, draws buttons over each other. This row places its items itself: it keeps
as many as fit, in priority order, and offers every hidden button's action in the menu button at its end, with the
same text, enabled state and check mark. A label given ``elastic`` takes the width left over and shows only when its whole
text fits there, so a long hint never pushes a button away (give the same words a tooltip elsewhere).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QAbstractButton, QLabel, QMenu, QSizePolicy, QToolButton, QWidget

from studio.ui.widgets.elided_label import ElidedLabel


@dataclass
class _Item:
    widget: QWidget
    right: bool  # placed from the row's right end
    priority: int  # higher stays longer; pinned items (priority None) always stay
    pinned: bool


class OverflowRow(QWidget):
    """Items from the left (``add``) and the right (``add(right=True)``); the lowest-priority ones hide first when
    the row is narrow, and hidden buttons are reached through ``more_button``'s menu."""

    def __init__(self, parent: QWidget | None = None, spacing: int = 6) -> None:
        super().__init__(parent)
        self._items: list[_Item] = []
        self._elastic: QLabel | None = None
        self._spacing = spacing
        self.more_button = QToolButton(self)
        self.more_button.setObjectName("overflowMore")
        self.more_button.setText("⋯")
        self.more_button.setToolTip("More actions (the window is too narrow to show them all)")
        self.more_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.more_button.setStyleSheet("QToolButton::menu-indicator { image: none; }")
        self.more_menu = QMenu(self.more_button)
        self.more_menu.aboutToShow.connect(self._fill_menu)
        self.more_button.setMenu(self.more_menu)
        self.more_button.hide()
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    # -- building -------------------------------------------------------------------------------------
    def add(self, widget: QWidget, right: bool = False, priority: int = 0, pinned: bool = False) -> None:
        widget.setParent(self)
        self._items.append(_Item(widget, right, priority, pinned))
        widget.show()
        self._relayout()

    def set_elastic(self, label: QLabel) -> None:
        """``label`` fills the gap between the left and right items (an ElidedLabel elides to fit it)."""
        label.setParent(self)
        self._elastic = label
        label.show()
        self._relayout()

    def hidden_buttons(self) -> list[QAbstractButton]:
        """The buttons the row could not show; their actions are in the ⋯ menu."""
        return [i.widget for i in self._items if isinstance(i.widget, QAbstractButton) and i.widget.isHidden()]

    # -- size -----------------------------------------------------------------------------------------
    @staticmethod
    def _width(w: QWidget) -> int:
        return max(w.sizeHint().width(), w.minimumWidth())

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        widths = [self._width(i.widget) for i in self._items]
        if self._elastic is not None:
            full = self._elastic.full_width() if isinstance(self._elastic, ElidedLabel) else self._width(self._elastic)
            widths.append(full)
        return QSize(sum(widths) + self._spacing * max(0, len(widths) - 1), self._height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        pinned = [self._width(i.widget) for i in self._items if i.pinned]
        more = self.more_button.sizeHint().width()
        return QSize(sum(pinned) + more + self._spacing * len(pinned), self._height())

    def _height(self) -> int:
        widgets = [i.widget for i in self._items] + [self.more_button]
        return max(w.sizeHint().height() for w in widgets)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._relayout()

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        self._relayout()

    # -- placing --------------------------------------------------------------------------------------
    def _relayout(self) -> None:
        """Keep the items that fit (dropping the lowest priority, later-added first), then place them."""
        room = self.width()
        sp = self._spacing
        shown = list(self._items)
        more_w = self.more_button.sizeHint().width()

        def need(items: list[_Item], with_more: bool) -> int:
            widths = [self._width(i.widget) for i in items] + ([more_w] if with_more else [])
            return sum(widths) + sp * max(0, len(widths) - 1)

        droppable = sorted((i for i in self._items if not i.pinned),
                           key=lambda i: (i.priority, -self._items.index(i)))
        while need(shown, len(shown) < len(self._items)) > room and droppable:
            shown.remove(droppable.pop(0))
        overflow = len(shown) < len(self._items)
        h = self.height()
        x_left = 0
        for item in self._items:
            item.widget.setVisible(item in shown)
        for item in (i for i in shown if not i.right):
            w = self._width(item.widget)
            item.widget.setGeometry(x_left, (h - item.widget.sizeHint().height()) // 2, w,
                                    item.widget.sizeHint().height())
            x_left += w + sp
        x_right = room
        if overflow:
            x_right -= more_w
            mh = min(h, self._height())  # as tall as the buttons beside it
            self.more_button.setGeometry(x_right, (h - mh) // 2, more_w, mh)
            x_right -= sp
        self.more_button.setVisible(overflow)
        for item in reversed([i for i in shown if i.right]):
            w = self._width(item.widget)
            x_right -= w
            item.widget.setGeometry(x_right, (h - item.widget.sizeHint().height()) // 2, w,
                                    item.widget.sizeHint().height())
            x_right -= sp
        if self._elastic is not None:
            gap = x_right - x_left
            label = self._elastic
            need = label.full_width() if isinstance(label, ElidedLabel) else self._width(label)
            fits = gap >= need  # half a hint helps no one
            self._elastic.setVisible(fits)
            if fits:
                eh = self._elastic.sizeHint().height()
                self._elastic.setGeometry(x_left, (h - eh) // 2, gap, eh)

    def _fill_menu(self) -> None:
        """The hidden buttons, as they are now (text, enabled, checked), in row order."""
        self.more_menu.clear()
        for button in self.hidden_buttons():
            action = self.more_menu.addAction(button.text())
            action.setToolTip(button.toolTip())
            action.setEnabled(button.isEnabled())
            if button.isCheckable():
                action.setCheckable(True)
                action.setChecked(button.isChecked())
            action.triggered.connect(button.click)
