"""Shortcuts and icons: the .desktop entry (content, Exec quoting, validation), install/uninstall on
Linux, the Windows PowerShell script, the macOS launcher bundle, the icon files, and the CLI commands.

Everything is written into tmp_path (``home=``, ``env=`` or a temporary HOME for subprocesses).
"""

from __future__ import annotations

import base64
import json
import os
import plistlib
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path, PureWindowsPath

import pytest
from PIL import Image

from studio import desktop
from studio.desktop import APP_ID, ICON_SIZES, LaunchCommand

REPO = Path(__file__).resolve().parents[1]
ICONS = REPO / "resources" / "icons"


# ------------------------------------------------------------------ a reader for the spec, by us
def unescape_string(value: str) -> str:
    """Desktop Entry spec, 'Possible value types': \\s \\n \\t \\r \\\\ in string values."""
    out, i = [], 0
    while i < len(value):
        if value[i] == "\\" and i + 1 < len(value):
            out.append({"s": " ", "n": "\n", "t": "\t", "r": "\r", "\\": "\\"}.get(value[i + 1], "\\" + value[i + 1]))
            i += 2
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


def split_exec(value: str) -> list[str]:
    """Desktop Entry spec, 'The Exec key': undo the string escapes, then the quoting, then ``%%``."""
    text, args, current, i, quoted, started = unescape_string(value), [], [], 0, False, False
    while i < len(text):
        c = text[i]
        if quoted:
            if c == "\\":
                assert text[i + 1] in '"`$\\', f"bad escape in quoted Exec argument: {text!r}"
                current.append(text[i + 1])
                i += 1
            elif c == '"':
                quoted = False
            else:
                assert c not in "`$", f"unescaped {c!r} inside quotes in {text!r}"
                current.append(c)
        elif c == '"':
            quoted = started = True
        elif c == " ":
            if started:
                args.append("".join(current))
            current, started = [], False
        else:
            assert c not in desktop._EXEC_RESERVED, f"reserved {c!r} outside quotes in {text!r}"
            current.append(c)
            started = True
        i += 1
    assert not quoted, f"unterminated quote in {text!r}"
    if started:
        args.append("".join(current))
    for arg in args:
        assert re.fullmatch(r"(?:[^%]|%%)*", arg), f"unescaped field code in {arg!r}"
    return [a.replace("%%", "%") for a in args]


def read_desktop_file(path: Path) -> dict[str, dict[str, str]]:
    """Groups and keys, checking the spec's rules on the way: UTF-8, a [Desktop Entry] group first,
    key names of A-Za-z0-9-, no duplicate groups or keys, no blank-less garbage lines."""
    text = path.read_bytes().decode("utf-8")
    groups: dict[str, dict[str, str]] = {}
    current = None
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            assert re.fullmatch(r"\[[^\[\]\x00-\x1f\x7f]+\]", line), line
            assert line[1:-1] not in groups, f"duplicate group {line}"
            current = groups.setdefault(line[1:-1], {})
            continue
        assert current is not None, f"key before the first group: {line!r}"
        key, sep, value = line.partition("=")
        assert sep, f"not a key=value line: {line!r}"
        assert re.fullmatch(r"[A-Za-z0-9-]+(\[[A-Za-z_@.]+\])?", key.strip()), f"bad key {key!r}"
        assert key.strip() not in current, f"duplicate key {key}"
        current[key.strip()] = value.strip()
    assert next(iter(groups)) == "Desktop Entry", "the first group must be [Desktop Entry]"
    return groups


