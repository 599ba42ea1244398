"""Datasets for training: the artist's folders, a built-in demo set, and the lesson's torchvision sets.

Every source becomes a ``PreparedImages``: uint8 N×C×H×W decoded and resized once, so training epochs
never touch the original files again. Large folders are cached on disk as a memmap keyed by the files'
paths, sizes and times, so opening the same folder twice is fast.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import socket
import tempfile
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image, ImageDraw

from studio.engine.errors import StudioError
from studio.engine.images import (
    DEFAULT_MAX_PIXELS,
    SAFE_FORMATS,
    SUPPORTED_SUFFIXES,
    ImageRejected,
    SkippedFile,
    find_image_files,
    is_grayscale_mode,
    load_image,
    summarize_skipped,
    to_mode,
)

if TYPE_CHECKING:
    import torch

ProgressFn = Callable[[int, int], None]
DownloadFn = Callable[[int, "int | None", str], None]
CheckFn = Callable[[], None]

DEFAULT_MEMORY_LIMIT = 2 * 1024**3
CACHE_ENV_VAR = "GAN_STUDIO_CACHE"
_CACHE_FORMAT = 1
_FITS = ("crop", "pad", "stretch")
_RESAMPLE = Image.Resampling.LANCZOS
_REDUCING_GAP = 3.0


class DatasetError(StudioError):
    """No usable data; the message is written for the artist and says what was found instead."""


@dataclass(frozen=True)
class PrepSpec:
    """How every picture is shaped before training. ``hflip`` is applied at random by the trainer."""

    size: int
    channels: int = 3
    fit: str = "crop"
    background: tuple[int, int, int] = (255, 255, 255)
    hflip: bool = False

    def __post_init__(self) -> None:
        if self.size < 1:
            raise ValueError(f"size must be positive, got {self.size}")
        if self.channels not in (1, 3):
            raise ValueError(f"channels must be 1 or 3, got {self.channels}")
        if self.fit not in _FITS:
            raise ValueError(f"fit must be one of {_FITS}, got {self.fit!r}")

    @property
    def mode(self) -> str:
        return "L" if self.channels == 1 else "RGB"


# -------------------------------------------------------------------------------------------- preprocess


def preprocess(img: Image.Image, spec: PrepSpec) -> np.ndarray:
    """Shape one picture to spec.size² with an antialiased resize; returns uint8 HWC (C=spec.channels)."""
    img = to_mode(img, spec.mode, spec.background) if img.mode != spec.mode else img
    s = spec.size
    if spec.fit == "crop":
        # crop first: resize(box=...) would let the filter bleed in colour from the cut-away margins
        out = img.crop(_center_square(img.size)).resize((s, s), _RESAMPLE, reducing_gap=_REDUCING_GAP)
    elif spec.fit == "stretch":
        out = img.resize((s, s), _RESAMPLE, reducing_gap=_REDUCING_GAP)
    else:
        out = _letterbox(img, spec)
    a = np.asarray(out, dtype=np.uint8)
    return a[:, :, None] if a.ndim == 2 else a


def _center_square(size: tuple[int, int]) -> tuple[int, int, int, int]:
    w, h = size
    side = min(w, h)
    left, top = (w - side) // 2, (h - side) // 2
    return left, top, left + side, top + side


def _letterbox(img: Image.Image, spec: PrepSpec) -> Image.Image:
    s = spec.size
    w, h = img.size
    scale = s / max(w, h)
    nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
    inner = img.resize((nw, nh), _RESAMPLE, reducing_gap=_REDUCING_GAP)
    canvas = Image.new(spec.mode, (s, s), _fill_colour(spec))
    canvas.paste(inner, ((s - nw) // 2, (s - nh) // 2))
    return canvas


def _fill_colour(spec: PrepSpec) -> int | tuple[int, int, int]:
    if spec.channels == 3:
        return tuple(spec.background)  # type: ignore[return-value]
    return int(Image.new("RGB", (1, 1), tuple(spec.background)).convert("L").getpixel((0, 0)))


# ---------------------------------------------------------------------------------------- PreparedImages


class PreparedImages:
    """A dataset decoded once: uint8 N×C×H×W in memory or as a memmap, indexed by the trainer."""

    def __init__(
        self,
        array: np.ndarray,
        *,
        skipped: Sequence[SkippedFile] = (),
        source: str = "",
        cache_path: Path | None = None,
    ) -> None:
        if array.dtype != np.uint8 or array.ndim != 4 or array.shape[2] != array.shape[3]:
            raise ValueError(f"expected uint8 N×C×S×S, got {array.dtype} {array.shape}")
        self._array = array
        self.skipped: list[SkippedFile] = list(skipped)
        self.source = source
        self.cache_path = cache_path

    def __len__(self) -> int:
        return int(self._array.shape[0])

    def __repr__(self) -> str:
        where = f"memmap {self.cache_path}" if self.on_disk else "memory"
        return f"PreparedImages({len(self)}×{self.channels}×{self.size}², {where}, source={self.source!r})"

    @property
    def size(self) -> int:
        return int(self._array.shape[2])

    @property
    def channels(self) -> int:
        return int(self._array.shape[1])

    @property
    def on_disk(self) -> bool:
        return isinstance(self._array, np.memmap)

    @property
    def array(self) -> np.ndarray:
        """The raw N×C×H×W uint8 array (read-only view), e.g. to move the whole set to a GPU at once."""
        view = self._array.view()
        view.flags.writeable = False
        return view

    def batch(self, indices: torch.Tensor | Sequence[int] | np.ndarray) -> torch.Tensor:
        """uint8 N×C×H×W tensor for ``indices``; the trainer scales to [-1, 1] on its device."""
        import torch

        if isinstance(indices, torch.Tensor):
            idx = indices.detach().to("cpu", torch.int64).numpy()
        else:
            idx = np.asarray(indices, dtype=np.int64)
        return torch.from_numpy(np.ascontiguousarray(self._array[idx]))

    def previews(self, k: int) -> list[np.ndarray]:
        """The first ``k`` prepared pictures as HWC uint8 copies, for showing the artist their data."""
        n = min(max(k, 0), len(self))
        return [np.ascontiguousarray(self._array[i].transpose(1, 2, 0)) for i in range(n)]


# ------------------------------------------------------------------------------------------------ folders


def default_cache_dir() -> Path:
    """$GAN_STUDIO_CACHE/datasets when set (tests, shared machines), else the platform's cache dir."""
    env = os.environ.get(CACHE_ENV_VAR)
    if env:
        return Path(env).expanduser() / "datasets"
    import platformdirs

    return Path(platformdirs.user_cache_dir("gan-art-studio")) / "datasets"


