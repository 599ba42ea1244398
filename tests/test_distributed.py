"""Training over several processes (issue 16): torchrun + DDP with gloo on this CPU.

Two processes at a global batch of 16 must do what one process does at 16 (float tolerance), write the same run
folder, resume in one process, and stop together — with a checkpoint — when one of them dies."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from studio.engine.gan.checkpoints import load_newest_intact
from studio.engine.gan.distributed import is_peer_failure, split_problem
from studio.engine.runs import RunDir

ROOT = Path(__file__).resolve().parents[1]
WORKER = ROOT / "tests" / "dist_train.py"
# the lesson MLP without BatchNorm: no model normalises over its batch, so the split cannot change the maths
# (CPUs have no SyncBatchNorm). Flips, adaptive augmentation and EMA all draw from the run's generators.
EXACT = {"preset": "lesson-mlp", "batchnorm": False, "data": "demo", "demo_count": 64, "batch_size": 16,
         "hflip": True, "augment": "adaptive", "aug_p": 0.3, "ada_interval": 2, "ada_speed_imgs": 200,
         "ema": True, "regime": "manual", "checkpoint_every_min": 0, "sample_every_s": 1e9, "seed": 3}


def _env() -> dict:
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT))
    for key in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(key, None)
    return env


def _torchrun(nproc: int, *args: str) -> list[str]:
    return [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}", *args]


def _train(run: Path, steps: int, nproc: int = 1, resume: bool = False, **over) -> None:
    cfg = json.dumps({**EXACT, **over})
    tail = [str(WORKER), str(run), str(steps), cfg] + (["--resume"] if resume else [])
    cmd = _torchrun(nproc, *tail) if nproc > 1 else [sys.executable, *tail]
    done = subprocess.run(cmd, env=_env(), capture_output=True, text=True, timeout=240, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]


def _weights(run: Path) -> tuple[dict, dict]:
    ck = load_newest_intact(RunDir(run).checkpoints_dir).checkpoint
    assert ck is not None
    return {k: v for k, v in ck.tensors.items() if not k.startswith("extra.")}, ck.state


def _files(run: Path) -> list[str]:
    return sorted(str(p.relative_to(run)) for p in run.rglob("*") if p.is_file() and p.name != ".lock")


def test_two_processes_train_as_one_and_resume_in_one(tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    _train(one, 12)
    _train(two, 12, nproc=2)
    w1, st1 = _weights(one)
    w2, st2 = _weights(two)
    assert set(w1) == set(w2) and any(k.startswith("model.G_ema.") for k in w1)
    for k in w1:
        assert torch.allclose(w1[k].float(), w2[k].float(), rtol=1e-4, atol=1e-5), k
    # the data order, the augmentation strength and the random streams are the global run's, not a process's
    for key in ("step", "epoch", "data_pos"):
        assert st1[key] == st2[key]
    assert st1["aug_p"] == pytest.approx(st2["aug_p"], abs=1e-6) and st1["aug_p"] != 0.3  # ADA moved, alike
    assert st2["distributed"]["world_size"] == 2 and st2["distributed"]["global_batch"] == 16
    assert st2["distributed"]["per_process_batch"] == 8
    assert json.loads((two / "config.json").read_text())["distributed"]["world_size"] == 2
    assert _files(one) == _files(two)  # rank 1 wrote nothing of its own
    m1 = [json.loads(line) for line in (one / "metrics.jsonl").read_text().splitlines()]
    m2 = [json.loads(line) for line in (two / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in m1] == [r["step"] for r in m2] == list(range(1, 13))
    for a, b in zip(m1, m2, strict=True):  # losses averaged over the processes = the global batch's
        assert a["loss_d"] == pytest.approx(b["loss_d"], rel=1e-4, abs=1e-5)

    # the 2-process run continues in 1 process exactly as the 1-process run does
    _train(one, 18, resume=True)
    _train(two, 18, resume=True)
    w1, st1 = _weights(one)
    w2, st2 = _weights(two)
    assert st1["step"] == st2["step"] == 18 and st2["distributed"]["world_size"] == 1
    for k in w1:
        assert torch.allclose(w1[k].float(), w2[k].float(), rtol=1e-4, atol=1e-5), k


def _pictures(folder: Path, n: int = 48) -> Path:
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(n):
        img = np.zeros((32, 32, 3), np.uint8)
        img[:] = rng.integers(0, 255, 3)
        y, x = rng.integers(4, 20, 2)
        img[y:y + 10, x:x + 10] = rng.integers(0, 255, 3)
        Image.fromarray(img).save(folder / f"p{i:03d}.png")
    return folder


def _rank_pids(parent: int) -> dict[int, int]:
    """The training processes torchrun started, by rank (read from their environment)."""
    out = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if int((entry / "stat").read_text().split(")")[1].split()[1]) != parent:
                continue
            env = dict(kv.split("=", 1) for kv in (entry / "environ").read_text().split("\0") if "=" in kv)
        except (OSError, ValueError, IndexError):
            continue
        if "RANK" in env:
            out[int(env["RANK"])] = int(entry.name)
    return out


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="reads the processes' ranks from /proc")
@pytest.mark.parametrize("victim", [1, 0])
def test_killing_one_process_stops_the_other_with_a_checkpoint(tmp_path, victim):
    """Rank 1 dies: rank 0 saves the last agreed state. Rank 0 (the writer) dies: rank 1 takes its free lock
    and saves that state instead."""
    data, run = _pictures(tmp_path / "pics"), tmp_path / "run"
    cmd = _torchrun(2, "-m", "studio", "train", "--data", str(data), "--preset", "lite32", "--kinds", "0",
                    "--steps", "0", "--out", str(run), "--device", "cpu", "--quiet", "--batch-size", "8")
    proc = subprocess.Popen(cmd, env=_env(), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 120
        metrics = run / "metrics.jsonl"
        while time.monotonic() < deadline:  # well past the first agreed state (step 50)
            if metrics.exists() and len(metrics.read_text().splitlines()) >= 60:
                break
            assert proc.poll() is None, proc.stdout.read()
            time.sleep(0.2)
        else:
            pytest.fail("the two processes did not reach step 60")
        ranks = _rank_pids(proc.pid)
        assert set(ranks) == {0, 1}
        t0 = time.monotonic()
        os.kill(ranks[victim], signal.SIGKILL)
        out, _ = proc.communicate(timeout=90)
        took = time.monotonic() - t0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode != 0  # torchrun reports the lost process
    assert took < 45, f"the survivor took {took:.0f} s to stop"
    assert "Another training process stopped" in out, out[-3000:]
    if victim == 0:
        assert "saved step" in out, out[-3000:]
    ck = load_newest_intact(RunDir(run).checkpoints_dir).checkpoint
    assert ck is not None and ck.step >= 50 and ck.step % 50 == 0
    # and it continues in one process
    done = subprocess.run([sys.executable, "-m", "studio", "train", "--resume", str(run), "--steps", str(ck.step + 5),
                           "--device", "cpu", "--quiet"], env=_env(), cwd=ROOT, capture_output=True, text=True,
                          timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "continues in 1" in done.stdout + done.stderr
    assert load_newest_intact(RunDir(run).checkpoints_dir).checkpoint.step == ck.step + 5


def test_a_batch_must_split_evenly_and_peer_errors_are_told_apart():
    assert split_problem(32, 2) is None
    assert "30 or 33" in split_problem(32, 3)
    assert "fewer than 2" in split_problem(4, 4)
    assert is_peer_failure(RuntimeError("[gloo] Connection closed by peer [127.0.0.1]:1234"))
    assert not is_peer_failure(RuntimeError("mat1 and mat2 shapes cannot be multiplied (8x3 and 4x4)"))
    assert not is_peer_failure(ValueError("Connection closed"))


def test_sigterm_to_train_nproc_stops_every_process_at_one_step_with_a_checkpoint(tmp_path):
    """`python -m studio train --nproc 2` (torch's launcher underneath), no --out: the processes share one new run
    folder in the workspace. A scheduler's SIGTERM reaches every process, they agree on the step to stop at, and
    rank 0 saves exactly there."""
    data = _pictures(tmp_path / "pics")
    runs = Path(os.environ["GAN_STUDIO_WORKSPACE"]) / "runs"
    before = set(runs.iterdir()) if runs.exists() else set()
    cmd = [sys.executable, "-m", "studio", "train", "--data", str(data), "--preset", "lite32", "--kinds", "0",
           "--steps", "0", "--device", "cpu", "--quiet", "--batch-size", "8", "--nproc", "2"]
    proc = subprocess.Popen(cmd, env=_env(), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            made = set(runs.iterdir()) - before if runs.exists() else set()
            metrics = [p / "metrics.jsonl" for p in made if (p / "metrics.jsonl").exists()]
            if metrics and len(metrics[0].read_text().splitlines()) >= 20:
                break
            assert proc.poll() is None, proc.stdout.read()
            assert time.monotonic() < deadline, "the two processes did not reach step 20"
            time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=90)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert "training in 2 processes" in out
    assert set(runs.iterdir()) - before == {metrics[0].parent}  # one folder, no empty one per process
    run = metrics[0].parent
    ck = load_newest_intact(RunDir(run).checkpoints_dir).checkpoint
    last = json.loads(metrics[0].read_text().splitlines()[-1])["step"]
    assert ck is not None and ck.step == last >= 20, out[-3000:]  # nothing trained was lost
    assert "Stopped at step" in out


def test_small_data_recipe_with_kinds_r1_and_msg_trains_in_two_processes(tmp_path):
    """The paths one process never takes apart: kinds sorted by rank 0 and broadcast, the conditional D through
    DDP, R1's gradient of a gradient through DDP, and MSG's pyramid as DDP's forward."""
    pytest.importorskip("torchvision")
    from studio.engine.gan.regimes import vgg16_installed

    if not vgg16_installed():
        pytest.skip("kinds need the VGG16 weights (make models)")
    data, run = _pictures(tmp_path / "pics"), tmp_path / "run"
    cmd = _torchrun(2, "-m", "studio", "train", "--data", str(data), "--preset", "lite32", "--kinds", "4", "--msg",
                    "--r1", "0.05", "--steps", "9", "--out", str(run), "--device", "cpu", "--quiet",
                    "--batch-size", "8")
    done = subprocess.run(cmd, env=_env(), cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    ck = load_newest_intact(RunDir(run).checkpoints_dir).checkpoint
    assert ck.step == 9 and ck.extra("kinds").shape == (48,) and int(ck.extra("kinds").max()) == 3
    assert any("to_rgb_low" in k for k in ck.tensors)  # MSG's heads trained
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert len(rows) == 9 and all(np.isfinite(r["loss_d"]) and np.isfinite(r["loss_g"]) for r in rows)
    assert (run / "kinds.png").is_file()  # rank 0 showed the kinds it found


def test_a_batch_that_does_not_split_is_refused_but_a_small_folder_is_rounded_down():
    """Checked where the batch is made (before any process group is touched)."""
    from studio.engine.data import PreparedImages
    from studio.engine.gan.distributed import Dist
    from studio.engine.gan.models import build_gan
    from studio.engine.gan.stepper import GanStepper
    from studio.engine.gan.trainer import TrainConfig

    three = Dist(rank=0, world=3, local_rank=0, backend="gloo")
    g, d = build_gan("lesson-mlp", 1)
    big = PreparedImages(np.zeros((100, 1, 28, 28), np.uint8))
    with pytest.raises(ValueError, match="does not split evenly over 3 processes"):
        GanStepper(TrainConfig.for_preset("lesson-mlp", batch_size=32, precision="fp32"), g, d, big,
                   torch.device("cpu"), dist=three)
    small = PreparedImages(np.zeros((20, 1, 28, 28), np.uint8))  # all 20 pictures: 18 split over 3
    s = GanStepper(TrainConfig.for_preset("lesson-mlp", batch_size=32, precision="fp32"), g, d, small,
                   torch.device("cpu"), dist=three)
    assert s.batch == 18 and s.noise().shape[0] == 6
