"""Mask files: how painted masks are written to and read from PNG. Plain numpy + Pillow, no Qt (the mask editor,
the engine and the CLI share it).

Two formats, both ordinary PNGs any image viewer shows and any paint program can edit:

* **Selection mask** (one channel): 8-bit grayscale, ``round(weight × 255)``; white = use, black = don't.
  Reading accepts any image Pillow opens (converted to grayscale) and gives float32 H×W in [0, 1].
* **Region map** (N regions): 8-bit RGBA. A pixel's RGB is the colour of the region with the largest
  weight there (black where nothing is painted) and its alpha is ``round(total weight × 255)``. The
  region colours are also stored, in order, as JSON in the PNG text chunk ``gan-studio-regions``
  (``{"version": 1, "colors": [[r, g, b], ...]}``), so the file maps back to the same region indexes.
  Reading maps each pixel to the region whose colour is nearest (colours from that chunk, or given by
  the caller for maps painted elsewhere) with its alpha as the weight. An image without alpha is read
  as colours painted over black: each pixel goes to the region colour it lies closest to on the line
  from black to that colour, with the weight given by how far along that line it is (black =
  unpainted, half-bright red = region "red" at 0.5), so soft strokes painted elsewhere keep their
  falloff. That is also what a reader that flattens the RGBA map onto black sees, so both readings of
  one file agree.

  What survives a round trip: one-hot paint exactly; soft edges against unpainted areas to within
  1/255; where two regions overlap softly the pixel comes back as the dominant region carrying the total
  weight (a PNG pixel holds one colour). Keep the float arrays when that matters.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, PngImagePlugin

from studio.engine.images import DEFAULT_MAX_PIXELS, ImageRejected, load_image
from studio.engine.style.settings import REGION_COLORS

REGIONS_KEY = "gan-studio-regions"
FORMAT_VERSION = 1
# The palette region maps are painted in: the style engine's region colours (torch-free, one copy), so a map
# painted with the default colours means the same regions there.
DEFAULT_REGION_COLORS = REGION_COLORS

Color = Sequence[int] | str


def parse_colors(colors: Sequence[Color]) -> np.ndarray:
    """Colours as (N, 3) uint8: each an (r, g, b) of 0..255 or a string Pillow knows ("#ff8800", "red")."""
    from PIL import ImageColor

    out = []
    for c in colors:
        rgb = ImageColor.getrgb(c)[:3] if isinstance(c, str) else tuple(int(v) for v in c)[:3]
        if len(rgb) != 3 or not all(0 <= v <= 255 for v in rgb):
            raise ValueError(f"not an RGB colour: {c!r}")
        out.append(rgb)
    return np.array(out, dtype=np.uint8).reshape(-1, 3)


def resize_masks(masks: np.ndarray, height: int, width: int) -> np.ndarray:
    """Resample float32 H×W or H×W×C weights to a new size (bilinear, area-averaged when shrinking),
    keeping values in [0, 1] and per-pixel sums ≤ 1."""
    arr = np.asarray(masks, dtype=np.float32)
    flat = arr.ndim == 2
    if flat:
        arr = arr[..., None]
    if arr.shape[:2] == (height, width):
        out = arr.copy()
    else:
        out = np.empty((height, width, arr.shape[2]), dtype=np.float32)
        for c in range(arr.shape[2]):
            img = Image.fromarray(np.ascontiguousarray(arr[..., c]))  # mode "F"
            out[..., c] = np.asarray(img.resize((width, height), Image.Resampling.BILINEAR))
    np.clip(out, 0.0, 1.0, out=out)
    if out.shape[2] > 1:
        total = out.sum(axis=2, keepdims=True)
        np.divide(out, total, out=out, where=total > 1.0)
    return out[..., 0] if flat else out


# --- selection mask ---------------------------------------------------------------------------------
def mask_to_image(mask: np.ndarray) -> Image.Image:
    """float H×W in [0, 1] → 8-bit grayscale image."""
    m = np.asarray(mask, dtype=np.float32)
    if m.ndim == 3 and m.shape[2] == 1:
        m = m[..., 0]
    if m.ndim != 2:
        raise ValueError(f"a selection mask is H×W, got shape {m.shape}")
    return Image.fromarray(np.round(np.clip(m, 0.0, 1.0) * 255.0).astype(np.uint8), mode="L")


def image_to_mask(image: Image.Image, size: tuple[int, int] | None = None) -> np.ndarray:
    """Any image → float32 H×W in [0, 1] (grayscale levels / 255), resampled to ``size`` = (w, h)."""
    gray = image.convert("L")
    mask = np.asarray(gray, dtype=np.float32) / np.float32(255.0)
    if size is not None and (mask.shape[1], mask.shape[0]) != tuple(size):
        mask = resize_masks(mask, size[1], size[0])
    return mask


def save_mask_png(mask: np.ndarray, path: str | Path) -> Path:
    path = Path(path)
    mask_to_image(mask).save(path, format="PNG")
    return path


def load_mask_png(path: str | Path, size: tuple[int, int] | None = None) -> np.ndarray:
    """Read a selection mask through the studio's one safe image loader (transparent = not selected).

    Raises ``ImageRejected`` with a plain reason for files that cannot be used."""
    return image_to_mask(load_image(path, mode="L", background=(0, 0, 0)), size)


# --- region map ----------------------------------------------------------------------------------------
def region_masks_to_image(masks: np.ndarray, colors: Sequence[Color]) -> Image.Image:
    """float H×W×N weights + N colours → RGBA region map (see the module docstring)."""
    w = np.asarray(masks, dtype=np.float32)
    if w.ndim != 3:
        raise ValueError(f"region masks are H×W×N, got shape {w.shape}")
    pal = parse_colors(colors)
    if len(pal) != w.shape[2]:
        raise ValueError(f"{w.shape[2]} regions but {len(pal)} colours")
    total = np.clip(w.sum(axis=2), 0.0, 1.0)
    alpha = np.round(total * 255.0).astype(np.uint8)
    rgba = np.zeros(w.shape[:2] + (4,), dtype=np.uint8)
    rgba[..., :3] = pal[np.argmax(w, axis=2)]
    rgba[..., 3] = alpha
    rgba[alpha == 0, :3] = 0
    return Image.fromarray(rgba, mode="RGBA")


def region_colors_of(image: Image.Image) -> np.ndarray | None:
    """The region colours stored in a region map by :func:`save_region_png`, or None."""
    raw = image.info.get(REGIONS_KEY)  # PNG text chunks land in .info
    if raw is None:
        return None
    try:
        colors = json.loads(raw)["colors"]
        return parse_colors(colors)
    except (ValueError, KeyError, TypeError):
        return None


def image_to_region_masks(image: Image.Image, colors: Sequence[Color] | None = None,
                          size: tuple[int, int] | None = None) -> np.ndarray:
    """Region map → float32 H×W×N weights (N = number of colours), resampled to ``size`` = (w, h).

    ``colors`` default to the ones stored in the file; a map without them needs ``colors``.
    """
    pal = parse_colors(colors) if colors is not None else region_colors_of(image)
    if pal is None or len(pal) == 0:
        raise ValueError("this PNG does not say which colour is which region; pass the region colours")
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    rgba = np.asarray(image.convert("RGBA"), dtype=np.float32)
    rgb = rgba[..., :3]
    index = np.zeros(rgb.shape[:2], dtype=np.int32)
    best = np.full(rgb.shape[:2], np.inf, dtype=np.float32)
    if has_alpha:  # RGB names the region, alpha is its weight
        weight = rgba[..., 3] / np.float32(255.0)
        for k, c in enumerate(pal.astype(np.float32)):  # one H×W distance at a time, no H×W×N×3
            dist = ((rgb - c) ** 2).sum(axis=2)
            closer = dist < best
            index[closer] = k
            best[closer] = dist[closer]
    else:  # colours painted over black: the weight is how far along its colour a pixel is
        weight = np.zeros(rgb.shape[:2], dtype=np.float32)
        for k, c in enumerate(pal.astype(np.float32)):
            along = np.clip(rgb @ c / max(float(c @ c), 1.0), 0.0, 1.0)
            dist = ((rgb - along[..., None] * c) ** 2).sum(axis=2)
            closer = dist < best
            index[closer] = k
            best[closer] = dist[closer]
            weight[closer] = along[closer]
    n = len(pal)
    masks = np.zeros(rgb.shape[:2] + (n,), dtype=np.float32)
    for k in range(n):
        masks[..., k] = np.where(index == k, weight, np.float32(0.0))
    if size is not None and (masks.shape[1], masks.shape[0]) != tuple(size):
        masks = resize_masks(masks, size[1], size[0])
    return masks


def _open_png(path: Path) -> Image.Image:
    """Open a region map: PNG only (no format sniffing), size-checked before decoding, fully decoded."""
    try:
        img = Image.open(path, formats=("PNG",))
    except FileNotFoundError as e:
        raise ImageRejected("file not found", "missing", path) from e
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise ImageRejected("image too large", "too-large", path) from e
    except (OSError, SyntaxError, ValueError) as e:
        raise ImageRejected("not a PNG region map (or the file is damaged)", "not-image", path) from e
    w, h = img.size
    if w * h > DEFAULT_MAX_PIXELS:
        img.close()
        raise ImageRejected(f"image too large ({w}×{h})", "too-large", path)
    try:
        img.load()
    except Exception as e:  # noqa: BLE001 - decoders raise many types for bad data
        img.close()
        raise ImageRejected("file is damaged or truncated", "damaged", path) from e
    return img


def save_region_png(masks: np.ndarray, colors: Sequence[Color], path: str | Path) -> Path:
    path = Path(path)
    info = PngImagePlugin.PngInfo()
    payload = {"version": FORMAT_VERSION, "colors": parse_colors(colors).tolist()}
    info.add_text(REGIONS_KEY, json.dumps(payload))
    region_masks_to_image(masks, colors).save(path, format="PNG", pnginfo=info)
    return path


def load_region_png(path: str | Path, colors: Sequence[Color] | None = None,
                    size: tuple[int, int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Read a region map: (float32 H×W×N weights, (N, 3) uint8 colours used to decode it)."""
    with _open_png(Path(path)) as img:
        pal = parse_colors(colors) if colors is not None else region_colors_of(img)
        if pal is None:
            raise ValueError(f"{Path(path).name} does not say which colour is which region; "
                             "pass the region colours")
        return image_to_region_masks(img, pal, size), pal
