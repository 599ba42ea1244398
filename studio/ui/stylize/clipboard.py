"""Pictures arriving by paste: picture files, file paths as text, or raw pictures (saved under the workspace first,
so a recipe can always name a real file), and where they go (the photo first, then style paintings)."""

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
    from studio.ui.workspace import workspace_dir as default_workspace  # the artist's choice

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


def place_pasted(paths: list[str], content, styles) -> tuple[list[str], str]:
    """The first picture becomes the photo when there is none yet, the rest style paintings (a ContentBox and a
    StyleList refuse what they cannot use, and say why). Returns (the paths taken, 'Pasted … as …' or '')."""
    as_photo: list[str] = []
    rest = list(paths)
    if content.path() is None:
        first = rest.pop(0)
        content.set_path(first)
        if content.path() == first:
            as_photo.append(first)
    as_style = [p for p in rest if p in styles.paths()] if rest and styles.add_paths(rest) else []
    parts = []
    if as_photo:
        parts.append(f"{Path(as_photo[0]).name} as the photo")
    if as_style:
        what = "a style painting" if len(as_style) == 1 else "style paintings"
        parts.append(f"{', '.join(Path(p).name for p in as_style)} as {what}")
    return as_photo + as_style, (f"Pasted {' and '.join(parts)}." if parts else "")
