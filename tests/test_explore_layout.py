"""The Explore page fits a small laptop and a big desktop: side panels become tabs, rows wrap, nothing scrolls
sideways, and every panel is back in its own place when there is room (issue 13, "A window that fits")."""

from __future__ import annotations

import pytest
from layout_check import layout_problems
from PySide6.QtWidgets import QApplication, QPushButton, QWidget

from studio.ui.explore.page import ExplorePage
from studio.ui.widgets.flow import DownScrollArea, FlowLayout


def _settle() -> None:
    for _ in range(4):
        QApplication.processEvents()


def test_a_flow_row_wraps_its_buttons_instead_of_overlapping_them(qtbot):
    panel = QWidget()
    qtbot.addWidget(panel)
    row = FlowLayout(panel)
    buttons = [QPushButton(f"Button number {i}") for i in range(5)]
    for b in buttons:
        row.addWidget(b)
    one_line = row.sizeHint()
    panel.resize(one_line.width() + 20, one_line.height())
    panel.show()
    _settle()
    assert len({b.y() for b in buttons}) == 1  # room for all: one line

    narrow = buttons[0].sizeHint().width() * 2 + 20
    panel.resize(narrow, panel.minimumSizeHint().height())
    _settle()
    assert row.heightForWidth(narrow) >= 3 * buttons[0].sizeHint().height()  # five buttons, two a line
    assert len({b.y() for b in buttons}) >= 3
    for i, a in enumerate(buttons):
        assert a.width() >= a.sizeHint().width()  # no label squeezed
        for b in buttons[i + 1:]:
            assert not a.geometry().intersects(b.geometry())
    assert row.minimumSize().height() == row.heightForWidth(narrow)  # the parent is asked for the lines' height


def test_a_down_scroll_area_is_never_narrower_than_its_content(qtbot):
    inner = QWidget()
    inner.setMinimumWidth(300)
    area = DownScrollArea(inner)
    qtbot.addWidget(area)
    assert area.minimumSizeHint().width() >= 300  # a splitter cannot squeeze it into sideways scrolling
    assert area.minimumSizeHint().height() < 300  # but it may get short and scroll down


@pytest.fixture
def page(qtbot):
    p = ExplorePage()
    qtbot.addWidget(p)
    yield p
    p.shutdown()


def _fit(page, width: int, height: int) -> None:
    page.resize(width, height)
    page.show()
    _settle()


def test_on_a_small_laptop_side_panels_become_tabs_and_nothing_scrolls_sideways(page):
    _fit(page, 824, 560)  # a 1024×640 window less the sidebar, menu and status bar
    assert page.body.wide is False
    assert page.body.side_tabs.isVisible() and page.body.play_tabs.isVisible()
    assert page.grid.isVisibleTo(page) and page.keyframes.isVisible()  # the work keeps its place
    assert page.runs_list.isVisible()  # nothing open yet: the runs to pick from show first …
    assert not page.preview_view.isVisible()
    page.body.show_selected()  # what clicking a sample does
    _settle()
    assert page.preview_view.isVisible() and page.variations_button.isVisible()  # … then the sample
    page.body.play_tabs.setCurrentIndex(1)
    _settle()
    assert page.export_button.isVisible()
    assert page.scroll.horizontalScrollBar().maximum() == 0
    assert page.scroll.widget().height() <= page.scroll.viewport().height()  # short screen: panels scroll, not the page
    assert layout_problems(page) == []


def test_with_room_every_panel_has_its_own_place_again(page):
    _fit(page, 824, 560)
    _fit(page, 1500, 900)
    assert page.body.wide is True
    assert not page.body.side_tabs.isVisible() and not page.body.play_tabs.isVisible()
    for w in (page.runs_list, page.preview_view, page.favourites, page.player_view, page.export_button,
              page.keyframes, page.grid):
        assert w.isVisible(), w.objectName()
    assert layout_problems(page) == []
