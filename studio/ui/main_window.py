"""The studio's window: navigation, pages, status bar, menus, and a careful close.

Startup rule: nothing imported here may import torch (or numpy). The window appears first; the engine
is imported in the background (``EngineLoader``) and the Train page, which needs the engine, is built
when it arrives. Until then the Train slot says the engine is loading.
"""

from __future__ import annotations

import importlib
import sys
import traceback
from dataclasses import dataclass

from PySide6.QtCore import (
    QByteArray,
    QEvent,
    QObject,
    QPointF,
    QRectF,
    QSettings,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QColor,
    QGuiApplication,
    QIcon,
    QPainter,
    QPainterPath,
    QPen,
    QPixmap,
)
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from studio import __version__
from studio.ui.engine_loader import EngineInfo, EngineLoader
from studio.ui.job_runner import JobRunner
from studio.ui.window_shell import StudioShell

__all__ = ["MainWindow", "PAGES", "PageSpec"]

SETTINGS_GEOMETRY = "window/geometry"
SETTINGS_PAGE = "window/page"
SHUTDOWN_TIMEOUT_MS = 60_000  # a CPU training step plus a checkpoint write can take a while


@dataclass(frozen=True)
class PageSpec:
    key: str
    title: str
    headline: str
    features: tuple[str, ...]


PAGES: tuple[PageSpec, ...] = (
    PageSpec("train", "Train", "Teach a GAN your own pictures",
             ("Drop a folder of your images, or start from a demo set.",
              "Watch the losses and the generated samples evolve while it learns.",
              "Pause, resume and pick up later from saved checkpoints.",
              "Export the trained generator and a timelapse of its progress.")),
    PageSpec("explore", "Explore", "Wander through what your generator learned",
             ("Browse endless images from a trained generator.",
              "Star your favourites so you never lose them.",
              "Arrange favourites as keyframes on a timeline.",
              "Export the latent walk between them as a GIF or MP4.")),
    PageSpec("stylize", "Stylize", "Repaint a photo in the style of paintings",
             ("Pick a photo and one or more paintings whose style you love.",
              "Blend styles and choose whether to keep the photo's colours.",
              "Paint masks with a brush to decide where each style goes.",
              "Save full-size artwork together with its recipe.")),
    PageSpec("gallery", "Gallery", "Everything you made, in one place",
             ("Artworks, animations and training runs side by side.",
              "Every piece keeps its recipe, so you can remake or tweak it.",
              "Open, export or find any piece on disk.")),
)
_COMING_SOON = "Arrives in a coming version."


# ------------------------------------------------------------------------------------------- icons
def _draw_icon(key: str, color: QColor, size: int = 24, ratio: float = 2.0) -> QPixmap:
    """Small line icons drawn in code: crisp on any DPI, tinted to the theme, no files to ship."""
    pm = QPixmap(int(size * ratio), int(size * ratio))
    pm.setDevicePixelRatio(ratio)
    pm.fill(Qt.GlobalColor.transparent)
    p = QPainter(pm)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.scale(size / 24.0, size / 24.0)
    pen = QPen(color, 1.8, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin)
    p.setPen(pen)
    p.setBrush(Qt.BrushStyle.NoBrush)
    if key == "train":  # a rising curve with a spark: learning
        path = QPainterPath(QPointF(3, 19))
        path.cubicTo(QPointF(8, 18), QPointF(9, 11), QPointF(13, 12))
        path.cubicTo(QPointF(16, 13), QPointF(17, 8), QPointF(20, 6))
        p.drawPath(path)
        p.drawLine(QPointF(3, 21), QPointF(21, 21))
        p.setBrush(color)
        p.drawEllipse(QPointF(20, 6), 1.6, 1.6)
    elif key == "explore":  # a compass
        p.drawEllipse(QPointF(12, 12), 9, 9)
        needle = QPainterPath(QPointF(15.5, 8.5))
        needle.lineTo(QPointF(13.2, 13.2))
        needle.lineTo(QPointF(8.5, 15.5))
        needle.lineTo(QPointF(10.8, 10.8))
        needle.closeSubpath()
        p.setBrush(color)
        p.drawPath(needle)
    elif key == "stylize":  # a brush
        p.drawLine(QPointF(20, 4), QPointF(12, 12))
        tip = QPainterPath(QPointF(11, 11))
        tip.cubicTo(QPointF(7, 11), QPointF(7.5, 16), QPointF(4, 20))
        tip.cubicTo(QPointF(9, 20), QPointF(13.5, 17.5), QPointF(13, 13))
        tip.closeSubpath()
        p.setBrush(color)
        p.drawPath(tip)
    else:  # gallery: a framed landscape
        p.drawRoundedRect(QRectF(3, 5, 18, 14), 2.5, 2.5)
        hills = QPainterPath(QPointF(5, 17))
        hills.lineTo(QPointF(9.5, 11.5))
        hills.lineTo(QPointF(13, 15))
        hills.lineTo(QPointF(15.5, 12.5))
        hills.lineTo(QPointF(19, 17))
        p.drawPath(hills)
        p.setBrush(color)
        p.drawEllipse(QPointF(16, 9), 1.4, 1.4)
    p.end()
    return pm


