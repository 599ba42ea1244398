"""The Gallery page: everything made in the workspace — runs, artworks, animations — newest first.

The room that wires its parts: ``layout`` builds the widgets, ``model`` holds the items and filters them,
``delegate`` paints a cell, ``thumbnails`` makes the pictures off the GUI thread, ``actions`` carries out
open / rename / delete / copy / export, ``dialogs`` asks the artist. This class keeps the scan fresh
(refresh, folder watching), the filters, the selection and the message line.

How it stays fast with thousands of items:
- The scan is the engine's (``scan_workspace``: directory listings and stats, no image decoding), a few
  milliseconds for 1,000 items, so it runs in the GUI thread.
- The grid paints at once with placeholders; thumbnails arrive in batches (``ThumbnailLoader``). Pictures
  being painted are loaded first; a moment later every other item is warmed into the disk cache. Only a
  bounded number of pixmaps is kept in memory.

Startup rule: importing this module imports neither torch nor numpy (Pillow only inside worker threads).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEvent, QFileSystemWatcher, QPoint, QSize, QTimer, Signal
from PySide6.QtWidgets import QBoxLayout, QFileDialog, QLabel, QMenu, QStyle, QWidget

from studio.engine.gallery import (
    GalleryItem,
    ScanResult,
    prune_thumbnail_cache,
    scan_workspace,
    thumbnail_cache_dir,
)
from studio.ui.gallery import dialogs
from studio.ui.gallery.actions import GalleryActions
from studio.ui.gallery.delegate import CELL
from studio.ui.gallery.layout import build_layout
from studio.ui.gallery.model import FILTERS, GalleryFilter, GalleryModel, ItemRole
from studio.ui.gallery.thumbnails import ThumbnailLoader
from studio.ui.workspace import set_workspace_dir, workspace_dir

__all__ = ["GalleryPage"]

WATCH_LIMIT = 400  # folders watched for changes at most
WARM_DELAY_MS = 300  # warming the cache waits this long, so it does not slow the first screen down


class GalleryPage(QWidget):
    """See the module docstring."""

    open_requested = Signal(str, str)  # kind ("run" | "artwork" | "animation"), path
    workspace_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("page-gallery")
        self.busy_check: Callable[[Path], str | None] | None = None  # set by the window: "in use" reasons
        self._root = workspace_dir()
        self._scan: ScanResult | None = None
        self._scanned = False
        self._stale = True
        self._pruned = False
        self._narrow: bool | None = None
        self.last_refresh_seconds = 0.0  # scan + model fill of the latest refresh (benchmarks)

        self.loader = ThumbnailLoader(thumbnail_cache_dir(), parent=self)
        self.model = GalleryModel(self.loader, self)
        self.proxy = GalleryFilter(self)
        self.proxy.setSourceModel(self.model)
        self.watcher = QFileSystemWatcher(self)
        self.watcher.directoryChanged.connect(self._on_folder_changed)
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(400)
        self._refresh_timer.timeout.connect(self._refresh_if_visible)
        self._warm_timer = QTimer(self)  # warm the disk cache once the first screen has its thumbnails
        self._warm_timer.setSingleShot(True)
        self._warm_timer.setInterval(WARM_DELAY_MS)
        self._warm_timer.timeout.connect(self._warm)

        self.item_actions = GalleryActions(self)
        acts = self.item_actions.actions
        # The names other code and tests know these by.
        self.action_buttons = self.item_actions.buttons
        self.open_action, self.reveal_action, self.rename_action = acts["open"], acts["reveal"], acts["rename"]
        self.delete_action, self.copy_action, self.export_action = acts["delete"], acts["copy"], acts["export"]
        build_layout(self)
        self._update_actions()
        self._update_status()

    # -------------------------------------------------------------------------------------- refresh
    def workspace(self) -> Path:
        return self._root

    def refresh(self) -> ScanResult:
        """Scan the workspace again (stats only: fast) and show what is there; thumbnails follow."""
        self._refresh_timer.stop()
        t0 = time.perf_counter()
        self._root = workspace_dir()
        self._recover_saves()
        result = scan_workspace(self._root)
        self._scan = result
        self._scanned = True
        self._stale = False
        keys = [it.key for it in self.selected_items()]
        current = self.view.currentIndex()
        current_key = current.data(ItemRole).key if current.isValid() and current.data(ItemRole) else None
        scroll = self.view.verticalScrollBar().value()
        if self.model.set_items(result.items):
            self.loader.clear()
            self.select_paths(keys, current_key)
            self.view.verticalScrollBar().setValue(scroll)
        self._update_watcher(result)
        self._update_counts()
        self._update_status()
        self._update_empty()
        self._update_actions()
        self.layout().activate()  # the filter buttons' new counts take their width before the next paint
        self._warm_timer.start()
        self.last_refresh_seconds = time.perf_counter() - t0
        if not self._pruned:
            self._pruned = True
            cache = self.loader.cache_dir
            threading.Thread(target=prune_thumbnail_cache, args=(cache,), name="gallery-prune",
                             daemon=True).start()
        return result

    def _recover_saves(self) -> None:
        """A save killed half-way (power cut, crash) is repaired before it is listed: the artist sees the
        earlier version whole, or the new one complete, never a mix. Cheap: one directory listing each."""
        from studio.engine.export import recover_interrupted_saves
        from studio.engine.gallery import workspace_folder

        for kind in ("artwork", "animation"):
            recover_interrupted_saves(workspace_folder(kind, self._root))

    def _warm(self) -> None:
        self.loader.warm(self.model.warm_entries())

    def thumbnails_idle(self) -> bool:
        """No thumbnail is being made or waiting to be (on screen or for the cache)."""
        return self.loader.is_idle() and not self._warm_timer.isActive()

    def refresh_soon(self) -> None:
        """A job finished or a folder changed: rescan shortly if shown, else when next shown."""
        if self.isVisible():
            self._refresh_timer.start()
        else:
            self._stale = True

    def last_scan(self) -> ScanResult | None:
        return self._scan

    def _refresh_if_visible(self) -> None:
        if self.isVisible():
            self.refresh()
        else:
            self._stale = True

    def _on_folder_changed(self, _path: str) -> None:
        self.refresh_soon()

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        self.refresh()  # cheap (stats only), and catches what no watcher sees (new grids inside a run)

    def _update_watcher(self, result: ScanResult) -> None:
        want = [str(p) for p in result.folders[:WATCH_LIMIT]]
        if not result.root.is_dir() and result.root.parent.is_dir():
            want.append(str(result.root.parent))  # the workspace appears with the first thing saved
        have = set(self.watcher.directories())
        gone = [p for p in have if p not in want]
        if gone:
            self.watcher.removePaths(gone)
        new = [p for p in want if p not in have and os.path.isdir(p)]
        if new:
            self.watcher.addPaths(new)

    # ----------------------------------------------------------------------------------- workspace
    def choose_workspace(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose the workspace folder", str(self._root))
        if folder:
            self.set_workspace(folder)

    def set_workspace(self, folder: str | Path) -> None:
        """Keep runs, artworks and animations in ``folder`` from now on, and show what it holds."""
        set_workspace_dir(folder)
        self.loader.clear()
        self.clear_filters()
        self.refresh()
        self.show_message(f"The workspace is now {self._root}. New runs, artworks and animations are saved there.")
        self.workspace_changed.emit(str(self._root))

    # ------------------------------------------------------------------------------------- filters
    def set_filter(self, key: str) -> None:
        self.filter_buttons[key].setChecked(True)
        self.proxy.set_kind(dict((k, kind) for k, _t, kind in FILTERS)[key])
        self._after_filter()

    def _on_filter_clicked(self, button) -> None:
        self.set_filter(str(button.property("filterKey")))

    def set_search(self, text: str) -> None:
        self.search_box.setText(text)  # textChanged filters live

    def _on_search(self, text: str) -> None:
        self.proxy.set_search(text)
        self._after_filter()

    def clear_filters(self) -> None:
        self.search_box.clear()
        self.set_filter("all")

    def _after_filter(self) -> None:
        self._update_status()
        self._update_empty()
        self._update_actions()

    def _update_counts(self) -> None:
        counts = self._scan.counts() if self._scan is not None else {}
        total = sum(counts.values())
        for key, text, kind in FILTERS:
            n = total if kind is None else counts.get(kind, 0)
            self.filter_buttons[key].setText(f"{text}  {n}" if self._scanned else text)

    def _update_status(self) -> None:
        total = self.model.rowCount()
        shown = self.proxy.rowCount()
        noun = "item" if total == 1 else "items"
        count = f"{shown} of {total} {noun}" if shown != total else f"{total} {noun}"
        self.status_label.setText(f"{count} · workspace: {self._root}")
        self.status_label.setToolTip(str(self._root))

    def _update_empty(self) -> None:
        if self.model.rowCount() == 0:
            self.empty_title.setText("Nothing here yet")
            self.empty_text.setText(
                "Training runs from Train, artworks you save in Stylize and animations you export from "
                "Explore appear here, newest first — each with its recipe, so you can open it again just "
                f"as it was made.\n\nThey are kept in your workspace: {self._root}\n"
                "Pictures you put in that folder yourself show up too.")
            self.empty_button.setVisible(False)
            self.stack.setCurrentIndex(1)
        elif self.proxy.rowCount() == 0:
            words = " ".join(self.proxy.search_words())
            kind = next(t for k, t, kd in FILTERS if kd == self.proxy.kind()).lower()
            what = "items" if self.proxy.kind() is None else kind
            self.empty_title.setText("Nothing matches")
            self.empty_text.setText(f"No {what} named “{words}”." if words else f"There are no {what} yet.")
            self.empty_button.setVisible(True)
            self.stack.setCurrentIndex(1)
        else:
            self.stack.setCurrentIndex(0)

    # ---------------------------------------------------------------------------------- selection
    def visible_items(self) -> list[GalleryItem]:
        """What the grid lists now (after filter and search), in order."""
        return [self.proxy.index(r, 0).data(ItemRole) for r in range(self.proxy.rowCount())]

    def selected_items(self) -> list[GalleryItem]:
        rows = sorted(i.row() for i in self.view.selectionModel().selectedIndexes())
        return [self.proxy.index(r, 0).data(ItemRole) for r in rows]

    def select_paths(self, paths: list[str], current: str | None = None) -> None:
        sel = self.view.selectionModel()
        sel.clearSelection()
        for p in paths:
            row = self.model.row_of(p)
            if row is None:
                continue
            idx = self.proxy.mapFromSource(self.model.index(row, 0))
            if idx.isValid():
                sel.select(idx, sel.SelectionFlag.Select)
        target = current if current is not None else (paths[0] if paths else None)
        row = self.model.row_of(target) if target is not None else None
        if row is not None:
            idx = self.proxy.mapFromSource(self.model.index(row, 0))
            if idx.isValid():
                sel.setCurrentIndex(idx, sel.SelectionFlag.NoUpdate)
                self.view.scrollTo(idx)

    def select_item(self, path: str | Path) -> bool:
        self.select_paths([str(path)])
        return any(it.key == str(path) for it in self.selected_items())

    def _single(self) -> GalleryItem | None:
        items = self.selected_items()
        if items:
            cur = self.view.currentIndex()
            item = cur.data(ItemRole) if cur.isValid() else None
            return item if item in items else items[0]
        return None

    def _update_actions(self, *_args) -> None:
        self.item_actions.update(self.selected_items())

    def _context_menu(self, pos: QPoint) -> None:
        idx = self.view.indexAt(pos)
        if idx.isValid() and not self.view.selectionModel().isSelected(idx):
            self.view.setCurrentIndex(idx)
        menu = self.context_menu()
        if not menu.isEmpty():
            menu.exec(self.view.viewport().mapToGlobal(pos))

    def context_menu(self) -> QMenu:
        """The right-click menu for the selection (built fresh; Refresh / Change workspace without one)."""
        return self.item_actions.context_menu(bool(self.selected_items()))

    # ------------------------------------------------------------------------------------- actions
    def _on_activated(self, index) -> None:
        item = index.data(ItemRole)
        if item is not None:
            self.open_item(item)

    def open_selected(self) -> None:
        item = self._single()
        if item is not None:
            self.open_item(item)

    def open_item(self, item: GalleryItem) -> None:
        """Ask the window to open it in its page (artwork → Stylize, run → Train, animation → Explore)."""
        self.item_actions.open_item(item)

    def reveal_selected(self) -> None:
        item = self._single()
        if item is not None:
            self.reveal_path(item.path)

    def reveal_path(self, path: str | Path) -> bool:
        return self.item_actions.reveal_path(path)

    def rename_selected(self) -> None:
        item = self._single()
        if item is None:
            return
        name = self.ask_rename(item)
        if name:
            self.rename(item, name)

    def ask_rename(self, item: GalleryItem) -> str | None:
        """The rename dialog (a method so tests can answer without a modal dialog)."""
        return dialogs.ask_rename(item, self)

    def rename(self, item: GalleryItem, new_name: str) -> Path | None:
        """Rename an item with its recipe (and masks, poster); returns the new path, None if refused."""
        return self.item_actions.rename(item, new_name)

    def delete_selected(self) -> None:
        self.delete(self.selected_items())

    def confirm_delete(self, items: list[GalleryItem]) -> bool:
        """Ask before deleting (a method so tests can answer without a modal dialog)."""
        return dialogs.confirm_delete(items, self)

    def confirm_permanent_delete(self, items: list[GalleryItem]) -> bool:
        """The trash is not available here: ask before deleting for good."""
        return dialogs.confirm_permanent_delete(items, self)

    def delete(self, items: list[GalleryItem], confirm: bool = True) -> int:
        """Move items (with their recipes, masks, posters) to the trash; where there is no trash, ask
        before deleting for good. Returns how many items were removed."""
        return self.item_actions.delete(items, confirm)

    def copy_selected(self) -> None:
        item = self._single()
        if item is not None:
            self.copy(item)

    def copy(self, item: GalleryItem) -> bool:
        """The picture (a run's newest grid, an animation's first frame) and the file, to the clipboard."""
        return self.item_actions.copy(item)

    def export_selected(self) -> None:
        item = self._single()
        if item is not None:
            self.export(item)

    def ask_export_path(self, item: GalleryItem) -> str | None:
        """Where to put a copy (a file dialog; a folder chooser for runs and frame folders)."""
        return dialogs.ask_export_path(item, self)

    def export(self, item: GalleryItem, dest: str | Path | None = None) -> Path | None:
        """Copy an item elsewhere with its recipe (named after the copy). Returns the copy's path."""
        return self.item_actions.export(item, dest)


    # -------------------------------------------------------------------------------------- status
    def show_message(self, text: str, level: str = "info") -> None:
        self.message_frame.setProperty("level", level)
        self.message_frame.style().unpolish(self.message_frame)
        self.message_frame.style().polish(self.message_frame)
        for child in self.message_frame.findChildren(QLabel):
            child.style().unpolish(child)
            child.style().polish(child)
        self.message_label.setText(text)
        self.message_frame.setVisible(bool(text))

    def message(self) -> str:
        return self.message_label.text() if self.message_frame.isVisibleTo(self) else ""

    def thumbnails_pending(self) -> int:
        return self.loader.pending()

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt override
        if watched is self.view and event.type() == QEvent.Type.Resize:
            self._fit_grid()
        return super().eventFilter(watched, event)

    def _fit_grid(self) -> None:
        """Spread the columns over the whole width (no empty strip on the right). The scroll bar's width
        is always set aside, so its coming and going cannot make the layout oscillate."""
        bar = self.view.verticalScrollBar()  # QListView lays out with the style's extent for it, shown or not
        extent = self.view.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent, None, bar)
        avail = self.view.maximumViewportSize().width() - extent - 4
        cols = max(1, avail // CELL.width())
        width = max(CELL.width(), avail // cols)
        if width != self.view.gridSize().width():
            self.view.setGridSize(QSize(width, CELL.height()))

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        narrow = self.width() < 1020
        if narrow != self._narrow:
            self._narrow = narrow
            self._bar.setDirection(QBoxLayout.Direction.TopToBottom if narrow else QBoxLayout.Direction.LeftToRight)

    def shutdown(self, timeout_ms: int = 10_000) -> bool:
        """Stop making thumbnails and join the worker threads (the window calls this when closing)."""
        self._refresh_timer.stop()
        self._warm_timer.stop()
        dirs = self.watcher.directories()
        if dirs:
            self.watcher.removePaths(dirs)
        return self.loader.shutdown(timeout_ms)

