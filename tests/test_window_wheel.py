"""The mouse wheel scrolls a panel; it changes a value only in the control the artist has focused."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, QSettings, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from studio.ui.window.window import MainWindow


@pytest.fixture(autouse=True)
def fresh_settings():
    QSettings().clear()
    yield
    QSettings().clear()


def _wheel_down(widget: QWidget) -> None:
    centre = QPointF(widget.rect().center())
    event = QWheelEvent(centre, QPointF(widget.mapToGlobal(centre.toPoint())), QPoint(), QPoint(0, -120),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase,
                        False)
    QApplication.sendEvent(widget, event)


@pytest.fixture
def panel(qtbot):
    """A long settings panel in a scroll area, as the pages have, beside the studio's window."""
    window = MainWindow(load_engine=False)
    qtbot.addWidget(window)
    area = QScrollArea()
    inner = QWidget()
    lay = QVBoxLayout(inner)
    other = QPushButton("somewhere else")
    batch = QSpinBox()
    batch.setRange(1, 512)
    batch.setValue(32)
    combo = QComboBox()
    combo.addItems(["hinge", "non-saturating", "wasserstein"])
    for w in (other, batch, combo):
        lay.addWidget(w)
    lay.addSpacing(3000)
    area.setWidget(inner)
    area.resize(320, 240)
    qtbot.addWidget(area)
    area.show()
    qtbot.waitExposed(area)
    other.setFocus()
    return area, batch, combo, other


def test_wheel_over_an_unfocused_spin_box_scrolls_the_panel_instead(qtbot, panel):
    area, batch, combo, _other = panel
    assert not batch.hasFocus()
    _wheel_down(batch)
    _wheel_down(combo)
    assert batch.value() == 32
    assert combo.currentIndex() == 0
    assert area.verticalScrollBar().value() > 0  # the panel scrolled
    assert batch.focusPolicy() == Qt.FocusPolicy.StrongFocus  # a wheel no longer takes the focus


def test_wheel_changes_the_value_of_the_focused_spin_box(qtbot, panel):
    _area, batch, _combo, _other = panel
    batch.setFocus()
    qtbot.waitUntil(batch.hasFocus, timeout=5_000)
    _wheel_down(batch)
    assert batch.value() == 31
