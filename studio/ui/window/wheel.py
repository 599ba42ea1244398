"""The mouse wheel scrolls the panel; it changes a value only in the control the artist has focused.

Qt lets a spin box, combo box or slider take every wheel event that passes over it, so scrolling a long
settings panel silently changed the batch size. One application-wide event filter fixes this for every
page, present and future: such controls get ``Qt.StrongFocus`` (a wheel no longer focuses them) and,
while unfocused, hand the wheel to the scroll area around them.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QAbstractSlider,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QScrollBar,
    QWidget,
)

__all__ = ["WheelGuard", "install_wheel_guard"]

_VALUE_WIDGETS = (QAbstractSpinBox, QComboBox, QAbstractSlider)


def _scroll_area_around(widget: QWidget) -> QAbstractScrollArea | None:
    w = widget.parentWidget()
    while w is not None:
        if isinstance(w, QAbstractScrollArea):
            return w
        if w.isWindow():
            return None
        w = w.parentWidget()
    return None


def _guarded(obj: QObject) -> bool:
    """Spin and combo boxes anywhere; sliders only inside a scroll area (a bare slider keeps its wheel).
    Scroll bars are what the wheel is for, so they are never guarded."""
    if not isinstance(obj, _VALUE_WIDGETS) or isinstance(obj, QScrollBar):
        return False
    if isinstance(obj, QAbstractSlider):
        return _scroll_area_around(obj) is not None
    return True


class WheelGuard(QObject):
    """The application-wide filter (one per QApplication; see ``install_wheel_guard``)."""

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        kind = event.type()
        if kind == QEvent.Type.Polish:
            if _guarded(obj) and obj.focusPolicy() == Qt.FocusPolicy.WheelFocus:
                obj.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            return False
        if kind != QEvent.Type.Wheel or not _guarded(obj) or obj.hasFocus():
            return False
        if obj.focusPolicy() == Qt.FocusPolicy.WheelFocus:
            obj.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        area = _scroll_area_around(obj)
        if area is None:
            event.ignore()  # a real wheel then goes on to the parent
            return True
        viewport = area.viewport()
        pos = QPointF(obj.mapTo(viewport, event.position().toPoint()))
        forwarded = QWheelEvent(pos, event.globalPosition(), event.pixelDelta(), event.angleDelta(),
                                event.buttons(), event.modifiers(), event.phase(), event.inverted())
        QApplication.sendEvent(viewport, forwarded)
        event.accept()
        return True


def install_wheel_guard(app: QApplication | None = None) -> WheelGuard | None:
    """Install the guard on ``app`` (the running one by default) once; returns it."""
    app = app or QApplication.instance()
    if app is None:
        return None
    guard = app.findChild(WheelGuard, "studioWheelGuard")
    if guard is None:
        guard = WheelGuard(app)
        guard.setObjectName("studioWheelGuard")
        app.installEventFilter(guard)
    return guard
