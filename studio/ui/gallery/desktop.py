"""The desktop around the Gallery: the platform's trash and file manager (Qt knows both)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from PySide6.QtCore import QFile, QProcess, QUrl
from PySide6.QtGui import QDesktopServices

__all__ = ["move_to_trash", "open_url", "reveal_in_file_manager"]


def move_to_trash(path: str | Path) -> bool:
    """Move a file or folder to the platform's trash (Qt's freedesktop / macOS / Windows support)."""
    result = QFile.moveToTrash(str(path))
    ok = result[0] if isinstance(result, tuple) else result
    return bool(ok) and not Path(path).exists()


def open_url(url: QUrl) -> bool:
    return QDesktopServices.openUrl(url)


def reveal_in_file_manager(path: str | Path) -> bool:
    """Show a file in the file manager: selected in Finder/Explorer; its folder elsewhere (xdg-open)."""
    path = Path(path)
    if sys.platform == "darwin" and path.exists():
        return QProcess.startDetached("open", ["-R", str(path)])[0]
    if os.name == "nt" and path.exists():
        return QProcess.startDetached("explorer", [f"/select,{path}"])[0]
    folder = path if path.is_dir() else path.parent
    return open_url(QUrl.fromLocalFile(str(folder)))