def prepare_folder(
    paths: Iterable[str | Path] | str | Path,
    spec: PrepSpec,
    *,
    memory_limit_bytes: int = DEFAULT_MEMORY_LIMIT,
    cache_dir: str | Path | None = None,
    on_progress: ProgressFn | None = None,
    check: CheckFn | None = None,
    background: tuple[int, int, int] = (255, 255, 255),
    recursive: bool = True,
) -> PreparedImages:
    """Decode and shape every usable image in ``paths``; refused files end up in ``.skipped``.

    ``background`` is what transparent pixels are composited over; ``spec.background`` fills pad bars.
    Datasets bigger than ``memory_limit_bytes`` live in a memmap cache file that later calls reuse.
    """
    path_list = [Path(p) for p in _as_list(paths)]
    where = _describe_paths(path_list)
    found = find_image_files(path_list, recursive=recursive)
    if not found.files:
        raise DatasetError(_no_images_message(where, found.skipped))
    cache = _DiskCache.for_files(cache_dir, path_list, found.files, spec, background)
    cached = cache.open(memory_limit_bytes, where)
    if cached is not None:
        return cached
    if len(found.files) * spec.channels * spec.size * spec.size <= memory_limit_bytes:
        array = np.empty((len(found.files), spec.channels, spec.size, spec.size), np.uint8)
        count, skipped = _fill(array, found.files, spec, background, on_progress, check)
        array = array[:count].copy() if count < len(array) else array
        _raise_if_empty(count, where, found.skipped + skipped)
        return PreparedImages(array, skipped=found.skipped + skipped, source=where)
    return cache.build(found.files, found.skipped, spec, background, where, on_progress, check)


