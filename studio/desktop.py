"""Put the studio in the applications menu and on the desktop, and take it out again.

``python -m studio install-shortcut`` / ``uninstall-shortcut`` call this module. It imports neither Qt
nor torch: it only writes small files (and, on Windows, asks PowerShell to write ``.lnk`` files).

- Linux and other freedesktop systems: a ``.desktop`` entry in ``$XDG_DATA_HOME/applications`` and a
  copy on the desktop (executable and, where ``gio`` can, marked trusted, as GNOME and KDE require),
  with the icons in the user's ``hicolor`` theme.
- Windows: Start-menu and desktop shortcuts made through the ``WScript.Shell`` COM object.
- macOS: a small ``GAN Art Studio.app`` in ``~/Applications`` whose launcher execs this Python.

Every function takes ``home`` (and ``env``) so tests write into a temporary folder; with ``home`` given
and no ``env``, no environment variable of the real user is read. Planning is separated from writing
(:func:`plan_shortcut`, :func:`apply_shortcut`) so a dry run shows exactly what a real one writes, and
uninstalling removes only the files an install writes, found the same way.
"""

from __future__ import annotations

import base64
import os
import plistlib
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePath

from studio import __version__

__all__ = [
    "APP_ID", "APP_NAME", "ICON_SIZES", "LaunchCommand", "ShortcutError", "ShortcutFile", "apply_shortcut",
    "describe", "desktop_entry", "install_shortcut", "launch_command", "plan_shortcut", "plan_uninstall",
    "uninstall_shortcut", "windows_shortcut_script",
]

APP_ID = "gan-art-studio"  # .desktop file, icon name, Qt's desktopFileName (the Wayland app id)
APP_NAME = "GAN Art Studio"  # Qt's application name = the X11 WM_CLASS class, hence StartupWMClass
BUNDLE_ID = "org.gan-art-studio.GANArtStudio"
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
PROJECT_ROOT = Path(__file__).resolve().parents[1]  # the checkout (or site-packages when installed)
ICONS_DIR = PROJECT_ROOT / "resources" / "icons"
COMMENT = "Train GANs on your own pictures, make latent-walk animations and repaint photos"
GENERIC_NAME = "Generative Art Studio"
KEYWORDS = ("GAN", "generative", "neural", "art", "painting", "style transfer", "latent walk", "animation")

# Desktop Entry spec, "The Exec key": an argument holding one of these must be double-quoted.
_EXEC_RESERVED = frozenset(" \t\n\"'\\><~|&;$*?#()`")
_TOOL_TIMEOUT_S = 10


class ShortcutError(RuntimeError):
    """A shortcut could not be written or removed; the message says why in plain words."""


@dataclass(frozen=True)
class LaunchCommand:
    """What a shortcut starts: an absolute program, its arguments and the folder it runs in."""

    program: PurePath
    args: tuple[str, ...] = ()
    workdir: PurePath = PROJECT_ROOT

    @property
    def argv(self) -> list[str]:
        return [str(self.program), *self.args]


@dataclass(frozen=True)
class ShortcutFile:
    """One file an install writes. ``data`` None: made by another program (a Windows .lnk) or a link."""

    path: Path
    role: str  # "applications menu entry", "desktop shortcut", "icon", "launcher app", "Start-menu shortcut"
    data: bytes | None = None
    executable: bool = False
    link_to: Path | None = None


# ------------------------------------------------------------------------------------ what to start
def _platform(platform: str | None) -> str:
    p = platform or sys.platform
    return "windows" if p.startswith("win") else "macos" if p == "darwin" else "linux"


