"""The Stylize page on a small screen: every action stays reachable (in sight or in the ⋯ menu), the settings
column gives way to the canvas, and the loss plot folds under the canvas instead of covering anything."""

from __future__ import annotations

import pytest
from layout_check import layout_problems
from PySide6.QtWidgets import QApplication, QPushButton

from studio.ui.stylize.layout import SETTINGS_MAX_W
from studio.ui.stylize.page import StylizePage
from studio.ui.widgets.elided_label import ElidedLabel
from studio.ui.widgets.overflow_row import OverflowRow


def _settle() -> None:
    for _ in range(3):
        QApplication.processEvents()


def test_a_narrow_row_moves_what_does_not_fit_into_the_menu(qtbot):
    row = OverflowRow()
    qtbot.addWidget(row)
    clicks = []
    texts = ("Start", "Keep current result", "Save timelapse GIF…")
    buttons = [QPushButton(text) for text in texts]
    for b, text in zip(buttons, texts, strict=True):
        b.clicked.connect(lambda _=False, t=text: clicks.append(t))
    row.add(buttons[0], pinned=True)
    row.add(buttons[1], priority=1)
    row.add(buttons[2], right=True, priority=0)
    hint = ElidedLabel("Wheel: zoom · drag: move")
    row.set_elastic(hint)
    row.resize(row.sizeHint().width() + 40, 30)
    row.show()
    _settle()
    assert row.hidden_buttons() == [] and not row.more_button.isVisible() and hint.isVisible()
    assert layout_problems(row) == []

    row.resize(row.minimumSizeHint().width() + 10, 30)
    _settle()
    assert row.hidden_buttons() == [buttons[1], buttons[2]] and row.more_button.isVisible()
    assert not hint.isVisible()  # a cut hint helps no one
    assert layout_problems(row) == []
    assert buttons[0].geometry().right() < row.more_button.geometry().left()
    row.more_menu.aboutToShow.emit()
    actions = row.more_menu.actions()
    assert [a.text() for a in actions] == ["Keep current result", "Save timelapse GIF…"]
    buttons[2].setEnabled(False)
    row.more_menu.aboutToShow.emit()
    assert not row.more_menu.actions()[1].isEnabled()  # the menu shows the button as it is now
    row.more_menu.actions()[0].trigger()
    assert clicks == ["Keep current result"]


@pytest.fixture
def page(qtbot):
    p = StylizePage()
    qtbot.addWidget(p)
    p.show()
    yield p
    p.shutdown(10_000)


def test_a_small_window_keeps_every_action_and_gives_the_canvas_room(page: StylizePage):
    page.resize(824, 594)  # the page inside a 1024×640 window
    _settle()
    assert layout_problems(page) == []
    reachable = set(page.view_row.hidden_buttons()) | set(page.run_row.hidden_buttons())
    for b in (page.start_button, page.stop_button, page.save_button, page.fit_button):
        assert b.isVisible()
    for b in (page.keep_button, page.gif_button, page.copy_button, page.actual_button, page.compare_button):
        assert b.isVisible() or b in reachable
    assert page.left_scroll.width() < SETTINGS_MAX_W
    assert not page.plot.isVisible() and page.preview.height() > 300  # the short page folds the losses

    canvas = page.preview.width()
    page.settings_toggle.click()
    _settle()
    assert not page.left_scroll.isVisible() and page.preview.width() > canvas + 300
    assert layout_problems(page) == []

    page.settings_toggle.click()
    page.resize(1720, 1034)  # a 1920×1080 window
    _settle()
    assert page.plot.isVisible() and page.left_scroll.width() == SETTINGS_MAX_W
    assert page.view_row.hidden_buttons() == [] and page.run_row.hidden_buttons() == []
    assert page.view_hint.isVisible() and not page.view_hint.is_elided()
    assert layout_problems(page) == []


def test_the_artists_choice_for_the_loss_plot_wins_over_the_screen(page: StylizePage):
    page.resize(824, 594)
    _settle()
    assert not page.plot.isVisible()
    page.loss_toggle.click()
    page.resize(830, 600)
    _settle()
    assert page.plot.isVisible()  # opened by the artist: a resize does not fold it again
    assert layout_problems(page) == []