def _resolved(p: Path) -> str:
    """The real path where it can be found; a link loop (RuntimeError/OSError) keeps the path as given."""
    try:
        return str(p.resolve())
    except (OSError, RuntimeError):
        return str(p.absolute())


def split_source_paths(source: str) -> list[str]:
    """The paths in a data source (joined with ``os.pathsep``), keeping a folder whose name contains it.

    ``/pics/2024:summer`` is one folder when it exists, not ``/pics/2024`` and ``summer``: adjacent pieces are
    joined back while the longer join names something on disk."""
    if source.strip() and os.path.exists(source.strip()):
        return [source.strip()]
    parts = source.split(os.pathsep)
    out: list[str] = []
    i = 0
    while i < len(parts):
        j = next((j for j in range(len(parts), i + 1, -1) if os.path.exists(os.pathsep.join(parts[i:j]))), i + 1)
        piece = os.pathsep.join(parts[i:j])
        if piece.strip():
            out.append(piece)
        i = j
    return out


def _as_list(paths: Iterable[str | Path] | str | Path) -> list[str | Path]:
    return [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)


def _describe_paths(paths: Sequence[Path]) -> str:
    if len(paths) == 1:
        return str(paths[0])
    if len(paths) <= 3:
        return ", ".join(str(p) for p in paths)
    return f"{paths[0]} and {len(paths) - 1} more"


def _no_images_message(where: str, skipped: Sequence[SkippedFile]) -> str:
    kinds = ", ".join(sorted(SUPPORTED_SUFFIXES))
    msg = f"No images found in {where} (looked for {kinds})"
    return f"{msg}; {summarize_skipped(skipped)}" if skipped else msg


def _raise_if_empty(count: int, where: str, skipped: Sequence[SkippedFile]) -> None:
    if count == 0:
        raise DatasetError(f"No usable images in {where}: {summarize_skipped(skipped)}")


def _fill(
    out: np.ndarray,
    files: Sequence[Path],
    spec: PrepSpec,
    background: tuple[int, int, int],
    on_progress: ProgressFn | None,
    check: CheckFn | None,
) -> tuple[int, list[SkippedFile]]:
    """Decode files into consecutive rows of ``out``; returns rows written and files refused."""
    count, skipped = 0, []
    for i, f in enumerate(files):
        if check is not None:
            check()
        try:
            with load_image(f, spec.mode, background) as img:
                out[count] = preprocess(img, spec).transpose(2, 0, 1)
            count += 1
        except ImageRejected as e:
            skipped.append(SkippedFile(f, e.reason, e.kind))
        if on_progress is not None:
            on_progress(i + 1, len(files))
    return count, skipped


def _digest(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:32]


