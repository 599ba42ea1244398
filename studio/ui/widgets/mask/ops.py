"""What painting means for the numbers in a mask: plain numpy on float32 H×W×C weight arrays.

One rule covers both modes. A pixel carries C weights in [0, 1] whose sum never exceeds 1 (C = 1 for a
plain selection mask). Painting region ``i`` with strength ``a`` moves the pixel's weights a fraction
``a`` of the way towards "all region i" (``w ← (1 - a)·w + a·eᵢ``), exactly like laying paint of
opacity ``a`` over what is there; erasing moves them towards "nothing" (``w ← (1 - a)·w``). So:

* a soft brush edge blends: where region 1's soft edge crosses region 0, the pixel ends up part 0, part
  1 (e.g. 0.6 / 0.4), never 1 + 1;
* ``1 - sum(w)`` is the part of the pixel no region claims ("unassigned": the consumer decides what
  that means, e.g. keep the photo, or use :func:`normalized_weights` to share it among the regions
  already there);
* with C = 1 the rule is the usual one: paint → towards 1, erase → towards 0.
"""

from __future__ import annotations

import numpy as np


def paint_over(masks: np.ndarray, alpha: np.ndarray, region: int, erase: bool = False,
               out: np.ndarray | None = None) -> np.ndarray:
    """Lay paint of per-pixel strength ``alpha`` (H×W, 0..1) for ``region`` over ``masks`` (H×W×C).

    Pixels where alpha is 0 come out bit-for-bit unchanged. ``out`` may be ``masks`` itself.
    """
    a = np.asarray(alpha, dtype=np.float32)[..., None]
    if out is None:
        out = np.empty_like(masks, dtype=np.float32)
    np.multiply(masks, np.float32(1.0) - a, out=out)
    if not erase:
        out[..., region] += a[..., 0]
    return out


def invert_region(masks: np.ndarray, region: int) -> np.ndarray:
    """Where region ``i`` had weight w it gets 1 - w, painted over the other regions like a brush of
    that strength (they keep a share w of what they had). With C = 1 this is simply 1 - mask."""
    w = masks[..., region].copy()
    rest = masks.copy()
    rest[..., region] = 0.0
    return paint_over(rest, np.float32(1.0) - w, region)


def replace_region(masks: np.ndarray, selection: np.ndarray, region: int) -> np.ndarray:
    """Region ``i`` becomes exactly ``selection`` (H×W, 0..1): it is removed everywhere, then painted
    back where selected (taking those pixels from other regions)."""
    rest = masks.copy()
    rest[..., region] = 0.0
    return paint_over(rest, selection, region)


def clear_region(masks: np.ndarray, region: int | None = None) -> np.ndarray:
    """All weights to 0 (``region`` None) or only one region's."""
    out = np.zeros_like(masks) if region is None else masks.copy()
    if region is not None:
        out[..., region] = 0.0
    return out


def sanitize_weights(masks: np.ndarray) -> np.ndarray:
    """Clip to [0, 1] and scale down pixels whose weights add up to more than 1 (keeping their ratio),
    so any array handed in obeys the sum ≤ 1 rule. Returns a new float32 array."""
    out = np.clip(np.asarray(masks, dtype=np.float32), 0.0, 1.0)
    if out.shape[-1] > 1:
        total = out.sum(axis=-1, keepdims=True)
        over = total > 1.0
        if over.any():
            np.divide(out, total, out=out, where=over)
    return out


def normalized_weights(masks: np.ndarray) -> np.ndarray:
    """Share each pixel's unassigned part among the regions already there (weights then sum to 1
    wherever anything was painted, and stay 0 where nothing was)."""
    w = np.asarray(masks, dtype=np.float32)
    total = w.sum(axis=-1, keepdims=True)
    return np.divide(w, total, out=np.zeros_like(w), where=total > 0)
