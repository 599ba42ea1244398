"""Favourites strip and keyframe strip: icon lists that reorder by drag, and hand favourites over.

A favourite travels to the timeline as its own MIME type (JSON of the item's data), so a drop on the
keyframe strip copies it (the favourite stays where it is) and anything else dropped there is ignored.
Each list item carries a dict in ``Qt.UserRole``: the favourite (seed, label) or the keyframe plus the
segment that leaves it (frames, easing, interp), so reordering keyframes keeps their timing.
"""

from __future__ import annotations

import json

from PySide6.QtCore import QMimeData, QSize, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QIcon, QKeyEvent
from PySide6.QtWidgets import QAbstractItemView, QListView, QListWidget, QListWidgetItem, QWidget

from studio.engine.latent.favourites import entry_key, valid_entry  # noqa: F401 - also imported from here

FAVOURITE_MIME = "application/x-gan-studio-favourites"
ROLE = Qt.ItemDataRole.UserRole


def item_data(item: QListWidgetItem | None) -> dict:
    data = item.data(ROLE) if item is not None else None
    return dict(data) if isinstance(data, dict) else {}


class _IconStrip(QListWidget):
    """A single row of icon tiles, reorderable by internal drag."""

    order_changed = Signal()

    def __init__(self, icon_px: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(False)
        self.setMovement(QListView.Movement.Static)  # after IconMode (it sets Free): drops reorder rows
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setIconSize(QSize(icon_px, icon_px))
        # wide enough for "seed 99999" whole (Qt elides an item's text to its cell less a margin)
        self.setGridSize(QSize(max(icon_px + 34, self.fontMetrics().horizontalAdvance("seed 99999") + 24),
                               icon_px + 26))
        self.setSpacing(2)
        self.setUniformItemSizes(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setDragEnabled(True)
        self.setAcceptDrops(True)
        self.setDropIndicatorShown(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFixedHeight(icon_px + 26 + 2 * self.frameWidth() + 16)
        self.viewport().setAcceptDrops(True)  # setMovement(Static) switched the viewport's drops off
        self.model().rowsMoved.connect(self._on_rows_moved)

    def _on_rows_moved(self, *_args) -> None:
        self.order_changed.emit()

    def items(self) -> list[QListWidgetItem]:
        return [self.item(i) for i in range(self.count())]

    def datas(self) -> list[dict]:
        return [item_data(it) for it in self.items()]

    def add_entry(self, data: dict, icon: QIcon | None, text: str, row: int | None = None) -> QListWidgetItem:
        item = QListWidgetItem(icon or QIcon(), text)
        item.setData(ROLE, dict(data))
        item.setToolTip(text)
        item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled)
        if row is None or row >= self.count():
            self.addItem(item)
        else:
            self.insertItem(max(0, row), item)
        return item

    def move_row(self, row: int, to: int) -> bool:
        """Move one item (keyboard/button reorder); ``to`` is the final index."""
        if not (0 <= row < self.count() and 0 <= to < self.count()) or row == to:
            return False
        item = self.takeItem(row)
        self.insertItem(to, item)
        self.setCurrentRow(to)
        self.order_changed.emit()
        return True

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        mods = event.modifiers()
        if mods & Qt.KeyboardModifier.ControlModifier and event.key() in (Qt.Key.Key_Left, Qt.Key.Key_Right):
            row = self.currentRow()
            self.move_row(row, row + (-1 if event.key() == Qt.Key.Key_Left else 1))
            return
        super().keyPressEvent(event)


class FavouritesStrip(_IconStrip):
    """Starred samples; drag within to reorder, drag onto the timeline to make keyframes."""

    def __init__(self, icon_px: int = 56, parent: QWidget | None = None) -> None:
        super().__init__(icon_px, parent)
        self.setObjectName("favouritesStrip")
        # DragDrop, not InternalMove: a drag must be able to *copy* onto the timeline (InternalMove only
        # offers Move, and a move accepted elsewhere would delete the favourite here). Drops from other
        # widgets are refused below, so in practice it still only reorders itself.
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.viewport().setAcceptDrops(True)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt override
        if event.source() is not self:
            event.ignore()
            return
        super().dragEnterEvent(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802 - Qt override
        if event.source() is not self:
            event.ignore()
            return
        event.setDropAction(Qt.DropAction.MoveAction)
        super().dragMoveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt override
        if event.source() is not self:
            event.ignore()
            return
        event.setDropAction(Qt.DropAction.MoveAction)
        super().dropEvent(event)

    def mimeTypes(self) -> list[str]:  # noqa: N802 - Qt override
        return [*super().mimeTypes(), FAVOURITE_MIME]

    def mimeData(self, items) -> QMimeData:  # noqa: N802 - Qt override
        mime = super().mimeData(items)
        mime.setData(FAVOURITE_MIME, favourites_payload([item_data(it) for it in items]))
        return mime

    def seeds(self) -> list[int]:
        """Seeds of the plain (seed-only) favourites; variations are named by their latent instead."""
        return [int(d["seed"]) for d in self.datas() if d.get("seed") is not None and not d.get("latent")]

    def keys(self) -> list[int | str | None]:
        return [entry_key(d) for d in self.datas()]


def favourites_payload(entries: list[dict]) -> bytes:
    return json.dumps(entries).encode("utf-8")


def read_favourites_payload(mime: QMimeData) -> list[dict]:
    if not mime.hasFormat(FAVOURITE_MIME):
        return []
    try:
        data = json.loads(bytes(mime.data(FAVOURITE_MIME).data()).decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return []
    return [d for d in data if valid_entry(d)] if isinstance(data, list) else []


class KeyframeStrip(_IconStrip):
    """The timeline's keyframes in order; favourites dropped here become keyframes at the drop point."""

    favourites_dropped = Signal(list, int)  # entries, row to insert at

    def __init__(self, icon_px: int = 56, parent: QWidget | None = None) -> None:
        super().__init__(icon_px, parent)
        self.setObjectName("keyframeStrip")
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)

    def _is_favourite_drop(self, event) -> bool:
        return event.source() is not self and event.mimeData().hasFormat(FAVOURITE_MIME)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt override
        if self._is_favourite_drop(event):
            event.setDropAction(Qt.DropAction.CopyAction)
            event.accept()
            return
        super().dragEnterEvent(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802 - Qt override
        if self._is_favourite_drop(event):
            event.setDropAction(Qt.DropAction.CopyAction)
            event.accept()
            return
        super().dragMoveEvent(event)

    def drop_row(self, pos) -> int:
        """Insert before the item under ``pos`` (after it when on its right half); at the end otherwise."""
        index = self.indexAt(pos)
        if not index.isValid():
            return self.count()
        rect = self.visualRect(index)
        return index.row() + (1 if pos.x() > rect.center().x() else 0)

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt override
        if self._is_favourite_drop(event):
            entries = read_favourites_payload(event.mimeData())
            event.setDropAction(Qt.DropAction.CopyAction)  # the favourite stays in its strip
            event.accept()
            if entries:
                self.favourites_dropped.emit(entries, self.drop_row(event.position().toPoint()))
            return
        super().dropEvent(event)
