"""Compatibility shim: the window now lives in ``studio.ui.window`` (removed once every importer moved)."""

from studio.ui.window.pages import COMING_SOON as _COMING_SOON  # noqa: F401
from studio.ui.window.pages import PAGES, InfoPage, PageSpec  # noqa: F401
from studio.ui.window.pages import PageSlot as _Slot  # noqa: F401
from studio.ui.window.pages import nav_icon as _nav_icon  # noqa: F401
from studio.ui.window.window import SHUTDOWN_TIMEOUT_MS, MainWindow  # noqa: F401
