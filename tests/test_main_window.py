"""The app shell: navigation, placeholder pages, status bar, About text, settings, closing."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, QSize, Qt
from PySide6.QtWidgets import QWidget

from studio.engine.jobs import JobContext
from studio.ui.job_runner import live_qthreads
from studio.ui.window.pages import PAGES, InfoPage
from studio.ui.window.window import MainWindow

REPO = Path(__file__).resolve().parents[1]
EXPECTED_TEXT = {
    "explore": ("favourites", "keyframes", "GIF or MP4"),
    "stylize": ("style of paintings", "brush"),
    "gallery": ("Everything you made", "recipe"),
}


@pytest.fixture(autouse=True)
def fresh_settings():
    QSettings().clear()
    yield
    QSettings().clear()


@pytest.fixture
def make_window(qtbot):
    def make(load_engine: bool = False) -> MainWindow:
        window = MainWindow(load_engine=load_engine)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        return window

    return make


def _click_nav(qtbot, window: MainWindow, key: str) -> None:
    row = window.page_keys().index(key)
    rect = window.nav.visualItemRect(window.nav.item(row))
    qtbot.mouseClick(window.nav.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def test_settings_live_in_the_test_sandbox():
    assert QSettings().fileName().startswith(os.environ["XDG_CONFIG_HOME"])


def test_every_page_is_reachable_from_the_navigation(qtbot, make_window):
    window = make_window()
    assert [window.nav.item(i).text() for i in range(window.nav.count())] == [
        "Train", "Explore", "Stylize", "Gallery"]
    for key in ["explore", "stylize", "gallery", "train", "gallery"]:
        _click_nav(qtbot, window, key)
        assert window.current_page() == key
        assert window.pages.currentWidget().objectName() == f"slot-{key}"
        assert window.pages.currentWidget().isVisible()


@pytest.mark.parametrize("key", ["explore", "stylize"])  # the Gallery is a real page (test_gallery.py)
def test_placeholder_pages_say_what_they_will_do(qtbot, make_window, key):
    window = make_window()
    _click_nav(qtbot, window, key)
    page = window.page_widget(key)
    assert isinstance(page, InfoPage) and page.isVisible()
    text = page.text()
    for phrase in EXPECTED_TEXT[key]:
        assert phrase in text
    assert "coming version" in text
    assert page.findChildren(QWidget, options=Qt.FindChildOption.FindChildrenRecursively)
    from PySide6.QtWidgets import QAbstractButton
    assert page.findChildren(QAbstractButton) == []  # no dead buttons


def test_status_bar_shows_the_device_once_the_engine_loads(qtbot, make_window):
    window = make_window(load_engine=True)
    if window.engine_info is None:
        assert window.device_label.text() == "Loading engine…"
        with qtbot.waitSignal(window.engine_ready, timeout=120_000):
            pass
    info = window.engine_info
    assert info is not None and info.ok, info
    from studio.engine.device import describe_device

    assert window.device_label.text() == describe_device() == info.device
    assert re.fullmatch(r"CPU · \d+ threads?|CUDA · .+|Apple MPS", info.device)
    assert window.job_label.text() == "Idle"
    assert live_qthreads() == []  # the loader thread was joined
    # The Train slot now holds the real Train page, or says plainly why it cannot.
    train = window.page_widget("train")
    assert train is window.train_page() or isinstance(train, InfoPage)


def test_about_text_names_versions_device_and_workspace(qtbot, make_window):
    import torch

    window = make_window(load_engine=True)
    qtbot.waitUntil(lambda: window.engine_info is not None, timeout=120_000)
    text = window.about_text()
    assert torch.__version__ in text
    assert "0.1.0" in text and "Qt" in text
    assert window.engine_info.device in text
    workspace = window.engine_info.workspace
    if workspace is not None:
        assert workspace in text.replace("&amp;", "&")
        assert workspace == os.environ["GAN_STUDIO_WORKSPACE"] or workspace.startswith(
            os.environ["GAN_STUDIO_WORKSPACE"])


def test_closing_with_no_job_is_immediate(qtbot, make_window, monkeypatch):
    window = make_window()

    def no_questions(*_a):
        raise AssertionError("nothing is running: closing must not ask")

    monkeypatch.setattr(window, "ask_stop_training", no_questions)
    monkeypatch.setattr(window, "ask_stop_job", no_questions)
    assert window.close() is True
    assert not window.isVisible()
    assert live_qthreads() == []


class FakeTrainPage(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.training = True
        self.shutdown_calls: list[int] = []

    def is_training(self) -> bool:
        return self.training

    def shutdown_training(self, timeout_ms: int) -> None:
        self.shutdown_calls.append(timeout_ms)
        self.training = False


def test_closing_during_training_asks_and_can_be_cancelled(qtbot, make_window, monkeypatch):
    window = make_window()
    page = FakeTrainPage()
    window._train_page = page
    window._slots["train"].set_content(page)
    answers = [False, True]
    asked = []

    def ask():
        asked.append(True)
        return answers[len(asked) - 1]

    monkeypatch.setattr(window, "ask_stop_training", ask)
    assert window.close() is False  # Cancel: the window stays, training continues
    assert window.isVisible() and page.shutdown_calls == []
    assert window.close() is True  # Stop and close
    assert len(asked) == 2 and len(page.shutdown_calls) == 1 and page.shutdown_calls[0] > 0
    assert not window.isVisible()


class SlowJob:
    title = "Rendering"

    def __init__(self) -> None:
        self.step = 0

    def run(self, ctx: JobContext) -> None:
        while True:
            ctx.check()
            self.step += 1
            ctx.progress(self.step, 10_000, f"frame {self.step}")
            ctx.token.wait_if_paused(0.002)  # a short, interruptible breather per step


def test_status_bar_follows_the_running_job_and_close_stops_it(qtbot, make_window, monkeypatch):
    window = make_window()
    job = SlowJob()
    window.runner.start(job)
    assert window.job_progress.isVisible()
    qtbot.waitUntil(lambda: window.job_label.text().startswith("Rendering — frame "), timeout=10_000)
    assert window.job_progress.maximum() == 10_000 and window.job_progress.value() > 0
    monkeypatch.setattr(window, "ask_stop_job", lambda title: title == "Rendering")
    assert window.close() is True
    assert not window.runner.is_running()
    assert live_qthreads() == []


def test_status_bar_returns_to_idle_after_a_job(qtbot, make_window):
    window = make_window()
    job = SlowJob()
    window.runner.start(job)
    qtbot.waitUntil(lambda: job.step > 3, timeout=10_000)
    with qtbot.waitSignal(window.runner.running_changed, timeout=10_000):
        window.runner.stop()
    assert window.job_label.text() == "Idle"
    assert not window.job_progress.isVisible()


def test_last_page_and_geometry_are_remembered(qtbot, make_window):
    first = make_window()
    first.resize(780, 620)  # fits the offscreen 800x800 screen: no clamping
    _click_nav(qtbot, first, "gallery")
    assert first.close()
    assert QSettings().value("window/page", "", type=str) == "gallery"

    second = make_window()
    assert second.current_page() == "gallery"
    assert second.size() == QSize(780, 620)


def test_full_screen_toggles(qtbot, make_window):
    window = make_window()
    window.fullscreen_action.trigger()
    qtbot.waitUntil(window.isFullScreen, timeout=5_000)
    window.fullscreen_action.trigger()
    qtbot.waitUntil(lambda: not window.isFullScreen(), timeout=5_000)


def test_pages_table_matches_navigation():
    assert [p.key for p in PAGES] == ["train", "explore", "stylize", "gallery"]


def test_window_appears_without_importing_torch(tmp_path):
    """The startup path (main.py) shows the window and reports its time before torch is imported."""
    env = dict(os.environ, GAN_STUDIO_EXIT_AFTER_SHOW="1", QT_QPA_PLATFORM="offscreen",
               XDG_CONFIG_HOME=str(tmp_path))
    proc = subprocess.run([sys.executable, "-X", "importtime", str(REPO / "main.py")], capture_output=True,
                          text=True, cwd=tmp_path, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr[-4000:]
    match = re.search(r"^WINDOW_SHOWN (\d+\.\d+)$", proc.stdout, re.MULTILINE)
    assert match, proc.stdout
    assert 0 < float(match.group(1)) < 60
    imported = {line.split("|")[-1].strip() for line in proc.stderr.splitlines() if "|" in line}
    assert "studio.ui.window.window" in imported
    assert not {"torch", "numpy"} & imported, "startup must not import torch or numpy"


def test_closing_while_the_engine_loads_joins_the_loader(qtbot, make_window):
    window = make_window(load_engine=True)
    qtbot.waitUntil(lambda: window.engine_loader.is_running() or window.engine_info is not None,
                    timeout=10_000)
    was_loading = window.engine_loader.is_running()  # False when torch was already imported here
    assert window.close() is True
    assert live_qthreads() == []
    assert not window.engine_loader.is_running()
    assert window.engine_info is not None  # joined, and its result delivered
    if was_loading:
        assert window.train_page() is None  # nothing is built for a closing window
