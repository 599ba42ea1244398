"""The studio's user preferences: one small, versioned JSON file in the platform config folder.

Qt-free and torch-free, so the GUI (before its window shows), the CLI and tests can all read it. It is
the one place that turns the file into what the engine needs (``resolve_runtime``: workspace, device,
threads); the GUI and the CLI both call it and pass the values to the engine as arguments, so a run
started from a terminal lands where the app would put it. Window
geometry and the last page stay in QSettings; everything an artist chooses on purpose lives here.

Reading never raises: a file that is not JSON, has fields of the wrong type, or was written by a newer
studio is reported in plain words, kept beside as ``config.json.bak`` and replaced by defaults (fields
that were fine are kept). Older versions are migrated step by step (``MIGRATIONS``). Writes are atomic
(temp file + rename), so a crash mid-save never leaves half a file.

``session.json`` beside it is a marker, not a preference: it names the run that is training right now,
so a studio that closed or crashed mid-run can offer to resume it next time.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

__all__ = [
    "ARTWORK_FORMATS", "CONFIG_DIR_ENV", "CONFIG_VERSION", "Config", "DEFAULT_DEVICE", "ExportDefaults",
    "MAX_RECENT", "MIGRATIONS", "Runtime", "THEMES", "WALK_FORMATS", "clear_training_marker", "config_dir",
    "config_path", "current_config", "interrupted_training", "last_problem", "load_config", "mark_training",
    "reset_config_cache", "resolve_runtime", "save_config", "session_path", "take_problem", "update_config",
    "valid_device",
]

CONFIG_VERSION = 1
CONFIG_DIR_ENV = "GAN_STUDIO_CONFIG_DIR"  # tests and portable installs point this at their own folder
CONFIG_FILE = "config.json"
SESSION_FILE = "session.json"
APP_DIR_NAME = "gan-art-studio"  # as for the cache and data folders (platformdirs)

THEMES = ("dark", "light")
ARTWORK_FORMATS = ("png", "jpg", "webp")
WALK_FORMATS = ("gif", "mp4", "png")  # png = a folder of PNG frames
DEFAULT_DEVICE = "auto"
MAX_RECENT = 10
MAX_THREADS = 1024
WALK_SIZE_RANGE = (16, 2048)
JPEG_QUALITY_RANGE = (1, 100)


@dataclass
class ExportDefaults:
    """What the save and export dialogs start with."""

    artwork_format: str = "png"  # png | jpg | webp
    jpeg_quality: int = 95  # JPEG and WebP (the engine's own default)
    walk_format: str = "gif"  # gif | mp4 | png
    walk_size: int = 256  # pixels, the longer side


@dataclass
class Config:
    """Everything in config.json. ``None`` means "the studio's default" (not "unset by mistake")."""

    version: int = CONFIG_VERSION
    device: str = DEFAULT_DEVICE  # auto | cpu | cuda | cuda:N | mps
    cpu_threads: int = 0  # 0 = as many as this computer allows
    workspace: str | None = None  # None = the engine's default (runs.default_workspace: <Pictures>/GAN Art Studio)
    theme: str = "dark"
    export: ExportDefaults = field(default_factory=ExportDefaults)
    first_run_done: bool = False
    vgg19_path: str | None = None  # a VGG19 weights file the artist chose (instead of downloading)
    recent_files: list[str] = field(default_factory=list)  # newest first, at most MAX_RECENT
    critic_chooses: bool = True  # Explore: a run's critic chooses each new batch of samples among more candidates

    def add_recent(self, path: str | Path) -> None:
        """Put ``path`` first in the recent list (once), dropping the oldest beyond MAX_RECENT."""
        text = str(path)
        self.recent_files = [text] + [p for p in self.recent_files if p != text]
        del self.recent_files[MAX_RECENT:]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def copy(self) -> Config:
        return copy.deepcopy(self)


# ------------------------------------------------------------------------------------ validation
def valid_device(value: Any) -> bool:
    """auto, cpu, mps, cuda or cuda:N (whether this computer has it is checked when it is used)."""
    if not isinstance(value, str):
        return False
    v = value.strip().lower()
    if v in ("auto", "cpu", "mps", "cuda"):
        return True
    head, sep, index = v.partition(":")
    return head == "cuda" and bool(sep) and index.isdigit()


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _optional_path(v: Any) -> bool:
    return v is None or (isinstance(v, str) and v.strip() != "")


_FIELD_CHECKS: dict[str, Callable[[Any], bool]] = {
    "device": valid_device,
    "cpu_threads": lambda v: _is_int(v) and 0 <= v <= MAX_THREADS,
    "workspace": _optional_path,
    "theme": lambda v: v in THEMES,
    "first_run_done": lambda v: isinstance(v, bool),
    "vgg19_path": _optional_path,
    "recent_files": lambda v: isinstance(v, list) and all(isinstance(p, str) and p for p in v),
    "critic_chooses": lambda v: isinstance(v, bool),
}
_EXPORT_CHECKS: dict[str, Callable[[Any], bool]] = {
    "artwork_format": lambda v: v in ARTWORK_FORMATS,
    "jpeg_quality": lambda v: _is_int(v) and JPEG_QUALITY_RANGE[0] <= v <= JPEG_QUALITY_RANGE[1],
    "walk_format": lambda v: v in WALK_FORMATS,
    "walk_size": lambda v: _is_int(v) and WALK_SIZE_RANGE[0] <= v <= WALK_SIZE_RANGE[1],
}
_LABELS = {"device": "device", "cpu_threads": "CPU threads", "workspace": "workspace folder", "theme": "theme",
           "first_run_done": "welcome shown", "vgg19_path": "VGG19 file", "recent_files": "recent files",
           "critic_chooses": "critic chooses samples",
           "artwork_format": "artwork format", "jpeg_quality": "JPEG quality", "walk_format": "animation format",
           "walk_size": "animation size", "export": "export defaults"}


def _from_dict(data: dict[str, Any]) -> tuple[Config, list[str]]:
    """A Config from a current-version dict: good fields kept, bad ones default. Returns the bad names."""
    cfg = Config()
    bad: list[str] = []
    for name, check in _FIELD_CHECKS.items():
        if name not in data:
            continue
        value = data[name]
        if check(value):
            setattr(cfg, name, list(value) if isinstance(value, list) else value)
        else:
            bad.append(name)
    if isinstance(cfg.device, str):
        cfg.device = cfg.device.strip().lower()
    cfg.recent_files = cfg.recent_files[:MAX_RECENT]
    export = data.get("export", {})
    if isinstance(export, dict):
        for name, check in _EXPORT_CHECKS.items():
            if name in export:
                if check(export[name]):
                    setattr(cfg.export, name, export[name])
                else:
                    bad.append(name)
    else:
        bad.append("export")
    return cfg, bad


# ------------------------------------------------------------------------------------- migration
def _migrate_0_to_1(data: dict[str, Any]) -> dict[str, Any]:
    """Version 0 (development builds, no "version" key): flat export keys, ``threads``, ``dark_theme``."""
    out = {k: v for k, v in data.items() if k not in ("threads", "dark_theme", "export_format", "walk_format",
                                                      "walk_size", "jpeg_quality")}
    if "threads" in data:
        out["cpu_threads"] = data["threads"]
    if "dark_theme" in data and "theme" not in data:
        out["theme"] = "dark" if data["dark_theme"] else "light"
    export = dict(out.get("export") or {}) if isinstance(out.get("export"), dict) else {}
    for old, new in (("export_format", "artwork_format"), ("walk_format", "walk_format"),
                     ("walk_size", "walk_size"), ("jpeg_quality", "jpeg_quality")):
        if old in data:
            export.setdefault(new, data[old])
    if export:
        out["export"] = export
    out["version"] = 1
    return out


# MIGRATIONS[n] turns a version-n dict into a version-(n+1) dict. Add one whenever CONFIG_VERSION grows.
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {0: _migrate_0_to_1}


# ----------------------------------------------------------------------------------------- paths
def config_dir() -> Path:
    """``$GAN_STUDIO_CONFIG_DIR``, else the platform's user config folder for the studio."""
    env = os.environ.get(CONFIG_DIR_ENV)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_DIR_NAME, appauthor=False))


