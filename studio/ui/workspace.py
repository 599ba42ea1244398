"""The workspace folder the studio saves into and the Gallery shows.

The artist's choice lives in the preferences file (``studio.preferences``: ``workspace``); until one is
made (or after it is reset) the engine's default is used (``runs.default_workspace``). Both are resolved
by ``studio.preferences.resolve_runtime``, which the CLI uses too, so a run started from a terminal
lands where the app shows it. The engine gets the folder as an argument (``new_run_dir(workspace_dir()
/ "runs")``), never through the environment. Keep every read and write of the choice to this one pair
of functions.
"""

from __future__ import annotations

from pathlib import Path

from studio.preferences import current_config, resolve_runtime, save_config

__all__ = ["SETTINGS_KEY", "set_workspace_dir", "workspace_dir"]

SETTINGS_KEY = "workspace/path"  # where an earlier build kept the choice (QSettings); read once to move it


def workspace_dir() -> Path:
    """The workspace folder now in use (it may not exist yet: the first save creates it)."""
    return resolve_runtime().workspace


def set_workspace_dir(path: str | Path | None) -> None:
    """Use ``path`` as the workspace from now on; None or "" goes back to the default."""
    cfg = current_config()
    cfg.workspace = str(Path(path).expanduser()) if path else None
    save_config(cfg)


def migrate_qsettings_choice() -> None:
    """A workspace chosen with an earlier build (kept in QSettings) moves into the config file once."""
    try:
        from PySide6.QtCore import QSettings
    except ImportError:  # pragma: no cover
        return
    s = QSettings()
    old = s.value(SETTINGS_KEY, "", type=str)
    if not old:
        return
    cfg = current_config()
    if not cfg.workspace:
        cfg.workspace = old
        save_config(cfg)
    s.remove(SETTINGS_KEY)
