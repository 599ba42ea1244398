"""The side column: the selected sample shown large, starring, variations, and the favourites strip.

Favourites belong to the generator and are saved beside it (the format is the engine's,
``studio.engine.latent.favourites``) every time they change, so nothing starred is lost.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSlider, QVBoxLayout, QWidget

from studio.engine.latent.favourites import (
    clean_entry,
    entry_key,
    favourites_path,
    load_favourites,
    save_favourites,
)
from studio.ui.explore.session import ExploreSession, icon_for
from studio.ui.widgets.explore_lists import FavouritesStrip, item_data
from studio.ui.widgets.flow import FlowLayout
from studio.ui.widgets.image_view import ImageView


class FavouritesPanel(QWidget):
    changed = Signal()  # favourites added, removed or reordered (already saved)
    save_failed = Signal(str)  # a sentence

    def __init__(self, session: ExploreSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.preview_view = ImageView(placeholder="Click a sample to see it large", min_size=QSize(140, 140))
        self.preview_view.setObjectName("samplePreview")
        self.preview_caption = QLabel("")
        self.preview_caption.setObjectName("caption")
        self.star_button = QPushButton("☆ Favourite")
        self.star_button.setObjectName("starSelected")
        self.star_button.setToolTip("Star the selected sample (F)")
        self.favourites = FavouritesStrip(52)
        self.favourites.setToolTip("Drag to reorder; drag onto the timeline to make keyframes")
        self.unstar_button = QPushButton("Remove")
        self.unstar_button.setObjectName("removeFavourite")
        self.unstar_button.setToolTip("Remove the selected favourites")
        self.add_key_button = QPushButton("Add to timeline")
        self.add_key_button.setObjectName("addKeyframes")
        self.add_key_button.setToolTip("Append the selected favourites (all, if none is selected) as keyframes")
        self.variations_button = QPushButton("Variations")
        self.variations_button.setObjectName("showVariations")
        self.variations_button.setToolTip("Fill the grid with small variations of the selected sample (V)")
        self.variation_slider = QSlider(Qt.Orientation.Horizontal)
        self.variation_slider.setObjectName("variationStrength")
        self.variation_slider.setRange(5, 100)
        self.variation_slider.setValue(30)
        self.variation_slider.setFixedWidth(80)
        self.variation_slider.setToolTip("How far the variations stray from the selected sample")
        self.variation_label = QLabel("30 %")
        self.variation_label.setObjectName("caption")
        self.variation_label.setMinimumWidth(34)
        pc_row = QHBoxLayout()
        pc_row.addWidget(self.preview_caption, 1)
        pc_row.addWidget(self.star_button)
        var_row = FlowLayout()  # these two rows wrap when the column is narrow
        var_row.addWidget(self.variations_button)
        strength_group = QWidget()  # the word, its slider and its value wrap together
        strength_row = QHBoxLayout(strength_group)
        strength_row.setContentsMargins(0, 0, 0, 0)
        strength_row.setSpacing(6)
        strength = QLabel("Strength")
        strength.setObjectName("caption")
        strength_row.addWidget(strength)
        strength_row.addWidget(self.variation_slider)
        strength_row.addWidget(self.variation_label)
        var_row.addWidget(strength_group)
        title = QLabel("Favourites")
        title.setObjectName("sectionTitle")
        fav_row = FlowLayout()
        fav_row.addWidget(title)
        fav_row.addStretch()
        fav_row.addWidget(self.unstar_button)
        fav_row.addWidget(self.add_key_button)
        col = QVBoxLayout(self)
        col.setContentsMargins(6, 0, 0, 0)
        col.setSpacing(6)
        col.addWidget(self.preview_view, 1)
        col.addLayout(pc_row)
        col.addLayout(var_row)
        col.addLayout(fav_row)
        col.addWidget(self.favourites)
        self.variation_slider.valueChanged.connect(self._on_variation_strength)
        self.unstar_button.clicked.connect(self.remove_selected)
        self.favourites.order_changed.connect(self._on_order_changed)

    # ------------------------------------------------------------------ the large preview
    def show_sample(self, image: np.ndarray, label: str) -> None:
        self.preview_view.set_image(image)
        self.preview_caption.setText(label[:1].upper() + label[1:])

    def variation_strength(self) -> float:
        return self.variation_slider.value() / 100.0

    def _on_variation_strength(self, value: int) -> None:
        self.variation_label.setText(f"{value} %")

    # ------------------------------------------------------------------ favourites
    def keys(self) -> list:
        """Seeds of plain favourites and latent hashes of starred variations, in strip order."""
        return self.favourites.keys()

    def load_for(self, source: Path) -> list[dict]:
        """Show the favourites saved beside ``source``; returns them (their pictures still to draw)."""
        self.favourites.clear()
        entries = load_favourites(favourites_path(source))
        for entry in entries:
            self.favourites.add_entry(entry, None, entry["label"])
        return entries

    def toggle(self, entry: dict) -> bool:
        """Star or unstar a sample (a seed, or a variation's latent); True when it is now a favourite."""
        entry = clean_entry(entry)
        key = entry_key(entry)
        keys = self.keys()
        if key in keys:
            self.favourites.takeItem(keys.index(key))
            starred = False
        else:
            self.favourites.add_entry(entry, self.session.icon(key), entry["label"])
            starred = True
        self._on_order_changed()
        return starred

    def remove_selected(self) -> None:
        for item in self.favourites.selectedItems():
            self.favourites.takeItem(self.favourites.row(item))
        self._on_order_changed()

    def selected_or_all(self) -> list[dict]:
        items = self.favourites.selectedItems() or self.favourites.items()
        items.sort(key=self.favourites.row)
        return [d for d in (item_data(it) for it in items) if d]

    def save(self) -> None:
        source, info = self.session.source, self.session.info
        if source is None:
            return
        path = favourites_path(source)
        try:
            save_favourites(path, self.favourites.datas(), getattr(info, "sha256", ""))
        except OSError as exc:
            self.save_failed.emit(f"Could not save favourites to {path}: {exc.strerror or exc}")

    def refresh_icons(self) -> None:
        for item in self.favourites.items():
            key = entry_key(item_data(item))
            if key is not None and key in self.session.thumbs and item.icon().isNull():
                item.setIcon(icon_for(self.session.thumbs[key]))

    def update_controls(self, has_generator: bool, current: dict | None) -> None:
        self.star_button.setEnabled(has_generator and current is not None)
        self.variations_button.setEnabled(has_generator and current is not None)
        starred = current is not None and entry_key(current) in self.keys()
        self.star_button.setText("★ Favourite" if starred else "☆ Favourite")
        self.unstar_button.setEnabled(bool(self.favourites.selectedItems()))
        self.add_key_button.setEnabled(has_generator and self.favourites.count() > 0)

    def _on_order_changed(self) -> None:
        self.save()
        self.changed.emit()
