"""The first-run welcome: what the studio does, a demo to try, where work is saved, pretrained features.

Shown once, after the window is on screen (``config.first_run_done``). It is not modal for the app's
event loop (``open()``), so the engine keeps loading behind it; the pretrained-features line fills in
when the engine is ready (``engine_ready``).
"""

from __future__ import annotations

import sys

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

__all__ = ["WelcomeDialog"]

WHAT_IT_DOES = (
    ("Train", "Teach a GAN your own pictures and watch it learn."),
    ("Explore", "Wander through what it learned and turn favourites into animations."),
    ("Stylize", "Repaint a photo in the style of paintings you love."),
)


class WelcomeDialog(QDialog):
    """Buttons emit requests; the window does the work (so tests can drive the dialog without pages)."""

    demo_requested = Signal()
    workspace_changed = Signal(str)
    help_requested = Signal()

    def __init__(self, workspace: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("welcomeDialog")
        self.setWindowTitle("Welcome to GAN Art Studio")
        self.features_panel = None

        title = QLabel("Welcome to GAN Art Studio", self)
        title.setObjectName("welcomeTitle")
        lines = QVBoxLayout()
        lines.setSpacing(6)
        for head, text in WHAT_IT_DOES:
            row = QLabel(f"<b>{head}</b> — {text}", self)
            row.setWordWrap(True)
            lines.addWidget(row)

        self.demo_button = QPushButton("Try the demo dataset", self)
        self.demo_button.setObjectName("welcomeDemo")
        self.demo_button.setProperty("primary", True)
        self.demo_button.setToolTip("Open the Train page with the built-in demo shapes chosen: press Start "
                                    "there and a small GAN learns them in a few minutes on a laptop")
        self.demo_button.clicked.connect(self._on_demo)
        self.help_button = QPushButton("How GANs work…", self)
        self.help_button.setToolTip("A short illustrated guide to GANs and style transfer (F1 at any time)")
        self.help_button.clicked.connect(self.help_requested)
        demo_row = QHBoxLayout()
        demo_row.addWidget(self.demo_button)
        demo_row.addWidget(self.help_button)
        demo_row.addStretch(1)

        ws_head = QLabel("<b>Your work is saved in</b>", self)
        self.workspace_label = QLabel(workspace, self)
        self.workspace_label.setObjectName("welcomeWorkspace")
        self.workspace_label.setWordWrap(True)
        self.workspace_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.workspace_label.setToolTip("Runs, artworks and animations go here; the Gallery shows them")
        self.change_button = QPushButton("Change…", self)
        self.change_button.setToolTip("Choose another folder for your work (also in Settings)")
        self.change_button.clicked.connect(self.choose_workspace)
        ws_row = QHBoxLayout()
        ws_row.addWidget(self.workspace_label, 1)
        ws_row.addWidget(self.change_button, 0, Qt.AlignmentFlag.AlignTop)

        feat_head = QLabel("<b>Pretrained features for Stylize</b>", self)
        self.features_label = QLabel("Checking… (once the engine has loaded)", self)
        self.features_label.setObjectName("welcomeFeatures")
        self.features_label.setWordWrap(True)
        self.features_box = QVBoxLayout()
        self.features_box.setSpacing(4)
        self.features_box.addWidget(self.features_label)

        self.dont_show = QCheckBox("Don't show this again", self)
        self.dont_show.setChecked(True)
        self.dont_show.setToolTip("Unticked, this welcome comes back the next time the studio starts")
        self.start_button = QPushButton("Start", self)
        self.start_button.setDefault(True)
        self.start_button.setToolTip("Close this welcome and start using the studio")
        self.start_button.clicked.connect(self.accept)
        foot = QHBoxLayout()
        foot.addWidget(self.dont_show)
        foot.addStretch(1)
        foot.addWidget(self.start_button)

        line = QFrame(self)
        line.setFrameShape(QFrame.Shape.HLine)
        line.setObjectName("welcomeLine")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(26, 22, 26, 18)
        lay.setSpacing(10)
        lay.addWidget(title)
        lay.addLayout(lines)
        lay.addLayout(demo_row)
        lay.addSpacing(6)
        lay.addWidget(ws_head)
        lay.addLayout(ws_row)
        lay.addSpacing(4)
        lay.addWidget(feat_head)
        lay.addLayout(self.features_box)
        lay.addStretch(1)
        lay.addSpacing(8)
        lay.addWidget(line)
        lay.addLayout(foot)
        self.setMinimumWidth(600)
        self.adjustSize()
        if "torch" in sys.modules:
            self.engine_ready()

    def _on_demo(self) -> None:
        self.demo_requested.emit()
        self.accept()

    def set_workspace(self, path: str) -> None:
        self.workspace_label.setText(path)

    def choose_workspace(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose the workspace folder", self.workspace_label.text())
        if folder:
            self.set_workspace(folder)
            self.workspace_changed.emit(folder)

    def engine_ready(self, vgg19_path: str | None = None) -> None:
        """torch is loaded: show which pretrained networks are here, with the buttons to get them."""
        if self.features_panel is not None or "torch" not in sys.modules:
            return
        try:
            from studio.ui.widgets.features_panel import FeaturesPanel
        except Exception as exc:  # noqa: BLE001 - the welcome must still open
            self.features_label.setText(f"Cannot check pretrained features: {exc}")
            return
        self.features_label.setText("Stylize works without them, but results look painted only with a "
                                    "pretrained network. Get one now or later in Settings.")
        panel = FeaturesPanel(self, embed_combo=False)
        panel.combo.hide()
        panel.set_vgg19_path(vgg19_path)
        self.features_panel = panel
        self.features_box.addWidget(panel)
        self.adjustSize()

    def shutdown(self, timeout_ms: int = 10_000) -> bool:
        return self.features_panel.shutdown(timeout_ms) if self.features_panel is not None else True
