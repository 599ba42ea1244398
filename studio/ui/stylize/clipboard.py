"""Pictures arriving by paste: picture files, file paths as text, or raw pictures (saved under the workspace first,
so a recipe can always name a real file)."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QMimeData
from PySide6.QtGui import QImage, QPixmap

from studio.ui.widgets.drop_area import local_paths


def paths_from_mime(mime: QMimeData | None) -> tuple[list[str], str]:
    """(picture files the clipboard offers, a refusal sentence when a raw picture could not be kept)."""
    if mime is None:
        return [], ""
    paths = [p for p in local_paths(mime) if Path(p).is_file()]
    if not paths and mime.hasText():
        for line in mime.text().splitlines():
            line = line.strip().removeprefix("file://")
            if line and Path(line).is_file():
                paths.append(line)
    if not paths and mime.hasImage():
        data = mime.imageData()
        image = data.toImage() if isinstance(data, QPixmap) else QImage(data)
        if not image.isNull():
            saved, problem = save_pasted(image)
            if saved is None:
                return [], problem
            paths.append(saved)
    return paths, ""


def save_pasted(image: QImage) -> tuple[str | None, str]:
    """Keep a pasted picture as ``<workspace>/pasted/pasted-<time>.png``: (its path, "") or (None, why not)."""
    from studio.engine.runs import default_workspace

    folder = default_workspace() / "pasted"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return None, f"Cannot keep the pasted picture in {folder}: {exc}"
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = folder / f"pasted-{stamp}.png"
    n = 2
    while path.exists():
        path = folder / f"pasted-{stamp}-{n}.png"
        n += 1
    if not image.save(str(path), "PNG"):
        return None, f"Cannot write {path}"
    return str(path), ""
