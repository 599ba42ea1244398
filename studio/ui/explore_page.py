"""The Explore page: open a trained generator, browse its pictures, star favourites, arrange them on a
timeline, preview the latent walk and export it as a GIF, MP4 or PNG frames.

All model work (loading, rendering the grid, rendering the walk) runs as engine Jobs on one render
JobRunner, one at a time, so the generator is only ever used by one thread; requests that arrive while
it is busy wait in a small queue that keeps only the newest request of each kind. Exports run on their
own runner (WalkExportJob opens its own copy of the generator). Results that belong to a generator that
has since been replaced are dropped.
"""

from __future__ import annotations

import json
import random
import re
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QCoreApplication, QSize, Qt, QTimer, QUrl
from PySide6.QtGui import QDesktopServices, QIcon, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSlider,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from studio.ui.job_runner import JobRunner
from studio.ui.qimage import to_pixmap
from studio.ui.widgets.explore_grid import SampleGrid
from studio.ui.widgets.explore_lists import ROLE, FavouritesStrip, KeyframeStrip
from studio.ui.widgets.image_view import ImageView

FAVOURITES_FORMAT = "gan-art-studio/favourites"
PLAIN_ERRORS = ("CheckpointError", "ExportError", "TimelineError", "DeviceUnavailable", "ValueError")
GRID_ROWS, GRID_COLUMNS = 4, 4
MIN_CONTENT = QSize(1000, 660)
WALK_CACHE = 6  # rendered walks kept (by timeline), so undoing an edit or toggling back is instant
EXPORT_FORMATS = (("GIF", "gif", ".gif"), ("MP4 video", "mp4", ".mp4"), ("PNG frames", "png-sequence", ""))
EASING_TITLES = {"linear": "Linear", "ease-in-out": "Ease in-out", "ease-in": "Ease in", "ease-out": "Ease out",
                 "smoothstep": "Smoothstep", "hold": "Hold"}

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


class ExploreJob:
    """A model task for the render runner: ``fn(ctx)`` runs in the worker thread."""

    def __init__(self, kind: str, title: str, fn: Callable[[Any], Any], token: int) -> None:
        self.kind = kind
        self.title = title
        self.token = token
        self._fn = fn

    def run(self, ctx) -> Any:
        ctx.progress(0, None, self.title)
        return self._fn(ctx)


def plain_message(message: str) -> str:
    text = message or "Unknown error"
    m = re.match(r"^(\w+): (.*)$", text, re.S)
    return m.group(2) if m and m.group(1) in PLAIN_ERRORS else text


def favourites_path(source: Path) -> Path:
    """Favourites live with the generator: ``<run>/favourites.json`` or ``<generator>.favourites.json``."""
    source = Path(source)
    if source.is_dir():
        return source / "favourites.json"
    return source.with_suffix(".favourites.json")


def load_favourites(path: Path) -> list[dict]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    if not isinstance(data, dict) or data.get("format") != FAVOURITES_FORMAT:
        return []
    out = []
    for entry in data.get("items", []):
        if isinstance(entry, dict) and isinstance(entry.get("seed"), int) and not isinstance(entry["seed"], bool):
            out.append({"seed": int(entry["seed"]), "label": str(entry.get("label") or f"seed {entry['seed']}")})
    return out


def _icon(image: np.ndarray | None) -> QIcon:
    return QIcon(to_pixmap(image)) if image is not None else QIcon()


