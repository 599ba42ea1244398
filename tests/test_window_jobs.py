"""Every job shows in the status bar wherever the artist is, and lists refresh when a job ends."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QWidget

from studio.engine.jobs import JobContext
from studio.ui.job_runner import JobRunner, live_qthreads
from studio.ui.window.window import MainWindow


@pytest.fixture(autouse=True)
def fresh_settings():
    QSettings().clear()
    yield
    QSettings().clear()


@pytest.fixture
def window(qtbot):
    w = MainWindow(load_engine=False)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    yield w
    for runner in w.findChildren(JobRunner) + [r for p in w.real_pages().values() if p is not None
                                                for r in p.findChildren(JobRunner)]:
        runner.shutdown(10_000)  # a failed assertion must not leave a job running


class SteppingJob:
    """Runs until stopped, one small step at a time, saying which step it is on."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.step = 0

    def run(self, ctx: JobContext) -> None:
        while True:
            ctx.check()
            self.step += 1
            ctx.progress(self.step, 1_000_000, f"tile {self.step}")
            ctx.token.wait_if_paused(0.002)


class FakeStylizePage(QWidget):
    """A page that owns its runner, as the real Stylize page does."""

    def __init__(self) -> None:
        super().__init__()
        self.runner = JobRunner(self)

    def shutdown(self, timeout_ms: int) -> bool:
        return self.runner.shutdown(timeout_ms)


class FakeExplorePage(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.refreshed = 0

        self.opened: list = []

    def refresh_runs(self) -> None:
        self.refreshed += 1

    def open_generator(self, source) -> None:
        self.opened.append(source)


def _install(window: MainWindow, key: str, page: QWidget) -> None:
    setattr(window, f"_{key}_page", page)
    window._slots[key].set_content(page)
    window.adopt_page(key)


def test_a_stylize_run_shows_in_the_status_bar_from_another_page(qtbot, window):
    page = FakeStylizePage()
    _install(window, "stylize", page)
    window.show_page("gallery")
    job = SteppingJob("Painting")
    page.runner.start(job)
    qtbot.waitUntil(lambda: window.job_label.text().startswith("Painting — tile "), timeout=10_000)
    assert window.job_progress.isVisible() and window.job_progress.maximum() == 1_000_000
    assert window.current_page() == "gallery"
    with qtbot.waitSignal(page.runner.running_changed, timeout=10_000):
        page.runner.stop()
    assert window.job_label.text() == "Idle"
    assert not window.job_progress.isVisible()
    assert live_qthreads() == []


def test_two_jobs_at_once_show_the_newest_and_a_count(qtbot, window):
    page = FakeStylizePage()
    _install(window, "stylize", page)
    window.runner.start(SteppingJob("Training"))
    page.runner.start(SteppingJob("Painting"))
    qtbot.waitUntil(lambda: window.job_label.text().startswith("Painting — tile ")
                    and "(+1 more)" in window.job_label.text(), timeout=10_000)
    with qtbot.waitSignal(page.runner.running_changed, timeout=10_000):
        page.runner.stop()
    qtbot.waitUntil(lambda: window.job_label.text().startswith("Training — tile "), timeout=10_000)
    assert "more" not in window.job_label.text()
    with qtbot.waitSignal(window.runner.running_changed, timeout=10_000):
        window.runner.stop()
    assert window.job_label.text() == "Idle"


def test_a_job_ending_refreshes_the_gallery_and_explores_runs(qtbot, window, monkeypatch):
    gallery = window.gallery_page()
    assert gallery is not None
    refreshed = []
    monkeypatch.setattr(gallery, "refresh_soon", lambda: refreshed.append(True))
    explore = FakeExplorePage()
    _install(window, "explore", explore)
    stylize = FakeStylizePage()
    _install(window, "stylize", stylize)
    stylize.runner.start(SteppingJob("Painting"))
    assert explore.refreshed == 0 and refreshed == []
    with qtbot.waitSignal(stylize.runner.running_changed, timeout=10_000):
        stylize.runner.stop()
    assert explore.refreshed == 1
    assert refreshed


def test_explore_this_run_opens_the_train_pages_run_on_the_explore_page(qtbot, window, tmp_path):
    assert not window.explore_run(tmp_path)  # no Explore page yet: said in the status bar, nothing opened
    assert "not ready" in window.statusBar().currentMessage()
    explore = FakeExplorePage()
    _install(window, "explore", explore)
    assert window.explore_run(tmp_path)
    assert explore.opened == [tmp_path] and window.current_page() == "explore"
