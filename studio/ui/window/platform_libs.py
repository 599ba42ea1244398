"""Before Qt starts on a Linux desktop: are the system libraries its X11 (xcb) platform needs here?

Without ``libxcb-icccm4`` or ``libxcb-keysyms1`` Qt aborts before any window, with a message that names
only ``libxcb-cursor0``. ``ldd`` on Qt's xcb plugin tells the truth, so the launcher asks it first and
prints the one command that installs what is missing. Qt-free (nothing here loads a Qt library).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

__all__ = ["DEBIAN_PACKAGES", "install_command", "missing_from_ldd", "package_for", "qt_platform_problem",
           "xcb_plugin_path"]

# The shared libraries Qt's xcb platform loads, and the Debian/Ubuntu package that ships each.
DEBIAN_PACKAGES = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-xinerama.so.0": "libxcb-xinerama0",
    "libxcb-xinput.so.0": "libxcb-xinput0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb.so.1": "libxcb1",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libOpenGL.so.0": "libopengl0",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libdbus-1.so.3": "libdbus-1-3",
    "libglib-2.0.so.0": "libglib2.0-0",
}
_NOT_FOUND = re.compile(r"^\s*(\S+)\s*=>\s*not found", re.MULTILINE)


def package_for(soname: str) -> str:
    """The Debian package for a library file name (known ones from the table; others by the naming rule:
    libfoo.so.3 -> libfoo3, libfoo-x11.so.0 -> libfoo-x11-0)."""
    if soname in DEBIAN_PACKAGES:
        return DEBIAN_PACKAGES[soname]
    base, _, version = soname.partition(".so")
    version = version.lstrip(".").split(".")[0]
    base = base.lower()
    if not version:
        return base
    return f"{base}-{version}" if base[-1:].isdigit() else f"{base}{version}"


def missing_from_ldd(ldd_output: str) -> list[str]:
    """The library file names ``ldd`` reports as "not found", each once, in its order."""
    seen: list[str] = []
    for name in _NOT_FOUND.findall(ldd_output):
        if name not in seen:
            seen.append(name)
    return seen


def install_command(sonames: list[str]) -> str:
    packages = []
    for name in sonames:
        pkg = package_for(name)
        if pkg not in packages:
            packages.append(pkg)
    return "sudo apt-get install " + " ".join(packages)


def xcb_plugin_path() -> Path | None:
    """Qt's xcb platform plugin inside the installed PySide6, found without loading Qt."""
    import importlib.util

    try:
        spec = importlib.util.find_spec("PySide6")
    except (ImportError, ValueError):
        return None
    for root in (spec.submodule_search_locations or []) if spec is not None else []:
        for plugin in (Path(root) / "Qt" / "plugins" / "platforms" / "libqxcb.so",
                       Path(root) / "plugins" / "platforms" / "libqxcb.so"):
            if plugin.is_file():
                return plugin
    return None


def _xcb_will_be_used(env: dict[str, str]) -> bool:
    chosen = env.get("QT_QPA_PLATFORM", "").strip().lower()
    if chosen:
        return chosen.split(";")[0].split(":")[0] == "xcb"
    return bool(env.get("DISPLAY")) and not env.get("WAYLAND_DISPLAY")


def _run_ldd(plugin: Path) -> str | None:
    ldd = shutil.which("ldd")
    if ldd is None:
        return None
    try:
        done = subprocess.run([ldd, str(plugin)], capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout


def _findable(name: str) -> bool:
    import ctypes.util

    try:
        return ctypes.util.find_library(name) is not None
    except (OSError, ValueError):
        return True  # cannot tell: say nothing rather than something wrong


def qt_platform_problem(env: dict[str, str] | None = None, ldd_output: str | None = None,
                        platform: str | None = None) -> str | None:
    """A sentence with the install command when Qt's xcb platform would abort here; None when fine
    (or when it cannot be told: not Linux, not X11, no ldd). ``ldd_output`` replaces running ldd."""
    env = dict(os.environ) if env is None else env
    if not (platform or sys.platform).startswith("linux") or not _xcb_will_be_used(env):
        return None
    if ldd_output is None:
        plugin = xcb_plugin_path()
        if plugin is None:
            return None
        ldd_output = _run_ldd(plugin)
        if ldd_output is None:
            return None
    missing = missing_from_ldd(ldd_output)
    if "libxcb-cursor.so" not in ldd_output and not _findable("xcb-cursor"):
        missing.insert(0, "libxcb-cursor.so.0")  # Qt 6.5+ loads it at run time, so ldd cannot list it
    if not missing:
        return None
    return (f"GAN Art Studio cannot open its window: this computer lacks system libraries that Qt needs to "
            f"draw windows on X11 ({', '.join(missing)}). Install them with:\n\n    {install_command(missing)}\n\n"
            "then start the studio again. (On other Linux distributions, install the packages that provide "
            "these files.)")
