"""The Train page's small-data GUI: health cards with remedies, quality plots, the Raw/EMA switch and
the augmentation preview — driven on real (tiny) training runs, asserting what the artist sees and what
the running job does.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from studio.engine.gan.config import PRESETS

pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QFileDialog  # noqa: E402

from studio.engine.gan import health as hl  # noqa: E402
from studio.engine.jobs import Metrics  # noqa: E402
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
    assert not runner.is_running()


def make_pictures(folder: Path, count: int = 16) -> Path:
    """A tiny set (< 100 pictures): the small-data presets switch augmentation (and EMA for lite) on."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(3)
    for i in range(count):
        a = rng.integers(0, 255, size=(36, 36, 3), dtype=np.uint8)
        a[6 + i % 8: 20 + i % 8, 8:24] = (40 + 12 * i, 180, 60)
        Image.fromarray(a).save(folder / f"pic_{i:02d}.png")
    return folder


def choose_pictures(qtbot, page, folder: Path, preset: str) -> None:
    page.set_dataset([str(folder)])
    qtbot.waitUntil(lambda: page.dataset.summary is not None and not page.dataset.is_busy(), timeout=WAIT)
    assert page.dataset.data_source() is not None
    page.settings.set_preset(preset)
    page.settings.width_spin.setValue(8)
    page.settings.batch_size.setValue(8)
    page.settings.grid_count.setValue(4)
    page.settings.set_steps(0)  # until stopped
    page.samples.interval.setValue(60)


def start_and_wait(qtbot, page, steps: int = 3):
    qtbot.mouseClick(page.start_button, Qt.MouseButton.LeftButton)
    assert page.is_training()
    qtbot.waitUntil(lambda: len(page.plots.buffer) >= steps, timeout=WAIT)
    job = page._job
    assert job is not None and job.stepper is not None
    return job


def d_lr(job) -> float:
    return float(job.stepper.opt_d.param_groups[0]["lr"])


