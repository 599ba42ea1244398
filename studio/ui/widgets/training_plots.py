"""Live training curves: losses, what D believes, and speed — cheap to redraw on long runs.

A second tab, Quality, shows the small-data measurements: augmentation strength (and ADA's r_t against
its target), KID, FD and the samples' LPIPS diversity against the training pictures' own. Those arrive
only on some steps (every ``metrics_every``), so they are kept as points where present, not as gaps.
"""

from __future__ import annotations

import functools
import math
import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QGraphicsItem, QGridLayout, QLabel, QTabWidget, QVBoxLayout, QWidget

from studio.engine.metric_series import MetricBuffer, SparseSeries
from studio.ui.theme import PLOT_COLORS

# name in Metrics.values -> (legend text, colour)
SERIES = {
    "loss_g": ("Generator (G)", PLOT_COLORS["loss_g"]),
    "loss_d": ("Discriminator (D)", PLOT_COLORS["loss_d"]),
    "d_real": ("D(x) on real pictures", PLOT_COLORS["d_real"]),
    "d_fake": ("D(G(z)) on fakes", PLOT_COLORS["d_fake"]),
    "img_per_s": ("images / s", PLOT_COLORS["speed"]),
    "d_skipped": ("D update skipped", PLOT_COLORS["skipped"]),
}
# Every step while augmentation is on (lines); name -> (legend text, colour)
DENSE_QUALITY = {
    "aug_p": ("strength p", PLOT_COLORS["aug_p"]),
    "ada_rt": ("D's r_t", PLOT_COLORS["d_real"]),
}
# Only at quality checks (points joined by lines); name -> (legend text, colour)
SPARSE_QUALITY = {
    "kid": ("KID", PLOT_COLORS["loss_g"]),
    "fd": ("FD", PLOT_COLORS["loss_d"]),
    "lpips_diversity": ("samples", PLOT_COLORS["d_fake"]),
    "lpips_diversity_data": ("your pictures", PLOT_COLORS["data"]),
    "nn_distance_ratio": ("nearest-picture ratio", PLOT_COLORS["speed"]),
}
ADA_TARGET = 0.6
STAGE_GAP_MS = 0  # between the plots of one live redraw: the painting of one comes before the next
PLOT_BACKGROUND = PLOT_COLORS["background"]
HEALTHY_HINT = "Wobbling losses are healthy: G and D are competing. Warning signs: D's loss stuck near 0, " \
    "or samples that all look alike."
HEALTHY_DETAILS = (
    "A GAN is a contest, so neither loss should steadily fall to zero: when one network gains, the other "
    "catches up. If D's loss stays near 0, D wins and G stops learning (the lesson's balance problem): "
    "lower D's learning rate, or set 'Skip D while loss below' to about 0.1. If every sample looks the "
    "same, the generator has found one picture that fools D (mode collapse): try a lower learning rate "
    "or restart with another seed."
)
QUALITY_HINT = "Lower KID and FD: closer to your pictures. Samples' variety should stay near your pictures' " \
    "own (dashed)."
QUALITY_DETAILS = (
    "Measured every few hundred steps on a fixed set of samples (it never changes the training).\n"
    "KID and FD compare the samples with your pictures as a picture-recognition network sees them: "
    "lower is closer. KID is the fairer of the two for small sets.\n"
    "Diversity (LPIPS) is how different the samples are from each other; far below your pictures' own "
    "(dashed line) means mode collapse.\n"
    "Augmentation: the strength p of the random recolour/shift/cutout D sees. Adaptive augmentation "
    "raises p while D is overconfident on real pictures (r_t above the dashed target line) and lowers "
    "it when r_t falls below."
)


def _nice_ceil(value: float) -> float:
    """The next round number at or above ``value`` (1, 1.2, 1.5, 2 … 8 × 10^k): a steady axis end that
    moves ~11 times a decade, and the curve still fills at least 80 % of the width."""
    if value <= 0 or not math.isfinite(value):
        return 1.0
    exp = 10 ** math.floor(math.log10(value))
    for m in (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0):
        if m * exp >= value - 1e-12:
            return m * exp
    return 10.0 * exp


