"""Where everything sits on the Train page, and how it rearranges when the right-hand area is narrow.

Left: pictures and settings in a scroll area. Right: run controls, state, banners and health cards above
plots and samples (side by side when there is room, plots over samples when there is not). The page calls
``build_layout`` once and ``set_narrow`` from its resize handling; the look is changed here only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QBoxLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from studio.ui.widgets.dataset_panel import DatasetPanel
from studio.ui.widgets.health_panel import HealthPanel
from studio.ui.widgets.sample_viewer import SampleViewer
from studio.ui.widgets.settings_panel import TrainSettingsPanel
from studio.ui.widgets.training_plots import TrainingPlots

if TYPE_CHECKING:
    from studio.ui.train.page import TrainPage

__all__ = ["NARROW_BELOW_PX", "build_layout", "set_narrow", "share_body"]

NARROW_BELOW_PX = 660  # right-hand area narrower than this: plots above samples

# Rules for this page's own object names (the app's style.qss styles the shell and common controls).


def build_layout(page: TrainPage) -> None:
    """Make the page's widgets (as attributes of ``page``) and lay them out; the page wires the signals."""
    # --- left: pictures + settings, scrollable
    page.dataset = DatasetPanel(page)
    page.settings = TrainSettingsPanel(page)
    left_inner = QWidget()
    left_inner.setObjectName("trainSettingsColumn")
    lv = QVBoxLayout(left_inner)
    lv.setContentsMargins(10, 10, 10, 10)
    lv.setSpacing(8)
    lv.addWidget(section_title(page, "1 · Pictures"))
    lv.addWidget(page.dataset)
    lv.addSpacing(6)
    lv.addWidget(section_title(page, "2 · Model and settings"))
    lv.addWidget(page.settings)
    lv.addStretch(1)
    page.left_scroll = QScrollArea(page)
    page.left_scroll.setObjectName("trainLeftScroll")
    page.left_scroll.setWidgetResizable(True)
    page.left_scroll.setFrameShape(QFrame.Shape.NoFrame)
    page.left_scroll.setWidget(left_inner)
    page.left_scroll.setMinimumWidth(312)
    page.left_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

    # --- right header: run controls and state
    page.start_button = QPushButton("Start training", page)
    page.start_button.setObjectName("startTraining")
    page.start_button.setAutoDefault(False)
    page.pause_button = QPushButton("Pause", page)
    page.pause_button.setObjectName("pauseTraining")
    page.pause_button.setToolTip("Pause training; nothing is lost. Resume carries on where it paused.")
    page.stop_button = QPushButton("Stop", page)
    page.stop_button.setObjectName("stopTraining")
    page.stop_button.setToolTip("Stop training and save a checkpoint, so the run can be continued later.")
    page.resume_run_button = QPushButton("Resume a run…", page)
    page.resume_run_button.setObjectName("resumeRun")
    page.resume_run_button.setToolTip("Continue an earlier run exactly where its last checkpoint left off.")

    page.state_label = QLabel("", page)
    page.state_label.setObjectName("trainState")
    page.state_label.setWordWrap(True)
    page.progress_bar = QProgressBar(page)
    page.progress_bar.setObjectName("trainProgress")
    page.progress_bar.setTextVisible(False)
    page.progress_bar.setMaximumHeight(6)
    page.start_hint = QLabel("", page)
    page.start_hint.setObjectName("hint")
    page.start_hint.setWordWrap(True)
    page.notice_label = QLabel("", page)
    page.notice_label.setObjectName("noticeLine")
    page.notice_label.setWordWrap(True)
    page.notice_label.hide()

    page.resume_banner = QFrame(page)
    page.resume_banner.setObjectName("resumeBanner")
    page.resume_text = QLabel("", page.resume_banner)
    page.resume_text.setWordWrap(True)
    page.new_run_button = QPushButton("New run instead", page.resume_banner)
    page.new_run_button.setToolTip("Forget the run picked to continue; Start begins a fresh run.")
    rb = QHBoxLayout(page.resume_banner)
    rb.setContentsMargins(8, 4, 8, 4)
    rb.addWidget(page.resume_text, 1)
    rb.addWidget(page.new_run_button)
    page.resume_banner.hide()

    page.error_banner = QFrame(page)
    page.error_banner.setObjectName("errorBanner")
    page.error_text = QLabel("", page.error_banner)
    page.error_text.setObjectName("errorText")
    page.error_text.setWordWrap(True)
    page.error_details_button = QPushButton("Details…", page.error_banner)
    page.error_close_button = QPushButton("Dismiss", page.error_banner)
    page.error_details_button.setToolTip("The full technical details of what went wrong")
    page.error_close_button.setToolTip("Hide this message")
    eb = QHBoxLayout(page.error_banner)
    eb.setContentsMargins(8, 4, 8, 4)
    eb.addWidget(page.error_text, 1)
    eb.addWidget(page.error_details_button)
    eb.addWidget(page.error_close_button)
    page.error_banner.hide()

    buttons = QHBoxLayout()
    buttons.setSpacing(6)
    buttons.addWidget(page.start_button)
    buttons.addWidget(page.pause_button)
    buttons.addWidget(page.stop_button)
    buttons.addSpacing(12)
    buttons.addWidget(page.resume_run_button)
    buttons.addStretch(1)

    header = QWidget(page)
    header.setObjectName("trainHeader")
    hv = QVBoxLayout(header)
    hv.setContentsMargins(0, 0, 0, 0)
    hv.setSpacing(4)
    hv.addLayout(buttons)
    hv.addWidget(page.start_hint)
    hv.addWidget(page.resume_banner)
    hv.addWidget(page.state_label)
    hv.addWidget(page.progress_bar)
    hv.addWidget(page.error_banner)
    hv.addWidget(page.notice_label)
    page.health_panel = HealthPanel(page)
    hv.addWidget(page.health_panel)

    # --- right body: plots over samples
    page.plots = TrainingPlots(page)
    page.samples = SampleViewer(page)
    page.save_grid_button = QPushButton("Save grid as PNG…", page)
    page.save_grid_button.setObjectName("saveGrid")
    page.save_grid_button.setToolTip("Save the sample grid on show, with its recipe inside the PNG.")
    page.gif_button = QPushButton("Timelapse GIF…", page)
    page.gif_button.setObjectName("timelapseGif")
    page.gif_button.setToolTip("An animation of every sample grid of this run: watch it learn.")
    page.export_button = QPushButton("Export generator…", page)
    page.export_button.setObjectName("exportGenerator")
    page.export_button.setToolTip("Save the trained generator (newest checkpoint) to explore and "
                                  "animate it later, or share it.")
    page.explore_button = QPushButton("Explore this run", page)
    page.explore_button.setObjectName("exploreRun")
    page.explore_button.setToolTip("Open the run on the Explore page (its newest checkpoint): browse the samples its "
                                   "critic chooses, star favourites, make a latent-walk animation.")
    page.open_folder_button = QPushButton("Open run folder", page)
    page.open_folder_button.setObjectName("openRunFolder")
    page.open_folder_button.setToolTip("Show this run's files: settings, curves, samples, checkpoints.")
    page.exports = QGridLayout()
    page.exports.setSpacing(6)
    page.sample_box = QWidget(page)
    page.sample_box_layout = QBoxLayout(QBoxLayout.Direction.TopToBottom, page.sample_box)
    page.sample_box_layout.setContentsMargins(6, 0, 0, 0)
    page.sample_box_layout.addWidget(page.samples, 1)
    page.sample_box_layout.addLayout(page.exports)

    page.body_splitter = QSplitter(page)
    page.body_splitter.setObjectName("trainBodySplitter")
    page.body_splitter.addWidget(page.plots)
    page.body_splitter.addWidget(page.sample_box)
    page.body_splitter.setChildrenCollapsible(False)
    page.body_splitter.setStretchFactor(0, 5)
    page.body_splitter.setStretchFactor(1, 4)
    page._narrow: bool | None = None
    set_narrow(page, False)

    right = QWidget(page)
    page.right_area = right
    right.installEventFilter(page)
    rv = QVBoxLayout(right)
    rv.setContentsMargins(6, 10, 10, 10)
    rv.setSpacing(6)
    rv.addWidget(header)
    rv.addWidget(page.body_splitter, 1)

    page.main_splitter = QSplitter(page)
    page.main_splitter.setObjectName("trainMainSplitter")
    page.main_splitter.addWidget(page.left_scroll)
    page.main_splitter.addWidget(right)
    page.main_splitter.setChildrenCollapsible(False)
    page.main_splitter.setStretchFactor(0, 0)
    page.main_splitter.setStretchFactor(1, 1)
    page.main_splitter.setSizes([380, 900])
    layout = QVBoxLayout(page)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(page.main_splitter)



