"""Whether settings are exactly a lesson preset: the rule behind the Stylize page's Preset box saying "Custom".

No Qt: spin boxes hand back floats with round-off and lists where the engine keeps tuples, so equality here
forgives exactly that and nothing more.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping


def same_value(a, b) -> bool:
    """Equality that forgives float round-off (spin boxes) and tuple/list differences."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_value(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def matches_preset(values: Mapping, name: str, fields: Iterable[str]) -> bool:
    """True when every one of ``fields`` in ``values`` equals the preset ``name`` on top of the engine defaults
    (your VGG19 file never counts: it is where the weights are, not how the picture is made)."""
    from studio.engine.style.gatys import LESSON_PRESETS, StyleSettings

    target = {**StyleSettings().to_dict(), **LESSON_PRESETS[name]}
    return all(same_value(values[k], target[k]) for k in fields if k != "vgg19_path" and k in target and k in values)