def launch_command(platform: str | None = None) -> LaunchCommand:
    """The installed ``gan-studio`` gui-script when there is one, else this Python with ``-m studio``.

    ``sys.executable`` is used as is, not resolved: a venv's python is a symlink, and following it would
    leave the venv (and its packages) behind.
    """
    here = Path(sys.executable).parent
    if _platform(platform) == "windows":
        script = here / "gan-studio.exe"
        if script.is_file():
            return LaunchCommand(script)
        pythonw = here / "pythonw.exe"  # no console window
        return LaunchCommand(pythonw if pythonw.is_file() else Path(sys.executable), ("-m", "studio"))
    if _platform(platform) == "linux":
        script = here / "gan-studio"
        if not (script.is_file() and os.access(script, os.X_OK)):
            found = shutil.which("gan-studio")
            script = Path(found) if found else None
        if script is not None:
            return LaunchCommand(script.absolute())
    return LaunchCommand(Path(sys.executable).absolute(), ("-m", "studio"))


# ----------------------------------------------------------------------------------- Linux (XDG)
def _escape_string(value: str) -> str:
    """The spec's escapes for string values (``\\\\``, ``\\n``, ``\\t``, ``\\r``); the file is UTF-8."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ShortcutError(f"{value!r} is not valid UTF-8, which a desktop entry needs; "
                            "move the studio to a folder with a plainer name") from None
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")


def _exec_arg(arg: str) -> str:
    """One Exec argument: ``%`` doubled (field codes), double-quoted with ``"`$\\`` escaped if needed."""
    arg = arg.replace("%", "%%")
    if not arg or any(c in _EXEC_RESERVED for c in arg):
        arg = '"' + re.sub(r'(["`$\\])', r"\\\1", arg) + '"'
    return arg


def exec_value(argv: list[str]) -> str:
    """The Exec= value for ``argv``: quoting rules first, then the general string escapes on top."""
    if "=" in argv[0]:
        raise ShortcutError(f"the program path {argv[0]!r} contains '=', which a desktop entry cannot start")
    return _escape_string(" ".join(_exec_arg(a) for a in argv))


def desktop_entry(launch: LaunchCommand) -> str:
    """The text of ``gan-art-studio.desktop``.

    Version 1.4 of the Desktop Entry Specification: the newest that desktop-file-validate 0.26 (Debian 12,
    Ubuntu 22.04) accepts; 1.5 added nothing this entry uses.
    """
    lines = [
        "[Desktop Entry]",
        "Type=Application",
        "Version=1.4",
        f"Name={APP_NAME}",
        f"GenericName={GENERIC_NAME}",
        f"Comment={COMMENT}",
        f"Icon={APP_ID}",
        f"TryExec={_escape_string(str(launch.program))}",  # the entry hides itself if the venv is gone
        f"Exec={exec_value(launch.argv)}",
        f"Path={_escape_string(str(launch.workdir))}",
        "Terminal=false",
        "Categories=Graphics;2DGraphics;Education;",
        "Keywords=" + "".join(f"{k};" for k in KEYWORDS),
        "StartupNotify=true",
        f"StartupWMClass={APP_NAME}",
        f"X-GAN-Art-Studio-Version={__version__}",
    ]
    return "\n".join(lines) + "\n"


def _data_home(home: Path, env: Mapping[str, str]) -> Path:
    value = env.get("XDG_DATA_HOME", "")
    return Path(value) if value and os.path.isabs(value) else home / ".local" / "share"  # spec: relative = unset


def _xdg_desktop_dir(home: Path, env: Mapping[str, str]) -> Path | None:
    """The desktop folder: ``xdg-user-dir DESKTOP`` (localized names), else ~/Desktop; None if neither exists.

    xdg-user-dir answers $HOME itself when no desktop folder is configured: that is never used.
    """
    tool = shutil.which("xdg-user-dir")
    if tool:
        run_env = {"PATH": os.environ.get("PATH", os.defpath), "HOME": str(home)}
        if env.get("XDG_CONFIG_HOME"):
            run_env["XDG_CONFIG_HOME"] = env["XDG_CONFIG_HOME"]
        try:
            out = subprocess.run([tool, "DESKTOP"], capture_output=True, text=True, env=run_env,
                                 timeout=_TOOL_TIMEOUT_S, check=False)
            found = Path(out.stdout.strip())
            if out.returncode == 0 and found.is_absolute() and found != home and found.is_dir():
                return found
        except (OSError, subprocess.SubprocessError):
            pass
    fallback = home / "Desktop"
    return fallback if fallback.is_dir() else None


