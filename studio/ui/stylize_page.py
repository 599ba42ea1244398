"""The Stylize page: repaint a photo in the style of one or more paintings (Gatys style transfer).

What the page keeps straight:
- Every StyleSettings field an artist can change has exactly one control (basic form, Features panel or
  the Advanced panel). ``settings()`` = engine defaults ← fields restored from a recipe that have no
  control (device, preview rate…) ← the controls ← ``overrides`` (tests, scripting).
- The Preset combo names a lesson preset exactly while every control matches it (defaults + the
  preset's fields); touching any control so that it no longer matches shows "Custom" — nothing hidden
  is kept, so what you see is what runs.
- Inputs pasted as raw pictures are saved under the workspace first, so recipes always name real files.
- Brush masks ("paint-select") are kept at each picture's own size — a selection per style row, region channels
  per style row in the photo box — so no output size, zoom or window size can misalign them; the engine scales
  them per working size. A run takes a copy of them when it starts; paint finished during a run is for the next.
"""

from __future__ import annotations

import json
import math
import time
from functools import partial
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QMimeData, QSize, Qt
from PySide6.QtGui import QGuiApplication, QImage, QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from studio.engine.style.gatys import (
    COLOR_MODES,
    LESSON_PRESETS,
    StyleError,
    StyleResult,
    StyleSettings,
    StyleTransferJob,
    available_memory_bytes,
    estimate_memory_bytes,
    load_recipe,
    load_recipe_masks,
    plan_scales,
    save_result,
    use_bf16,
)
from studio.ui.job_runner import JobRunner
from studio.ui.qimage import uint8_to_qimage
from studio.ui.widgets.collapsible import CollapsibleSection
from studio.ui.widgets.compare_view import CompareView
from studio.ui.widgets.drop_area import local_paths
from studio.ui.widgets.features_panel import FeaturesPanel, backbone_in_use, plain_message
from studio.ui.widgets.mask_dialog import MaskDialog
from studio.ui.widgets.run_progress import EtaEstimator, format_duration, plan_costs, progress_text
from studio.ui.widgets.style_advanced import AdvancedStylePanel, WeightSpinBox, nice_weight
from studio.ui.widgets.stylize_inputs import (
    MAX_REGIONS,
    ContentBox,
    StyleList,
    StyleRow,
    fit_mask,
    image_pixel_size,
)

__all__ = ["PRESET_INFO", "StylizePage", "backbone_in_use", "slider_to_weight", "weight_to_slider"]

STYLE_LOG_RANGE = (-2.0, 4.0)  # style_weight 0.01 … 1e4 (the spin box goes further); default 5 near the middle; 0 = off
TV_LOG_RANGE = (-2.0, 2.0)  # tv_weight 1e-2 … 1e2; slider middle = 1; 0 = off
LOSS_KEYS = ("content", "style", "total")
LOSS_COLORS = {"content": "#4e9af1", "style": "#f1a34e", "total": "#a070e0"}  # readable on both themes
COLOR_LABELS = {"none": "Use the painting's colours", "keep": "Keep the photo's colours",
                "match": "Recolour the painting to the photo"}
SAVE_FILTERS = {"PNG image (*.png)": ".png", "JPEG image (*.jpg *.jpeg)": ".jpg", "WebP image (*.webp)": ".webp"}
ARTWORK_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")
GIF_FILTER = "Animated GIF (*.gif)"
RECIPE_FILTER = "Recipes and artworks (*.json *.png *.jpg *.jpeg *.webp);;All files (*)"
PAGE_DEFAULTS = {"preview_every_s": 0.25}  # the GUI wants livelier previews than the CLI
BASIC_FIELDS = ("size", "iterations", "style_weight", "tv_weight", "colors", "backbone", "vgg19_path")
CONTROL_FIELDS = BASIC_FIELDS + AdvancedStylePanel.FIELDS
TIMELAPSE_FPS = 8.0
TIMELAPSE_HOLD_S = 1.5  # the finished picture stays this long before the GIF loops
COMPARE_SIDE = 2048  # the photo is kept at most this large for the before/after view
CUSTOM = ""
PHOTO_MASK = "photo"  # the key of the regions window among the open mask windows (style rows are the others)
STYLE_MASK_HINT = ("Paint over the parts of this painting whose texture and colours you want — the sky, the "
                   "brushwork in one corner. Only painted parts are copied; soft edges count partly. "
                   "Wheel: zoom · right-drag or Space+drag: move.")
REGIONS_HINT = ("Choose a painting with the numbered buttons, then paint where its style goes on the photo. "
                "Soft edges blend two styles; parts you leave unpainted take a blend of all the paintings. "
                "Wheel: zoom · right-drag or Space+drag: move.")
RUNNING_NOTE = "A painting is being made now with the masks it started with; Done keeps this paint for the next run."

PRESET_INFO: dict[str, tuple[str, str]] = {
    "lesson-content-only": (
        "Lesson 1 · Photo only, from noise",
        "Starts from random noise and only asks that the network's conv4_2 layer (block4_conv2) sees what it "
        "sees in the photo — no painting at all. Shows what a deep layer remembers: the layout and shapes come "
        "back, exact colours and fine texture do not. Needs only a photo."),
    "lesson-content-style": (
        "Lesson 2 · Photo + style, from noise",
        "Starts from noise and matches the photo (conv4_2) and the painting's textures (Gram matrices of "
        "conv1_1 … conv4_1) at once. With no smoothness term the result is busy and grainy — the point the "
        "lesson makes before adding variation."),
    "lesson-content-style-variation": (
        "Lesson 3 · Photo + 150·style + 30·variation",
        "The lesson's final recipe: starts from the photo plus noise and weighs content 1, style 150 (15000 "
        "on this studio's scale) and variation 30. The variation (smoothness) term removes Lesson 2's grain."),
    "lesson-layer-block3_conv2": (
        "Layer view · block3_conv2 (conv3_2)",
        "Rebuilds the photo from noise through one early layer only (L-BFGS). Early layers keep almost "
        "everything: edges, fine texture and even colours come back nearly as they were. Needs only a photo."),
    "lesson-layer-block4_conv2": (
        "Layer view · block4_conv2 (conv4_2)",
        "Rebuilds the photo from noise through one middle-deep layer. Shapes and layout survive while fine "
        "texture and exact colours start to dissolve — which is why style transfer uses this layer for the "
        "photo. Needs only a photo."),
    "lesson-layer-block5_conv1": (
        "Layer view · block5_conv1 (conv5_1)",
        "Rebuilds the photo from noise through the deepest layer. Only a rough arrangement of objects "
        "remains; the picture turns into abstract forms. Needs only a photo."),
}
LOADING_TEXT = {"loading images": "Loading the pictures…", "loading features": "Loading the network…"}


def preset_title(name: str) -> str:
    return PRESET_INFO.get(name, (name.replace("-", " ").capitalize(), ""))[0]


