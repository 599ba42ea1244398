"""'Estimate time': a few real training steps, off the GUI thread, before the artist commits to a run.

The engine's ``estimate_training_time`` builds the configured networks and times a few steps on the
chosen device (plus one quality check). It runs as a Job on this widget's own JobRunner, so Start never
waits for it and a training run never shares a runner with it. The estimate is marked stale when the
settings change; a change of Steps alone only rescales it (the time per step is the same).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDoubleSpinBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from studio.engine.train_text import estimate_text

# Settings that change neither the time per step nor the quality checks: a change of these keeps the estimate.
NOT_TIMED = ("steps", "seed", "checkpoint_every_min", "grid_count", "init_from", "sample_every_s",
             "data", "fit", "hflip")


@dataclass(frozen=True)
class EstimateRequest:
    """What to measure: the TrainConfig (``data`` irrelevant), the picture count and colour channels."""

    config: Any  # TrainConfig
    dataset_count: int  # 0: no pictures chosen yet (200 is assumed)
    channels: int | None = None


class EstimateJob:
    """Engine Job around ``estimate_training_time``: seconds of real steps, then the TimeEstimate."""

    title = "Estimating training time"

    def __init__(self, request: EstimateRequest, bench_steps: int = 3, include_metrics: bool = True) -> None:
        self.request = request
        self.bench_steps = bench_steps
        self.include_metrics = include_metrics

    def run(self, ctx):
        from studio.engine.gan.estimate import estimate_training_time

        req = self.request
        ctx.progress(0, None, "Timing a few training steps…")
        ctx.check()
        est = estimate_training_time(req.config, dataset_count=req.dataset_count or 200,
                                     steps=req.config.steps, channels=req.channels,
                                     bench_steps=self.bench_steps, include_metrics=self.include_metrics)
        ctx.check()  # a cancel during the measurement: no result
        return est


class TimeEstimateBox(QWidget):
    """Estimate time / Cancel and the answer. ``request_provider()`` returns an EstimateRequest or raises
    ValueError with words (invalid settings)."""

    estimated = Signal(object)  # TimeEstimate
    # "Set steps": the steps that fit in the minutes asked for, by the last estimate, and those minutes
    fit_steps = Signal(int, float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from studio.ui.job_runner import JobRunner

        self.runner = JobRunner(self)
        self.runner.finished.connect(self._on_finished)
        self.runner.failed.connect(self._on_failed)
        self.request_provider: Callable[[], EstimateRequest] | None = None
        self.bench_steps = 3
        self.include_metrics = True
        self.estimate = None  # the last TimeEstimate
        self._estimate_key: str | None = None  # settings it was measured for (minus NOT_TIMED)
        self._estimate_every = 0
        self._estimate_count = 0
        self._wanted = False  # a new estimate is wanted once the cancelled one has unwound
        self._cancelled = False
        self.state = "none"  # none | running | done | stale | cancelled | failed

        self.button = QPushButton("Estimate time", self)
        self.button.setObjectName("estimateTime")
        self.button.setToolTip("Time a few real training steps with these settings on this computer and say "
                               "how long the whole run will take. Takes a few seconds; Start does not wait "
                               "for it.")
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setObjectName("cancelEstimate")
        self.cancel_button.setToolTip("Stop estimating.")
        self.cancel_button.hide()
        self.label = QLabel("", self)
        self.label.setObjectName("estimateText")
        self.label.setWordWrap(True)
        self.label.hide()
        self.button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        row = QHBoxLayout()
        row.setSpacing(4)
        row.addWidget(self.button)
        row.addWidget(self.cancel_button)
        row.addStretch(1)
        # a time budget: after an estimate, the steps that fit in so many minutes on this computer
        self.fit_row = QWidget(self)
        self.fit_row.setObjectName("fitSteps")
        fit = QHBoxLayout(self.fit_row)
        fit.setContentsMargins(0, 0, 0, 0)
        fit.setSpacing(4)
        self.minutes = QDoubleSpinBox(self.fit_row)
        self.minutes.setObjectName("fitMinutes")
        self.minutes.setRange(1, 7 * 24 * 60)
        self.minutes.setDecimals(0)
        self.minutes.setValue(10)
        self.minutes.setSuffix(" min")
        self.fit_button = QPushButton("Set steps", self.fit_row)
        self.fit_button.setObjectName("fitStepsButton")
        tip = ("Set Steps to what fits in this many minutes on this computer, by the estimate above. While it trains, "
               "the run re-plans its steps from the speed it measures, so it ends on time even when the computer "
               "turns out busier or freer; the small-data models ease their learning rates down over the end of a "
               "run, so a run that ends on time ends sharp. Changing Steps by hand ends the plan.")
        for w in (self.minutes, self.fit_button):
            w.setToolTip(tip)
        self.fit_button.clicked.connect(self._fit)
        fit.addWidget(QLabel("Train for", self.fit_row))
        fit.addWidget(self.minutes)
        fit.addWidget(self.fit_button)
        fit.addStretch(1)
        self.fit_row.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(row)
        layout.addWidget(self.label)
        layout.addWidget(self.fit_row)

    # --- control --------------------------------------------------------------------------------
    def start(self) -> None:
        if self.request_provider is None:
            return
        if self.runner.is_running():
            if not self._cancelled:
                return  # already measuring these settings
            self._wanted = True  # the cancelled one is still unwinding: start when it has
            self._show("Estimating…", "running")
            return
        try:
            request = self.request_provider()
        except ValueError as exc:
            self._show(f"Cannot estimate: {exc}", "failed")
            return
        self._cancelled = False
        self._wanted = False
        self._request = request
        self.runner.start(EstimateJob(request, self.bench_steps, self.include_metrics))
        device = str(getattr(request.config, "device", "auto"))
        where = "" if device == "auto" else f" on {device.upper()}"
        self._show(f"Estimating{where}: timing a few real training steps…", "running")
        self._update_buttons()

    def cancel(self) -> None:
        """Stop waiting for the estimate now (the few steps in flight finish in the background)."""
        self._wanted = False
        if self.runner.is_running():
            self._cancelled = True
            self.runner.stop()
            self._show("Estimate cancelled.", "cancelled")
        self._update_buttons()

    def is_running(self) -> bool:
        return self.runner.is_running() and not self._cancelled

    def shutdown(self, timeout_ms: int = 10_000) -> bool:
        self._wanted = False
        return self.runner.shutdown(timeout_ms)

    def text(self) -> str:
        return self.label.text() if self.label.isVisibleTo(self) else ""

    def settings_changed(self) -> None:
        """Mark the estimate stale, or rescale it when only the number of steps changed."""
        if self.estimate is None or self.state not in ("done", "stale") or self.request_provider is None:
            return
        try:
            request = self.request_provider()
        except ValueError:
            self._mark_stale()
            return
        if self._key(request) == self._estimate_key:
            self._show(estimate_text(self.estimate, int(request.config.steps), self._estimate_every,
                                     self._estimate_count), "done")
        else:
            self._mark_stale()

    def _fit(self) -> None:
        from studio.engine.gan.estimate import steps_within

        if self.estimate is not None and self.state == "done":
            self.fit_steps.emit(steps_within(self.estimate, self.minutes.value() * 60.0, self._estimate_every),
                                float(self.minutes.value()))

    # --- results --------------------------------------------------------------------------------
    def _key(self, request: EstimateRequest) -> str:
        import dataclasses

        values = {k: v for k, v in dataclasses.asdict(request.config).items() if k not in NOT_TIMED}
        return json.dumps([values, request.dataset_count, request.channels], sort_keys=True, default=str)

    def _mark_stale(self) -> None:
        if self.state == "done":
            self._show(f"{self.label.text()}  Settings changed since — press Estimate time again.", "stale")

    def _on_finished(self, finished) -> None:
        cancelled = self._cancelled or finished.cancelled or finished.result is None
        self._cancelled = False
        if not cancelled:
            from studio.engine.gan.regimes import resolve_settings

            req = self._request
            est = finished.result
            self.estimate = est
            self._estimate_key = self._key(req)
            self._estimate_count = req.dataset_count
            resolved, _ = resolve_settings(req.config, req.dataset_count or 200)
            self._estimate_every = int(resolved.metrics_every or 0)
            self._show(estimate_text(est, int(req.config.steps), self._estimate_every, req.dataset_count), "done")
            self.estimated.emit(est)
            self.settings_changed()  # the settings may have moved on while it measured
        self._after()

    def _on_failed(self, failed) -> None:
        if not self._cancelled:
            message = failed.message
            if ": " in message and message.split(": ", 1)[0].isidentifier():
                message = message.split(": ", 1)[1]
            self._show(f"Could not estimate: {message}", "failed")
        self._cancelled = False
        self._after()

    def _after(self) -> None:
        if self._wanted:
            self._wanted = False
            self.start()
        self._update_buttons()

    def _show(self, text: str, state: str) -> None:
        self.state = state
        self.label.setText(text)
        self.label.setVisible(bool(text))
        self.label.setProperty("state", state)
        self.fit_row.setVisible(state == "done")  # only an estimate for these settings can say what fits
        self.label.style().unpolish(self.label)
        self.label.style().polish(self.label)

    def _update_buttons(self) -> None:
        running = self.is_running() or self._wanted
        self.cancel_button.setVisible(running)
        self.button.setEnabled(not running and self.isEnabled())

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().changeEvent(event)
        if event.type() == event.Type.EnabledChange and self.isEnabled():
            self._update_buttons()
