"""What the window says and asks once it is on screen: a settings file that had to be reset, the
first-run welcome, the offer to resume a run that was training when the studio closed, and the offer to
restore the last working session. Every question goes through a method a test can replace."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QMessageBox

from studio.preferences import (
    clear_training_marker,
    current_config,
    interrupted_training,
    mark_training,
    save_config,
)

__all__ = ["StartupRoom"]


class StartupRoom:
    """Welcome, problems, resume and restore offers for ``MainWindow``."""

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

    # ---------------------------------------------------------------------------- session restore
    def _startup_offers(self) -> None:
        if self._closing_done:
            return
        self.offer_restore_session()
        self.offer_resume()

    def ask_restore_session(self, titles: list[str]) -> bool:
        """Offer to restore the last working session. Separate so tests can answer without a dialog."""
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Restore your last session?")
        box.setText(f"Restore your last session? What was open in {', '.join(titles)} comes back as you left it.")
        restore = box.addButton("Restore", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("Start fresh", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(restore)
        box.exec()
        return box.clickedButton() is restore

    def offer_restore_session(self) -> list[str]:
        """If the last session left page states, ask and (on yes) give them back. Returns the pages restored."""
        from studio.ui.window.pages import PAGES

        saved = self.session.saved()
        pages = {k: p for k, p in self.real_pages().items()
                 if p is not None and callable(getattr(p, "restore_session", None))}
        offered = [spec for spec in PAGES if saved and spec.key in saved and spec.key in pages]
        if not offered:
            return []
        if not self.ask_restore_session([spec.title for spec in offered]):
            self.session.store.clear()
            self.show_status("Starting fresh.")
            return []
        done = self.session.restore(saved)
        titles = [spec.title for spec in offered if spec.key in done]
        if titles:
            self.show_status(f"Restored your last session: {', '.join(titles)}.")
        if self.session.problems:
            self.show_status("Some of your last session could not be restored: " + "; ".join(self.session.problems[-3:]))
        return done