def test_health_cards_remedies_ema_switch_and_quality_on_a_real_run(qtbot, page, tmp_path, monkeypatch):
    from studio.engine.pretrained import verify

    folder = make_pictures(tmp_path / "pics")
    choose_pictures(qtbot, page, folder, "lite32")
    quality = verify()
    if quality:  # real KID/FD/LPIPS from the engine every 4 steps (needs the offline VGG16 weights)
        build = page.build_config
        monkeypatch.setattr(page, "build_config",
                            lambda: dataclasses.replace(build(), metrics_every=4, metrics_samples=8))
    job = start_and_wait(qtbot, page)

    # Nothing wrong yet: one line says so, with the step checked.
    qtbot.waitUntil(lambda: "Healthy" in page.health_panel.status_text(), timeout=WAIT)
    assert "no problems found" in page.health_panel.status_text()
    assert page.health_panel.cards() == []

    # Raw/EMA: this run keeps an average, so the switch works and re-draws the samples.
    toggle = page.samples.ema_toggle
    assert job.config.ema and toggle.isEnabled() and toggle.isChecked()
    assert "average" in toggle.toolTip()
    qtbot.waitUntil(lambda: page.samples.current_step is not None, timeout=WAIT)
    shown = page.samples.current_step
    toggle.click()
    assert job._sample_weights == "raw"
    qtbot.waitUntil(lambda: page.samples.current_step is not None and page.samples.current_step > shown,
                    timeout=WAIT)  # a fresh grid, drawn by the raw generator
    toggle.click()
    assert job._sample_weights == "ema"

    # A real health event from the engine's detector code arrives through the runner: a card.
    step = int(page.plots.buffer.x()[-1])
    info = {"window": 100, "loss_d": 0.02, "d_real": 0.97, "d_fake": 0.03}
    event = hl.d_winning_event(step, job.config, info, job.aug_p)
    page.runner.notice.emit(hl.notice_for(event))
    card = page.health_panel.card("d_winning")
    assert card is not None and card.isVisible()
    assert card.title.text() == "The discriminator is winning"
    assert "D(real) 0.97" in card.text.text()
    assert card.property("level") == "warning"
    assert f"step {step:,}" in card.step_label.text()
    labels = [b.text() for b in card.remedy_buttons()]
    assert labels == [r.label for r in event.remedies]
    assert [b.toolTip().split("\n")[0] for b in card.remedy_buttons()] == [r.explanation for r in event.remedies]
    assert page.health_panel.status_text() == ""  # the card says what is wrong
    assert "discriminator is winning" in page.notice_label.text()

    # The same problem again updates the card instead of stacking another.
    page.runner.notice.emit(hl.notice_for(hl.d_winning_event(step + 1, job.config, info, job.aug_p)))
    assert len(page.health_panel.cards()) == 1
    assert "2× so far" in card.step_label.text() and f"step {step + 1:,}" in card.step_label.text()

    # "Halve D's learning rate" lowers the running job's D learning rate, and the card says so.
    before = d_lr(job)
    button = card.remedy_button("lower_lr_d")
    assert button.text().startswith("Halve D's learning rate") and button.isEnabled()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: math.isclose(d_lr(job), before / 2), timeout=WAIT)
    halved = re.search(r"D learning rate (\S+) → (\S+)", card.result_text())
    assert halved and float(halved[1]) == pytest.approx(PRESETS["lite32"].defaults["lr_d"])
    assert float(halved[2]) == pytest.approx(float(halved[1]) / 2)
    qtbot.waitUntil(lambda: card.result_text().startswith("Applied at step"), timeout=WAIT)
    assert not button.isEnabled()  # applied: it rests until the problem comes back

    # Memorisation: the pairs picture is on the card, and a click enlarges it.
    pairs = np.zeros((34, 70, 3), dtype=np.uint8)
    pairs[:, 35:] = 200
    pairs_path = tmp_path / "memorization_step_0000010.png"
    Image.fromarray(pairs).save(pairs_path)
    mem = hl.memorization_event(step + 2, job.config, {"fraction": 0.5, "threshold": 0.1}, job.aug_p,
                                str(pairs_path), [{"sample": 0, "train_index": 3, "distance": 0.01,
                                                   "train_file": str(folder / "pic_03.png")}])
    page.runner.notice.emit(hl.notice_for(mem))
    mcard = page.health_panel.card("memorization")
    assert mcard is not None and mcard.thumb.isVisible() and not mcard.thumb.pixmap().isNull()
    assert page.health_panel.cards()[0] is mcard  # newest on top
    qtbot.mouseClick(mcard.thumb, Qt.MouseButton.LeftButton)
    dialog = page.health_panel.pairs_dialog
    assert dialog is not None and dialog.isVisible()
    assert np.array_equal(dialog.view.image, pairs)
    dialog.close()

    # The augmentation preview of the running job at its current strength, and at another.
    assert page.small_data.augment_button.isEnabled()
    qtbot.mouseClick(page.small_data.augment_button, Qt.MouseButton.LeftButton)
    aug = page.small_data.augment_dialog
    assert aug is not None and aug.isVisible()
    qtbot.waitUntil(lambda: aug.image() is not None, timeout=WAIT)
    expected = job.augmentation_preview(16, p=aug.rendered_p)
    assert aug.image().shape == expected.shape == (4 * 32 + 5 * 2, 8 * 32 + 9 * 2, 3)
    assert "training:" in aug.strength_label.text()
    aug.slider.setValue(100)
    qtbot.waitUntil(lambda: aug.rendered_p == 1.0 and not aug.is_busy(), timeout=WAIT)
    assert np.array_equal(aug.image(), job.augmentation_preview(16, p=1.0))
    aug.close()

    if quality:  # the engine's own KID/FD/diversity reach the Quality plots, only on measured steps
        qtbot.waitUntil(lambda: len(page.plots.curve_data("kid")[0]) >= 1, timeout=120_000)
        kid_x, kid_y = page.plots.curve_data("kid")
        assert set(kid_x.astype(int).tolist()) <= {4, 8, 12, 16, 20, 24} and np.isfinite(kid_y).all()
        assert len(page.plots.curve_data("lpips_diversity_data")[0]) == 2  # the pictures' level line

    # "Stop here" on the memorisation card stops training like the Stop button (checkpoint kept).
    qtbot.mouseClick(mcard.remedy_button("stop"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not page.is_training(), timeout=WAIT)
    assert page.state == "stopped" and "checkpoint saved" in page.state_label.text()
    assert not card.remedy_button("raise_augmentation").isEnabled()  # live remedies need a running job
    assert mcard.remedy_button("add_images").isEnabled()  # advice still works
    assert not page.samples.ema_toggle.isEnabled()

    # Dismiss.
    qtbot.mouseClick(mcard.dismiss_button, Qt.MouseButton.LeftButton)
    assert page.health_panel.card("memorization") is None and len(page.health_panel.cards()) == 1

    # Attaching to the run later shows its metrics.jsonl, quality measurements included.
    run = page.run_dir()
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    page.leave_resume_mode()
    assert page.resume_run(run)
    assert page.health_panel.cards() == []
    shown = page._resume_step  # the page shows what the checkpoint it continues from has seen
    aug_steps = [r["step"] for r in records if "aug_p" in r and r["step"] <= shown]
    kid_steps = [r["step"] for r in records if "kid" in r and r["step"] <= shown]
    assert aug_steps
    # the plots redraw at most a few times a second: wait for the history to be drawn
    qtbot.waitUntil(lambda: np.array_equal(page.plots.curve_data("aug_p")[0], aug_steps)
                    and page.plots.curve_data("kid")[0].tolist() == kid_steps, timeout=WAIT)
    assert bool(kid_steps) == quality


def test_advice_remedies_set_up_the_next_run(qtbot, page, tmp_path, monkeypatch):
    folder = make_pictures(tmp_path / "pics")
    choose_pictures(qtbot, page, folder, "dcgan32")
    job = start_and_wait(qtbot, page)
    assert not job.config.ema and not page.samples.ema_toggle.isEnabled()  # no average: no switch
    assert job.config.augment == "adaptive" and page.small_data.augment_button.isEnabled()

    event = hl.d_winning_event(5, job.config, {"window": 100, "loss_d": 0.01, "d_real": 0.99, "d_fake": 0.01},
                               job.aug_p)
    page.runner.notice.emit(hl.notice_for(event))
    card = page.health_panel.card("d_winning")
    preset_button = card.remedy_button("use_small_data_preset")
    assert preset_button is not None and preset_button.isEnabled()

    # While training it cannot change this run: it says how, and changes nothing.
    qtbot.mouseClick(preset_button, Qt.MouseButton.LeftButton)
    assert "Stop this one" in card.result_text()
    assert page.settings.preset_name() == "dcgan32" and page.is_training()

    # "Augment more" is live: the running job's augmentation gets stronger.
    p_before = job.aug_p
    qtbot.mouseClick(card.remedy_button("raise_augmentation"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: job.stepper.cfg.ada_target == pytest.approx(0.5), timeout=WAIT)
    assert job.stepper.cfg.aug_p == pytest.approx(min(1.0, round(p_before + 0.2, 3)), abs=0.05)
    assert "augmentation target r_t 0.6 → 0.5" in card.result_text()
    qtbot.waitUntil(lambda: page.plots.ada_target() == pytest.approx(0.5), timeout=WAIT)  # the dashed line

    page.stop_training()
    qtbot.waitUntil(lambda: not page.is_training(), timeout=WAIT)
    assert page.start_button.text() == "Continue run"

    # Stopped: the same button sets up a new run with the small-data GAN of the same size.
    qtbot.mouseClick(preset_button, Qt.MouseButton.LeftButton)
    assert page.settings.preset_name() == "lite32"
    assert page.start_button.text() == "Start training" and "Selected" in card.result_text()

    # "Add more pictures" opens the picture chooser and adds what was picked.
    extra = make_pictures(tmp_path / "extra", count=3)
    asked = []

    def pick(*_args, **_kwargs):
        asked.append(True)
        return [str(p) for p in sorted(extra.glob("*.png"))], ""

    monkeypatch.setattr(QFileDialog, "getOpenFileNames", staticmethod(pick))
    mem_event = hl.memorization_event(9, job.config, {"fraction": 0.3, "threshold": 0.1}, 0.0, None, [])
    page.health_panel.show_event(mem_event)
    qtbot.mouseClick(page.health_panel.card("memorization").remedy_button("add_images"), Qt.MouseButton.LeftButton)
    assert asked
    qtbot.waitUntil(lambda: not page.dataset.is_busy(), timeout=WAIT)
    assert page.dataset.summary.count == 16 + 3


def test_quality_plots_take_sparse_measurements():
    pytest.importorskip("pyqtgraph")
    from studio.ui.widgets.training_plots import TrainingPlots

    plots = TrainingPlots()
    try:
        base = {"loss_g": 1.0, "loss_d": 0.5, "d_real": 0.8, "d_fake": 0.2, "img_per_s": 50.0}
        batch = []
        for s in range(1, 41):
            values = dict(base, aug_p=s / 100, ada_rt=0.7)
            if s % 10 == 0:
                values.update(kid=0.1 / s, fd=100.0 / s, lpips_diversity=0.2 + s / 1000, lpips_diversity_data=0.4)
            batch.append(Metrics(s, values))
        plots.append(batch)
        plots.redraw()
        x, y = plots.curve_data("kid")
        assert x.tolist() == [10, 20, 30, 40] and np.allclose(y, [0.01, 0.005, 0.1 / 30, 0.0025])
        assert plots.curve_data("fd")[0].tolist() == [10, 20, 30, 40]
        assert len(plots.curve_data("aug_p")[0]) == 40 and plots.curve_data("aug_p")[1][-1] == pytest.approx(0.4)
        ref_x, ref_y = plots.curve_data("lpips_diversity_data")
        assert ref_x.tolist() == [0, 40] and ref_y.tolist() == [0.4, 0.4]  # dashed level across the run
        assert plots.ada_target_line.isVisible() and plots.ada_target() == pytest.approx(0.6)
        lo, hi = plots.kid_plot.getPlotItem().getViewBox().viewRange()[1]
        assert lo <= 0.0025 and hi >= 0.01
        assert "KID 0.0025" in plots.stats_text() and "augmentation 0.40" in plots.stats_text()

        # A resumed run repeats steps after its checkpoint: measurements after it are dropped too.
        plots.append([Metrics(25, dict(base, aug_p=0.25))])
        plots.redraw()
        assert plots.curve_data("kid")[0].tolist() == [10, 20]
        assert plots.last_quality_step() == 20

        plots.clear()
        assert len(plots.curve_data("kid")[0]) == 0 and not plots.ada_target_line.isVisible()
    finally:
        plots.shutdown()
        plots.deleteLater()


def test_augmentation_preview_without_a_run_uses_the_chosen_pictures(qtbot, page, tmp_path):
    from studio.engine.data import PrepSpec, open_data_source
    from studio.engine.gan.augment import augment_preview

    page.use_builtin_dataset("demo")  # thousands of pictures: augmentation is off for the DCGAN
    qtbot.waitUntil(lambda: page.dataset.summary is not None and not page.dataset.is_busy(), timeout=WAIT)
    page.settings.set_preset("dcgan32")
    assert not page.small_data.augment_button.isEnabled()
    assert "off" in page.small_data.augment_button.toolTip()

    folder = make_pictures(tmp_path / "few", count=12)
    choose_pictures(qtbot, page, folder, "dcgan32")
    button = page.small_data.augment_button
    assert button.isEnabled()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    dialog = page.small_data.augment_dialog
    qtbot.waitUntil(lambda: dialog.image() is not None and not dialog.is_busy(), timeout=WAIT)
    data = open_data_source(str(folder), PrepSpec(size=32, channels=3, fit="crop"))
    expected = augment_preview(data, dialog.rendered_p, "color,translation,cutout", 16, seed=0)
    assert dialog.image().shape == expected.shape == (4 * 32 + 5 * 2, 8 * 32 + 9 * 2, 3)
    assert np.array_equal(dialog.image(), expected)
    assert "randomly recoloured, shifted and partly covered." in dialog.caption.text()  # what this policy does
    dialog.slider.setValue(0)
    qtbot.waitUntil(lambda: dialog.rendered_p == 0.0 and not dialog.is_busy(), timeout=WAIT)
    top, bottom = dialog.image()[2:34], dialog.image()[36:68]
    assert np.array_equal(top, bottom)  # strength 0: the pictures as they are
    dialog.close()
    assert not dialog.is_busy()


def test_a_continued_run_shows_the_health_it_had_up_to_its_checkpoint(qtbot, page, tmp_path):
    """Health events are kept with the run (health.jsonl): picking the run to continue shows them as cards (live
    remedies waiting for the run to train), an event from past the checkpoint is not shown, and Continue keeps
    them with live remedies."""
    from studio.engine.gan.trainer import GanTrainingJob, TrainConfig
    from studio.engine.jobs import run_job
    from studio.engine.runs import RunDir

    run = tmp_path / "won"
    cfg = TrainConfig.for_preset("dcgan32", data="demo", demo_count=24, width=4, batch_size=8, steps=24,
                                 sample_every_s=1e9, checkpoint_every_min=0, device="cpu", grid_count=4,
                                 health_window=10, regime="manual", lr_d=2e-3, lr_g=1e-8)
    assert run_job(GanTrainingJob(cfg, run)).error is None
    (event,) = [hl.event_from_dict(r) for r in RunDir(run).read_health()]
    assert event.code == "d_winning"
    later = hl.event_to_dict(dataclasses.replace(event, code="mode_collapse", title="Mode collapse", step=999))
    RunDir(run).append_health(later)  # as if from a later part of the run that was not checkpointed

    assert page.resume_run(run)
    card = page.health_panel.card("d_winning")
    assert card is not None and page.health_panel.card("mode_collapse") is None
    assert card.step_label.text().startswith(f"step {event.step:,}")
    assert not card.remedy_button("lower_lr_d").isEnabled()  # live: waits for the run to train

    page.settings.set_steps(30)
    page.start_training()
    assert page.is_training()
    card = page.health_panel.card("d_winning")
    assert card is not None and card.remedy_button("lower_lr_d").isEnabled()
    qtbot.waitUntil(lambda: not page.is_training(), timeout=WAIT)
    assert 999 not in [r["step"] for r in RunDir(run).read_health()]  # the lost timeline's event is gone on resume


def test_a_collapsed_kind_shows_its_sheet_small_and_enlarged_with_its_own_caption(qtbot, tmp_path):
    from studio.engine.gan.config import TrainConfig
    from studio.ui.widgets.health_panel import THUMB_HEIGHT, THUMB_WIDTH, HealthPanel

    sheet = tmp_path / "kind_collapse_step_0001000.png"  # 2 kinds × (6 samples, a gap, 6 pictures) of 32 px cells
    Image.fromarray(np.full((2 * 34 + 2, 13 * 34 + 2, 3), 90, np.uint8)).save(sheet)
    info = {"kinds": [0, 4], "total": 16, "spread": {"0": 0.2, "4": 0.31}}
    event = hl.kind_collapse_event(1000, TrainConfig.for_preset("lite32"), info, 0.2, str(sheet))
    assert "2 of the 16 kinds" in event.text() and "rows 1 and 5 of kinds.png" in event.text()
    assert "20–31 %" in event.text()
    panel = HealthPanel()
    qtbot.addWidget(panel)
    panel.show_event(event)
    card = panel.card("kind_collapse")
    thumb = card.thumb.pixmap()
    # the wide sheet is shrunk to fit beside the text, not cut
    assert not card.thumb.isHidden() and thumb.width() <= THUMB_WIDTH and thumb.height() <= THUMB_HEIGHT
    assert abs(thumb.width() / thumb.height() / ((13 * 34 + 2) / (2 * 34 + 2)) - 1) < 0.05  # its shape kept
    assert "kind" in card.thumb.toolTip() and "training picture it resembles" not in card.thumb.toolTip()
    panel.enlarge_image("kind_collapse")
    assert panel.pairs_dialog.windowTitle() == "Kinds drawn as one picture"
    panel.pairs_dialog.close()