def _nav_icon(key: str) -> QIcon:
    from studio.ui.theme import theme_colors

    c = theme_colors()
    screen = QGuiApplication.primaryScreen()
    ratio = max(2.0, float(screen.devicePixelRatio()) if screen is not None else 1.0)  # sharp on HiDPI
    icon = QIcon()
    icon.addPixmap(_draw_icon(key, c["nav_icon"], ratio=ratio), QIcon.Mode.Normal)
    icon.addPixmap(_draw_icon(key, c["nav_icon_selected"], ratio=ratio), QIcon.Mode.Selected)
    icon.addPixmap(_draw_icon(key, c["nav_icon_selected"], ratio=ratio), QIcon.Mode.Active)
    return icon


# ------------------------------------------------------------------------------------------- pages
class InfoPage(QWidget):
    """A calm, centred card: what a page does, as a few plain sentences. No buttons, nothing dead."""

    def __init__(self, spec: PageSpec, note: str = _COMING_SOON, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"page-{spec.key}")
        card = QFrame()
        card.setObjectName("infoCard")
        card.setMaximumWidth(620)
        card.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)

        icon = QLabel()
        self.key = spec.key
        self.icon_label = icon
        self.refresh_icon()
        title = QLabel(spec.title)
        title.setObjectName("pageTitle")
        headline = QLabel(spec.headline)
        headline.setObjectName("pageHeadline")
        headline.setWordWrap(True)

        head = QHBoxLayout()
        head.setSpacing(16)
        head.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
        titles = QVBoxLayout()
        titles.setSpacing(2)
        titles.addWidget(title)
        titles.addWidget(headline)
        head.addLayout(titles, 1)

        features = QGridLayout()
        features.setHorizontalSpacing(10)
        features.setVerticalSpacing(8)
        features.setColumnStretch(1, 1)
        for row, sentence in enumerate(spec.features):
            bullet = QLabel("•")
            bullet.setObjectName("pageBullet")
            line = QLabel(sentence)
            line.setObjectName("pageFeature")
            line.setWordWrap(True)
            features.addWidget(bullet, row, 0, Qt.AlignmentFlag.AlignTop)
            features.addWidget(line, row, 1)

        self.note_label = QLabel()
        self.note_label.setObjectName("pageNote")

        inner = QVBoxLayout(card)
        inner.setContentsMargins(32, 28, 32, 28)
        inner.setSpacing(18)
        inner.addLayout(head)
        inner.addLayout(features)
        inner.addWidget(self.note_label)
        self._card_layout = inner
        self.set_note(note)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(40, 40, 40, 40)
        outer.addStretch(2)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(card, 100)
        row.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(3)

    def refresh_icon(self) -> None:
        """The page's drawing in the current theme's accent."""
        from studio.ui.theme import theme_colors

        self.icon_label.setPixmap(_draw_icon(self.key, theme_colors()["accent_text"], 40))

    def set_note(self, text: str, error: bool = False) -> None:
        # A short note is a pill sized to its text; a long one (an error) wraps across the card.
        self.note_label.setProperty("error", error)
        self.note_label.style().unpolish(self.note_label)
        self.note_label.style().polish(self.note_label)
        long = len(text) > 60
        self.note_label.setWordWrap(long)
        self.note_label.setText(text)
        align = Qt.AlignmentFlag(0) if long else Qt.AlignmentFlag.AlignLeft
        self._card_layout.setAlignment(self.note_label, align)

    def text(self) -> str:
        """Everything the page says, as plain text (what a reader of the page sees)."""
        return "\n".join(lbl.text() for lbl in self.findChildren(QLabel) if lbl.text())


