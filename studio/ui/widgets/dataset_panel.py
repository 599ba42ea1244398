"""Choosing the pictures to train on: drop, dialogs or a built-in set, checked in the background.

The panel shows what the studio will really train on: how many pictures are usable, which files were
skipped and why, a few originals, and the same pictures after preprocessing at the preset's size.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from studio.engine.dataset_scan import (  # noqa: F401 - DatasetSummary, describe_paths: also imported from here
    BUILTIN_SOURCES,
    PREVIEW_COUNT,
    DatasetScanJob,
    DatasetSummary,
    common_folder,
    describe_paths,
    preprocess_previews,
    relative_name,
)
from studio.engine.gan.config import FIT_MODES
from studio.ui.widgets.collapsible import CollapsibleSection
from studio.ui.widgets.dataset_advice import Advice, RecommendationCard, advise
from studio.ui.widgets.drop_area import DropArea
from studio.ui.widgets.thumb_strip import ThumbnailStrip

FIT_TITLES = {
    "crop": "Crop to a square (centre)",
    "pad": "Pad to a square (keep everything)",
    "stretch": "Stretch to a square",
}
# The keys are the engine's (one copy of the rule); only the words live here.
FITS = [(key, FIT_TITLES.get(key, key)) for key in FIT_MODES]
IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.webp *.bmp *.tif *.tiff *.gif);;All files (*)"


class DatasetPanel(QWidget):
    """Dataset section of the Train page. Scans run on their own JobRunner, never on the training one."""

    dataset_changed = Signal()
    busy_changed = Signal(bool)
    recommendation_accepted = Signal(str)  # "Use recommended" clicked: the recommended preset's name

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from studio.ui.job_runner import JobRunner

        self.runner = JobRunner(self)
        self.runner.progress.connect(self._on_progress)
        self.runner.finished.connect(self._on_finished)
        self.runner.failed.connect(self._on_failed)
        self._pending: str | list[str] | None = None
        self._requested: str | list[str] | None = None
        self.summary: DatasetSummary | None = None
        self._target = (64, 0)  # (size, channels: 0 = follow the data)
        self._run_source: str | None = None

        self.drop_area = DropArea("Drop a folder or pictures here", self)
        self.drop_area.paths_dropped.connect(self.set_dataset)
        self.choose_folder_button = QPushButton("Choose folder…", self)
        self.choose_folder_button.setObjectName("chooseFolder")
        self.choose_folder_button.setToolTip("Train on every picture in a folder (and its subfolders).")
        self.choose_folder_button.clicked.connect(self.choose_folder)
        self.add_images_button = QPushButton("Add images…", self)
        self.add_images_button.setObjectName("addImages")
        self.add_images_button.setToolTip("Add single pictures to the current selection.")
        self.add_images_button.clicked.connect(self.add_images)
        self.builtin = QComboBox(self)
        self.builtin.setObjectName("builtinDataset")
        self.builtin.addItem("Or use a built-in set…", None)
        for key, text in BUILTIN_SOURCES.items():
            self.builtin.addItem(text, key)
        self.builtin.setToolTip("Ready-made pictures to try the studio with. The lesson's datasets "
                                "(MNIST, Fashion-MNIST, CIFAR-10) are downloaded the first time.")
        self.builtin.activated.connect(self._on_builtin_activated)

        self.source_label = QLabel("No pictures chosen yet.", self)
        self.source_label.setObjectName("datasetSource")
        self.source_label.setWordWrap(True)
        self.count_label = QLabel("", self)
        self.count_label.setObjectName("datasetCount")
        self.message = QLabel("", self)
        self.message.setObjectName("datasetMessage")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.hide()
        self.advice_card = RecommendationCard(self)
        self.advice_card.use_clicked.connect(self.recommendation_accepted)
        self.progress = QProgressBar(self)
        self.progress.setObjectName("datasetProgress")
        self.progress.setTextVisible(True)
        self.progress.setMaximumHeight(16)
        self.progress.hide()
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setToolTip("Stop checking these pictures.")
        self.cancel_button.clicked.connect(self.cancel_scan)
        self.cancel_button.hide()

        self.skipped_section = CollapsibleSection("", expanded=False, parent=self)
        self.skipped_section.setObjectName("skippedFiles")
        self.skipped_list = QListWidget(self)
        self.skipped_list.setObjectName("skippedList")
        self.skipped_list.setToolTip("These files are left out of training. Hover over one to see its full path.")
        self.skipped_list.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.skipped_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.skipped_section.body_layout.addWidget(self.skipped_list)
        self.skipped_section.hide()

        self.originals = ThumbnailStrip(PREVIEW_COUNT, 44, "", self)
        self.originals.setObjectName("originalThumbnails")
        self.processed = ThumbnailStrip(PREVIEW_COUNT, 44, "", self)
        self.processed.setObjectName("processedThumbnails")
        self.originals_label = QLabel("Your pictures", self)
        self.originals_label.setObjectName("caption")
        self.processed_label = QLabel("As the GAN sees them", self)
        self.processed_label.setObjectName("caption")

        self.fit = QComboBox(self)
        self.fit.setObjectName("fitCombo")
        for key, text in FITS:
            self.fit.addItem(text, key)
        self.fit.setToolTip("GANs train on square pictures of one size. Crop keeps the middle, pad adds "
                            "bars so nothing is lost, stretch squeezes the whole picture.")
        self.fit.currentIndexChanged.connect(self.update_previews)
        self.hflip = QCheckBox("Also learn from mirror images", self)
        self.hflip.setObjectName("hflip")
        self.hflip.setToolTip("Shows each picture flipped left-to-right half of the time: doubles a small "
                              "dataset. Leave off for text, faces that must face one way, and the like.")

        for combo in (self.builtin, self.fit):  # long item texts must not widen the whole column
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(8)

        buttons = QHBoxLayout()
        buttons.addWidget(self.choose_folder_button)
        buttons.addWidget(self.add_images_button)
        progress_row = QHBoxLayout()
        progress_row.addWidget(self.progress, 1)
        progress_row.addWidget(self.cancel_button)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Fit", self.fit)
        form.addRow(self.hflip)

        self.preview_box = QWidget(self)
        pv = QVBoxLayout(self.preview_box)
        pv.setContentsMargins(0, 0, 0, 0)
        pv.setSpacing(2)
        pv.addWidget(self.originals_label)
        pv.addWidget(self.originals)
        pv.addWidget(self.processed_label)
        pv.addWidget(self.processed)
        self.preview_box.hide()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.drop_area)
        layout.addLayout(buttons)
        layout.addWidget(self.builtin)
        layout.addWidget(self.source_label)
        layout.addWidget(self.count_label)
        layout.addLayout(progress_row)
        layout.addWidget(self.message)
        layout.addWidget(self.advice_card)
        layout.addWidget(self.skipped_section)
        layout.addWidget(self.preview_box)
        layout.addLayout(form)

    # --- choosing -------------------------------------------------------------------------------
    def set_dataset(self, paths: list[str]) -> None:
        """Replace the dataset with these folders/files (what a drop does)."""
        paths = [str(p) for p in paths if str(p)]
        if paths:
            self._scan(paths)

    def add_paths(self, paths: list[str]) -> None:
        """Add pictures to the current folder/file selection (a built-in set is replaced)."""
        current = self.current_paths()
        merged = current + [str(p) for p in paths if str(p) not in current]
        self.set_dataset(merged)

    def use_builtin(self, key: str) -> None:
        if key not in BUILTIN_SOURCES:
            raise KeyError(f"unknown built-in dataset {key!r}")
        self._scan(key)

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose a folder of pictures")
        if folder:
            self.set_dataset([folder])

    def add_images(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Add pictures", "", IMAGE_FILTER)
        if files:
            self.add_paths(files)

    def _on_builtin_activated(self, index: int) -> None:
        key = self.builtin.itemData(index)
        if key:
            self.use_builtin(key)

    def requested(self) -> str | list[str] | None:
        """What the artist chose: a built-in set's key, the folders/files, or None (kept for the session)."""
        req = self._requested
        if req is None and self.summary is not None and self.summary.error is None:
            return self.summary.source if self.summary.builtin else None
        return list(req) if isinstance(req, list) else req

    def current_paths(self) -> list[str]:
        req = self._requested
        return list(req) if isinstance(req, list) else []

    # --- state for the page ---------------------------------------------------------------------
    def data_source(self) -> str | None:
        """TrainConfig.data for the current, usable dataset; None while none is ready."""
        s = self.summary
        return s.source if s is not None and s.error is None and s.count > 0 else None

    def is_ready(self) -> bool:
        return self.data_source() is not None and not self.is_busy()

    def is_busy(self) -> bool:
        return self.runner.is_running() or self._pending is not None

    def fit_mode(self) -> str:
        return str(self.fit.currentData())

    def set_fit_mode(self, fit: str) -> None:
        index = self.fit.findData(fit)
        if index >= 0:
            self.fit.setCurrentIndex(index)

    def data_channels(self) -> int:
        return self.summary.channels if self.summary is not None else 3

    def image_count(self) -> int:
        """Usable pictures in the chosen dataset (0 while none is ready)."""
        return self.summary.count if self.data_source() is not None else 0

    def image_size(self) -> int:
        """Typical shorter side of the chosen pictures in px (0: unknown)."""
        return int(self.summary.image_size) if self.data_source() is not None else 0

    def advice(self) -> Advice | None:
        """The model/settings recommendation on show for these pictures (None while there is none)."""
        return self.advice_card.advice if self.advice_card.isVisibleTo(self) else None

    def set_recommendation_in_use(self, in_use: bool) -> None:
        self.advice_card.set_in_use(in_use)

    def set_target(self, size: int, channels: int) -> None:
        """The preset's picture size and channel choice (0: follow the data), for the previews."""
        if (size, channels) != self._target:
            self._target = (size, channels)
            self.update_previews()

    def shutdown(self, timeout_ms: int = 10_000) -> bool:
        self._pending = None
        return self.runner.shutdown(timeout_ms)

    def show_run_source(self, text: str | None) -> None:
        """While continuing a run its own pictures are used: say which, and hide this panel's choice.
        ``None`` brings the panel's own dataset back on show."""
        showing_run = text is not None
        self._run_source = text
        for w in (self.count_label, self.skipped_section, self.preview_box, self.advice_card):
            w.setVisible(False)
        self.message.hide()
        if showing_run:
            self.source_label.setText(text)
        elif self.summary is not None:
            self.source_label.setText(self._describe_request(self._requested or self.summary.source))
            self.count_label.show()
            self._show_summary(self.summary)
        else:
            self.source_label.setText("No pictures chosen yet.")

    def set_locked(self, locked: bool) -> None:
        for w in (self.drop_area, self.choose_folder_button, self.add_images_button, self.builtin,
                  self.fit, self.hflip, self.advice_card):
            w.setEnabled(not locked)

    # --- scanning -------------------------------------------------------------------------------
    def _scan(self, source: str | list[str]) -> None:
        self._requested = source
        if self.runner.is_running():
            self._pending = source
            self.runner.stop()  # the newest choice wins; it starts when the old scan has unwound
        else:
            self._start(source)
        self._show_busy(True)

    def cancel_scan(self) -> None:
        self._pending = None
        self.runner.stop()

    def _start(self, source: str | list[str]) -> None:
        self._pending = None
        self.summary = None
        self.message.hide()
        self.advice_card.set_advice(None)
        self.count_label.setText("Checking…")
        self.source_label.setText(self._describe_request(source))
        self.progress.setRange(0, 0)
        self.runner.start(DatasetScanJob(source))
        self.dataset_changed.emit()

    def _describe_request(self, source: str | list[str]) -> str:
        if isinstance(source, str):
            return BUILTIN_SOURCES.get(source, source)
        text = describe_paths(source)
        if len(source) == 1:
            return f"{text}  —  {source[0]}"
        return text

    def _show_busy(self, busy: bool) -> None:
        self.progress.setVisible(busy)
        self.cancel_button.setVisible(busy)
        self.busy_changed.emit(busy)

    def _on_progress(self, progress) -> None:
        if progress.total:
            self.progress.setRange(0, int(progress.total))
            self.progress.setValue(int(progress.step))
        else:
            self.progress.setRange(0, 0)
        self.progress.setFormat(progress.text or "%p%")

    def _after_scan(self) -> None:
        if self._pending is not None:
            self._start(self._pending)
        else:
            self._show_busy(False)
            self.dataset_changed.emit()

    def _on_finished(self, finished) -> None:
        if self._pending is None:
            if finished.cancelled or finished.result is None:
                self.count_label.setText("")
                self.source_label.setText("Checking was cancelled. Choose pictures again.")
                self._requested = None
            else:
                self._show_summary(finished.result)
        self._after_scan()

    def _on_failed(self, failed) -> None:
        if self._pending is None:
            self.summary = None
            self.count_label.setText("")
            self._show_message(f"Could not read these pictures: {failed.message}")
        self._after_scan()

    def _show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.show()

    def _show_summary(self, summary: DatasetSummary) -> None:
        self.summary = summary
        if self._run_source is not None:
            return  # a run's own pictures are on show; this choice appears when that ends
        self.count_label.setProperty("ok", not summary.error)
        self.count_label.style().unpolish(self.count_label)
        self.count_label.style().polish(self.count_label)
        if summary.error:
            self.count_label.setText("No usable pictures")
            self._show_message(summary.error)
        else:
            noun = "picture" if summary.count == 1 else "pictures"
            self.count_label.setText(f"{summary.count:,} {noun} ready")
            self.message.hide()
        self._show_advice(summary)
        self.skipped_list.clear()
        root = common_folder(self.current_paths())
        for s in summary.skipped:
            shown = relative_name(Path(s.path), root)
            item = QListWidgetItem(f"{shown}\n    {s.reason}")
            item.setToolTip(f"{s.path}\n{s.reason}")
            item.setData(Qt.ItemDataRole.UserRole, (str(s.path), s.reason))
            self.skipped_list.addItem(item)
        if summary.skipped:
            row = self.skipped_list.sizeHintForRow(0)
            frame = 2 * self.skipped_list.frameWidth()
            self.skipped_list.setFixedHeight(min(len(summary.skipped), 4) * row + frame + 2)
        n = len(summary.skipped)
        self.skipped_section.set_title(f"{n} file{'s' if n != 1 else ''} skipped")
        self.skipped_section.setVisible(n > 0)
        self.originals.set_images(summary.originals, summary.names)
        self.update_previews()

    def _show_advice(self, summary: DatasetSummary) -> None:
        if summary.error or summary.count <= 0:
            self.advice_card.set_advice(None)
            return
        try:
            self.advice_card.set_advice(advise(summary.count, summary.image_size or None))
        except Exception:  # noqa: BLE001 - advice is a nicety: never let it hide the pictures
            self.advice_card.set_advice(None)

    def skipped_entries(self) -> list[tuple[str, str]]:
        """(full path, reason) for each skipped file, as listed."""
        return [tuple(self.skipped_list.item(i).data(Qt.ItemDataRole.UserRole))
                for i in range(self.skipped_list.count())]

    def update_previews(self) -> None:
        s = self.summary
        if s is None or not s.originals:
            self.preview_box.hide()
            return
        size, channels = self._target
        channels = channels or s.channels
        fit = self.fit_mode()
        try:
            processed = preprocess_previews(s.originals, size, channels, fit)
        except Exception as exc:  # noqa: BLE001 - a preview must never take the page down
            processed = []
            self._show_message(f"Could not preview the preprocessing: {exc}")
        self.processed.set_images(processed, s.names)
        self.processed_label.setText(f"As the GAN sees them: {size}×{size}, "
                                     f"{'greyscale' if channels == 1 else 'colour'}, {fit}")
        self.preview_box.show()
