"""Preferences: the versioned config file, the Settings dialog, themes, menus, help, welcome and resume."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QKeySequence, QPalette, QShortcut
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QWidget

from studio import preferences as cfgmod
from studio.engine.device import preferred_device
from studio.preferences import (
    CONFIG_VERSION,
    MAX_RECENT,
    Config,
    ExportDefaults,
    clear_training_marker,
    config_path,
    current_config,
    interrupted_training,
    load_config,
    mark_training,
    reset_config_cache,
    resolve_runtime,
    save_config,
)
from studio.ui.job_runner import live_qthreads
from studio.ui.theme import SHEETS, current_theme, set_tone
from studio.ui.window.window import MainWindow
from studio.ui.workspace import set_workspace_dir, workspace_dir


@pytest.fixture(autouse=True)
def isolated_config(tmp_path, monkeypatch):
    """A private config folder per test; the device preference and the theme are put back afterwards."""
    from studio.engine.device import set_preferred_device

    folder = tmp_path / "config"
    monkeypatch.setenv("GAN_STUDIO_CONFIG_DIR", str(folder))
    monkeypatch.setenv("GAN_STUDIO_WORKSPACE", str(tmp_path / "ws"))  # the engine's default folder (tests only)
    reset_config_cache()
    QSettings().clear()
    yield folder
    set_workspace_dir(None)
    set_preferred_device(None)
    app = QApplication.instance()
    if app is not None and current_theme() != "dark":
        from studio.ui.theme import apply_theme

        apply_theme(app, "dark")
    reset_config_cache()
    QSettings().clear()


@pytest.fixture
def make_window(qtbot):
    windows = []

    def make(**kwargs) -> MainWindow:
        kwargs.setdefault("load_engine", False)
        window = MainWindow(**kwargs)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        windows.append(window)
        return window

    yield make
    for w in windows:
        w.ask_stop_training = lambda: True  # never a modal question while tearing down
        w.ask_stop_job = lambda _title: True
        for dialog in (w.welcome_dialog, w.settings_dialog, w.config_problem_box, w.about_dialog):
            if dialog is not None:
                dialog.close()
        w.close()


# ------------------------------------------------------------------------------------ the file
def test_config_round_trip(isolated_config):
    cfg = Config(device="cuda:1", cpu_threads=3, workspace="/art/ws", theme="light",
                 export=ExportDefaults("webp", 81, "mp4", 512), first_run_done=True, vgg19_path="/m/vgg19.pth")
    for i in range(MAX_RECENT + 5):
        cfg.add_recent(f"/runs/{i}")
    cfg.add_recent("/runs/3")  # again: moves to the front, never twice
    path = save_config(cfg)
    assert path == config_path() == isolated_config / "config.json"
    on_disk = json.loads(path.read_text())
    assert on_disk["version"] == CONFIG_VERSION and on_disk["export"]["walk_format"] == "mp4"
    loaded, problem = load_config()
    assert problem is None
    assert loaded == cfg
    assert len(loaded.recent_files) == MAX_RECENT and loaded.recent_files[0] == "/runs/3"
    assert loaded.recent_files.count("/runs/3") == 1
    assert sorted(p.name for p in isolated_config.iterdir()) == ["config.json"]  # no temp files left


def test_resolve_runtime_reads_workspace_device_and_threads_from_the_file(isolated_config, tmp_path):
    default = resolve_runtime()
    assert (default.workspace, default.device, default.cpu_threads) == (tmp_path / "ws", "auto", 0)
    save_config(Config(device="cpu", cpu_threads=2, workspace=str(tmp_path / "mine")))
    runtime = resolve_runtime()
    assert (runtime.workspace, runtime.device, runtime.cpu_threads) == (tmp_path / "mine", "cpu", 2)
    assert runtime.runs_dir == tmp_path / "mine" / "runs"
    assert "GAN_STUDIO_DEVICE" not in os.environ and os.environ["GAN_STUDIO_WORKSPACE"] == str(tmp_path / "ws")


def test_auto_tries_the_preferred_device_given_as_an_argument():
    import torch

    from studio.engine.device import available_or_auto, pick_device

    assert pick_device("auto", preferred="cpu") == torch.device("cpu")
    if not torch.cuda.is_available():
        # an unplugged GPU in the preferences falls back instead of stopping the run
        assert pick_device("auto", preferred="cuda:3").type in ("cpu", "mps")
        assert available_or_auto("cuda") == "auto"
    assert available_or_auto("cpu") == "cpu"


def test_no_file_yet_means_defaults_and_no_problem(isolated_config):
    cfg, problem = load_config()
    assert problem is None and cfg == Config()
    assert cfg.theme == "dark" and cfg.device == "auto" and cfg.cpu_threads == 0 and cfg.workspace is None
    assert not isolated_config.exists()  # reading never writes


@pytest.mark.parametrize("text, words", [
    ("{not json at all", "not valid JSON"),
    ("[1, 2, 3]", "does not hold a set of settings"),
    ('{"version": 99, "theme": "light"}', "newer GAN Art Studio"),
    ('{"version": "one"}', "version"),
    (b"\xff\xfe\x00bad bytes", "could not be read"),
])
def test_a_bad_file_is_reported_kept_and_replaced_by_defaults(isolated_config, text, words):
    isolated_config.mkdir()
    path = isolated_config / "config.json"
    raw = text if isinstance(text, bytes) else text.encode()
    path.write_bytes(raw)
    cfg, problem = load_config()
    assert cfg == Config()
    assert problem and words in problem and str(path) in problem
    assert "config.json.bak" in problem
    assert (isolated_config / "config.json.bak").read_bytes().decode("utf-8", "replace") == raw.decode(
        "utf-8", "replace")
    # The process-wide copy repairs the file at once and reports the problem only once.
    reset_config_cache()
    assert current_config() == Config()
    assert cfgmod.take_problem() == problem and cfgmod.take_problem() is None
    assert json.loads(path.read_text())["version"] == CONFIG_VERSION


def test_wrong_types_reset_only_those_fields(isolated_config):
    isolated_config.mkdir()
    (isolated_config / "config.json").write_text(json.dumps({
        "version": 1, "theme": "purple", "cpu_threads": "many", "device": "tpu", "workspace": "/my/art",
        "first_run_done": True, "recent_files": "not a list", "export": {"walk_size": 5, "artwork_format": "jpg"}}))
    cfg, problem = load_config()
    assert (cfg.theme, cfg.cpu_threads, cfg.device, cfg.recent_files) == ("dark", 0, "auto", [])
    assert cfg.export.walk_size == 256 and cfg.export.artwork_format == "jpg"  # good fields are kept
    assert cfg.workspace == "/my/art" and cfg.first_run_done is True
    for name in ("theme", "CPU threads", "device", "recent files", "animation size"):
        assert name in problem
    assert "other settings were kept" in problem
    assert (isolated_config / "config.json.bak").is_file()


def test_an_older_version_is_migrated(isolated_config):
    isolated_config.mkdir()
    (isolated_config / "config.json").write_text(json.dumps(
        {"threads": 2, "dark_theme": False, "export_format": "jpg", "walk_size": 512, "device": "cpu"}))
    cfg, problem = load_config()
    assert problem is None
    assert (cfg.cpu_threads, cfg.theme, cfg.device) == (2, "light", "cpu")
    assert cfg.export == ExportDefaults(artwork_format="jpg", walk_size=512)
    save_config(cfg)
    assert json.loads((isolated_config / "config.json").read_text())["version"] == CONFIG_VERSION


def test_the_window_reports_a_bad_config_file_instead_of_crashing(isolated_config, make_window, qtbot):
    isolated_config.mkdir()
    (isolated_config / "config.json").write_text('{"theme": ')
    reset_config_cache()
    window = make_window()
    qtbot.waitUntil(lambda: window.config_problem_box is not None and window.config_problem_box.isVisible(),
                    timeout=5_000)
    assert "not valid JSON" in window.config_problem_box.text()
    assert "settings file" in window.statusBar().currentMessage()
    assert window.config == Config()
    assert (isolated_config / "config.json.bak").is_file()


# ----------------------------------------------------------------------------- the dialog
def test_settings_dialog_applies_into_the_config(isolated_config, make_window, tmp_path, qtbot):
    import torch  # the engine has loaded it by the time an artist opens Settings

    threads_before = torch.get_num_threads()
    window = make_window()
    dialog = window.open_settings()
    assert dialog.isVisible()
    devices = [dialog.device_combo.itemData(i) for i in range(dialog.device_combo.count())]
    assert devices[:2] == ["auto", "cpu"]
    if torch.cuda.is_available():
        assert "cuda:0" in devices
    chosen = tmp_path / "my art"
    dialog.device_combo.setCurrentIndex(devices.index("cpu"))
    dialog.threads_spin.setValue(1)
    dialog.workspace_edit.setText(str(chosen))
    dialog.theme_combo.setCurrentIndex(dialog.theme_combo.findData("light"))
    dialog.artwork_format.setCurrentIndex(dialog.artwork_format.findData("jpg"))
    dialog.jpeg_quality.setValue(80)
    dialog.walk_format.setCurrentIndex(dialog.walk_format.findData("mp4"))
    dialog.walk_size.setValue(512)
    try:
        qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
        saved, problem = load_config()
        assert problem is None
        assert (saved.device, saved.cpu_threads, saved.workspace, saved.theme) == ("cpu", 1, str(chosen), "light")
        assert saved.export == ExportDefaults("jpg", 80, "mp4", 512)
        assert window.config == saved
        # ...and put into effect at once
        assert preferred_device() == "cpu" and "GAN_STUDIO_DEVICE" not in os.environ  # an argument, not the env
        assert workspace_dir() == chosen and resolve_runtime().workspace == chosen
        assert os.environ["GAN_STUDIO_WORKSPACE"] == str(tmp_path / "ws")  # nothing handed over through it
        assert torch.get_num_threads() == 1
        assert current_theme() == "light"
        assert QApplication.palette().color(QPalette.ColorRole.Window).lightness() > 200
        assert "Settings saved" in window.statusBar().currentMessage()

        dialog.theme_combo.setCurrentIndex(dialog.theme_combo.findData("dark"))
        dialog.threads_spin.setValue(0)
        dialog.device_combo.setCurrentIndex(0)
        dialog.workspace_edit.setText("")
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
        assert not dialog.isVisible()
        saved, _ = load_config()
        assert (saved.theme, saved.cpu_threads, saved.device, saved.workspace) == ("dark", 0, "auto", None)
        assert QApplication.palette().color(QPalette.ColorRole.Window).lightness() < 60
        assert preferred_device() == "auto"
        assert workspace_dir() == tmp_path / "ws"
    finally:
        torch.set_num_threads(threads_before)


def test_cancel_keeps_the_saved_settings(make_window, qtbot):
    window = make_window()
    dialog = window.open_settings()
    dialog.theme_combo.setCurrentIndex(dialog.theme_combo.findData("light"))
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    assert current_theme() == "dark" and load_config()[0].theme == "dark"
    assert window.open_settings().theme_combo.currentData() == "dark"  # reopened: shows what is saved


def test_every_settings_control_has_a_tooltip(make_window):
    from PySide6.QtWidgets import QAbstractButton, QAbstractSpinBox, QComboBox

    dialog = make_window().open_settings()
    controls = dialog.findChildren(QAbstractButton) + dialog.findChildren(QComboBox) + \
        dialog.findChildren(QAbstractSpinBox) + [dialog.workspace_edit]
    missing = [c.text() if hasattr(c, "text") else c.objectName() for c in controls
               if c.isVisibleTo(dialog) and not c.toolTip() and c.parent() is not None
               and c.objectName() != "qt_spinbox_lineedit"]
    assert missing == []


def test_theme_switch_changes_the_palette_and_the_pages_own_colours(make_window, qtbot):
    """Pages' colours come from the theme's sheet (object names, tones): one switch recolours them all."""
    window = make_window()
    window.set_theme("dark")  # as the studio starts (tests start with Qt's plain look)
    train = QWidget(window)  # stands in for the Train page (not built without the engine): same object name
    train.setObjectName("trainPage")
    hint = QLabel("a hint", train)
    hint.setObjectName("hint")  # the Train page's hint style (#trainPage QLabel#hint in both sheets)
    error = QLabel("error", window)
    set_tone(error, "error")
    train.show()
    error.show()

    def fg(label):
        label.ensurePolished()
        return label.palette().color(label.foregroundRole())

    dark_window = QApplication.palette().color(QPalette.ColorRole.Window)
    dark_hint, dark_error = fg(hint), fg(error)
    assert dark_hint.name() == "#9ca1ab"  # the page's rule, not the plain text colour
    window.set_theme("light")
    light_window = QApplication.palette().color(QPalette.ColorRole.Window)
    assert light_window.lightness() > 200 > dark_window.lightness()
    assert QApplication.instance().styleSheet() == SHEETS["light"].read_text(encoding="utf-8")
    assert QLabel().palette().color(QPalette.ColorRole.WindowText).lightness() < 60
    # light text on dark becomes dark text on light, for a page's own label and a state alike
    assert dark_hint.lightness() > 120 > fg(hint).lightness()
    assert dark_error.lightness() > fg(error).lightness() and fg(error).red() > fg(error).green()
    later = QLabel("later", window)
    set_tone(later, "error")  # a tone set while light is on is light's colour at once
    later.show()
    assert fg(later) == fg(error)
    window.set_theme("dark")
    assert (fg(hint), fg(error), fg(later)) == (dark_hint, dark_error, dark_error)
    assert QApplication.palette().color(QPalette.ColorRole.Window) == dark_window


# ---------------------------------------------------------------------------------- menus
def test_menus_follow_platform_conventions(make_window):
    window = make_window()
    titles = [a.text() for a in window.menuBar().actions()]
    assert titles == ["&File", "&Edit", "&View", "&Help"]
    sk = QKeySequence.StandardKey

    def standard(key, fallback):
        return list(QKeySequence.keyBindings(key)) or [QKeySequence(fallback)]

    assert window.open_dataset_action.shortcuts() == standard(sk.Open, "Ctrl+O")
    assert window.save_action.shortcuts() == standard(sk.Save, "Ctrl+S")
    assert window.quit_action.shortcuts() == standard(sk.Quit, "Ctrl+Q")
    assert window.preferences_action.shortcuts() == standard(sk.Preferences, "Ctrl+,")
    assert window.undo_action.shortcuts() == standard(sk.Undo, "Ctrl+Z")
    assert window.redo_action.shortcuts()[:len(standard(sk.Redo, "x"))] == standard(sk.Redo, "Ctrl+Shift+Z")
    assert window.copy_action.shortcuts() == standard(sk.Copy, "Ctrl+C")
    assert window.paste_action.shortcuts() == standard(sk.Paste, "Ctrl+V")
    assert window.help_action.shortcuts() == standard(sk.HelpContents, "F1")
    assert QKeySequence("F11") in window.fullscreen_action.shortcuts()
    assert window.preferences_action.menuRole() == QAction.MenuRole.PreferencesRole
    assert window.quit_action.menuRole() == QAction.MenuRole.QuitRole
    assert window.about_action.menuRole() == QAction.MenuRole.AboutRole
    for row, key in enumerate(window.page_keys()):
        assert window.page_actions[key].shortcut() == QKeySequence(f"Ctrl+{row + 1}")
    # every menu entry says what it does
    for menu_action in window.menuBar().actions():
        for a in menu_action.menu().actions():
            if not a.isSeparator() and a.menu() is None:
                assert a.statusTip() or a.toolTip() != a.text().replace("&", ""), a.text()


def test_standard_keys_route_to_the_focused_widget_and_the_page(make_window, qtbot):
    window = make_window()

    class Page(QWidget):
        def __init__(self) -> None:
            super().__init__()
            self.calls = []
            self.edit = QLineEdit(self)
            self.own_paste = QShortcut(QKeySequence.StandardKey.Paste, self, lambda: self.calls.append("own"))

        def paste(self):
            self.calls.append("paste")

        def undo(self):
            self.calls.append("undo")

    page = Page()
    window._stylize_page = page
    window._slots["stylize"].set_content(page)
    window.adopt_page("stylize")
    assert not page.own_paste.isEnabled()  # the window's Paste owns the key now: never ambiguous
    window.show_page("stylize")
    window.nav.setFocus()  # not a text field: the page gets it
    window.paste_action.trigger()
    window.undo_action.trigger()
    assert page.calls == ["paste", "undo"]
    window.activateWindow()
    page.edit.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is page.edit, timeout=5_000)
    qtbot.keyClicks(page.edit, "abc")
    window.undo_action.trigger()  # text fields undo their own typing
    assert page.edit.text() == "" and page.calls == ["paste", "undo"]


def test_save_routes_to_the_page_on_show(make_window):
    window = make_window()
    window.show_page("explore")  # still a placeholder: says so instead of failing
    window.save_action.trigger()
    assert "Nothing to save" in window.statusBar().currentMessage()


# ------------------------------------------------------------------------------------- help
def test_f1_opens_help_at_the_pages_section(make_window, qtbot):
    window = make_window()
    window.show_page("stylize")
    window.activateWindow()
    window.nav.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.nav, timeout=5_000)
    qtbot.keyClick(window.nav, Qt.Key.Key_F1)
    qtbot.waitUntil(lambda: getattr(window, "help_dialog", None) is not None and window.help_dialog.isVisible(),
                    timeout=5_000)
    assert window.help_dialog.current_section() == "style"
    window.tag_help(window.nav, "problems")
    window.nav.setFocus()
    window.help_action.trigger()
    assert window.help_dialog.current_section() == "problems"
    text = " ".join(w.text() for w in window.help_dialog.findChildren(QLabel))
    for idea in ("generator", "discriminator", "Phase 1", "Phase 2", "wobble", "Mode collapse", "Balance",
                 "High resolution", "Content loss", "Style loss", "Variation loss", "Gram"):
        assert idea in text, idea
    window.help_dialog.close()


def test_about_names_versions_device_and_folders(make_window):
    window = make_window()
    text = window.about_text()
    for part in ("0.1.0", "Python", "Qt", "PySide6", "pyqtgraph", "Settings file", str(config_path()),
                 str(workspace_dir()), "Pretrained networks", "Caches"):
        assert part in text.replace("&amp;", "&"), part
    torch = sys.modules.get("torch")
    assert (torch.__version__ in text) if torch is not None else ("not loaded yet" in text)
    window.show_about()
    assert window.about_dialog.isVisible() and window.about_dialog.details().startswith("GAN Art Studio: 0.1.0")


# ----------------------------------------------------------------------------- first run
class FakeTrainPage(QWidget):
    def __init__(self, run_dir: Path | None = None) -> None:
        super().__init__()
        self.calls: list = []
        self.training = False
        self._run = run_dir

    def is_training(self) -> bool:
        return self.training

    def run_dir(self):
        return self._run

    def use_builtin_dataset(self, key: str) -> None:
        self.calls.append(("builtin", key))

    def resume_run(self, folder) -> bool:
        self.calls.append(("resume", Path(folder)))
        self._run = Path(folder)
        return True

    def start_training(self) -> None:
        self.calls.append(("start",))

    def shutdown_training(self, timeout_ms: int) -> None:
        self.training = False


def _install_train(window: MainWindow, page: QWidget) -> None:
    window._train_page = page
    window._slots["train"].set_content(page)


def test_the_welcome_appears_once(make_window, monkeypatch, qtbot):
    monkeypatch.delenv("GAN_STUDIO_NO_WELCOME", raising=False)
    window = make_window()
    qtbot.waitUntil(lambda: window.welcome_dialog is not None and window.welcome_dialog.isVisible(), timeout=5_000)
    welcome = window.welcome_dialog
    assert str(workspace_dir()) in welcome.workspace_label.text()
    assert welcome.dont_show.isChecked()
    page = FakeTrainPage()
    _install_train(window, page)
    window.show_page("gallery")
    qtbot.mouseClick(welcome.demo_button, Qt.MouseButton.LeftButton)  # "Try the demo dataset"
    assert not welcome.isVisible()
    assert page.calls == [("builtin", "demo")] and window.current_page() == "train"
    assert load_config()[0].first_run_done is True
    window.close()

    again = make_window()
    for _ in range(5):
        QApplication.processEvents()
    assert again.welcome_dialog is None


def test_the_welcome_comes_back_when_asked(make_window, monkeypatch, qtbot):
    monkeypatch.delenv("GAN_STUDIO_NO_WELCOME", raising=False)
    window = make_window()
    qtbot.waitUntil(lambda: window.welcome_dialog is not None and window.welcome_dialog.isVisible(), timeout=5_000)
    window.welcome_dialog.dont_show.setChecked(False)
    qtbot.mouseClick(window.welcome_dialog.start_button, Qt.MouseButton.LeftButton)
    assert load_config()[0].first_run_done is False


def test_no_welcome_in_tests_by_default(make_window):
    window = make_window()
    for _ in range(5):
        QApplication.processEvents()
    assert window.welcome_dialog is None


# ---------------------------------------------------------------------------------- resume
class SlowJob:
    """Stands in for training on the window's runner: runs until stopped."""

    title = "Training"

    def run(self, ctx) -> None:
        while True:
            ctx.check()
            ctx.token.wait_if_paused(0.005)


