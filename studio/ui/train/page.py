"""The Train page: pick pictures, pick a model, press Start, watch the GAN learn, keep the results.

Everything long (checking images, training, writing a GIF) is an engine Job on a JobRunner; this page
only turns the runners' signals into things an artist can see, and its buttons into Jobs. Three
runners, so a dataset check or an export never has to wait for (or collide with) a training run.

The room that wires its parts: ``layout`` builds and rearranges the widgets, ``controls`` decides what the
buttons and lines say and allow, ``attach`` lines up a run to continue, ``exports`` keeps what a run made,
``small_data`` shows health cards, the Raw/EMA switch and the augmentation preview. This class starts,
pauses and stops training and turns the runner's events into the page's state.
"""

from __future__ import annotations

import dataclasses
import re
import time
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent, Signal
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QWidget

from studio.engine.errors import describe_error
from studio.engine.train_text import failure_text, state_text
from studio.ui.job_runner import JobRunner
from studio.ui.train import session
from studio.ui.train.attach import RunAttach
from studio.ui.train.controls import NO_DATA_HINT, PageMessages, set_state, update_controls
from studio.ui.train.exports import RunExports
from studio.ui.train.follow import RunFollower
from studio.ui.train.layout import NARROW_BELOW_PX, build_layout, set_narrow, share_body
from studio.ui.train.small_data import SmallDataControls
from studio.ui.widgets.drop_area import local_paths

__all__ = ["NO_DATA_HINT", "TrainPage"]


