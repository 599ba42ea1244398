"""The training plots hand pyqtgraph a bounded number of points that still draw every spike."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pyqtgraph")

from studio.engine.jobs import Metrics  # noqa: E402
from studio.ui.widgets.training_plots import PeakDecimator, TrainingPlots, decimate_peaks  # noqa: E402


def noisy(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return np.arange(n, dtype=np.float64), rng.normal(1.0, 0.2, n)


def test_decimation_keeps_peaks_bounds_the_count_and_the_last_point():
    x, y = noisy(128_000)  # a whole number of buckets: the newest step must still be drawn as it is
    y[12_345], y[77_777] = 9.0, -7.0  # one spike up, one down: a loss blowing up must stay visible
    buckets = 500
    dx, dy = decimate_peaks(x, y, buckets)
    assert len(dx) == len(dy) <= 2 * buckets + 2 * len(x) / buckets
    assert dy.max() == 9.0 and dy.min() == -7.0
    assert dx[np.argmax(dy)] == 12_345 and dx[np.argmin(dy)] == 77_777  # at their own steps
    assert dx[-1] == x[-1] and dy[-1] == y[-1]
    assert np.all(np.diff(dx) >= 0)  # still in step order: the line does not double back
    # Short series are handed over as they are.
    sx, sy = decimate_peaks(x[:900], y[:900], buckets)
    assert np.array_equal(sx, x[:900]) and np.array_equal(sy, y[:900])


def test_decimation_keeps_gaps_and_grows_incrementally_like_from_scratch():
    x, y = noisy(40_000, seed=1)
    y[10_000:14_000] = np.nan  # augmentation switched off for a while: a gap, not a line across
    dx, dy = decimate_peaks(x, y, 300)
    gap = (dx > 10_200) & (dx < 13_800)
    assert gap.any() and np.isnan(dy[gap]).all()

    live = PeakDecimator()  # a growing run: cached buckets must give what a fresh pass gives
    for n in (700, 5_000, 5_001, 16_000, 16_385, 40_000):
        got = live(x[:n], y[:n], 300)
        want = decimate_peaks(x[:n], y[:n], 300)
        assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1], equal_nan=True)
    y2 = y.copy()
    y2[:20_000] = 5.0  # the history was rewritten (a resumed run): after reset() nothing stale remains
    live.reset()
    got = live(x, y2, 300)
    assert np.nanmax(got[1][got[0] < 19_000]) == 5.0 == np.nanmin(got[1][got[0] < 19_000])


def test_long_run_plots_hold_few_points_until_the_user_zooms_in(qtbot):
    plots = TrainingPlots(max_fps=0.01)  # we redraw by hand
    qtbot.addWidget(plots)
    plots.resize(700, 500)
    plots.show()
    qtbot.waitExposed(plots)
    steps = 20_000
    spike = 15_001
    plots.append([Metrics(s, {"loss_g": 50.0 if s == spike else 1.0 + (s % 7) / 10, "loss_d": 0.5,
                              "d_real": 0.8, "d_fake": 0.2, "img_per_s": 60.0}) for s in range(1, steps + 1)])
    plots.redraw()
    width = plots.loss_plot.getPlotItem().getViewBox().width()
    x, y = plots.curve_data("loss_g", smoothed=False)
    assert 0 < len(x) <= 4 * width < steps
    assert y.max() == 50.0 and x[np.argmax(y)] == spike
    assert x[-1] == steps and y[-1] == pytest.approx(1.0 + (steps % 7) / 10)

    vb = plots.loss_plot.getPlotItem().getViewBox()  # the artist zooms in on 100 steps: every step shows
    vb.setXRange(14_950, 15_050, padding=0)
    vb.sigRangeChangedManually.emit([True, False])
    plots.redraw()
    x, y = plots.curve_data("loss_g", smoothed=False)
    shown = x[(x >= 14_960) & (x <= 15_040)]
    assert np.array_equal(shown, np.arange(14_960, 15_041)) and y.max() == 50.0
    vb.enableAutoRange()  # "A": following the run again, few points again
    plots.redraw()
    assert len(plots.curve_data("loss_g", smoothed=False)[0]) <= 4 * width
    plots.shutdown()


def test_a_live_redraw_touches_one_visible_plot_per_event_loop_turn(qtbot):
    plots = TrainingPlots()
    qtbot.addWidget(plots)
    plots.resize(700, 500)
    plots.show()
    qtbot.waitExposed(plots)
    batch = [Metrics(s, {"loss_g": 1.0, "loss_d": 0.5, "d_real": 0.8, "d_fake": 0.2, "img_per_s": 60.0,
                         "aug_p": 0.1}) for s in range(1, 51)]
    plots.shutdown()  # no redraw of its own: the test starts the live one
    plots.append(batch)
    plots._redraw_live()  # what the throttle timer calls: the first plot now, the others on later turns
    assert len(plots.curve_data("loss_g")[0]) == 50
    assert len(plots.curve_data("d_real")[0]) == 0 and len(plots.curve_data("img_per_s")[0]) == 0
    # then each of the others, the hidden Quality tab's too, and the text line last
    qtbot.waitUntil(lambda: len(plots.curve_data("aug_p")[0]) == 50, timeout=5000)
    assert len(plots.curve_data("d_real")[0]) == 50 and len(plots.curve_data("img_per_s")[0]) == 50
    assert "step 50" in plots.stats_label.text()
    plots.shutdown()