class ExplorePage(QWidget):
    """See the module docstring."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("explorePage")
        self.render_runner = JobRunner(self)
        self.export_runner = JobRunner(self)
        self._generator = None  # nn.Module, used only inside render jobs
        self._info = None  # GeneratorInfo
        self._source: Path | None = None
        self._token = 0  # bumped on every open; results from older generators are dropped
        self._opening = False
        self._current_job: ExploreJob | None = None
        self._pending: OrderedDict[str, ExploreJob] = OrderedDict()
        self._grid_images: list[np.ndarray] = []
        self._thumbs: dict[int, np.ndarray] = {}
        self._walk_cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._frames: np.ndarray | None = None
        self._frames_key: str | None = None
        self._play_after_render = False
        self._last_export: Path | None = None
        self._rng = random.Random()

        self._grid_timer = QTimer(self)  # slider drags re-render the grid once they settle
        self._grid_timer.setSingleShot(True)
        self._grid_timer.setInterval(250)
        self._grid_timer.timeout.connect(self._render_grid_again)
        self._walk_timer = QTimer(self)  # timeline edits re-render the preview once they settle
        self._walk_timer.setSingleShot(True)
        self._walk_timer.setInterval(300)
        self._walk_timer.timeout.connect(self.render_preview)
        self.play_timer = QTimer(self)
        self.play_timer.timeout.connect(self._advance_frame)

        self._build()
        self.setStyleSheet(PAGE_QSS)
        self._connect()
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self._on_about_to_quit)
        self.refresh_runs()
        self._update_controls()

    # ================================================================================ construction
    def _section(self, text: str) -> QLabel:
        label = QLabel(text)
        label.setObjectName("sectionTitle")
        return label

    def _build(self) -> None:
        # --- header: open buttons and what is open
        self.open_file_button = QPushButton("Open generator…")
        self.open_file_button.setObjectName("openGenerator")
        self.open_file_button.setToolTip("Open an exported generator (.safetensors with its .json)")
        self.open_run_button = QPushButton("Open run folder…")
        self.open_run_button.setObjectName("openRunFolder")
        self.open_run_button.setToolTip("Open the newest checkpoint of a training run")
        self.generator_label = QLabel("No generator open. Pick a run on the left or open a generator file.")
        self.generator_label.setObjectName("generatorLabel")
        self.generator_label.setWordWrap(True)
        self.render_progress = QProgressBar()
        self.render_progress.setObjectName("renderProgress")
        self.render_progress.setFixedWidth(120)
        self.render_progress.setTextVisible(False)
        self.render_progress.hide()
        self.render_label = QLabel("")
        self.render_label.setObjectName("hint")
        header = QHBoxLayout()
        header.setSpacing(8)
        header.addWidget(self.open_file_button)
        header.addWidget(self.open_run_button)
        header.addSpacing(8)
        header.addWidget(self.generator_label, 1)
        header.addWidget(self.render_label)
        header.addWidget(self.render_progress)

        # --- banners
        self.error_banner = QFrame(self)
        self.error_banner.setObjectName("errorBanner")
        self.error_text = QLabel("", self.error_banner)
        self.error_text.setObjectName("errorText")
        self.error_text.setWordWrap(True)
        self.error_close_button = QPushButton("Dismiss", self.error_banner)
        eb = QHBoxLayout(self.error_banner)
        eb.setContentsMargins(8, 4, 8, 4)
        eb.addWidget(self.error_text, 1)
        eb.addWidget(self.error_close_button)
        self.error_banner.hide()

        self.result_banner = QFrame(self)
        self.result_banner.setObjectName("resultBanner")
        self.result_text = QLabel("", self.result_banner)
        self.result_text.setObjectName("resultText")
        self.result_text.setWordWrap(True)
        self.result_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.show_result_button = QPushButton("Show in folder", self.result_banner)
        self.result_close_button = QPushButton("Dismiss", self.result_banner)
        rb = QHBoxLayout(self.result_banner)
        rb.setContentsMargins(8, 4, 8, 4)
        rb.addWidget(self.result_text, 1)
        rb.addWidget(self.show_result_button)
        rb.addWidget(self.result_close_button)
        self.result_banner.hide()

        # --- runs column
        self.runs_list = QListWidget()
        self.runs_list.setObjectName("runsList")
        self.runs_list.setIconSize(QSize(44, 44))
        self.runs_list.setSpacing(2)
        self.runs_list.setToolTip("Click a run to open its newest checkpoint")
        self.runs_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.runs_list.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.runs_list.setWordWrap(False)
        self.runs_hint = QLabel("No runs yet: train one on the Train page.")
        self.runs_hint.setObjectName("hint")
        self.runs_hint.setWordWrap(True)
        self.refresh_runs_button = QPushButton("Refresh")
        self.refresh_runs_button.setObjectName("refreshRuns")
        runs_col = QWidget()
        runs_col.setMinimumWidth(170)
        rc = QVBoxLayout(runs_col)
        rc.setContentsMargins(0, 0, 6, 0)
        rc.setSpacing(6)
        rc.addWidget(self._section("Your runs"))
        rc.addWidget(self.runs_list, 1)
        rc.addWidget(self.runs_hint)
        rc.addWidget(self.refresh_runs_button)

        # --- browse column
        self.new_batch_button = QPushButton("New batch")
        self.new_batch_button.setObjectName("newBatch")
        self.new_batch_button.setToolTip("Show sixteen new random samples")
        self.seed_spin = QSpinBox()
        self.seed_spin.setObjectName("seedField")
        self.seed_spin.setRange(0, 2**31 - 1)
        self.seed_spin.setPrefix("seed ")
        self.seed_spin.setToolTip("Type a seed and press Enter to see that sample")
        self.show_seed_button = QPushButton("Show")
        self.show_seed_button.setObjectName("showSeed")
        self.truncation_slider = QSlider(Qt.Orientation.Horizontal)
        self.truncation_slider.setObjectName("truncationSlider")
        self.truncation_slider.setRange(0, 90)
        self.truncation_slider.setValue(0)
        self.truncation_slider.setFixedWidth(110)
        self.truncation_slider.setToolTip("Pull samples toward the average picture: safer, less varied (0 = off)")
        self.truncation_label = QLabel()
        self.truncation_label.setObjectName("caption")
        self.truncation_label.setMinimumWidth(36)
        tools = QHBoxLayout()
        tools.setSpacing(6)
        tools.addWidget(self.new_batch_button)
        tools.addWidget(self.seed_spin)
        tools.addWidget(self.show_seed_button)
        tools.addSpacing(8)
        calm = QLabel("Calmer")
        calm.setObjectName("caption")
        tools.addWidget(calm)
        tools.addWidget(self.truncation_slider)
        tools.addWidget(self.truncation_label)
        tools.addStretch(1)
        self.seed_spin.setFixedWidth(120)
        self.truncation_slider.setFixedWidth(90)
        for b in (self.new_batch_button, self.show_seed_button):
            b.setMinimumWidth(b.sizeHint().width())
        self.grid = SampleGrid(GRID_ROWS, GRID_COLUMNS, 56)
        browse_col = QWidget()
        bc = QVBoxLayout(browse_col)
        bc.setContentsMargins(6, 0, 6, 0)
        bc.setSpacing(6)
        bc.addLayout(tools)
        bc.addWidget(self.grid, 1)

        # --- preview + favourites column
        self.preview_view = ImageView(placeholder="Click a sample to see it large", min_size=QSize(140, 140))
        self.preview_view.setObjectName("samplePreview")
        self.preview_caption = QLabel("")
        self.preview_caption.setObjectName("caption")
        self.star_button = QPushButton("☆ Favourite")
        self.star_button.setObjectName("starSelected")
        self.star_button.setToolTip("Star the selected sample (F)")
        self.favourites = FavouritesStrip(52)
        self.favourites.setToolTip("Drag to reorder; drag onto the timeline to make keyframes")
        self.unstar_button = QPushButton("Remove")
        self.unstar_button.setObjectName("removeFavourite")
        self.unstar_button.setToolTip("Remove the selected favourites")
        self.add_key_button = QPushButton("Add to timeline")
        self.add_key_button.setObjectName("addKeyframes")
        self.add_key_button.setToolTip("Append the selected favourites (all, if none is selected) as keyframes")
        pc_row = QHBoxLayout()
        pc_row.addWidget(self.preview_caption, 1)
        pc_row.addWidget(self.star_button)
        fav_row = QHBoxLayout()
        fav_row.addWidget(self._section("Favourites"), 1)
        fav_row.addWidget(self.unstar_button)
        fav_row.addWidget(self.add_key_button)
        side_col = QWidget()
        sc = QVBoxLayout(side_col)
        sc.setContentsMargins(6, 0, 0, 0)
        sc.setSpacing(6)
        sc.addWidget(self.preview_view, 1)
        sc.addLayout(pc_row)
        sc.addLayout(fav_row)
        sc.addWidget(self.favourites)

        self.top_splitter = QSplitter(Qt.Orientation.Horizontal)
        self.top_splitter.setObjectName("exploreTopSplitter")
        self.top_splitter.setChildrenCollapsible(False)
        for w in (runs_col, browse_col, side_col):
            self.top_splitter.addWidget(w)
        self.top_splitter.setStretchFactor(0, 0)
        self.top_splitter.setStretchFactor(1, 3)
        self.top_splitter.setStretchFactor(2, 2)
        self.top_splitter.setSizes([180, 500, 330])

        # --- timeline
        self.keyframes = KeyframeStrip(52)
        self.keyframes.setToolTip("Keyframes in order. Drag to reorder; drop favourites here.")
        self.move_left_button = QPushButton("◀")
        self.move_left_button.setObjectName("moveKeyLeft")
        self.move_left_button.setToolTip("Move the keyframe earlier (Ctrl+Left)")
        self.move_right_button = QPushButton("▶")
        self.move_right_button.setObjectName("moveKeyRight")
        self.move_right_button.setToolTip("Move the keyframe later (Ctrl+Right)")
        for b in (self.move_left_button, self.move_right_button):
            b.setFixedWidth(34)
        self.duplicate_button = QPushButton("Duplicate")
        self.duplicate_button.setObjectName("duplicateKeyframe")
        self.remove_key_button = QPushButton("Remove")
        self.remove_key_button.setObjectName("removeKeyframe")
        self.segment_label = QLabel("")
        self.segment_label.setObjectName("caption")
        self.frames_spin = QSpinBox()
        self.frames_spin.setObjectName("segmentFrames")
        self.frames_spin.setRange(1, 600)
        self.frames_spin.setValue(24)
        self.frames_spin.setSuffix(" frames")
        self.easing_combo = QComboBox()
        self.easing_combo.setObjectName("segmentEasing")
        from studio.engine.latent.easing import EASINGS

        for name in EASINGS:
            self.easing_combo.addItem(EASING_TITLES.get(name, name), name)
        self.interp_combo = QComboBox()
        self.interp_combo.setObjectName("segmentInterp")
        self.interp_combo.addItem("Slerp (sphere)", "slerp")
        self.interp_combo.addItem("Lerp (straight)", "lerp")
        self.interp_combo.setToolTip("Slerp keeps pictures lively between keyframes; lerp passes near the average")
        self.loop_check = QCheckBox("Seamless loop")
        self.loop_check.setObjectName("loopSwitch")
        self.loop_check.setToolTip("The last keyframe returns to the first, with no jump at the seam")
        self.fps_spin = QDoubleSpinBox()
        self.fps_spin.setObjectName("fpsField")
        self.fps_spin.setRange(1, 60)
        self.fps_spin.setDecimals(0)
        self.fps_spin.setValue(24)
        self.fps_spin.setSuffix(" fps")
        self.timeline_summary = QLabel("Add favourites to the timeline to make an animation.")
        self.timeline_summary.setObjectName("hint")
        key_buttons = QHBoxLayout()
        key_buttons.setSpacing(6)
        key_buttons.addWidget(self.move_left_button)
        key_buttons.addWidget(self.move_right_button)
        key_buttons.addWidget(self.duplicate_button)
        key_buttons.addWidget(self.remove_key_button)
        key_buttons.addSpacing(10)
        key_buttons.addWidget(self.loop_check)
        key_buttons.addWidget(self.fps_spin)
        key_buttons.addStretch(1)
        seg_row = QHBoxLayout()
        seg_row.setSpacing(6)
        seg_row.addWidget(self.segment_label)
        seg_row.addWidget(self.frames_spin)
        seg_row.addWidget(self.easing_combo)
        seg_row.addWidget(self.interp_combo)
        seg_row.addStretch(1)
        timeline_panel = QFrame()
        timeline_panel.setObjectName("timelinePanel")
        tp = QVBoxLayout(timeline_panel)
        tp.setContentsMargins(10, 8, 10, 8)
        tp.setSpacing(6)
        title_row = QHBoxLayout()
        title_row.addWidget(self._section("Timeline"))
        title_row.addWidget(self.timeline_summary, 1)
        tp.addLayout(title_row)
        tp.addWidget(self.keyframes)
        tp.addLayout(key_buttons)
        tp.addLayout(seg_row)
        tp.addStretch(1)

        # --- player
        self.player_view = ImageView(placeholder="The animation plays here", min_size=QSize(120, 120))
        self.player_view.setObjectName("playerView")
        self.play_button = QPushButton("Play")
        self.play_button.setObjectName("playButton")
        self.play_button.setCheckable(True)
        self.scrub = QSlider(Qt.Orientation.Horizontal)
        self.scrub.setObjectName("scrubSlider")
        self.scrub.setRange(0, 0)
        self.frame_label = QLabel("0 / 0")
        self.frame_label.setObjectName("caption")
        self.frame_label.setMinimumWidth(60)
        self.repeat_check = QCheckBox("Repeat")
        self.repeat_check.setObjectName("repeatPlayback")
        self.repeat_check.setChecked(True)
        player_panel = QFrame()
        player_panel.setObjectName("playerPanel")
        pp = QVBoxLayout(player_panel)
        pp.setContentsMargins(10, 8, 10, 8)
        pp.setSpacing(6)
        pp.addWidget(self._section("Player"))
        pp.addWidget(self.player_view, 1)
        prow = QHBoxLayout()
        prow.addWidget(self.play_button)
        prow.addWidget(self.scrub, 1)
        prow.addWidget(self.frame_label)
        prow.addWidget(self.repeat_check)
        pp.addLayout(prow)

        # --- export
        self.format_combo = QComboBox()
        self.format_combo.setObjectName("exportFormat")
        for title, fmt, _suffix in EXPORT_FORMATS:
            self.format_combo.addItem(title, fmt)
        self.size_spin = QSpinBox()
        self.size_spin.setObjectName("exportSize")
        self.size_spin.setRange(16, 2048)
        self.size_spin.setSingleStep(64)
        self.size_spin.setValue(256)
        self.size_spin.setSuffix(" px")
        self.size_spin.setToolTip("Output size; small models are enlarged with a smooth filter")
        self.export_button = QPushButton("Export…")
        self.export_button.setObjectName("exportWalk")
        self.export_button.setProperty("primary", True)
        self.cancel_export_button = QPushButton("Cancel")
        self.cancel_export_button.setObjectName("cancelExport")
        self.export_progress = QProgressBar()
        self.export_progress.setObjectName("exportProgress")
        self.export_progress.setTextVisible(False)
        self.export_progress.setFixedHeight(6)
        self.export_progress.hide()
        self.export_status = QLabel("")
        self.export_status.setObjectName("hint")
        self.export_status.setWordWrap(True)
        export_panel = QFrame()
        export_panel.setObjectName("exportPanel")
        export_panel.setMinimumWidth(200)
        ep = QGridLayout(export_panel)
        ep.setContentsMargins(10, 8, 10, 8)
        ep.setVerticalSpacing(6)
        ep.addWidget(self._section("Export"), 0, 0, 1, 2)
        fmt_label = QLabel("Format")
        fmt_label.setObjectName("caption")
        size_label = QLabel("Size")
        size_label.setObjectName("caption")
        ep.addWidget(fmt_label, 1, 0)
        ep.addWidget(self.format_combo, 1, 1)
        ep.addWidget(size_label, 2, 0)
        ep.addWidget(self.size_spin, 2, 1)
        ep.addWidget(self.export_button, 3, 0, 1, 2)
        ep.addWidget(self.cancel_export_button, 4, 0, 1, 2)
        ep.addWidget(self.export_progress, 5, 0, 1, 2)
        ep.addWidget(self.export_status, 6, 0, 1, 2)
        ep.setRowStretch(7, 1)

        bottom = QWidget()
        bl = QHBoxLayout(bottom)
        bl.setContentsMargins(0, 0, 0, 0)
        bl.setSpacing(8)
        bl.addWidget(timeline_panel, 3)
        bl.addWidget(player_panel, 2)
        bl.addWidget(export_panel, 1)

        self.body_splitter = QSplitter(Qt.Orientation.Vertical)
        self.body_splitter.setObjectName("exploreBodySplitter")
        self.body_splitter.setChildrenCollapsible(False)
        self.body_splitter.addWidget(self.top_splitter)
        self.body_splitter.addWidget(bottom)
        self.body_splitter.setStretchFactor(0, 3)
        self.body_splitter.setStretchFactor(1, 2)

        self.notice_label = QLabel("")
        self.notice_label.setObjectName("noticeLine")

        # Below this size the page scrolls instead of crushing tiles and buttons into each other.
        content = QWidget()
        content.setObjectName("exploreContent")
        content.setMinimumSize(MIN_CONTENT)
        self.scroll = QScrollArea(self)
        self.scroll.setObjectName("exploreScroll")
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setWidget(content)
        page_layout = QVBoxLayout(self)
        page_layout.setContentsMargins(0, 0, 0, 0)
        page_layout.addWidget(self.scroll)

        outer = QVBoxLayout(content)
        outer.setContentsMargins(16, 12, 16, 10)
        outer.setSpacing(8)
        outer.addLayout(header)
        outer.addWidget(self.error_banner)
        outer.addWidget(self.result_banner)
        outer.addWidget(self.body_splitter, 1)
        outer.addWidget(self.notice_label)
        self._update_truncation_label()

    def _connect(self) -> None:
        self.open_file_button.clicked.connect(self._ask_open_file)
        self.open_run_button.clicked.connect(self._ask_open_run)
        self.runs_list.itemClicked.connect(self._on_run_clicked)
        self.refresh_runs_button.clicked.connect(self.refresh_runs)
        self.error_close_button.clicked.connect(self.error_banner.hide)
        self.result_close_button.clicked.connect(self.result_banner.hide)
        self.show_result_button.clicked.connect(self._show_result_folder)
        self.new_batch_button.clicked.connect(self.new_batch)
        self.show_seed_button.clicked.connect(self._on_show_seed)
        self.seed_spin.lineEdit().returnPressed.connect(self._on_show_seed)
        self.truncation_slider.valueChanged.connect(self._on_truncation_changed)
        self.grid.selected.connect(self._on_sample_selected)
        self.grid.star_requested.connect(self._on_star_requested)
        self.star_button.clicked.connect(self._on_star_selected)
        self.unstar_button.clicked.connect(self.remove_selected_favourites)
        self.add_key_button.clicked.connect(self.add_selected_favourites_to_timeline)
        self.favourites.order_changed.connect(self.save_favourites)
        self.favourites.itemSelectionChanged.connect(self._update_controls)
        self.keyframes.favourites_dropped.connect(self._on_favourites_dropped)
        self.keyframes.order_changed.connect(self._on_timeline_edited)
        self.keyframes.currentRowChanged.connect(self._on_keyframe_selected)
        self.move_left_button.clicked.connect(self._move_key_left)
        self.move_right_button.clicked.connect(self._move_key_right)
        self.duplicate_button.clicked.connect(self.duplicate_keyframe)
        self.remove_key_button.clicked.connect(self.remove_keyframe)
        self.frames_spin.valueChanged.connect(self._on_segment_edited)
        self.easing_combo.currentIndexChanged.connect(self._on_segment_edited)
        self.interp_combo.currentIndexChanged.connect(self._on_segment_edited)
        self.loop_check.toggled.connect(self._on_timeline_edited)
        self.fps_spin.valueChanged.connect(self._on_fps_changed)
        self.play_button.toggled.connect(self._on_play_toggled)
        self.scrub.valueChanged.connect(self._show_frame)
        self.export_button.clicked.connect(self._ask_export)
        self.cancel_export_button.clicked.connect(self.export_runner.stop)

        r = self.render_runner
        r.progress.connect(self._on_render_progress)
        r.finished.connect(self._on_render_finished)
        r.failed.connect(self._on_render_failed)
        r.running_changed.connect(self._on_render_running)
        e = self.export_runner
        e.progress.connect(self._on_export_progress)
        e.finished.connect(self._on_export_finished)
        e.failed.connect(self._on_export_failed)
        e.running_changed.connect(self._on_export_running)

    # ================================================================================ public state
    def generator_info(self):
        return self._info

    def has_generator(self) -> bool:
        return self._generator is not None

    def is_busy(self) -> bool:
        return self.render_runner.is_running() or bool(self._pending)

    def error_message(self) -> str:
        return self.error_text.text() if self.error_banner.isVisibleTo(self) else ""

    def result_message(self) -> str:
        return self.result_text.text() if self.result_banner.isVisibleTo(self) else ""

    def truncation(self) -> float:
        """ψ for the engine: 1 = off; the slider pulls toward the mean as it moves right."""
        return round(1.0 - self.truncation_slider.value() / 100.0, 2)

    def favourite_seeds(self) -> list[int]:
        return self.favourites.seeds()

    def preview_frames(self) -> np.ndarray | None:
        return self._frames

    # ================================================================================ runs / opening
    def refresh_runs(self) -> None:
        from studio.engine.runs import RunDir, default_workspace

        self.runs_list.clear()
        root = default_workspace() / "runs"
        folders = sorted((p for p in root.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime,
                         reverse=True) if root.is_dir() else []
        for folder in folders:
            run = RunDir(folder)
            if run.latest_checkpoint() is None:
                continue
            grids = run.sample_grids()
            icon = QIcon()
            if grids:
                pm = QPixmap(str(grids[-1][1]))
                if not pm.isNull():
                    icon = QIcon(pm.scaled(88, 88, Qt.AspectRatioMode.KeepAspectRatio,
                                           Qt.TransformationMode.SmoothTransformation))
            step = grids[-1][0] if grids else None
            item = QListWidgetItem(icon, folder.name + (f"\nstep {step:,}" if step is not None else ""))
            item.setData(ROLE, str(folder))
            item.setToolTip(str(folder))
            self.runs_list.addItem(item)
        self.runs_hint.setVisible(self.runs_list.count() == 0)

    def _on_run_clicked(self, item: QListWidgetItem) -> None:
        path = item.data(ROLE)
        if path:
            self.open_generator(path)

    def _ask_open_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open generator", self._start_folder(),
                                              "GAN Art Studio generator (*.safetensors *.json);;All files (*)")
        if path:
            self.open_generator(path)

    def _ask_open_run(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Open run folder", self._start_folder())
        if path:
            self.open_generator(path)

    def _start_folder(self) -> str:
        from studio.engine.runs import default_workspace

        return str(default_workspace())

    def open_generator(self, source: str | Path) -> None:
        """Load a generator file or a run's newest checkpoint in the background."""
        source = Path(source)
        self._token += 1
        self._pending.clear()
        self._opening = True
        self.stop_playback()
        token = self._token
        self.error_banner.hide()

        def load(ctx):
            from studio.engine.device import pick_device
            from studio.engine.latent.jobs import open_generator

            return open_generator(source, pick_device("auto"))

        self._submit(ExploreJob("open", f"Opening {source.name}", load, token), source=source)

    def _install_generator(self, source: Path, generator, info) -> None:
        self._generator = generator
        self._info = info
        self._source = source
        self._opening = False
        self._thumbs.clear()
        self._walk_cache.clear()
        self._frames = None
        self._frames_key = None
        self.player_view.set_image(None)
        self.scrub.setRange(0, 0)
        self.keyframes.clear()
        step = f", step {info.step:,}" if info.step is not None else ""
        kind = "run" if source.is_dir() else "generator"
        self.generator_label.setText(f"<b>{source.name}</b> — {kind}, {info.preset}, {info.image_size} px, "
                                     f"{info.channels} channel{'s' if info.channels != 1 else ''}{step}")
        self.generator_label.setToolTip(str(source))
        self.favourites.clear()
        entries = load_favourites(favourites_path(source))
        for entry in entries:
            self.favourites.add_entry(entry, None, entry["label"])
        if entries:
            seeds = [e["seed"] for e in entries]
            self._submit_render("favs", "Drawing favourites", seeds)
        self.new_batch()
        self._update_timeline_summary()
        self._update_controls()

    # ================================================================================ render queue
    def _submit(self, job: ExploreJob, source: Path | None = None) -> None:
        job.source = source
        if self.render_runner.is_running():
            self._pending[job.kind] = job
            self._pending.move_to_end(job.kind)
            return
        self._current_job = job
        self.render_runner.start(job)

    def _submit_render(self, kind: str, title: str, seeds: list[int], psi: float | None = None) -> None:
        if self._generator is None or self._info is None:
            return
        g, dim, psi = self._generator, self._info.latent_dim, self.truncation() if psi is None else psi
        seeds = [int(s) for s in seeds]

        def render(ctx):
            from studio.engine.latent.keyframes import seed_latents, truncate
            from studio.engine.latent.render import render_frames

            z = truncate(seed_latents(seeds, dim), psi)
            return seeds, render_frames(g, z, 16, check=ctx.check)

        self._submit(ExploreJob(kind, title, render, self._token))

    def _start_next(self) -> None:
        if self.render_runner.is_running() or not self._pending:
            return
        _kind, job = self._pending.popitem(last=False)
        if job.token != self._token:
            self._start_next()
            return
        self._current_job = job
        self.render_runner.start(job)

    def _on_render_progress(self, progress) -> None:
        job = self._current_job
        if job is None:
            return
        if progress.total:
            self.render_progress.setRange(0, int(progress.total))
            self.render_progress.setValue(int(progress.step))
        else:
            self.render_progress.setRange(0, 0)
        self.render_label.setText(progress.text or job.title)

    def _on_render_finished(self, finished) -> None:
        job, self._current_job = self._current_job, None
        if job is None or finished.cancelled or finished.result is None or job.token != self._token:
            return
        result = finished.result
        if job.kind == "open":
            generator, info = result
            self._install_generator(job.source, generator, info)
        elif job.kind == "grid":
            seeds, images = result
            self._grid_images = list(images)
            for s, im in zip(seeds, images, strict=True):
                self._thumbs.setdefault(s, im)
            self.grid.set_samples(seeds, images)
            self.grid.set_starred(set(self.favourite_seeds()))
        elif job.kind == "seed":
            seeds, images = result
            self._show_single_seed(seeds[0], images[0])
        elif job.kind == "favs":
            seeds, images = result
            for s, im in zip(seeds, images, strict=True):
                self._thumbs[s] = im
            self._refresh_icons()
        elif job.kind == "walk":
            key, frames = result
            self._walk_cache[key] = frames
            while len(self._walk_cache) > WALK_CACHE:
                self._walk_cache.popitem(last=False)
            if key == self._timeline_key():
                self._set_frames(key, frames)

    def _on_render_failed(self, failed) -> None:
        job, self._current_job = self._current_job, None
        if job is None or job.token != self._token:
            return
        if job.kind == "open":
            self._opening = False
            name = job.source.name if job.source is not None else "that file"
            message = plain_message(failed.message)
            if message.startswith(f"{name}:"):  # the engine already named the file
                message = message[len(name) + 1:].strip()
            self._show_error(f"Could not open {name}: {message}")
        else:
            self._show_error(f"Rendering failed: {plain_message(failed.message)}")
        self._play_after_render = False

    def _on_render_running(self, running: bool) -> None:
        self.render_progress.setVisible(running)
        if not running:
            self.render_label.setText("")
            QTimer.singleShot(0, self._start_next)  # after this job's finished/failed slots
        self._update_controls()

    # ================================================================================ browsing
    def new_batch(self) -> None:
        seeds = [self._rng.randrange(0, 100_000) for _ in range(self.grid.count)]
        self._submit_render("grid", "Drawing samples", seeds)

    def show_seeds(self, seeds: list[int]) -> None:
        self._submit_render("grid", "Drawing samples", list(seeds)[: self.grid.count])

    def _render_grid_again(self) -> None:
        seeds = [s for s in self.grid.seeds() if s is not None]
        if seeds:
            self._submit_render("grid", "Drawing samples", seeds)

    def _on_show_seed(self) -> None:
        self.show_seed(self.seed_spin.value())

    def show_seed(self, seed: int) -> None:
        self._submit_render("seed", f"Drawing seed {seed}", [int(seed)])

    def _show_single_seed(self, seed: int, image: np.ndarray) -> None:
        """A typed seed joins the grid in front (the last sample makes room) and is selected."""
        seeds = [s for s in self.grid.seeds() if s is not None]
        images = list(self._grid_images)
        if seed in seeds:
            i = seeds.index(seed)
            del seeds[i]
            del images[i]
        seeds = [seed, *seeds][: self.grid.count]
        images = [image, *images][: self.grid.count]
        self._grid_images = images
        self._thumbs[seed] = image
        self.grid.set_samples(seeds, images)
        self.grid.set_starred(set(self.favourite_seeds()))

    def _on_truncation_changed(self, _value: int) -> None:
        self._update_truncation_label()
        self._grid_timer.start()
        self._on_timeline_edited()

    def _update_truncation_label(self) -> None:
        v = self.truncation_slider.value()
        self.truncation_label.setText("off" if v == 0 else f"{v} %")

    def _on_sample_selected(self, index: int) -> None:
        if 0 <= index < len(self._grid_images):
            seed = self.grid.tiles[index].seed
            self.preview_view.set_image(self._grid_images[index])
            self.preview_caption.setText(f"Seed {seed}")
        self._update_controls()

    # ================================================================================ favourites
    def _on_star_requested(self, index: int) -> None:
        seed = self.grid.tiles[index].seed if 0 <= index < self.grid.count else None
        if seed is not None:
            self.toggle_favourite(seed)

    def _on_star_selected(self) -> None:
        seed = self.grid.current_seed()
        if seed is not None:
            self.toggle_favourite(seed)

    def toggle_favourite(self, seed: int) -> bool:
        """Star or unstar a seed; returns True when it is now a favourite."""
        seeds = self.favourite_seeds()
        if seed in seeds:
            self.favourites.takeItem(seeds.index(seed))
            starred = False
        else:
            self.favourites.add_entry({"seed": seed, "label": f"seed {seed}"}, _icon(self._thumbs.get(seed)),
                                      f"seed {seed}")
            starred = True
        self.grid.set_starred(set(self.favourite_seeds()))
        self.save_favourites()
        self._update_controls()
        return starred

    def remove_selected_favourites(self) -> None:
        for item in self.favourites.selectedItems():
            self.favourites.takeItem(self.favourites.row(item))
        self.grid.set_starred(set(self.favourite_seeds()))
        self.save_favourites()
        self._update_controls()

    def save_favourites(self) -> None:
        if self._source is None:
            return
        from studio.engine.runs import atomic_write_json

        data = {"format": FAVOURITES_FORMAT, "version": 1,
                "generator_sha256": getattr(self._info, "sha256", ""),
                "items": [{"seed": d["seed"], "label": d.get("label", "")} for d in self.favourites.datas()]}
        path = favourites_path(self._source)
        try:
            atomic_write_json(path, data)
        except OSError as exc:
            self._show_error(f"Could not save favourites to {path}: {exc.strerror or exc}")

    def _refresh_icons(self) -> None:
        for strip in (self.favourites, self.keyframes):
            for item in strip.items():
                seed = item_seed(item)
                if seed is not None and seed in self._thumbs and item.icon().isNull():
                    item.setIcon(_icon(self._thumbs[seed]))

    # ================================================================================ timeline
    def _keyframe_entry(self, fav: dict) -> dict:
        # Linear slerp by default: steady motion, so a loop shows no pause at the keyframes or the seam.
        return {"seed": int(fav["seed"]), "label": fav.get("label") or f"seed {fav['seed']}",
                "frames": 24, "easing": "linear", "interp": "slerp"}

    def add_keyframes(self, entries: list[dict], row: int | None = None) -> None:
        row = self.keyframes.count() if row is None else row
        for i, fav in enumerate(entries):
            entry = self._keyframe_entry(fav)
            item = self.keyframes.add_entry(entry, _icon(self._thumbs.get(entry["seed"])), entry["label"], row + i)
            self.keyframes.setCurrentItem(item)
        self._on_timeline_edited()

    def add_selected_favourites_to_timeline(self) -> None:
        items = self.favourites.selectedItems() or self.favourites.items()
        items.sort(key=self.favourites.row)
        self.add_keyframes([d for d in (item_data_of(it) for it in items) if d])

    def _on_favourites_dropped(self, entries: list, row: int) -> None:
        self.add_keyframes(entries, row)

    def duplicate_keyframe(self) -> None:
        row = self.keyframes.currentRow()
        if row < 0:
            return
        src = self.keyframes.item(row)
        item = self.keyframes.add_entry(item_data_of(src), src.icon(), src.text(), row + 1)
        self.keyframes.setCurrentItem(item)
        self._on_timeline_edited()

    def remove_keyframe(self) -> None:
        row = self.keyframes.currentRow()
        if row < 0:
            return
        self.keyframes.takeItem(row)
        self._on_timeline_edited()

    def _move_key_left(self) -> None:
        row = self.keyframes.currentRow()
        self.keyframes.move_row(row, row - 1)

    def _move_key_right(self) -> None:
        row = self.keyframes.currentRow()
        self.keyframes.move_row(row, row + 1)

    def _on_keyframe_selected(self, row: int) -> None:
        entry = item_data_of(self.keyframes.item(row)) if row >= 0 else {}
        widgets = (self.frames_spin, self.easing_combo, self.interp_combo)
        for w in widgets:
            w.blockSignals(True)
        if entry:
            self.frames_spin.setValue(int(entry.get("frames", 24)))
            self.easing_combo.setCurrentIndex(max(0, self.easing_combo.findData(entry.get("easing", "linear"))))
            self.interp_combo.setCurrentIndex(max(0, self.interp_combo.findData(entry.get("interp", "slerp"))))
        for w in widgets:
            w.blockSignals(False)
        self._update_segment_label()
        self._update_controls()
        if self._frames is not None and row >= 0:  # jump the player to that keyframe
            tl = self.current_timeline()
            if tl is not None and row < len(tl.segment_starts()):
                self.scrub.setValue(tl.segment_starts()[row])

    def _on_segment_edited(self, *_args) -> None:
        row = self.keyframes.currentRow()
        if row < 0:
            return
        item = self.keyframes.item(row)
        entry = item_data_of(item)
        entry.update(frames=self.frames_spin.value(), easing=self.easing_combo.currentData(),
                     interp=self.interp_combo.currentData())
        item.setData(ROLE, entry)
        self._on_timeline_edited()

    def set_segment(self, row: int, frames: int | None = None, easing: str | None = None,
                    interp: str | None = None) -> None:
        """Set the segment that leaves keyframe ``row`` (as the controls do)."""
        self.keyframes.setCurrentRow(row)
        if frames is not None:
            self.frames_spin.setValue(frames)
        if easing is not None:
            self.easing_combo.setCurrentIndex(self.easing_combo.findData(easing))
        if interp is not None:
            self.interp_combo.setCurrentIndex(self.interp_combo.findData(interp))

    def _update_segment_label(self) -> None:
        row = self.keyframes.currentRow()
        n = self.keyframes.count()
        has_segment = 0 <= row and (row < n - 1 or (self.loop_check.isChecked() and n > 0))
        if row < 0:
            text = "Select a keyframe to time the move after it."
        elif has_segment:
            text = f"Keyframe {row + 1} → {1 if row == n - 1 else row + 2}:"
        else:
            text = "Last keyframe: the animation ends here (turn on the loop to return to the start)."
        self.segment_label.setText(text)
        for w in (self.frames_spin, self.easing_combo, self.interp_combo):
            w.setVisible(has_segment)

    def _on_fps_changed(self, fps: float) -> None:
        if self.play_timer.isActive():
            self.play_timer.setInterval(max(1, round(1000 / fps)))
        self._on_timeline_edited()

    def _on_timeline_edited(self, *_args) -> None:
        self._update_segment_label()
        self._update_timeline_summary()
        self._update_controls()
        key = self._timeline_key()
        if key is None:
            self.stop_playback()
            self._frames, self._frames_key = None, None
            self.player_view.set_image(None)
            self.scrub.setRange(0, 0)
            self.frame_label.setText("0 / 0")
            return
        if key in self._walk_cache:
            self._set_frames(key, self._walk_cache[key])
        else:
            self._walk_timer.start()

    def current_timeline(self):
        """The timeline the controls describe, or None without keyframes (or generator)."""
        if self._info is None or self.keyframes.count() == 0:
            return None
        from studio.engine.latent.keyframes import Keyframe, Segment, Timeline

        datas = self.keyframes.datas()
        loop = self.loop_check.isChecked() and len(datas) > 1
        n = len(datas) if loop else len(datas) - 1
        keys = [Keyframe(seed=int(d["seed"]), label=str(d.get("label", ""))) for d in datas]
        segs = [Segment(int(d.get("frames", 24)), str(d.get("easing", "linear")), str(d.get("interp", "slerp")))
                for d in datas[:n]]
        return Timeline(keys, segs, loop, float(self.fps_spin.value()), self.truncation(), self._info.latent_dim)

    def _timeline_key(self) -> str | None:
        tl = self.current_timeline()
        if tl is None:
            return None
        data = tl.to_dict()
        data.pop("fps")  # the frames do not depend on playback speed
        return json.dumps(data, sort_keys=True)

    def _update_timeline_summary(self) -> None:
        tl = self.current_timeline()
        if tl is None:
            self.timeline_summary.setText("Add favourites to the timeline (button or drag) to make an animation.")
            return
        n = len(tl.keyframes)
        self.timeline_summary.setText(f"{n} keyframe{'s' if n != 1 else ''} · {tl.frame_count} frames · "
                                      f"{tl.duration_s:.1f} s{' · loops' if tl.loop else ''}")

    # ================================================================================ preview player
    def render_preview(self) -> None:
        tl = self.current_timeline()
        key = self._timeline_key()
        if tl is None or key is None or self._generator is None:
            return
        if key in self._walk_cache:
            self._set_frames(key, self._walk_cache[key])
            return
        g = self._generator

        def render(ctx):
            from studio.engine.latent.keyframes import frame_latents
            from studio.engine.latent.render import render_frames

            latents = frame_latents(tl)
            n = latents.shape[0]

            def on_progress(done: int, total: int) -> None:
                ctx.progress(done, total, f"Rendering preview {done} / {n}")

            return key, render_frames(g, latents, 16, on_progress=on_progress, check=ctx.check)

        self._submit(ExploreJob("walk", "Rendering preview", render, self._token))

    def _set_frames(self, key: str, frames: np.ndarray) -> None:
        self._frames, self._frames_key = frames, key
        pos = min(self.scrub.value(), len(frames) - 1)
        self.scrub.blockSignals(True)
        self.scrub.setRange(0, len(frames) - 1)
        self.scrub.setValue(pos)
        self.scrub.blockSignals(False)
        self._show_frame(pos)
        self._update_controls()
        if self._play_after_render:
            self._play_after_render = False
            self.play_button.setChecked(True)

    def _show_frame(self, index: int) -> None:
        frames = self._frames
        if frames is None or not len(frames):
            return
        index = max(0, min(int(index), len(frames) - 1))
        self.player_view.set_image(frames[index])
        self.frame_label.setText(f"{index + 1} / {len(frames)}")

    def current_frame_index(self) -> int:
        return self.scrub.value()

    def current_frame(self) -> np.ndarray | None:
        return self.player_view.image

    def play(self) -> None:
        self.play_button.setChecked(True)

    def stop_playback(self) -> None:
        self._play_after_render = False
        self.play_button.setChecked(False)
        self.play_timer.stop()

    def _on_play_toggled(self, on: bool) -> None:
        self.play_button.setText("Pause" if on else "Play")
        if not on:
            self.play_timer.stop()
            return
        key = self._timeline_key()
        if key is None:
            self.play_button.setChecked(False)
            return
        if self._frames is None or self._frames_key != key:
            self.play_button.blockSignals(True)
            self.play_button.setChecked(False)
            self.play_button.setText("Play")
            self.play_button.blockSignals(False)
            self._play_after_render = True
            self._walk_timer.stop()
            self.render_preview()
            return
        if self.scrub.value() >= self.scrub.maximum() and not self.repeat_check.isChecked():
            self.scrub.setValue(0)
        self.play_timer.start(max(1, round(1000 / self.fps_spin.value())))

    def _advance_frame(self) -> None:
        if self._frames is None:
            self.stop_playback()
            return
        nxt = self.scrub.value() + 1
        if nxt > self.scrub.maximum():
            if not self.repeat_check.isChecked():
                self.stop_playback()
                return
            nxt = 0
        self.scrub.setValue(nxt)

    # ================================================================================ export
    def _ask_export(self) -> None:
        fmt = self.format_combo.currentData()
        suffix = next(s for _t, f, s in EXPORT_FORMATS if f == fmt)
        from studio.engine.runs import default_workspace

        folder = default_workspace() / "exports"
        base = (self._source.stem if self._source is not None else "walk") + "-walk"
        suggestion = str((folder if folder.is_dir() else default_workspace()) / (base + suffix))
        if fmt == "png-sequence":
            path, _ = QFileDialog.getSaveFileName(self, "Export PNG frames into a new folder", suggestion)
        else:
            filt = "GIF animation (*.gif)" if fmt == "gif" else "MP4 video (*.mp4)"
            path, _ = QFileDialog.getSaveFileName(self, "Export animation", suggestion, filt)
        if path:
            self.export_walk(path)

    def export_walk(self, path: str | Path) -> bool:
        """Write the timeline to ``path`` in the chosen format, in the background."""
        tl = self.current_timeline()
        if tl is None or self._source is None or self.export_runner.is_running():
            return False
        fmt = self.format_combo.currentData()
        suffix = next(s for _t, f, s in EXPORT_FORMATS if f == fmt)
        out = Path(path)
        if suffix and out.suffix.lower() != suffix:
            out = out.with_name(out.name + suffix)
        from studio.engine.latent.jobs import WalkExportJob

        try:
            tl.validate()
            job = WalkExportJob(self._source, tl, out, size=self.size_spin.value(), fmt=fmt)
        except ValueError as exc:
            self._show_error(f"Cannot export: {exc}")
            return False
        self.result_banner.hide()
        self.export_status.setText(f"Writing {out.name}…")
        self.export_runner.start(job)
        return True

    def _on_export_progress(self, progress) -> None:
        if progress.total:
            self.export_progress.setRange(0, int(progress.total))
            self.export_progress.setValue(int(progress.step))
        if progress.text:
            self.export_status.setText(progress.text)

    def _on_export_finished(self, finished) -> None:
        if finished.cancelled or finished.result is None:
            self.export_status.setText("Export cancelled; nothing was written.")
            return
        self._last_export = Path(finished.result)
        self.export_status.setText("")
        self.result_text.setText(f"Saved {self._last_export} (its recipe is beside it)")
        self.result_banner.show()

    def _on_export_failed(self, failed) -> None:
        self.export_status.setText("")
        self._show_error(f"The export failed: {plain_message(failed.message)}")

    def _on_export_running(self, running: bool) -> None:
        self.export_progress.setVisible(running)
        if running:
            self.export_progress.setRange(0, 0)
        self._update_controls()

    def _show_result_folder(self) -> None:
        if self._last_export is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self._last_export.parent)))

    # ================================================================================ misc
    def _show_error(self, text: str) -> None:
        self.error_text.setText(text)
        self.error_banner.show()

    def _update_controls(self, *_args) -> None:
        has_gen = self._generator is not None
        busy_open = self._opening
        self.open_file_button.setEnabled(not busy_open)
        self.open_run_button.setEnabled(not busy_open)
        self.runs_list.setEnabled(not busy_open)
        for w in (self.new_batch_button, self.seed_spin, self.show_seed_button, self.truncation_slider):
            w.setEnabled(has_gen)
        self.star_button.setEnabled(has_gen and self.grid.current_seed() is not None)
        seed = self.grid.current_seed()
        self.star_button.setText("★ Favourite" if seed is not None and seed in self.favourite_seeds()
                                 else "☆ Favourite")
        self.unstar_button.setEnabled(bool(self.favourites.selectedItems()))
        self.add_key_button.setEnabled(has_gen and self.favourites.count() > 0)
        row = self.keyframes.currentRow()
        n = self.keyframes.count()
        self.move_left_button.setEnabled(row > 0)
        self.move_right_button.setEnabled(0 <= row < n - 1)
        self.duplicate_button.setEnabled(row >= 0)
        self.remove_key_button.setEnabled(row >= 0)
        self.loop_check.setEnabled(n > 1)
        has_tl = has_gen and n > 0
        self.play_button.setEnabled(has_tl)
        self.scrub.setEnabled(self._frames is not None)
        exporting = self.export_runner.is_running()
        self.export_button.setEnabled(has_tl and not exporting)
        self.cancel_export_button.setEnabled(exporting)
        self.format_combo.setEnabled(not exporting)
        self.size_spin.setEnabled(not exporting)

    def shutdown(self, timeout_ms: int = 30_000) -> bool:
        """Stop timers and background work; join the worker threads."""
        self._grid_timer.stop()
        self._walk_timer.stop()
        self.play_timer.stop()
        self._pending.clear()
        ok = self.render_runner.shutdown(timeout_ms)
        return self.export_runner.shutdown(timeout_ms) and ok

    def _on_about_to_quit(self) -> None:
        self.shutdown()


def item_seed(item: QListWidgetItem) -> int | None:
    data = item.data(ROLE)
    return int(data["seed"]) if isinstance(data, dict) and data.get("seed") is not None else None


def item_data_of(item: QListWidgetItem | None) -> dict:
    data = item.data(ROLE) if item is not None else None
    return dict(data) if isinstance(data, dict) else {}


__all__ = ["ExplorePage", "favourites_path", "load_favourites"]