def _peak_buckets(x: np.ndarray, y: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Each run of ``k`` points as its lowest and highest point, in step order (NaN-only runs stay a gap)."""
    rows = y.reshape(-1, k)
    nan = np.isnan(rows)
    lo = np.where(nan, np.inf, rows).argmin(axis=1)
    hi = np.where(nan, -np.inf, rows).argmax(axis=1)
    base = np.arange(len(rows)) * k
    idx = np.stack([base + np.minimum(lo, hi), base + np.maximum(lo, hi)], axis=1).ravel()
    return x[idx], y[idx]


def decimate_peaks(x: np.ndarray, y: np.ndarray, buckets: int) -> tuple[np.ndarray, np.ndarray]:
    """At most ~2 × ``buckets`` points that draw like all of them: each bucket of steps keeps its lowest
    and highest point (a spike is never smoothed away); the last steps are kept as they are."""
    return PeakDecimator()(x, y, buckets)


class PeakDecimator:
    """``decimate_peaks`` for a series that only grows: finished buckets are remembered, so a redraw
    costs the new steps only (not a pass over a long run's whole history, as pyqtgraph's own
    downsampling did on every redraw). Bucket sizes are powers of two, so they change only when the
    run doubles in length or the plot is resized a lot; ``reset()`` after the history was rewritten."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._k = 0
        self._done = 0  # finished buckets held in _x/_y
        self._x = np.empty(0)
        self._y = np.empty(0)

    def __call__(self, x: np.ndarray, y: np.ndarray, buckets: int) -> tuple[np.ndarray, np.ndarray]:
        n = len(x)
        buckets = max(1, int(buckets))
        if n <= 2 * buckets:
            return x, y
        k = 1 << math.ceil(math.log2(n / buckets))
        if k != self._k or self._done * k > n:
            self.reset()
            self._k = k
        full = (n - 1) // k  # the newest step always drawn as it is
        if full > self._done:
            part = slice(self._done * k, full * k)
            bx, by = _peak_buckets(x[part], y[part], k)
            self._x = np.concatenate([self._x, bx])
            self._y = np.concatenate([self._y, by])
            self._done = full
        tail = slice(full * k, n)
        return np.concatenate([self._x, x[tail]]), np.concatenate([self._y, y[tail]])


def _cache_static_items(item: pg.PlotItem) -> None:
    """Axes (with their grid lines), title and legend change only when the range or the text does; a
    pixmap cache turns their repaint (a QPicture of tick text and grid lines replayed on every paint)
    into a blit whenever only the curves moved. Most of a live redraw's cost was these."""
    cache = QGraphicsItem.CacheMode.DeviceCoordinateCache
    for name in ("left", "bottom", "top", "right"):
        axis = item.getAxis(name)
        axis.setCacheMode(cache)
    item.titleLabel.setCacheMode(cache)


class RowLegend(pg.LegendItem):
    """A legend laid out by its plot (in a row of its own) rather than floating over the data: it asks
    the layout for the size its entries need instead of setting its own geometry, and stacks them when
    the plot is too narrow for one row (``fit_width``), so it never widens the plot."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._row_width = 0.0  # the entries side by side

    def updateSize(self) -> None:  # noqa: N802 - pyqtgraph API
        self.layout.invalidate()
        hint = self.layout.effectiveSizeHint(Qt.SizeHint.PreferredSize)
        if self.columnCount > 1:
            self._row_width = hint.width()
        self.setMinimumSize(0.0, hint.height())
        self.setPreferredSize(hint)
        self.setMaximumSize(hint)
        self.updateGeometry()

    def fit_plot(self) -> None:
        """The plot (this legend's parent) changed size: fit the entries to its data area's width."""
        plot = self.parentItem()
        if isinstance(plot, pg.PlotItem):
            self.fit_width(plot.getViewBox().geometry().width() or plot.geometry().width())

    def fit_width(self, width: float) -> None:
        """One row when the entries fit in ``width``, else one entry per line."""
        want = max(1, len(self.items)) if self._row_width <= width else 1
        if want != self.columnCount and self.items:
            self.setColumnCount(want)
            self.updateSize()


class StepAxis(pg.AxisItem):
    """A step axis whose labels never run into each other ("0 200400600" on a narrow plot): at most
    one major tick per label width, on round steps; minor ticks (grid only) in between."""

    def tickSpacing(self, minVal: float, maxVal: float, size: float):  # noqa: N802,N803 - pyqtgraph API
        span = maxVal - minVal
        if span <= 0 or size <= 0 or not math.isfinite(span):
            return super().tickSpacing(minVal, maxVal, size)
        digits = len(f"{int(max(abs(minVal), abs(maxVal))):,}")
        label_px = 7 * digits + 28  # label text plus a gap
        count = max(1.0, size / label_px)
        major = _nice_step(span / count)
        mantissa = round(major / 10 ** math.floor(math.log10(major)))
        return [(major, 0), (major / (4 if mantissa == 2 else 5), 0)]


def _nice_step(value: float) -> float:
    """The next of 1, 2, 5 × 10^k at or above ``value`` (tick steps)."""
    exp = 10 ** math.floor(math.log10(value))
    for m in (1.0, 2.0, 5.0, 10.0):
        if m * exp >= value - 1e-12:
            return m * exp
    return 10.0 * exp


def _make_plot(title: str, y_label: str) -> pg.PlotWidget:
    widget = pg.PlotWidget(background=PLOT_BACKGROUND, axisItems={"bottom": StepAxis("bottom")})
    item = widget.getPlotItem()
    item.setTitle(title, size="10pt")
    item.setLabel("left", y_label)
    item.setLabel("bottom", "step")
    item.showGrid(x=True, y=True, alpha=0.15)
    # Long runs stay fast: the plots hand pyqtgraph a few points per pixel (PeakDecimator) while they
    # follow the run; pyqtgraph's own clipping and downsampling take over while the user zooms.
    item.setMenuEnabled(True)
    for axis in ("left", "bottom"):
        item.getAxis(axis).enableAutoSIPrefix(False)  # never "probability (x0.001)"
    widget.setMinimumHeight(110)
    # Round numbers on the empty plot (no "0.2 0.4 0.6" step axis before the first step).
    item.getViewBox().disableAutoRange()
    item.getViewBox().setRange(xRange=(0, 100), yRange=(0, 1), padding=0)
    _cache_static_items(item)
    return widget


class TrainingPlots(QWidget):
    """Small plots fed by ``append(list[Metrics])``; redraws at most ``max_fps`` times a second.

    5 a second still looks live for training curves, and every redraw is GUI-thread time (pyqtgraph
    paints in Python, holding the GIL the training thread needs). Axis ranges follow the data by hand,
    on round numbers that change rarely, so most redraws repaint only the curves (the axes, grid and
    titles are cached pixmaps); a user's zoom or pan is respected until the "A" button is pressed.

    Two tabs: Training (losses, D's beliefs, speed) and Quality (augmentation, KID, FD, diversity)."""

    def __init__(self, parent: QWidget | None = None, max_fps: float = 5.0) -> None:
        super().__init__(parent)
        self.buffer = MetricBuffer([*SERIES, *DENSE_QUALITY])
        self.sparse = {name: SparseSeries() for name in SPARSE_QUALITY}
        self._min_interval = 1.0 / max_fps
        self._last_draw = 0.0
        self._dirty = False
        self._redraw_timer = QTimer(self)
        self._redraw_timer.setSingleShot(True)
        self._redraw_timer.timeout.connect(self._redraw_live)
        self._stages: list[list[pg.PlotWidget]] = []  # plots still to redraw, a turn each
        self._stage_timer = QTimer(self)
        self._stage_timer.setSingleShot(True)
        self._stage_timer.setInterval(STAGE_GAP_MS)
        self._stage_timer.timeout.connect(self._next_stage)

        self.loss_plot = _make_plot("Losses", "loss")
        self.d_plot = _make_plot("What D believes", "probability")
        self.speed_plot = _make_plot("Speed", "images / s")
        self.aug_plot = _make_plot("Augmentation", "p · r_t")
        self.diversity_plot = _make_plot("Variety", "LPIPS diversity")
        self.kid_plot = _make_plot("KID", "lower is closer")
        self.fd_plot = _make_plot("FD", "lower is closer")
        # D's outputs are probabilities: a fixed 0..1 scale shows at a glance who is winning.
        self.d_plot.getPlotItem().setYRange(0.0, 1.0, padding=0.02)
        self.d_plot.getPlotItem().setMouseEnabled(x=True, y=False)
        # Which series set each plot's y range (None: fixed), and whether the range follows the data
        # (False after the user zooms or pans it; the "A" button brings following back).
        self._y_series: dict[pg.PlotWidget, tuple[str, ...] | None] = {
            self.loss_plot: ("loss_g", "loss_d"), self.d_plot: None, self.speed_plot: ("img_per_s",),
            self.aug_plot: ("aug_p", "ada_rt"), self.diversity_plot: ("lpips_diversity", "lpips_diversity_data"),
            self.kid_plot: ("kid",), self.fd_plot: ("fd",)}
        self._follow = dict.fromkeys(self._y_series, True)
        self._ranges: dict[pg.PlotWidget, tuple] = {}
        for plot in self._y_series:
            plot.getPlotItem().getViewBox().sigRangeChangedManually.connect(
                functools.partial(self._user_moved, plot))
        for plot, name in ((self.loss_plot, "lossPlot"), (self.d_plot, "dPlot"), (self.speed_plot, "speedPlot"),
                           (self.aug_plot, "augPlot"), (self.diversity_plot, "diversityPlot"),
                           (self.kid_plot, "kidPlot"), (self.fd_plot, "fdPlot")):
            plot.setObjectName(name)
        self.aug_plot.setToolTip("How strongly the pictures D sees are recoloured, shifted and cut out (p), "
                                 "and D's overconfidence on real pictures (r_t) that adaptive augmentation "
                                 "keeps near the dashed target.")
        self.diversity_plot.setToolTip("How different the samples are from each other. Far below your "
                                       "pictures' own variety (dashed) means the generator repeats itself.")
        self.kid_plot.setToolTip("Kernel Inception Distance between samples and your pictures: lower is closer. "
                                 "Reliable even for small sets.")
        self.fd_plot.setToolTip("Fréchet distance between samples and your pictures: lower is closer.")

        self.raw_curves: dict[str, pg.PlotDataItem] = {}
        self.curves: dict[str, pg.PlotDataItem] = {}
        for plot, names in ((self.loss_plot, ("loss_g", "loss_d")),
                            (self.d_plot, ("d_real", "d_fake"))):
            legend = self._legend(plot)
            for name in names:
                text, colour = SERIES[name]
                faint = pg.mkColor(colour)
                faint.setAlpha(70)
                # Buckets per pixel (each drawn as its low and high point) when the history is thinned,
                # by our PeakDecimator or, while zoomed, pyqtgraph: the raw line keeps its peaks; the
                # smooth line needs less, and wide pens are costly to draw, so it gets fewer.
                self.raw_curves[name] = plot.plot(pen=pg.mkPen(faint, width=1), connect="finite",
                                                  autoDownsampleFactor=1.0)
                self.curves[name] = plot.plot(pen=pg.mkPen(colour, width=1.5), name=text,
                                              connect="finite", autoDownsampleFactor=0.5)
            self._cache_legend(legend)
        self.curves["img_per_s"] = self.speed_plot.plot(pen=pg.mkPen(SERIES["img_per_s"][1], width=1),
                                                        connect="finite", autoDownsampleFactor=0.5)

        # Quality tab: dense augmentation lines, sparse measurement points, reference lines.
        self.quality_curves: dict[str, pg.PlotDataItem] = {}
        legend = self._legend(self.aug_plot)
        for name in ("aug_p", "ada_rt"):
            text, colour = DENSE_QUALITY[name]
            self.quality_curves[name] = self.aug_plot.plot(pen=pg.mkPen(colour, width=1.5), name=text,
                                                           connect="finite", autoDownsampleFactor=0.5)
        self.ada_target_line = pg.InfiniteLine(
            pos=ADA_TARGET, angle=0, movable=False,
            pen=pg.mkPen(DENSE_QUALITY["ada_rt"][1], width=1, style=Qt.PenStyle.DashLine),
            label="target", labelOpts={"position": 0.04, "color": DENSE_QUALITY["ada_rt"][1], "anchors": [(0, 1), (0, 1)]})
        self.ada_target_line.setVisible(False)
        self.aug_plot.addItem(self.ada_target_line)
        self._cache_legend(legend)
        legend = self._legend(self.diversity_plot)
        for plot, name in ((self.kid_plot, "kid"), (self.fd_plot, "fd"), (self.diversity_plot, "lpips_diversity")):
            text, colour = SPARSE_QUALITY[name]
            self.quality_curves[name] = plot.plot(
                pen=pg.mkPen(colour, width=1.5), name=text if plot is self.diversity_plot else None,
                symbol="o", symbolSize=5, symbolBrush=colour, symbolPen=None)
        # Every dense line: (plot, curve, series, smoothed, its decimator, buckets per pixel).
        dense = [(name, False, curve) for name, curve in self.raw_curves.items()]
        dense += [(name, True, curve) for name, curve in self.curves.items()]
        dense += [(name, False, self.quality_curves[name]) for name in DENSE_QUALITY]
        self._dense = [(self._plot_of(curve), curve, name, smoothed, PeakDecimator(),
                        curve.opts["autoDownsampleFactor"]) for name, smoothed, curve in dense]
        self._history = 0  # bumped when the history is rewritten (clear, resume): decimators restart
        self._sparse_drawn: dict[str, tuple[int, int]] = {}
        self._sparse_on = {self.kid_plot: ("kid",), self.fd_plot: ("fd",), self.diversity_plot: ("lpips_diversity",)}
        for plot in self._y_series:  # a wider plot wants more points: decimate again
            plot.getPlotItem().getViewBox().sigResized.connect(self._on_resized)
        data_text, data_colour = SPARSE_QUALITY["lpips_diversity_data"]
        self.quality_curves["lpips_diversity_data"] = self.diversity_plot.plot(
            pen=pg.mkPen(data_colour, width=1.5, style=Qt.PenStyle.DashLine), name=data_text)
        self._cache_legend(legend)

        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("plotTabs")
        self.tabs.setDocumentMode(True)
        self.training_tab = QWidget()
        self.quality_tab = QWidget()
        self.grid = QGridLayout(self.training_tab)
        self.grid.setContentsMargins(0, 4, 0, 0)
        self.grid.setSpacing(6)
        self.quality_grid = QGridLayout(self.quality_tab)
        self.quality_grid.setContentsMargins(0, 4, 0, 0)
        self.quality_grid.setSpacing(6)
        self.tabs.addTab(self.training_tab, "Training")
        self.tabs.addTab(self.quality_tab, "Quality")
        self.tabs.setTabToolTip(0, "Losses, what D believes, and speed: every step.")
        self.tabs.setTabToolTip(1, "Augmentation strength, and how close and varied the samples are "
                                   "(measured every few hundred steps).")
        self.tabs.currentChanged.connect(self._on_tab)

        self.stats_label = QLabel("", self)
        self.stats_label.setObjectName("plotStats")
        self.stats_label.setWordWrap(True)
        self.hint_label = QLabel(HEALTHY_HINT, self)
        self.hint_label.setObjectName("hint")
        self.hint_label.setWordWrap(True)
        self.hint_label.setToolTip(HEALTHY_DETAILS)

        self._compact: bool | None = None
        self.set_compact(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.stats_label)
        layout.addWidget(self.hint_label)

    def _plot_of(self, curve: pg.PlotDataItem) -> pg.PlotWidget:
        return next(p for p in self._y_series if p.getPlotItem().getViewBox() is curve.getViewBox())

    def _on_resized(self, *_args) -> None:
        self._schedule()

    @staticmethod
    def _legend(plot: pg.PlotWidget) -> RowLegend:
        """A one-row legend between the title and the data: on small plots a legend inside the view box
        covered the newest part of the curves."""
        item = plot.getPlotItem()
        legend = RowLegend(labelTextSize="8pt", colCount=4, horSpacing=12)
        legend.layout.setContentsMargins(2, 0, 2, 0)
        item.layout.removeItem(item.getAxis("top"))  # never shown: its row holds the legend
        item.layout.addItem(legend, 1, 1)
        item.layout.setAlignment(legend, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        item.legend = legend  # plot(name=...) adds its entry here; the theme restyles it
        # Stack the entries when the plot is narrower than their row (never widen the plot).
        item.geometryChanged.connect(legend.fit_plot)  # a method of the legend: no closure keeps the plot alive
        legend.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        return legend

    @staticmethod
    def _cache_legend(legend) -> None:
        for sample, label in legend.items:  # cached too: they change only with the text
            sample.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
            label.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)

    def set_compact(self, compact: bool) -> None:
        """Compact (a short, wide strip): losses and D side by side, speed only in the text line;
        the four quality plots in one row. Otherwise: losses across the top, D and speed below; quality
        plots two by two."""
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
        quality = (self.aug_plot, self.diversity_plot, self.kid_plot, self.fd_plot)
        for plot in quality:
            self.quality_grid.removeWidget(plot)
        for i in range(4):
            self.quality_grid.setRowStretch(i, 0)
            self.quality_grid.setColumnStretch(i, 0)
        for i, plot in enumerate(quality):
            row, col = (0, i) if compact else divmod(i, 2)
            self.quality_grid.addWidget(plot, row, col)
            self.quality_grid.setColumnStretch(col, 1)
            self.quality_grid.setRowStretch(row, 1)

    def _on_tab(self, index: int) -> None:
        quality = self.tabs.widget(index) is self.quality_tab
        self.hint_label.setText(QUALITY_HINT if quality else HEALTHY_HINT)
        self.hint_label.setToolTip(QUALITY_DETAILS if quality else HEALTHY_DETAILS)
        if self._dirty:
            self.redraw()

    def show_quality(self) -> None:
        self.tabs.setCurrentWidget(self.quality_tab)

    def set_ada_target(self, target: float | None) -> None:
        """Where adaptive augmentation wants r_t (the run's ``ada_target``, 0.6 unless changed)."""
        if target is not None and math.isfinite(float(target)):
            self.ada_target_line.setValue(float(target))
            self._ranges.pop(self.aug_plot, None)

    def ada_target(self) -> float:
        return float(self.ada_target_line.value())

    # --- feeding --------------------------------------------------------------------------------
    def _history_rewritten(self) -> None:
        self._history += 1
        for entry in self._dense:
            entry[4].reset()

    def clear(self) -> None:
        self._history_rewritten()
        self.buffer.clear()
        for series in self.sparse.values():
            series.clear()
        for plot in self._follow:  # a new run: ranges follow its data again
            self._set_following(plot, True)
        self._ranges.clear()
        self.set_ada_target(ADA_TARGET)
        self._redraw_timer.stop()
        self.redraw()

    def _feed(self, step: int, values: dict) -> None:
        self.buffer.append(step, values)
        for name, series in self.sparse.items():
            if name in values:
                series.append(step, values[name])

    def append(self, metrics: list) -> None:
        """Take a batch of Metrics events (the JobRunner's ~30 Hz tick)."""
        if not metrics:
            return
        first = metrics[0].step
        if len(self.buffer) and first <= self.buffer.x()[-1]:
            self._history_rewritten()
            self.buffer.truncate_from(first)  # a resumed run repeats steps after its checkpoint
            for series in self.sparse.values():
                series.truncate_from(first)
        for m in metrics:
            self._feed(m.step, m.values)
        self._schedule()

    def load_records(self, records: list[dict]) -> None:
        """Show metrics.jsonl of an existing run (on resume or when attaching), quality keys included."""
        self._history_rewritten()
        self.buffer.clear()
        for series in self.sparse.values():
            series.clear()
        for plot in self._follow:
            self._set_following(plot, True)
        self._ranges.clear()
        for rec in records:
            if isinstance(rec.get("step"), (int, float)):
                self._feed(int(rec["step"]), rec)
        self._schedule()

    def has_quality(self) -> bool:
        """True once any quality measurement or augmentation strength has arrived."""
        return any(len(s) for s in self.sparse.values()) or self.buffer.bounds("aug_p") is not None

    def last_quality_step(self) -> int | None:
        kid = self.sparse["kid"]
        return int(kid.steps[-1]) if len(kid) else None

    def shutdown(self) -> None:
        self._redraw_timer.stop()
        self._stage_timer.stop()
        self._stages.clear()

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
            self._redraw_live()
        elif not self._redraw_timer.isActive():
            self._redraw_timer.start(max(1, int(wait * 1000)))

    # --- drawing --------------------------------------------------------------------------------
    def redraw(self) -> None:
        """Every plot now (tests, a tab change, showing the page)."""
        self._stages.clear()
        self._stage_timer.stop()
        self._dirty = False
        self._last_draw = time.monotonic()
        for plot in self._y_series:
            self._draw_plot(plot)
        self.stats_label.setText(self.stats_text())

    def _redraw_live(self) -> None:
        """A live redraw, spread over event-loop turns: one visible plot per turn (each painted before
        the next is touched), then the hidden ones together. Painting all of them in one turn was the
        longest time the window could not react while a run trained beside it."""
        self._dirty = False
        self._last_draw = time.monotonic()
        shown = [p for p in self._y_series if p.isVisible()]
        hidden = [p for p in self._y_series if not p.isVisible()]
        self._stages = [[p] for p in shown] + ([hidden] if hidden else [])
        self._next_stage()

    def _next_stage(self) -> None:
        if not self._stages:
            return
        for plot in self._stages.pop(0):
            self._draw_plot(plot)
        if self._stages:
            self._stage_timer.start()
        else:
            self.stats_label.setText(self.stats_text())

    def _draw_plot(self, plot: pg.PlotWidget) -> None:
        b = self.buffer
        x = b.x()
        self._follow_data(plot)  # first: the "A" button turns following back on
        for on, curve, name, smoothed, decimator, per_px in self._dense:
            if on is not plot:
                continue
            y = b.y(name, smoothed=smoothed)
            if self._follow[plot]:
                width = plot.getPlotItem().getViewBox().width()
                curve.setData(*decimator(x, y, (width if width > 0 else 800) * per_px), skipFiniteCheck=True)
            else:  # zoomed by the user: pyqtgraph clips to the view and downsamples the whole history
                curve.setData(x, y)
        for name in self._sparse_on.get(plot, ()):
            drawn = (self._history, len(self.sparse[name]))
            if self._sparse_drawn.get(name) != drawn:  # symbols are costly to rebuild: only when new
                self._sparse_drawn[name] = drawn
                self.quality_curves[name].setData(*self.sparse[name].arrays())
        if plot is self.diversity_plot:
            data_div = self.sparse["lpips_diversity_data"]
            if len(data_div):  # the pictures' own diversity: a level line across the whole run so far
                right = max(float(x[-1]) if len(x) else 0.0, data_div.steps[-1])
                self.quality_curves["lpips_diversity_data"].setData([0.0, right], [data_div.last()] * 2)
            else:
                self.quality_curves["lpips_diversity_data"].setData([], [])
        elif plot is self.aug_plot:
            self.ada_target_line.setVisible(b.bounds("ada_rt") is not None)

    def _user_moved(self, plot: pg.PlotWidget, *_args) -> None:
        if self._follow[plot]:
            self._set_following(plot, False)
            self._schedule()  # the whole history, for pyqtgraph to clip and downsample

    def _set_following(self, plot: pg.PlotWidget, follow: bool) -> None:
        self._follow[plot] = follow
        item = plot.getPlotItem()
        item.setDownsampling(auto=not follow, mode="peak")
        item.setClipToView(not follow)

    def _bounds(self, name: str) -> tuple[float, float] | None:
        if name in self.sparse:
            return self.sparse[name].bounds()
        return self.buffer.bounds(name)

    def _follow_data(self, plot: pg.PlotWidget) -> None:
        """Keep the data in view with round, rarely changing ranges (cheap: no pass over the data)."""
        vb = plot.getPlotItem().getViewBox()
        if any(vb.autoRangeEnabled()):  # the "A" button or "View all": follow the data again
            vb.disableAutoRange()
            self._set_following(plot, True)
            self._ranges.pop(plot, None)
        if not self._follow[plot]:
            return
        b = self.buffer
        x_max = _nice_ceil(max(float(b.x()[-1]) if len(b) else 0.0, 100.0))
        series = self._y_series[plot]
        y_range = None
        if series is not None:
            found = [r for r in (self._bounds(k) for k in series) if r is not None]
            lo = min((r[0] for r in found), default=0.0)
            hi = max((r[1] for r in found), default=1.0)
            if plot is self.speed_plot:
                y_range = (0.0, _nice_ceil(hi * 1.1) if hi > 0 else 1.0)
            elif plot is self.aug_plot:  # p is 0..1; r_t is -1..1 but lives near the target
                y_range = (min(0.0, math.floor(lo * 5) / 5) - 0.03, max(1.0, hi) + 0.03)
            else:
                y_range = self._loose_range(self._ranges.get(plot, (None, None))[1], lo, hi)
        wanted = ((0.0, x_max), y_range)
        if self._ranges.get(plot) == wanted:
            return
        self._ranges[plot] = wanted
        if y_range is None:  # D's probabilities: always 0..1 (also after the "A" button)
            vb.setRange(xRange=(0.0, x_max), yRange=(-0.02, 1.02), padding=0)
        else:
            vb.setRange(xRange=(0.0, x_max), yRange=y_range, padding=0)

    @staticmethod
    def _loose_range(current: tuple[float, float] | None, lo: float, hi: float) -> tuple[float, float]:
        """``current`` while it still shows lo..hi well; otherwise lo..hi with some headroom."""
        span = max(hi - lo, 1e-6, 0.05 * abs(hi))
        if current is not None:
            c_lo, c_hi = current
            if c_lo <= lo and hi <= c_hi and (c_hi - c_lo) <= 2.0 * span:
                return current
        pad = 0.15 * span
        return (lo - pad if lo < 0 or lo - pad > 0 else 0.0, hi + pad)

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
        aug = b.last("aug_p", smoothed=False)
        if not math.isnan(aug):
            parts.append(f"augmentation {aug:.2f}")
        kid = self.sparse["kid"].last()
        if not math.isnan(kid):
            parts.append(f"KID {kid:.4f}")
        skipped = b.recent_mean("d_skipped")
        if not math.isnan(skipped) and skipped > 0:
            parts.append(f"D update skipped on {skipped:.0%} of recent steps")
        return "  ·  ".join(parts)

    def curve_data(self, name: str, smoothed: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """What a plotted line holds right now (x, y). Quality series have one line (``smoothed`` ignored)."""
        if name in self.quality_curves:
            curve = self.quality_curves[name]
        else:
            curve = (self.curves if smoothed else self.raw_curves)[name]
        x, y = curve.getData()
        return (np.array([]) if x is None else x), (np.array([]) if y is None else y)