def check_desktop_entry_rules(path: Path) -> dict[str, str]:
    """Our own validation of what the spec requires of an Application entry (run even without
    desktop-file-validate)."""
    entry = read_desktop_file(path)["Desktop Entry"]
    for key in ("Type", "Name", "Exec"):
        assert entry.get(key), f"required key {key} missing"
    assert entry["Type"] == "Application"
    assert entry["Version"] in {"1.0", "1.1", "1.2", "1.3", "1.4", "1.5"}
    for key in ("Terminal", "StartupNotify", "NoDisplay", "Hidden"):
        assert entry.get(key, "false") in {"true", "false"}, f"{key} must be a boolean"
    for key in ("Categories", "Keywords"):
        assert entry[key].endswith(";") and ";;" not in entry[key], f"{key} must be a ;-terminated list"
    assert "Graphics" in entry["Categories"].split(";")  # 2DGraphics needs its main category
    program = split_exec(entry["Exec"])[0]
    assert Path(program).is_absolute(), "Exec's program must be an absolute path here"
    assert "=" not in program
    assert Path(unescape_string(entry["Path"])).is_absolute()
    assert "/" not in entry["Icon"] and "." not in entry["Icon"], "Icon is a theme name, not a file"
    return entry


def desktop_file_validate(path: Path) -> None:
    tool = shutil.which("desktop-file-validate")
    if tool is None:
        pytest.skip("desktop-file-validate is not installed (apt-get install desktop-file-utils); "
                    "our own checks of the spec ran")
    out = subprocess.run([tool, str(path)], capture_output=True, text=True, timeout=30)
    problems = [line for line in (out.stdout + out.stderr).splitlines() if ": error:" in line or ": warning:" in line]
    assert out.returncode == 0 and not problems, out.stdout + out.stderr


def snapshot(root: Path) -> set[str]:
    return {str(p.relative_to(root)) + ("/" if p.is_dir() and not p.is_symlink() else "") for p in root.rglob("*")}


@pytest.fixture
def launch(tmp_path: Path) -> LaunchCommand:
    """A program and working folder whose paths need quoting (spaces, $, quotes, %, backslash)."""
    program = tmp_path / "my venvs" / "studio $HOME" / "bin" / 'py"thon 100%\\3'
    return LaunchCommand(program, ("-m", "studio"), tmp_path / "GAN Art Studio checkout")


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home dir"
    (home / "Desktop").mkdir(parents=True)
    return home


# ------------------------------------------------------------------------------------ Exec quoting
@pytest.mark.parametrize("argv", [
    ["/usr/bin/python3", "-m", "studio"],
    ["/opt/My Apps/python3", "-m", "studio"],
    ["/home/ann/$HOME/`x`/py\"th'on", "--flag=a b", "100%", "%f", "back\\slash"],
    ["/tmp/tab\there/new\nline/python", ""],
])
def test_exec_value_round_trips_through_the_specs_unquoting(argv):
    assert split_exec(desktop.exec_value(argv)) == argv


def test_exec_value_leaves_plain_paths_unquoted_and_quotes_paths_with_spaces():
    assert desktop.exec_value(["/usr/bin/gan-studio"]) == "/usr/bin/gan-studio"
    assert desktop.exec_value(["/opt/My Apps/python3", "-m", "studio"]) == '"/opt/My Apps/python3" -m studio'
    # a quoted backslash is four backslashes in the file: the quoting escape, then the string escape
    assert desktop.exec_value(["/a b/c\\d"]) == '"/a b/c\\\\\\\\d"'
    with pytest.raises(desktop.ShortcutError, match="="):
        desktop.exec_value(["/opt/a=b/python3"])


