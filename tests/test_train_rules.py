"""The Train page's rules and wording that now live in the engine (no Qt): continuing a run, the dataset
check, remedy changes, time estimates and state lines."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from studio.engine.dataset_scan import DatasetScanJob, DatasetSummary, describe_paths, preprocess_previews
from studio.engine.durations import format_duration, unbroken_duration
from studio.engine.jobs import JobToken, run_job
from studio.engine.train_rules import (
    RunNotResumable,
    checkpoint_step,
    continue_total,
    open_resume_point,
    resume_total,
    small_data_preset_for,
)
from studio.engine.train_text import describe_changes, estimate_text, failure_text, format_value, state_text


def test_checkpoint_step_reads_the_state_then_the_name(tmp_path):
    good = tmp_path / "step_0000040.json"
    good.write_text(json.dumps({"step": 37}), encoding="utf-8")
    assert checkpoint_step(good) == 37  # the state wins over the name
    broken = tmp_path / "step_0000120.json"
    broken.write_text("{not json", encoding="utf-8")
    assert checkpoint_step(broken) == 120
    assert checkpoint_step(None) == 0 and checkpoint_step(tmp_path / "nothing.json") == 0


def test_step_totals_when_continuing():
    assert resume_total(5000, 2000) == 5000  # not reached: keep the saved total
    assert resume_total(2000, 2000) == 4000  # reached: as many again
    assert resume_total(300, 300) == 1300  # ... but at least 1,000 more
    assert resume_total(0, 700) == 0  # until stopped stays so
    assert continue_total(2000, 2000) == 4000 and continue_total(300, 300) == 600
    assert continue_total(5000, 2000) == 5000 and continue_total(0, 10) == 0


def test_open_resume_point_refuses_in_words(tmp_path):
    with pytest.raises(RunNotResumable, match="is not a training run: it has no config.json"):
        open_resume_point(tmp_path)
    (tmp_path / "config.json").write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(RunNotResumable, match="cannot be read"):
        open_resume_point(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"data": "demo"}), encoding="utf-8")
    with pytest.raises(RunNotResumable, match="has no checkpoint to continue from"):
        open_resume_point(tmp_path)


def test_small_data_preset_for_the_nearest_size():
    assert small_data_preset_for(28) == "lite32"
    assert small_data_preset_for(64) == "lite64"
    assert small_data_preset_for(100) == "lite128"  # nearer 128 than 64
    assert small_data_preset_for(4096) == "lite256"


def test_wording():
    assert format_value(4e-4) == "4e-4" and format_value(0.25) == "0.25" and format_value(None) == "off"
    assert describe_changes({"lr_d": 4e-4, "aug_p": 0.2}, {"lr_d": 2e-4, "aug_p": 0.2}) == "D learning rate 4e-4 → 2e-4"
    assert "out of memory" in failure_text("CUDA out of memory. Tried to allocate 2 GiB").lower()
    assert "batch size" in failure_text("x", "torch.OutOfMemoryError: CUDA out of memory")
    assert failure_text("The pictures folder is gone.") == "The pictures folder is gone."
    assert state_text("training", 1200, 5000) == "Training · step 1,200 of 5,000"
    assert state_text("idle", 0, None, continuing=True) == "Ready to continue."
    assert state_text("idle", 0, None, has_data=True) == "Ready to start."
    assert state_text("stopped", 40, None, has_checkpoint=True).endswith("checkpoint saved.")
    assert format_duration(725) == "12 min 05 s" and unbroken_duration(725) == "12\u00a0min\u00a005\u00a0s"
    est = SimpleNamespace(device="cpu", seconds_per_step=0.14, quality_seconds=10.0, setup_seconds=5.0)
    text = estimate_text(est, 5000, 1000, 150)
    assert text.startswith("About 12\u00a0min") and "5,000 steps on CPU" in text and "quality checks add" in text
    assert "until you stop it (assuming 200 pictures)" in estimate_text(est, 0, 1000, 0)


def _run(job):
    events = []
    outcome = run_job(job, events.append, JobToken())
    return outcome, events


def test_dataset_scan_runs_without_qt(tmp_path):
    folder = tmp_path / "pictures"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(5):
        Image.fromarray(rng.integers(0, 255, (40, 60, 3), dtype=np.uint8)).save(folder / f"p{i}.png")
    (folder / "notes.png").write_bytes(b"not a picture")
    outcome, _events = _run(DatasetScanJob([str(folder)], preview_count=3))
    summary = outcome.result
    assert isinstance(summary, DatasetSummary) and summary.error is None
    assert summary.count == 5 and [Path(s.path).name for s in summary.skipped] == ["notes.png"]
    assert summary.image_size == 40 and len(summary.originals) == 3 and summary.channels == 3
    prepared = preprocess_previews(summary.originals, 16, 3, "crop")
    assert all(p.shape == (16, 16, 3) for p in prepared)
    assert describe_paths([str(folder)]) == "pictures"

    empty = tmp_path / "empty"
    empty.mkdir()
    outcome, _events = _run(DatasetScanJob([str(empty)]))
    summary = outcome.result
    assert summary.count == 0 and summary.error.startswith("No images found in empty")


def test_dataset_advice_in_words():
    from studio.engine.dataset_advice import advise, preset_warning

    cpu = advise(143, 256, gpu=False)
    assert cpu.regime == "small" and cpu.preset == "lite64" and cpu.headline == "143 pictures — a small set."
    assert "on this computer's processor 64×64" in cpu.why  # the CPU cap is explained
    gpu = advise(143, 256, gpu=True)
    assert gpu.preset != "lite64" and "processor" not in gpu.why
    assert "overfit" in preset_warning("lesson-dcgan", 50, cpu.preset_title)
    assert preset_warning("lite64", 50, cpu.preset_title) == ""


def test_init_source_read_from_json_and_compared(tmp_path):
    from studio.engine.errors import StudioError
    from studio.engine.init_source import (
        InitSource,
        InitSourceError,
        mismatch_text,
        mismatches,
        read_init_source,
    )

    with pytest.raises(InitSourceError, match="does not exist"):
        read_init_source(tmp_path / "missing")
    with pytest.raises(InitSourceError, match="is not a training run: it has no config.json"):
        read_init_source(tmp_path)
    assert issubclass(InitSourceError, StudioError)
    source = InitSource("x", "run", "run-a", 40, {"preset": "lite32", "width": 4, "latent_dim": 64,
                                                  "channels": 3, "image_size": 32})
    mine = {"preset": "lite32", "width": 16, "latent_dim": 64, "channels": None, "image_size": 32}
    problems = mismatches(source, mine)
    assert problems == ["network width: 4 there, 16 here"]  # colour not known yet: not compared
    assert mismatch_text(source, problems).startswith("Cannot fine-tune from run-a:")
