"""Stylize page inputs: the content photo box and the list of style images with blend weights.

Brush masks live with what they belong to, at that picture's own resolution (so no output size can misalign
them): a style row keeps the selection painted on its painting, the photo box keeps one region channel per
style row, keyed by the row itself, so removing, adding or reordering paintings keeps every channel with the
painting it was painted for.
"""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from studio.engine.style.input_pictures import (  # noqa: F401 - also imported from here by older code
    THUMB_SIDE,
    dimmed_thumbnail,
    fit_mask,
    image_pixel_size,
    load_thumbnail,
    regions_thumbnail,
)
from studio.engine.style.mask_png import DEFAULT_REGION_COLORS
from studio.ui.theme import set_tone, theme_colors
from studio.ui.widgets.drop_area import DropArea
from studio.ui.widgets.elided_label import ElidedLabel
from studio.ui.widgets.image_view import ImageView
from studio.ui.widgets.mask_dialog import mask_summary

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.webp *.bmp *.tif *.tiff *.gif)"
CONTENT_FILTER = ("Photos and animations (*.png *.jpg *.jpeg *.webp *.bmp *.tif *.tiff *.gif *.mp4 *.webm *.mov "
                  "*.mkv *.m4v);;All files (*)")
MAX_REGIONS = len(DEFAULT_REGION_COLORS)
REGIONS_TIP = ("Paint on the photo which style painting goes where, one colour per painting — the sky in one style, "
               "the people in another. Parts you leave unpainted get a blend of all the paintings. Most useful with "
               "two or more paintings.")


def _swatch_html(index: int) -> str:
    r, g, b = DEFAULT_REGION_COLORS[index % MAX_REGIONS]
    return f'<span style="color: rgb({r},{g},{b})">■</span>'


def regions_legend_html(regions: np.ndarray | None, names: list[str]) -> str:
    """'■ coffee.png 40 % · ■ sky.jpg 35 % · rest: a blend of all' in the regions' colours."""
    if regions is None:
        return ""
    parts = []  # each part kept on one line (non-breaking spaces); lines break only between parts
    for r in range(min(regions.shape[-1], len(names))):
        share = 100 * float(regions[..., r].mean())
        if share >= 0.5:
            parts.append(f"{_swatch_html(r)}&nbsp;{html.escape(names[r])}&nbsp;{share:.0f}&nbsp;%")
    rest = 100 * float(np.clip(1 - regions.sum(-1), 0, 1).mean())
    if rest >= 0.5:
        parts.append(f"rest&nbsp;{rest:.0f}&nbsp;%:&nbsp;a&nbsp;blend&nbsp;of&nbsp;all")
    return " · ".join(parts)