# ------------------------------------------------------------------------- Linux: content and files
def test_linux_entry_content_files_and_modes(home, tmp_path, launch):
    data_home = tmp_path / "data home"
    written = desktop.install_shortcut(platform="linux", home=home, env={"XDG_DATA_HOME": str(data_home)},
                                       launch=launch)
    menu = data_home / "applications" / f"{APP_ID}.desktop"
    on_desktop = home / "Desktop" / f"{APP_ID}.desktop"
    icons = [data_home / "icons" / "hicolor" / f"{n}x{n}" / "apps" / f"{APP_ID}.png" for n in ICON_SIZES]
    svg = data_home / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg"
    assert set(written) == {menu, on_desktop, svg, *icons}
    assert not (home / ".local").exists(), "XDG_DATA_HOME must be used instead of ~/.local/share"

    entry = check_desktop_entry_rules(menu)
    assert menu.read_bytes() == on_desktop.read_bytes()
    assert entry["Name"] == "GAN Art Studio" and entry["Comment"] and entry["GenericName"]
    assert entry["Terminal"] == "false"
    assert entry["Icon"] == APP_ID
    assert entry["Categories"] == "Graphics;2DGraphics;Education;"
    assert "GAN" in entry["Keywords"].split(";")
    assert split_exec(entry["Exec"]) == [str(launch.program), "-m", "studio"]
    assert entry["Exec"].startswith('"'), "a program path with spaces is double-quoted"
    assert unescape_string(entry["TryExec"]) == str(launch.program)
    assert unescape_string(entry["Path"]) == str(launch.workdir)
    from studio.ui import app as ui_app  # the names Qt gives the window must match the entry's

    assert entry["StartupWMClass"] == ui_app.APP_NAME == desktop.APP_NAME
    assert ui_app.DESKTOP_FILE_NAME == APP_ID == menu.stem

    assert on_desktop.stat().st_mode & stat.S_IXUSR, "GNOME/KDE only launch executable desktop files"
    assert not menu.stat().st_mode & stat.S_IXUSR
    for n, icon in zip(ICON_SIZES, icons, strict=True):
        assert Image.open(icon).size == (n, n)
    assert svg.read_bytes() == (ICONS / f"{APP_ID}.svg").read_bytes()


def test_desktop_file_validate_accepts_the_entry(home, launch):
    written = desktop.install_shortcut(platform="linux", home=home, launch=launch)
    entries = [p for p in written if p.suffix == ".desktop"]
    assert len(entries) == 2
    for path in entries:
        check_desktop_entry_rules(path)
    for path in entries:
        desktop_file_validate(path)


def test_install_then_uninstall_leaves_the_home_as_it_was(home, launch):
    neighbours = [home / ".local/share/applications/other.desktop",
                  home / ".local/share/icons/hicolor/48x48/apps/other.png",
                  home / "Desktop/gan-art-studio-notes.txt"]
    for path in neighbours:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("someone else's")
    before = snapshot(home)
    assert desktop.install_shortcut(dry_run=True, platform="linux", home=home, launch=launch)
    assert snapshot(home) == before, "a dry run writes nothing"

    written = desktop.install_shortcut(platform="linux", home=home, launch=launch)
    assert snapshot(home) != before
    assert set(desktop.plan_uninstall(platform="linux", home=home)) == set(written)
    removed = desktop.uninstall_shortcut(platform="linux", home=home)
    assert set(removed) == set(written)
    assert snapshot(home) == before
    assert all(p.read_text() == "someone else's" for p in neighbours)
    assert desktop.uninstall_shortcut(platform="linux", home=home) == []


def test_menu_only_desktop_only_and_no_desktop_folder(tmp_path, launch):
    home = tmp_path / "h"
    home.mkdir()
    written = desktop.install_shortcut(platform="linux", home=home, launch=launch)  # no ~/Desktop
    assert [p.name for p in written if p.suffix == ".desktop"] == [f"{APP_ID}.desktop"]
    assert written[0].parent.name == "applications"
    desktop.uninstall_shortcut(platform="linux", home=home)

    (home / "Desktop").mkdir()
    only_desktop = desktop.install_shortcut(menu=False, platform="linux", home=home, launch=launch)
    assert [p for p in only_desktop if p.suffix == ".desktop"] == [home / "Desktop" / f"{APP_ID}.desktop"]
    assert any(p.suffix == ".png" for p in only_desktop), "the icon is needed by the desktop copy too"
    assert desktop.install_shortcut(menu=False, desktop=False, platform="linux", home=home) == []


