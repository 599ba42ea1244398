"""Opening a recipe or artwork on the Stylize page: every setting, the photo, the paintings, their blend weights
and masks come back. Files that are gone are named (the engine's ``recipe_files`` finds the rest); everything else
is still restored, so a moved folder or a missing painting costs only that file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from studio.engine.errors import describe_error
from studio.engine.style.gatys import StyleError, load_recipe, load_recipe_masks
from studio.engine.style.recipe_files import locate_recipe_file, recipe_mask_files
from studio.ui.stylize.settings_form import SettingsForm
from studio.ui.widgets.stylize_inputs import ContentBox, StyleList, StyleRow, fit_mask, image_pixel_size


def restore_recipe(path: Path, form: SettingsForm, content: ContentBox, styles: StyleList) -> list[str]:
    """Put the recipe at ``path`` into the page's parts; returns what could not be found, in words.
    StyleError (nothing changed) when the file holds no readable recipe."""
    settings, photo, paintings, blend = load_recipe(path)
    notes: list[str] = []
    vgg19 = settings.vgg19_path
    if vgg19 and not Path(vgg19).is_file():
        notes.append(f"the VGG19 file {Path(vgg19).name} (using the usual features instead)")
        settings.vgg19_path = form.features.vgg19_path()
    if settings.style_blend and not blend:
        blend = list(settings.style_blend)
    settings.style_blend = None  # the weights live in the style list

    form.set_settings(settings)
    found_content = locate_recipe_file(photo, path)
    if found_content:
        content.set_path(found_content)
    elif not photo or photo.startswith("<"):
        notes.append("the photo (the recipe names no file for it)")
    else:
        notes.append(f"the photo {Path(photo).name}")
    weights = list(blend) + [1.0] * (len(paintings) - len(blend))
    found = [(locate_recipe_file(s, path), w) for s, w in zip(paintings, weights, strict=False)]
    notes += [f"the painting {Path(s).name or s}" for s, (p, _) in zip(paintings, found, strict=False) if p is None]
    present = [(p, w) for p, w in found if p is not None]
    rows: dict[int, StyleRow] = {}  # recipe style index → its row, for the masks
    if present:
        styles.set_items([p for p, _ in present], [w for _, w in present])
        listed = iter(styles.rows)
        row = next(listed, None)
        for k, (p, _) in enumerate(found):
            if p is not None and row is not None and row.path == p:
                rows[k] = row
                row = next(listed, None)
    elif paintings:
        notes.append("so your current paintings stay")
    notes += restore_masks(path, rows, content, found_content is not None, settings.center_crop)
    form.sync_preset_combo()
    return notes


def restore_masks(path: Path, rows: dict[int, StyleRow], content: ContentBox, photo_found: bool,
                  square_crop: bool) -> list[str]:
    """Masks named by a recipe back onto the paintings (``rows``: recipe style index → row) and the photo.
    Returns what could not be restored, for the message; everything else is restored."""
    from studio.engine.style.masks import load_style_mask

    try:
        style_files, region_files = load_recipe_masks(path)
        notes: list[str] = []
    except StyleError:
        style_files, region_files, missing = recipe_mask_files(path)
        notes = [f"the mask {name}" for name in missing]

    def load(f: Path, size: tuple[int, int]) -> np.ndarray | None:
        try:
            return fit_mask(load_style_mask(f), *size, square_crop=square_crop)
        except Exception as exc:  # noqa: BLE001 - an unreadable mask is named, the rest still restored
            notes.append(f"the mask {f.name} ({describe_error(exc)})")
            return None

    for k, f in enumerate(style_files):
        row = rows.get(k)
        if f is not None and row is not None:
            mask = load(f, image_pixel_size(row.path))
            if mask is not None:
                row.set_mask(mask)
    if region_files and any(f is not None for f in region_files):
        if not photo_found:
            notes.append("where each style goes (it was painted on the photo that is missing)")
        else:
            size = image_pixel_size(content.path())
            keys, channels = [], []
            for k, f in enumerate(region_files):
                row = rows.get(k)
                channel = load(f, size) if f is not None and row is not None else None
                if channel is not None:
                    keys.append(row)
                    channels.append(channel)
            content.set_regions(np.stack(channels, -1) if channels else None, keys)
    return notes
