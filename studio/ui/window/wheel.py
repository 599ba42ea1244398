"""The mouse wheel scrolls the panel; it changes a value only in the control the artist has focused.

Qt lets a spin box, combo box or slider take every wheel event that passes over it, so scrolling a long
settings panel silently changed the batch size. The fix reaches every page, present and future: such
controls get ``Qt.StrongFocus`` (a wheel no longer focuses them) and, while unfocused, hand the wheel to
the scroll area around them.

How it reaches them matters for responsiveness: an application-wide Python event filter is called for every
event of every object and must take the GIL each time, so while a training thread holds the GIL the whole
window waits (measured: stalls of 0.7 s in ``bench_soak``). Instead a proxy of the app's style is told
when each widget is polished (once per widget) and filters only the value controls.
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
    QProxyStyle,
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
    """The filter on each value control (installed by ``WheelStyle`` when the control is polished)."""

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() != QEvent.Type.Wheel or not _guarded(obj) or obj.hasFocus():
            return False
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

    def guard(self, widget: QWidget) -> None:
        """Make ``widget`` ignore an unfocused wheel, if it is a value control (once per widget)."""
        if not isinstance(widget, _VALUE_WIDGETS) or isinstance(widget, QScrollBar):
            return
        if widget.property("studioWheelGuarded"):
            return
        widget.setProperty("studioWheelGuarded", True)
        if widget.focusPolicy() == Qt.FocusPolicy.WheelFocus:
            widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        widget.installEventFilter(self)


class WheelStyle(QProxyStyle):
    """The app's style (Fusion) that also hands every polished widget to the ``WheelGuard``."""

    def __init__(self, guard: WheelGuard, base: str = "Fusion") -> None:
        super().__init__(base)
        self._guard = guard

    def polish(self, arg):  # noqa: D102 - QStyle.polish has three overloads (widget, palette, application)
        if isinstance(arg, QWidget):
            self._guard.guard(arg)
        return super().polish(arg)


def install_wheel_guard(app: QApplication | None = None) -> WheelGuard | None:
    """Give ``app`` (the running one by default) the guarding style once; returns the guard.

    Widgets that exist already are guarded at once; new ones when Qt polishes them. Sets the application
    property ``studioStyle`` so the theme does not replace the style when it switches.
    """
    app = app or QApplication.instance()
    if app is None:
        return None
    guard = app.findChild(WheelGuard, "studioWheelGuard")
    if guard is None:
        guard = WheelGuard(app)
        guard.setObjectName("studioWheelGuard")
        palette = app.palette()  # setting a style resets the palette to the style's own
        app.setStyle(WheelStyle(guard))
        app.setPalette(palette)
        app.setProperty("studioStyle", True)
        for widget in app.allWidgets():
            guard.guard(widget)
    return guard
