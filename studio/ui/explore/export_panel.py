"""Export: the walk as a GIF, an MP4, PNG frames or a sprite sheet, written by the engine's WalkExportJob on
its own runner (it opens its own copy of the generator), with a size estimate for GIFs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFrame,
    QGridLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
)

from studio.engine.errors import describe_error
from studio.engine.latent.wording import format_bytes, gif_loop_from_plays, plays_from_gif_loop
from studio.ui.job_runner import JobRunner

EXPORT_FORMATS = (("GIF", "gif", ".gif"), ("MP4 video", "mp4", ".mp4"), ("PNG frames", "png-sequence", ""),
                  ("Sprite sheet", "sprite-sheet", ".sheet.png"))
PALETTE_CHOICES = (256, 128, 64, 32, 16)
GRID_CHOICES = (("Single walk", 1), ("Grid of 4 walks (2×2)", 4), ("Grid of 9 walks (3×3)", 9))
RESAMPLE_CHOICES = (("Smooth", "lanczos"), ("Crisp pixels", "nearest"))
ESTIMATE_MAX_PX = 320
SAVE_FILTERS = {"gif": "GIF animation (*.gif)", "mp4": "MP4 video (*.mp4)",
                "sprite-sheet": "Sprite sheet (*.sheet.png)"}


def format_suffix(fmt: str) -> str:
    return next(s for _t, f, s in EXPORT_FORMATS if f == fmt)


def _combo(name: str, tip: str, items) -> QComboBox:
    combo = QComboBox()
    combo.setObjectName(name)
    for title, data in items:
        combo.addItem(title, data)
    combo.setToolTip(tip)
    return combo


class ExportPanel(QFrame):
    saved = Signal(object)  # Path of the file (or folder) written
    failed = Signal(str)  # a sentence from the engine
    refused = Signal(str)  # the timeline cannot be exported, in words
    cells_changed = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("exportPanel")
        self.setMinimumWidth(200)
        self.runner = JobRunner(self)
        self.preview: Callable[[], tuple[np.ndarray | None, float]] = lambda: (None, 24.0)  # current frames, fps
        self.format_combo = _combo("exportFormat", "What to export: a GIF, an MP4 video, a folder of PNG frames or "
                                   "one sprite sheet", [(t, f) for t, f, _s in EXPORT_FORMATS])
        self.size_spin = QSpinBox()
        self.size_spin.setObjectName("exportSize")
        self.size_spin.setRange(16, 2048)
        self.size_spin.setSingleStep(64)
        self.size_spin.setValue(256)
        self.size_spin.setSuffix(" px")
        self.size_spin.setToolTip("Output size; small models are enlarged with a smooth filter")
        self.resample_combo = _combo("exportResample", "How small pictures are enlarged: smooth, or crisp square "
                                     "pixels", RESAMPLE_CHOICES)
        self.gif_plays_spin = QSpinBox()
        self.gif_plays_spin.setObjectName("gifPlays")
        self.gif_plays_spin.setRange(0, 100)
        self.gif_plays_spin.setSpecialValueText("forever")
        self.gif_plays_spin.setSuffix(" ×")
        self.gif_plays_spin.setValue(0)
        self.gif_plays_spin.setToolTip("How many times the GIF plays (forever by default)")
        self.palette_combo = _combo("gifPalette", "Fewer colours: a smaller file, more banding",
                                    [(f"{n} colours", n) for n in PALETTE_CHOICES])
        self.grid_combo = _combo("gridWalks", "Several copies of the walk side by side, each starting at a "
                                 "different point of the timeline (out of phase)", GRID_CHOICES)
        self.size_estimate_label = QLabel("")
        self.size_estimate_label.setObjectName("hint")
        self.export_button = QPushButton("Export…")
        self.export_button.setObjectName("exportWalk")
        self.export_button.setToolTip("Render the whole animation and save it (Ctrl+S)")
        self.export_button.setProperty("primary", True)
        self.stylize_button = QPushButton("Stylize this walk…")
        self.stylize_button.setObjectName("stylizeWalk")
        self.stylize_button.setToolTip("Render the walk's frames (at the size above) into the workspace and open "
                                       "them on the Stylize page, to paint the whole walk in a painting's style "
                                       "without flicker")
        self.cancel_export_button = QPushButton("Cancel")
        self.cancel_export_button.setObjectName("cancelExport")
        self.cancel_export_button.setToolTip("Stop the export; nothing half-written is kept")
        self.export_progress = QProgressBar()
        self.export_progress.setObjectName("exportProgress")
        self.export_progress.setTextVisible(False)
        self.export_progress.setFixedHeight(6)
        self.export_progress.hide()
        self.export_status = QLabel("")
        self.export_status.setObjectName("hint")
        self.export_status.setWordWrap(True)
        self.resample_label = QLabel("Filter")
        self.gif_plays_label = QLabel("Plays")
        self.palette_label = QLabel("Palette")
        self.grid_label = QLabel("Layout")
        self._lay_out()
        self._estimate_timer = QTimer(self)  # the GIF size estimate follows the settings once they settle
        self._estimate_timer.setSingleShot(True)
        self._estimate_timer.setInterval(300)
        self._estimate_timer.timeout.connect(self.update_size_estimate)
        for w in (self.size_spin, self.gif_plays_spin):
            w.valueChanged.connect(self._on_settings_changed)
        for w in (self.format_combo, self.resample_combo, self.palette_combo):
            w.currentIndexChanged.connect(self._on_settings_changed)
        self.grid_combo.currentIndexChanged.connect(self._on_grid_changed)
        self.cancel_export_button.clicked.connect(self.runner.stop)
        self.runner.progress.connect(self._on_progress)
        self.runner.finished.connect(self._on_finished)
        self.runner.failed.connect(self._on_failed)
        self.runner.running_changed.connect(self._on_running)

    def _lay_out(self) -> None:
        ep = QGridLayout(self)
        ep.setContentsMargins(10, 8, 10, 8)
        ep.setVerticalSpacing(6)
        title = QLabel("Export")
        title.setObjectName("sectionTitle")
        ep.addWidget(title, 0, 0, 1, 2)
        fmt_label = QLabel("Format")
        size_label = QLabel("Size")
        for row, (label, widget) in enumerate(((fmt_label, self.format_combo), (size_label, self.size_spin),
                                               (self.resample_label, self.resample_combo),
                                               (self.gif_plays_label, self.gif_plays_spin),
                                               (self.palette_label, self.palette_combo),
                                               (self.grid_label, self.grid_combo)), start=1):
            label.setObjectName("caption")
            ep.addWidget(label, row, 0)
            ep.addWidget(widget, row, 1)
        for row, widget in enumerate((self.size_estimate_label, self.export_button, self.stylize_button,
                                      self.cancel_export_button, self.export_progress, self.export_status), start=7):
            ep.addWidget(widget, row, 0, 1, 2)
        ep.setRowStretch(13, 1)

    # ------------------------------------------------------------------ settings
    def gif_loop(self) -> int:
        return gif_loop_from_plays(self.gif_plays_spin.value())

    def set_gif_loop(self, loop: int) -> None:
        self.gif_plays_spin.setValue(plays_from_gif_loop(loop))

    def export_settings(self) -> dict:
        return {"fmt": self.format_combo.currentData(), "size": self.size_spin.value(),
                "resample": self.resample_combo.currentData(), "gif_loop": self.gif_loop(),
                "palette_colors": int(self.palette_combo.currentData())}

    def grid_cells(self) -> int:
        """How many walks play side by side (1: a single walk)."""
        return int(self.grid_combo.currentData() or 1)

    def set_grid_cells(self, cells: int) -> None:
        index = self.grid_combo.findData(int(cells))
        if index >= 0:
            self.grid_combo.setCurrentIndex(index)

    def apply_recipe(self, settings: dict) -> None:
        """The export settings a walk recipe recorded (unknown values keep the current choice)."""
        for combo, key in ((self.format_combo, "format"), (self.resample_combo, "resample")):
            index = combo.findData(settings.get(key))
            if index >= 0:
                combo.setCurrentIndex(index)
        if isinstance(settings.get("size"), int):
            self.size_spin.setValue(settings["size"])
        if isinstance(settings.get("gif_loop"), int):
            self.set_gif_loop(settings["gif_loop"])
        grid = settings.get("grid")
        self.set_grid_cells(int(grid.get("cells", 1)) if isinstance(grid, dict) else 1)
        index = self.palette_combo.findData(settings.get("palette_colors"))
        if index >= 0:
            self.palette_combo.setCurrentIndex(index)

    def _on_grid_changed(self, *_args) -> None:
        self.cells_changed.emit()
        self._estimate_timer.start()

    def _on_settings_changed(self, *_args) -> None:
        is_gif = self.format_combo.currentData() == "gif"
        for w in (self.gif_plays_label, self.gif_plays_spin, self.palette_label, self.palette_combo,
                  self.size_estimate_label):
            w.setVisible(is_gif)
        self._estimate_timer.start()

    def estimate_soon(self) -> None:
        self._estimate_timer.start()

    def update_size_estimate(self) -> None:
        """An estimated GIF size from the preview frames (encodes two frames and extrapolates)."""
        if self.format_combo.currentData() != "gif":
            self.size_estimate_label.setText("")
            return
        frames, fps = self.preview()
        if frames is None:
            self.size_estimate_label.setText("Size: shown once the preview has rendered")
            return
        from studio.engine.export import estimate_gif_bytes

        s = self.export_settings()
        # Large outputs: estimate at a modest size and scale by area, so the GUI never stalls on it.
        size = min(s["size"], ESTIMATE_MAX_PX)
        n = estimate_gif_bytes(frames, float(fps), size, s["resample"], s["palette_colors"])
        n = int(n * (s["size"] / size) ** 2 * self.grid_cells())
        self.size_estimate_label.setText(f"About {format_bytes(n)}")

    # ------------------------------------------------------------------ exporting
    def ask_path(self, base: str) -> str:
        """The save dialog, starting in the workspace's animations folder (the gallery lists it there)."""
        from studio.engine.gallery import ensure_workspace_folder
        from studio.ui.workspace import workspace_dir

        fmt = self.format_combo.currentData()
        folder = ensure_workspace_folder("animation", workspace_dir())
        suggestion = str(folder / (base + format_suffix(fmt)))
        if fmt == "png-sequence":
            path, _ = QFileDialog.getSaveFileName(self, "Export PNG frames into a new folder", suggestion)
        else:
            path, _ = QFileDialog.getSaveFileName(self, "Export animation", suggestion, SAVE_FILTERS[fmt])
        return path

    def frames_for_stylize(self, base: str) -> Path:
        """A new folder in the workspace's animations folder for the walk's PNG frames, to paint on Stylize."""
        from studio.engine.gallery import ensure_workspace_folder
        from studio.ui.workspace import workspace_dir

        folder = ensure_workspace_folder("animation", workspace_dir())
        n = 1
        while (folder / (f"{base}-frames" + ("" if n == 1 else f"-{n}"))).exists():
            n += 1
        return folder / (f"{base}-frames" + ("" if n == 1 else f"-{n}"))

    def export_walk(self, timeline, source: Path, path: str | Path, use_ema: bool, fmt: str | None = None) -> bool:
        """Write ``timeline`` to ``path`` in the chosen format (or ``fmt``), in the background."""
        if self.runner.is_running():
            return False
        s = self.export_settings()
        if fmt is not None:
            s["fmt"] = fmt
        suffix = format_suffix(s["fmt"])
        out = Path(path)
        if suffix and not out.name.lower().endswith(suffix):
            out = out.with_name(out.name + suffix)
        from studio.engine.latent.jobs import WalkExportJob

        try:
            timeline.validate()
            job = WalkExportJob(source, timeline, out, size=s["size"], fmt=s["fmt"], resample=s["resample"],
                                gif_loop=s["gif_loop"], palette_colors=s["palette_colors"],
                                grid=self.grid_cells(), use_ema=use_ema)
        except ValueError as exc:
            self.refused.emit(describe_error(exc))
            return False
        self.export_status.setText(f"Writing {out.name}…")
        self.runner.start(job)
        return True

    def _on_progress(self, progress) -> None:
        if progress.total:
            self.export_progress.setRange(0, int(progress.total))
            self.export_progress.setValue(int(progress.step))
        if progress.text:
            self.export_status.setText(progress.text)

    def _on_finished(self, finished) -> None:
        if finished.cancelled or finished.result is None:
            self.export_status.setText("Export cancelled; nothing was written.")
            return
        self.export_status.setText("")
        self.saved.emit(Path(finished.result))

    def _on_failed(self, failed) -> None:
        self.export_status.setText("")
        self.failed.emit(failed.message)

    def _on_running(self, running: bool) -> None:
        self.export_progress.setVisible(running)
        if running:
            self.export_progress.setRange(0, 0)

    def update_controls(self, has_timeline: bool) -> None:
        exporting = self.runner.is_running()
        self.export_button.setEnabled(has_timeline and not exporting)
        self.stylize_button.setEnabled(has_timeline and not exporting)
        self.cancel_export_button.setEnabled(exporting)
        for w in (self.format_combo, self.size_spin, self.resample_combo, self.gif_plays_spin, self.palette_combo):
            w.setEnabled(not exporting)

    def stop_timers(self) -> None:
        self._estimate_timer.stop()
