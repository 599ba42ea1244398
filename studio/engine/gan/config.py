"""What a GAN run is made of, without torch: settings, presets, and the names they may take.

The CLI parser, the Train page and config.json readers need these before (or without) loading torch;
the torch modules (trainer, models, losses, augment) import them from here, so each name is defined
once. Keep this module free of torch, numpy and Qt (tests/test_torch_free.py checks).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "AUGMENT_MODES", "AUGMENT_OPS", "CONFIG_VERSION", "DEFAULT_AUGMENT_POLICY", "FIT_MODES", "LEGACY_VALUES",
    "LOSSES", "PRESETS", "PROJECTED_TAPS", "PresetInfo", "SAMPLE_WEIGHTS", "TrainConfig", "TrainResult", "augment_words",
    "parse_policy",
]

LOSSES = ("bce", "hinge")  # losses.py implements them
AUGMENT_OPS = ("color", "translation", "cutout")  # augment.py implements them, in this order
DEFAULT_AUGMENT_POLICY = "color,translation,cutout"
PROJECTED_TAPS = ("conv2_2", "conv3_3")  # the VGG16 scales the pretrained-eyes discriminator looks at
PROJECTED_WITH_PIXEL = True  # beside a pixel discriminator (tests/bench/bench_eyes.py compares)
RGB_HEADS = ("convT", "up")  # how the small-data generator turns its last features into pixels (models.py)


def parse_policy(policy: str | Sequence[str]) -> tuple[str, ...]:
    """``"color,translation,cutout"`` → ops in canonical order; unknown names are refused in words."""
    names = [p.strip().lower() for p in (policy.split(",") if isinstance(policy, str) else policy)]
    names = [n for n in names if n]
    unknown = [n for n in names if n not in AUGMENT_OPS]
    if unknown:
        raise ValueError(f"unknown augmentation {', '.join(unknown)}; choose from {', '.join(AUGMENT_OPS)}")
    return tuple(op for op in AUGMENT_OPS if op in names)


AUGMENT_WORDS = {"color": "recoloured", "translation": "shifted", "cutout": "partly covered"}


def augment_words(policy: str | Sequence[str]) -> str:
    """What an augmentation policy does to a picture, in words: "recoloured, shifted and partly covered"."""
    words = [AUGMENT_WORDS[op] for op in parse_policy(policy)] or ["left as they are"]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


@dataclass(frozen=True)
class PresetInfo:
    name: str
    title: str
    description: str
    image_size: int
    channels: int | None = None  # None: follow the dataset
    default_width: int = 64
    width_adjustable: bool = False
    defaults: dict = field(default_factory=dict)  # TrainConfig overrides
    family: str = "dcgan"  # "lesson" | "dcgan" | "lite": what the dataset-size presets may change
    msg: bool = False  # multi-scale gradients (MSG-GAN): G's every scale goes to D
    projected: bool = False  # D looks through frozen pretrained VGG16 features (gan/projected.py)
    # precision "auto" trains in bf16 on a CPU with native bf16: measured to reach sharper samples in the same
    # minutes (more steps per second, the same learning), tests/bench/bench_eyes.py
    cpu_bf16: bool = False
    # what "Automatic" means for this preset where it differs from its family's dataset-size settings
    auto: dict = field(default_factory=dict)


def _hinge_adam(batch: int, lr_g: float, lr_d: float) -> dict:
    """The small-data families' optimiser: hinge loss, Adam with β1 = 0 (no momentum against a moving D)."""
    return {"batch_size": batch, "loss": "hinge", "lr_g": lr_g, "lr_d": lr_d, "beta1": 0.0, "beta2": 0.99}


# the small-data presets at 32/64 px settle their learning rates over the last 40 % of a run, to a tenth
# (issue 15, fifth pass: +0.07–0.12 strict precision at 600 s on the 8-shape set; tests/bench/bench_eyes.py)
LITE_LR_DECAY, LITE_LR_FINAL = 0.4, 0.1
MAX_MINUTES = 7 * 24 * 60  # a run planned in minutes: at most a week

