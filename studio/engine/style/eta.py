"""Time left for a style-transfer run, from its progress events (no Qt, no torch: the page and the CLI share it).

A plain steps-per-second rate lies on coarse-to-fine runs, and so does a rate in pixels per second taken at
the first, coarse scale: a 128 px evaluation costs far more per pixel than a 512 px one (fixed overhead per
layer and call), so extrapolating it by pixels made a 12-minute run start at "about 29 min". The estimator
therefore measures the *cost per evaluation* at each scale it has seen and predicts the scales still to come
from the known work per scale (work ∝ pixels, plus the look guide's anchor pixels past it) through a line
``seconds = overhead + rate × work`` fitted to the two largest scales measured. With one scale measured it
extrapolates in proportion to the work, but not by more than one octave (4× the pixels): beyond that it says
nothing until the next scale has been timed.
"""

from __future__ import annotations

import time

from studio.engine.durations import approximate_duration as format_duration

MAX_SINGLE_EXTRAPOLATION = 4.0  # with one measured scale, predict at most this many times its work


def plan_costs(plan: list[tuple[int, int]], look_anchor: int | None = None) -> list[float]:
    """[(long side, evaluations)] → the work of each evaluation: side² (pixels); scales past the look anchor
    (``gatys.look_anchor``) also evaluate the anchor-sized guide, so its pixels are added there."""
    extra = float(plan[look_anchor][0]) ** 2 if look_anchor is not None else 0.0
    return [float(side) ** 2 + (extra if look_anchor is not None and i > look_anchor else 0.0)
            for i, (side, n) in enumerate(plan) for _ in range(int(n))]


class EtaEstimator:
    """Feed it ``update(step, total)``; ask ``seconds_left()``. ``reset(plan_costs(plan))`` at the start of a run."""

    def __init__(self) -> None:
        self.reset()

    def reset(self, step_costs: list[float] | None = None) -> None:
        self._costs = list(step_costs) if step_costs else None
        self._segments: list[tuple[float, int, int]] = []  # (work per evaluation, first step, last step)
        for i, w in enumerate(self._costs or [], start=1):
            if self._segments and self._segments[-1][0] == w:
                self._segments[-1] = (w, self._segments[-1][1], i)
            else:
                self._segments.append((w, i, i))
        self._seconds: dict[float, float] = {}  # work per evaluation → seconds measured at that scale
        self._counts: dict[float, int] = {}  # work per evaluation → evaluations measured at that scale
        self._last_step: int | None = None
        self._last_t = 0.0
        self._measured_s = 0.0
        self._samples = 0
        self._step = 0
        self._total: int | None = None

    def _cost(self, step: int) -> float:
        """Work of evaluation number ``step`` (1-based); 1.0 for every step when the plan does not fit."""
        if self._costs is not None and self._total is not None and len(self._costs) == self._total:
            return self._costs[max(0, min(step, self._total) - 1)]
        return 1.0

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
        first, last = self._cost(self._last_step), self._cost(step)
        if first == last:  # all inside one scale; a step across a boundary also holds set-up time: skipped
            self._seconds[last] = self._seconds.get(last, 0.0) + dt
            self._counts[last] = self._counts.get(last, 0) + (step - self._last_step)
        self._measured_s += dt
        self._samples += 1
        self._last_step, self._last_t = step, now

    def _per_eval(self, work: float) -> float | None:
        """Seconds one evaluation of ``work`` takes: measured, else predicted from the scales measured."""
        if work in self._counts:
            return self._seconds[work] / self._counts[work]
        seen = sorted(self._counts)
        if not seen:
            return None
        measured = [(w, self._seconds[w] / self._counts[w]) for w in seen]
        if len(measured) == 1 or work < seen[0]:
            w0, t0 = measured[0] if work < seen[0] else measured[-1]
            if len(measured) == 1 and work > w0 * MAX_SINGLE_EXTRAPOLATION:
                return None
            return t0 * work / w0
        (w1, t1), (w2, t2) = measured[-2], measured[-1]
        rate = (t2 - t1) / (w2 - w1)
        if rate <= 0:  # noisy timings: fall back to proportion with the largest scale measured
            return t2 * work / w2
        return max(t2 if work > w2 else 0.0, t2 + rate * (work - w2))

    def ready(self) -> bool:
        """Enough seen to say something honest: three measurements over a second, or three seconds."""
        if not self._counts:
            return False
        return (self._samples >= 3 and self._measured_s >= 1.0) or self._measured_s >= 3.0

    def seconds_left(self) -> float | None:
        if not self.ready() or not self._total:
            return None
        step = max(0, min(self._step, self._total))
        fits = self._costs is not None and len(self._costs) == self._total
        segments = self._segments if fits else [(1.0, 1, self._total)]
        left = 0.0
        for w, first, last in segments:
            n = last - max(first - 1, step)
            if n > 0:
                t = self._per_eval(w)
                if t is None:
                    return None
                left += n * t
        return left


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
