"""The one bridge between Qt and the engine: run any engine Job in a QThread.

Why it looks like this:
- The worker thread never emits a Qt signal per engine event. A training loop can report thousands of
  Metrics a second; the worker only appends to a lock-protected buffer (newest Progress, newest Preview,
  all Metrics, all Notices) and a ~30 Hz QTimer in the GUI thread drains it and emits the signals.
- The only cross-thread signal is the worker's single "done" notice, connected to a bound method of this
  runner (which lives in the GUI thread), so the slot runs in the GUI thread (a lambda would not).
- A running QThread is never destroyed: threads are held in a module registry until they have
  finished, ``shutdown`` stops and joins before a window closes, and a runner destroyed mid-job (its
  page deleted) stops its job so the orphaned thread ends.
- The engine is imported lazily so that building the main window never imports numpy or torch.

Pause semantics: ``paused_changed`` reports the job's *actual* state (the engine calls ``on_pause``
when ``ctx.check()`` starts and stops blocking), delivered by the timer like every other signal.
``is_paused()`` agrees with the last ``paused_changed``; ``is_pause_requested()`` answers at once
whether a pause was asked for (e.g. to show "Pausing..." while a long step finishes).
"""

from __future__ import annotations

import os
import sys
import threading
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QThread, QTimer, Signal

if TYPE_CHECKING:  # pragma: no cover - import cost only for type checkers
    from studio.engine.jobs import Failed, Finished, Job, JobToken, Metrics, Notice, Preview, Progress

__all__ = ["JobRunner", "live_qthreads", "track_thread", "untrack_thread"]

TICK_MS = 33  # ~30 Hz: smooth enough for plots, cheap for the GUI thread

# Threads that have been started and not yet waited for. Holding them here means Python's garbage
# collector can never delete a running QThread (which aborts the process), even if its owner is gone.
_LIVE: set[QThread] = set()


def live_qthreads() -> list[QThread]:
    """QThreads started by the studio's UI that are still running (tests use this to catch leaks)."""
    _prune()
    return list(_LIVE)


def track_thread(thread: QThread) -> None:
    """Hold a started QThread until it has finished (or ``untrack_thread`` after ``thread.wait()``).

    While any runs, Python's cycle collector runs in the GUI thread only (``gui_gc``: a collection in a worker
    thread that destroys a Qt object can deadlock with the GUI thread)."""
    from studio.ui import gui_gc

    _prune()
    _LIVE.add(thread)
    gui_gc.start(lambda: bool(live_qthreads()))


def _prune() -> None:
    # A finished thread may be deleted safely; its owner (if any) still holds its own reference.
    for thread in [t for t in _LIVE if t.isFinished()]:
        _LIVE.discard(thread)


def untrack_thread(thread: QThread) -> None:
    _LIVE.discard(thread)


