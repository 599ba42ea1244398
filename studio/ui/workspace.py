"""The workspace folder the studio saves into and the Gallery shows.

The artist's choice lives in the studio's config file (``studio.config``: ``workspace``); until one is
made (or after it is reset) the engine's default is used: ``$GAN_STUDIO_WORKSPACE`` when set, else
``<Pictures>/GAN Art Studio``. Keep every read and write of the choice to this one pair of functions.

The engine stays Qt- and config-free: it only reads ``$GAN_STUDIO_WORKSPACE`` (``runs.default_workspace``).
So a chosen workspace is handed to it through that variable (``handoff_to_engine``: at startup and on
every change); resetting to the default gives back whatever value the variable had before.
"""

from __future__ import annotations

import os
from pathlib import Path

from studio.config import current_config, save_config

__all__ = ["ENGINE_ENV", "SETTINGS_KEY", "handoff_to_engine", "set_workspace_dir", "workspace_dir"]

ENGINE_ENV = "GAN_STUDIO_WORKSPACE"
SETTINGS_KEY = "workspace/path"  # where an earlier build kept the choice (QSettings); read once to move it

_UNSET = object()
_env_before: object = _UNSET  # the variable's value before we first set it (None: it was not set)
_env_ours: str | None = None  # the value we set, to notice when someone else changed it since


def workspace_dir() -> Path:
    """The workspace folder now in use (it may not exist yet: the first save creates it)."""
    chosen = current_config().workspace
    if chosen:
        return Path(chosen).expanduser()
    from studio.engine.runs import default_workspace  # platformdirs only: no torch, no numpy

    return default_workspace()


def set_workspace_dir(path: str | Path | None) -> None:
    """Use ``path`` as the workspace from now on; None or "" goes back to the default."""
    cfg = current_config()
    cfg.workspace = str(Path(path).expanduser()) if path else None
    save_config(cfg)
    handoff_to_engine(cfg.workspace)


def handoff_to_engine(chosen: str | None) -> None:
    """Make the engine's default workspace (``$GAN_STUDIO_WORKSPACE``) follow the artist's choice."""
    global _env_before, _env_ours
    current = os.environ.get(ENGINE_ENV)
    if _env_ours is not None and current != _env_ours:
        _env_before, _env_ours = _UNSET, None  # someone else set it since: that value is the base now
    if chosen:
        if _env_before is _UNSET:
            _env_before = current
        _env_ours = str(chosen)
        os.environ[ENGINE_ENV] = _env_ours
    elif _env_before is not _UNSET:
        if _env_before is None:
            os.environ.pop(ENGINE_ENV, None)
        else:
            os.environ[ENGINE_ENV] = str(_env_before)
        _env_before, _env_ours = _UNSET, None


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
