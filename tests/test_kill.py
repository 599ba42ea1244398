"""Kill tests: `python -m studio train` on the built-in demo data, killed at random moments.

SIGKILL (power cut, OOM killer) may cost the steps since the last checkpoint but never an earlier file;
SIGTERM (logout, `kill`, a cluster's pre-emption) costs nothing: the run stops and saves like Ctrl+C.
The moments are random on purpose (the seed is in every failure message, to replay one).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from studio.engine.gan.checkpoints import checkpoint_candidates, load_newest_intact
from studio.engine.runs import RunDir, lock_holder

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def start(run: Path, *extra: str) -> subprocess.Popen:
    # checkpoints every ~0.25 s so a random moment often falls inside one being written
    cmd = [sys.executable, "-m", "studio", "train", "--preset", "dcgan32", "--width", "8", "--batch-size", "8",
           "--checkpoint-every", "0.004", "--sample-every", "7", "--quiet", *extra]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)


def wait_for(cond, proc: subprocess.Popen, what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if proc.poll() is not None:
            raise AssertionError(f"training ended before {what}: {proc.communicate()[1][-2000:]}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


def snapshot(run: Path) -> dict:
    """The files that exist completely now: config, sample grids, complete metric lines, checkpoint steps."""
    rd = RunDir(run)
    text = rd.metrics_path.read_text()
    return {"config": rd.config_path.read_bytes(),
            "samples": {p.name: p.read_bytes() for _, p in rd.sample_grids()},
            "metrics": text[: text.rfind("\n") + 1],
            "newest": max((s for s, _ in checkpoint_candidates(rd.checkpoints_dir)), default=0)}


def assert_earlier_files_intact(run: Path, before: dict, why: str) -> int:
    rd = RunDir(run)
    assert rd.config_path.read_bytes() == before["config"], why
    for name, data in before["samples"].items():
        assert (rd.samples_dir / name).read_bytes() == data, (why, name)
    assert rd.metrics_path.read_text().startswith(before["metrics"]), why
    found = load_newest_intact(rd.checkpoints_dir)
    assert found.damaged == [], (why, found.damaged)  # no committed checkpoint is ever half-written
    assert found.step >= before["newest"], why  # nothing that was saved is lost
    assert lock_holder(run) is None, why  # the dead process's lock died with it
    return found.step


def resume_to(run: Path, steps: int, why: str) -> str:
    r = subprocess.run([sys.executable, "-m", "studio", "train", "--resume", str(run), "--steps", str(steps),
                        "--quiet"], capture_output=True, text=True, env=ENV, timeout=240)
    assert r.returncode == 0, (why, r.stderr[-2000:])
    return r.stdout


def test_sigkill_at_a_random_moment_loses_at_most_the_steps_since_the_last_checkpoint(tmp_path):
    seed = int.from_bytes(os.urandom(4), "little")
    rng = random.Random(seed)
    during_write = rng.random() < 0.6
    why = f"seed {seed}, {'while writing a checkpoint' if during_write else 'at a random moment'}"
    run = tmp_path / "run"
    proc = start(run, "--data", "demo", "--steps", "0", "--out", str(run))
    try:
        ckd = run / "checkpoints"
        wait_for(lambda: len(checkpoint_candidates(ckd)) >= 2, proc, "two checkpoints")
        time.sleep(rng.uniform(0, 0.6))
        before = snapshot(run)
        if during_write:  # the moment a temp file appears, the checkpoint is being written
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and not any(n.endswith(".tmp") for n in os.listdir(ckd)):
                time.sleep(0.0005)
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    finally:
        proc.kill()
        proc.communicate()
    last_logged = RunDir(run).read_metrics()[-1]["step"]
    kept = assert_earlier_files_intact(run, before, why)
    assert kept <= last_logged, why
    out = resume_to(run, last_logged + 3, why)
    assert f"Resumed at step {kept}" in out, (why, out)
    steps = [r["step"] for r in RunDir(run).read_metrics()]
    assert steps == list(range(1, last_logged + 4)), why  # replayed steps appear once
    leftovers = [p.name for p in (run / "checkpoints").iterdir() if p.name.endswith(".tmp")]
    assert leftovers == [], why
    weights = {p.stem for p in (run / "checkpoints").glob("step_*.safetensors")}
    assert weights == {p.stem for p in (run / "checkpoints").glob("step_*.json")}, why  # no orphans


def test_sigterm_at_a_random_moment_loses_nothing(tmp_path):
    seed = int.from_bytes(os.urandom(4), "little")
    rng = random.Random(seed)
    why = f"seed {seed}"
    run = tmp_path / "run"
    proc = start(run, "--data", "demo", "--steps", "0", "--out", str(run))
    try:
        wait_for(lambda: len(RunDir(run).read_metrics()) >= 3, proc, "training steps")
        time.sleep(rng.uniform(0, 1.0))
        before = snapshot(run)
        proc.send_signal(signal.SIGTERM)
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 128 + signal.SIGTERM, (why, stderr[-2000:])
    last_logged = RunDir(run).read_metrics()[-1]["step"]
    assert f"Stopped at step {last_logged}" in stdout, (why, stdout)
    kept = assert_earlier_files_intact(run, before, why)
    assert kept == last_logged, why  # the stop saved the very last step
    out = resume_to(run, last_logged + 2, why)
    assert f"Resumed at step {last_logged}" in out, (why, out)
    assert [r["step"] for r in RunDir(run).read_metrics()] == list(range(1, last_logged + 3)), why
