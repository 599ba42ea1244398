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
    QVBoxLayout,
    QWidget,
)

if TYPE_CHECKING:
    from studio.ui.stylize.page import StylizePage


def build_layout(page: StylizePage) -> None:
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
    prow.addWidget(page.open_recipe_button)
    left.addLayout(prow)
    left.addWidget(f.preset_info)
    g1 = QGroupBox("Photo", page)
    QVBoxLayout(g1).addWidget(page.content)
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
    page.left_scroll.setFixedWidth(480)

    # run controls with the how-to hint on one row, view and output actions on the next, so no label is
    # clipped at 1280 px wide; buttons never shrink below their text
    run_row = QHBoxLayout()
    for b in (page.start_button, page.stop_button, page.keep_button):
        run_row.addWidget(b)
    run_row.addStretch(1)
    run_row.addWidget(r.view_hint)
    view_row = QHBoxLayout()
    for b in (r.fit_button, r.actual_button, r.compare_button):
        view_row.addWidget(b)
    view_row.addWidget(r.zoom_label)
    view_row.addStretch(1)
    for b in (page.save_button, page.gif_button, page.copy_button):
        view_row.addWidget(b)
    for b in (page.start_button, page.stop_button, page.keep_button, page.save_button, page.gif_button,
              page.copy_button, r.fit_button, r.actual_button, r.compare_button):
        b.setMinimumWidth(b.sizeHint().width())
    right = QVBoxLayout()
    right.addLayout(run_row)
    right.addWidget(page.progress_label)
    right.addWidget(page.progress_bar)
    right.addWidget(page.error_label)
    right.addLayout(view_row)
    right.addWidget(r.preview, 3)
    right.addWidget(r.plot_legend)
    right.addWidget(r.plot, 1)
    outer = QHBoxLayout(page)
    outer.addWidget(page.left_scroll)
    outer.addLayout(right, 1)
    for w in (page.progress_label, page.error_label, f.preset_info):
        w.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
