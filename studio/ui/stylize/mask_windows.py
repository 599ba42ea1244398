"""The open mask windows: which parts of each painting to use, and which style goes where on the photo.

Brush masks ("paint-select") are kept at each picture's own size — a selection per style row, region channels
per style row in the photo box — so no output size, zoom or window size can misalign them; the engine scales them
per working size. A run takes a copy of them when it starts; paint finished during a run is for the next.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QApplication, QWidget

from studio.engine.errors import describe_error
from studio.ui.stylize.texts import REGIONS_HINT, RUNNING_NOTE, STYLE_MASK_HINT
from studio.ui.widgets.mask_dialog import MaskDialog
from studio.ui.widgets.stylize_inputs import MAX_REGIONS, ContentBox, StyleList, StyleRow, fit_mask

PHOTO_MASK = "photo"  # the key of the regions window among the open mask windows (style rows are the others)


class MaskWindows(QObject):
    """Opens, raises, notes and closes the mask windows of one page; refusals go out as ``error`` sentences."""

    error = Signal(str)

    def __init__(self, host: QWidget, content: ContentBox, styles: StyleList, is_running: Callable[[], bool]) -> None:
        super().__init__(host)
        self._host = host
        self.content = content
        self.styles = styles
        self._is_running = is_running
        self.dialogs: dict[object, MaskDialog] = {}  # StyleRow or PHOTO_MASK → window

    def _row(self, target: StyleRow | int) -> StyleRow | None:
        if isinstance(target, StyleRow):
            return target if target in self.styles.rows else None
        return self.styles.rows[target] if 0 <= target < len(self.styles.rows) else None

    def dialog(self, target: StyleRow | int | None = None) -> MaskDialog | None:
        """The open mask window of a style row (or its index in the list), or of the photo (None)."""
        key = PHOTO_MASK if target is None else self._row(target)
        return self.dialogs.get(key) if key is not None else None

    def open_style_mask(self, target: StyleRow | int) -> MaskDialog | None:
        """Open (or bring forward) the window that paints which parts of a painting to use."""
        row = self._row(target)
        if row is None or not self._may_edit():
            return None
        if row in self.dialogs:
            return self._raise(self.dialogs[row])
        image = self._load_full(row.path)
        if image is None:
            return None
        h, w = image.shape[:2]
        mask = None if row.mask is None else fit_mask(row.mask, w, h)
        name = Path(row.path).name
        dialog = MaskDialog(image, f"Parts of {name} to use — paint mask", STYLE_MASK_HINT, mask, parent=self._host)
        dialog.accepted_mask.connect(partial(self._style_mask_painted, row))
        return self._show(row, dialog, row.path)

    def open_region_mask(self) -> MaskDialog | None:
        """Open (or bring forward) the window that paints on the photo which painting's style goes where."""
        if not self._may_edit():
            return None
        if PHOTO_MASK in self.dialogs:
            return self._raise(self.dialogs[PHOTO_MASK])
        photo, rows = self.content.path(), list(self.styles.rows)
        if photo is None or not rows:
            self.error.emit("Add a photo and at least one style painting, then paint where each style goes.")
            return None
        if len(rows) > MAX_REGIONS:
            self.error.emit(f"Regions can be painted for at most {MAX_REGIONS} paintings; remove some first.")
            return None
        image = self._load_full(photo)
        if image is None:
            return None
        h, w = image.shape[:2]
        regions = self.content.regions(rows)
        names = [Path(r.path).name for r in rows]
        dialog = MaskDialog(image, f"Where each style goes on {Path(photo).name}", REGIONS_HINT,
                            None if regions is None else fit_mask(regions, w, h), regions=len(rows),
                            region_names=names, parent=self._host)
        dialog.accepted_mask.connect(partial(self._regions_painted, rows))
        dialog.targets = rows
        return self._show(PHOTO_MASK, dialog, photo)

    def _may_edit(self) -> bool:
        if self._is_running():
            self.error.emit("Wait for the painting to finish (or stop it) before painting masks.")
            return False
        return True

    def _load_full(self, path: str) -> np.ndarray | None:
        """The picture at its own size through the safe loader (the mask is painted and kept at that size)."""
        from studio.engine.images import load_image

        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            return np.asarray(load_image(path, "RGB"), dtype=np.uint8)
        except Exception as exc:  # noqa: BLE001 - ImageRejected/OSError in plain words
            self.error.emit(f"{Path(path).name} cannot be opened for painting: {describe_error(exc)}")
            return None
        finally:
            QApplication.restoreOverrideCursor()

    def _show(self, key, dialog: MaskDialog, source: str) -> MaskDialog:
        dialog.source = source
        dialog.finished.connect(partial(self._closed, key, dialog))
        dialog.set_note(RUNNING_NOTE if self._is_running() else "")
        self.dialogs[key] = dialog
        return self._raise(dialog)

    @staticmethod
    def _raise(dialog: MaskDialog) -> MaskDialog:
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()
        return dialog

    def _closed(self, key, dialog: MaskDialog, _result: int) -> None:
        if self.dialogs.get(key) is dialog:
            del self.dialogs[key]
        dialog.deleteLater()

    def _style_mask_painted(self, row: StyleRow, mask: np.ndarray | None) -> None:
        if row in self.styles.rows:
            row.set_mask(mask)

    def _regions_painted(self, rows: list[StyleRow], regions: np.ndarray | None) -> None:
        self.content.set_regions(regions, rows)  # rows removed while the window was open are skipped

    # -- keeping the windows honest -------------------------------------------------------------------
    def photo_changed(self) -> None:
        dialog = self.dialogs.get(PHOTO_MASK)
        if dialog is not None and dialog.source != self.content.path():
            dialog.discard()  # painted on a photo that is no longer the one

    def styles_changed(self) -> None:
        rows = list(self.styles.rows)
        for key in [k for k in self.dialogs if k != PHOTO_MASK and k not in rows]:
            self.dialogs[key].discard()  # its painting left the list, and the mask with it
        regions_dialog = self.dialogs.get(PHOTO_MASK)
        if regions_dialog is not None and not any(r in rows for r in regions_dialog.targets):
            regions_dialog.discard()  # every painting it paints for is gone (e.g. a recipe replaced them)

    def set_running(self, running: bool) -> None:
        for dialog in self.dialogs.values():
            dialog.set_note(RUNNING_NOTE if running else "")

    def close_all(self) -> None:
        for dialog in list(self.dialogs.values()):
            dialog.discard()
