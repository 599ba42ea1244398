"""Keeping what a run made: the sample grid as a PNG (recipe inside), a timelapse GIF of every grid, the
trained generator, and the run folder in the file manager.

Each export — the grid PNG too — is an engine call run as a Job on the page's own ``export_runner``, off
the GUI thread, so writing a file never freezes the page nor waits for (or collides with) training; the
file dialogs suggest the workspace folder for the kind.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFileDialog

from studio.ui.job_runner import JobRunner

if TYPE_CHECKING:
    from studio.ui.train.page import TrainPage

__all__ = ["CallJob", "RunExports"]


class CallJob:
    """A one-shot engine call as a Job (exports): runs ``fn()`` in the runner's worker thread."""

    def __init__(self, title: str, fn: Callable[[], Any]) -> None:
        self.title = title
        self._fn = fn

    def run(self, ctx) -> Any:
        ctx.progress(0, None, self.title)
        return self._fn()


class RunExports(QObject):
    """See the module docstring. ``runner`` is the page's export JobRunner (``page.export_runner``)."""

    def __init__(self, page: TrainPage) -> None:
        super().__init__(page)
        self.page = page
        self.runner = JobRunner(page)
        self.runner.finished.connect(self._on_finished)
        self.runner.failed.connect(self._on_failed)
        self.runner.running_changed.connect(self._on_running)
        self._failure = "The export failed"  # how the running export's failure begins

    def is_running(self) -> bool:
        return self.runner.is_running()

    def _run(self, title: str, fn: Callable[[], Any], failure: str = "The export failed") -> None:
        if self.runner.is_running():
            self.page._show_notice("An export is still being written; try again in a moment.", "warning")
            return
        self._failure = failure
        self.runner.start(CallJob(title, fn))
        self.page._show_notice(f"{title}…")

    def save_grid_png(self, path: str | None = None) -> None:
        page = self.page
        image = page.samples.current_image()
        if image is None:
            return
        step = page.samples.current_step or 0
        if path is None:
            suggestion = suggest_path(f"samples-step{step:07d}.png")
            path, _ = QFileDialog.getSaveFileName(page, "Save sample grid", suggestion, "PNG image (*.png)")
        if not path:
            return
        from studio.engine.export import save_png

        run_dir = page.run_dir()
        recipe: dict[str, Any] = {"kind": "gan-sample-grid", "step": step}
        if run_dir is not None:
            recipe["run"] = str(run_dir)
            try:
                from studio.engine.runs import RunDir

                recipe["config"] = RunDir(run_dir).read_config()
            except (OSError, ValueError):
                pass
        target = path if str(path).lower().endswith(".png") else f"{path}.png"
        pixels = image.copy()  # the viewer's array may change while the worker writes
        self._run("Saving the sample grid", lambda: save_png(pixels, target, recipe), "Could not save the grid")

    def save_timelapse_gif(self, path: str | None = None) -> None:
        page = self.page
        run_dir = page.run_dir()
        if run_dir is None:
            return
        if path is None:
            suggestion = suggest_path(f"{run_dir.name}-timelapse.gif")
            path, _ = QFileDialog.getSaveFileName(page, "Save timelapse GIF", suggestion, "GIF animation (*.gif)")
        if not path:
            return
        from studio.engine.export import timelapse_gif

        out = path if str(path).lower().endswith(".gif") else f"{path}.gif"
        self._run("Writing timelapse GIF", lambda: timelapse_gif(run_dir, out))

    def export_generator(self, path: str | None = None) -> None:
        page = self.page
        run_dir = page.run_dir()
        if run_dir is None or not page._has_checkpoint:
            return
        if path is None:
            suggestion = suggest_path(f"{run_dir.name}-generator.safetensors")
            path, _ = QFileDialog.getSaveFileName(page, "Export generator", suggestion, "Generator (*.safetensors)")
        if not path:
            return
        from studio.engine.gan.checkpoints import export_generator

        self._run("Exporting generator", lambda: export_generator(run_dir, path))

    def open_run_folder(self) -> None:
        run_dir = self.page.run_dir()
        if run_dir is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(run_dir)))

    def _on_finished(self, finished) -> None:
        if finished.result is not None:
            self.page._show_notice(f"Saved {finished.result}")

    def _on_failed(self, failed) -> None:
        self.page._show_error(f"{self._failure}: {failed.message}", failed.details)

    def _on_running(self, _running: bool) -> None:
        self.page._update_controls()


def suggest_path(name: str) -> str:
    """Pictures go to the workspace's artworks/, GIFs to animations/, generators to exports/."""
    from studio.engine.gallery import ensure_workspace_folder
    from studio.ui.workspace import workspace_dir

    kind = {".png": "artwork", ".gif": "animation"}.get(Path(name).suffix.lower(), "export")
    return str(ensure_workspace_folder(kind, workspace_dir()) / name)
