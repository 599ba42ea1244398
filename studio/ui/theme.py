"""Dark and light themes, switchable while the studio runs.

The dark theme is the studio's own: Fusion, the dark palette (``app._dark_palette``) and
``resources/style.qss``. The light theme is Fusion, a light palette and ``resources/style-light.qss``.

Pages carry small style sheets of their own, written for the dark theme (``PAGE_QSS`` strings, a few
``setStyleSheet("color: …")`` calls). Rather than asking every page for a light copy, the light theme
rewrites their colours with ``light_color``: each colour keeps its hue and saturation and gets the
lightness that gives it the same contrast against the light window as it had against the dark one, so
light text on dark becomes dark text on light and status colours stay readable. Each widget's original
sheet is kept (a dynamic property), so switching back restores it exactly; sheets set later (a label
turning red on an error) are caught by a small event filter that only runs in the light theme.
"""

from __future__ import annotations

import functools
import re
import sys
from pathlib import Path

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QWidget

__all__ = ["THEMES", "apply_theme", "current_theme", "light_color", "light_palette", "restyle_plots",
           "theme_colors", "themed_sheet"]

THEMES = ("dark", "light")
RESOURCES = Path(__file__).resolve().parents[2] / "resources"
SHEETS = {"dark": RESOURCES / "style.qss", "light": RESOURCES / "style-light.qss"}

# Luminance of the window background in each theme: the light colours keep the contrast they had.
_DARK_BG = "#1d1e22"
_LIGHT_BG = "#f3f3f6"
_SOURCE_PROP = "_themeDarkSheet"  # a widget's own sheet as its page wrote it (for the dark theme)
_APPLIED_PROP = "_themeLightSheet"  # what the light theme made of it
_COLOR_RE = re.compile(r"#(?:[0-9a-fA-F]{6}|[0-9a-fA-F]{3})\b|rgba?\(\s*\d+\s*,\s*\d+\s*,\s*\d+\s*(?:,\s*[\d.]+\s*)?\)")

_current = "dark"
_adapter: _SheetAdapter | None = None

# Colours for things drawn with QPainter (diagrams, icons), per theme.
_COLORS = {
    "dark": {
        "window": "#1d1e22", "card": "#25272c", "line": "#3a3c44", "text": "#e6e7ea", "muted": "#9ca1ab",
        "accent": "#8b7cf6", "accent_soft": "#2e2a4d", "accent_text": "#b7a9ff", "on_accent": "#ffffff",
        "generator": "#f0a040", "discriminator": "#4aa3f0", "real": "#5cc98a", "fake": "#e0609a",
        "warn": "#f0c674", "bad": "#ff9b9b", "nav_icon": "#9ca1ab", "nav_icon_selected": "#ffffff",
    },
    "light": {
        "window": "#f3f3f6", "card": "#ffffff", "line": "#c9cbd3", "text": "#1d1e22", "muted": "#5a5e67",
        "accent": "#6d5ce6", "accent_soft": "#e4e0fc", "accent_text": "#5443c9", "on_accent": "#ffffff",
        "generator": "#b86a00", "discriminator": "#1f6fb8", "real": "#1f8a4c", "fake": "#b8306e",
        "warn": "#8a6100", "bad": "#b3261e", "nav_icon": "#5a5e67", "nav_icon_selected": "#2b2466",
    },
}


def current_theme() -> str:
    return _current


def theme_colors(theme: str | None = None) -> dict[str, QColor]:
    """Named colours of a theme (default: the current one) for QPainter drawings."""
    return {k: QColor(v) for k, v in _COLORS[theme or _current].items()}


# ------------------------------------------------------------------------------------- colours
def _linear(c: float) -> float:
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def _luminance(color: QColor) -> float:
    return 0.2126 * _linear(color.redF()) + 0.7152 * _linear(color.greenF()) + 0.0722 * _linear(color.blueF())


