"""The Explore room: it makes the parts (header, runs, browser, favourites, timeline, player, export), wires
their signals, opens generators, and turns what the render queue returns into pictures in the right part.

All model work (loading, rendering the grid, rendering the walk) runs on one render queue, one job at a time;
exports run on the export panel's own runner (WalkExportJob opens its own copy of the generator).
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QWidget

from studio.engine.errors import describe_error
from studio.engine.latent.favourites import entry_key, seed_entry
from studio.engine.latent.walk_preview import entries_from_timeline, segment_plan, timeline_key
from studio.ui.explore.banners import ErrorBanner, ResultBanner
from studio.ui.explore.browser import GRID_KINDS, NEXT, SampleBrowser
from studio.ui.explore.export_panel import ExportPanel
from studio.ui.explore.favourites_panel import FavouritesPanel
from studio.ui.explore.header import GeneratorHeader
from studio.ui.explore.layout import build_layout
from studio.ui.explore.player import Player
from studio.ui.explore.preview import WalkPreview
from studio.ui.explore.render_queue import RenderQueue
from studio.ui.explore.runs_panel import RunsPanel
from studio.ui.explore.session import ExploreSession
from studio.ui.explore.timeline_editor import TimelineEditor

# Widgets of the parts, also reachable as attributes of the page (the window, tests and tools use them).
PART_WIDGETS = {
    "header": ("open_file_button", "open_run_button", "open_recipe_button", "generator_label", "ema_check",
               "render_label", "render_progress"),
    "runs_panel": ("runs_list", "runs_hint", "refresh_runs_button"),
    "browser": ("new_batch_button", "critic_check", "pick_caption", "seed_spin", "show_seed_button", "truncation_slider",
                "truncation_label", "grid"),
    "favourites_panel": ("preview_view", "preview_caption", "star_button", "favourites", "unstar_button",
                         "add_key_button", "variations_button", "variation_slider", "variation_label"),
    "timeline": ("keyframes", "move_left_button", "move_right_button", "duplicate_button", "remove_key_button",
                 "undo_button", "redo_button", "loop_check", "fps_spin", "timeline_summary"),
    "segment_controls": ("segment_label", "frames_spin", "seconds_spin", "unit_combo", "easing_combo", "interp_combo",
                         "wander_check", "wander_radius_spin", "wander_frames_spin", "wander_shuffle_button"),
    "player": ("player_view", "play_button", "scrub", "frame_label", "repeat_check", "play_timer"),
    "export_panel": ("format_combo", "size_spin", "resample_combo", "gif_plays_spin", "palette_combo", "grid_combo",
                     "size_estimate_label", "export_button", "cancel_export_button", "export_progress",
                     "export_status", "resample_label", "gif_plays_label", "palette_label", "grid_label"),
}

# What the page offers from its parts: "name" or "page name:the part's name".
PART_METHODS = {
    "timeline": ("timeline_state", "can_undo", "can_redo", "undo", "redo", "duplicate_keyframe", "remove_keyframe",
                 "segment_unit", "set_segment", "set_wander", "add_keyframes"),
    "browser": ("new_batch", "show_seeds", "show_seed", "truncation"),
    "favourites_panel": ("variation_strength", "toggle_entry:toggle", "remove_selected_favourites:remove_selected",
                         "save_favourites:save", "favourite_keys:keys"),
    "player": ("play", "stop_playback:stop"),
    "export_panel": ("gif_loop", "set_gif_loop", "export_settings", "grid_cells", "set_grid_cells",
                     "update_size_estimate"),
    "preview": ("render_preview:render",),
}

class ExplorePage(QWidget):
    """See the module docstring."""

    stylize_requested = Signal(object)  # a folder of the walk's PNG frames, for the Stylize page

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("explorePage")
        self._rng = random.Random()
        self.queue = RenderQueue(self)
        self.render_runner = self.queue.runner
        self.session = ExploreSession(self.queue)
        self._opening = False
        self._pending_recipe: tuple | None = None  # (token, timeline, settings, generator) to apply once opened

        self.header = GeneratorHeader()
        self.error_banner = ErrorBanner(self)
        self.result_banner = ResultBanner(self)
        self.runs_panel = RunsPanel()
        self.browser = SampleBrowser(self.session, self._rng)
        self.favourites_panel = FavouritesPanel(self.session)
        self.timeline = TimelineEditor(self._rng, self.session.icon)
        self.player = Player()
        self.export_panel = ExportPanel()
        self.export_runner = self.export_panel.runner
        self.segment_controls = self.timeline.segment
        for part, names in PART_WIDGETS.items():
            for name in names:
                setattr(self, name, getattr(getattr(self, part), name))
        self.error_text, self.error_close_button = self.error_banner.text, self.error_banner.close_button
        self.result_text, self.result_close_button = self.result_banner.text, self.result_banner.close_button
        self.show_result_button = self.result_banner.show_button

        self.timeline.truncation = self.browser.truncation
        self.player.current_key = self._timeline_key
        self.player.grid_cells = self.export_panel.grid_cells
        self.export_panel.preview = self._current_preview
        self.preview = WalkPreview(self.session, self.player, self.current_timeline, self)
        for part, names in PART_METHODS.items():
            for name in names:
                mine, _, theirs = name.partition(":")
                setattr(self, mine, getattr(getattr(self, part), theirs or mine))
        build_layout(self)
        self._connect()
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self._on_about_to_quit)
        self.refresh_runs()
        self._update_controls()

    def _connect(self) -> None:
        h = self.header
        h.generator_chosen.connect(self.open_generator)
        h.recipe_chosen.connect(self.open_recipe)
        h.ema_check.toggled.connect(self.set_use_ema)
        self.runs_panel.run_chosen.connect(self.open_generator)
        self.browser.truncation_changed.connect(self.timeline.refresh)
        self.browser.grid_changed.connect(self._on_grid_changed)
        self.browser.waiting_changed.connect(self._on_render_running)
        self.grid.selected.connect(self._on_sample_selected)
        self.grid.star_requested.connect(self._on_star_requested)
        fp = self.favourites_panel
        fp.star_button.clicked.connect(self._on_star_selected)
        fp.variations_button.clicked.connect(self.show_variations)
        fp.add_key_button.clicked.connect(self.add_selected_favourites_to_timeline)
        fp.changed.connect(self._on_favourites_changed)
        fp.save_failed.connect(self._show_error)
        fp.favourites.itemSelectionChanged.connect(self._update_controls)
        self.keyframes.favourites_dropped.connect(self.add_keyframes)
        self.timeline.edited.connect(self._on_timeline_edited)
        self.timeline.keyframe_selected.connect(self._on_keyframe_selected)
        self.timeline.playback_fps.connect(self.player.set_fps)
        self.timeline.playback_fps.connect(self.export_panel.estimate_soon)
        self.player.frames_changed.connect(self._update_controls)
        self.player.frames_changed.connect(self.export_panel.estimate_soon)
        ep = self.export_panel
        ep.cells_changed.connect(self.player.redraw)
        ep.saved.connect(self.result_banner.show_saved)
        ep.saved.connect(self._on_walk_saved)
        ep.failed.connect(self._on_export_failed)
        ep.refused.connect(self._on_export_refused)
        ep.export_button.clicked.connect(self._ask_export)
        ep.stylize_button.clicked.connect(self.stylize_walk)
        self.export_runner.running_changed.connect(self._update_controls)
        q = self.queue
        q.progress.connect(self._on_render_progress)
        q.result.connect(self._on_render_result)
        q.failure.connect(self._on_render_failed)
        q.running_changed.connect(self._on_render_running)
        ctx = Qt.ShortcutContext.WidgetWithChildrenShortcut
        self.undo_shortcut = QShortcut(QKeySequence.StandardKey.Undo, self, self.undo, context=ctx)
        self.redo_shortcut = QShortcut(QKeySequence("Ctrl+Shift+Z"), self, self.redo, context=ctx)
        self.redo_shortcut_alt = QShortcut(QKeySequence("Ctrl+Y"), self, self.redo, context=ctx)
        self.variations_shortcut = QShortcut(QKeySequence("V"), self.grid, self.show_variations,
                                             context=Qt.ShortcutContext.WidgetShortcut)

    # ================================================================================ public state
    @property
    def _generator(self):
        return self.session.generator

    @property
    def _grid_images(self) -> list[np.ndarray]:
        return self.browser.grid_images

    @property
    def _frames(self) -> np.ndarray | None:
        return self.player.frames

    def generator_info(self):
        return self.session.info

    def has_generator(self) -> bool:
        return self.session.generator is not None

    def is_busy(self) -> bool:
        return self.queue.is_busy()

    def error_message(self) -> str:
        return self.error_text.text() if self.error_banner.isVisibleTo(self) else ""

    def result_message(self) -> str:
        return self.result_text.text() if self.result_banner.isVisibleTo(self) else ""

    def favourite_seeds(self) -> list[int]:
        return self.favourites.seeds()

    def preview_frames(self) -> np.ndarray | None:
        return self.player.frames

    def _current_preview(self) -> tuple[np.ndarray | None, float]:
        """The frames the GIF estimate may use (only those of the timeline as it is now) and the frame rate."""
        return (self._frames if self.preview_is_current() else None), float(self.fps_spin.value())

    def preview_is_current(self) -> bool:
        """True when the player shows the frames of the timeline as it is now."""
        return self.player.is_current()

    def uses_ema(self) -> bool:
        """Whether the open generator renders with its EMA weights."""
        info = self.session.info
        return bool(info is not None and info.ema)

    # ================================================================================ runs / opening
    def refresh_runs(self) -> None:
        """Look again for runs in the workspace (the window calls this when a job ends)."""
        self.runs_panel.refresh()

    def open_recipe(self, path: str | Path) -> bool:
        """Open the generator a walk recipe names and restore its timeline and export settings."""
        from studio.engine.latent.jobs import load_recipe

        try:
            gen_path, timeline, settings = load_recipe(Path(path))
        except ValueError as exc:
            self._show_error(describe_error(exc), "Could not open the recipe.")
            return False
        if not gen_path.exists():
            self._show_error(f"The generator this recipe was made with is missing: {gen_path}")
            return False
        self.open_generator(gen_path, use_ema=settings.get("weights", "ema") == "ema")
        self._pending_recipe = (self.queue.token, timeline, settings, gen_path)
        return True

    def _apply_recipe(self, timeline, settings: dict, gen_path: Path) -> None:
        from studio.engine.latent.jobs import generator_matches

        entries = entries_from_timeline(timeline, self.session.info.latent_dim)
        self.browser.set_truncation(timeline.truncation)
        self.timeline.apply_state({"keyframes": entries, "loop": bool(timeline.loop), "fps": float(timeline.fps)}, 0)
        self.export_panel.apply_recipe(settings)
        missing = [e for e in entries if self.session.thumbs.get(entry_key(e)) is None]
        if missing:
            self.session.render_entries("keys", "Drawing keyframes", missing, self.truncation())
        if not generator_matches(gen_path, settings):
            self._show_error("This generator has changed since the recipe was exported (its SHA-256 differs), "
                             "so the frames may not match the original animation.")

    def open_generator(self, source: str | Path, use_ema: bool = True) -> None:
        """Load a generator file or a run's newest checkpoint in the background (EMA weights when it has them
        and ``use_ema`` is set)."""
        source = Path(source)
        self.queue.new_generation()
        self._opening = True
        self.stop_playback()
        self.error_banner.hide()
        self._load(source, use_ema, "open", f"Opening {source.name}")

    def _load(self, source: Path, use_ema: bool, kind: str, title: str) -> None:
        def load(ctx):
            from studio.engine.device import pick_device
            from studio.engine.latent.jobs import open_generator

            return open_generator(source, pick_device("auto"), use_ema=use_ema)

        self.queue.submit(kind, title, load, source=source)

    def set_use_ema(self, on: bool) -> None:
        """The raw/EMA switch: reload the generator's other weights and redraw everything with them."""
        info, source = self.session.info, self.session.source
        if info is None or source is None or not info.has_ema or bool(on) == info.ema:
            self.header.sync_ema(info, self._opening)
            return
        self.stop_playback()
        self._load(source, bool(on), "weights", "Switching weights")

    def _swap_weights(self, generator, info) -> None:
        """New weights for the same generator: every picture and cached frame is drawn again."""
        self.session.generator, self.session.info = generator, info
        self.session.thumbs.clear()
        self.preview.forget()
        self.player.forget_frames()
        self.header.sync_ema(info, self._opening)
        self.browser.render_again()
        self._redraw_strips()
        if self.current_timeline() is not None:
            self.render_preview()
        self._update_controls()

    def _redraw_strips(self) -> None:
        psi = self.truncation()
        for kind, title, entries in (("favs", "Drawing favourites", self.favourites.datas()),
                                     ("keys", "Drawing keyframes", self.keyframes.datas())):
            if entries:
                self.session.render_entries(kind, title, entries, psi)

    def _install_generator(self, source: Path, generator, info) -> None:
        s = self.session
        s.install(source, generator, info)
        self._opening = False
        s.thumbs.clear()
        self.preview.forget()
        self.player.clear()
        self.keyframes.clear()
        self.timeline.latent_dim = info.latent_dim
        self.header.show_generator(source, info)
        self.header.sync_ema(info, self._opening)
        entries = self.favourites_panel.load_for(source)
        if entries:
            s.render_entries("favs", "Drawing favourites", entries, self.truncation())
        self.browser.set_enabled_for(True)  # before the first batch: whether the critic may choose it
        self.new_batch()
        self.timeline.reset_history()
        recipe, self._pending_recipe = self._pending_recipe, None
        if recipe is not None and recipe[0] == self.queue.token:
            self._apply_recipe(recipe[1], recipe[2], recipe[3])
        self.timeline.refresh()
        self._update_controls()

    # ================================================================================ render results
    def _on_render_result(self, job, result) -> None:
        if job.kind == "open":
            self._install_generator(job.source, *result)
        elif job.kind == "weights":
            self._swap_weights(*result)
        elif job.kind in GRID_KINDS:
            self.browser.take_result(job.kind, *result)
        elif job.kind == NEXT:
            self.browser.take_next(*result)
        elif job.kind in ("favs", "keys"):
            entries, images = result
            for e, im in zip(entries, images, strict=True):
                self.session.thumbs[entry_key(e)] = im
            self._refresh_icons()
        elif job.kind == "walk":
            self.preview.take_result(*result)

    def _on_render_failed(self, job, failed) -> None:
        """The engine's sentence is shown as it is, under a heading saying what was being done."""
        if job.kind == "open":
            self._opening = False
            name = job.source.name if job.source is not None else "that file"
            self._show_error(failed.message, f"Could not open {name}.")
        elif job.kind == "weights":
            self._show_error(failed.message, "Could not switch the weights.")
            self.header.sync_ema(self.session.info, self._opening)
        else:
            self._show_error(failed.message, "Rendering failed.")
        self.player.cancel_pending_play()

    def _on_render_progress(self, job, progress) -> None:
        if job.kind != NEXT or self.browser.waiting_for_next():  # work ahead of the artist shows once they wait
            self.header.show_progress(progress, job.title)

    def _on_render_running(self, _running: bool = False) -> None:
        asked = self.queue.foreground_busy()
        waiting = self.browser.waiting_for_next() and not asked
        self.header.set_rendering(asked or waiting)
        if waiting:  # its progress was reported before anyone waited for it
            self.header.show_waiting("Choosing the next batch")
        self._update_controls()

    def _refresh_icons(self) -> None:
        self.favourites_panel.refresh_icons()
        self.timeline.refresh_icons(self.session.thumbs)

    # ================================================================================ browsing / favourites
    def show_variations(self) -> bool:
        return self.browser.show_variations(self.variation_strength())

    def _on_grid_changed(self) -> None:
        self.grid.set_starred(set(self.favourite_keys()))
        self._refresh_icons()

    def _on_sample_selected(self, index: int) -> None:
        if 0 <= index < len(self._grid_images):
            self.favourites_panel.show_sample(self._grid_images[index], self.grid.tiles[index].caption.text())
            self.body.show_selected()  # on a narrow screen the sample's tab comes forward
        self._update_controls()

    def _on_star_requested(self, index: int) -> None:
        entry = self.grid.tiles[index].entry if 0 <= index < self.grid.count else None
        if entry is not None:
            self.toggle_entry(entry)

    def _on_star_selected(self) -> None:
        entry = self.grid.current_entry()
        if entry is not None:
            self.toggle_entry(entry)

    def toggle_favourite(self, seed: int) -> bool:
        """Star or unstar a seed; returns True when it is now a favourite."""
        return self.toggle_entry(seed_entry(seed))

    def _on_favourites_changed(self) -> None:
        self.grid.set_starred(set(self.favourite_keys()))
        self._update_controls()

    # ================================================================================ timeline
    def add_selected_favourites_to_timeline(self) -> None:
        self.add_keyframes(self.favourites_panel.selected_or_all())

    def current_timeline(self):
        """The timeline the controls describe, or None without keyframes (or generator)."""
        return self.timeline.current_timeline() if self.session.info is not None else None

    def _timeline_key(self) -> str | None:
        return timeline_key(self.current_timeline())

    def _on_timeline_edited(self) -> None:
        self._update_controls()
        self.preview.follow_edit()

    def _on_keyframe_selected(self, row: int) -> None:
        """Jump the player to the start of that keyframe's segment."""
        self._update_controls()
        if self._frames is not None and row >= 0:
            tl = self.current_timeline()
            if tl is not None and tl.wander is None and row < len(tl.segment_starts()):
                self.scrub.setValue(tl.segment_starts()[row])

    # ================================================================================ preview
    segment_plan = staticmethod(segment_plan)

    @property
    def rendered_frame_count(self) -> int:
        """Frames the preview has rendered so far (only the segments an edit touched are rendered again)."""
        return self.preview.rendered_frame_count

    def current_frame_index(self) -> int:
        return self.scrub.value()

    def current_frame(self) -> np.ndarray | None:
        return self.player_view.image

    # ================================================================================ export
    def _ask_export(self) -> None:
        source = self.session.source
        path = self.export_panel.ask_path((source.stem if source is not None else "walk") + "-walk")
        if path:
            self.export_walk(path)

    def stylize_walk(self) -> bool:
        """Render the walk's frames into the workspace, then ask for them on the Stylize page (stylize_requested)."""
        source = self.session.source
        tl = self.current_timeline()
        if tl is None or source is None:
            return False
        folder = self.export_panel.frames_for_stylize((source.stem if source is not None else "walk") + "-walk")
        ok = self.export_panel.export_walk(tl, source, folder, self.uses_ema(), fmt="png-sequence")
        if ok:
            self._stylize_pending = folder
        return ok

    def _on_walk_saved(self, path) -> None:
        if getattr(self, "_stylize_pending", None) is not None and Path(path) == self._stylize_pending:
            self._stylize_pending = None
            self.stylize_requested.emit(Path(path))

    def export_walk(self, path: str | Path) -> bool:
        """Write the timeline to ``path`` in the chosen format, in the background."""
        tl = self.current_timeline()
        if tl is None or self.session.source is None:
            return False
        ok = self.export_panel.export_walk(tl, self.session.source, path, self.uses_ema())
        if ok:
            self.result_banner.hide()
        return ok

    def _on_export_failed(self, message: str) -> None:
        self._show_error(message, "The export failed.")

    def _on_export_refused(self, message: str) -> None:
        self._show_error(message, "Cannot export.")

    # ================================================================================ misc
    def _show_error(self, message: str, heading: str = "") -> None:
        self.error_banner.show_message(message, heading)

    def _update_controls(self, *_args) -> None:
        has_gen = self.session.generator is not None
        self.header.set_opening(self._opening)
        self.runs_list.setEnabled(not self._opening)
        info = self.session.info
        self.ema_check.setEnabled(bool(info is not None and info.has_ema) and not self._opening)
        self.browser.set_enabled_for(has_gen)
        self.favourites_panel.update_controls(has_gen, self.grid.current_entry())
        self.timeline.update_controls()
        has_tl = has_gen and self.keyframes.count() > 0
        self.player.update_controls(has_tl)
        self.export_panel.update_controls(has_tl)

    def shutdown(self, timeout_ms: int = 30_000) -> bool:
        """Stop timers and background work; join the worker threads."""
        self.browser.stop()
        self.preview.stop()
        self.player.stop()
        self.export_panel.stop_timers()
        ok = self.queue.shutdown(timeout_ms)
        return self.export_runner.shutdown(timeout_ms) and ok

    def _on_about_to_quit(self) -> None:
        self.shutdown()