class ContentBox(QWidget):
    """Drop a photo (or choose one); shows its thumbnail, and which style goes where once that is painted.

    The region paint is kept here as one H×W channel per style row (at the photo's own size), keyed by the row:
    ``set_styles`` tells the box which rows exist, in order; a row that leaves takes its channel with it, a new
    row starts unpainted. A different photo drops the paint."""

    changed = Signal()
    rejected = Signal(str)
    regions_changed = Signal()
    regions_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._path: str | None = None
        self._plain_thumb: np.ndarray | None = None
        self._channels: dict[object, np.ndarray] = {}
        self._keys: list = []
        self._names: list[str] = []
        self.drop = DropArea("Drop a photo here", self)
        self.drop.paths_dropped.connect(lambda paths: self.set_path(paths[0]))
        self.thumb = ImageView(self, placeholder="No photo yet", min_size=QSize(96, 96))
        self.choose_button = QPushButton("Choose photo…", self)
        self.choose_button.clicked.connect(self.choose)
        self.choose_button.setToolTip("Pick the photo to repaint")
        self.clear_button = QPushButton("Clear", self)
        self.clear_button.setToolTip("Remove the photo (the file itself is not touched)")
        self.clear_button.clicked.connect(lambda: self.set_path(None))
        self.clear_button.setEnabled(False)
        self.regions_button = QPushButton("Paint where each style goes…", self)
        self.regions_button.setObjectName("paintRegions")
        self.regions_button.setToolTip(REGIONS_TIP)
        self.regions_button.clicked.connect(self.regions_requested)
        self.regions_button.setEnabled(False)
        self.clear_regions_button = QPushButton("Remove regions", self)
        self.clear_regions_button.setToolTip("Forget where each style goes: every painting covers the whole "
                                             "photo again, blended")
        self.clear_regions_button.clicked.connect(self.clear_regions)
        self.regions_label = QLabel(self)
        self.regions_label.setObjectName("regionsSummary")
        self.regions_label.setWordWrap(True)
        self.regions_label.setTextFormat(Qt.TextFormat.RichText)
        self.regions_label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.drop)
        lay.addWidget(self.thumb)
        row = QHBoxLayout()
        row.addWidget(self.choose_button)
        row.addWidget(self.clear_button)
        lay.addLayout(row)
        regions_row = QHBoxLayout()
        regions_row.addWidget(self.regions_button, 1)
        regions_row.addWidget(self.clear_regions_button)
        lay.addLayout(regions_row)
        lay.addWidget(self.regions_label)
        self._show_regions()

    def path(self) -> str | None:
        return self._path

    def choose(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a photo or an animation", "", CONTENT_FILTER)
        if path:
            self.set_path(path)

    def set_path(self, path: str | None) -> None:
        """Show a photo (None: no photo). Another photo than before drops the region paint: it was painted
        for that picture."""
        if path is None:
            self._path = None
            self._plain_thumb = None
        else:
            try:
                thumb = load_thumbnail(path)
            except Exception as exc:  # noqa: BLE001 - any unreadable file is a user-facing message
                self.rejected.emit(f"{Path(path).name} cannot be opened as a picture ({exc})")
                return
            if str(path) != self._path:
                self._channels.clear()
            self._path = str(path)
            self._plain_thumb = thumb
            self.thumb.setToolTip(str(path))
        if self._path is None:
            self._channels.clear()
        self.clear_button.setEnabled(self._path is not None)
        self._show_regions()
        self.changed.emit()

    # --- which style goes where ---------------------------------------------------------------------
    def set_styles(self, keys: list, names: list[str]) -> None:
        """The style rows now in the list (any hashable keys), in order, and the names to show for them.
        Channels of rows that are gone are dropped."""
        gone = [k for k in self._channels if k not in keys]
        for k in gone:
            del self._channels[k]
        self._keys, self._names = list(keys), list(names)
        self._show_regions()
        if gone:
            self.regions_changed.emit()

    def style_keys(self) -> list:
        return list(self._keys)

    def regions(self, keys: list | None = None) -> np.ndarray | None:
        """float32 H×W×R at the photo's size, channel r for ``keys[r]`` (default: the current rows); rows never
        painted are zero. None when nothing is painted for these rows."""
        keys = self._keys if keys is None else list(keys)
        present = [self._channels.get(k) for k in keys]
        if not keys or all(c is None for c in present):
            return None
        shape = next(c for c in present if c is not None).shape
        return np.stack([np.zeros(shape, np.float32) if c is None else c for c in present], -1)

    def set_regions(self, regions: np.ndarray | None, keys: list | None = None) -> None:
        """Keep region paint for ``keys`` (default: the current rows): channel r of ``regions`` (H×W×R) for
        ``keys[r]``; None removes their paint. Other rows keep theirs; keys that are no longer rows are skipped
        (a painting window may outlive a painting removed meanwhile)."""
        keys = self._keys if keys is None else list(keys)
        if regions is not None:
            regions = np.asarray(regions, np.float32)
            if regions.ndim != 3 or regions.shape[-1] != len(keys):
                raise ValueError(f"regions of shape {regions.shape} for {len(keys)} style(s)")
        for r, k in enumerate(keys):
            self._channels.pop(k, None)
            if regions is not None and k in self._keys and float(regions[..., r].max(initial=0.0)) > 0:
                self._channels[k] = np.ascontiguousarray(regions[..., r])
        self._show_regions()
        self.regions_changed.emit()

    def clear_regions(self) -> None:
        """Forget where each style goes (every painting covers the whole photo, blended)."""
        if self._channels:
            self._channels.clear()
            self._show_regions()
            self.regions_changed.emit()

    def has_regions(self) -> bool:
        """True when some style row has paint on the photo."""
        return any(k in self._channels for k in self._keys)

    def set_regions_editable(self, on: bool) -> None:
        """The run locks the paint; the paint needs a photo and at least one painting (at most MAX_REGIONS)."""
        n = len(self._keys)
        self.regions_button.setEnabled(on and self._path is not None and 1 <= n <= MAX_REGIONS)
        if self._path is None:
            why = "Add a photo first."
        elif n == 0:
            why = "Add a style painting first."
        elif n > MAX_REGIONS:
            why = f"Regions can be painted for at most {MAX_REGIONS} paintings; remove some to paint them."
        else:
            why = ""
        self.regions_button.setToolTip(f"{why} {REGIONS_TIP}" if why else REGIONS_TIP)
        self.clear_regions_button.setEnabled(on and self.has_regions())

    def _show_regions(self) -> None:
        regions = self.regions()
        self.thumb.set_image(None if self._plain_thumb is None else regions_thumbnail(self._plain_thumb, regions))
        self.clear_regions_button.setVisible(regions is not None)
        if regions is None:
            self.regions_label.setText("")
            self.regions_label.hide()
        else:
            self.regions_label.setText(f'<span style="color: {theme_colors()["muted"].name()}">Where each style goes:</span> '
                                       + regions_legend_html(regions, self._names))
            self.regions_label.show()


class StyleRow(QWidget):
    """One style image: thumbnail, name, blend weight, remove — and the part of it to use (a selection mask at the
    picture's own size; None = all of it), shown as the thumbnail with the rest dimmed."""

    removed = Signal(object)
    changed = Signal()
    mask_requested = Signal(object)

    def __init__(self, path: str, thumb: np.ndarray, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.path = path
        self.mask: np.ndarray | None = None
        self._plain_thumb = thumb
        self.thumb = ImageView(self, min_size=QSize(56, 56))
        self.thumb.setFixedSize(64, 64)
        self.thumb.set_image(thumb)
        self.name = ElidedLabel(Path(path).name, self, Qt.TextElideMode.ElideMiddle)  # shows the text it fits
        self.name.setToolTip(path)
        self.name.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.weight = QDoubleSpinBox(self)
        self.weight.setRange(0.0, 10.0)
        self.weight.setSingleStep(0.1)
        self.weight.setValue(1.0)
        self.weight.setToolTip("Blend weight: how much of this painting goes into the mix, relative to the "
                               "other paintings (0 leaves it out)")
        self.weight.valueChanged.connect(lambda _v: self.changed.emit())
        self.remove_button = QPushButton("Remove", self)
        self.remove_button.setToolTip("Take this painting out of the mix")
        self.remove_button.clicked.connect(lambda: self.removed.emit(self))
        self.mask_button = QPushButton("Paint mask…", self)
        self.mask_button.setObjectName("paintStyleMask")
        self.mask_button.setToolTip("Paint over the parts of this painting whose texture and colours you want — "
                                    "the sky, the brushwork in one corner. Only what you paint is copied.")
        self.mask_button.clicked.connect(lambda: self.mask_requested.emit(self))
        self.mask_label = QLabel(self)
        self.mask_label.setObjectName("styleMaskSummary")
        self.clear_mask_button = QPushButton("Remove mask", self)
        self.clear_mask_button.setToolTip("Use the whole painting again")
        self.clear_mask_button.clicked.connect(lambda: self.set_mask(None))
        top = QHBoxLayout()
        top.setSpacing(8)
        top.addWidget(self.name, 1)
        blend = QLabel("Blend", self)
        blend.setToolTip(self.weight.toolTip())
        top.addWidget(blend)
        top.addWidget(self.weight)
        top.addWidget(self.remove_button)
        bottom = QHBoxLayout()
        bottom.setSpacing(10)
        bottom.addWidget(self.mask_button)
        bottom.addWidget(self.mask_label, 1)
        bottom.addWidget(self.clear_mask_button)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(2)
        grid.addWidget(self.thumb, 0, 0, 2, 1)
        grid.addLayout(top, 0, 1)
        grid.addLayout(bottom, 1, 1)
        grid.setColumnStretch(1, 1)
        self._show_mask()

    def set_mask(self, mask: np.ndarray | None) -> None:
        """The part of the painting to use (float H×W in [0, 1] at the picture's size; None = all of it)."""
        self.mask = None if mask is None else np.clip(np.asarray(mask, np.float32), 0, 1)
        self._show_mask()
        self.changed.emit()

    def _show_mask(self) -> None:
        self.thumb.set_image(dimmed_thumbnail(self._plain_thumb, self.mask))
        has = self.mask is not None
        self.mask_label.setText(mask_summary(self.mask) if has else "whole painting used")
        set_tone(self.mask_label, None if has else "muted")
        self.mask_label.setToolTip("The share of this painting your mask selects; the thumbnail dims the rest"
                                   if has else "No mask: every part of this painting is copied")
        self.clear_mask_button.setVisible(has)
        self.thumb.setToolTip(f"{self.path}\n{mask_summary(self.mask)} (the dimmed part is left out)"
                              if has else self.path)

    def set_editable(self, on: bool) -> None:
        for w in (self.remove_button, self.weight, self.mask_button, self.clear_mask_button):
            w.setEnabled(on)


class StyleList(QWidget):
    """Drop or choose one or more style images; each gets a weight, a remove button and an optional mask."""

    changed = Signal()
    rejected = Signal(str)
    mask_requested = Signal(object)  # the StyleRow whose "Paint mask…" was pressed

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[StyleRow] = []
        self._editable = True
        self.drop = DropArea("Drop one or more style paintings here", self)
        self.drop.paths_dropped.connect(self.add_paths)
        self.choose_button = QPushButton("Add style images…", self)
        self.choose_button.setToolTip("Pick one or more paintings whose style to copy; several are blended")
        self.choose_button.clicked.connect(self.choose)
        self._rows_layout = QVBoxLayout()
        self._rows_layout.setContentsMargins(0, 0, 0, 0)
        self._rows_layout.setSpacing(8)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.drop)
        lay.addLayout(self._rows_layout)
        lay.addWidget(self.choose_button)

    def choose(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Add style images", "", IMAGE_FILTER)
        if paths:
            self.add_paths(paths)

    def add_paths(self, paths: list[str], weights: list[float] | None = None) -> int:
        """Add pictures (with blend weights when given); unreadable ones are reported. Returns how many."""
        added = 0
        for i, path in enumerate(paths):
            if Path(path).is_dir():
                self.rejected.emit(f"{Path(path).name} is a folder; drop picture files")
                continue
            try:
                thumb = load_thumbnail(path)
            except Exception as exc:  # noqa: BLE001
                self.rejected.emit(f"{Path(path).name} cannot be opened as a picture ({exc})")
                continue
            row = StyleRow(str(path), thumb, self)
            if weights is not None and i < len(weights):
                row.weight.setValue(float(weights[i]))
            row.removed.connect(self.remove_row)
            row.changed.connect(self.changed)
            row.mask_requested.connect(self.mask_requested)
            row.set_editable(self._editable)
            self.rows.append(row)
            self._rows_layout.addWidget(row)
            added += 1
        if added:
            self.changed.emit()
        return added

    def clear(self) -> None:
        """Remove every style picture (one ``changed``)."""
        if not self.rows:
            return
        for row in self.rows:
            self._rows_layout.removeWidget(row)
            row.setParent(None)
            row.deleteLater()
        self.rows = []
        self.changed.emit()

    def set_items(self, paths: list[str], weights: list[float] | None = None) -> int:
        """Replace the list with ``paths`` and their blend weights (masks go with the rows they belonged to)."""
        self.clear()
        return self.add_paths(paths, weights)

    def remove_row(self, row: StyleRow) -> None:
        if row in self.rows:
            self.rows.remove(row)
            self._rows_layout.removeWidget(row)
            row.setParent(None)
            row.deleteLater()
            self.changed.emit()

    def move_row(self, row: StyleRow, index: int) -> None:
        """Put ``row`` at position ``index``; its weight and mask go with it."""
        if row not in self.rows:
            return
        index = max(0, min(len(self.rows) - 1, int(index)))
        if self.rows.index(row) == index:
            return
        self.rows.remove(row)
        self.rows.insert(index, row)
        self._rows_layout.removeWidget(row)
        self._rows_layout.insertWidget(index, row)
        self.changed.emit()

    def paths(self) -> list[str]:
        return [r.path for r in self.rows]

    def weights(self) -> list[float]:
        return [r.weight.value() for r in self.rows]

    def masks(self) -> list[np.ndarray | None]:
        """One selection mask per painting (None = the whole painting), in list order."""
        return [r.mask for r in self.rows]

    def set_enabled_editing(self, on: bool) -> None:
        self._editable = on
        self.drop.setEnabled(on)
        self.choose_button.setEnabled(on)
        for r in self.rows:
            r.set_editable(on)