def _linux_icon_targets(data_home: Path) -> list[tuple[Path, Path]]:
    """(source in resources/icons, destination in the user's hicolor theme) for every shipped size."""
    hicolor = data_home / "icons" / "hicolor"
    pairs = [(ICONS_DIR / "hicolor" / f"{n}x{n}" / "apps" / f"{APP_ID}.png",
              hicolor / f"{n}x{n}" / "apps" / f"{APP_ID}.png") for n in ICON_SIZES]
    pairs.append((ICONS_DIR / f"{APP_ID}.svg", hicolor / "scalable" / "apps" / f"{APP_ID}.svg"))
    return pairs


def _plan_linux(desktop: bool, menu: bool, home: Path, env: Mapping[str, str],
                launch: LaunchCommand) -> list[ShortcutFile]:
    data_home = _data_home(home, env)
    entry = desktop_entry(launch).encode("utf-8")
    files: list[ShortcutFile] = []
    if menu:
        files.append(ShortcutFile(data_home / "applications" / f"{APP_ID}.desktop", "applications menu entry", entry))
    desk = _xdg_desktop_dir(home, env) if desktop else None
    if desk is not None:
        files.append(ShortcutFile(desk / f"{APP_ID}.desktop", "desktop shortcut", entry, executable=True))
    if files:
        files += [ShortcutFile(dst, "icon", src.read_bytes())
                  for src, dst in _linux_icon_targets(data_home) if src.is_file()]
    return files


def _linux_candidates(home: Path, env: Mapping[str, str]) -> list[Path]:
    data_home = _data_home(home, env)
    paths = [data_home / "applications" / f"{APP_ID}.desktop"]
    for desk in (_xdg_desktop_dir(home, env), home / "Desktop"):
        if desk is not None and desk / f"{APP_ID}.desktop" not in paths:
            paths.append(desk / f"{APP_ID}.desktop")
    return paths + [dst for _, dst in _linux_icon_targets(data_home)]


def _run_quietly(argv: list[str]) -> bool:
    """Run a desktop helper if it is installed; its failure never fails the install."""
    if shutil.which(argv[0]) is None:
        return False
    try:
        return subprocess.run(argv, capture_output=True, timeout=_TOOL_TIMEOUT_S, check=False).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def _after_linux(files: list[ShortcutFile]) -> None:
    for f in files:
        if f.role == "desktop shortcut":
            _run_quietly(["gio", "set", str(f.path), "metadata::trusted", "true"])  # GNOME: "Allow launching"
    _refresh_menu_cache({f.path.parent for f in files if f.role == "applications menu entry"})


def _refresh_menu_cache(app_dirs: set[Path]) -> None:
    # update-desktop-database only caches MimeType= lines, which the entry has none of: refresh an existing
    # cache, but do not create one (uninstalling would then leave a file behind).
    for directory in app_dirs:
        if (directory / "mimeinfo.cache").is_file():
            _run_quietly(["update-desktop-database", "-q", str(directory)])


# ---------------------------------------------------------------------------------------- Windows
def _ps_quote(value: str) -> str:
    """A PowerShell single-quoted literal (typographic single quotes count as quotes there too)."""
    return "'" + re.sub("(['\u2018\u2019\u201a\u201b])", r"\1\1", value) + "'"


def windows_shortcut_script(links: list[PurePath], launch: LaunchCommand, icon: PurePath | None) -> str:
    """PowerShell that makes each ``.lnk`` in ``links`` start ``launch``, via the WScript.Shell COM object."""
    lines = ["$ErrorActionPreference = 'Stop'", "$shell = New-Object -ComObject WScript.Shell"]
    for link in links:
        lines += [
            f"New-Item -ItemType Directory -Force -Path {_ps_quote(str(link.parent))} | Out-Null",
            f"$link = $shell.CreateShortcut({_ps_quote(str(link))})",
            f"$link.TargetPath = {_ps_quote(str(launch.program))}",
            f"$link.Arguments = {_ps_quote(subprocess.list2cmdline(list(launch.args)))}",
            f"$link.WorkingDirectory = {_ps_quote(str(launch.workdir))}",
            f"$link.Description = {_ps_quote(f'{APP_NAME}: {COMMENT}')}",
        ]
        if icon is not None:
            lines.append(f"$link.IconLocation = {_ps_quote(f'{icon},0')}")
        lines.append("$link.Save()")
    return "\r\n".join(lines) + "\r\n"