@functools.lru_cache(maxsize=1024)
def light_color(text: str) -> str:
    """The light-theme twin of a dark-theme colour (``#rrggbb``, ``#rgb``, ``rgb()``/``rgba()``).

    Same hue and saturation; lightness chosen so its contrast ratio against the light window equals the
    ratio it had against the dark window (WCAG luminance).
    """
    alpha = None
    if text.startswith("rgb"):
        nums = [float(n) for n in re.findall(r"[\d.]+", text)]
        color = QColor(int(nums[0]), int(nums[1]), int(nums[2]))
        alpha = nums[3] if len(nums) > 3 else None
    else:
        color = QColor(text)
    if not color.isValid():
        return text
    dark_bg, light_bg = _luminance(QColor(_DARK_BG)), _luminance(QColor(_LIGHT_BG))
    y = _luminance(color)
    target = (light_bg + 0.05) * (dark_bg + 0.05) / (y + 0.05) - 0.05
    target = min(1.0, max(0.0, target))
    h, s, _l, _a = color.getHslF()
    h = max(0.0, h)  # -1 for greys
    if target < y:  # darkened pastels would turn neon (#b7a9ff -> pure blue): tone them down
        s = min(s, 0.7)
    lo, hi = 0.0, 1.0
    for _ in range(24):  # luminance grows with HSL lightness for fixed hue and saturation
        mid = (lo + hi) / 2
        if _luminance(QColor.fromHslF(h, s, mid)) < target:
            lo = mid
        else:
            hi = mid
    out = QColor.fromHslF(h, s, (lo + hi) / 2)
    if alpha is not None:
        return f"rgba({out.red()}, {out.green()}, {out.blue()}, {alpha:g})"
    if text.startswith("rgb"):
        return f"rgb({out.red()}, {out.green()}, {out.blue()})"
    return out.name()


@functools.lru_cache(maxsize=256)
def themed_sheet(sheet: str, theme: str = "light") -> str:
    """A dark-theme style sheet with every colour turned into its light twin (unchanged for "dark")."""
    if theme != "light" or not sheet:
        return sheet
    return _COLOR_RE.sub(lambda m: light_color(m.group(0)), sheet)


def light_palette() -> QPalette:
    p = QPalette()
    c = _COLORS["light"]
    roles = {
        QPalette.ColorRole.Window: QColor(c["window"]),
        QPalette.ColorRole.WindowText: QColor(c["text"]),
        QPalette.ColorRole.Base: QColor("#ffffff"),
        QPalette.ColorRole.AlternateBase: QColor("#eeeef3"),
        QPalette.ColorRole.ToolTipBase: QColor("#ffffff"),
        QPalette.ColorRole.ToolTipText: QColor(c["text"]),
        QPalette.ColorRole.PlaceholderText: QColor("#6e727b"),
        QPalette.ColorRole.Text: QColor(c["text"]),
        QPalette.ColorRole.Button: QColor("#e8e8ee"),
        QPalette.ColorRole.ButtonText: QColor(c["text"]),
        QPalette.ColorRole.BrightText: QColor("#c62828"),
        QPalette.ColorRole.Highlight: QColor(c["accent"]),
        QPalette.ColorRole.HighlightedText: QColor("#ffffff"),
        QPalette.ColorRole.Link: QColor("#4f3fc4"),
        QPalette.ColorRole.LinkVisited: QColor("#6a3fa0"),
        QPalette.ColorRole.Light: QColor("#ffffff"),
        QPalette.ColorRole.Midlight: QColor("#e2e3e8"),
        QPalette.ColorRole.Mid: QColor("#c4c6ce"),
        QPalette.ColorRole.Dark: QColor("#9a9da6"),
        QPalette.ColorRole.Shadow: QColor("#5a5d66"),
    }
    for role, color in roles.items():
        p.setColor(role, color)
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor("#9a9da6"))
    return p


# ------------------------------------------------------------------------------------- plots
_PLOT_LIGHT = {"background": "#ffffff", "axis": "#8a8d96", "text": "#43464e", "legend": (255, 255, 255, 225)}


def restyle_plots(root: QWidget | None = None, theme: str | None = None) -> None:
    """pyqtgraph plots (painted, not styled by sheets) in the theme's colours; their own look in dark.

    Only when pyqtgraph is already loaded: a theme switch never imports numpy."""
    pg = sys.modules.get("pyqtgraph")
    if pg is None:
        return
    theme = theme or _current
    widgets = root.findChildren(pg.PlotWidget) if root is not None else [
        w for w in QApplication.allWidgets() if isinstance(w, pg.PlotWidget)]
    if root is not None and isinstance(root, pg.PlotWidget):
        widgets.append(root)
    for w in widgets:
        try:
            _restyle_plot(pg, w, theme)
        except Exception:  # noqa: BLE001 - a plot in its dark look is better than a broken switch
            pass


