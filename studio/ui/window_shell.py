"""The window's conventions: menus and shortcuts, drops anywhere, settings, help, welcome, resume.

``StudioShell`` is a mixin for ``MainWindow`` (listed before ``QMainWindow``): the window builds pages
and runs jobs; the shell adds what makes it feel like a desktop app. Everything it asks the artist goes
through a method a test can replace (``drop_chooser``, ``ask_resume``), and nothing here imports torch.

Shortcuts follow ``QKeySequence`` standard keys, so each platform gets its own (Preferences is Ctrl+, on
macOS and lands in the application menu there). Where a page has its own shortcut for the same key
(Stylize's Ctrl+V and Ctrl+S, Explore's undo/redo, the Gallery's Ctrl+C), the page's one is switched
off once the page sits in the window and the window's action routes to the same method, so a key never
means two things at once.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import (
    QAction,
    QCursor,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QKeySequence,
    QShortcut,
)
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QFileDialog,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)

from studio.preferences import (
    clear_training_marker,
    current_config,
    interrupted_training,
    mark_training,
    save_config,
)
from studio.preferences import take_problem as take_config_problem
from studio.ui.drop_routing import DropOption, plan_drop
from studio.ui.widgets.drop_area import local_paths

__all__ = ["PAGE_HELP", "StudioShell"]

PAGE_HELP = {"train": "training", "explore": "latent", "stylize": "style", "gallery": "gan"}  # F1 per page
STATUS_MS = 8000
HELP_HINT = "  (F1: how it works)"
WALK_FORMAT_KEYS = {"gif": "gif", "mp4": "mp4", "png": "png-sequence"}  # config → Explore's format combo


def _keys(standard: QKeySequence.StandardKey, *fallback: str) -> list[QKeySequence]:
    """The platform's bindings for a standard key, or ``fallback`` where the platform has none."""
    keys = QKeySequence.keyBindings(standard)
    return list(keys) if keys else [QKeySequence(f) for f in fallback]