def _powershell_argv(script: str) -> list[str]:
    encoded = base64.b64encode(script.encode("utf-16-le")).decode("ascii")
    return ["powershell.exe", "-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass",
            "-EncodedCommand", encoded]


def _windows_dirs(home: Path, env: Mapping[str, str], ask_windows: bool) -> tuple[Path, Path]:
    """(Start-menu Programs folder, Desktop folder). Windows itself knows where a OneDrive desktop is."""
    if ask_windows and shutil.which("powershell.exe"):
        script = "[Environment]::GetFolderPath('Programs'); [Environment]::GetFolderPath('DesktopDirectory')"
        try:
            out = subprocess.run(_powershell_argv(script), capture_output=True, text=True,
                                 timeout=30, check=False)
            answer = [line.strip() for line in out.stdout.splitlines() if line.strip()]
            if out.returncode == 0 and len(answer) == 2:
                return Path(answer[0]), Path(answer[1])
        except (OSError, subprocess.SubprocessError):
            pass
    appdata = Path(env["APPDATA"]) if env.get("APPDATA") else home / "AppData" / "Roaming"
    return appdata / "Microsoft" / "Windows" / "Start Menu" / "Programs", home / "Desktop"


def _plan_windows(desktop: bool, menu: bool, home: Path, env: Mapping[str, str],
                  ask_windows: bool) -> list[ShortcutFile]:
    programs, desk = _windows_dirs(home, env, ask_windows)
    files = []
    if menu:
        files.append(ShortcutFile(programs / f"{APP_NAME}.lnk", "Start-menu shortcut"))
    if desktop:
        files.append(ShortcutFile(desk / f"{APP_NAME}.lnk", "desktop shortcut"))
    return files


# ------------------------------------------------------------------------------------------ macOS
def _bundle_paths(app: Path) -> dict[str, Path]:
    contents = app / "Contents"
    return {"plist": contents / "Info.plist", "launcher": contents / "MacOS" / APP_ID,
            "icon": contents / "Resources" / f"{APP_ID}.icns"}


def info_plist() -> bytes:
    return plistlib.dumps({
        "CFBundleDevelopmentRegion": "en",
        "CFBundleDisplayName": APP_NAME,
        "CFBundleExecutable": APP_ID,
        "CFBundleIconFile": f"{APP_ID}.icns",
        "CFBundleIdentifier": BUNDLE_ID,
        "CFBundleInfoDictionaryVersion": "6.0",
        "CFBundleName": APP_NAME,
        "CFBundlePackageType": "APPL",
        "CFBundleShortVersionString": __version__,
        "CFBundleVersion": __version__,
        "LSApplicationCategoryType": "public.app-category.graphics-design",
        "LSMinimumSystemVersion": "10.13",
        "NSHighResolutionCapable": True,
    })


def macos_launcher(launch: LaunchCommand) -> str:
    """The bundle's executable: a shell script that becomes this Python running the studio.

    It passes no arguments on: older Finders add ``-psn_…``, and any argument turns ``python -m studio``
    into the command-line studio.
    """
    return ("#!/bin/sh\n"
            f"# {APP_NAME} launcher, written by `python -m studio install-shortcut`.\n"
            f"cd {shlex.quote(str(launch.workdir))} || exit 1\n"
            f"exec {shlex.join(launch.argv)}\n")


