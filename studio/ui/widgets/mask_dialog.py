"""A window for painting one mask: which parts of a style painting to use, or which style goes where on the photo.

Non-modal so the artist can keep the page in view; "Done" hands the paint back, "Cancel" leaves the mask as it
was before the window opened. Closing the window or pressing Esc with unsaved paint asks first, so an evening's
careful brushwork is not lost to a stray key.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from studio.ui.theme import set_tone
from studio.ui.widgets.elided_label import ElidedLabel
from studio.ui.widgets.mask_editor import DEFAULT_REGION_COLORS, MaskEditor, MaskToolBar


def mask_summary(mask: np.ndarray | None) -> str:
    """'42 % selected' for a selection mask; '' for none."""
    if mask is None:
        return ""
    share = 100 * float(np.clip(mask, 0, 1).mean())
    return f"{share:.0f} % selected" if share >= 0.5 or share == 0 else "less than 1 % selected"


def regions_summary(regions: np.ndarray | None, names: list[str] | None = None) -> str:
    """'coffee.png 40 % · sky.jpg 35 % · rest 25 % blended' for region weights; '' for none."""
    if regions is None:
        return ""
    names = names or []
    parts = []
    for r in range(regions.shape[-1]):
        share = 100 * float(regions[..., r].mean())
        if share >= 0.5:
            parts.append(f"{names[r] if r < len(names) else f'style {r + 1}'} {share:.0f} %")
    if not parts:
        return "Nothing painted yet: every part of the photo takes a blend of all the paintings"
    rest = 100 * float(np.clip(1 - regions.sum(-1), 0, 1).mean())
    if rest >= 0.5:
        parts.append(f"rest {rest:.0f} % blended")
    return " · ".join(parts)


class MaskDialog(QDialog):
    """Paint a selection mask (``regions=0``) or ``regions`` soft style regions over ``image`` (uint8 H×W×3 at
    the picture's own size; the mask is kept at that size)."""

    accepted_mask = Signal(object)  # float32 H×W (selection) or H×W×R (regions); None = no mask

    def __init__(self, image: np.ndarray, title: str, hint: str, mask: np.ndarray | None = None,
                 regions: int = 0, region_names: list[str] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setModal(False)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
        self.source: str | None = None  # the picture file painted on (set by whoever opens the window)
        self.targets: list = []  # what the regions are painted for, in channel order (set by the opener)
        self.region_names = list(region_names or [])[:regions] if regions else []
        self.region_names += [f"style {r + 1}" for r in range(len(self.region_names), regions)]
        self.editor = MaskEditor(self)
        self.editor.set_image(image)
        h, w = self.editor.image().shape[:2]
        self.editor.set_brush_size(max(8, round(max(h, w) / 16)))  # a useful first brush on any picture size
        if regions:
            self.editor.set_region_count(regions, list(DEFAULT_REGION_COLORS[:regions]))
            if mask is not None:
                self.editor.set_region_masks(mask)
        elif mask is not None:
            self.editor.set_mask(mask)
        self._initial = self.current().copy()
        self.toolbar = MaskToolBar(self.editor, self)
        for b, name in zip(self.toolbar.region_buttons, self.region_names, strict=False):
            b.setToolTip(f"Paint where {name} goes")
        self.hint = QLabel(hint, self)
        self.hint.setWordWrap(True)
        self.legend = QWidget(self)
        legend = QHBoxLayout(self.legend)
        legend.setContentsMargins(0, 0, 0, 0)
        self.legend_labels: list[QLabel] = []
        for r, name in enumerate(self.region_names):
            sw = QLabel(self.legend)
            pm = QPixmap(14, 14)
            pm.fill(QColor(*DEFAULT_REGION_COLORS[r]))
            sw.setPixmap(pm)
            legend.addWidget(sw)
            label = ElidedLabel(f"{r + 1} = {name}", self.legend, Qt.TextElideMode.ElideMiddle)
            label.setToolTip(f"Region {r + 1} ({name}): choose it with button {r + 1} above, then paint")
            label.setMaximumWidth(label.sizeHint().width())  # short names take their width, long ones shrink
            self.legend_labels.append(label)
            legend.addWidget(label, 1)
            legend.addSpacing(10)
        legend.addStretch(0)
        self.legend.setVisible(bool(regions))
        self.note = QLabel(self)
        self.note.setObjectName("maskDialogNote")
        self.note.setWordWrap(True)
        set_tone(self.note, "warning")
        self.note.hide()
        self.summary = QLabel(self)
        self.summary.setObjectName("maskSummary")
        self.summary.setWordWrap(True)
        self.done_button = QPushButton("Done", self)
        self.done_button.setDefault(True)
        self.done_button.setToolTip("Keep this paint; the next run uses it")
        self.clear_all_button = QPushButton("Remove regions" if regions else "No mask", self)
        self.clear_all_button.setToolTip("Every painting covers the whole photo again, blended" if regions
                                         else "Remove the mask: the whole painting counts again")
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setToolTip("Close and keep the mask as it was")
        self.done_button.clicked.connect(self._done)
        self.clear_all_button.clicked.connect(self._no_mask)
        self.cancel_button.clicked.connect(self.discard)
        buttons = QHBoxLayout()
        buttons.addWidget(self.summary, 1)
        buttons.addWidget(self.clear_all_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.done_button)
        lay = QVBoxLayout(self)
        lay.addWidget(self.hint)
        lay.addWidget(self.toolbar)
        lay.addWidget(self.legend)
        lay.addWidget(self.editor, 1)
        lay.addWidget(self.note)
        lay.addLayout(buttons)
        self.editor.changed.connect(self._update_summary)
        self._update_summary()
        self.resize(960, 760)

    def current(self) -> np.ndarray:
        """The paint as it is now: float32 H×W (selection) or H×W×R (regions)."""
        return self.editor.region_masks() if self.editor.region_count() else self.editor.mask()

    def is_modified(self) -> bool:
        """True when the paint differs from what the window opened with."""
        return not np.array_equal(self.current(), self._initial)

    def set_note(self, text: str) -> None:
        """A line above the buttons (e.g. that a run is going and Done applies to the next one); '' hides it."""
        self.note.setText(text)
        self.note.setVisible(bool(text))

    def _update_summary(self) -> None:
        m = self.current()
        if m.ndim == 3:
            self.summary.setText(regions_summary(m, self.region_names))
        elif float(m.max(initial=0.0)) <= 0:
            self.summary.setText("Nothing painted yet: the whole painting is used")
        else:
            self.summary.setText(mask_summary(m))

    def _done(self) -> None:
        m = self.current()
        self._initial = m
        self.accepted_mask.emit(m if float(m.max(initial=0.0)) > 0 else None)
        self.accept()

    def _no_mask(self) -> None:
        self._initial = self.current()
        self.accepted_mask.emit(None)
        self.accept()

    def discard(self) -> None:
        """Close without asking and without handing anything back (Cancel, or the page closing the window)."""
        self._initial = self.current()
        super().reject()

    def confirm_discard(self) -> bool:
        """Asked when the window is closed or Esc is pressed with paint not yet kept."""
        answer = QMessageBox.question(self, "Discard the paint?",
                                      "Close without keeping the paint you did in this window?",
                                      QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
                                      QMessageBox.StandardButton.Cancel)
        return answer == QMessageBox.StandardButton.Discard

    def reject(self) -> None:  # Esc and the window's close button
        if self.is_modified() and not self.confirm_discard():
            return
        self.discard()