def _restyle_plot(pg, widget, theme: str) -> None:
    item = widget.getPlotItem()
    axes = [item.getAxis(n) for n in ("left", "bottom", "right", "top")]
    legend = item.legend
    saved = getattr(widget, "_studio_dark_look", None)
    if saved is None:
        if theme == "dark":
            return
        saved = {"background": getattr(widget, "_background", "default"),
                 "axes": [(a.pen(), a.textPen()) for a in axes],
                 "title": item.titleLabel.opts.get("color"),
                 "legend": (legend.brush(), legend.labelTextColor()) if legend is not None else None}
        widget._studio_dark_look = saved
    if theme == "light":
        if saved["background"] is not None:
            widget.setBackground(_PLOT_LIGHT["background"])
        for a in axes:
            a.setPen(pg.mkPen(_PLOT_LIGHT["axis"]))
            a.setTextPen(pg.mkPen(_PLOT_LIGHT["text"]))
        title_color = _PLOT_LIGHT["text"]
        if legend is not None:
            legend.setBrush(pg.mkBrush(*_PLOT_LIGHT["legend"]))
            legend.setLabelTextColor(_PLOT_LIGHT["text"])
    else:
        widget.setBackground(saved["background"])
        for a, (pen, text_pen) in zip(axes, saved["axes"], strict=True):
            a.setPen(pen)
            a.setTextPen(text_pen)
        title_color = saved["title"]
        if legend is not None and saved["legend"] is not None:
            legend.setBrush(saved["legend"][0])
            legend.setLabelTextColor(saved["legend"][1])
    if legend is not None:
        for _sample, label in legend.items:
            label.setText(label.text)  # setLabelTextColor only records the colour
    title = item.titleLabel
    if title.text:
        title.setAttr("color", title_color)
        title.setText(title.text)


# --------------------------------------------------------------------------------- applying
class _SheetAdapter(QObject):
    """Light theme only: a widget whose own style sheet changes gets the light twin of it."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.StyleChange and isinstance(watched, QWidget):
            _adapt_widget(watched)
        return False


def _adapt_widget(w: QWidget) -> None:
    sheet = w.styleSheet()
    if not sheet or sheet == w.property(_APPLIED_PROP):
        return
    light = themed_sheet(sheet)
    w.setProperty(_SOURCE_PROP, sheet)
    w.setProperty(_APPLIED_PROP, light)
    if light != sheet:
        w.setStyleSheet(light)


def _restore_widget(w: QWidget) -> None:
    source = w.property(_SOURCE_PROP)
    if source is None:
        return
    if w.styleSheet() == w.property(_APPLIED_PROP):
        w.setStyleSheet(source)
    w.setProperty(_SOURCE_PROP, None)
    w.setProperty(_APPLIED_PROP, None)


def _read_sheet(theme: str) -> str:
    try:
        return SHEETS[theme].read_text(encoding="utf-8")
    except OSError:  # an installed copy without resources/ still works, just plainer
        return ""


def apply_theme(app: QApplication, theme: str = "dark") -> None:
    """Fusion + the theme's palette and style sheet for the whole app, pages' own sheets included."""
    global _current, _adapter
    from studio.ui.app import _dark_palette

    theme = theme if theme in THEMES else "dark"
    app.setStyle("Fusion")
    app.setPalette(light_palette() if theme == "light" else _dark_palette())
    app.setStyleSheet(_read_sheet(theme))
    _current = theme
    widgets = QApplication.allWidgets()
    if theme == "light":
        for w in widgets:
            _adapt_widget(w)
        if _adapter is None:
            _adapter = _SheetAdapter(app)
            app.installEventFilter(_adapter)
    else:
        if _adapter is not None:
            app.removeEventFilter(_adapter)
            _adapter.deleteLater()
            _adapter = None
        for w in widgets:
            _restore_widget(w)
    restyle_plots(None, theme)
