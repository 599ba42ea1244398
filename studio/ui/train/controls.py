"""What the Train page's buttons and lines say and allow, from its state: Start / Continue, Pause, Stop,
the start hint, the state line, the notice line with its history, the error banner, and the export
buttons. One place decides, so the page never shows a button it cannot honour.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QMessageBox, QWidget

if TYPE_CHECKING:
    from studio.ui.train.page import TrainPage

__all__ = ["NO_DATA_HINT", "BUSY_STATES", "PageMessages", "has_grids", "set_state", "update_controls"]

NO_DATA_HINT = "Choose pictures first: drop a folder on this page, or pick a built-in set."
BUSY_STATES = ("preparing", "training", "pausing", "paused", "stopping")
NOTICE_HISTORY = 30  # lines kept in the notice line's tooltip


def _repolish(widget: QWidget) -> None:
    widget.style().unpolish(widget)
    widget.style().polish(widget)


def set_state(page: TrainPage, state: str, text: str | None = None) -> None:
    """idle|preparing|training|pausing|paused|stopping|stopped|finished|failed: the state line, the busy
    bar and every control follow."""
    page.state = state
    page.state_label.setText(text if text is not None else page._state_text(state))
    page.state_label.setProperty("state", state)
    _repolish(page.state_label)
    page.progress_bar.setVisible(state in BUSY_STATES)
    if state == "preparing":
        page.progress_bar.setRange(0, 0)
    update_controls(page)


def has_grids(run_dir: Path | None) -> bool:
    if run_dir is None:
        return False
    samples = run_dir / "samples"
    return samples.is_dir() and any(samples.glob("step_*.png"))


def update_controls(page: TrainPage) -> None:
    if page.state == "idle":  # "Idle" / "Ready to start." follows the dataset
        page.state_label.setText(page._state_text("idle"))
    training = page.is_training()
    resume = page._resume_dir is not None
    following = page.follower.is_following()  # another process owns that run: read it, never write it
    ready = page.dataset.data_source() is not None and not page.dataset.is_busy()
    can_start = not page.runner.is_running() and not following and (resume or ready)
    page.start_button.setEnabled(can_start)
    # The app's primary-button style would also paint a disabled button violet: only when usable.
    if bool(page.start_button.property("primary")) != can_start:
        page.start_button.setProperty("primary", can_start)
        _repolish(page.start_button)
    page.start_button.setText("Continue run" if resume or following else "Start training")
    if training:
        hint = ""
    elif following:
        hint = f"This run is in use by {page.follower.holder}; Continue becomes possible when that ends."
    elif page.runner.is_running():
        hint = "Another job is running in the studio."
    elif resume:
        hint = ""
    elif page.dataset.is_busy():
        hint = "Checking the pictures… Start is available when that is done."
    elif page.dataset.summary is not None and page.dataset.summary.error:
        hint = "These pictures can't be used (see Pictures). Choose others to start."
    elif not ready:
        hint = NO_DATA_HINT
    else:
        hint = ""
    page.start_hint.setText(hint)
    page.start_hint.setVisible(bool(hint))
    page.start_button.setToolTip(hint or ("Continue the chosen run." if resume else
                                          "Start a new training run with these pictures and settings."))

    stopping = page.state == "stopping"
    page.pause_button.setEnabled(training and not stopping)
    page.pause_button.setText("Resume" if page.state in ("paused", "pausing") else "Pause")
    page.stop_button.setEnabled(training and not stopping)
    page.resume_run_button.setEnabled(not page.runner.is_running())
    page.settings.set_locked(training or resume or following, except_steps=resume and not training)
    page.settings.setEnabled(True)
    page.dataset.set_locked(training or resume or following)

    run_dir = page.run_dir()
    has_run = run_dir is not None and run_dir.is_dir()
    exporting = page.run_exports.is_running()
    page.save_grid_button.setEnabled(page.samples.current_image() is not None)
    page.gif_button.setEnabled(has_run and not exporting and has_grids(run_dir))
    page.export_button.setEnabled(has_run and page._has_checkpoint and not exporting)
    page.open_folder_button.setEnabled(has_run)
    page.explore_button.setEnabled(has_run and page._has_checkpoint)
    page.samples.refresh_button.setEnabled(training and page.state in ("training", "preparing"))
    page.small_data.update_controls()


class PageMessages(QObject):
    """The notice line (newest message; the last few with their times in its tooltip) and the error
    banner (a sentence; the technical details behind "Details…")."""

    def __init__(self, page: TrainPage) -> None:
        super().__init__(page)
        self.page = page
        self._notices: list[str] = []
        self.failure_details = ""

    def log(self, text: str) -> None:
        """Keep a line in the history without showing it (the state line already says it)."""
        self._notices.append(f"{time.strftime('%H:%M:%S')}  {text}")
        self._notices = self._notices[-NOTICE_HISTORY:]

    def clear(self) -> None:
        self._notices = []
        self.page.notice_label.setText("")
        self.page.notice_label.hide()

    def notice(self, text: str, level: str = "info") -> None:
        label = self.page.notice_label
        self.log(text)
        label.setText(text)
        label.setVisible(bool(text))
        label.setProperty("level", level)
        _repolish(label)
        label.setToolTip("\n".join(self._notices))

    def notices(self) -> list[str]:
        return list(self._notices)

    def error(self, text: str, details: str = "") -> None:
        page = self.page
        self.failure_details = details
        page.error_text.setText(text)
        page.error_details_button.setVisible(bool(details))
        page.error_banner.show()

    def error_message(self) -> str:
        page = self.page
        return page.error_text.text() if page.error_banner.isVisibleTo(page) else ""

    def show_details(self) -> None:
        page = self.page
        box = QMessageBox(QMessageBox.Icon.Warning, "What went wrong", page.error_text.text(),
                          QMessageBox.StandardButton.Close, page)
        box.setDetailedText(self.failure_details)
        box.exec()