PRESETS: dict[str, PresetInfo] = {
    p.name: p
    for p in [
        PresetInfo(
            "lesson-mlp", "Lesson: fully connected GAN (28×28)",
            "The lesson's first GAN: four dense layers each way. Learns digits-like simple shapes; "
            "fast, small, and a good way to see the two-phase training.",
            28, default_width=0,
            defaults={"batch_size": 256, "lr_g": 2e-4, "lr_d": 2e-4, "beta1": 0.5, "latent_dim": 100},
            family="lesson",
        ),
        PresetInfo(
            "lesson-dcgan", "Lesson: DCGAN (28×28)",
            "The lesson's convolutional GAN at 28×28. Watch the discriminator win — the lesson's "
            "balance problem — and try the remedies.",
            28, default_width=0,
            defaults={"batch_size": 64, "lr_g": 2e-4, "lr_d": 2e-4, "beta1": 0.5, "latent_dim": 100},
            family="lesson",
        ),
        PresetInfo(
            "dcgan32", "DCGAN 32×32", "Standard DCGAN for small colour pictures. Quick on a laptop.",
            32, default_width=64, width_adjustable=True, defaults={"batch_size": 64},
        ),
        PresetInfo(
            "dcgan64", "DCGAN 64×64",
            "The classic DCGAN (Radford et al.) at 64×64. A good default for your own images.",
            64, default_width=64, width_adjustable=True, defaults={"batch_size": 64},
        ),
        PresetInfo(
            "dcgan128", "DCGAN 128×128",
            "DCGAN with one more layer for 128×128. Slow on a CPU; best on a GPU.",
            128, default_width=64, width_adjustable=True, defaults={"batch_size": 32},
        ),
        *[
            PresetInfo(
                f"lite{size}", f"Small-data GAN {size}×{size}",
                f"Made for your own 50–500 pictures at {size}×{size}: a light residual generator with "
                "skip-layer excitation, " + ("a discriminator kept smooth by a gradient penalty (R1), fast learning "
                                             "rates, your pictures sorted into kinds first" if size <= 64 else
                                             "a spectrally normalised discriminator with hinge loss")
                + (", multi-scale gradients against high-resolution artifacts" if size >= 128 else "")
                + ", augmentation and weight averaging. " + note,
                size, default_width=width, width_adjustable=True, family="lite", msg=size >= 128,
                cpu_bf16=size <= 64,
                # 32 and 64 px (what a CPU trains): R1 (γ 0.05) instead of spectral norm, 10× the learning rates, a
                # full-size 3×3 conv head, kinds of pictures — sharp shapes in minutes (tests/bench/bench_eyes.py).
                # 128 and up: hinge + spectral norm with the two-timescale rule (D at twice G's rate, β1 = 0), the
                # fastest of the settings compared in tests/bench/bench_small_data.py, not re-measured on a GPU yet.
                defaults={**_hinge_adam(batch, lr_g=2e-3, lr_d=2e-3), "rgb_head": "up", "r1_gamma": 0.05,
                          "lr_decay": LITE_LR_DECAY, "lr_final": LITE_LR_FINAL}
                if size <= 64 else _hinge_adam(batch, lr_g=2e-4, lr_d=4e-4),
                auto={"spectral_norm": False} if size <= 64 else {},
            )
            for size, width, batch, note in [
                (32, 32, 32, "Quick on a laptop."),
                (64, 48, 32, "The default for your own pictures."),
                (128, 32, 16, "Slow on a CPU; comfortable on a GPU."),
                (256, 16, 8, "Best on a GPU."),
            ]
        ],
        *[
            PresetInfo(
                f"eyes{size}", f"Quick-learning GAN {size}×{size} (pretrained eyes)",
                f"For a few hundred pictures at {size}×{size}: the small-data generator against a pixel "
                "discriminator and a second one that looks through a pretrained network's eyes (VGG16, frozen) "
                "instead of learning to see from your pictures alone. Crisp edges early; slower per step and "
                "still experimental. Needs the VGG16 weights (make models). " + note,
                size, default_width=width, width_adjustable=True, family="lite", projected=True,
                # G learns 2.5× faster than D's heads: at the small-data family's rates G could not keep up with
                # a discriminator that already sees (it collapsed to grey); batch 16 buys twice the steps
                defaults=_hinge_adam(batch, lr_g=1e-3, lr_d=4e-4),
            )
            for size, width, batch, note in [
                (32, 32, 16, "Quick on a laptop."),
                (64, 48, 16, "Comfortable on a laptop."),
                (128, 32, 8, "Slow on a CPU; comfortable on a GPU."),
            ]
        ],
    ]
}


FIT_MODES = ("crop", "pad", "stretch")
AUGMENT_MODES = ("off", "fixed", "adaptive")
SAMPLE_WEIGHTS = ("ema", "raw")
CONFIG_VERSION = 2
# Fields added with the small-data work, and what a run saved before them meant (resume stays exact).
LEGACY_VALUES = {"regime": "manual", "augment": "off", "aug_p": 0.0, "ema": False, "spectral_norm": False,
                 "metrics_every": 0}