def _plan_macos(desktop: bool, menu: bool, home: Path, launch: LaunchCommand) -> list[ShortcutFile]:
    desk = home / "Desktop"
    if menu:
        app = home / "Applications" / f"{APP_NAME}.app"
    elif desktop and desk.is_dir():
        app = desk / f"{APP_NAME}.app"
    else:
        return []
    where = _bundle_paths(app)
    files = [ShortcutFile(where["plist"], "launcher app", info_plist()),
             ShortcutFile(where["launcher"], "launcher app", macos_launcher(launch).encode("utf-8"),
                          executable=True)]
    icns = ICONS_DIR / f"{APP_ID}.icns"
    if icns.is_file():
        files.append(ShortcutFile(where["icon"], "icon", icns.read_bytes()))
    if menu and desktop and desk.is_dir():
        files.append(ShortcutFile(desk / f"{APP_NAME}.app", "desktop shortcut", link_to=app))
    return files


def _is_our_bundle(app: Path) -> bool:
    try:
        return plistlib.loads(_bundle_paths(app)["plist"].read_bytes()).get("CFBundleIdentifier") == BUNDLE_ID
    except (OSError, plistlib.InvalidFileException, ValueError, AttributeError):
        return False


def _prune_bundle(app: Path) -> None:
    contents = app / "Contents"
    for folder in (contents / "MacOS", contents / "Resources", contents, app):
        if folder.is_dir() and not folder.is_symlink() and not any(folder.iterdir()):
            folder.rmdir()


def _macos_candidates(home: Path) -> list[Path]:
    installed = home / "Applications" / f"{APP_NAME}.app"
    on_desktop = home / "Desktop" / f"{APP_NAME}.app"
    paths: list[Path] = []
    for app in (installed, on_desktop):
        if app.is_symlink():
            if app == on_desktop and Path(os.readlink(app)) == installed:  # our link to the bundle
                paths.append(app)
        elif _is_our_bundle(app):
            paths += list(_bundle_paths(app).values())
    return paths


# --------------------------------------------------------------------------------- the public API
def _home_env(home: Path | None, env: Mapping[str, str] | None) -> tuple[Path, Mapping[str, str]]:
    if home is None:
        return Path.home(), os.environ if env is None else env
    return Path(home), {} if env is None else env


def plan_shortcut(desktop: bool = True, menu: bool = True, *, platform: str | None = None,
                  home: Path | None = None, env: Mapping[str, str] | None = None,
                  launch: LaunchCommand | None = None) -> list[ShortcutFile]:
    """The files an install would write for this platform (nothing is written)."""
    home_, env_ = _home_env(home, env)
    kind = _platform(platform)
    launch = launch or launch_command(platform)
    if kind == "windows":
        return _plan_windows(desktop, menu, home_, env_, ask_windows=home is None and sys.platform == "win32")
    if kind == "macos":
        return _plan_macos(desktop, menu, home_, launch)
    return _plan_linux(desktop, menu, home_, env_, launch)


def _write(f: ShortcutFile) -> None:
    f.path.parent.mkdir(parents=True, exist_ok=True)
    if f.link_to is not None:
        if f.path.is_symlink():
            f.path.unlink()
        f.path.symlink_to(f.link_to, target_is_directory=True)
        return
    tmp = f.path.with_name(f".{f.path.name}.tmp")
    tmp.write_bytes(f.data or b"")
    os.chmod(tmp, 0o755 if f.executable else 0o644)
    os.replace(tmp, f.path)


def apply_shortcut(files: list[ShortcutFile], *, platform: str | None = None,
                   launch: LaunchCommand | None = None) -> list[Path]:
    """Write the planned files (and run the desktop's helpers); returns the paths written."""
    kind = _platform(platform)
    try:
        if kind == "windows":
            links = [f.path for f in files if f.data is None and f.link_to is None]
            if links:
                if not shutil.which("powershell.exe"):
                    raise ShortcutError("PowerShell was not found; it is needed to make Windows shortcuts")
                icon = ICONS_DIR / f"{APP_ID}.ico"
                script = windows_shortcut_script(links, launch or launch_command(platform),
                                                 icon if icon.is_file() else None)
                out = subprocess.run(_powershell_argv(script), capture_output=True, text=True,
                                     timeout=60, check=False)
                if out.returncode != 0:
                    raise ShortcutError(f"PowerShell could not make the shortcuts: {out.stderr.strip()}")
        for f in files:
            if f.data is not None or f.link_to is not None:
                _write(f)
    except OSError as exc:
        raise ShortcutError(f"could not write {exc.filename or 'a shortcut'}: {exc.strerror or exc}") from exc
    if kind == "linux":
        _after_linux(files)
    return [f.path for f in files]


