"""Run-directory layout: the contract between engine, GUI, CLI and other machines.

A run directory is readable by anyone at any time (the GUI can follow a run written by another
process), so every file is either appended line by line (metrics.jsonl) or replaced atomically.
"""

from __future__ import annotations

import json
import os
import re
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import platformdirs

from studio.engine.errors import StudioError

SAMPLE_RE = re.compile(r"^step_(\d{7,})\.png$")
LOCK_NAME = ".lock"
# A run folder synced from another machine (rsync, Syncthing, a network drive) carries its lock file's text but
# not the OS lock. Its holder on another host counts as alive while the folder had news this recently.
REMOTE_QUIET_S = 15 * 60
# Temp files of our atomic writes (``.<name>.<random>.tmp``): left behind only by a process that died mid-write.
STALE_TMP_RE = re.compile(r"^\..+\.tmp$")


def default_workspace() -> Path:
    """Where runs, artworks and animations go unless the user chose otherwise."""
    env = os.environ.get("GAN_STUDIO_WORKSPACE")
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_pictures_dir()) / "GAN Art Studio"


def new_run_dir(workspace: str | Path | None = None, name: str | None = None) -> Path:
    """Create a fresh, uniquely named run directory under ``workspace/runs``."""
    root = Path(workspace) if workspace is not None else default_workspace() / "runs"
    root.mkdir(parents=True, exist_ok=True)
    stem = name or time.strftime("run-%Y%m%d-%H%M%S")
    stem = re.sub(r"[^\w.\-]+", "-", stem).strip("-") or "run"
    path = root / stem
    n = 2
    while path.exists():
        path = root / f"{stem}-{n}"
        n += 1
    path.mkdir(parents=True)
    return path


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write to a temp file in the same folder, fsync, then rename: readers never see half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; these are ordinary user files
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def atomic_write_json(path: str | Path, obj: Any) -> None:
    atomic_write_bytes(path, json.dumps(obj, indent=2, sort_keys=True).encode("utf-8"))


# ------------------------------------------------------------------------------------ one owner per run

class RunLockedError(StudioError):
    """Another process (or another job in this one) owns the run folder."""


