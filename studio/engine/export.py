"""Writing what the artist keeps: PNGs with their recipe, timelapse GIFs of a run's sample grids.

Every write goes to a temporary file first, so a failed export never leaves half a file behind.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import numpy as np
from PIL import Image, PngImagePlugin

from studio.engine.errors import StudioError
from studio.engine.recipes import PNG_RECIPE_KEY
from studio.engine.runs import RunDir, atomic_write_bytes


class ExportError(StudioError):
    """An export that could not be written, with the reason in plain words."""


def _write(path: Path, data: bytes) -> None:
    try:
        atomic_write_bytes(path, data)
    except OSError as exc:
        raise ExportError(f"Could not write {path}: {exc.strerror or exc}") from exc


def save_png(image: np.ndarray | Image.Image, path: str | Path, recipe: dict | None = None) -> Path:
    """Save a PNG; the recipe goes into its metadata and into ``<name>.json`` beside it (both or neither)."""
    path = Path(path)
    if recipe is None:
        _write(path, encode_artwork(image, ".png"))
        return path
    return _save_with_recipe(image, path, recipe, fmt_suffix=".png")


def _save_with_recipe(image, path: Path, recipe: dict, quality: int = 95, fmt_suffix: str | None = None) -> Path:
    recover_interrupted_saves(path.parent)
    files = FileSet(path.parent, path.name)
    files.stage(path, encode_artwork(image, fmt_suffix or path.suffix, recipe, quality))
    files.stage(recipe_json_path(path), recipe_bytes(recipe))
    files.commit()
    return path


def read_png_recipe(path: str | Path) -> dict | None:
    with Image.open(path) as im:
        text = im.text.get(PNG_RECIPE_KEY) if hasattr(im, "text") else None
    return json.loads(text) if text else None


def timelapse_gif(run_dir: str | Path, out_path: str | Path, fps: float = 8.0, max_frames: int = 200,
                  max_side: int = 768, hold_last_s: float = 1.5) -> Path:
    """A GIF of the run's sample grids in step order: watch the GAN learn."""
    run = RunDir(run_dir)
    grids = run.sample_grids()
    if not grids:
        raise ExportError("This run has no sample grids yet")
    if len(grids) > max_frames:  # keep the first and last, thin the middle evenly
        picks = np.linspace(0, len(grids) - 1, max_frames).round().astype(int)
        grids = [grids[i] for i in sorted(set(picks.tolist()))]
    frames = []
    for _, p in grids:
        with Image.open(p) as im:
            im = im.convert("RGB")
            scale = min(1.0, max_side / max(im.size))
            if scale < 1.0:
                im = im.resize((round(im.width * scale), round(im.height * scale)), Image.LANCZOS)
            frames.append(im.copy())
    duration = max(20, int(round(1000 / fps)))
    durations = [duration] * len(frames)
    durations[-1] = max(duration, int(hold_last_s * 1000))
    buf = io.BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:], duration=durations, loop=0,
                   optimize=False)
    out = Path(out_path)
    _write(out, buf.getvalue())
    return out


# ---------------------------------------------------------------- animations (latent walks)

RESAMPLE = {
    "nearest": Image.Resampling.NEAREST,
    "bilinear": Image.Resampling.BILINEAR,
    "bicubic": Image.Resampling.BICUBIC,
    "lanczos": Image.Resampling.LANCZOS,
    "box": Image.Resampling.BOX,
}


def _explain(exc: BaseException, path: Path) -> str:
    """A failed write in plain words."""
    import errno

    code = getattr(exc, "errno", None)
    if code == errno.ENOSPC:
        return f"Not enough disk space to write {path}"
    if code in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"No permission to write {path} (choose another folder)"
    if code in (errno.ENOENT, errno.ENOTDIR, errno.EEXIST):  # EEXIST: mkdir met a file in the path
        return f"Cannot write {path}: the folder does not exist or is not a folder"
    if code == errno.EISDIR:
        return f"Cannot write {path}: a folder with that name is in the way"
    detail = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return f"Could not write {path}: {detail}"


