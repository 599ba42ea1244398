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

__all__ = ["RunAttach", "newest_intact_step"]


def newest_intact_step(run_dir: Path) -> tuple[int, str | None]:
    """The step a continued run really starts from — the newest checkpoint that checks out, as the trainer
    will pick it — and the sentence saying what was passed over when newer ones are damaged.

    Raises RunNotResumable when no checkpoint is intact (the sentence says why)."""
    from studio.engine.gan.checkpoints import load_newest_intact
    from studio.engine.runs import RunDir

    found = load_newest_intact(RunDir(run_dir).checkpoints_dir)
    if found.checkpoint is None:
        text = found.fallback_text() or "it has no checkpoint to continue from."
        raise RunNotResumable(f"{Path(run_dir).name} cannot be continued: {text[0].lower()}{text[1:]}")
    return int(found.step), found.fallback_text()


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
        """Line up a run folder to continue (its settings, curves, samples and health on show). A run another
        process holds is followed read-only instead (False: it cannot be continued now)."""
        from studio.engine.runs import RunDir, lock_holder

        page = self.page
        if page.is_training():
            return False
        page.follower.stop()
        holder = lock_holder(folder) if RunDir(folder).exists() else None
        if holder is not None:  # another process trains it: show it live, read-only, never continue it
            self._forget()
            page.follower.follow(folder, holder)
            return False
        try:
            if RunDir(folder).exists():  # damaged checkpoints are said before "no checkpoint" could be
                step, fallback = newest_intact_step(Path(folder))
            point = open_resume_point(folder)
        except RunNotResumable as exc:
            page._show_error(str(exc))
            return False
        cfg = point.config
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
        if fallback:
            page._show_notice(fallback, "warning")
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
        page.follower.stop()
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

        page = self.page
        if page.run_dir() is None or page.is_training():
            return
        rd = RunDir(page.run_dir())
        if not rd.exists():
            return
        try:
            step, fallback = newest_intact_step(rd.path)
        except RunNotResumable:
            return
        if fallback:
            page._show_notice(fallback, "warning")
        self.run_dir, self.step, self.offered = rd.path, step, True
        steps = int(page.settings.values().get("steps") or 0)
        if continue_total(steps, step) != steps:  # finished: propose as many steps again
            page.settings.set_steps(continue_total(steps, step))
        page.resume_text.setText(
            f"Continue <b>{rd.path.name}</b> from step {step:,}: set Steps to the total to reach, then "
            f"press Continue run. Or start a new run with other pictures or settings.")
        page.resume_banner.show()
        page._update_controls()
