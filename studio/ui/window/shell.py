"""The window's desktop conventions as one base class: its rooms (menus, drops, dialogs, startup, page
adoption) and the state they share. ``MainWindow`` builds pages and runs jobs; this makes it feel like a
desktop app. Nothing here imports torch."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QMessageBox

from studio.preferences import current_config
from studio.preferences import take_problem as take_config_problem
from studio.ui.drop_routing import DropOption
from studio.ui.window.adopt import AdoptRoom
from studio.ui.window.dialogs import DialogRoom
from studio.ui.window.drops import DropRoom
from studio.ui.window.menus import MenuRoom
from studio.ui.window.pages import PAGE_HELP
from studio.ui.window.startup import StartupRoom

__all__ = ["PAGE_HELP", "STATUS_MS", "StudioShell"]

STATUS_MS = 8000


class StudioShell(MenuRoom, DropRoom, DialogRoom, StartupRoom, AdoptRoom):
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
