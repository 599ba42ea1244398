"""The timeline: keyframes in order, the move (segment) that leaves each one, the loop, the frame rate,
the wander loop around one keyframe, and undo/redo of all of it.

The whole timeline is one plain state (``timeline_state()``: keyframe entries + loop + fps), so undo is
the engine's ``EditHistory`` over that state, and the Timeline the engine renders is built from it by
``studio.engine.latent.walk_preview.timeline_from_entries``.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from studio.engine.latent.favourites import entry_key, keyframe_entry
from studio.engine.latent.history import EditHistory
from studio.engine.latent.keyframes import seconds_to_frames
from studio.engine.latent.walk_preview import timeline_from_entries
from studio.engine.latent.wording import keyframe_text, timeline_summary
from studio.ui.explore.segment_controls import SegmentControls, spin
from studio.ui.widgets.explore_lists import ROLE, KeyframeStrip, item_data
from studio.ui.widgets.flow import FlowLayout


def _pair(*widgets: QWidget) -> QWidget:
    """Controls that belong together, so a wrapping row moves them as one."""
    pair = QWidget()
    row = QHBoxLayout(pair)
    row.setContentsMargins(0, 0, 0, 0)
    row.setSpacing(6)
    for w in widgets:
        row.addWidget(w)
    return pair


class TimelineEditor(QFrame):
    edited = Signal()  # the timeline changed (recorded for undo already)
    keyframe_selected = Signal(int)
    playback_fps = Signal(float)  # the frame rate to play at (an edit, an undo)

    def __init__(self, rng: random.Random, icon_for_key: Callable[[object], object],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("timelinePanel")
        self._rng = rng
        self._icon_for_key = icon_for_key
        self.latent_dim: int | None = None  # None: no generator, so no timeline
        self.truncation: Callable[[], float] = lambda: 1.0
        self.history = EditHistory()
        self._restoring = False
        self._row_before = -1  # the selected keyframe before the current edit (undo selects it again)
        self._edit_tag: object = None  # what the current edit touched, for coalescing
        self._build()
        self._connect()
        self.history.reset(self.timeline_state())

    # ================================================================================ widgets
    def _build(self) -> None:
        self.keyframes = KeyframeStrip(52)
        self.keyframes.setToolTip("Keyframes in order. Drag to reorder; drop favourites here.")
        self.move_left_button = QPushButton("◀")
        self.move_left_button.setObjectName("moveKeyLeft")
        self.move_left_button.setToolTip("Move the keyframe earlier (Ctrl+Left)")
        self.move_right_button = QPushButton("▶")
        self.move_right_button.setObjectName("moveKeyRight")
        self.move_right_button.setToolTip("Move the keyframe later (Ctrl+Right)")
        self.duplicate_button = QPushButton("Duplicate")
        self.duplicate_button.setObjectName("duplicateKeyframe")
        self.duplicate_button.setToolTip("Copy the selected keyframe right after it")
        self.remove_key_button = QPushButton("Remove")
        self.remove_key_button.setObjectName("removeKeyframe")
        self.remove_key_button.setToolTip("Take the selected keyframe out of the timeline")
        self.undo_button = QPushButton("Undo")
        self.undo_button.setObjectName("undoTimeline")
        self.undo_button.setToolTip("Undo the last timeline edit (Ctrl+Z)")
        self.redo_button = QPushButton("Redo")
        self.redo_button.setObjectName("redoTimeline")
        self.redo_button.setToolTip("Redo (Ctrl+Shift+Z)")
        self.segment = SegmentControls()
        self.segment.fps = self.fps_value
        self.loop_check = QCheckBox("Seamless loop")
        self.loop_check.setObjectName("loopSwitch")
        for w in (self.duplicate_button, self.remove_key_button, self.undo_button, self.redo_button,
                  self.loop_check):
            w.setMinimumWidth(w.sizeHint().width())  # labels are never clipped; the row wraps instead
        self.loop_check.setToolTip("The last keyframe returns to the first, with no jump at the seam")
        self.fps_spin = QDoubleSpinBox()
        self.fps_spin.setDecimals(0)
        spin(self.fps_spin, "fpsField", "Frames per second of the animation: more is smoother, and longer to "
             "render", 1, 60, 24, " fps")
        self.timeline_summary = QLabel("Add favourites to the timeline to make an animation.")
        self.timeline_summary.setObjectName("hint")

        # one row where there is room; on a narrow panel it wraps (never overlaps), pairs staying together
        key_buttons = FlowLayout()
        for w in (self.move_left_button, self.move_right_button, self.duplicate_button, self.remove_key_button):
            key_buttons.addWidget(w)
        key_buttons.addSpacing(10)
        key_buttons.addWidget(_pair(self.loop_check, self.fps_spin))
        key_buttons.addStretch()
        key_buttons.addWidget(_pair(self.undo_button, self.redo_button))
        tp = QVBoxLayout(self)
        tp.setContentsMargins(10, 8, 10, 8)
        tp.setSpacing(6)
        title = QLabel("Timeline")
        title.setObjectName("sectionTitle")
        title_row = QHBoxLayout()
        title_row.addWidget(title)
        title_row.addWidget(self.timeline_summary, 1)
        tp.addLayout(title_row)
        tp.addWidget(self.keyframes)
        tp.addLayout(key_buttons)
        tp.addWidget(self.segment)
        tp.addStretch(1)

    def _connect(self) -> None:
        self.undo_button.clicked.connect(self.undo)
        self.redo_button.clicked.connect(self.redo)
        self.segment.segment_edited.connect(self._on_segment_edited)
        self.segment.wander_edited.connect(self._on_wander_edited)
        self.segment.wander_shuffle_button.clicked.connect(self._on_wander_shuffle)
        self.keyframes.order_changed.connect(self._on_edited)
        self.keyframes.currentRowChanged.connect(self._on_keyframe_selected)
        self.move_left_button.clicked.connect(lambda: self._move_key(-1))
        self.move_right_button.clicked.connect(lambda: self._move_key(1))
        self.duplicate_button.clicked.connect(self.duplicate_keyframe)
        self.remove_key_button.clicked.connect(self.remove_keyframe)
        self.loop_check.toggled.connect(self._on_edited)
        self.fps_spin.valueChanged.connect(self._on_fps_changed)

    def fps_value(self) -> float:
        return float(self.fps_spin.value())

    # ================================================================================ the timeline
    def current_timeline(self):
        """The timeline the controls describe, or None without keyframes (or generator)."""
        if self.latent_dim is None:
            return None
        return timeline_from_entries(self.keyframes.datas(), self.loop_check.isChecked(), self.fps_spin.value(),
                                     self.truncation(), self.latent_dim)

    def timeline_state(self) -> dict:
        """What undo restores: the keyframes with their segments, the loop switch and the frame rate."""
        return {"keyframes": self.keyframes.datas(), "loop": self.loop_check.isChecked(),
                "fps": float(self.fps_spin.value())}

    def add_keyframes(self, favourites: list[dict], row: int | None = None) -> None:
        row = self.keyframes.count() if row is None else row
        for i, fav in enumerate(favourites):
            entry = keyframe_entry(fav)
            item = self.keyframes.add_entry(entry, self._icon_for_key(entry_key(entry)), entry["label"], row + i)
            self.keyframes.setCurrentItem(item)
        self._on_edited()

    def duplicate_keyframe(self) -> None:
        row = self.keyframes.currentRow()
        if row < 0:
            return
        src = self.keyframes.item(row)
        entry = item_data(src)
        entry.pop("wander", None)  # only one keyframe wanders
        item = self.keyframes.add_entry(entry, src.icon(), keyframe_text(entry), row + 1)
        self.keyframes.setCurrentItem(item)
        self._on_edited()

    def remove_keyframe(self) -> None:
        row = self.keyframes.currentRow()
        if row >= 0:
            self.keyframes.takeItem(row)
            self._on_edited()

    def _move_key(self, step: int) -> None:
        row = self.keyframes.currentRow()
        self.keyframes.move_row(row, row + step)

    def set_segment(self, row: int, frames: int | None = None, easing: str | None = None,
                    interp: str | None = None, seconds: float | None = None) -> None:
        """Set the segment that leaves keyframe ``row`` (as the controls do); ``seconds`` switches its unit."""
        self.keyframes.setCurrentRow(row)
        c = self.segment
        if frames is not None:
            c.unit_combo.setCurrentIndex(c.unit_combo.findData("frames"))
            c.frames_spin.setValue(frames)
        if seconds is not None:
            c.unit_combo.setCurrentIndex(c.unit_combo.findData("seconds"))
            c.seconds_spin.setValue(seconds)
        if easing is not None:
            c.easing_combo.setCurrentIndex(c.easing_combo.findData(easing))
        if interp is not None:
            c.interp_combo.setCurrentIndex(c.interp_combo.findData(interp))

    def set_wander(self, row: int, on: bool = True, radius: float | None = None, frames: int | None = None) -> None:
        """Turn the wander loop around keyframe ``row`` on or off (as the controls do)."""
        self.keyframes.setCurrentRow(row)
        c = self.segment
        if radius is not None:
            c.wander_radius_spin.setValue(radius)
        if frames is not None:
            c.wander_frames_spin.setValue(frames)
        c.wander_check.setChecked(on)

    def segment_unit(self) -> str:
        return str(self.segment.unit_combo.currentData())

    def refresh_icons(self, thumbs: dict) -> None:
        for item in self.keyframes.items():
            key = entry_key(item_data(item))
            if key is not None and key in thumbs and item.icon().isNull():
                item.setIcon(self._icon_for_key(key))

    # ================================================================================ undo / redo
    def can_undo(self) -> bool:
        return self.history.can_undo()

    def can_redo(self) -> bool:
        return self.history.can_redo()

    def undo(self) -> bool:
        step = self.history.undo(self.timeline_state(), self.keyframes.currentRow())
        if step is not None:
            self.apply_state(step["state"], step["row"])
        return step is not None

    def redo(self) -> bool:
        step = self.history.redo(self.timeline_state(), self.keyframes.currentRow())
        if step is not None:
            self.apply_state(step["state"], step["row"])
        return step is not None

    def reset_history(self) -> None:
        self.history.reset(self.timeline_state())

    def apply_state(self, state: dict, row: int = -1) -> None:
        """Rebuild the controls from a state (undo, redo, opening a recipe) without recording it."""
        self._restoring = True
        try:
            self.keyframes.blockSignals(True)
            self.keyframes.clear()
            for d in state["keyframes"]:
                self.keyframes.add_entry(d, self._icon_for_key(entry_key(d)), keyframe_text(d))
            n = self.keyframes.count()
            self.keyframes.setCurrentRow(row if 0 <= row < n else n - 1)
            self.keyframes.blockSignals(False)
            for w, setter, value in ((self.loop_check, self.loop_check.setChecked, bool(state["loop"])),
                                     (self.fps_spin, self.fps_spin.setValue, float(state["fps"]))):
                w.blockSignals(True)
                setter(value)
                w.blockSignals(False)
            self.playback_fps.emit(float(self.fps_spin.value()))
            self._on_keyframe_selected(self.keyframes.currentRow())
            self._on_edited()
        finally:
            self._restoring = False
        self.history.commit(self.timeline_state())
        self._row_before = self.keyframes.currentRow()
        self.update_controls()

    # ================================================================================ edits
    def _on_edited(self, *_args) -> None:
        tag, self._edit_tag = self._edit_tag, None
        if not self._restoring:
            self.history.record(self.timeline_state(), self._row_before, tag)
        self._row_before = self.keyframes.currentRow()
        self._update_segment_label()
        self.timeline_summary.setText(timeline_summary(self.current_timeline()))
        self.update_controls()
        self.edited.emit()

    def _on_keyframe_selected(self, row: int) -> None:
        self.segment.show_entry(item_data(self.keyframes.item(row)) if row >= 0 else {})
        self._update_segment_label()
        self.update_controls()
        self.keyframe_selected.emit(row)

    def _on_segment_edited(self, control: str = "") -> None:
        row = self.keyframes.currentRow()
        if row < 0:
            return
        item = self.keyframes.item(row)
        item.setData(ROLE, self.segment.write_segment(item_data(item)))
        self._edit_tag = ("segment", row, control)
        self._on_edited()

    def _on_fps_changed(self, fps: float) -> None:
        for item in self.keyframes.items():  # segments timed in seconds keep their duration
            entry = item_data(item)
            if entry.get("seconds") is not None:
                entry["frames"] = seconds_to_frames(entry["seconds"], fps)
                item.setData(ROLE, entry)
        row = self.keyframes.currentRow()
        if row >= 0:
            self.segment.show_frames(int(item_data(self.keyframes.item(row)).get("frames", 24)))
        self.playback_fps.emit(float(fps))
        self._edit_tag = ("fps",)
        self._on_edited()

    def _on_wander_edited(self, control: str = "", seed: int | None = None) -> None:
        """One keyframe wanders at a time: turning it on for the selected one turns it off elsewhere."""
        row = self.keyframes.currentRow()
        if row < 0:
            return
        on = self.segment.wander_check.isChecked()
        for i, item in enumerate(self.keyframes.items()):
            entry = item_data(item)
            old = entry.pop("wander", None)
            if i == row and on:
                keep = seed if seed is not None else (old or {}).get("seed", self._rng.randrange(0, 2**31))
                entry["wander"] = self.segment.wander_settings(keep)
            if old is not None or entry.get("wander") is not None:
                item.setData(ROLE, entry)
                item.setText(keyframe_text(entry))
        self.segment.enable_wander_settings(on)
        self._edit_tag = ("wander", row, control)
        self._on_edited()

    def _on_wander_shuffle(self) -> None:
        self._on_wander_edited(self.segment.wander_shuffle_button.objectName(), seed=self._rng.randrange(0, 2**31))

    # ------------------------------------------------------------------ looks
    def _update_segment_label(self) -> None:
        wandering = any(d.get("wander") for d in self.keyframes.datas())
        self.segment.show_caption(self.keyframes.currentRow(), self.keyframes.count(), self.loop_check.isChecked(),
                                  wandering)

    def update_controls(self) -> None:
        self.undo_button.setEnabled(self.history.can_undo())
        self.redo_button.setEnabled(self.history.can_redo())
        row, n = self.keyframes.currentRow(), self.keyframes.count()
        self.move_left_button.setEnabled(row > 0)
        self.move_right_button.setEnabled(0 <= row < n - 1)
        self.duplicate_button.setEnabled(row >= 0)
        self.remove_key_button.setEnabled(row >= 0)
        self.loop_check.setEnabled(n > 1)

    def refresh(self) -> None:
        """Something the frames depend on changed outside the editor (truncation, a new generator)."""
        self._on_edited()
