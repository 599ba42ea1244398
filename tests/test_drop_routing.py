"""Files dropped anywhere on the window go where they belong; unclear drops ask with a chooser."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPointF, QSettings, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QWidget

from studio.preferences import reset_config_cache
from studio.ui.drop_routing import plan_drop
from studio.ui.engine_loader import EngineInfo
from studio.ui.job_runner import JobRunner
from studio.ui.widgets.stylize_inputs import ContentBox, StyleList
from studio.ui.window.window import MainWindow


@pytest.fixture(autouse=True)
def isolated_config(tmp_path, monkeypatch):
    monkeypatch.setenv("GAN_STUDIO_CONFIG_DIR", str(tmp_path / "config"))
    reset_config_cache()
    QSettings().clear()
    yield
    reset_config_cache()
    QSettings().clear()


def _png(path: Path, value: int = 120) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((24, 24, 3), value, np.uint8)).save(path)
    return str(path)


@pytest.fixture
def files(tmp_path):
    folder = tmp_path / "cats"
    _png(folder / "a.png")
    _png(folder / "b.png", 60)
    run = tmp_path / "runs" / "run-1"
    (run / "checkpoints").mkdir(parents=True)
    (run / "config.json").write_text("{}")
    gen = tmp_path / "cats-generator.safetensors"
    gen.write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{}      ")
    walk = tmp_path / "walk.gif.json"
    walk.write_text(json.dumps({"timeline": {"keyframes": []}}))
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    return {"folder": str(folder), "a": str(folder / "a.png"), "b": str(folder / "b.png"),
            "photo": _png(tmp_path / "photo.jpg", 200), "run": str(run), "gen": str(gen), "walk": str(walk),
            "notes": str(notes)}


# ------------------------------------------------------------------------------- the decision
def test_plan_a_folder_goes_to_training(files):
    plan = plan_drop([files["folder"]], "gallery")
    assert [o.action for o in plan.options] == ["train-dataset"] and plan.single.paths == (files["folder"],)


def test_plan_pictures_go_to_stylize_except_on_the_train_page(files):
    assert [o.action for o in plan_drop([files["a"], files["b"]], "explore").options] == ["stylize"]
    on_train = plan_drop([files["a"]], "train")
    assert on_train.ambiguous and [o.action for o in on_train.options] == ["train-dataset", "stylize"]


def test_plan_mixed_drops_ask(files):
    mix = plan_drop([files["folder"], files["photo"]], "stylize")
    assert mix.ambiguous and {o.action for o in mix.options} == {"train-dataset", "stylize"}
    assert plan_drop([files["gen"], files["photo"]], "gallery").ambiguous


def test_plan_generators_runs_recipes_and_other_files(files):
    assert plan_drop([files["gen"]]).single.action == "explore-generator"
    run = plan_drop([files["run"]])
    assert [o.action for o in run.options] == ["train-resume", "explore-run"]
    recipe = plan_drop([files["walk"]]).single
    assert recipe.action == "open-recipe" and recipe.page == "explore"
    nothing = plan_drop([files["notes"]])
    assert nothing.options == [] and nothing.ignored == [files["notes"]]


# ------------------------------------------------------------------------- the window routes
class FakeTrain(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.datasets: list[list[str]] = []

    def is_training(self) -> bool:
        return False

    def set_dataset(self, paths) -> None:
        self.datasets.append(list(paths))


class FakeExplore(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.opened: list[str] = []

    def open_generator(self, path) -> None:
        self.opened.append(str(path))


class FakeStylize(QWidget):
    """The real photo and style widgets (they check the pictures), without the painting machinery."""

    def __init__(self) -> None:
        super().__init__()
        self.content = ContentBox(self)
        self.styles = StyleList(self)
        self.runner = JobRunner(self)


@pytest.fixture
def window(qtbot):
    w = MainWindow(load_engine=False)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    w.fakes = {"train": FakeTrain(), "explore": FakeExplore(), "stylize": FakeStylize()}
    w._train_page = w.fakes["train"]
    w._explore_page = w.fakes["explore"]
    w._stylize_page = w.fakes["stylize"]
    for key, page in w.fakes.items():
        w._slots[key].set_content(page)
    w.asked = []
    w.drop_chooser = lambda options: w.asked.append([o.action for o in options]) or None
    yield w
    w.close()


def _mime(paths: list[str]) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(p) for p in paths])
    return mime


def _drop(qtbot, target: QWidget, paths: list[str]) -> bool:
    """A drag entering ``target`` and dropping there, as Qt delivers them; True when it was accepted."""
    mime = _mime(paths)
    pos = QPointF(target.width() / 2, target.height() / 2)
    enter = QDragEnterEvent(pos.toPoint(), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(target, enter)
    if not enter.isAccepted():
        return False
    drop = QDropEvent(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(target, drop)
    return drop.isAccepted()


def test_a_folder_dropped_anywhere_becomes_the_train_dataset(qtbot, window, files):
    window.show_page("gallery")
    assert _drop(qtbot, window, [files["folder"]])
    qtbot.waitUntil(lambda: window.fakes["train"].datasets == [[files["folder"]]], timeout=5_000)
    assert window.current_page() == "train"
    assert "cats" in window.statusBar().currentMessage()
    assert window.config.recent_files[0] == files["folder"]


def test_two_pictures_on_an_empty_stylize_become_photo_and_style(qtbot, window, files):
    window.show_page("stylize")
    assert _drop(qtbot, window, [files["photo"], files["a"]])
    page = window.fakes["stylize"]
    qtbot.waitUntil(lambda: page.content.path() == files["photo"], timeout=5_000)
    assert page.styles.paths() == [files["a"]]
    assert window.asked == [] and window.current_page() == "stylize"
    assert "photo.jpg as the photo" in window.statusBar().currentMessage()
    window.route_paths([files["b"]])  # the photo is set: more pictures are styles
    assert page.content.path() == files["photo"] and page.styles.paths() == [files["a"], files["b"]]


def test_a_generator_file_opens_in_explore(qtbot, window, files):
    window.show_page("stylize")
    assert _drop(qtbot, window, [files["gen"]])
    qtbot.waitUntil(lambda: window.fakes["explore"].opened == [files["gen"]], timeout=5_000)
    assert window.current_page() == "explore"


def test_an_unclear_drop_asks_and_does_what_was_chosen(qtbot, window, files):
    window.show_page("train")
    assert _drop(qtbot, window, [files["photo"]])  # one picture while the Train page is shown
    qtbot.waitUntil(lambda: window.asked == [["train-dataset", "stylize"]], timeout=5_000)
    assert window.fakes["train"].datasets == [] and window.fakes["stylize"].content.path() is None  # cancelled

    window.drop_chooser = lambda options: next(o for o in options if o.action == "stylize")
    assert window.route_paths([files["photo"]]) == "stylize"
    assert window.fakes["stylize"].content.path() == files["photo"]

    window.drop_chooser = lambda options: options[0]
    assert window.route_paths([files["folder"], files["photo"]]) == "train-dataset"  # a mix
    assert window.fakes["train"].datasets == [[files["folder"], files["photo"]]]


def test_files_nothing_can_open_are_reported(window, files):
    assert window.route_paths([files["notes"]]) is None
    assert "notes.txt" in window.statusBar().currentMessage()


def test_a_drop_on_a_child_without_its_own_drop_reaches_the_window(qtbot, window, files):
    window.show_page("gallery")
    mime = _mime([files["gen"]])
    target = window.statusBar()
    pos = target.rect().center()
    enter = QDragEnterEvent(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(target, enter)  # Qt hands a drag the status bar ignores to its window
    assert enter.isAccepted()


def test_drops_wait_for_the_engine(qtbot, files):
    window = MainWindow(load_engine=False)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    try:
        assert window.train_page() is None
        window.route_paths([files["folder"]])
        assert "once the engine has loaded" in window.statusBar().currentMessage()
        page = FakeTrain()
        window._train_page = page
        window._slots["train"].set_content(page)
        window.engine_ready.emit(EngineInfo("CPU · 2 threads", "x", None, 0.1))
        assert page.datasets == [[files["folder"]]]
    finally:
        window.close()
