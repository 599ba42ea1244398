"""Where everything on the Stylize page sits: the settings column on the left, run controls, canvas and loss plot
on the right. The one place to change when the page must fit a smaller window."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.ui.widgets.overflow_row import OverflowRow

if TYPE_CHECKING:
    from studio.ui.stylize.page import StylizePage


def build_layout(page: StylizePage) -> None:
    """Settings column (scrolls, folds away) | run row, status, view row, canvas, foldable loss plot."""
    f, r = page.form, page.view
    form = QFormLayout()
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    for label, slider, spin in (("Style strength", f.strength, f.strength_spin),
                                ("Smoothness", f.smooth, f.smooth_spin)):
        row = QHBoxLayout()
        row.addWidget(slider, 1)
        spin.setFixedWidth(84)
        row.addWidget(spin)
        form.addRow(label, row)
    form.addRow("Output size", f.size_spin)
    form.addRow("Iterations", f.iter_spin)
    form.addRow("Colours", f.colors_combo)
    form.addRow("Features", f.features.combo)
    form.addRow(f.features)
    form.addRow(f.memory_label)

    left = QVBoxLayout()
    left.setContentsMargins(8, 8, 8, 8)
    left.setSpacing(8)
    prow = QHBoxLayout()
    plabel = QLabel("Preset", page)
    plabel.setToolTip(f.preset_combo.toolTip())
    prow.addWidget(plabel)
    prow.addWidget(f.preset_combo, 1)
    left.addLayout(prow)
    orow = QHBoxLayout()  # its own row, so the column can be as narrow as the preset names
    orow.addWidget(page.open_recipe_button)
    orow.addStretch(1)
    left.addLayout(orow)
    left.addWidget(f.preset_info)
    g1 = QGroupBox("Photo or animation", page)
    g1_lay = QVBoxLayout(g1)
    g1_lay.addWidget(page.content)
    g1_lay.addWidget(page.animation)
    g2 = QGroupBox("Style paintings", page)
    QVBoxLayout(g2).addWidget(page.styles)
    g3 = QGroupBox("Settings", page)
    g3.setLayout(form)
    for g in (g1, g2, g3):
        left.addWidget(g)
    left.addWidget(f.advanced_section)
    left.addStretch(1)
    left_inner = QWidget(page)
    left_inner.setObjectName("stylizeSettingsColumn")
    left_inner.setLayout(left)
    page.left_scroll = QScrollArea(page)
    page.left_scroll.setObjectName("stylizeLeftScroll")
    page.left_scroll.setWidgetResizable(True)
    page.left_scroll.setFrameShape(QFrame.Shape.NoFrame)
    page.left_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    page.left_scroll.setWidget(left_inner)
    page.left_scroll.setMinimumWidth(settings_min_width(page))
    page.left_scroll.setMaximumWidth(SETTINGS_MAX_W)

    # the action rows place their buttons themselves: what does not fit goes into a "⋯" menu, the hint elides
    page.settings_toggle = QToolButton(page)
    page.settings_toggle.setObjectName("stylizeSettingsToggle")
    page.settings_toggle.setCheckable(True)
    page.settings_toggle.setChecked(True)
    page.settings_toggle.setToolTip("Show or hide the settings column, to give the picture the whole width")
    page.settings_toggle.toggled.connect(page.left_scroll.setVisible)
    page.settings_toggle.toggled.connect(lambda on: _toggle_text(page.settings_toggle, on))
    _toggle_text(page.settings_toggle, True)
    run_row = OverflowRow(page)
    run_row.setObjectName("stylizeRunRow")
    run_row.add(page.settings_toggle, pinned=True)
    run_row.add(page.start_button, pinned=True)
    run_row.add(page.stop_button, pinned=True)
    run_row.add(page.keep_button, priority=1)
    view_row = OverflowRow(page)  # saving stays in sight longest; the zoom readout and the hint go first
    view_row.setObjectName("stylizeViewRow")
    for b, prio in ((r.fit_button, 5), (r.actual_button, 3), (r.compare_button, 4)):
        view_row.add(b, priority=prio)
    view_row.add(r.zoom_label, priority=-1)
    view_row.add(page.save_button, right=True, priority=6)
    view_row.add(page.gif_button, right=True, priority=0)
    view_row.add(page.copy_button, right=True, priority=2)
    r.view_hint.setContentsMargins(8, 0, 8, 0)
    r.view_hint.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    view_row.set_elastic(r.view_hint)
    r.preview.setToolTip(r.view_hint.full_text())  # the hint is there even when the row has no room for it
    page.run_row, page.view_row = run_row, view_row

    # the losses fold away under the canvas; on a short screen they start folded so the picture keeps the height
    page.loss_toggle = QToolButton(page)
    page.loss_toggle.setObjectName("stylizeLossToggle")
    page.loss_toggle.setCheckable(True)
    page.loss_toggle.setChecked(True)
    page.loss_toggle.setArrowType(Qt.ArrowType.DownArrow)
    page.loss_toggle.setAutoRaise(True)
    page.loss_toggle.setToolTip("Show or hide the loss plot")
    page.loss_toggle.toggled.connect(r.plot.setVisible)
    page.loss_toggle.toggled.connect(lambda on: page.loss_toggle.setArrowType(
        Qt.ArrowType.DownArrow if on else Qt.ArrowType.RightArrow))
    page.loss_toggle.clicked.connect(lambda: setattr(page, "loss_folded_by_artist", True))
    page.loss_folded_by_artist = False
    legend_row = QHBoxLayout()
    legend_row.setSpacing(4)
    legend_row.addWidget(page.loss_toggle)
    legend_row.addWidget(r.plot_legend, 1)

    right = QVBoxLayout()
    right.setSpacing(6)
    right.addWidget(run_row)
    right.addWidget(page.progress_label)
    right.addWidget(page.progress_bar)
    right.addWidget(page.error_label)
    fallback_row = QHBoxLayout()
    fallback_row.addWidget(page.run_panel.fallback_label, 1)
    fallback_row.addWidget(page.run_panel.fallback_button)
    right.addLayout(fallback_row)
    right.addWidget(view_row)
    right.addWidget(r.preview, 3)
    right.addLayout(legend_row)
    right.addWidget(r.plot, 1)
    outer = QHBoxLayout(page)
    outer.addWidget(page.left_scroll)
    outer.addLayout(right, 1)
    for w in (page.progress_label, page.error_label, page.run_panel.fallback_label, f.preset_info):
        w.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)


SETTINGS_MAX_W = 480  # the settings column's width on a wide screen
SETTINGS_SHARE = 0.4  # on a narrower one it takes this share of the page, never less than its controls need
SHORT_PAGE_H = 700  # below this page height the loss plot starts folded


def settings_min_width(page: StylizePage) -> int:
    """The narrowest the settings column gets without cutting a control or scrolling sideways."""
    inner = page.left_scroll.widget()
    bar = page.left_scroll.verticalScrollBar().sizeHint().width()
    return min(SETTINGS_MAX_W, inner.minimumSizeHint().width() + bar + 2)


def fit_to_page(page: StylizePage) -> None:
    """Share the width and height as the page is resized: the canvas gets what the settings do not need, and a
    short page folds the loss plot (unless the artist opened or closed it)."""
    low = settings_min_width(page)
    page.left_scroll.setMinimumWidth(low)
    page.left_scroll.setFixedWidth(max(low, min(SETTINGS_MAX_W, round(page.width() * SETTINGS_SHARE))))
    if not page.loss_folded_by_artist:
        page.loss_toggle.setChecked(page.height() >= SHORT_PAGE_H)


def _toggle_text(button: QToolButton, shown: bool) -> None:
    button.setText("◀ Settings" if shown else "▶ Settings")
