"""What the Train page says, written once where no widget is needed: remedy changes ("D learning rate
4e-4 → 2e-4"), the resolved small-data settings, the time estimate line, the run's state line and a failed
run's sentence.

Qt-free and torch-free, so the CLI and tests can say the same things.
"""

from __future__ import annotations

import math
from typing import Any

from studio.engine.durations import unbroken_duration

__all__ = ["FIELD_WORDS", "describe_changes", "describe_resolved", "estimate_text", "failure_text", "format_value",
           "state_text"]

FIELD_WORDS = {
    "lr_g": "G learning rate", "lr_d": "D learning rate", "skip_d_below": "skip D below loss",
    "augment": "augmentation", "aug_p": "augmentation strength", "ada_target": "augmentation target r_t",
}
OUT_OF_MEMORY_ADVICE = ("The computer ran out of memory. Try a smaller batch size, a narrower network or a "
                        "smaller model.")


def format_value(value: Any) -> str:
    """4e-4, 0.25, adaptive, off: short and the way the settings show them."""
    if value is None:
        return "off"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    v = float(value)
    if not math.isfinite(v):
        return str(v)
    if v != 0 and abs(v) < 0.01:
        mantissa, exp = f"{v:.2e}".split("e")
        mantissa = mantissa.rstrip("0").rstrip(".")
        return f"{mantissa}e{int(exp)}"
    return f"{v:.3g}"


def describe_changes(before: dict, changes: dict) -> str:
    """'D learning rate 4e-4 → 2e-4; augmentation strength 0.2 → 0.4' (only what really changes)."""
    parts = []
    for key, new in changes.items():
        old = before.get(key)
        if isinstance(old, float) and isinstance(new, (int, float)) and math.isclose(old, float(new)):
            continue
        if old == new:
            continue
        parts.append(f"{FIELD_WORDS.get(key, key)} {format_value(old)} → {format_value(new)}")
    return "; ".join(parts)


def describe_resolved(values: dict) -> str:
    """'adaptive augmentation (from 0.20), EMA, spectral norm, quality checks every 500 steps'."""
    parts = []
    aug = values.get("augment")
    if aug in ("fixed", "adaptive"):
        p = values.get("aug_p") or 0.0
        parts.append(f"{aug} augmentation" + (f" ({'from ' if aug == 'adaptive' else ''}{p:.2f})" if p else ""))
    else:
        parts.append("no augmentation")
    parts.append("EMA" if values.get("ema") else "no EMA")
    parts.append("spectral norm on D" if values.get("spectral_norm") else "no spectral norm")
    if values.get("r1_gamma"):
        parts.append("a gradient penalty (R1) on D")
    if values.get("kinds"):
        parts.append(f"sorted into {values['kinds']} kinds of pictures")
    every = values.get("metrics_every") or 0
    parts.append(f"quality checks every {every:,} steps" if every else "no quality checks")
    return ", ".join(parts)


def estimate_text(est, steps: int, metrics_every: int, count: int) -> str:
    """'About 12 min for 5,000 steps on CPU (0.14 s/step; quality checks add 40 s)' for ``steps``.

    ``est`` is a ``studio.engine.gan.estimate.TimeEstimate`` (seconds_per_step, quality_seconds,
    setup_seconds, device)."""
    device = str(est.device).split(":")[0].upper()
    per = est.seconds_per_step
    per_text = f"{per:.2f}\u00a0s/step" if per < 10 else f"{per:.0f}\u00a0s/step"
    checks = steps // metrics_every if metrics_every and est.quality_seconds > 0 and steps else 0
    extra = checks * est.quality_seconds + (est.setup_seconds if checks else 0.0)
    assumed = "" if count else " (assuming 200 pictures)"
    if not steps:
        thousand = per * 1000
        return (f"{per_text} on {device} — about {unbroken_duration(thousand)} per 1,000 steps; runs until you stop it"
                f"{assumed}.")
    total = per * steps + extra
    detail = per_text + (f"; quality checks add {unbroken_duration(extra)}" if checks else "")
    return f"About {unbroken_duration(total)} for {steps:,} steps on {device} ({detail}){assumed}."


def failure_text(message: str, details: str = "") -> str:
    """A failed training job's sentence (``Failed.message`` is one already); running out of memory gets
    advice about the settings that cost it."""
    lowered = f"{message} {details}".lower()
    if "out of memory" in lowered or "can't allocate" in lowered or "memoryerror" in lowered:
        return OUT_OF_MEMORY_ADVICE
    return message or "Something went wrong."


def state_text(state: str, step: int, total: int | None, *, has_checkpoint: bool = False,
               continuing: bool = False, has_data: bool = False) -> str:
    """The Train page's state line for ``state`` (idle|preparing|training|pausing|paused|stopping|stopped|
    finished|failed)."""
    of_total = f" of {total:,}" if total else ""
    return {
        "idle": "Ready to continue." if continuing else ("Ready to start." if has_data else "Idle"),
        "preparing": "Preparing images…",
        "training": f"Training · step {step:,}{of_total}",
        "pausing": f"Pausing after step {step:,}…",
        "paused": f"Paused at step {step:,} — press Resume to carry on.",
        "stopping": "Stopping — saving a checkpoint…",
        "stopped": f"Stopped at step {step:,} — checkpoint saved." if has_checkpoint else f"Stopped at step {step:,}.",
        "finished": f"Finished: {step:,} steps — checkpoint saved.",
        "failed": f"Training stopped with a problem at step {step:,} (see below).",
    }[state]
