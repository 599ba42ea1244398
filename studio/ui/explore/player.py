"""The player: shows the preview frames of the walk, plays them at the timeline's frame rate, scrubs.

It holds the frames it was given and the key of the timeline they belong to; pressing Play on frames
that no longer match the timeline asks for a render first (``render_wanted``) and plays when they come.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from studio.ui.widgets.image_view import ImageView


class Player(QFrame):
    render_wanted = Signal()  # Play was pressed on stale (or no) frames
    frames_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("playerPanel")
        self.frames: np.ndarray | None = None
        self.frames_key: str | None = None
        self.current_key: Callable[[], str | None] = lambda: None  # the key of the timeline as it is now
        self.grid_cells: Callable[[], int] = lambda: 1
        self.fps = 24.0
        self._play_after_render = False
        self.player_view = ImageView(placeholder="The animation plays here", min_size=QSize(120, 120))
        self.player_view.setObjectName("playerView")
        self.play_button = QPushButton("Play")
        self.play_button.setObjectName("playButton")
        self.play_button.setToolTip("Play the preview of the animation")
        self.play_button.setCheckable(True)
        self.scrub = QSlider(Qt.Orientation.Horizontal)
        self.scrub.setObjectName("scrubSlider")
        self.scrub.setToolTip("Drag to look at any frame of the preview")
        self.scrub.setRange(0, 0)
        self.scrub.setMinimumWidth(90)  # a scrub bar too short to grab is no scrub bar
        self.frame_label = QLabel("0 / 0")
        self.frame_label.setObjectName("caption")
        self.frame_label.setMinimumWidth(60)
        self.repeat_check = QCheckBox("Repeat")
        self.repeat_check.setObjectName("repeatPlayback")
        self.repeat_check.setToolTip("Play the preview again and again")
        self.repeat_check.setChecked(True)
        self.play_timer = QTimer(self)
        title = QLabel("Player")
        title.setObjectName("sectionTitle")
        pp = QVBoxLayout(self)
        pp.setContentsMargins(10, 8, 10, 8)
        pp.setSpacing(6)
        pp.addWidget(title)
        pp.addWidget(self.player_view, 1)
        prow = QHBoxLayout()
        prow.addWidget(self.play_button)
        prow.addWidget(self.scrub, 1)
        pp.addLayout(prow)
        prow2 = QHBoxLayout()
        prow2.addWidget(self.frame_label)
        prow2.addStretch(1)
        prow2.addWidget(self.repeat_check)
        pp.addLayout(prow2)
        self.play_timer.timeout.connect(self._advance_frame)
        self.play_button.toggled.connect(self._on_play_toggled)
        self.scrub.valueChanged.connect(self.show_frame)

    def is_current(self) -> bool:
        key = self.current_key()
        return key is not None and self.frames is not None and self.frames_key == key

    def set_frames(self, key: str | None, frames: np.ndarray) -> None:
        self.frames, self.frames_key = frames, key
        pos = min(self.scrub.value(), len(frames) - 1)
        self.scrub.blockSignals(True)
        self.scrub.setRange(0, len(frames) - 1)
        self.scrub.setValue(pos)
        self.scrub.blockSignals(False)
        self.show_frame(pos)
        self.frames_changed.emit()
        if self._play_after_render:
            self._play_after_render = False
            self.play_button.setChecked(True)

    def clear(self) -> None:
        """No walk to show (no keyframes, or a new generator)."""
        self.stop()
        self.frames, self.frames_key = None, None
        self.player_view.set_image(None)
        self.scrub.setRange(0, 0)
        self.frame_label.setText("0 / 0")

    def forget_frames(self) -> None:
        """The frames are stale (other weights); the picture stays until new ones come."""
        self.frames, self.frames_key = None, None

    def show_frame(self, index: int) -> None:
        frames = self.frames
        if frames is None or not len(frames):
            return
        index = max(0, min(int(index), len(frames) - 1))
        cells = self.grid_cells()
        if cells > 1:
            from studio.engine.latent.jobs import GRID_PADDING, phase_offsets
            from studio.engine.latent.render import tile_frames

            n = len(frames)
            stacks = [frames[(index + off) % n][None] for off in phase_offsets(n, cells)]
            self.player_view.set_image(tile_frames(stacks, None, GRID_PADDING)[0])
        else:
            self.player_view.set_image(frames[index])
        self.frame_label.setText(f"{index + 1} / {len(frames)}")

    def redraw(self) -> None:
        if self.frames is not None:
            self.show_frame(self.scrub.value())

    def set_fps(self, fps: float) -> None:
        self.fps = float(fps)
        if self.play_timer.isActive():
            self.play_timer.setInterval(max(1, round(1000 / self.fps)))

    def play(self) -> None:
        self.play_button.setChecked(True)

    def stop(self) -> None:
        self._play_after_render = False
        self.play_button.setChecked(False)
        self.play_timer.stop()

    def cancel_pending_play(self) -> None:
        self._play_after_render = False

    def _on_play_toggled(self, on: bool) -> None:
        self.play_button.setText("Pause" if on else "Play")
        if not on:
            self.play_timer.stop()
            return
        if self.current_key() is None:
            self.play_button.setChecked(False)
            return
        if not self.is_current():
            self.play_button.blockSignals(True)
            self.play_button.setChecked(False)
            self.play_button.setText("Play")
            self.play_button.blockSignals(False)
            self._play_after_render = True
            self.render_wanted.emit()
            return
        if self.scrub.value() >= self.scrub.maximum() and not self.repeat_check.isChecked():
            self.scrub.setValue(0)
        self.play_timer.start(max(1, round(1000 / self.fps)))

    def _advance_frame(self) -> None:
        if self.frames is None:
            self.stop()
            return
        nxt = self.scrub.value() + 1
        if nxt > self.scrub.maximum():
            if not self.repeat_check.isChecked():
                self.stop()
                return
            nxt = 0
        self.scrub.setValue(nxt)

    def update_controls(self, has_timeline: bool) -> None:
        self.play_button.setEnabled(has_timeline)
        self.scrub.setEnabled(self.frames is not None)