def config_path() -> Path:
    return config_dir() / CONFIG_FILE


def session_path() -> Path:
    return config_dir() / SESSION_FILE


def _atomic_write_text(path: Path, text: str) -> None:
    from studio.engine.runs import atomic_write_bytes  # light: no torch, no Qt

    atomic_write_bytes(path, text.encode("utf-8"))


def _keep_backup(path: Path) -> Path | None:
    """Copy the file the studio could not use to ``<name>.bak`` (replacing an older backup)."""
    backup = path.with_name(path.name + ".bak")
    try:
        _atomic_write_text(backup, path.read_bytes().decode("utf-8", errors="replace"))
    except OSError:
        return None
    return backup


# ------------------------------------------------------------------------------------ load/save
def load_config(path: str | Path | None = None) -> tuple[Config, str | None]:
    """The preferences and, when the file could not be used as it was, a sentence saying what happened.

    Never raises. No file yet is not a problem (first run). A file that was not usable is kept as
    ``.bak`` before the caller saves defaults over it.
    """
    p = Path(path) if path is not None else config_path()
    try:
        raw = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Config(), None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        backup = _keep_backup(p) if isinstance(exc, UnicodeDecodeError) else None
        return Config(), _problem(p, f"it could not be read ({reason})", backup)
    try:
        data = json.loads(raw)
    except ValueError as exc:
        line = getattr(exc, "lineno", None)
        where = f" near line {line}" if line else ""
        return Config(), _problem(p, f"it is not valid JSON{where}", _keep_backup(p))
    if not isinstance(data, dict):
        return Config(), _problem(p, "it does not hold a set of settings", _keep_backup(p))

    version = data.get("version", 0)
    if not _is_int(version) or version < 0:
        return Config(), _problem(p, f"its version ({version!r}) is not a number the studio knows", _keep_backup(p))
    if version > CONFIG_VERSION:
        return Config(), _problem(p, f"it was written by a newer GAN Art Studio (settings version {version}; "
                                     f"this one reads up to {CONFIG_VERSION})", _keep_backup(p))
    try:
        while version < CONFIG_VERSION:
            data = MIGRATIONS[version](data)
            version += 1
    except Exception as exc:  # noqa: BLE001 - a file we cannot migrate must not stop the studio
        return Config(), _problem(p, f"its old format could not be updated ({exc})", _keep_backup(p))

    cfg, bad = _from_dict(data)
    if bad:
        names = ", ".join(_LABELS.get(b, b) for b in bad)
        return cfg, _problem(p, f"some values were not understood and were reset to the defaults: {names}",
                             _keep_backup(p), partial=True)
    return cfg, None


