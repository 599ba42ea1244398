"""The Stylize page: repaint a photo in the style of one or more paintings (Gatys style transfer)."""

from __future__ import annotations

import math
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from studio.engine.style.backbones import ladder_status
from studio.engine.style.gatys import (
    COLOR_MODES,
    StyleError,
    StyleResult,
    StyleSettings,
    StyleTransferJob,
    estimate_memory_bytes,
    save_result,
)
from studio.ui.job_runner import JobRunner
from studio.ui.widgets.image_view import ImageView
from studio.ui.widgets.stylize_inputs import ContentBox, StyleList

STYLE_LOG_RANGE = (1.0, 7.0)  # style_weight 1e1 … 1e7; slider middle = 1e4 (the default)
TV_LOG_RANGE = (-2.0, 2.0)  # tv_weight 1e-2 … 1e2; slider middle = 1
LOSS_KEYS = ("content", "style", "total")
LOSS_COLORS = {"content": "#4e9af1", "style": "#f1a34e", "total": "#d0d0d0"}
BACKBONES = ("auto", "vgg19", "vgg16", "random")
COLOR_LABELS = {"none": "Use the painting's colours", "keep": "Keep the photo's colours",
                "match": "Recolour the painting to the photo"}
SAVE_FILTER = "PNG image (*.png);;JPEG image (*.jpg *.jpeg);;WebP image (*.webp)"


def slider_to_weight(pos: int, lo: float, hi: float) -> float:
    return 10 ** (lo + (hi - lo) * pos / 100.0)


def weight_to_slider(weight: float, lo: float, hi: float) -> int:
    return max(0, min(100, round((math.log10(max(weight, 1e-12)) - lo) / (hi - lo) * 100)))


def backbone_in_use(preference: str) -> tuple[str, str | None]:
    """(rung, warning or None) that `preference` resolves to with the files present now."""
    status = {name: ok for name, ok, _ in ladder_status()}
    if preference == "auto":
        rung = next(name for name in ("vgg19", "vgg16", "random") if status.get(name))
    else:
        rung = preference if status.get(preference) else "random"
    if rung == "random":
        return rung, "Random features: no pretrained network found; results will look texture-like."
    return rung, None


