"""The one protocol for long work: a Job runs step by step, reports typed events, obeys a token.

The CLI, the Qt bridge and the tests all consume the same event stream, so a feature written as a Job
gets a progress bar, a live GUI view, pause/stop and testability without writing any thread code.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from studio.engine.errors import describe_error
from studio.engine.heap import release_free_memory


class Cancelled(Exception):
    """Raised by ``JobContext.check()`` when a stop was asked; the job unwinds and saves what it must."""


@dataclass(frozen=True)
class Progress:
    step: int
    total: int | None
    text: str = ""


@dataclass(frozen=True)
class Metrics:
    step: int
    values: dict[str, float]


@dataclass(frozen=True)
class Preview:
    """An image worth showing now. ``image`` is a private uint8 HWC copy (RGB or single-channel)."""

    step: int
    image: np.ndarray
    label: str = ""


@dataclass(frozen=True)
class Notice:
    level: str  # "info" | "warning" | "error"
    text: str


@dataclass(frozen=True)
class Finished:
    result: Any = None
    cancelled: bool = False


@dataclass(frozen=True)
class Failed:
    message: str
    details: str = ""


Event = Progress | Metrics | Preview | Notice | Finished | Failed


class JobToken:
    """Thread-safe stop/pause switch shared by whoever runs a job and whoever controls it."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._running = threading.Event()
        self._running.set()

    def stop(self) -> None:
        self._stop.set()
        self._running.set()  # wake a paused job so it can unwind

    def pause(self) -> None:
        if not self._stop.is_set():
            self._running.clear()

    def resume(self) -> None:
        self._running.set()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def wait_if_paused(self, timeout: float | None = None) -> bool:
        """Block while paused. Returns True when running again (or stopping)."""
        return self._running.wait(timeout)


class JobContext:
    """What a running job sees: ``emit`` events and ``check`` the token between steps."""

    def __init__(self, emit: Callable[[Event], None], token: JobToken | None = None,
                 on_pause: Callable[[bool], None] | None = None) -> None:
        self._emit = emit
        self.token = token or JobToken()
        self._on_pause = on_pause

    def emit(self, event: Event) -> None:
        self._emit(event)

    def progress(self, step: int, total: int | None, text: str = "") -> None:
        self._emit(Progress(step, total, text))

    def notice(self, text: str, level: str = "info") -> None:
        self._emit(Notice(level, text))

    def check(self) -> None:
        """Raise Cancelled if a stop was asked; block (cheaply) while paused."""
        if self.token.paused:
            if self._on_pause is not None:
                self._on_pause(True)
            while not self.token.wait_if_paused(0.1):
                pass
            if self._on_pause is not None:
                self._on_pause(False)
        if self.token.stop_requested:
            raise Cancelled()

    @property
    def stopping(self) -> bool:
        return self.token.stop_requested


class Job(Protocol):
    """Anything with a human title and ``run(ctx)`` returning its result."""

    title: str

    def run(self, ctx: JobContext) -> Any: ...


@dataclass
class JobOutcome:
    result: Any = None
    cancelled: bool = False
    error: str | None = None
    details: str = ""
    seconds: float = 0.0
    events: list = field(default_factory=list)


def run_job(job: Job, on_event: Callable[[Event], None] | None = None,
            token: JobToken | None = None, keep_events: bool = False,
            on_pause: Callable[[bool], None] | None = None) -> JobOutcome:
    """Run a job in the calling thread, always ending with exactly one Finished or Failed event."""
    outcome = JobOutcome()

    def emit(ev: Event) -> None:
        if keep_events:
            outcome.events.append(ev)
        if on_event is not None:
            on_event(ev)

    ctx = JobContext(emit, token, on_pause)
    t0 = time.perf_counter()
    try:
        outcome.result = job.run(ctx)
        final: Event = Finished(outcome.result, cancelled=ctx.token.stop_requested)
        outcome.cancelled = ctx.token.stop_requested
    except Cancelled:
        outcome.cancelled = True
        final = Finished(None, cancelled=True)
    except Exception as exc:  # noqa: BLE001 - a job failure must become an event, never a crash
        outcome.error = describe_error(exc)  # one sentence for people; the class name only for a bug
        outcome.details = traceback.format_exc()
        final = Failed(outcome.error, outcome.details)
    outcome.seconds = time.perf_counter() - t0
    emit(final)
    release_free_memory()  # a job's freed buffers go back to the system, not kept by an idle arena
    return outcome
