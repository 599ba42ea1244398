"""The Stylize page's advanced settings: which network layers count, how the picture starts, the optimiser.

Every control maps to one StyleSettings field (``AdvancedStylePanel.FIELDS``), so a recipe or a lesson
preset can be shown exactly and ``values()`` can be merged straight into StyleSettings(**…).
"""

from __future__ import annotations

import random

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from studio.engine.style.backbones import lesson_layer_name
from studio.engine.style.gatys import DEFAULT_STYLE_LAYERS, LESSON_STYLE_LAYERS, StyleError, StyleSettings
from studio.engine.style.settings_text import (  # noqa: F401 - also imported from here by older code
    format_scales,
    keras_name,
    layer_names,
    nice_weight,
    parse_scales,
)
from studio.ui.theme import set_tone
from studio.ui.widgets.sci_spin import ScientificSpinBox, format_scientific

START_IMAGES = (
    ("content", "The photo",
     "Start from the photo itself: the quickest way to a clear, recognisable result."),
    ("content+noise", "The photo plus noise",
     "Start from the photo with random noise added (amount below): a little more freedom for the style."),
    ("noise", "Random noise",
     "Start from pure noise: the picture has to be found from scratch — slower, more painterly, "
     "and what the lesson demonstrations use."),
    ("style", "The first painting",
     "Start from the first style painting and pull it towards the photo's shapes."),
)
OPTIMIZER_CHOICES = (
    ("lbfgs", "L-BFGS", "L-BFGS: strong, fast convergence; the usual choice. Ignores the learning rate."),
    ("adam", "Adam", "Adam: small steady steps set by the learning rate; what the lesson's TensorFlow code used."),
)
POOLING_CHOICES = (
    ("max", "Max (as trained)", "Max pooling, as the network was trained: crisper detail."),
    ("avg", "Average (smoother)", "Average pooling, as Gatys et al. suggest: smoother, softer textures."),
)
NO_CONTENT = "none — texture only"


def format_weight(value: float) -> str:
    """15000 rather than 1.5e4 while numbers stay readable; scientific only for the very big or small."""
    if value == 0:
        return "0"
    if 1e-3 <= abs(value) < 1e7:
        return np.format_float_positional(value, precision=6, unique=True, fractional=False, trim="-")
    return format_scientific(value)


class WeightSpinBox(ScientificSpinBox):
    """A loss weight: plain numbers (15000, 0.5), 0 shown as "off"; the arrows halve or double it."""

    def __init__(self, minimum: float = 0.0, maximum: float = 1e9, value: float = 1.0,
                 step_from_zero: float = 1.0, parent: QWidget | None = None) -> None:
        super().__init__(minimum, maximum, value, parent)
        self._from_zero = step_from_zero
        if minimum == 0:
            self.setSpecialValueText("off")

    def textFromValue(self, value: float) -> str:  # noqa: N802 - Qt override
        return format_weight(value)

    def stepBy(self, steps: int) -> None:  # noqa: N802 - Qt override
        if self.value() == 0 and steps > 0:
            self.setValue(self._from_zero)
            return
        super().stepBy(steps)


