"""The Train page: pick pictures, pick a model, press Start, watch the GAN learn, keep the results.

Everything long (checking images, training, writing a GIF) is an engine Job on a JobRunner; this page
only turns the runners' signals into things an artist can see, and its buttons into Jobs. Three
runners, so a dataset check or an export never has to wait for (or collide with) a training run.
"""

from __future__ import annotations

import dataclasses
import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, Qt, QUrl
from PySide6.QtGui import QDesktopServices, QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import (
    QBoxLayout,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from studio.ui.job_runner import JobRunner
from studio.ui.widgets.dataset_panel import DatasetPanel
from studio.ui.widgets.drop_area import local_paths
from studio.ui.widgets.health_panel import HealthPanel
from studio.ui.widgets.sample_viewer import SampleViewer
from studio.ui.widgets.settings_panel import TrainSettingsPanel
from studio.ui.widgets.training_plots import TrainingPlots

# Exception names whose message is already written for the artist: show it without the type.
PLAIN_ERRORS = ("DatasetError", "DeviceUnavailable", "CheckpointError", "ExportError", "ImageRejected",
                "ValueError")
NARROW_BELOW_PX = 660  # right-hand area narrower than this: plots above samples
NO_DATA_HINT = "Choose pictures first: drop a folder on this page, or pick a built-in set."

# Rules for this page's own object names (the app's style.qss styles the shell and common controls).
PAGE_QSS = """
QLabel#sectionTitle { font-size: 11pt; font-weight: 600; color: #eceef2; padding-top: 2px; }
QLabel#hint, QLabel#caption { color: #9ca1ab; }
QLabel#trainState { font-size: 11.5pt; font-weight: 600; color: #eceef2; }
QLabel#trainState[state="failed"] { color: #ff9b9b; }
QLabel#trainState[state="paused"], QLabel#trainState[state="pausing"] { color: #f0c674; }
QLabel#datasetCount { font-weight: 600; color: #eceef2; }
QLabel#datasetCount[ok="true"] { color: #b7f0c8; }
QLabel#datasetCount[ok="false"] { color: #ffb4b4; }
QLabel#datasetMessage { color: #ffb4b4; }
QLabel#noticeLine { color: #b9bdc6; }
QLabel#noticeLine[level="warning"] { color: #f0c674; }
QLabel#noticeLine[level="error"] { color: #ff9b9b; }
QLabel#plotStats { color: #b9bdc6; }
QFrame#errorBanner { background: #4a2a2e; border: 1px solid #7a3a40; border-radius: 8px; }
QFrame#errorBanner QLabel { color: #ffd4d4; background: transparent; }
QFrame#resumeBanner { background: #2e2a4d; border: 1px solid #4a4380; border-radius: 8px; }
QFrame#resumeBanner QLabel { color: #d8d2ff; background: transparent; }
QFrame#dropArea { border: 2px dashed #4a4c57; border-radius: 10px; background: #212227; }
QFrame#dropArea[dragging="true"] { border-color: #8b7cf6; background: #2e2a4d; }
QFrame#dropArea QLabel { color: #b4b8c0; background: transparent; }
QFrame#dropArea:disabled QLabel { color: #5d616a; }
QProgressBar#trainProgress { background: #26282e; border: none; border-radius: 3px; }
QProgressBar#trainProgress::chunk { background: #8b7cf6; border-radius: 3px; }
QToolButton#collapsibleHeader { border: none; color: #c9ccd2; font-weight: 600; }
"""


class CallJob:
    """A one-shot engine call as a Job (exports): runs ``fn()`` in the runner's worker thread."""

    def __init__(self, title: str, fn: Callable[[], Any]) -> None:
        self.title = title
        self._fn = fn

    def run(self, ctx) -> Any:
        ctx.progress(0, None, self.title)
        return self._fn()


def plain_message(message: str, details: str = "") -> str:
    """Turn a Failed event's message into a sentence: no exception class names where we can help it."""
    text = message or "Unknown error"
    lowered = (text + " " + details).lower()
    if "out of memory" in lowered or "can't allocate" in lowered or "memoryerror" in lowered:
        return "The computer ran out of memory. Try a smaller batch size, a narrower network or a smaller model."
    m = re.match(r"^(\w+): (.*)$", text, re.S)
    if m and m.group(1) in PLAIN_ERRORS:
        return m.group(2)
    return text


def checkpoint_step(path: Path | None) -> int:
    if path is None:
        return 0
    try:
        return int(json.loads(Path(path).read_text(encoding="utf-8"))["step"])
    except (OSError, ValueError, KeyError, TypeError):
        m = re.search(r"(\d+)", Path(path).stem)
        return int(m.group(1)) if m else 0


class TrainPage(QWidget):
    """See the module docstring. ``runner`` is the training JobRunner (the app may share it)."""

    def __init__(self, runner: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trainPage")
        self.setAcceptDrops(True)
        self.runner = runner
        self.export_runner = JobRunner(self)
        self._job = None  # the GanTrainingJob this page started and that is still running
        self._run_dir: Path | None = None  # run on show (running, finished, or picked to resume)
        self._resume_dir: Path | None = None
        self._resume_step = 0
        self._continue_offer = False  # resume mode offered after this page's own run stopped/finished
        self._has_checkpoint = False
        self.state = "idle"  # idle|preparing|training|pausing|paused|stopping|stopped|finished|failed
        self._last_step = 0
        self._total: int | None = None
        self._notices: list[str] = []
        self._failure_details = ""
        self._sized = False

        self._build()
        from studio.ui.train_small_data import SmallDataControls

        self.small_data = SmallDataControls(self)  # health cards, Raw/EMA switch, augmentation preview
        self.setStyleSheet(PAGE_QSS)
        self._connect()
        app = QCoreApplication.instance()
        if app is not None:  # last line of defence: never leave a worker thread behind at exit
            app.aboutToQuit.connect(self._on_about_to_quit)
        self._on_preset_changed(self.settings.preset_name())
        self._set_state("idle")

    # ============================================================================== construction
    def _build(self) -> None:
        # --- left: pictures + settings, scrollable
        self.dataset = DatasetPanel(self)
        self.settings = TrainSettingsPanel(self)
        left_inner = QWidget()
        left_inner.setObjectName("trainSettingsColumn")
        lv = QVBoxLayout(left_inner)
        lv.setContentsMargins(10, 10, 10, 10)
        lv.setSpacing(8)
        lv.addWidget(self._section_title("1 · Pictures"))
        lv.addWidget(self.dataset)
        lv.addSpacing(6)
        lv.addWidget(self._section_title("2 · Model and settings"))
        lv.addWidget(self.settings)
        lv.addStretch(1)
        self.left_scroll = QScrollArea(self)
        self.left_scroll.setObjectName("trainLeftScroll")
        self.left_scroll.setWidgetResizable(True)
        self.left_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.left_scroll.setWidget(left_inner)
        self.left_scroll.setMinimumWidth(312)
        self.left_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

        # --- right header: run controls and state
        self.start_button = QPushButton("Start training", self)
        self.start_button.setObjectName("startTraining")
        self.start_button.setAutoDefault(False)
        self.pause_button = QPushButton("Pause", self)
        self.pause_button.setObjectName("pauseTraining")
        self.pause_button.setToolTip("Pause training; nothing is lost. Resume carries on where it paused.")
        self.stop_button = QPushButton("Stop", self)
        self.stop_button.setObjectName("stopTraining")
        self.stop_button.setToolTip("Stop training and save a checkpoint, so the run can be continued later.")
        self.resume_run_button = QPushButton("Resume a run…", self)
        self.resume_run_button.setObjectName("resumeRun")
        self.resume_run_button.setToolTip("Continue an earlier run exactly where its last checkpoint left off.")

        self.state_label = QLabel("", self)
        self.state_label.setObjectName("trainState")
        self.state_label.setWordWrap(True)
        self.progress_bar = QProgressBar(self)
        self.progress_bar.setObjectName("trainProgress")
        self.progress_bar.setTextVisible(False)
        self.progress_bar.setMaximumHeight(6)
        self.start_hint = QLabel("", self)
        self.start_hint.setObjectName("hint")
        self.start_hint.setWordWrap(True)
        self.notice_label = QLabel("", self)
        self.notice_label.setObjectName("noticeLine")
        self.notice_label.setWordWrap(True)
        self.notice_label.hide()

        self.resume_banner = QFrame(self)
        self.resume_banner.setObjectName("resumeBanner")
        self.resume_text = QLabel("", self.resume_banner)
        self.resume_text.setWordWrap(True)
        self.new_run_button = QPushButton("New run instead", self.resume_banner)
        self.new_run_button.setToolTip("Forget the run picked to continue; Start begins a fresh run.")
        rb = QHBoxLayout(self.resume_banner)
        rb.setContentsMargins(8, 4, 8, 4)
        rb.addWidget(self.resume_text, 1)
        rb.addWidget(self.new_run_button)
        self.resume_banner.hide()

        self.error_banner = QFrame(self)
        self.error_banner.setObjectName("errorBanner")
        self.error_text = QLabel("", self.error_banner)
        self.error_text.setObjectName("errorText")
        self.error_text.setWordWrap(True)
        self.error_details_button = QPushButton("Details…", self.error_banner)
        self.error_close_button = QPushButton("Dismiss", self.error_banner)
        self.error_details_button.setToolTip("The full technical details of what went wrong")
        self.error_close_button.setToolTip("Hide this message")
        eb = QHBoxLayout(self.error_banner)
        eb.setContentsMargins(8, 4, 8, 4)
        eb.addWidget(self.error_text, 1)
        eb.addWidget(self.error_details_button)
        eb.addWidget(self.error_close_button)
        self.error_banner.hide()

        buttons = QHBoxLayout()
        buttons.setSpacing(6)
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.pause_button)
        buttons.addWidget(self.stop_button)
        buttons.addSpacing(12)
        buttons.addWidget(self.resume_run_button)
        buttons.addStretch(1)

        header = QWidget(self)
        header.setObjectName("trainHeader")
        hv = QVBoxLayout(header)
        hv.setContentsMargins(0, 0, 0, 0)
        hv.setSpacing(4)
        hv.addLayout(buttons)
        hv.addWidget(self.start_hint)
        hv.addWidget(self.resume_banner)
        hv.addWidget(self.state_label)
        hv.addWidget(self.progress_bar)
        hv.addWidget(self.error_banner)
        hv.addWidget(self.notice_label)
        self.health_panel = HealthPanel(self)
        hv.addWidget(self.health_panel)

        # --- right body: plots over samples
        self.plots = TrainingPlots(self)
        self.samples = SampleViewer(self)
        self.save_grid_button = QPushButton("Save grid as PNG…", self)
        self.save_grid_button.setObjectName("saveGrid")
        self.save_grid_button.setToolTip("Save the sample grid on show, with its recipe inside the PNG.")
        self.gif_button = QPushButton("Timelapse GIF…", self)
        self.gif_button.setObjectName("timelapseGif")
        self.gif_button.setToolTip("An animation of every sample grid of this run: watch it learn.")
        self.export_button = QPushButton("Export generator…", self)
        self.export_button.setObjectName("exportGenerator")
        self.export_button.setToolTip("Save the trained generator (newest checkpoint) to explore and "
                                      "animate it later, or share it.")
        self.open_folder_button = QPushButton("Open run folder", self)
        self.open_folder_button.setObjectName("openRunFolder")
        self.open_folder_button.setToolTip("Show this run's files: settings, curves, samples, checkpoints.")
        self.exports = QGridLayout()
        self.exports.setSpacing(6)
        self.sample_box = QWidget(self)
        self.sample_box_layout = QBoxLayout(QBoxLayout.Direction.TopToBottom, self.sample_box)
        self.sample_box_layout.setContentsMargins(6, 0, 0, 0)
        self.sample_box_layout.addWidget(self.samples, 1)
        self.sample_box_layout.addLayout(self.exports)

        self.body_splitter = QSplitter(self)
        self.body_splitter.setObjectName("trainBodySplitter")
        self.body_splitter.addWidget(self.plots)
        self.body_splitter.addWidget(self.sample_box)
        self.body_splitter.setChildrenCollapsible(False)
        self.body_splitter.setStretchFactor(0, 5)
        self.body_splitter.setStretchFactor(1, 4)
        self._narrow: bool | None = None
        self._set_narrow(False)

        right = QWidget(self)
        self.right_area = right
        right.installEventFilter(self)
        rv = QVBoxLayout(right)
        rv.setContentsMargins(6, 10, 10, 10)
        rv.setSpacing(6)
        rv.addWidget(header)
        rv.addWidget(self.body_splitter, 1)

        self.main_splitter = QSplitter(self)
        self.main_splitter.setObjectName("trainMainSplitter")
        self.main_splitter.addWidget(self.left_scroll)
        self.main_splitter.addWidget(right)
        self.main_splitter.setChildrenCollapsible(False)
        self.main_splitter.setStretchFactor(0, 0)
        self.main_splitter.setStretchFactor(1, 1)
        self.main_splitter.setSizes([380, 900])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.main_splitter)

    def _section_title(self, text: str) -> QLabel:
        label = QLabel(text, self)
        label.setObjectName("sectionTitle")
        label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        return label

    def _connect(self) -> None:
        r = self.runner
        r.progress.connect(self._on_progress)
        r.metrics.connect(self._on_metrics)
        r.preview.connect(self._on_preview)
        r.notice.connect(self._on_notice)
        r.paused_changed.connect(self._on_paused_changed)
        r.finished.connect(self._on_finished)
        r.failed.connect(self._on_failed)
        r.running_changed.connect(self._on_running_changed)
        self.export_runner.finished.connect(self._on_export_finished)
        self.export_runner.failed.connect(self._on_export_failed)
        self.export_runner.running_changed.connect(self._on_export_running)

        self.start_button.clicked.connect(self.start_training)
        self.pause_button.clicked.connect(self.toggle_pause)
        self.stop_button.clicked.connect(self.stop_training)
        self.resume_run_button.clicked.connect(self.choose_run_to_resume)
        self.new_run_button.clicked.connect(self.leave_resume_mode)
        self.error_details_button.clicked.connect(self._show_error_details)
        self.error_close_button.clicked.connect(self.error_banner.hide)
        # No-argument slots: clicked(bool) would otherwise arrive as the ``path`` argument.
        self.save_grid_button.clicked.connect(self._ask_save_grid)
        self.gif_button.clicked.connect(self._ask_timelapse_gif)
        self.export_button.clicked.connect(self._ask_export_generator)
        self.open_folder_button.clicked.connect(self.open_run_folder)

        self.dataset.dataset_changed.connect(self._update_controls)
        self.dataset.dataset_changed.connect(self._update_epochs)
        self.dataset.busy_changed.connect(self._update_controls)
        self.settings.preset_changed.connect(self._on_preset_changed)
        self.settings.channels.currentIndexChanged.connect(self._update_dataset_target)
        self.samples.refresh_requested.connect(self.refresh_samples)
        self.samples.interval_changed.connect(self._on_interval_changed)
        self.settings.attach_dataset(self.dataset)  # recommendation, small-data context, time estimate

    def _update_epochs(self) -> None:
        summary = self.dataset.summary
        ready = summary is not None and summary.error is None
        self.settings.set_dataset_count(summary.count if ready else 0)

    # ============================================================================== public API
    def is_training(self) -> bool:
        return self._job is not None and self.runner.is_running()

    def run_dir(self) -> Path | None:
        return self._run_dir

    def set_dataset(self, paths: list[str]) -> None:
        """Use these folders/files as the dataset (what a drop does). Ignored while training."""
        if self._continue_offer and not self.is_training():
            self.leave_resume_mode()  # new pictures after a run ended: the artist wants a new run
        if self.is_training() or self._resume_dir is not None:
            self._show_notice("Stop training (or choose 'New run instead') before choosing other pictures.")
            return
        self.dataset.set_dataset(paths)

    def use_builtin_dataset(self, key: str) -> None:
        self.dataset.use_builtin(key)

    def shutdown_training(self, timeout_ms: int = 30_000) -> bool:
        """Stop training (the engine saves a checkpoint), wait for it, and stop every helper thread.

        Returns True when nothing of this page runs any more. Safe to call more than once.
        """
        deadline = time.monotonic() + max(0, timeout_ms) / 1000
        ok = True
        if self._job is not None and self.runner.is_running():
            self.runner.stop()
            ok = self.runner.wait(timeout_ms) and ok
        left = max(1, int((deadline - time.monotonic()) * 1000))
        ok = self.dataset.shutdown(left) and ok
        left = max(1, int((deadline - time.monotonic()) * 1000))
        ok = self.export_runner.shutdown(left) and ok
        ok = self.settings.shutdown(max(1, int((deadline - time.monotonic()) * 1000))) and ok
        left = max(1, int((deadline - time.monotonic()) * 1000))
        ok = self.small_data.shutdown(left) and ok
        self.plots.shutdown()
        return ok

    def shutdown(self, timeout_ms: int = 30_000) -> bool:
        """Same as shutdown_training: for the window's close, whether or not training runs."""
        return self.shutdown_training(timeout_ms)

    def _on_about_to_quit(self) -> None:
        self.shutdown_training(30_000)

    def build_config(self):
        """The TrainConfig that Start would use for a new run (raises ValueError when invalid)."""
        from studio.engine.gan.trainer import TrainConfig

        values = self.settings.values()
        values.update(data=self.dataset.data_source() or "", fit=self.dataset.fit_mode(),
                      hflip=self.dataset.hflip.isChecked(), sample_every_s=float(self.samples.interval.value()))
        cfg = TrainConfig.from_dict(values)
        cfg.validate()
        return cfg

    # ============================================================================== run control
    def start_training(self) -> None:
        if self.runner.is_running():
            if self._job is None:
                self._show_error("Another job is running in the studio; wait for it to finish.")
            return
        from studio.engine.gan.trainer import GanTrainingJob, TrainConfig
        from studio.engine.runs import RunDir, new_run_dir
        from studio.ui.workspace import workspace_dir

        resume = self._resume_dir is not None
        try:
            if resume:
                values = self.settings.values()
                if values["steps"] and values["steps"] <= self._resume_step:
                    self._show_error(f"This run is already at step {self._resume_step:,}. Set Steps higher "
                                     f"(the total to reach) to continue it.")
                    return
                cfg = TrainConfig.from_dict({**values, "data": "",
                                             "sample_every_s": float(self.samples.interval.value())})
                run_dir = self._resume_dir
            else:
                if self.dataset.data_source() is None:
                    self._show_error(NO_DATA_HINT)
                    return
                cfg = self.build_config()
                run_dir = new_run_dir(workspace_dir() / "runs", name=time.strftime(f"%Y%m%d-%H%M%S-{cfg.preset}"))
        except (ValueError, OSError) as exc:
            self._show_error(plain_message(f"{type(exc).__name__}: {exc}"))
            return

        self.error_banner.hide()
        job = GanTrainingJob(cfg, run_dir, resume=resume)
        self._run_dir = Path(run_dir)
        self._has_checkpoint = resume
        self._last_step = self._resume_step if resume else 0
        self._total = cfg.steps or None
        if resume:
            rd = RunDir(run_dir)
            self.plots.load_records([r for r in rd.read_metrics() if r.get("step", 0) <= self._resume_step])
            self.samples.clear()
            self.samples.set_grids([g for g in rd.sample_grids() if g[0] <= self._resume_step])
        else:
            self.plots.clear()
            self.samples.clear()
        self._notices = []
        self.notice_label.setText("")
        self.notice_label.hide()
        self._job = job
        self.runner.start(job)
        self.small_data.run_started(job, resume, RunDir(run_dir).read_health(self._resume_step) if resume else None)
        self._set_state("preparing")

    def toggle_pause(self) -> None:
        if not self.is_training():
            return
        if self.runner.is_paused() or self.state in ("paused", "pausing"):
            self.runner.resume()
            self._set_state("training")
        else:
            self.runner.pause()
            self._set_state("pausing")

    def pause_training(self) -> None:
        if self.is_training() and self.state not in ("paused", "pausing"):
            self.toggle_pause()

    def resume_training(self) -> None:
        if self.is_training() and self.state in ("paused", "pausing"):
            self.toggle_pause()

    def stop_training(self) -> None:
        if self.is_training():
            self.runner.stop()
            self._set_state("stopping")

    def refresh_samples(self) -> None:
        if self.is_training():
            self._job.request_samples()

    def _on_interval_changed(self, seconds: float) -> None:
        if self.is_training():
            self._job.set_sample_interval(seconds)

    # ============================================================================== resume
    def choose_run_to_resume(self) -> None:
        from studio.ui.workspace import workspace_dir

        start = workspace_dir() / "runs"
        folder = QFileDialog.getExistingDirectory(self, "Choose a run folder to continue",
                                                  str(start if start.is_dir() else Path.home()))
        if folder:
            self.resume_run(folder)

    def resume_run(self, folder: str | Path) -> bool:
        """Attach to a run folder and get ready to continue it (Start continues). False if unusable."""
        from studio.engine.runs import RunDir

        if self.is_training():
            return False
        rd = RunDir(folder)
        if not rd.exists():
            self._show_error(f"{Path(folder).name} is not a training run: it has no config.json.")
            return False
        try:
            cfg = rd.read_config()
        except (OSError, ValueError) as exc:
            self._show_error(f"The settings of {rd.path.name} cannot be read: {exc}")
            return False
        ckpt = rd.latest_checkpoint()
        if ckpt is None:
            self._show_error(f"{rd.path.name} has no checkpoint to continue from.")
            return False
        step = checkpoint_step(ckpt)
        self._resume_dir = rd.path
        self._resume_step = step
        self._continue_offer = False
        self._run_dir = rd.path
        self._has_checkpoint = True
        self.settings.load_config(cfg)
        steps = int(cfg.get("steps", 0) or 0)
        if steps and steps <= step:
            steps = step + max(steps, 1000)
        self.settings.set_steps(steps)
        self.dataset.set_fit_mode(str(cfg.get("fit", "crop")))
        self.dataset.hflip.setChecked(bool(cfg.get("hflip", False)))
        if cfg.get("sample_every_s"):
            self.samples.interval.setValue(float(cfg["sample_every_s"]))
        source = cfg.get("dataset_source") or cfg.get("data") or "?"
        self.resume_text.setText(
            f"Continuing <b>{rd.path.name}</b> from step {step:,} (pictures: {source}). "
            f"Set Steps to the total to reach, then press Continue.")
        self.resume_banner.show()
        self.error_banner.hide()
        self.dataset.show_run_source(f"This run's own pictures: {source}")
        self.plots.load_records([r for r in rd.read_metrics() if r.get("step", 0) <= step])
        self.small_data.run_attached(cfg, rd.read_health(step))
        self.samples.clear()
        self.samples.set_grids([g for g in rd.sample_grids() if g[0] <= step])
        self._set_state("idle")
        return True

    def leave_resume_mode(self) -> None:
        if self.is_training():
            return
        offered = self._continue_offer
        self._resume_dir = None
        self._resume_step = 0
        self._continue_offer = False
        self.resume_banner.hide()
        self.dataset.show_run_source(None)
        if not offered:  # a run picked from disk brought its settings; this page's own run kept the user's
            self.settings.apply_preset(self.settings.preset_name())
        self._set_state("idle")

    # ============================================================================== runner events
    def _on_progress(self, progress) -> None:
        if self._job is None:
            return
        self._total = progress.total
        if progress.step > 0:
            self._last_step = progress.step
            if self.state == "preparing":
                self._set_state("training")
        else:
            text = progress.text or "Preparing images"
            if self.state == "preparing":
                self.state_label.setText(f"{text}…" if not text.endswith("…") else text)
        if self.state in ("training",):
            self.state_label.setText(f"Training · {progress.text}" if progress.text else
                                     f"Training · step {progress.step:,}")
        if progress.total and progress.step > 0:
            self.progress_bar.setRange(0, int(progress.total))
            self.progress_bar.setValue(min(int(progress.step), int(progress.total)))
        else:  # preparing, or training until stopped: a busy bar, not a fake percentage
            self.progress_bar.setRange(0, 0)

    def _on_metrics(self, metrics: list) -> None:
        if self._job is None or not metrics:
            return
        self.plots.append(metrics)
        self.small_data.on_metrics(metrics)
        self._last_step = metrics[-1].step
        if self.state == "preparing":
            self._set_state("training")

    def _on_preview(self, preview) -> None:
        if self._job is None or preview.label != "samples":
            return
        from studio.engine.runs import RunDir

        self.samples.show_live(preview.step, preview.image)
        if self._run_dir is not None:
            self.samples.set_grids(RunDir(self._run_dir).sample_grids())
        self._update_controls()

    def _on_notice(self, notice) -> None:
        if self._job is None:
            return
        if self.small_data.on_notice(notice):  # a health problem: shown as a card with remedies
            return
        if re.match(r"^(Stopped|Finished) at step", notice.text):
            self._notices.append(f"{time.strftime('%H:%M:%S')}  {notice.text}")  # the state line says it
        else:
            self._show_notice(notice.text, notice.level)
        if "checkpoint" in notice.text.lower():
            self._refresh_checkpoint()

    def _on_paused_changed(self, paused: bool) -> None:
        if self._job is None:
            return
        if paused:
            self._set_state("paused")
        elif self.state in ("paused", "pausing"):
            self._set_state("training")

    def _on_finished(self, finished) -> None:
        if self._job is None:
            return
        self._job = None
        result = finished.result
        self._leave_resume_state()
        self._refresh_checkpoint()
        if result is None:
            self._set_state("stopped", "Stopped before training began." if not self._has_checkpoint else None)
        else:
            self._last_step = int(getattr(result, "step", self._last_step))
            early = bool(getattr(result, "stopped_early", False) or finished.cancelled)
            self._set_state("stopped" if early else "finished")
        self._offer_continue()

    def _on_failed(self, failed) -> None:
        if self._job is None:
            return
        self._job = None
        self._leave_resume_state()
        self._refresh_checkpoint()
        self._failure_details = failed.details
        self._show_error(f"Training stopped with a problem: {plain_message(failed.message, failed.details)}",
                         failed.details)
        self._set_state("failed")

    def _on_running_changed(self, _running: bool) -> None:
        self._update_controls()

    def _leave_resume_state(self) -> None:
        """After a continued run ends, the page is back to 'new run' mode (the run stays on show)."""
        if self._resume_dir is not None:
            self._resume_dir = None
            self._resume_step = 0
            self._continue_offer = False
            self.resume_banner.hide()
            self.dataset.show_run_source(None)

    def _offer_continue(self) -> None:
        """After Stop or the last step: Start becomes "Continue run" for this same run (one click), with
        Steps editable to a new total; "New run instead" goes back to a fresh run with these settings."""
        from studio.engine.runs import RunDir

        if self._run_dir is None or self.is_training():
            return
        rd = RunDir(self._run_dir)
        ckpt = rd.latest_checkpoint() if rd.exists() else None
        if ckpt is None:
            return
        step = checkpoint_step(ckpt)
        self._resume_dir = rd.path
        self._resume_step = step
        self._continue_offer = True
        steps = int(self.settings.values().get("steps") or 0)
        if steps and steps <= step:  # finished: propose as many steps again
            self.settings.set_steps(step + steps)
        self.resume_text.setText(
            f"Continue <b>{rd.path.name}</b> from step {step:,}: set Steps to the total to reach, then "
            f"press Continue run. Or start a new run with other pictures or settings.")
        self.resume_banner.show()
        self._update_controls()

    # ============================================================================== exports
    def _run_export(self, title: str, fn: Callable[[], Any]) -> None:
        if self.export_runner.is_running():
            self._show_notice("An export is still being written; try again in a moment.", "warning")
            return
        self.export_runner.start(CallJob(title, fn))
        self._show_notice(f"{title}…")

    def _ask_save_grid(self) -> None:
        self.save_grid_png(None)

    def _ask_timelapse_gif(self) -> None:
        self.save_timelapse_gif(None)

    def _ask_export_generator(self) -> None:
        self.export_generator(None)

    def save_grid_png(self, path: str | None = None) -> None:
        image = self.samples.current_image()
        if image is None:
            return
        step = self.samples.current_step or 0
        if path is None:
            suggestion = self._suggest_path(f"samples-step{step:07d}.png")
            path, _ = QFileDialog.getSaveFileName(self, "Save sample grid", suggestion, "PNG image (*.png)")
        if not path:
            return
        from studio.engine.export import save_png

        recipe: dict[str, Any] = {"kind": "gan-sample-grid", "step": step}
        if self._run_dir is not None:
            recipe["run"] = str(self._run_dir)
            try:
                from studio.engine.runs import RunDir

                recipe["config"] = RunDir(self._run_dir).read_config()
            except (OSError, ValueError):
                pass
        try:
            out = save_png(image, path if str(path).lower().endswith(".png") else f"{path}.png", recipe)
        except Exception as exc:  # noqa: BLE001 - show, never crash
            self._show_error(f"Could not save the grid: {plain_message(f'{type(exc).__name__}: {exc}')}")
            return
        self._show_notice(f"Saved {out}")

    def save_timelapse_gif(self, path: str | None = None) -> None:
        if self._run_dir is None:
            return
        if path is None:
            suggestion = self._suggest_path(f"{self._run_dir.name}-timelapse.gif")
            path, _ = QFileDialog.getSaveFileName(self, "Save timelapse GIF", suggestion, "GIF animation (*.gif)")
        if not path:
            return
        from studio.engine.export import timelapse_gif

        run_dir = self._run_dir
        out = path if str(path).lower().endswith(".gif") else f"{path}.gif"
        self._run_export("Writing timelapse GIF", lambda: timelapse_gif(run_dir, out))

    def export_generator(self, path: str | None = None) -> None:
        if self._run_dir is None or not self._has_checkpoint:
            return
        if path is None:
            suggestion = self._suggest_path(f"{self._run_dir.name}-generator.safetensors")
            path, _ = QFileDialog.getSaveFileName(self, "Export generator", suggestion,
                                                  "Generator (*.safetensors)")
        if not path:
            return
        from studio.engine.gan.checkpoints import export_generator

        run_dir = self._run_dir
        self._run_export("Exporting generator", lambda: export_generator(run_dir, path))

    def open_run_folder(self) -> None:
        if self._run_dir is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self._run_dir)))

    def _suggest_path(self, name: str) -> str:
        """Pictures go to the workspace's artworks/, GIFs to animations/, generators to exports/."""
        from studio.engine.gallery import ensure_workspace_folder
        from studio.ui.workspace import workspace_dir

        kind = {".png": "artwork", ".gif": "animation"}.get(Path(name).suffix.lower(), "export")
        return str(ensure_workspace_folder(kind, workspace_dir()) / name)

    def _on_export_finished(self, finished) -> None:
        if finished.result is not None:
            self._show_notice(f"Saved {finished.result}")

    def _on_export_failed(self, failed) -> None:
        self._show_error(f"The export failed: {plain_message(failed.message, failed.details)}", failed.details)

    def _on_export_running(self, _running: bool) -> None:
        self._update_controls()

    # ============================================================================== state display
    def _set_state(self, state: str, text: str | None = None) -> None:
        self.state = state
        self.state_label.setText(text if text is not None else self._state_text(state))
        self.state_label.setProperty("state", state)
        self.state_label.style().unpolish(self.state_label)
        self.state_label.style().polish(self.state_label)
        busy = state in ("preparing", "training", "pausing", "paused", "stopping")
        self.progress_bar.setVisible(busy)
        if state == "preparing":
            self.progress_bar.setRange(0, 0)
        self._update_controls()

    def _state_text(self, state: str) -> str:
        step, total = self._last_step, self._total
        of_total = f" of {total:,}" if total else ""
        return {
            "idle": "Ready to continue." if self._resume_dir is not None else
                    ("Ready to start." if self.dataset.data_source() else "Idle"),
            "preparing": "Preparing images…",
            "training": f"Training · step {step:,}{of_total}",
            "pausing": f"Pausing after step {step:,}…",
            "paused": f"Paused at step {step:,} — press Resume to carry on.",
            "stopping": "Stopping — saving a checkpoint…",
            "stopped": f"Stopped at step {step:,} — checkpoint saved." if self._has_checkpoint
                       else f"Stopped at step {step:,}.",
            "finished": f"Finished: {step:,} steps — checkpoint saved.",
            "failed": f"Training stopped with a problem at step {step:,} (see below).",
        }[state]

    def _update_controls(self, *_args) -> None:
        if self.state == "idle":  # "Idle" / "Ready to start." follows the dataset
            self.state_label.setText(self._state_text("idle"))
        training = self.is_training()
        resume = self._resume_dir is not None
        ready = self.dataset.data_source() is not None and not self.dataset.is_busy()
        can_start = not self.runner.is_running() and (resume or ready)
        self.start_button.setEnabled(can_start)
        # The app's primary-button style would also paint a disabled button violet: only when usable.
        if bool(self.start_button.property("primary")) != can_start:
            self.start_button.setProperty("primary", can_start)
            self.start_button.style().unpolish(self.start_button)
            self.start_button.style().polish(self.start_button)
        self.start_button.setText("Continue run" if resume else "Start training")
        if training:
            hint = ""
        elif self.runner.is_running():
            hint = "Another job is running in the studio."
        elif resume:
            hint = ""
        elif self.dataset.is_busy():
            hint = "Checking the pictures… Start is available when that is done."
        elif self.dataset.summary is not None and self.dataset.summary.error:
            hint = "These pictures can't be used (see Pictures). Choose others to start."
        elif not ready:
            hint = NO_DATA_HINT
        else:
            hint = ""
        self.start_hint.setText(hint)
        self.start_hint.setVisible(bool(hint))
        self.start_button.setToolTip(hint or ("Continue the chosen run." if resume else
                                              "Start a new training run with these pictures and settings."))

        stopping = self.state == "stopping"
        self.pause_button.setEnabled(training and not stopping)
        self.pause_button.setText("Resume" if self.state in ("paused", "pausing") else "Pause")
        self.stop_button.setEnabled(training and not stopping)
        self.resume_run_button.setEnabled(not self.runner.is_running())
        self.settings.set_locked(training or resume, except_steps=resume and not training)
        self.settings.setEnabled(True)
        self.dataset.set_locked(training or resume)

        has_run = self._run_dir is not None and self._run_dir.is_dir()
        exporting = self.export_runner.is_running()
        self.save_grid_button.setEnabled(self.samples.current_image() is not None)
        self.gif_button.setEnabled(has_run and not exporting and self._has_grids())
        self.export_button.setEnabled(has_run and self._has_checkpoint and not exporting)
        self.open_folder_button.setEnabled(has_run)
        self.samples.refresh_button.setEnabled(training and self.state in ("training", "preparing"))
        self.small_data.update_controls()

    def _has_grids(self) -> bool:
        if self._run_dir is None:
            return False
        samples = self._run_dir / "samples"
        return samples.is_dir() and any(samples.glob("step_*.png"))

    def _refresh_checkpoint(self) -> None:
        from studio.engine.runs import RunDir

        self._has_checkpoint = self._run_dir is not None and RunDir(self._run_dir).latest_checkpoint() is not None
        self._update_controls()

    def _show_notice(self, text: str, level: str = "info") -> None:
        stamp = time.strftime("%H:%M:%S")
        self._notices.append(f"{stamp}  {text}")
        self._notices = self._notices[-30:]
        self.notice_label.setText(text)
        self.notice_label.setVisible(bool(text))
        self.notice_label.setProperty("level", level)
        self.notice_label.style().unpolish(self.notice_label)
        self.notice_label.style().polish(self.notice_label)
        self.notice_label.setToolTip("\n".join(self._notices))

    def notices(self) -> list[str]:
        return list(self._notices)

    def _show_error(self, text: str, details: str = "") -> None:
        self._failure_details = details
        self.error_text.setText(text)
        self.error_details_button.setVisible(bool(details))
        self.error_banner.show()

    def error_message(self) -> str:
        return self.error_text.text() if self.error_banner.isVisibleTo(self) else ""

    def _show_error_details(self) -> None:
        box = QMessageBox(QMessageBox.Icon.Warning, "What went wrong", self.error_text.text(),
                          QMessageBox.StandardButton.Close, self)
        box.setDetailedText(self._failure_details)
        box.exec()

    # ============================================================================== settings glue
    def _on_preset_changed(self, _name: str) -> None:
        self._update_dataset_target()

    def _update_dataset_target(self, *_args) -> None:
        info = self.settings.preset_info()
        channels = int(self.settings.channels.currentData() or 0) or int(info.channels or 0)
        self.dataset.set_target(int(info.image_size), channels)

    def current_config_dict(self) -> dict:
        return dataclasses.asdict(self.build_config())

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if not self._sized:  # splitters share space by proportion once the page has a real size
            self._sized = True
            total = max(600, self.width())
            left = max(self.left_scroll.minimumWidth(), min(400, int(total * 0.3)))
            self.main_splitter.setSizes([left, total - left])
            self._share_body()

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt override
        if watched is self.right_area and event.type() == QEvent.Type.Resize:
            self._set_narrow(event.size().width() < NARROW_BELOW_PX)
        return super().eventFilter(watched, event)

    def _set_narrow(self, narrow: bool) -> None:
        """Side by side when there is room; plots over samples (controls beside them) when there is not."""
        if narrow == self._narrow:
            return
        self._narrow = narrow
        buttons = (self.save_grid_button, self.gif_button, self.export_button, self.open_folder_button)
        for b in buttons:
            self.exports.removeWidget(b)
        for i, b in enumerate(buttons):
            self.exports.addWidget(b, *((i, 0) if narrow else divmod(i, 2)))
        self.exports.setRowStretch(len(buttons), 1 if narrow else 0)
        self.sample_box_layout.setDirection(QBoxLayout.Direction.LeftToRight if narrow
                                            else QBoxLayout.Direction.TopToBottom)
        self.body_splitter.setOrientation(Qt.Orientation.Vertical if narrow else Qt.Orientation.Horizontal)
        self.plots.set_compact(narrow)
        self._share_body()

    def _share_body(self) -> None:
        narrow = bool(self._narrow)
        total = max(2, (self.body_splitter.height() if narrow else self.body_splitter.width()))
        first = int(total * (0.5 if narrow else 0.55))
        self.body_splitter.setSizes([first, total - first])

    # ============================================================================== drag and drop
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt override
        if local_paths(event.mimeData()) and not self.is_training():
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802 - Qt override
        if local_paths(event.mimeData()) and not self.is_training():
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt override
        paths = local_paths(event.mimeData())
        if not paths or self.is_training():
            event.ignore()
            return
        event.acceptProposedAction()
        self.set_dataset(paths)