class _Slot(QWidget):
    """A page slot in the stack whose content can be swapped (placeholder -> real page)."""

    def __init__(self, key: str, content: QWidget) -> None:
        super().__init__()
        self.setObjectName(f"slot-{key}")
        self.key = key
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self.content = content
        self._layout.addWidget(content)

    def set_content(self, widget: QWidget) -> None:
        old = self.content
        self._layout.replaceWidget(old, widget)
        self.content = widget
        old.hide()
        old.deleteLater()


# ------------------------------------------------------------------------------------------ window
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
        self._job_title = ""
        self._last_failure: str | None = None

        self.runner = JobRunner(self)
        self.engine_loader = EngineLoader(self)
        self.engine_loader.loaded.connect(self._on_engine_loaded)
        self._init_shell(config_problem, startup_questions)

        self._build_pages()
        self._build_status_bar()
        self._build_menus()
        self._connect_runner()
        self._gallery_page = self._install_page("gallery", "studio.ui.gallery_page", "GalleryPage")
        self._connect_gallery()
        self.adopt_page("gallery")
        self._restore_settings()

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
        self._slots: dict[str, _Slot] = {}
        for spec in PAGES:
            item = QListWidgetItem(_nav_icon(spec.key), spec.title)
            item.setData(Qt.ItemDataRole.UserRole, spec.key)
            item.setToolTip(spec.headline)
            item.setSizeHint(QSize(0, 44))
            self.nav.addItem(item)
            note = "Loading the engine…" if spec.key == "train" and self._load_engine else _COMING_SOON
            slot = _Slot(spec.key, self._scrollable(InfoPage(spec, note)))
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

    @staticmethod
    def _scrollable(page: QWidget) -> QScrollArea:
        area = QScrollArea()
        area.setObjectName("pageScroll")
        area.setWidgetResizable(True)
        area.setFrameShape(QFrame.Shape.NoFrame)
        area.setWidget(page)
        return area

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        bar.setObjectName("statusBar")
        bar.setSizeGripEnabled(False)
        self.device_label = QLabel("Loading engine…" if self._load_engine else "Engine not loaded")
        self.device_label.setObjectName("deviceLabel")
        self.job_label = QLabel("Idle")
        self.job_label.setObjectName("jobLabel")
        self.job_progress = QProgressBar()
        self.job_progress.setObjectName("jobProgress")
        self.job_progress.setFixedWidth(160)
        self.job_progress.setTextVisible(False)
        self.job_progress.setVisible(False)
        bar.addWidget(self.device_label)
        bar.addPermanentWidget(self.job_label)
        bar.addPermanentWidget(self.job_progress)

    def _build_menus(self) -> None:
        self._build_studio_menus()  # File, Edit, View, Help with the platform's standard keys (StudioShell)

    def _connect_runner(self) -> None:
        r = self.runner
        r.started.connect(self._on_job_started)
        r.progress.connect(self._on_job_progress)
        r.paused_changed.connect(self._on_job_paused)
        r.failed.connect(self._on_job_failed)
        r.running_changed.connect(self._on_job_running)

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
                self._explore_page = self._install_page("explore", "studio.ui.explore_page", "ExplorePage")
                self._stylize_page = self._install_page("stylize", "studio.ui.stylize_page", "StylizePage")
        self.engine_ready.emit(info)

    def _install_train_page(self, info: EngineInfo) -> None:
        spec = PAGES[0]
        slot = self._slots["train"]
        if not info.ok:
            first_line = (info.error or "").splitlines()[0] if info.error else ""
            page = InfoPage(spec)
            page.set_note(f"The compute engine could not start, so training is unavailable. {first_line}",
                          error=True)
            slot.set_content(self._scrollable(page))
            return
        try:
            from studio.ui.train_page import TrainPage
        except ModuleNotFoundError as exc:
            if exc.name == "studio.ui.train_page":
                slot.set_content(self._scrollable(InfoPage(spec, _COMING_SOON)))
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

    def _page_failed(self, slot: _Slot, spec: PageSpec) -> None:
        details = traceback.format_exc()
        print(details, file=sys.stderr)
        last = details.strip().splitlines()[-1] if details.strip() else "unknown error"
        page = InfoPage(spec)
        page.set_note(f"The {spec.title} page could not be opened: {last}", error=True)
        slot.set_content(self._scrollable(page))

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
        self.runner.running_changed.connect(self._on_any_job_running)
        self.engine_ready.connect(self._on_engine_ready_for_gallery)

    def _on_engine_ready_for_gallery(self, _info) -> None:
        """Pages built with the engine: their jobs refresh the gallery; an item asked for meanwhile opens."""
        runners = (getattr(self._train_page, "export_runner", None), getattr(self._explore_page, "export_runner", None),
                   getattr(self._stylize_page, "runner", None))
        for runner in runners:
            if runner is not None:
                runner.running_changed.connect(self._on_any_job_running)
        pending, self._pending_open = self._pending_open, None
        if pending is not None:
            self.open_gallery_item(*pending)

    def _on_any_job_running(self, running: bool) -> None:
        if not running and self._gallery_page is not None:
            self._gallery_page.refresh_soon()

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
        if not ok and target == "stylize" and self._stylizing():
            self.statusBar().showMessage("Stylize is painting; open the recipe again when it has finished.", 8000)
        return bool(ok)

    def _path_in_use(self, path) -> str | None:
        page = self._train_page
        run = page.run_dir() if page is not None and page.is_training() else None
        if run is not None and (path == run or run in path.parents):
            return f"“{path.name}” is training right now; stop the training first."
        return None

    # --------------------------------------------------------------------------------- status bar
    def _on_job_started(self, title: str) -> None:
        self._job_title = title
        self._last_failure = None
        self.job_label.setText(f"{title} — starting…")
        self.job_label.setToolTip("")
        self.job_progress.setRange(0, 0)
        self.job_progress.setVisible(True)

    def _on_job_progress(self, progress) -> None:
        total = progress.total
        if total:
            self.job_progress.setRange(0, int(total))
            self.job_progress.setValue(min(int(progress.step), int(total)))
            amount = f"{progress.step:,} / {total:,}"
        else:
            self.job_progress.setRange(0, 0)
            amount = f"step {progress.step:,}"
        detail = progress.text or amount
        self.job_label.setText(f"{self._job_title} — {detail}")

    def _on_job_paused(self, paused: bool) -> None:
        if paused:
            self.job_label.setText(f"{self._job_title} — paused")

    def _on_job_failed(self, failed) -> None:
        self._last_failure = failed.message

    def _on_job_running(self, running: bool) -> None:
        if running:
            return
        self.job_progress.setVisible(False)
        if self._last_failure:
            self.job_label.setText(f"{self._job_title} failed")
            self.job_label.setToolTip(self._last_failure)
        else:
            self.job_label.setText("Idle")
            self.job_label.setToolTip("")

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

