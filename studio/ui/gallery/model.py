"""The Gallery's data for Qt views: the scanned items with their thumbnails, and the kind/search filter."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QPixmap

from studio.engine.gallery import GalleryItem
from studio.engine.gallery_delete import size_text
from studio.ui.gallery.thumbnails import ThumbnailLoader

__all__ = ["FILTERS", "GalleryFilter", "GalleryModel", "ItemRole", "StateRole"]

ItemRole = int(Qt.ItemDataRole.UserRole) + 1
StateRole = int(Qt.ItemDataRole.UserRole) + 2
FILTERS = (("all", "All", None), ("run", "Runs", "run"), ("artwork", "Artworks", "artwork"),
           ("animation", "Animations", "animation"))
PIXMAP_LIMIT = 600  # pixmaps kept in memory; the rest come back from the disk cache when painted


class GalleryModel(QAbstractListModel):
    """The scanned items, newest first; thumbnails are asked for when the view paints them."""

    def __init__(self, loader: ThumbnailLoader, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.loader = loader
        self._items: list[GalleryItem] = []
        self._rows_by_thumb: dict[str, list[int]] = {}
        self._row_by_path: dict[str, int] = {}
        self._pixmaps: OrderedDict[str, QPixmap] = OrderedDict()
        self._broken: dict[str, str] = {}
        self._requested: set[str] = set()
        self._warmed: set[str] = set()
        loader.ready.connect(self._on_ready)

    # -- Qt model ---------------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._items)

    def data(self, index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._items):
            return None
        item = self._items[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return item.name
        if role == ItemRole:
            return item
        if role == Qt.ItemDataRole.DecorationRole:
            return self.pixmap(item)
        if role == StateRole:
            return self.state(item)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(item)
        return None

    def flags(self, index):
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    # -- items ------------------------------------------------------------------------------------
    def set_items(self, items: list[GalleryItem]) -> bool:
        """Show these items; False (and nothing redrawn) when they are what is shown already."""
        if items == self._items:
            return False
        self.beginResetModel()
        self._items = list(items)
        self._rows_by_thumb = {}
        self._row_by_path = {}
        for row, item in enumerate(self._items):
            self._row_by_path[item.key] = row
            tk = item.thumb_key
            if tk is not None:
                self._rows_by_thumb.setdefault(tk, []).append(row)
        self.endResetModel()
        return True

    def items(self) -> list[GalleryItem]:
        return list(self._items)

    def item(self, row: int) -> GalleryItem:
        return self._items[row]

    def row_of(self, path: str | Path) -> int | None:
        return self._row_by_path.get(str(path))

    def warm_entries(self) -> list[tuple[str, Path, int, int]]:
        """Items whose thumbnails are not known to be on disk yet (for ``ThumbnailLoader.warm``)."""
        out = []
        for item in self._items:
            tk = item.thumb_key
            if tk is not None and tk not in self._warmed and tk not in self._pixmaps and tk not in self._broken:
                out.append((tk, item.thumb_source, item.thumb_mtime_ns, item.thumb_size))
        return out

    # -- thumbnails -------------------------------------------------------------------------------
    def pixmap(self, item: GalleryItem) -> QPixmap | None:
        tk = item.thumb_key
        if tk is None:
            return None
        pm = self._pixmaps.get(tk)
        if pm is not None:
            self._pixmaps.move_to_end(tk)
            return pm
        if tk not in self._broken and tk not in self._requested:
            self._requested.add(tk)
            self.loader.request(tk, item.thumb_source, item.thumb_mtime_ns, item.thumb_size)
        return None

    def state(self, item: GalleryItem) -> str:
        """"ready", "loading", "broken" (the thumbnail cannot be made) or "none" (no picture to show)."""
        tk = item.thumb_key
        if tk is None:
            return "none"
        if tk in self._pixmaps:
            return "ready"
        if tk in self._broken:
            return "broken"
        return "loading"

    def thumbnail_error(self, item: GalleryItem) -> str | None:
        tk = item.thumb_key
        return self._broken.get(tk) if tk is not None else None

    def loaded_count(self) -> int:
        return len(self._pixmaps)

    def _on_ready(self, batch: list) -> None:
        changed: list[int] = []
        for key, image, error in batch:
            if error is not None:
                self._broken[key] = error
                self._requested.discard(key)
            elif image is not None:
                self._pixmaps[key] = QPixmap.fromImage(image)
                self._pixmaps.move_to_end(key)
                self._warmed.add(key)
                self._requested.discard(key)
            else:  # warmed into the disk cache (or wanted too late: ask again on the next paint)
                self._warmed.add(key)
                if key not in self._requested:
                    continue
                self._requested.discard(key)
            changed += self._rows_by_thumb.get(key, [])
        while len(self._pixmaps) > PIXMAP_LIMIT:
            old, _ = self._pixmaps.popitem(last=False)
            self._requested.discard(old)
        for row in changed:
            idx = self.index(row, 0)
            self.dataChanged.emit(idx, idx, [Qt.ItemDataRole.DecorationRole, StateRole])

    def _tooltip(self, item: GalleryItem) -> str:
        lines = [f"{item.path}", f"{item.kind.capitalize()} · {item.detail} · {size_text(item.size)} · "
                 f"{time.strftime('%d %b %Y %H:%M', time.localtime(item.modified))}"]
        if item.recipe is not None:
            lines.append(f"Recipe: {item.recipe.name}")
        problem = item.problem or self.thumbnail_error(item)
        if problem:
            lines.append(f"Problem: {problem}")
        return "\n".join(lines)

class GalleryFilter(QSortFilterProxyModel):
    """Kind filter + live name search (every word must appear in the name or file name)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._kind: str | None = None
        self._words: list[str] = []

    def set_kind(self, kind: str | None) -> None:
        self._change(lambda: setattr(self, "_kind", kind))

    def kind(self) -> str | None:
        return self._kind

    def set_search(self, text: str) -> None:
        self._change(lambda: setattr(self, "_words", text.lower().split()))

    def search_words(self) -> list[str]:
        return list(self._words)

    def _change(self, apply: Callable[[], None]) -> None:
        if hasattr(self, "beginFilterChange") and hasattr(self, "endFilterChange"):  # Qt 6.10+
            self.beginFilterChange()
            apply()
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:  # pragma: no cover - older Qt
            apply()
            self.invalidateFilter()

    def filterAcceptsRow(self, row: int, parent) -> bool:  # noqa: N802 - Qt override
        item = self.sourceModel().item(row)
        if self._kind is not None and item.kind != self._kind:
            return False
        if self._words:
            hay = f"{item.name} {item.path.name}".lower()
            return all(w in hay for w in self._words)
        return True

