"""The workspace and what is in it: training runs, artworks and animations, each with its recipe.

Layout of a workspace (a folder the artist owns; default ``<Pictures>/GAN Art Studio``)::

    runs/<name>/       training runs: config.json, metrics.jsonl, samples/step_XXXXXXX.png, checkpoints/
    artworks/          stylized pictures and saved sample grids; recipe ``<stem>.json`` beside each,
                       brush masks ``<stem>.style-mask-K.png`` / ``<stem>.region-K.png``
    animations/        latent walks and timelapses: .gif, .mp4 (poster ``<name>.poster.png`` optional),
                       ``<name>.sheet.png`` sprite sheets, folders of PNG frames; recipe ``<name>.json``
    exports/           generators (.safetensors) and anything else exported; pictures there are listed too
    pasted/            pictures pasted into Stylize as its inputs: not listed (they were not made here)

Pictures saved anywhere else inside the workspace (its top level, a folder of the artist's own) are
listed too, by file type, so nothing made here is lost from view. Hidden names (``.x``: temp files of
atomic writes still being written, caches) are skipped.

Scanning reads directory entries and stats only (no image is decoded; a run's small config.json is
parsed so a broken run is flagged), so a workspace of thousands of items scans in milliseconds.
Thumbnails are made separately (``make_thumbnail``) by whoever wants them, in a background thread, and
cached on disk keyed by the source's path, modification time and size.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import stat as stat_module
import struct
import time
import zlib
from dataclasses import dataclass, field, replace
from pathlib import Path

from studio.engine.errors import StudioError
from studio.engine.recipes import (  # noqa: F401 - recipe_kind is also the gallery's to hand out
    ARTWORK_KIND,
    PNG_RECIPE_KEY,
    follow_moves,
    mentions,
    moved_with,
    recipe_kind,
    rewrite_recipe_file,
    run_renamed,
)
from studio.engine.runs import SAMPLE_RE, atomic_write_bytes

__all__ = [
    "ANIMATION_SUFFIXES", "ARTWORK_SUFFIXES", "KINDS", "THUMB_SIDE", "WORKSPACE_FOLDERS",
    "GalleryError", "GalleryItem", "ScanResult", "SkippedItem", "ThumbnailError",
    "cached_thumbnail", "companion_files", "copy_item", "ensure_workspace_folder", "make_thumbnail",
    "open_target", "prune_thumbnail_cache", "recipe_kind", "rename_item", "scan_workspace",
    "thumbnail_cache_dir", "thumbnail_path", "validate_name", "workspace_folder",
]

KINDS = ("run", "artwork", "animation")
WORKSPACE_FOLDERS = {"run": "runs", "artwork": "artworks", "animation": "animations", "export": "exports"}
NOT_LISTED = frozenset({"pasted"})  # top-level folders holding inputs, not things made here
ARTWORK_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")
ANIMATION_SUFFIXES = (".gif", ".mp4")
SHEET_SUFFIX = ".sheet.png"
POSTER_SUFFIXES = (".poster.png", ".poster.jpg")
MASK_RE = re.compile(r"^(?P<stem>.+)\.(?P<what>style-mask|region)-(?P<k>\d+)\.png$", re.IGNORECASE)
FRAME_RE = re.compile(r"^frame_\d+\.png$")
STYLE_RECIPE_KIND = ARTWORK_KIND
THUMB_SIDE = 256  # cached thumbnails fit in this square (crisp at 1.5x device pixel ratio in the grid)
THUMB_MAX_PIXELS = 200_000_000  # refuse to decode anything bigger just for a thumbnail
CACHE_ENV_VAR = "GAN_STUDIO_CACHE"
_BAD_NAME_CHARS = set('<>:"/\\|?*') | {chr(c) for c in range(32)}
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}


class GalleryError(StudioError):
    """A gallery operation (rename, copy) that could not be done, with the reason in plain words."""


class ThumbnailError(Exception):
    """A picture whose thumbnail cannot be made (corrupt, truncated, gone, too large)."""


@dataclass(frozen=True)
class GalleryItem:
    """One thing in the workspace. ``problem`` is set when it is there but broken (shown with a badge)."""

    kind: str  # "run" | "artwork" | "animation"
    path: Path
    name: str  # what the artist sees and renames: file name without its type suffix, or the folder name
    modified: float  # seconds since the epoch; newest activity for a run
    size: int  # bytes (a run or frame folder: the files in it)
    thumb_source: Path | None  # picture the thumbnail is made from (None: draw a generic icon)
    thumb_mtime_ns: int = 0
    thumb_size: int = 0
    recipe: Path | None = None  # the recipe JSON beside it, when there is one
    detail: str = ""  # "GIF", "MP4", "PNG frames", "sprite sheet", "step 1,200", "JPEG" …
    problem: str | None = None

    @property
    def key(self) -> str:
        return str(self.path)

    @property
    def suffix(self) -> str:
        """The part of the file name a rename keeps (``.png``, ``.sheet.png``; empty for folders)."""
        return self.path.name[len(self.name):] if self.path.name.startswith(self.name) else ""

    @property
    def thumb_key(self) -> str | None:
        """Changes whenever the thumbnail's source changes (path, modification time or size)."""
        if self.thumb_source is None:
            return None
        return thumbnail_key(self.thumb_source, self.thumb_mtime_ns, self.thumb_size)


