"""Style settings as people write and read them: layer names in the lesson's words, weights rounded the way a
slider means them, and the scales list typed as "128, 256, 512" (refused in a sentence when it cannot be read).
No Qt: the Advanced panel and the CLI read and write the same text.
"""

from __future__ import annotations

import math
import re

from studio.engine.style.backbones import layer_indices
from studio.engine.style.gatys import StyleError


def layer_names(arch: str) -> list[str]:
    """The conv layers of ``arch`` in network order (conv1_1, conv1_2, …)."""
    return [n for n in layer_indices(arch) if n.startswith("conv")]


def keras_name(layer: str) -> str:
    """conv4_2 → block4_conv2 (the lesson's Keras names)."""
    block, n = layer[4:].split("_")
    return f"block{block}_conv{n}"


def nice_weight(value: float) -> float:
    """Round to 2 significant digits: what a slider position means to a person (15000, not 15135.6)."""
    if value <= 0:
        return 0.0
    digits = 1 - int(math.floor(math.log10(value)))
    return float(round(value, digits))


def parse_scales(text: str) -> list[int] | None:
    """"128, 256, 512" → [128, 256, 512]; empty or "auto" → None (automatic). StyleError otherwise."""
    t = text.strip().lower()
    if t in ("", "auto", "automatic"):
        return None
    parts = [p for p in re.split(r"[,\s;]+", t) if p]
    try:
        sides = [int(p.removesuffix("px")) for p in parts]
    except ValueError:
        raise StyleError("Scales: write sizes in pixels like 128, 256, 512 — or leave the box empty "
                         "for automatic") from None
    if any(s < 16 for s in sides):
        raise StyleError("Scales: every size must be at least 16 px")
    return sides


def format_scales(scales: list[int] | None) -> str:
    return "" if not scales else ", ".join(str(int(s)) for s in scales)
