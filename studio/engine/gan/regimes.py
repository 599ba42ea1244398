"""Settings by dataset size: fewer than 100 pictures, fewer than 1,000, or more — chosen and explained.

A GAN's failure modes depend mostly on how many pictures it learns from: with a few dozen, D learns
them by heart in minutes; with thousands, augmentation mostly costs time. TrainConfig fields left
unset (None) are filled here when the dataset's size is known, and the choice is explained in words
for the Train page and the terminal. The lesson presets keep the lesson's recipe unless asked.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from studio.engine.gan.config import DEFAULT_AUGMENT_POLICY, PRESETS, augment_words

REGIME_NAMES = ("tiny", "small", "large")
REGIME_CHOICES = ("auto", *REGIME_NAMES, "manual")  # TrainConfig.regime; "manual": unset means off
MANUAL_VALUES = {"augment": "off", "aug_p": 0.0, "ema": False, "spectral_norm": False, "metrics_every": 0}
TINY_MAX = 100  # fewer than this: "tiny"
SMALL_MAX = 1000  # fewer than this: "small"


@dataclass(frozen=True)
class RegimeChoice:
    regime: str  # "tiny" | "small" | "large"
    count: int
    values: dict = field(default_factory=dict)  # the settings it filled in
    explanation: str = ""
    preset: str | None = None  # a suggested architecture (recommend_preset only)


def regime_for_count(count: int) -> str:
    if count < TINY_MAX:
        return "tiny"
    if count < SMALL_MAX:
        return "small"
    return "large"


def regime_values(regime: str, family: str) -> dict:
    """The settings a dataset-size preset stands for, for one preset family."""
    if regime not in REGIME_NAMES:
        raise ValueError(f"unknown dataset-size preset {regime!r}; choose from {', '.join(REGIME_NAMES)}")
    if family == "lesson":
        return {"augment": "off", "aug_p": 0.0, "ema": False, "spectral_norm": False, "metrics_every": 1000}
    # The DCGAN presets keep the classic recipe (no EMA, no spectral norm) and only add augmentation on
    # small data; the small-data family is built around all three.
    values: dict = {"spectral_norm": family == "lite", "ema": family == "lite"}
    if regime == "tiny":
        values.update(augment="adaptive", aug_p=0.2, ada_speed_imgs=10_000, ema_halflife_imgs=5_000,
                      metrics_every=500)
    elif regime == "small":
        values.update(augment="adaptive", aug_p=0.0, ada_speed_imgs=20_000, ema_halflife_imgs=10_000,
                      metrics_every=500)
    else:
        values.update(augment="off", aug_p=0.0, ema_halflife_imgs=20_000, metrics_every=1000)
    return values


def _explain(regime: str, count: int, family: str, values: dict) -> str:
    n = f"{count:,} picture{'s' if count != 1 else ''}"
    if family == "lesson":
        return (f"{n}. The lesson presets keep the lesson's recipe: no augmentation and no weight averaging "
                "(both can be switched on). Quality is measured every "
                f"{values.get('metrics_every', 0)} steps.")
    parts = []
    if regime == "tiny":
        parts.append(f"{n} is very few for a GAN: the discriminator could learn them by heart in minutes "
                     "and the generator would then copy them or stop improving.")
    elif regime == "small":
        parts.append(f"{n} is a small dataset: without help the discriminator soon memorises it.")
    else:
        parts.append(f"{n} is enough for plain training.")
    if values.get("augment") == "adaptive":
        parts.append("So everything the discriminator sees, real and generated, is randomly "
                     f"{augment_words(values.get('augment_policy', DEFAULT_AUGMENT_POLICY))} — more strongly "
                     "whenever it starts telling them apart too "
                     "easily, less when it does not"
                     + (" (starting at a moderate strength)." if values.get("aug_p", 0) > 0 else "."))
    elif values.get("augment") == "off":
        parts.append("Augmentation is off (it would mostly cost time); switch it on if the discriminator "
                     "starts winning.")
    if values.get("ema"):
        parts.append("Samples and exports use an average of the generator's recent weights, which is "
                     "cleaner and steadier than its latest step.")
    if values.get("spectral_norm"):
        parts.append("The discriminator is spectrally normalised so it cannot overreact to small details.")
    if values.get("r1_gamma"):
        parts.append("A gradient penalty (R1) keeps the discriminator smooth around your pictures, so it cannot "
                     "overreact to small details.")
    if values.get("kinds"):
        parts.append(f"Before training, a pretrained network sorts the pictures into {values['kinds']} kinds and the "
                     "generator learns each kind on its own: fewer in-between hybrids, every kind drawn as often "
                     "as the folder holds it.")
    if values.get("metrics_every"):
        parts.append(f"Every {values['metrics_every']} steps the studio measures quality and variety and "
                     "warns about copying or collapse.")
    return " ".join(parts)


def resolve_settings(cfg, dataset_count: int):
    """Fill the fields of ``cfg`` (a TrainConfig) left at None from its dataset-size preset.

    ``cfg.regime`` "auto" picks by ``dataset_count``; "tiny"/"small"/"large" force one. Returns
    (resolved copy, RegimeChoice); explicit settings are never overridden.
    """
    family = PRESETS[cfg.preset].family if cfg.preset in PRESETS else "dcgan"
    if cfg.regime == "manual":
        filled = {k: v for k, v in MANUAL_VALUES.items() if getattr(cfg, k) is None}
        if cfg.kinds is None:
            filled["kinds"] = 0
        return dataclasses.replace(cfg, **filled), RegimeChoice(
            "manual", dataset_count, filled, "Manual settings: whatever is not set explicitly stays off.")
    regime = cfg.regime if cfg.regime in REGIME_NAMES else regime_for_count(dataset_count)
    proposed = regime_values(regime, family)
    if cfg.preset in PRESETS:  # a preset's own meaning of Automatic comes first (lite32/64: R1, not spectral norm)
        proposed.update({k: v for k, v in PRESETS[cfg.preset].auto.items() if k in proposed})
    filled = {}
    for name, value in proposed.items():
        if name in _ALWAYS_SET:
            if getattr(cfg, name) == _DEFAULTS[name]:
                filled[name] = value
        elif getattr(cfg, name) is None:
            filled[name] = value
    if cfg.kinds is None:
        filled["kinds"] = kinds_for(cfg.preset, regime, dataset_count)
        proposed = {**proposed, "kinds": filled["kinds"]}
    resolved = dataclasses.replace(cfg, regime=regime, **filled)
    final = {**{k: getattr(resolved, k) for k in proposed}, "r1_gamma": resolved.r1_gamma,
             "augment_policy": resolved.augment_policy}
    return resolved, RegimeChoice(regime, dataset_count, filled, _explain(regime, dataset_count, family, final))


def kinds_for(preset: str, regime: str, count: int, pretrained: bool | None = None) -> int:
    """How many kinds of pictures a run sorts its folder into (``clusters.py``): on small folders in the small-data
    family when the VGG16 weights are there (``KINDS_FOR_SMALL_DATA``), else 0 (off)."""
    info = PRESETS.get(preset)
    if not KINDS_FOR_SMALL_DATA or info is None or info.family != "lite" or info.projected or regime == "large":
        return 0
    if not (vgg16_installed() if pretrained is None else pretrained):
        return 0
    from studio.engine.gan.clusters import clusters_for_count

    return clusters_for_count(count)


def vgg16_installed() -> bool:
    """Whether the VGG16 weights are there (their loader checks the file; this only looks)."""
    from studio.engine.style.backbones import vgg16_path

    return vgg16_path().is_file()


# Whether small folders are sorted into kinds of pictures by default: decided by tests/bench/bench_eyes.py
KINDS_FOR_SMALL_DATA = True


# fields with a concrete dataclass default that a regime may still tune (only while at that default)
_ALWAYS_SET = ("ada_speed_imgs", "ema_halflife_imgs")
_DEFAULTS = {"ada_speed_imgs": 20_000, "ema_halflife_imgs": 10_000}


# Whether the pretrained-eyes presets are what the studio recommends for a small folder (when the VGG16 weights
# are there): decided by tests/bench/bench_eyes.py, which trains each recipe for the same minutes on this CPU.
EYES_FOR_SMALL_DATA = False


def recommend_preset(count: int, image_size: int, pretrained: bool | None = None) -> RegimeChoice:
    """Which architecture and settings suit ``count`` pictures at about ``image_size`` px, in words.

    ``pretrained``: whether the offline VGG16 weights are installed (None: look)."""
    regime = regime_for_count(count)
    sizes = (32, 64, 128, 256)
    size = min(sizes, key=lambda s: (abs(s - image_size), s))
    if regime == "large" and size <= 128:
        preset = f"dcgan{max(size, 32)}"
        why = (f"With {count:,} pictures the classic DCGAN trains well and fast; the small-data GAN "
               f"(lite{size}) is there if it struggles.")
    else:
        if pretrained is None and EYES_FOR_SMALL_DATA and size <= 128:
            from studio.engine.pretrained import verify

            pretrained = verify()
        if EYES_FOR_SMALL_DATA and pretrained and size <= 128:
            preset = f"eyes{size}"
            why = (f"With {count:,} pictures a discriminator that looks through a pretrained network's eyes "
                   "learns shapes in a fraction of the time.")
        else:
            preset = f"lite{size}"
            why = (f"With {count:,} pictures the small-data GAN is the safer choice: it is built to learn from "
                   "few pictures" + (" and uses multi-scale gradients against high-resolution artifacts"
                                     if size >= 128 else "") + ".")
    info = PRESETS[preset]
    values = regime_values(regime, info.family)
    values.update({k: v for k, v in info.auto.items() if k in values})  # what Automatic means for this preset
    # the words say what the run will train with, as resolve_settings words it (lite32/64: R1 and kinds)
    told = {**values, "r1_gamma": info.defaults.get("r1_gamma", 0.0),
            "augment_policy": info.defaults.get("augment_policy", DEFAULT_AUGMENT_POLICY),
            "kinds": kinds_for(preset, regime, count, pretrained)}
    return RegimeChoice(regime, count, values, why + " " + _explain(regime, count, info.family, told), preset)
