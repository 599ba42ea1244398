"""The Train page driven like an artist would: drop pictures, start, pause, stop, continue, export.

Real widgets, real files, a real (tiny) GAN on the CPU; everything asserted is something the artist
sees (labels, plot data, the sample image) or keeps (files in the run folder).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("pytestqt")

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl  # noqa: E402
from PySide6.QtGui import QDragEnterEvent, QDropEvent  # noqa: E402
from PySide6.QtWidgets import QApplication, QFileDialog  # noqa: E402

from studio.ui.job_runner import JobRunner  # noqa: E402
from studio.ui.train.page import TrainPage  # noqa: E402

WAIT = 60_000  # generous: CI machines are slow, and waitUntil returns as soon as the condition holds


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


def make_pictures(folder: Path, count: int = 5, bad: bool = True) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(1)
    paths = []
    for i in range(count):
        a = rng.integers(0, 255, size=(40 + 8 * i, 56, 3), dtype=np.uint8)
        a[8:24, 10:30] = (220, 60, 40)
        p = folder / f"picture_{i}.png"
        Image.fromarray(a).save(p)
        paths.append(p)
    if bad:
        (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"this is not really a png" * 3)
    return paths


def drop_paths(widget, paths) -> tuple[QDragEnterEvent, QDropEvent]:
    """What the file manager does: a drag enters with file URLs, then drops them."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    centre = widget.rect().center()
    enter = QDragEnterEvent(QPoint(centre), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, enter)
    drop = QDropEvent(QPointF(centre), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                      Qt.KeyboardModifier.NoModifier)
    if enter.isAccepted():
        QApplication.sendEvent(widget, drop)
    return enter, drop


def wait_dataset(qtbot, page) -> None:
    qtbot.waitUntil(lambda: page.dataset.summary is not None and not page.dataset.is_busy(), timeout=WAIT)


def tiny_settings(page, steps: int = 0, interval: float = 0.5) -> None:
    """dcgan32 at width 8 and batch 8: a real DCGAN that runs tens of steps a second on a CPU."""
    page.settings.set_preset("dcgan32")
    page.settings.width_spin.setValue(8)
    page.settings.batch_size.setValue(8)
    page.settings.grid_count.setValue(16)
    page.settings.set_steps(steps)
    page.samples.interval.setValue(interval)


def loss_points(page, name: str = "loss_g") -> int:
    x, y = page.plots.curve_data(name)
    return int(np.isfinite(y).sum()) if len(x) == len(y) else 0


# ---------------------------------------------------------------------------------------------- dataset


def test_dropping_a_folder_shows_count_skipped_files_and_previews(qtbot, page, tmp_path):
    make_pictures(tmp_path / "pics", count=5, bad=True)
    assert not page.start_button.isEnabled()
    assert "Choose pictures first" in page.start_hint.text()

    enter, drop = drop_paths(page, [tmp_path / "pics"])
    assert enter.isAccepted() and drop.isAccepted()
    wait_dataset(qtbot, page)

    assert page.dataset.count_label.text() == "5 pictures ready"
    assert page.dataset.skipped_section.header.text() == "1 file skipped"
    entries = page.dataset.skipped_entries()
    assert [Path(p).name for p, _ in entries] == ["broken.png"]
    assert "damaged" in entries[0][1]
    assert page.start_button.isEnabled()
    assert not page.start_hint.isVisible()

    # Originals and the preprocessed previews follow the preset's size and the fit mode.
    assert len(page.dataset.originals.images()) == 5
    page.settings.set_preset("dcgan64")
    crop = page.dataset.processed.images()
    assert crop and crop[0].shape == (64, 64, 3)
    page.dataset.set_fit_mode("pad")
    padded = page.dataset.processed.images()
    assert padded[0].shape == (64, 64, 3) and not np.array_equal(padded[0], crop[0])
    page.settings.set_preset("lesson-mlp")
    assert page.dataset.processed.images()[0].shape[:2] == (28, 28)


def test_drop_area_takes_single_files_too(qtbot, page, tmp_path):
    files = make_pictures(tmp_path / "more", count=3, bad=False)
    enter, drop = drop_paths(page.dataset.drop_area, files[:2])
    assert enter.isAccepted() and drop.isAccepted()
    wait_dataset(qtbot, page)
    assert page.dataset.count_label.text() == "2 pictures ready"
    page.dataset.add_paths([str(files[2])])
    wait_dataset(qtbot, page)
    assert page.dataset.count_label.text() == "3 pictures ready"
    assert not page.dataset.skipped_section.isVisible()