class _AtomicFile:
    """Context manager: a temp file in the destination folder, renamed over ``path`` only on success."""

    def __init__(self, path: str | Path, suffix: str = ".tmp") -> None:
        self.path = Path(path)
        self.suffix = suffix
        self.tmp: Path | None = None

    def __enter__(self) -> Path:
        import os
        import tempfile

        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if self.path.is_dir():
                raise IsADirectoryError(21, "Is a directory", str(self.path))
            fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=self.suffix, dir=self.path.parent)
            os.close(fd)
        except OSError as exc:
            raise ExportError(_explain(exc, self.path)) from exc
        self.tmp = Path(tmp)
        return self.tmp

    def __exit__(self, exc_type, exc, tb) -> bool:
        import os

        assert self.tmp is not None
        if exc_type is None:
            try:
                os.chmod(self.tmp, 0o644)
                os.replace(self.tmp, self.path)
                return False
            except OSError as err:
                exc = err
                exc_type = type(err)
        try:
            self.tmp.unlink()
        except OSError:
            pass
        if exc is not None and isinstance(exc, OSError):
            raise ExportError(_explain(exc, self.path)) from exc
        return False  # other errors (Cancelled, ExportError …) propagate unchanged


def _frame_images(frames, size: int | tuple[int, int] | None, resample: str, even: bool = False):
    """Yield PIL images for uint8 N×H×W×C frames, resized to ``size`` with the named filter."""
    if resample not in RESAMPLE:
        raise ExportError(f"Unknown resize filter {resample!r}; choose one of {', '.join(RESAMPLE)}")
    for f in frames:
        img = Image.fromarray(np.ascontiguousarray(np.squeeze(f, axis=-1) if f.ndim == 3 and f.shape[-1] == 1 else f))
        target = _target_size(img.size, size, even)
        if target != img.size:
            img = img.resize(target, RESAMPLE[resample])
        yield img


def _target_size(native: tuple[int, int], size, even: bool) -> tuple[int, int]:
    if size is None:
        w, h = native
    elif isinstance(size, int):
        scale = size / max(native)
        w, h = max(1, round(native[0] * scale)), max(1, round(native[1] * scale))
    else:
        w, h = int(size[0]), int(size[1])
    if even:
        w, h = w + (w % 2), h + (h % 2)
    return w, h


def _checked(items, check):
    for item in items:
        if check is not None:
            check()
        yield item


def gif_frame_ms(fps: float) -> int:
    """GIF stores delays in 1/100 s and browsers slow anything under 20 ms down: the delay we really write."""
    return max(20, int(round(100.0 / fps)) * 10)


def _gif_palette(frames, size, resample: str, colors: int) -> Image.Image:
    """One palette for the whole animation (no per-frame flicker), from up to 12 frames spread evenly."""
    n = len(frames)
    picks = sorted({round(i * (n - 1) / 11) for i in range(12)}) if n > 12 else range(n)
    sample = [img.convert("RGB") for img in _frame_images([frames[i] for i in picks], size, resample)]
    w = max(im.width for im in sample)
    strip = Image.new("RGB", (w, sum(im.height for im in sample)))
    y = 0
    for im in sample:
        strip.paste(im, (0, y))
        y += im.height
    return strip.quantize(colors=max(2, min(256, int(colors))), method=Image.Quantize.MEDIANCUT)


def _encode_gif(frames, fp, fps: float, loop: int, size, resample: str, palette_colors: int, dither: bool,
                check=None) -> None:
    if len(frames) == 0:
        raise ExportError("There are no frames to export")
    palette = _gif_palette(frames, size, resample, palette_colors)
    mode = Image.Dither.FLOYDSTEINBERG if dither else Image.Dither.NONE
    images = (img.convert("RGB").quantize(palette=palette, dither=mode)
              for img in _frame_images(_checked(frames, check), size, resample))
    first = next(images)
    kwargs = {"loop": int(loop)} if loop is not None and loop >= 0 else {}
    first.save(fp, format="GIF", save_all=True, append_images=images, duration=gif_frame_ms(fps),
               disposal=1, optimize=False, **kwargs)


def write_gif(frames, path: str | Path, fps: float, loop: int = 0, size: int | tuple[int, int] | None = None,
              resample: str = "nearest", palette_colors: int = 256, dither: bool = False,
              check=None) -> Path:
    """An animated GIF through Pillow, with one shared palette for all frames.

    ``loop`` 0 repeats forever, n repeats n more times, -1 plays once. ``size`` is the long side (or an
    explicit (w, h)); ``resample`` names the upscaling filter ("nearest" keeps pixel-art crispness).
    Identical consecutive frames (a "hold") are merged by Pillow into one longer frame.
    """
    path = Path(path)
    with _AtomicFile(path, ".tmp.gif") as tmp:
        with open(tmp, "wb") as fh:
            _encode_gif(frames, fh, fps, loop, size, resample, palette_colors, dither, check)
    return path