class StyleLayerGrid(QWidget):
    """Blocks as rows, the convolutions of a block as columns: a tick and a weight per layer."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.cells: dict[str, tuple[QCheckBox, QDoubleSpinBox]] = {}
        self._arch = "vgg19"
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(6)
        grid.setVerticalSpacing(3)
        self._columns: dict[int, QLabel] = {}
        for col in range(1, 5):
            head = QLabel(f"conv {col}", self)
            head.setAlignment(Qt.AlignmentFlag.AlignCenter)
            set_tone(head, "muted")
            grid.addWidget(head, 0, col)
            self._columns[col] = head
        self._heads: dict[int, QLabel] = {}
        for name in layer_names("vgg19"):
            block, n = (int(v) for v in name[4:].split("_"))
            if block not in self._heads:
                head = QLabel(f"Block {block}", self)
                head.setToolTip(_block_tip(block))
                self._heads[block] = head
                grid.addWidget(head, block, 0)
            cell = QWidget(self)
            row = QHBoxLayout(cell)
            row.setContentsMargins(0, 0, 0, 0)
            row.setSpacing(2)
            box = QCheckBox(cell)
            box.setObjectName(f"styleLayer_{name}")
            spin = QDoubleSpinBox(cell)
            spin.setObjectName(f"styleWeight_{name}")
            spin.setRange(0.01, 100.0)
            spin.setDecimals(2)
            spin.setSingleStep(0.25)
            spin.setValue(1.0)
            spin.setButtonSymbols(QAbstractSpinBox.ButtonSymbols.NoButtons)
            spin.setFixedWidth(46)
            spin.setEnabled(False)
            tip = (f"{name} ({keras_name(name)}): tick it to copy the painting's texture as this layer sees it. "
                   f"The number weighs it against the other ticked layers. {_block_tip(block)}")
            box.setToolTip(tip)
            spin.setToolTip(tip)
            box.toggled.connect(spin.setEnabled)
            box.toggled.connect(self._emit)
            spin.valueChanged.connect(self._emit)
            row.addWidget(box)
            row.addWidget(spin)
            row.addStretch(1)
            grid.addWidget(cell, block, n)
            self.cells[name] = (box, spin)
        grid.setColumnStretch(5, 1)
        self.set_values(DEFAULT_STYLE_LAYERS)

    def _emit(self, *_args) -> None:
        self.changed.emit()

    def set_arch(self, arch: str) -> None:
        """Show only the layers ``arch`` has (VGG16 lacks conv3_4, conv4_4, conv5_4)."""
        self._arch = arch
        have = set(layer_names(arch))
        for name, (box, _spin) in self.cells.items():
            box.parentWidget().setVisible(name in have)
        deepest = max(int(n.split("_")[1]) for n in have)
        for col, head in self._columns.items():
            head.setVisible(col <= deepest)
        self.changed.emit()

    def values(self) -> dict[str, float]:
        have = set(layer_names(self._arch))
        return {name: float(spin.value()) for name, (box, spin) in self.cells.items()
                if name in have and box.isChecked()}

    def set_values(self, layers: dict[str, float]) -> None:
        wanted = {lesson_layer_name(k): float(v) for k, v in layers.items()}
        for name, (box, spin) in self.cells.items():
            for w in (box, spin):
                w.blockSignals(True)
            box.setChecked(name in wanted)
            spin.setEnabled(name in wanted)
            if name in wanted:
                spin.setValue(wanted[name])
            for w in (box, spin):
                w.blockSignals(False)
        self.changed.emit()


def _block_tip(block: int) -> str:
    return {1: "Block 1 sees tiny things: colour, grain, fine brush texture.",
            2: "Block 2 sees small strokes and edges.",
            3: "Block 3 sees brush strokes and small motifs.",
            4: "Block 4 sees larger patterns and shapes.",
            5: "Block 5 sees the biggest shapes and the overall arrangement."}[block]


class AdvancedStylePanel(QWidget):
    """Layers, start image, optimiser, seed, pooling, scales. ``values()`` → StyleSettings fields."""

    changed = Signal()
    FIELDS = ("content_layers", "content_weight", "style_layers", "init", "noise", "optimizer", "lr", "seed",
              "pooling", "scales", "min_scale", "style_scale", "center_crop", "keep_look", "normalize")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        d = StyleSettings()
        self._arch = "vgg19"
        self._content_weight_single = 1.0

        self.content_layer = QComboBox(self)
        self.content_layer.setToolTip(
            "Which layer of the network must still see the photo. Early layers (conv1, conv2) keep every "
            "detail and little room for the style; deep layers (conv4_2, the classic choice; conv5) keep "
            "only the layout and let the painting take over. 'none' makes a pure texture from the painting.")
        self.content_weight = WeightSpinBox(0.0, 1e9, d.content_weight, step_from_zero=1.0, parent=self)
        self.content_weight.setToolTip(
            "How much the photo's content counts. The style strength is measured against this; "
            "0 (off) ignores the photo and only copies the painting's texture.")
        self.style_layers = StyleLayerGrid(self)
        self.standard_layers_button = QPushButton("Standard", self)
        self.standard_layers_button.setToolTip("conv1_1 … conv5_1, equal weights (Gatys et al.)")
        self.standard_layers_button.clicked.connect(lambda: self.style_layers.set_values(DEFAULT_STYLE_LAYERS))
        self.lesson_layers_button = QPushButton("Lesson", self)
        self.lesson_layers_button.setToolTip("conv1_1 … conv4_1 (block1_conv1 … block4_conv1), equal weights, "
                                             "as in the lesson")
        self.lesson_layers_button.clicked.connect(lambda: self.style_layers.set_values(LESSON_STYLE_LAYERS))

        self.init_combo = QComboBox(self)
        for key, label, tip in START_IMAGES:
            self.init_combo.addItem(label, key)
            self.init_combo.setItemData(self.init_combo.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
        self.init_combo.setToolTip("What the picture looks like before the first step. " +
                                   " ".join(t for _, _, t in START_IMAGES[:1]))
        self.noise = QDoubleSpinBox(self)
        self.noise.setRange(0.0, 1.0)
        self.noise.setDecimals(2)
        self.noise.setSingleStep(0.05)
        self.noise.setValue(d.noise)
        self.noise.setToolTip("How much random noise is added to the photo at the start (0 = none, 1 = a lot).")

        self.optimizer = QComboBox(self)
        for key, label, tip in OPTIMIZER_CHOICES:
            self.optimizer.addItem(label, key)
            self.optimizer.setItemData(self.optimizer.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
        self.optimizer.setToolTip("How the pixels are changed each step. " + " ".join(t for _, _, t in OPTIMIZER_CHOICES))
        self.lr = QDoubleSpinBox(self)
        self.lr.setRange(0.0001, 1.0)
        self.lr.setDecimals(4)
        self.lr.setSingleStep(0.005)
        self.lr.setValue(d.lr)
        self.lr.setToolTip("Adam only: how far each step moves the pixels (0.02 is a good start; "
                           "larger is faster but blotchier).")

        self.seed = QSpinBox(self)
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setValue(d.seed)
        self.seed.setToolTip("The random numbers behind the starting noise. Same seed + same settings = "
                             "the same picture again.")
        self.new_seed_button = QPushButton("New", self)
        self.new_seed_button.setToolTip("Pick a fresh random seed")
        self.new_seed_button.clicked.connect(lambda: self.seed.setValue(random.randrange(0, 2**31 - 1)))

        self.pooling = QComboBox(self)
        for key, label, tip in POOLING_CHOICES:
            self.pooling.addItem(label, key)
            self.pooling.setItemData(self.pooling.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
        self.pooling.setToolTip("How the network shrinks its feature maps. " +
                                " ".join(t for _, _, t in POOLING_CHOICES))

        self.scales = QLineEdit(self)
        self.scales.setPlaceholderText("automatic")
        self.scales.setClearButtonEnabled(True)
        self.scales.setToolTip(
            "Coarse-to-fine: paint small first, then refine at larger sizes — faster, with bigger brush "
            "strokes. Leave empty for automatic (halving the output size down to the smallest scale), or "
            "write sizes in pixels like 128, 256, 512.")
        self.min_scale = QSpinBox(self)
        self.min_scale.setRange(16, 4096)
        self.min_scale.setSingleStep(16)
        self.min_scale.setSuffix(" px")
        self.min_scale.setValue(d.min_scale)
        self.min_scale.setToolTip("Automatic scales stop halving before they get smaller than this.")
        self.style_scale = QDoubleSpinBox(self)
        self.style_scale.setRange(0.1, 4.0)
        self.style_scale.setDecimals(2)
        self.style_scale.setSingleStep(0.1)
        self.style_scale.setSuffix(" ×")
        self.style_scale.setValue(d.style_scale)
        self.style_scale.setToolTip("How large the painting is when its texture is measured, relative to the "
                                    "output. Below 1: finer, smaller brush strokes; above 1: bigger, bolder ones.")
        self.center_crop = QCheckBox("Square crop", self)
        self.center_crop.setChecked(d.center_crop)
        self.center_crop.setToolTip("Cut the photo and the paintings to a centred square first, as the lesson did.")
        self.keep_look = QCheckBox("Keep the 512 px look at larger sizes", self)
        self.keep_look.setChecked(d.keep_look)
        self.keep_look.setToolTip("Above 512 px, hold the picture (seen at 512 px) to what the 512 px pass painted, "
                                  "so a big print has the same brushwork, only sharper. Off: the big passes only "
                                  "add fine texture and the bolder strokes fade back towards the photo.")

        self.normalize = QCheckBox("Same strength for every painting", self)
        self.normalize.setChecked(d.normalize)
        self.normalize.setToolTip("Measure the style and content pressure relative to how far the photo is from "
                                  "the painting, layer by layer, so one strength repaints as strongly with a soft "
                                  "watercolour as with a violent canvas. Off: the absolute losses of the lesson, "
                                  "where the strength needed depends on the painting (the lesson presets use it).")

        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Content layer", self.content_layer)
        form.addRow("Content weight", self.content_weight)
        layers_head = QHBoxLayout()
        layers_label = QLabel("Style layers", self)
        layers_label.setToolTip("The layers whose textures are copied from the painting.")
        layers_head.addWidget(layers_label, 1)
        layers_head.addWidget(self.standard_layers_button)
        layers_head.addWidget(self.lesson_layers_button)
        form.addRow(layers_head)
        form.addRow(self.style_layers)
        form.addRow("Start from", self.init_combo)
        form.addRow("Noise amount", self.noise)
        form.addRow("Optimiser", self.optimizer)
        form.addRow("Learning rate", self.lr)
        seed_row = QHBoxLayout()
        seed_row.addWidget(self.seed, 1)
        seed_row.addWidget(self.new_seed_button)
        form.addRow("Seed", seed_row)
        form.addRow("Pooling", self.pooling)
        form.addRow("Scales", self.scales)
        form.addRow("Smallest scale", self.min_scale)
        form.addRow("Style scale", self.style_scale)
        form.addRow("", self.center_crop)
        form.addRow("", self.keep_look)
        form.addRow("", self.normalize)
        self._form = form
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addLayout(form)

        self._fill_content_layers({"conv4_2": 1.0})
        for w in (self.content_layer, self.init_combo, self.optimizer, self.pooling):
            w.currentIndexChanged.connect(self._emit)
        for w in (self.content_weight, self.noise, self.lr, self.seed, self.min_scale, self.style_scale):
            w.valueChanged.connect(self._emit)
        self.scales.textChanged.connect(self._emit)
        self.center_crop.toggled.connect(self._emit)
        self.keep_look.toggled.connect(self._emit)
        self.normalize.toggled.connect(self._emit)
        self.style_layers.changed.connect(self._emit)
        self._sync_enabled()

    # ------------------------------------------------------------------------------------ helpers
    def _emit(self, *_args) -> None:
        self._sync_enabled()
        self.changed.emit()

    def _sync_enabled(self) -> None:
        self.noise.setEnabled(self.init_combo.currentData() == "content+noise")
        self.lr.setEnabled(self.optimizer.currentData() == "adam")
        self.min_scale.setEnabled(not self.scales.text().strip())
        error = self.scales_error()
        self.scales.setProperty("invalid", bool(error))
        set_tone(self.scales, "error" if error else None)

    def _fill_content_layers(self, selected: dict[str, float]) -> None:
        """Items: every conv layer of the arch, "none", and the selection itself when it is not one layer."""
        combo = self.content_layer
        combo.blockSignals(True)
        combo.clear()
        names = layer_names(self._arch)
        for name in names:
            combo.addItem(f"{name}  ({keras_name(name)})", name)
        combo.addItem(NO_CONTENT, "")
        sel = {lesson_layer_name(k): float(v) for k, v in selected.items()}
        if not sel:
            combo.setCurrentIndex(combo.count() - 1)
        elif len(sel) == 1:
            (name, weight), = sel.items()
            if name not in names:  # e.g. conv3_4 on VGG16: the same block's last layer
                same_block = [n for n in names if n.startswith(name.rsplit("_", 1)[0] + "_")]
                name = same_block[-1] if same_block else "conv4_2"
            self._content_weight_single = weight
            combo.setCurrentIndex(combo.findData(name))
        else:  # several content layers (a recipe from the CLI): keep them as one choice
            combo.addItem(" + ".join(f"{k}×{format_weight(v)}" for k, v in sel.items()), dict(sel))
            combo.setCurrentIndex(combo.count() - 1)
        combo.blockSignals(False)

    # ---------------------------------------------------------------------------------------- api
    def set_arch(self, arch: str) -> None:
        """Offer the layers of ``arch`` ("vgg19" or "vgg16"), keeping the choices where they exist."""
        if arch == self._arch:
            return
        current = self.content_layers()
        self._arch = arch
        self._fill_content_layers(current)
        self.style_layers.set_arch(arch)
        self._emit()

    def arch(self) -> str:
        return self._arch

    def content_layers(self) -> dict[str, float]:
        data = self.content_layer.currentData()
        if isinstance(data, dict):
            return dict(data)
        return {data: self._content_weight_single} if data else {}

    def scales_error(self) -> str:
        try:
            parse_scales(self.scales.text())
        except StyleError as exc:
            return str(exc)
        return ""

    def values(self) -> dict:
        """The StyleSettings fields this panel controls. StyleError for an unreadable scales list."""
        return {
            "content_layers": self.content_layers(),
            "content_weight": float(self.content_weight.value()),
            "style_layers": self.style_layers.values(),
            "init": self.init_combo.currentData(),
            "noise": float(self.noise.value()),
            "optimizer": self.optimizer.currentData(),
            "lr": float(self.lr.value()),
            "seed": int(self.seed.value()),
            "pooling": self.pooling.currentData(),
            "scales": parse_scales(self.scales.text()),
            "min_scale": int(self.min_scale.value()),
            "style_scale": float(self.style_scale.value()),
            "center_crop": bool(self.center_crop.isChecked()),
            "keep_look": bool(self.keep_look.isChecked()),
            "normalize": bool(self.normalize.isChecked()),
        }

    def set_values(self, values: dict) -> None:
        """Show the given fields (others keep their values); emits ``changed`` once."""
        widgets = (self.content_layer, self.content_weight, self.init_combo, self.noise, self.optimizer, self.lr,
                   self.seed, self.pooling, self.scales, self.min_scale, self.style_scale, self.center_crop,
                   self.keep_look, self.normalize, self.style_layers)
        for w in widgets:
            w.blockSignals(True)
        try:
            if "content_layers" in values:
                self._content_weight_single = 1.0
                self._fill_content_layers(dict(values["content_layers"] or {}))
            if "content_weight" in values:
                self.content_weight.setValue(float(values["content_weight"]))
            if "style_layers" in values:
                self.style_layers.set_values(dict(values["style_layers"] or {}))
            for key, combo in (("init", self.init_combo), ("optimizer", self.optimizer), ("pooling", self.pooling)):
                if key in values:
                    i = combo.findData(values[key])
                    if i >= 0:
                        combo.setCurrentIndex(i)
            for key, spin in (("noise", self.noise), ("lr", self.lr), ("style_scale", self.style_scale)):
                if key in values:
                    spin.setValue(float(values[key]))
            if "seed" in values:
                self.seed.setValue(int(values["seed"]))
            if "min_scale" in values:
                self.min_scale.setValue(int(values["min_scale"]))
            if "scales" in values:
                self.scales.setText(format_scales(values["scales"]))
            if "center_crop" in values:
                self.center_crop.setChecked(bool(values["center_crop"]))
            if "keep_look" in values:
                self.keep_look.setChecked(bool(values["keep_look"]))
            if "normalize" in values:
                self.normalize.setChecked(bool(values["normalize"]))
        finally:
            for w in widgets:
                w.blockSignals(False)
        self._emit()

    def set_editable(self, on: bool) -> None:
        for w in self.findChildren(QWidget):
            if isinstance(w.parent(), QAbstractSpinBox | QComboBox):
                continue  # their own line edits follow them
            if isinstance(w, QComboBox | QAbstractSpinBox | QLineEdit | QCheckBox | QPushButton):
                w.setEnabled(on)
        if on:
            self._sync_enabled()
            for box, spin in self.style_layers.cells.values():
                spin.setEnabled(box.isChecked())