def section_title(page: TrainPage, text: str) -> QLabel:
    label = QLabel(text, page)
    label.setObjectName("sectionTitle")
    label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
    return label


def set_narrow(page: TrainPage, narrow: bool) -> None:
    """Side by side when there is room; plots over samples (controls beside them) when there is not."""
    if narrow == page._narrow:
        return
    page._narrow = narrow
    buttons = (page.explore_button, page.save_grid_button, page.gif_button, page.export_button,
               page.open_folder_button)
    for b in buttons:
        page.exports.removeWidget(b)
    for i, b in enumerate(buttons):
        page.exports.addWidget(b, *((i, 0) if narrow else divmod(i, 2)))
    page.exports.setRowStretch(len(buttons), 1 if narrow else 0)
    page.sample_box_layout.setDirection(QBoxLayout.Direction.LeftToRight if narrow
                                        else QBoxLayout.Direction.TopToBottom)
    page.body_splitter.setOrientation(Qt.Orientation.Vertical if narrow else Qt.Orientation.Horizontal)
    page.plots.set_compact(narrow)
    share_body(page)


def share_body(page: TrainPage) -> None:
    """Give plots and samples their proportions of the body (after a size or orientation change)."""
    narrow = bool(page._narrow)
    total = max(2, (page.body_splitter.height() if narrow else page.body_splitter.width()))
    first = int(total * (0.5 if narrow else 0.55))
    page.body_splitter.setSizes([first, total - first])

