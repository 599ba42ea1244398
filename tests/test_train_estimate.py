"""The time estimate before a run and the live ETA during it share one model and leave warm-up out
(issue 13: "44 min estimated, 17–24 min live ETA")."""

from __future__ import annotations

import time

import pytest

from studio.engine.gan import estimate as est_mod
from studio.engine.gan.estimate import LiveEta, estimate_training_time, time_steps, training_seconds
from studio.engine.gan.trainer import TrainConfig


class SlowStartStepper:
    """A stepper whose first two steps pay a warm-up (allocator, kernel choice) of ``warm`` seconds."""

    def __init__(self, warm: float = 0.25, steady: float = 0.004) -> None:
        self.warm, self.steady, self.calls = warm, steady, 0

    def step(self) -> dict:
        self.calls += 1
        time.sleep(self.warm if self.calls <= 2 else self.steady)
        return {}


def test_warm_up_steps_are_not_timed():
    s = SlowStartStepper()
    per = time_steps(s.step, lambda: None, bench_steps=3, min_seconds=0.0)
    assert per < 0.05  # counting either slow first step would make the median ≥ 0.25 s (or a mean ≥ 0.05 s)
    assert s.calls == 5


def test_a_costly_step_every_fourth_counts_in_the_rate():
    """R1 runs every 4th step: timing single steps, the median would be a cheap step's."""
    calls = []

    def step():
        calls.append(1)
        time.sleep(0.04 if len(calls) % 4 == 0 else 0.002)

    per = time_steps(step, lambda: None, bench_steps=3, warmup=0, min_seconds=0.0, cycle=4)
    assert len(calls) == 12
    assert per > 0.009  # (0.04 + 3 × 0.002) / 4 = 0.0115; single-step median would be 0.002
    assert time_steps(step, lambda: None, bench_steps=3, warmup=0, min_seconds=0.0) < 0.009


def test_estimate_training_time_leaves_warm_up_out(monkeypatch):
    s = SlowStartStepper()
    monkeypatch.setattr(est_mod, "build_stepper", lambda *a, **k: s)
    cfg = TrainConfig.for_preset("lesson-mlp", steps=1000, device="cpu", metrics_every=0)
    est = estimate_training_time(cfg, dataset_count=50, bench_steps=3, include_metrics=False)
    assert est.seconds_per_step < 0.05
    assert est.total_seconds < 50  # 1,000 steps at the warm-up pace would be ≥ 250 s


def test_quality_checks_count_once_in_the_total():
    # 1,000 steps × 0.1 s + 4 checks × 5 s + 30 s of reference features, each exactly once
    assert training_seconds(0.1, 1000, 5.0, 4, 30.0) == pytest.approx(150.0)
    assert training_seconds(0.1, 1000, 5.0, 0, 30.0) == pytest.approx(100.0)  # no checks: no setup either


def feed(eta: LiveEta, steps: range, step_s: float, check_s: float, first_extra: float = 0.0) -> None:
    for step in steps:
        dt = step_s
        if eta.every and step % eta.every == 0:
            dt += check_s + (first_extra if step == eta.every else 0.0)
        eta.observe(step, dt, reference_count=128)


def test_live_eta_counts_checks_still_to_come_once():
    eta = LiveEta(every=100, samples=128)
    feed(eta, range(1, 251), step_s=0.1, check_s=4.0)
    assert eta.seconds_per_step() == pytest.approx(0.1)  # check steps kept out of the step rate
    # 750 steps left × 0.1 s + checks at 300…1000 (8) × 4 s
    assert eta.remaining(250, 1000) == pytest.approx(75.0 + 32.0, rel=0.02)


def test_live_eta_first_check_without_the_one_off_reference():
    eta = LiveEta(every=100, samples=128)
    # the first check also measures 128 training pictures: the samples' share (half) is what repeats
    feed(eta, range(1, 151), step_s=0.1, check_s=4.0, first_extra=4.0)
    assert eta.check_seconds == pytest.approx(4.0, rel=0.02)
    feed(eta, range(151, 201), step_s=0.1, check_s=4.0)  # the second check replaces the guess by a measure
    assert eta.check_seconds == pytest.approx(4.0, rel=0.02)


def test_live_eta_ignores_warm_up_intervals():
    eta = LiveEta(every=0)
    eta.observe(1, 5.0)
    eta.observe(2, 5.0)
    for step in range(3, 30):
        eta.observe(step, 0.1)
    assert eta.remaining(29, 129) == pytest.approx(10.0, rel=0.01)
