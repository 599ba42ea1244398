"""The Explore page's sample grid: tiles that show a picture, its seed and a star.

Keyboard: arrow keys move the selection, F stars/unstars the selected sample, Enter/Space shows it
large. A tile never talks to the engine; it only reports what the artist asked for.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QKeyEvent, QMouseEvent
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.engine.latent.favourites import entry_key
from studio.ui.widgets.elided_label import ElidedLabel
from studio.ui.widgets.image_view import ImageView

STAR_ON, STAR_OFF = "★", "☆"


class SampleTile(QFrame):
    """One sample: image, "seed N" caption and a star toggle."""

    clicked = Signal(int)  # index in the grid
    star_clicked = Signal(int)

    def __init__(self, index: int, image_px: int = 96, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.index = index
        self.seed: int | None = None
        self.entry: dict | None = None  # {"seed"} or, for a variation, {"latent", "label"}
        self.setObjectName("sampleTile")
        self.setProperty("selected", False)
        self.view = ImageView(self, min_size=QSize(image_px, image_px))
        self.view.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.caption = ElidedLabel("", self)
        self.caption.setObjectName("tileSeed")
        self.star = QToolButton(self)
        self.star.setObjectName("tileStar")
        self.star.setText(STAR_OFF)
        self.star.setCheckable(True)
        self.star.setAutoRaise(True)
        self.star.setToolTip("Add to favourites (F)")
        self.star.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.star.clicked.connect(self._on_star)
        row = self._caption_row = QHBoxLayout()
        row.setContentsMargins(1, 0, 0, 0)  # every pixel to the caption: "seed 99999" fits a 1024 px window
        row.setSpacing(1)
        row.addWidget(self.caption, 1)
        row.addWidget(self.star)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 2)
        lay.setSpacing(1)
        lay.addWidget(self.view, 1)
        lay.addLayout(row)
        self.set_sample(None, None)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        """Wide enough for "seed 99999" beside the star: a narrow screen scrolls the grid rather than cut seeds."""
        hint = super().minimumSizeHint()
        m, r = self.layout().contentsMargins(), self._caption_row.contentsMargins()
        around = m.left() + m.right() + r.left() + r.right() + 2 * self.frameWidth() + self._caption_row.spacing()
        caption = self.caption.fontMetrics().horizontalAdvance("seed 99999") + 1
        return QSize(max(hint.width(), around + caption + self.star.sizeHint().width()), hint.height())

    def set_sample(self, seed: int | None, image: np.ndarray | None, entry: dict | None = None) -> None:
        if entry is None and seed is not None:
            entry = {"seed": int(seed), "label": f"seed {seed}"}
        self.entry = dict(entry) if entry is not None else None
        self.seed = None if entry is None or entry.get("latent") else entry.get("seed")
        self.view.set_image(image)
        label = "" if entry is None else str(entry.get("label") or f"seed {entry.get('seed')}")
        self.caption.setText(label)
        self.star.setEnabled(entry is not None)
        self.setToolTip("" if entry is None else f"{label[:1].upper()}{label[1:]} — click to see it large, "
                        "F to star it")

    @property
    def key(self) -> int | str | None:
        return entry_key(self.entry) if self.entry is not None else None

    def set_starred(self, on: bool) -> None:
        self.star.setChecked(on)
        self.star.setText(STAR_ON if on else STAR_OFF)
        self.star.setToolTip("Remove from favourites (F)" if on else "Add to favourites (F)")

    def set_selected(self, on: bool) -> None:
        if self.property("selected") != on:
            self.setProperty("selected", on)
            self.style().unpolish(self)
            self.style().polish(self)

    def _on_star(self) -> None:
        self.star.setChecked(not self.star.isChecked())  # the page decides; it calls set_starred
        self.star_clicked.emit(self.index)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if event.button() == Qt.MouseButton.LeftButton and self.entry is not None:
            self.clicked.emit(self.index)
        super().mousePressEvent(event)


class SampleGrid(QWidget):
    """rows × columns tiles; one can be selected. Emits what the artist asks for, by tile index."""

    selected = Signal(int)
    star_requested = Signal(int)

    def __init__(self, rows: int = 4, columns: int = 4, image_px: int = 96, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sampleGrid")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.rows, self.columns = rows, columns
        self.tiles: list[SampleTile] = []
        self._current = -1
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(6)
        for i in range(rows * columns):
            tile = SampleTile(i, image_px, self)
            tile.clicked.connect(self._on_tile_clicked)
            tile.star_clicked.connect(self.star_requested)
            grid.addWidget(tile, i // columns, i % columns)
            self.tiles.append(tile)

    @property
    def count(self) -> int:
        return len(self.tiles)

    def current_index(self) -> int:
        return self._current

    def current_seed(self) -> int | None:
        return self.tiles[self._current].seed if 0 <= self._current < len(self.tiles) else None

    def current_entry(self) -> dict | None:
        if 0 <= self._current < len(self.tiles) and self.tiles[self._current].entry is not None:
            return dict(self.tiles[self._current].entry)
        return None

    def seeds(self) -> list[int | None]:
        return [t.seed for t in self.tiles]

    def entries(self) -> list[dict | None]:
        return [None if t.entry is None else dict(t.entry) for t in self.tiles]

    def set_samples(self, seeds: list[int], images: np.ndarray | list[np.ndarray]) -> None:
        self.set_entries([{"seed": int(s), "label": f"seed {s}"} for s in seeds], images)

    def set_entries(self, entries: list[dict], images: np.ndarray | list[np.ndarray]) -> None:
        for i, tile in enumerate(self.tiles):
            if i < len(entries):
                tile.set_sample(None, images[i], entries[i])
            else:
                tile.set_sample(None, None)
        self.select(0 if entries else -1)

    def set_starred(self, starred: set) -> None:
        """Star the tiles whose key (seed, or latent hash for a variation) is in ``starred``."""
        for tile in self.tiles:
            tile.set_starred(tile.entry is not None and tile.key in starred)

    def select(self, index: int) -> None:
        if index >= 0 and (index >= len(self.tiles) or self.tiles[index].entry is None):
            return
        self._current = index
        for i, tile in enumerate(self.tiles):
            tile.set_selected(i == index)
        if index >= 0:
            self.selected.emit(index)

    def _on_tile_clicked(self, index: int) -> None:
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        self.select(index)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        key = event.key()
        if key == Qt.Key.Key_F and self._current >= 0:
            self.star_requested.emit(self._current)
            return
        moves = {Qt.Key.Key_Left: -1, Qt.Key.Key_Right: 1, Qt.Key.Key_Up: -self.columns,
                 Qt.Key.Key_Down: self.columns}
        if key in moves and self._current >= 0:
            target = self._current + moves[key]
            if 0 <= target < len(self.tiles):
                self.select(target)
            return
        super().keyPressEvent(event)
