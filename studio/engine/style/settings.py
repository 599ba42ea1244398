"""Style-transfer settings and the lesson's presets, without torch.

The CLI parser, the Stylize page and recipe readers need these words and numbers before (or without)
loading torch; gatys.py and masks.py import them from here, so each is defined once. Keep this module
free of torch, numpy and Qt (tests/test_torch_free.py checks).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

from studio.engine.errors import StudioError
from studio.engine.recipes import ARTWORK_KIND

__all__ = [
    "COLOR_MODES", "DEFAULT_STYLE_LAYERS", "INITS", "LESSON_PRESETS", "LESSON_PRESET_INFO", "LESSON_STYLE_LAYERS",
    "OPTIMIZERS", "PRECISIONS", "RECIPE_KIND", "REGION_COLORS", "StyleError", "StyleSettings", "preset_description",
    "preset_settings", "preset_title",
]

DEFAULT_STYLE_LAYERS = {"conv1_1": 1.0, "conv2_1": 1.0, "conv3_1": 1.0, "conv4_1": 1.0, "conv5_1": 1.0}
LESSON_STYLE_LAYERS = {"conv1_1": 1.0, "conv2_1": 1.0, "conv3_1": 1.0, "conv4_1": 1.0}
INITS = ("content", "noise", "style", "content+noise")
OPTIMIZERS = ("lbfgs", "adam")
COLOR_MODES = ("adopt", "none", "keep", "match")
PRECISIONS = ("auto", "fp32", "bf16")
RECIPE_KIND = ARTWORK_KIND  # the recipe format is the recipes module's (one copy)


class StyleError(StudioError, ValueError):
    """Settings or inputs that cannot run, in words an artist can act on."""


@dataclass
class StyleSettings:
    size: int = 512  # output long side (px)
    # optimiser evaluations over all scales. 200 at 512 px = 11 at 128 + 21 at 256 + 168 at 512 (plan_scales): the
    # tutorial-style reference's loss (fp32, one scale, 150 L-BFGS evaluations) is reached after 131 of the 168, at
    # 0.44× the reference's compute, and the whole run ends 3 % below it (tests/bench/bench_style.py --only quality;
    # the old 300 = 133 + 67 + 100 never reached it: it ended 12 % above)
    iterations: int = 200
    optimizer: str = "lbfgs"
    lr: float = 0.02  # Adam only (pixels in [0, 1])
    init: str = "content"
    noise: float = 0.25  # "content+noise": amplitude of the uniform noise added
    seed: int = 0
    content_weight: float = 1.0
    # with the relative losses (normalize, the default) the style term starts at exactly this weight for any photo and
    # painting and the content term counts the photo's features' energy as 1. Measured on real paintings
    # (tests/bench/bench_paintings.py, 256 px): 2 is a clear hint, 5 repaints the photo in the painting's strokes and
    # palette with the photo readable (style distance below the classic recipe's), 20 is mostly the painting's
    # surface. With the absolute losses (normalize False: the lesson presets, older recipes) 3–10 did about the same
    # for one photo and painting, and the right number moved from painting to painting
    style_weight: float = 5.0
    # 0.1 with the relative losses (1.0 was set for the absolute ones, whose content term is ~8× larger)
    tv_weight: float = 0.1
    content_layers: dict[str, float] = field(default_factory=lambda: {"conv4_2": 1.0})
    style_layers: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_STYLE_LAYERS))
    style_blend: list[float] | None = None  # one weight per style image (default: equal)
    style_scale: float = 1.0  # style image long side relative to the working size
    # "adopt" (the photo recoloured to the paintings' palette first: the result's colours are the paintings') |
    # "none" (free: the optimisation drifts from the photo's colours) | "keep" (luminance-only transfer) |
    # "match" (the paintings recoloured to the photo)
    colors: str = "adopt"
    scales: list[int] | None = None  # working long sides, coarse to fine; None = automatic
    scale_iterations: list[int] | None = None  # evaluations per scale; None = most at the coarsest
    min_scale: int = 128  # automatic scales halve the size while it stays at least this
    center_crop: bool = False  # square crop of content (and styles), as the lesson did
    backbone: str = "auto"
    vgg19_path: str | None = None
    pooling: str = "max"  # "max" (as trained) | "avg" (Gatys: smoother gradients)
    device: str = "auto"
    preview_every_s: float = 0.5  # 0 = no previews
    timelapse_frames: int = 120  # previews kept for the timelapse GIF (0 = none)
    timelapse_side: int = 256
    keep_on_stop: bool = True  # a stop returns the current image instead of discarding it
    lbfgs_history: int = 50  # 100 (torch's default) measured no better: 180 evaluations to the bench's target either way
    # "auto" (bf16 where the CPU/GPU runs it fast) | "fp32" | "bf16"; bf16 keeps the first layer in float32
    # (GatysLoss.fp32_head), so it needs as many L-BFGS evaluations as float32 (152 vs 150 to the bench's target)
    precision: str = "auto"
    # above 512 px: also hold the result, downscaled to the 512 px pass's size, to that pass's objective, so a big
    # output keeps the look of the 512 px one instead of washing its brushwork back towards the photo
    keep_look: bool = True
    look_weight: float = 1.0
    # relative losses: each style layer's error is divided by the photo's own error there against the painting, and
    # the content error by the photo's feature energy, at every working size. So one strength means the same pressure
    # for a soft watercolour and a violent canvas, for every layer and scale. False = the absolute losses of before
    normalize: bool = True

    def validate(self) -> None:
        if self.optimizer not in OPTIMIZERS:
            raise StyleError(f"optimizer must be one of {', '.join(OPTIMIZERS)}")
        if self.init not in INITS:
            raise StyleError(f"start image must be one of {', '.join(INITS)}")
        if self.colors not in COLOR_MODES:
            raise StyleError(f"colour mode must be one of {', '.join(COLOR_MODES)}")
        if self.precision not in PRECISIONS:
            raise StyleError(f"precision must be one of {', '.join(PRECISIONS)}")
        if self.pooling not in ("max", "avg"):
            raise StyleError("pooling must be max or avg")
        if self.size < 16:
            raise StyleError("the output must be at least 16 px")
        if self.iterations < 1:
            raise StyleError("iterations must be at least 1")
        if not self.content_layers and not self.style_layers:
            raise StyleError("choose at least one content or style layer")
        for name, value in (("content", self.content_weight), ("style", self.style_weight),
                            ("smoothness", self.tv_weight)):
            if not math.isfinite(value) or value < 0:
                raise StyleError(f"{name} weight must be a number ≥ 0")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> StyleSettings:
        known = {f for f in cls.__dataclass_fields__}
        d = {k: v for k, v in d.items() if k in known}
        d.setdefault("colors", "none")  # written before the colour modes existed: re-run as it was made
        d.setdefault("normalize", False)  # written before the relative losses existed: absolute, as it was made
        return cls(**d)


# ------------------------------------------------------------------------------------------- presets

def _lesson(**kw) -> dict:
    base = {"size": 256, "center_crop": True, "backbone": "vgg16", "optimizer": "adam", "lr": 0.02,
            "content_layers": {"conv4_2": 1.0}, "style_layers": dict(LESSON_STYLE_LAYERS),
            "colors": "none", "normalize": False, "scales": [256], "min_scale": 256}
    base.update(kw)
    return base


LESSON_PRESETS: dict[str, dict] = {
    "lesson-content-only": _lesson(init="noise", style_weight=0.0, tv_weight=0.0, iterations=300),
    "lesson-content-style": _lesson(init="noise", content_weight=1.0, style_weight=1e4, tv_weight=0.0,
                                    iterations=300),
    "lesson-content-style-variation": _lesson(init="content+noise", noise=0.25, content_weight=1.0,
                                              style_weight=150.0 * 100, tv_weight=30.0, iterations=300),
    "lesson-layer-block3_conv2": _lesson(init="noise", style_weight=0.0, tv_weight=0.0, optimizer="lbfgs",
                                         content_layers={"conv3_2": 1.0}, iterations=200),
    "lesson-layer-block4_conv2": _lesson(init="noise", style_weight=0.0, tv_weight=0.0, optimizer="lbfgs",
                                         content_layers={"conv4_2": 1.0}, iterations=200),
    "lesson-layer-block5_conv1": _lesson(init="noise", style_weight=0.0, tv_weight=0.0, optimizer="lbfgs",
                                         content_layers={"conv5_1": 1.0}, iterations=200),
}


def preset_settings(name: str, **overrides) -> StyleSettings:
    if name not in LESSON_PRESETS:
        raise StyleError(f"unknown preset {name!r}; choose one of {', '.join(LESSON_PRESETS)}")
    return StyleSettings(**{**LESSON_PRESETS[name], **overrides})


# The words for each lesson preset: (title, what it shows). The Stylize page and `stylize --help` use them.
LESSON_PRESET_INFO: dict[str, tuple[str, str]] = {
    "lesson-content-only": (
        "Lesson 1 · Photo only, from noise",
        "Starts from random noise and only asks that the network's conv4_2 layer (block4_conv2) sees what it "
        "sees in the photo — no painting at all. Shows what a deep layer remembers: the layout and shapes come "
        "back, exact colours and fine texture do not. Needs only a photo."),
    "lesson-content-style": (
        "Lesson 2 · Photo + style, from noise",
        "Starts from noise and matches the photo (conv4_2) and the painting's textures (Gram matrices of "
        "conv1_1 … conv4_1) at once. With no smoothness term the result is busy and grainy — the point the "
        "lesson makes before adding variation."),
    "lesson-content-style-variation": (
        "Lesson 3 · Photo + 150·style + 30·variation",
        "The lesson's final recipe: starts from the photo plus noise and weighs content 1, style 150 (15000 "
        "on this studio's scale) and variation 30. The variation (smoothness) term removes Lesson 2's grain."),
    "lesson-layer-block3_conv2": (
        "Layer view · block3_conv2 (conv3_2)",
        "Rebuilds the photo from noise through one early layer only (L-BFGS). Early layers keep almost "
        "everything: edges, fine texture and even colours come back nearly as they were. Needs only a photo."),
    "lesson-layer-block4_conv2": (
        "Layer view · block4_conv2 (conv4_2)",
        "Rebuilds the photo from noise through one middle-deep layer. Shapes and layout survive while fine "
        "texture and exact colours start to dissolve — which is why style transfer uses this layer for the "
        "photo. Needs only a photo."),
    "lesson-layer-block5_conv1": (
        "Layer view · block5_conv1 (conv5_1)",
        "Rebuilds the photo from noise through the deepest layer. Only a rough arrangement of objects "
        "remains; the picture turns into abstract forms. Needs only a photo."),
}


def preset_title(name: str) -> str:
    """The words a menu shows for a lesson preset (its name, readable, when it has none)."""
    return LESSON_PRESET_INFO.get(name, (name.replace("-", " ").capitalize(), ""))[0]


def preset_description(name: str) -> str:
    """What a lesson preset shows and why, for tooltips and the preset's info line."""
    return LESSON_PRESET_INFO.get(name, ("", "A lesson preset."))[1]


# region i ↔ colour i (RGB); black means "no particular style"
REGION_COLORS: tuple[tuple[int, int, int], ...] = (
    (230, 60, 60), (60, 200, 90), (70, 120, 240), (240, 200, 50),
    (200, 80, 220), (60, 210, 220), (250, 140, 40), (150, 110, 70),
)