def test_a_drag_without_files_is_refused(page):
    mime = QMimeData()
    mime.setText("just some text")
    enter = QDragEnterEvent(QPoint(5, 5), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(page, enter)
    assert not enter.isAccepted()


def test_folder_without_usable_pictures_explains_and_blocks_start(qtbot, page, tmp_path):
    folder = tmp_path / "nothing"
    folder.mkdir()
    (folder / "notes.txt").write_text("not a picture")
    (folder / "empty.png").write_bytes(b"")
    page.set_dataset([str(folder)])
    wait_dataset(qtbot, page)
    assert page.dataset.count_label.text() == "No usable pictures"
    assert page.dataset.message.isVisible()
    assert "No usable images" in page.dataset.message.text()
    assert [Path(p).name for p, _ in page.dataset.skipped_entries()] == ["empty.png"]
    assert not page.start_button.isEnabled()
    assert "can't be used" in page.start_hint.text()

    (tmp_path / "void").mkdir()
    page.set_dataset([str(tmp_path / "void")])
    wait_dataset(qtbot, page)
    assert "No images found" in page.dataset.message.text()
    assert not page.start_button.isEnabled()


def test_offline_lesson_dataset_gives_a_clear_message(qtbot, page, monkeypatch):
    import studio.engine.data as data

    def offline(name, spec, **kw):
        raise data.DatasetError("Could not download MNIST: no internet connection? Try again when online.")

    monkeypatch.setattr(data, "prepare_torchvision", offline)
    page.use_builtin_dataset("mnist")
    wait_dataset(qtbot, page)
    assert page.dataset.message.isVisible()
    assert "no internet connection" in page.dataset.message.text()
    assert page.dataset.count_label.text() == "No usable pictures"
    assert not page.start_button.isEnabled()


def test_metric_buffer_grows_smooths_and_rewinds():
    from studio.ui.widgets.training_plots import MetricBuffer

    buf = MetricBuffer(["loss_g"], smoothing=0.9)
    for step in range(1, 5001):
        buf.append(step, {"loss_g": 1.0 + (step % 2)})  # oscillates 1, 2, 1, 2 ...
    assert len(buf) == 5000 and buf.x()[-1] == 5000
    assert abs(buf.last("loss_g") - 1.5) < 0.1  # the smoothed line sits in the middle of the wobble
    assert buf.y("loss_g", smoothed=False)[:2].tolist() == [2.0, 1.0]
    buf.truncate_from(4001)  # a resumed run repeats the steps after its checkpoint
    assert len(buf) == 4000 and buf.x()[-1] == 4000
    buf.append(4001, {})  # a missing value is a gap, not a zero
    assert np.isnan(buf.y("loss_g", smoothed=False)[-1])


def test_plot_ranges_follow_the_data_until_the_user_zooms(qtbot):
    from studio.engine.jobs import Metrics
    from studio.ui.widgets.training_plots import StepAxis, TrainingPlots

    plots = TrainingPlots()
    qtbot.addWidget(plots)
    plots.resize(700, 500)
    plots.show()

    def feed(first, count, loss=1.0):
        plots.append([Metrics(s, {"loss_g": loss, "loss_d": 0.5, "d_real": 0.8, "d_fake": 0.2,
                                  "img_per_s": 120.0}) for s in range(first, first + count)])
        plots.redraw()

    def x_range(plot):
        return plot.getPlotItem().getViewBox().viewRange()[0]

    feed(1, 130, loss=3.0)
    lo, hi = x_range(plots.loss_plot)
    assert lo == 0 and 130 <= hi <= 130 * 1.25  # all steps in view, on a round number
    y_lo, y_hi = plots.loss_plot.getPlotItem().getViewBox().viewRange()[1]
    assert y_lo <= 0.5 and y_hi >= 3.0
    assert plots.d_plot.getPlotItem().getViewBox().viewRange()[1] == pytest.approx([-0.02, 1.02])
    feed(131, 400)
    assert x_range(plots.loss_plot)[1] >= 530

    vb = plots.loss_plot.getPlotItem().getViewBox()  # the artist zooms in: the view stays put
    vb.setXRange(100, 200, padding=0)
    vb.sigRangeChangedManually.emit([True, False])
    feed(531, 500)
    assert x_range(plots.loss_plot) == pytest.approx([100, 200])
    assert x_range(plots.d_plot)[1] >= 1030  # the other plots still follow
    vb.enableAutoRange()  # the "A" button: follow the data again
    feed(1031, 1)
    assert x_range(plots.loss_plot)[1] >= 1031 and not any(vb.autoRangeEnabled())

    # Step labels never crowd a narrow axis: at most one major tick per ~60 px.
    axis = StepAxis("bottom")
    for span, px in ((600, 120), (1000, 90), (25_000, 200), (3, 300)):
        major = axis.tickSpacing(0, span, px)[0][0]
        assert span / major <= max(1, px / 40)


# ---------------------------------------------------------------------------------------------- training


def test_train_pause_resume_stop_and_export(qtbot, page, tmp_path, monkeypatch):
    page.dataset.builtin.setCurrentIndex(page.dataset.builtin.findData("demo"))
    page.dataset.builtin.activated.emit(page.dataset.builtin.currentIndex())
    wait_dataset(qtbot, page)
    assert page.dataset.count_label.text().endswith("pictures ready")
    tiny_settings(page, steps=0)  # until stopped: the test decides when it ends
    assert page.start_button.isEnabled() and not page.pause_button.isEnabled()

    qtbot.mouseClick(page.start_button, Qt.MouseButton.LeftButton)
    assert page.is_training()
    assert not page.start_button.isEnabled() and page.stop_button.isEnabled()
    assert not page.settings.batch_size.isEnabled()  # settings are locked while training

    qtbot.waitUntil(lambda: loss_points(page) >= 5, timeout=WAIT)
    assert loss_points(page, "loss_d") >= 5
    x, y = page.plots.curve_data("loss_g", smoothed=False)
    assert np.all(np.diff(x) > 0) and np.isfinite(y).all()
    assert page.state_label.text().startswith("Training")

    qtbot.waitUntil(lambda: page.samples.current_image() is not None, timeout=WAIT)
    first = page.samples.current_image().copy()
    assert first.shape[2] == 3 and first.shape[0] > 64  # a 4×4 grid of 32 px pictures
    qtbot.mouseClick(page.samples.refresh_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not np.array_equal(page.samples.current_image(), first), timeout=WAIT)

    qtbot.mouseClick(page.pause_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.state == "paused", timeout=WAIT)
    assert "Paused" in page.state_label.text()
    assert page.pause_button.text() == "Resume"
    paused_at = page.plots.buffer.x()[-1]

    qtbot.mouseClick(page.pause_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.plots.buffer.x()[-1] > paused_at, timeout=WAIT)
    assert page.state == "training" and page.pause_button.text() == "Pause"

    qtbot.mouseClick(page.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not page.is_training(), timeout=WAIT)
    assert page.state == "stopped"
    assert "checkpoint saved" in page.state_label.text()
    assert page.start_button.isEnabled() and not page.stop_button.isEnabled()

    run = page.run_dir()
    config = json.loads((run / "config.json").read_text())
    assert config["preset"] == "dcgan32" and config["width"] == 8 and config["data"] == "demo"
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert len(records) >= 5 and records[-1]["step"] == page.plots.buffer.x()[-1]
    assert len(list((run / "samples").glob("step_*.png"))) >= 2
    assert list((run / "checkpoints").glob("*.safetensors"))

    # Scrub back to the first grid: it is loaded from samples/ and labelled with its step.
    page.samples.slider.setValue(0)
    assert page.samples.current_step == 0
    assert "1 of" in page.samples.step_label.text()
    on_disk = np.asarray(Image.open(run / "samples" / "step_0000000.png"))
    assert np.array_equal(page.samples.current_image().reshape(on_disk.shape), on_disk)

    # Exports: file dialogs answered by the test.
    out = tmp_path / "exports"
    out.mkdir()
    answers = iter([str(out / "grid.png"), str(out / "timelapse.gif"), str(out / "gen.safetensors")])
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (next(answers), "")))
    assert page.export_button.isEnabled() and page.gif_button.isEnabled()

    qtbot.mouseClick(page.save_grid_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not page.export_runner.is_running(), timeout=WAIT)  # written off the GUI thread
    from studio.engine.export import read_png_recipe

    assert read_png_recipe(out / "grid.png")["step"] == 0

    qtbot.mouseClick(page.gif_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not page.export_runner.is_running(), timeout=WAIT)
    assert (out / "timelapse.gif").stat().st_size > 0

    qtbot.mouseClick(page.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not page.export_runner.is_running(), timeout=WAIT)
    assert (out / "gen.safetensors").stat().st_size > 0
    assert json.loads((out / "gen.json").read_text())["preset"] == "dcgan32"
    assert "gen.safetensors" in page.notice_label.text()
    assert not page.error_banner.isVisible()


