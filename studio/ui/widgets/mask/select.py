"""Select-similar-colour ("magic wand"): which pixels look like the clicked one. Plain numpy.

Tolerance is in 8-bit levels per channel: with tolerance t a pixel is similar when its red, green and
blue each differ from the clicked pixel's by at most t (0 = the exact colour only, 255 = everything).
"Contiguous" keeps only the similar pixels connected to the clicked one through up/down/left/right
neighbours, like a paint bucket.
"""

from __future__ import annotations

import numpy as np


def similar_color(image: np.ndarray, color, tolerance: int) -> np.ndarray:
    """Boolean H×W: pixels of ``image`` (H×W×3 uint8) within ``tolerance`` of ``color`` (3 values)."""
    ref = np.asarray(color, dtype=np.int32).reshape(1, 1, -1)
    tol = int(np.clip(tolerance, 0, 255))
    lo = np.clip(ref - tol, 0, 255).astype(np.uint8)
    hi = np.clip(ref + tol, 0, 255).astype(np.uint8)
    return ((image >= lo) & (image <= hi)).all(axis=2)


def connected_region(mask: np.ndarray, x: int, y: int) -> np.ndarray:
    """Boolean H×W: the 4-connected part of ``mask`` that contains pixel (x, y) (empty if it is off).

    Works on horizontal runs instead of pixels: a run in one row touches the runs in the rows above and
    below that overlap it, and only the runs reachable from the seed are visited, so a large, simple
    region costs a few thousand steps even on a 2048 px image.
    """
    mask = np.asarray(mask, dtype=bool)
    h, w = mask.shape
    out = np.zeros((h, w), dtype=bool)
    if not (0 <= x < w and 0 <= y < h) or not mask[y, x]:
        return out
    padded = np.zeros((h, w + 2), dtype=np.int8)
    padded[:, 1:-1] = mask
    edges = np.diff(padded, axis=1)
    run_rows, run_starts = np.nonzero(edges == 1)  # row-major, so runs come sorted by row, then column
    _, run_ends = np.nonzero(edges == -1)  # exclusive ends, same order
    row_first = np.searchsorted(run_rows, np.arange(h + 1))
    lo, hi = row_first[y], row_first[y + 1]
    seed = lo + int(np.searchsorted(run_ends[lo:hi], x, side="right"))
    visited = np.zeros(run_rows.size, dtype=bool)
    visited[seed] = True
    stack = [seed]
    starts, ends, rows = run_starts.tolist(), run_ends.tolist(), run_rows.tolist()
    while stack:
        r = stack.pop()
        row, s, e = rows[r], starts[r], ends[r]
        for nr in (row - 1, row + 1):
            if nr < 0 or nr >= h:
                continue
            a, b = row_first[nr], row_first[nr + 1]
            if a == b:
                continue
            # runs in a row are disjoint and sorted, so both their starts and ends increase
            j0 = a + int(np.searchsorted(run_ends[a:b], s, side="right"))
            j1 = a + int(np.searchsorted(run_starts[a:b], e, side="left"))
            for j in range(j0, j1):
                if not visited[j]:
                    visited[j] = True
                    stack.append(j)
    keep = np.flatnonzero(visited)
    delta = np.zeros((h, w + 1), dtype=np.int32)
    np.add.at(delta, (run_rows[keep], run_starts[keep]), 1)
    np.add.at(delta, (run_rows[keep], run_ends[keep]), -1)
    np.cumsum(delta, axis=1, out=delta)
    out[:] = delta[:, :w] > 0
    return out


def select_similar(image: np.ndarray, x: int, y: int, tolerance: int,
                   contiguous: bool = False) -> np.ndarray:
    """Boolean H×W: pixels like pixel (x, y) of ``image`` (H×W×3 uint8), see the module docstring."""
    h, w = image.shape[:2]
    if not (0 <= x < w and 0 <= y < h):
        return np.zeros((h, w), dtype=bool)
    sel = similar_color(image, image[y, x], tolerance)
    return connected_region(sel, x, y) if contiguous else sel
