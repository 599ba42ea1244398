"""Number boxes for values that live on a log scale (learning rates)."""

from __future__ import annotations

import math

from PySide6.QtGui import QValidator
from PySide6.QtWidgets import QDoubleSpinBox, QWidget


def format_scientific(value: float) -> str:
    """2e-4 rather than 0.000200 — how learning rates are written in papers and lessons."""
    if value == 0:
        return "0"
    mantissa, exponent = f"{value:.3e}".split("e")
    mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{int(exponent)}"


class ScientificSpinBox(QDoubleSpinBox):
    """Shows and accepts 2e-4 style numbers; the arrows halve or double the value."""

    def __init__(self, minimum: float = 1e-7, maximum: float = 1.0, value: float = 2e-4,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDecimals(12)  # the spin box rounds to this; our text formatting is separate
        self.setRange(minimum, maximum)
        self.setValue(value)
        self.setKeyboardTracking(False)

    def textFromValue(self, value: float) -> str:  # noqa: N802 - Qt override
        return format_scientific(value)

    def valueFromText(self, text: str) -> float:  # noqa: N802 - Qt override
        try:
            return float(text.strip())
        except ValueError:
            return self.value()

    def validate(self, text: str, pos: int):  # Qt override
        stripped = text.strip()
        try:
            value = float(stripped)
        except ValueError:
            allowed = set("0123456789.eE-+")
            ok = stripped == "" or all(c in allowed for c in stripped)
            return (QValidator.State.Intermediate if ok else QValidator.State.Invalid), text, pos
        if self.minimum() <= value <= self.maximum():
            return QValidator.State.Acceptable, text, pos
        return QValidator.State.Intermediate, text, pos

    def stepBy(self, steps: int) -> None:  # noqa: N802 - Qt override
        value = self.value() * math.pow(2.0, steps)
        self.setValue(min(self.maximum(), max(self.minimum(), value)))
