"""Training curves as data: every step's metrics in growing numpy columns with a smoothed copy, and the
measurements taken only now and then (quality checks) as (step, value) points.

Qt-free, so the plots, the CLI and tests share one buffer: appends stay O(1) on runs of millions of steps,
a resumed run forgets the steps it re-does (``truncate_from``), and the running min/max give plot ranges
without scanning.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

__all__ = ["MetricBuffer", "SparseSeries"]


class SparseSeries:
    """(step, value) pairs for a measurement taken only now and then (quality checks)."""

    def __init__(self) -> None:
        self.steps: list[float] = []
        self.values: list[float] = []

    def __len__(self) -> int:
        return len(self.steps)

    def clear(self) -> None:
        self.steps, self.values = [], []

    def append(self, step: int, value) -> None:
        if isinstance(value, (int, float)) and math.isfinite(value):
            self.steps.append(float(step))
            self.values.append(float(value))

    def truncate_from(self, step: int) -> None:
        keep = int(np.searchsorted(np.asarray(self.steps), step, side="left")) if self.steps else 0
        del self.steps[keep:], self.values[keep:]

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        return np.asarray(self.steps, dtype=np.float64), np.asarray(self.values, dtype=np.float64)

    def bounds(self) -> tuple[float, float] | None:
        return (min(self.values), max(self.values)) if self.values else None

    def last(self) -> float:
        return self.values[-1] if self.values else math.nan


class MetricBuffer:
    """Steps plus one column per series in numpy arrays that grow by doubling (appends stay O(1))."""

    def __init__(self, names: Iterable[str], smoothing: float = 0.95) -> None:
        self.names = list(names)
        self.smoothing = smoothing
        self._cap = 1024
        self._n = 0
        self.steps = np.zeros(self._cap, dtype=np.float64)
        self.raw = {k: np.full(self._cap, np.nan) for k in self.names}
        self.ema = {k: np.full(self._cap, np.nan) for k in self.names}
        self._acc = dict.fromkeys(self.names, 0.0)   # debiased EMA accumulator
        self._weight = dict.fromkeys(self.names, 0.0)
        self._lo = dict.fromkeys(self.names, math.inf)  # running min/max of the raw values: plot ranges
        self._hi = dict.fromkeys(self.names, -math.inf)

    def __len__(self) -> int:
        return self._n

    def clear(self) -> None:
        self._n = 0
        self._acc = dict.fromkeys(self.names, 0.0)
        self._weight = dict.fromkeys(self.names, 0.0)
        self._lo = dict.fromkeys(self.names, math.inf)
        self._hi = dict.fromkeys(self.names, -math.inf)

    def _grow(self) -> None:
        self._cap *= 2
        self.steps = np.resize(self.steps, self._cap)
        for k in self.names:
            self.raw[k] = np.resize(self.raw[k], self._cap)
            self.ema[k] = np.resize(self.ema[k], self._cap)

    def append(self, step: int, values: dict) -> None:
        if self._n == self._cap:
            self._grow()
        i = self._n
        self.steps[i] = step
        s = self.smoothing
        for k in self.names:
            v = values.get(k)
            v = float(v) if isinstance(v, (int, float)) and math.isfinite(v) else math.nan
            self.raw[k][i] = v
            if not math.isnan(v):
                if v < self._lo[k]:
                    self._lo[k] = v
                if v > self._hi[k]:
                    self._hi[k] = v
                self._acc[k] = s * self._acc[k] + (1 - s) * v
                self._weight[k] = s * self._weight[k] + (1 - s)
            self.ema[k][i] = self._acc[k] / self._weight[k] if self._weight[k] > 0 else math.nan
        self._n += 1

    def truncate_from(self, step: int) -> None:
        """Forget records at or after ``step`` (a resumed run re-does them); smoothing restarts there."""
        keep = int(np.searchsorted(self.steps[: self._n], step, side="left"))
        if keep == self._n:
            return
        steps = self.steps[:keep].copy()
        raw = {k: self.raw[k][:keep].copy() for k in self.names}
        self.clear()
        for i in range(keep):
            self.append(int(steps[i]), {k: raw[k][i] for k in self.names})

    def x(self) -> np.ndarray:
        return self.steps[: self._n]

    def y(self, name: str, smoothed: bool) -> np.ndarray:
        return (self.ema if smoothed else self.raw)[name][: self._n]

    def bounds(self, name: str) -> tuple[float, float] | None:
        """Smallest and largest raw value so far (None before the first finite one)."""
        lo, hi = self._lo[name], self._hi[name]
        return (lo, hi) if lo <= hi else None

    def last(self, name: str, smoothed: bool = True) -> float:
        return float(self.y(name, smoothed)[-1]) if self._n else math.nan

    def recent_mean(self, name: str, count: int = 100) -> float:
        if not self._n:
            return math.nan
        tail = self.raw[name][max(0, self._n - count): self._n]
        tail = tail[~np.isnan(tail)]
        return float(tail.mean()) if tail.size else math.nan
