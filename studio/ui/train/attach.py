"""Continuing a run: one picked from disk ("Resume a run…"), or this page's own run after it stopped or
finished ("Continue run"). Holds which run is lined up and from which step; Start then continues it.

The rules (is it a run, which step, how many steps to propose) are the engine's
(``studio.engine.train_rules``); this part shows the banner, loads the run's settings, curves, samples and
health into the page, and locks what a continued run cannot change.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog

from studio.engine.train_rules import RunNotResumable, continue_total, open_resume_point, resume_total

if TYPE_CHECKING:
    from studio.ui.train.page import TrainPage

__all__ = ["RunAttach"]


class RunAttach(QObject):
    """See the module docstring. ``run_dir`` is None while the page is set up for a new run."""

    def __init__(self, page: TrainPage) -> None:
        super().__init__(page)
        self.page = page
        self.run_dir: Path | None = None  # the run Start continues
        self.step = 0  # its checkpoint's step
        self.offered = False  # lined up after this page's own run stopped/finished (not picked from disk)

    def choose(self) -> None:
        from studio.ui.workspace import workspace_dir

        start = workspace_dir() / "runs"
        folder = QFileDialog.getExistingDirectory(self.page, "Choose a run folder to continue",
                                                  str(start if start.is_dir() else Path.home()))
        if folder:
            self.page.resume_run(folder)

    def attach(self, folder: str | Path) -> bool:
        """Line up a run folder to continue (its settings, curves, samples and health on show)."""
        from studio.engine.runs import RunDir

        page = self.page
        if page.is_training():
            return False
        try:
            point = open_resume_point(folder)
        except RunNotResumable as exc:
            page._show_error(str(exc))
            return False
        cfg, step = point.config, point.step
        self.run_dir, self.step, self.offered = point.path, step, False
        page._run_dir = point.path
        page._has_checkpoint = True
        page.settings.load_config(cfg)
        page.settings.set_steps(resume_total(int(cfg.get("steps", 0) or 0), step))
        page.dataset.set_fit_mode(str(cfg.get("fit", "crop")))
        page.dataset.hflip.setChecked(bool(cfg.get("hflip", False)))
        if cfg.get("sample_every_s"):
            page.samples.interval.setValue(float(cfg["sample_every_s"]))
        page.resume_text.setText(
            f"Continuing <b>{point.path.name}</b> from step {step:,} (pictures: {point.source}). "
            f"Set Steps to the total to reach, then press Continue.")
        page.resume_banner.show()
        page.error_banner.hide()
        page.dataset.show_run_source(f"This run's own pictures: {point.source}")
        rd = RunDir(point.path)
        page.plots.load_records([r for r in rd.read_metrics() if r.get("step", 0) <= step])
        page.small_data.run_attached(cfg, rd.read_health(step))
        page.samples.clear()
        page.samples.set_grids([g for g in rd.sample_grids() if g[0] <= step])
        page._set_state("idle")
        return True

    def leave(self) -> None:
        """Back to a new run: a run picked from disk brought its settings (they go); this page's own run
        kept the artist's."""
        page = self.page
        if page.is_training():
            return
        offered = self.offered
        self._forget()
        if not offered:
            page.settings.apply_preset(page.settings.preset_name())
        page._set_state("idle")

    def end_of_run(self) -> None:
        """After a continued run ends, the page is back to 'new run' mode (the run stays on show)."""
        if self.run_dir is not None:
            self._forget()

    def _forget(self) -> None:
        self.run_dir, self.step, self.offered = None, 0, False
        self.page.resume_banner.hide()
        self.page.dataset.show_run_source(None)

    def offer_continue(self) -> None:
        """After Stop or the last step: Start becomes "Continue run" for this same run (one click), with
        Steps editable to a new total; "New run instead" goes back to a fresh run with these settings."""
        from studio.engine.runs import RunDir
        from studio.engine.train_rules import checkpoint_step

        page = self.page
        if page.run_dir() is None or page.is_training():
            return
        rd = RunDir(page.run_dir())
        ckpt = rd.latest_checkpoint() if rd.exists() else None
        if ckpt is None:
            return
        step = checkpoint_step(ckpt)
        self.run_dir, self.step, self.offered = rd.path, step, True
        steps = int(page.settings.values().get("steps") or 0)
        if continue_total(steps, step) != steps:  # finished: propose as many steps again
            page.settings.set_steps(continue_total(steps, step))
        page.resume_text.setText(
            f"Continue <b>{rd.path.name}</b> from step {step:,}: set Steps to the total to reach, then "
            f"press Continue run. Or start a new run with other pictures or settings.")
        page.resume_banner.show()
        page._update_controls()