@pytest.mark.skipif(shutil.which("xdg-user-dir") is None, reason="xdg-user-dir (xdg-user-dirs) is not installed")
def test_localized_desktop_folder_comes_from_xdg_user_dirs(home, tmp_path, launch):
    config = tmp_path / "config"
    config.mkdir()
    (config / "user-dirs.dirs").write_text('XDG_DESKTOP_DIR="$HOME/Schreibtisch"\n')
    (home / "Schreibtisch").mkdir()
    env = {"XDG_CONFIG_HOME": str(config)}
    written = desktop.install_shortcut(platform="linux", home=home, env=env, launch=launch)
    assert home / "Schreibtisch" / f"{APP_ID}.desktop" in written
    assert not (home / "Desktop" / f"{APP_ID}.desktop").exists()
    assert set(desktop.uninstall_shortcut(platform="linux", home=home, env=env)) == set(written)


def test_launch_command_prefers_the_gui_script_next_to_python(tmp_path, monkeypatch):
    bin_dir = tmp_path / "venv" / "bin"
    bin_dir.mkdir(parents=True)
    python = bin_dir / "python"
    monkeypatch.setattr(sys, "executable", str(python))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert desktop.launch_command("linux") == LaunchCommand(python, ("-m", "studio"))
    script = bin_dir / "gan-studio"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    assert desktop.launch_command("linux") == LaunchCommand(script)
    assert desktop.launch_command("darwin") == LaunchCommand(python, ("-m", "studio"))


# ------------------------------------------------------------------------------------------ Windows
def test_windows_powershell_script_names_target_arguments_and_icon():
    launch = LaunchCommand(PureWindowsPath(r"C:\Users\O'Brien\GAN Studio\.venv\Scripts\pythonw.exe"),
                           ("-m", "studio"), PureWindowsPath(r"C:\Users\O'Brien\GAN Studio"))
    links = [PureWindowsPath(r"C:\Users\O'Brien\AppData\Roaming\Microsoft\Windows\Start Menu\Programs\GAN Art Studio.lnk"),
             PureWindowsPath(r"C:\Users\O'Brien\Desktop\GAN Art Studio.lnk")]
    icon = PureWindowsPath(r"C:\Users\O'Brien\GAN Studio\resources\icons\gan-art-studio.ico")
    script = desktop.windows_shortcut_script(links, launch, icon)
    lines = script.split("\r\n")
    assert "$shell = New-Object -ComObject WScript.Shell" in lines
    for link in links:
        assert f"$link = $shell.CreateShortcut('{str(link).replace(chr(39), chr(39) * 2)}')" in lines
        assert f"New-Item -ItemType Directory -Force -Path '{str(link.parent).replace(chr(39), chr(39) * 2)}' | Out-Null" in lines
    assert lines.count(r"$link.TargetPath = 'C:\Users\O''Brien\GAN Studio\.venv\Scripts\pythonw.exe'") == 2
    assert lines.count("$link.Arguments = '-m studio'") == 2
    assert lines.count(r"$link.WorkingDirectory = 'C:\Users\O''Brien\GAN Studio'") == 2
    assert lines.count(r"$link.IconLocation = 'C:\Users\O''Brien\GAN Studio\resources\icons\gan-art-studio.ico,0'") == 2
    assert lines.count("$link.Save()") == 2
    # every single-quoted literal is closed: an even number of quotes on each line
    assert all(line.count("'") % 2 == 0 for line in lines)
    argv = desktop._powershell_argv(script)
    assert argv[0] == "powershell.exe" and "-NoProfile" in argv
    assert base64.b64decode(argv[argv.index("-EncodedCommand") + 1]).decode("utf-16-le") == script


