"""Brush dabs: the disc stamped along a stroke, and where along the stroke the stamps land.

A stroke is a chain of dabs. Each dab is a disc of alpha (1 in the middle, falling to 0 at the rim;
``hardness`` says where the fall starts), and the stroke's coverage is the per-pixel *maximum* of its
dabs, so overlapping dabs never build up darker spots and a soft brush keeps the same soft edge along
the whole stroke. Dabs are spaced by a fifth of the radius: close enough that a fast drag leaves no
gap and a hard edge shows no scallops, far enough that a long drag stays cheap.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

DAB_SPACING = 0.2  # distance between hard dabs, as a fraction of the brush radius (the issue asks ≤ 0.25)
SOFT_DAB_SPACING = 0.05  # the same for a fully soft brush (see dab_spacing)
MIN_SPACING_PX = 0.25  # a 1 px brush still needs no more than 4 dabs per pixel of travel
MIN_RADIUS = 0.7072  # just over √2/2


def dab_spacing(size: float, hardness: float = 1.0) -> float:
    """Distance in image pixels between two dabs of a brush ``size`` pixels across.

    A fifth of the radius for a hard brush (its edge then wavers by 1/200 of the radius, invisible);
    soft brushes go down to a twentieth: with max-compositing, the soft shoulder of a row of dabs
    ripples by an amount that grows with the square of the spacing, and at a fifth of the radius a
    soft 200 px stroke shows faint stripes across it.
    """
    h = min(1.0, max(0.0, hardness))
    return max(MIN_SPACING_PX, (SOFT_DAB_SPACING + (DAB_SPACING - SOFT_DAB_SPACING) * h) * size / 2.0)


def dab_profile(r: np.ndarray, hardness: float) -> np.ndarray:
    """Alpha at distance ``r`` (in units of the radius) from a dab's centre.

    hardness 1: a hard disc (1 inside, 0 outside, no in-between values). Below 1 the alpha stays 1 out
    to ``hardness`` × radius and then falls as ``(1 - t²)³`` to exactly 0 at the rim: bell-shaped like a
    gaussian, but it reaches zero, so a dab never leaves a faint square around itself.
    """
    r = np.asarray(r, dtype=np.float32)
    if hardness >= 1.0:
        return (r <= 1.0).astype(np.float32)
    h = max(0.0, float(hardness))
    t = np.clip((r - h) / (1.0 - h), 0.0, 1.0)
    return ((1.0 - t * t) ** 3).astype(np.float32)


def _subpixel_steps(radius: float) -> int:
    """How finely a dab centre is placed inside a pixel (1/q of a pixel).

    Moving a soft dab by 1/q px changes its alpha by up to ~1.7/(q·radius); q ≈ 432/radius keeps that
    near one 8-bit level, so a slanted soft stroke shows no steps. Small brushes stop at 1/8 px, big
    ones need no sub-pixel placement at all (and their kernels are too big to keep many of).
    """
    return int(min(8, max(1, round(432.0 / max(radius, 1.0)))))


class _KernelCache:
    """Recently used dab kernels, bounded by bytes rather than by count (a 1000 px kernel is 4 MB,
    a 10 px one 0.5 KB)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.nbytes = 0
        self._items: OrderedDict[tuple, tuple] = OrderedDict()

    def get(self, key: tuple, make):
        item = self._items.get(key)
        if item is not None:
            self._items.move_to_end(key)
            return item
        item = make()
        size = sum(a.nbytes for a in item if isinstance(a, np.ndarray))
        self._items[key] = item
        self.nbytes += size
        while self.nbytes > self.max_bytes and len(self._items) > 1:
            _, old = self._items.popitem(last=False)
            self.nbytes -= sum(a.nbytes for a in old if isinstance(a, np.ndarray))
        return item


_KERNELS = _KernelCache(64 * 1024 * 1024)


def _reach(size: float) -> tuple[float, int]:
    """(radius, reach): a dab's radius in pixels and how many pixels its kernel reaches either side."""
    radius = max(size / 2.0, MIN_RADIUS)
    return radius, int(math.ceil(radius + 1.0))


def _full_kernel(size: float, hardness: float, fx: float, fy: float) -> np.ndarray:
    """Alpha of a dab centred at (fx, fy) inside pixel (0, 0), over pixels -reach..reach both ways."""
    key = ("full", size, hardness, fx, fy)
    return _KERNELS.get(key, lambda: (_make_full_kernel(size, hardness, fx, fy),))[0]


