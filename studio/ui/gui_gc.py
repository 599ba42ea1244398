"""Python's cycle collector runs in the GUI thread while the studio's worker threads run.

Automatic collection runs in whichever thread happens to allocate. When a job's thread collects a reference
cycle that holds a Qt wrapper (a widget a closed dialog or page left behind), the QObject is destroyed in that
thread: its destructor takes a Qt lock and then waits for the GIL, while the GUI thread holds the GIL and waits
for the same lock to delete its own objects — the window and the job both hang for good (seen: a training job's
thread building its models, the GUI thread deleting a menu). So while any studio QThread runs, automatic
collection is off and a timer in the GUI thread collects, with Python's own thresholds; when the last worker has
finished, automatic collection is switched back on.
"""

from __future__ import annotations

import gc
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QThread, QTimer

INTERVAL_MS = 100

_timer: QTimer | None = None
_busy: Callable[[], bool] = lambda: False  # noqa: E731 - replaced by start()
_we_disabled = False


def start(busy: Callable[[], bool]) -> None:
    """Workers are about to run (call in the GUI thread); ``busy()`` says whether any still does."""
    global _timer, _busy, _we_disabled
    app = QCoreApplication.instance()
    if app is None or QThread.currentThread() is not app.thread():
        return  # no GUI thread to hand the collection to
    _busy = busy
    if gc.isenabled():
        gc.disable()
        _we_disabled = True
    if _timer is None:
        _timer = QTimer(app)
        _timer.setInterval(INTERVAL_MS)
        _timer.timeout.connect(_tick)
    if not _timer.isActive():
        _timer.start()


def collect_due() -> int | None:
    """One collection as Python would do it now (the youngest generation over its threshold), in this thread."""
    c0, c1, c2 = gc.get_count()
    t0, t1, t2 = gc.get_threshold()
    if c0 <= t0:
        return None
    generation = 2 if (c1 > t1 and c2 > t2) else 1 if c1 > t1 else 0
    gc.collect(generation)
    return generation


def _tick() -> None:
    global _we_disabled
    collect_due()
    if not _busy():
        if _timer is not None:
            _timer.stop()
        if _we_disabled:
            gc.enable()
            _we_disabled = False
