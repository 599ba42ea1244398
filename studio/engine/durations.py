"""Durations in words ("45 s", "12 min 05 s", "2 h 03 min"), for training ETAs and time estimates.

Qt-free and torch-free, so the pages and the CLI can format a duration without loading the trainer
(the one copy: ``studio.engine.gan.trainer`` imports it from here).
"""

from __future__ import annotations

import math

__all__ = ["format_duration", "unbroken_duration"]


def format_duration(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "—"
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def unbroken_duration(seconds: float) -> str:
    """The same with no-break spaces: a duration never breaks across lines in a label."""
    return format_duration(seconds).replace(" ", "\u00a0")
