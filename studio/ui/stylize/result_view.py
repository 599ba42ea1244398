"""The picture being painted and its losses: the zoomable before/after canvas and the loss plot with scale marks.

It shows; it decides nothing about runs. The page tells it what to show (a preview, the result, an opened
artwork, the photo for the before/after divider) and feeds it the metrics the job reports.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, QSize, Qt
from PySide6.QtWidgets import QLabel, QPushButton, QWidget

from studio.engine.style.gatys import StyleSettings
from studio.ui.theme import PLOT_COLORS, set_tone
from studio.ui.widgets.compare_view import CompareView
from studio.ui.widgets.elided_label import ElidedLabel

LOSS_KEYS = ("content", "style", "total")
LOSS_COLORS = {k: PLOT_COLORS[k] for k in ("content", "style", "total")}  # readable on both themes
COMPARE_SIDE = 2048  # the photo is kept at most this large for the before/after view
PLACEHOLDER = "The painting appears here while it is made"


class ResultView(QObject):
    """Owns the canvas, its view buttons and the loss plot (children of ``host``, placed by the page's layout)."""

    def __init__(self, host: QWidget) -> None:
        super().__init__(host)
        self.loss_steps: list[int] = []
        self.loss_values: dict[str, list[float]] = {k: [] for k in LOSS_KEYS}
        self.scale_lines: list = []  # dashed markers where each finer scale starts
        self._before_path: str | None = None

        self.fit_button = QPushButton("Fit", host)
        self.fit_button.setToolTip("Show the whole picture (double-click the picture, or press F)")
        self.actual_button = QPushButton("100%", host)
        self.actual_button.setToolTip("One picture pixel per screen pixel (press 1)")
        self.compare_button = QPushButton("Before / after", host)
        self.compare_button.setCheckable(True)
        self.compare_button.setToolTip("Show the photo left of a divider and the result right of it; "
                                       "drag the divider to compare")
        self.zoom_label = QLabel(host)
        self.zoom_label.setObjectName("zoomLabel")
        self.zoom_label.setMinimumWidth(90)
        self.view_hint = ElidedLabel("Wheel: zoom · drag: move · double-click: fit", host)
        set_tone(self.view_hint, "muted")
        self.preview = CompareView(host, placeholder=PLACEHOLDER, min_size=QSize(256, 200))
        self.preview.set_labels("Photo", "Result")

        self.plot = pg.PlotWidget(background=None)
        self.plot.setMinimumHeight(140)
        self.plot.setLogMode(y=True)
        self.plot.setLabel("bottom", "iteration")
        self.plot.setXRange(0, StyleSettings.iterations)
        self.plot.setYRange(0, 6)  # log10: 1 … 1e6 until there is data
        self.plot.setToolTip("How far the picture still is from the photo (content) and the painting (style); "
                             "lower is closer. Log scale.")
        self.curves = {k: self.plot.plot([], [], name=k, pen=pg.mkPen(LOSS_COLORS[k], width=2)) for k in LOSS_KEYS}
        keys = " &nbsp; ".join(f'<span style="color:{LOSS_COLORS[k]}">━ {k}</span>' for k in LOSS_KEYS)
        self.plot_legend = QLabel(f'<span style="color:{PLOT_COLORS["muted"]}">Losses (lower = closer):</span> &nbsp; {keys}', host)
        self.plot_legend.setToolTip(self.plot.toolTip())

        self.fit_button.clicked.connect(self.preview.fit)
        self.actual_button.clicked.connect(self._actual_size)
        self.compare_button.toggled.connect(self.preview.set_compare)
        self.preview.compare_changed.connect(self.compare_button.setChecked)
        self.preview.view_changed.connect(self.update_zoom_label)

    def _actual_size(self) -> None:
        self.preview.actual_size()

    # -- the canvas -----------------------------------------------------------------------------------
    def update_zoom_label(self) -> None:
        if self.preview.image is None:
            self.zoom_label.setText("")
        else:
            z = round(self.preview.zoom() * 100)
            self.zoom_label.setText(f"Fit · {z} %" if self.preview.is_fit() else f"Zoom {z} %")
        self.fit_button.setEnabled(self.preview.image is not None and not self.preview.is_fit())

    def update_buttons(self) -> None:
        shown = self.preview.image is not None
        self.actual_button.setEnabled(shown)
        self.compare_button.setEnabled(shown and self.preview.has_before())
        if not self.compare_button.isEnabled():
            self.compare_button.setChecked(False)
        self.update_zoom_label()

    def set_before(self, path: str | None) -> None:
        """Load the photo for the before/after view (at most COMPARE_SIDE on its long side)."""
        if path == self._before_path:
            return
        self._before_path = path
        self.preview.set_before_image(load_picture(path, COMPARE_SIDE) if path else None)

    # -- the losses -----------------------------------------------------------------------------------
    def clear_losses(self) -> None:
        self.loss_steps.clear()
        for v in self.loss_values.values():
            v.clear()
        for c in self.curves.values():
            c.setData([], [])
        self.plot.enableAutoRange()

    def set_iterations(self, iterations: int) -> None:
        """Before any loss arrives the axis spans the run to come."""
        if not self.loss_steps:
            self.plot.setXRange(0, iterations)

    def add_metrics(self, items: list) -> None:
        for m in items:
            self.loss_steps.append(m.step)
            for k in LOSS_KEYS:
                self.loss_values[k].append(float(m.values.get(k, 0.0)))
        # a run that starts from the photo has a content loss of 0 at first: shown at the plot's floor, four decades
        # under the largest loss, instead of stretching the log axis down to 1e-12 and flattening the curves
        top = max((max(v) for v in self.loss_values.values() if v), default=1.0)
        floor = max(top * 1e-4, 1e-12)
        for k in LOSS_KEYS:
            self.curves[k].setData(self.loss_steps, np.maximum(self.loss_values[k], floor))

    def mark_scales(self, plan: list[tuple[int, int]]) -> None:
        """A dashed line where each finer scale starts, labelled with its size: the losses jump there (a bigger
        picture, and the coarse passes use a style weight matched to their size)."""
        for line in self.scale_lines:
            self.plot.removeItem(line)
        self.scale_lines = []
        step = 0
        for i, (side, count) in enumerate(plan):
            if i:
                line = pg.InfiniteLine(pos=step + 0.5, angle=90, movable=False,
                                       pen=pg.mkPen(PLOT_COLORS["muted"], width=1, style=Qt.PenStyle.DashLine),
                                       label=f"{side} px", labelOpts={"position": 0.1, "color": PLOT_COLORS["muted"]})
                self.plot.addItem(line, ignoreBounds=True)
                self.scale_lines.append(line)
            step += count


def load_picture(path: str | None, max_side: int | None = None) -> np.ndarray | None:
    """A picture through the safe loader as uint8 H×W×3 (at most ``max_side`` long), or None when it cannot be
    read (whoever offered the file already said why)."""
    if not path:
        return None
    from studio.engine.images import load_image

    try:
        pil = load_image(path, "RGB")
        if max_side:
            pil.thumbnail((max_side, max_side))
        return np.asarray(pil, dtype=np.uint8)
    except Exception:  # noqa: BLE001 - the content box / gallery already said why a picture cannot be used
        return None