def _fake_run(root: Path) -> Path:
    run = root / "runs" / "20250101-cats"
    (run / "checkpoints").mkdir(parents=True)
    (run / "config.json").write_text("{}")
    return run


def test_training_leaves_a_marker_that_a_clean_stop_clears(make_window, tmp_path, qtbot):
    run = _fake_run(tmp_path)
    window = make_window()
    page = FakeTrainPage(run)
    _install_train(window, page)
    page.training = True
    window.runner.start(SlowJob())
    assert interrupted_training() == run
    with qtbot.waitSignal(window.runner.running_changed, timeout=10_000):
        window.runner.stop()
    page.training = False
    assert interrupted_training() is None


def test_closing_while_training_keeps_the_marker(make_window, tmp_path, monkeypatch):
    run = _fake_run(tmp_path)
    window = make_window()
    page = FakeTrainPage(run)
    _install_train(window, page)
    page.training = True
    window.runner.start(SlowJob())
    monkeypatch.setattr(window, "ask_stop_training", lambda: True)
    assert window.close()
    assert live_qthreads() == []
    assert interrupted_training() == run
    clear_training_marker()


def test_the_resume_offer_appears_when_the_marker_exists(make_window, tmp_path, qtbot):
    from studio.ui.engine_loader import EngineInfo

    run = _fake_run(tmp_path)
    mark_training(run)
    window = make_window(startup_questions=True)
    page = FakeTrainPage()
    _install_train(window, page)
    asked = []
    window.ask_resume = lambda name: asked.append(name) or True
    window.engine_ready.emit(EngineInfo("CPU · 2 threads", "x", None, 0.1))  # the engine arrived
    qtbot.waitUntil(lambda: asked == [run.name], timeout=5_000)
    assert page.calls == [("resume", run), ("start",)]
    assert window.current_page() == "train" and "Resuming" in window.statusBar().currentMessage()


def test_declining_the_resume_offer_forgets_it(make_window, tmp_path):
    run = _fake_run(tmp_path)
    mark_training(run)
    window = make_window()
    page = FakeTrainPage()
    _install_train(window, page)
    window.ask_resume = lambda name: False
    assert window.offer_resume() is False
    assert page.calls == [] and interrupted_training() is None
    mark_training(tmp_path / "deleted-run")  # a run that no longer exists is never offered
    assert interrupted_training() is None
