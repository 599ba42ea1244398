"""The window's dialogs and looks: the illustrated guide (F1), About, Settings, and the theme."""

from __future__ import annotations

from PySide6.QtGui import QCursor
from PySide6.QtWidgets import QApplication, QWidget

from studio.preferences import current_config
from studio.ui.window.pages import PAGE_HELP

__all__ = ["HELP_HINT", "WALK_FORMAT_KEYS", "DialogRoom", "place_beside"]

HELP_HINT = "  (F1: how it works)"
WALK_FORMAT_KEYS = {"gif": "gif", "mp4": "mp4", "png": "png-sequence"}  # config → Explore's format combo


def place_beside(window: QWidget, other: QWidget, keep_clear: QWidget | None = None) -> None:
    """Move ``window`` next to ``other`` on its screen (right, else left); where neither side has room,
    keep it above ``keep_clear`` (a button that must stay visible and clickable)."""
    screen = other.screen() or QApplication.primaryScreen()
    if screen is None:
        return
    avail = screen.availableGeometry()
    near = other.frameGeometry()
    gap = 12
    extra = window.frameGeometry().size() - window.geometry().size()  # the window manager's frame
    width = min(max(window.width(), 420), avail.width())
    height = min(max(window.height(), 360), avail.height() - extra.height())
    right_room = avail.right() - near.right() - gap
    left_room = near.left() - avail.left() - gap
    if right_room >= 420 or left_room >= 420:
        if right_room >= left_room:
            width = min(width, right_room - extra.width())
            x = near.right() + gap
        else:
            width = min(width, left_room - extra.width())
            x = near.left() - gap - width - extra.width()
        y = max(avail.top(), min(near.top(), avail.bottom() - height - extra.height()))
    else:
        x, y = avail.left(), avail.top()
        if keep_clear is not None:
            clear_top = keep_clear.mapToGlobal(keep_clear.rect().topLeft()).y()
            height = max(200, min(height, clear_top - gap - avail.top() - extra.height()))
    window.resize(width, height)
    window.move(x, y)


class DialogRoom:
    """Help, About, Settings and theme for ``MainWindow``."""

    # --------------------------------------------------------------------------------------- help
    def show_help(self, topic: str | None = None):
        """The guide, never blocked: while the (window-modal) welcome is open the guide belongs to the
        welcome, so it can be read, clicked and closed, and it stands beside it, clear of Start."""
        from studio.ui.help_page import show_help

        welcome = getattr(self, "welcome_dialog", None)
        beside = welcome if welcome is not None and welcome.isVisible() else None
        dialog = show_help(topic, beside or self)
        if beside is not None:
            place_beside(dialog, beside, getattr(beside, "start_button", None))
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
        from studio.ui.window.pages import PAGES, InfoPage, nav_icon

        for row, spec in enumerate(PAGES):
            item = self.nav.item(row)
            if item is not None:
                item.setIcon(nav_icon(spec.key))
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
