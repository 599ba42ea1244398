"""Brush mask editor for paint-select: what to import to use it.

``MaskEditor`` paints a selection mask (which parts of a style image to use) or soft per-region weights
(which style goes where on the content photo) over a picture; ``MaskToolBar`` gives it buttons and
sliders. The PNG helpers are plain numpy/Pillow functions so the engine and the CLI can read and write
the same files. The pieces live in ``studio/ui/widgets/mask/``; the rules for soft weights are in
``mask/ops.py`` and the file formats in ``studio/engine/style/mask_png.py``.
"""

from __future__ import annotations

from studio.engine.style.mask_png import (
    REGIONS_KEY,
    image_to_mask,
    image_to_region_masks,
    load_mask_png,
    load_region_png,
    mask_to_image,
    region_masks_to_image,
    resize_masks,
    save_mask_png,
    save_region_png,
)
from studio.ui.widgets.mask.editor import (
    DEFAULT_MASK_COLOR,
    DEFAULT_REGION_COLORS,
    MAX_BRUSH,
    MIN_BRUSH,
    TOOLS,
    ZOOM_STEP,
    MaskEditor,
)
from studio.ui.widgets.mask.ops import normalized_weights
from studio.ui.widgets.mask.toolbar import MaskToolBar

__all__ = [
    "DEFAULT_MASK_COLOR", "DEFAULT_REGION_COLORS", "MAX_BRUSH", "MIN_BRUSH", "REGIONS_KEY", "TOOLS",
    "ZOOM_STEP", "MaskEditor", "MaskToolBar", "image_to_mask", "image_to_region_masks", "load_mask_png",
    "load_region_png", "mask_to_image", "normalized_weights", "region_masks_to_image", "resize_masks",
    "save_mask_png", "save_region_png",
]
