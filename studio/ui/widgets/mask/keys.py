"""The mask editor's keys, as action names: [ ] brush size, Shift+[ ] hardness, E eraser, X swap, Space pan,
Ctrl+Z / Ctrl+Shift+Z / Ctrl+Y undo and redo, Ctrl+0 fit, Ctrl+1 actual pixels, Ctrl+= / Ctrl+- zoom."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent


def key_action(event: QKeyEvent) -> str | None:
    key = event.key()
    mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
    ctrl = bool(mods & Qt.KeyboardModifier.ControlModifier)
    shift = bool(mods & Qt.KeyboardModifier.ShiftModifier)
    alt_meta = bool(mods & (Qt.KeyboardModifier.AltModifier | Qt.KeyboardModifier.MetaModifier))
    if alt_meta:
        return None
    k = Qt.Key
    if ctrl:
        return {(k.Key_Z, False): "undo", (k.Key_Z, True): "redo", (k.Key_Y, False): "redo",
                (k.Key_0, False): "fit", (k.Key_1, False): "actual",
                (k.Key_Equal, False): "zoom-in", (k.Key_Plus, False): "zoom-in",
                (k.Key_Plus, True): "zoom-in", (k.Key_Minus, False): "zoom-out"}.get((key, shift))
    if key in (k.Key_BraceLeft, k.Key_BraceRight) or (shift and key in (k.Key_BracketLeft, k.Key_BracketRight)):
        return "softer" if key in (k.Key_BraceLeft, k.Key_BracketLeft) else "harder"
    if shift:
        return None
    return {k.Key_BracketLeft: "smaller", k.Key_BracketRight: "bigger", k.Key_E: "eraser",
            k.Key_X: "swap", k.Key_Space: "pan"}.get(key)
