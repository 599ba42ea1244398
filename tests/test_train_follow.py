"""A run another process owns is only read by the Train page (issue 14): the page says who holds it, shows
its curves and grids as they grow, never offers to continue it, and lines it up once the lock is free.
Also: the step a run continues from is the newest *intact* checkpoint, and a damaged newest one is said."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("pytestqt")

from studio.engine.gan.trainer import GanTrainingJob, TrainConfig  # noqa: E402
from studio.engine.jobs import run_job  # noqa: E402
from studio.engine.runs import RunDir, lock_holder  # noqa: E402
from studio.ui.job_runner import JobRunner  # noqa: E402
from studio.ui.train.page import TrainPage  # noqa: E402

WAIT = 30_000
HOLD = """
import sys, time
from studio.engine.runs import RunLock
lock = RunLock(sys.argv[1], command="python -m studio train --data demo")
lock.acquire()
print("held", flush=True)
sys.stdin.read()  # hold until the test closes our stdin (or kills us)
"""


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
    assert not page.follower.timer.isActive()


def tiny_run(path: Path, steps: int = 2) -> Path:
    cfg = TrainConfig.for_preset("lite32", data="demo", width=4, batch_size=8, steps=steps, demo_count=16,
                                 sample_every_s=1e9, checkpoint_every_min=0, device="cpu", grid_count=4,
                                 metrics_every=0)
    out = run_job(GanTrainingJob(cfg, path))
    assert out.error is None, out.error
    return path


@pytest.fixture
def holder():
    """A real second process holding a run's lock, as a terminal `python -m studio train` would."""
    procs = []

    def hold(run: Path) -> subprocess.Popen:
        proc = subprocess.Popen([sys.executable, "-c", HOLD, str(run)], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True)
        procs.append(proc)
        assert proc.stdout.readline().strip() == "held"
        return proc

    yield hold
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)


def append_metrics(run: Path, steps: range) -> None:
    with open(RunDir(run).metrics_path, "a", encoding="utf-8") as fh:
        for s in steps:
            fh.write(json.dumps({"step": s, "loss_g": 1.0 + s / 100, "loss_d": 0.5, "d_real": 0.6, "d_fake": 0.4})
                     + "\n")


def test_a_run_another_process_holds_is_followed_read_only_until_it_is_free(qtbot, page, holder, tmp_path):
    run = tiny_run(tmp_path / "run")
    proc = holder(run)
    page.follower.timer.setInterval(100)

    def owned_files() -> dict:
        """What only the run's owner writes: settings, checkpoints, health."""
        rd = RunDir(run)
        files = [rd.config_path, *sorted(rd.checkpoints_dir.rglob("*"))]
        return {str(p): p.stat().st_mtime_ns for p in files if p.is_file()}

    before = owned_files()
    assert not page.resume_run(run)
    sentence = lock_holder(run)
    assert sentence and str(proc.pid) in sentence
    # The artist reads who holds it, and cannot continue or start anything on it.
    assert page.follower.is_following()
    assert sentence in page.start_hint.text() and page.start_hint.isVisible()
    assert str(proc.pid) in page.resume_text.text() and page.resume_banner.isVisible()
    assert not page.start_button.isEnabled()
    assert page._resume_dir is None
    # Its curves and grids are on show, and keep up as the other process writes more.
    qtbot.waitUntil(lambda: len(page.plots.curve_data("loss_g", smoothed=False)[0]) == 2, timeout=WAIT)
    append_metrics(run, range(3, 8))
    qtbot.waitUntil(lambda: len(page.plots.curve_data("loss_g", smoothed=False)[0]) == 7, timeout=WAIT)
    assert page.samples.current_image() is not None
    Image.fromarray(np.full((20, 20, 3), 200, np.uint8)).save(RunDir(run).samples_dir / "step_0000007.png")
    qtbot.waitUntil(lambda: page.samples.current_step == 7, timeout=WAIT)
    assert not page.start_button.isEnabled()
    assert owned_files() == before  # the page only read the run

    proc.kill()  # the terminal run ends (even by a kill): the OS frees the lock
    proc.wait(10)
    qtbot.waitUntil(lambda: page._resume_dir is not None, timeout=WAIT)
    assert not page.follower.is_following()
    assert page.start_button.isEnabled() and page.start_button.text() == "Continue run"
    assert any("free now" in n for n in page.notices())


def test_a_run_locked_after_it_was_lined_up_is_not_continued(qtbot, page, holder, tmp_path):
    run = tiny_run(tmp_path / "run")
    assert page.resume_run(run)
    assert page.start_button.isEnabled()
    proc = holder(run)  # a terminal started training it meanwhile
    page.start_training()
    assert not page.runner.is_running()
    assert page.follower.is_following() and str(proc.pid) in page.start_hint.text()
    assert not page.start_button.isEnabled()


