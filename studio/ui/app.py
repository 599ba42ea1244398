"""Create the QApplication (names, theme) and run the GUI.

Kept free of torch and numpy imports so the window can appear within a fraction of a second; the
engine is imported in the background once the window is on screen (see ``engine_loader``).

``GAN_STUDIO_EXIT_AFTER_SHOW=1`` prints ``WINDOW_SHOWN <seconds since the process started>`` right
after the window's first paint and quits: the startup benchmark uses it.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QSize, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from studio import __version__

__all__ = ["APP_NAME", "DESKTOP_FILE_NAME", "ORGANIZATION", "app_icon", "apply_theme", "create_app",
           "process_age_seconds", "run_gui"]

ORGANIZATION = "GAN Art Studio"
APP_NAME = "GAN Art Studio"
STYLESHEET = Path(__file__).resolve().parents[2] / "resources" / "style.qss"
ICONS_DIR = STYLESHEET.parent / "icons"  # rendered from the SVG by tools/render_icons.py
DESKTOP_FILE_NAME = "gan-art-studio"  # the .desktop entry (studio.desktop.APP_ID), the Wayland app id
_MODULE_T0 = time.time()  # last-resort reference when neither /proc nor an entry-point time is known


def process_age_seconds() -> float:
    """Seconds since this process started, interpreter start-up included.

    Linux: from /proc (process start in clock ticks since boot vs. uptime now). Elsewhere: the time
    captured first thing by the entry point (``_STARTED`` in main.py / studio.__main__).
    """
    try:
        with open("/proc/self/stat", "rb") as f:
            stat = f.read().decode()
        start_ticks = int(stat[stat.rindex(")") + 2:].split()[19])  # field 22: starttime
        with open("/proc/uptime") as f:
            uptime = float(f.read().split()[0])
        return max(0.0, uptime - start_ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError, AttributeError):
        pass
    for name in ("__main__", "studio.__main__"):
        started = getattr(sys.modules.get(name), "_STARTED", None)
        if isinstance(started, float):
            return time.time() - started
    return time.time() - _MODULE_T0


def apply_theme(app: QApplication, theme: str = "dark") -> None:
    """Fusion + the theme's palette for every widget, and its stylesheet for the studio's own chrome.

    "dark" (the studio's own: ``theme.dark_palette`` + style.qss) or "light" (see ``studio.ui.theme``)."""
    from studio.ui.theme import apply_theme as apply_named_theme

    apply_named_theme(app, theme)


def app_icon() -> QIcon:
    """The studio's icon at every rendered size: Qt picks the sharpest one for title bar, taskbar, dock.

    Files are only registered here; Qt reads a size when something first draws it.
    """
    icon = QIcon()
    for size in (16, 24, 32, 48, 64, 128, 256, 512):
        png = ICONS_DIR / "hicolor" / f"{size}x{size}" / "apps" / f"{DESKTOP_FILE_NAME}.png"
        if png.is_file():
            icon.addFile(str(png), QSize(size, size))
    return icon


def create_app(argv: list[str] | None = None, theme: str = "dark") -> QApplication:
    """The QApplication with the studio's names (used by QSettings) and theme."""
    QCoreApplication.setOrganizationName(ORGANIZATION)
    QCoreApplication.setApplicationName(APP_NAME)
    QCoreApplication.setApplicationVersion(__version__)
    app = QApplication.instance()
    if app is None:
        app = QApplication(list(argv) if argv else [sys.argv[0] if sys.argv else "gan-studio"])
    app.setApplicationDisplayName(APP_NAME)
    app.setDesktopFileName(DESKTOP_FILE_NAME)
    app.setWindowIcon(app_icon())
    apply_theme(app, theme)
    from studio.ui.window.wheel import install_wheel_guard

    install_wheel_guard(app)  # every page: the wheel scrolls panels, it changes only a focused control
    return app


class _StartupReporter:
    """Prints the startup time at the first paint and quits (GAN_STUDIO_EXIT_AFTER_SHOW=1)."""

    def __init__(self, app: QApplication) -> None:
        self.app = app

    def on_first_exposed(self) -> None:
        print(f"WINDOW_SHOWN {process_age_seconds():.3f}", flush=True)
        QTimer.singleShot(0, self.app.quit)


def run_gui(argv: list[str] | None = None) -> int:
    """Show the main window and run the event loop; returns the exit code.

    On Linux/X11 it first checks the system libraries Qt needs, because Qt itself aborts the process
    with a misleading message when one is missing; we print the command that installs them instead."""
    from studio.ui.window.platform_libs import qt_platform_problem

    problem = qt_platform_problem()
    if problem is not None:
        print(problem, file=sys.stderr)
        return 1
    # The config file is read without Qt, so the theme is known before any widget exists.
    from studio.preferences import current_config

    app = create_app(argv, current_config().theme)
    from studio.ui.preferences import startup_config

    _config, config_problem = startup_config()
    exit_after_show = os.environ.get("GAN_STUDIO_EXIT_AFTER_SHOW") == "1"

    from studio.ui.window.window import MainWindow

    window = MainWindow(load_engine=not exit_after_show, config_problem=config_problem,
                        startup_questions=not exit_after_show)
    reporter = _StartupReporter(app)
    if exit_after_show:
        window.first_exposed.connect(reporter.on_first_exposed)

    # Ctrl+C in a terminal closes the window the normal way (which asks about running training).
    # Python only runs signal handlers when it gets control, so wake it up a few times a second.
    signal.signal(signal.SIGINT, lambda *_: window.close())
    wake = QTimer()
    wake.start(250)
    wake.timeout.connect(_noop)

    window.show()
    code = app.exec()
    wake.stop()
    window.shutdown_background()
    return int(code)


def _noop() -> None:
    pass