@dataclass(frozen=True)
class _DiskCache:
    """One prepared dataset on disk: ``<key>.u8`` (raw N×C×H×W) plus ``<key>.json``, written last.

    ``key`` changes whenever a file is added, removed or edited; ``source_id`` names the folder+spec,
    so a rebuilt cache can delete the stale one it replaces instead of filling the disk.
    """

    root: Path
    key: str
    source_id: str

    @classmethod
    def for_files(
        cls,
        cache_dir: str | Path | None,
        inputs: Sequence[Path],
        files: Sequence[Path],
        spec: PrepSpec,
        background: tuple[int, int, int],
    ) -> _DiskCache:
        settings = {"format": _CACHE_FORMAT, "spec": asdict(spec), "background": list(background)}
        stamps = []
        for f in files:
            try:  # a file that vanished since the scan is refused when it is decoded; here it only changes the key
                st = f.stat()
                stamps.append((_resolved(f), st.st_size, st.st_mtime_ns))
            except OSError:
                stamps.append((str(f.absolute()), -1, -1))
        root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        source_id = _digest(settings, sorted(_resolved(p) for p in inputs))
        return cls(root, _digest(settings, stamps), source_id)

    @property
    def data_path(self) -> Path:
        return self.root / f"{self.key}.u8"

    @property
    def meta_path(self) -> Path:
        return self.root / f"{self.key}.json"

    def open(self, memory_limit: int, where: str) -> PreparedImages | None:
        """The finished cache for this key, or None; half-written or foreign files are ignored."""
        try:
            meta = json.loads(self.meta_path.read_text(encoding="utf-8"))
            shape = tuple(int(x) for x in meta["shape"])
            if meta.get("key") != self.key or len(shape) != 4 or shape[0] == 0:
                return None
            if self.data_path.stat().st_size != int(np.prod(shape)):
                return None
            skipped = [
                SkippedFile(Path(s["path"]), s["reason"], s.get("kind", "other")) for s in meta["skipped"]
            ]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        mm = np.memmap(self.data_path, np.uint8, "r", shape=shape)
        if mm.nbytes <= memory_limit:
            return PreparedImages(np.array(mm), skipped=skipped, source=where)
        return PreparedImages(mm, skipped=skipped, source=where, cache_path=self.data_path)

    def build(
        self,
        files: Sequence[Path],
        pre_skipped: list[SkippedFile],
        spec: PrepSpec,
        background: tuple[int, int, int],
        where: str,
        on_progress: ProgressFn | None,
        check: CheckFn | None,
    ) -> PreparedImages:
        """Decode straight into a temp memmap, then rename it into place: a crash leaves no cache."""
        self.root.mkdir(parents=True, exist_ok=True)
        row_shape = (spec.channels, spec.size, spec.size)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{self.key}.", suffix=".tmp", dir=self.root)
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            mm = np.memmap(tmp, np.uint8, "w+", shape=(len(files), *row_shape))
            count, skipped = _fill(mm, files, spec, background, on_progress, check)
            mm.flush()
            del mm
            _raise_if_empty(count, where, pre_skipped + skipped)
            os.truncate(tmp, count * int(np.prod(row_shape)))
            os.replace(tmp, self.data_path)
        finally:
            _remove_quietly(tmp)
        all_skipped = pre_skipped + skipped
        shape = (count, *row_shape)
        _write_json_atomic(
            self.meta_path,
            {
                "key": self.key,
                "source_id": self.source_id,
                "shape": list(shape),
                "source": where,
                "skipped": [{"path": str(s.path), "reason": s.reason, "kind": s.kind} for s in all_skipped],
            },
        )
        self._remove_stale()
        array = np.memmap(self.data_path, np.uint8, "r", shape=shape)
        return PreparedImages(array, skipped=all_skipped, source=where, cache_path=self.data_path)

    def _remove_stale(self) -> None:
        for meta_path in self.root.glob("*.json"):
            if meta_path == self.meta_path:
                continue
            try:
                if json.loads(meta_path.read_text(encoding="utf-8")).get("source_id") != self.source_id:
                    continue
            except (OSError, ValueError, AttributeError):
                continue
            _remove_quietly(meta_path)  # meta first: a cache without its JSON is never trusted
            _remove_quietly(meta_path.with_suffix(".u8"))


def _write_json_atomic(path: Path, obj: Any) -> None:
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(obj, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp_name, path)
    finally:
        _remove_quietly(Path(tmp_name))


def _remove_quietly(path: Path) -> None:
    """Best-effort cleanup; on Windows a still-mapped file cannot go yet, and that must not hide the error."""
    try:
        path.unlink(missing_ok=True)
    except OSError:
        pass


def detect_channels(files: Iterable[str | Path], limit: int = 50) -> int:
    """1 when every picture (of the first ``limit`` readable ones) is grey, else 3.

    Image channels follow the dataset: a folder of charcoal drawings trains a 1-channel GAN.
    """
    seen = 0
    for f in files:
        if seen >= limit:
            break
        gray = _is_gray_file(Path(f))
        if gray is None:
            continue
        seen += 1
        if not gray:
            return 3
    return 1 if seen else 3