def estimate_gif_bytes(frames, fps: float = 24.0, size: int | tuple[int, int] | None = None,
                       resample: str = "nearest", palette_colors: int = 256, dither: bool = False) -> int:
    """A rough GIF size: encode one frame and two neighbouring frames, extrapolate per extra frame."""
    n = len(frames)
    if n == 0:
        return 0
    mid = max(0, min(n - 2, n // 2))
    one, two = io.BytesIO(), io.BytesIO()
    _encode_gif(frames[mid:mid + 1], one, fps, 0, size, resample, palette_colors, dither)
    if n == 1:
        return one.tell()
    _encode_gif(frames[mid:mid + 2], two, fps, 0, size, resample, palette_colors, dither)
    per_frame = max(0, two.tell() - one.tell())
    return one.tell() + (n - 1) * per_frame


def write_mp4(frames, path: str | Path, fps: float, size: int | tuple[int, int] | None = None,
              resample: str = "lanczos", quality: float = 8.0, check=None) -> Path:
    """An H.264 MP4 (yuv420p, plays everywhere) through imageio-ffmpeg's bundled ffmpeg.

    yuv420p needs even width and height, so odd sizes grow by one pixel.
    """
    import imageio_ffmpeg

    path = Path(path)
    if len(frames) == 0:
        raise ExportError("There are no frames to export")
    with _AtomicFile(path, ".tmp.mp4") as tmp:
        writer = None
        try:
            for img in _frame_images(_checked(frames, check), size, resample, even=True):
                rgb = img.convert("RGB")
                if writer is None:
                    writer = imageio_ffmpeg.write_frames(
                        str(tmp), rgb.size, fps=float(fps), codec="libx264", pix_fmt_in="rgb24",
                        pix_fmt_out="yuv420p", quality=quality, macro_block_size=2,
                        output_params=["-movflags", "+faststart"], ffmpeg_log_level="error")
                    writer.send(None)
                writer.send(rgb.tobytes())
            if writer is not None:
                writer.close()
                writer = None
        except (OSError, RuntimeError) as exc:
            if isinstance(exc, OSError):
                raise
            raise ExportError(f"The video encoder failed writing {path}: {exc}") from exc
        finally:
            if writer is not None:
                try:
                    writer.close()
                except Exception:  # noqa: BLE001 - already failing; the temp file is removed below
                    pass
    return path


def write_png_sequence(frames, folder: str | Path, size: int | tuple[int, int] | None = None,
                       resample: str = "nearest", prefix: str = "frame_", check=None) -> Path:
    """Numbered PNGs in ``folder``, written to a temp folder beside it and renamed in at the end.

    An existing folder is replaced only when it holds nothing but an earlier frame sequence; a folder
    with other files is refused rather than mixed with new frames.
    """
    import os
    import re
    import shutil
    import tempfile

    folder = Path(folder)
    if len(frames) == 0:
        raise ExportError("There are no frames to export")
    pattern = re.compile(rf"^{re.escape(prefix)}\d+\.png$")
    if folder.exists():
        if not folder.is_dir():
            raise ExportError(f"Cannot write frames to {folder}: a file with that name is in the way")
        strangers = [p.name for p in folder.iterdir() if not pattern.match(p.name)]
        if strangers:
            raise ExportError(f"The folder {folder} already holds other files ({strangers[0]} …); "
                              "choose an empty or new folder")
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".tmp", dir=folder.parent))
    except OSError as exc:
        raise ExportError(_explain(exc, folder)) from exc
    digits = max(4, len(str(len(frames) - 1)))
    old = None
    try:
        for i, img in enumerate(_frame_images(_checked(frames, check), size, resample)):
            img.save(tmp / f"{prefix}{i:0{digits}d}.png", format="PNG")
        os.chmod(tmp, 0o755)
        if folder.exists():
            old = folder.with_name(f".{folder.name}.old-{os.getpid()}")
            os.replace(folder, old)
        os.replace(tmp, folder)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None and not folder.exists():
            os.replace(old, folder)
        if isinstance(exc, OSError):
            raise ExportError(_explain(exc, folder)) from exc
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return folder


