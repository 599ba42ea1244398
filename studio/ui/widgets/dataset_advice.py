"""Which model and small-data settings suit the chosen pictures, said in plain words.

The engine decides (``regimes.recommend_preset``); this module turns its choice into sentences for the
Train page — a card under the picture count with a one-click "Use recommended", and the warning shown
when the lesson's preset is picked for a handful of pictures.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QToolButton, QVBoxLayout

REGIME_WORDS = {
    "tiny": ("Tiny", "fewer than 100"),
    "small": ("Small", "fewer than 1,000"),
    "large": ("Large", "1,000 or more"),
}
CHIP_TEXT = {"tiny": "Tiny <100", "small": "Small <1,000", "large": "Large 1,000+"}
CPU_MAX_SIZE = 64  # without a GPU, recommend no larger than this: 128 px trains for hours on a laptop CPU

CARD_QSS = """
QFrame#recommendationCard { background: #24232f; border: 1px solid #3b3760; border-radius: 8px; }
QFrame#recommendationCard QLabel { background: transparent; }
QLabel#recommendationHeadline { font-weight: 600; color: #eceef2; }
QLabel#recommendationText { color: #d4d0f2; }
QLabel#recommendationWhy { color: #aeb2bb; }
QLabel#regimeChip { color: #8d919b; border: 1px solid #3a3c44; border-radius: 8px; padding: 0px 4px;
                      font-size: 8.5pt; }
QLabel#regimeChip[active="true"] { color: #ffffff; background: #5b4fc4; border-color: #8b7cf6; }
QToolButton#whyToggle { border: none; color: #b7a9ff; background: transparent; }
"""


@dataclass(frozen=True)
class Advice:
    """A recommendation for ``count`` pictures, ready to show."""

    regime: str  # tiny | small | large
    count: int
    preset: str
    preset_title: str
    values: dict
    headline: str  # "143 pictures — a small set."
    recommendation: str  # "Recommended: Small-data GAN 64×64 with …, because …"
    why: str  # the engine's full explanation (+ a note when the size was capped for the CPU)


@functools.lru_cache(maxsize=1)
def has_gpu() -> bool:
    try:
        import torch

        mps = getattr(torch.backends, "mps", None)
        return bool(torch.cuda.is_available() or (mps is not None and mps.is_available()))
    except Exception:  # noqa: BLE001 - no torch: no GPU
        return False


def features_text(values: dict) -> str:
    """'adaptive augmentation, EMA and spectral normalisation' for a regime's values."""
    parts = []
    if values.get("augment") in ("adaptive", "fixed"):
        parts.append(f"{values['augment']} augmentation")
    if values.get("ema"):
        parts.append("EMA")
    if values.get("spectral_norm"):
        parts.append("spectral normalisation")
    if not parts:
        return ""
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def because_text(regime: str, preset: str) -> str:
    if regime == "tiny":
        return "because with fewer than 100 pictures a plain GAN's discriminator learns them by heart in minutes"
    if regime == "small":
        return ("because with fewer than 1,000 pictures a plain GAN's discriminator soon memorises them; "
                "augmentation keeps it honest")
    if preset.startswith("dcgan"):
        return "because with this many pictures the classic DCGAN trains well and fast"
    return "because it keeps large pictures sharp"


def advise(count: int, image_size: int | None, gpu: bool | None = None) -> Advice:
    """The engine's recommendation for ``count`` pictures of about ``image_size`` px, in words.

    Without a GPU the size is capped at 64 px (and the card says so): 128/256 px on a laptop CPU means
    hours per thousand steps.
    """
    from studio.engine.gan.models import PRESETS
    from studio.engine.gan.regimes import recommend_preset

    gpu = has_gpu() if gpu is None else gpu
    size = int(image_size or 64)
    choice = recommend_preset(int(count), min(size, CPU_MAX_SIZE) if not gpu else size)
    capped = choice.preset != recommend_preset(int(count), size).preset  # the CPU made the difference
    title = PRESETS[choice.preset].title
    word, _ = REGIME_WORDS[choice.regime]
    noun = "picture" if count == 1 else "pictures"
    headline = f"{count:,} {noun} — {'a ' + word.lower() + ' set' if choice.regime != 'large' else 'plenty'}."
    feats = features_text(choice.values)
    rec = f"Recommended: {title}" + (f" with {feats}" if feats else "") + f", {because_text(choice.regime, choice.preset)}."
    why = choice.explanation
    if capped:
        why += (f" Your pictures are about {size} px; on this computer's processor {CPU_MAX_SIZE}×{CPU_MAX_SIZE} "
                "keeps training to minutes rather than hours — pick a larger size on a computer with a GPU.")
    return Advice(choice.regime, int(count), choice.preset, title, dict(choice.values), headline, rec, why)


def preset_warning(preset: str, count: int, recommended_title: str) -> str:
    """What will likely happen with ``preset`` on ``count`` pictures, or "" when nothing to worry about."""
    from studio.engine.gan.models import PRESETS
    from studio.engine.gan.regimes import regime_for_count

    if count <= 0 or preset not in PRESETS:
        return ""
    family = PRESETS[preset].family
    regime = regime_for_count(count)
    n = f"{count:,} picture{'s' if count != 1 else ''}"
    if family == "lesson" and regime in ("tiny", "small"):
        when = "within a few hundred steps" if regime == "tiny" else "after a while"
        return (f"With only {n} the lesson's GAN will most likely overfit: its discriminator learns your "
                f"pictures by heart {when} (its loss sinks towards 0 — “D is winning”), and the generator then "
                f"stops improving or copies them. {recommended_title} is made for this.")
    if family == "dcgan" and regime == "tiny":
        return (f"With only {n} the classic DCGAN tends to overfit even with augmentation: D soon wins and "
                f"the samples stop improving or repeat your pictures. {recommended_title} is made for this.")
    return ""


class RecommendationCard(QFrame):
    """'143 pictures — a small set. Recommended: …' with the three size regimes and Use recommended."""

    use_clicked = Signal(str)  # the recommended preset's name

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("recommendationCard")
        self.setStyleSheet(CARD_QSS)
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
