"""Dark and light themes, switchable while the studio runs.

A theme is Fusion, a palette and a style sheet: ``resources/style.qss`` (dark) or
``resources/style-light.qss`` (light). Every colour a widget shows lives in those two sheets, keyed by
object names (``#trainPage QLabel#hint``) and by dynamic properties for states (``*[tone="error"]``), so a
switch is one ``setStyleSheet`` on the application and no widget needs telling. A state change is
``set_tone(label, "error")``, never a colour in code.

What QPainter draws (diagrams, icons, gallery cells) and pyqtgraph's plots cannot be styled by a sheet;
their colours are the tables below, the painter's twin of the sheets, read at paint time.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QWidget

__all__ = ["PLOT_COLORS", "THEMES", "TONES", "apply_theme", "current_theme", "dark_palette", "light_palette",
           "restyle_plots", "set_tone", "theme_colors"]

THEMES = ("dark", "light")
TONES = ("error", "warning", "ok", "muted")
RESOURCES = Path(__file__).resolve().parents[2] / "resources"
SHEETS = {"dark": RESOURCES / "style.qss", "light": RESOURCES / "style-light.qss"}

_current = "dark"

# Colours for things drawn with QPainter (diagrams, icons, gallery cells), per theme. ``thumb_*`` and
# ``badge_*`` sit on pictures, so they are the same in both themes.
_COLORS = {
    "dark": {
        "window": "#1d1e22", "card": "#25272c", "line": "#3a3c44", "text": "#e6e7ea", "muted": "#9ca1ab",
        "accent": "#8b7cf6", "accent_soft": "#2e2a4d", "accent_text": "#b7a9ff", "on_accent": "#ffffff",
        "generator": "#f0a040", "discriminator": "#4aa3f0", "real": "#5cc98a", "fake": "#e0609a",
        "warn": "#f0c674", "bad": "#ff9b9b", "nav_icon": "#9ca1ab", "nav_icon_selected": "#ffffff",
        "cell_hover": "#23252a", "cell_text": "#e6e7ea", "cell_text_selected": "#ffffff",
        "thumb_well": "#121316", "placeholder": "#5a5e68", "placeholder_broken": "#7a4a50",
        "bad_text": "#ffb4b4", "badge_back": "#c8141418", "badge_text": "#d8d2ff", "broken_dot": "#d9534f",
        "on_broken_dot": "#ffffff", "canvas": "#141518", "canvas_text": "#969696", "handle": "#2a2c32",
    },
    "light": {
        "window": "#f3f3f6", "card": "#ffffff", "line": "#c9cbd3", "text": "#1d1e22", "muted": "#5a5e67",
        "accent": "#6d5ce6", "accent_soft": "#e4e0fc", "accent_text": "#5443c9", "on_accent": "#ffffff",
        "generator": "#b86a00", "discriminator": "#1f6fb8", "real": "#1f8a4c", "fake": "#b8306e",
        "warn": "#8a6100", "bad": "#b3261e", "nav_icon": "#5a5e67", "nav_icon_selected": "#2b2466",
        "cell_hover": "#e9eaed", "cell_text": "#25272c", "cell_text_selected": "#141414",
        "thumb_well": "#ffffff", "placeholder": "#9599a3", "placeholder_broken": "#c0979c",
        "bad_text": "#8e1919", "badge_back": "#c8141418", "badge_text": "#d8d2ff", "broken_dot": "#d43c38",
        "on_broken_dot": "#ffffff", "canvas": "#141518", "canvas_text": "#969696", "handle": "#2a2c32",
    },
}

# pyqtgraph line colours, chosen to read on both plot backgrounds (dark #1b1d21, light #ffffff).
PLOT_COLORS = {
    "background": "#1b1d21",
    "loss_g": "#f0a040", "loss_d": "#4aa3f0", "d_real": "#5cc98a", "d_fake": "#e0609a", "speed": "#c0c0c0",
    "skipped": "#888888", "aug_p": "#b48cf0", "data": "#a0a4ad", "muted": "#9ca1ab",
    "content": "#4e9af1", "style": "#f1a34e", "total": "#a070e0",
}

_PALETTES = {
    "dark": {
        "Window": "#1d1e22", "WindowText": "#e6e7ea", "Base": "#16171a", "AlternateBase": "#222328",
        "ToolTipBase": "#2a2c32", "ToolTipText": "#e6e7ea", "PlaceholderText": "#8d929c", "Text": "#e6e7ea",
        "Button": "#2a2c32", "ButtonText": "#e6e7ea", "BrightText": "#ff6b6b", "Highlight": "#8b7cf6",
        "HighlightedText": "#ffffff", "Link": "#a99cff", "Light": "#3a3c44",
        "Midlight": "#30323a", "Mid": "#2a2c32", "Dark": "#131417", "Shadow": "#0b0b0d", "disabled": "#5d616a",
    },
    "light": {
        "Window": "#f3f3f6", "WindowText": "#1d1e22", "Base": "#ffffff", "AlternateBase": "#eeeef3",
        "ToolTipBase": "#ffffff", "ToolTipText": "#1d1e22", "PlaceholderText": "#6e727b", "Text": "#1d1e22",
        "Button": "#e8e8ee", "ButtonText": "#1d1e22", "BrightText": "#c62828", "Highlight": "#6d5ce6",
        "HighlightedText": "#ffffff", "Link": "#4f3fc4", "LinkVisited": "#6a3fa0", "Light": "#ffffff",
        "Midlight": "#e2e3e8", "Mid": "#c4c6ce", "Dark": "#9a9da6", "Shadow": "#5a5d66", "disabled": "#9a9da6",
    },
}


def current_theme() -> str:
    return _current


def theme_colors(theme: str | None = None) -> dict[str, QColor]:
    """Named colours of a theme (default: the current one) for QPainter drawings."""
    return {k: QColor(v) for k, v in _COLORS[theme or _current].items()}


def set_tone(widget: QWidget, tone: str | None) -> None:
    """Mark a widget's text as an error, warning, ok or muted (``None``: plain); the sheets colour it.

    Qt does not re-match selectors when a dynamic property changes, hence the re-polish."""
    if tone is not None and tone not in TONES:
        raise ValueError(f"tone must be one of {', '.join(TONES)}, not {tone!r}")
    if widget.property("tone") == tone:
        return
    widget.setProperty("tone", tone)
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)
    widget.update()


def _palette(theme: str) -> QPalette:
    p = QPalette()
    table = _PALETTES[theme]
    for name, value in table.items():
        if name != "disabled":
            p.setColor(getattr(QPalette.ColorRole, name), QColor(value))
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor(table["disabled"]))
    return p


def dark_palette() -> QPalette:
    return _palette("dark")


def light_palette() -> QPalette:
    return _palette("light")


# ------------------------------------------------------------------------------------- plots
_PLOT_LIGHT = {"background": "#ffffff", "axis": "#8a8d96", "text": "#43464e", "legend": (255, 255, 255, 225)}


def restyle_plots(root: QWidget | None = None, theme: str | None = None) -> None:
    """pyqtgraph plots (painted, not styled by sheets) in the theme's colours; their own look in dark.

    Only when pyqtgraph is already loaded: a theme switch never imports numpy."""
    pg = sys.modules.get("pyqtgraph")
    if pg is None:
        return
    theme = theme or _current
    # From the live top-level windows down, not QApplication.allWidgets(): that list also holds widgets
    # half-way through destruction, and touching one crashed the suite now and then.
    roots = [root] if root is not None else QApplication.topLevelWidgets()
    widgets = [w for r in roots for w in [r, *r.findChildren(pg.PlotWidget)] if isinstance(w, pg.PlotWidget)]
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
def _read_sheet(theme: str) -> str:
    try:
        return SHEETS[theme].read_text(encoding="utf-8")
    except OSError:  # an installed copy without resources/ still works, just plainer
        return ""


def apply_theme(app: QApplication, theme: str = "dark") -> None:
    """Fusion + the theme's palette and style sheet for the whole app; plots told separately."""
    global _current
    theme = theme if theme in THEMES else "dark"
    if not app.property("studioStyle"):  # the wheel guard's Fusion proxy stays (studio.ui.window.wheel)
        app.setStyle("Fusion")
    app.setPalette(_palette(theme))
    app.setStyleSheet(_read_sheet(theme))
    _current = theme
    restyle_plots(None, theme)
