"""Gallery thumbnails made off the GUI thread and handed to it in batches.

Thumbnails are made in short-lived worker threads (Pillow via the engine's ``make_thumbnail``, cached on
disk keyed by path + modification time + size) and handed to the GUI thread in batches by a timer — no
cross-thread signals, no QPixmap outside the GUI thread. Pictures being painted are loaded first (newest
request first, so what is on screen wins while scrolling); cache warming comes after.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QImage

from studio.engine.gallery import THUMB_SIDE, ThumbnailError, make_thumbnail

__all__ = ["BOX", "ThumbnailLoader"]

BOX = 172  # the thumbnail box inside a grid cell (square): thumbnails are scaled to fit it


class ThumbnailLoader(QObject):
    """Makes cached thumbnails in up to ``workers`` short-lived Python threads (they exit when there is
    nothing left to do) and delivers them to the GUI thread in batches from a timer.

    ``request`` wants the picture (it is being painted): newest request first. ``warm`` only fills the
    disk cache, after every wanted picture. ``ready`` carries ``[(key, QImage | None, error | None)]``.
    """

    ready = Signal(list)
    idle = Signal()

    def __init__(self, cache_dir: Path, side: int = THUMB_SIDE, display_side: int = BOX,
                 workers: int | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.cache_dir = Path(cache_dir)
        self.side = side
        self.display_side = display_side
        self.max_workers = workers or max(1, min(4, (os.cpu_count() or 2)))
        self._lock = threading.Lock()
        self._tasks: dict[str, list] = {}  # key -> [source, mtime_ns, size, want_image]
        self._front: deque[str] = deque()  # wanted pictures, LIFO
        self._back: deque[str] = deque()  # cache warming, FIFO
        self._inflight: set[str] = set()
        self._threads: list[threading.Thread] = []
        self._results: deque[tuple] = deque()
        self._stopping = False
        self.made = 0  # thumbnails delivered or warmed (for benchmarks)
        self.errors = 0
        self._timer = QTimer(self)
        self._timer.setInterval(30)
        self._timer.timeout.connect(self._deliver)

    # -- GUI thread -------------------------------------------------------------------------------
    def request(self, key: str, source: Path, mtime_ns: int, size: int) -> None:
        with self._lock:
            task = self._tasks.get(key)
            if task is None:
                self._tasks[key] = [source, mtime_ns, size, True]
            else:
                task[3] = True
            self._front.append(key)
            self._spawn_locked()
        self._start_timer()

    def warm(self, entries: list[tuple[str, Path, int, int]]) -> None:
        with self._lock:
            for key, source, mtime_ns, size in entries:
                if key not in self._tasks:
                    self._tasks[key] = [source, mtime_ns, size, False]
                    self._back.append(key)
            self._spawn_locked()
        self._start_timer()

    def clear(self) -> None:
        """Drop everything not yet started (a refresh or a new workspace asks again)."""
        with self._lock:
            for key in list(self._tasks):
                if key not in self._inflight:
                    del self._tasks[key]
            self._front.clear()
            self._back.clear()

    def pending(self) -> int:
        """Thumbnails asked for and not yet delivered."""
        with self._lock:
            return len(self._tasks) + len(self._results)

    def is_idle(self) -> bool:
        with self._lock:
            return not self._tasks and not self._results and not self._threads

    def shutdown(self, timeout_ms: int = 10_000) -> bool:
        """Stop: nothing new starts, running workers finish their one picture and are joined."""
        with self._lock:
            self._stopping = True
            threads = list(self._threads)
        self.clear()
        deadline = time.monotonic() + timeout_ms / 1000
        for t in threads:
            t.join(max(0.0, deadline - time.monotonic()))
        self._timer.stop()
        self._results.clear()
        with self._lock:
            self._tasks.clear()
            self._inflight.clear()
            self._stopping = False
            return not any(t.is_alive() for t in threads)

    def _start_timer(self) -> None:
        if not self._timer.isActive():
            self._timer.start()

    def _spawn_locked(self) -> None:
        if self._stopping:
            return
        self._threads = [t for t in self._threads if t.is_alive()]
        queued = len(self._front) + len(self._back)
        while len(self._threads) < self.max_workers and queued > len(self._threads):
            t = threading.Thread(target=self._work, name="gallery-thumbnails", daemon=True)
            self._threads.append(t)
            t.start()

    def _deliver(self) -> None:
        batch = []
        while self._results and len(batch) < 256:
            key, image, error, wanted = self._results.popleft()
            if error is not None:
                self.errors += 1
            self.made += 1
            batch.append((key, image, error))
        if batch:
            self.ready.emit(batch)
        if self.is_idle():
            self._timer.stop()
            self.idle.emit()

    # -- worker threads ---------------------------------------------------------------------------
    def _next_locked(self) -> str | None:
        while self._front or self._back:
            key = self._front.pop() if self._front else self._back.popleft()
            if key in self._tasks and key not in self._inflight:
                return key
        return None

    def _work(self) -> None:
        me = threading.current_thread()
        while True:
            with self._lock:
                key = None if self._stopping else self._next_locked()
                if key is None:
                    if me in self._threads:
                        self._threads.remove(me)
                    return
                self._inflight.add(key)
                source, mtime_ns, size, _want = self._tasks[key]
            image, error, path = None, None, None
            try:
                path = make_thumbnail(source, self.cache_dir, self.side, mtime_ns, size)
            except ThumbnailError as exc:
                error = str(exc)
            except Exception as exc:  # noqa: BLE001 - a worker must never die on one picture
                error = f"{type(exc).__name__}: {exc}"
            with self._lock:
                want = bool(self._tasks.get(key, [None, 0, 0, False])[3])
            if want and path is not None:
                image = QImage(str(path))
                if image.isNull():
                    image, error = None, "the cached thumbnail cannot be read"
                elif max(image.width(), image.height()) > self.display_side:
                    image = image.scaled(self.display_side, self.display_side, Qt.AspectRatioMode.KeepAspectRatio,
                                         Qt.TransformationMode.SmoothTransformation)
            with self._lock:
                self._tasks.pop(key, None)
                self._inflight.discard(key)
                self._results.append((key, image, error, want))

