"""The status bar's job corner: every job the studio runs, wherever it runs, with its progress.

Pages own their ``JobRunner``s; this room only listens. The window registers each runner once
(``watch``); whichever job started last is the one on show, with "+N more" while others run too, so the
artist who stylizes and then switches to the Gallery still sees the painting progress. When any job ends
``job_ended`` fires, which the window uses to refresh the lists that show its results.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar

__all__ = ["IDLE_TEXT", "JobStatus"]

IDLE_TEXT = "Idle"


@dataclass
class _Shown:
    """What one runner last told us (kept so switching the job on show needs no new event)."""

    title: str = ""
    step: int = 0
    total: int = 0
    text: str = ""
    paused: bool = False


class JobStatus(QObject):
    """Watches runners and keeps ``label`` and ``progress`` (in the status bar) saying what runs."""

    job_ended = Signal(object)  # the runner whose job just ended (finished, stopped or failed)

    def __init__(self, bar: QStatusBar, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel(IDLE_TEXT)
        self.label.setObjectName("jobLabel")
        self.progress = QProgressBar()
        self.progress.setObjectName("jobProgress")
        self.progress.setFixedWidth(160)
        self.progress.setTextVisible(False)
        self.progress.setVisible(False)
        bar.addPermanentWidget(self.label)
        bar.addPermanentWidget(self.progress)
        self._watched: list[QObject] = []
        self._state: dict[int, _Shown] = {}
        self._running: list[QObject] = []  # oldest first; the last one is on show
        self._last_failure: tuple[str, str] | None = None  # (title, message) of the last failed job

    # ------------------------------------------------------------------------------------- setup
    def watch(self, runner: QObject | None) -> bool:
        """Follow ``runner`` from now on (once; None and already-watched runners are skipped)."""
        if runner is None or any(r is runner for r in self._watched):
            return False
        self._watched.append(runner)
        runner.started.connect(self._on_started)
        runner.progress.connect(self._on_progress)
        runner.paused_changed.connect(self._on_paused)
        runner.failed.connect(self._on_failed)
        runner.running_changed.connect(self._on_running)
        runner.destroyed.connect(self._on_destroyed)
        if runner.is_running():  # registered mid-job: show it at once
            self._state[id(runner)] = _Shown(title=runner.title())
            self._running.append(runner)
            self._show()
        return True

    def watched(self) -> list[QObject]:
        return list(self._watched)

    def running(self) -> list[QObject]:
        """Runners with a job now, oldest first."""
        return list(self._running)

    # ----------------------------------------------------------------------------------- events
    def _runner(self) -> QObject | None:
        sender = self.sender()
        return next((r for r in self._watched if r is sender), None)

    def _on_started(self, title: str) -> None:
        runner = self._runner()
        if runner is None:
            return
        self._state[id(runner)] = _Shown(title=title)
        self._running = [r for r in self._running if r is not runner] + [runner]
        self._last_failure = None
        self._show()

    def _on_progress(self, progress) -> None:
        runner = self._runner()
        if runner is None:
            return
        shown = self._state.setdefault(id(runner), _Shown(title=runner.title()))
        shown.step, shown.total, shown.text = int(progress.step), int(progress.total or 0), progress.text or ""
        self._show()

    def _on_paused(self, paused: bool) -> None:
        runner = self._runner()
        if runner is not None and id(runner) in self._state:
            self._state[id(runner)].paused = paused
            self._show()

    def _on_failed(self, failed) -> None:
        runner = self._runner()
        if runner is not None:
            title = self._state.get(id(runner), _Shown(title=runner.title())).title
            self._last_failure = (title, str(getattr(failed, "message", "") or ""))

    def _on_running(self, running: bool) -> None:
        runner = self._runner()
        if runner is None or running:
            return
        self._running = [r for r in self._running if r is not runner]
        self._show()
        self.job_ended.emit(runner)

    def _on_destroyed(self, obj: QObject | None = None) -> None:
        # The runner is half-gone here: compare identities only, never call into it.
        self._watched = [r for r in self._watched if r is not obj]
        self._running = [r for r in self._running if r is not obj]
        self._show()

    # ------------------------------------------------------------------------------------ display
    def _show(self) -> None:
        if not self._running:
            self.progress.setVisible(False)
            if self._last_failure is not None:
                title, message = self._last_failure
                self.label.setText(f"{title} failed")
                self.label.setToolTip(message)
            else:
                self.label.setText(IDLE_TEXT)
                self.label.setToolTip("")
            return
        runner = self._running[-1]
        shown = self._state.get(id(runner), _Shown(title=runner.title()))
        if shown.paused:
            detail = "paused"
        elif shown.text:
            detail = shown.text
        elif shown.total:
            detail = f"{shown.step:,} / {shown.total:,}"
        elif shown.step:
            detail = f"step {shown.step:,}"
        else:
            detail = "starting…"
        others = len(self._running) - 1
        more = f"  (+{others} more)" if others else ""
        # a job whose progress line already starts with its title says it once ("Rendering preview 16 / 49")
        head = detail if shown.title and detail.startswith(shown.title) else f"{shown.title} — {detail}"
        self.label.setText(f"{head}{more}")
        self.label.setToolTip("\n".join(self._state.get(id(r), _Shown()).title for r in self._running)
                              if others else "")
        if shown.total:
            self.progress.setRange(0, shown.total)
            self.progress.setValue(min(shown.step, shown.total))
        else:
            self.progress.setRange(0, 0)
        self.progress.setVisible(True)