class StudioShell:
    """Mixin: call ``_init_shell`` in ``__init__`` (after the runner exists, before the menus)."""

    # ------------------------------------------------------------------------------------- setup
    def _init_shell(self, config_problem: str | None = None, startup_questions: bool | None = None) -> None:
        from studio.ui.preferences import startup_questions_allowed

        self.config = current_config()
        self._config_problem = config_problem if config_problem is not None else take_config_problem()
        self._startup_questions = startup_questions_allowed() if startup_questions is None else startup_questions
        self._pending_routes: list[DropOption | str] = []
        self._closing_while_training = False
        self._adopted: set[int] = set()
        self._link_labels: list[QLabel] = []  # rich text with links: re-laid out when the theme changes
        self.settings_dialog = None
        self.welcome_dialog = None
        self.about_dialog = None
        self.config_problem_box: QMessageBox | None = None
        self.drop_chooser = self.choose_drop_option  # (options) -> option | None; tests replace it
        self.setAcceptDrops(True)
        self.runner.started.connect(self._on_runner_started)
        self.runner.running_changed.connect(self._on_runner_running)
        self.engine_ready.connect(self._shell_engine_ready)

    def show_status(self, text: str, ms: int = STATUS_MS) -> None:
        """Say in the status bar what just happened."""
        self.statusBar().showMessage(text, ms)

    # -------------------------------------------------------------------------------------- menus
    def _make_action(self, text: str, slot, keys: list[QKeySequence] | None = None, tip: str = "",
                     role: QAction.MenuRole | None = None) -> QAction:
        action = QAction(text, self)
        if keys:
            action.setShortcuts(keys)
        if tip:
            action.setToolTip(tip)
            action.setStatusTip(tip)
        if role is not None:
            action.setMenuRole(role)
        action.triggered.connect(slot)
        return action

    def _build_studio_menus(self) -> None:
        from studio.ui.main_window import PAGES

        menu = self.menuBar()
        sk = QKeySequence.StandardKey
        file_menu = menu.addMenu("&File")
        self.open_dataset_action = self._make_action(
            "Open &dataset folder…", self.open_dataset_folder, _keys(sk.Open, "Ctrl+O"),
            "Train on every picture in a folder")
        self.open_generator_action = self._make_action(
            "Open &generator…", self.open_generator_file, [QKeySequence("Ctrl+Shift+O")],
            "Explore a trained generator (.safetensors)")
        self.open_recipe_action = self._make_action(
            "Open &recipe…", self.open_recipe_file, [QKeySequence("Ctrl+Alt+O")],
            "Open an artwork or animation with the recipe that made it")
        self.recent_menu = QMenu("Open &recent", self)
        self.recent_menu.setToolTipsVisible(True)
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self.save_action = self._make_action(
            "&Save / Export…", self.save_current, _keys(sk.Save, "Ctrl+S"),
            "Save what the current page made: the artwork, the sample grid, the animation, the selected item")
        self.preferences_action = self._make_action(
            "Se&ttings…", self.open_settings, _keys(sk.Preferences, "Ctrl+,"),
            "Device, workspace, pretrained features, theme and export defaults",
            QAction.MenuRole.PreferencesRole)
        self.quit_action = self._make_action(
            "&Quit", self.close, _keys(sk.Quit, "Ctrl+Q"), "Close the studio (asks first while training)",
            QAction.MenuRole.QuitRole)  # close, not quit: closing asks about training
        for a in (self.open_dataset_action, self.open_generator_action, self.open_recipe_action):
            file_menu.addAction(a)
        file_menu.addMenu(self.recent_menu)
        file_menu.addSeparator()
        file_menu.addAction(self.save_action)
        file_menu.addSeparator()
        file_menu.addAction(self.preferences_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)

        edit_menu = menu.addMenu("&Edit")
        redo_keys = _keys(sk.Redo, "Ctrl+Shift+Z")
        if QKeySequence("Ctrl+Y") not in redo_keys and QKeySequence("Ctrl+Shift+Z") in redo_keys:
            redo_keys.append(QKeySequence("Ctrl+Y"))
        self.undo_action = self._make_action("&Undo", lambda: self.edit("undo"), _keys(sk.Undo, "Ctrl+Z"),
                                             "Undo the last change where you are working (text, mask, timeline)")
        self.redo_action = self._make_action("&Redo", lambda: self.edit("redo"), redo_keys, "Redo what was undone")
        self.copy_action = self._make_action("&Copy", lambda: self.edit("copy"), _keys(sk.Copy, "Ctrl+C"),
                                             "Copy the selected text, the picture on show or the selected item")
        self.paste_action = self._make_action("&Paste", lambda: self.edit("paste"), _keys(sk.Paste, "Ctrl+V"),
                                              "Paste text, or pictures into Stylize")
        for a in (self.undo_action, self.redo_action):
            edit_menu.addAction(a)
        edit_menu.addSeparator()
        edit_menu.addAction(self.copy_action)
        edit_menu.addAction(self.paste_action)

        view_menu = menu.addMenu("&View")
        self.page_actions: dict[str, QAction] = {}
        for row, spec in enumerate(PAGES):
            action = QAction(spec.title, self)
            action.setShortcut(QKeySequence(f"Ctrl+{row + 1}"))
            action.setData(spec.key)
            action.setToolTip(spec.headline)
            action.setStatusTip(spec.headline)
            action.triggered.connect(self._on_page_action)
            view_menu.addAction(action)
            self.page_actions[spec.key] = action
        view_menu.addSeparator()
        full = [QKeySequence("F11")] + [k for k in QKeySequence.keyBindings(sk.FullScreen) if k != QKeySequence("F11")]
        self.fullscreen_action = QAction("&Full screen", self)
        self.fullscreen_action.setShortcuts(full)
        self.fullscreen_action.setStatusTip("Use the whole screen (F11 again to leave)")
        self.fullscreen_action.setCheckable(True)
        self.fullscreen_action.toggled.connect(self.set_full_screen)
        view_menu.addAction(self.fullscreen_action)

        help_menu = menu.addMenu("&Help")
        self.help_action = self._make_action("&How it works", self.show_help_for_context,
                                             _keys(sk.HelpContents, "F1"),
                                             "An illustrated guide to GANs and style transfer")
        self.about_action = self._make_action("&About GAN Art Studio", self.show_about, None,
                                              "Versions, device and where your files are",
                                              QAction.MenuRole.AboutRole)
        help_menu.addAction(self.help_action)
        help_menu.addSeparator()
        help_menu.addAction(self.about_action)
        self.window_actions = {
            "open_dataset": self.open_dataset_action, "open_generator": self.open_generator_action,
            "open_recipe": self.open_recipe_action, "save": self.save_action,
            "preferences": self.preferences_action, "quit": self.quit_action, "undo": self.undo_action,
            "redo": self.redo_action, "copy": self.copy_action, "paste": self.paste_action,
            "fullscreen": self.fullscreen_action, "help": self.help_action, "about": self.about_action,
        }

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        recent = [p for p in self.config.recent_files if Path(p).exists()]
        for path in recent:
            action = self.recent_menu.addAction(Path(path).name or path)
            action.setToolTip(path)
            action.setData(path)
            action.triggered.connect(self._on_recent)
        if not recent:
            empty = self.recent_menu.addAction("Nothing opened yet")
            empty.setEnabled(False)

    def _on_recent(self) -> None:
        action = self.sender()
        if isinstance(action, QAction) and action.data():
            self.route_paths([str(action.data())])

    def _remember(self, path: str) -> None:
        self.config.add_recent(path)
        try:
            save_config(self.config)
        except OSError:
            pass

    # ------------------------------------------------------------------------------- file menu
    def open_dataset_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose a folder of pictures to train on")
        if folder:
            self.run_drop_option(DropOption("train-dataset", "", (folder,), "train"))

    def open_generator_file(self) -> None:
        from studio.ui.workspace import workspace_dir

        start = workspace_dir() / "exports"
        path, _ = QFileDialog.getOpenFileName(self, "Open generator", str(start if start.is_dir() else Path.home()),
                                              "GAN Art Studio generator (*.safetensors *.json);;All files (*)")
        if path:
            self.run_drop_option(DropOption("explore-generator", "", (path,), "explore"))

    def open_recipe_file(self) -> None:
        from studio.ui.workspace import workspace_dir

        path, _ = QFileDialog.getOpenFileName(
            self, "Open recipe", str(workspace_dir()),
            "Recipes and artworks (*.json *.png *.jpg *.jpeg *.webp);;All files (*)")
        if path:
            self.open_recipe(path)

    def open_recipe(self, path: str) -> bool:
        """An artwork recipe opens in Stylize, an animation recipe in Explore."""
        from studio.engine.gallery import STYLE_RECIPE_KIND, recipe_kind

        kind = recipe_kind(path)
        page = "explore" if kind == "walk" else "stylize" if kind == STYLE_RECIPE_KIND else None
        if page is None:
            self.show_status(f"“{Path(path).name}” holds no recipe the studio knows.")
            return False
        return self.run_drop_option(DropOption("open-recipe", "", (path,), page))

    def save_current(self) -> None:
        """Save / Export: whatever the page on show makes."""
        key = self.current_page()
        page = {"train": self.train_page(), "explore": self.explore_page(), "stylize": self.stylize_page(),
                "gallery": self.gallery_page()}.get(key)
        if page is None:
            self.show_status("Nothing to save here yet.")
            return
        if key == "stylize":
            if page.save_button.isEnabled():
                out = page.save_artwork()
                if out is not None:
                    self.show_status(f"Saved {Path(out).name}")
                return
        elif key == "train":
            if page.save_grid_button.isEnabled():
                page.save_grid_button.click()
                return
        elif key == "explore":
            if page.export_button.isEnabled():
                page.export_button.click()
                return
        elif key == "gallery":
            if page.selected_items():
                page.export_selected()
                return
        what = {"stylize": "paint a picture first", "train": "train until samples appear",
                "explore": "add keyframes to the timeline first", "gallery": "select an item first"}[key]
        self.show_status(f"Nothing to save yet: {what}.")

    # ------------------------------------------------------------------------------------ editing
    def edit(self, name: str) -> bool:
        """Undo/Redo/Copy/Paste for whatever has the keyboard focus, else for the page on show."""
        focus = QApplication.focusWidget()
        text = focus
        if isinstance(focus, QAbstractSpinBox):
            text = focus.findChild(QLineEdit)
        if isinstance(text, (QLineEdit, QTextEdit, QPlainTextEdit)):
            getattr(text, name)()
            return True
        if name in ("undo", "redo"):
            w = focus
            while w is not None and w is not self:
                method = getattr(w, name, None)
                if callable(method) and not isinstance(w, QLabel):
                    method()
                    return True
                w = w.parentWidget()
        page = self._current_real_page()
        candidates = {"undo": ("undo",), "redo": ("redo",), "copy": ("copy_selected", "copy_to_clipboard"),
                      "paste": ("paste",)}[name]
        for attr in candidates:
            method = getattr(page, attr, None) if page is not None else None
            if callable(method):
                result = method()
                if name == "copy" and result is not False:
                    self.show_status("Copied to the clipboard.")
                return True
        self.show_status(f"Nothing to {name} here.")
        return False

    def _current_real_page(self) -> QWidget | None:
        return {"train": self.train_page(), "explore": self.explore_page(), "stylize": self.stylize_page(),
                "gallery": self.gallery_page()}.get(self.current_page())

    # -------------------------------------------------------------------------------------- drops
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt override
        if local_paths(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802 - Qt override
        self.dragEnterEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt override
        paths = local_paths(event.mimeData())
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        QTimer.singleShot(0, lambda: self.route_paths(paths))  # let the drag end before any chooser opens

    def route_paths(self, paths: list[str]) -> str | None:
        """Send dropped/opened files where they belong (asking when it is not clear). Returns the action."""
        plan = plan_drop(paths, self.current_page())
        if not plan.options:
            names = ", ".join(Path(p).name for p in plan.ignored[:3])
            self.show_status(f"Nothing here the studio can open ({names}). It takes folders of pictures, "
                             "pictures, generators (.safetensors) and recipes.")
            return None
        option = plan.single or self.drop_chooser(plan.options)
        if option is None:
            return None
        self.run_drop_option(option)
        if plan.ignored:
            self.show_status(f"Left out what the studio cannot open: {', '.join(Path(p).name for p in plan.ignored[:3])}")
        return option.action

    def choose_drop_option(self, options: list[DropOption]) -> DropOption | None:
        """The small chooser for drops that could mean several things: a menu at the mouse."""
        menu = QMenu(self)
        menu.setObjectName("dropChooser")
        menu.setToolTipsVisible(True)
        head = menu.addAction("What should the studio do with this?")
        head.setEnabled(False)
        chosen = {}
        for option in options:
            action = menu.addAction(option.label)
            action.setToolTip("\n".join(option.paths[:5]))
            chosen[action] = option
        menu.addSeparator()
        menu.addAction("Cancel")
        picked = menu.exec(QCursor.pos())
        return chosen.get(picked)

    def run_drop_option(self, option: DropOption) -> bool:
        """Do what a drop option says, on its page (later, if the engine is still loading)."""
        page = {"train": self.train_page(), "explore": self.explore_page(), "stylize": self.stylize_page()}.get(
            option.page)
        self.show_page(option.page)
        if page is None:
            if self.engine_info is not None:
                self.show_status(f"The {option.page.title()} page is not available: {option.page} cannot open this.")
                return False
            self._pending_routes.append(option)
            self.show_status(f"Opening {Path(option.paths[0]).name} once the engine has loaded…")
            return False
        paths = list(option.paths)
        name = Path(paths[0]).name or paths[0]
        if option.action == "train-dataset":
            if page.is_training():
                self.show_status("Training is running: stop it before choosing other pictures.")
                return False
            page.set_dataset(paths)
            if len(paths) == 1 and Path(paths[0]).is_dir():
                self._remember(paths[0])
            self.show_status(f"Checking the pictures in {name}…" if len(paths) == 1 else
                             f"Checking {len(paths)} dropped items for the dataset…")
        elif option.action == "stylize":
            return self._stylize_drop(page, paths)
        elif option.action in ("explore-generator", "explore-run"):
            page.open_generator(paths[0])
            self._remember(paths[0])
            self.show_status(f"Opening the generator {name}…")
        elif option.action == "train-resume":
            ok = bool(page.resume_run(paths[0]))
            self.show_status(f"Ready to continue {name}: press Continue." if ok else f"{name} cannot be continued.")
            return ok
        elif option.action == "open-recipe":
            ok = bool(page.open_recipe(paths[0]))
            if ok:
                self._remember(paths[0])
            self.show_status(f"Opened the recipe {name}." if ok else f"The recipe {name} could not be opened.")
            return ok
        return True

    def _stylize_drop(self, page, paths: list[str]) -> bool:
        runner = getattr(page, "runner", None)
        if runner is not None and runner.is_running():
            self.show_status("Stylize is painting: drop the pictures again when it has finished.")
            return False
        parts = []
        rest = list(paths)
        if page.content.path() is None:
            first = rest.pop(0)
            page.content.set_path(first)
            if page.content.path() == first:
                parts.append(f"{Path(first).name} as the photo")
        if rest:
            before = set(page.styles.paths())
            page.styles.add_paths(rest)
            added = [p for p in page.styles.paths() if p not in before]
            if added:
                word = "a style" if len(added) == 1 else "styles"
                parts.append(f"{', '.join(Path(p).name for p in added)} as {word}")
        self.show_status(f"Stylize: {' and '.join(parts)}." if parts else "These pictures could not be used.")
        return bool(parts)

    # --------------------------------------------------------------------------------------- help
    def show_help(self, topic: str | None = None):
        from studio.ui.help_page import show_help

        dialog = show_help(topic, self)
        self.help_dialog = dialog
        return dialog

    def show_help_for_context(self) -> None:
        """F1: the section for the control under the mouse or with the focus, else for the page on show."""
        for start in (QApplication.widgetAt(QCursor.pos()), QApplication.focusWidget()):
            w = start
            while w is not None:
                topic = w.property("helpTopic")
                if topic:
                    self.show_help(str(topic))
                    return
                if w is self:
                    break
                w = w.parentWidget()
        self.show_help(PAGE_HELP.get(self.current_page()))

    def tag_help(self, widget: QWidget | None, topic: str, hint: bool = True) -> None:
        """F1 over/in ``widget`` opens the guide at ``topic``; its tooltip says so."""
        if widget is None:
            return
        widget.setProperty("helpTopic", topic)
        tip = widget.toolTip()
        if hint and tip and HELP_HINT not in tip:
            widget.setToolTip(tip + HELP_HINT)

    def _open_help_link(self, url: str) -> None:
        from studio.ui.help_page import open_help_link

        open_help_link(url, self)

    # -------------------------------------------------------------------------------- about
    def show_about(self) -> None:
        from studio.ui.about_dialog import AboutDialog
        from studio.ui.theme import theme_colors

        if self.about_dialog is not None:
            self.about_dialog.close()
            self.about_dialog.deleteLater()
        self.about_dialog = AboutDialog(self._about_rows(), theme_colors()["muted"].name(), self)
        self.about_dialog.open()

    def _about_rows(self):
        from studio.ui.about_dialog import about_rows
        from studio.ui.workspace import workspace_dir

        info = self.engine_info
        loading = self.engine_loader.is_running()
        device = info.device if info is not None else ("loading…" if loading else "not loaded yet")
        try:
            workspace = str(workspace_dir())
        except Exception:  # noqa: BLE001
            workspace = info.workspace if info is not None else None
        return about_rows(device, workspace, torch_loading=loading)

    # ---------------------------------------------------------------------------------- settings
    def open_settings(self, tab: str | None = None):
        from studio.ui.settings_dialog import SettingsDialog

        dialog = self.settings_dialog
        if dialog is None:
            from studio.engine.runs import default_workspace

            self.settings_dialog = dialog = SettingsDialog(self.config, self, str(default_workspace()))
            dialog.applied.connect(self._on_settings_applied)
            if self.engine_info is not None and self.engine_info.ok:
                dialog.engine_ready()
        elif not (dialog.features_panel is not None and dialog.features_panel.is_busy()):
            dialog.load(self.config)
        if tab:
            dialog.show_tab(tab)
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()
        return dialog

    def _on_settings_applied(self, cfg, changed: set) -> None:
        from studio.ui.preferences import apply_device, apply_threads
        from studio.ui.workspace import handoff_to_engine

        self.config = current_config()
        said = []
        if "theme" in changed:
            self.set_theme(cfg.theme)
            said.append(f"{cfg.theme} theme")
        if "device" in changed:
            apply_device(cfg.device)
            self._refresh_device_label()
            said.append(f"device {cfg.device}")
        if "cpu_threads" in changed:
            n = apply_threads(cfg.cpu_threads)
            self._refresh_device_label()
            said.append(f"{n or cfg.cpu_threads or 'automatic'} CPU threads")
        if "workspace" in changed:
            handoff_to_engine(cfg.workspace)
            gallery = self.gallery_page()
            if gallery is not None and hasattr(gallery, "refresh"):
                gallery.refresh()
            said.append("workspace")
        if "export" in changed:
            self._apply_export_defaults()
        if "vgg19_path" in changed:
            stylize = self.stylize_page()
            if stylize is not None and hasattr(stylize, "features"):
                stylize.features.set_vgg19_path(cfg.vgg19_path)
        self.show_status("Settings saved" + (f": {', '.join(said)}." if said else "."))

    def set_theme(self, theme: str) -> None:
        """Switch the whole studio's theme now (palette, sheets, icons, drawings)."""
        from studio.ui.theme import apply_theme

        app = QApplication.instance()
        if app is not None:
            apply_theme(app, theme)
        self.refresh_theme()

    def refresh_theme(self) -> None:
        """Redraw what is painted in code (icons, diagrams) in the current theme's colours."""
        from studio.ui.main_window import PAGES, InfoPage, _nav_icon

        for row, spec in enumerate(PAGES):
            item = self.nav.item(row)
            if item is not None:
                item.setIcon(_nav_icon(spec.key))
        for page in self.findChildren(InfoPage):
            page.refresh_icon()
        for label in self._link_labels:
            text = label.text()
            label.setText("")
            label.setText(text)  # links take the new palette's colour
        for w in QApplication.topLevelWidgets():
            w.update()
        help_dialog = getattr(self, "_help_dialog", None)
        if help_dialog is not None:
            for child in help_dialog.findChildren(QWidget):
                child.update()

    def _refresh_device_label(self) -> None:
        if self.engine_info is None or not self.engine_info.ok:
            return
        try:
            from studio.engine.device import describe_device

            self.device_label.setText(describe_device("auto"))
        except Exception as exc:  # noqa: BLE001 - e.g. the chosen device vanished
            self.device_label.setText(f"Device problem: {exc}")

    def _apply_export_defaults(self) -> None:
        explore = self.explore_page()
        ex = self.config.export
        if explore is not None and hasattr(explore, "format_combo") and not explore.export_runner.is_running():
            i = explore.format_combo.findData(WALK_FORMAT_KEYS.get(ex.walk_format, "gif"))
            if i >= 0:
                explore.format_combo.setCurrentIndex(i)
            explore.size_spin.setValue(ex.walk_size)

    # ------------------------------------------------------------------------- welcome / problems
    def _after_first_show(self) -> None:
        if self._config_problem:
            self.show_status("Your settings file could not be used as it was; defaults are in use.", 15_000)
            box = QMessageBox(QMessageBox.Icon.Warning, "Settings were reset", self._config_problem,
                              QMessageBox.StandardButton.Ok, self)
            box.setObjectName("configProblem")
            self.config_problem_box = box
            box.open()
        if self._startup_questions and not self.config.first_run_done:
            QTimer.singleShot(0, self.show_welcome)

    def show_welcome(self):
        from studio.ui.welcome_dialog import WelcomeDialog
        from studio.ui.workspace import workspace_dir

        if self.welcome_dialog is not None and self.welcome_dialog.isVisible():
            return self.welcome_dialog
        dialog = WelcomeDialog(str(workspace_dir()), self)
        dialog.demo_requested.connect(self.try_demo)
        dialog.workspace_changed.connect(self._on_welcome_workspace)
        dialog.help_requested.connect(lambda: self.show_help("gan"))
        dialog.finished.connect(self._on_welcome_closed)
        if self.engine_info is not None and self.engine_info.ok:
            self._welcome_engine_ready(dialog)
        self.welcome_dialog = dialog
        dialog.open()
        return dialog

    def _welcome_engine_ready(self, dialog) -> None:
        dialog.engine_ready(self.config.vgg19_path)
        if dialog.features_panel is not None:
            dialog.features_panel.changed.connect(self._on_welcome_features_changed)

    def _on_welcome_features_changed(self) -> None:
        panel = self.welcome_dialog.features_panel if self.welcome_dialog is not None else None
        if panel is not None and panel.vgg19_path() != self.config.vgg19_path:
            self.config.vgg19_path = panel.vgg19_path()
            save_config(self.config)

    def _on_welcome_workspace(self, folder: str) -> None:
        from studio.ui.workspace import set_workspace_dir

        set_workspace_dir(folder)
        self.config = current_config()
        gallery = self.gallery_page()
        if gallery is not None and hasattr(gallery, "refresh"):
            gallery.refresh()
        self.show_status(f"Your work is now saved in {folder}")

    def _on_welcome_closed(self, _result: int) -> None:
        dialog = self.welcome_dialog
        if dialog is not None and dialog.dont_show.isChecked():
            self.config.first_run_done = True
            try:
                save_config(self.config)
            except OSError:
                pass

    def try_demo(self) -> None:
        """The welcome's "Try the demo dataset": the Train page with the built-in demo shapes chosen."""
        self.show_page("train")
        page = self.train_page()
        if page is None:
            self._pending_routes.append("demo")
            self.show_status("The demo shapes are chosen as soon as the engine has loaded…")
            return
        page.use_builtin_dataset("demo")
        self.show_status("Demo shapes chosen: press Start to train a small GAN on them.")

    # ------------------------------------------------------------------------------ resume offer
    def _on_runner_started(self, _title: str) -> None:
        page = self.train_page()
        if page is not None and hasattr(page, "is_training") and page.is_training() and page.run_dir() is not None:
            mark_training(page.run_dir())

    def _on_runner_running(self, running: bool) -> None:
        if not running and not self._closing_while_training and not self._closing_done:
            clear_training_marker()  # a clean end (finished, stopped, failed) leaves nothing to resume

    def ask_resume(self, run_name: str) -> bool:
        """Offer to resume an interrupted run. Separate so tests can answer without a modal dialog."""
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Resume training?")
        box.setText(f"The studio closed while the run “{run_name}” was training.\n\nResume the run {run_name}?")
        resume = box.addButton("Resume", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("Not now", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(resume)
        box.exec()
        return box.clickedButton() is resume

    def offer_resume(self) -> bool:
        """If the last session ended mid-training, ask and (on yes) continue that run. True when resumed."""
        run = interrupted_training()
        page = self.train_page()
        if run is None or page is None or page.is_training():
            return False
        if not self.ask_resume(run.name):
            clear_training_marker()
            self.show_status(f"You can continue “{run.name}” later from the Gallery or the Train page.")
            return False
        self.show_page("train")
        if not page.resume_run(run):
            clear_training_marker()
            self.show_status(f"“{run.name}” cannot be continued (no checkpoint).")
            return False
        page.start_training()
        self.show_status(f"Resuming “{run.name}”.")
        return True

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
            QTimer.singleShot(0, self.offer_resume)

    def adopt_page(self, key: str) -> None:
        """Once per page: shortcuts, help links, status messages and preferences from the window."""
        page = {"train": self.train_page(), "explore": self.explore_page(), "stylize": self.stylize_page(),
                "gallery": self.gallery_page()}.get(key)
        if page is None or id(page) in self._adopted:
            return
        self._adopted.add(id(page))
        self._claim_shortcuts(page)
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
