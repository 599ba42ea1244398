""""How GANs work…" from the welcome opens a guide the artist can use and close while the welcome is open,
and it does not cover the welcome's Start button."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRect, QSettings, Qt

from studio.ui.window.window import MainWindow


@pytest.fixture(autouse=True)
def fresh_settings():
    QSettings().clear()
    yield
    QSettings().clear()


def _global_rect(widget) -> QRect:
    return QRect(widget.mapToGlobal(widget.rect().topLeft()), widget.size())


def test_help_from_the_welcome_is_usable_and_leaves_start_visible(qtbot):
    window = MainWindow(load_engine=False)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    welcome = window.show_welcome()
    qtbot.waitExposed(welcome)
    assert welcome.windowModality() != Qt.WindowModality.NonModal  # the welcome blocks the window behind it

    qtbot.mouseClick(welcome.help_button, Qt.MouseButton.LeftButton)
    guide = window.help_dialog
    qtbot.waitExposed(guide)
    assert guide.isVisible() and not guide.isModal()
    # Qt blocks every window but the modal one and its own children: the guide must be one of those.
    assert guide.parentWidget() is welcome
    assert not guide.frameGeometry().intersects(_global_rect(welcome.start_button))

    row = 2 if guide.contents.currentRow() != 2 else 1
    rect = guide.contents.visualItemRect(guide.contents.item(row))
    qtbot.mouseClick(guide.contents.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert guide.contents.currentRow() == row
    guide.close()
    assert not guide.isVisible() and welcome.isVisible()
    qtbot.mouseClick(welcome.start_button, Qt.MouseButton.LeftButton)
    assert not welcome.isVisible()


def test_help_without_the_welcome_still_belongs_to_the_window(qtbot):
    window = MainWindow(load_engine=False)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    guide = window.show_help("gan")
    assert guide.parentWidget() is window
    guide.close()
