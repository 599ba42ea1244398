"""The studio's window: navigation, pages, status bar, and a careful close. It is the room that wires
the others (``shell`` for menus, drops, dialogs and startup; ``status`` for jobs; ``session`` for the
working session; ``wheel`` for the wheel guard).

Startup rule: nothing imported here may import torch (or numpy). The window appears first; the engine
is imported in the background (``EngineLoader``) and the Train page, which needs the engine, is built
when it arrives. Until then the Train slot says the engine is loading.
"""

from __future__ import annotations

import importlib
import sys
import traceback

from PySide6.QtCore import QByteArray, QEvent, QObject, QSettings, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from studio import __version__
from studio.ui.engine_loader import EngineInfo, EngineLoader
from studio.ui.job_runner import JobRunner
from studio.ui.window.pages import COMING_SOON, PAGES, InfoPage, PageSlot, PageSpec, nav_icon, scrollable
from studio.ui.window.session import SessionKeeper
from studio.ui.window.shell import StudioShell
from studio.ui.window.status import JobStatus
from studio.ui.window.wheel import install_wheel_guard

__all__ = ["MainWindow", "PAGES", "PageSpec", "SHUTDOWN_TIMEOUT_MS"]

SETTINGS_GEOMETRY = "window/geometry"
SETTINGS_PAGE = "window/page"
SHUTDOWN_TIMEOUT_MS = 60_000  # a CPU training step plus a checkpoint write can take a while


