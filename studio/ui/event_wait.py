"""Waiting in scripts, tools and benchmarks while Qt keeps running.

In this PySide6 build ``QTest.qWait`` holds the GIL and starves worker threads (the engine loader took 40 s
instead of 1.5 s under it), so everything outside pytest-qt waits with a ``QEventLoop`` that a ``QTimer`` ends.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QEventLoop, QTimer


def wait_ms(ms: int) -> None:
    """Run Qt's event loop for ``ms`` milliseconds (signals, timers and paints go on; the GIL is free)."""
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def wait_until(cond: Callable[[], object], timeout_s: float, step_ms: int = 50) -> bool:
    """Run the event loop until ``cond()`` is true or ``timeout_s`` passes; the last answer of ``cond``."""
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if cond():
            return True
        wait_ms(step_ms)
    return bool(cond())