def _make_full_kernel(size: float, hardness: float, fx: float, fy: float) -> np.ndarray:
    # The radius is never below half a pixel diagonal: a 1 px brush dropped on a pixel corner must
    # still paint the pixels it touches instead of missing every pixel centre.
    radius, reach = _reach(size)
    offs = np.arange(-reach, reach + 1, dtype=np.float32) + np.float32(0.5)  # pixel centres
    dx = offs - np.float32(fx)
    dy = offs - np.float32(fy)
    dist = np.sqrt(dy[:, None] ** 2 + dx[None, :] ** 2) / np.float32(radius)
    alpha = dab_profile(dist, hardness)
    alpha.flags.writeable = False  # shared by the cache
    return alpha


def _kernel(size: float, hardness: float, fx: float, fy: float) -> tuple[np.ndarray, int, int]:
    """The same dab trimmed to its non-zero part: (kernel, top, left), kernel[0, 0] covering pixel
    (top, left) relative to pixel (0, 0)."""
    return _KERNELS.get(("trim", size, hardness, fx, fy), lambda: _make_kernel(size, hardness, fx, fy))


def _make_kernel(size: float, hardness: float, fx: float, fy: float) -> tuple[np.ndarray, int, int]:
    alpha = _full_kernel(size, hardness, fx, fy)
    reach = _reach(size)[1]
    rows = np.flatnonzero(alpha.any(axis=1))
    cols = np.flatnonzero(alpha.any(axis=0))
    if rows.size == 0:  # cannot happen: the nearest pixel centre is always within MIN_RADIUS
        return np.zeros((0, 0), np.float32), 0, 0
    kernel = np.ascontiguousarray(alpha[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1])
    kernel.flags.writeable = False  # shared by the cache
    return kernel, int(rows[0]) - reach, int(cols[0]) - reach


def _subpixel(c: float, q: int) -> tuple[int, float]:
    """Pixel index and quantised position inside it (0..1 in steps of 1/q)."""
    i = math.floor(c)
    return i, round((c - i) * q) / q


def dab_kernel(cx: float, cy: float, size: float, hardness: float) -> tuple[np.ndarray, int, int]:
    """The dab centred at image point (cx, cy): (kernel, y0, x0), kernel[0, 0] covering pixel (y0, x0).

    Image coordinates are continuous: pixel (row i, column j) is the square [j, j+1) × [i, i+1), its
    centre at (j + 0.5, i + 0.5). The kernel may reach outside the image; callers clip.
    """
    q = _subpixel_steps(max(size / 2.0, MIN_RADIUS))
    ix, fx = _subpixel(cx, q)
    iy, fy = _subpixel(cy, q)
    kernel, top, left = _kernel(float(size), float(hardness), fx, fy)
    return kernel, iy + top, ix + left


def stamp_max(coverage: np.ndarray, cx: float, cy: float, size: float,
              hardness: float) -> tuple[int, int, int, int] | None:
    """Raise ``coverage`` (H×W float32) to the dab's alpha where the dab is stronger.

    Returns the touched box (y0, y1, x0, x1), clipped to the array, or None when the dab missed it.
    """
    kernel, y0, x0 = dab_kernel(cx, cy, size, hardness)
    kh, kw = kernel.shape
    h, w = coverage.shape
    ty0, tx0 = max(y0, 0), max(x0, 0)
    ty1, tx1 = min(y0 + kh, h), min(x0 + kw, w)
    if ty0 >= ty1 or tx0 >= tx1:
        return None
    region = coverage[ty0:ty1, tx0:tx1]
    np.maximum(region, kernel[ty0 - y0:ty1 - y0, tx0 - x0:tx1 - x0], out=region)
    return ty0, ty1, tx0, tx1


SMALL_RADIUS = 12.0  # up to this radius, dabs along a line are stamped in numpy batches


