"""Live training curves: losses, what D believes, and speed — cheap to redraw on long runs."""

from __future__ import annotations

import math
import time
from collections.abc import Iterable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QGridLayout, QLabel, QVBoxLayout, QWidget

# name in Metrics.values -> (legend text, colour)
SERIES = {
    "loss_g": ("Generator (G)", "#f0a040"),
    "loss_d": ("Discriminator (D)", "#4aa3f0"),
    "d_real": ("D(x) on real pictures", "#5cc98a"),
    "d_fake": ("D(G(z)) on fakes", "#e0609a"),
    "img_per_s": ("images / s", "#c0c0c0"),
    "d_skipped": ("D update skipped", "#888888"),
}
PLOT_BACKGROUND = "#1b1d21"
HEALTHY_HINT = "Wobbling losses are healthy: G and D are competing. Warning signs: D's loss stuck near 0, " \
    "or samples that all look alike."
HEALTHY_DETAILS = (
    "A GAN is a contest, so neither loss should steadily fall to zero: when one network gains, the other "
    "catches up. If D's loss stays near 0, D wins and G stops learning (the lesson's balance problem): "
    "lower D's learning rate, or set 'Skip D while loss below' to about 0.1. If every sample looks the "
    "same, the generator has found one picture that fools D (mode collapse): try a lower learning rate "
    "or restart with another seed."
)


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

    def __len__(self) -> int:
        return self._n

    def clear(self) -> None:
        self._n = 0
        self._acc = dict.fromkeys(self.names, 0.0)
        self._weight = dict.fromkeys(self.names, 0.0)

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

    def last(self, name: str, smoothed: bool = True) -> float:
        return float(self.y(name, smoothed)[-1]) if self._n else math.nan

    def recent_mean(self, name: str, count: int = 100) -> float:
        if not self._n:
            return math.nan
        tail = self.raw[name][max(0, self._n - count): self._n]
        tail = tail[~np.isnan(tail)]
        return float(tail.mean()) if tail.size else math.nan


def _make_plot(title: str, y_label: str) -> pg.PlotWidget:
    widget = pg.PlotWidget(background=PLOT_BACKGROUND)
    item = widget.getPlotItem()
    item.setTitle(title, size="10pt")
    item.setLabel("left", y_label)
    item.setLabel("bottom", "step")
    item.showGrid(x=True, y=True, alpha=0.15)
    # Long runs stay fast: draw only what is visible, and at most ~one point per pixel (peaks kept).
    item.setDownsampling(auto=True, mode="peak")
    item.setClipToView(True)
    item.setMenuEnabled(True)
    for axis in ("left", "bottom"):
        item.getAxis(axis).enableAutoSIPrefix(False)  # never "probability (x0.001)"
    widget.setMinimumHeight(110)
    # Round numbers on the empty plot (no "0.2 0.4 0.6" step axis before the first step).
    item.getViewBox().setRange(xRange=(0, 100), yRange=(0, 1), padding=0)
    item.enableAutoRange()
    return widget


