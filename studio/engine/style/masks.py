"""Brush masks for style transfer: which parts of a style image count, and which style goes where on the photo.

Two kinds, both float32 in [0, 1]:
- a *style mask* (H×W) over one style image: only its painted pixels contribute to that image's Gram matrices, and
  the Gram is divided by the painted area (Σ mask), so a small selection weighs as much as a whole painting;
- *content regions* (H×W×R, one channel per style image) over the photo: region r takes style r (guided Grams,
  Gatys et al. 2017). Soft edges blend styles; where the regions add up to less than 1 the remainder takes the
  blend of all styles (the unmasked behaviour), so an unpainted photo behaves exactly as before.

Files: a style mask is an 8-bit grayscale PNG (white = use). Content regions are stored exactly as one grayscale
PNG per region beside an artwork; a single colour PNG (``--content-mask``) is also read: each pixel goes to the
nearest colour of REGION_COLORS (black = no particular style) with a weight given by its brightness along that
colour, so soft strokes over black keep their falloff.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from studio.engine.errors import StudioError
from studio.engine.style.settings import REGION_COLORS  # defined torch-free there


class MaskError(StudioError, ValueError):
    """A mask that cannot be used, in plain words."""


def _as_image(source, mode: str) -> Image.Image:
    """Path (through the safe loader; transparency composited over black, so unpainted = 0), PIL image or array."""
    if isinstance(source, Image.Image):
        if source.mode in ("RGBA", "LA", "P"):
            rgba = source.convert("RGBA")
            bg = Image.new("RGBA", rgba.size, (0, 0, 0, 255))
            source = Image.alpha_composite(bg, rgba)
        return source.convert(mode)
    if isinstance(source, np.ndarray):
        a = source
        if a.dtype != np.uint8:
            a = (np.clip(a.astype(np.float32), 0, 1) * 255 + 0.5).astype(np.uint8)
        return _as_image(Image.fromarray(a), mode)
    from studio.engine.images import ImageRejected, load_image

    try:
        return load_image(source, mode, background=(0, 0, 0))
    except ImageRejected as exc:
        raise MaskError(f"mask {Path(source).name}: {exc}") from exc


def load_style_mask(source, size: tuple[int, int] | None = None) -> np.ndarray:
    """A grayscale mask (path, PIL image or array; float arrays are taken as weights) → float32 H×W in [0, 1].

    Transparent pixels count as unpainted. ``size`` = (W, H) resamples it."""
    if isinstance(source, np.ndarray) and source.dtype != np.uint8 and source.ndim == 2:
        m = np.clip(source.astype(np.float32), 0, 1)
    else:
        m = np.asarray(_as_image(source, "L"), dtype=np.float32) / 255.0
    return resize_mask(m, size) if size is not None else m


def resize_mask(mask: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resample a H×W or H×W×R float mask to (W, H) (area-like when shrinking, bilinear when growing)."""
    w, h = size
    if mask.shape[1] == w and mask.shape[0] == h:
        return mask.astype(np.float32, copy=False)
    t = torch.from_numpy(np.ascontiguousarray(mask, dtype=np.float32))
    t = t[None, None] if t.ndim == 2 else t.permute(2, 0, 1)[None]
    shrinking = h < t.shape[-2] and w < t.shape[-1]
    out = F.interpolate(t, size=(h, w), mode="area" if shrinking else "bilinear",
                        align_corners=None if shrinking else False)
    out = out[0, 0] if mask.ndim == 2 else out[0].permute(1, 2, 0)
    return out.clamp(0, 1).numpy()


