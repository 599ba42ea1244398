"""Setting up a small-data run on the Train page: the recommendation by picture count, the small-data
options, fine-tuning from an earlier run, the time estimate, and continuing a run with its settings.

Real widgets and the real engine at tiny sizes: runs are trained for a couple of steps on the CPU, the
estimate times real steps in its worker thread, and everything asserted is something the artist sees
(labels, buttons, the values Start would use).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt  # noqa: E402

from studio.engine.gan.checkpoints import export_generator  # noqa: E402
from studio.engine.gan.regimes import resolve_settings  # noqa: E402
from studio.engine.gan.trainer import GanTrainingJob, TrainConfig  # noqa: E402
from studio.engine.jobs import run_job  # noqa: E402
from studio.engine.runs import RunDir  # noqa: E402
from studio.ui.job_runner import JobRunner  # noqa: E402
from studio.ui.train.page import TrainPage  # noqa: E402

WAIT = 60_000


@pytest.fixture
def page(qtbot):
    runner = JobRunner()
    page = TrainPage(runner)
    qtbot.addWidget(page)
    page.resize(1280, 800)
    page.show()
    yield page
    assert page.shutdown_training(30_000)
    assert runner.shutdown(30_000)
    assert not page.settings.estimate.runner.is_running()


def make_pictures(folder: Path, count: int, size: int = 64) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(count)
    for i in range(count):
        a = rng.integers(0, 255, size=(size, size, 3), dtype=np.uint8)
        Image.fromarray(a).save(folder / f"p{i:04d}.png")
    return folder


def load_pictures(qtbot, page, folder: Path) -> None:
    page.set_dataset([str(folder)])
    qtbot.waitUntil(lambda: page.dataset.summary is not None and not page.dataset.is_busy(), timeout=WAIT)


def tiny_run(path: Path, **kw) -> Path:
    """A real lite32 run of two steps on the demo shapes (width 4: milliseconds per step)."""
    base = dict(data="demo", width=4, batch_size=8, steps=2, demo_count=16, sample_every_s=1e9,
                checkpoint_every_min=0, device="cpu", grid_count=4, metrics_every=0)
    base.update(kw)
    out = run_job(GanTrainingJob(TrainConfig.for_preset("lite32", **base), path))
    assert out.error is None, out.error
    return path


def small_data_config(page) -> dict:
    cfg = page.build_config()
    return {k: getattr(cfg, k) for k in ("regime", "augment", "aug_p", "ada_target", "ema", "ema_halflife_imgs",
                                         "spectral_norm", "metrics_every", "loss", "init_from")}


# ----------------------------------------------------------------------------------- recommendation


def test_fifty_pictures_recommend_the_tiny_regime_and_one_click_uses_it(qtbot, page, tmp_path):
    card = page.dataset.advice_card
    assert not card.isVisible()  # nothing to recommend before there are pictures
    load_pictures(qtbot, page, make_pictures(tmp_path / "fifty", 50))

    assert card.isVisible()
    assert card.headline.text() == "50 pictures — a tiny set."
    assert [k for k, chip in card.chips.items() if chip.property("active")] == ["tiny"]
    # what lite64 really trains with: R1, not spectral normalisation
    assert card.text.text().startswith("Recommended: Small-data GAN 64×64 with adaptive augmentation, EMA and a "
                                       "gradient penalty (R1), because with fewer than 100 pictures")
    assert "learn them by heart" in card.why.text() and not card.why.isVisible()  # reasons on request
    card.why_button.click()
    assert card.why.isVisible()

    # The default model is the lesson's: the page says what will likely happen and offers the way out.
    assert page.settings.preset_name().startswith("lesson")
    warning = page.settings.preset_warning
    assert warning.isVisible()
    assert "overfit" in page.settings.preset_warning_text.text()
    assert "D is winning" in page.settings.preset_warning_text.text()
    assert page.settings.preset_warning_button.text() == "Use Small-data GAN 64×64"

    # Some explicit choice first, so "Use recommended" visibly puts everything back on Automatic.
    page.settings.small_data.augment.setCurrentIndex(page.settings.small_data.augment.findData("off"))
    qtbot.mouseClick(card.use_button, Qt.MouseButton.LeftButton)
    assert page.settings.preset_name() == "lite64"
    assert not warning.isVisible()
    assert card.use_button.text() == "✓ In use" and not card.use_button.isEnabled()
    values = small_data_config(page)
    assert values["regime"] == "auto"
    assert values["augment"] is None and values["aug_p"] is None and values["ema"] is None
    assert values["spectral_norm"] is None and values["metrics_every"] is None
    assert values["loss"] == "hinge"  # the small-data GAN's own loss
    # Automatic says what it becomes for these 50 pictures — and the engine agrees.
    small = page.settings.small_data
    assert small.regime.currentText() == "Automatic: tiny (50 pictures)"
    assert small.augment.currentText() == "Automatic: adaptive"
    resolved, choice = resolve_settings(page.build_config(), 50)
    assert choice.regime == "tiny" and resolved.augment == "adaptive" and resolved.ema
    assert not resolved.spectral_norm and resolved.r1_gamma > 0  # lite64: R1 instead (its own Automatic)
    assert small.spectral_norm.currentText() == "Automatic: off"
    assert "adaptive augmentation" in small.summary.text() and "50 pictures (tiny)" in small.summary.text()

    # Any change away from the recommendation offers it again.
    small.ema.setCurrentIndex(small.ema.findData("off"))
    assert card.use_button.isEnabled() and card.use_button.text() == "Use recommended"
    assert page.start_button.isEnabled()


def test_five_hundred_pictures_recommend_the_small_regime(qtbot, page, tmp_path):
    load_pictures(qtbot, page, make_pictures(tmp_path / "many", 500, size=24))
    card = page.dataset.advice_card
    assert card.headline.text() == "500 pictures — a small set."
    assert [k for k, chip in card.chips.items() if chip.property("active")] == ["small"]
    assert "fewer than 1,000 pictures" in card.text.text()
    assert card.advice.preset == "lite32"  # 24 px pictures: the 32×32 small-data GAN
    # A lesson preset on a small set: warned too, less urgently than on a tiny one.
    assert "after a while" in page.settings.preset_warning_text.text()
    qtbot.mouseClick(page.settings.preset_warning_button, Qt.MouseButton.LeftButton)
    assert page.settings.preset_name() == "lite32"
    assert page.settings.small_data.regime.currentText() == "Automatic: small (500 pictures)"
    # No warning for the classic DCGAN on 500 pictures (augmentation is enough there).
    page.settings.set_preset("dcgan32")
    assert not page.settings.preset_warning.isVisible()


# ----------------------------------------------------------------------------------- options → config


def test_small_data_controls_map_into_the_train_config(qtbot, page):
    s = page.settings
    small = s.small_data
    s.set_preset("lite32")
    # Defaults: everything Automatic → None in TrainConfig, so the engine fills it by picture count.
    v = small_data_config(page)
    assert (v["regime"], v["augment"], v["aug_p"], v["ema"], v["spectral_norm"], v["metrics_every"]) == \
        ("auto", None, None, None, None, None)
    assert small.aug_p.text() == "Automatic"  # no pictures yet: nothing to say what it becomes

    small.regime.setCurrentIndex(small.regime.findData("manual"))
    small.augment.setCurrentIndex(small.augment.findData("fixed"))
    small.aug_p.setValue(0.3)
    small.ada_target.setValue(0.7)
    small.ema.setCurrentIndex(small.ema.findData("off"))
    small.ema_halflife.setValue(5000)
    small.spectral_norm.setCurrentIndex(small.spectral_norm.findData("on"))
    s.loss.setCurrentIndex(s.loss.findData("bce"))
    small.metrics_every.setValue(250)
    assert small_data_config(page) == {
        "regime": "manual", "augment": "fixed", "aug_p": 0.3, "ada_target": 0.7, "ema": False,
        "ema_halflife_imgs": 5000, "spectral_norm": True, "metrics_every": 250, "loss": "bce", "init_from": ""}
    # Kinds of pictures: Automatic → off → 1, 2 … kinds; the number reaches the config
    assert page.build_config().kinds is None
    small.kinds.stepBy(1)
    assert page.build_config().kinds == 0 and small.kinds.text().endswith("(off)")
    small.kinds.setValue(6)
    assert page.build_config().kinds == 6 and resolve_settings(page.build_config(), 40)[0].kinds == 6
    small.kinds.setValue(-1)
    assert s.small_data_section.header.text().endswith("custom")
    # 0 quality checks means never, and reads so; explicit values survive the engine's filling-in.
    small.metrics_every.setValue(0)
    assert small.metrics_every.text().endswith("(off)")
    resolved, _ = resolve_settings(page.build_config(), 40)
    assert (resolved.augment, resolved.aug_p, resolved.ema, resolved.spectral_norm, resolved.metrics_every) == \
        ("fixed", 0.3, False, True, 0)
    # The arrows go Automatic → off → every 100 steps.
    small.metrics_every.setValue(-1)
    small.metrics_every.stepBy(1)
    assert small.metrics_every.config_value() == 0
    small.metrics_every.stepBy(1)
    assert small.metrics_every.config_value() == 100
    # Small-data choices describe the pictures: switching the model keeps them.
    s.set_preset("lite64")
    assert small_data_config(page)["augment"] == "fixed"
    # Every control explains itself.
    for widget in (*small.widgets.values(), s.loss, s.init_from.run_button, s.init_from.generator_button,
                   s.init_from.clear_button, s.estimate.button, page.dataset.advice_card.use_button):
        assert widget.toolTip(), widget.objectName()


# ----------------------------------------------------------------------------------- fine-tuning


def test_fine_tune_from_accepts_a_matching_run_and_explains_a_mismatch(qtbot, page, tmp_path):
    run = tiny_run(tmp_path / "earlier")
    s = page.settings
    picker = s.init_from
    s.set_preset("lite32")
    s.width_spin.setValue(4)
    assert picker.set_source(run)
    assert "earlier" in picker.label.text() and "step 2" in picker.label.text()
    assert picker.error_text() == ""
    assert small_data_config(page)["init_from"] == str(run)

    # The GUI's check agrees with the engine: a run started with these settings fine-tunes from it.
    cfg = TrainConfig.from_dict({**page.current_config_dict(), "data": "demo", "demo_count": 16, "steps": 1,
                                 "sample_every_s": 1e9, "checkpoint_every_min": 0, "device": "cpu",
                                 "metrics_every": 0, "batch_size": 8, "grid_count": 4})
    assert run_job(GanTrainingJob(cfg, tmp_path / "tuned")).error is None
    assert RunDir(tmp_path / "tuned").read_config()["fine_tuned_from"]["step"] == 2

    # Settings that no longer fit say so at once.
    s.width_spin.setValue(16)
    assert "network width: 4 there, 16 here" in picker.error_text()
    picker.clear()
    assert small_data_config(page)["init_from"] == "" and picker.error_text() == ""
    assert "from scratch" in picker.label.text()

    # An incompatible run is refused with words, and "Match its model" makes it fit.
    s.set_preset("lite64")
    assert not picker.set_source(run)
    assert "same network" in picker.error_text()
    assert "model: Small-data GAN 32×32 there, Small-data GAN 64×64 here" in picker.error_text()
    assert small_data_config(page)["init_from"] == ""
    assert picker.match_button.isVisibleTo(picker)
    picker.match_button.click()
    assert s.preset_name() == "lite32" and s.width_spin.value() == 4
    assert picker.path() == str(run) and picker.error_text() == ""

    # An exported generator works too; a folder that is not a run is refused in words.
    gen = export_generator(run, tmp_path / "gen.safetensors")
    assert picker.set_source(gen)
    assert picker.label.text().startswith("Generator gen.safetensors at step 2")
    (tmp_path / "not-a-run").mkdir()
    assert not picker.set_source(tmp_path / "not-a-run")
    assert "not a training run" in picker.error_text()
    assert picker.path() == str(gen)  # the earlier good choice stays


# ----------------------------------------------------------------------------------- time estimate


def test_estimate_runs_off_the_gui_thread_and_follows_the_settings(qtbot, page):
    s = page.settings
    s.set_preset("lite32")
    s.width_spin.setValue(4)
    s.batch_size.setValue(8)
    s.small_data.metrics_every.setValue(0)  # no quality checks: the VGG features need not be there
    s.device.setCurrentIndex(s.device.findData("cpu"))
    s.set_steps(100)
    box = s.estimate
    assert box.text() == ""

    qtbot.mouseClick(box.button, Qt.MouseButton.LeftButton)
    assert box.runner.is_running() and box.cancel_button.isVisibleTo(box) and not box.button.isEnabled()
    assert "Estimating" in box.text()
    qtbot.waitUntil(lambda: box.state == "done", timeout=WAIT)
    text = box.text()
    assert re.match(r"About \d+\s(s|min)\b.* for 100 steps on CPU \(\d+\.\d\d\ss/step\) \(assuming 200 pictures\)\.$",
                    text), text
    assert box.estimate.seconds_per_step > 0 and not box.runner.is_running()

    # More steps only rescale it (same time per step); another batch size makes it stale.
    s.set_steps(2000)
    assert "for 2,000 steps" in box.text() and box.state == "done"
    # a time budget: "Train for 10 min" → "Set steps" puts what fits into Steps, and the estimate follows
    assert box.fit_row.isVisibleTo(box) and box.minutes.value() == 10
    s.until_stopped.setChecked(True)
    qtbot.mouseClick(box.fit_button, Qt.MouseButton.LeftButton)
    fitted = s.steps.value()
    assert not s.until_stopped.isChecked() and s.values()["steps"] == fitted
    assert s.values()["minutes"] == 10  # the run re-plans its steps from its own speed (test_small_data)
    assert abs(fitted * box.estimate.seconds_per_step - 600) <= box.estimate.seconds_per_step + 1e-9, fitted
    assert f"for {fitted:,} steps" in box.text()
    box.minutes.setValue(20)
    qtbot.mouseClick(box.fit_button, Qt.MouseButton.LeftButton)
    assert abs(s.steps.value() - 2 * fitted) <= 2
    assert s.values()["lr_decay"] > 0  # the preset settles its rates over the end of the run it fits
    assert s.values()["minutes"] == 20
    s.set_steps(s.steps.value() + 100)  # a length chosen by hand: no plan in minutes
    assert s.values()["minutes"] == 0
    s.batch_size.setValue(16)
    assert box.state == "stale" and "press Estimate time again" in box.text()
    assert not box.fit_row.isVisibleTo(box)  # a stale estimate cannot say what fits

    # Cancel answers at once; the steps in flight end in the background without a result.
    box.start()
    assert box.is_running()
    box.cancel()
    assert box.state == "cancelled" and box.text() == "Estimate cancelled." and box.button.isEnabled()
    qtbot.waitUntil(lambda: not box.runner.is_running(), timeout=WAIT)
    assert box.state == "cancelled"


def test_estimate_never_blocks_start_and_training_cancels_it(qtbot, page, tmp_path):
    load_pictures(qtbot, page, make_pictures(tmp_path / "pics", 12, size=32))
    s = page.settings
    s.set_preset("lite32")
    s.width_spin.setValue(4)
    s.batch_size.setValue(4)
    s.small_data.metrics_every.setValue(0)
    s.set_steps(2)
    s.estimate.start()
    assert s.estimate.is_running() and page.start_button.isEnabled()
    page.start_training()
    assert s.estimate.state == "cancelled" and not s.estimate.button.isEnabled()
    qtbot.waitUntil(lambda: not page.is_training() and page.state in ("finished", "stopped"), timeout=WAIT)
    assert s.estimate.button.isEnabled()


# ----------------------------------------------------------------------------------- resume


def test_continuing_a_run_shows_its_small_data_settings(qtbot, page, tmp_path):
    run = tiny_run(tmp_path / "run", regime="small", augment="fixed", aug_p=0.25, ada_target=0.7, ema=True,
                   ema_halflife_imgs=3000, spectral_norm=False, metrics_every=0, loss="bce")
    assert page.resume_run(run)
    s, small = page.settings, page.settings.small_data
    assert small.regime.currentData() == "small"
    assert small.augment.currentData() == "fixed" and small.aug_p.value() == pytest.approx(0.25)
    assert small.ada_target.value() == pytest.approx(0.7)
    assert small.ema.currentData() == "on" and small.ema_halflife.value() == 3000
    assert small.spectral_norm.currentData() == "off" and small.metrics_every.value() == 0
    assert s.loss.currentData() == "bce"
    values = s.values()
    assert (values["regime"], values["augment"], values["aug_p"], values["ema"], values["spectral_norm"],
            values["metrics_every"]) == ("small", "fixed", 0.25, True, False, 0)
    # While continuing, only Steps and the quality-check interval may change (the engine allows those).
    assert small.metrics_every.isEnabled() and not small.augment.isEnabled() and not s.init_from.isEnabled()
    # "New run instead": the run's settings were its own; the picture count decides again.
    page.leave_resume_mode()
    assert small.is_auto() and small.augment.isEnabled()

    # A run saved before the small-data settings existed continues as it was trained: all off.
    legacy = tiny_run(tmp_path / "legacy", regime="manual")
    cfg = json.loads((legacy / "config.json").read_text())
    for key in ("config_version", "regime", "augment", "aug_p", "ema", "spectral_norm", "metrics_every"):
        cfg.pop(key, None)
    (legacy / "config.json").write_text(json.dumps(cfg))
    assert page.resume_run(legacy)
    assert small.regime.currentData() == "manual" and small.augment.currentData() == "off"
    assert small.ema.currentData() == "off" and small.spectral_norm.currentData() == "off"
    assert small.metrics_every.value() == 0