def preset_description(name: str) -> str:
    return PRESET_INFO.get(name, ("", "A lesson preset."))[1]


def slider_to_weight(pos: int, lo: float, hi: float) -> float:
    """Slider position 1…100 → 10^lo … 10^hi on a log scale; 0 means off (weight 0)."""
    if pos <= 0:
        return 0.0
    return 10 ** (lo + (hi - lo) * pos / 100.0)


def weight_to_slider(weight: float, lo: float, hi: float) -> int:
    if weight <= 0:
        return 0
    return max(1, min(100, round((math.log10(max(weight, 1e-12)) - lo) / (hi - lo) * 100)))


def _same(a, b) -> bool:
    """Equality that forgives float round-off (spin boxes) and tuple/list differences."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def _same_size(frames: list[np.ndarray]) -> list[np.ndarray]:
    """Timelapse frames from different scales can differ by a pixel; bring them to the last one's size."""
    from PIL import Image

    h, w = frames[-1].shape[:2]
    return [f if f.shape[:2] == (h, w) else np.asarray(Image.fromarray(f).resize((w, h), Image.BICUBIC))
            for f in frames]


class StylizePage(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("page-stylize")
        self.runner = JobRunner(self)
        self.result: StyleResult | None = None
        self.overrides: dict = {}  # extra StyleSettings fields (tests, scripting); applied last
        self.loss_steps: list[int] = []
        self.scale_lines: list = []  # dashed markers where each finer scale starts
        self.loss_values: dict[str, list[float]] = {k: [] for k in LOSS_KEYS}
        self.eta = EtaEstimator()
        self._job: StyleTransferJob | None = None
        self._extras: dict = dict(PAGE_DEFAULTS)  # settings without a control (from recipes)
        self._applying = 0  # > 0 while code sets many controls at once
        self._syncing = False  # slider <-> number box
        self._before_path: str | None = None
        self._last_dir = ""
        self._devices: dict[str, object] = {}
        self._editable = True
        self._mask_dialogs: dict[object, MaskDialog] = {}  # open mask windows: StyleRow or PHOTO_MASK → window

        self._build_inputs()
        self._build_settings()
        self._build_output()
        self._build_layout()
        self._connect()
        self._on_controls_changed()

    # ========================================================================================= build
    def _build_inputs(self) -> None:
        self.preset_combo = QComboBox(self)
        self.preset_combo.setObjectName("stylePreset")
        self.preset_combo.addItem("Custom", CUSTOM)
        self.preset_combo.setItemData(0, "Your own settings", Qt.ItemDataRole.ToolTipRole)
        for name in LESSON_PRESETS:
            self.preset_combo.addItem(preset_title(name), name)
            self.preset_combo.setItemData(self.preset_combo.count() - 1, preset_description(name),
                                          Qt.ItemDataRole.ToolTipRole)
        self.preset_combo.setToolTip("Ready-made settings, among them the lesson's demonstrations. "
                                     "Change any setting afterwards and this says Custom.")
        self.preset_info = QLabel(self)
        self.preset_info.setObjectName("presetInfo")
        self.preset_info.setWordWrap(True)
        self.preset_info.setStyleSheet("color: #9ca1ab")
        self.open_recipe_button = QPushButton("Open recipe…", self)
        self.open_recipe_button.setToolTip("Repeat an earlier artwork: choose its recipe (.json) or the saved "
                                           "picture; every setting, the photo and the paintings come back.")

        self.content = ContentBox(self)
        self.content.drop.label.setText("Drop a photo here (or paste one: Ctrl+V)")
        self.styles = StyleList(self)
        self.styles.drop.label.setText("Drop one or more style paintings here")

    def _build_settings(self) -> None:
        d = StyleSettings()
        self.strength = QSlider(Qt.Orientation.Horizontal, self)
        self.strength.setRange(0, 100)
        self.strength_spin = WeightSpinBox(0.0, 1e9, d.style_weight, step_from_zero=10 ** STYLE_LOG_RANGE[0],
                                           parent=self)
        self.strength_spin.setObjectName("styleWeight")
        self.strength.setValue(weight_to_slider(d.style_weight, *STYLE_LOG_RANGE))
        tip = ("How strongly the painting's textures count against the photo's content. "
               "Right: more painting; left: more photo; far left: off (no style).")
        self.strength.setToolTip(tip)
        self.strength_spin.setToolTip(tip + " Type an exact number if you like.")
        self.smooth = QSlider(Qt.Orientation.Horizontal, self)
        self.smooth.setRange(0, 100)
        self.smooth_spin = WeightSpinBox(0.0, 1e4, d.tv_weight, step_from_zero=10 ** TV_LOG_RANGE[0], parent=self)
        self.smooth_spin.setObjectName("tvWeight")
        self.smooth.setValue(weight_to_slider(d.tv_weight, *TV_LOG_RANGE))
        tip = ("How much neighbouring pixels are pulled together (the variation loss): more gives calmer, "
               "smoother areas; less keeps grain and crisp detail; far left: off.")
        self.smooth.setToolTip(tip)
        self.smooth_spin.setToolTip(tip)
        # kept for code that reads the old labels
        self.strength_label, self.smooth_label = self.strength_spin, self.smooth_spin

        self.size_spin = QSpinBox(self)
        self.size_spin.setRange(16, 8192)
        self.size_spin.setSingleStep(64)
        self.size_spin.setSuffix(" px")
        self.size_spin.setValue(d.size)
        self.size_spin.setToolTip("The long side of the finished picture. Bigger takes longer and needs more "
                                  "memory (see below); 512 px is a good first try.")
        self.iter_spin = QSpinBox(self)
        self.iter_spin.setRange(1, 100_000)
        self.iter_spin.setValue(d.iterations)
        self.iter_spin.setToolTip("How many improvement steps, over all scales. More steps: a more finished "
                                  "picture; you can also stop early and keep what is there.")
        self.colors_combo = QComboBox(self)
        for mode in COLOR_MODES:
            self.colors_combo.addItem(COLOR_LABELS.get(mode, mode), mode)
        self.colors_combo.setToolTip("Whose colours the result wears: the painting's, the photo's (only the "
                                     "brushwork is transferred), or the painting recoloured to the photo first.")
        self.features = FeaturesPanel(self, embed_combo=False)
        self.backbone_combo = self.features.combo
        self.backbone_label = self.features.status_label
        self.memory_label = QLabel(self)
        self.memory_label.setObjectName("memoryEstimate")
        self.memory_label.setWordWrap(True)
        self.memory_label.setToolTip("A cautious estimate for the largest scale; the run stops with a clear "
                                     "message instead of freezing the computer when memory is short.")

        self.advanced = AdvancedStylePanel(self)
        self.advanced_section = CollapsibleSection("Advanced settings", expanded=False, parent=self)
        self.advanced_section.body_layout.addWidget(self.advanced)
        self.advanced_section.header.setToolTip("Layers, start image, optimiser, seed, pooling and scales")

    def _build_output(self) -> None:
        self.start_button = QPushButton("Start", self)
        self.start_button.setProperty("primary", True)
        self.stop_button = QPushButton("Stop", self)
        self.stop_button.setToolTip("Stop and discard this run")
        self.keep_button = QPushButton("Keep current result", self)
        self.keep_button.setToolTip("Stop now and keep the picture as it is")
        self.save_button = QPushButton("Save artwork…", self)
        self.save_button.setToolTip("Save as PNG, JPEG or WebP; the recipe goes inside and beside it (Ctrl+S)")
        self.gif_button = QPushButton("Save timelapse GIF…", self)
        self.gif_button.setToolTip("An animated GIF of the picture being painted")
        self.copy_button = QPushButton("Copy", self)
        self.copy_button.setToolTip("Copy the picture to the clipboard, to paste into another program")

        self.progress_label = QLabel("Add a photo and at least one style painting.", self)
        self.progress_label.setObjectName("stylizeProgress")
        self.progress_label.setWordWrap(True)
        self.progress_bar = QProgressBar(self)
        self.progress_bar.setObjectName("stylizeProgressBar")
        self.progress_bar.setTextVisible(False)
        self.progress_bar.setMaximumHeight(6)
        self.progress_bar.hide()
        self.error_label = QLabel(self)
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #e06c6c")
        self.error_label.hide()

        self.fit_button = QPushButton("Fit", self)
        self.fit_button.setToolTip("Show the whole picture (double-click the picture, or press F)")
        self.actual_button = QPushButton("100%", self)
        self.actual_button.setToolTip("One picture pixel per screen pixel (press 1)")
        self.compare_button = QPushButton("Before / after", self)
        self.compare_button.setCheckable(True)
        self.compare_button.setToolTip("Show the photo left of a divider and the result right of it; "
                                       "drag the divider to compare")
        self.zoom_label = QLabel(self)
        self.zoom_label.setObjectName("zoomLabel")
        self.zoom_label.setMinimumWidth(90)
        self.view_hint = QLabel("Wheel: zoom · drag: move · double-click: fit", self)
        self.view_hint.setStyleSheet("color: #7d828c")
        self.preview = CompareView(self, placeholder="The painting appears here while it is made",
                                   min_size=QSize(256, 200))
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
        self.plot_legend = QLabel(f'<span style="color:#9ca1ab">Losses (lower = closer):</span> &nbsp; {keys}', self)
        self.plot_legend.setToolTip(self.plot.toolTip())

    def _build_layout(self) -> None:
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for label, slider, spin in (("Style strength", self.strength, self.strength_spin),
                                    ("Smoothness", self.smooth, self.smooth_spin)):
            row = QHBoxLayout()
            row.addWidget(slider, 1)
            spin.setFixedWidth(84)
            row.addWidget(spin)
            form.addRow(label, row)
        form.addRow("Output size", self.size_spin)
        form.addRow("Iterations", self.iter_spin)
        form.addRow("Colours", self.colors_combo)
        form.addRow("Features", self.features.combo)
        form.addRow(self.features)
        form.addRow(self.memory_label)

        left = QVBoxLayout()
        left.setContentsMargins(8, 8, 8, 8)
        left.setSpacing(8)
        prow = QHBoxLayout()
        plabel = QLabel("Preset", self)
        plabel.setToolTip(self.preset_combo.toolTip())
        prow.addWidget(plabel)
        prow.addWidget(self.preset_combo, 1)
        prow.addWidget(self.open_recipe_button)
        left.addLayout(prow)
        left.addWidget(self.preset_info)
        g1 = QGroupBox("Photo", self)
        QVBoxLayout(g1).addWidget(self.content)
        g2 = QGroupBox("Style paintings", self)
        QVBoxLayout(g2).addWidget(self.styles)
        g3 = QGroupBox("Settings", self)
        g3.setLayout(form)
        for g in (g1, g2, g3):
            left.addWidget(g)
        left.addWidget(self.advanced_section)
        left.addStretch(1)
        left_inner = QWidget(self)
        left_inner.setObjectName("stylizeSettingsColumn")
        left_inner.setLayout(left)
        self.left_scroll = QScrollArea(self)
        self.left_scroll.setObjectName("stylizeLeftScroll")
        self.left_scroll.setWidgetResizable(True)
        self.left_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.left_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.left_scroll.setWidget(left_inner)
        self.left_scroll.setFixedWidth(480)

        # run controls with the how-to hint on one row, view and output actions on the next, so no label is
        # clipped at 1280 px wide; buttons never shrink below their text
        run_row = QHBoxLayout()
        for b in (self.start_button, self.stop_button, self.keep_button):
            run_row.addWidget(b)
        run_row.addStretch(1)
        run_row.addWidget(self.view_hint)
        view_row = QHBoxLayout()
        for b in (self.fit_button, self.actual_button, self.compare_button):
            view_row.addWidget(b)
        view_row.addWidget(self.zoom_label)
        view_row.addStretch(1)
        for b in (self.save_button, self.gif_button, self.copy_button):
            view_row.addWidget(b)
        for b in (self.start_button, self.stop_button, self.keep_button, self.save_button, self.gif_button,
                  self.copy_button, self.fit_button, self.actual_button, self.compare_button):
            b.setMinimumWidth(b.sizeHint().width())
        right = QVBoxLayout()
        right.addLayout(run_row)
        right.addWidget(self.progress_label)
        right.addWidget(self.progress_bar)
        right.addWidget(self.error_label)
        right.addLayout(view_row)
        right.addWidget(self.preview, 3)
        right.addWidget(self.plot_legend)
        right.addWidget(self.plot, 1)
        outer = QHBoxLayout(self)
        outer.addWidget(self.left_scroll)
        outer.addLayout(right, 1)
        for w in (self.progress_label, self.error_label, self.preset_info):
            w.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)

    def _connect(self) -> None:
        self.content.changed.connect(self._on_content_changed)
        self.styles.changed.connect(self._on_styles_changed)
        self.styles.mask_requested.connect(self.open_style_mask)
        self.content.regions_requested.connect(self.open_region_mask)
        self.content.regions_changed.connect(self._update_state)
        self.content.rejected.connect(self._show_error)
        self.styles.rejected.connect(self._show_error)
        self.preset_combo.currentIndexChanged.connect(self._on_preset_chosen)
        self.open_recipe_button.clicked.connect(lambda: self.open_recipe())
        self.strength.valueChanged.connect(self._on_strength_slider)
        self.smooth.valueChanged.connect(self._on_smooth_slider)
        self.strength_spin.valueChanged.connect(self._on_strength_spin)
        self.smooth_spin.valueChanged.connect(self._on_smooth_spin)
        for w in (self.size_spin, self.iter_spin):
            w.valueChanged.connect(self._on_controls_changed)
        self.colors_combo.currentIndexChanged.connect(self._on_controls_changed)
        self.features.changed.connect(self._on_controls_changed)
        self.advanced.changed.connect(self._on_controls_changed)

        self.start_button.clicked.connect(self.start)
        self.stop_button.clicked.connect(lambda: self.stop(keep=False))
        self.keep_button.clicked.connect(lambda: self.stop(keep=True))
        self.save_button.clicked.connect(lambda: self.save_artwork())
        self.gif_button.clicked.connect(lambda: self.save_timelapse())
        self.copy_button.clicked.connect(self.copy_to_clipboard)
        self.fit_button.clicked.connect(self.preview.fit)
        self.actual_button.clicked.connect(lambda: self.preview.actual_size())
        self.compare_button.toggled.connect(self.preview.set_compare)
        self.preview.compare_changed.connect(self.compare_button.setChecked)
        self.preview.view_changed.connect(self._update_zoom_label)

        ctx = Qt.ShortcutContext.WidgetWithChildrenShortcut
        self.paste_shortcut = QShortcut(QKeySequence.StandardKey.Paste, self, self._paste_shortcut, context=ctx)
        self.save_shortcut = QShortcut(QKeySequence.StandardKey.Save, self, self._save_shortcut, context=ctx)

        self.runner.progress.connect(self._on_progress)
        self.runner.metrics.connect(self._on_metrics)
        self.runner.preview.connect(self._on_preview)
        self.runner.notice.connect(self._on_notice)
        self.runner.finished.connect(self._on_finished)
        self.runner.failed.connect(self._on_failed)
        self.runner.running_changed.connect(self._on_running_changed)

    # ====================================================================================== settings
    def style_weight(self) -> float:
        return float(self.strength_spin.value())

    def tv_weight(self) -> float:
        return float(self.smooth_spin.value())

    def control_values(self) -> dict:
        """The StyleSettings fields the controls show (StyleError for an unreadable scales list)."""
        values = dict(size=self.size_spin.value(), iterations=self.iter_spin.value(),
                      style_weight=self.style_weight(), tv_weight=self.tv_weight(),
                      colors=self.colors_combo.currentData(), backbone=self.features.preference(),
                      vgg19_path=self.features.vgg19_path())
        values.update(self.advanced.values())
        return values

    def settings(self) -> StyleSettings:
        fields = StyleSettings().to_dict()
        fields.update(self._extras)
        fields.update(self.control_values())
        fields.update(self.overrides)
        return StyleSettings(**fields)

    def set_settings(self, settings: StyleSettings | dict) -> None:
        """Show ``settings`` in every control; fields without a control are kept for the next run."""
        d = settings.to_dict() if isinstance(settings, StyleSettings) else dict(settings)
        known = set(StyleSettings.__dataclass_fields__)
        self._applying += 1
        try:
            if "size" in d:
                self.size_spin.setValue(int(d["size"]))
            if "iterations" in d:
                self.iter_spin.setValue(int(d["iterations"]))
            if "style_weight" in d:
                self.strength_spin.setValue(float(d["style_weight"]))
            if "tv_weight" in d:
                self.smooth_spin.setValue(float(d["tv_weight"]))
            if "colors" in d:
                i = self.colors_combo.findData(d["colors"])
                if i >= 0:
                    self.colors_combo.setCurrentIndex(i)
            if "backbone" in d:
                self.features.set_preference(d["backbone"])
            if "vgg19_path" in d:
                self.features.set_vgg19_path(d["vgg19_path"])
            self.advanced.set_arch(self.features.arch())
            self.advanced.set_values({k: v for k, v in d.items() if k in AdvancedStylePanel.FIELDS})
            self._extras = {**PAGE_DEFAULTS, **{k: v for k, v in d.items()
                                                if k in known and k not in CONTROL_FIELDS}}
        finally:
            self._applying -= 1
        self._on_controls_changed()

    # -- presets ------------------------------------------------------------------------------------
    def preset(self) -> str:
        """The lesson preset on show, or "" for Custom."""
        return self.preset_combo.currentData() or CUSTOM

    def apply_preset(self, name: str) -> None:
        """Engine defaults + the preset's fields into every control (your VGG19 file and device stay)."""
        if name not in LESSON_PRESETS:
            raise StyleError(f"unknown preset {name!r}")
        keep = {k: v for k, v in self._extras.items() if k == "device"}
        base = {**StyleSettings().to_dict(), **PAGE_DEFAULTS, **keep, "vgg19_path": self.features.vgg19_path(),
                **LESSON_PRESETS[name]}
        self.set_settings(base)
        self._show_preset(name)

    def matches_preset(self, name: str) -> bool:
        target = {**StyleSettings().to_dict(), **LESSON_PRESETS[name]}
        try:
            current = self.control_values()
        except StyleError:
            return False
        return all(_same(current[k], target[k]) for k in CONTROL_FIELDS if k != "vgg19_path" and k in target)

    def _on_preset_chosen(self, _index: int) -> None:
        if self._applying:
            return
        name = self.preset()
        if name:
            self.apply_preset(name)
        else:
            self._show_preset(CUSTOM)

    def _show_preset(self, name: str) -> None:
        i = max(0, self.preset_combo.findData(name))
        self.preset_combo.blockSignals(True)
        self.preset_combo.setCurrentIndex(i)
        self.preset_combo.blockSignals(False)
        if name:
            self.preset_info.setText(preset_description(name))
            self.preset_combo.setToolTip(preset_description(name))
        else:
            self.preset_info.setText("")
            self.preset_combo.setToolTip("Ready-made settings, among them the lesson's demonstrations. "
                                         "Change any setting afterwards and this says Custom.")
        self.preset_info.setVisible(bool(name))

    def _sync_preset_combo(self) -> None:
        current = self.preset()
        if current and self.matches_preset(current):
            return
        match = next((n for n in LESSON_PRESETS if self.matches_preset(n)), CUSTOM)
        if match != current:
            self._show_preset(match)

    # -- slider <-> number ----------------------------------------------------------------------------
    def _on_strength_slider(self, pos: int) -> None:
        if not self._syncing:
            self._syncing = True
            self.strength_spin.setValue(nice_weight(slider_to_weight(pos, *STYLE_LOG_RANGE)))
            self._syncing = False

    def _on_smooth_slider(self, pos: int) -> None:
        if not self._syncing:
            self._syncing = True
            self.smooth_spin.setValue(nice_weight(slider_to_weight(pos, *TV_LOG_RANGE)))
            self._syncing = False

    def _on_strength_spin(self, value: float) -> None:
        if not self._syncing:
            self._syncing = True
            self.strength.setValue(weight_to_slider(value, *STYLE_LOG_RANGE))
            self._syncing = False
        self._on_controls_changed()

    def _on_smooth_spin(self, value: float) -> None:
        if not self._syncing:
            self._syncing = True
            self.smooth.setValue(weight_to_slider(value, *TV_LOG_RANGE))
            self._syncing = False
        self._on_controls_changed()

    def _on_controls_changed(self, *_args) -> None:
        if self._applying:
            return
        self.advanced.set_arch(self.features.arch())
        self._sync_preset_combo()
        self._update_labels()
        self._update_state()

    # -- labels -------------------------------------------------------------------------------------
    def _aspect(self) -> float:
        thumb = self.content.thumb.image
        if thumb is None:
            return 1.0
        return thumb.shape[1] / max(1, thumb.shape[0])

    def _device(self, pref: str):
        if pref not in self._devices:
            from studio.engine.device import pick_device

            try:
                self._devices[pref] = pick_device(pref)
            except Exception:  # noqa: BLE001 - an unavailable device is reported when the run starts
                self._devices[pref] = "cpu"
        return self._devices[pref]

    def _update_labels(self) -> None:
        if not self.loss_steps:
            self.plot.setXRange(0, self.iter_spin.value())
        try:
            s = self.settings()
            aspect = 1.0 if s.center_crop else self._aspect()
            device = self._device(s.device)
            need = estimate_memory_bytes(s, aspect, self.features.arch(), use_bf16(s.precision, device))
            have = available_memory_bytes(device)
        except Exception:  # noqa: BLE001 - an estimate must never break the page
            self.memory_label.setText("")
            return
        if have is not None and need > have:
            self.memory_label.setText(f"⚠ Needs about {need / 1e9:.1f} GB of memory but only {have / 1e9:.1f} GB "
                                      "is free: choose a smaller output size.")
            self.memory_label.setStyleSheet("color: #e0a040")
        else:
            free = f" ({have / 1e9:.1f} GB free)" if have is not None else ""
            self.memory_label.setText(f"Needs about {need / 1e9:.1f} GB of memory{free}")
            self.memory_label.setStyleSheet("color: #9ca1ab")

    def _update_zoom_label(self) -> None:
        if self.preview.image is None:
            self.zoom_label.setText("")
        else:
            z = round(self.preview.zoom() * 100)
            self.zoom_label.setText(f"Fit · {z} %" if self.preview.is_fit() else f"Zoom {z} %")
        self.fit_button.setEnabled(self.preview.image is not None and not self.preview.is_fit())

    def _missing_inputs(self) -> str:
        if self.content.path() is None:
            return "Add a photo: drop it, choose it, or paste it (Ctrl+V)."
        try:
            s = self.settings()
        except (StyleError, TypeError, ValueError):
            return ""  # Start explains it
        needs_style = (s.style_weight > 0 and bool(s.style_layers)) or s.init == "style"
        if needs_style and not self.styles.paths():
            return "Add at least one style painting."
        if self.features.rung() is None:
            return ("The chosen network is not on this computer: get it under Settings → Features, "
                    "or choose 'Best available'.")
        return ""

    def _update_state(self, *_args) -> None:
        running = self.runner.is_running()
        missing = self._missing_inputs()
        self.start_button.setEnabled(not running and not missing)
        self.start_button.setToolTip(missing or "Start painting; the settings are locked while it runs")
        self.stop_button.setEnabled(running)
        self.keep_button.setEnabled(running)
        has_result = self.result is not None and not running
        self.save_button.setEnabled(has_result)
        self.gif_button.setEnabled(has_result and bool(self.result.timelapse))
        shown = self.preview.image is not None
        self.copy_button.setEnabled(shown)
        self.actual_button.setEnabled(shown)
        self.compare_button.setEnabled(shown and self.preview.has_before())
        if not self.compare_button.isEnabled():
            self.compare_button.setChecked(False)
        self._update_zoom_label()
        for w in (self.content.drop, self.content.choose_button, self.strength, self.strength_spin, self.smooth,
                  self.smooth_spin, self.size_spin, self.iter_spin, self.colors_combo, self.features.combo,
                  self.preset_combo, self.open_recipe_button):
            w.setEnabled(not running)
        if self._editable != (not running):
            self._editable = not running
            self.advanced.set_editable(not running)
        self.content.clear_button.setEnabled(not running and self.content.path() is not None)
        self.styles.set_enabled_editing(not running)
        self.content.set_regions_editable(not running)
        for dialog in self._mask_dialogs.values():
            dialog.set_note(RUNNING_NOTE if running else "")
        if not running and self.result is None and self.error_label.isHidden() and not shown:
            self.progress_label.setText(missing or "Ready — press Start.")

    # ============================================================================================ run
    def start(self) -> None:
        if self.runner.is_running():
            return
        self._show_error("")
        try:
            settings = self.settings()
            missing = self._missing_inputs()
            if missing:
                raise StyleError(missing)
            job = StyleTransferJob(settings, self.content.path(), self.styles.paths(), self.styles.weights(),
                                   style_masks=self.styles.masks(), content_mask=self.content.regions())
        except (StyleError, TypeError, ValueError) as exc:
            self._show_error(plain_message(str(exc)))
            return
        self._job = job
        self.result = None
        self.loss_steps.clear()
        for v in self.loss_values.values():
            v.clear()
        for c in self.curves.values():
            c.setData([], [])
        self.plot.enableAutoRange()
        try:
            plan = plan_scales(settings)
            costs = plan_costs(plan)
        except Exception:  # noqa: BLE001 - a plan change in the engine only costs ETA accuracy
            plan, costs = [], None
        self._mark_scales(plan)
        self.eta.reset(costs)
        self._set_before(self.content.path())
        self.preview.set_placeholder("The painting appears here while it is made")
        self.progress_bar.setRange(0, max(1, settings.iterations))
        self.progress_bar.setValue(0)
        self.progress_bar.show()
        self.progress_label.setText("Starting…")
        self.runner.start(job)

    def stop(self, keep: bool = True) -> None:
        if not self.runner.is_running():
            return
        if self._job is not None:
            self._job.settings.keep_on_stop = keep
        self.progress_label.setText("Keeping the current result…" if keep else "Stopping…")
        self.runner.stop()

    def is_busy(self) -> bool:
        return self.runner.is_running()

    def _on_running_changed(self, _on: bool) -> None:
        self._update_state()

    def _on_progress(self, ev) -> None:
        if ev.step <= 0 or not ev.total:
            self.progress_label.setText(LOADING_TEXT.get(ev.text, ev.text[:1].upper() + ev.text[1:] + "…"))
            return
        self.eta.update(ev.step, ev.total)
        self.progress_label.setText(progress_text(ev.step, ev.total, ev.text, self.eta.seconds_left()))
        self.progress_bar.setRange(0, ev.total)
        self.progress_bar.setValue(ev.step)

    def _mark_scales(self, plan: list[tuple[int, int]]) -> None:
        """A dashed line where each finer scale starts, labelled with its size: the losses jump there (a bigger
        picture, and the coarse passes use a style weight matched to their size)."""
        for line in self.scale_lines:
            self.plot.removeItem(line)
        self.scale_lines = []
        step = 0
        for i, (side, count) in enumerate(plan):
            if i:
                line = pg.InfiniteLine(pos=step + 0.5, angle=90, movable=False,
                                       pen=pg.mkPen("#9ca1ab", width=1, style=Qt.PenStyle.DashLine),
                                       label=f"{side} px", labelOpts={"position": 0.1, "color": "#9ca1ab"})
                self.plot.addItem(line, ignoreBounds=True)
                self.scale_lines.append(line)
            step += count

    def _on_metrics(self, items: list) -> None:
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

    def _on_preview(self, ev) -> None:
        self.preview.set_image(ev.image)
        self._update_state()

    def _on_notice(self, ev) -> None:
        level = getattr(ev, "level", "")
        if level in ("warning", "error"):
            self._show_error(ev.text, level)

    def _on_finished(self, ev) -> None:
        self._job = None
        self.progress_bar.hide()
        if not isinstance(ev.result, StyleResult):
            self.preview.set_image(None)
            self.preview.set_placeholder("Stopped — nothing kept. Press Start to paint again.")
            self.progress_label.setText("Stopped; nothing kept.")
        else:
            self.result = ev.result
            self.preview.set_image(ev.result.image)
            h, w = ev.result.image.shape[:2]
            how = "Stopped early; kept" if ev.result.stopped else "Done"
            took = format_duration(ev.result.seconds, approximate=False)
            self.progress_label.setText(f"{how}: {ev.result.iterations} iterations in {took} · {w} × {h} px.")
        self._update_state()

    def _on_failed(self, ev) -> None:
        self._job = None
        self.progress_bar.hide()
        self._show_error(plain_message(ev.message))
        self.progress_label.setText("The run failed.")
        self._update_state()

    def _show_error(self, text: str, level: str = "error") -> None:
        self.error_label.setText(text)
        self.error_label.setStyleSheet("color: #e0a040" if level == "warning" else "color: #e06c6c")
        self.error_label.setVisible(bool(text))

    def error_message(self) -> str:
        return self.error_label.text() if not self.error_label.isHidden() else ""

    # ====================================================================================== inputs
    def _on_content_changed(self) -> None:
        dialog = self._mask_dialogs.get(PHOTO_MASK)
        if dialog is not None and dialog.source != self.content.path():
            dialog.discard()  # painted on a photo that is no longer the one
        if self.preview.image is None or self.result is None:
            self._set_before(self.content.path())
        self._on_controls_changed()

    def _set_before(self, path: str | None) -> None:
        """Load the photo for the before/after view (at most COMPARE_SIDE on its long side)."""
        if path == self._before_path:
            return
        self._before_path = path
        image = None
        if path:
            from studio.engine.images import load_image

            try:
                pil = load_image(path, "RGB")
                pil.thumbnail((COMPARE_SIDE, COMPARE_SIDE))
                image = np.asarray(pil, dtype=np.uint8)
            except Exception:  # noqa: BLE001 - the content box already said why a photo cannot be used
                image = None
        self.preview.set_before_image(image)
        self._update_state()

    def paste(self, mime: QMimeData | None = None) -> list[str]:
        """Clipboard pictures or picture files: the photo when there is none yet, otherwise styles.
        Raw pictures are saved under the workspace first so recipes can name them. Returns the paths."""
        if self.runner.is_running():
            self._show_error("Wait for the painting to finish (or stop it) before changing the pictures.")
            return []
        if mime is None:
            mime = QGuiApplication.clipboard().mimeData()
        paths = self._paths_from_mime(mime)
        if not paths:
            self._show_error("The clipboard holds no picture or picture file to paste.")
            return []
        self._show_error("")
        as_photo: list[str] = []
        rest = list(paths)
        if self.content.path() is None:
            first = rest.pop(0)
            self.content.set_path(first)
            if self.content.path() == first:
                as_photo.append(first)
        as_style = [p for p in rest if p in self.styles.paths()] if rest and self.styles.add_paths(rest) else []
        parts = []
        if as_photo:
            parts.append(f"{Path(as_photo[0]).name} as the photo")
        if as_style:
            what = "a style painting" if len(as_style) == 1 else "style paintings"
            parts.append(f"{', '.join(Path(p).name for p in as_style)} as {what}")
        if parts:
            self.progress_label.setText(f"Pasted {' and '.join(parts)}.")
        return as_photo + as_style

    def _paths_from_mime(self, mime: QMimeData | None) -> list[str]:
        if mime is None:
            return []
        paths = [p for p in local_paths(mime) if Path(p).is_file()]
        if not paths and mime.hasText():
            for line in mime.text().splitlines():
                line = line.strip().removeprefix("file://")
                if line and Path(line).is_file():
                    paths.append(line)
        if not paths and mime.hasImage():
            data = mime.imageData()
            image = data.toImage() if isinstance(data, QPixmap) else QImage(data)
            if not image.isNull():
                saved = self._save_pasted(image)
                if saved:
                    paths.append(saved)
        return paths

    def _save_pasted(self, image: QImage) -> str | None:
        from studio.ui.workspace import workspace_dir as default_workspace  # the artist's choice

        folder = default_workspace() / "pasted"
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self._show_error(f"Cannot keep the pasted picture in {folder}: {exc}")
            return None
        stamp = time.strftime("%Y%m%d-%H%M%S")
        path = folder / f"pasted-{stamp}.png"
        n = 2
        while path.exists():
            path = folder / f"pasted-{stamp}-{n}.png"
            n += 1
        if not image.save(str(path), "PNG"):
            self._show_error(f"Cannot write {path}")
            return None
        return str(path)

    def _paste_shortcut(self) -> None:
        self.paste()

    def _save_shortcut(self) -> None:
        if self.save_button.isEnabled():
            self.save_artwork()

    # ====================================================================================== masks
    def _on_styles_changed(self) -> None:
        rows = list(self.styles.rows)
        for key in [k for k in self._mask_dialogs if k != PHOTO_MASK and k not in rows]:
            self._mask_dialogs[key].discard()  # its painting left the list, and the mask with it
        regions_dialog = self._mask_dialogs.get(PHOTO_MASK)
        if regions_dialog is not None and not any(r in rows for r in regions_dialog.targets):
            regions_dialog.discard()  # every painting it paints for is gone (e.g. a recipe replaced them)
        self.content.set_styles(rows, [Path(r.path).name for r in rows])
        self._update_state()

    def _row(self, target: StyleRow | int) -> StyleRow | None:
        if isinstance(target, StyleRow):
            return target if target in self.styles.rows else None
        return self.styles.rows[target] if 0 <= target < len(self.styles.rows) else None

    def mask_dialog(self, target: StyleRow | int | None = None) -> MaskDialog | None:
        """The open mask window of a style row (or its index in the list), or of the photo (None)."""
        key = PHOTO_MASK if target is None else self._row(target)
        return self._mask_dialogs.get(key) if key is not None else None

    def style_masks(self) -> list[np.ndarray | None]:
        """Per painting, the part to use (float H×W at that painting's size) or None for all of it."""
        return self.styles.masks()

    def content_regions(self) -> np.ndarray | None:
        """Which style goes where: float H×W×R at the photo's size (R = paintings, in list order), or None."""
        return self.content.regions()

    def open_style_mask(self, target: StyleRow | int) -> MaskDialog | None:
        """Open (or bring forward) the window that paints which parts of a painting to use."""
        row = self._row(target)
        if row is None or not self._may_edit_masks():
            return None
        if row in self._mask_dialogs:
            return self._raise(self._mask_dialogs[row])
        image = self._load_full(row.path)
        if image is None:
            return None
        h, w = image.shape[:2]
        mask = None if row.mask is None else fit_mask(row.mask, w, h)
        name = Path(row.path).name
        dialog = MaskDialog(image, f"Parts of {name} to use — paint mask", STYLE_MASK_HINT, mask, parent=self)
        dialog.accepted_mask.connect(partial(self._style_mask_painted, row))
        return self._show_mask_dialog(row, dialog, row.path)

    def open_region_mask(self) -> MaskDialog | None:
        """Open (or bring forward) the window that paints on the photo which painting's style goes where."""
        if not self._may_edit_masks():
            return None
        if PHOTO_MASK in self._mask_dialogs:
            return self._raise(self._mask_dialogs[PHOTO_MASK])
        photo, rows = self.content.path(), list(self.styles.rows)
        if photo is None or not rows:
            self._show_error("Add a photo and at least one style painting, then paint where each style goes.")
            return None
        if len(rows) > MAX_REGIONS:
            self._show_error(f"Regions can be painted for at most {MAX_REGIONS} paintings; remove some first.")
            return None
        image = self._load_full(photo)
        if image is None:
            return None
        h, w = image.shape[:2]
        regions = self.content.regions(rows)
        names = [Path(r.path).name for r in rows]
        dialog = MaskDialog(image, f"Where each style goes on {Path(photo).name}", REGIONS_HINT,
                            None if regions is None else fit_mask(regions, w, h), regions=len(rows),
                            region_names=names, parent=self)
        dialog.accepted_mask.connect(partial(self._regions_painted, rows))
        dialog.targets = rows
        return self._show_mask_dialog(PHOTO_MASK, dialog, photo)

    def _may_edit_masks(self) -> bool:
        if self.runner.is_running():
            self._show_error("Wait for the painting to finish (or stop it) before painting masks.")
            return False
        return True

    def _load_full(self, path: str) -> np.ndarray | None:
        """The picture at its own size through the safe loader (the mask is painted and kept at that size)."""
        from studio.engine.images import load_image

        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            return np.asarray(load_image(path, "RGB"), dtype=np.uint8)
        except Exception as exc:  # noqa: BLE001 - ImageRejected/OSError in plain words
            self._show_error(f"{Path(path).name} cannot be opened for painting: {plain_message(str(exc))}")
            return None
        finally:
            QApplication.restoreOverrideCursor()

    def _show_mask_dialog(self, key, dialog: MaskDialog, source: str) -> MaskDialog:
        dialog.source = source
        dialog.finished.connect(partial(self._mask_dialog_closed, key, dialog))
        dialog.set_note(RUNNING_NOTE if self.runner.is_running() else "")
        self._mask_dialogs[key] = dialog
        return self._raise(dialog)

    @staticmethod
    def _raise(dialog: MaskDialog) -> MaskDialog:
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()
        return dialog

    def _mask_dialog_closed(self, key, dialog: MaskDialog, _result: int) -> None:
        if self._mask_dialogs.get(key) is dialog:
            del self._mask_dialogs[key]
        dialog.deleteLater()

    def _style_mask_painted(self, row: StyleRow, mask: np.ndarray | None) -> None:
        if row in self.styles.rows:
            row.set_mask(mask)

    def _regions_painted(self, rows: list[StyleRow], regions: np.ndarray | None) -> None:
        self.content.set_regions(regions, rows)  # rows removed while the window was open are skipped

    def _restore_masks(self, path: Path, rows: dict[int, StyleRow], photo_found: bool, square_crop: bool) -> list[str]:
        """Masks named by a recipe back onto the paintings (``rows``: recipe style index → row) and the photo.
        Returns what could not be restored, for the message; everything else is restored."""
        from studio.engine.style.masks import load_style_mask

        try:
            style_files, region_files = load_recipe_masks(path)
            notes: list[str] = []
        except StyleError:
            style_files, region_files, missing = _recipe_mask_files(path)
            notes = [f"the mask {name}" for name in missing]

        def load(f: Path, size: tuple[int, int]) -> np.ndarray | None:
            try:
                return fit_mask(load_style_mask(f), *size, square_crop=square_crop)
            except Exception as exc:  # noqa: BLE001 - an unreadable mask is named, the rest still restored
                notes.append(f"the mask {f.name} ({plain_message(str(exc))})")
                return None

        for k, f in enumerate(style_files):
            row = rows.get(k)
            if f is not None and row is not None:
                mask = load(f, image_pixel_size(row.path))
                if mask is not None:
                    row.set_mask(mask)
        if region_files and any(f is not None for f in region_files):
            if not photo_found:
                notes.append("where each style goes (it was painted on the photo that is missing)")
            else:
                size = image_pixel_size(self.content.path())
                keys, channels = [], []
                for k, f in enumerate(region_files):
                    row = rows.get(k)
                    channel = load(f, size) if f is not None and row is not None else None
                    if channel is not None:
                        keys.append(row)
                        channels.append(channel)
                self.content.set_regions(np.stack(channels, -1) if channels else None, keys)
        return notes

    # ====================================================================================== recipes
    def open_recipe(self, path: str | Path | None = None) -> bool:
        """Restore every setting, the photo, the paintings and their blend weights from a recipe or artwork.
        Files that are gone are named in the message; everything else is still restored."""
        if self.runner.is_running():
            return False
        if path is None:
            path, _ = QFileDialog.getOpenFileName(self, "Open recipe", self._start_dir(), RECIPE_FILTER)
            if not path:
                return False
        path = Path(path)
        self._last_dir = str(path.parent)
        try:
            settings, content, styles, blend = load_recipe(path)
        except StyleError as exc:
            self._show_error(plain_message(str(exc)))
            return False
        notes: list[str] = []
        vgg19 = settings.vgg19_path
        if vgg19 and not Path(vgg19).is_file():
            notes.append(f"the VGG19 file {Path(vgg19).name} (using the usual features instead)")
            settings.vgg19_path = self.features.vgg19_path()
        if settings.style_blend and not blend:
            blend = list(settings.style_blend)
        settings.style_blend = None  # the weights live in the style list

        def locate(name: str) -> str | None:
            if not name or name.startswith("<"):
                return None
            p = Path(name)
            for cand in (p, path.parent / p, path.parent / p.name):
                if cand.is_file():
                    return str(cand)
            return None

        self._show_error("")
        self.set_settings(settings)
        found_content = locate(content)
        if found_content:
            self.content.set_path(found_content)
        elif not content or content.startswith("<"):
            notes.append("the photo (the recipe names no file for it)")
        else:
            notes.append(f"the photo {Path(content).name}")
        weights = list(blend) + [1.0] * (len(styles) - len(blend))
        found = [(locate(s), w) for s, w in zip(styles, weights, strict=False)]
        notes += [f"the painting {Path(s).name or s}" for s, (p, _) in zip(styles, found, strict=False) if p is None]
        present = [(p, w) for p, w in found if p is not None]
        rows: dict[int, StyleRow] = {}  # recipe style index → its row, for the masks
        if present:
            self.styles.set_items([p for p, _ in present], [w for _, w in present])
            listed = iter(self.styles.rows)
            row = next(listed, None)
            for k, (p, _) in enumerate(found):
                if p is not None and row is not None and row.path == p:
                    rows[k] = row
                    row = next(listed, None)
        elif styles:
            notes.append("so your current paintings stay")
        notes += self._restore_masks(path, rows, found_content is not None, settings.center_crop)
        self._sync_preset_combo()
        self._update_state()
        if notes:
            self._show_error(f"Recipe {path.name} opened, but these were not found: {'; '.join(notes)}. "
                             "Add them again to repeat it exactly.", "warning")
        else:
            self.progress_label.setText(f"Recipe {path.name} opened — press Start to paint it again.")
        return True

    # ====================================================================================== export
    def _start_dir(self) -> str:
        """Where file dialogs open: the last folder used, else the workspace when it exists."""
        if not self._last_dir:
            from studio.engine.gallery import ensure_workspace_folder
            from studio.ui.workspace import workspace_dir as default_workspace  # the artist's choice

            ws = default_workspace()
            self._last_dir = str(ensure_workspace_folder("artwork", ws)) if ws.is_dir() else ""
        return self._last_dir

    def _save_dialog(self, title: str, name: str, filters: str, selected: str = "") -> tuple[str, str]:
        start = str(Path(self._start_dir()) / name) if self._start_dir() else name
        path, chosen = QFileDialog.getSaveFileName(self, title, start, filters, selected)
        if path:
            self._last_dir = str(Path(path).parent)
        return path, chosen

    def _default_name(self, suffix: str) -> str:
        return f"{Path(self.content.path() or 'artwork').stem}-stylized{suffix}"

    def save_artwork(self, path: str | Path | None = None) -> Path | None:
        if self.result is None:
            return None
        from studio.preferences import current_config

        export = current_config().export  # the artwork format and quality chosen in Settings
        suffix = f".{export.artwork_format}"
        if path is None:
            selected = next((f for f, s in SAVE_FILTERS.items() if s == suffix), "")
            path, chosen = self._save_dialog("Save artwork", self._default_name(suffix), ";;".join(SAVE_FILTERS),
                                             selected)
            if not path:
                return None
            if Path(path).suffix.lower() not in ARTWORK_SUFFIXES:
                path = f"{path}{SAVE_FILTERS.get(chosen, '.png')}"
        path = Path(path)
        if path.suffix.lower() not in ARTWORK_SUFFIXES:
            path = path.with_suffix(".png")
        try:
            out = save_result(self.result, path, quality=export.jpeg_quality)
        except Exception as exc:  # noqa: BLE001 - ExportError/OSError shown in plain words
            self._show_error(f"Could not save: {plain_message(str(exc))}")
            return None
        self._show_error("")
        self.progress_label.setText(f"Saved {out.name} (recipe beside it: {out.with_suffix('.json').name}).")
        return out

    def save_timelapse(self, path: str | Path | None = None, fps: float = TIMELAPSE_FPS) -> Path | None:
        """An animated GIF of the run's previews, ending on the finished picture held for a moment."""
        if self.result is None or not self.result.timelapse:
            self._show_error("This run kept no timelapse frames.")
            return None
        if path is None:
            path, _ = self._save_dialog("Save timelapse GIF", self._default_name(".gif"), GIF_FILTER)
            if not path:
                return None
        path = Path(path)
        if path.suffix.lower() != ".gif":
            path = path.with_suffix(".gif")
        from studio.engine.export import write_gif

        frames = _same_size(list(self.result.timelapse))
        frames += [frames[-1]] * max(0, round(fps * TIMELAPSE_HOLD_S) - 1)
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            out = write_gif(np.stack(frames), path, fps=fps, resample="lanczos")
        except Exception as exc:  # noqa: BLE001
            self._show_error(f"Could not save the timelapse: {plain_message(str(exc))}")
            return None
        finally:
            QApplication.restoreOverrideCursor()
        self._show_error("")
        self.progress_label.setText(f"Saved the timelapse {out.name} ({len(self.result.timelapse)} frames).")
        return out

    def copy_to_clipboard(self) -> bool:
        """Put the picture on show (the result, or the live preview while painting) on the clipboard."""
        image = self.result.image if self.result is not None else self.preview.image
        if image is None:
            return False
        QGuiApplication.clipboard().setImage(uint8_to_qimage(image))
        h, w = image.shape[:2]
        self.progress_label.setText(f"Copied the {w} × {h} px picture to the clipboard.")
        return True

    def shutdown(self, timeout_ms: int = 10_000) -> bool:
        for dialog in list(self._mask_dialogs.values()):
            dialog.discard()
        stylize = self.runner.shutdown(timeout_ms)
        downloads = self.features.shutdown(timeout_ms)
        return stylize and downloads


def _recipe_mask_files(path: Path) -> tuple[list[Path | None], list[Path | None] | None, list[str]]:
    """Like the engine's load_recipe_masks, but a missing file becomes None and is named in the third list, so a
    recipe with one mask gone still gives back the others."""
    from studio.engine.export import read_artwork_recipe

    try:
        data = json.loads(path.read_text()) if path.suffix.lower() == ".json" else read_artwork_recipe(path)
    except (OSError, ValueError):
        return [], None, []
    files = (data or {}).get("mask_files") or {}
    missing: list[str] = []

    def resolve(name) -> Path | None:
        if not name:
            return None
        f = path.with_name(Path(str(name)).name)  # only beside the recipe, as the engine reads them
        if f.is_file():
            return f
        missing.append(f.name)
        return None

    style = [resolve(x) for x in files.get("style") or []]
    regions = files.get("regions")
    return style, ([resolve(x) for x in regions] if regions else None), missing
