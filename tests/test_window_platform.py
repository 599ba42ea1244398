"""Before Qt starts: missing X11 libraries are named with the command that installs them."""

from __future__ import annotations

from studio.ui.window import platform_libs
from studio.ui.window.platform_libs import install_command, missing_from_ldd, package_for, qt_platform_problem

LDD_MISSING = """\
\tlinux-vdso.so.1 (0x00007ffd2b5f2000)
\tlibQt6XcbQpa.so.6 => /venv/PySide6/Qt/lib/libQt6XcbQpa.so.6 (0x00007f0d5c000000)
\tlibxcb-cursor.so.0 => /lib/x86_64-linux-gnu/libxcb-cursor.so.0 (0x00007f0d5bf00000)
\tlibxcb-icccm.so.4 => not found
\tlibxcb-keysyms.so.1 => not found
\tlibxcb-icccm.so.4 => not found
\tlibxkbcommon-x11.so.0 => /lib/x86_64-linux-gnu/libxkbcommon-x11.so.0 (0x00007f0d5bd00000)
"""
LDD_FINE = "\n".join(line for line in LDD_MISSING.splitlines() if "not found" not in line)
X11 = {"DISPLAY": ":0"}


def test_missing_libraries_are_named_with_the_apt_command():
    problem = qt_platform_problem(env=X11, ldd_output=LDD_MISSING, platform="linux")
    assert problem is not None
    assert "sudo apt-get install libxcb-icccm4 libxcb-keysyms1" in problem
    assert "libxcb-icccm.so.4" in problem and "libxcb-keysyms.so.1" in problem
    assert "libxcb-cursor0" not in problem  # it is there: only what is missing is asked for


def test_nothing_is_said_when_everything_is_there_or_xcb_is_not_used():
    assert qt_platform_problem(env=X11, ldd_output=LDD_FINE, platform="linux") is None
    wayland = {"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0"}
    assert qt_platform_problem(env=wayland, ldd_output=LDD_MISSING, platform="linux") is None
    offscreen = {"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"}
    assert qt_platform_problem(env=offscreen, ldd_output=LDD_MISSING, platform="linux") is None
    assert qt_platform_problem(env=X11, ldd_output=LDD_MISSING, platform="darwin") is None
    forced = {"QT_QPA_PLATFORM": "xcb"}
    assert qt_platform_problem(env=forced, ldd_output=LDD_MISSING, platform="linux") is not None


def test_package_names_follow_the_debian_rule_for_unknown_libraries():
    assert missing_from_ldd(LDD_MISSING) == ["libxcb-icccm.so.4", "libxcb-keysyms.so.1"]
    assert package_for("libxcb-foo.so.2") == "libxcb-foo2"
    assert package_for("libfoo-x11.so.0") == "libfoo-x11-0"
    assert install_command(["libxcb-cursor.so.0", "libxcb-cursor.so.0"]) == "sudo apt-get install libxcb-cursor0"


def test_the_launcher_stops_with_the_command_before_creating_the_app(monkeypatch, capsys):
    from studio.ui import app

    monkeypatch.setattr(platform_libs, "qt_platform_problem",
                        lambda: "Install them with:\n    sudo apt-get install libxcb-icccm4")
    created = []
    monkeypatch.setattr(app, "create_app", lambda *a, **k: created.append(True))
    assert app.run_gui([]) == 1
    assert created == []
    assert "sudo apt-get install libxcb-icccm4" in capsys.readouterr().err


def test_xcb_cursor_loaded_at_run_time_is_checked_too(monkeypatch):
    """Qt loads libxcb-cursor itself (ldd cannot list it): the library search decides."""
    no_cursor = "\n".join(line for line in LDD_MISSING.splitlines() if "xcb-cursor" not in line)
    monkeypatch.setattr(platform_libs, "_findable", lambda name: name != "xcb-cursor")
    problem = qt_platform_problem(env=X11, ldd_output=no_cursor, platform="linux")
    assert "sudo apt-get install libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1" in problem
