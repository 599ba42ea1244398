"""The layout checker itself: it must see cut text, controls cut off by their parent, overlaps and sideways scrolling,
and stay quiet for a window that fits — otherwise a passing page test would mean nothing."""

from __future__ import annotations

from layout_check import fit_window, layout_problems
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)


def _shown(qtbot, widget: QWidget, width: int, height: int) -> QWidget:
    qtbot.addWidget(widget)
    widget.show()
    fit_window(widget, width, height)
    return widget


def test_a_window_that_fits_has_no_problems(qtbot):
    root = QWidget()
    lay = QVBoxLayout(root)
    lay.addWidget(QLabel("A short caption"))
    lay.addWidget(QPushButton("Start"))
    combo = QComboBox()
    combo.addItems(["Small", "Large"])
    lay.addWidget(combo)
    _shown(qtbot, root, 400, 300)
    assert layout_problems(root) == []


def test_a_label_narrower_than_its_text_is_cut(qtbot):
    root = QWidget()
    label = QLabel("This sentence is far too long for the little box it lives in", root)
    label.setGeometry(0, 0, 60, 20)
    _shown(qtbot, root, 300, 100)
    kinds = [p.kind for p in layout_problems(root)]
    assert kinds == ["cut text"]


def test_a_wrapped_label_without_the_height_it_needs_is_cut(qtbot):
    root = QWidget()
    label = QLabel("word " * 60, root)
    label.setWordWrap(True)
    label.setGeometry(0, 0, 120, 20)
    _shown(qtbot, root, 300, 100)
    assert [p.kind for p in layout_problems(root)] == ["cut text"]


def test_a_combo_box_too_narrow_for_its_choice_is_cut(qtbot):
    root = QWidget()
    combo = QComboBox(root)
    combo.addItem("Lesson: fully connected GAN (28×28)")
    combo.setGeometry(0, 0, 90, 26)
    _shown(qtbot, root, 300, 100)
    assert [p.kind for p in layout_problems(root)] == ["cut text"]


def test_overlapping_siblings_and_a_control_outside_its_parent_are_found(qtbot):
    root = QWidget()
    a = QPushButton("One", root)
    b = QPushButton("Two", root)
    a.setGeometry(0, 0, 80, 30)
    b.setGeometry(40, 0, 80, 30)  # covers half of "One"
    outside = QPushButton("Far", root)
    outside.setGeometry(250, 0, 80, 30)  # the root is only 300 px wide
    _shown(qtbot, root, 300, 100)
    kinds = sorted(p.kind for p in layout_problems(root))
    assert kinds == ["cut off", "overlap"]


def test_floating_overlays_may_overlap_on_purpose(qtbot):
    root = QWidget()
    canvas = QLabel("canvas", root)
    canvas.setGeometry(0, 0, 200, 100)
    badge = QLabel("3", root)
    badge.setGeometry(180, 0, 20, 20)
    badge.setProperty("layoutOverlay", True)
    _shown(qtbot, root, 300, 150)
    assert layout_problems(root) == []


def test_a_panel_that_needs_sideways_scrolling_is_found(qtbot):
    root = QWidget()
    area = QScrollArea()
    area.setWidgetResizable(True)
    panel = QWidget()
    row = QHBoxLayout(panel)
    for i in range(12):
        row.addWidget(QPushButton(f"Action {i}"))
    area.setWidget(panel)
    QVBoxLayout(root).addWidget(area)
    _shown(qtbot, root, 300, 200)
    assert "sideways scroll" in [p.kind for p in layout_problems(root)]


def test_a_window_that_cannot_shrink_to_the_screen_is_reported(qtbot):
    root = QWidget()
    root.setMinimumSize(900, 700)
    qtbot.addWidget(root)
    root.show()
    problems = fit_window(root, 800, 600)
    assert [p.kind for p in problems] == ["window"]


def test_a_label_that_draws_its_own_ellipsis_may_be_narrower_than_its_text(qtbot):
    root = QWidget()
    label = QLabel("seed 60559 ~12 (a variation of a variation)", root)
    label.setProperty("elidesText", True)  # it paints "seed 60559 ~1…" itself
    label.setGeometry(0, 0, 80, 20)
    _shown(qtbot, root, 300, 100)
    assert layout_problems(root) == []
