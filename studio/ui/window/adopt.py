"""Pages joining the window once they are built: shortcuts, help links, status messages, preferences,
and the runners whose jobs the status bar follows. Conveniences only: a hook that fails leaves the page
working."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QShortcut
from PySide6.QtWidgets import QWidget

from studio.preferences import save_config
from studio.ui.drop_routing import DropOption
from studio.ui.window.pages import PAGE_HELP

__all__ = ["AdoptRoom"]


class AdoptRoom:
    """Hooks that connect each built page to the window."""

    # ------------------------------------------------------------------------ pages, once built
    def _shell_engine_ready(self, info) -> None:
        for key in ("train", "explore", "stylize", "gallery"):
            self.adopt_page(key)
        if self.settings_dialog is not None and info.ok:
            self.settings_dialog.engine_ready()
        if self.welcome_dialog is not None and info.ok:
            self._welcome_engine_ready(self.welcome_dialog)
        pending, self._pending_routes = self._pending_routes, []
        for item in pending:
            if item == "demo":
                self.try_demo()
            elif isinstance(item, DropOption):
                self.run_drop_option(item)
        if self._startup_questions and info.ok:
            QTimer.singleShot(0, self._startup_offers)

    def adopt_page(self, key: str) -> None:
        """Once per page: shortcuts, help links, status messages and preferences from the window."""
        page = {"train": self.train_page(), "explore": self.explore_page(), "stylize": self.stylize_page(),
                "gallery": self.gallery_page()}.get(key)
        if page is None or id(page) in self._adopted:
            return
        self._adopted.add(id(page))
        self._claim_shortcuts(page)
        self.watch_page_jobs(page)
        page.setProperty("helpTopic", PAGE_HELP[key])
        from studio.ui.theme import current_theme, restyle_plots

        if current_theme() != "dark":
            restyle_plots(page)  # plots are painted, not styled: built after a switch, they need telling
        hook = getattr(self, f"_adopt_{key}", None)
        if hook is not None:
            try:
                hook(page)
            except Exception as exc:  # noqa: BLE001 - conveniences must never break a working page
                print(f"studio: could not connect the {key} page to the window: {exc}")

    def _claim_shortcuts(self, page: QWidget) -> None:
        mine = {k.toString() for a in self.window_actions.values() for k in a.shortcuts()}
        def in_this_window(obj) -> bool:  # not a page's own dialog (a mask editor keeps its keys)
            parent = obj.parent()
            return isinstance(parent, QWidget) and parent.window() is self

        for sc in page.findChildren(QShortcut):
            if sc.key().toString() in mine and in_this_window(sc):
                sc.setEnabled(False)  # the window's action routes to the same method
        for action in page.findChildren(QAction):
            if (action.shortcut().toString() in mine and action not in self.window_actions.values()
                    and in_this_window(action)):
                action.setShortcuts([])

    def _adopt_train(self, page) -> None:
        from studio.ui.help_page import help_link

        plots = getattr(page, "plots", None)
        if plots is not None:
            self.tag_help(plots, "losses")
            hint = getattr(plots, "hint_label", None)
            if hint is not None:
                hint.setTextFormat(Qt.TextFormat.RichText)
                hint.setText(f"{hint.text()} {help_link('losses', 'Why do they wobble?')}")
                hint.linkActivated.connect(self._open_help_link)
                self._link_labels.append(hint)
        settings = getattr(page, "settings", None)
        for name in ("lr_g", "lr_d", "skip_d_below", "loss", "d_steps"):
            self.tag_help(getattr(settings, name, None), "problems")
        page.dataset.dataset_changed.connect(self._on_dataset_changed)
        page.export_runner.finished.connect(self._on_saved_result)
        self.runner.finished.connect(self._on_training_finished)

    def _adopt_explore(self, page) -> None:
        page.export_runner.finished.connect(self._on_saved_result)
        self._apply_export_defaults()

    def _adopt_stylize(self, page) -> None:
        for name in ("strength", "strength_spin", "smooth", "smooth_spin"):
            self.tag_help(getattr(page, name, None), "style")
        runner = getattr(page, "runner", None)
        if runner is not None:
            runner.finished.connect(self._on_painting_finished)
        features = getattr(page, "features", None)
        if features is not None:
            if features.vgg19_path() is None and self.config.vgg19_path:
                features.set_vgg19_path(self.config.vgg19_path)
            features.changed.connect(self._on_stylize_features_changed)

    def _adopt_gallery(self, page) -> None:
        if hasattr(page, "workspace_changed"):
            page.workspace_changed.connect(lambda path: self.show_status(f"Workspace: {path}"))

    def _on_stylize_features_changed(self) -> None:
        page = self.stylize_page()
        path = page.features.vgg19_path() if page is not None else None
        if path != self.config.vgg19_path:
            self.config.vgg19_path = path
            try:
                save_config(self.config)
            except OSError:
                pass

    def _on_dataset_changed(self) -> None:
        page = self.train_page()
        summary = getattr(getattr(page, "dataset", None), "summary", None)
        if summary is None:
            return
        if summary.error:
            self.show_status(f"Dataset not usable: {summary.error}")
        else:
            self.show_status(f"Dataset loaded: {summary.count:,} picture{'s' if summary.count != 1 else ''} "
                             f"({summary.title})")

    def _on_saved_result(self, finished) -> None:
        if getattr(finished, "cancelled", False):
            self.show_status("Export cancelled; nothing was kept.")
        elif getattr(finished, "result", None) is not None:
            self.show_status(f"Saved {Path(str(finished.result)).name}")

    def _on_training_finished(self, finished) -> None:
        page = self.train_page()
        if page is None or not hasattr(finished.result, "run_dir") or self._closing_done:
            return
        step = getattr(finished.result, "step", None)
        at = f" at step {step:,}" if isinstance(step, int) else ""
        verb = "stopped" if finished.cancelled else "finished"
        self.show_status(f"Training {verb}{at}; checkpoint saved in {Path(finished.result.run_dir).name}.")

    def _on_painting_finished(self, finished) -> None:
        if not finished.cancelled:
            self.show_status("Painting finished: Save (Ctrl+S) keeps it with its recipe.")

    # -------------------------------------------------------------------------------- shutdown
    def _shell_shutdown(self, timeout_ms: int) -> None:
        for dialog in (self.settings_dialog, self.welcome_dialog):
            if dialog is not None and hasattr(dialog, "shutdown"):
                dialog.shutdown(timeout_ms)