def write_sprite_sheet(frames, path: str | Path, columns: int | None = None,
                       size: int | tuple[int, int] | None = None, resample: str = "nearest",
                       check=None) -> Path:
    """All frames in one PNG, row by row (``columns`` per row; default: as square as possible)."""
    import math

    path = Path(path)
    n = len(frames)
    if n == 0:
        raise ExportError("There are no frames to export")
    cols = max(1, min(n, columns or math.ceil(math.sqrt(n))))
    rows = math.ceil(n / cols)
    sheet = None
    for i, img in enumerate(_frame_images(_checked(frames, check), size, resample)):
        if sheet is None:
            sheet = Image.new(img.mode, (cols * img.width, rows * img.height))
        r, c = divmod(i, cols)
        sheet.paste(img, (c * img.width, r * img.height))
    with _AtomicFile(path, ".tmp.png") as tmp:
        sheet.save(tmp, format="PNG")
    return path


# ---------------------------------------------------------------- artworks (style transfer)

RECIPE_EXIF_TAG = 0x010E  # ImageDescription: JSON (ASCII) recipe in JPEG and WebP files
ARTWORK_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP"}


def recipe_json_path(path: str | Path) -> Path:
    """``art.png`` → ``art.json`` (the recipe beside an artwork; the rule is ``recipes.artwork_recipe_path``)."""
    from studio.engine.recipes import artwork_recipe_path

    return artwork_recipe_path(path)


def save_artwork(image: np.ndarray | Image.Image, path: str | Path, recipe: dict | None = None,
                 quality: int = 95) -> Path:
    """PNG, JPEG or WebP (by suffix) with the recipe inside (PNG text / EXIF description) and beside it; the picture
    and its recipe file replace earlier ones together or not at all."""
    path = Path(path)
    if path.suffix.lower() not in ARTWORK_FORMATS:
        raise ExportError(f"Cannot save {path.name}: use .png, .jpg or .webp")
    if recipe is None:
        _write(path, encode_artwork(image, path.suffix, None, quality))
        return path
    return _save_with_recipe(image, path, recipe, quality)


def read_artwork_recipe(path: str | Path) -> dict | None:
    """The recipe stored inside a PNG, JPEG or WebP written by ``save_artwork`` (None if there is none)."""
    with Image.open(path) as im:
        text = im.text.get(PNG_RECIPE_KEY) if hasattr(im, "text") else None
        if not text:
            text = im.getexif().get(RECIPE_EXIF_TAG)
    try:
        return json.loads(text) if text else None
    except ValueError:
        return None


# ---------------------------------------------------------------- several files at once

_SET_TEMP_RE = re.compile(r"^\.(?P<name>.+)\.(?P<host>[^.]*)-(?P<pid>\d+)-(?P<rand>[0-9a-f]{8})\.(?P<kind>new|old)$")
_JOURNAL_RE = re.compile(r"^\.(?P<name>.+)\.saving\.json$")


def _save_alive(token: str) -> bool:
    """Whether the save with this token may still be running (then its files are left alone): a save of this
    process while its FileSet is open, or any save of a process that still exists, or of another machine."""
    import os
    import socket

    try:
        host, pid_text, _ = token.rsplit("-", 2)
        pid = int(pid_text)
    except ValueError:
        return True
    if host and host != _host_tag(socket.gethostname()):
        return True
    if pid == os.getpid():
        return token in _LIVE_TOKENS
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


_LIVE_TOKENS: set[str] = set()  # FileSets of this process that are staging or committing


