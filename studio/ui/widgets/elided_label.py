"""One line of text that ends in "…" where it does not fit — never silently cut.

A cut "seed 6055" reads as another seed than 60559, and a cut file name as another file, so every place
that may be too narrow for its text shows it with an ellipsis (at the end, or in the middle for file names,
which keeps their start and their extension) and puts the whole text in the tooltip. ``text()`` stays the
whole text; only the painting is shortened. The dynamic property ``elidesText`` tells the layout checker
(``tests/layout_check.py``) that a narrow width is intended.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget


class ElidedLabel(QLabel):
    """See the module docstring. ``mode``: ``Qt.TextElideMode.ElideRight`` (default) or ``ElideMiddle``."""

    def __init__(self, text: str = "", parent: QWidget | None = None,
                 mode: Qt.TextElideMode = Qt.TextElideMode.ElideRight) -> None:
        super().__init__(text, parent)
        self._mode = mode
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setProperty("elidesText", True)
        self._update_tip()

    # the whole text, under the names the overflow row and older callers use
    def full_text(self) -> str:
        return self.text()

    def set_full_text(self, text: str) -> None:
        self.setText(text)

    def full_width(self) -> int:
        """The width the whole text needs (with the label's margins)."""
        m = self.contentsMargins()
        return self.fontMetrics().horizontalAdvance(self.text()) + m.left() + m.right() + 2

    def setText(self, text: str) -> None:  # noqa: N802 - Qt override
        super().setText(text)
        self._update_tip()

    def shown_text(self) -> str:
        """What is painted: the text, or as much of it as fits with "…"."""
        return self.fontMetrics().elidedText(self.text(), self._mode, self.contentsRect().width())

    def is_elided(self) -> bool:
        return self.shown_text() != self.text()

    def _update_tip(self) -> None:
        self.setToolTip(self.text() if self.text() and self.is_elided() else "")

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(self.fontMetrics().horizontalAdvance("…"), super().minimumSizeHint().height())

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._update_tip()

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        self.style().drawItemText(painter, self.contentsRect(), int(self.alignment() | Qt.AlignmentFlag.AlignVCenter),
                                  self.palette(), self.isEnabled(), self.shown_text(), self.foregroundRole())
