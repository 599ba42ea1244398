"""One press-drag-release of the mask editor's brush or eraser, as numpy work on the paint buffers: the dabs raise a
coverage buffer, the paint is recomputed from the state before the stroke only inside the box the new dabs cover,
and on release the stroke goes into the undo history as the 64 px tiles it changed. The widget (editor.py) turns
each recomputed box into an overlay update and a repaint."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from . import ops
from .brush import DabPath, dab_spacing, dabs_box, stamp_line
from .history import TILE, Box, PatchHistory, tile_grid_shape, tiles_in_box


@dataclass
class Stroke:
    path: DabPath
    region: int
    erase: bool
    size: float
    hardness: float
    touched: np.ndarray  # bool tile grid: where the coverage buffer was raised
    smoothed: tuple[float, float]
    chunk_travel: float  # composite and repaint after this much travel in image px (see ``stamp``)

    @classmethod
    def start(cls, x: float, y: float, shape: tuple[int, int], region: int, erase: bool, size: float,
              hardness: float) -> Stroke:
        return cls(path=DabPath((x, y), dab_spacing(size, hardness)), region=region, erase=erase, size=size,
                   hardness=hardness, touched=np.zeros(tile_grid_shape(*shape), bool), smoothed=(x, y),
                   chunk_travel=max(96.0, 2.0 * size))

    def smooth_to(self, x: float, y: float, smoothing: float) -> tuple[float, float]:
        """Where the brush goes when the pointer is at (x, y): lagging behind it by ``smoothing`` (0 = none)."""
        if smoothing > 0.0:
            k = 1.0 - smoothing
            sx, sy = self.smoothed
            x, y = sx + k * (x - sx), sy + k * (y - sy)
        self.smoothed = (x, y)
        return x, y

    def stamp(self, points: list[tuple[float, float]], cov: np.ndarray, flush: Callable[[Box], None]) -> None:
        """Raise the coverage by the dabs at ``points`` (one straight run, from ``DabPath``), then ``flush`` a
        stretch of the run at a time: a long fast drag then recomputes a chain of small boxes hugging the stroke,
        not one huge box around it."""
        if not points or stamp_line(cov, points, self.size, self.hardness) is None:
            return  # nothing, or entirely outside the picture
        per_chunk = max(1, int(self.chunk_travel / self.path.spacing))
        for i in range(0, len(points), per_chunk):
            box = dabs_box(points[i:i + per_chunk], self.size, cov.shape)
            if box is not None:
                flush(box)

    def composite(self, box: Box, base: np.ndarray, cov: np.ndarray, live: np.ndarray) -> None:
        """The paint inside ``box``: the state before the stroke painted over by the coverage."""
        y0, y1, x0, x1 = box
        ops.paint_over(base[y0:y1, x0:x1], cov[y0:y1, x0:x1], self.region, self.erase, out=live[y0:y1, x0:x1])
        self.touched[tiles_in_box(box)] = True

    def finish(self, base: np.ndarray, live: np.ndarray, cov: np.ndarray, history: PatchHistory) -> list[Box]:
        """Record the changed tiles for undo and make them the new 'before' state; the boxes that changed."""
        tiles = [(int(ty), int(tx)) for ty, tx in np.argwhere(self.touched)]
        boxes = history.record(base, live, tiles)
        h, w = cov.shape
        for ty, tx in tiles:
            y0, x0 = ty * TILE, tx * TILE
            y1, x1 = min(y0 + TILE, h), min(x0 + TILE, w)
            base[y0:y1, x0:x1] = live[y0:y1, x0:x1]
            cov[y0:y1, x0:x1] = 0.0
        return boxes