def _is_gray_file(path: Path) -> bool | None:
    """True/False, or None when the file cannot be read (it does not get a vote; the loader reports it).

    Only a vote, so it decodes cheaply: JPEGs at reduced size via draft(), bombs not at all.
    """
    try:
        with Image.open(path, formats=SAFE_FORMATS) as im:
            if is_grayscale_mode(im.mode):
                return True
            if im.width * im.height > DEFAULT_MAX_PIXELS:
                return None
            im.draft("RGB", (256, 256))
            im.load()
            small = to_mode(im, "RGB")
    except Exception:  # noqa: BLE001 - any unreadable file simply has no vote
        return None
    small.thumbnail((256, 256))  # averaging keeps R==G==B pixels grey
    a = np.asarray(small, dtype=np.int16)
    spread = np.abs(a[..., 0] - a[..., 1]).max(initial=0), np.abs(a[..., 1] - a[..., 2]).max(initial=0)
    return max(spread) <= 2  # JPEG chroma rounding leaves ±1 on grey pictures


# ----------------------------------------------------------------------------------------------- demo set

# Muted, friendly colours: a few inks and paper tones, so pictures look designed rather than noisy.
_INKS = np.array(
    [(226, 95, 76), (38, 120, 128), (240, 180, 60), (40, 52, 90), (146, 84, 140), (92, 160, 96)], np.uint8
)
_PAPERS = np.array(
    [(250, 243, 227), (232, 240, 245), (245, 226, 222), (228, 238, 224), (238, 232, 245)], np.uint8
)