def test_windows_gui_script_target_has_no_arguments_and_plan_paths(home, tmp_path):
    launch = LaunchCommand(PureWindowsPath(r"C:\venv\Scripts\gan-studio.exe"), (), PureWindowsPath(r"C:\src"))
    script = desktop.windows_shortcut_script([PureWindowsPath(r"C:\x\GAN Art Studio.lnk")], launch, None)
    assert r"$link.TargetPath = 'C:\venv\Scripts\gan-studio.exe'" in script
    assert "$link.Arguments = ''" in script and "IconLocation" not in script

    appdata = tmp_path / "Roaming"
    env = {"APPDATA": str(appdata)}
    planned = desktop.install_shortcut(dry_run=True, platform="win32", home=home, env=env)
    start_menu = appdata / "Microsoft" / "Windows" / "Start Menu" / "Programs" / "GAN Art Studio.lnk"
    assert planned == [start_menu, home / "Desktop" / "GAN Art Studio.lnk"]
    assert desktop.install_shortcut(dry_run=True, desktop=False, platform="win32", home=home, env=env) == [start_menu]
    for path in planned:  # what PowerShell would have made; uninstall deletes exactly these
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"L\0\0\0")
    (start_menu.parent / "Other App.lnk").write_bytes(b"L\0\0\0")
    assert desktop.uninstall_shortcut(platform="win32", home=home, env=env) == planned
    assert [p.name for p in start_menu.parent.iterdir()] == ["Other App.lnk"]


