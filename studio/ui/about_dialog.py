"""The About box: versions, the compute device, and where the studio keeps every kind of file.

Reading it never imports torch: the torch version is shown once the engine has loaded it ("loading…"
before). Folders are links that open in the file manager; "Copy details" puts everything on the
clipboard as plain text for a bug report.
"""

from __future__ import annotations

import html
import os
import platform
import sys
from importlib import metadata
from pathlib import Path

from PySide6.QtCore import Qt, QUrl, qVersion
from PySide6.QtGui import QDesktopServices, QGuiApplication, QIcon
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from studio import __version__

__all__ = ["AboutDialog", "about_html", "about_rows", "dist_version"]


def dist_version(name: str) -> str:
    """Installed version without importing the package (importing torch takes seconds)."""
    module = sys.modules.get(name)
    if module is not None and getattr(module, "__version__", None):
        return str(module.__version__)
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def _torch_version(loading: bool) -> str:
    torch = sys.modules.get("torch")
    if torch is not None and getattr(torch, "__version__", None):
        return str(torch.__version__)
    if loading:
        return "loading…"
    return f"not loaded yet ({dist_version('torch')} installed)"


def _models_dir() -> str:
    env = os.environ.get("GAN_STUDIO_MODELS")
    if env:
        return str(Path(env).expanduser())
    try:
        from studio.engine.pretrained import models_dir  # numpy only, never torch

        return str(models_dir())
    except Exception:  # noqa: BLE001
        return "unknown"


def _cache_dir() -> str:
    env = os.environ.get("GAN_STUDIO_CACHE")
    if env:
        return str(Path(env).expanduser())
    import platformdirs

    return str(platformdirs.user_cache_dir("gan-art-studio"))


def about_rows(device: str, workspace: str | None, torch_loading: bool = False) -> list[tuple[str, str, bool]]:
    """(label, value, value is a folder or file) for everything the About box says."""
    from studio.preferences import config_path

    try:
        from PySide6 import __version__ as pyside_version
    except ImportError:  # pragma: no cover
        pyside_version = "?"
    return [
        ("GAN Art Studio", __version__, False),
        ("Python", f"{platform.python_version()} ({platform.system() or sys.platform})", False),
        ("torch", _torch_version(torch_loading), False),
        ("Qt", f"{qVersion()} (PySide6 {pyside_version})", False),
        ("pyqtgraph", dist_version("pyqtgraph"), False),
        ("Compute device", device, False),
        ("Your work is saved in", workspace or "the studio workspace (shown once the engine is ready)",
         bool(workspace)),
        ("Settings file", str(config_path()), True),
        ("Pretrained networks", _models_dir(), True),
        ("Caches (datasets, thumbnails)", _cache_dir(), True),
        ("Messages and errors", "printed to the terminal that started the studio (no log file is kept)", False),
    ]


def about_html(rows: list[tuple[str, str, bool]], muted: str | None = None) -> str:
    if muted is None:
        from studio.ui.theme import theme_colors

        muted = theme_colors()["muted"].name()

    def value(text: str, is_path: bool) -> str:
        if not is_path:
            return html.escape(text)
        folder = Path(text) if Path(text).is_dir() or not Path(text).suffix else Path(text).parent
        return f"<a href='{QUrl.fromLocalFile(str(folder)).toString()}'>{html.escape(text)}</a>"

    table = "".join(f"<tr><td style='padding:2px 14px 2px 0;color:{muted}'>{html.escape(k)}</td>"
                    f"<td style='padding:2px 0'>{value(v, p)}</td></tr>" for k, v, p in rows)
    return ("<h3 style='margin-bottom:4px'>GAN Art Studio</h3>"
            "<p style='margin-bottom:10px'>Train GANs on your own pictures, explore what they learned, "
            "and repaint photos in the style of paintings.</p>"
            f"<table>{table}</table>")


class AboutDialog(QDialog):
    def __init__(self, rows: list[tuple[str, str, bool]], muted: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("aboutDialog")
        self.setWindowTitle("About GAN Art Studio")
        self.rows = rows
        self.label = QLabel(about_html(rows, muted), self)
        self.label.setObjectName("aboutText")
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.label.setOpenExternalLinks(False)
        self.label.linkActivated.connect(self._open)
        self.label.setToolTip("Click a folder to open it in your file manager")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.copy_button = buttons.addButton("Copy details", QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.setToolTip("Copy versions and folders as plain text (handy for a bug report)")
        self.copy_button.clicked.connect(self.copy_details)
        close = buttons.button(QDialogButtonBox.StandardButton.Close)
        close.setToolTip("Close (Esc)")
        close.setDefault(True)
        self.copy_button.setAutoDefault(False)
        for b in buttons.buttons():
            b.setIcon(QIcon())  # plain words, like the rest of the studio
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(22, 18, 22, 14)
        lay.addWidget(self.label)
        lay.addWidget(buttons)
        self.setMinimumWidth(640)

    def details(self) -> str:
        return "\n".join(f"{k}: {v}" for k, v, _ in self.rows)

    def copy_details(self) -> None:
        QGuiApplication.clipboard().setText(self.details())
        self.copy_button.setText("Copied")

    def _open(self, url: str) -> None:
        QDesktopServices.openUrl(QUrl(url))
