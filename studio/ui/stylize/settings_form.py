"""The Stylize settings: preset box, strength and smoothness, size, iterations, colours, features, Advanced.

What it keeps straight:
- Every StyleSettings field an artist can change has exactly one control (basic form, Features panel or the
  Advanced panel). ``settings()`` = engine defaults ← fields restored from a recipe that have no control (device,
  preview rate…) ← the controls ← the caller's overrides.
- The Preset combo names a lesson preset exactly while every control matches it (defaults + the preset's
  fields); touching any control so that it no longer matches shows "Custom" — nothing hidden is kept, so what
  you see is what runs. Whether values match a preset is the engine's rule (``preset_match``).
"""

from __future__ import annotations

import math
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QComboBox, QLabel, QSlider, QSpinBox, QWidget

from studio.engine.style.gatys import (
    COLOR_MODES,
    LESSON_PRESETS,
    StyleError,
    StyleSettings,
    available_memory_bytes,
    estimate_memory_bytes,
    use_bf16,
)
from studio.engine.style.preset_match import matches_preset
from studio.ui.stylize.texts import COLOR_LABELS, PRESET_TIP, preset_description, preset_title
from studio.ui.theme import set_tone
from studio.ui.widgets.collapsible import CollapsibleSection
from studio.ui.widgets.features_panel import FeaturesPanel
from studio.ui.widgets.style_advanced import AdvancedStylePanel, WeightSpinBox, nice_weight

# style_weight on the slider, by whether the losses are relative (the default: 0.1 a hint … 100 the painting's surface,
# default 5 at 57 %) or absolute (the lesson's scale, 0.01 … 1e4); the spin box goes further; far left = 0 = off
STYLE_LOG_RANGE = (-1.0, 2.0)
ABSOLUTE_STYLE_LOG_RANGE = (-2.0, 4.0)
TV_LOG_RANGE = (-2.0, 2.0)  # tv_weight 1e-2 … 1e2; slider middle = 1; 0 = off
PAGE_DEFAULTS = {"preview_every_s": 0.25}  # the GUI wants livelier previews than the CLI
BASIC_FIELDS = ("size", "iterations", "style_weight", "tv_weight", "colors", "backbone", "vgg19_path")
CONTROL_FIELDS = BASIC_FIELDS + AdvancedStylePanel.FIELDS
CUSTOM = ""


def slider_to_weight(pos: int, lo: float, hi: float) -> float:
    """Slider position 1…100 → 10^lo … 10^hi on a log scale; 0 means off (weight 0)."""
    if pos <= 0:
        return 0.0
    return 10 ** (lo + (hi - lo) * pos / 100.0)


def weight_to_slider(weight: float, lo: float, hi: float) -> int:
    if weight <= 0:
        return 0
    return max(1, min(100, round((math.log10(max(weight, 1e-12)) - lo) / (hi - lo) * 100)))