@dataclass(frozen=True)
class SkippedItem:
    path: Path
    reason: str


@dataclass
class ScanResult:
    root: Path
    items: list[GalleryItem] = field(default_factory=list)  # newest first
    skipped: list[SkippedItem] = field(default_factory=list)
    folders: list[Path] = field(default_factory=list)  # folders that were listed (to watch for changes)
    seconds: float = 0.0

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(KINDS, 0)
        for item in self.items:
            out[item.kind] += 1
        return out


# ------------------------------------------------------------------------------------------ layout
def workspace_folder(kind: str, root: str | Path) -> Path:
    """Where the studio saves a kind of thing by default: ``run``, ``artwork``, ``animation`` or ``export``."""
    return Path(root) / WORKSPACE_FOLDERS[kind]


def ensure_workspace_folder(kind: str, root: str | Path) -> Path:
    """``workspace_folder`` created when missing; falls back to the workspace itself if it cannot be."""
    folder = workspace_folder(kind, root)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return Path(root)
    return folder


# -------------------------------------------------------------------------------------------- scan
def _full_suffix(name: str) -> str:
    low = name.lower()
    if low.endswith(SHEET_SUFFIX):
        return name[-len(SHEET_SUFFIX):]
    return os.path.splitext(name)[1]


def _is_companion(name: str) -> bool:
    """Files that belong to another item (masks, posters) and are not listed on their own."""
    low = name.lower()
    return bool(MASK_RE.match(name)) or any(low.endswith(s) for s in POSTER_SUFFIXES)


def scan_workspace(root: str | Path, max_depth: int = 6, max_items: int = 50_000) -> ScanResult:
    """Everything made in the workspace, newest first. Never raises: what cannot be read is skipped with a
    reason (or listed with ``problem`` set when the artist should see it is broken). A workspace pointed
    at a huge folder stops after ``max_items`` (said in ``skipped``) rather than scanning for minutes."""
    t0 = time.perf_counter()
    root = Path(root)
    result = ScanResult(root=root)
    if not root.is_dir():
        result.seconds = time.perf_counter() - t0
        return result
    try:
        _scan_folder(root, 0, max_depth, result, max_items)
    except _TooMany:
        result.skipped.append(SkippedItem(root, f"more than {max_items:,} items: the rest are not listed"))
    result.items.sort(key=lambda it: (-it.modified, it.name.lower()))
    result.seconds = time.perf_counter() - t0
    return result


def _list(folder: Path, result: ScanResult) -> list[os.DirEntry] | None:
    try:
        with os.scandir(folder) as it:
            entries = list(it)
    except OSError as exc:
        result.skipped.append(SkippedItem(folder, f"cannot be listed: {exc.strerror or exc}"))
        return None
    result.folders.append(folder)
    return entries


class _TooMany(Exception):
    pass


