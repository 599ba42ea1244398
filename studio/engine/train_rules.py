"""Rules for continuing a training run, shared by the Train page, the CLI and tests (no Qt;
torch only where a checkpoint is looked for).

- which step a checkpoint holds (``checkpoint_step``);
- where a continued run goes next: a run picked from disk whose saved total is already reached gets at
  least 1,000 more steps (``resume_total``); a run that has just finished on the page proposes as many
  steps again (``continue_total``);
- whether a folder can be continued at all, in words (``open_resume_point``);
- which small-data GAN suits a picture size (``small_data_preset_for``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from studio.engine.errors import StudioError

__all__ = ["MIN_MORE_STEPS", "ResumePoint", "RunNotResumable", "checkpoint_step", "continue_total",
           "open_resume_point", "resume_total", "small_data_preset_for"]

MIN_MORE_STEPS = 1000  # a finished run picked to continue gets at least this many more steps


class RunNotResumable(StudioError):
    """The folder is not a run, its settings cannot be read, or it has no checkpoint."""


def checkpoint_step(path: str | Path | None) -> int:
    """The step a checkpoint's JSON state holds; else the number in its name; 0 when there is none."""
    if path is None:
        return 0
    try:
        return int(json.loads(Path(path).read_text(encoding="utf-8"))["step"])
    except (OSError, ValueError, KeyError, TypeError):
        m = re.search(r"(\d+)", Path(path).stem)
        return int(m.group(1)) if m else 0


def resume_total(saved_steps: int, step: int) -> int:
    """Steps to reach when a run at ``step`` is picked to continue (0 = until stopped)."""
    steps = int(saved_steps or 0)
    if steps and steps <= step:
        steps = step + max(steps, MIN_MORE_STEPS)
    return steps


def continue_total(steps: int, step: int) -> int:
    """Steps to propose when this session's own run stopped at ``step``: as many again once reached."""
    steps = int(steps or 0)
    return step + steps if steps and steps <= step else steps


@dataclass(frozen=True)
class ResumePoint:
    """A run that can be continued: its folder, saved settings, newest checkpoint and that checkpoint's step."""

    path: Path
    config: dict
    checkpoint: Path
    step: int

    @property
    def source(self) -> str:
        """The pictures it trains on, as recorded ("?" when the config does not say)."""
        return str(self.config.get("dataset_source") or self.config.get("data") or "?")


def open_resume_point(folder: str | Path) -> ResumePoint:
    """Check that ``folder`` is a run with readable settings and a checkpoint (RunNotResumable in words)."""
    from studio.engine.runs import RunDir

    rd = RunDir(folder)
    if not rd.exists():
        raise RunNotResumable(f"{Path(folder).name} is not a training run: it has no config.json.")
    try:
        cfg = rd.read_config()
    except (OSError, ValueError) as exc:
        raise RunNotResumable(f"The settings of {rd.path.name} cannot be read: {exc}") from exc
    ckpt = rd.latest_checkpoint()
    if ckpt is None:
        raise RunNotResumable(f"{rd.path.name} has no checkpoint to continue from.")
    return ResumePoint(rd.path, cfg, Path(ckpt), checkpoint_step(ckpt))


def small_data_preset_for(image_size: int) -> str:
    """The small-data GAN closest to the size the artist chose (lite32 … lite256)."""
    from studio.engine.gan.models import PRESETS

    sizes = [s for s in (32, 64, 128, 256) if f"lite{s}" in PRESETS]
    return f"lite{min(sizes, key=lambda s: (abs(s - image_size), s))}"
