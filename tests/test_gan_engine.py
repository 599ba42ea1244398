"""GAN engine: lesson presets, real training steps, exact resume, atomic checkpoints, exports, CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from studio.engine.gan.checkpoints import (
    CheckpointError,
    export_generator,
    latest_checkpoint,
    load_checkpoint,
    load_generator,
)
from studio.engine.gan.models import PRESETS, build_gan, count_parameters
from studio.engine.gan.trainer import GanTrainingJob, TrainConfig
from studio.engine.jobs import JobToken, Metrics, Preview, run_job
from studio.engine.runs import RunDir

ROOT = Path(__file__).resolve().parents[1]


def tiny(preset: str = "dcgan32", **kw) -> TrainConfig:
    base = dict(data="demo", width=8, batch_size=16, steps=10, demo_count=64, sample_every_s=1e9,
                checkpoint_every_min=0, device="cpu", grid_count=16)
    base.update(kw)
    return TrainConfig.for_preset(preset, **base)


@pytest.mark.parametrize(
    "preset, g_params, d_params, shape",
    [("lesson-mlp", 1_489_936, 533_505, (1, 28, 28)), ("lesson-dcgan", 600_512, 661_248, (1, 28, 28))],
)
def test_lesson_presets_match_the_lesson(preset, g_params, d_params, shape):
    g, d = build_gan(preset, channels=1, latent_dim=100)
    assert count_parameters(g) == g_params
    assert count_parameters(d) == d_params
    x = g(torch.randn(4, 100))
    assert x.shape == (4, *shape)
    assert x.min() >= -1 and x.max() <= 1  # Tanh out: pixels in [-1, 1]
    assert d(x).shape == (4,)


def test_lesson_mlp_uses_the_lesson_layers():
    g, _ = build_gan("lesson-mlp", channels=1)
    bns = [m for m in g.modules() if isinstance(m, torch.nn.BatchNorm1d)]
    assert [bn.num_features for bn in bns] == [256, 512, 1024]
    assert all(bn.momentum == 0.2 for bn in bns)
    cfg = TrainConfig.for_preset("lesson-mlp")
    assert (cfg.batch_size, cfg.lr_g, cfg.lr_d, cfg.beta1, cfg.beta2) == (256, 2e-4, 2e-4, 0.5, 0.999)


def test_lesson_dcgan_init_follows_the_lesson():
    torch.manual_seed(0)
    g, d = build_gan("lesson-dcgan", channels=1)
    convs = [m.weight for m in list(g.modules()) + list(d.modules())
             if isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d))]
    allw = torch.cat([w.flatten() for w in convs])
    assert abs(allw.std().item() - 0.02) < 0.002
    bn = [m for m in g.modules() if isinstance(m, torch.nn.BatchNorm2d)][0]
    assert abs(bn.weight.mean().item() - 1.0) < 0.01 and bn.bias.abs().max() == 0


@pytest.mark.parametrize("preset,size", [("dcgan32", 32), ("dcgan64", 64), ("dcgan128", 128)])
def test_dcgan_family_sizes_and_channels(preset, size):
    for ch in (1, 3):
        g, d = build_gan(preset, channels=ch, width=4)
        x = g(torch.randn(2, 100))
        assert x.shape == (2, ch, size, size)
        assert d(x).shape == (2,)


def test_training_steps_write_the_run_directory_and_d_learns(tmp_path):
    events = []
    cfg = tiny(steps=30, sample_every_steps=10, lr_d=5e-4)
    out = run_job(GanTrainingJob(cfg, tmp_path / "run"), events.append)
    assert out.error is None, out.details
    run = RunDir(tmp_path / "run")
    recs = run.read_metrics()
    assert [r["step"] for r in recs] == list(range(1, 31))
    assert all(all(torch.isfinite(torch.tensor(v)) for k, v in r.items()) for r in recs)
    # D learns to tell real from fake: early on its outputs are ~0.5 for both
    last = recs[-5:]
    assert sum(r["d_real"] - r["d_fake"] for r in last) / len(last) > 0.2
    assert [s for s, _ in run.sample_grids()] == [0, 10, 20, 30]
    previews = [e for e in events if isinstance(e, Preview)]
    assert len(previews) == 4 and previews[0].image.dtype.name == "uint8"
    assert not (previews[0].image == previews[-1].image).all()  # the grid changes as G learns
    assert sum(isinstance(e, Metrics) for e in events) == 30
    cfg_json = run.read_config()
    assert cfg_json["preset"] == "dcgan32" and cfg_json["resolved_channels"] == 3
    assert latest_checkpoint(run.checkpoints_dir) is not None


def _weights(run_dir: Path) -> dict[str, torch.Tensor]:
    ck = load_checkpoint(latest_checkpoint(Path(run_dir) / "checkpoints"))
    return {k: v for k, v in ck.tensors.items() if not k.startswith("extra.fixed")}


@pytest.mark.parametrize("preset,extra", [("dcgan32", {"hflip": True}), ("lesson-mlp", {"batch_size": 24})])
def test_resume_is_exact(tmp_path, preset, extra):
    straight = tiny(preset, steps=20, **extra)
    assert run_job(GanTrainingJob(straight, tmp_path / "a")).error is None
    first = tiny(preset, steps=10, **extra)
    assert run_job(GanTrainingJob(first, tmp_path / "b")).error is None
    second = tiny(preset, steps=20, **extra)
    out = run_job(GanTrainingJob(second, tmp_path / "b", resume=True))
    assert out.error is None, out.details
    a, b = _weights(tmp_path / "a"), _weights(tmp_path / "b")
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k
    ma, mb = RunDir(tmp_path / "a").read_metrics(), RunDir(tmp_path / "b").read_metrics()
    assert [r["step"] for r in mb] == list(range(1, 21))
    assert [r["loss_g"] for r in ma] == [r["loss_g"] for r in mb]


def test_stop_saves_a_checkpoint_and_resume_continues(tmp_path):
    token = JobToken()
    seen = []

    def on_event(ev):
        if isinstance(ev, Metrics):
            seen.append(ev.step)
            if ev.step == 7:
                token.stop()

    out = run_job(GanTrainingJob(tiny(steps=50), tmp_path / "r"), on_event, token)
    assert out.cancelled and out.result.step == 7 and out.result.stopped_early
    assert load_checkpoint(latest_checkpoint(tmp_path / "r" / "checkpoints")).step == 7
    out2 = run_job(GanTrainingJob(tiny(steps=12), tmp_path / "r", resume=True))
    assert out2.result.step == 12


def test_interrupted_checkpoint_write_leaves_previous_loadable(tmp_path, monkeypatch):
    run = tmp_path / "r"
    assert run_job(GanTrainingJob(tiny(steps=5), run)).error is None
    import studio.engine.gan.checkpoints as ck

    real_write = ck.atomic_write_json

    def crash(path, obj):  # the tensors were written, then the process died before the JSON
        raise OSError("simulated power loss")

    monkeypatch.setattr(ck, "atomic_write_json", crash)
    out = run_job(GanTrainingJob(tiny(steps=8), run, resume=True))
    assert out.error and "power loss" in out.error
    monkeypatch.setattr(ck, "atomic_write_json", real_write)
    # a torn tensor file from a crash mid-write must not be picked either
    (run / "checkpoints" / "step_0000009.json").write_text('{"format": "gan-art-studio/checkpoint", "weig')
    best = latest_checkpoint(run / "checkpoints")
    assert best.name == "step_0000005.json"
    assert load_checkpoint(best).step == 5
    assert not list((run / "checkpoints").glob("*.tmp"))
    out = run_job(GanTrainingJob(tiny(steps=8), run, resume=True))
    assert out.error is None and out.result.step == 8


def test_damaged_checkpoint_is_refused(tmp_path):
    run = tmp_path / "r"
    run_job(GanTrainingJob(tiny(steps=2), run))
    ck = latest_checkpoint(run / "checkpoints")
    w = ck.with_suffix(".safetensors")
    data = bytearray(w.read_bytes())
    data[-10] ^= 0xFF
    w.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="damaged"):
        load_checkpoint(ck)


def test_export_generator_round_trip_and_foreign_files_refused(tmp_path):
    run = tmp_path / "r"
    run_job(GanTrainingJob(tiny(steps=3), run))
    out = export_generator(run, tmp_path / "gen.safetensors")
    meta = json.loads(out.with_suffix(".json").read_text())
    assert meta["preset"] == "dcgan32" and meta["step"] == 3 and meta["channels"] == 3
    g, meta2 = load_generator(out)
    ref = load_file(str(out))
    assert torch.equal(g.state_dict()["net.0.weight"], ref["net.0.weight"])
    with torch.no_grad():
        assert g(torch.randn(2, 100)).shape == (2, 3, 32, 32)
    pickle_file = tmp_path / "evil.pt"
    torch.save({"a": 1}, pickle_file)
    with pytest.raises(CheckpointError):
        load_generator(pickle_file)
    truncated = tmp_path / "trunc.safetensors"
    truncated.write_bytes(out.read_bytes()[:100])
    truncated.with_suffix(".json").write_text(out.with_suffix(".json").read_text())
    with pytest.raises(CheckpointError, match="damaged"):
        load_generator(truncated)


def test_invalid_settings_are_explained():
    with pytest.raises(ValueError, match="learning rates"):
        tiny(lr_g=0).validate()
    with pytest.raises(ValueError, match="loss"):
        tiny(loss="wasserstein").validate()


def test_skip_d_below_skips_updates(tmp_path):
    out = run_job(GanTrainingJob(tiny(steps=15, skip_d_below=10.0), tmp_path / "r"))
    recs = RunDir(tmp_path / "r").read_metrics()
    assert out.error is None
    assert recs[0]["d_skipped"] == 0 and all(r["d_skipped"] == 1 for r in recs[1:])


def test_presets_are_all_trainable_for_a_step(tmp_path):
    for name in PRESETS:
        if name in ("dcgan128", "lite128", "lite256"):
            continue  # same code paths as dcgan64 / lite64 (MSG: tests/test_small_data.py); too slow here
        out = run_job(GanTrainingJob(tiny(name, steps=1, width=4 if name.startswith(("dcgan", "lite")) else 0),
                                     tmp_path / name))
        assert out.error is None, (name, out.details)


def test_cli_train_then_resume_then_export(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = tmp_path / "cli-run"
    base = [sys.executable, "-m", "studio", "train"]
    r = subprocess.run(base + ["--data", "demo", "--preset", "dcgan32", "--width", "8", "--batch-size", "8",
                               "--steps", "4", "--sample-every", "2", "--out", str(run), "--quiet"],
                       capture_output=True, text=True, env=env, timeout=240)
    assert r.returncode == 0, r.stderr
    r = subprocess.run(base + ["--resume", str(run), "--steps", "6", "--quiet", "--export-generator",
                               str(tmp_path / "g.safetensors")], capture_output=True, text=True, env=env, timeout=240)
    assert r.returncode == 0, r.stderr
    recs = RunDir(run).read_metrics()
    assert [x["step"] for x in recs] == [1, 2, 3, 4, 5, 6]
    assert all("step" in x for x in recs)
    assert (tmp_path / "g.json").is_file()
    r = subprocess.run(base + ["--resume", str(tmp_path / "nope")], capture_output=True, text=True, env=env)
    assert r.returncode == 2 and "not a run directory" in r.stderr


def test_a_single_picture_is_refused_with_a_reason(tmp_path):
    from PIL import Image

    folder = tmp_path / "one"
    folder.mkdir()
    Image.new("RGB", (40, 40), (200, 30, 30)).save(folder / "only.png")
    out = run_job(GanTrainingJob(tiny(data=str(folder)), tmp_path / "r"))
    assert out.error and "at least 2 pictures" in out.error


def test_small_folder_trains_with_batches_of_its_size(tmp_path):
    from PIL import Image

    folder = tmp_path / "three"
    folder.mkdir()
    for i in range(3):
        Image.new("RGB", (40, 30), (80 * i, 100, 200)).save(folder / f"p{i}.jpg")
    out = run_job(GanTrainingJob(tiny(data=str(folder), batch_size=16, steps=3), tmp_path / "r"))
    assert out.error is None, out.details
    assert RunDir(tmp_path / "r").read_config()["dataset_count"] == 3