def test_a_damaged_newest_checkpoint_is_said_and_the_intact_step_shown(qtbot, page, tmp_path):
    run = tiny_run(tmp_path / "run", steps=2)
    first = RunDir(run).latest_checkpoint()
    # A second, newer checkpoint whose weights were cut short (a crash during the write, a bad disk).
    newer_json = first.parent / "step_0000009.json"
    meta = json.loads(first.read_text(encoding="utf-8"))
    weights = (first.parent / meta["weights"]).read_bytes()
    meta.update(step=9, weights="step_0000009.safetensors")
    newer_json.write_text(json.dumps(meta), encoding="utf-8")
    (first.parent / "step_0000009.safetensors").write_bytes(weights[: len(weights) // 2])

    assert page.resume_run(run)
    assert page._resume_step == 2
    assert "from step 2" in page.resume_text.text()
    assert any("damaged" in n and "step 9" in n and "7 steps lost" in n for n in page.notices())


def test_a_run_whose_every_checkpoint_is_damaged_is_refused_in_words(page, tmp_path):
    run = tiny_run(tmp_path / "run")
    ckpt = RunDir(run).latest_checkpoint()
    meta = json.loads(ckpt.read_text(encoding="utf-8"))
    (ckpt.parent / meta["weights"]).write_bytes(b"not weights")
    assert not page.resume_run(run)
    assert "cannot be continued" in page.error_message() and "damaged" in page.error_message()


# A run folder synced here from a GPU machine (rsync, Syncthing, a network drive): its lock file's text names that
# host, but no process here holds the OS lock. This writer adds what the run there writes, as the sync delivers it.
REMOTE = """
import json, sys, time
from pathlib import Path
run = Path(sys.argv[1])
(run / ".lock").write_text(json.dumps({"pid": 4242, "host": "gpu-box", "command": "torchrun -m studio train",
                                       "started": "2026-12-06 10:00:00"}))
print("ready", flush=True)
for line in sys.stdin:
    what = line.strip()
    if what == "metrics":
        with open(run / "metrics.jsonl", "a") as fh:
            for s in range(3, 6):
                fh.write(json.dumps({"step": s, "loss_g": 1.0, "loss_d": 0.5, "d_real": 0.6, "d_fake": 0.4}) + "\\n")
            fh.write('{"step": 6, "loss_g": 1.0, "lo')  # torn: the sync delivered half a line
    elif what == "rest":
        with open(run / "metrics.jsonl", "a") as fh:
            fh.write('ss_d": 0.5, "d_real": 0.6, "d_fake": 0.4}\\n')
        event = {"code": "d_winning", "step": 6, "title": "The discriminator is winning",
                 "explanation": "D is sure of every picture.", "level": "warning", "remedies": []}
        with open(run / "health.jsonl", "a") as fh:
            fh.write(json.dumps(event) + "\\n")
    elif what == "stop":
        (run / ".lock").write_text("")  # the run there ended and released its lock
    print("done", flush=True)
"""


def test_a_run_training_on_another_machine_is_followed_from_its_synced_folder(qtbot, page, tmp_path):
    import torch

    from studio.engine.latent.jobs import open_generator
    from studio.engine.runs import RunLock, RunLockedError

    run = tiny_run(tmp_path / "run")
    proc = subprocess.Popen([sys.executable, "-c", REMOTE, str(run)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"

        def tell(what: str) -> None:
            proc.stdin.write(what + "\n")
            proc.stdin.flush()
            assert proc.stdout.readline().strip() == "done"

        def everything() -> dict:
            return {str(p): (p.stat().st_size, p.stat().st_mtime_ns) for p in run.rglob("*") if p.is_file()}

        page.follower.timer.setInterval(100)
        assert "gpu-box" in lock_holder(run)
        with pytest.raises(RunLockedError, match="gpu-box"):  # nobody here may write into it
            RunLock(run).acquire()
        assert not page.resume_run(run)
        assert page.follower.is_following() and "gpu-box" in page.resume_text.text()
        assert not page.start_button.isEnabled()
        qtbot.waitUntil(lambda: len(page.plots.curve_data("loss_g", smoothed=False)[0]) == 2, timeout=WAIT)
        tell("metrics")
        qtbot.waitUntil(lambda: len(page.plots.curve_data("loss_g", smoothed=False)[0]) == 5, timeout=WAIT)
        assert page.error_banner.isHidden()  # the torn line is not an error, only not there yet
        before = everything()
        tell("rest")
        qtbot.waitUntil(lambda: len(page.plots.curve_data("loss_g", smoothed=False)[0]) == 6, timeout=WAIT)
        qtbot.waitUntil(lambda: page.small_data.health.card("d_winning") is not None, timeout=WAIT)
        # Explore can open what it has learned so far, while it trains there
        g, info = open_generator(run)
        assert info.step == 2 and g(torch.randn(2, info.latent_dim)).shape[0] == 2
        after = everything()
        changed = {p for p in after if before.get(p) != after[p]}
        assert changed == {str(run / "metrics.jsonl"), str(run / "health.jsonl")}  # only the writer's own
        assert not page.start_button.isEnabled()
        tell("stop")
        qtbot.waitUntil(lambda: page._resume_dir is not None, timeout=WAIT)
        assert page.start_button.isEnabled() and page.start_button.text() == "Continue run"
    finally:
        proc.kill()
        proc.wait(10)


def test_a_synced_lock_whose_run_fell_silent_does_not_strand_the_run(tmp_path):
    import os
    import time

    from studio.engine.runs import REMOTE_QUIET_S, RunLock, last_news

    run = tiny_run(tmp_path / "run")
    (run / ".lock").write_text(json.dumps({"pid": 1, "host": "gpu-box", "started": "2026-12-06 10:00:00"}))
    assert "gpu-box" in lock_holder(run)
    old = time.time() - REMOTE_QUIET_S - 60  # the machine there crashed an hour ago: no news since
    for p in run.rglob("*"):
        os.utime(p, (old, old))
    os.utime(run / ".lock", (old, old))
    assert last_news(run) == pytest.approx(old, abs=2)
    assert lock_holder(run) is None
    with RunLock(run):
        assert "gpu-box" not in (run / ".lock").read_text()
