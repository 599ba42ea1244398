"""Compatibility shim: the mask PNG format lives in ``studio.engine.style.mask_png`` (no Qt)."""

from studio.engine.style.mask_png import (  # noqa: F401
    FORMAT_VERSION,
    REGIONS_KEY,
    image_to_mask,
    image_to_region_masks,
    load_mask_png,
    load_region_png,
    mask_to_image,
    parse_colors,
    region_colors_of,
    region_masks_to_image,
    resize_masks,
    save_mask_png,
    save_region_png,
)
