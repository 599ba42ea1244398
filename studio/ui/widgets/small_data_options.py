"""The small-data knobs of a training run: dataset-size preset, augmentation, EMA, spectral norm, kinds of
pictures, quality checks. "Automatic" means None in TrainConfig: the engine fills it from the picture count
(``regimes.resolve_settings``); each Automatic entry says what it will become for the chosen pictures.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QFormLayout, QLabel, QSpinBox, QVBoxLayout, QWidget

from studio.engine.gan.config import AUGMENT_MODES, TrainConfig
from studio.engine.gan.regimes import REGIME_CHOICES, SMALL_MAX, TINY_MAX
from studio.engine.train_text import describe_resolved

# TrainConfig fields this widget owns (the loss combo lives here too but belongs to the settings panel).
FIELDS = ("regime", "augment", "aug_p", "ada_target", "ema", "ema_halflife_imgs", "spectral_norm", "kinds",
          "metrics_every")
# TrainConfig's default: the dataset-size preset replaces it (regimes._ALWAYS_SET)
AUTO_HALFLIFE = TrainConfig.ema_halflife_imgs

REGIME_TITLES = {
    "auto": "Automatic",
    "tiny": f"Tiny — fewer than {TINY_MAX:,} pictures",
    "small": f"Small — fewer than {SMALL_MAX:,}",
    "large": f"Large — {SMALL_MAX:,} or more",
    "manual": "Manual — only what I set",
}
AUGMENT_TITLES = {"auto": "Automatic", "off": "Off", "fixed": "Fixed strength", "adaptive": "Adaptive"}
# The keys are the engine's (one copy of each rule); only the words live here.
REGIMES = [(key, REGIME_TITLES.get(key, key)) for key in REGIME_CHOICES]
AUGMENTS = [(key, AUGMENT_TITLES.get(key, key)) for key in ("auto", *AUGMENT_MODES)]
ON_OFF = [("auto", "Automatic"), ("on", "On"), ("off", "Off")]

TIPS = {
    "regime": "Which set of small-data settings to use. Automatic picks by how many pictures you chose: "
              "tiny (fewer than 100), small (fewer than 1,000) or large. Manual switches everything below "
              "off unless you set it.",
    "augment": "Randomly recolour, shift and partly cover every picture the discriminator sees — yours and "
               "the generated ones — so it cannot simply memorise a small set. Adaptive turns it up only "
               "when the discriminator starts winning; Fixed keeps one strength.",
    "aug_p": "How often each picture is altered (0 = never, 1 = always). With Adaptive this is where it "
             "starts. Automatic: chosen by the picture count.",
    "ada_target": "Adaptive augmentation watches how sure the discriminator is about your pictures and "
                  "keeps that near this value (0.6 is the usual). Lower: stronger augmentation sooner.",
    "ema": "Keep a running average of the generator's recent weights and show and export that: cleaner, "
           "steadier pictures for almost no cost.",
    "ema_halflife_imgs": "How far back the average reaches, in pictures shown: after this many the older "
                         "weights count half. Automatic: shorter for fewer pictures.",
    "spectral_norm": "Limit how sharply the discriminator can react to small changes. Keeps training "
                     "steady on small sets; the small-data GAN is built for it.",
    "kinds": "Sort your pictures into this many kinds first (by what a pretrained network sees in them) and "
             "teach the generator each kind on its own: fewer in-between hybrids, every kind drawn as often as "
             "your folder holds it. Small-data presets only; needs the VGG16 weights (make models). "
             "0 = off; Automatic: about one kind per eight pictures (up to 24) on small folders.",
    "metrics_every": "Every this many steps, measure quality (KID, FD), variety and whether the generator "
                     "copies your pictures, and warn about problems. Costs a few seconds each time. "
                     "0 = never; Automatic: chosen by the picture count.",
}


class AutoSpinBox(QSpinBox):
    """An int spin box whose lowest value (-1) reads 'Automatic' (None in the config)."""

    def __init__(self, hi: int, step: int, suffix: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setRange(-1, hi)
        self.setSingleStep(step)
        self.setSpecialValueText("Automatic")
        self.setSuffix(suffix)
        self.setGroupSeparatorShown(True)
        self.setKeyboardTracking(False)

    def stepBy(self, steps: int) -> None:  # noqa: N802 - Qt override: Automatic, 0 (off), one step, …
        v, s = self.value(), self.singleStep()
        if v < 0:
            new = -1 if steps <= 0 else (steps - 1) * s
        else:
            new = v + steps * s
            if steps > 0 and v % s:
                new = (v // s + steps) * s  # 250 → 300, not 350
            new = -1 if new < 0 and v == 0 else max(0, new)
        self.setValue(min(new, self.maximum()))

    def config_value(self) -> int | None:
        return None if self.value() < 0 else int(self.value())

    def set_config_value(self, value) -> None:
        self.setValue(-1 if value is None else int(value))


class AutoDoubleSpinBox(QDoubleSpinBox):
    """A 0–1 spin box whose lowest value reads 'Automatic' (None in the config)."""

    AUTO = -0.05

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setRange(self.AUTO, 1.0)
        self.setDecimals(2)
        self.setSingleStep(0.05)
        self.setSpecialValueText("Automatic")
        self.setKeyboardTracking(False)

    def config_value(self) -> float | None:
        return None if self.value() < 0 else round(float(self.value()), 4)

    def set_config_value(self, value) -> None:
        self.setValue(self.AUTO if value is None else float(value))


def _combo(items: list[tuple[str, str]], parent: QWidget) -> QComboBox:
    combo = QComboBox(parent)
    for key, text in items:
        combo.addItem(text, key)
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(8)
    return combo


def _bool_key(value) -> str:
    return "auto" if value is None else ("on" if value else "off")


class SmallDataOptions(QWidget):
    """The form; ``values()`` gives TrainConfig fields (Automatic → None), ``load()`` shows a config."""

    changed = Signal()

    def __init__(self, loss_combo: QComboBox | None = None, init_picker: QWidget | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._count = 0
        self._resolved: dict = {}
        self.summary = QLabel("", self)
        self.summary.setObjectName("hint")
        self.summary.setWordWrap(True)
        self.regime = _combo(REGIMES, self)
        self.augment = _combo(AUGMENTS, self)
        self.aug_p = AutoDoubleSpinBox(self)
        self.ada_target = QDoubleSpinBox(self)
        self.ada_target.setRange(0.05, 0.95)
        self.ada_target.setDecimals(2)
        self.ada_target.setSingleStep(0.05)
        self.ada_target.setValue(0.6)
        self.ada_target.setKeyboardTracking(False)
        self.ema = _combo(ON_OFF, self)
        self.ema_halflife = QSpinBox(self)
        self.ema_halflife.setRange(0, 1_000_000)
        self.ema_halflife.setSingleStep(1000)
        self.ema_halflife.setSpecialValueText("Automatic")
        self.ema_halflife.setSuffix(" pictures")
        self.ema_halflife.setGroupSeparatorShown(True)
        self.ema_halflife.setKeyboardTracking(False)
        self.spectral_norm = _combo(ON_OFF, self)
        self.kinds = AutoSpinBox(64, 1, " kinds", self)
        self.kinds.valueChanged.connect(self._on_kinds_value)
        self.metrics_every = AutoSpinBox(1_000_000, 100, " steps", self)
        self.metrics_every.valueChanged.connect(self._on_metrics_value)

        self.widgets: dict[str, QWidget] = {
            "regime": self.regime, "augment": self.augment, "aug_p": self.aug_p, "ada_target": self.ada_target,
            "ema": self.ema, "ema_halflife_imgs": self.ema_halflife, "spectral_norm": self.spectral_norm,
            "kinds": self.kinds, "metrics_every": self.metrics_every,
        }
        for name, widget in self.widgets.items():
            widget.setObjectName(f"setting_{name}")
            widget.setToolTip(TIPS[name])
            signal = getattr(widget, "valueChanged", None) or widget.currentIndexChanged
            signal.connect(self._on_changed)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)  # a narrow column: field under label
        form.addRow("Dataset size", self.regime)
        form.addRow("Augmentation", self.augment)
        form.addRow("Strength", self.aug_p)
        form.addRow("Adaptive target", self.ada_target)
        form.addRow("EMA", self.ema)
        form.addRow("EMA half-life", self.ema_halflife)
        form.addRow("Spectral norm", self.spectral_norm)
        form.addRow("Kinds of pictures", self.kinds)
        if loss_combo is not None:
            form.addRow("Loss", loss_combo)
        form.addRow("Quality checks", self.metrics_every)
        for row in range(form.rowCount()):
            label = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
            field = form.itemAt(row, QFormLayout.ItemRole.FieldRole)
            if label is not None and label.widget() is not None and field is not None and field.widget():
                label.widget().setToolTip(field.widget().toolTip())
        self.init_title = QLabel("Fine-tune from", self)
        self.init_title.setToolTip("Start from an earlier run's weights instead of from scratch: quicker, and "
                                   "good results from fewer pictures. The network must be the same.")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.summary)
        layout.addLayout(form)
        if init_picker is not None:
            layout.addSpacing(4)
            layout.addWidget(self.init_title)
            layout.addWidget(init_picker)
        self._on_metrics_value(self.metrics_every.value())

    # --- values ---------------------------------------------------------------------------------
    def values(self) -> dict[str, Any]:
        def tri(combo: QComboBox):
            key = combo.currentData()
            return None if key == "auto" else key == "on"

        augment = str(self.augment.currentData())
        return {
            "regime": str(self.regime.currentData()),
            "augment": None if augment == "auto" else augment,
            "aug_p": self.aug_p.config_value(),
            "ada_target": round(float(self.ada_target.value()), 4),
            "ema": tri(self.ema),
            "ema_halflife_imgs": int(self.ema_halflife.value()) or AUTO_HALFLIFE,
            "spectral_norm": tri(self.spectral_norm),
            "kinds": self.kinds.config_value(),
            "metrics_every": self.metrics_every.config_value(),
        }

    def load(self, cfg: dict[str, Any]) -> None:
        """Show these fields (a missing key keeps its control; None means Automatic)."""
        with_signals = self.signalsBlocked()
        self.blockSignals(True)
        try:
            for name, value in cfg.items():
                if name not in FIELDS:
                    continue
                if name in ("regime", "augment"):
                    combo = self.widgets[name]
                    index = combo.findData("auto" if value is None else str(value))
                    if index >= 0:
                        combo.setCurrentIndex(index)
                elif name in ("ema", "spectral_norm"):
                    combo = self.widgets[name]
                    combo.setCurrentIndex(combo.findData(_bool_key(value)))
                elif name == "aug_p":
                    self.aug_p.set_config_value(value)
                elif name == "ada_target" and value is not None:
                    self.ada_target.setValue(float(value))
                elif name == "ema_halflife_imgs":
                    v = int(value or AUTO_HALFLIFE)
                    self.ema_halflife.setValue(0 if v == AUTO_HALFLIFE else v)
                elif name == "metrics_every":
                    self.metrics_every.set_config_value(value)
                elif name == "kinds":
                    self.kinds.set_config_value(value)
        finally:
            self.blockSignals(with_signals)
        self._on_changed()

    def reset_auto(self) -> None:
        """Everything back to Automatic: the picture count decides."""
        self.load({"regime": "auto", "augment": None, "aug_p": None, "ada_target": 0.6, "ema": None,
                   "ema_halflife_imgs": AUTO_HALFLIFE, "spectral_norm": None, "kinds": None,
                   "metrics_every": None})

    def is_auto(self) -> bool:
        v = self.values()
        return (v["regime"] == "auto" and all(v[k] is None for k in ("augment", "aug_p", "ema", "spectral_norm",
                                                                        "kinds", "metrics_every"))
                and v["ema_halflife_imgs"] == AUTO_HALFLIFE)

    def set_locked(self, locked: bool, except_metrics: bool = False) -> None:
        for name, widget in self.widgets.items():
            widget.setEnabled(not locked or (except_metrics and name == "metrics_every"))
        if not locked:
            self._update_enabled()

    # --- what Automatic means now ---------------------------------------------------------------
    def set_context(self, count: int, base_config: dict[str, Any]) -> None:
        """The picture count and the rest of the settings: Automatic entries then say what they become."""
        self._count = max(0, int(count))
        self._base = dict(base_config)
        self._describe()

    def resolved(self) -> dict:
        """What the engine will use for the small-data fields with these pictures ({} when unknown)."""
        return dict(self._resolved)

    def _describe(self) -> None:
        from studio.engine.gan.regimes import regime_for_count, resolve_settings
        from studio.engine.gan.trainer import TrainConfig

        base = getattr(self, "_base", None)
        self._resolved = {}
        if base is None:
            return
        try:
            cfg = TrainConfig.from_dict({**base, **self.values()})
            resolved, choice = resolve_settings(cfg, self._count or 200)
        except (ValueError, KeyError, TypeError):
            return
        values = {k: getattr(resolved, k) for k in FIELDS}
        self._resolved = values
        known = self._count > 0
        regime_auto = regime_for_count(self._count) if known else None
        texts = {
            "regime": f"Automatic: {regime_auto} ({self._count:,} pictures)" if known
                      else "Automatic (by picture count)",
            "augment": f"Automatic: {values['augment']}" if known else "Automatic",
        }
        for name, text in texts.items():
            combo = self.widgets[name]
            combo.setItemText(combo.findData("auto"), text)
        for name in ("ema", "spectral_norm"):
            combo = self.widgets[name]
            combo.setItemText(combo.findData("auto"), f"Automatic: {'on' if values[name] else 'off'}" if known
                              else "Automatic")
        if known:
            self.aug_p.setSpecialValueText(f"Auto ({values['aug_p'] or 0:.2f})")
            self.ema_halflife.setSpecialValueText(f"Auto ({values['ema_halflife_imgs']:,} pictures)")
            every = values["metrics_every"] or 0
            self.metrics_every.setSpecialValueText(f"Auto ({every:,} steps)" if every else "Auto (off)")
            kinds = values.get("kinds") or 0
            self.kinds.setSpecialValueText(f"Auto ({kinds} kinds)" if kinds else "Auto (off)")
            self.summary.setText(f"With these settings and {self._count:,} pictures ({choice.regime}): "
                                 f"{describe_resolved({**values, 'r1_gamma': resolved.r1_gamma})}.")
        else:
            for spin in (self.aug_p, self.ema_halflife, self.kinds, self.metrics_every):
                spin.setSpecialValueText("Automatic")
            self.summary.setText("Automatic settings follow the number of pictures: choose pictures to see "
                                 "what they become.")
        self._update_enabled()

    def _update_enabled(self) -> None:
        if not self.regime.isEnabled():
            return  # locked while training
        aug = self._resolved.get("augment") or self.augment.currentData()
        self.aug_p.setEnabled(aug != "off")
        self.ada_target.setEnabled(aug in ("adaptive", "auto"))
        ema = self._resolved.get("ema") if self._resolved else self.ema.currentData() != "off"
        self.ema_halflife.setEnabled(bool(ema))

    def _on_kinds_value(self, value: int) -> None:
        self.kinds.setSuffix(" (off)" if value == 0 else " kinds")

    def _on_metrics_value(self, value: int) -> None:
        self.metrics_every.setSuffix(" (off)" if value == 0 else " steps")

    def _on_changed(self, *_args) -> None:
        if self.signalsBlocked():
            return
        self._describe()
        self.changed.emit()
