"""File ▸ Open recent: every folder, run, photo, generator and recipe the artist opens, newest first.

Opening happens in many places (drops, the File menu, the Gallery, each page's own Open dialogs), so
there is one hook any of them can call without knowing the window: ``note_opened(path)``. The window
listens to it and keeps the list in the preferences file (``Config.recent_files``), always updating the
live preferences object so that a later save (Settings, the welcome) cannot drop new entries.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QWidget

__all__ = ["OpenedPaths", "RecentMenu", "note_opened", "opened_paths"]

EMPTY_TEXT = "Nothing opened yet"


class OpenedPaths(QObject):
    """The process-wide hub: ``opened(path)`` for everything the artist opened."""

    opened = Signal(str)


_HUB: OpenedPaths | None = None


def opened_paths() -> OpenedPaths:
    global _HUB
    if _HUB is None:
        _HUB = OpenedPaths()
    return _HUB


def note_opened(path: str | Path) -> None:
    """Call after a page opened ``path`` from its own dialog: it joins File ▸ Open recent."""
    if str(path):
        opened_paths().opened.emit(str(path))


class RecentMenu(QObject):
    """The menu and the list behind it; ``chosen(path)`` when the artist picks an entry."""

    chosen = Signal(str)

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.menu = QMenu("Open &recent", parent)
        self.menu.setObjectName("recentMenu")
        self.menu.setToolTipsVisible(True)
        self.menu.aboutToShow.connect(self.fill)
        opened_paths().opened.connect(self.remember)
        self.fill()  # never an empty menu, even where aboutToShow comes late (native menu bars)

    def remember(self, path: str) -> None:
        from studio.preferences import current_config, save_config

        cfg = current_config()
        cfg.add_recent(str(Path(path).expanduser()))
        try:
            save_config(cfg)
        except OSError:
            pass  # the list still works for this session
        self.fill()

    def paths(self) -> list[str]:
        """The recent paths that still exist, newest first."""
        from studio.preferences import current_config

        return [p for p in current_config().recent_files if Path(p).exists()]

    def fill(self) -> None:
        self.menu.clear()
        recent = self.paths()
        for path in recent:
            action = self.menu.addAction(Path(path).name or path)
            action.setToolTip(path)
            action.setData(path)
            action.triggered.connect(self._on_action)
        if not recent:
            self.menu.addAction(EMPTY_TEXT).setEnabled(False)

    def entries(self) -> list[str]:
        """What the menu lists now (its entries' texts)."""
        return [a.text() for a in self.menu.actions() if not a.isSeparator()]

    def _on_action(self) -> None:
        action = self.sender()
        if isinstance(action, QAction) and action.data():
            self.chosen.emit(str(action.data()))
