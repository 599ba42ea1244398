"""Which model and small-data settings suit the chosen pictures, said in plain words.

The engine decides and words it (``studio.engine.dataset_advice``); this module shows it on the Train
page — a card under the picture count with a one-click "Use recommended".
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QToolButton, QVBoxLayout

from studio.engine.dataset_advice import (  # noqa: F401 - the rules; also imported from here
    CPU_MAX_SIZE,
    REGIME_WORDS,
    Advice,
    advise,
    because_text,
    features_text,
    has_gpu,
    preset_warning,
)

CHIP_TEXT = {"tiny": "Tiny <100", "small": "Small <1,000", "large": "Large 1,000+"}



class RecommendationCard(QFrame):
    """'143 pictures — a small set. Recommended: …' with the three size regimes and Use recommended."""

    use_clicked = Signal(str)  # the recommended preset's name

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("recommendationCard")
        self.advice: Advice | None = None
        self.headline = QLabel("", self)
        self.headline.setObjectName("recommendationHeadline")
        self.headline.setWordWrap(True)
        self.text = QLabel("", self)
        self.text.setObjectName("recommendationText")
        self.text.setWordWrap(True)
        self.why = QLabel("", self)
        self.why.setObjectName("recommendationWhy")
        self.why.setWordWrap(True)
        self.why.hide()
        self.chips = {}
        chips = QHBoxLayout()
        chips.setSpacing(3)
        for key in REGIME_WORDS:
            chip = QLabel(CHIP_TEXT[key], self)
            chip.setObjectName("regimeChip")
            chip.setProperty("active", False)
            chip.setToolTip({
                "tiny": "Fewer than 100 pictures: strong augmentation from the start, weight averaging, "
                        "spectral normalisation, quality checks every 500 steps.",
                "small": "Fewer than 1,000 pictures: augmentation that grows only when the discriminator "
                         "starts memorising, weight averaging, spectral normalisation.",
                "large": "1,000 pictures or more: plain training; augmentation is off because it would "
                         "mostly cost time.",
            }[key])
            chip.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
            self.chips[key] = chip
            chips.addWidget(chip)
        chips.addStretch(1)
        self.use_button = QPushButton("Use recommended", self)
        self.use_button.setObjectName("useRecommended")
        self.use_button.setToolTip("Pick the recommended model, and let the picture count choose augmentation, "
                                   "weight averaging, spectral normalisation and quality checks.")
        self.use_button.clicked.connect(self._on_use)
        self.why_button = QToolButton(self)
        self.why_button.setObjectName("whyToggle")
        self.why_button.setText("Why?")
        self.why_button.setCheckable(True)
        self.why_button.setToolTip("Show the reasons in full")
        self.why_button.toggled.connect(self._on_why)
        buttons = QHBoxLayout()
        buttons.addWidget(self.use_button)
        buttons.addWidget(self.why_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setSpacing(4)
        layout.addWidget(self.headline)
        layout.addLayout(chips)
        layout.addWidget(self.text)
        layout.addWidget(self.why)
        layout.addLayout(buttons)
        self.hide()

    def set_advice(self, advice: Advice | None) -> None:
        self.advice = advice
        if advice is None:
            self.hide()
            return
        self.headline.setText(advice.headline)
        self.text.setText(advice.recommendation)
        self.why.setText(advice.why)
        self.setToolTip(advice.why)
        for key, chip in self.chips.items():
            active = key == advice.regime
            if bool(chip.property("active")) != active:
                chip.setProperty("active", active)
                chip.style().unpolish(chip)
                chip.style().polish(chip)
        self.show()

    def set_in_use(self, in_use: bool) -> None:
        """The settings already are the recommendation: say so instead of offering it."""
        self.use_button.setEnabled(not in_use)
        self.use_button.setText("✓ In use" if in_use else "Use recommended")

    def _on_use(self) -> None:
        if self.advice is not None:
            self.use_clicked.emit(self.advice.preset)

    def _on_why(self, on: bool) -> None:
        self.why.setVisible(on)
        self.why_button.setText("Less" if on else "Why?")
        self.why_button.setArrowType(Qt.ArrowType.NoArrow)