def stamp_line(coverage: np.ndarray, points: Sequence[tuple[float, float]], size: float,
               hardness: float) -> tuple[int, int, int, int] | None:
    """``stamp_max`` for each of ``points`` (in order along one straight line, as ``DabPath`` gives
    them), with exactly the same result; returns the union of the touched boxes.

    A small brush drops many tiny dabs per pixel of travel, and one Python call per dab would make a
    fast drag slow. Here dabs that are far enough apart not to overlap go through numpy together
    (a gather, a maximum and a scatter — exact because no pixel appears twice in one batch); big
    brushes have few dabs per event and go one by one.
    """
    k = len(points)
    if k == 0:
        return None
    radius, reach = _reach(size)
    n = 2 * reach + 1
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    q = _subpixel_steps(radius)
    ix = np.floor(pts[:, 0]).astype(np.int64)
    iy = np.floor(pts[:, 1]).astype(np.int64)
    stride = _batch_stride(ix, iy, n) if radius <= SMALL_RADIUS and k >= 8 else k
    if stride >= k:
        box = None
        for x, y in pts.tolist():
            box = _union(box, stamp_max(coverage, x, y, size, hardness))
        return box
    h, w = coverage.shape
    fxq = np.round((pts[:, 0] - ix) * q).astype(np.int64)  # same rounding as round() in _subpixel
    fyq = np.round((pts[:, 1] - iy) * q).astype(np.int64)
    keys = fxq * (q + 1) + fyq
    uniq, which = np.unique(keys, return_inverse=True)
    kernels = np.stack([_full_kernel(float(size), float(hardness), (u // (q + 1)) / q, (u % (q + 1)) / q)
                        for u in uniq.tolist()])
    flat = coverage.reshape(-1)  # a view: coverage is C-contiguous
    if not np.shares_memory(flat, coverage):
        raise ValueError("coverage must be a C-contiguous array")
    ar = np.arange(n, dtype=np.int64)
    for b in range(stride):
        rows = (iy[b::stride] - reach)[:, None, None] + ar[None, :, None]
        cols = (ix[b::stride] - reach)[:, None, None] + ar[None, None, :]
        vals = kernels[which[b::stride]]
        ok = (vals > 0) & (rows >= 0) & (rows < h) & (cols >= 0) & (cols < w)
        index = (rows * w + cols)[ok]
        cur = flat[index]
        np.maximum(cur, vals[ok], out=cur)
        flat[index] = cur
    y0, y1 = max(0, int(iy.min()) - reach), min(h, int(iy.max()) + reach + 1)
    x0, x1 = max(0, int(ix.min()) - reach), min(w, int(ix.max()) + reach + 1)
    return (y0, y1, x0, x1) if y0 < y1 and x0 < x1 else None


def dabs_box(points: Sequence[tuple[float, float]], size: float,
             shape: tuple[int, int]) -> tuple[int, int, int, int] | None:
    """A box (y0, y1, x0, x1) holding every pixel the dabs at ``points`` can touch, clipped to
    ``shape``; None if it is empty."""
    if len(points) == 0:
        return None
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    reach = _reach(size)[1]
    h, w = shape
    y0 = max(0, math.floor(pts[:, 1].min()) - reach)
    y1 = min(h, math.floor(pts[:, 1].max()) + reach + 1)
    x0 = max(0, math.floor(pts[:, 0].min()) - reach)
    x1 = min(w, math.floor(pts[:, 0].max()) + reach + 1)
    return (y0, y1, x0, x1) if y0 < y1 and x0 < x1 else None


def _batch_stride(ix: np.ndarray, iy: np.ndarray, n: int) -> int:
    """Smallest stride s such that dabs i and i+s never share a pixel (their n×n boxes are apart);
    for points in order along a line, checking neighbours at distance s is enough."""
    k = len(ix)
    step = max(abs(int(ix[-1] - ix[0])), abs(int(iy[-1] - iy[0]))) / max(1, k - 1)  # px per dab
    stride = max(1, int(n / step) if step > 0 else k)
    while stride < k:
        gap = np.maximum(np.abs(ix[stride:] - ix[:-stride]), np.abs(iy[stride:] - iy[:-stride]))
        if gap.min() >= n:
            return stride
        stride += max(1, stride // 4)
    return k


def _union(a: tuple[int, int, int, int] | None,
           b: tuple[int, int, int, int] | None) -> tuple[int, int, int, int] | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), max(a[3], b[3])


class DabPath:
    """Turns the points a pointer reports into evenly spaced dab centres.

    Mouse events arrive far apart when the hand is fast; the path walks the straight line between
    successive points and drops a dab every ``spacing`` pixels, carrying the leftover distance into the
    next segment so the spacing stays even across events.
    """

    def __init__(self, start: tuple[float, float], spacing: float) -> None:
        if spacing <= 0:
            raise ValueError("dab spacing must be positive")
        self.spacing = float(spacing)
        self.last = (float(start[0]), float(start[1]))
        self.since_dab = 0.0  # distance walked since the last dab

    def start(self) -> list[tuple[float, float]]:
        """The first dab, at the press point."""
        return [self.last]

    def advance(self, point: tuple[float, float]) -> list[tuple[float, float]]:
        """Walk to ``point``; return the dab centres passed on the way (possibly none)."""
        x0, y0 = self.last
        x1, y1 = float(point[0]), float(point[1])
        dist = math.hypot(x1 - x0, y1 - y0)
        if dist == 0.0:
            return []
        first = self.spacing - self.since_dab
        if first > dist:
            self.since_dab += dist
            self.last = (x1, y1)
            return []
        ds = np.arange(first, dist + 1e-9, self.spacing)
        t = ds / dist
        xs, ys = x0 + t * (x1 - x0), y0 + t * (y1 - y0)
        self.since_dab = dist - float(ds[-1])
        self.last = (x1, y1)
        return list(zip(xs.tolist(), ys.tolist(), strict=True))

    def finish(self) -> list[tuple[float, float]]:
        """A last dab exactly at the end point, unless one already landed there."""
        if self.since_dab > 1e-6:
            self.since_dab = 0.0
            return [self.last]
        return []
