"""The Train page's working session (issue 13): what one page had chosen comes back in a fresh page, and a
session whose pictures are gone says so and keeps everything else."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("pytestqt")

from studio.ui.job_runner import JobRunner  # noqa: E402
from studio.ui.train.page import TrainPage  # noqa: E402

WAIT = 60_000


@pytest.fixture
def make_page(qtbot):
    made = []

    def make() -> TrainPage:
        runner = JobRunner()
        page = TrainPage(runner)
        qtbot.addWidget(page)
        page.resize(1280, 800)
        page.show()
        made.append((page, runner))
        return page

    yield make
    for page, runner in made:
        assert page.shutdown_training(30_000)
        assert runner.shutdown(30_000)


def pictures(folder: Path, count: int = 6) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(3)
    for i in range(count):
        Image.fromarray(rng.integers(0, 255, (40, 40, 3), dtype=np.uint8)).save(folder / f"p{i}.png")
    return folder


def ready(qtbot, page) -> None:
    qtbot.waitUntil(lambda: page.dataset.data_source() is not None and not page.dataset.is_busy(), timeout=WAIT)


def choose(qtbot, page, folder: Path) -> None:
    page.set_dataset([str(folder)])
    ready(qtbot, page)
    page.settings.set_preset("lite32")
    page.settings.steps.setValue(1234)
    page.settings.batch_size.setValue(24)
    page.settings.seed.setValue(77)
    page.settings.lr_d.setValue(3e-4)
    page.dataset.set_fit_mode("pad")
    page.dataset.hflip.setChecked(True)


def test_a_session_comes_back_in_a_fresh_page(qtbot, make_page, tmp_path):
    first = make_page()
    choose(qtbot, first, pictures(tmp_path / "mine"))
    state = json.loads(json.dumps(first.session_state()))  # what the window writes and reads back

    second = make_page()
    assert second.settings.preset_name() != "lite32"
    assert second.restore_session(state) == []
    ready(qtbot, second)
    assert second.dataset.data_source() == first.dataset.data_source()
    assert second.settings.values() == first.settings.values()
    assert second.build_config() == first.build_config()


def test_a_builtin_set_comes_back(qtbot, make_page):
    first = make_page()
    first.use_builtin_dataset("demo")
    ready(qtbot, first)
    second = make_page()
    second.restore_session(first.session_state())
    ready(qtbot, second)
    assert second.dataset.data_source() == "demo"


def test_pictures_that_are_gone_are_said_and_the_settings_still_restored(qtbot, make_page, tmp_path):
    first = make_page()
    folder = pictures(tmp_path / "gone")
    choose(qtbot, first, folder)
    state = first.session_state()
    for p in folder.iterdir():
        p.unlink()
    folder.rmdir()

    second = make_page()
    problems = second.restore_session(state)
    assert len(problems) == 1 and str(folder) in problems[0] and "no longer" in problems[0]
    assert second.notice_label.text() == problems[0] and second.notice_label.isVisible()
    assert second.dataset.data_source() is None and not second.dataset.is_busy()
    assert second.settings.values() == first.settings.values()
    assert second.dataset.fit_mode() == "pad" and second.dataset.hflip.isChecked()


def test_a_damaged_setting_is_refused_in_words_and_the_rest_kept(qtbot, make_page, tmp_path):
    page = make_page()
    state = {"version": 1, "dataset": None, "fit": "stretch", "hflip": False, "sample_every_s": 5.0,
             "settings": {"preset": "lite32", "batch_size": "lots", "steps": 500}}
    problems = page.restore_session(state)
    assert len(problems) == 1 and "batch_size" in problems[0]
    assert page.settings.preset_name() == "lite32"
    assert page.dataset.fit_mode() == "stretch"
    assert page.restore_session("not a dict")  # says so, raises nothing
