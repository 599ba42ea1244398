"""Durations in words: exact ("45 s", "12 min 05 s", "2 h 03 min") for training ETAs and time estimates, and
approximate ("about 1 min 20 s", rounded more coarsely as the wait grows) for the style ETA.

Qt-free and torch-free, so the pages and the CLI can format a duration without loading the trainer
(the one copy: ``studio.engine.gan.trainer`` imports it from here).
"""

from __future__ import annotations

import math

__all__ = ["approximate_duration", "format_duration", "unbroken_duration"]


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


def approximate_duration(seconds: float, approximate: bool = True) -> str:
    """'about 1 min 20 s' style: rounded more coarsely as the wait grows, so the text does not flicker."""
    s = max(0.0, float(seconds))
    if not approximate:
        if s < 60:
            return f"{s:.1f} s"
        m, sec = divmod(int(round(s)), 60)
        if m < 60:
            return f"{m} min {sec} s" if sec else f"{m} min"
        h, m = divmod(m, 60)
        return f"{h} h {m} min" if m else f"{h} h"
    if s < 10:
        return "a few seconds"
    if s < 60:
        return f"{int(round(s / 5) * 5)} s"
    if s < 600:
        total = int(round(s / 10) * 10)
        m, sec = divmod(total, 60)
        return f"{m} min {sec} s" if sec else f"{m} min"
    if s < 3600:
        return f"{int(round(s / 60))} min"
    h, m = divmod(int(round(s / 300) * 5), 60)
    return f"{h} h {m} min" if m else f"{h} h"