def make_demo_images(n: int = 512, size: int = 64, seed: int = 0) -> np.ndarray:
    """Procedural still lifes (gradient paper, 1–2 bold shapes, maybe a brush stroke): N×H×W×3 uint8.

    Their true distribution is known and simple enough that a DCGAN learns it in a few hundred CPU
    steps, yet varied enough that mode collapse shows. Deterministic in ``seed``; no files, no network.
    """
    rng = np.random.default_rng(seed)
    ss = max(1, min(4, 512 // size))  # supersampling factor for antialiasing
    canvas = size * ss
    ramp = _gradient_ramps(size)
    out = np.empty((n, size, size, 3), np.uint8)
    for i in range(n):
        img = _gradient_background(rng, ramp).resize((canvas, canvas), Image.Resampling.BILINEAR)
        draw = ImageDraw.Draw(img)
        for _ in range(rng.integers(1, 3)):
            _draw_shape(draw, rng, canvas)
        if rng.random() < 0.5:
            _draw_stroke(draw, rng, canvas)
        out[i] = np.asarray(img.reduce(ss) if ss > 1 else img)
    return out


def _gradient_ramps(size: int) -> tuple[np.ndarray, np.ndarray]:
    y, x = np.mgrid[0:size, 0:size].astype(np.float32) / max(size - 1, 1)
    return x - 0.5, y - 0.5


def _gradient_background(rng: np.random.Generator, ramp: tuple[np.ndarray, np.ndarray]) -> Image.Image:
    a, b = _PAPERS[rng.choice(len(_PAPERS), 2, replace=False)].astype(np.float32)
    theta = rng.uniform(0, 2 * np.pi)
    t = np.clip(ramp[0] * np.cos(theta) + ramp[1] * np.sin(theta) + 0.5, 0, 1)[..., None]
    return Image.fromarray((a + (b - a) * t).round().astype(np.uint8), "RGB")


def _ink(rng: np.random.Generator) -> tuple[int, int, int]:
    return tuple(int(v) for v in _INKS[rng.integers(len(_INKS))])  # type: ignore[return-value]


def _draw_shape(draw: ImageDraw.ImageDraw, rng: np.random.Generator, canvas: int) -> None:
    r = rng.uniform(0.16, 0.3) * canvas
    cx, cy = rng.uniform(r, canvas - r, size=2)
    kind = rng.integers(3)
    colour = _ink(rng)
    if kind == 0:
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=colour)
    elif kind == 1:
        draw.regular_polygon(
            (float(cx), float(cy), float(r)), 4, rotation=float(rng.uniform(0, 90)), fill=colour
        )
    else:
        draw.regular_polygon(
            (float(cx), float(cy), float(r)), 3, rotation=float(rng.uniform(0, 120)), fill=colour
        )


def _draw_stroke(draw: ImageDraw.ImageDraw, rng: np.random.Generator, canvas: int) -> None:
    """A cubic Bézier brush stroke drawn as a thick polyline with round joints."""
    p = rng.uniform(0.08, 0.92, size=(4, 2)) * canvas
    t = np.linspace(0.0, 1.0, 24)[:, None]
    curve = (1 - t) ** 3 * p[0] + 3 * (1 - t) ** 2 * t * p[1] + 3 * (1 - t) * t**2 * p[2] + t**3 * p[3]
    width = max(1, int(rng.uniform(0.05, 0.09) * canvas))
    draw.line([tuple(q) for q in curve.tolist()], fill=_ink(rng), width=width, joint="curve")


def prepare_demo(
    spec: PrepSpec, n: int = 512, seed: int = 0, on_progress: ProgressFn | None = None
) -> PreparedImages:
    """The built-in demo set at the spec's size and channel count, rendered directly at that size."""
    rgb = make_demo_images(n=n, size=spec.size, seed=seed)
    arr = _to_channels_nhwc(rgb, spec.channels).transpose(0, 3, 1, 2)
    if on_progress is not None:
        on_progress(n, n)
    return PreparedImages(np.ascontiguousarray(arr), source=f"demo shapes ({n} pictures, seed {seed})")


# The 8 classes of make_mode_images: (shape, ink). Every class differs from every other in shape or colour.
MODE_CLASSES = (
    ("circle", (225, 60, 50)), ("circle", (60, 110, 230)),
    ("square", (225, 60, 50)), ("square", (60, 110, 230)),
    ("triangle", (240, 200, 40)), ("triangle", (60, 190, 90)),
    ("cross", (240, 200, 40)), ("cross", (60, 190, 90)),
)


def make_mode_images(n: int = 200, size: int = 32, seed: int = 0,
                     classes: Sequence[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A dataset with known modes for GAN benchmarks: one bold shape per picture from 8 (shape, colour)
    classes, balanced, with random position, size, rotation and a dark background tint.

    Returns (N×H×W×3 uint8, N int64 class labels). Deterministic in ``seed``; mode coverage of a
    generator is then the fraction of these classes a classifier finds among its samples.
    """
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % len(MODE_CLASSES) if classes is None else np.asarray(classes, np.int64)
    rng.shuffle(labels)
    ss = 4
    canvas = size * ss
    out = np.empty((n, size, size, 3), np.uint8)
    for i, label in enumerate(labels):
        shape, ink = MODE_CLASSES[int(label)]
        bg = tuple(int(v) for v in rng.integers(20, 70, size=3))
        img = Image.new("RGB", (canvas, canvas), bg)
        draw = ImageDraw.Draw(img)
        r = rng.uniform(0.22, 0.32) * canvas
        cx, cy = rng.uniform(r + 0.04 * canvas, canvas - r - 0.04 * canvas, size=2)
        shade = rng.uniform(0.85, 1.0)
        colour = tuple(int(min(255, c * shade)) for c in ink)
        if shape == "circle":
            draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=colour)
        elif shape == "square":
            draw.regular_polygon((float(cx), float(cy), float(r * 1.1)), 4, rotation=float(rng.uniform(0, 90)),
                                 fill=colour)
        elif shape == "triangle":
            draw.regular_polygon((float(cx), float(cy), float(r * 1.15)), 3,
                                 rotation=float(rng.uniform(0, 120)), fill=colour)
        else:
            arm = r * 0.36
            angle = rng.uniform(0, np.pi / 2)
            for a in (angle, angle + np.pi / 2):
                dx, dy = np.cos(a) * r, np.sin(a) * r
                draw.line((cx - dx, cy - dy, cx + dx, cy + dy), fill=colour, width=int(2 * arm))
        out[i] = np.asarray(img.reduce(ss))
    return out, labels.astype(np.int64)


def _to_channels_nhwc(rgb: np.ndarray, channels: int) -> np.ndarray:
    """RGB -> grey with Pillow's ITU-R 601 weights, so demo and folder data agree."""
    if channels == 3:
        return rgb
    w = np.array([299, 587, 114], np.uint32)
    grey = (rgb.astype(np.uint32) @ w + 500) // 1000
    return grey.astype(np.uint8)[..., None]


# -------------------------------------------------------------------------------------- lesson datasets


@dataclass(frozen=True)
class LessonDataset:
    title: str
    torchvision_class: str
    channels: int
    native_size: int


LESSON_DATASETS: dict[str, LessonDataset] = {
    "mnist": LessonDataset("MNIST", "MNIST", 1, 28),
    "fashion-mnist": LessonDataset("Fashion-MNIST", "FashionMNIST", 1, 28),
    "cifar10": LessonDataset("CIFAR-10", "CIFAR10", 3, 32),
}
DOWNLOAD_TIMEOUT_S = 10.0


def default_data_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("gan-art-studio")) / "datasets"


def prepare_torchvision(
    name: str,
    spec: PrepSpec,
    root: str | Path | None = None,
    download: bool = True,
    on_progress: ProgressFn | None = None,
    check: CheckFn | None = None,
    on_download: DownloadFn | None = None,
) -> PreparedImages:
    """The lesson's datasets (training split). Uses files already in ``root``; downloads otherwise.

    ``on_download(done_bytes, total_bytes_or_None, file_name)`` follows each file being downloaded.
    """
    info = LESSON_DATASETS.get(name.lower())
    if info is None:
        raise DatasetError(f"Unknown dataset {name!r}; choose one of {', '.join(LESSON_DATASETS)}")
    root = Path(root) if root is not None else default_data_dir()
    ds = _open_torchvision(info, root, download, on_download, check)
    raw = _raw_nhwc(ds)
    arr = _shape_raw(raw, spec, on_progress, check)
    return PreparedImages(arr, source=f"{info.title} ({len(arr)} pictures)")


_DOWNLOAD_LOCK = threading.Lock()


def _download_with_progress(fn: Callable[[], Any], on_download: DownloadFn | None, check: CheckFn | None) -> Any:
    """Run a torchvision download through our own fetch loop: byte progress and cancel between chunks."""
    import urllib.request

    import torchvision.datasets.utils as tvu

    def fetch(url: str, filename: str | Path, chunk_size: int = 1 << 16) -> None:
        request = urllib.request.Request(url, headers={"User-Agent": "gan-art-studio"})
        name = Path(filename).name
        try:
            with urllib.request.urlopen(request) as response, open(filename, "wb") as fh:
                total, done = response.length, 0
                while chunk := response.read(chunk_size):
                    fh.write(chunk)
                    done += len(chunk)
                    if check is not None:
                        check()
                    if on_download is not None:
                        on_download(done, total, name)
        except BaseException:
            Path(filename).unlink(missing_ok=True)  # no half file left to confuse the next try
            raise

    with _DOWNLOAD_LOCK:  # the hook is module-wide: one download at a time
        original = tvu._urlretrieve
        tvu._urlretrieve = fetch
        try:
            return fn()
        finally:
            tvu._urlretrieve = original


def download_text(name: str, done: int, total: int | None) -> str:
    """'Downloading train-images.gz: 3.2 of 9.9 MB' — what a progress bar says during a download."""
    mb = done / 1e6
    return f"Downloading {name}: {mb:.1f} of {total / 1e6:.1f} MB" if total else f"Downloading {name}: {mb:.1f} MB"


def _open_torchvision(info: LessonDataset, root: Path, download: bool,
                      on_download: DownloadFn | None = None, check: CheckFn | None = None) -> Any:
    import torchvision.datasets as tvd

    from studio.engine.jobs import Cancelled

    cls = getattr(tvd, info.torchvision_class)
    try:
        return cls(str(root), train=True, download=False)
    except RuntimeError:
        if not download:
            raise DatasetError(f"{info.title} is not downloaded yet (looked in {root})") from None
    root.mkdir(parents=True, exist_ok=True)
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(DOWNLOAD_TIMEOUT_S)  # torchvision tries mirrors; never hang on each one
    try:
        return _download_with_progress(lambda: cls(str(root), train=True, download=True), on_download, check)
    except Cancelled:
        raise
    except Exception as e:  # noqa: BLE001 - URLError, RuntimeError, OSError, checksum errors...
        detail = " ".join(str(e).split())[:300]
        raise DatasetError(
            f"Could not download {info.title}: no internet connection? "
            f"Try again when online, or copy an existing torchvision download into {root}. ({type(e).__name__}: {detail})"
        ) from e
    finally:
        socket.setdefaulttimeout(previous)


def _raw_nhwc(ds: Any) -> np.ndarray:
    data = ds.data
    arr = data.numpy() if hasattr(data, "numpy") else np.asarray(data)
    arr = np.asarray(arr, dtype=np.uint8)
    return arr[..., None] if arr.ndim == 3 else arr


def _shape_raw(
    raw: np.ndarray, spec: PrepSpec, on_progress: ProgressFn | None, check: CheckFn | None
) -> np.ndarray:
    """N×H×W×C uint8 -> N×C×S×S in the spec; skips per-image work when nothing changes."""
    n = len(raw)
    if raw.shape[1] == raw.shape[2] == spec.size:
        arr = _match_channels(raw, spec.channels)
        if on_progress is not None:
            on_progress(n, n)
        return np.ascontiguousarray(arr.transpose(0, 3, 1, 2))
    out = np.empty((n, spec.channels, spec.size, spec.size), np.uint8)
    for i in range(n):
        if check is not None and i % 256 == 0:
            check()
        img = Image.fromarray(raw[i, :, :, 0] if raw.shape[3] == 1 else raw[i])
        out[i] = preprocess(img, spec).transpose(2, 0, 1)
        if on_progress is not None and ((i + 1) % 1000 == 0 or i + 1 == n):
            on_progress(i + 1, n)
    return out


def _match_channels(nhwc: np.ndarray, channels: int) -> np.ndarray:
    if nhwc.shape[3] == channels:
        return nhwc
    if channels == 3:
        return np.repeat(nhwc, 3, axis=3)
    return _to_channels_nhwc(nhwc, 1)


# ----------------------------------------------------------------------------------------------- sources


def _is_lesson(source: str) -> bool:
    return source.strip().lower() in LESSON_DATASETS


def _call_with_known(fn: Callable[..., PreparedImages], *args: Any, **kw: Any) -> PreparedImages:
    """Let one call site pass every option; each source takes the ones it understands."""
    params = inspect.signature(fn).parameters
    return fn(*args, **{k: v for k, v in kw.items() if k in params})


def open_data_source(source: str, spec: PrepSpec, **kw: Any) -> PreparedImages:
    """Open any source by the name the GUI and CLI show: demo, a lesson set, or paths (os.pathsep)."""
    key = source.strip().lower()
    if key == "demo":
        return _call_with_known(prepare_demo, spec, **kw)
    if _is_lesson(key):
        return _call_with_known(prepare_torchvision, key, spec, **kw)
    paths = split_source_paths(source)
    if not paths:
        raise DatasetError(
            "No data source given: choose a folder of pictures, the demo set or a lesson dataset"
        )
    return _call_with_known(prepare_folder, paths, spec, **kw)


def source_channels(source: str) -> int:
    """How many channels a GAN for this source should have (image channels follow the dataset)."""
    key = source.strip().lower()
    if key == "demo":
        return 3
    if _is_lesson(key):
        return LESSON_DATASETS[key].channels
    paths = split_source_paths(source)
    return detect_channels(find_image_files(paths).files)
