"""Stylize page inputs: the content photo box and the list of style images with blend weights."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QSize, Signal
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from studio.ui.widgets.drop_area import DropArea
from studio.ui.widgets.image_view import ImageView

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.webp *.bmp *.tif *.tiff *.gif)"
THUMB_SIDE = 128


def load_thumbnail(path: str | Path, side: int = THUMB_SIDE) -> np.ndarray:
    """A small RGB uint8 copy of the picture (raises OSError/ValueError for unreadable files)."""
    from PIL import Image

    with Image.open(path) as im:
        im = im.convert("RGB")
        im.thumbnail((side, side))
        return np.asarray(im, dtype=np.uint8).copy()


class ContentBox(QWidget):
    """Drop a photo (or choose one); shows its thumbnail."""

    changed = Signal()
    rejected = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._path: str | None = None
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
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.drop)
        lay.addWidget(self.thumb)
        row = QHBoxLayout()
        row.addWidget(self.choose_button)
        row.addWidget(self.clear_button)
        lay.addLayout(row)

    def path(self) -> str | None:
        return self._path

    def choose(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose photo", "", IMAGE_FILTER)
        if path:
            self.set_path(path)

    def set_path(self, path: str | None) -> None:
        if path is None:
            self._path = None
            self.thumb.set_image(None)
        else:
            try:
                thumb = load_thumbnail(path)
            except Exception as exc:  # noqa: BLE001 - any unreadable file is a user-facing message
                self.rejected.emit(f"{Path(path).name} cannot be opened as a picture ({exc})")
                return
            self._path = str(path)
            self.thumb.set_image(thumb)
            self.thumb.setToolTip(str(path))
        self.clear_button.setEnabled(self._path is not None)
        self.changed.emit()


class StyleRow(QWidget):
    """One style image: thumbnail, name, blend weight, remove."""

    removed = Signal(object)
    changed = Signal()

    def __init__(self, path: str, thumb: np.ndarray, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.path = path
        self.thumb = ImageView(self, min_size=QSize(56, 56))
        self.thumb.setFixedSize(64, 64)
        self.thumb.set_image(thumb)
        self.name = QLabel(Path(path).name, self)
        self.name.setToolTip(path)
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
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.thumb)
        lay.addWidget(self.name, 1)
        lay.addWidget(QLabel("Blend", self))
        lay.addWidget(self.weight)
        lay.addWidget(self.remove_button)


class StyleList(QWidget):
    """Drop or choose one or more style images; each gets a weight and a remove button."""

    changed = Signal()
    rejected = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[StyleRow] = []
        self.drop = DropArea("Drop one or more style paintings here", self)
        self.drop.paths_dropped.connect(self.add_paths)
        self.choose_button = QPushButton("Add style images…", self)
        self.choose_button.setToolTip("Pick one or more paintings whose style to copy; several are blended")
        self.choose_button.clicked.connect(self.choose)
        self._rows_layout = QVBoxLayout()
        self._rows_layout.setContentsMargins(0, 0, 0, 0)
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
        """Replace the list with ``paths`` and their blend weights."""
        self.clear()
        return self.add_paths(paths, weights)

    def remove_row(self, row: StyleRow) -> None:
        if row in self.rows:
            self.rows.remove(row)
            self._rows_layout.removeWidget(row)
            row.setParent(None)
            row.deleteLater()
            self.changed.emit()

    def paths(self) -> list[str]:
        return [r.path for r in self.rows]

    def weights(self) -> list[float]:
        return [r.weight.value() for r in self.rows]

    def set_enabled_editing(self, on: bool) -> None:
        self.drop.setEnabled(on)
        self.choose_button.setEnabled(on)
        for r in self.rows:
            r.remove_button.setEnabled(on)
            r.weight.setEnabled(on)
