"""Where the Explore room's parts sit: the one place to change the page's arrangement and look."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QFrame, QLabel, QScrollArea, QSplitter, QTabWidget, QVBoxLayout, QWidget

from studio.ui.widgets.flow import DownScrollArea

# Below this body width (a 1366 px laptop screen has about 1130 px of body) the runs list and the selected sample share one tabbed column beside the grid, and the
# player and export share one beside the timeline; above it every panel has its own place.
WIDE_BODY_PX = 1100


def scrolled(widget: QWidget, name: str) -> DownScrollArea:
    """``widget`` in an area that scrolls down (never sideways) when the screen is shorter than it: a short
    laptop screen gets every panel, each as tall as there is room for, rather than a page to scroll."""
    return DownScrollArea(widget, name)


class AdaptiveBody(QWidget):
    """The page body, arranged for the room it has (as image editors dock and tab their panels).

    Wide: runs | sample grid | selected sample & favourites above timeline | player | export.
    Narrow: sample grid | tabs (Selected, Runs) above timeline | tabs (Player, Export). The grid and the
    timeline keep their place in both, so what the artist is working on never moves; only side panels do.
    """

    def __init__(self, page, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("exploreBody")
        self.page = page
        self.wide: bool | None = None
        # the panels that may scroll downwards on a short screen (the grid scrolls inside the browser)
        self.favourites_area = scrolled(page.favourites_panel, "favouritesScroll")
        self.timeline_area = scrolled(page.timeline, "timelineScroll")
        self.player_area = scrolled(page.player, "playerScroll")
        self.export_area = scrolled(page.export_panel, "exportScroll")
        self.top_splitter = QSplitter(Qt.Orientation.Horizontal)
        self.top_splitter.setObjectName("exploreTopSplitter")
        self.top_splitter.setChildrenCollapsible(False)
        self.side_tabs = QTabWidget()
        self.side_tabs.setObjectName("exploreSideTabs")
        self.side_tabs.setDocumentMode(True)
        self.bottom_splitter = QSplitter(Qt.Orientation.Horizontal)
        self.bottom_splitter.setObjectName("exploreBottomSplitter")
        self.bottom_splitter.setChildrenCollapsible(False)
        self.play_tabs = QTabWidget()
        self.play_tabs.setObjectName("explorePlayTabs")
        self.play_tabs.setDocumentMode(True)
        self.body_splitter = QSplitter(Qt.Orientation.Vertical)
        self.body_splitter.setObjectName("exploreBodySplitter")
        self.body_splitter.setChildrenCollapsible(False)
        self.body_splitter.addWidget(self.top_splitter)
        self.body_splitter.addWidget(self.bottom_splitter)
        self.body_splitter.setStretchFactor(0, 3)
        self.body_splitter.setStretchFactor(1, 2)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.body_splitter)
        self.arrange(True, 1300)

    def arrange(self, wide: bool, width: int) -> None:
        """Put every panel where it belongs for this width (nothing moves while the mode stays)."""
        if wide == self.wide:
            return
        self.wide = wide
        p = self.page
        for tabs in (self.side_tabs, self.play_tabs):
            while tabs.count():
                tabs.removeTab(0)  # the panel stays alive; the splitter below takes it
        if wide:
            top = [p.runs_panel, p.browser, self.favourites_area, self.side_tabs]
            bottom = [self.timeline_area, self.player_area, self.export_area, self.play_tabs]
            top_sizes = [180, (width - 180) * 3 // 5, (width - 180) * 2 // 5, 0]
            bottom_sizes = [width * 3 // 6, width * 2 // 6, width // 6, 0]
        else:
            self.side_tabs.addTab(self.favourites_area, "Selected")
            self.side_tabs.addTab(p.runs_panel, "Runs")
            self.play_tabs.addTab(self.player_area, "Player")
            self.play_tabs.addTab(self.export_area, "Export")
            top = [p.browser, self.side_tabs]
            bottom = [self.timeline_area, self.play_tabs]
            top_sizes = [width * 5 // 8, width * 3 // 8]
            bottom_sizes = [width * 3 // 5, width * 2 // 5]
        for splitter, widgets, sizes in ((self.top_splitter, top, top_sizes),
                                         (self.bottom_splitter, bottom, bottom_sizes)):
            for i, w in enumerate(widgets):
                splitter.insertWidget(i, w)
                w.show()
            for i in range(splitter.count()):
                splitter.setStretchFactor(i, 0 if sizes[i:i + 1] in ([180], [0], []) else 1)
            splitter.setSizes(sizes + [0] * (splitter.count() - len(sizes)))
        for tabs in (self.side_tabs, self.play_tabs):
            tabs.setVisible(not wide)
            if not wide:  # nothing open yet: the runs to pick from come first
                tabs.setCurrentIndex(1 if tabs is self.side_tabs and not p.has_generator() else 0)

    def show_selected(self) -> None:
        """Bring the selected sample forward (a no-op where it has its own column)."""
        self.side_tabs.setCurrentWidget(self.favourites_area)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        """Ask only for the smallest useful height: the page's scroll area lays out at the height its content
        prefers (a wrapped header line makes it ask), so a taller wish here would scroll the whole page on a
        laptop when the panels can share the screen instead. The body still takes all the room there is."""
        return QSize(super().sizeHint().width(), self.minimumSizeHint().height())

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        width = event.size().width()
        self.arrange(width >= WIDE_BODY_PX, width)
        super().resizeEvent(event)


def build_layout(page) -> None:
    """Arrange the parts the page has made: header, banners, the adaptive body, a notice line below. The page
    scrolls only downwards, and only where the screen is shorter than the panels' smallest useful height."""
    page.body = AdaptiveBody(page)
    page.top_splitter = page.body.top_splitter
    page.body_splitter = page.body.body_splitter

    page.notice_label = QLabel("")
    page.notice_label.setObjectName("noticeLine")

    content = QWidget()
    content.setObjectName("exploreContent")
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
    outer.addWidget(page.body, 1)
    outer.addWidget(page.notice_label)