def _problem(path: Path, why: str, backup: Path | None, partial: bool = False) -> str:
    kept = f" The old file was kept as {backup.name}." if backup is not None else ""
    rest = "Your other settings were kept." if partial else "The default settings are used instead."
    return f"Your settings file {path} could not be used as it was: {why}. {rest}{kept}"


def save_config(cfg: Config, path: str | Path | None = None) -> Path:
    """Write the preferences atomically; the in-memory copy (``current_config``) follows."""
    p = Path(path) if path is not None else config_path()
    cfg.version = CONFIG_VERSION
    _atomic_write_text(p, json.dumps(cfg.to_dict(), indent=2, sort_keys=True) + "\n")
    if path is None:
        global _CACHE
        _CACHE = (p, cfg)
    return p


# ------------------------------------------------------------------ one shared copy in this process
_CACHE: tuple[Path, Config] | None = None
_LAST_PROBLEM: str | None = None


def current_config() -> Config:
    """The preferences in use in this process (read once per config path; ``save_config`` updates it).

    A file that could not be used is replaced by the repaired settings at once, so the problem is
    reported only once; ``last_problem()`` says what it was.
    """
    global _CACHE, _LAST_PROBLEM
    p = config_path()
    if _CACHE is None or _CACHE[0] != p:
        cfg, problem = load_config(p)
        _LAST_PROBLEM = problem
        _CACHE = (p, cfg)
        if problem is not None:
            try:
                save_config(cfg)
            except OSError:
                pass
    return _CACHE[1]