def decode_regions(rgb: np.ndarray, count: int) -> np.ndarray:
    """A colour-coded region image (H×W×3 uint8) → float32 H×W×count weights (see the module docstring)."""
    if count < 1:
        raise MaskError("a content mask needs at least one style image")
    if count > len(REGION_COLORS):
        raise MaskError(f"a content mask can map at most {len(REGION_COLORS)} styles")
    px = rgb[..., :3].astype(np.float32)
    palette = np.array([(0, 0, 0), *REGION_COLORS], dtype=np.float32)  # 0 = none
    # nearest colour along each palette ray: project, then measure the distance to the projected point
    norms = (palette[1:] ** 2).sum(1)  # (P,)
    proj = np.clip(px @ palette[1:].T / norms, 0, 1)  # (H, W, P) brightness along each colour
    dist = ((px[..., None, :] - proj[..., None] * palette[1:]) ** 2).sum(-1)  # (H, W, P)
    nearest = dist.argmin(-1)
    weight = np.take_along_axis(proj, nearest[..., None], -1)[..., 0]
    out = np.zeros(rgb.shape[:2] + (count,), np.float32)
    for r in range(count):
        sel = nearest == r
        out[..., r][sel] = weight[sel]
    return out


def encode_regions(weights: np.ndarray) -> np.ndarray:
    """H×W×R weights → an H×W×3 uint8 colour picture of them (what ``decode_regions`` reads)."""
    r = weights.shape[-1]
    if r > len(REGION_COLORS):
        raise MaskError(f"at most {len(REGION_COLORS)} regions can be written as colours")
    cols = np.array(REGION_COLORS[:r], np.float32)
    return np.clip(np.clip(weights, 0, 1) @ cols + 0.5, 0, 255).astype(np.uint8)


def load_content_regions(source, count: int, size: tuple[int, int] | None = None) -> np.ndarray:
    """Content regions from a colour PNG / image / array (H×W×3 uint8 colour-coded, or H×W×R float weights),
    or a list of per-region grayscale masks (None = that style has no region) → float32 H×W×count."""
    if isinstance(source, (list, tuple)):
        present = [s for s in source if s is not None]
        if not present:
            raise MaskError("the content mask list is empty")
        first = load_style_mask(present[0])
        shape = first.shape
        chans = []
        for s in list(source)[:count]:
            chans.append(np.zeros(shape, np.float32) if s is None else load_style_mask(s, (shape[1], shape[0])))
        chans += [np.zeros(shape, np.float32)] * (count - len(chans))
        weights = np.stack(chans, -1)
    elif isinstance(source, np.ndarray) and source.dtype != np.uint8:
        weights = np.clip(source.astype(np.float32), 0, 1)
        if weights.ndim == 2:
            weights = weights[..., None]
        if weights.shape[-1] < count:
            pad = np.zeros(weights.shape[:2] + (count - weights.shape[-1],), np.float32)
            weights = np.concatenate([weights, pad], -1)
        weights = weights[..., :count]
    else:
        img = _as_image(source, "RGB")
        weights = decode_regions(np.asarray(img), count)
    return resize_mask(weights, size) if size is not None else weights


# ------------------------------------------------------------------------------------------- torch side

def mask_tensor(mask: np.ndarray, device) -> torch.Tensor:
    """H×W → (1, 1, H, W); H×W×R → (1, R, H, W)."""
    t = torch.from_numpy(np.ascontiguousarray(mask, dtype=np.float32))
    t = t[None, None] if t.ndim == 2 else t.permute(2, 0, 1)[None]
    return t.to(device)


def at_layer(mask: torch.Tensor, hw: tuple[int, int]) -> torch.Tensor:
    """A (1, R, H, W) mask averaged down to a feature map's (h, w): each feature cell gets the share of its
    receptive block that is painted."""
    if tuple(mask.shape[-2:]) == tuple(hw):
        return mask
    return F.adaptive_avg_pool2d(mask, hw)


def masked_gram(features: torch.Tensor, weights: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Σ_p w_p f_p f_pᵀ / Σ_p w_p for features (B, C, H, W) and weights (B, 1, H, W) — with a 0/1 mask, exactly the
    Gram of the selected pixels."""
    b, c, h, w = features.shape
    f = features.reshape(b, c, h * w)
    m = weights.reshape(b, 1, h * w).to(f.dtype)
    return torch.bmm(f * m, f.transpose(1, 2)) / (m.sum(-1, keepdim=True) + eps)