def _lock_fd(fd: int, blocking: bool = False) -> bool:
    """An OS lock on an open file that the OS drops when the process dies (even by SIGKILL or power-off of the
    process): a stale lock can never strand a run. True when taken."""
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import msvcrt

        # Lock one byte far past the holder text, so others can still read who holds it.
        os.lseek(fd, 1 << 30, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        finally:
            os.lseek(fd, 0, os.SEEK_SET)
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _unlock_fd(fd: int) -> None:
    if sys.platform == "win32":  # pragma: no cover
        import msvcrt

        os.lseek(fd, 1 << 30, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        except OSError:
            pass
        return
    import fcntl

    fcntl.flock(fd, fcntl.LOCK_UN)


def _describe_holder(info: dict | None) -> str:
    if not info:
        return "another program"
    who = f"process {info.get('pid', '?')}"
    if info.get("host") and info.get("host") != socket.gethostname():
        who += f" on {info['host']}"
    if info.get("command"):
        who += f" ({info['command']})"
    if info.get("started"):
        who += f", since {info['started']}"
    return who


def _read_holder(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8") or "null")
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def last_news(run_dir: str | Path) -> float | None:
    """When a run folder last changed (newest modification time of its files that grow), or None."""
    run_dir = Path(run_dir)
    newest = None
    for p in (run_dir / LOCK_NAME, run_dir / "metrics.jsonl", run_dir / "health.jsonl", run_dir / "samples",
              run_dir / "checkpoints"):
        try:
            t = p.stat().st_mtime
        except OSError:
            continue
        newest = t if newest is None else max(newest, t)
    return newest


def remote_holder(run_dir: str | Path, quiet_s: float = REMOTE_QUIET_S) -> str | None:
    """Who trains ``run_dir`` on *another machine* (its synced lock file names that host, and the folder had news
    within ``quiet_s``), in words; None when nobody elsewhere does (or it has been silent too long: a crash
    there leaves the text behind, and a run must not be stranded by it)."""
    info = _read_holder(Path(run_dir) / LOCK_NAME)
    if not info or not info.get("host") or info.get("host") == socket.gethostname():
        return None
    news = last_news(run_dir)
    if news is None:
        return None
    age = max(0.0, time.time() - news)
    if age > quiet_s:
        return None
    from studio.engine.durations import format_duration

    return f"{_describe_holder(info)}; last news {format_duration(age)} ago"


def _current_command() -> str:
    argv = [os.path.basename(sys.argv[0] or "python")] + sys.argv[1:]
    if argv[0] in ("__main__.py", "-m", "-c"):
        argv[0] = "python -m studio"
    text = " ".join(argv)
    return text if len(text) <= 160 else text[:157] + "…"


class RunLock:
    """Ownership of one run folder for as long as it is held: one writer at a time.

    The lock is an OS file lock on ``<run>/.lock`` (fcntl.flock; msvcrt on Windows) which dies with its
    process, so a crash never leaves the run locked. The file also says who holds it (pid, host, command,
    start time) for the refusal. Two holders in one process conflict too (the GUI training a run while
    the same run is started again). Use as a context manager or ``acquire()`` / ``release()``.
    """

    def __init__(self, run_dir: str | Path, command: str | None = None) -> None:
        self.run_dir = Path(run_dir)
        self.path = self.run_dir / LOCK_NAME
        self.command = command
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self, tries: int = 5) -> RunLock:
        if self._fd is not None:
            return self
        self.run_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            # A reader peeking with lock_holder() holds the lock for microseconds: retry briefly before refusing.
            for attempt in range(max(1, tries)):
                if _lock_fd(fd):
                    break
                if attempt + 1 < tries:
                    time.sleep(0.05)
            else:
                raise RunLockedError(
                    f"The run folder {self.run_dir} is in use by {_describe_holder(_read_holder(self.path))}; "
                    "wait for it to finish or stop it first (one run folder has one owner at a time).")
            elsewhere = remote_holder(self.run_dir)
            if elsewhere is not None:
                _unlock_fd(fd)
                raise RunLockedError(
                    f"The run folder {self.run_dir} is being trained by {elsewhere}; wait for it to stop there (or "
                    f"for {REMOTE_QUIET_S // 60} minutes of silence) before continuing it here.")
            info = {"pid": os.getpid(), "host": socket.gethostname(), "command": self.command or _current_command(),
                    "started": time.strftime("%Y-%m-%d %H:%M:%S")}
            os.ftruncate(fd, 0)
            os.write(fd, json.dumps(info).encode("utf-8"))
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        return self

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            os.ftruncate(fd, 0)  # nobody holds it now; the file stays (deleting it would race a new owner)
        except OSError:
            pass
        try:
            _unlock_fd(fd)
        finally:
            os.close(fd)

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def lock_holder(run_dir: str | Path) -> str | None:
    """Who owns ``run_dir`` right now, in words ("process 4242 (python -m studio train …), since …"), or None.

    For a GUI that follows a run: when this is not None it may only read the run (show it live), never write."""
    path = Path(run_dir) / LOCK_NAME
    if not path.is_file():
        return None
    try:
        fd = os.open(path, os.O_RDWR if sys.platform == "win32" else os.O_RDONLY)
    except OSError:
        return None
    try:
        if _lock_fd(fd):
            _unlock_fd(fd)
            return remote_holder(run_dir)
    finally:
        os.close(fd)
    return _describe_holder(_read_holder(path))


def remove_stale_temp_files(folder: str | Path) -> list[Path]:
    """Delete the temp files an interrupted atomic write left in ``folder`` (not recursive).

    Only the run's owner (holding its RunLock) may call this: someone else's temp file may be in use."""
    removed = []
    folder = Path(folder)
    if not folder.is_dir():
        return removed
    for p in folder.iterdir():
        if STALE_TMP_RE.match(p.name) and p.is_file():
            try:
                p.unlink()
                removed.append(p)
            except OSError:
                pass
    return removed


class RunDir:
    """Names the files of one run; reading methods tolerate a run that is being written right now."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    @property
    def config_path(self) -> Path:
        return self.path / "config.json"

    @property
    def metrics_path(self) -> Path:
        return self.path / "metrics.jsonl"

    @property
    def samples_dir(self) -> Path:
        return self.path / "samples"

    @property
    def checkpoints_dir(self) -> Path:
        return self.path / "checkpoints"

    def sample_path(self, step: int) -> Path:
        return self.samples_dir / f"step_{step:07d}.png"

    def exists(self) -> bool:
        return self.config_path.is_file()

    def read_config(self) -> dict:
        with open(self.config_path, encoding="utf-8") as fh:
            data = json.load(fh)
        if not isinstance(data, dict):
            raise ValueError(f"{self.config_path} is not a run configuration")
        return data

    @property
    def health_path(self) -> Path:
        return self.path / "health.jsonl"

    @staticmethod
    def _read_jsonl(path: Path, keep) -> list[dict]:
        """Complete JSON records (dicts) of a JSON-lines file; a half-written last line (writer mid-append) is
        ignored."""
        if not path.is_file():
            return []
        out = []
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if not line.endswith("\n"):
                    break
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if isinstance(rec, dict) and keep(rec):
                    out.append(rec)
        return out

    def read_metrics(self, after_step: int = -1) -> list[dict]:
        """All complete metric records after ``after_step``."""
        return self._read_jsonl(self.metrics_path, lambda r: r.get("step", -1) > after_step)

    def append_health(self, record: dict) -> None:
        """One health event (``health.event_to_dict``), appended as a line; the GUI shows them again when the run
        is opened or continued."""
        with open(self.health_path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, default=str) + "\n")

    def read_health(self, upto_step: int | None = None) -> list[dict]:
        """Health events in the order they happened, those at or before ``upto_step`` when given (a run continued
        from an earlier checkpoint had not seen the later ones)."""
        return self._read_jsonl(self.health_path,
                                lambda r: isinstance(r.get("step"), int) and (upto_step is None or r["step"] <= upto_step))

    def _keep_upto(self, path: Path, step: int) -> None:
        keep = self._read_jsonl(path, lambda r: r.get("step", 0) <= step)
        atomic_write_bytes(path, "".join(json.dumps(r, default=str) + "\n" for r in keep).encode())

    def truncate_metrics_after(self, step: int) -> None:
        """On resume, drop records past the checkpoint so curves never show a step twice."""
        self._keep_upto(self.metrics_path, step)

    def truncate_health_after(self, step: int) -> None:
        """On resume, drop the health events of the steps being replayed: they belong to a timeline that is gone."""
        if self.health_path.is_file():
            self._keep_upto(self.health_path, step)

    def sample_grids(self) -> list[tuple[int, Path]]:
        if not self.samples_dir.is_dir():
            return []
        found = []
        for p in self.samples_dir.iterdir():
            m = SAMPLE_RE.match(p.name)
            if m:
                found.append((int(m.group(1)), p))
        return sorted(found)

    def latest_checkpoint(self) -> Path | None:
        from studio.engine.gan.checkpoints import latest_checkpoint

        return latest_checkpoint(self.checkpoints_dir)

    def lock(self, command: str | None = None) -> RunLock:
        """The run's ownership lock (not yet taken): ``with run.lock(): ...`` writes safely."""
        return RunLock(self.path, command)

    def holder(self) -> str | None:
        """Who owns the run now (see ``lock_holder``), or None when nobody does."""
        return lock_holder(self.path)

    def clean_stale_files(self) -> list[Path]:
        """At the start of an owner's session: the temp files a killed writer left in the run and its folders,
        and checkpoint weights whose JSON was never written."""
        removed = []
        for folder in (self.path, self.samples_dir, self.checkpoints_dir, self.path / "health",
                       self.path / "quality"):
            removed += remove_stale_temp_files(folder)
        from studio.engine.gan.checkpoints import remove_orphan_weights

        removed += remove_orphan_weights(self.checkpoints_dir)
        return removed
