"""The Explore page's two message strips: what went wrong (error) and what was saved (result)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget


class ErrorBanner(QFrame):
    """A sentence from the engine, shown as it is, under an optional heading that says what was tried."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("errorBanner")
        self.text = QLabel("", self)
        self.text.setObjectName("errorText")
        self.text.setWordWrap(True)
        self.close_button = QPushButton("Dismiss", self)
        self.close_button.setToolTip("Hide this message")
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 4, 8, 4)
        row.addWidget(self.text, 1)
        row.addWidget(self.close_button)
        self.close_button.clicked.connect(self.hide)
        self.hide()

    def show_message(self, message: str, heading: str = "") -> None:
        message = message or "Something went wrong."
        self.text.setText(f"{heading}\n{message}" if heading else message)
        self.show()


class ResultBanner(QFrame):
    """The file just written, with a way to find it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("resultBanner")
        self.path: Path | None = None
        self.text = QLabel("", self)
        self.text.setObjectName("resultText")
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.show_button = QPushButton("Show in folder", self)
        self.show_button.setToolTip("Show the exported file in your file manager")
        self.close_button = QPushButton("Dismiss", self)
        self.close_button.setToolTip("Hide this message")
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 4, 8, 4)
        row.addWidget(self.text, 1)
        row.addWidget(self.show_button)
        row.addWidget(self.close_button)
        self.close_button.clicked.connect(self.hide)
        self.show_button.clicked.connect(self.show_folder)
        self.hide()

    def show_saved(self, path: Path) -> None:
        self.path = Path(path)
        self.text.setText(f"Saved {self.path} (its recipe is beside it)")
        self.show()

    def show_folder(self) -> None:
        if self.path is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.path.parent)))