class TrainingPlots(QWidget):
    """Three small plots fed by ``append(list[Metrics])``; redraws at most ``max_fps`` times a second
    (15: smooth for training curves, and the CPU is left to the training run)."""

    def __init__(self, parent: QWidget | None = None, max_fps: float = 15.0) -> None:
        super().__init__(parent)
        self.buffer = MetricBuffer(SERIES)
        self._min_interval = 1.0 / max_fps
        self._last_draw = 0.0
        self._dirty = False
        self._redraw_timer = QTimer(self)
        self._redraw_timer.setSingleShot(True)
        self._redraw_timer.timeout.connect(self.redraw)

        self.loss_plot = _make_plot("Losses", "loss")
        self.d_plot = _make_plot("What D believes", "probability")
        self.speed_plot = _make_plot("Speed", "images / s")
        # D's outputs are probabilities: a fixed 0..1 scale shows at a glance who is winning.
        self.d_plot.getPlotItem().setYRange(0.0, 1.0, padding=0.02)
        self.d_plot.getPlotItem().enableAutoRange(axis="y", enable=False)
        self.d_plot.getPlotItem().setMouseEnabled(x=True, y=False)
        self.loss_plot.setObjectName("lossPlot")
        self.d_plot.setObjectName("dPlot")
        self.speed_plot.setObjectName("speedPlot")

        self.raw_curves: dict[str, pg.PlotDataItem] = {}
        self.curves: dict[str, pg.PlotDataItem] = {}
        for plot, names in ((self.loss_plot, ("loss_g", "loss_d")),
                            (self.d_plot, ("d_real", "d_fake"))):
            legend = plot.getPlotItem().addLegend(offset=(-8, 8), labelTextSize="8pt")
            legend.setBrush(pg.mkBrush(20, 22, 26, 200))
            for name in names:
                text, colour = SERIES[name]
                faint = pg.mkColor(colour)
                faint.setAlpha(70)
                # Points per pixel kept by auto-downsampling: the raw line keeps its peaks; the smooth
                # line needs ~1 point per pixel, and wide pens are costly to draw, so it gets fewer.
                self.raw_curves[name] = plot.plot(pen=pg.mkPen(faint, width=1), connect="finite",
                                                  autoDownsampleFactor=2.0)
                self.curves[name] = plot.plot(pen=pg.mkPen(colour, width=2), name=text,
                                              connect="finite", autoDownsampleFactor=0.5)
        self.curves["img_per_s"] = self.speed_plot.plot(pen=pg.mkPen(SERIES["img_per_s"][1], width=1.5),
                                                        connect="finite", autoDownsampleFactor=0.5)

        self.stats_label = QLabel("", self)
        self.stats_label.setObjectName("plotStats")
        self.hint_label = QLabel(HEALTHY_HINT, self)
        self.hint_label.setObjectName("hint")
        self.hint_label.setWordWrap(True)
        self.hint_label.setToolTip(HEALTHY_DETAILS)

        self.grid = QGridLayout()
        self.grid.setSpacing(6)
        self._compact: bool | None = None
        self.set_compact(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(self.grid, 1)
        layout.addWidget(self.stats_label)
        layout.addWidget(self.hint_label)

    def set_compact(self, compact: bool) -> None:
        """Compact (a short, wide strip): losses and D side by side, speed only in the text line.
        Otherwise: losses across the top, D and speed below."""
        if compact == self._compact:
            return
        self._compact = compact
        for plot in (self.loss_plot, self.d_plot, self.speed_plot):
            self.grid.removeWidget(plot)
        for i in range(3):
            self.grid.setRowStretch(i, 0)
            self.grid.setColumnStretch(i, 0)
        if compact:
            self.grid.addWidget(self.loss_plot, 0, 0)
            self.grid.addWidget(self.d_plot, 0, 1)
            self.grid.setColumnStretch(0, 1)
            self.grid.setColumnStretch(1, 1)
            self.grid.setRowStretch(0, 1)
            self.speed_plot.hide()
        else:
            self.grid.addWidget(self.loss_plot, 0, 0, 1, 2)
            self.grid.addWidget(self.d_plot, 1, 0)
            self.grid.addWidget(self.speed_plot, 1, 1)
            self.grid.setColumnStretch(0, 3)
            self.grid.setColumnStretch(1, 2)
            self.grid.setRowStretch(0, 3)
            self.grid.setRowStretch(1, 2)
            self.speed_plot.show()

    # --- feeding --------------------------------------------------------------------------------
    def clear(self) -> None:
        self.buffer.clear()
        self._redraw_timer.stop()
        self.redraw()

    def append(self, metrics: list) -> None:
        """Take a batch of Metrics events (the JobRunner's ~30 Hz tick)."""
        if not metrics:
            return
        first = metrics[0].step
        if len(self.buffer) and first <= self.buffer.x()[-1]:
            self.buffer.truncate_from(first)  # a resumed run repeats steps after its checkpoint
        for m in metrics:
            self.buffer.append(m.step, m.values)
        self._schedule()

    def load_records(self, records: list[dict]) -> None:
        """Show metrics.jsonl of an existing run (on resume or when attaching)."""
        self.buffer.clear()
        for rec in records:
            if isinstance(rec.get("step"), (int, float)):
                self.buffer.append(int(rec["step"]), rec)
        self._schedule()

    def shutdown(self) -> None:
        self._redraw_timer.stop()

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if self._dirty:  # data arrived while another page was on show
            self.redraw()

    def _schedule(self) -> None:
        self._dirty = True
        if not self.isVisible():
            return  # nobody is looking: draw once when shown
        wait = self._min_interval - (time.monotonic() - self._last_draw)
        if wait <= 0:
            self.redraw()
        elif not self._redraw_timer.isActive():
            self._redraw_timer.start(max(1, int(wait * 1000)))

    # --- drawing --------------------------------------------------------------------------------
    def redraw(self) -> None:
        self._dirty = False
        self._last_draw = time.monotonic()
        b = self.buffer
        x = b.x()
        for name, curve in self.raw_curves.items():
            curve.setData(x, b.y(name, smoothed=False))
        for name, curve in self.curves.items():
            curve.setData(x, b.y(name, smoothed=True))
        self.stats_label.setText(self.stats_text())

    def stats_text(self) -> str:
        b = self.buffer
        if not len(b):
            return ""
        parts = [f"step {int(b.x()[-1]):,}"]
        for name, fmt in (("loss_g", "G loss {:.3f}"), ("loss_d", "D loss {:.3f}"),
                          ("img_per_s", "{:.1f} img/s")):
            v = b.last(name)
            if not math.isnan(v):
                parts.append(fmt.format(v))
        skipped = b.recent_mean("d_skipped")
        if not math.isnan(skipped) and skipped > 0:
            parts.append(f"D update skipped on {skipped:.0%} of recent steps")
        return "  ·  ".join(parts)

    def curve_data(self, name: str, smoothed: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """What a plotted line holds right now (x, y)."""
        curve = (self.curves if smoothed else self.raw_curves)[name]
        x, y = curve.getData()
        return (np.array([]) if x is None else x), (np.array([]) if y is None else y)
