"""What the artist can do with Gallery items: open, show in folder, rename, delete, copy, export.

``GalleryActions`` owns the QActions (menu entries, shortcuts, the buttons above the grid) and carries each
one out against the page it serves: it asks through the page's ``ask_*`` / ``confirm_*`` methods (so tests
can answer without a modal dialog), reports through ``page.show_message`` and rescans with
``page.refresh``. The file work itself is the engine's (``rename_item``, ``copy_item``, ``delete_items``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QMimeData, QObject, Qt, QUrl
from PySide6.QtGui import QAction, QGuiApplication, QImage, QKeySequence
from PySide6.QtWidgets import QApplication, QMenu, QPushButton, QWidget

from studio.engine.gallery import GalleryError, GalleryItem, copy_item, rename_item
from studio.engine.gallery_delete import delete_items
from studio.ui.gallery.desktop import move_to_trash, reveal_in_file_manager

if TYPE_CHECKING:
    from studio.ui.gallery.page import GalleryPage

__all__ = ["ACTION_KEYS", "GalleryActions"]

ACTION_KEYS = ("open", "reveal", "rename", "delete", "copy", "export")


class GalleryActions(QObject):
    """See the module docstring. ``actions[key]`` and ``buttons[key]`` for every key in ACTION_KEYS."""

    def __init__(self, page: GalleryPage) -> None:
        super().__init__(page)
        self.page = page
        self.actions: dict[str, QAction] = {
            "open": self._action("Open", "Open it in its page with its recipe restored (Enter)", page.open_selected,
                                 QKeySequence(Qt.Key.Key_Return)),
            "reveal": self._action("Show in folder", "Show it in your file manager", page.reveal_selected),
            "rename": self._action("Rename…", "Rename it together with its recipe (F2)", page.rename_selected,
                                   QKeySequence(Qt.Key.Key_F2)),
            "delete": self._action("Delete", "Move it to the trash (Delete)", page.delete_selected,
                                   QKeySequence(QKeySequence.StandardKey.Delete)),
            "copy": self._action("Copy", "Copy the picture to the clipboard (Ctrl+C)", page.copy_selected,
                                 QKeySequence(QKeySequence.StandardKey.Copy)),
            "export": self._action("Export…", "Save a copy somewhere else, with its recipe", page.export_selected),
        }
        self.buttons: dict[str, QPushButton] = {}
        for key in ACTION_KEYS:
            action = self.actions[key]
            b = QPushButton(action.text())
            b.setObjectName(f"gallery-{key}")
            b.setToolTip(action.toolTip())
            b.clicked.connect(action.trigger)
            self.buttons[key] = b

    def _action(self, text: str, tip: str, slot, shortcut: QKeySequence | None = None) -> QAction:
        action = QAction(text, self.page)
        action.setToolTip(tip)
        if shortcut is not None:
            action.setShortcut(shortcut)
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.triggered.connect(slot)
        return action

    def install_shortcuts(self, view: QWidget) -> None:
        for key in ("open", "rename", "delete", "copy"):
            view.addAction(self.actions[key])

    def update(self, items: list[GalleryItem]) -> None:
        """Enable what makes sense for this selection (one item for most; several may be deleted)."""
        one = len(items) == 1
        copyable = one and (items[0].thumb_source is not None or items[0].kind != "run")
        enabled = {"open": one, "reveal": one, "rename": one, "delete": bool(items), "copy": copyable,
                   "export": one}
        for key in ACTION_KEYS:
            self.actions[key].setEnabled(enabled[key])
            self.buttons[key].setEnabled(enabled[key])

    def context_menu(self, has_selection: bool) -> QMenu:
        """The right-click menu (built fresh): the item actions, or Refresh / Change workspace on empty space."""
        menu = QMenu(self.page)
        if not has_selection:
            menu.addAction("Refresh", self.page.refresh)
            menu.addAction("Change workspace…", self.page.choose_workspace)
            return menu
        for key in ("open", "reveal", None, "copy", "export", None, "rename", "delete"):
            if key is None:
                menu.addSeparator()
            else:
                menu.addAction(self.actions[key])
        return menu

    # ------------------------------------------------------------------------------ carrying out
    def open_item(self, item: GalleryItem) -> None:
        page = self.page
        if not item.path.exists():
            page.show_message(f"“{item.name}” is no longer there.", "error")
            page.refresh()
            return
        page.open_requested.emit(item.kind, str(item.path))

    def reveal_path(self, path: str | Path) -> bool:
        ok = reveal_in_file_manager(path)
        if not ok:
            self.page.show_message(f"Could not open a file manager. The file is {path}", "error")
        return ok

    def rename(self, item: GalleryItem, new_name: str) -> Path | None:
        page = self.page
        busy = self._busy(item)
        if busy:
            page.show_message(busy, "error")
            return None
        try:
            new_path = rename_item(item, new_name, workspace=page.workspace())
        except GalleryError as exc:
            page.show_message(str(exc), "error")
            return None
        page.refresh()
        page.select_item(new_path)
        page.show_message(f"Renamed “{item.name}” to “{new_name.strip()}”.")
        return new_path

    def delete(self, items: list[GalleryItem], confirm: bool = True) -> int:
        page = self.page
        items = [it for it in items if it is not None]
        if not items:
            return 0
        busy = [b for b in (self._busy(it) for it in items) if b]
        if busy:
            page.show_message(busy[0], "error")
            return 0
        if confirm and not page.confirm_delete(items):
            return 0
        report = delete_items(items, trash=move_to_trash, confirm_permanent=page.confirm_permanent_delete)
        page.refresh()
        if report.message:
            page.show_message(report.message, report.level)
        return report.removed

    def copy(self, item: GalleryItem) -> bool:
        page = self.page
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(str(item.path))])
        source = item.path if item.kind == "artwork" else item.thumb_source
        image = QImage(str(source)) if source is not None else QImage()
        if not image.isNull():
            mime.setImageData(image)
        elif item.kind == "artwork":
            page.show_message(f"“{item.name}” cannot be read, so only its file was copied.", "error")
        QGuiApplication.clipboard().setMimeData(mime)
        if not image.isNull():
            page.show_message(f"Copied “{item.name}” ({image.width()} × {image.height()} px) to the clipboard.")
        elif item.kind != "artwork":
            page.show_message(f"Copied the file of “{item.name}” (it has no picture to copy).")
        return not image.isNull()

    def export(self, item: GalleryItem, dest: str | Path | None = None) -> Path | None:
        page = self.page
        if dest is None:
            dest = page.ask_export_path(item)
            if not dest:
                return None
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            out = copy_item(item, dest)
        except GalleryError as exc:
            page.show_message(str(exc), "error")
            return None
        finally:
            QApplication.restoreOverrideCursor()
        page.show_message(f"Exported a copy to {out}")
        return out

    def _busy(self, item: GalleryItem) -> str | None:
        check = self.page.busy_check
        return check(item.path) if check is not None else None
