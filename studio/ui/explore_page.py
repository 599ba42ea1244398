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
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QCoreApplication, QSize, Qt, QTimer, QUrl
from PySide6.QtGui import QDesktopServices, QIcon, QKeySequence, QPixmap, QShortcut
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
from studio.ui.widgets.explore_lists import ROLE, FavouritesStrip, KeyframeStrip, entry_key, valid_entry
from studio.ui.widgets.image_view import ImageView

FAVOURITES_FORMAT = "gan-art-studio/favourites"
PLAIN_ERRORS = ("CheckpointError", "ExportError", "TimelineError", "DeviceUnavailable", "ValueError")
GRID_ROWS, GRID_COLUMNS = 4, 4
MIN_CONTENT = QSize(1000, 660)
SEGMENT_CACHE_BYTES = 384 * 2**20  # rendered segments kept, so undoing an edit or toggling back is instant
UNDO_LIMIT = 200
COALESCE_S = 1.5  # repeated edits of one control within this time are one undo step (spin box arrows)
EXPORT_FORMATS = (("GIF", "gif", ".gif"), ("MP4 video", "mp4", ".mp4"), ("PNG frames", "png-sequence", ""),
                  ("Sprite sheet", "sprite-sheet", ".sheet.png"))
PALETTE_CHOICES = (256, 128, 64, 32, 16)
GRID_CHOICES = (("Single walk", 1), ("Grid of 4 walks (2×2)", 4), ("Grid of 9 walks (3×3)", 9))
NO_EMA_TIP = ("This run has no EMA weights yet; training with EMA arrives with the small-data training "
              "features")
EMA_TIP = "Render with the smoothed (exponential moving average) generator weights, usually cleaner pictures"
ESTIMATE_MAX_PX = 320
RESAMPLE_CHOICES = (("Smooth", "lanczos"), ("Crisp pixels", "nearest"))
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
        if valid_entry(entry):
            out.append(clean_entry(entry))
    return out


def clean_entry(entry: dict) -> dict:
    """A favourite as stored: seed and/or latent (a variation has only its latent), and a label."""
    seed = entry.get("seed")
    seed = int(seed) if isinstance(seed, int) and not isinstance(seed, bool) else None
    out: dict = {"seed": seed, "label": str(entry.get("label") or f"seed {seed}")}
    if entry.get("latent"):
        out["latent"] = [float(x) for x in entry["latent"]]
    return out


