"""Where the Explore room's parts sit: the one place to change the page's arrangement and look."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QScrollArea, QSplitter, QVBoxLayout, QWidget

MIN_CONTENT = QSize(1000, 660)

PAGE_QSS = """
QLabel#sectionTitle { font-size: 11pt; font-weight: 600; color: #eceef2; padding-top: 2px; }
QLabel#hint, QLabel#caption, QLabel#tileSeed { color: #9ca1ab; }
QLabel#generatorLabel { color: #d8dbe1; }
QLabel#noticeLine { color: #b9bdc6; }
QFrame#sampleTile { border: 1px solid transparent; border-radius: 6px; background: #212227; }
QFrame#sampleTile[selected="true"] { border-color: #8b7cf6; background: #2e2a4d; }
QToolButton#tileStar { color: #f0c674; font-size: 13pt; border: none; padding: 0 2px; }
QFrame#errorBanner { background: #4a2a2e; border: 1px solid #7a3a40; border-radius: 8px; }
QFrame#errorBanner QLabel { color: #ffd4d4; background: transparent; }
QFrame#resultBanner { background: #23392c; border: 1px solid #3b6a4b; border-radius: 8px; }
QFrame#resultBanner QLabel { color: #c9f2d6; background: transparent; }
QFrame#timelinePanel, QFrame#exportPanel, QFrame#playerPanel { background: #1c1d21; border-radius: 8px; }
QProgressBar#exportProgress, QProgressBar#renderProgress { background: #26282e; border: none; border-radius: 3px; }
QProgressBar#exportProgress::chunk, QProgressBar#renderProgress::chunk { background: #8b7cf6; border-radius: 3px; }
"""


def build_layout(page) -> None:
    """Arrange the parts the page has made: header, banners, runs | grid | favourites above timeline | player |
    export, a notice line below. Below ``MIN_CONTENT`` the page scrolls instead of crushing tiles and buttons."""
    page.top_splitter = QSplitter(Qt.Orientation.Horizontal)
    page.top_splitter.setObjectName("exploreTopSplitter")
    page.top_splitter.setChildrenCollapsible(False)
    for w in (page.runs_panel, page.browser, page.favourites_panel):
        page.top_splitter.addWidget(w)
    page.top_splitter.setStretchFactor(0, 0)
    page.top_splitter.setStretchFactor(1, 3)
    page.top_splitter.setStretchFactor(2, 2)
    page.top_splitter.setSizes([180, 500, 330])

    bottom = QWidget()
    bl = QHBoxLayout(bottom)
    bl.setContentsMargins(0, 0, 0, 0)
    bl.setSpacing(8)
    bl.addWidget(page.timeline, 3)
    bl.addWidget(page.player, 2)
    bl.addWidget(page.export_panel, 1)

    page.body_splitter = QSplitter(Qt.Orientation.Vertical)
    page.body_splitter.setObjectName("exploreBodySplitter")
    page.body_splitter.setChildrenCollapsible(False)
    page.body_splitter.addWidget(page.top_splitter)
    page.body_splitter.addWidget(bottom)
    page.body_splitter.setStretchFactor(0, 3)
    page.body_splitter.setStretchFactor(1, 2)

    page.notice_label = QLabel("")
    page.notice_label.setObjectName("noticeLine")

    content = QWidget()
    content.setObjectName("exploreContent")
    content.setMinimumSize(MIN_CONTENT)
    page.scroll = QScrollArea(page)
    page.scroll.setObjectName("exploreScroll")
    page.scroll.setWidgetResizable(True)
    page.scroll.setFrameShape(QFrame.Shape.NoFrame)
    page.scroll.setWidget(content)
    page_layout = QVBoxLayout(page)
    page_layout.setContentsMargins(0, 0, 0, 0)
    page_layout.addWidget(page.scroll)

    outer = QVBoxLayout(content)
    outer.setContentsMargins(16, 12, 16, 10)
    outer.setSpacing(8)
    outer.addWidget(page.header)
    outer.addWidget(page.error_banner)
    outer.addWidget(page.result_banner)
    outer.addWidget(page.body_splitter, 1)
    outer.addWidget(page.notice_label)
    page.setStyleSheet(PAGE_QSS)
