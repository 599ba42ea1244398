"""Themes are style sheets: every colour a widget shows comes from resources/style*.qss.

The light theme once rewrote pages' dark colours at run time; these tests keep colours out of the code
(so nothing needs rewriting) and check that each state a label can be in reads well in both themes.
"""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit

from studio.ui.theme import SHEETS, THEMES, TONES, apply_theme, current_theme, set_tone, theme_colors

UI = Path(__file__).resolve().parents[1] / "studio" / "ui"
# "#rgb" / "#rrggbb" / "#rrggbbaa" (not "QLabel#add"), or rgb()/rgba() with numbers: what a sheet or QColor reads.
COLOUR_LITERAL = re.compile(r"(?<![\w#])#(?:[0-9a-fA-F]{8}|[0-9a-fA-F]{6}|[0-9a-fA-F]{3})\b|rgba?\(\s*\d")


def colour_literals(source: str) -> list[tuple[int, str]]:
    """(line, string) for each string in Python source that spells a colour; comments do not count."""
    found = []
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.STRING and COLOUR_LITERAL.search(tok.string):
            found.append((tok.start[0], tok.string.splitlines()[0]))
    return found


def _tone_colours(theme: str) -> dict[str, QColor]:
    text = SHEETS[theme].read_text(encoding="utf-8")
    found = {m.group(1): QColor(m.group(2))
             for m in re.finditer(r'^\*\[tone="(\w+)"\]\s*\{\s*color:\s*(#[0-9a-fA-F]{6});', text, re.M)}
    assert set(found) == set(TONES), f"{SHEETS[theme].name} must colour every tone"
    return found


def _contrast(a: QColor, b: QColor) -> float:
    def lum(c: QColor) -> float:
        ch = [v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4 for v in (c.redF(), c.greenF(), c.blueF())]
        return 0.2126 * ch[0] + 0.7152 * ch[1] + 0.0722 * ch[2]

    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.fixture
def themed_app(qapp):
    yield qapp
    if current_theme() != "dark":
        apply_theme(qapp, "dark")


def test_no_module_under_studio_ui_spells_a_colour_outside_theme_py():
    offenders = []
    for path in sorted(UI.rglob("*.py")):
        if path.name == "theme.py" and path.parent == UI:
            continue
        source = path.read_text(encoding="utf-8")
        offenders += [f"{path.relative_to(UI)}:{n}: {text}" for n, text in colour_literals(source)]
        offenders += [f"{path.relative_to(UI)}: setStyleSheet with a colour" for m in
                      re.finditer(r"setStyleSheet\([^)]*\b(?:color|background|border)", source)]
    assert offenders == [], "colours belong in resources/*.qss (or theme.py for painters):\n" + "\n".join(offenders)


def test_the_literal_check_would_see_the_usual_spellings():
    source = ('label.setStyleSheet("color: #e06c6c")\nBACK = QColor(\'#141518\')\nx = "rgba(20, 20, 24, 0.8)"\n'
              'QSS = """\nQLabel#hint { color: #9ca1ab; }\n"""\nFADED = f"#{0xfff:03x}" + "#fab"\n')
    assert [n for n, _ in colour_literals(source)] == [1, 2, 3, 4, 7]
    assert colour_literals('label.setObjectName("add")  # see #123\nSEL = "QLabel#add, #trainPage"\n') == []


@pytest.mark.parametrize("theme", THEMES)
def test_each_tone_shows_its_sheet_colour_and_reads_on_the_window(themed_app, qtbot, theme):
    apply_theme(themed_app, theme)
    window_colour = themed_app.palette().color(QPalette.ColorRole.Window)
    plain = QLabel("plain")
    qtbot.addWidget(plain)
    plain.ensurePolished()
    plain_colour = plain.palette().color(plain.foregroundRole())
    for tone, expected in _tone_colours(theme).items():
        label = QLabel(tone)
        qtbot.addWidget(label)
        label.ensurePolished()
        set_tone(label, tone)
        assert label.palette().color(label.foregroundRole()).name() == expected.name(), (theme, tone)
        needed = 3.0 if tone == "muted" else 4.5  # muted text is secondary; states are read as body text
        assert _contrast(expected, window_colour) >= needed, (theme, tone, expected.name())
        set_tone(label, None)  # back to plain: the re-polish drops the tone's colour
        assert label.palette().color(label.foregroundRole()) == plain_colour


def test_a_tone_set_in_one_theme_follows_a_switch_to_the_other(themed_app, qtbot):
    apply_theme(themed_app, "dark")
    label = QLabel("could not save")
    qtbot.addWidget(label)
    set_tone(label, "error")
    label.show()
    apply_theme(themed_app, "light")
    assert label.palette().color(label.foregroundRole()).name() == _tone_colours("light")["error"].name()
    apply_theme(themed_app, "dark")
    assert label.palette().color(label.foregroundRole()).name() == _tone_colours("dark")["error"].name()


def test_an_error_tone_on_a_text_field_draws_its_border_in_the_error_colour(themed_app, qtbot):
    apply_theme(themed_app, "light")
    field = QLineEdit("1024, 512")
    qtbot.addWidget(field)
    field.resize(160, 28)
    field.show()
    qtbot.waitExposed(field)
    before = field.grab().toImage().pixelColor(field.width() // 2, 0)
    set_tone(field, "error")
    after = field.grab().toImage().pixelColor(field.width() // 2, 0)
    assert after.name() == _tone_colours("light")["error"].name() != before.name()


def test_unknown_tones_are_refused_in_a_sentence(qapp):
    with pytest.raises(ValueError, match="tone must be one of error, warning, ok, muted"):
        set_tone(QLabel(), "red")


def test_painter_colours_exist_for_both_themes_with_the_same_names():
    assert theme_colors("dark").keys() == theme_colors("light").keys()
    assert all(c.isValid() for t in THEMES for c in theme_colors(t).values())


def test_applying_a_theme_leaves_no_event_filter_or_per_widget_sheet(themed_app, qtbot):
    from studio.ui.widgets.health_panel import HealthPanel

    panel = HealthPanel()
    qtbot.addWidget(panel)
    apply_theme(themed_app, "light")
    assert panel.styleSheet() == "" and all(w.styleSheet() == "" for w in panel.findChildren(QLabel))
    assert QApplication.instance().styleSheet() == SHEETS["light"].read_text(encoding="utf-8")


def test_plots_inside_windows_follow_the_theme_and_come_back(themed_app, qtbot):
    import pyqtgraph as pg
    from PySide6.QtWidgets import QVBoxLayout, QWidget

    from studio.ui.theme import PLOT_COLORS

    host = QWidget()
    qtbot.addWidget(host)
    plot = pg.PlotWidget(background=PLOT_COLORS["background"])
    QVBoxLayout(host).addWidget(plot)  # nested: found from its top-level window
    apply_theme(themed_app, "light")
    assert plot.backgroundBrush().color().lightness() > 240
    apply_theme(themed_app, "dark")
    assert plot.backgroundBrush().color().name() == PLOT_COLORS["background"]
