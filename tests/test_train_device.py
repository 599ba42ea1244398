"""The Train page asks for the device the artist chose in Preferences when its own box says Automatic
(issue 13: pages never ask for a bare "auto" behind the artist's back)."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

import torch  # noqa: E402

from studio import preferences  # noqa: E402
from studio.ui.job_runner import JobRunner  # noqa: E402
from studio.ui.train.page import TrainPage  # noqa: E402


@pytest.fixture
def page(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("GAN_STUDIO_CONFIG_DIR", str(tmp_path / "config"))
    preferences.reset_config_cache()
    runner = JobRunner()
    page = TrainPage(runner)
    qtbot.addWidget(page)
    yield page
    assert page.shutdown_training(30_000)
    assert runner.shutdown(30_000)
    preferences.reset_config_cache()


def test_automatic_follows_the_preferred_device(page):
    preferences.update_config(device="cpu")
    assert page.settings.device.currentData() == "auto"
    assert page.settings.run_device() == "cpu"
    assert page.settings.estimate_request().config.device == "cpu"
    page.settings.device.setCurrentIndex(page.settings.device.findData("cpu"))
    assert page.settings.run_device() == "cpu"


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_a_preferred_device_this_machine_lacks_falls_back_to_automatic(page):
    preferences.update_config(device="cuda")
    assert page.settings.run_device() == "auto"