def _scan_folder(folder: Path, depth: int, max_depth: int, result: ScanResult, max_items: int) -> None:
    entries = _list(folder, result)
    if entries is None:
        return
    names = {e.name for e in entries}
    for entry in entries:
        if len(result.items) >= max_items:
            raise _TooMany
        name = entry.name
        if name.startswith("."):
            continue
        path = Path(entry.path)
        try:
            is_dir = entry.is_dir()  # follows symlinks; a dangling link is neither dir nor file
            is_file = not is_dir and entry.is_file()
        except OSError as exc:
            result.skipped.append(SkippedItem(path, f"cannot be read: {exc.strerror or exc}"))
            continue
        if is_dir:
            if depth == 0 and name in NOT_LISTED:
                continue
            if depth == 0 and name == WORKSPACE_FOLDERS["run"]:
                _scan_runs(path, result)
            elif name.endswith(".frames") and (path / "state.json").is_file():
                # a painted animation's working frames: the GIF/MP4 beside stands for them once it is written;
                # until then (stopped, to be resumed) they are shown as one item, not as hundreds of pictures
                if name[: -len(".frames")] not in names:
                    _add(result, _frames_item(path, names))
            elif f"{name}.json" in names and _holds_frames(path):  # PNG frames with their recipe beside
                _add(result, _frames_item(path, names))
            elif (path / "config.json").is_file():  # a run saved somewhere of the artist's choosing
                _add(result, _run_item(path))
            elif depth < max_depth:
                _scan_folder(path, depth + 1, max_depth, result, max_items)
            continue
        if not is_file:
            result.skipped.append(SkippedItem(path, "not a file (a broken link?)"))
            continue
        low = name.lower()
        if _is_companion(name):
            continue
        if low.endswith(SHEET_SUFFIX) or low.endswith(ANIMATION_SUFFIXES):
            _add(result, _file_item("animation", entry, names))
        elif low.endswith(ARTWORK_SUFFIXES):
            _add(result, _file_item("artwork", entry, names))


def _holds_frames(folder: Path) -> bool:
    """A PNG-frames export: ``frame_NNNN.png`` files inside, its recipe ``<folder>.json`` beside it."""
    try:
        with os.scandir(folder) as it:
            return any(FRAME_RE.match(e.name) for e in it)
    except OSError:
        return False


def _add(result: ScanResult, made: GalleryItem | SkippedItem) -> None:
    if isinstance(made, SkippedItem):
        result.skipped.append(made)
    else:
        result.items.append(made)


_DETAILS = {".gif": "GIF", ".mp4": "MP4", ".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WebP",
            SHEET_SUFFIX: "sprite sheet"}


def _file_item(kind: str, entry: os.DirEntry, names: set[str]) -> GalleryItem | SkippedItem:
    path = Path(entry.path)
    try:
        st = entry.stat()
    except OSError as exc:  # vanished between listing and stat, or no permission
        return SkippedItem(path, f"cannot be read: {exc.strerror or exc}")
    suffix = _full_suffix(entry.name)
    stem = entry.name[: len(entry.name) - len(suffix)]
    if kind == "artwork":
        recipe_name = f"{stem}.json"
    else:
        recipe_name = f"{entry.name}.json"
    recipe = path.with_name(recipe_name) if recipe_name in names else None
    thumb: Path | None = path
    t_mtime, t_size = st.st_mtime_ns, st.st_size
    if suffix.lower() == ".mp4":
        thumb = None
        for cand in (f"{entry.name}{s}" for s in POSTER_SUFFIXES):
            if cand in names:
                thumb = path.with_name(cand)
                try:
                    pst = thumb.stat()
                    t_mtime, t_size = pst.st_mtime_ns, pst.st_size
                except OSError:
                    thumb = None
                break
    problem = "The file is empty (still being written, or a failed save)." if st.st_size == 0 else None
    return GalleryItem(kind=kind, path=path, name=stem or entry.name, modified=st.st_mtime, size=st.st_size,
                       thumb_source=thumb, thumb_mtime_ns=t_mtime, thumb_size=t_size, recipe=recipe,
                       detail=_DETAILS.get(suffix.lower(), suffix.lstrip(".").upper()), problem=problem)


