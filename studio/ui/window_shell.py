"""Compatibility shim: the shell's rooms now live in ``studio.ui.window`` (removed once importers moved)."""

from studio.ui.window.dialogs import HELP_HINT, WALK_FORMAT_KEYS  # noqa: F401
from studio.ui.window.shell import PAGE_HELP, STATUS_MS, StudioShell  # noqa: F401
