"""Model choice and training knobs, with defaults from the preset and tooltips in plain words."""

from __future__ import annotations

import dataclasses
from typing import Any

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from studio.engine.gan.config import LOSSES as ENGINE_LOSSES
from studio.ui.widgets.collapsible import CollapsibleSection
from studio.ui.widgets.init_source import InitFromPicker
from studio.ui.widgets.sci_spin import ScientificSpinBox
from studio.ui.widgets.small_data_options import FIELDS as SMALL_DATA_FIELDS
from studio.ui.widgets.small_data_options import SmallDataOptions
from studio.ui.widgets.time_estimate import EstimateRequest, TimeEstimateBox

LOSS_TITLES = {
    "bce": "BCE, non-saturating (the lesson's)",
    "hinge": "Hinge (often steadier)",
}
# The keys are the engine's (one copy of the rule); only the words live here.
LOSSES = [(key, LOSS_TITLES.get(key, key)) for key in ENGINE_LOSSES]
CHANNELS = [(0, "Follow the images"), (1, "Greyscale"), (3, "Colour")]


def available_devices() -> list[tuple[str, str]]:
    """Only offer what this machine has; "auto" picks the fastest."""
    out = [("auto", "Automatic (fastest available)"), ("cpu", "CPU")]
    try:
        import torch

        if torch.cuda.is_available():
            out.append(("cuda", "GPU (CUDA)"))
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            out.append(("mps", "GPU (Apple)"))
    except Exception:  # noqa: BLE001 - no torch, no GPU choice
        pass
    return out

# Kept when the artist switches preset: they describe the artist's session, not the network.
KEEP_ON_PRESET_CHANGE = ("steps", "seed", "checkpoint_every_min", "grid_count", "device", "channels")
# Also kept, unless they came from a run loaded to continue: they describe the pictures, not the network.
KEEP_SMALL_DATA = (*SMALL_DATA_FIELDS, "init_from")


TIPS = {
    "preset": "Which generator/discriminator pair to train. The size is the size of the pictures it makes.",
    "width": "How many feature maps each layer has. Wider learns finer detail but is slower and needs "
             "more memory. 64 is the classic DCGAN; 8–16 is enough to try things out quickly.",
    "steps": "How many training steps to run in total. One step shows the networks one batch of images. "
             "When continuing a run, this is the total to reach, not how many more.",
    "until_stopped": "Keep training until you press Stop.",
    "batch_size": "How many of your images the networks look at in one step. Bigger is smoother but "
                  "slower per step and needs more memory; it cannot usefully exceed your image count.",
    "lr_g": "How big a change the generator makes after each step. Too high: chaos; too low: nothing "
            "happens for a long time. The lesson uses 2e-4. The arrows halve or double it.",
    "lr_d": "The same for the discriminator. If D wins too easily (its loss sinks to 0 and the samples "
            "stop improving), give it a lower rate than G — the lesson's balance remedy.",
    "latent_dim": "Length of the random number list each picture grows from. 100 is the lesson's value; "
                  "rarely worth changing.",
    "loss": "How wins and losses are scored. BCE is the lesson's; hinge is often steadier on small "
            "datasets (the small-data GAN uses it).",
    "beta1": "Adam optimiser momentum. GANs like 0.5 (the DCGAN paper's value) rather than the usual 0.9.",
    "beta2": "Adam's second momentum. Leave at 0.999 unless you know why.",
    "d_steps": "How many times D trains for each time G trains. More than 1 helps when G overpowers D.",
    "skip_d_below": "Skip D's update while its loss is already below this value, so it cannot run away "
                    "from G (the lesson's balance remedy). 0 never skips.",
    "seed": "Starting point for all the randomness. The same seed and settings give the same run.",
    "checkpoint_every_min": "Save the networks every this many minutes, so a crash or a closed laptop "
                            "loses little. Stop always saves too.",
    "grid_count": "How many pictures the sample grid shows.",
    "channels": "Train in colour or greyscale. 'Follow the images' uses colour unless all your images "
                "are grey.",
    "device": "Where to train. A GPU is many times faster; the CPU always works.",
}


FULL_TEXT_ROLE = Qt.ItemDataRole.UserRole + 7  # an item's whole title while the box shows it shortened


