"""LeCam regularisation (Tseng et al. 2021), one of issue 15's limited-data regularisers: D's verdicts on real
pictures are pulled toward the running average of its verdicts on fakes, and vice versa."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from studio.engine.gan.checkpoints import latest_checkpoint, load_checkpoint
from studio.engine.gan.stepper import LECAM_DECAY
from studio.engine.gan.trainer import GanTrainingJob, TrainConfig
from studio.engine.jobs import run_job


def tiny(**kw) -> TrainConfig:
    from test_small_data import tiny as small_data_tiny

    return small_data_tiny("lite32", kinds=0, **kw)


def test_lecam_measures_the_distance_to_the_other_sides_average_and_follows_the_verdicts():
    from studio.engine.data import PreparedImages, make_mode_images
    from studio.engine.gan.regimes import resolve_settings
    from studio.engine.gan.stepper import build_stepper

    x, _ = make_mode_images(32, 32, seed=0)
    data = PreparedImages(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))
    cfg, _ = resolve_settings(tiny(lecam=0.3), len(data))
    s = build_stepper(cfg, 3, data, torch.device("cpu"))
    s.state.update(lecam_real=1.0, lecam_fake=-1.0)
    real, fake = torch.tensor([1.0, -1.0]), torch.tensor([1.0, 1.0])
    # real verdicts against the fakes' average (-1): 4 and 0; fake verdicts against the reals' (1): 0 and 0
    assert s.lecam_penalty(real, fake).item() == pytest.approx(2.0)
    before = dict(s.state)
    s.step()
    assert s.state["lecam_real"] != before["lecam_real"]  # the averages follow D, at the paper's pace
    assert abs(s.state["lecam_real"] - before["lecam_real"]) < 2 * (1 - LECAM_DECAY) * 100


def test_a_lecam_run_resumes_exactly(tmp_path):
    kw = dict(lecam=0.3, ema=True)
    assert run_job(GanTrainingJob(tiny(steps=6, **kw), tmp_path / "a")).error is None
    assert run_job(GanTrainingJob(tiny(steps=3, **kw), tmp_path / "b")).error is None
    out = run_job(GanTrainingJob(tiny(steps=6, **kw), tmp_path / "b", resume=True))
    assert out.error is None, out.details
    a = load_checkpoint(latest_checkpoint(tmp_path / "a" / "checkpoints"))
    b = load_checkpoint(latest_checkpoint(tmp_path / "b" / "checkpoints"))
    assert a.state["lecam_real"] == b.state["lecam_real"] != 0.0
    for k in a.tensors:
        assert torch.equal(a.tensors[k], b.tensors[k]), k
