"""File ▸ Open recent lists what was opened: folders, runs, photos and recipes, from drops, menus and the
Gallery, and an open Settings dialog does not wipe the list."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QWidget

from studio.preferences import current_config
from studio.ui.window.window import MainWindow


@pytest.fixture(autouse=True)
def fresh_settings():
    QSettings().clear()
    cfg = current_config()
    cfg.recent_files = []
    yield
    QSettings().clear()
    cfg = current_config()
    cfg.recent_files = []


@pytest.fixture
def window(qtbot):
    w = MainWindow(load_engine=False)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    return w


class FakeTrainPage(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.dataset: list[str] = []
        self.resumed: list[str] = []

    def is_training(self) -> bool:
        return False

    def run_dir(self):
        return None

    def set_dataset(self, paths) -> None:
        self.dataset = list(paths)

    def resume_run(self, path) -> bool:
        self.resumed.append(str(path))
        return True


class FakeContent:
    def __init__(self) -> None:
        self._path = None

    def path(self):
        return self._path

    def set_path(self, path) -> None:
        self._path = path


class FakeStyles:
    def __init__(self) -> None:
        self._paths: list[str] = []

    def paths(self) -> list[str]:
        return list(self._paths)

    def add_paths(self, paths) -> None:
        self._paths += list(paths)


class FakeStylizePage(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.content = FakeContent()
        self.styles = FakeStyles()
        self.recipes: list[str] = []

    def open_recipe(self, path) -> bool:
        self.recipes.append(str(path))
        return True


def _install(window: MainWindow, key: str, page: QWidget) -> None:
    setattr(window, f"_{key}_page", page)
    window._slots[key].set_content(page)


def _shown(window: MainWindow) -> list[str]:
    window.recent_menu.aboutToShow.emit()
    return [a.toolTip() for a in window.recent_menu.actions() if a.isEnabled()]


def _picture(path) -> str:
    from PIL import Image

    Image.new("RGB", (8, 8), (200, 40, 40)).save(path)
    return str(path)


def test_dropped_photos_styles_runs_and_folders_are_listed(qtbot, window, tmp_path):
    _install(window, "train", FakeTrainPage())
    _install(window, "stylize", FakeStylizePage())
    photo, style = _picture(tmp_path / "photo.png"), _picture(tmp_path / "style.png")
    run = tmp_path / "run-1"
    (run / "checkpoints").mkdir(parents=True)
    (run / "config.json").write_text("{}")
    folder = tmp_path / "pictures"
    folder.mkdir()
    window.show_page("gallery")  # pictures dropped on the Train page would ask
    assert window.route_paths([photo, style]) == "stylize"
    window.drop_chooser = lambda options: options[0]  # a run folder: "continue training"
    assert window.route_paths([str(run)]) == "train-resume"
    assert window.route_paths([str(folder)]) == "train-dataset"
    assert _shown(window) == [str(folder), str(run), style, photo]


def test_a_gallery_item_opened_is_listed(qtbot, window, tmp_path):
    page = FakeStylizePage()
    _install(window, "stylize", page)
    recipe = tmp_path / "artwork.json"
    recipe.write_text(json.dumps({"kind": "style-recipe", "settings": {}}))
    monkey_target = ("stylize", recipe)
    import studio.engine.gallery as gallery

    original = gallery.open_target
    gallery.open_target = lambda kind, path: monkey_target
    try:
        assert window.open_gallery_item("artwork", str(recipe)) is True
    finally:
        gallery.open_target = original
    assert page.recipes == [str(recipe)]
    assert _shown(window) == [str(recipe)]


def test_settings_applied_later_keep_what_was_opened_meanwhile(qtbot, window, tmp_path):
    _install(window, "train", FakeTrainPage())
    dialog = window.open_settings()  # loaded before anything was opened
    folder = tmp_path / "pictures"
    folder.mkdir()
    window.route_paths([str(folder)])
    dialog.apply()
    assert _shown(window) == [str(folder)]
    assert current_config().recent_files[0] == str(folder)
    dialog.close()


def test_a_page_open_dialog_reports_through_the_hook(qtbot, window, tmp_path):
    from studio.ui.window.recent import note_opened

    generator = tmp_path / "g.safetensors"
    generator.write_bytes(b"x")
    note_opened(generator)
    assert _shown(window) == [str(generator)]
    window.recent.chosen.disconnect()
    picked = []
    window.recent.chosen.connect(picked.append)
    window.recent_menu.actions()[0].trigger()
    assert picked == [str(generator)]