class ElidingComboBox(QComboBox):
    """A combo box whose shown text ends in "…" when the box is narrower than the title (a QComboBox only cuts
    it). The list that opens always shows the whole titles."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(12)  # the column decides the width, not the longest title
        self._popup_open = False
        self.currentIndexChanged.connect(self._elide)

    def addItem(self, text: str, userData=None) -> None:  # noqa: N802 - Qt override
        super().addItem(text, userData)
        self.setItemData(self.count() - 1, text, FULL_TEXT_ROLE)
        self._elide()

    def full_text(self, index: int | None = None) -> str:
        index = self.currentIndex() if index is None else index
        full = self.itemData(index, FULL_TEXT_ROLE)
        return str(full) if full is not None else self.itemText(index)

    def _field_width(self) -> int:
        from PySide6.QtWidgets import QStyle, QStyleOptionComboBox

        opt = QStyleOptionComboBox()
        self.initStyleOption(opt)
        return self.style().subControlRect(QStyle.ComplexControl.CC_ComboBox, opt,
                                           QStyle.SubControl.SC_ComboBoxEditField, self).width()

    def _elide(self, *_args) -> None:
        if self._popup_open:
            return
        width = self._field_width()
        fm = self.fontMetrics()
        current = self.currentIndex()
        for i in range(self.count()):
            full = self.full_text(i)
            text = fm.elidedText(full, Qt.TextElideMode.ElideRight, width) if i == current else full
            if self.itemText(i) != text:
                self.setItemText(i, text)

    def showPopup(self) -> None:  # noqa: N802 - Qt override
        self._popup_open = True
        for i in range(self.count()):
            self.setItemText(i, self.full_text(i))
        super().showPopup()

    def hidePopup(self) -> None:  # noqa: N802 - Qt override
        super().hidePopup()
        self._popup_open = False
        self._elide()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._elide()

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._elide()


class TrainSettingsPanel(QWidget):
    """The model & settings part of the Train page. ``values()`` gives TrainConfig fields."""

    preset_changed = Signal(str)
    settings_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from studio.engine.gan.models import PRESETS

        self._presets = PRESETS
        self._extra: dict[str, Any] = {}  # config fields this panel does not show (kept round-trip)
        self._plan: tuple[int, float] | None = None  # "Train for … min · Set steps": (the steps it set, the minutes)

        self.preset = ElidingComboBox(self)
        self.preset.setObjectName("presetCombo")
        for name, info in PRESETS.items():
            self.preset.addItem(info.title, name)
            self.preset.setItemData(self.preset.count() - 1, info.description, Qt.ItemDataRole.ToolTipRole)
        self.preset_description = QLabel(self)
        self.preset_description.setObjectName("hint")
        self.preset_description.setWordWrap(True)
        # "What will likely happen" with this preset on these pictures, and the way out.
        self.preset_warning = QFrame(self)
        self.preset_warning.setObjectName("presetWarning")
        self.preset_warning_text = QLabel("", self.preset_warning)
        self.preset_warning_text.setObjectName("presetWarningText")
        self.preset_warning_text.setWordWrap(True)
        self.preset_warning_button = QPushButton("Use the small-data GAN", self.preset_warning)
        self.preset_warning_button.setObjectName("presetWarningUse")
        self.preset_warning_button.setToolTip("Switch to the model and settings recommended for this many "
                                              "pictures.")
        self.preset_warning_button.clicked.connect(self._on_warning_use)
        wl = QVBoxLayout(self.preset_warning)
        wl.setContentsMargins(8, 6, 8, 6)
        wl.setSpacing(4)
        wl.addWidget(self.preset_warning_text)
        wl.addWidget(self.preset_warning_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.preset_warning.hide()
        self._warning_preset: str | None = None
        self._dataset_panel = None
        self._dataset_channels = 0  # 0: unknown
        self._from_run = False  # the small-data settings on show came from a run loaded to continue
        self._loading = 0  # > 0 while many fields change at once: dependent displays update once, after
        self._locked = False

        self.width_spin = self._int_spin(4, 512, 64, step=8)
        self.steps = self._int_spin(1, 10_000_000, 2000, step=100)
        self.steps.setGroupSeparatorShown(True)
        self.until_stopped = QCheckBox("until I stop it", self)
        self.until_stopped.toggled.connect(self._on_until_stopped)
        self.batch_size = self._int_spin(1, 4096, 64, step=8)
        self.lr_g = ScientificSpinBox(1e-7, 1.0, 2e-4, self)
        self.lr_d = ScientificSpinBox(1e-7, 1.0, 2e-4, self)

        self.latent_dim = self._int_spin(1, 2048, 100, step=1)
        self.loss = QComboBox(self)
        for key, text in LOSSES:
            self.loss.addItem(text, key)
        self.beta1 = self._float_spin(0.0, 0.999, 0.5, decimals=3, step=0.05)
        self.beta2 = self._float_spin(0.0, 0.9999, 0.999, decimals=4, step=0.001)
        self.d_steps = self._int_spin(1, 20, 1)
        self.skip_d_below = self._float_spin(0.0, 10.0, 0.0, decimals=3, step=0.05)
        self.skip_d_below.setSpecialValueText("never")
        self.seed = self._int_spin(0, 2**31 - 1, 0)
        self.checkpoint_every_min = self._float_spin(0.1, 1440.0, 10.0, decimals=1, step=1.0)
        self.checkpoint_every_min.setSuffix(" min")
        self.grid_count = self._int_spin(1, 256, 64, step=4)
        self.channels = QComboBox(self)
        for key, text in CHANNELS:
            self.channels.addItem(text, key)
        self.device = QComboBox(self)
        for key, text in available_devices():
            self.device.addItem(text, key)

        self.fields: dict[str, QWidget] = {
            "preset": self.preset, "width": self.width_spin, "steps": self.steps,
            "batch_size": self.batch_size, "lr_g": self.lr_g, "lr_d": self.lr_d,
            "latent_dim": self.latent_dim, "loss": self.loss, "beta1": self.beta1, "beta2": self.beta2,
            "d_steps": self.d_steps, "skip_d_below": self.skip_d_below, "seed": self.seed,
            "checkpoint_every_min": self.checkpoint_every_min, "grid_count": self.grid_count,
            "channels": self.channels, "device": self.device,
        }
        for name, widget in self.fields.items():
            widget.setObjectName(widget.objectName() or f"setting_{name}")
            if isinstance(widget, QComboBox):  # long item texts must not widen the whole column
                widget.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
                widget.setMinimumContentsLength(8)
            widget.setToolTip(TIPS.get(name, ""))
            signal = getattr(widget, "valueChanged", None) or widget.currentIndexChanged
            signal.connect(self.settings_changed)
        self.until_stopped.setToolTip(TIPS["until_stopped"])
        self.until_stopped.toggled.connect(self.settings_changed)

        # Model on a form of its own: word-wrapped texts below it sit in a plain box layout, because a
        # QFormLayout spanning row sizes them for a stale width (a gap opens when the column narrows).
        top = QFormLayout()
        top.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        top.addRow("Model", self.preset)
        basic = QFormLayout()
        basic.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        basic.addRow("Network width", self.width_spin)
        basic.addRow("Steps", self.steps)
        basic.addRow("", self.until_stopped)
        self.epochs_hint = QLabel("", self)
        self.epochs_hint.setObjectName("hint")
        self.epochs_hint.setWordWrap(True)
        self.epochs_hint.setToolTip("An epoch is one pass over all your pictures: steps × batch size ÷ pictures.")
        basic.addRow("", self.epochs_hint)
        self.estimate = TimeEstimateBox(self)
        self.estimate.setObjectName("timeEstimate")
        self.estimate.request_provider = self.estimate_request
        self.estimate.fit_steps.connect(self._set_fitted_steps)
        self._dataset_count = 0
        for w in (self.steps, self.batch_size):
            w.valueChanged.connect(self._update_epochs_hint)
        self.until_stopped.toggled.connect(self._update_epochs_hint)
        basic.addRow("Batch size", self.batch_size)
        basic.addRow("Learning rate G", self.lr_g)
        basic.addRow("Learning rate D", self.lr_d)
        for row in range(basic.rowCount()):
            label = basic.itemAt(row, QFormLayout.ItemRole.LabelRole)
            if label is not None and label.widget() is not None:
                field = basic.itemAt(row, QFormLayout.ItemRole.FieldRole)
                if field is not None and field.widget() is not None:
                    label.widget().setToolTip(field.widget().toolTip())

        self.advanced = CollapsibleSection("Advanced", expanded=False, parent=self)
        self.advanced.setObjectName("advancedSettings")
        adv = QFormLayout()
        adv.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        adv.addRow("D steps per G step", self.d_steps)
        adv.addRow("Skip D while loss below", self.skip_d_below)
        adv.addRow("Latent size", self.latent_dim)
        adv.addRow("Adam beta 1", self.beta1)
        adv.addRow("Adam beta 2", self.beta2)
        adv.addRow("Seed", self.seed)
        adv.addRow("Checkpoint every", self.checkpoint_every_min)
        adv.addRow("Pictures in grid", self.grid_count)
        adv.addRow("Colour", self.channels)
        adv.addRow("Train on", self.device)
        self.device_hint = QLabel(self)
        self.device_hint.setObjectName("hint")
        self.device_hint.setWordWrap(True)
        adv.addRow("", self.device_hint)
        self.device.currentIndexChanged.connect(self._update_device_hint)
        self._update_device_hint()
        for row in range(adv.rowCount()):
            label = adv.itemAt(row, QFormLayout.ItemRole.LabelRole)
            field = adv.itemAt(row, QFormLayout.ItemRole.FieldRole)
            if label is not None and field is not None and field.widget() is not None:
                label.widget().setToolTip(field.widget().toolTip())
        self.advanced.body_layout.addLayout(adv)

        self.init_from = InitFromPicker(self)
        self.init_from.setObjectName("initFromPicker")
        self.init_from.arch_provider = self.architecture
        self.init_from.changed.connect(self.settings_changed)
        self.init_from.match_requested.connect(self.match_architecture)
        self.small_data = SmallDataOptions(self.loss, self.init_from, self)
        self.small_data.setObjectName("smallDataOptions")
        self.small_data.changed.connect(self.settings_changed)
        self.small_data_section = CollapsibleSection("Small-data settings",
                                                     expanded=False, parent=self)
        self.small_data_section.setObjectName("smallDataSettings")
        self.small_data_section.header.setToolTip(
            "Settings that keep a GAN learning from 50–500 pictures instead of memorising them. "
            "Automatic follows the number of pictures.")
        self.small_data_section.body_layout.addWidget(self.small_data)

        model_label = top.itemAt(0, QFormLayout.ItemRole.LabelRole).widget()
        model_label.setToolTip(TIPS["preset"])
        widths = [basic.itemAt(r, QFormLayout.ItemRole.LabelRole) for r in range(basic.rowCount())]
        model_label.setMinimumWidth(max([w.widget().sizeHint().width() for w in widths
                                         if w is not None and w.widget() is not None] + [0]))

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.preset_description)
        layout.addWidget(self.preset_warning)
        layout.addLayout(basic)
        layout.addWidget(self.estimate)
        layout.addWidget(self.small_data_section)
        layout.addWidget(self.advanced)
        self.settings_changed.connect(self._on_settings_changed)

        self.preset.currentIndexChanged.connect(self._on_preset_index)
        self.apply_preset(self.preset.currentData(), keep_session=False)

    # --- widgets --------------------------------------------------------------------------------
    def _int_spin(self, lo: int, hi: int, value: int, step: int = 1) -> QSpinBox:
        spin = QSpinBox(self)
        spin.setRange(lo, hi)
        spin.setSingleStep(step)
        spin.setValue(value)
        spin.setKeyboardTracking(False)
        spin.setStepType(QAbstractSpinBox.StepType.DefaultStepType)
        return spin

    def _float_spin(self, lo: float, hi: float, value: float, decimals: int, step: float) -> QDoubleSpinBox:
        spin = QDoubleSpinBox(self)
        spin.setRange(lo, hi)
        spin.setDecimals(decimals)
        spin.setSingleStep(step)
        spin.setValue(value)
        spin.setKeyboardTracking(False)
        return spin

    def set_dataset_count(self, count: int) -> None:
        """How many pictures the chosen dataset has: the steps field then also reads in epochs, Automatic
        small-data settings say what they become, and a preset unsuited to so few pictures is flagged."""
        count = max(0, int(count))
        if count != self._dataset_count:
            self._dataset_count = count
            self._on_settings_changed()
        self._update_epochs_hint()

    def epochs(self) -> float | None:
        if self._dataset_count <= 0 or self.until_stopped.isChecked():
            return None
        batch = min(self.batch_size.value(), self._dataset_count)
        return self.steps.value() * batch / self._dataset_count

    def _set_fitted_steps(self, steps: int, minutes: float) -> None:
        """The estimate box's "Set steps": a run of that many steps (not until stopped), planned in ``minutes`` —
        the run re-plans them from its own speed while Steps stays what the plan set (``values``)."""
        self.until_stopped.setChecked(False)
        self.steps.setValue(min(steps, self.steps.maximum()))
        self._plan = (int(self.steps.value()), float(minutes))

    def _update_epochs_hint(self, *_args) -> None:
        ep = self.epochs()
        if ep is None:
            self.epochs_hint.setText("")
        else:
            shown = f"{ep:,.1f}" if ep < 10 else f"{ep:,.0f}"
            self.epochs_hint.setText(f"≈ {shown} epochs over {self._dataset_count:,} pictures")

    def _on_until_stopped(self, on: bool) -> None:
        self.steps.setEnabled(not on and self.until_stopped.isEnabled())

    # --- presets --------------------------------------------------------------------------------
    def preset_name(self) -> str:
        return str(self.preset.currentData())

    def preset_info(self):
        return self._presets[self.preset_name()]

    def image_size(self) -> int:
        return int(self.preset_info().image_size)

    def set_preset(self, name: str) -> None:
        index = self.preset.findData(name)
        if index < 0:
            raise KeyError(f"unknown preset {name!r}")
        self.preset.setCurrentIndex(index)

    def _on_preset_index(self, _index: int) -> None:
        self.apply_preset(self.preset_name(), keep_session=True)

    def apply_preset(self, name: str, keep_session: bool = True) -> None:
        """Load the preset's defaults (TrainConfig.for_preset), keeping the artist's session choices."""
        from studio.engine.gan.trainer import TrainConfig

        kept = KEEP_ON_PRESET_CHANGE + (() if self._from_run else KEEP_SMALL_DATA)
        keep = {k: v for k, v in self.values().items() if k in kept} if keep_session else {}
        self._extra = {}  # fields kept from a loaded run belong to that run, not to a new one
        self._from_run = False
        defaults = dataclasses.asdict(TrainConfig.for_preset(name))
        defaults.update(keep)
        self._load(defaults, include_preset=False)
        info = self._presets[name]
        self.preset_description.setText(info.description)
        self._update_width_state()
        self.preset_changed.emit(name)

    def _update_width_state(self) -> None:
        info = self.preset_info()
        adjustable = bool(info.width_adjustable)
        self.width_spin.setEnabled(adjustable and self.isEnabled())
        self.width_spin.setToolTip(TIPS["width"] if adjustable else
                                   "The lesson's networks have a fixed size, as in the lesson.")

    # --- values ---------------------------------------------------------------------------------
    def values(self) -> dict[str, Any]:
        """TrainConfig fields shown on this panel (plus any loaded fields it does not show)."""
        out = dict(self._extra)
        out.update({
            "preset": self.preset_name(),
            "width": int(self.width_spin.value()) if self.preset_info().width_adjustable else 0,
            "steps": 0 if self.until_stopped.isChecked() else int(self.steps.value()),
            "batch_size": int(self.batch_size.value()),
            "lr_g": float(self.lr_g.value()),
            "lr_d": float(self.lr_d.value()),
            "latent_dim": int(self.latent_dim.value()),
            "loss": str(self.loss.currentData()),
            "beta1": float(self.beta1.value()),
            "beta2": float(self.beta2.value()),
            "d_steps": int(self.d_steps.value()),
            "skip_d_below": float(self.skip_d_below.value()),
            "seed": int(self.seed.value()),
            "checkpoint_every_min": float(self.checkpoint_every_min.value()),
            "grid_count": int(self.grid_count.value()),
            "channels": int(self.channels.currentData()),
            "device": str(self.device.currentData()),
            "init_from": self.init_from.path(),
        })
        out.update(self.small_data.values())
        # a plan in minutes holds while Steps is what it set; a length chosen by hand (or a loaded run's) has none
        out["minutes"] = self._plan[1] if self._plan and out["steps"] == self._plan[0] else 0.0
        return out

    def load_config(self, config: dict[str, Any]) -> None:
        """Show a saved run's settings (e.g. when continuing it). Like ``TrainConfig.from_saved_run``, a run
        saved before the small-data settings existed shows them off — exactly as it was trained."""
        from studio.engine.gan.trainer import LEGACY_VALUES

        if "config_version" not in config:
            config = {**LEGACY_VALUES, **config}
        self._load(config, include_preset=True)
        self._from_run = True

    def restore_values(self, values: dict[str, Any]) -> None:
        """Show settings the artist had chosen (the last session): like ``load_config``, but they are the
        artist's own, so they follow a preset change as choices made here do (not as a loaded run's)."""
        self._load(dict(values), include_preset=True)
        self._from_run = False
        self.preset_changed.emit(self.preset_name())

    def set_steps(self, steps: int) -> None:
        self.until_stopped.setChecked(steps <= 0)
        if steps > 0:
            self.steps.setValue(steps)

    def _load(self, cfg: dict[str, Any], include_preset: bool) -> None:
        self._loading += 1
        try:
            self._load_fields(cfg, include_preset)
        finally:
            self._loading -= 1
        self._on_settings_changed()

    def _load_fields(self, cfg: dict[str, Any], include_preset: bool) -> None:
        self.small_data.load({k: v for k, v in cfg.items() if k in SMALL_DATA_FIELDS})
        if "init_from" in cfg and str(cfg.get("init_from") or "") != self.init_from.path():
            self.init_from.set_path_unchecked(str(cfg.get("init_from") or ""))
        if include_preset and cfg.get("preset") in self._presets:
            self.preset.blockSignals(True)
            self.preset.setCurrentIndex(self.preset.findData(cfg["preset"]))
            self.preset.blockSignals(False)
            self.preset_description.setText(self.preset_info().description)
            self._update_width_state()
        for name, value in cfg.items():
            widget = self.fields.get(name)
            if name in ("preset", "init_from", *SMALL_DATA_FIELDS) or value is None:
                continue
            if name == "steps":
                self.set_steps(int(value))
            elif isinstance(widget, QComboBox):
                index = widget.findData(value)
                if index >= 0:
                    widget.setCurrentIndex(index)
            elif isinstance(widget, QSpinBox):
                if name == "width" and not value:
                    continue  # lesson presets have no width (0); keep the last useful one shown
                widget.setValue(int(value))
            elif isinstance(widget, QDoubleSpinBox):
                widget.setValue(float(value))
            elif widget is None and name not in ("data", "fit", "hflip", "sample_every_s"):
                self._extra[name] = value

    def run_device(self) -> str:
        """The device a run (or an estimate) asks for: this panel's choice, or on Automatic the artist's
        preference from Preferences, so a page never second-guesses what the artist chose there. A preferred
        device this machine lacks today falls back to "auto" rather than stopping the run."""
        choice = str(self.device.currentData() or "auto")
        if choice != "auto":
            return choice
        from studio.engine.device import available_or_auto
        from studio.preferences import resolve_runtime

        return available_or_auto(resolve_runtime().device)

    def _update_device_hint(self, *_args) -> None:
        try:
            from studio.engine.device import describe_device

            self.device_hint.setText(f"Will use: {describe_device(self.run_device())}")
        except Exception as exc:  # noqa: BLE001 - e.g. DeviceUnavailable: say so instead of crashing
            self.device_hint.setText(str(exc))

    def set_locked(self, locked: bool, except_steps: bool = False) -> None:
        """Grey out everything while training (or all but Steps and quality checks when continuing a run)."""
        for name, widget in self.fields.items():
            widget.setEnabled(not locked or (except_steps and name == "steps"))
        self.until_stopped.setEnabled(not locked or except_steps)
        if not locked or except_steps:
            self.steps.setEnabled(not self.until_stopped.isChecked())
        self._locked = locked
        self.small_data.set_locked(locked, except_metrics=except_steps)
        self.init_from.setEnabled(not locked)
        self.preset_warning_button.setEnabled(not locked)
        training = locked and not except_steps
        if training and self.estimate.is_running():
            self.estimate.cancel()  # the run itself needs the processor now
        self.estimate.setEnabled(not training)
        if not locked:
            self._update_width_state()
        self._update_preset_warning()

    # --- small data: dataset link, recommendation, fine-tuning, estimate ------------------------
    def attach_dataset(self, panel) -> None:
        """Follow a DatasetPanel: its picture count, colour and recommendation ("Use recommended")."""
        self._dataset_panel = panel
        panel.dataset_changed.connect(self._on_dataset_changed)
        panel.recommendation_accepted.connect(self.use_recommended)
        self._on_dataset_changed()

    def _on_dataset_changed(self) -> None:
        panel = self._dataset_panel
        if panel is None:
            return
        ready = panel.data_source() is not None
        self._dataset_channels = int(panel.data_channels()) if ready else 0
        self.set_dataset_count(panel.image_count())
        self._on_settings_changed()

    def use_recommended(self, preset: str | None = None) -> None:
        """Select the recommended model, with every small-data setting on Automatic (the engine then fills
        them for the number of pictures, exactly as the recommendation says)."""
        preset = preset or self._recommended_preset()
        if preset is None or preset not in self._presets:
            return
        self._loading += 1
        try:
            if preset != self.preset_name():
                self.set_preset(preset)
            else:
                self.apply_preset(preset, keep_session=True)
            self.small_data.reset_auto()
        finally:
            self._loading -= 1
        self._on_settings_changed()
        self.settings_changed.emit()

    def _recommended_preset(self) -> str | None:
        advice = self._advice()
        return advice.preset if advice is not None else None

    def _advice(self):
        panel = self._dataset_panel
        advice = panel.advice() if panel is not None else None
        if advice is None and self._dataset_count > 0:
            from studio.ui.widgets.dataset_advice import advise

            try:
                advice = advise(self._dataset_count, self.image_size())
            except Exception:  # noqa: BLE001 - advice is a nicety
                advice = None
        return advice

    def recommendation_in_use(self) -> bool:
        preset = self._recommended_preset()
        return preset is not None and preset == self.preset_name() and self.small_data.is_auto()

    def _on_warning_use(self) -> None:
        if self._warning_preset:
            self.use_recommended(self._warning_preset)

    def _update_preset_warning(self) -> None:
        from studio.ui.widgets.dataset_advice import preset_warning

        advice = self._advice() if self._dataset_count > 0 else None
        text = ""
        if advice is not None and self.preset_name() != advice.preset and not self._locked:
            text = preset_warning(self.preset_name(), self._dataset_count, advice.preset_title)
        self._warning_preset = advice.preset if advice is not None else None
        self.preset_warning_text.setText(text)
        if advice is not None:
            self.preset_warning_button.setText(f"Use {advice.preset_title}")
        self.preset_warning.setVisible(bool(text))

    def architecture(self) -> dict:
        """The network these settings build (what fine-tuning must match); colour None while unknown."""
        info = self.preset_info()
        channels = int(self.channels.currentData() or 0) or int(info.channels or 0) or self._dataset_channels
        width = int(self.width_spin.value()) if info.width_adjustable else 0
        return {"preset": self.preset_name(), "width": width or int(info.default_width),
                "latent_dim": int(self.latent_dim.value()), "channels": channels or None,
                "image_size": int(info.image_size)}

    def match_architecture(self, arch: dict) -> None:
        """'Match its model': take a fine-tune source's preset, width, latent size and colour."""
        preset = str(arch.get("preset"))
        if preset not in self._presets:
            return
        self._loading += 1
        try:
            if preset != self.preset_name():
                self.set_preset(preset)
            if self.preset_info().width_adjustable and arch.get("width"):
                self.width_spin.setValue(int(arch["width"]))
            if arch.get("latent_dim"):
                self.latent_dim.setValue(int(arch["latent_dim"]))
            channels = int(arch.get("channels") or 0)
            if channels and channels != self.architecture()["channels"]:
                index = self.channels.findData(channels)
                if index >= 0:
                    self.channels.setCurrentIndex(index)
        finally:
            self._loading -= 1
        self._on_settings_changed()

    def estimate_request(self) -> EstimateRequest:
        """What 'Estimate time' measures: these settings, the chosen pictures' count and colour."""
        from studio.engine.gan.trainer import TrainConfig

        cfg = TrainConfig.from_dict({**self.values(), "data": "", "init_from": "", "device": self.run_device()})
        cfg.validate()
        return EstimateRequest(cfg, self._dataset_count, self.architecture()["channels"])

    def shutdown(self, timeout_ms: int = 10_000) -> bool:
        """Stop a running estimate and join its thread (the page calls this when it closes)."""
        return self.estimate.shutdown(timeout_ms)

    def _on_settings_changed(self, *_args) -> None:
        """Keep everything that depends on the settings as a whole in step (once per load, not per field)."""
        if self._loading:
            return
        self.small_data.set_context(self._dataset_count, self.values())
        self.small_data_section.set_title("Small-data settings"
                                          + (" · automatic" if self.small_data.is_auto() else " · custom"))
        self.init_from.revalidate()
        self.estimate.settings_changed()
        self._update_preset_warning()
        if self._dataset_panel is not None:
            self._dataset_panel.set_recommendation_in_use(self.recommendation_in_use())
