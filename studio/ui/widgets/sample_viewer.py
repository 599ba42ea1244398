"""The live sample grid plus a slider that scrubs back through the grids a run has written."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from studio.ui.widgets.image_view import ImageView


def load_grid_png(path: str | Path) -> np.ndarray:
    """Read a sample grid the trainer wrote (our own PNG) into a uint8 HWC array."""
    with Image.open(path) as im:
        im.load()
        if im.mode not in ("L", "RGB"):
            im = im.convert("RGB")
        return np.asarray(im, dtype=np.uint8).copy()


class SampleViewer(QWidget):
    """Newest grid while following live; older grids load from samples/ only when scrubbed to."""

    refresh_requested = Signal()
    interval_changed = Signal(float)
    sample_weights_changed = Signal(str)  # "ema" | "raw": which generator draws the grids

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._grids: list[tuple[int, Path]] = []     # (step, png) written so far in this run
        self._live: tuple[int, np.ndarray] | None = None  # newest grid from the running job
        self._cache: dict[Path, np.ndarray] = {}
        self.current_step: int | None = None

        self.title = QLabel("Samples", self)
        self.title.setObjectName("sectionTitle")
        self.step_label = QLabel("", self)
        self.step_label.setObjectName("sampleStep")
        self.view = ImageView(self, placeholder="Samples from the generator appear here while it trains.",
                              min_size=QSize(160, 160), whole_multiples=True)
        self.view.setObjectName("sampleGrid")
        self.view.setToolTip("The same random inputs every time, so you can watch each picture evolve.")

        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.slider.setObjectName("sampleScrubber")
        self.slider.setRange(0, 0)
        self.slider.setEnabled(False)
        self.slider.setToolTip("Drag back to see how the samples looked earlier in this run. "
                               "All the way right follows the newest samples.")
        self.slider.valueChanged.connect(self._on_slider)

        self.refresh_button = QPushButton("Refresh now", self)
        self.refresh_button.setObjectName("refreshSamples")
        self.refresh_button.setToolTip("Draw a new sample grid right away.")
        self.refresh_button.setEnabled(False)
        self.refresh_button.clicked.connect(self.refresh_requested)

        self.interval = QDoubleSpinBox(self)
        self.interval.setObjectName("sampleInterval")
        self.interval.setRange(0.5, 3600.0)
        self.interval.setDecimals(1)
        self.interval.setSingleStep(1.0)
        self.interval.setValue(10.0)
        self.interval.setSuffix(" s")
        self.interval.setKeyboardTracking(False)
        self.interval.setToolTip("How often to draw new samples while training. Drawing takes a "
                                 "moment of training time, so don't make it too frequent on slow machines.")
        self.interval.valueChanged.connect(self.interval_changed)

        self.ema_toggle = QCheckBox("Averaged (EMA)", self)
        self.ema_toggle.setObjectName("sampleWeightsEma")
        self.ema_toggle.setChecked(True)
        self.ema_toggle.setEnabled(False)
        self.ema_toggle.toggled.connect(self._on_ema_toggled)
        self._set_ema_tip(False)

        head = QHBoxLayout()
        head.addWidget(self.title)
        head.addSpacing(8)
        head.addWidget(self.ema_toggle)
        head.addStretch(1)
        head.addWidget(self.step_label)
        controls = QHBoxLayout()
        every = QLabel("New samples every", self)
        every.setToolTip(self.interval.toolTip())
        controls.addWidget(every)
        controls.addWidget(self.interval)
        controls.addStretch(1)
        controls.addWidget(self.refresh_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(head)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.slider)
        layout.addLayout(controls)

    # --- run switching --------------------------------------------------------------------------
    def clear(self) -> None:
        self._grids, self._live, self._cache = [], None, {}
        self.current_step = None
        self.view.set_image(None)
        self.step_label.setText("")
        self._sync_slider(follow=True)

    def set_grids(self, grids: list[tuple[int, Path]]) -> None:
        """The grids on disk for this run (RunDir.sample_grids()); keeps following the newest if it was."""
        following = self.is_following()
        self._grids = list(grids)
        self._sync_slider(follow=following)

    def show_live(self, step: int, image: np.ndarray) -> None:
        """A fresh grid from the running job. Shown at once unless the user is looking back."""
        self._live = (step, np.array(image, dtype=np.uint8, copy=True))
        following = self.is_following()
        if not any(s == step for s, _ in self._grids):
            self._grids.append((step, Path()))  # placeholder until set_grids() sees the file
            self._grids.sort(key=lambda g: g[0])
        self._sync_slider(follow=following)
        if following:
            self._show(step, self._live[1])

    def set_weights_available(self, available: bool, weights: str = "ema") -> None:
        """Enable the Raw/EMA switch (only a running job that keeps an average), showing ``weights``."""
        self.ema_toggle.blockSignals(True)
        self.ema_toggle.setChecked(weights != "raw")
        self.ema_toggle.blockSignals(False)
        self.ema_toggle.setEnabled(available)
        self._set_ema_tip(available)

    def sample_weights(self) -> str:
        return "ema" if self.ema_toggle.isChecked() else "raw"

    def _on_ema_toggled(self, _on: bool) -> None:
        self.sample_weights_changed.emit(self.sample_weights())

    def _set_ema_tip(self, available: bool) -> None:
        tip = ("Ticked: the samples come from an average of the generator over its recent training (EMA, "
               "an exponential moving average). It wobbles less than the generator being trained, so its "
               "pictures are usually cleaner and steadier. Unticked: the generator exactly as it is at this "
               "step. Training is the same either way; exports use the average.")
        if not available:
            tip += "\n(Available while a run that keeps an average is training.)"
        self.ema_toggle.setToolTip(tip)

    def is_following(self) -> bool:
        return self.slider.value() >= self.slider.maximum()

    def current_image(self) -> np.ndarray | None:
        return self.view.image

    # --- internals ------------------------------------------------------------------------------
    def _sync_slider(self, follow: bool) -> None:
        n = len(self._grids)
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(0, n - 1))
        if follow:
            self.slider.setValue(max(0, n - 1))
        self.slider.blockSignals(False)
        self.slider.setEnabled(n > 1)
        if follow and n and (self._live is None or self._grids[-1][0] != self._live[0]):
            self._on_slider(self.slider.value())

    def _on_slider(self, index: int) -> None:
        if not (0 <= index < len(self._grids)):
            return
        step, path = self._grids[index]
        if self._live is not None and self._live[0] == step:
            self._show(step, self._live[1])
            return
        if not path.name:
            return
        image = self._cache.get(path)
        if image is None:
            try:
                image = load_grid_png(path)
            except OSError:
                self.step_label.setText(f"step {step:,} (image could not be read)")
                return
            if len(self._cache) > 64:
                self._cache.clear()
            self._cache[path] = image
        self._show(step, image)

    def _show(self, step: int, image: np.ndarray) -> None:
        self.current_step = step
        self.view.set_image(image)
        n = len(self._grids)
        pos = self.slider.value() + 1
        where = "newest" if self.is_following() else f"{pos} of {n}"
        self.step_label.setText(f"step {step:,} · {where}")
