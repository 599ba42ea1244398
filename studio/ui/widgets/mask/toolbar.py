"""MaskToolBar: the buttons and sliders for a MaskEditor, kept in step with it both ways."""

from __future__ import annotations

import math

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QSlider,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from .editor import MAX_BRUSH, MIN_BRUSH, MaskEditor

_SIZE_STEPS = 200  # the size slider is logarithmic: fine control for small brushes
TOOL_NAMES = {"brush": "Brush", "eraser": "Eraser", "fill": "Fill"}


def size_to_slider(size: float) -> int:
    return round(math.log(max(MIN_BRUSH, size) / MIN_BRUSH) / math.log(MAX_BRUSH / MIN_BRUSH) * _SIZE_STEPS)


def slider_to_size(value: int) -> int:
    return round(MIN_BRUSH * (MAX_BRUSH / MIN_BRUSH) ** (value / _SIZE_STEPS))


def _swatch(rgb: tuple[int, int, int]) -> QIcon:
    pix = QPixmap(14, 14)
    pix.fill(QColor(*rgb))
    return QIcon(pix)


class MaskToolBar(QWidget):
    """Two rows: tools and actions, then brush and display settings. Every control has a tooltip in
    plain words; the editor's signals keep the controls current when shortcuts change things."""

    def __init__(self, editor: MaskEditor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editor = editor
        self._syncing = False

        def button(text: str, tip: str, checkable: bool = False) -> QToolButton:
            b = QToolButton(self)
            b.setText(text)
            b.setToolTip(tip)
            b.setCheckable(checkable)
            b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            return b

        self.brush_button = button("Brush", "Paint where you drag. Key: E switches to the eraser.", True)
        self.eraser_button = button("Eraser", "Remove paint where you drag. Key: E switches back, "
                                              "X swaps paint and erase.", True)
        self.fill_button = button("Fill", "Click a colour in the picture to paint every part that looks "
                                          "like it. Shift+click: keep only that part.", True)
        self.tools = QButtonGroup(self)
        for i, b in enumerate((self.brush_button, self.eraser_button, self.fill_button)):
            self.tools.addButton(b, i)
            b.setProperty("maskTool", True)
        self.tool_label = QLabel(self)
        self.tool_label.setObjectName("maskToolName")
        self.tool_label.setToolTip("The tool the left mouse button uses now")
        self.invert_button = button("Invert", "Paint what is unpainted and clear what is painted.")
        self.clear_button = button("Clear", "Remove all paint.")
        self.fill_all_button = button("Fill all", "Paint the whole picture.")
        self.undo_button = button("Undo", "Take back the last change (Ctrl+Z).")
        self.redo_button = button("Redo", "Bring back what you took back (Ctrl+Shift+Z).")
        self.fit_button = button("Fit", "Show the whole picture (Ctrl+0). Wheel zooms; drag with the "
                                        "right or middle button, or hold Space, to move around.")

        self.size_slider = QSlider(Qt.Orientation.Horizontal, self)
        self.size_slider.setRange(0, _SIZE_STEPS)
        self.size_spin = QSpinBox(self)
        self.size_spin.setRange(int(MIN_BRUSH), int(MAX_BRUSH))
        self.size_spin.setSuffix(" px")
        for w in (self.size_slider, self.size_spin):
            w.setToolTip("Brush width in picture pixels. Keys: [ smaller, ] bigger.")
        self.hardness_slider = QSlider(Qt.Orientation.Horizontal, self)
        self.hardness_slider.setRange(0, 100)
        self.hardness_slider.setToolTip("Edge of the brush: left is soft and fades out, right is a "
                                        "crisp edge. Keys: Shift+[ softer, Shift+] harder.")
        self.tolerance_spin = QSpinBox(self)
        self.tolerance_spin.setRange(0, 255)
        self.tolerance_spin.setToolTip("For Fill: how different a colour may be and still count as "
                                       "the same (0 = exactly the same colour).")
        self.contiguous_check = QCheckBox("Connected only", self)
        self.contiguous_check.setToolTip("For Fill: only paint the part that touches the spot you "
                                         "clicked, not every similar colour in the picture.")
        self.overlay_check = QCheckBox("Show paint", self)
        self.overlay_check.setToolTip("Show or hide the paint over the picture (the paint is kept).")
        self.opacity_slider = QSlider(Qt.Orientation.Horizontal, self)
        self.opacity_slider.setRange(0, 100)
        self.opacity_slider.setToolTip("How strongly the paint covers the picture on screen "
                                       "(display only, the mask is unchanged).")
        self.region_buttons: list[QToolButton] = []
        self.regions = QButtonGroup(self)
        self._region_row = QHBoxLayout()
        self._region_row.setContentsMargins(0, 0, 0, 0)

        top = QHBoxLayout()
        for w in (self.brush_button, self.eraser_button, self.fill_button):
            top.addWidget(w)
        top.addWidget(self.tool_label)
        top.addLayout(self._region_row)
        top.addStretch(1)
        for w in (self.fill_all_button, self.invert_button, self.clear_button, self.undo_button,
                  self.redo_button, self.fit_button):
            top.addWidget(w)
        bottom = QHBoxLayout()
        settings = (("Size", self.size_slider, 2), (None, self.size_spin, 0),
                    ("Hardness", self.hardness_slider, 1), ("Tolerance", self.tolerance_spin, 0),
                    (None, self.contiguous_check, 0), (None, self.overlay_check, 0),
                    ("Opacity", self.opacity_slider, 1))
        for label, w, stretch in settings:
            if label:
                lab = QLabel(label, self)
                lab.setToolTip(w.toolTip())
                bottom.addWidget(lab)
            bottom.addWidget(w, stretch)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addLayout(bottom)

        self.tools.idClicked.connect(self._tool_clicked)
        self.regions.idClicked.connect(self._region_clicked)
        self.invert_button.clicked.connect(editor.invert)
        self.clear_button.clicked.connect(self._clear_clicked)
        self.fill_all_button.clicked.connect(self._fill_all_clicked)
        self.undo_button.clicked.connect(editor.undo)
        self.redo_button.clicked.connect(editor.redo)
        self.fit_button.clicked.connect(editor.fit_to_view)
        self.size_slider.valueChanged.connect(self._size_slider_moved)
        self.size_spin.valueChanged.connect(self._size_spin_changed)
        self.hardness_slider.valueChanged.connect(self._hardness_moved)
        self.tolerance_spin.valueChanged.connect(editor.set_tolerance)
        self.contiguous_check.toggled.connect(editor.set_contiguous)
        self.overlay_check.toggled.connect(editor.set_overlay_visible)
        self.opacity_slider.valueChanged.connect(self._opacity_moved)
        editor.tool_changed.connect(self.sync)
        editor.history_changed.connect(self._sync_history)
        self.sync()
        self._sync_history()

    # --- from the controls to the editor ------------------------------------------------------------
    def _tool_clicked(self, index: int) -> None:
        self.editor.set_tool(("brush", "eraser", "fill")[index])

    def _region_clicked(self, index: int) -> None:
        self.editor.set_active_region(index)

    def _clear_clicked(self) -> None:
        self.editor.clear()

    def _fill_all_clicked(self) -> None:
        self.editor.fill()

    def _size_slider_moved(self, value: int) -> None:
        if not self._syncing:
            self.editor.set_brush_size(slider_to_size(value))

    def _size_spin_changed(self, value: int) -> None:
        if not self._syncing:
            self.editor.set_brush_size(value)

    def _hardness_moved(self, value: int) -> None:
        if not self._syncing:
            self.editor.set_brush_hardness(value / 100.0)

    def _opacity_moved(self, value: int) -> None:
        if not self._syncing:
            self.editor.set_overlay_opacity(value / 100.0)

    # --- from the editor to the controls ------------------------------------------------------------
    def sync(self) -> None:
        """Show the editor's current settings (signals from the controls are ignored meanwhile)."""
        e = self.editor
        self._syncing = True
        try:
            self.tools.button(("brush", "eraser", "fill").index(e.tool())).setChecked(True)
            self.fill_button.setText("Fill (erase)" if e.tool() == "fill" and e.is_erasing() else "Fill")
            self.tool_label.setText(f"Tool: {self.tool_name()}")
            self.size_slider.setValue(size_to_slider(e.brush_size()))
            self.size_spin.setValue(round(e.brush_size()))
            self.hardness_slider.setValue(round(e.brush_hardness() * 100))
            self.tolerance_spin.setValue(e.tolerance())
            self.contiguous_check.setChecked(e.contiguous())
            self.overlay_check.setChecked(e.overlay_visible())
            self.opacity_slider.setValue(round(e.overlay_opacity() * 100))
            self._sync_regions()
        finally:
            self._syncing = False

    def tool_name(self) -> str:
        """The active tool in words, as the toolbar names it ("Fill (erase)" after X with the fill tool)."""
        e = self.editor
        name = TOOL_NAMES.get(e.tool(), e.tool())
        return f"{name} (erase)" if e.tool() == "fill" and e.is_erasing() else name

    def _sync_regions(self) -> None:
        colors = self.editor.region_colors()
        if [b.property("rgb") for b in self.region_buttons] != [list(c) for c in colors]:
            for b in self.region_buttons:
                self.regions.removeButton(b)
                b.deleteLater()
            self.region_buttons = []
            for i, rgb in enumerate(colors):
                b = QToolButton(self)
                b.setCheckable(True)
                b.setIcon(_swatch(rgb))
                b.setText(str(i + 1))
                b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
                b.setToolTip(f"Paint region {i + 1}: where style {i + 1} goes.")
                b.setProperty("rgb", list(rgb))
                self.regions.addButton(b, i)
                self._region_row.addWidget(b)
                self.region_buttons.append(b)
        if self.region_buttons:
            self.region_buttons[self.editor.active_region()].setChecked(True)

    def _sync_history(self) -> None:
        self.undo_button.setEnabled(self.editor.can_undo())
        self.redo_button.setEnabled(self.editor.can_redo())
