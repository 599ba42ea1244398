"""Every choice the Train page offers is the engine's list of keys (issue 13: one copy of every rule); the
page only adds the words. A key added to the engine shows up here; a hand copy left behind fails."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

from studio.engine import durations  # noqa: E402
from studio.engine.gan import config, regimes, trainer  # noqa: E402
from studio.ui.widgets.dataset_panel import DatasetPanel  # noqa: E402
from studio.ui.widgets.settings_panel import TrainSettingsPanel  # noqa: E402


def keys(combo) -> list:
    return [combo.itemData(i) for i in range(combo.count())]


def test_the_boxes_offer_the_engines_keys(qtbot):
    settings = TrainSettingsPanel()
    dataset = DatasetPanel()
    qtbot.addWidget(settings)
    qtbot.addWidget(dataset)
    try:
        assert keys(settings.loss) == list(config.LOSSES)
        assert keys(dataset.fit) == list(config.FIT_MODES)
        assert keys(settings.small_data.regime) == list(regimes.REGIME_CHOICES)
        assert keys(settings.small_data.augment) == ["auto", *config.AUGMENT_MODES]
        assert all(settings.loss.itemText(i) != settings.loss.itemData(i) for i in range(settings.loss.count()))
    finally:
        assert settings.shutdown(10_000)
        assert dataset.shutdown(10_000)


def test_one_duration_format():
    assert trainer.format_duration is durations.format_duration