def _frames_item(path: Path, parent_names: set[str]) -> GalleryItem | SkippedItem:
    try:
        st = path.stat()
        with os.scandir(path) as it:
            frames = sorted((e for e in it if FRAME_RE.match(e.name)), key=lambda e: e.name)
        first = frames[0] if frames else None
        size = 0
        fst = None
        for i, e in enumerate(frames):
            s = e.stat()
            size += s.st_size
            if i == 0:
                fst = s
    except OSError as exc:
        return SkippedItem(path, f"cannot be read: {exc.strerror or exc}")
    recipe = path.with_name(f"{path.name}.json")
    return GalleryItem(kind="animation", path=path, name=path.name, modified=max(st.st_mtime, fst.st_mtime if fst
                                                                                else 0.0),
                       size=size, thumb_source=Path(first.path) if first is not None else None,
                       thumb_mtime_ns=fst.st_mtime_ns if fst else 0, thumb_size=fst.st_size if fst else 0,
                       recipe=recipe if recipe.name in parent_names else None,
                       detail=f"{len(frames)} PNG frames",
                       problem=None if frames else "The folder holds no frames.")


def _scan_runs(runs: Path, result: ScanResult) -> None:
    entries = _list(runs, result)
    if entries is None:
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        path = Path(entry.path)
        try:
            if not entry.is_dir():
                continue
        except OSError:
            continue
        if not (path / "config.json").exists():
            result.skipped.append(SkippedItem(path, "not a training run yet (no config.json)"))
            continue
        _add(result, _run_item(path))


