"""The Stylize page's working session: the photo, paintings, blends and settings come back after a restart."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QSettings

from studio.ui.stylize.page import StylizePage
from studio.ui.window.session import SessionStore
from studio.ui.window.window import MainWindow


@pytest.fixture
def pictures(tmp_path) -> tuple[str, str, str]:
    rng = np.random.default_rng(3)
    paths = []
    for name, size in (("harbour.png", (40, 32)), ("starry.png", (24, 24)), ("waves.jpg", (32, 20))):
        p = tmp_path / name
        Image.fromarray(rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)).save(p)
        paths.append(str(p))
    return tuple(paths)


def _page(qtbot) -> StylizePage:
    page = StylizePage()
    qtbot.addWidget(page)
    return page


@pytest.fixture
def worked(qtbot, pictures) -> StylizePage:
    """A page an artist has worked on: a photo, two paintings with blends, a tuned preset and advanced values."""
    photo, starry, waves = pictures
    page = _page(qtbot)
    page.content.set_path(photo)
    page.styles.add_paths([starry, waves], [0.3, 2.5])
    page.apply_preset("lesson-content-style-variation")
    page.size_spin.setValue(320)
    page.iter_spin.setValue(17)
    page.strength_spin.setValue(1234.0)
    page.advanced.set_values({"seed": 77, "optimizer": "lbfgs"})
    page.advanced_section.set_expanded(True)
    yield page
    page.shutdown(10_000)


def _through_json(state: dict) -> dict:
    return json.loads(json.dumps(state))  # what the session file gives back


def test_a_fresh_page_gets_back_the_photo_paintings_blends_and_settings(qtbot, worked, pictures):
    before = worked.settings().to_dict()
    state = _through_json(worked.session_state())

    fresh = _page(qtbot)
    assert fresh.content.path() is None and fresh.settings().to_dict() != before
    assert fresh.restore_session(state) == []
    assert fresh.content.path() == pictures[0]
    assert fresh.styles.paths() == [pictures[1], pictures[2]]
    assert fresh.styles.weights() == pytest.approx([0.3, 2.5])
    after = fresh.settings().to_dict()
    assert {k: after[k] for k in before if k != "device"} == {k: before[k] for k in before if k != "device"}
    assert (after["seed"], after["optimizer"], after["size"], after["iterations"]) == (77, "lbfgs", 320, 17)
    assert fresh.preset() == worked.preset()
    assert fresh.advanced_section.is_expanded()
    assert fresh.start_button.isEnabled() == worked.start_button.isEnabled()
    fresh.shutdown(10_000)


def test_a_preset_left_untouched_comes_back_by_name(qtbot, pictures):
    page = _page(qtbot)
    page.apply_preset("lesson-content-only")
    state = _through_json(page.session_state())
    fresh = _page(qtbot)
    assert fresh.preset() != "lesson-content-only"
    fresh.restore_session(state)
    assert fresh.preset() == "lesson-content-only"
    assert fresh.preset_info.text()  # the preset's words are shown, as when it is chosen by hand


def test_a_photo_that_is_gone_is_named_and_the_rest_restored(qtbot, worked, pictures):
    state = _through_json(worked.session_state())
    Path(pictures[0]).unlink()
    Path(pictures[2]).unlink()

    fresh = _page(qtbot)
    problems = fresh.restore_session(state)
    assert len(problems) == 2
    assert pictures[0] in problems[0] and "photo" in problems[0]
    assert pictures[2] in problems[1] and "the others are restored" in problems[1]
    assert fresh.content.path() is None
    assert fresh.styles.paths() == [pictures[1]]
    assert fresh.styles.weights() == pytest.approx([0.3])
    assert fresh.settings().iterations == 17 and fresh.settings().seed == 77
    assert pictures[0] in fresh.error_message()  # said on the page, not only returned


@pytest.mark.parametrize("garbage", [
    "garbage",
    {"photo": 5},
    {"paintings": "starry.png"},
    {"paintings": [{"path": "/a.png", "weight": "heavy"}]},
    {"settings": [1, 2]},
    {"advanced_open": "yes"},
])
def test_a_garbage_state_is_refused_in_words_and_changes_nothing(qtbot, worked, pictures, garbage):
    before = (worked.content.path(), worked.styles.paths(), worked.styles.weights(), worked.settings().to_dict(),
              worked.preset(), worked.advanced_section.is_expanded())
    if isinstance(garbage, dict):  # otherwise good inputs, so a half-applied restore would show
        garbage = {**_through_json(worked.session_state()), "photo": pictures[1], "preset": "", **garbage}
    problems = worked.restore_session(garbage)
    assert len(problems) == 1 and "nothing of it was restored" in problems[0]
    assert "Error" not in problems[0] and "dict" not in problems[0]  # words, not a class name
    assert (worked.content.path(), worked.styles.paths(), worked.styles.weights(), worked.settings().to_dict(),
            worked.preset(), worked.advanced_section.is_expanded()) == before


def test_settings_out_of_range_are_named_and_the_pictures_still_restored(qtbot, worked, pictures):
    state = _through_json(worked.session_state())
    state["settings"]["iterations"] = 10**9  # a type that passes, a value no run may loop on
    fresh = _page(qtbot)
    default_iterations = fresh.iter_spin.value()
    problems = fresh.restore_session(state)
    assert len(problems) == 1 and "iterations" in problems[0] and "settings" in problems[0]
    assert fresh.iter_spin.value() == default_iterations
    assert fresh.content.path() == pictures[0] and fresh.styles.paths() == [pictures[1], pictures[2]]


def test_settings_a_run_would_refuse_come_back_as_they_were_with_the_reason(qtbot, worked):
    worked.size_spin.setValue(96)  # below the preset's working scale of 256: Start refuses it
    state = _through_json(worked.session_state())
    fresh = _page(qtbot)
    problems = fresh.restore_session(state)
    assert len(problems) == 1 and "working scale" in problems[0] and "restored as they were" in problems[0]
    assert fresh.size_spin.value() == 96 and fresh.settings().scales == [256]


def test_masks_painted_in_memory_are_said_not_kept(qtbot, worked):
    row = worked.styles.rows[0]
    row.set_mask(np.ones((24, 24), np.float32))
    state = _through_json(worked.session_state())
    fresh = _page(qtbot)
    problems = fresh.restore_session(state)
    assert len(problems) == 1 and "starry.png" in problems[0] and "not kept" in problems[0]
    assert fresh.styles.masks() == [None, None]


def test_a_pasted_picture_is_a_file_so_it_comes_back(qtbot, pictures):
    from PySide6.QtCore import QMimeData
    from PySide6.QtGui import QImage

    page = _page(qtbot)
    image = QImage(20, 16, QImage.Format.Format_RGB32)
    image.fill(0x3366AA)
    mime = QMimeData()
    mime.setImageData(image)
    assert len(page.paste(mime)) == 1
    pasted = page.content.path()
    assert Path(pasted).parent.name == "pasted" and Path(pasted).is_file()
    fresh = _page(qtbot)
    assert fresh.restore_session(_through_json(page.session_state())) == []
    assert fresh.content.path() == pasted


@pytest.fixture
def clean_session():
    QSettings().clear()
    SessionStore().clear()
    yield
    QSettings().clear()
    SessionStore().clear()


def _window(qtbot, page: StylizePage) -> MainWindow:
    w = MainWindow(load_engine=False)
    qtbot.addWidget(w)
    w._stylize_page = page
    w._slots["stylize"].set_content(page)
    w.show()
    qtbot.waitExposed(w)
    return w


def test_a_window_round_trip_restores_the_stylize_inputs(qtbot, clean_session, worked, pictures):
    first = _window(qtbot, worked)
    assert first.close() is True
    assert SessionStore().load()["stylize"]["photo"] == pictures[0]

    page = _page(qtbot)
    second = _window(qtbot, page)
    second.ask_restore_session = lambda titles: "Stylize" in titles
    assert "stylize" in second.offer_restore_session()
    assert page.content.path() == pictures[0]
    assert page.styles.paths() == [pictures[1], pictures[2]]
    assert page.styles.weights() == pytest.approx([0.3, 2.5])
    assert (page.settings().iterations, page.settings().style_weight, page.settings().seed) == (17, 1234.0, 77)
    assert second.session.problems == []
    assert second.session.save() is False  # what was restored is what is on show: nothing new to write
    page.shutdown(10_000)