class MainWindow(StudioShell, QMainWindow):
    """Left navigation, a stack of pages, a status bar that says what the studio is doing.

    Menus, drops, settings, help, the welcome and the resume offer come from ``StudioShell``.
    ``config_problem``: what was wrong with the settings file (reported once the window shows);
    ``startup_questions``: False to skip the welcome and the resume offer (default: unless
    ``$GAN_STUDIO_NO_WELCOME=1``).
    """

    first_exposed = Signal()  # emitted once, right after the window's first paint
    engine_ready = Signal(object)  # EngineInfo, once the background import has finished

    def __init__(self, parent: QWidget | None = None, load_engine: bool = True, config_problem: str | None = None,
                 startup_questions: bool | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("GAN Art Studio")
        self.setObjectName("mainWindow")
        self.setMinimumSize(760, 520)
        self._load_engine = load_engine
        self._exposed = False
        self._closing_done = False
        self._train_page: QWidget | None = None
        self._explore_page: QWidget | None = None
        self._stylize_page: QWidget | None = None
        install_wheel_guard()  # the wheel scrolls panels; it changes only a focused control's value
        self.runner = JobRunner(self)
        self.engine_loader = EngineLoader(self)
        self.engine_loader.loaded.connect(self._on_engine_loaded)
        self._init_shell(config_problem, startup_questions)

        self._build_pages()
        self._build_status_bar()
        self._build_menus()
        self.jobs.watch(self.runner)
        self.jobs.job_ended.connect(self._on_job_ended)
        self.session = SessionKeeper(self.real_pages, parent=self)
        self._gallery_page = self._install_page("gallery", "studio.ui.gallery.page", "GalleryPage")
        self._connect_gallery()
        self.adopt_page("gallery")
        self._restore_settings()
        self.session.timer.start()

        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown_background)

    # ------------------------------------------------------------------------------------ building
    def _build_pages(self) -> None:
        self.nav = QListWidget()
        self.nav.setObjectName("nav")
        self.nav.setIconSize(QSize(22, 22))
        self.nav.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.nav.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.nav.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.pages = QStackedWidget()
        self.pages.setObjectName("pages")
        self._slots: dict[str, PageSlot] = {}
        for spec in PAGES:
            item = QListWidgetItem(nav_icon(spec.key), spec.title)
            item.setData(Qt.ItemDataRole.UserRole, spec.key)
            item.setToolTip(spec.headline)
            item.setSizeHint(QSize(0, 44))
            self.nav.addItem(item)
            note = "Loading the engine…" if spec.key == "train" and self._load_engine else COMING_SOON
            slot = PageSlot(spec.key, scrollable(InfoPage(spec, note)))
            self._slots[spec.key] = slot
            self.pages.addWidget(slot)
        self.nav.currentRowChanged.connect(self.pages.setCurrentIndex)

        brand = QLabel("GAN Art Studio")
        brand.setObjectName("brand")
        version = QLabel(f"version {__version__}")
        version.setObjectName("brandVersion")
        sidebar = QFrame()
        sidebar.setObjectName("sidebar")
        sidebar.setFixedWidth(200)
        side = QVBoxLayout(sidebar)
        side.setContentsMargins(12, 18, 12, 12)
        side.setSpacing(4)
        side.addWidget(brand)
        side.addSpacing(14)
        side.addWidget(self.nav, 1)
        side.addWidget(version)

        central = QWidget()
        row = QHBoxLayout(central)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(sidebar)
        row.addWidget(self.pages, 1)
        self.setCentralWidget(central)
        self.nav.setCurrentRow(0)

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        bar.setObjectName("statusBar")
        bar.setSizeGripEnabled(False)
        self.device_label = QLabel("Loading engine…" if self._load_engine else "Engine not loaded")
        self.device_label.setObjectName("deviceLabel")
        bar.addWidget(self.device_label)
        self.jobs = JobStatus(bar, self)
        self.job_label = self.jobs.label
        self.job_progress = self.jobs.progress

    def _build_menus(self) -> None:
        self._build_studio_menus()  # File, Edit, View, Help with the platform's standard keys (StudioShell)

    # ----------------------------------------------------------------------------------- pages api
    def page_keys(self) -> list[str]:
        return [spec.key for spec in PAGES]

    def current_page(self) -> str:
        return PAGES[max(0, self.pages.currentIndex())].key

    def show_page(self, key: str) -> None:
        self.nav.setCurrentRow(self.page_keys().index(key))

    def page_widget(self, key: str) -> QWidget:
        """What the page slot shows now (an InfoPage inside a scroll area, or the real page)."""
        content = self._slots[key].content
        return content.widget() if isinstance(content, QScrollArea) else content

    def train_page(self) -> QWidget | None:
        """The real Train page once built (None while the engine loads or before it exists)."""
        return self._train_page

    def _on_page_action(self) -> None:
        action = self.sender()
        if isinstance(action, QAction):
            self.show_page(str(action.data()))

    # -------------------------------------------------------------------------------- engine / train
    @property
    def engine_info(self) -> EngineInfo | None:
        return self.engine_loader.info

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        handle = self.windowHandle()
        if not self._exposed and handle is not None:
            handle.installEventFilter(self)
        super().showEvent(event)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if (not self._exposed and event.type() == QEvent.Type.Expose
                and watched is self.windowHandle() and self.windowHandle().isExposed()):
            self._exposed = True
            watched.removeEventFilter(self)
            QTimer.singleShot(0, self._after_first_expose)  # after this expose has painted
        return super().eventFilter(watched, event)

    def _after_first_expose(self) -> None:
        self.first_exposed.emit()
        if self._load_engine and not self._closing_done:
            self.engine_loader.start()
        if not self._closing_done:
            self._after_first_show()  # a reset settings file is reported; the first-run welcome

    def _on_engine_loaded(self, info: EngineInfo) -> None:
        if info.ok:
            self.device_label.setText(info.device)
            self.device_label.setToolTip(f"Engine loaded in {info.seconds:.1f} s (torch {info.torch_version})")
        else:
            self.device_label.setText("Engine failed to load")
            self.device_label.setToolTip(info.error or "")
        if not self._closing_done:
            self._install_train_page(info)
            if info.ok:
                self._explore_page = self._install_page("explore", "studio.ui.explore.page", "ExplorePage")
                self._stylize_page = self._install_page("stylize", "studio.ui.stylize.page", "StylizePage")
                if self._explore_page is not None and hasattr(self._explore_page, "stylize_requested"):
                    self._explore_page.stylize_requested.connect(self.stylize_animation)
                if self._train_page is not None and hasattr(self._train_page, "explore_requested"):
                    self._train_page.explore_requested.connect(self.explore_run)
        self.engine_ready.emit(info)

    def explore_run(self, run_dir) -> bool:
        """Open a run (the Train page's) on the Explore page."""
        page = self._explore_page
        if page is None or not hasattr(page, "open_generator"):
            self.statusBar().showMessage("The Explore page is not ready yet; try again in a moment.", 8000)
            return False
        self.show_page("explore")
        page.open_generator(run_dir)
        return True

    def stylize_animation(self, path) -> bool:
        """Open an animation (a walk's frames from Explore) as the Stylize page's content."""
        page = self._stylize_page
        if page is None or page.is_busy():
            self.statusBar().showMessage("Stylize is painting; open the walk again when it has finished.", 8000)
            return False
        self.show_page("stylize")
        page.content.set_path(str(path))
        self.statusBar().showMessage("The walk is on the Stylize page: add a painting and press Start.", 8000)
        return True

    def _install_train_page(self, info: EngineInfo) -> None:
        spec = PAGES[0]
        slot = self._slots["train"]
        if not info.ok:
            first_line = (info.error or "").splitlines()[0] if info.error else ""
            page = InfoPage(spec)
            page.set_note(f"The compute engine could not start, so training is unavailable. {first_line}",
                          error=True)
            slot.set_content(scrollable(page))
            return
        try:
            from studio.ui.train.page import TrainPage
        except ModuleNotFoundError as exc:
            if exc.name in ("studio.ui.train", "studio.ui.train.page"):
                slot.set_content(scrollable(InfoPage(spec, COMING_SOON)))
                return
            self._page_failed(slot, spec)
            return
        except Exception:  # noqa: BLE001 - a broken page must not take the whole studio down
            self._page_failed(slot, spec)
            return
        try:
            page = TrainPage(self.runner, parent=None)
        except Exception:  # noqa: BLE001
            self._page_failed(slot, spec)
            return
        page.setObjectName(page.objectName() or "page-train")
        self._train_page = page
        slot.set_content(page)

    def explore_page(self) -> QWidget | None:
        """The real Explore page once built (None while the engine loads, or if it could not be built)."""
        return self._explore_page

    def stylize_page(self) -> QWidget | None:
        """The real Stylize page once built (None while the engine loads, or if it could not be built)."""
        return self._stylize_page

    def _install_page(self, key: str, module: str, class_name: str) -> QWidget | None:
        """Like the Train page: the real page replaces the placeholder; a missing module keeps the card,
        a broken one shows an error card. Returns the page, or None."""
        spec = next(p for p in PAGES if p.key == key)
        slot = self._slots[key]
        try:
            page = getattr(importlib.import_module(module), class_name)(parent=None)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                self._page_failed(slot, spec)
            return None
        except Exception:  # noqa: BLE001 - a broken page must not take the whole studio down
            self._page_failed(slot, spec)
            return None
        slot.set_content(page)
        return page

    def _page_failed(self, slot: PageSlot, spec: PageSpec) -> None:
        details = traceback.format_exc()
        print(details, file=sys.stderr)
        last = details.strip().splitlines()[-1] if details.strip() else "unknown error"
        page = InfoPage(spec)
        page.set_note(f"The {spec.title} page could not be opened: {last}", error=True)
        slot.set_content(scrollable(page))

    # ------------------------------------------------------------------------------------- gallery
    def gallery_page(self) -> QWidget | None:
        """The Gallery page (None if it could not be built)."""
        return self._gallery_page

    def _connect_gallery(self) -> None:
        self._pending_open: tuple[str, str] | None = None
        page = self._gallery_page
        if page is None:
            return
        page.open_requested.connect(self.open_gallery_item)
        page.busy_check = self._path_in_use
        self.engine_ready.connect(self._on_engine_ready_for_gallery)

    def _on_engine_ready_for_gallery(self, _info) -> None:
        """Pages built with the engine: an item asked for meanwhile opens."""
        pending, self._pending_open = self._pending_open, None
        if pending is not None:
            self.open_gallery_item(*pending)

    # ---------------------------------------------------------------------------------------- jobs
    def real_pages(self) -> dict[str, QWidget | None]:
        """The built pages by key (None where a page is still loading or could not be built)."""
        return {"train": self._train_page, "explore": self._explore_page, "stylize": self._stylize_page,
                "gallery": self._gallery_page}

    @staticmethod
    def page_runners(page: QWidget | None) -> list[JobRunner]:
        """A page's job runners: what its ``runners()`` lists, else every JobRunner it owns."""
        if page is None:
            return []
        listed = getattr(page, "runners", None)
        if callable(listed):
            return [r for r in listed() if r is not None]
        return page.findChildren(JobRunner)

    def watch_page_jobs(self, page: QWidget | None) -> None:
        """Every job of ``page`` shows in the status bar, wherever the artist is."""
        for runner in self.page_runners(page):
            self.jobs.watch(runner)

    def _on_job_ended(self, runner) -> None:
        """A job ended: the lists that show what jobs make (Gallery, Explore's runs) look again."""
        if self._closing_done:
            return
        gallery = self._gallery_page
        if gallery is not None and hasattr(gallery, "refresh_soon"):
            gallery.refresh_soon()
        explore = self._explore_page
        refresh_runs = getattr(explore, "refresh_runs", None)
        if callable(refresh_runs) and not self._owned_by(runner, explore):
            refresh_runs()  # Explore's own renders write no runs

    @staticmethod
    def _owned_by(obj: QObject, ancestor: QObject | None) -> bool:
        while obj is not None:
            if obj is ancestor:
                return True
            obj = obj.parent()
        return False

    def open_gallery_item(self, kind: str, path: str) -> bool:
        """Open a gallery item in its page: an artwork in Stylize with its recipe, a run in Train ready to
        continue (in Explore while another run trains), an animation in Explore with its walk recipe;
        what no page can restore is shown in the file manager. Pages still loading get it when ready."""
        from pathlib import Path

        from studio.engine.gallery import open_target

        target, arg = open_target(kind, path)
        page = {"stylize": self._stylize_page, "train": self._train_page, "explore": self._explore_page}.get(target)
        if target == "train" and page is not None and page.is_training() and page.run_dir() != arg:
            target, page = "explore", self._explore_page
        if target == "reveal" or (page is None and self.engine_info is not None):
            return bool(self._gallery_page and self._gallery_page.reveal_path(arg))
        self.show_page(target)
        if page is None:  # the engine is still loading
            self._pending_open = (kind, path)
            self.statusBar().showMessage(f"Opening {Path(path).name} once the engine has loaded…", 8000)
            return False
        if target == "train":
            ok = page.is_training() or page.resume_run(arg)
        elif target == "explore" and arg.is_dir():  # a run: its newest generator
            page.open_generator(arg)
            ok = True
        else:
            ok = page.open_recipe(arg)
        if ok:
            self._remember(path)
        if not ok and target == "stylize" and self._stylizing():
            self.statusBar().showMessage("Stylize is painting; open the recipe again when it has finished.", 8000)
        return bool(ok)

    def _path_in_use(self, path) -> str | None:
        page = self._train_page
        run = page.run_dir() if page is not None and page.is_training() else None
        if run is not None and (path == run or run in path.parents):
            return f"“{path.name}” is training right now; stop the training first."
        return None

    # -------------------------------------------------------------------------------- view / help
    def set_full_screen(self, on: bool) -> None:
        if on and not self.isFullScreen():
            self._was_maximized = self.isMaximized()
            self.showFullScreen()
        elif not on and self.isFullScreen():
            if getattr(self, "_was_maximized", False):
                self.showMaximized()
            else:
                self.showNormal()
        if self.fullscreen_action.isChecked() != on:
            self.fullscreen_action.setChecked(on)

    def about_text(self) -> str:
        """The About box's text (rich text). Kept separate so it can be read without a modal dialog."""
        from studio.ui.about_dialog import about_html
        from studio.ui.theme import theme_colors

        return about_html(self._about_rows(), theme_colors()["muted"].name())

    # ------------------------------------------------------------------------------- settings/close
    def _restore_settings(self) -> None:
        s = QSettings()
        geometry = s.value(SETTINGS_GEOMETRY, QByteArray(), type=QByteArray)
        restored = geometry is not None and not geometry.isEmpty() and self.restoreGeometry(geometry)
        screen = QGuiApplication.primaryScreen()
        avail = screen.availableGeometry() if screen is not None else None
        if not restored:
            width, height = 1180, 760
            if avail is not None:  # leave room for the window frame and title bar on small screens
                width = min(width, max(640, avail.width() - 40))
                height = min(height, max(480, avail.height() - 70))
            self.resize(width, height)
        on_a_screen = any(s.availableGeometry().intersects(self.frameGeometry())
                          for s in QGuiApplication.screens())
        if avail is not None and (not restored or not on_a_screen):
            frame = self.frameGeometry()
            frame.moveCenter(avail.center())
            self.move(max(avail.left(), frame.left()), max(avail.top(), frame.top()))
        page = s.value(SETTINGS_PAGE, "train", type=str)
        if page in self.page_keys():
            self.show_page(page)

    def save_settings(self) -> None:
        s = QSettings()
        s.setValue(SETTINGS_GEOMETRY, self.saveGeometry())
        s.setValue(SETTINGS_PAGE, self.current_page())
        s.sync()

    def ask_stop_training(self) -> bool:
        """Ask before closing during training. Separate so tests can answer without a modal dialog."""
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Training is running")
        box.setText("Training is running. Stop it and save a checkpoint before closing?")
        stop = box.addButton("Stop and close", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        return box.clickedButton() is stop

    def ask_stop_job(self, title: str) -> bool:
        """Ask before closing while some other job runs (an export, a render)."""
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Work in progress")
        box.setText(f"“{title}” is still running. Stop it and close?")
        stop = box.addButton("Stop and close", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        return box.clickedButton() is stop

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt override
        if not self._closing_done:
            page = self._train_page
            training = bool(page is not None and hasattr(page, "is_training") and page.is_training())
            if training:
                if not self.ask_stop_training():
                    event.ignore()
                    return
                self._closing_while_training = True  # the next start offers to resume this run
                self._busy(lambda: page.shutdown_training(SHUTDOWN_TIMEOUT_MS))
            elif self.runner.is_running():
                if not self.ask_stop_job(self.runner.title()):
                    event.ignore()
                    return
            elif self._explore_exporting():
                if not self.ask_stop_job(self._explore_page.export_runner.title()):
                    event.ignore()
                    return
            elif self._stylizing():
                if not self.ask_stop_job(self._stylize_page.runner.title()):
                    event.ignore()
                    return
            self.save_settings()
            self.shutdown_background()
        event.accept()
        super().closeEvent(event)

    def _explore_exporting(self) -> bool:
        runner = getattr(self._explore_page, "export_runner", None)
        return bool(runner is not None and runner.is_running())

    def _stylizing(self) -> bool:
        runner = getattr(self._stylize_page, "runner", None)
        return bool(runner is not None and runner.is_running())

    def _busy(self, fn) -> None:
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            fn()
        finally:
            QApplication.restoreOverrideCursor()

    def shutdown_background(self) -> None:
        """Stop the running job and join every worker thread. Idempotent; safe at any time."""
        if self._closing_done:
            return
        self._closing_done = True
        self.session.timer.stop()
        self.session.save()  # before the pages stop: what they hold now is what the next start offers
        page = self._train_page
        if page is not None and hasattr(page, "shutdown"):
            page.shutdown(SHUTDOWN_TIMEOUT_MS)  # its dataset and export runners too, not only training
        explore = self._explore_page
        if explore is not None and hasattr(explore, "shutdown"):
            explore.shutdown(SHUTDOWN_TIMEOUT_MS)
        stylize = self._stylize_page
        if stylize is not None and hasattr(stylize, "shutdown"):
            stylize.shutdown(SHUTDOWN_TIMEOUT_MS)
        gallery = self._gallery_page
        if gallery is not None and hasattr(gallery, "shutdown"):
            gallery.shutdown(SHUTDOWN_TIMEOUT_MS)
        self._shell_shutdown(SHUTDOWN_TIMEOUT_MS)
        self.runner.shutdown(SHUTDOWN_TIMEOUT_MS)
        self.engine_loader.wait(SHUTDOWN_TIMEOUT_MS)  # an import cannot be interrupted; join it