def _run_item(path: Path) -> GalleryItem | SkippedItem:
    """A run: its newest sample grid as the thumbnail, its newest activity as the date."""
    try:
        st = path.stat()
    except OSError as exc:
        return SkippedItem(path, f"cannot be read: {exc.strerror or exc}")
    modified = st.st_mtime
    size = 0
    problem = None
    config = path / "config.json"
    try:
        cst = config.stat()
        size += cst.st_size
        modified = max(modified, cst.st_mtime)
        data = json.loads(config.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        problem = f"Its settings (config.json) cannot be read: {exc}"
    for name in ("metrics.jsonl",):
        try:
            mst = (path / name).stat()
            size += mst.st_size
            modified = max(modified, mst.st_mtime)
        except OSError:
            pass
    newest: tuple[int, os.DirEntry] | None = None
    for sub in ("samples", "checkpoints"):
        try:
            with os.scandir(path / sub) as it:
                for e in it:
                    if e.name.startswith("."):
                        continue
                    try:
                        es = e.stat()
                    except OSError:
                        continue
                    size += es.st_size
                    modified = max(modified, es.st_mtime)
                    if sub == "samples":
                        m = SAMPLE_RE.match(e.name)
                        if m and (newest is None or int(m.group(1)) > newest[0]):
                            newest = (int(m.group(1)), e)
        except OSError:
            continue
    thumb = t_mtime = t_size = None
    detail = "no samples yet"
    if newest is not None:
        step, e = newest
        try:
            es = e.stat()
            thumb, t_mtime, t_size = Path(e.path), es.st_mtime_ns, es.st_size
        except OSError:
            pass
        detail = f"step {step:,}"
    return GalleryItem(kind="run", path=path, name=path.name, modified=modified, size=size, thumb_source=thumb,
                       thumb_mtime_ns=t_mtime or 0, thumb_size=t_size or 0, recipe=config if config.is_file()
                       else None, detail=detail, problem=problem)


# ------------------------------------------------------------------------------------ companions
def _mask_files(item: GalleryItem) -> list[Path]:
    if item.kind != "artwork":
        return []
    try:
        names = os.listdir(item.path.parent)
    except OSError:
        return []
    out = []
    for n in names:
        m = MASK_RE.match(n)
        if m and m.group("stem") == item.name:
            out.append(item.path.with_name(n))
    return sorted(out)


def companion_files(item: GalleryItem) -> list[Path]:
    """Files that belong to an item and travel with it (recipe, masks, poster); runs carry theirs inside."""
    if item.kind == "run":
        return []
    out: list[Path] = []
    if item.recipe is not None and item.recipe.exists():
        out.append(item.recipe)
    out += _mask_files(item)
    if item.kind == "animation":
        out += [p for p in (item.path.with_name(item.path.name + s) for s in POSTER_SUFFIXES) if p.exists()]
    return out


def _renamed(item: GalleryItem, companion: Path, new_main: Path) -> Path:
    """Where a companion goes when the item becomes ``new_main`` (its name part follows the new name)."""
    new_stem = new_main.name[: len(new_main.name) - len(item.suffix)] if item.suffix else new_main.name
    name = companion.name
    if item.kind == "artwork":  # <stem>.json, <stem>.style-mask-K.png, <stem>.region-K.png
        rest = name[len(item.name):]
        return new_main.with_name(new_stem + rest)
    rest = name[len(item.path.name):]  # <name>.json, <name>.poster.png
    return new_main.with_name(new_main.name + rest)


# ------------------------------------------------------------------------------------------ rename
def validate_name(item: GalleryItem, new_name: str) -> str | None:
    """Why ``new_name`` cannot be this item's name (None when it can)."""
    name = new_name.strip()
    if not name:
        return "Type a name."
    if name in (".", "..") or name.startswith("."):
        return "A name cannot start with a dot (the file would be hidden)."
    bad = sorted({c for c in name if c in _BAD_NAME_CHARS})
    if bad:
        shown = " ".join("/" if c == "/" else (c if c.isprintable() else "a control character") for c in bad)
        return f"A name cannot contain {shown}."
    if name.endswith((".", " ")):
        return "A name cannot end with a dot or a space."
    if name.split(".")[0].lower() in _RESERVED:
        return f"“{name}” is reserved on Windows; choose another name."
    if len((name + item.suffix).encode("utf-8")) > 240:
        return "That name is too long."
    if item.kind == "artwork" and MASK_RE.match(name + item.suffix):
        return "That name looks like a mask file's; choose another."
    if name == item.name:
        return None
    target = item.path.with_name(name + item.suffix)
    for src, dst in [(item.path, target)] + [(c, _renamed(item, c, target)) for c in companion_files(item)]:
        if dst.exists() and not _same_file(src, dst):
            return f"“{dst.name}” already exists in that folder."
    return None


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def rename_item(item: GalleryItem, new_name: str, workspace: str | Path | None = None) -> Path:
    """Rename an item together with its recipe, masks and poster; recipes that name the moved files are
    updated (the JSON beside an artwork, and for a PNG the copy inside it, keep naming its masks; walk
    recipes in ``workspace`` that use a renamed run keep finding its generator). Returns the new path."""
    problem = validate_name(item, new_name)
    if problem:
        raise GalleryError(problem)
    new_name = new_name.strip()
    target = item.path.with_name(new_name + item.suffix)
    if target == item.path:
        return item.path
    moves = [(item.path, target)] + [(c, _renamed(item, c, target)) for c in companion_files(item)]
    _transfer(moves, _rename_no_clobber)
    new_item = replace(item, path=target, name=new_name,
                       recipe=dict(moves).get(item.recipe) if item.recipe is not None else None)
    _update_recipes(new_item, moves)
    if item.kind == "run" and workspace is not None:
        _repoint_recipes(Path(workspace), item.path, target)
    return target


def _rename_no_clobber(src: Path, dst: Path) -> None:
    if dst.exists() and not _same_file(src, dst):
        raise FileExistsError(17, "File exists", str(dst))
    os.rename(src, dst)


def _transfer(moves: list[tuple[Path, Path]], op) -> None:
    """Do every (src, dst); if one fails, undo the ones done (renames) and explain."""
    done: list[tuple[Path, Path]] = []
    try:
        for src, dst in moves:
            op(src, dst)
            done.append((src, dst))
    except OSError as exc:
        for src, dst in reversed(done):
            try:
                if op is _copy_any:
                    _remove(dst)
                else:
                    os.rename(dst, src)
            except OSError:
                pass
        raise GalleryError(f"Could not {'copy' if op is _copy_any else 'rename'} "
                           f"{Path(exc.filename or src).name}: {exc.strerror or exc}") from exc


def _update_recipes(new: GalleryItem, moves: list[tuple[Path, Path]]) -> None:
    """Point the moved/copied recipe (and a PNG's embedded copy) at the new mask names and output path."""
    if new.recipe is None and not (new.kind == "artwork" and new.path.suffix.lower() == ".png"):
        return
    if new.recipe is not None and new.recipe.is_file():
        recipe = new.recipe
        _keep_mtime(recipe, lambda: rewrite_recipe_file(recipe, moved_with(moves)))
    if new.kind == "artwork" and new.path.suffix.lower() == ".png":
        try:
            embedded = _read_png_text(new.path, PNG_RECIPE_KEY)
            data = json.loads(embedded) if embedded else None
        except (OSError, ValueError):
            data = None
        if follow_moves(data, moves):
            _keep_mtime(new.path, lambda: _write_png_text(new.path, PNG_RECIPE_KEY, json.dumps(data, sort_keys=True)))


def _keep_mtime(path: Path, write) -> None:
    """Rewrite a file but keep its modification time: a rename should not move it to the gallery's top."""
    try:
        st = path.stat()
    except OSError:
        st = None
    try:
        write()
        if st is not None:
            os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    except OSError:
        pass  # the files moved; a recipe that could not be updated is not worth failing the rename for


def _repoint_recipes(workspace: Path, old: Path, new: Path) -> None:
    """Walk recipes and saved grids name the run they came from by path: follow the rename."""
    for item in scan_workspace(workspace).items:
        if item.kind == "run" or item.recipe is None:
            continue
        try:
            if not mentions(item.recipe.read_text(encoding="utf-8"), old):
                continue
        except OSError:
            continue
        _keep_mtime(item.recipe, lambda r=item.recipe: rewrite_recipe_file(r, run_renamed(old, new)))


# ---------------------------------------------------------------------------- PNG text, losslessly
_PNG_SIG = b"\x89PNG\r\n\x1a\n"


def _png_chunks(data: bytes):
    if not data.startswith(_PNG_SIG):
        raise ValueError("not a PNG file")
    pos = len(_PNG_SIG)
    while pos + 8 <= len(data):
        length, ctype = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if len(body) != length:
            raise ValueError("truncated PNG")
        yield ctype, body, data[pos:pos + 12 + length]
        pos += 12 + length
        if ctype == b"IEND":
            return
    raise ValueError("truncated PNG")


def _text_keyword(ctype: bytes, body: bytes) -> bytes | None:
    return body.split(b"\0", 1)[0] if ctype in (b"tEXt", b"zTXt", b"iTXt") else None


def _read_png_text(path: Path, keyword: str) -> str | None:
    key = keyword.encode("latin-1")
    for ctype, body, _raw in _png_chunks(path.read_bytes()):
        if _text_keyword(ctype, body) != key:
            continue
        rest = body[len(key) + 1:]
        if ctype == b"tEXt":
            return rest.decode("latin-1")
        if ctype == b"zTXt":
            return zlib.decompress(rest[1:]).decode("latin-1")
        compressed, _method = rest[0], rest[1]
        rest = rest[2:]
        _lang, rest = rest.split(b"\0", 1)
        _tkey, text = rest.split(b"\0", 1)
        return (zlib.decompress(text) if compressed else text).decode("utf-8")
    return None


def _write_png_text(path: Path, keyword: str, text: str) -> None:
    """Replace one text chunk without touching the pixels (no re-encoding)."""
    key = keyword.encode("latin-1")
    body = key + b"\0" + text.encode("latin-1")
    chunk = struct.pack(">I", len(body)) + b"tEXt" + body + struct.pack(">I", zlib.crc32(b"tEXt" + body))
    out = [_PNG_SIG]
    placed = False
    for ctype, cbody, raw in _png_chunks(path.read_bytes()):
        if _text_keyword(ctype, cbody) == key:
            if not placed:
                out.append(chunk)
                placed = True
            continue
        if ctype == b"IEND" and not placed:
            out.append(chunk)
            placed = True
        out.append(raw)
    atomic_write_bytes(path, b"".join(out))


# -------------------------------------------------------------------------------------------- copy
def _copy_any(src: Path, dst: Path) -> None:
    if dst.exists():
        raise FileExistsError(17, "File exists", str(dst))
    if src.is_dir():
        shutil.copytree(src, dst)
    else:
        shutil.copy2(src, dst)


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def copy_item(item: GalleryItem, dest: str | Path) -> Path:
    """Copy an item elsewhere with its recipe, masks and poster named after the copy (recipes updated to
    match). A run copies its whole folder. ``dest`` is the new file (or folder) path. Returns it."""
    dest = Path(dest)
    if item.kind != "run" and item.suffix and not dest.name.lower().endswith(item.suffix.lower()):
        dest = dest.with_name(dest.name + item.suffix)
    if dest.exists():
        raise GalleryError(f"“{dest.name}” already exists there; choose another name.")
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise GalleryError(f"Cannot write to {dest.parent}: {exc.strerror or exc}") from exc
    moves = [(item.path, dest)] + [(c, _renamed(item, c, dest)) for c in companion_files(item)]
    for _src, dst in moves[1:]:
        if dst.exists():
            raise GalleryError(f"“{dst.name}” already exists there; choose another name.")
    _transfer(moves, _copy_any)
    new_name = dest.name[: len(dest.name) - len(item.suffix)] if item.suffix else dest.name
    new_item = replace(item, path=dest, name=new_name,
                       recipe=dict(moves).get(item.recipe) if item.recipe is not None else None)
    if item.kind != "run":
        _update_recipes(new_item, moves)
    return dest


# -------------------------------------------------------------------------------------------- open
def open_target(item_or_kind: GalleryItem | str, path: str | Path | None = None) -> tuple[str, Path]:
    """Which page opens an item, and with what: ``("stylize", recipe)``, ``("train", run dir)``,
    ``("explore", walk recipe)``, or ``("reveal", path)`` when no page can restore it."""
    if isinstance(item_or_kind, GalleryItem):
        kind, p = item_or_kind.kind, item_or_kind.path
    else:
        kind, p = item_or_kind, Path(path)  # type: ignore[arg-type]
    if kind == "run":
        return "train", p
    if kind == "animation":
        recipe = p.with_name(p.name + ".json")
        if recipe.is_file() and recipe_kind(recipe) == "walk":
            return "explore", recipe
        if recipe.is_file() and recipe_kind(recipe) == STYLE_RECIPE_KIND:  # a painted animation: back to Stylize
            return "stylize", recipe
        return "reveal", p
    beside = p.with_suffix(".json")
    for cand in (beside, p):
        if not cand.is_file():
            continue
        k = recipe_kind(cand)
        if k == STYLE_RECIPE_KIND:
            return "stylize", cand
        if k == "gan-sample-grid":
            try:
                run = json.loads(beside.read_text(encoding="utf-8")).get("run") if beside.is_file() else None
            except (OSError, ValueError):
                run = None
            if run and Path(run).is_dir():
                return "train", Path(run)
    return "reveal", p


# -------------------------------------------------------------------------------------- thumbnails
def thumbnail_cache_dir() -> Path:
    """$GAN_STUDIO_CACHE/thumbnails when set (tests, shared machines), else the platform's cache dir."""
    env = os.environ.get(CACHE_ENV_VAR)
    if env:
        return Path(env).expanduser() / "thumbnails"
    import platformdirs

    return Path(platformdirs.user_cache_dir("gan-art-studio")) / "thumbnails"


def thumbnail_key(source: str | Path, mtime_ns: int, size: int, side: int = THUMB_SIDE) -> str:
    raw = f"{os.path.abspath(source)}\0{int(mtime_ns)}\0{int(size)}\0{int(side)}\0v1"
    return hashlib.sha1(raw.encode("utf-8", "surrogateescape")).hexdigest()


def thumbnail_path(cache_dir: str | Path, key: str) -> tuple[Path, Path]:
    """The two names a cached thumbnail can have: JPEG (opaque pictures) or PNG (with transparency)."""
    base = Path(cache_dir) / key[:2] / key
    return base.with_suffix(".jpg"), base.with_suffix(".png")


def cached_thumbnail(source: str | Path, cache_dir: str | Path, mtime_ns: int | None = None,
                     size: int | None = None, side: int = THUMB_SIDE) -> Path | None:
    if mtime_ns is None or size is None:
        try:
            st = os.stat(source)
        except OSError:
            return None
        mtime_ns, size = st.st_mtime_ns, st.st_size
    for p in thumbnail_path(cache_dir, thumbnail_key(source, mtime_ns, size, side)):
        if p.is_file():
            return p
    return None


def make_thumbnail(source: str | Path, cache_dir: str | Path, side: int = THUMB_SIDE,
                   mtime_ns: int | None = None, size: int | None = None) -> Path:
    """The cached thumbnail of a picture (a GIF's first frame), made now when missing or out of date.

    Safe to call from several threads and processes at once (written to a temp file, then renamed).
    Raises ThumbnailError with a plain reason for anything that cannot be shown."""
    source = Path(source)
    try:
        st = os.stat(source)
    except OSError as exc:
        raise ThumbnailError(f"{source.name} is missing" if isinstance(exc, FileNotFoundError)
                             else f"{source.name} cannot be read: {exc.strerror or exc}") from exc
    if mtime_ns is None or size is None or (mtime_ns, size) != (st.st_mtime_ns, st.st_size):
        mtime_ns, size = st.st_mtime_ns, st.st_size  # the file changed since the scan: key the new one
    jpg, png = thumbnail_path(cache_dir, thumbnail_key(source, mtime_ns, size, side))
    for p in (jpg, png):
        if p.is_file():
            return p
    if not stat_module.S_ISREG(st.st_mode) or st.st_size == 0:
        raise ThumbnailError(f"{source.name} is empty or not a file")
    from PIL import Image

    try:
        with Image.open(source) as im:
            if im.width * im.height > THUMB_MAX_PIXELS:
                raise ThumbnailError(f"{source.name} is too large to preview ({im.width} × {im.height})")
            im.draft("RGB", (side, side))  # JPEG: decode at a reduced scale, much faster
            im.thumbnail((side, side), Image.Resampling.BICUBIC, reducing_gap=2.0)
            alpha = im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info)
            if im.mode in ("I;16", "I;16B", "I;16L", "I"):
                im = im.point(lambda v: v / 256).convert("L")
            out = im.convert("RGBA" if alpha else "RGB")
    except ThumbnailError:
        raise
    except Exception as exc:  # noqa: BLE001 - corrupt, truncated, unknown format, decompression bomb …
        raise ThumbnailError(f"{source.name} cannot be read ({exc})") from exc
    target = png if alpha else jpg
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.{id(out):x}.tmp")
        if alpha:
            out.save(tmp, format="PNG", compress_level=1)
        else:
            out.save(tmp, format="JPEG", quality=88)
        os.replace(tmp, target)
    except OSError as exc:
        try:
            tmp.unlink()  # type: ignore[possibly-undefined]
        except (OSError, UnboundLocalError):
            pass
        raise ThumbnailError(f"the thumbnail cache cannot be written: {exc.strerror or exc}") from exc
    return target


def prune_thumbnail_cache(cache_dir: str | Path, keep: int = 20_000) -> int:
    """Drop the least recently written thumbnails beyond ``keep``. Returns how many were removed."""
    files = []
    try:
        for sub in Path(cache_dir).iterdir():
            if sub.is_dir():
                for p in sub.iterdir():
                    try:
                        files.append((p.stat().st_mtime, p))
                    except OSError:
                        pass
    except OSError:
        return 0
    if len(files) <= keep:
        return 0
    files.sort()
    removed = 0
    for _t, p in files[: len(files) - keep]:
        try:
            p.unlink()
            removed += 1
        except OSError:
            pass
    return removed