def last_problem() -> str | None:
    """What was wrong with the settings file when ``current_config`` last read it (None if nothing)."""
    return _LAST_PROBLEM


def take_problem() -> str | None:
    """Like ``last_problem`` but only once: whoever reports the problem to the artist takes it."""
    global _LAST_PROBLEM
    problem, _LAST_PROBLEM = _LAST_PROBLEM, None
    return problem


def reset_config_cache() -> None:
    """Forget the in-memory copy (tests that switch config folders; a file edited by hand)."""
    global _CACHE, _LAST_PROBLEM
    _CACHE = None
    _LAST_PROBLEM = None


def update_config(**changes: Any) -> Config:
    """Change fields of the current preferences and save them (``export=ExportDefaults(...)`` too)."""
    cfg = current_config()
    names = {f.name for f in fields(Config)}
    for key, value in changes.items():
        if key not in names:
            raise AttributeError(f"Config has no field {key!r}")
        setattr(cfg, key, value)
    save_config(cfg)
    return cfg


# ------------------------------------------------------------------------------ what the engine gets
@dataclass(frozen=True)
class Runtime:
    """The preferences the engine works with, resolved: handed to it as arguments, never through the environment."""

    workspace: Path  # where runs, artworks and animations go (may not exist yet)
    device: str  # auto | cpu | cuda | cuda:N | mps — "auto" lets the engine pick the fastest
    cpu_threads: int  # 0 = as many as this process may use

    @property
    def runs_dir(self) -> Path:
        """Where new training runs are created (``runs.new_run_dir(runtime.runs_dir)``)."""
        return self.workspace / "runs"


def resolve_runtime(cfg: Config | None = None) -> Runtime:
    """Workspace, device and CPU threads from the preferences file (or ``cfg``), for the GUI and the CLI alike.

    An unset workspace is the engine's default folder (``runs.default_workspace``), so both faces agree
    on it too. Reading never raises (see ``current_config``).
    """
    cfg = current_config() if cfg is None else cfg
    if cfg.workspace:
        workspace = Path(cfg.workspace).expanduser()
    else:
        from studio.engine.runs import default_workspace  # platformdirs only: no torch, no Qt

        workspace = default_workspace()
    device = cfg.device if valid_device(cfg.device) else DEFAULT_DEVICE
    threads = cfg.cpu_threads if _is_int(cfg.cpu_threads) and cfg.cpu_threads > 0 else 0
    return Runtime(workspace, device, threads)


# ------------------------------------------------------------------------------ training marker
def mark_training(run_dir: str | Path) -> None:
    """Training into ``run_dir`` has started: if the studio ends without ``clear_training_marker``,
    the next start offers to resume it."""
    try:
        _atomic_write_text(session_path(), json.dumps({"training_run": str(run_dir)}) + "\n")
    except OSError:
        pass  # a read-only config folder only costs the resume offer


def clear_training_marker() -> None:
    try:
        session_path().unlink()
    except OSError:
        pass


def interrupted_training() -> Path | None:
    """The run that was training when the studio last ended without a clean stop, if it still exists."""
    try:
        data = json.loads(session_path().read_text(encoding="utf-8"))
        run = Path(data["training_run"]) if isinstance(data, dict) and data.get("training_run") else None
    except (OSError, ValueError, TypeError, KeyError):
        run = None
    if run is None or not run.is_dir():
        if session_path().exists():
            clear_training_marker()  # unreadable, or the run was deleted: nothing to offer
        return None
    return run
