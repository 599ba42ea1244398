"""What the GUI benchmarks share: a probe of how long the window could not react."""

from __future__ import annotations

import time

from PySide6.QtCore import QElapsedTimer, QTimer


class StallProbe:
    """Gaps between ticks of a 10 ms timer in the GUI thread: how long the window could not react (a stall)."""

    def __init__(self) -> None:
        self.clock = QElapsedTimer()
        self.timer = QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(self.tick)
        self.gaps: list[float] = []
        self.times: list[float] = []  # monotonic time of each tick, to leave a warm-up out
        self.last = 0

    def start(self) -> None:
        self.clock.start()
        self.last = self.clock.nsecsElapsed()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def tick(self) -> None:
        now = self.clock.nsecsElapsed()
        self.gaps.append((now - self.last) / 1e6)
        self.times.append(time.monotonic())
        self.last = now

    def after(self, t: float) -> list[float]:
        """The gaps that ended at or after monotonic time ``t``."""
        return [g for g, when in zip(self.gaps, self.times, strict=True) if when >= t]