@dataclass
class TrainConfig:
    """Everything needed to reproduce a run; saved as config.json."""

    data: str = "demo"
    preset: str = "dcgan64"
    width: int = 0  # 0: the preset's default
    latent_dim: int = 100
    batch_size: int = 64
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    beta1: float = 0.5
    beta2: float = 0.999
    loss: str = "bce"
    d_steps: int = 1
    skip_d_below: float = 0.0  # skip D's update while its last loss is below this (0: never)
    seed: int = 0
    steps: int = 2000  # total generator steps to reach; 0: until stopped
    fit: str = "crop"
    hflip: bool = False
    channels: int = 0  # 0: follow the dataset
    sample_every_s: float = 10.0
    sample_every_steps: int = 0  # if > 0, also write a grid every N steps (deterministic; CLI/tests)
    grid_count: int = 64
    checkpoint_every_min: float = 5.0
    device: str = "auto"
    channels_last: bool = True  # faster convolutions (measured: tests/bench/bench_train_throughput.py)
    # --- bigger machines (distributed.py). batch_size is the global batch, split over the processes.
    sync_batchnorm: bool | None = None  # several processes on GPUs: BatchNorm over the global batch (None: when used)
    precision: str = "auto"  # "auto" (bf16 on GPUs that have it, else fp32) | "fp32" | "bf16" | "fp16"
    compile: bool = False  # torch.compile G and D (CUDA; measure before keeping it on)
    batchnorm: bool = True  # lesson-mlp only: off leaves out G's BatchNorm (maths independent of the split)
    demo_count: int = 2048
    # --- small data. None = chosen by the dataset-size preset (`regime`) once the dataset is known.
    regime: str = "auto"  # "auto" | "tiny" (<100) | "small" (<1000) | "large" | "manual" (None = off)
    augment: str | None = None  # "off" | "fixed" | "adaptive" (DiffAugment of all D inputs)
    augment_policy: str = "color,translation,cutout"
    aug_p: float | None = None  # fixed strength, or the adaptive controller's start
    ada_target: float = 0.6  # adaptive: keep E[sign D(real)] here
    ada_speed_imgs: int = 20_000  # adaptive: real pictures for p to move from 0 to 1
    ada_interval: int = 4  # adaptive: steps between adjustments
    ema: bool | None = None  # keep an EMA of G's weights for samples and exports
    ema_halflife_imgs: int = 10_000
    ema_rampup: float = 0.05
    sample_weights: str = "ema"  # which G draws the sample grids when EMA is on: "ema" | "raw"
    spectral_norm: bool | None = None  # on D's layers
    r1_gamma: float = 0.0  # R1 gradient penalty on D's real pictures (0: off)
    # the learning rates settle at the end of a run of known length: over the last ``lr_decay`` of ``steps`` both ease
    # down (half a cosine) to ``lr_final`` × their value, so G stops jittering and the samples sharpen (0: constant;
    # a run until stopped keeps them constant)
    lr_decay: float = 0.0
    lr_final: float = 0.1
    # the EMA's window shrinks with the settling rates (× the same factor): G's own steps are small then, and an
    # average over its earlier, unsettled weights drew less clean pictures than G itself (issue 15, seventh pass);
    # runs saved before it keep a fixed window
    ema_follows_lr: bool = True
    # a run planned in minutes (``train --minutes``, the Train page's "Train for … min"): ``steps`` is re-planned from
    # the speed the run measures until its rates start settling, so it ends on time (0: the steps as set)
    minutes: float = 0.0
    lecam: float = 0.0  # LeCam regulariser's weight (Tseng et al. 2021): D's verdicts kept near their averages (0: off)
    rgb_head: str = "convT"  # small-data generator: "up" (nearest ×2 + 3×3 convs) or "convT" (runs made before it)
    kinds: int | None = None  # sort the pictures into this many kinds and condition on them (0: off; None: by size)
    # with kinds: each minibatch-std group of D holds pictures of one kind, real and generated, so D sees a kind
    # drawn the same way every time (stepper.kind_group_ids); runs saved before it train without it
    kind_groups: bool = True
    msg: bool | None = None  # multi-scale gradients (MSG-GAN; small-data family only): None = the preset's choice
    metrics_every: int | None = None  # KID / FD / LPIPS diversity every N steps (0: never)
    metrics_samples: int = 128
    health: bool = True  # detectors (D winning, collapse, divergence rollback, memorisation)
    health_window: int = 100  # steps D must be winning before it is reported
    snapshot_every: int = 200  # steps between in-memory "last good" states for rollback
    max_rollbacks: int = 3
    init_from: str = ""  # fine-tune: a run directory, checkpoint .json or exported generator

    @classmethod
    def for_preset(cls, preset: str, **overrides) -> TrainConfig:
        if preset not in PRESETS:
            raise ValueError(f"Unknown preset {preset!r}")
        values = {"preset": preset, "width": PRESETS[preset].default_width, **PRESETS[preset].defaults}
        values.update(overrides)
        return cls(**values)

    @classmethod
    def from_dict(cls, data: dict) -> TrainConfig:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

    @classmethod
    def from_saved_run(cls, data: dict) -> TrainConfig:
        """A run's config.json; runs saved before the small-data settings existed resume without them."""
        from studio.engine.schema import RUN_CONFIG, validate

        data = validate(data, RUN_CONFIG, "config.json")  # wrong types refused in words, naming the field
        cfg = cls.from_dict(data)
        if "config_version" not in data:
            for name, value in LEGACY_VALUES.items():
                if name not in data:
                    setattr(cfg, name, value)
        if "kinds" not in data:  # saved before kinds of pictures existed: unconditional
            cfg.kinds = 0
        if "kind_groups" not in data:  # saved before kind groups: batches in the epoch's order, as it trained
            cfg.kind_groups = False
        if "ema_follows_lr" not in data:  # saved before the EMA followed the settling rates: a fixed window
            cfg.ema_follows_lr = False
        return cfg

    def validate(self) -> None:
        from studio.engine.gan.regimes import REGIME_CHOICES

        problems = []
        if self.preset not in PRESETS:
            problems.append(f"unknown preset {self.preset!r}")
        if self.loss not in LOSSES:
            problems.append(f"loss must be one of {', '.join(LOSSES)}")
        if self.fit not in FIT_MODES:
            problems.append(f"fit must be one of {', '.join(FIT_MODES)}")
        if self.batch_size < 1 or self.latent_dim < 1 or self.d_steps < 1:
            problems.append("batch size, latent size and D steps must be at least 1")
        if self.lr_g <= 0 or self.lr_d <= 0:
            problems.append("learning rates must be positive")
        if not (0 <= self.beta1 < 1 and 0 <= self.beta2 < 1):
            problems.append("betas must be in [0, 1)")
        if self.steps < 0:
            problems.append("steps must be 0 (until stopped) or more")
        if not 0 <= self.minutes <= MAX_MINUTES or (self.minutes and not self.steps):
            problems.append(f"a run planned in minutes needs steps and at most {MAX_MINUTES:,} minutes")
        if self.regime not in REGIME_CHOICES:
            problems.append(f"dataset-size preset must be one of {', '.join(REGIME_CHOICES)}")
        if self.augment is not None and self.augment not in AUGMENT_MODES:
            problems.append(f"augment must be one of {', '.join(AUGMENT_MODES)}")
        if self.aug_p is not None and not 0 <= self.aug_p <= 1:
            problems.append("augmentation strength must be between 0 and 1")
        try:
            parse_policy(self.augment_policy)
        except ValueError as exc:
            problems.append(str(exc))
        if not 0 < self.ada_target < 1 or self.ada_speed_imgs <= 0 or self.ada_interval < 1:
            problems.append("adaptive augmentation needs a target in (0, 1), a positive speed and interval")
        if self.ema_halflife_imgs < 0 or not 0 <= self.ema_rampup <= 1:
            problems.append("EMA half-life must be ≥ 0 and its ramp-up in [0, 1]")
        if self.sample_weights not in SAMPLE_WEIGHTS:
            problems.append("sample weights must be 'ema' or 'raw'")
        if self.msg and self.preset in PRESETS and (PRESETS[self.preset].family != "lite"
                                                    or PRESETS[self.preset].projected):
            problems.append("multi-scale gradients exist only in the small-data presets")
        if self.kinds is not None and not 0 <= self.kinds <= 64:
            problems.append("kinds of pictures must be between 0 (off) and 64")
        if self.kinds and self.preset in PRESETS and (PRESETS[self.preset].family != "lite"
                                                      or PRESETS[self.preset].projected):
            problems.append("kinds of pictures exist only in the small-data presets")
        from studio.engine.schema import PRECISIONS

        if self.precision not in PRECISIONS:
            problems.append(f"precision must be one of {', '.join(PRECISIONS)}")
        if not self.batchnorm and self.preset != "lesson-mlp":
            problems.append("only the lesson's fully connected GAN (lesson-mlp) can leave out BatchNorm")
        if self.rgb_head not in RGB_HEADS:
            problems.append(f"the generator's picture head must be one of {', '.join(RGB_HEADS)}")
        elif self.rgb_head != "convT" and self.preset in PRESETS and PRESETS[self.preset].family != "lite":
            problems.append("the generator's picture head can be changed only in the small-data presets")
        if not 0 <= self.lecam <= 100:
            problems.append("the LeCam weight must be between 0 and 100")
        if self.r1_gamma < 0:
            problems.append("the R1 penalty must be 0 (off) or more")
        if self.metrics_every is not None and self.metrics_every < 0:
            problems.append("metrics interval must be 0 (never) or more")
        if self.metrics_samples < 4:
            problems.append("quality metrics need at least 4 samples")
        if problems:
            raise ValueError("Invalid training settings: " + "; ".join(problems))


@dataclass
class TrainResult:
    run_dir: Path
    step: int
    checkpoint: Path | None
    stopped_early: bool = False
    images_per_second: float = 0.0
    extra: dict = field(default_factory=dict)
