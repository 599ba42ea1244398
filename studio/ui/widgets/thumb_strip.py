"""A row of small image tiles: a glimpse of a dataset before and after preprocessing."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from studio.ui.widgets.image_view import ImageView


class ThumbnailStrip(QWidget):
    """Shows up to ``count`` images as fixed-size tiles; an empty strip shows a short text."""

    def __init__(self, count: int = 6, tile: int = 52, empty_text: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._tiles: list[ImageView] = []
        self._tile = tile
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(3)
        for _ in range(count):
            view = ImageView(self, min_size=QSize(tile, tile))
            view.setFixedSize(tile, tile)
            view.setObjectName("thumbnail")
            view.hide()
            layout.addWidget(view)
            self._tiles.append(view)
        self._empty = QLabel(empty_text, self)
        self._empty.setObjectName("hint")
        layout.addWidget(self._empty)
        layout.addStretch(1)
        self.setFixedHeight(tile)

    def set_images(self, images: list[np.ndarray], tooltips: list[str] | None = None) -> None:
        tooltips = tooltips or []
        for i, view in enumerate(self._tiles):
            if i < len(images):
                view.set_image(images[i])
                view.setToolTip(tooltips[i] if i < len(tooltips) else "")
                view.show()
            else:
                view.set_image(None)
                view.hide()
        self._empty.setVisible(not images)

    def images(self) -> list[np.ndarray]:
        return [v.image for v in self._tiles if v.image is not None]

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(len(self._tiles) * (self._tile + 4), self._tile)