def test_finish_then_resume_continues_the_same_run(qtbot, page):
    page.use_builtin_dataset("demo")
    wait_dataset(qtbot, page)
    tiny_settings(page, steps=12, interval=60)
    page.start_training()
    qtbot.waitUntil(lambda: not page.is_training(), timeout=WAIT)
    assert page.state == "finished", page.state_label.text()
    assert "12 steps" in page.state_label.text()
    run = page.run_dir()
    assert page.explore_button.isEnabled()  # the finished run goes to the Explore page in one click
    with qtbot.waitSignal(page.explore_requested, timeout=WAIT) as asked:
        qtbot.mouseClick(page.explore_button, Qt.MouseButton.LeftButton)
    assert asked.args == [run]

    assert page.resume_run(run)
    assert page.resume_banner.isVisible()
    assert page.start_button.text() == "Continue run" and page.start_button.isEnabled()
    assert not page.settings.batch_size.isEnabled() and page.settings.steps.isEnabled()
    assert page.plots.buffer.x()[-1] == 12  # the run's curves are on show before continuing

    page.settings.set_steps(12)
    page.start_training()  # not past the checkpoint: refused with a reason
    assert not page.is_training() and "already at step 12" in page.error_message()

    page.settings.set_steps(20)
    page.start_training()
    qtbot.waitUntil(lambda: not page.is_training(), timeout=WAIT)
    assert page.state == "finished"
    assert page.run_dir() == run
    # Finished again: the same run is offered to continue once more, in one click.
    assert page.resume_banner.isVisible() and page.start_button.text() == "Continue run"
    steps = [json.loads(line)["step"] for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert steps == list(range(1, 21))
    assert list(page.plots.buffer.x()) == list(range(1, 21))
    assert (run / "checkpoints" / "step_0000020.json").is_file()


def test_stop_then_continue_this_run_in_one_click(qtbot, page):
    page.use_builtin_dataset("demo")
    wait_dataset(qtbot, page)
    tiny_settings(page, steps=0, interval=60)  # until stopped
    qtbot.mouseClick(page.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(page.plots.buffer) >= 3, timeout=WAIT)
    qtbot.mouseClick(page.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not page.is_training(), timeout=WAIT)
    assert page.state == "stopped" and "checkpoint saved" in page.state_label.text()
    run = page.run_dir()
    stopped_at = json.loads(sorted((run / "checkpoints").glob("step_*.json"))[-1].read_text())["step"]
    assert stopped_at >= 3

    # The run on show is offered to continue: Start says so, Steps stays editable, the rest is locked.
    assert page.start_button.text() == "Continue run" and page.start_button.isEnabled()
    assert page.resume_banner.isVisible() and page.new_run_button.isVisible()
    assert f"from step {stopped_at:,}" in page.resume_text.text()
    assert not page.settings.batch_size.isEnabled() and page.settings.until_stopped.isEnabled()

    qtbot.mouseClick(page.start_button, Qt.MouseButton.LeftButton)
    assert page.is_training() and page.run_dir() == run
    qtbot.waitUntil(lambda: len(page.plots.buffer) and page.plots.buffer.x()[-1] >= stopped_at + 3,
                    timeout=WAIT)
    qtbot.mouseClick(page.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not page.is_training(), timeout=WAIT)
    assert page.state == "stopped" and page.run_dir() == run
    steps = [json.loads(line)["step"] for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert steps == list(range(1, len(steps) + 1)) and steps[-1] >= stopped_at + 3  # no repeats, no gaps
    assert list(page.plots.buffer.x()) == steps

    # "New run instead": a fresh run with the same pictures and the artist's own settings.
    qtbot.mouseClick(page.new_run_button, Qt.MouseButton.LeftButton)
    assert page.start_button.text() == "Start training" and not page.resume_banner.isVisible()
    assert page.settings.width_spin.value() == 8 and page.settings.batch_size.isEnabled()


def test_failure_is_shown_in_plain_words(qtbot, page, tmp_path):
    files = make_pictures(tmp_path / "vanishing", count=1, bad=False)
    page.set_dataset([str(tmp_path / "vanishing")])
    wait_dataset(qtbot, page)
    tiny_settings(page, steps=5)
    files[0].unlink()  # the folder empties between choosing it and pressing Start
    page.start_training()
    qtbot.waitUntil(lambda: not page.is_training(), timeout=WAIT)
    assert page.state == "failed"
    assert page.error_banner.isVisible()
    text = page.error_message()
    assert "No images found" in text and "DatasetError" not in text
    assert page.start_button.isEnabled()


def test_resume_refuses_a_folder_that_is_not_a_run(page, tmp_path):
    assert not page.resume_run(tmp_path)
    assert "not a training run" in page.error_message()
    assert page.start_button.text() == "Start training"


def test_steps_also_read_as_epochs_of_the_chosen_pictures(qtbot):
    from studio.ui.widgets.settings_panel import TrainSettingsPanel

    panel = TrainSettingsPanel()
    qtbot.addWidget(panel)
    panel.set_dataset_count(200)
    panel.steps.setValue(1000)
    panel.batch_size.setValue(50)
    assert panel.epochs() == 250
    assert "250 epochs over 200 pictures" in panel.epochs_hint.text()
    panel.until_stopped.setChecked(True)
    assert panel.epochs() is None and panel.epochs_hint.text() == ""