class StylizePage(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("page-stylize")
        self.runner = JobRunner(self)
        self.result: StyleResult | None = None
        self.overrides: dict = {}  # extra StyleSettings fields (tests, advanced use)
        self.loss_steps: list[int] = []
        self.loss_values: dict[str, list[float]] = {k: [] for k in LOSS_KEYS}
        self._job: StyleTransferJob | None = None

        # inputs
        self.content = ContentBox(self)
        self.styles = StyleList(self)
        self.content.changed.connect(self._update_state)
        self.styles.changed.connect(self._update_state)
        self.content.rejected.connect(self._show_error)
        self.styles.rejected.connect(self._show_error)

        # controls
        self.strength = QSlider(Qt.Orientation.Horizontal, self)
        self.strength.setRange(0, 100)
        self.strength.setValue(weight_to_slider(StyleSettings.style_weight, *STYLE_LOG_RANGE))
        self.strength_label = QLabel(self)
        self.smooth = QSlider(Qt.Orientation.Horizontal, self)
        self.smooth.setRange(0, 100)
        self.smooth.setValue(weight_to_slider(StyleSettings.tv_weight, *TV_LOG_RANGE))
        self.smooth_label = QLabel(self)
        self.size_spin = QSpinBox(self)
        self.size_spin.setRange(32, 4096)
        self.size_spin.setSingleStep(64)
        self.size_spin.setSuffix(" px")
        self.size_spin.setValue(512)
        self.iter_spin = QSpinBox(self)
        self.iter_spin.setRange(1, 10_000)
        self.iter_spin.setValue(300)
        self.colors_combo = QComboBox(self)
        for mode in COLOR_MODES:
            self.colors_combo.addItem(COLOR_LABELS.get(mode, mode), mode)
        self.backbone_combo = QComboBox(self)
        self.backbone_combo.addItems(list(BACKBONES))
        self.backbone_label = QLabel(self)
        self.backbone_label.setWordWrap(True)
        self.memory_label = QLabel(self)
        for w in (self.strength, self.smooth):
            w.valueChanged.connect(self._update_labels)
        for w in (self.size_spin, self.iter_spin):
            w.valueChanged.connect(self._update_labels)
        self.backbone_combo.currentIndexChanged.connect(self._update_labels)

        form = QFormLayout()
        srow = QHBoxLayout()
        srow.addWidget(self.strength, 1)
        srow.addWidget(self.strength_label)
        form.addRow("Style strength", srow)
        trow = QHBoxLayout()
        trow.addWidget(self.smooth, 1)
        trow.addWidget(self.smooth_label)
        form.addRow("Smoothness", trow)
        form.addRow("Output size", self.size_spin)
        form.addRow("Iterations", self.iter_spin)
        form.addRow("Colours", self.colors_combo)
        form.addRow("Features", self.backbone_combo)
        form.addRow("", self.backbone_label)
        form.addRow("", self.memory_label)

        # actions
        self.start_button = QPushButton("Start", self)
        self.start_button.clicked.connect(self.start)
        self.stop_button = QPushButton("Stop", self)
        self.stop_button.setToolTip("Stop and discard this run")
        self.stop_button.clicked.connect(lambda: self.stop(keep=False))
        self.keep_button = QPushButton("Keep current result", self)
        self.keep_button.setToolTip("Stop now and keep the picture as it is")
        self.keep_button.clicked.connect(lambda: self.stop(keep=True))
        self.save_button = QPushButton("Save artwork…", self)
        self.save_button.clicked.connect(lambda: self.save_artwork())
        self.progress_label = QLabel("Add a photo and at least one style painting.", self)
        self.progress_label.setWordWrap(True)
        self.error_label = QLabel(self)
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #e06c6c")
        self.error_label.hide()

        # output
        self.preview = ImageView(self, placeholder="The painting appears here while it is made",
                                 min_size=QSize(256, 256))
        self.plot = pg.PlotWidget(background=None)
        self.plot.setMinimumHeight(140)
        self.plot.setLogMode(y=True)
        self.plot.addLegend(offset=(5, 5))
        self.plot.setLabel("bottom", "iteration")
        self.curves = {k: self.plot.plot([], [], name=k, pen=pg.mkPen(LOSS_COLORS[k], width=2)) for k in LOSS_KEYS}

        left = QVBoxLayout()
        g1 = QGroupBox("Photo", self)
        QVBoxLayout(g1).addWidget(self.content)
        g2 = QGroupBox("Style paintings", self)
        QVBoxLayout(g2).addWidget(self.styles)
        g3 = QGroupBox("Settings", self)
        g3.setLayout(form)
        left.addWidget(g1)
        left.addWidget(g2)
        left.addWidget(g3)
        left.addStretch(1)
        buttons = QHBoxLayout()
        for b in (self.start_button, self.stop_button, self.keep_button, self.save_button):
            buttons.addWidget(b)
        right = QVBoxLayout()
        right.addLayout(buttons)
        right.addWidget(self.progress_label)
        right.addWidget(self.error_label)
        right.addWidget(self.preview, 3)
        right.addWidget(self.plot, 1)
        outer = QHBoxLayout(self)
        lw = QWidget(self)
        lw.setLayout(left)
        lw.setMaximumWidth(460)
        outer.addWidget(lw)
        outer.addLayout(right, 1)

        self.runner.progress.connect(self._on_progress)
        self.runner.metrics.connect(self._on_metrics)
        self.runner.preview.connect(lambda ev: self.preview.set_image(ev.image))
        self.runner.notice.connect(self._on_notice)
        self.runner.finished.connect(self._on_finished)
        self.runner.failed.connect(self._on_failed)
        self.runner.running_changed.connect(lambda _on: self._update_state())
        self._update_labels()
        self._update_state()

    # -- settings ---------------------------------------------------------------------------------
    def style_weight(self) -> float:
        return slider_to_weight(self.strength.value(), *STYLE_LOG_RANGE)

    def tv_weight(self) -> float:
        return slider_to_weight(self.smooth.value(), *TV_LOG_RANGE)

    def settings(self) -> StyleSettings:
        fields = dict(size=self.size_spin.value(), iterations=self.iter_spin.value(),
                      style_weight=self.style_weight(), tv_weight=self.tv_weight(),
                      colors=self.colors_combo.currentData(), backbone=self.backbone_combo.currentText(),
                      preview_every_s=0.25)
        fields.update(self.overrides)
        return StyleSettings(**fields)

    def _update_labels(self) -> None:
        self.strength_label.setText(f"{self.style_weight():.3g}")
        self.smooth_label.setText(f"{self.tv_weight():.3g}")
        rung, warning = backbone_in_use(self.backbone_combo.currentText())
        text = f"Uses: {rung}"
        if warning:
            text += f" — ⚠ {warning}"
        self.backbone_label.setText(text)
        self.backbone_label.setStyleSheet("color: #e0a040" if warning else "")
        try:
            arch = "vgg16" if rung == "vgg16" else "vgg19"
            need = estimate_memory_bytes(self.settings(), 1.0, arch)
            self.memory_label.setText(f"Needs about {need / 2**30:.1f} GB of memory")
        except Exception:  # noqa: BLE001 - an estimate must never break the page
            self.memory_label.setText("")

    def _update_state(self) -> None:
        running = self.runner.is_running()
        ready = self.content.path() is not None and bool(self.styles.paths())
        self.start_button.setEnabled(ready and not running)
        self.stop_button.setEnabled(running)
        self.keep_button.setEnabled(running)
        self.save_button.setEnabled(self.result is not None and not running)
        for w in (self.content.drop, self.content.choose_button, self.strength, self.smooth, self.size_spin,
                  self.iter_spin, self.colors_combo, self.backbone_combo):
            w.setEnabled(not running)
        self.content.clear_button.setEnabled(not running and self.content.path() is not None)
        self.styles.set_enabled_editing(not running)
        if not running and self.result is None and not self.error_label.isVisible():
            self.progress_label.setText("Ready — press Start." if ready
                                        else "Add a photo and at least one style painting.")

    # -- run --------------------------------------------------------------------------------------
    def start(self) -> None:
        if self.runner.is_running():
            return
        self._show_error("")
        try:
            job = StyleTransferJob(self.settings(), self.content.path(), self.styles.paths(), self.styles.weights())
        except (StyleError, TypeError, ValueError) as exc:
            self._show_error(str(exc))
            return
        self._job = job
        self.result = None
        self.loss_steps.clear()
        for v in self.loss_values.values():
            v.clear()
        for c in self.curves.values():
            c.setData([], [])
        self.progress_label.setText("Starting…")
        self.runner.start(job)

    def stop(self, keep: bool = True) -> None:
        if not self.runner.is_running():
            return
        if self._job is not None:
            self._job.settings.keep_on_stop = keep
        self.progress_label.setText("Stopping…" if not keep else "Keeping the current result…")
        self.runner.stop()

    def is_busy(self) -> bool:
        return self.runner.is_running()

    def _on_progress(self, ev) -> None:
        total = f"/{ev.total}" if ev.total else ""
        self.progress_label.setText(f"Iteration {ev.step}{total} — {ev.text}")

    def _on_metrics(self, items: list) -> None:
        for m in items:
            self.loss_steps.append(m.step)
            for k in LOSS_KEYS:
                self.loss_values[k].append(max(float(m.values.get(k, 0.0)), 1e-12))
        for k in LOSS_KEYS:
            self.curves[k].setData(self.loss_steps, self.loss_values[k])

    def _on_notice(self, ev) -> None:
        if getattr(ev, "level", "") in ("warning", "error"):
            self._show_error(ev.text)

    def _on_finished(self, ev) -> None:
        self._job = None
        if not isinstance(ev.result, StyleResult):
            self.progress_label.setText("Stopped; nothing kept.")
        else:
            self.result = ev.result
            self.preview.set_image(ev.result.image)
            how = "Stopped early; kept" if ev.result.stopped else "Done"
            self.progress_label.setText(f"{how}: {ev.result.iterations} iterations in {ev.result.seconds:.1f} s.")
        self._update_state()

    def _on_failed(self, ev) -> None:
        self._job = None
        self._show_error(ev.message)
        self.progress_label.setText("The run failed.")
        self._update_state()

    def _show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.setVisible(bool(text))

    def error_message(self) -> str:
        return self.error_label.text() if self.error_label.isVisible() else ""

    # -- export -----------------------------------------------------------------------------------
    def save_artwork(self, path: str | Path | None = None) -> Path | None:
        if self.result is None:
            return None
        if path is None:
            name = f"{Path(self.content.path() or 'artwork').stem}-stylized.png"
            path, _ = QFileDialog.getSaveFileName(self, "Save artwork", name, SAVE_FILTER)
            if not path:
                return None
        path = Path(path)
        if path.suffix.lower() not in (".png", ".jpg", ".jpeg", ".webp"):
            path = path.with_suffix(".png")
        try:
            out = save_result(self.result, path)
        except Exception as exc:  # noqa: BLE001 - ExportError/OSError shown in plain words
            self._show_error(f"Could not save: {exc}")
            return None
        self._show_error("")
        self.progress_label.setText(f"Saved {out.name} (recipe beside it).")
        return out

    def shutdown(self, timeout_ms: int = 10_000) -> bool:
        return self.runner.shutdown(timeout_ms)
