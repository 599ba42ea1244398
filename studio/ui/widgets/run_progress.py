"""Time left for a style-transfer run, from its Progress events.

A plain steps-per-second rate lies on coarse-to-fine runs: a step at 512 px costs about four times one
at 256 px, so the estimate would jump up at every new scale. The estimator therefore measures work, not
steps: each step costs (its long side)² — pixels — and the rate is smoothed with an exponential moving
average whose weight depends on elapsed time, so bursts of GUI ticks do not dominate.
"""

from __future__ import annotations

import math
import time
from itertools import accumulate


def format_duration(seconds: float, approximate: bool = True) -> str:
    """'about 1 min 20 s' style: rounded more coarsely as the wait grows, so the text does not flicker."""
    s = max(0.0, float(seconds))
    if not approximate:
        if s < 60:
            return f"{s:.1f} s"
        m, sec = divmod(int(round(s)), 60)
        if m < 60:
            return f"{m} min {sec} s" if sec else f"{m} min"
        h, m = divmod(m, 60)
        return f"{h} h {m} min" if m else f"{h} h"
    if s < 10:
        return "a few seconds"
    if s < 60:
        return f"{int(round(s / 5) * 5)} s"
    if s < 600:
        total = int(round(s / 10) * 10)
        m, sec = divmod(total, 60)
        return f"{m} min {sec} s" if sec else f"{m} min"
    if s < 3600:
        return f"{int(round(s / 60))} min"
    h, m = divmod(int(round(s / 300) * 5), 60)
    return f"{h} h {m} min" if m else f"{h} h"


def plan_costs(plan: list[tuple[int, int]]) -> list[float]:
    """[(long side, steps)] → the cost of each step, relative: side² (pixels)."""
    return [float(side) ** 2 for side, n in plan for _ in range(int(n))]


class EtaEstimator:
    """Feed it ``update(step, total)``; ask ``seconds_left()``. ``reset`` at the start of every run."""

    def __init__(self, tau_s: float = 6.0) -> None:
        self.tau_s = tau_s
        self.reset()

    def reset(self, step_costs: list[float] | None = None) -> None:
        self._cum = [0.0, *accumulate(step_costs)] if step_costs else None
        self._rate: float | None = None  # work units per second, smoothed
        self._last_step: int | None = None
        self._last_t = 0.0
        self._measured_s = 0.0
        self._samples = 0
        self._step = 0
        self._total: int | None = None

    def _work(self, step: int) -> float:
        if self._cum is not None and self._total is not None and len(self._cum) == self._total + 1:
            return self._cum[max(0, min(step, self._total))]
        return float(step)

    def update(self, step: int, total: int | None, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        self._total = total
        self._step = step
        if step <= 0:
            return  # still loading: the clock starts with the first finished step
        if self._last_step is None or step < self._last_step:
            self._last_step, self._last_t = step, now
            return
        dt = now - self._last_t
        if step == self._last_step or dt <= 0:
            return
        inst = (self._work(step) - self._work(self._last_step)) / dt
        if self._rate is None:
            self._rate = inst
        else:
            alpha = 1.0 - math.exp(-dt / self.tau_s)
            self._rate += alpha * (inst - self._rate)
        self._measured_s += dt
        self._samples += 1
        self._last_step, self._last_t = step, now

    def ready(self) -> bool:
        """Enough seen to say something honest: three measurements over a second, or three seconds."""
        if self._rate is None or self._rate <= 0:
            return False
        return (self._samples >= 3 and self._measured_s >= 1.0) or self._measured_s >= 3.0

    def seconds_left(self) -> float | None:
        if not self.ready() or not self._total:
            return None
        return max(0.0, (self._work(self._total) - self._work(self._step)) / self._rate)


def progress_text(step: int, total: int | None, detail: str, seconds_left: float | None) -> str:
    """'Iteration 120 / 300 · 512 px · about 1 min 20 s left'."""
    parts = [f"Iteration {step} / {total}" if total else f"Iteration {step}"]
    if detail:
        parts.append(detail)
    if total and step >= total:
        parts.append("finishing")
    elif seconds_left is None:
        parts.append("estimating time left…")
    elif seconds_left < 10:
        parts.append("a few seconds left")
    else:
        parts.append(f"about {format_duration(seconds_left)} left")
    return " · ".join(parts)
