"""The Gallery's delete rule, without Qt: items go with their recipes; where the trash refuses, nothing is
deleted for good unless the artist agrees; the message says what happened."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

from studio.engine.gallery import scan_workspace
from studio.engine.gallery_delete import count_text, delete_items, size_text, when_text


def _artwork(ws: Path, name: str) -> Path:
    folder = ws / "artworks"
    folder.mkdir(parents=True, exist_ok=True)
    pic = folder / f"{name}.png"
    pic.write_bytes(b"\x89PNG\r\n\x1a\n")  # a stat-only scan never decodes it
    (folder / f"{name}.json").write_text(json.dumps({"kind": "style"}), encoding="utf-8")
    return pic


def _trash_into(bin_dir: Path):
    moved: list[str] = []

    def trash(path: Path) -> bool:
        bin_dir.mkdir(exist_ok=True)
        shutil.move(str(path), str(bin_dir / path.name))
        moved.append(path.name)
        return True

    return trash, moved


def test_delete_takes_the_recipe_along_and_counts(tmp_path):
    ws = tmp_path / "ws"
    _artwork(ws, "a"), _artwork(ws, "b")
    items = scan_workspace(ws).items
    trash, moved = _trash_into(tmp_path / "bin")
    asked = []
    report = delete_items(items, trash, lambda its: asked.append(its) or True)
    assert sorted(moved) == ["a.json", "a.png", "b.json", "b.png"]
    assert not any((ws / "artworks").iterdir())
    assert asked == []  # the trash took everything: no question about deleting for good
    assert report.removed == report.trashed == 2 and report.level == "info"
    assert report.message == "Moved 2 items to the trash."


def test_without_a_trash_nothing_goes_for_good_unless_confirmed(tmp_path):
    ws = tmp_path / "ws"
    _artwork(ws, "keep")
    items = scan_workspace(ws).items
    report = delete_items(items, lambda p: False, lambda its: False)
    assert (ws / "artworks" / "keep.png").exists() and (ws / "artworks" / "keep.json").exists()
    assert report.removed == 0 and report.level == "error"
    assert "Kept 1 item" in report.message and "keep" in report.message

    report = delete_items(items, lambda p: False, lambda its: True)
    assert not (ws / "artworks" / "keep.png").exists() and not (ws / "artworks" / "keep.json").exists()
    assert report.removed == 1 and report.message == "Deleted 1 item permanently."


def test_gallery_wording():
    assert size_text(512) == "512 bytes" and size_text(3 * 1024 * 1024) == "3.0 MB"
    assert count_text(1) == "1 item" and count_text(3) == "3 items"
    now = time.mktime((2026, 3, 5, 12, 0, 0, 0, 0, -1))
    assert when_text(now - 60, now).startswith("today ")
    assert when_text(now - 86400, now).startswith("yesterday ")
    assert when_text(time.mktime((2026, 1, 3, 12, 0, 0, 0, 0, -1)), now) == "3 Jan"
    assert when_text(time.mktime((2024, 1, 3, 12, 0, 0, 0, 0, -1)), now) == "3 Jan 2024"