# -------------------------------------------------------------------------------------------- macOS
def test_macos_bundle_plist_launcher_icon_and_uninstall(home, tmp_path):
    workdir = tmp_path / "it's a checkout"
    workdir.mkdir()
    probe = LaunchCommand(Path(sys.executable), ("-c", "import os, sys; print(os.getcwd(), sys.argv[1:])"), workdir)
    written = desktop.install_shortcut(platform="darwin", home=home, launch=probe)
    app = home / "Applications" / "GAN Art Studio.app"
    plist_path, launcher = app / "Contents" / "Info.plist", app / "Contents" / "MacOS" / APP_ID
    icns = app / "Contents" / "Resources" / f"{APP_ID}.icns"
    link = home / "Desktop" / "GAN Art Studio.app"
    assert written == [plist_path, launcher, icns, link]

    info = plistlib.loads(plist_path.read_bytes())
    assert plistlib.loads(plistlib.dumps(info)) == info
    assert info["CFBundlePackageType"] == "APPL"
    assert info["CFBundleExecutable"] == launcher.name
    assert (app / "Contents" / "Resources" / info["CFBundleIconFile"]).read_bytes() == (ICONS / f"{APP_ID}.icns").read_bytes()
    assert re.fullmatch(r"[A-Za-z0-9.-]+", info["CFBundleIdentifier"])
    assert launcher.stat().st_mode & stat.S_IXUSR
    assert launcher.read_text().startswith("#!/bin/sh\n")
    # old Finders pass -psn_0_123: dropped, or `python -m studio` would take it for a CLI command
    out = subprocess.run([str(launcher), "-psn_0_123"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"{workdir} []"
    assert link.is_symlink() and link.resolve() == app.resolve()

    foreign = home / "Applications" / "Other.app"
    foreign.mkdir()
    assert set(desktop.uninstall_shortcut(platform="darwin", home=home)) == set(written)
    assert not app.exists() and not link.is_symlink() and foreign.is_dir()
    assert [p for p in home.rglob("*") if not p.is_dir()] == []


def test_macos_uninstall_leaves_a_bundle_that_is_not_ours(home):
    app = home / "Applications" / "GAN Art Studio.app"
    (app / "Contents").mkdir(parents=True)
    (app / "Contents" / "Info.plist").write_bytes(plistlib.dumps({"CFBundleIdentifier": "com.example.other"}))
    assert desktop.uninstall_shortcut(platform="darwin", home=home) == []
    assert (app / "Contents" / "Info.plist").is_file()


# -------------------------------------------------------------------------------------------- icons
def test_icon_files_exist_at_every_size(qapp):
    assert (ICONS / f"{APP_ID}.svg").read_text().lstrip().startswith("<?xml")
    for n in ICON_SIZES:
        png = Image.open(ICONS / "hicolor" / f"{n}x{n}" / "apps" / f"{APP_ID}.png")
        assert png.format == "PNG" and png.size == (n, n) and png.mode == "RGBA"
        alpha = png.getchannel("A")
        assert alpha.getpixel((n // 2, n // 2)) == 255, "opaque in the middle"
        if n >= 32:
            assert alpha.getpixel((0, 0)) == 0, "rounded corners are transparent"
    ico = Image.open(ICONS / f"{APP_ID}.ico")
    assert {(16, 16), (32, 32), (48, 48), (256, 256)} <= set(ico.info["sizes"])
    icns = Image.open(ICONS / f"{APP_ID}.icns")
    assert icns.format == "ICNS" and (512, 512) in {s[:2] for s in icns.info["sizes"]}

    from PySide6.QtCore import QSize
    from PySide6.QtSvg import QSvgRenderer

    from studio.ui.app import app_icon

    assert QSvgRenderer(str(ICONS / f"{APP_ID}.svg")).isValid()
    assert QSvgRenderer(str(ICONS / f"{APP_ID}-small.svg")).isValid()
    assert {QSize(n, n) for n in ICON_SIZES} <= set(app_icon().availableSizes())


def test_the_app_sets_its_icon_and_desktop_file_name_and_desktop_py_imports_no_qt():
    code = ("import sys, json; import studio.desktop;"
            "heavy = [m for m in ('PySide6', 'torch') if m in sys.modules];"
            "from studio.ui.app import create_app; app = create_app();"
            "print(json.dumps([heavy, app.desktopFileName(), app.applicationName(),"
            " sorted(s.width() for s in app.windowIcon().availableSizes())]))")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env, cwd=REPO)
    assert out.returncode == 0, out.stderr
    heavy, file_name, app_name, sizes = json.loads(out.stdout.strip().splitlines()[-1])
    assert heavy == [], "studio.desktop must not import Qt or torch"
    assert file_name == APP_ID and app_name == desktop.APP_NAME
    assert sizes == list(ICON_SIZES)


# ---------------------------------------------------------------------------------------------- CLI
def test_cli_install_and_uninstall_shortcut_in_a_temporary_home(tmp_path):
    home = tmp_path / "home"
    (home / "Desktop").mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("XDG_")}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"))

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "studio", *args], capture_output=True, text=True,
                              timeout=300, env=env, cwd=REPO)

    out = cli("install-shortcut")
    assert out.returncode == 0, out.stderr
    menu = home / ".local/share/applications" / f"{APP_ID}.desktop"
    on_desktop = home / "Desktop" / f"{APP_ID}.desktop"
    assert menu.is_file() and on_desktop.is_file()
    assert f"applications menu entry: {menu}" in out.stdout
    assert f"desktop shortcut: {on_desktop}" in out.stdout
    assert "icons: 9 files in" in out.stdout and "uninstall-shortcut" in out.stdout
    assert split_exec(read_desktop_file(menu)["Desktop Entry"]["Exec"])[0] in out.stdout

    out = cli("uninstall-shortcut")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("Removed:") and str(menu) in out.stdout and str(on_desktop) in out.stdout
    assert [p for p in home.rglob("*") if not p.is_dir()] == []


def test_cli_dry_run_and_nothing_to_do(tmp_path, monkeypatch, capsys):
    from studio.cli import main

    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME"):
        monkeypatch.delenv(var, raising=False)
    assert main(["install-shortcut", "--dry-run"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("Would add GAN Art Studio:") and "no desktop folder was found" in text
    assert list(home.iterdir()) == []
    assert main(["install-shortcut", "--no-desktop", "--no-menu"]) == 2
    assert "nothing to add" in capsys.readouterr().err
    assert main(["uninstall-shortcut"]) == 0
    assert "nothing to remove" in capsys.readouterr().out
