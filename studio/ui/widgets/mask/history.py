"""Undo/redo for a big float32 array, keeping only the tiles each edit changed, compressed.

A stroke across a 2048 px mask changes a thin band of it; storing whole masks would cost 16 MB a step
(64 MB with four regions). Each entry here holds just the 64×64 tiles whose values differ before and
after the edit, zlib-compressed (painted masks are mostly flat, so a tile shrinks to a few hundred
bytes). Undo and redo *swap* a tile's stored content with the array's current content, so one copy per
tile serves both directions and the restored arrays are bit-for-bit the originals.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

TILE = 64
Box = tuple[int, int, int, int]  # y0, y1, x0, x1 (end exclusive)


@dataclass
class _Patch:
    y0: int
    x0: int
    shape: tuple[int, ...]
    data: bytes

    @property
    def box(self) -> Box:
        return self.y0, self.y0 + self.shape[0], self.x0, self.x0 + self.shape[1]


def _pack(block: np.ndarray) -> bytes:
    return zlib.compress(np.ascontiguousarray(block, dtype=np.float32).tobytes(), 1)


def _unpack(patch: _Patch) -> np.ndarray:
    return np.frombuffer(zlib.decompress(patch.data), dtype=np.float32).reshape(patch.shape)


def tiles_in_box(box: Box, tile: int = TILE) -> tuple[slice, slice]:
    """The tile-grid rows and columns a box touches (for marking a boolean tile grid)."""
    y0, y1, x0, x1 = box
    return slice(y0 // tile, (y1 - 1) // tile + 1), slice(x0 // tile, (x1 - 1) // tile + 1)


def tile_grid_shape(height: int, width: int, tile: int = TILE) -> tuple[int, int]:
    return -(-height // tile), -(-width // tile)


class PatchHistory:
    """Undo/redo stack of edits to one H×W×C float32 array; at most ``limit`` steps are kept."""

    def __init__(self, limit: int = 100, tile: int = TILE) -> None:
        if limit < 1:
            raise ValueError("history limit must be at least 1")
        self.limit = limit
        self.tile = tile
        self._undo: list[list[_Patch]] = []
        self._redo: list[list[_Patch]] = []

    # --- state --------------------------------------------------------------------------------------
    def can_undo(self) -> bool:
        return bool(self._undo)

    def can_redo(self) -> bool:
        return bool(self._redo)

    def undo_steps(self) -> int:
        return len(self._undo)

    def redo_steps(self) -> int:
        return len(self._redo)

    def nbytes(self) -> int:
        """Memory held by the stored tiles (compressed), both directions."""
        return sum(len(p.data) for stack in (self._undo, self._redo) for entry in stack for p in entry)

    def clear(self) -> None:
        self._undo.clear()
        self._redo.clear()

    # --- recording ----------------------------------------------------------------------------------
    def record(self, before: np.ndarray, after: np.ndarray,
               tiles: Iterable[tuple[int, int]] | None = None) -> list[Box]:
        """Store the tiles where ``before`` and ``after`` differ (only among ``tiles``, grid (row, col)
        indexes, when given; all tiles otherwise). Returns the changed tiles' boxes; records nothing,
        and keeps the redo steps, when nothing changed."""
        if before.shape != after.shape:
            raise ValueError(f"shape changed during an edit: {before.shape} -> {after.shape}")
        h, w = before.shape[:2]
        t = self.tile
        if tiles is None:
            gh, gw = tile_grid_shape(h, w, t)
            tiles = ((ty, tx) for ty in range(gh) for tx in range(gw))
        entry: list[_Patch] = []
        for ty, tx in tiles:
            y0, x0 = int(ty) * t, int(tx) * t
            y1, x1 = min(y0 + t, h), min(x0 + t, w)
            old = before[y0:y1, x0:x1]
            if not np.array_equal(old, after[y0:y1, x0:x1]):
                entry.append(_Patch(y0, x0, old.shape, _pack(old)))
        if not entry:
            return []
        self._undo.append(entry)
        del self._undo[:-self.limit]
        self._redo.clear()
        return [p.box for p in entry]

    # --- replay -------------------------------------------------------------------------------------
    def undo(self, array: np.ndarray) -> list[Box]:
        """Put the last recorded edit's old tiles back into ``array``; returns the boxes touched."""
        return self._swap(self._undo, self._redo, array)

    def redo(self, array: np.ndarray) -> list[Box]:
        return self._swap(self._redo, self._undo, array)

    @staticmethod
    def _swap(source: list[list[_Patch]], target: list[list[_Patch]], array: np.ndarray) -> list[Box]:
        if not source:
            return []
        entry = source.pop()
        for patch in entry:
            y0, y1, x0, x1 = patch.box
            current = array[y0:y1, x0:x1]
            stored = _unpack(patch)
            patch.data = _pack(current)
            current[...] = stored
        target.append(entry)
        return [p.box for p in entry]
