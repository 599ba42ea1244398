"""A small window showing what the discriminator sees: the pictures above their augmented versions.

The pictures come from a ``render(p, check) -> uint8 HWC grid`` callable (the running job's
``augmentation_preview`` or ``augment_preview`` on the chosen dataset); it runs on the dialog's own
JobRunner, never on the GUI thread (a grid costs a few hundred milliseconds, reading a folder longer).
Moving the slider previews other strengths; only the newest request is drawn after the current one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from studio.engine.gan.config import DEFAULT_AUGMENT_POLICY, augment_words
from studio.ui.job_runner import JobRunner
from studio.ui.widgets.image_view import ImageView

RenderFn = Callable[[float, Callable[[], None]], np.ndarray]


class _RenderJob:
    """One preview grid as an engine Job (runs in the dialog runner's worker thread)."""

    def __init__(self, render: RenderFn, p: float) -> None:
        self.title = "Augmentation preview"
        self.render = render
        self.p = p

    def run(self, ctx) -> Any:
        ctx.progress(0, None, self.title)
        return self.p, np.array(self.render(self.p, ctx.check), dtype=np.uint8, copy=True)


class AugmentPreviewDialog(QDialog):
    """See the module docstring. ``current_p`` returns the strength in force now (None: not training)."""

    def __init__(self, render: RenderFn, p: float, current_p: Callable[[], float | None] | None = None,
                 note: str = "", parent: QWidget | None = None, policy: str = DEFAULT_AUGMENT_POLICY) -> None:
        super().__init__(parent)
        self.setObjectName("augmentPreview")
        self.setWindowTitle("What the discriminator sees")
        self._render = render
        self._current_p = current_p
        self._pending: float | None = None
        self.rendered_p: float | None = None
        self.runner = JobRunner(self)
        self.runner.finished.connect(self._on_finished)
        self.runner.failed.connect(self._on_failed)

        self.caption = caption = QLabel("Each top row: your pictures. Below each: the same pictures as the discriminator "
                         f"sees them — randomly {augment_words(policy)}. Augmentation stops D "
                         "from learning a few pictures by heart; the generator still learns the originals.",
                         self)
        caption.setWordWrap(True)
        caption.setObjectName("hint")
        self.view = ImageView(self, placeholder="Drawing…", min_size=QSize(320, 200), whole_multiples=True)
        self.view.setObjectName("augmentGrid")
        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.slider.setObjectName("augmentStrength")
        self.slider.setRange(0, 100)
        self.slider.setToolTip("Preview other strengths: 0 leaves the pictures as they are, 1 augments "
                               "every picture. This only changes the preview, not the training.")
        self.strength_label = QLabel("", self)
        self.strength_label.setObjectName("augmentStrengthLabel")
        self.strength_label.setMinimumWidth(120)
        self.current_button = QPushButton("Training's strength", self)
        self.current_button.setObjectName("augmentCurrent")
        self.current_button.setAutoDefault(False)
        self.current_button.setToolTip("Back to the strength the training uses right now.")
        self.current_button.setVisible(current_p is not None)
        self.current_button.clicked.connect(self.show_current)
        self.note = QLabel(note, self)
        self.note.setObjectName("hint")
        self.note.setWordWrap(True)
        self.note.setVisible(bool(note))
        self.status = QLabel("", self)
        self.status.setObjectName("augmentStatus")
        self.status.setWordWrap(True)

        row = QHBoxLayout()
        row.addWidget(QLabel("Strength", self))
        row.addWidget(self.slider, 1)
        row.addWidget(self.strength_label)
        row.addWidget(self.current_button)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(caption)
        layout.addWidget(self.view, 1)
        layout.addLayout(row)
        layout.addWidget(self.note)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self.resize(640, 480)

        self.slider.blockSignals(True)
        self.slider.setValue(round(100 * max(0.0, min(1.0, p))))
        self.slider.blockSignals(False)
        self.slider.valueChanged.connect(self._on_slider)
        self._label_strength()
        self.request(self.strength())

    # --- public ---------------------------------------------------------------------------------
    def strength(self) -> float:
        return self.slider.value() / 100.0

    def image(self) -> np.ndarray | None:
        return self.view.image

    def is_busy(self) -> bool:
        return self.runner.is_running()

    def request(self, p: float) -> None:
        """Draw the grid at strength ``p`` (after the one being drawn, if any; newest request wins)."""
        if self.runner.is_running():
            self._pending = p
            return
        self._pending = None
        self.status.setText("Drawing…")
        self.runner.start(_RenderJob(self._render, p))

    def show_current(self) -> None:
        p = self._current_p() if self._current_p is not None else None
        if p is not None:
            self.slider.setValue(round(100 * p))

    def shutdown(self, timeout_ms: int = 10_000) -> bool:
        self._pending = None
        return self.runner.shutdown(timeout_ms)

    # --- internals ------------------------------------------------------------------------------
    def _label_strength(self) -> None:
        text = f"p = {self.strength():.2f}"
        now = self._current_p() if self._current_p is not None else None
        if now is not None:
            text += f" (training: {now:.2f})"
        self.strength_label.setText(text)

    def _on_slider(self, _value: int) -> None:
        self._label_strength()
        self.request(self.strength())

    def _on_finished(self, finished) -> None:
        result = finished.result
        if result is not None:
            self.rendered_p, image = result
            self.view.set_image(image)
            self.status.setText("")
        if self._pending is not None and self.isVisible():
            self.request(self._pending)

    def _on_failed(self, failed) -> None:
        message = failed.message or "unknown error"
        if ": " in message and message.split(": ", 1)[0].isidentifier():
            message = message.split(": ", 1)[1]
        self.status.setText(f"Could not draw the preview: {message}")
        if self._pending is not None and self.isVisible():
            self.request(self._pending)

    def done(self, result: int) -> None:  # noqa: D401 - Qt override: closing stops the worker
        self.shutdown()
        super().done(result)

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt override
        self.shutdown()
        super().closeEvent(event)
