"""Deleting workspace items with everything that belongs to them, and saying what happened in one message.

The rule is the engine's so the CLI and the tests can use it without Qt: each item goes to the trash
together with its recipe, masks and poster; an item the trash cannot take (a drive without a trash
folder) is deleted for good only after ``confirm_permanent`` agrees. Moving to the trash is the caller's
(Qt knows the platform's trash), passed in as ``trash(path) -> bool``.

Also the short wording the Gallery shows for sizes, dates and counts.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from studio.engine.gallery import GalleryItem, companion_files

__all__ = ["DeleteReport", "count_text", "delete_items", "remove_path", "size_text", "when_text"]


def size_text(n: int) -> str:
    """'512 bytes', '3.4 MB': one decimal from kilobytes up."""
    value = float(n)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{int(value)} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} bytes"


def when_text(ts: float, now: float | None = None) -> str:
    """Short, human dates: "today 14:02", "yesterday 09:15", "3 Mar", "3 Mar 2024"."""
    now = time.time() if now is None else now
    t, n = time.localtime(ts), time.localtime(now)
    if t.tm_year == n.tm_year and t.tm_yday == n.tm_yday:
        return time.strftime("today %H:%M", t)
    if time.localtime(now - 86400)[:3] == t[:3]:
        return time.strftime("yesterday %H:%M", t)
    if t.tm_year == n.tm_year:
        return f"{t.tm_mday} {time.strftime('%b', t)}"
    return f"{t.tm_mday} {time.strftime('%b %Y', t)}"


def count_text(n: int) -> str:
    return f"{n} item" if n == 1 else f"{n} items"


def remove_path(path: Path) -> None:
    """Delete a file, a link or a whole folder for good (OSError when the system refuses)."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


@dataclass
class DeleteReport:
    """What a delete did. ``message`` is the one sentence (or a few) to show; "" when nothing happened."""

    trashed: int = 0
    removed: int = 0  # trashed + deleted for good
    untrashable: list[GalleryItem] = field(default_factory=list)  # kept: no trash and not confirmed
    leftovers: list[Path] = field(default_factory=list)  # could not be removed at all

    @property
    def level(self) -> str:
        return "error" if self.untrashable or self.leftovers else "info"

    @property
    def message(self) -> str:
        parts = []
        if self.trashed:
            parts.append(f"Moved {count_text(self.trashed)} to the trash.")
        if self.removed > self.trashed:
            parts.append(f"Deleted {count_text(self.removed - self.trashed)} permanently.")
        if self.untrashable:
            parts.append(f"Kept {count_text(len(self.untrashable))}: the trash is not available for "
                         f"{', '.join(it.name for it in self.untrashable[:3])}.")
        if self.leftovers:
            parts.append(f"These could not be removed: {', '.join(p.name for p in self.leftovers[:4])}.")
        return " ".join(parts)


def delete_items(items: Sequence[GalleryItem], trash: Callable[[Path], bool],
                 confirm_permanent: Callable[[list[GalleryItem]], bool]) -> DeleteReport:
    """Trash each item with its companions; ask once (``confirm_permanent``) about those the trash refused."""
    report = DeleteReport()
    untrashable: list[GalleryItem] = []
    for item in items:
        companions = companion_files(item)  # listed before the item goes: they are found beside it
        if not item.path.exists():
            continue
        if not trash(item.path):
            untrashable.append(item)
            continue
        report.trashed += 1
        report.leftovers += [c for c in companions if c.exists() and not trash(c)]
    report.removed = report.trashed
    if untrashable and confirm_permanent(untrashable):
        for item in untrashable:
            for path in [item.path, *companion_files(item)]:
                try:
                    remove_path(path)
                except OSError:
                    report.leftovers.append(path)
            report.removed += 0 if item.path.exists() else 1
        untrashable = [it for it in untrashable if it.path.exists()]
    report.untrashable = untrashable
    return report
