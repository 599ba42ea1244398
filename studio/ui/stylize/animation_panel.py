"""The Stylize page's animation room: shown under the photo when the content is a GIF, a video clip or a folder of
frames. A strip of frames, which frames to paint (first, last, every n-th), the output kind, and what it will cost.
The page asks it for the AnimationSettings and the output file; the painting itself is AnimationStyleJob's."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from studio.engine.style.animation import AnimationSettings, AnimationStyleJob, FrameSource, is_animation
from studio.engine.style.settings import StyleError, StyleSettings
from studio.ui.theme import set_tone

STRIP_FRAMES = 8
STRIP_HEIGHT = 44
STRIP_SCAN = 240  # the strip samples the first this-many frames (a long clip is not decoded just to show it)
OUTPUTS = (("GIF", ".gif"), ("MP4 video", ".mp4"), ("PNG frames (a folder)", ""))


class AnimationPanel(QWidget):
    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("stylizeAnimation")
        self.source: FrameSource | None = None
        self.info = QLabel(self)
        self.info.setWordWrap(True)
        self.strip = QLabel(self)
        self.strip.setObjectName("animationStrip")
        self.strip.setMinimumHeight(STRIP_HEIGHT)
        self.strip.setMinimumWidth(1)  # the strip is cut at the column's edge, never widens it
        self.strip.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.strip.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.first_spin, self.last_spin, self.step_spin = QSpinBox(self), QSpinBox(self), QSpinBox(self)
        self.first_spin.setToolTip("The first frame to paint (1 = the clip's first)")
        self.last_spin.setToolTip("The last frame to paint")
        self.step_spin.setToolTip("Paint every n-th frame: 2 halves the work (and the frame rate)")
        self.step_spin.setRange(1, 1000)
        for spin in (self.first_spin, self.last_spin, self.step_spin):
            spin.valueChanged.connect(self._on_changed)
        self.output_combo = QComboBox(self)
        for label, suffix in OUTPUTS:
            self.output_combo.addItem(label, suffix)
        self.output_combo.setToolTip("What the painted animation is saved as, in the workspace's animations "
                                     "folder (the Gallery shows it with its recipe)")
        self.output_combo.currentIndexChanged.connect(self._on_changed)
        self.summary = QLabel(self)
        self.summary.setObjectName("animationSummary")
        self.summary.setWordWrap(True)
        set_tone(self.summary, "muted")
        trim = QHBoxLayout()
        for label, spin in (("from", self.first_spin), ("to", self.last_spin), ("every", self.step_spin)):
            trim.addWidget(QLabel(label, self))
            trim.addWidget(spin)
        trim.addStretch(1)
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Frames", trim)
        form.addRow("Save as", self.output_combo)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 4, 0, 0)
        lay.addWidget(self.info)
        lay.addWidget(self.strip)
        lay.addLayout(form)
        lay.addWidget(self.summary)
        self.setVisible(False)

    # -- the source ------------------------------------------------------------------------------
    def set_source(self, path: str | None) -> str:
        """Show ``path`` if it is an animation (hide otherwise). Returns a sentence when it could not be read."""
        self.source = None
        if path is None or not is_animation(path):
            self.setVisible(False)
            self.changed.emit()
            return ""
        try:
            self.source = FrameSource(path)
        except StyleError as exc:
            self.setVisible(False)
            self.changed.emit()
            return str(exc)
        n = len(self.source)
        for spin in (self.first_spin, self.last_spin):
            spin.blockSignals(True)
            spin.setRange(1, n)
        self.first_spin.setValue(1)
        self.last_spin.setValue(n)
        for spin in (self.first_spin, self.last_spin):
            spin.blockSignals(False)
        w, h = self.source.size
        self.info.setText(f"An animation: {n} frames of {w} × {h} px at {self.source.fps:g} frames per second. "
                          "The first frame is painted like a still; every later one carries the paint along "
                          "with the motion, so it does not flicker.")
        self._fill_strip()
        self.setVisible(True)
        self._on_changed()
        return ""

    def _fill_strip(self) -> None:
        n = min(len(self.source), STRIP_SCAN)
        picks = sorted({round(i * (n - 1) / (STRIP_FRAMES - 1)) for i in range(STRIP_FRAMES)}) if n > 1 else [0]
        thumbs = []
        for i, frame in enumerate(self.source.frames()):
            if i > picks[-1]:
                break
            if i in picks:
                im = Image.fromarray(frame)
                im.thumbnail((STRIP_HEIGHT * 3, STRIP_HEIGHT))
                thumbs.append(np.asarray(im))
        width = sum(t.shape[1] for t in thumbs) + 3 * (len(thumbs) - 1)
        strip = np.full((STRIP_HEIGHT, max(1, width), 3), 0, np.uint8)
        x = 0
        for t in thumbs:
            strip[(STRIP_HEIGHT - t.shape[0]) // 2:(STRIP_HEIGHT - t.shape[0]) // 2 + t.shape[0], x:x + t.shape[1]] = t
            x += t.shape[1] + 3
        img = QImage(strip.data, strip.shape[1], strip.shape[0], strip.strides[0], QImage.Format.Format_RGB888)
        self.strip.setPixmap(QPixmap.fromImage(img.copy()))
        self.strip.setToolTip(f"Frames 1 to {n} of the clip, sampled")

    # -- what runs -------------------------------------------------------------------------------
    def active(self) -> bool:
        return self.source is not None

    def frame_count(self) -> int:
        """How many frames the chosen range paints."""
        if self.source is None:
            return 0
        first, last = self.first_spin.value(), self.last_spin.value()
        return 0 if last < first else len(range(first - 1, last, self.step_spin.value()))

    def settings(self, still: StyleSettings) -> AnimationSettings:
        a = AnimationSettings(still=still, start=self.first_spin.value() - 1, end=self.last_spin.value(),
                              step=self.step_spin.value())
        if self.source is not None:
            a.validate(len(self.source))
        return a

    def output_path(self, folder: Path, stem: str) -> Path:
        """A free name in ``folder`` for the chosen output kind (its frames folder free too)."""
        suffix = self.output_combo.currentData()
        n = 1
        while True:
            name = f"{stem}-painted" + ("" if n == 1 else f"-{n}")
            out = folder / f"{name}{suffix}"
            if not out.exists() and not out.with_name(out.name + ".frames").exists() and \
                    not out.with_name(out.name + ".json").exists():
                return out
            n += 1

    def _on_changed(self, *_args) -> None:
        if self.source is not None:
            k = self.frame_count()
            fps = self.source.fps / self.step_spin.value()
            self.summary.setText(f"Paints {k} frame{'s' if k != 1 else ''} ({k / fps:.1f} s at {fps:g} fps). "
                                 "Stop keeps the frames done; Start again resumes." if k else
                                 "The last frame comes before the first: nothing to paint.")
        self.changed.emit()

    def apply_recipe(self, path: Path) -> None:
        """The frames and output kind of an animation recipe (a still's recipe changes nothing here)."""
        if self.source is None or Path(path).suffix.lower() != ".json":
            return
        import json

        try:
            recipe = json.loads(Path(path).read_text(encoding="utf-8"))
            a = AnimationSettings.from_recipe(recipe)
        except (OSError, ValueError, TypeError):
            return
        if a is None:
            return
        n = len(self.source)
        self.first_spin.setValue(max(1, min(n, int(a.start) + 1)))
        self.last_spin.setValue(max(1, min(n, int(a.end or n))))
        self.step_spin.setValue(max(1, int(a.step)))
        out = str((recipe.get("result") or {}).get("output", ""))
        suffix = Path(out).suffix.lower() if out else ".gif"
        i = self.output_combo.findData(suffix if suffix in (".gif", ".mp4") else "")
        if i >= 0:
            self.output_combo.setCurrentIndex(i)

    def set_editable(self, on: bool) -> None:
        for w in (self.first_spin, self.last_spin, self.step_spin, self.output_combo):
            w.setEnabled(on)


    def make_job(self, still: StyleSettings, content: str, styles: list, blend: list, style_masks: list, regions,
                 folder: Path) -> AnimationStyleJob:
        """The job for the chosen frames. After a stop, the same photo, paintings and settings go on in the same
        output (the job resumes after the last finished frame); anything else gets a new name."""
        a = self.settings(still)
        folder.mkdir(parents=True, exist_ok=True)
        last = getattr(self, "_resume", None)
        if last is not None and last[0] == content and last[1].suffix == self.output_combo.currentData():
            job = AnimationStyleJob(a, content, styles, last[1], blend, style_masks=style_masks,
                                    content_mask=regions)
            try:
                if job.frames_done() > 0:
                    return job
            except StyleError:
                pass  # other settings now: a fresh animation beside the stopped one
        out = self.output_path(folder, Path(content).stem)
        return AnimationStyleJob(a, content, styles, out, blend, style_masks=style_masks, content_mask=regions)

    def finished(self, result) -> str:
        """Remember a stopped animation for resuming; the sentence for the page's status line."""
        if result.stopped:
            self._resume = (str(self.source.path) if self.source else "", result.output)
            return (f"Stopped: {result.frames} of {result.total} frames painted and kept in "
                    f"{result.frames_dir.name}. Press Start to go on from there.")
        self._resume = None
        return f"Done: {result.frames} frames painted in {result.seconds / 60:.1f} min → {result.output}"
