"""Where everything sits on the Gallery page: title and search, filter chips and action buttons, the
message line, the grid (or the empty-state card), and the status line with Refresh / Change workspace.

One function, so the look can be changed in one place; the page calls it once and wires the signals.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QBoxLayout,
    QButtonGroup,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from studio.ui.gallery.actions import ACTION_KEYS
from studio.ui.gallery.delegate import CELL, GalleryDelegate
from studio.ui.gallery.model import FILTERS

if TYPE_CHECKING:
    from studio.ui.gallery.page import GalleryPage

__all__ = ["build_layout"]



def build_layout(page: GalleryPage) -> None:
    """Make the page's widgets (as attributes of ``page``), lay them out and connect them to its slots."""
    title = QLabel("Gallery")
    title.setObjectName("galleryTitle")
    subtitle = QLabel("Everything you made, newest first — each with its recipe.")
    subtitle.setObjectName("gallerySubtitle")
    page.search_box = QLineEdit()
    page.search_box.setObjectName("gallerySearch")
    page.search_box.setPlaceholderText("Search by name")
    page.search_box.setToolTip("Show only what has these words in its name or file name")
    page.search_box.setClearButtonEnabled(True)
    page.search_box.setMinimumWidth(220)
    page.search_box.setMaximumWidth(320)
    page.search_box.textChanged.connect(page._on_search)
    head = QHBoxLayout()
    titles = QVBoxLayout()
    titles.setSpacing(0)
    titles.addWidget(title)
    titles.addWidget(subtitle)
    head.addLayout(titles, 1)
    head.addWidget(page.search_box, 0, Qt.AlignmentFlag.AlignBottom)

    page.filter_group = QButtonGroup(page)
    page.filter_group.setExclusive(True)
    page.filter_buttons: dict[str, QPushButton] = {}
    filters = QHBoxLayout()
    filters.setSpacing(6)
    for key, text, _kind in FILTERS:
        b = QPushButton(text)
        b.setObjectName("galleryFilter")
        b.setToolTip(f"Show {text.lower()}" if key != "all" else "Show everything")
        b.setCheckable(True)
        b.setProperty("filterKey", key)
        page.filter_group.addButton(b)
        page.filter_buttons[key] = b
        filters.addWidget(b)
    page.filter_buttons["all"].setChecked(True)
    page.filter_group.buttonClicked.connect(page._on_filter_clicked)
    filters.addStretch(1)

    actions = QHBoxLayout()
    actions.setSpacing(6)
    actions.setContentsMargins(0, 0, 0, 0)
    actions.addStretch(1)
    for key in ACTION_KEYS:
        actions.addWidget(page.action_buttons[key])
    page._bar = QBoxLayout(QBoxLayout.Direction.LeftToRight)  # one row; two when the page is narrow
    page._bar.setSpacing(8)
    page._bar.addLayout(filters, 1)
    page._bar.addLayout(actions, 0)

    page.message_frame = QFrame()
    page.message_frame.setObjectName("galleryMessage")
    page.message_label = QLabel("")
    page.message_label.setWordWrap(True)
    page.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    dismiss = QPushButton("Dismiss")
    dismiss.setToolTip("Hide this message")
    dismiss.clicked.connect(page.message_frame.hide)
    ml = QHBoxLayout(page.message_frame)
    ml.setContentsMargins(10, 6, 8, 6)
    ml.addWidget(page.message_label, 1)
    ml.addWidget(dismiss)
    page.message_frame.hide()

    page.view = QListView()
    page.view.setObjectName("galleryGrid")
    page.view.setViewMode(QListView.ViewMode.IconMode)
    page.view.setResizeMode(QListView.ResizeMode.Adjust)
    page.view.setMovement(QListView.Movement.Static)
    page.view.setFlow(QListView.Flow.LeftToRight)
    page.view.setWrapping(True)
    page.view.setUniformItemSizes(True)
    page.view.setGridSize(CELL)
    page.view.setSpacing(0)
    page.view.setLayoutMode(QListView.LayoutMode.SinglePass)
    page.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
    page.view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
    page.view.verticalScrollBar().setSingleStep(40)
    page.view.setMouseTracking(True)
    page.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
    page.view.customContextMenuRequested.connect(page._context_menu)
    page.view.setItemDelegate(GalleryDelegate(page.view))
    page.view.setModel(page.proxy)
    page.view.activated.connect(page._on_activated)
    page.view.selectionModel().selectionChanged.connect(page._update_actions)
    page.item_actions.install_shortcuts(page.view)
    page.view.installEventFilter(page)

    page.empty = QFrame()
    page.empty.setObjectName("galleryEmpty")
    page.empty.setMaximumWidth(640)
    page.empty_title = QLabel("Nothing here yet")
    page.empty_title.setObjectName("emptyTitle")
    page.empty_text = QLabel("")
    page.empty_text.setWordWrap(True)
    page.empty_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    page.empty_button = QPushButton("Clear the search")
    page.empty_button.setToolTip("Show everything again")
    page.empty_button.clicked.connect(page.clear_filters)
    el = QVBoxLayout(page.empty)
    el.setContentsMargins(30, 26, 30, 26)
    el.setSpacing(12)
    el.addWidget(page.empty_title)
    el.addWidget(page.empty_text)
    el.addWidget(page.empty_button, 0, Qt.AlignmentFlag.AlignLeft)
    empty_page = QWidget()
    ep = QVBoxLayout(empty_page)
    ep.addStretch(1)
    row = QHBoxLayout()
    row.addStretch(1)
    row.addWidget(page.empty, 10)
    row.addStretch(1)
    ep.addLayout(row)
    ep.addStretch(2)
    page.stack = QStackedWidget()
    page.stack.addWidget(page.view)
    page.stack.addWidget(empty_page)

    page.status_label = QLabel("")
    page.status_label.setObjectName("galleryStatus")
    page.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    page.status_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    page.change_button = QPushButton("Change workspace…")
    page.change_button.setObjectName("changeWorkspace")
    page.change_button.setToolTip("Choose the folder where runs, artworks and animations are kept")
    page.change_button.clicked.connect(page.choose_workspace)
    page.refresh_button = QPushButton("Refresh")
    page.refresh_button.setObjectName("galleryRefresh")
    page.refresh_button.setToolTip("Look in the workspace again for new or changed files")
    page.refresh_button.clicked.connect(page.refresh)
    foot = QHBoxLayout()
    foot.addWidget(page.status_label, 1)
    foot.addWidget(page.refresh_button)
    foot.addWidget(page.change_button)

    lay = QVBoxLayout(page)
    lay.setContentsMargins(24, 18, 24, 14)
    lay.setSpacing(10)
    lay.addLayout(head)
    lay.addLayout(page._bar)
    lay.addWidget(page.message_frame)
    lay.addWidget(page.stack, 1)
    lay.addLayout(foot)