def describe(files: list[ShortcutFile]) -> list[str]:
    """One plain line per shortcut (icons and the files of an app bundle summed up), for the CLI."""
    lines: list[str] = []
    icons = [f.path for f in files if f.role == "icon"]
    bundles: list[Path] = []
    for f in files:
        if f.role == "launcher app":
            app = next(p for p in f.path.parents if p.suffix == ".app")
            if app not in bundles:
                bundles.append(app)
                lines.append(f"launcher app: {app}")
        elif f.role != "icon":
            lines.append(f"{f.role}: {f.path}")
    if len(icons) == 1 or (icons and bundles):
        lines += [f"icon: {p}" for p in icons]
    elif icons:
        lines.append(f"icons: {len(icons)} files in {os.path.commonpath(icons)}")
    return lines


def install_shortcut(desktop: bool = True, menu: bool = True, dry_run: bool = False, *,
                     platform: str | None = None, home: Path | None = None,
                     env: Mapping[str, str] | None = None, launch: LaunchCommand | None = None) -> list[Path]:
    """Add the studio, with its icon, to the applications menu and/or the desktop.

    Returns the paths written (with ``dry_run``: the paths that would be written, and nothing is).
    """
    files = plan_shortcut(desktop, menu, platform=platform, home=home, env=env, launch=launch)
    if dry_run:
        return [f.path for f in files]
    return apply_shortcut(files, platform=platform, launch=launch)


def plan_uninstall(*, platform: str | None = None, home: Path | None = None,
                   env: Mapping[str, str] | None = None) -> list[Path]:
    """The studio's shortcut files present now: what :func:`uninstall_shortcut` would remove."""
    home_, env_ = _home_env(home, env)
    kind = _platform(platform)
    if kind == "windows":
        programs, desk = _windows_dirs(home_, env_, ask_windows=home is None and sys.platform == "win32")
        candidates = [programs / f"{APP_NAME}.lnk", desk / f"{APP_NAME}.lnk"]
    elif kind == "macos":
        candidates = _macos_candidates(home_)
    else:
        candidates = _linux_candidates(home_, env_)
    return [p for p in candidates if p.is_file() or p.is_symlink()]


def uninstall_shortcut(dry_run: bool = False, *, platform: str | None = None, home: Path | None = None,
                       env: Mapping[str, str] | None = None) -> list[Path]:
    """Remove what :func:`install_shortcut` writes, and nothing else; returns the paths removed."""
    paths = plan_uninstall(platform=platform, home=home, env=env)
    if dry_run:
        return paths
    removed = []
    try:
        for path in paths:
            path.unlink()
            removed.append(path)
    except OSError as exc:
        raise ShortcutError(f"could not remove {exc.filename}: {exc.strerror or exc}") from exc
    if _platform(platform) == "macos":  # the bundle's folders are ours too, once empty
        for app in {parent for path in removed for parent in path.parents if parent.suffix == ".app"}:
            _prune_bundle(app)
    if _platform(platform) == "linux":
        _refresh_menu_cache({p.parent for p in removed if p.suffix == ".desktop"})
        for icon in removed:  # hicolor/<size>/apps folders left empty (applications/ and hicolor/ stay)
            if icon.parent.name == "apps" and icon.parent.parent.parent.name == "hicolor":
                for folder in (icon.parent, icon.parent.parent):
                    if folder.is_dir() and not any(folder.iterdir()):
                        folder.rmdir()
    return removed
