"""The Stylize room: repaint a photo in the style of one or more paintings (Gatys style transfer).

The page wires its parts and runs the painting; each part has one job: ``SettingsForm`` (every setting and the
preset box), the photo box and style list (``widgets/stylize_inputs``), ``MaskWindows`` (painting masks),
``ResultView`` (canvas and loss plot), ``RunPanel`` (run buttons and status lines), ``ArtworkSaver`` (files, off the GUI thread), ``recipes`` (opening one),
``session`` (the working session kept across restarts)
and ``layout`` (where everything sits). The old widget names (``page.size_spin``, ``page.preview``…) stay as
attributes so scripts and tests reach the same controls.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import QFileDialog, QPushButton, QWidget

from studio.engine.errors import describe_error
from studio.engine.style.animation import AnimationResult, AnimationStyleJob
from studio.engine.style.eta import EtaEstimator, format_duration, plan_costs
from studio.engine.style.gatys import (
    StyleError,
    StyleResult,
    StyleSettings,
    StyleTransferJob,
    check_settings,
    look_anchor,
    plan_scales,
)
from studio.engine.style.recipe_files import artwork_for_recipe
from studio.ui.job_runner import JobRunner
from studio.ui.qimage import uint8_to_qimage
from studio.ui.stylize import session
from studio.ui.stylize.animation_panel import AnimationPanel
from studio.ui.stylize.clipboard import paths_from_mime, place_pasted
from studio.ui.stylize.layout import build_layout, fit_to_page
from studio.ui.stylize.mask_windows import MaskWindows
from studio.ui.stylize.recipes import restore_recipe
from studio.ui.stylize.result_view import PLACEHOLDER, ResultView, load_picture
from studio.ui.stylize.run_panel import RunPanel
from studio.ui.stylize.saving import ArtworkSaver
from studio.ui.stylize.settings_form import SettingsForm
from studio.ui.widgets.mask_dialog import MaskDialog
from studio.ui.widgets.stylize_inputs import ContentBox, StyleList, StyleRow

RECIPE_FILTER = "Recipes and artworks (*.json *.png *.jpg *.jpeg *.webp);;All files (*)"
OPENED_SIDE = 4096  # an opened artwork is shown at most this large


class StylizePage(QWidget):
    saved = Signal(object)  # a Path, when an artwork or timelapse has been written (saving runs off the GUI thread)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("page-stylize")
        self.runner = JobRunner(self)
        self.result: StyleResult | None = None
        self.overrides: dict = {}  # extra StyleSettings fields (tests, scripting); applied last
        self.eta = EtaEstimator()
        self._job: StyleTransferJob | None = None

        self.open_recipe_button = QPushButton("Open recipe…", self)
        self.open_recipe_button.setToolTip("Repeat an earlier artwork: choose its recipe (.json) or the saved "
                                           "picture; every setting, the photo and the paintings come back.")
        self.content = ContentBox(self)
        self.content.drop.label.setText("Drop a photo, GIF or video clip here (or paste: Ctrl+V)")
        self.styles = StyleList(self)
        self.styles.drop.label.setText("Drop one or more style paintings here")
        self.form = SettingsForm(self, self._aspect, lambda: self.overrides)
        self.view = ResultView(self)
        self.masks = MaskWindows(self, self.content, self.styles, self.runner.is_running)
        self.saver = ArtworkSaver(self, self.content.path)
        self.run_panel = RunPanel(self)
        self.animation = AnimationPanel(self)
        self._alias_parts()
        build_layout(self)
        self._connect()
        self._on_controls_changed()

    def _alias_parts(self) -> None:
        """The controls under the names they had before the page was split (scripts, tests, the window)."""
        f, v = self.form, self.view
        for name in ("start_button", "stop_button", "keep_button", "save_button", "gif_button", "copy_button",
                     "progress_label", "progress_bar", "error_label"):
            setattr(self, name, getattr(self.run_panel, name))
        for name in ("preset_combo", "preset_info", "strength", "strength_spin", "smooth", "smooth_spin", "size_spin",
                     "iter_spin", "colors_combo", "features", "memory_label", "advanced", "advanced_section"):
            setattr(self, name, getattr(f, name))
        self.backbone_combo, self.backbone_label = f.features.combo, f.features.status_label
        self.strength_label, self.smooth_label = f.strength_spin, f.smooth_spin  # code that reads the old labels
        for name in ("fit_button", "actual_button", "compare_button", "zoom_label", "view_hint", "preview", "plot",
                     "curves", "plot_legend", "loss_steps", "loss_values"):
            setattr(self, name, getattr(v, name))

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        fit_to_page(self)

    @property
    def scale_lines(self) -> list:
        return self.view.scale_lines

    def _connect(self) -> None:
        self.content.changed.connect(self._on_content_changed)
        self.styles.changed.connect(self._on_styles_changed)
        self.styles.mask_requested.connect(self.open_style_mask)
        self.content.regions_requested.connect(self.open_region_mask)
        self.content.regions_changed.connect(self._update_state)
        self.content.rejected.connect(self._show_error)
        self.styles.rejected.connect(self._show_error)
        self.masks.error.connect(self._show_error)
        self.form.changed.connect(self._on_form_changed)
        self.animation.changed.connect(self._update_state)
        self.open_recipe_button.clicked.connect(self._open_recipe_clicked)
        self.start_button.clicked.connect(self.start)
        self.stop_button.clicked.connect(self._stop_clicked)
        self.keep_button.clicked.connect(self._keep_clicked)
        self.save_button.clicked.connect(self._save_clicked)
        self.gif_button.clicked.connect(self._gif_clicked)
        self.copy_button.clicked.connect(self.copy_to_clipboard)
        self.saver.message.connect(self.progress_label.setText)
        self.saver.error.connect(self._show_error)
        self.saver.busy_changed.connect(self._update_state)
        self.saver.saved.connect(self.saved)
        self.saver.fallback_offered.connect(self.run_panel.show_fallback)
        self.run_panel.fallback_button.clicked.connect(self._fallback_clicked)

        ctx = Qt.ShortcutContext.WidgetWithChildrenShortcut
        self.paste_shortcut = QShortcut(QKeySequence.StandardKey.Paste, self, self._paste_shortcut, context=ctx)
        self.save_shortcut = QShortcut(QKeySequence.StandardKey.Save, self, self._save_shortcut, context=ctx)

        self.runner.progress.connect(self._on_progress)
        self.runner.metrics.connect(self._on_metrics)
        self.runner.preview.connect(self._on_preview)
        self.runner.notice.connect(self._on_notice)
        self.runner.finished.connect(self._on_finished)
        self.runner.failed.connect(self._on_failed)
        self.runner.running_changed.connect(self._on_running_changed)

    def _open_recipe_clicked(self) -> None:
        self.open_recipe()

    def _stop_clicked(self) -> None:
        self.stop(keep=False)

    def _keep_clicked(self) -> None:
        self.stop(keep=True)

    def _save_clicked(self) -> None:
        self.save_artwork(wait=False)

    def _fallback_clicked(self) -> None:
        self.saver.save_fallback(wait=False)

    def _gif_clicked(self) -> None:
        self.save_timelapse(wait=False)

    # ====================================================================================== settings
    def style_weight(self) -> float:
        return float(self.strength_spin.value())

    def tv_weight(self) -> float:
        return float(self.smooth_spin.value())

    def control_values(self) -> dict:
        return self.form.control_values()

    def settings(self) -> StyleSettings:
        return self.form.settings()

    def set_settings(self, settings: StyleSettings | dict) -> None:
        self.form.set_settings(settings)

    def preset(self) -> str:
        return self.form.preset()

    def apply_preset(self, name: str) -> None:
        self.form.apply_preset(name)

    def matches_preset(self, name: str) -> bool:
        return self.form.matches_preset(name)

    def _on_controls_changed(self, *_args) -> None:
        self.form.controls_changed()

    def _on_form_changed(self) -> None:
        self.view.set_iterations(self.iter_spin.value())
        self._update_state()

    def _aspect(self) -> float:
        thumb = self.content.thumb.image
        if thumb is None:
            return 1.0
        return thumb.shape[1] / max(1, thumb.shape[0])

    def _missing_inputs(self) -> str:
        if self.content.path() is None:
            return "Add a photo: drop it, choose it, or paste it (Ctrl+V)."
        try:
            s = self.settings()
        except (StyleError, TypeError, ValueError):
            return ""  # Start explains it
        needs_style = (s.style_weight > 0 and bool(s.style_layers)) or s.init == "style"
        if needs_style and not self.styles.paths():
            return "Add at least one style painting."
        if self.animation.active() and self.animation.frame_count() == 0:
            return "Choose at least one frame of the animation to paint."
        if self.features.rung() is None:
            return ("The chosen network is not on this computer: get it under Settings → Features, "
                    "or choose 'Best available'.")
        return ""

    def _update_state(self, *_args) -> None:
        running = self.runner.is_running()
        missing = self._missing_inputs()
        self.start_button.setEnabled(not running and not missing)
        self.start_button.setToolTip(missing or "Start painting; the settings are locked while it runs")
        self.stop_button.setEnabled(running)
        self.keep_button.setEnabled(running)
        has_result = self.result is not None and not running and not self.saver.is_busy()
        self.save_button.setEnabled(has_result)
        self.gif_button.setEnabled(has_result and bool(self.result.timelapse))
        shown = self.preview.image is not None
        self.copy_button.setEnabled(shown)
        self.run_panel.fallback_button.setEnabled(not self.saver.is_busy())
        self.view.update_buttons()
        self.form.set_editable(not running)
        for w in (self.content.drop, self.content.choose_button, self.open_recipe_button):
            w.setEnabled(not running)
        self.content.clear_button.setEnabled(not running and self.content.path() is not None)
        self.styles.set_enabled_editing(not running)
        self.content.set_regions_editable(not running)
        self.masks.set_running(running)
        self.animation.set_editable(not running)
        if not running and self.result is None and self.error_label.isHidden() and not shown:
            self.progress_label.setText(missing or "Ready — press Start.")

    # ============================================================================================ run
    def start(self) -> None:
        if self.runner.is_running():
            return
        self._show_error("")
        try:
            settings = self.settings()
            check_settings(settings)  # an out-of-range value (a recipe, an override) is refused before any work
            missing = self._missing_inputs()
            if missing:
                raise StyleError(missing)
            if self.animation.active():
                from studio.preferences import resolve_runtime

                job = self.animation.make_job(settings, self.content.path(), self.styles.paths(),
                                              self.styles.weights(), self.styles.masks(), self.content.regions(),
                                              resolve_runtime().workspace / "animations")
            else:
                job = StyleTransferJob(settings, self.content.path(), self.styles.paths(), self.styles.weights(),
                                       style_masks=self.styles.masks(), content_mask=self.content.regions())
        except (StyleError, TypeError, ValueError, OSError) as exc:
            self._show_error(describe_error(exc))
            return
        if isinstance(job, AnimationStyleJob):
            self._job, self.result = job, None
            self.saver.drop_offer()
            self.view.clear_losses()
            self.eta.reset(None)
            self.preview.set_placeholder("Painting the first frame…")
            self.run_panel.run_started(self.animation.frame_count())
            self.runner.start(job)
            return
        self._job = job
        self.result = None
        self.saver.drop_offer()
        self.view.clear_losses()
        try:
            plan = plan_scales(settings)
            anchor = look_anchor(plan) if settings.keep_look and settings.look_weight > 0 else None
            costs = plan_costs(plan, anchor)
        except Exception:  # noqa: BLE001 - a plan change in the engine only costs ETA accuracy
            plan, costs = [], None
        self.view.mark_scales(plan)
        self.eta.reset(costs)
        self._set_before(self.content.path())
        self.preview.set_placeholder(PLACEHOLDER)
        self.run_panel.run_started(settings.iterations)
        self.runner.start(job)

    def stop(self, keep: bool = True) -> None:
        if not self.runner.is_running():
            return
        if isinstance(self._job, StyleTransferJob):
            self._job.settings.keep_on_stop = keep
        self.progress_label.setText("Keeping the current result…" if keep else "Stopping…")
        self.runner.stop()

    def is_busy(self) -> bool:
        return self.runner.is_running()

    def _on_running_changed(self, _on: bool) -> None:
        self._update_state()

    def _on_progress(self, ev) -> None:
        if isinstance(self._job, AnimationStyleJob) and ev.total:  # counted in frames; the job says time left
            self.progress_label.setText(ev.text[:1].upper() + ev.text[1:])
            self.progress_bar.setRange(0, ev.total)
            self.progress_bar.setValue(ev.step)
            return
        self.run_panel.show_progress(ev, self.eta)

    def _on_metrics(self, items: list) -> None:
        self.view.add_metrics(items)

    def _on_preview(self, ev) -> None:
        self.preview.set_image(ev.image)
        self._update_state()

    def _on_notice(self, ev) -> None:
        level = getattr(ev, "level", "")
        if level in ("warning", "error"):
            self._show_error(ev.text, level)

    def _on_finished(self, ev) -> None:
        self._job = None
        self.progress_bar.hide()
        if isinstance(ev.result, AnimationResult):
            self.progress_label.setText(self.animation.finished(ev.result))
            if not ev.result.stopped:
                self.saved.emit(ev.result.output)
        elif not isinstance(ev.result, StyleResult):
            self.preview.set_image(None)
            self.preview.set_placeholder("Stopped — nothing kept. Press Start to paint again.")
            self.progress_label.setText("Stopped; nothing kept.")
        else:
            self.result = ev.result
            self.preview.set_image(ev.result.image)
            h, w = ev.result.image.shape[:2]
            how = "Stopped early; kept" if ev.result.stopped else "Done"
            took = format_duration(ev.result.seconds, approximate=False)
            self.progress_label.setText(f"{how}: {ev.result.iterations} iterations in {took} · {w} × {h} px.")
        self._update_state()

    def _on_failed(self, ev) -> None:
        self._job = None
        self.progress_bar.hide()
        self._show_error(ev.message)
        self.progress_label.setText("The run failed.")
        self._update_state()

    def _show_error(self, text: str, level: str = "error") -> None:
        self.run_panel.show_error(text, level)

    def error_message(self) -> str:
        return self.run_panel.error_message()

    # ====================================================================================== inputs
    def _on_content_changed(self) -> None:
        problem = self.animation.set_source(self.content.path())
        if problem:
            self._show_error(problem)
        self.masks.photo_changed()
        if self.preview.image is None or self.result is None:
            self._set_before(self.content.path())
        self._on_controls_changed()

    def _set_before(self, path: str | None) -> None:
        self.view.set_before(path)
        self._update_state()

    def paste(self, mime: QMimeData | None = None) -> list[str]:
        """Clipboard pictures or picture files: the photo when there is none yet, otherwise styles.
        Raw pictures are saved under the workspace first so recipes can name them. Returns the paths."""
        if self.runner.is_running():
            self._show_error("Wait for the painting to finish (or stop it) before changing the pictures.")
            return []
        if mime is None:
            mime = QGuiApplication.clipboard().mimeData()
        paths, problem = paths_from_mime(mime)
        if not paths:
            self._show_error(problem or "The clipboard holds no picture or picture file to paste.")
            return []
        self._show_error("")
        taken, message = place_pasted(paths, self.content, self.styles)
        if message:
            self.progress_label.setText(message)
        return taken

    def _paste_shortcut(self) -> None:
        self.paste()

    def _save_shortcut(self) -> None:
        if self.save_button.isEnabled():
            self.save_artwork(wait=False)

    # ====================================================================================== masks
    def _on_styles_changed(self) -> None:
        self.masks.styles_changed()
        rows = list(self.styles.rows)
        self.content.set_styles(rows, [Path(r.path).name for r in rows])
        self._update_state()

    @property
    def _mask_dialogs(self) -> dict:
        return self.masks.dialogs

    def mask_dialog(self, target: StyleRow | int | None = None) -> MaskDialog | None:
        """The open mask window of a style row (or its index in the list), or of the photo (None)."""
        return self.masks.dialog(target)

    def style_masks(self) -> list:
        """Per painting, the part to use (float H×W at that painting's size) or None for all of it."""
        return self.styles.masks()

    def content_regions(self):
        """Which style goes where: float H×W×R at the photo's size (R = paintings, in list order), or None."""
        return self.content.regions()

    def open_style_mask(self, target: StyleRow | int) -> MaskDialog | None:
        return self.masks.open_style_mask(target)

    def open_region_mask(self) -> MaskDialog | None:
        return self.masks.open_region_mask()

    # ====================================================================================== recipes
    def open_recipe(self, path: str | Path | None = None) -> bool:
        """Restore every setting, the photo, the paintings and their blend weights from a recipe or artwork, and
        show the artwork (or, for a recipe without one beside it, the photo). Files that are gone are named in
        the message; everything else is still restored."""
        if self.runner.is_running():
            return False
        if path is None:
            path, _ = QFileDialog.getOpenFileName(self, "Open recipe", self.saver.start_dir(), RECIPE_FILTER)
            if not path:
                return False
        path = Path(path)
        self.saver.last_dir = str(path.parent)
        try:
            self._show_error("")
            notes = restore_recipe(path, self.form, self.content, self.styles)
            self.animation.apply_recipe(path)
        except StyleError as exc:
            self._show_error(describe_error(exc))
            return False
        self._show_opened(path)
        if notes:
            self._show_error(f"Recipe {path.name} opened, but these were not found: {'; '.join(notes)}. "
                             "Add them again to repeat it exactly.", "warning")
        self.progress_label.setText(f"Recipe {path.name} opened — press Start to paint it again.")
        self._update_state()
        return True

    def _show_opened(self, path: Path) -> None:
        """The canvas follows the recipe: its artwork when there is one, else the restored photo (else empty).
        The last run's result is no longer what is on show, so it cannot be saved under the new recipe's name."""
        self.result = None
        photo = self.content.path()
        self._set_before(photo)
        artwork = artwork_for_recipe(path)
        image = load_picture(str(artwork), OPENED_SIDE) if artwork is not None else None
        if image is None:
            image = load_picture(photo, OPENED_SIDE)
        self.preview.set_image(image)
        if image is None:
            self.preview.set_placeholder(PLACEHOLDER)

    # ====================================================================================== session
    def session_state(self) -> dict:
        """The photo, paintings, blend weights, preset and settings on show, for the window's working session."""
        return session.session_state(self)

    def restore_session(self, state: dict) -> list[str]:
        """Put a ``session_state`` back; returns (and shows) a sentence for each thing that could not be."""
        return session.restore_session(self, state)

    # ====================================================================================== export
    def save_artwork(self, path: str | Path | None = None, wait: bool | None = None) -> Path | None:
        """Save the result off the GUI thread. With a ``path`` (scripts) this returns the file written; from the
        dialog it returns at once and the status line says when the file is there."""
        if self.result is None:
            return None
        return self.saver.save_artwork(self.result, path, wait)

    def save_timelapse(self, path: str | Path | None = None, fps: float | None = None,
                       wait: bool | None = None) -> Path | None:
        """An animated GIF of the run's previews, ending on the finished picture held for a moment."""
        if self.result is None or not self.result.timelapse:
            self._show_error("This run kept no timelapse frames.")
            return None
        kwargs = {} if fps is None else {"fps": fps}
        return self.saver.save_timelapse(list(self.result.timelapse), path, wait=wait, **kwargs)

    def copy_to_clipboard(self) -> bool:
        """Put the picture on show (the result, or the live preview while painting) on the clipboard."""
        image = self.result.image if self.result is not None else self.preview.image
        if image is None:
            return False
        QGuiApplication.clipboard().setImage(uint8_to_qimage(image))
        h, w = image.shape[:2]
        self.progress_label.setText(f"Copied the {w} × {h} px picture to the clipboard.")
        return True

    def shutdown(self, timeout_ms: int = 10_000) -> bool:
        self.masks.close_all()
        stylize = self.runner.shutdown(timeout_ms)
        saving = self.saver.shutdown(timeout_ms)
        downloads = self.features.shutdown(timeout_ms)
        return stylize and saving and downloads