class TrainPage(QWidget):
    """See the module docstring. ``runner`` is the training JobRunner (the app may share it)."""

    explore_requested = Signal(object)  # the run folder on show: the window opens it on the Explore page

    def __init__(self, runner: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trainPage")
        self.setAcceptDrops(True)
        self.runner = runner
        self._job = None  # the GanTrainingJob this page started and that is still running
        self._run_dir: Path | None = None  # run on show (running, finished, or picked to resume)
        self._has_checkpoint = False
        self.state = "idle"  # idle|preparing|training|pausing|paused|stopping|stopped|finished|failed
        self._last_step = 0
        self._total: int | None = None
        self.messages = PageMessages(self)  # the notice line and the error banner
        self._sized = False

        self.attach = RunAttach(self)  # the run lined up to continue
        self.follower = RunFollower(self)  # a run another process trains, shown read-only
        self.run_exports = RunExports(self)
        self.export_runner = self.run_exports.runner
        build_layout(self)
        self.small_data = SmallDataControls(self)  # health cards, Raw/EMA switch, augmentation preview
        self._connect()
        app = QCoreApplication.instance()
        if app is not None:  # last line of defence: never leave a worker thread behind at exit
            app.aboutToQuit.connect(self._on_about_to_quit)
        self._on_preset_changed(self.settings.preset_name())
        self._set_state("idle")

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

        self.start_button.clicked.connect(self.start_training)
        self.pause_button.clicked.connect(self.toggle_pause)
        self.stop_button.clicked.connect(self.stop_training)
        self.resume_run_button.clicked.connect(self.choose_run_to_resume)
        self.new_run_button.clicked.connect(self.leave_resume_mode)
        self.error_details_button.clicked.connect(self.messages.show_details)
        self.error_close_button.clicked.connect(self.error_banner.hide)
        # No-argument slots: clicked(bool) would otherwise arrive as the ``path`` argument.
        self.save_grid_button.clicked.connect(self._ask_save_grid)
        self.gif_button.clicked.connect(self._ask_timelapse_gif)
        self.export_button.clicked.connect(self._ask_export_generator)
        self.open_folder_button.clicked.connect(self.open_run_folder)
        self.explore_button.clicked.connect(self._ask_explore)

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
        if (self._continue_offer or self.follower.is_following()) and not self.is_training():
            self.leave_resume_mode()  # new pictures after a run ended: the artist wants a new run
        if self.is_training() or self._resume_dir is not None:
            self._show_notice("Stop training (or choose 'New run instead') before choosing other pictures.")
            return
        self.dataset.set_dataset(paths)

    def use_builtin_dataset(self, key: str) -> None:
        self.dataset.use_builtin(key)

    def session_state(self) -> dict:
        """The chosen pictures, model and settings, for the next start (JSON-serialisable)."""
        return session.session_state(self)

    def restore_session(self, state: dict) -> list[str]:
        """Put a ``session_state`` back; returns (and shows) a sentence for each thing that could not be."""
        return session.restore_session(self, state)

    def shutdown_training(self, timeout_ms: int = 30_000) -> bool:
        """Stop training (the engine saves a checkpoint), wait for it, and stop every helper thread.

        Returns True when nothing of this page runs any more. Safe to call more than once.
        """
        deadline = time.monotonic() + max(0, timeout_ms) / 1000
        ok = True
        self.follower.timer.stop()
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
        values.update(data=self.dataset.data_source() or "", fit=self.dataset.fit_mode(), device=self.settings.run_device(),
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
        if resume:
            from studio.engine.runs import lock_holder

            holder = lock_holder(self._resume_dir)
            if holder is not None:  # taken since it was lined up (a terminal started training it)
                self.attach.attach(self._resume_dir)
                return
        try:
            if resume:
                values = self.settings.values()
                if values["steps"] and values["steps"] <= self._resume_step:
                    self._show_error(f"This run is already at step {self._resume_step:,}. Set Steps higher "
                                     f"(the total to reach) to continue it.")
                    return
                cfg = TrainConfig.from_dict({**values, "data": "", "device": self.settings.run_device(),
                                             "sample_every_s": float(self.samples.interval.value())})
                run_dir = self._resume_dir
            else:
                if self.dataset.data_source() is None:
                    self._show_error(NO_DATA_HINT)
                    return
                cfg = self.build_config()
                run_dir = new_run_dir(workspace_dir() / "runs", name=time.strftime(f"%Y%m%d-%H%M%S-{cfg.preset}"))
        except (ValueError, OSError) as exc:
            self._show_error(describe_error(exc))
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
        self.messages.clear()
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
        self.attach.choose()

    def resume_run(self, folder: str | Path) -> bool:
        """Attach to a run folder and get ready to continue it (Start continues). False if unusable."""
        return self.attach.attach(folder)

    def leave_resume_mode(self) -> None:
        self.attach.leave()

    # The names the small-data controls and tests know the lined-up run by.
    @property
    def _resume_dir(self) -> Path | None:
        return self.attach.run_dir

    @property
    def _resume_step(self) -> int:
        return self.attach.step

    @property
    def _continue_offer(self) -> bool:
        return self.attach.offered

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
            self.messages.log(notice.text)  # the state line says it
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
        self.attach.end_of_run()
        self._refresh_checkpoint()
        if result is None:
            self._set_state("stopped", "Stopped before training began." if not self._has_checkpoint else None)
        else:
            self._last_step = int(getattr(result, "step", self._last_step))
            early = bool(getattr(result, "stopped_early", False) or finished.cancelled)
            self._set_state("stopped" if early else "finished")
        self.attach.offer_continue()

    def _on_failed(self, failed) -> None:
        if self._job is None:
            return
        self._job = None
        self.attach.end_of_run()
        self._refresh_checkpoint()
        self._show_error(f"Training stopped with a problem: {failure_text(failed.message, failed.details)}",
                         failed.details)
        self._set_state("failed")

    def _on_running_changed(self, _running: bool) -> None:
        self._update_controls()

    # ============================================================================== exports
    def _ask_save_grid(self) -> None:
        self.save_grid_png(None)

    def _ask_timelapse_gif(self) -> None:
        self.save_timelapse_gif(None)

    def _ask_export_generator(self) -> None:
        self.export_generator(None)

    def save_grid_png(self, path: str | None = None) -> None:
        self.run_exports.save_grid_png(path)

    def save_timelapse_gif(self, path: str | None = None) -> None:
        self.run_exports.save_timelapse_gif(path)

    def export_generator(self, path: str | None = None) -> None:
        self.run_exports.export_generator(path)

    def open_run_folder(self) -> None:
        self.run_exports.open_run_folder()

    def _ask_explore(self) -> None:
        run_dir = self.run_dir()
        if run_dir is not None:
            self.explore_requested.emit(run_dir)

    # ============================================================================== state display
    def _set_state(self, state: str, text: str | None = None) -> None:
        set_state(self, state, text)

    def _state_text(self, state: str) -> str:
        return state_text(state, self._last_step, self._total, has_checkpoint=self._has_checkpoint,
                          continuing=self._resume_dir is not None, has_data=bool(self.dataset.data_source()))

    def _update_controls(self, *_args) -> None:
        update_controls(self)

    def _refresh_checkpoint(self) -> None:
        from studio.engine.runs import RunDir

        self._has_checkpoint = self._run_dir is not None and RunDir(self._run_dir).latest_checkpoint() is not None
        self._update_controls()

    def _show_notice(self, text: str, level: str = "info") -> None:
        self.messages.notice(text, level)

    def notices(self) -> list[str]:
        return self.messages.notices()

    def _show_error(self, text: str, details: str = "") -> None:
        self.messages.error(text, details)

    def error_message(self) -> str:
        return self.messages.error_message()

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
            share_body(self)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt override
        if watched is self.right_area and event.type() == QEvent.Type.Resize:
            self._set_narrow(event.size().width() < NARROW_BELOW_PX)
        return super().eventFilter(watched, event)

    def _set_narrow(self, narrow: bool) -> None:
        set_narrow(self, narrow)

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
