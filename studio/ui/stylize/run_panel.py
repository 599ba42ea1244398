"""The run's buttons and status lines: Start / Stop / Keep, Save / GIF / Copy, the progress line and bar, the
error line, and the offer to save into the workspace after a failed save. It shows what the page tells it; the page decides when a button may be pressed."""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QLabel, QProgressBar, QPushButton, QWidget

from studio.engine.style.eta import EtaEstimator, progress_text
from studio.ui.stylize.texts import LOADING_TEXT
from studio.ui.theme import set_tone


class RunPanel(QObject):
    """Owns the run controls (children of ``host``, placed by the page's layout)."""

    def __init__(self, host: QWidget) -> None:
        super().__init__(host)
        self.start_button = QPushButton("Start", host)
        self.start_button.setProperty("primary", True)
        self.stop_button = QPushButton("Stop", host)
        self.stop_button.setToolTip("Stop and discard this run")
        self.keep_button = QPushButton("Keep current result", host)
        self.keep_button.setToolTip("Stop now and keep the picture as it is")
        self.save_button = QPushButton("Save artwork…", host)
        self.save_button.setToolTip("Save as PNG, JPEG or WebP; the recipe goes inside and beside it (Ctrl+S)")
        self.gif_button = QPushButton("Save timelapse GIF…", host)
        self.gif_button.setToolTip("An animated GIF of the picture being painted")
        self.copy_button = QPushButton("Copy", host)
        self.copy_button.setToolTip("Copy the picture to the clipboard, to paste into another program")
        self.progress_label = QLabel("Add a photo and at least one style painting.", host)
        self.progress_label.setObjectName("stylizeProgress")
        self.progress_label.setWordWrap(True)
        self.progress_bar = QProgressBar(host)
        self.progress_bar.setObjectName("stylizeProgressBar")
        self.progress_bar.setTextVisible(False)
        self.progress_bar.setMaximumHeight(6)
        self.progress_bar.hide()
        self.error_label = QLabel(host)
        self.error_label.setWordWrap(True)
        set_tone(self.error_label, "error")
        self.error_label.hide()
        # after a failed save: where the kept picture can go instead, one click away
        self.fallback_label = QLabel(host)
        self.fallback_label.setObjectName("stylizeFallbackPath")
        self.fallback_label.setWordWrap(True)
        self.fallback_label.hide()
        self.fallback_button = QPushButton("Save to workspace", host)
        self.fallback_button.setObjectName("stylizeFallbackSave")
        self.fallback_button.setToolTip("Save the picture in the workspace's artworks folder, with its recipe")
        self.fallback_button.hide()

    def show_fallback(self, path) -> None:
        """Offer ``path`` (a Path in the workspace) for the picture whose save failed; None takes the offer away."""
        if path is None:
            self.fallback_label.hide()
            self.fallback_button.hide()
            return
        self.fallback_label.setText(f"Save to {path} instead?")
        self.fallback_button.setToolTip(f"Save the picture as {path}, with its recipe beside it")
        self.fallback_label.show()
        self.fallback_button.show()

    def show_error(self, text: str, level: str = "error") -> None:
        self.error_label.setText(text)
        set_tone(self.error_label, "warning" if level == "warning" else "error")
        self.error_label.setVisible(bool(text))

    def error_message(self) -> str:
        return self.error_label.text() if not self.error_label.isHidden() else ""

    def run_started(self, iterations: int) -> None:
        self.progress_bar.setRange(0, max(1, iterations))
        self.progress_bar.setValue(0)
        self.progress_bar.show()
        self.progress_label.setText("Starting…")

    def show_progress(self, ev, eta: EtaEstimator) -> None:
        """A Progress event: loading lines before the first step, then 'Iteration n / N · size · time left'."""
        if ev.step <= 0 or not ev.total:
            self.progress_label.setText(LOADING_TEXT.get(ev.text, ev.text[:1].upper() + ev.text[1:] + "…"))
            return
        eta.update(ev.step, ev.total)
        self.progress_label.setText(progress_text(ev.step, ev.total, ev.text, eta.seconds_left()))
        self.progress_bar.setRange(0, ev.total)
        self.progress_bar.setValue(ev.step)