class SettingsForm(QObject):
    """Owns the setting controls (children of ``host``, arranged by the page's layout) and says ``changed``
    whenever what would run changes."""

    changed = Signal()

    def __init__(self, host: QWidget, aspect: Callable[[], float], overrides: Callable[[], dict] = dict) -> None:
        super().__init__(host)
        self._aspect = aspect  # the photo's width / height, for the memory estimate
        self._overrides = overrides  # extra fields applied last (tests, scripting)
        self._extras: dict = dict(PAGE_DEFAULTS)  # settings without a control (from recipes)
        self._applying = 0  # > 0 while code sets many controls at once
        self._syncing = False  # slider <-> number box
        self._devices: dict[str, object] = {}
        self._editable = True
        self._build(host)
        self._connect()

    def _build(self, host: QWidget) -> None:
        self.preset_combo = QComboBox(host)
        self.preset_combo.setObjectName("stylePreset")
        self.preset_combo.addItem("Custom", CUSTOM)
        self.preset_combo.setItemData(0, "Your own settings", Qt.ItemDataRole.ToolTipRole)
        for name in LESSON_PRESETS:
            self.preset_combo.addItem(preset_title(name), name)
            self.preset_combo.setItemData(self.preset_combo.count() - 1, preset_description(name),
                                          Qt.ItemDataRole.ToolTipRole)
        self.preset_combo.setToolTip(PRESET_TIP)
        self.preset_info = QLabel(host)
        self.preset_info.setObjectName("presetInfo")
        self.preset_info.setWordWrap(True)
        set_tone(self.preset_info, "muted")

        d = StyleSettings()
        self.strength = QSlider(Qt.Orientation.Horizontal, host)
        self.strength.setRange(0, 100)
        self.strength_spin = WeightSpinBox(0.0, 1e9, d.style_weight, step_from_zero=10 ** STYLE_LOG_RANGE[0],
                                           parent=host)
        self.strength_spin.setObjectName("styleWeight")
        self.strength.setValue(weight_to_slider(d.style_weight, *STYLE_LOG_RANGE))  # the default is relative
        tip = ("How strongly the painting's strokes and textures count against the photo's content: about 0.5 a "
               "hint of the painting, 5 (the default) the photo repainted in its manner, 50 the painting's "
               "surface over the photo's layout. The same number means the same for every painting. "
               "Far left: off (no style).")
        self.strength.setToolTip(tip)
        self.strength_spin.setToolTip(tip + " Type an exact number if you like.")
        self.smooth = QSlider(Qt.Orientation.Horizontal, host)
        self.smooth.setRange(0, 100)
        self.smooth_spin = WeightSpinBox(0.0, 1e4, d.tv_weight, step_from_zero=10 ** TV_LOG_RANGE[0], parent=host)
        self.smooth_spin.setObjectName("tvWeight")
        self.smooth.setValue(weight_to_slider(d.tv_weight, *TV_LOG_RANGE))
        tip = ("How much neighbouring pixels are pulled together (the variation loss): more gives calmer, "
               "smoother areas; less keeps grain and crisp detail; far left: off.")
        self.smooth.setToolTip(tip)
        self.smooth_spin.setToolTip(tip)

        self.size_spin = QSpinBox(host)
        self.size_spin.setRange(16, 8192)
        self.size_spin.setSingleStep(64)
        self.size_spin.setSuffix(" px")
        self.size_spin.setValue(d.size)
        self.size_spin.setToolTip("The long side of the finished picture. Bigger takes longer and needs more "
                                  "memory (see below); 512 px is a good first try.")
        self.iter_spin = QSpinBox(host)
        self.iter_spin.setRange(1, 100_000)
        self.iter_spin.setValue(d.iterations)
        self.iter_spin.setToolTip("How many improvement steps, over all scales. More steps: a more finished "
                                  "picture; you can also stop early and keep what is there.")
        self.colors_combo = QComboBox(host)
        for mode in COLOR_MODES:
            self.colors_combo.addItem(COLOR_LABELS.get(mode, mode), mode)
        self.colors_combo.setToolTip("Whose colours the result wears: the painting's, the photo's (only the "
                                     "brushwork is transferred), or the painting recoloured to the photo first.")
        self.features = FeaturesPanel(host, embed_combo=False)
        self.memory_label = QLabel(host)
        self.memory_label.setObjectName("memoryEstimate")
        self.memory_label.setWordWrap(True)
        self.memory_label.setToolTip("A cautious estimate for the largest scale; the run stops with a clear "
                                     "message instead of freezing the computer when memory is short.")

        self.advanced = AdvancedStylePanel(host)
        self.advanced_section = CollapsibleSection("Advanced settings", expanded=False, parent=host)
        self.advanced_section.body_layout.addWidget(self.advanced)
        self.advanced_section.header.setToolTip("Layers, start image, optimiser, seed, pooling and scales")

    def _connect(self) -> None:
        self.preset_combo.currentIndexChanged.connect(self._on_preset_chosen)
        self.strength.valueChanged.connect(self._on_strength_slider)
        self.smooth.valueChanged.connect(self._on_smooth_slider)
        self.strength_spin.valueChanged.connect(self._on_strength_spin)
        self.smooth_spin.valueChanged.connect(self._on_smooth_spin)
        for w in (self.size_spin, self.iter_spin):
            w.valueChanged.connect(self.controls_changed)
        self.colors_combo.currentIndexChanged.connect(self.controls_changed)
        self.features.changed.connect(self.controls_changed)
        self.advanced.changed.connect(self.controls_changed)
        self.advanced.normalize.toggled.connect(self._sync_strength_slider)

    # -- values ---------------------------------------------------------------------------------------
    def control_values(self) -> dict:
        """The StyleSettings fields the controls show (StyleError for an unreadable scales list)."""
        values = dict(size=self.size_spin.value(), iterations=self.iter_spin.value(),
                      style_weight=float(self.strength_spin.value()), tv_weight=float(self.smooth_spin.value()),
                      colors=self.colors_combo.currentData(), backbone=self.features.preference(),
                      vgg19_path=self.features.vgg19_path())
        values.update(self.advanced.values())
        return values

    def settings(self) -> StyleSettings:
        fields = StyleSettings().to_dict()
        fields.update(self._extras)
        fields.update(self.control_values())
        fields.update(self._overrides())
        return StyleSettings(**fields)

    def extras(self) -> dict:
        return dict(self._extras)

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
            self._sync_strength_slider()
            self._extras = {**PAGE_DEFAULTS, **{k: v for k, v in d.items()
                                                if k in known and k not in CONTROL_FIELDS}}
        finally:
            self._applying -= 1
        self.controls_changed()

    # -- presets --------------------------------------------------------------------------------------
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
        self.show_preset(name)

    def matches_preset(self, name: str) -> bool:
        try:
            current = self.control_values()
        except StyleError:
            return False
        return matches_preset(current, name, CONTROL_FIELDS)

    def _on_preset_chosen(self, _index: int) -> None:
        if self._applying:
            return
        name = self.preset()
        if name:
            self.apply_preset(name)
        else:
            self.show_preset(CUSTOM)

    def show_preset(self, name: str) -> None:
        i = max(0, self.preset_combo.findData(name))
        self.preset_combo.blockSignals(True)
        self.preset_combo.setCurrentIndex(i)
        self.preset_combo.blockSignals(False)
        self.preset_info.setText(preset_description(name) if name else "")
        self.preset_combo.setToolTip(preset_description(name) if name else PRESET_TIP)
        self.preset_info.setVisible(bool(name))

    def sync_preset_combo(self) -> None:
        current = self.preset()
        if current and self.matches_preset(current):
            return
        match = next((n for n in LESSON_PRESETS if self.matches_preset(n)), CUSTOM)
        if match != current:
            self.show_preset(match)

    # -- slider <-> number ----------------------------------------------------------------------------
    def _on_strength_slider(self, pos: int) -> None:
        if not self._syncing:
            self._syncing = True
            self.strength_spin.setValue(nice_weight(slider_to_weight(pos, *self.style_range())))
            self._syncing = False

    def _on_smooth_slider(self, pos: int) -> None:
        if not self._syncing:
            self._syncing = True
            self.smooth_spin.setValue(nice_weight(slider_to_weight(pos, *TV_LOG_RANGE)))
            self._syncing = False

    def style_range(self) -> tuple[float, float]:
        """The strength slider's log range: relative strengths (the default) or the lesson's absolute scale."""
        return STYLE_LOG_RANGE if self.advanced.normalize.isChecked() else ABSOLUTE_STYLE_LOG_RANGE

    def _on_strength_spin(self, value: float) -> None:
        if not self._syncing:
            self._syncing = True
            self.strength.setValue(weight_to_slider(value, *self.style_range()))
            self._syncing = False
        self.controls_changed()

    def _sync_strength_slider(self) -> None:
        """The slider's position for the number on show, in the range the losses now use."""
        self._syncing = True
        self.strength.setValue(weight_to_slider(float(self.strength_spin.value()), *self.style_range()))
        self._syncing = False

    def _on_smooth_spin(self, value: float) -> None:
        if not self._syncing:
            self._syncing = True
            self.smooth.setValue(weight_to_slider(value, *TV_LOG_RANGE))
            self._syncing = False
        self.controls_changed()

    def controls_changed(self, *_args) -> None:
        if self._applying:
            return
        self.advanced.set_arch(self.features.arch())
        self.sync_preset_combo()
        self.update_memory_label()
        self.changed.emit()

    # -- memory ---------------------------------------------------------------------------------------
    def _device(self, pref: str):
        if pref not in self._devices:
            from studio.engine.device import pick_device

            try:
                self._devices[pref] = pick_device(pref)
            except Exception:  # noqa: BLE001 - an unavailable device is reported when the run starts
                self._devices[pref] = "cpu"
        return self._devices[pref]

    def update_memory_label(self) -> None:
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
            set_tone(self.memory_label, "warning")
        else:
            free = f" ({have / 1e9:.1f} GB free)" if have is not None else ""
            self.memory_label.setText(f"Needs about {need / 1e9:.1f} GB of memory{free}")
            set_tone(self.memory_label, "muted")

    def set_editable(self, editable: bool) -> None:
        """Settings are locked while a run paints with them."""
        for w in (self.strength, self.strength_spin, self.smooth, self.smooth_spin, self.size_spin, self.iter_spin,
                  self.colors_combo, self.features.combo, self.preset_combo):
            w.setEnabled(editable)
        if self._editable != editable:
            self._editable = editable
            self.advanced.set_editable(editable)
