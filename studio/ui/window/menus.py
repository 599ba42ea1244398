"""The menu bar and what its File and Edit entries do: open, open recent, save, undo/redo/copy/paste.

Shortcuts follow ``QKeySequence`` standard keys, so each platform gets its own (Preferences is Ctrl+, on
macOS and lands in the application menu there). ``MenuRoom`` is one of the window's rooms (a mixin of
``MainWindow``); the list behind Open recent is ``recent.RecentMenu``.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QFileDialog,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)

from studio.preferences import current_config
from studio.ui.drop_routing import DropOption
from studio.ui.window.recent import RecentMenu

__all__ = ["MenuRoom"]


def _keys(standard: QKeySequence.StandardKey, *fallback: str) -> list[QKeySequence]:
    """The platform's bindings for a standard key, or ``fallback`` where the platform has none."""
    keys = QKeySequence.keyBindings(standard)
    return list(keys) if keys else [QKeySequence(f) for f in fallback]



class MenuRoom:
    """File, Edit, View and Help with the platform's standard keys."""

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
        from studio.ui.window.pages import PAGES

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
        self.follow_run_action = self._make_action(
            "&Follow a run folder…", self.open_run_folder, [QKeySequence("Ctrl+Shift+R")],
            "Open a run folder: one training elsewhere (another window, a terminal, a GPU machine whose folder is "
            "synced here) is shown live and read-only; a stopped one can be continued here")
        self.recent = RecentMenu(self)
        self.recent.chosen.connect(self.open_recent)
        self.recent_menu = self.recent.menu
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
        for a in (self.open_dataset_action, self.open_generator_action, self.open_recipe_action,
                  self.follow_run_action):
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
        self.recent.fill()

    def open_recent(self, path: str) -> str | None:
        """An entry of File ▸ Open recent: opened like a drop of that path."""
        return self.route_paths([path])

    def _remember(self, path: str) -> None:
        self.recent.remember(path)
        self.config = current_config()

    # ------------------------------------------------------------------------------- file menu
    def open_dataset_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose a folder of pictures to train on")
        if folder:
            self.run_drop_option(DropOption("train-dataset", "", (folder,), "train"))

    def open_run_folder(self) -> None:
        from studio.ui.workspace import workspace_dir

        start = workspace_dir() / "runs"
        folder = QFileDialog.getExistingDirectory(self, "Choose a run folder to follow or continue",
                                                  str(start if start.is_dir() else Path.home()))
        if folder:
            self.run_drop_option(DropOption("train-resume", "", (folder,), "train"))

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