def _host_tag(host: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", host)[:32]


def _fsync_dir(folder: Path) -> None:
    import os

    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class FileSet:
    """Files that replace their earlier versions together or not at all: an artwork with its recipe and masks.

    ``stage`` writes each new file to a hidden temporary name beside its target (fsynced); ``commit`` records a
    journal, swaps every file in while keeping the old ones as hidden backups, hides the stale companions named by
    ``remove``, marks the journal committed and only then drops the backups. Any failure before the commit mark puts
    every earlier file back; a process killed midway leaves the journal, and ``recover_interrupted_saves`` (called by
    the next save or recipe load in that folder) rolls the folder back to the earlier set — or, after the mark,
    finishes the new one. Readers in between may meet a mix, never a half-written file.
    """

    def __init__(self, journal_folder: str | Path, key: str) -> None:
        import os
        import secrets
        import socket

        self.folder = Path(journal_folder)
        self.journal = self.folder / f".{key}.saving.json"
        self.token = f"{_host_tag(socket.gethostname())}-{os.getpid()}-{secrets.token_hex(4)}"
        self.entries: list[dict] = []
        self.removals: list[Path] = []
        self._done = False
        _LIVE_TOKENS.add(self.token)

    def _temp(self, target: Path, kind: str) -> Path:
        return target.with_name(f".{target.name}.{self.token}.{kind}")

    def stage_path(self, target: str | Path) -> Path:
        """A temporary path the caller writes the new ``target`` into (before ``commit``)."""
        target = Path(target)
        if any(Path(e["target"]) == target for e in self.entries):
            raise ExportError(f"{target.name} is written twice in one save")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self.abort()
            raise ExportError(_explain(exc, target)) from exc
        if target.is_dir():
            self.abort()
            raise ExportError(_explain(IsADirectoryError(21, "Is a directory"), target))
        temp = self._temp(target, "new")
        self.entries.append({"target": str(target), "temp": str(temp), "backup": str(self._temp(target, "old"))})
        return temp

    def stage(self, target: str | Path, data: bytes) -> None:
        """Write the new content of ``target`` to its temporary name and flush it to the disk."""
        import os

        temp = self.stage_path(target)
        try:
            with open(temp, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(temp, 0o644)
        except OSError as exc:
            self.abort()
            raise ExportError(_explain(exc, Path(target))) from exc

    def remove(self, target: str | Path) -> None:
        """An earlier companion the new set does not have: hidden at commit, deleted once the new set is in."""
        target = Path(target)
        if target not in self.removals and all(Path(e["target"]) != target for e in self.entries):
            self.removals.append(target)

    def _write_journal(self, record: dict) -> None:
        """Atomically, under a temporary name ``recover_interrupted_saves`` recognises if the process dies here."""
        import os

        temp = self._temp(self.journal, "new")
        try:
            with open(temp, "wb") as fh:
                fh.write(json.dumps(record, indent=1).encode("utf-8"))
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(temp, self.journal)
        except BaseException:
            _unlink_quietly(temp)
            raise
        _fsync_dir(self.folder)

    def abort(self) -> None:
        """Drop the staged files (nothing of the earlier set was touched yet)."""
        for e in self.entries:
            _unlink_quietly(Path(e["temp"]))
        self.entries = []
        self._done = True
        _LIVE_TOKENS.discard(self.token)

    def commit(self) -> None:
        import os

        if self._done:
            raise ExportError("This save was already finished or abandoned")
        for e in self.entries:
            if not Path(e["temp"]).is_file():
                self.abort()
                raise ExportError(f"{Path(e['target']).name} was not written")
            e["existed"] = Path(e["target"]).exists()
        removals = [{"target": str(t), "backup": str(self._temp(t, "old"))} for t in self.removals if t.exists()]
        record = {"version": 1, "state": "swapping", "token": self.token, "entries": self.entries,
                  "remove": removals}
        try:
            try:
                self._write_journal(record)
            except OSError as exc:
                self.abort()
                raise ExportError(_explain(exc, self.journal)) from exc
            try:
                for e in self.entries:
                    target, temp, backup = Path(e["target"]), Path(e["temp"]), Path(e["backup"])
                    if e["existed"]:
                        try:  # a hard link keeps the earlier file visible under its name until the swap
                            os.link(target, backup)
                        except OSError:
                            os.replace(target, backup)
                    os.replace(temp, target)
                for r in removals:
                    os.replace(r["target"], r["backup"])
                for folder in {Path(e["target"]).parent for e in self.entries}:
                    _fsync_dir(folder)
                record["state"] = "committed"
                self._write_journal(record)
            except OSError as exc:
                _roll_back(record)
                _unlink_quietly(self.journal)
                failed = next((Path(e["target"]) for e in self.entries if not Path(e["target"]).exists()),
                              Path(self.entries[0]["target"]) if self.entries else self.journal)
                raise ExportError(_explain(exc, Path(exc.filename) if getattr(exc, "filename", None) else failed)
                                  + "; the earlier files were kept unchanged") from exc
            _finish(record)
            _unlink_quietly(self.journal)
        finally:
            _LIVE_TOKENS.discard(self.token)
            self._done = True


def _unlink_quietly(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass


def _roll_back(record: dict) -> None:
    """Put every earlier file back under its name and drop the new ones (safe to repeat after a crash)."""
    import os

    for e in reversed(record.get("entries", [])):
        target, temp, backup = Path(e["target"]), Path(e["temp"]), Path(e["backup"])
        if backup.exists():
            if target.exists() and os.path.samefile(backup, target):
                backup.unlink()  # never swapped (a hard link of the same file): rename would do nothing
            else:
                os.replace(backup, target)
        elif not e.get("existed", True) and target.exists() and not temp.exists():
            _unlink_quietly(target)  # the new file that had no earlier version
        _unlink_quietly(temp)
    for r in record.get("remove", []):
        if Path(r["backup"]).exists():
            os.replace(r["backup"], r["target"])


def _finish(record: dict) -> None:
    for e in record.get("entries", []):
        _unlink_quietly(Path(e["backup"]))
        _unlink_quietly(Path(e["temp"]))
    for r in record.get("remove", []):
        _unlink_quietly(Path(r["backup"]))


def recover_interrupted_saves(folder: str | Path) -> int:
    """Finish what a killed save left in ``folder``: roll an unfinished one back to the earlier files, complete a
    committed one, delete orphaned temporary files. Saves of a process that is still running are left alone.
    Returns how many saves were repaired; never raises for a folder it cannot read."""
    import os

    folder = Path(folder)
    try:
        names = os.listdir(folder)
    except OSError:
        return 0
    repaired = 0
    live_tokens: set[str] = set()
    for name in names:
        if not _JOURNAL_RE.match(name):
            continue
        path = folder / name
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            token = str(record["token"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if _save_alive(token):
            live_tokens.add(record["token"])
            continue
        try:
            if record.get("state") == "committed":
                _finish(record)
            else:
                _roll_back(record)
            path.unlink()
            repaired += 1
        except OSError:
            continue
    for name in names:
        m = _SET_TEMP_RE.match(name)
        if not m:
            continue
        token = f"{m['host']}-{m['pid']}-{m['rand']}"
        if m["kind"] == "new" and token not in live_tokens and not _save_alive(token):
            _unlink_quietly(folder / name)  # staged before its journal existed: the earlier set never changed
    return repaired


def encode_artwork(image: np.ndarray | Image.Image, suffix: str, recipe: dict | None = None,
                   quality: int = 95) -> bytes:
    """The bytes of an artwork file: PNG (recipe as a text chunk), JPEG or WebP (recipe as EXIF description)."""
    fmt = ARTWORK_FORMATS.get(suffix.lower())
    if fmt is None:
        raise ExportError(f"Cannot save a {suffix or 'nameless'} file: use .png, .jpg or .webp")
    img = image if isinstance(image, Image.Image) else Image.fromarray(np.squeeze(image))
    buf = io.BytesIO()
    if fmt == "PNG":
        info = PngImagePlugin.PngInfo()
        if recipe is not None:
            info.add_text(PNG_RECIPE_KEY, json.dumps(recipe, sort_keys=True))
        img.save(buf, format="PNG", pnginfo=info)
        return buf.getvalue()
    kwargs: dict = {"quality": int(quality)}
    if recipe is not None:
        exif = Image.Exif()
        exif[RECIPE_EXIF_TAG] = json.dumps(recipe, sort_keys=True)
        kwargs["exif"] = exif.tobytes()
    img.convert("RGB").save(buf, format=fmt, **kwargs)
    return buf.getvalue()


def gif_bytes(frames, fps: float, resample: str = "lanczos") -> bytes:
    """An animated GIF in memory (one shared palette, as ``write_gif``), for a save that stages several files."""
    buf = io.BytesIO()
    _encode_gif(frames, buf, fps, 0, None, resample, 256, False, None)
    return buf.getvalue()


def recipe_bytes(recipe: dict) -> bytes:
    return json.dumps(recipe, indent=2, sort_keys=True).encode("utf-8")
