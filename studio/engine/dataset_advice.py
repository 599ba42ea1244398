"""Which model and small-data settings suit a set of pictures, said in plain words.

The regime rules decide (``regimes.recommend_preset``); this turns their choice into sentences — the
headline and recommendation the Train page's card shows, the warning when the lesson's preset is picked
for a handful of pictures — so the CLI and tests can say the same without a widget. Without a GPU the
recommended size is capped at 64 px.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

__all__ = ["CPU_MAX_SIZE", "REGIME_WORDS", "Advice", "advise", "auto_preset", "because_text", "features_text", "has_gpu",
           "preset_warning"]

REGIME_WORDS = {
    "tiny": ("Tiny", "fewer than 100"),
    "small": ("Small", "fewer than 1,000"),
    "large": ("Large", "1,000 or more"),
}
CPU_MAX_SIZE = 64  # without a GPU, recommend no larger than this: 128 px trains for hours on a laptop CPU


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
    if values.get("r1_gamma"):
        parts.append("a gradient penalty (R1)")
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
    # what the preset really trains with (its own meaning of Automatic is in choice.values), R1 included
    feats = features_text({**choice.values, "r1_gamma": PRESETS[choice.preset].defaults.get("r1_gamma", 0)})
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


def auto_preset(data: str, gpu: bool | None = None) -> tuple[str, str]:
    """``--preset auto``: the preset the studio recommends for ``data`` (a built-in name or folders), and why.

    Folders are scanned as the Train page does (count and typical size of the usable pictures); the built-in
    sets are known. The choice and its reasons come from ``dataset_advice.advise``, as on the Train page."""
    from studio.engine.dataset_scan import BUILTIN_SOURCES, DatasetScanJob
    from studio.engine.jobs import run_job

    if data in BUILTIN_SOURCES:
        from studio.engine.data import LESSON_DATASETS
        from studio.engine.gan.config import TrainConfig

        count, size = (TrainConfig().demo_count, 64) if data == "demo" else (50_000, LESSON_DATASETS[data].native_size)
    else:
        from studio.engine.data import split_source_paths

        outcome = run_job(DatasetScanJob(split_source_paths(data), preview_count=3))
        summary = outcome.result
        if outcome.error or summary is None:
            raise ValueError(outcome.error or f"cannot read {data}")
        if summary.error:
            raise ValueError(summary.error)
        count, size = summary.count, summary.image_size or 64
    advice = advise(count, size, gpu)
    return advice.preset, f"{advice.headline} {advice.recommendation}"
