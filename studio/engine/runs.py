"""Run-directory layout: the contract between engine, GUI, CLI and other machines.

A run directory is readable by anyone at any time (the GUI can follow a run written by another
process), so every file is either appended line by line (metrics.jsonl) or replaced atomically.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import time
from pathlib import Path
from typing import Any

import platformdirs

SAMPLE_RE = re.compile(r"^step_(\d{7,})\.png$")


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
