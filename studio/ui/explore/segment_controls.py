"""The controls under the keyframes: how the move that leaves the selected keyframe is timed (frames or
seconds), eased and interpolated, and the wander loop around it. They show one keyframe entry and tell
the timeline editor which control the artist touched; the editor writes the entry back."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from studio.engine.latent.keyframes import seconds_to_frames
from studio.engine.latent.timeline import EASING_NAMES, INTERPOLATIONS
from studio.engine.latent.wording import segment_caption
from studio.ui.widgets.flow import FlowLayout

# the words are the page's; the names (keys) are the engine's one list (studio.engine.latent.timeline)
EASING_TITLES = {"linear": "Linear", "ease-in-out": "Ease in-out", "ease-in": "Ease in", "ease-out": "Ease out",
                 "smoothstep": "Smoothstep", "hold": "Hold"}
INTERP_TITLES = {"slerp": "Slerp (sphere)", "lerp": "Lerp (straight)"}


def spin(box, name: str, tip: str, lo, hi, value, suffix: str = "", prefix: str = ""):
    box.setObjectName(name)
    box.setToolTip(tip)
    box.setRange(lo, hi)
    box.setValue(value)
    box.setSuffix(suffix)
    box.setPrefix(prefix)
    return box


def row_of(*widgets) -> FlowLayout:
    """A row that wraps on a narrow panel instead of cutting its last controls."""
    lay = FlowLayout()
    for w in widgets:
        lay.addWidget(w)
    return lay


class SegmentControls(QWidget):
    segment_edited = Signal(str)  # the objectName of the control the artist changed
    wander_edited = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.segment_label = QLabel("")
        self.segment_label.setObjectName("caption")
        self.segment_label.setWordWrap(True)  # a long caption takes its own lines in the row
        tip = "How long the move from the selected keyframe to the next one lasts"
        self.frames_spin = spin(QSpinBox(), "segmentFrames", tip, 1, 600, 24, " frames")
        self.seconds_spin = QDoubleSpinBox()
        self.seconds_spin.setDecimals(2)
        self.seconds_spin.setSingleStep(0.25)
        spin(self.seconds_spin, "segmentSeconds", tip, 0.05, 600.0, 1.0, " s")
        self.seconds_spin.hide()
        self.unit_combo = QComboBox()
        self.unit_combo.setObjectName("segmentUnit")
        self.unit_combo.addItem("frames", "frames")
        self.unit_combo.addItem("seconds", "seconds")
        self.unit_combo.setToolTip("Time this move in frames, or in seconds (kept when the frame rate changes)")
        self.easing_combo = QComboBox()
        self.easing_combo.setObjectName("segmentEasing")
        self.easing_combo.setToolTip("How the move speeds up and slows down between the two keyframes")
        for name in EASING_NAMES:
            self.easing_combo.addItem(EASING_TITLES.get(name, name), name)
        self.interp_combo = QComboBox()
        self.interp_combo.setObjectName("segmentInterp")
        for name in INTERPOLATIONS:
            self.interp_combo.addItem(INTERP_TITLES.get(name, name), name)
        self.interp_combo.setToolTip("Slerp keeps pictures lively between keyframes; lerp passes near the average")
        self.wander_check = QCheckBox("Wander around this keyframe")
        self.wander_check.setObjectName("wanderSwitch")
        self.wander_check.setToolTip("Instead of travelling between keyframes, drift around the selected one "
                                     "in a smooth loop with no seam")
        self.wander_radius_spin = QDoubleSpinBox()
        self.wander_radius_spin.setSingleStep(0.05)
        self.wander_radius_spin.setDecimals(2)
        spin(self.wander_radius_spin, "wanderRadius", "How far the loop strays from the keyframe (1 = as far as "
             "another sample)", 0.02, 1.0, 0.3, prefix="radius ")
        self.wander_frames_spin = spin(QSpinBox(), "wanderFrames", "How many frames one lap of the wander around "
                                       "this keyframe takes", 2, 600, 48, " frames")
        self.wander_shuffle_button = QPushButton("New path")
        self.wander_shuffle_button.setObjectName("wanderShuffle")
        self.wander_shuffle_button.setToolTip("Another random path around the same keyframe")
        col = QVBoxLayout(self)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(6)
        col.addLayout(row_of(self.segment_label, self.frames_spin, self.seconds_spin, self.unit_combo,
                             self.easing_combo, self.interp_combo))
        col.addLayout(row_of(self.wander_check, self.wander_radius_spin, self.wander_frames_spin,
                             self.wander_shuffle_button))
        for w in (self.frames_spin, self.seconds_spin):
            w.valueChanged.connect(self._on_segment)
        for w in (self.easing_combo, self.interp_combo):
            w.currentIndexChanged.connect(self._on_segment)
        self.unit_combo.currentIndexChanged.connect(self._on_unit_changed)
        self.wander_check.toggled.connect(self._on_wander)
        self.wander_radius_spin.valueChanged.connect(self._on_wander)
        self.wander_frames_spin.valueChanged.connect(self._on_wander)
        self.fps: Callable[[], float] = lambda: 24.0  # the timeline's frame rate
        self.show_wander({})  # nothing to wander around until a keyframe is selected

    def _segment_widgets(self) -> tuple:
        return self.frames_spin, self.seconds_spin, self.unit_combo, self.easing_combo, self.interp_combo

    def in_seconds(self) -> bool:
        return self.unit_combo.currentData() == "seconds"

    def show_entry(self, entry: dict) -> None:
        """Show a keyframe entry's segment and wander without reporting an edit."""
        widgets = self._segment_widgets()
        for w in widgets:
            w.blockSignals(True)
        if entry:
            self.frames_spin.setValue(int(entry.get("frames", 24)))
            secs = entry.get("seconds")
            self.unit_combo.setCurrentIndex(self.unit_combo.findData("seconds" if secs is not None else "frames"))
            self.seconds_spin.setValue(float(secs) if secs is not None else int(entry.get("frames", 24)) / self.fps())
            self.easing_combo.setCurrentIndex(max(0, self.easing_combo.findData(entry.get("easing", "linear"))))
            self.interp_combo.setCurrentIndex(max(0, self.interp_combo.findData(entry.get("interp", "slerp"))))
        for w in widgets:
            w.blockSignals(False)
        self.show_wander(entry)

    def show_frames(self, frames: int) -> None:
        self.frames_spin.blockSignals(True)
        self.frames_spin.setValue(int(frames))
        self.frames_spin.blockSignals(False)

    def write_segment(self, entry: dict) -> dict:
        """``entry`` with the segment as the controls say (seconds also fix the frames at the frame rate)."""
        entry.update(frames=self.frames_spin.value(), easing=self.easing_combo.currentData(),
                     interp=self.interp_combo.currentData())
        if self.in_seconds():
            entry["seconds"] = round(float(self.seconds_spin.value()), 4)
            entry["frames"] = seconds_to_frames(entry["seconds"], self.fps())
            self.show_frames(entry["frames"])
        else:
            entry.pop("seconds", None)
        return entry

    def wander_settings(self, seed: int) -> dict:
        return {"radius": round(self.wander_radius_spin.value(), 4), "frames": self.wander_frames_spin.value(),
                "seed": int(seed)}

    def show_wander(self, entry: dict) -> None:
        w = entry.get("wander") if entry else None
        widgets = (self.wander_check, self.wander_radius_spin, self.wander_frames_spin)
        for x in widgets:
            x.blockSignals(True)
        self.wander_check.setChecked(bool(w))
        if w:
            self.wander_radius_spin.setValue(float(w.get("radius", 0.3)))
            self.wander_frames_spin.setValue(int(w.get("frames", 48)))
        for x in widgets:
            x.blockSignals(False)
        self.wander_check.setEnabled(bool(entry))
        self.enable_wander_settings(bool(w))

    def enable_wander_settings(self, on: bool) -> None:
        for x in (self.wander_radius_spin, self.wander_frames_spin, self.wander_shuffle_button):
            x.setEnabled(on)

    def show_caption(self, row: int, count: int, loop: bool, wandering: bool) -> None:
        text, has_segment = segment_caption(row, count, loop, wandering)
        self.segment_label.setText(text)
        seconds = self.in_seconds()
        for w in self._segment_widgets():
            w.setVisible(has_segment and (w is not self.frames_spin or not seconds)
                         and (w is not self.seconds_spin or seconds))
            w.setEnabled(not wandering)

    def _on_segment(self, *_args) -> None:
        sender = self.sender()
        self.segment_edited.emit(sender.objectName() if sender is not None else "")

    def _on_unit_changed(self, *_args) -> None:
        """Frames ↔ seconds: the duration stays what it was, only the way it is typed (and kept) changes."""
        if self.in_seconds():
            self.seconds_spin.blockSignals(True)
            self.seconds_spin.setValue(self.frames_spin.value() / self.fps())
            self.seconds_spin.blockSignals(False)
        self.segment_edited.emit(self.unit_combo.objectName())

    def _on_wander(self, *_args) -> None:
        sender = self.sender()
        self.wander_edited.emit(sender.objectName() if sender is not None else "")
