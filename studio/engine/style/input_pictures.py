"""The Stylize inputs as pictures and masks, without a widget: thumbnails turned upright, pixel sizes from the
header, masks brought to a picture's size, and the small previews of a selection or of region colours.

Masks are kept at each picture's own size so no output size can misalign them; these are the rules that keep
them lined up wherever they are shown or restored (numpy and Pillow only).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from studio.engine.style.mask_png import DEFAULT_REGION_COLORS, resize_masks

THUMB_SIDE = 128
_ROTATED = (5, 6, 7, 8)  # EXIF orientations that swap width and height


def load_thumbnail(path: str | Path, side: int = THUMB_SIDE) -> np.ndarray:
    """A small RGB uint8 copy of the picture, turned upright as its camera says (as the safe loader does, so a
    mask painted on the full picture lines up with it). Raises OSError/ValueError for unreadable files."""
    from PIL import Image, ImageOps

    from studio.engine.style.animation import VIDEO_SUFFIXES, FrameSource

    if Path(path).is_dir() or Path(path).suffix.lower() in VIDEO_SUFFIXES:  # an animation: its first frame
        try:
            im = Image.fromarray(next(FrameSource(path).frames()))
        except StopIteration:
            raise ValueError(f"{Path(path).name} has no frames") from None
        im.thumbnail((side, side))
        return np.asarray(im, dtype=np.uint8).copy()
    with Image.open(path) as im:
        im.draft("RGB", (side, side))  # JPEG: decode at a fraction of the size
        im = ImageOps.exif_transpose(im).convert("RGB")
        im.thumbnail((side, side))
        return np.asarray(im, dtype=np.uint8).copy()


def image_pixel_size(path: str | Path) -> tuple[int, int]:
    """(width, height) of the upright picture, read from the header only."""
    from PIL import Image

    with Image.open(path) as im:
        w, h = im.size
        try:
            orientation = int(im.getexif().get(0x0112, 1))
        except Exception:  # noqa: BLE001 - a broken EXIF block just means "as stored"
            orientation = 1
    return (h, w) if orientation in _ROTATED else (w, h)


def fit_mask(mask: np.ndarray, width: int, height: int, square_crop: bool = False) -> np.ndarray:
    """A mask (H×W or H×W×R float) brought to a picture of ``width`` × ``height``. With ``square_crop`` a square
    mask of a non-square picture is one saved after the centred square crop: it goes back into the middle (the
    cut-off sides unpainted) instead of being stretched."""
    mh, mw = mask.shape[:2]
    if (mh, mw) == (height, width):
        return np.asarray(mask, np.float32)
    if square_crop and mh == mw and width != height:
        side = min(width, height)
        square = resize_masks(mask, side, side).reshape((side, side) + mask.shape[2:])
        out = np.zeros((height, width) + mask.shape[2:], np.float32)
        left, top = (width - side) // 2, (height - side) // 2
        out[top:top + side, left:left + side] = square
        return out
    return resize_masks(mask, height, width).reshape((height, width) + mask.shape[2:])


def dimmed_thumbnail(thumb: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
    """The thumbnail with the unselected part dimmed: what the style row shows of a selection mask."""
    if mask is None:
        return thumb
    m = resize_masks(mask, thumb.shape[0], thumb.shape[1]).reshape(thumb.shape[:2])
    light = 0.22 + 0.78 * m[..., None]
    return np.clip(thumb.astype(np.float32) * light + 0.5, 0, 255).astype(np.uint8)


def regions_thumbnail(thumb: np.ndarray, regions: np.ndarray | None) -> np.ndarray:
    """The thumbnail with each region's colour laid over it (as the brush editor shows it)."""
    if regions is None:
        return thumb
    r = regions.shape[-1]
    w = resize_masks(regions, thumb.shape[0], thumb.shape[1]).reshape(thumb.shape[:2] + (r,))
    colours = np.array(DEFAULT_REGION_COLORS[:r], np.float32)
    alpha = 0.6 * np.clip(w.sum(-1, keepdims=True), 0, 1)
    tint = (w @ colours) / np.maximum(w.sum(-1, keepdims=True), 1e-6)
    out = thumb.astype(np.float32) * (1 - alpha) + tint * alpha
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)