def format_bytes(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    if n < 1024**2:
        return f"{n / 1024:.0f} KB"
    return f"{n / 1024**2:.1f} MB"


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
        self._segment_cache: OrderedDict[str, np.ndarray] = OrderedDict()  # segment key → its frames
        self.rendered_frame_count = 0  # frames the preview has rendered (tests: only changed segments)
        self._undo: list[dict] = []
        self._redo: list[dict] = []
        self._committed: dict | None = None  # the timeline state the stacks start from
        self._coalesce: tuple[object, float] | None = None
        self._restoring = False
        self._row_before = -1  # the selected keyframe before the current edit (undo selects it again)
        self._edit_tag: object = None  # what the current edit touched, for coalescing
        self._pending_recipe: tuple | None = None  # (token, timeline, settings) to apply once opened
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
        self._estimate_timer = QTimer(self)  # the GIF size estimate follows the settings once they settle
        self._estimate_timer.setSingleShot(True)
        self._estimate_timer.setInterval(300)
        self._estimate_timer.timeout.connect(self.update_size_estimate)

        self._build()
        self.setStyleSheet(PAGE_QSS)
        self._connect()
        self._committed = self.timeline_state()
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
        self.open_recipe_button = QPushButton("Open recipe…")
        self.open_recipe_button.setObjectName("openRecipe")
        self.open_recipe_button.setToolTip("Restore the generator and timeline of an exported animation "
                                           "(the .json beside it)")
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
        self.ema_check = QCheckBox("Smoothed weights (EMA)")
        self.ema_check.setObjectName("emaSwitch")
        self.ema_check.setChecked(True)
        self.ema_check.setEnabled(False)
        self.ema_check.setToolTip(NO_EMA_TIP)
        header = QHBoxLayout()
        header.setSpacing(8)
        header.addWidget(self.open_file_button)
        header.addWidget(self.open_run_button)
        header.addWidget(self.open_recipe_button)
        header.addSpacing(8)
        header.addWidget(self.generator_label, 1)
        header.addWidget(self.ema_check)
        header.addWidget(self.render_label)
        header.addWidget(self.render_progress)

        # --- banners
        self.error_banner = QFrame(self)
        self.error_banner.setObjectName("errorBanner")
        self.error_text = QLabel("", self.error_banner)
        self.error_text.setObjectName("errorText")
        self.error_text.setWordWrap(True)
        self.error_close_button = QPushButton("Dismiss", self.error_banner)
        self.error_close_button.setToolTip("Hide this message")
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
        self.show_result_button.setToolTip("Show the exported file in your file manager")
        self.result_close_button = QPushButton("Dismiss", self.result_banner)
        self.result_close_button.setToolTip("Hide this message")
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
        self.refresh_runs_button.setToolTip("Look again for training runs in the workspace")
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
        self.show_seed_button.setToolTip("Show the picture this seed makes (Enter in the seed box does the same)")
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
        self.variations_button = QPushButton("Variations")
        self.variations_button.setObjectName("showVariations")
        self.variations_button.setToolTip("Fill the grid with small variations of the selected sample (V)")
        self.variation_slider = QSlider(Qt.Orientation.Horizontal)
        self.variation_slider.setObjectName("variationStrength")
        self.variation_slider.setRange(5, 100)
        self.variation_slider.setValue(30)
        self.variation_slider.setFixedWidth(80)
        self.variation_slider.setToolTip("How far the variations stray from the selected sample")
        self.variation_label = QLabel("30 %")
        self.variation_label.setObjectName("caption")
        self.variation_label.setMinimumWidth(34)
        pc_row = QHBoxLayout()
        pc_row.addWidget(self.preview_caption, 1)
        pc_row.addWidget(self.star_button)
        var_row = QHBoxLayout()
        var_row.addWidget(self.variations_button)
        strength = QLabel("Strength")
        strength.setObjectName("caption")
        var_row.addWidget(strength)
        var_row.addWidget(self.variation_slider)
        var_row.addWidget(self.variation_label)
        var_row.addStretch(1)
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
        sc.addLayout(var_row)
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
        self.duplicate_button.setToolTip("Copy the selected keyframe right after it")
        self.remove_key_button = QPushButton("Remove")
        self.remove_key_button.setObjectName("removeKeyframe")
        self.remove_key_button.setToolTip("Take the selected keyframe out of the timeline")
        self.undo_button = QPushButton("Undo")
        self.undo_button.setObjectName("undoTimeline")
        self.undo_button.setToolTip("Undo the last timeline edit (Ctrl+Z)")
        self.redo_button = QPushButton("Redo")
        self.redo_button.setObjectName("redoTimeline")
        self.redo_button.setToolTip("Redo (Ctrl+Shift+Z)")
        self.segment_label = QLabel("")
        self.segment_label.setObjectName("caption")
        self.frames_spin = QSpinBox()
        self.frames_spin.setObjectName("segmentFrames")
        self.frames_spin.setToolTip("How long the move from the selected keyframe to the next one lasts")
        self.frames_spin.setRange(1, 600)
        self.frames_spin.setValue(24)
        self.frames_spin.setSuffix(" frames")
        self.seconds_spin = QDoubleSpinBox()
        self.seconds_spin.setObjectName("segmentSeconds")
        self.seconds_spin.setToolTip("How long the move from the selected keyframe to the next one lasts")
        self.seconds_spin.setRange(0.05, 600.0)
        self.seconds_spin.setDecimals(2)
        self.seconds_spin.setSingleStep(0.25)
        self.seconds_spin.setValue(1.0)
        self.seconds_spin.setSuffix(" s")
        self.seconds_spin.hide()
        self.unit_combo = QComboBox()
        self.unit_combo.setObjectName("segmentUnit")
        self.unit_combo.addItem("frames", "frames")
        self.unit_combo.addItem("seconds", "seconds")
        self.unit_combo.setToolTip("Time this move in frames, or in seconds (kept when the frame rate changes)")
        self.easing_combo = QComboBox()
        self.easing_combo.setObjectName("segmentEasing")
        self.easing_combo.setToolTip("How the move speeds up and slows down between the two keyframes")
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
        for w in (self.duplicate_button, self.remove_key_button, self.undo_button, self.redo_button,
                  self.loop_check):
            w.setMinimumWidth(w.sizeHint().width())  # labels are never clipped; the row scrolls instead
        self.loop_check.setToolTip("The last keyframe returns to the first, with no jump at the seam")
        self.fps_spin = QDoubleSpinBox()
        self.fps_spin.setObjectName("fpsField")
        self.fps_spin.setToolTip("Frames per second of the animation: more is smoother, and longer to render")
        self.fps_spin.setRange(1, 60)
        self.fps_spin.setDecimals(0)
        self.fps_spin.setValue(24)
        self.fps_spin.setSuffix(" fps")
        self.wander_check = QCheckBox("Wander around this keyframe")
        self.wander_check.setObjectName("wanderSwitch")
        self.wander_check.setToolTip("Instead of travelling between keyframes, drift around the selected one "
                                     "in a smooth loop with no seam")
        self.wander_radius_spin = QDoubleSpinBox()
        self.wander_radius_spin.setObjectName("wanderRadius")
        self.wander_radius_spin.setRange(0.02, 1.0)
        self.wander_radius_spin.setSingleStep(0.05)
        self.wander_radius_spin.setDecimals(2)
        self.wander_radius_spin.setValue(0.3)
        self.wander_radius_spin.setPrefix("radius ")
        self.wander_radius_spin.setToolTip("How far the loop strays from the keyframe (1 = as far as another sample)")
        self.wander_frames_spin = QSpinBox()
        self.wander_frames_spin.setObjectName("wanderFrames")
        self.wander_frames_spin.setToolTip("How many frames one lap of the wander around this keyframe takes")
        self.wander_frames_spin.setRange(2, 600)
        self.wander_frames_spin.setValue(48)
        self.wander_frames_spin.setSuffix(" frames")
        self.wander_shuffle_button = QPushButton("New path")
        self.wander_shuffle_button.setObjectName("wanderShuffle")
        self.wander_shuffle_button.setToolTip("Another random path around the same keyframe")
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
        key_buttons.addWidget(self.undo_button)
        key_buttons.addWidget(self.redo_button)
        seg_row = QHBoxLayout()
        seg_row.setSpacing(6)
        seg_row.addWidget(self.segment_label)
        seg_row.addWidget(self.frames_spin)
        seg_row.addWidget(self.seconds_spin)
        seg_row.addWidget(self.unit_combo)
        seg_row.addWidget(self.easing_combo)
        seg_row.addWidget(self.interp_combo)
        seg_row.addStretch(1)
        wander_row = QHBoxLayout()
        wander_row.setSpacing(6)
        wander_row.addWidget(self.wander_check)
        wander_row.addWidget(self.wander_radius_spin)
        wander_row.addWidget(self.wander_frames_spin)
        wander_row.addWidget(self.wander_shuffle_button)
        wander_row.addStretch(1)
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
        tp.addLayout(wander_row)
        tp.addStretch(1)

        # --- player
        self.player_view = ImageView(placeholder="The animation plays here", min_size=QSize(120, 120))
        self.player_view.setObjectName("playerView")
        self.play_button = QPushButton("Play")
        self.play_button.setObjectName("playButton")
        self.play_button.setToolTip("Play the preview of the animation")
        self.play_button.setCheckable(True)
        self.scrub = QSlider(Qt.Orientation.Horizontal)
        self.scrub.setObjectName("scrubSlider")
        self.scrub.setToolTip("Drag to look at any frame of the preview")
        self.scrub.setRange(0, 0)
        self.frame_label = QLabel("0 / 0")
        self.frame_label.setObjectName("caption")
        self.frame_label.setMinimumWidth(60)
        self.repeat_check = QCheckBox("Repeat")
        self.repeat_check.setObjectName("repeatPlayback")
        self.repeat_check.setToolTip("Play the preview again and again")
        self.repeat_check.setChecked(True)
        player_panel = QFrame()
        player_panel.setObjectName("playerPanel")
        pp = QVBoxLayout(player_panel)
        pp.setContentsMargins(10, 8, 10, 8)
        pp.setSpacing(6)
        pp.addWidget(self._section("Player"))
        pp.addWidget(self.player_view, 1)
        self.scrub.setMinimumWidth(90)  # a scrub bar too short to grab is no scrub bar
        prow = QHBoxLayout()
        prow.addWidget(self.play_button)
        prow.addWidget(self.scrub, 1)
        pp.addLayout(prow)
        prow2 = QHBoxLayout()
        prow2.addWidget(self.frame_label)
        prow2.addStretch(1)
        prow2.addWidget(self.repeat_check)
        pp.addLayout(prow2)

        # --- export
        self.format_combo = QComboBox()
        self.format_combo.setObjectName("exportFormat")
        self.format_combo.setToolTip("What to export: a GIF, an MP4 video, a folder of PNG frames or one sprite sheet")
        for title, fmt, _suffix in EXPORT_FORMATS:
            self.format_combo.addItem(title, fmt)
        self.size_spin = QSpinBox()
        self.size_spin.setObjectName("exportSize")
        self.size_spin.setRange(16, 2048)
        self.size_spin.setSingleStep(64)
        self.size_spin.setValue(256)
        self.size_spin.setSuffix(" px")
        self.size_spin.setToolTip("Output size; small models are enlarged with a smooth filter")
        self.resample_combo = QComboBox()
        self.resample_combo.setObjectName("exportResample")
        for title, name in RESAMPLE_CHOICES:
            self.resample_combo.addItem(title, name)
        self.resample_combo.setToolTip("How small pictures are enlarged: smooth, or crisp square pixels")
        self.gif_plays_spin = QSpinBox()
        self.gif_plays_spin.setObjectName("gifPlays")
        self.gif_plays_spin.setRange(0, 100)
        self.gif_plays_spin.setSpecialValueText("forever")
        self.gif_plays_spin.setSuffix(" ×")
        self.gif_plays_spin.setValue(0)
        self.gif_plays_spin.setToolTip("How many times the GIF plays (forever by default)")
        self.palette_combo = QComboBox()
        self.palette_combo.setObjectName("gifPalette")
        for n in PALETTE_CHOICES:
            self.palette_combo.addItem(f"{n} colours", n)
        self.palette_combo.setToolTip("Fewer colours: a smaller file, more banding")
        self.grid_combo = QComboBox()
        self.grid_combo.setObjectName("gridWalks")
        for title, n in GRID_CHOICES:
            self.grid_combo.addItem(title, n)
        self.grid_combo.setToolTip("Several copies of the walk side by side, each starting at a different "
                                   "point of the timeline (out of phase)")
        self.size_estimate_label = QLabel("")
        self.size_estimate_label.setObjectName("hint")
        self.export_button = QPushButton("Export…")
        self.export_button.setObjectName("exportWalk")
        self.export_button.setToolTip("Render the whole animation and save it (Ctrl+S)")
        self.export_button.setProperty("primary", True)
        self.cancel_export_button = QPushButton("Cancel")
        self.cancel_export_button.setObjectName("cancelExport")
        self.cancel_export_button.setToolTip("Stop the export; nothing half-written is kept")
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
        self.resample_label = QLabel("Filter")
        self.gif_plays_label = QLabel("Plays")
        self.palette_label = QLabel("Palette")
        self.grid_label = QLabel("Layout")
        for row, (label, widget) in enumerate(((self.resample_label, self.resample_combo),
                                               (self.gif_plays_label, self.gif_plays_spin),
                                               (self.palette_label, self.palette_combo),
                                               (self.grid_label, self.grid_combo)), start=3):
            label.setObjectName("caption")
            ep.addWidget(label, row, 0)
            ep.addWidget(widget, row, 1)
        ep.addWidget(self.size_estimate_label, 7, 0, 1, 2)
        ep.addWidget(self.export_button, 8, 0, 1, 2)
        ep.addWidget(self.cancel_export_button, 9, 0, 1, 2)
        ep.addWidget(self.export_progress, 10, 0, 1, 2)
        ep.addWidget(self.export_status, 11, 0, 1, 2)
        ep.setRowStretch(12, 1)

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
        self.open_recipe_button.clicked.connect(self._ask_open_recipe)
        self.variations_button.clicked.connect(self.show_variations)
        self.variation_slider.valueChanged.connect(self._on_variation_strength)
        self.undo_button.clicked.connect(self.undo)
        self.wander_check.toggled.connect(self._on_wander_edited)
        self.wander_radius_spin.valueChanged.connect(self._on_wander_edited)
        self.wander_frames_spin.valueChanged.connect(self._on_wander_edited)
        self.wander_shuffle_button.clicked.connect(self._on_wander_shuffle)
        self._sync_wander_controls({})  # nothing to wander around until a keyframe is selected
        self.redo_button.clicked.connect(self.redo)
        ctx = Qt.ShortcutContext.WidgetWithChildrenShortcut
        self.undo_shortcut = QShortcut(QKeySequence.StandardKey.Undo, self, self.undo, context=ctx)
        self.redo_shortcut = QShortcut(QKeySequence("Ctrl+Shift+Z"), self, self.redo, context=ctx)
        self.redo_shortcut_alt = QShortcut(QKeySequence("Ctrl+Y"), self, self.redo, context=ctx)
        self.variations_shortcut = QShortcut(QKeySequence("V"), self.grid, self.show_variations,
                                             context=Qt.ShortcutContext.WidgetShortcut)
        for w in (self.size_spin, self.gif_plays_spin):
            w.valueChanged.connect(self._on_export_settings_changed)
        for w in (self.format_combo, self.resample_combo, self.palette_combo):
            w.currentIndexChanged.connect(self._on_export_settings_changed)
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
        self.seconds_spin.valueChanged.connect(self._on_segment_edited)
        self.unit_combo.currentIndexChanged.connect(self._on_unit_changed)
        self.grid_combo.currentIndexChanged.connect(self._on_grid_changed)
        self.ema_check.toggled.connect(self.set_use_ema)
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

    def favourite_keys(self) -> list:
        """Seeds of plain favourites and latent hashes of starred variations, in strip order."""
        return self.favourites.keys()

    def preview_frames(self) -> np.ndarray | None:
        return self._frames

    def preview_is_current(self) -> bool:
        """True when the player shows the frames of the timeline as it is now."""
        key = self._timeline_key()
        return key is not None and self._frames is not None and self._frames_key == key

    # ================================================================================ runs / opening
    def refresh_runs(self) -> None:
        from studio.engine.runs import RunDir
        from studio.ui.workspace import workspace_dir

        self.runs_list.clear()
        root = workspace_dir() / "runs"
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

    def _ask_open_recipe(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open animation recipe", self._start_folder(),
                                              "Animation recipe (*.json);;All files (*)")
        if path:
            self.open_recipe(path)

    def open_recipe(self, path: str | Path) -> bool:
        """Open the generator a walk recipe names and restore its timeline and export settings."""
        from studio.engine.latent.jobs import load_recipe

        path = Path(path)
        try:
            gen_path, timeline, settings = load_recipe(path)
        except ValueError as exc:
            self._show_error(f"Could not open the recipe: {plain_message(str(exc))}")
            return False
        if not gen_path.exists():
            self._show_error(f"The generator this recipe was made with is missing: {gen_path}")
            return False
        self.open_generator(gen_path, use_ema=settings.get("weights", "ema") == "ema")
        self._pending_recipe = (self._token, timeline, settings, gen_path)
        return True

    def _apply_recipe(self, timeline, settings: dict, gen_path: Path) -> None:
        import torch

        from studio.engine.latent.jobs import generator_matches
        from studio.engine.latent.keyframes import Segment, seed_latent

        dim = self._info.latent_dim
        entries = []
        for i, k in enumerate(timeline.keyframes):
            d: dict = {"seed": k.seed, "label": k.label or (f"seed {k.seed}" if k.seed is not None
                                                            else f"keyframe {i + 1}")}
            # Keep the latent only where the seed does not give it back (variations, edited latents).
            if k.latent is not None and (k.seed is None or not torch.equal(
                    torch.tensor(k.latent, dtype=torch.float32), seed_latent(k.seed, dim))):
                d["latent"] = [float(x) for x in k.latent]
            seg = timeline.segments[i] if i < len(timeline.segments) else Segment()
            d.update(frames=seg.frames, easing=seg.easing, interp=seg.interp)
            if seg.seconds is not None:
                d["seconds"] = float(seg.seconds)
            w = timeline.wander
            if w is not None and w.keyframe == i:
                d["wander"] = {"radius": float(w.radius), "frames": int(w.frames), "seed": int(w.seed)}
            entries.append(d)
        self.truncation_slider.setValue(max(0, min(90, round((1.0 - float(timeline.truncation)) * 100))))
        self._apply_state({"keyframes": entries, "loop": bool(timeline.loop), "fps": float(timeline.fps)}, 0)
        fmt_index = self.format_combo.findData(settings.get("format"))
        if fmt_index >= 0:
            self.format_combo.setCurrentIndex(fmt_index)
        if isinstance(settings.get("size"), int):
            self.size_spin.setValue(settings["size"])
        res_index = self.resample_combo.findData(settings.get("resample"))
        if res_index >= 0:
            self.resample_combo.setCurrentIndex(res_index)
        if isinstance(settings.get("gif_loop"), int):
            self.set_gif_loop(settings["gif_loop"])
        grid = settings.get("grid")
        self.set_grid_cells(int(grid.get("cells", 1)) if isinstance(grid, dict) else 1)
        pal_index = self.palette_combo.findData(settings.get("palette_colors"))
        if pal_index >= 0:
            self.palette_combo.setCurrentIndex(pal_index)
        missing = [e for e in entries if entry_key(e) not in self._thumbs]
        if missing:
            self._submit_entries("keys", "Drawing keyframes", missing)
        if not generator_matches(gen_path, settings):
            self._show_error("This generator has changed since the recipe was exported (its SHA-256 differs), "
                             "so the frames may not match the original animation.")

    def _start_folder(self) -> str:
        from studio.ui.workspace import workspace_dir

        return str(workspace_dir())

    def open_generator(self, source: str | Path, use_ema: bool = True) -> None:
        """Load a generator file or a run's newest checkpoint in the background (EMA weights when it has them
        and ``use_ema`` is set)."""
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

            return open_generator(source, pick_device("auto"), use_ema=use_ema)

        self._submit(ExploreJob("open", f"Opening {source.name}", load, token), source=source)

    def uses_ema(self) -> bool:
        """Whether the open generator renders with its EMA weights."""
        return bool(self._info is not None and self._info.ema)

    def _sync_ema_switch(self) -> None:
        info = self._info
        has = bool(info is not None and info.has_ema)
        self.ema_check.blockSignals(True)
        self.ema_check.setChecked(has and bool(info.ema))
        self.ema_check.blockSignals(False)
        self.ema_check.setEnabled(has and not self._opening)
        self.ema_check.setToolTip(EMA_TIP if has else NO_EMA_TIP)

    def set_use_ema(self, on: bool) -> None:
        """The raw/EMA switch: reload the generator's other weights and redraw everything with them."""
        info, source = self._info, self._source
        if info is None or source is None or not info.has_ema or bool(on) == info.ema:
            self._sync_ema_switch()
            return
        self.stop_playback()
        token = self._token
        want = bool(on)

        def load(ctx):
            from studio.engine.device import pick_device
            from studio.engine.latent.jobs import open_generator

            return open_generator(source, pick_device("auto"), use_ema=want)

        self._submit(ExploreJob("weights", "Switching weights", load, token), source=source)

    def _swap_weights(self, generator, info) -> None:
        """New weights for the same generator: every picture and cached frame is drawn again."""
        self._generator, self._info = generator, info
        self._thumbs.clear()
        self._segment_cache.clear()
        self._frames, self._frames_key = None, None
        self._sync_ema_switch()
        self._render_grid_again()
        favs = self.favourites.datas()
        if favs:
            self._submit_entries("favs", "Drawing favourites", favs)
        keys = self.keyframes.datas()
        if keys:
            self._submit_entries("keys", "Drawing keyframes", keys)
        if self.current_timeline() is not None:
            self.render_preview()
        self._update_controls()

    def _install_generator(self, source: Path, generator, info) -> None:
        self._generator = generator
        self._info = info
        self._source = source
        self._opening = False
        self._thumbs.clear()
        self._segment_cache.clear()
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
        self._sync_ema_switch()
        self.favourites.clear()
        entries = load_favourites(favourites_path(source))
        for entry in entries:
            self.favourites.add_entry(entry, None, entry["label"])
        if entries:
            self._submit_entries("favs", "Drawing favourites", entries)
        self.new_batch()
        self._undo.clear()
        self._redo.clear()
        self._committed = self.timeline_state()
        recipe, self._pending_recipe = self._pending_recipe, None
        if recipe is not None and recipe[0] == self._token:
            self._apply_recipe(recipe[1], recipe[2], recipe[3])
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
        self._submit_entries(kind, title, [{"seed": int(s), "label": f"seed {s}"} for s in seeds], psi)

    def _submit_entries(self, kind: str, title: str, entries: list[dict], psi: float | None = None) -> None:
        """Render samples named by seed or latent; the job returns (entries, images)."""
        if self._generator is None or self._info is None:
            return
        g, dim, psi = self._generator, self._info.latent_dim, self.truncation() if psi is None else psi
        entries = [dict(e) for e in entries]

        def render(ctx):
            import torch

            from studio.engine.latent.keyframes import truncate
            from studio.engine.latent.render import render_frames

            z = torch.stack([entry_vector(e, dim) for e in entries])
            return entries, render_frames(g, truncate(z, psi), 16, check=ctx.check)

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
        elif job.kind == "weights":
            self._swap_weights(*result)
        elif job.kind == "grid":
            entries, images = result
            self._grid_images = list(images)
            for e, im in zip(entries, images, strict=True):
                self._thumbs.setdefault(entry_key(e), im)
            self.grid.set_entries(entries, images)
            self.grid.set_starred(set(self.favourite_keys()))
            self._refresh_icons()
        elif job.kind == "seed":
            entries, images = result
            self._show_single_seed(entries[0]["seed"], images[0])
        elif job.kind in ("favs", "keys"):
            entries, images = result
            for e, im in zip(entries, images, strict=True):
                self._thumbs[entry_key(e)] = im
            self._refresh_icons()
        elif job.kind == "walk":
            keys, stacks = result
            for k, frames in zip(keys, stacks, strict=True):
                self._store_segment(k, frames)
                self.rendered_frame_count += len(frames)
            self._show_cached_walk()

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
        elif job.kind == "weights":
            self._show_error(f"Could not switch the weights: {plain_message(failed.message)}")
            self._sync_ema_switch()
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
        entries = [e for e in self.grid.entries() if e is not None]
        if entries:
            self._submit_entries("grid", "Drawing samples", entries)

    def _on_show_seed(self) -> None:
        self.show_seed(self.seed_spin.value())

    def show_seed(self, seed: int) -> None:
        self._submit_render("seed", f"Drawing seed {seed}", [int(seed)])

    def _show_single_seed(self, seed: int, image: np.ndarray) -> None:
        """A typed seed joins the grid in front (the last sample makes room) and is selected."""
        entries = [e for e in self.grid.entries() if e is not None]
        images = list(self._grid_images)[: len(entries)]
        keys = [entry_key(e) for e in entries]
        if seed in keys:
            i = keys.index(seed)
            del entries[i]
            del images[i]
        entries = [{"seed": int(seed), "label": f"seed {seed}"}, *entries][: self.grid.count]
        images = [image, *images][: self.grid.count]
        self._grid_images = images
        self._thumbs[seed] = image
        self.grid.set_entries(entries, images)
        self.grid.set_starred(set(self.favourite_keys()))

    # ------------------------------------------------------------------ variations
    def variation_strength(self) -> float:
        return self.variation_slider.value() / 100.0

    def _on_variation_strength(self, value: int) -> None:
        self.variation_label.setText(f"{value} %")

    def show_variations(self) -> bool:
        """Fill the grid with the selected sample (first tile) and a ring of small variations of it."""
        entry = self.grid.current_entry()
        if entry is None or self._info is None or self._generator is None:
            return False
        from studio.engine.latent.keyframes import variations

        dim = self._info.latent_dim
        center = entry_vector(entry, dim)
        ring = variations(center, self.grid.count - 1, self.variation_strength(), self._rng.randrange(0, 2**31))
        base = str(entry.get("label") or f"seed {entry.get('seed')}").split(" ~")[0]
        entries = [entry] + [{"seed": None, "latent": [float(x) for x in z.tolist()], "label": f"{base} ~{i + 1}"}
                             for i, z in enumerate(ring)]
        self._submit_entries("grid", f"Drawing variations of {base}", entries)
        return True

    def _on_truncation_changed(self, _value: int) -> None:
        self._update_truncation_label()
        self._grid_timer.start()
        self._on_timeline_edited()

    def _update_truncation_label(self) -> None:
        v = self.truncation_slider.value()
        self.truncation_label.setText("off" if v == 0 else f"{v} %")

    def _on_sample_selected(self, index: int) -> None:
        if 0 <= index < len(self._grid_images):
            label = self.grid.tiles[index].caption.text()
            self.preview_view.set_image(self._grid_images[index])
            self.preview_caption.setText(label[:1].upper() + label[1:])
        self._update_controls()

    # ================================================================================ favourites
    def _on_star_requested(self, index: int) -> None:
        entry = self.grid.tiles[index].entry if 0 <= index < self.grid.count else None
        if entry is not None:
            self.toggle_entry(entry)

    def _on_star_selected(self) -> None:
        entry = self.grid.current_entry()
        if entry is not None:
            self.toggle_entry(entry)

    def toggle_favourite(self, seed: int) -> bool:
        """Star or unstar a seed; returns True when it is now a favourite."""
        return self.toggle_entry({"seed": int(seed), "label": f"seed {seed}"})

    def toggle_entry(self, entry: dict) -> bool:
        """Star or unstar a sample (a seed, or a variation's latent); True when it is now a favourite."""
        entry = clean_entry(entry)
        key = entry_key(entry)
        keys = self.favourite_keys()
        if key in keys:
            self.favourites.takeItem(keys.index(key))
            starred = False
        else:
            self.favourites.add_entry(entry, _icon(self._thumbs.get(key)), entry["label"])
            starred = True
        self.grid.set_starred(set(self.favourite_keys()))
        self.save_favourites()
        self._update_controls()
        return starred

    def remove_selected_favourites(self) -> None:
        for item in self.favourites.selectedItems():
            self.favourites.takeItem(self.favourites.row(item))
        self.grid.set_starred(set(self.favourite_keys()))
        self.save_favourites()
        self._update_controls()

    def save_favourites(self) -> None:
        if self._source is None:
            return
        from studio.engine.runs import atomic_write_json

        data = {"format": FAVOURITES_FORMAT, "version": 1,
                "generator_sha256": getattr(self._info, "sha256", ""),
                "items": [clean_entry(d) for d in self.favourites.datas()]}
        path = favourites_path(self._source)
        try:
            atomic_write_json(path, data)
        except OSError as exc:
            self._show_error(f"Could not save favourites to {path}: {exc.strerror or exc}")

    def _refresh_icons(self) -> None:
        for strip in (self.favourites, self.keyframes):
            for item in strip.items():
                key = entry_key(item_data_of(item))
                if key is not None and key in self._thumbs and item.icon().isNull():
                    item.setIcon(_icon(self._thumbs[key]))

    # ================================================================================ timeline
    def _keyframe_entry(self, fav: dict) -> dict:
        # Linear slerp by default: steady motion, so a loop shows no pause at the keyframes or the seam.
        entry = clean_entry(fav)
        entry.update(frames=24, easing="linear", interp="slerp")
        return entry

    def add_keyframes(self, entries: list[dict], row: int | None = None) -> None:
        row = self.keyframes.count() if row is None else row
        for i, fav in enumerate(entries):
            entry = self._keyframe_entry(fav)
            item = self.keyframes.add_entry(entry, _icon(self._thumbs.get(entry_key(entry))), entry["label"], row + i)
            self.keyframes.setCurrentItem(item)
        self._on_timeline_edited()

    def add_selected_favourites_to_timeline(self) -> None:
        items = self.favourites.selectedItems() or self.favourites.items()
        items.sort(key=self.favourites.row)
        self.add_keyframes([d for d in (item_data_of(it) for it in items) if d])

    def _on_favourites_dropped(self, entries: list, row: int) -> None:
        self.add_keyframes(entries, row)

    # ------------------------------------------------------------------ undo / redo
    def timeline_state(self) -> dict:
        """What undo restores: the keyframes with their segments, the loop switch and the frame rate."""
        return {"keyframes": self.keyframes.datas(), "loop": self.loop_check.isChecked(),
                "fps": float(self.fps_spin.value())}

    def can_undo(self) -> bool:
        return bool(self._undo)

    def can_redo(self) -> bool:
        return bool(self._redo)

    def _record_edit(self, tag: object) -> None:
        """Push the state before this edit; repeated edits of one control in a row are one step."""
        if self._restoring:
            return
        state = self.timeline_state()
        if self._committed is None or state == self._committed:
            self._committed = state
            return
        now = time.monotonic()
        merge = (tag is not None and self._coalesce is not None and self._coalesce[0] == tag
                 and now - self._coalesce[1] < COALESCE_S and bool(self._undo))
        if not merge:
            self._undo.append({"state": self._committed, "row": self._row_before})
            del self._undo[:-UNDO_LIMIT]
        self._coalesce = (tag, now) if tag is not None else None
        self._redo.clear()
        self._committed = state

    def undo(self) -> bool:
        if not self._undo:
            return False
        self._redo.append({"state": self.timeline_state(), "row": self.keyframes.currentRow()})
        step = self._undo.pop()
        self._apply_state(step["state"], step["row"])
        return True

    def redo(self) -> bool:
        if not self._redo:
            return False
        self._undo.append({"state": self.timeline_state(), "row": self.keyframes.currentRow()})
        step = self._redo.pop()
        self._apply_state(step["state"], step["row"])
        return True

    def _apply_state(self, state: dict, row: int = -1) -> None:
        """Rebuild the timeline controls from a state (undo, redo, opening a recipe) without recording it."""
        self._restoring = True
        try:
            self.keyframes.blockSignals(True)
            self.keyframes.clear()
            for d in state["keyframes"]:
                self.keyframes.add_entry(d, _icon(self._thumbs.get(entry_key(d))), keyframe_text(d))
            n = self.keyframes.count()
            self.keyframes.setCurrentRow(row if 0 <= row < n else n - 1)
            self.keyframes.blockSignals(False)
            for w, setter, value in ((self.loop_check, self.loop_check.setChecked, bool(state["loop"])),
                                     (self.fps_spin, self.fps_spin.setValue, float(state["fps"]))):
                w.blockSignals(True)
                setter(value)
                w.blockSignals(False)
            if self.play_timer.isActive():
                self.play_timer.setInterval(max(1, round(1000 / self.fps_spin.value())))
            self._on_keyframe_selected(self.keyframes.currentRow())
            self._on_timeline_edited()
        finally:
            self._restoring = False
        self._committed = self.timeline_state()
        self._row_before = self.keyframes.currentRow()
        self._coalesce = None
        self._update_controls()

    def duplicate_keyframe(self) -> None:
        row = self.keyframes.currentRow()
        if row < 0:
            return
        src = self.keyframes.item(row)
        entry = item_data_of(src)
        entry.pop("wander", None)  # only one keyframe wanders
        item = self.keyframes.add_entry(entry, src.icon(), keyframe_text(entry), row + 1)
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
        widgets = (self.frames_spin, self.seconds_spin, self.unit_combo, self.easing_combo, self.interp_combo)
        for w in widgets:
            w.blockSignals(True)
        if entry:
            self.frames_spin.setValue(int(entry.get("frames", 24)))
            secs = entry.get("seconds")
            self.unit_combo.setCurrentIndex(self.unit_combo.findData("seconds" if secs is not None else "frames"))
            self.seconds_spin.setValue(float(secs) if secs is not None
                                       else int(entry.get("frames", 24)) / self.fps_spin.value())
            self.easing_combo.setCurrentIndex(max(0, self.easing_combo.findData(entry.get("easing", "linear"))))
            self.interp_combo.setCurrentIndex(max(0, self.interp_combo.findData(entry.get("interp", "slerp"))))
        for w in widgets:
            w.blockSignals(False)
        self._sync_wander_controls(entry)
        self._update_segment_label()
        self._update_controls()
        if self._frames is not None and row >= 0:  # jump the player to that keyframe
            tl = self.current_timeline()
            if tl is not None and tl.wander is None and row < len(tl.segment_starts()):
                self.scrub.setValue(tl.segment_starts()[row])

    def _on_segment_edited(self, *_args) -> None:
        row = self.keyframes.currentRow()
        if row < 0:
            return
        item = self.keyframes.item(row)
        entry = item_data_of(item)
        entry.update(frames=self.frames_spin.value(), easing=self.easing_combo.currentData(),
                     interp=self.interp_combo.currentData())
        if self.unit_combo.currentData() == "seconds":
            from studio.engine.latent.keyframes import seconds_to_frames

            entry["seconds"] = round(float(self.seconds_spin.value()), 4)
            entry["frames"] = seconds_to_frames(entry["seconds"], self.fps_spin.value())
            self.frames_spin.blockSignals(True)
            self.frames_spin.setValue(entry["frames"])
            self.frames_spin.blockSignals(False)
        else:
            entry.pop("seconds", None)
        item.setData(ROLE, entry)
        sender = self.sender()
        self._edit_tag = ("segment", row, sender.objectName() if sender is not None else "")
        self._on_timeline_edited()

    def segment_unit(self) -> str:
        return str(self.unit_combo.currentData())

    def _on_unit_changed(self, *_args) -> None:
        """Frames ↔ seconds: the duration stays what it was, only the way it is typed (and kept) changes."""
        seconds = self.unit_combo.currentData() == "seconds"
        if seconds:
            self.seconds_spin.blockSignals(True)
            self.seconds_spin.setValue(self.frames_spin.value() / self.fps_spin.value())
            self.seconds_spin.blockSignals(False)
        self._update_segment_label()
        self._on_segment_edited()

    # ------------------------------------------------------------------ wander loop
    def _sync_wander_controls(self, entry: dict) -> None:
        w = entry.get("wander") if entry else None
        widgets = (self.wander_check, self.wander_radius_spin, self.wander_frames_spin)
        for x in widgets:
            x.blockSignals(True)
        self.wander_check.setChecked(bool(w))
        if w:
            self.wander_radius_spin.setValue(float(w.get("radius", 0.3)))
            self.wander_frames_spin.setValue(int(w.get("frames", 48)))
        for x in widgets:
            x.blockSignals(False)
        self.wander_check.setEnabled(bool(entry))
        for x in (self.wander_radius_spin, self.wander_frames_spin, self.wander_shuffle_button):
            x.setEnabled(bool(w))

    def set_wander(self, row: int, on: bool = True, radius: float | None = None, frames: int | None = None) -> None:
        """Turn the wander loop around keyframe ``row`` on or off (as the controls do)."""
        self.keyframes.setCurrentRow(row)
        if radius is not None:
            self.wander_radius_spin.setValue(radius)
        if frames is not None:
            self.wander_frames_spin.setValue(frames)
        self.wander_check.setChecked(on)

    def _on_wander_edited(self, *_args, seed: int | None = None) -> None:
        row = self.keyframes.currentRow()
        if row < 0:
            return
        on = self.wander_check.isChecked()
        for i, item in enumerate(self.keyframes.items()):  # one keyframe wanders at a time
            entry = item_data_of(item)
            old = entry.pop("wander", None)
            if i == row and on:
                keep = seed if seed is not None else (old or {}).get("seed", self._rng.randrange(0, 2**31))
                entry["wander"] = {"radius": round(self.wander_radius_spin.value(), 4),
                                   "frames": self.wander_frames_spin.value(), "seed": int(keep)}
            if old is not None or entry.get("wander") is not None:
                item.setData(ROLE, entry)
                item.setText(keyframe_text(entry))
        for x in (self.wander_radius_spin, self.wander_frames_spin, self.wander_shuffle_button):
            x.setEnabled(on)
        sender = self.sender()
        self._edit_tag = ("wander", row, sender.objectName() if sender is not None else "")
        self._on_timeline_edited()

    def _on_wander_shuffle(self) -> None:
        self._on_wander_edited(seed=self._rng.randrange(0, 2**31))

    def set_segment(self, row: int, frames: int | None = None, easing: str | None = None,
                    interp: str | None = None, seconds: float | None = None) -> None:
        """Set the segment that leaves keyframe ``row`` (as the controls do); ``seconds`` switches its unit."""
        self.keyframes.setCurrentRow(row)
        if frames is not None:
            self.unit_combo.setCurrentIndex(self.unit_combo.findData("frames"))
            self.frames_spin.setValue(frames)
        if seconds is not None:
            self.unit_combo.setCurrentIndex(self.unit_combo.findData("seconds"))
            self.seconds_spin.setValue(seconds)
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
        wandering = any(d.get("wander") for d in self.keyframes.datas())
        if wandering and has_segment:
            text += " (paused while a keyframe wanders)"
        self.segment_label.setText(text)
        in_seconds = self.unit_combo.currentData() == "seconds"
        for w in (self.frames_spin, self.seconds_spin, self.unit_combo, self.easing_combo, self.interp_combo):
            w.setVisible(has_segment and (w is not self.frames_spin or not in_seconds)
                         and (w is not self.seconds_spin or in_seconds))
            w.setEnabled(not wandering)

    def _on_fps_changed(self, fps: float) -> None:
        from studio.engine.latent.keyframes import seconds_to_frames

        for item in self.keyframes.items():  # segments timed in seconds keep their duration
            entry = item_data_of(item)
            if entry.get("seconds") is not None:
                entry["frames"] = seconds_to_frames(entry["seconds"], fps)
                item.setData(ROLE, entry)
        row = self.keyframes.currentRow()
        if row >= 0:
            self.frames_spin.blockSignals(True)
            self.frames_spin.setValue(int(item_data_of(self.keyframes.item(row)).get("frames", 24)))
            self.frames_spin.blockSignals(False)
        if self.play_timer.isActive():
            self.play_timer.setInterval(max(1, round(1000 / fps)))
        self._edit_tag = ("fps",)
        self._on_timeline_edited()
        self._estimate_timer.start()

    def _on_timeline_edited(self, *_args) -> None:
        tag, self._edit_tag = self._edit_tag, None
        self._record_edit(tag)
        self._row_before = self.keyframes.currentRow()
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
        if not self._show_cached_walk():
            self._walk_timer.start()

    def current_timeline(self):
        """The timeline the controls describe, or None without keyframes (or generator)."""
        if self._info is None or self.keyframes.count() == 0:
            return None
        from studio.engine.latent.keyframes import Keyframe, Segment, Timeline, Wander

        datas = self.keyframes.datas()
        loop = self.loop_check.isChecked() and len(datas) > 1
        n = len(datas) if loop else len(datas) - 1
        keys = [Keyframe(seed=None if d.get("seed") is None else int(d["seed"]),
                         latent=[float(x) for x in d["latent"]] if d.get("latent") else None,
                         label=str(d.get("label", ""))) for d in datas]
        segs = [Segment(int(d.get("frames", 24)), str(d.get("easing", "linear")), str(d.get("interp", "slerp")),
                        None if d.get("seconds") is None else float(d["seconds"])) for d in datas[:n]]
        wander = None
        for i, d in enumerate(datas):
            w = d.get("wander")
            if w:
                wander = Wander(i, float(w["radius"]), int(w["frames"]), int(w["seed"]))
                break
        return Timeline(keys, segs, loop, float(self.fps_spin.value()), self.truncation(), self._info.latent_dim,
                        wander)

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
        if tl.wander is not None:
            self.timeline_summary.setText(f"Wandering around keyframe {tl.wander.keyframe + 1} · "
                                          f"{tl.frame_count} frames · {tl.duration_s:.1f} s · loops")
            return
        self.timeline_summary.setText(f"{n} keyframe{'s' if n != 1 else ''} · {tl.frame_count} frames · "
                                      f"{tl.duration_s:.1f} s{' · loops' if tl.loop else ''}")

    # ================================================================================ preview player
    @staticmethod
    def segment_plan(tl) -> list[tuple[str, range]]:
        """The walk as cacheable pieces: (key, frame range) per segment, keyed by what its frames depend on
        (its two keyframes' latents, its frames/easing/interp, truncation), so an edit re-renders only the
        segments it touched."""
        from dataclasses import asdict

        ids = [entry_key({"seed": k.seed, "latent": k.latent}) for k in tl.keyframes]
        if tl.wander is not None:
            w = tl.wander
            return [(json.dumps(["wander", ids[w.keyframe], w.radius, w.frames, w.seed, tl.truncation]),
                     range(0, w.frames))]
        if not tl.segments:
            return [(json.dumps(["still", ids[0], tl.truncation]), range(0, 1))]
        plan = []
        starts = tl.segment_starts()
        last = len(tl.segments) - 1
        for i, seg in enumerate(tl.segments):
            extra = 1 if i == last and not tl.loop else 0  # an open walk ends on its last keyframe
            seg_shape = {k: v for k, v in asdict(seg).items() if k != "seconds"}  # the unit does not change frames
            key = json.dumps([ids[i], ids[(i + 1) % len(ids)], seg_shape, tl.truncation, extra])
            plan.append((key, range(starts[i], starts[i] + seg.frames + extra)))
        return plan

    def _store_segment(self, key: str, frames: np.ndarray) -> None:
        self._segment_cache[key] = frames
        self._segment_cache.move_to_end(key)
        total = sum(f.nbytes for f in self._segment_cache.values())
        while total > SEGMENT_CACHE_BYTES and len(self._segment_cache) > 1:
            _k, old = self._segment_cache.popitem(last=False)
            total -= old.nbytes

    def _show_cached_walk(self) -> bool:
        """Show the walk from cached segments when every piece is there; False when something must render."""
        tl = self.current_timeline()
        if tl is None:
            return False
        plan = self.segment_plan(tl)
        if any(k not in self._segment_cache for k, _r in plan):
            return False
        for k, _r in plan:
            self._segment_cache.move_to_end(k)
        frames = np.concatenate([self._segment_cache[k] for k, _r in plan])
        self._set_frames(self._timeline_key(), frames)
        return True

    def render_preview(self) -> None:
        tl = self.current_timeline()
        if tl is None or self._generator is None:
            return
        if self._show_cached_walk():
            return
        missing: OrderedDict[str, range] = OrderedDict()
        for k, r in self.segment_plan(tl):
            if k not in self._segment_cache:
                missing.setdefault(k, r)
        g = self._generator

        def render(ctx):
            import torch

            from studio.engine.latent.keyframes import frame_latents
            from studio.engine.latent.render import render_frames

            latents = torch.cat([frame_latents(tl, frames=r) for r in missing.values()])
            n = latents.shape[0]

            def on_progress(done: int, total: int) -> None:
                ctx.progress(done, total, f"Rendering preview {done} / {n}")

            frames = render_frames(g, latents, 16, on_progress=on_progress, check=ctx.check)
            out, pos = [], 0
            for r in missing.values():
                out.append(frames[pos:pos + len(r)].copy())
                pos += len(r)
            return list(missing), out

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
        self._estimate_timer.start()
        if self._play_after_render:
            self._play_after_render = False
            self.play_button.setChecked(True)

    def _show_frame(self, index: int) -> None:
        frames = self._frames
        if frames is None or not len(frames):
            return
        index = max(0, min(int(index), len(frames) - 1))
        cells = self.grid_cells()
        if cells > 1:
            from studio.engine.latent.jobs import GRID_PADDING, phase_offsets
            from studio.engine.latent.render import tile_frames

            n = len(frames)
            stacks = [frames[(index + off) % n][None] for off in phase_offsets(n, cells)]
            self.player_view.set_image(tile_frames(stacks, None, GRID_PADDING)[0])
        else:
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
        from studio.engine.gallery import ensure_workspace_folder
        from studio.ui.workspace import workspace_dir

        folder = ensure_workspace_folder("animation", workspace_dir())  # the gallery lists it there
        base = (self._source.stem if self._source is not None else "walk") + "-walk"
        suggestion = str(folder / (base + suffix))
        if fmt == "png-sequence":
            path, _ = QFileDialog.getSaveFileName(self, "Export PNG frames into a new folder", suggestion)
        else:
            filt = {"gif": "GIF animation (*.gif)", "mp4": "MP4 video (*.mp4)",
                    "sprite-sheet": "Sprite sheet (*.sheet.png)"}[fmt]
            path, _ = QFileDialog.getSaveFileName(self, "Export animation", suggestion, filt)
        if path:
            self.export_walk(path)

    def gif_loop(self) -> int:
        """The engine's GIF loop value from "plays": forever → 0, once → -1, n times → n - 1 repeats."""
        plays = self.gif_plays_spin.value()
        return 0 if plays == 0 else (-1 if plays == 1 else plays - 1)

    def set_gif_loop(self, loop: int) -> None:
        self.gif_plays_spin.setValue(0 if loop == 0 else (1 if loop < 0 else min(100, loop + 1)))

    def export_settings(self) -> dict:
        return {"fmt": self.format_combo.currentData(), "size": self.size_spin.value(),
                "resample": self.resample_combo.currentData(), "gif_loop": self.gif_loop(),
                "palette_colors": int(self.palette_combo.currentData())}

    def grid_cells(self) -> int:
        """How many walks play side by side (1: a single walk)."""
        return int(self.grid_combo.currentData() or 1)

    def set_grid_cells(self, cells: int) -> None:
        index = self.grid_combo.findData(int(cells))
        if index >= 0:
            self.grid_combo.setCurrentIndex(index)

    def _on_grid_changed(self, *_args) -> None:
        if self._frames is not None:
            self._show_frame(self.scrub.value())
        self._estimate_timer.start()

    def _on_export_settings_changed(self, *_args) -> None:
        is_gif = self.format_combo.currentData() == "gif"
        for w in (self.gif_plays_label, self.gif_plays_spin, self.palette_label, self.palette_combo,
                  self.size_estimate_label):
            w.setVisible(is_gif)
        self._estimate_timer.start()

    def update_size_estimate(self) -> None:
        """An estimated GIF size from the preview frames (encodes two frames and extrapolates)."""
        if self.format_combo.currentData() != "gif":
            self.size_estimate_label.setText("")
            return
        frames = self._frames
        if frames is None or self._frames_key != self._timeline_key():
            self.size_estimate_label.setText("Size: shown once the preview has rendered")
            return
        from studio.engine.export import estimate_gif_bytes

        s = self.export_settings()
        # Large outputs: estimate at a modest size and scale by area, so the GUI never stalls on it.
        size = min(s["size"], ESTIMATE_MAX_PX)
        n = estimate_gif_bytes(frames, float(self.fps_spin.value()), size, s["resample"], s["palette_colors"])
        n = int(n * (s["size"] / size) ** 2 * self.grid_cells())
        self.size_estimate_label.setText(f"About {format_bytes(n)}")

    def export_walk(self, path: str | Path) -> bool:
        """Write the timeline to ``path`` in the chosen format, in the background."""
        tl = self.current_timeline()
        if tl is None or self._source is None or self.export_runner.is_running():
            return False
        s = self.export_settings()
        fmt = s["fmt"]
        suffix = next(x for _t, f, x in EXPORT_FORMATS if f == fmt)
        out = Path(path)
        if suffix and not out.name.lower().endswith(suffix):
            out = out.with_name(out.name + suffix)
        from studio.engine.latent.jobs import WalkExportJob

        try:
            tl.validate()
            job = WalkExportJob(self._source, tl, out, size=s["size"], fmt=fmt, resample=s["resample"],
                                gif_loop=s["gif_loop"], palette_colors=s["palette_colors"],
                                grid=self.grid_cells(), use_ema=self.uses_ema())
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
        self.open_recipe_button.setEnabled(not busy_open)
        self.undo_button.setEnabled(bool(self._undo))
        self.redo_button.setEnabled(bool(self._redo))
        self.runs_list.setEnabled(not busy_open)
        self.ema_check.setEnabled(bool(self._info is not None and self._info.has_ema) and not busy_open)
        for w in (self.new_batch_button, self.seed_spin, self.show_seed_button, self.truncation_slider):
            w.setEnabled(has_gen)
        entry = self.grid.current_entry()
        self.star_button.setEnabled(has_gen and entry is not None)
        self.variations_button.setEnabled(has_gen and entry is not None)
        self.star_button.setText("★ Favourite" if entry is not None and entry_key(entry) in self.favourite_keys()
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
        for w in (self.format_combo, self.size_spin, self.resample_combo, self.gif_plays_spin, self.palette_combo):
            w.setEnabled(not exporting)

    def shutdown(self, timeout_ms: int = 30_000) -> bool:
        """Stop timers and background work; join the worker threads."""
        self._grid_timer.stop()
        self._walk_timer.stop()
        self.play_timer.stop()
        self._estimate_timer.stop()
        self._pending.clear()
        ok = self.render_runner.shutdown(timeout_ms)
        return self.export_runner.shutdown(timeout_ms) and ok

    def _on_about_to_quit(self) -> None:
        self.shutdown()


def keyframe_text(entry: dict) -> str:
    return str(entry.get("label", "")) + (" ∿" if entry.get("wander") else "")


def entry_vector(entry: dict, dim: int):
    """The latent of a favourite/keyframe entry: its stored latent, else its seed's."""
    from studio.engine.latent.keyframes import Keyframe

    latent = entry.get("latent")
    return Keyframe(seed=entry.get("seed"), latent=[float(x) for x in latent] if latent else None).vector(dim)


def item_data_of(item: QListWidgetItem | None) -> dict:
    data = item.data(ROLE) if item is not None else None
    return dict(data) if isinstance(data, dict) else {}


__all__ = ["ExplorePage", "favourites_path", "load_favourites"]
