"""Saving the artwork and its timelapse: file dialogs here, the writing in engine Jobs on this room's own runner.

Encoding a big PNG with its masks, or a GIF of a long run, takes seconds; on the GUI thread the window would
freeze meanwhile. The jobs (``studio.engine.style.artwork_jobs``) run through a JobRunner of their own, so a save
never waits for — or stops — a painting in progress, and a failure arrives as ``Failed.message``'s sentence.

The artist's button never waits: the status line says when the file is written. A caller that names the path
(scripts, tests, the window's drop handlers) gets the written path back: it waits for the job with the GUI's event
loop running, so the window still repaints and answers meanwhile.

The artist's work comes first: a place chosen in the dialog is checked at once (``check_output_path``: folder,
permission, free space for this picture), so a refusal comes before anything is written and the next dialog opens
on the same choice to correct it. A save that still fails leaves ``page.result`` untouched and offers a free name in
the workspace's artworks folder (``fallback_offered``); ``save_fallback`` writes there in one click.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEventLoop, QObject, Signal
from PySide6.QtWidgets import QFileDialog, QWidget

from studio.engine.errors import StudioError, describe_error
from studio.engine.style.artwork_jobs import (
    TIMELAPSE_FPS,
    SaveArtworkJob,
    SaveTimelapseJob,
    artwork_output_path,
)
from studio.engine.style.recipe_files import ARTWORK_SUFFIXES
from studio.ui.job_runner import JobRunner

SAVE_FILTERS = {"PNG image (*.png)": ".png", "JPEG image (*.jpg *.jpeg)": ".jpg", "WebP image (*.webp)": ".webp"}
GIF_FILTER = "Animated GIF (*.gif)"


class ArtworkSaver(QObject):
    """Asks where, then writes off the GUI thread. ``message`` = a status line, ``error`` = a refusal sentence."""

    message = Signal(str)
    error = Signal(str)
    busy_changed = Signal(bool)
    saved = Signal(object)  # the Path written (artwork or GIF), once it is on disk
    fallback_offered = Signal(object)  # a free Path in the workspace for an artwork whose save failed; None = none

    def __init__(self, host: QWidget, photo: Callable[[], str | None]) -> None:
        super().__init__(host)
        self._host = host
        self._photo = photo  # the photo's path, for the suggested file name
        self.last_dir = ""
        self.runner = JobRunner(self)
        self._kind = ""  # "artwork" or "timelapse" while a save runs
        self._frames = 0
        self._saved: Path | None = None
        self._retry = ""  # a dialog choice that was refused: the next dialog opens on it
        self._pending: tuple | None = None  # (result, path) of the artwork save under way
        self.offer: tuple | None = None  # (result, workspace path) offered after a failed save
        self.runner.finished.connect(self._on_finished)
        self.runner.failed.connect(self._on_failed)
        self.runner.running_changed.connect(self.busy_changed)

    # -- where ----------------------------------------------------------------------------------------
    def start_dir(self) -> str:
        """Where file dialogs open: the last folder used, else the workspace when it exists."""
        if not self.last_dir:
            from studio.engine.gallery import ensure_workspace_folder
            from studio.ui.workspace import workspace_dir as default_workspace  # the artist's choice

            ws = default_workspace()
            self.last_dir = str(ensure_workspace_folder("artwork", ws)) if ws.is_dir() else ""
        return self.last_dir

    def _save_dialog(self, title: str, name: str, filters: str, selected: str = "") -> tuple[str, str]:
        start = str(Path(self.start_dir()) / name) if self.start_dir() else name
        start, self._retry = self._retry or start, ""
        path, chosen = QFileDialog.getSaveFileName(self._host, title, start, filters, selected)
        if path:
            self.last_dir = str(Path(path).parent)
        return path, chosen

    def default_name(self, suffix: str) -> str:
        return f"{Path(self._photo() or 'artwork').stem}-stylized{suffix}"

    def is_busy(self) -> bool:
        return self.runner.is_running()

    # -- what -----------------------------------------------------------------------------------------
    def save_artwork(self, result, path: str | Path | None = None, wait: bool | None = None) -> Path | None:
        """Write ``result`` (a StyleResult) with its recipe and masks; the path written when waited for."""
        from studio.preferences import current_config

        export = current_config().export  # the artwork format and quality chosen in Settings
        suffix = f".{export.artwork_format}"
        if path is None:
            selected = next((f for f, s in SAVE_FILTERS.items() if s == suffix), "")
            path, chosen = self._save_dialog("Save artwork", self.default_name(suffix), ";;".join(SAVE_FILTERS),
                                             selected)
            if not path:
                return None
            if Path(path).suffix.lower() not in ARTWORK_SUFFIXES:
                path = f"{path}{SAVE_FILTERS.get(chosen, '.png')}"
            refusal = self.check_place(result, path)
            if refusal:
                self._retry = str(path)
                self.message.emit("Nothing was saved.")
                self.error.emit(refusal)
                return None
            wait = bool(wait)
        elif wait is None:
            wait = True
        path = artwork_output_path(path)
        job = SaveArtworkJob(result, path, export.jpeg_quality)
        return self._run("artwork", job, wait, pending=(result, path))

    def check_place(self, result, path: str | Path) -> str:
        """The sentence that refuses ``path`` for this artwork (folder, permission, free space), or ''."""
        from studio.engine.style.gatys import StyleSettings, check_output_path, estimate_output_bytes

        h, w = result.image.shape[:2]
        masks = sum(m is not None for m in result.style_masks)
        if result.content_regions is not None:
            masks += result.content_regions.shape[-1]
        need = estimate_output_bytes(StyleSettings(size=max(w, h)), w / max(1, h), masks)
        try:
            check_output_path(artwork_output_path(path), need, ARTWORK_SUFFIXES)
        except (StudioError, OSError) as exc:
            return describe_error(exc)
        return ""

    def fallback_path(self, failed: Path) -> Path | None:
        """A free name in the workspace's artworks folder for a save that failed at ``failed``; None when the
        failure was already there (offering the same place again would fail the same way)."""
        from studio.engine.gallery import workspace_folder
        from studio.ui.workspace import workspace_dir

        folder = workspace_folder("artwork", workspace_dir())
        if failed.parent.resolve() == folder.resolve():
            return None
        stem, suffix = failed.stem, failed.suffix.lower() if failed.suffix.lower() in ARTWORK_SUFFIXES else ".png"
        candidate, n = folder / f"{stem}{suffix}", 2
        while candidate.exists() or candidate.with_suffix(".json").exists():
            candidate, n = folder / f"{stem}-{n}{suffix}", n + 1
        return candidate

    def drop_offer(self) -> None:
        """Forget the workspace offer (a new run replaces the picture it was for)."""
        if self.offer is not None:
            self.offer = None
            self.fallback_offered.emit(None)

    def save_fallback(self, wait: bool | None = False) -> Path | None:
        """Write the artwork whose save failed to the place offered in the workspace."""
        if self.offer is None:
            return None
        result, path = self.offer
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self.error.emit(f"Could not create the workspace folder {path.parent}: {describe_error(exc)}")
            return None
        self.offer = None
        self.fallback_offered.emit(None)
        return self.save_artwork(result, path, wait=bool(wait))

    def save_timelapse(self, frames: list, path: str | Path | None = None, fps: float = TIMELAPSE_FPS,
                       wait: bool | None = None) -> Path | None:
        """An animated GIF of the run's previews, ending on the finished picture held for a moment."""
        if not frames:
            self.error.emit("This run kept no timelapse frames.")
            return None
        if path is None:
            path, _ = self._save_dialog("Save timelapse GIF", self.default_name(".gif"), GIF_FILTER)
            if not path:
                return None
            wait = bool(wait)
        elif wait is None:
            wait = True
        self._frames = len(frames)
        return self._run("timelapse", SaveTimelapseJob(frames, path, fps), wait)

    def _run(self, kind: str, job, wait: bool, pending: tuple | None = None) -> Path | None:
        if self.runner.is_running():
            self.error.emit("A picture is still being saved; try again in a moment.")
            return None
        self._kind, self._saved, self._pending = kind, None, pending
        self.message.emit(f"Saving {job.path.name}…")
        self.runner.start(job)
        if not wait:
            return None
        loop = QEventLoop(self)
        self.runner.running_changed.connect(loop.quit)
        try:
            if self.runner.is_running():
                loop.exec()
        finally:
            self.runner.running_changed.disconnect(loop.quit)
        return self._saved

    def _on_finished(self, ev) -> None:
        out = ev.result if isinstance(ev.result, Path) else None
        self._saved = out
        if out is None:
            return
        self.error.emit("")
        if self.offer is not None and self._kind == "artwork":
            self.offer = None  # saved somewhere after all: the offer is stale
            self.fallback_offered.emit(None)
        self.saved.emit(out)
        if self._kind == "timelapse":
            self.message.emit(f"Saved the timelapse {out.name} ({self._frames} frames).")
        else:
            self.message.emit(f"Saved {out.name} (recipe beside it: {out.with_suffix('.json').name}).")

    def _on_failed(self, ev) -> None:
        self._saved = None
        what = "the timelapse" if self._kind == "timelapse" else "the artwork"
        self.message.emit("Nothing was saved.")
        fallback = self.fallback_path(self._pending[1]) if self._pending is not None else None
        if fallback is None:
            self.error.emit(f"Could not save {what}: {ev.message}")
            return
        self.offer = (self._pending[0], fallback)
        self.error.emit(f"Could not save {what}: {ev.message.rstrip('.')}. The picture is kept.")
        self.fallback_offered.emit(fallback)

    def shutdown(self, timeout_ms: int = 10_000) -> bool:
        return self.runner.shutdown(timeout_ms)
