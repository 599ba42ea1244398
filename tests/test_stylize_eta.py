"""The stylize time-left estimate on synthetic runs that follow the engine's real coarse-to-fine schedule."""

from __future__ import annotations

import random

import pytest

from studio.engine.style.eta import EtaEstimator, plan_costs
from studio.engine.style.gatys import StyleSettings, look_anchor, plan_scales


def _seconds_per_eval(side: int, anchor_side: int | None) -> float:
    """A CPU-like cost: a fixed overhead per evaluation plus a part in proportion to the pixels (the overhead is
    why a 128 px evaluation costs about twice as much per pixel as a 512 px one), the look guide adding an
    anchor-sized evaluation past the anchor."""
    t = 0.42 + 1.4e-5 * side * side
    if anchor_side is not None:
        t += 0.42 + 1.4e-5 * anchor_side * anchor_side
    return t


def _simulate(settings: StyleSettings, seed: int = 0):
    """[(time, step, total, true seconds left)] for a run of ``settings``, with ±10 % jitter per evaluation and a
    set-up pause (targets at the new size) at every scale."""
    rng = random.Random(seed)
    plan = plan_scales(settings)
    anchor = look_anchor(plan) if settings.keep_look and settings.look_weight > 0 else None
    total = sum(n for _, n in plan)
    events, t, step = [], 3.0, 0  # 3 s of loading before the first evaluation
    for i, (side, n) in enumerate(plan):
        per = _seconds_per_eval(side, plan[anchor][0] if anchor is not None and i > anchor else None)
        t += 2 * per  # set-up at this size
        for _ in range(n):
            t += per * rng.uniform(0.9, 1.1)
            step += 1
            events.append((t, step))
    end = t
    return plan, anchor, [(when, s, total, end - when) for when, s in events]


@pytest.mark.parametrize("size", [512, 1024, 2048])
def test_eta_is_within_a_quarter_from_the_first_minute(size):
    settings = StyleSettings(size=size)
    plan, anchor, events = _simulate(settings)
    eta = EtaEstimator()
    eta.reset(plan_costs(plan, anchor))
    shown = []
    for when, step, total, truth in events:
        eta.update(step, total, now=when)
        left = eta.seconds_left()
        if left is not None and truth > 30:
            shown.append((when, left, truth))
            assert left == pytest.approx(truth, rel=0.25), (size, when, step, left, truth)
    # an estimate is on show well inside the first minute, not only once the main scale has been timed
    assert shown and shown[0][0] < 60, shown[:1]


def test_a_single_scale_is_not_extrapolated_far():
    """Timed only at 128 px, the page says 'estimating…' rather than a guess 16× the pixels away."""
    eta = EtaEstimator()
    eta.reset(plan_costs([(128, 10), (512, 100)]))
    for step in range(1, 8):
        eta.update(step, 110, now=step * 0.5)
    assert eta.ready() and eta.seconds_left() is None
    eta.update(11, 110, now=10.0)  # into 512 px: timed there from now on
    eta.update(12, 110, now=14.0)
    assert eta.seconds_left() == pytest.approx(98 * 4.0)
