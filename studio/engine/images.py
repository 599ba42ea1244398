"""The one safe loader for every user image, plus uint8 <-> tensor helpers.

Artists drop whatever is on their disk: damaged downloads, 16-bit scans, CMYK print files, phone photos
with EXIF rotation, decompression bombs. Everything goes through ``load_image`` so that every page of
the studio accepts the same files and explains a refusal in the same plain words.

Torch is imported lazily: the GUI imports this module before torch is loaded.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from studio.engine.errors import StudioError

if TYPE_CHECKING:
    import torch

SUPPORTED_SUFFIXES: frozenset[str] = frozenset(
    {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff", ".gif"}
)
DEFAULT_MAX_PIXELS = 64_000_000
# Decoders Pillow may use on user files. Without this list Pillow sniffs content, and a file renamed
# to .png could reach plugins such as EPS, which runs Ghostscript. (Phone MPO files open via JPEG.)
SAFE_FORMATS: tuple[str, ...] = ("JPEG", "PNG", "WEBP", "BMP", "DIB", "TIFF", "GIF")

# Short categories so a dataset summary can say "2 damaged, 1 empty" without parsing sentences.
KIND_LABELS: dict[str, str] = {
    "empty": "empty",
    "not-image": "not an image",
    "damaged": "damaged",
    "too-large": "too large",
    "unreadable": "unreadable",
    "missing": "missing",
    "unsupported": "unsupported type",
    "other": "other problem",
}

# Picture formats an artist may have that the studio cannot decode: a folder scan names them as skipped
# (with what to do) instead of passing over them quietly. Other files (notes, sidecars) stay quiet.
UNSUPPORTED_IMAGE_TYPES: dict[str, str] = {
    ".heic": "HEIC photo (iPhone)", ".heif": "HEIF photo", ".avif": "AVIF picture", ".jxl": "JPEG XL picture",
    ".svg": "SVG drawing", ".svgz": "SVG drawing", ".psd": "Photoshop document", ".xcf": "GIMP document",
    ".kra": "Krita document", ".ai": "Illustrator document", ".eps": "EPS drawing", ".pdf": "PDF document",
    ".ico": "icon file", ".raw": "camera raw photo", ".dng": "camera raw photo", ".cr2": "camera raw photo",
    ".cr3": "camera raw photo", ".nef": "camera raw photo", ".arw": "camera raw photo", ".orf": "camera raw photo",
    ".rw2": "camera raw photo", ".jp2": "JPEG 2000 picture", ".exr": "OpenEXR picture", ".hdr": "HDR picture",
    ".tga": "TGA picture", ".pcx": "PCX picture", ".ppm": "PPM picture", ".pgm": "PGM picture",
}
CONVERT_ADVICE = "export it as PNG or JPEG to use it"

_GRAY_MODES = frozenset({"1", "L", "LA", "La", "I", "I;16", "I;16B", "I;16L", "I;16N", "F"})
_HIGH_DEPTH_MODES = frozenset({"I", "I;16", "I;16B", "I;16L", "I;16N", "F"})


class ImageRejected(StudioError):
    """A user file that cannot be used, with a reason written for an artist, not a programmer."""

    def __init__(self, reason: str, kind: str = "other", path: str | Path | None = None) -> None:
        super().__init__(f"{path}: {reason}" if path is not None else reason)
        self.reason = reason
        self.kind = kind
        self.path = Path(path) if path is not None else None


@dataclass
class SkippedFile:
    path: Path
    reason: str
    kind: str = "other"


@dataclass
class ScanResult:
    files: list[Path] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)


# ----------------------------------------------------------------------------------------------- loading


def load_image(
    path: str | Path,
    mode: str = "RGB",
    background: tuple[int, int, int] = (255, 255, 255),
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> Image.Image:
    """Fully decode one user image into ``mode`` ("RGB" or "L"), or raise ImageRejected with a reason.

    The whole file is decoded here (not lazily) so that a truncated file is refused now rather than
    crashing a training run later.
    """
    if mode not in ("RGB", "L"):
        raise ValueError(f"mode must be 'RGB' or 'L', not {mode!r}")
    path = Path(path)
    _check_file(path)
    try:
        with open(path, "rb") as fp:
            return _decode(fp, path, mode, background, max_pixels)
    except ImageRejected:
        raise
    except PermissionError as e:
        raise ImageRejected("cannot read file: permission denied", "unreadable", path) from e
    except OSError as e:
        raise ImageRejected(f"cannot read file: {e.strerror or e}", "unreadable", path) from e


def _check_file(path: Path) -> None:
    try:
        st = path.stat()
    except FileNotFoundError as e:
        raise ImageRejected("file not found", "missing", path) from e
    except PermissionError as e:
        raise ImageRejected("cannot read file: permission denied", "unreadable", path) from e
    except OSError as e:
        raise ImageRejected(f"cannot read file: {e.strerror or e}", "unreadable", path) from e
    if path.is_dir():
        raise ImageRejected("this is a folder, not an image file", "not-image", path)
    if st.st_size == 0:
        raise ImageRejected("empty file (0 bytes)", "empty", path)


def _decode(fp: Any, path: Path, mode: str, background: tuple[int, int, int], max_pixels: int) -> Image.Image:
    try:
        im = Image.open(fp, formats=SAFE_FORMATS)
    except UnidentifiedImageError as e:
        if _has_image_signature(fp):
            raise ImageRejected("file is damaged or truncated", "damaged", path) from e
        raise ImageRejected("not an image file", "not-image", path) from e
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise ImageRejected(_bomb_reason(e, max_pixels), "too-large", path) from e
    except (OSError, SyntaxError, ValueError, EOFError) as e:
        raise ImageRejected("file is damaged or truncated", "damaged", path) from e
    with im:
        _check_pixels(im.size, max_pixels, path)
        _verify_structure(fp, path)
        try:
            im.load()  # force the full decode: truncated/corrupt data fails here, not later
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
            raise ImageRejected(_bomb_reason(e, max_pixels), "too-large", path) from e
        except MemoryError as e:
            raise ImageRejected("image too large to fit in memory", "too-large", path) from e
        except Exception as e:  # noqa: BLE001 - decoders raise many types for bad data
            raise ImageRejected("file is damaged or truncated", "damaged", path) from e
        _check_pixels(im.size, max_pixels, path)
        im = _exif_transpose(im)
        try:
            return to_mode(im, mode, background)
        except ValueError as e:
            raise ImageRejected(f"unsupported colour format ({im.mode})", "other", path) from e


_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"BM", b"II*\x00", b"MM\x00*")


def _has_image_signature(fp: Any) -> bool:
    """An image file whose body Pillow cannot parse is damaged, not 'not an image'."""
    fp.seek(0)
    head = fp.read(16)
    return head.startswith(_SIGNATURES) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")


def _check_pixels(size: tuple[int, int], max_pixels: int, path: Path) -> None:
    """Refuse from the header alone, before a single pixel is decoded."""
    w, h = size
    if w <= 0 or h <= 0:
        raise ImageRejected("file is damaged or truncated", "damaged", path)
    if w * h > max_pixels:
        mp = w * h / 1e6
        limit = max_pixels / 1e6
        reason = f"image too large ({w}×{h} = {mp:.0f} MP, limit {limit:g} MP)"
        raise ImageRejected(reason, "too-large", path)


def _bomb_reason(e: Exception, max_pixels: int) -> str:
    """Pillow refuses huge headers itself (before we see the size); keep its pixel count, not its jargon."""
    m = re.search(r"\((\d+) pixels\)", str(e))
    size = f"{int(m.group(1)) / 1e6:.0f} MP, " if m else ""
    return f"image too large ({size}limit {max_pixels / 1e6:g} MP)"


def _verify_structure(fp: Any, path: Path) -> None:
    """Check chunk checksums (PNG) that a decode alone may not notice; other formats verify as a no-op."""
    pos = fp.tell()
    try:
        fp.seek(0)
        with Image.open(fp, formats=SAFE_FORMATS) as probe:
            if probe.format == "PNG":
                probe.verify()
    except Exception as e:  # noqa: BLE001 - verify raises SyntaxError, OSError, struct.error...
        raise ImageRejected("file is damaged or truncated", "damaged", path) from e
    finally:
        fp.seek(pos)


def _exif_transpose(im: Image.Image) -> Image.Image:
    """Phones store pictures sideways plus an EXIF note; show them the way the artist saw them."""
    try:
        out = ImageOps.exif_transpose(im)
    except Exception:  # noqa: BLE001 - a broken EXIF block should not cost the picture
        out = None
    return out if out is not None else im.copy()


# -------------------------------------------------------------------------------------------- conversion


def to_mode(
    im: Image.Image, mode: str = "RGB", background: tuple[int, int, int] = (255, 255, 255)
) -> Image.Image:
    """Convert any Pillow image to 8-bit "RGB" or "L": alpha composited over ``background``, high bit
    depths scaled by their real range (a 16-bit 65535 becomes 255, not a clipped 255 from 255)."""
    if mode not in ("RGB", "L"):
        raise ValueError(f"mode must be 'RGB' or 'L', not {mode!r}")
    if im.mode in _HIGH_DEPTH_MODES:
        im = _high_depth_to_l(im)
    if im.mode == "1":
        im = im.convert("L")
    if im.has_transparency_data:
        im = _composite(im, background)
    if im.mode == mode:
        return im.copy()
    if im.mode not in ("L", "RGB"):
        im = im.convert("RGB")  # P, CMYK, YCbCr, RGBX, ...
    return im.convert(mode)


def _composite(im: Image.Image, background: tuple[int, int, int]) -> Image.Image:
    rgba = im.convert("RGBA")
    base = Image.new("RGBA", rgba.size, (*background, 255))
    return Image.alpha_composite(base, rgba).convert("RGB")


def _high_depth_to_l(im: Image.Image) -> Image.Image:
    """Scale 16/32-bit integer or float greyscale to 8 bits by the range its format can hold."""
    a = np.asarray(im)
    if im.mode.startswith("I;16"):
        out = a.astype(np.float64) / 257.0
    elif im.mode == "F":
        out = _scale_float(a.astype(np.float64))
    else:  # "I": 32-bit ints; most come from 16-bit files, some are true 8- or 32-bit data
        lo, hi = (int(a.min()), int(a.max())) if a.size else (0, 0)
        if lo >= 0 and hi <= 255:
            out = a.astype(np.float64)
        elif lo >= 0 and hi <= 65535:
            out = a.astype(np.float64) / 257.0
        else:
            out = _scale_float(a.astype(np.float64), unit=False)
    return Image.fromarray(np.clip(np.rint(out), 0, 255).astype(np.uint8), "L")


def _scale_float(a: np.ndarray, unit: bool = True) -> np.ndarray:
    finite = a[np.isfinite(a)]
    if finite.size == 0:
        return np.zeros_like(a)
    a = np.nan_to_num(a, nan=0.0, posinf=finite.max(), neginf=finite.min())
    lo, hi = float(finite.min()), float(finite.max())
    if unit and lo >= 0.0 and hi <= 1.0:
        return a * 255.0
    if hi <= lo:
        return np.zeros_like(a)
    return (a - lo) * (255.0 / (hi - lo))


def is_grayscale_mode(mode: str) -> bool:
    return mode in _GRAY_MODES


# ----------------------------------------------------------------------------------------------- scanning


def find_image_files(paths: Iterable[str | Path] | str | Path, recursive: bool = True) -> ScanResult:
    """List candidate image files without opening them.

    Folders are walked (sorted, hidden entries skipped) and files of other types ignored quietly;
    a file the user named explicitly is never ignored quietly: it is listed as skipped with a reason.
    """
    result = ScanResult()
    seen: set[Path] = set()

    def add(p: Path) -> None:
        key = p.absolute()
        if key not in seen:
            seen.add(key)
            result.files.append(p)

    for raw in _as_path_list(paths):
        p = Path(raw).expanduser()
        problem = _entry_problem(p)
        if problem is not None and problem[1] != "not-image":
            result.skipped.append(SkippedFile(p, *problem))
        elif p.is_dir():
            files, skipped = _walk_folder(p, recursive)
            for f in files:
                add(f)
            result.skipped.extend(skipped)
        elif p.is_file():
            if p.suffix.lower() in SUPPORTED_SUFFIXES:
                add(p)
            else:
                result.skipped.append(SkippedFile(p, _unsupported_reason(p), "unsupported"))
        elif p.exists():
            result.skipped.append(SkippedFile(p, "not a regular file", "not-image"))
        else:
            result.skipped.append(SkippedFile(p, "file or folder not found", "missing"))
    return result


def _entry_problem(p: Path) -> tuple[str, str] | None:
    """Why ``p`` cannot be opened at all (a dangling link, a link loop, no permission), or None.

    ``os.stat`` follows links, so a link to a file that was moved away, or a link that points (through
    others) back to itself, is found here and skipped with its reason instead of failing later."""
    try:
        st = os.stat(p)
    except FileNotFoundError:
        if os.path.islink(p):
            return "a shortcut (symbolic link) to a file that no longer exists", "missing"
        return "file or folder not found", "missing"
    except OSError as e:
        if e.errno == errno.ELOOP:
            return "a shortcut (symbolic link) that leads back to itself (a loop)", "unreadable"
        if e.errno in (errno.EACCES, errno.EPERM):
            return "cannot read file: permission denied", "unreadable"
        return f"cannot read file: {e.strerror or e}", "unreadable"
    except ValueError:  # e.g. a NUL byte in the name
        return "an invalid file name", "unreadable"
    if not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)):
        return "not a regular file (a device, pipe or socket)", "not-image"
    return None


def _unsupported_reason(p: Path) -> str:
    kind = UNSUPPORTED_IMAGE_TYPES.get(p.suffix.lower())
    if kind:
        return f"a {kind}, which the studio cannot read; {CONVERT_ADVICE}"
    return "not a supported image type"


def _as_path_list(paths: Iterable[str | Path] | str | Path) -> list[str | Path]:
    if isinstance(paths, (str, os.PathLike)):
        return [paths]
    return list(paths)


def _walk_folder(folder: Path, recursive: bool) -> tuple[list[Path], list[SkippedFile]]:
    """Image files under ``folder`` (sorted, hidden entries skipped) and the entries passed over, with why.

    Links to folders are not followed (a link loop would never end); files with an image suffix that
    cannot be opened, pictures in formats we cannot decode and folders named like pictures are listed
    as skipped, so the artist learns why a picture did not arrive."""
    found: list[Path] = []
    skipped: list[SkippedFile] = []
    for root, dirs, files in os.walk(folder):
        keep = []
        for d in sorted(x for x in dirs if not x.startswith(".")):
            path = Path(root) / d
            if os.path.islink(path):
                skipped.append(SkippedFile(path, "a shortcut (symbolic link) to a folder; it is not followed. "
                                                 "Add that folder itself to use its pictures", "other"))
            elif not recursive and Path(d).suffix.lower() in SUPPORTED_SUFFIXES:
                skipped.append(SkippedFile(path, "a folder, not an image file (sub-folders are not read)",
                                           "not-image"))
            elif recursive:
                keep.append(d)
        dirs[:] = keep
        for name in sorted(files):
            if name.startswith("."):
                continue
            path = Path(root) / name
            suffix = Path(name).suffix.lower()
            if suffix in SUPPORTED_SUFFIXES:
                problem = _entry_problem(path)
                if problem is None and os.path.isdir(path):
                    problem = ("a folder, not an image file", "not-image")
                if problem is None:
                    found.append(path)
                else:
                    skipped.append(SkippedFile(path, *problem))
            elif suffix in UNSUPPORTED_IMAGE_TYPES:
                skipped.append(SkippedFile(path, _unsupported_reason(path), "unsupported"))
    return found, skipped


def describe_skipped(skipped: Iterable[SkippedFile], limit: int = 20) -> list[str]:
    """One line per skipped file — "  photo.heic: a HEIC photo … " — at most ``limit``, then "… and N more"."""
    items = list(skipped)
    lines = [f"  {s.path}: {s.reason}" for s in items[:limit]]
    if len(items) > limit:
        lines.append(f"  … and {len(items) - limit} more")
    return lines


def scan_images(
    paths: Iterable[str | Path] | str | Path,
    recursive: bool = True,
    validate: bool = True,
    on_progress: Callable[[int, int], None] | None = None,
    check: Callable[[], None] | None = None,
) -> ScanResult:
    """Find images and (if ``validate``) fully decode each one, moving refused files to ``skipped``.

    ``on_progress(done, total)`` is called after each file; ``check()`` before each file may raise to
    cancel (e.g. the Job token's Cancelled).
    """
    found = find_image_files(paths, recursive=recursive)
    if not validate:
        return found
    result = ScanResult(skipped=list(found.skipped))
    total = len(found.files)
    for i, f in enumerate(found.files):
        if check is not None:
            check()
        try:
            load_image(f).close()
            result.files.append(f)
        except ImageRejected as e:
            result.skipped.append(SkippedFile(f, e.reason, e.kind))
        if on_progress is not None:
            on_progress(i + 1, total)
    return result


def summarize_skipped(skipped: Iterable[SkippedFile]) -> str:
    """'3 files skipped (2 damaged, 1 empty)' — the words a dataset error message needs."""
    counts: dict[str, int] = {}
    items = list(skipped)
    for s in items:
        label = KIND_LABELS.get(s.kind, KIND_LABELS["other"])
        counts[label] = counts.get(label, 0) + 1
    n = len(items)
    if n == 0:
        return "no files skipped"
    parts = ", ".join(f"{c} {label}" for label, c in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    return f"{n} file{'s' if n != 1 else ''} skipped ({parts})"


# ---------------------------------------------------------------------------------------- array helpers


def pil_to_uint8(img: Image.Image) -> np.ndarray:
    """HWC uint8 (C=1 for greyscale), a private copy that may be handed to another thread."""
    if img.mode not in ("L", "RGB", "RGBA"):
        img = to_mode(img, "L" if is_grayscale_mode(img.mode) else "RGB")
    a = np.array(img, dtype=np.uint8)
    return a[:, :, None] if a.ndim == 2 else a


def uint8_to_pil(arr: np.ndarray) -> Image.Image:
    """Accept HW, HW1, HW3 or HW4 uint8."""
    a = np.asarray(arr)
    if a.dtype != np.uint8:
        raise ValueError(f"expected uint8, got {a.dtype}")
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    if a.ndim == 2:
        return Image.fromarray(np.ascontiguousarray(a), "L")
    if a.ndim == 3 and a.shape[2] in (3, 4):
        return Image.fromarray(np.ascontiguousarray(a), "RGB" if a.shape[2] == 3 else "RGBA")
    raise ValueError(f"expected HW or HWC with C in 1/3/4, got shape {a.shape}")


def tensor_to_uint8(t: torch.Tensor) -> np.ndarray:
    """[-1, 1] CHW -> HWC uint8; NCHW -> NHWC uint8."""
    if t.ndim not in (3, 4):
        raise ValueError(f"expected CHW or NCHW, got shape {tuple(t.shape)}")
    x = t.detach().float().clamp(-1.0, 1.0).add(1.0).mul(127.5).round().to("cpu")
    x = x.movedim(-3, -1).contiguous()
    return x.numpy().astype(np.uint8)


def uint8_to_tensor(arr: np.ndarray) -> torch.Tensor:
    """HWC (or HW, or NHWC) uint8 -> float CHW (NCHW) in [-1, 1]."""
    import torch

    a = np.asarray(arr)
    if a.dtype != np.uint8:
        raise ValueError(f"expected uint8, got {a.dtype}")
    if a.ndim == 2:
        a = a[:, :, None]
    if a.ndim not in (3, 4):
        raise ValueError(f"expected HW, HWC or NHWC, got shape {a.shape}")
    t = torch.from_numpy(np.ascontiguousarray(a)).movedim(-1, -3).float()
    return t.div_(127.5).sub_(1.0).contiguous()
