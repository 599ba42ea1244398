"""One worker for all model work of the Explore page, so the generator is only ever used by one thread.

Requests that arrive while it is busy wait in a small queue that keeps only the newest request of each
kind. Every request carries the *generation* it was made for; results of a generator that has since been
replaced are dropped, so a slow render never paints over a newer one.

Work done ahead of the artist (``BACKGROUND`` kinds: the critic choosing the next batch) gives way: a request of
any other kind stops it at its next cancel point, runs, and the background work starts again after it.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from studio.ui.job_runner import JobRunner

BACKGROUND = frozenset({"next"})  # kinds nobody waits for yet: they yield to any other request


class ExploreJob:
    """A model task: ``fn(ctx)`` runs in the worker thread."""

    def __init__(self, kind: str, title: str, fn: Callable[[Any], Any], token: int,
                 source: Path | None = None) -> None:
        self.kind = kind
        self.title = title
        self.token = token
        self.source = source
        self._fn = fn

    def run(self, ctx) -> Any:
        ctx.progress(0, None, self.title)
        return self._fn(ctx)

    def again(self) -> ExploreJob:
        """The same request, to run from the start."""
        return ExploreJob(self.kind, self.title, self._fn, self.token, self.source)


class RenderQueue(QObject):
    """Runs ExploreJobs one at a time; reports only those of the current generation."""

    result = Signal(object, object)  # job, its result
    failure = Signal(object, object)  # job, Failed
    progress = Signal(object, object)  # job, Progress
    running_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner = JobRunner(self)
        self.token = 0
        self._current: ExploreJob | None = None
        self._pending: OrderedDict[str, ExploreJob] = OrderedDict()
        self.runner.progress.connect(self._on_progress)
        self.runner.finished.connect(self._on_finished)
        self.runner.failed.connect(self._on_failed)
        self.runner.running_changed.connect(self._on_running)

    def new_generation(self) -> int:
        """A new generator is being opened: forget waiting requests; older results will be dropped."""
        self.token += 1
        self._pending.clear()
        return self.token

    def is_busy(self) -> bool:
        return self.runner.is_running() or bool(self._pending)

    def is_working_on(self, kind: str) -> bool:
        """A request of ``kind`` for the current generator is running or waiting."""
        jobs = ([self._current] if self._current is not None else []) + list(self._pending.values())
        return any(j.kind == kind and j.token == self.token for j in jobs)

    def foreground_busy(self) -> bool:
        """Something the artist asked for is running (not only work done ahead of them)."""
        return self.runner.is_running() and self._current is not None and self._current.kind not in BACKGROUND

    def submit(self, kind: str, title: str, fn: Callable[[Any], Any], source: Path | None = None) -> None:
        job = ExploreJob(kind, title, fn, self.token, source)
        if self.runner.is_running():
            self._pending[kind] = job
            self._pending.move_to_end(kind)
            current = self._current
            if kind not in BACKGROUND and current is not None and current.kind in BACKGROUND:
                self.runner.stop()  # it gives way, and starts again (from the beginning) once this one has run
                if current.kind not in self._pending:
                    self._pending[current.kind] = current.again()
            return
        self._pending.pop(kind, None)  # an older request of this kind waiting would paint over this one
        self._current = job
        self.runner.start(job)

    def _start_next(self) -> None:
        while not self.runner.is_running() and self._pending:
            _kind, job = self._pending.popitem(last=False)
            if job.token == self.token:
                self._current = job
                self.runner.start(job)

    def _on_progress(self, progress) -> None:
        if self._current is not None:
            self.progress.emit(self._current, progress)

    def _on_finished(self, finished) -> None:
        job, self._current = self._current, None
        if job is None or finished.cancelled or finished.result is None or job.token != self.token:
            return
        self.result.emit(job, finished.result)

    def _on_failed(self, failed) -> None:
        job, self._current = self._current, None
        if job is not None and job.token == self.token:
            self.failure.emit(job, failed)

    def _on_running(self, running: bool) -> None:
        if not running:
            QTimer.singleShot(0, self._start_next)  # after this job's finished/failed slots
        self.running_changed.emit(running)

    def shutdown(self, timeout_ms: int) -> bool:
        self._pending.clear()
        return self.runner.shutdown(timeout_ms)