class _EventBuffer:
    """What the worker has reported since the GUI last looked. All access under one lock."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.progress: Progress | None = None
        self.preview: Preview | None = None
        self.metrics: list[Metrics] = []
        self.notices: list[Notice] = []
        self.paused = False
        self.final: Finished | Failed | None = None

    def take(self) -> tuple[Progress | None, Preview | None, list, list, bool]:
        with self.lock:
            out = (self.progress, self.preview, self.metrics, self.notices, self.paused)
            self.progress = None
            self.preview = None
            self.metrics = []
            self.notices = []
        return out


class _JobThread(QThread):
    """Runs one job to completion; talks to the GUI only through the buffer and ``job_done``."""

    job_done = Signal(int)

    def __init__(self, job: Job, token: JobToken, buffer: _EventBuffer, generation: int) -> None:
        super().__init__()
        self.job = job
        self.token = token
        self.buffer = buffer
        self.generation = generation
        self.setObjectName(f"job:{getattr(job, 'title', type(job).__name__)}")

    def _on_event(self, ev: Any) -> None:
        from studio.engine.jobs import Failed, Finished, Metrics, Notice, Preview, Progress

        buf = self.buffer
        with buf.lock:
            if isinstance(ev, Metrics):
                buf.metrics.append(ev)
            elif isinstance(ev, Progress):
                buf.progress = ev
            elif isinstance(ev, Preview):
                buf.preview = ev  # the engine hands us a private copy; keep only the newest
            elif isinstance(ev, Notice):
                buf.notices.append(ev)
            elif isinstance(ev, Finished | Failed):
                buf.final = ev

    def _on_pause(self, paused: bool) -> None:
        with self.buffer.lock:
            self.buffer.paused = paused

    def run(self) -> None:  # noqa: D401 - QThread entry point, runs in the worker thread
        yield_to_the_window()
        try:
            from studio.engine.jobs import run_job

            run_job(self.job, self._on_event, self.token, on_pause=self._on_pause)
        except BaseException as exc:  # noqa: BLE001 - run_job never raises, but an import or callback can
            import traceback

            from studio.engine.jobs import Failed

            with self.buffer.lock:
                self.buffer.paused = False
                if self.buffer.final is None:
                    self.buffer.final = Failed(f"{type(exc).__name__}: {exc}", traceback.format_exc())
        finally:
            self.job_done.emit(self.generation)


BACKGROUND_NICENESS = 5  # CFS weight 335 against the window's 1024: on two busy cores the window still gets its turn


def yield_to_the_window() -> None:
    """Called in a job's thread before it starts: background work runs at a lower priority than the GUI thread.

    On a machine whose cores the training keeps busy (torch uses one thread per core), the window otherwise waits
    its turn behind the torch workers and a click or a repaint can stall for 100 ms. On Linux niceness is per
    thread and the threads a thread starts (torch's worker pool) inherit it; elsewhere Qt's low priority is used."""
    if sys.platform.startswith("linux") and hasattr(os, "setpriority"):
        try:
            tid = threading.get_native_id()
            os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + BACKGROUND_NICENESS))
        except OSError:
            pass
        return
    thread = QThread.currentThread()
    if thread is not None:
        thread.setPriority(QThread.Priority.LowPriority)


class _StopOnDestroy:
    """Stops the current job if the runner's C++ object is destroyed while a job runs (e.g. its
    parent page was deleted), so the orphaned worker thread ends soon instead of running forever."""

    def __init__(self) -> None:
        self.token: JobToken | None = None

    def owner_destroyed(self, *_args: object) -> None:
        if self.token is not None:
            self.token.stop()


class JobRunner(QObject):
    """Runs one engine Job at a time in a QThread and turns its events into GUI-thread signals.

    ``started`` and ``running_changed(True)`` are emitted synchronously by ``start``; everything else
    comes from the GUI-thread timer (progress, metrics as one list per tick, newest preview, notices,
    paused_changed) and, when the job ends, from one last drain followed by ``finished``/``failed`` and
    ``running_changed(False)``.
    """

    started = Signal(str)
    progress = Signal(object)  # Progress (newest since last tick)
    metrics = Signal(list)  # list[Metrics], in order, everything since last tick
    preview = Signal(object)  # Preview (newest only)
    notice = Signal(object)  # Notice (every one, in order)
    paused_changed = Signal(bool)
    running_changed = Signal(bool)
    finished = Signal(object)  # Finished
    failed = Signal(object)  # Failed

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread: _JobThread | None = None
        self._buffer: _EventBuffer | None = None
        self._token: JobToken | None = None
        self._title = ""
        self._generation = 0
        self._paused = False
        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._drain)
        self._guard = _StopOnDestroy()
        self.destroyed.connect(self._guard.owner_destroyed)

    # ----------------------------------------------------------------------------------- control
    def start(self, job: Job) -> None:
        """Start ``job`` in a worker thread. RuntimeError if a job is already running."""
        if self._thread is not None:
            raise RuntimeError(f"a job is already running: {self._title}")
        from studio.engine.jobs import JobToken

        self._generation += 1
        self._buffer = _EventBuffer()
        self._token = JobToken()
        self._guard.token = self._token
        self._title = str(getattr(job, "title", "") or type(job).__name__)
        self._paused = False
        thread = _JobThread(job, self._token, self._buffer, self._generation)
        thread.job_done.connect(self._on_job_done)  # bound method of a GUI-thread object: queued
        self._thread = thread
        track_thread(thread)
        self._timer.start()
        thread.start()
        self.started.emit(self._title)
        self.running_changed.emit(True)

    def pause(self) -> None:
        """Ask the job to pause at its next ``ctx.check()``; ``paused_changed(True)`` follows then."""
        if self._token is not None:
            self._token.pause()

    def resume(self) -> None:
        if self._token is not None:
            self._token.resume()

    def stop(self) -> None:
        """Ask the job to stop (also wakes a paused job). It ends with ``finished(cancelled=True)``."""
        if self._token is not None:
            self._token.stop()

    def is_running(self) -> bool:
        return self._thread is not None

    def is_paused(self) -> bool:
        """Whether the job is actually paused, as last reported by ``paused_changed``."""
        return self._paused

    def is_pause_requested(self) -> bool:
        """Whether a pause has been asked for and not yet cancelled by resume/stop."""
        return self._token is not None and self._token.paused and not self._token.stop_requested

    def title(self) -> str:
        """Title of the running (or last) job."""
        return self._title

    def wait(self, timeout_ms: int = -1) -> bool:
        """Block until the job ends (``-1``: forever). On success the end signals have been emitted."""
        thread = self._thread
        if thread is None:
            return True
        ok = thread.wait() if timeout_ms is None or timeout_ms < 0 else thread.wait(int(timeout_ms))
        if ok:
            self._finalize()
        return ok

    def shutdown(self, timeout_ms: int = 10_000) -> bool:
        """Stop the job and join its thread (used when a window closes). True when nothing runs now."""
        self.stop()
        return self.wait(timeout_ms)

    # ---------------------------------------------------------------------------- GUI-thread side
    def _drain(self) -> None:
        if self._buffer is not None:
            self._emit_buffered(self._buffer)

    def _emit_buffered(self, buf: _EventBuffer) -> None:
        progress, preview, metrics, notices, paused = buf.take()
        for n in notices:
            self.notice.emit(n)
        if metrics:
            self.metrics.emit(metrics)
        if progress is not None:
            self.progress.emit(progress)
        if preview is not None:
            self.preview.emit(preview)
        if paused != self._paused:
            self._paused = paused
            self.paused_changed.emit(paused)

    def _on_job_done(self, generation: int) -> None:
        if generation == self._generation and self._thread is not None:
            self._thread.wait()  # run() has returned; this only lets the thread leave its finish code
            self._finalize()

    def _finalize(self) -> None:
        """Last drain, end signals, thread clean-up. Called once the thread has ended; re-entrant safe."""
        thread, buf = self._thread, self._buffer
        if thread is None or buf is None:
            return
        # Detach first: a slot reached from the signals below may call wait()/start() on this runner.
        self._thread = None
        self._buffer = None
        self._token = None
        self._guard.token = None
        self._timer.stop()
        untrack_thread(thread)
        thread.job = None  # let the job's memory go now, not whenever the thread object is collected
        thread.deleteLater()
        self._emit_buffered(buf)
        if self._paused:
            self._paused = False
            self.paused_changed.emit(False)
        from studio.engine.jobs import Failed

        final = buf.final
        if final is None:  # pragma: no cover - run() always records a final event
            final = Failed("The job ended without reporting a result.")
        if isinstance(final, Failed):
            self.failed.emit(final)
        else:
            self.finished.emit(final)
        # A slot on finished/failed may already have started the next job; then we are running again.
        if self._thread is None:
            self.running_changed.emit(False)
