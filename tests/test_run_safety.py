"""Run folders never lose work: one owner per run, damaged checkpoints, stranded runs, disk room, train flags."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import studio.engine.gan.checkpoints as ck
from studio import cli
from studio.engine.gan.checkpoints import (
    export_generator,
    load_checkpoint,
    load_newest_intact,
    save_checkpoint,
)
from studio.engine.gan.trainer import GanTrainingJob, TrainConfig
from studio.engine.jobs import Notice, run_job
from studio.engine.runs import RunDir, RunLock, RunLockedError, lock_holder

ROOT = Path(__file__).resolve().parents[1]


def tiny(**kw) -> TrainConfig:
    base = dict(data="demo", width=4, batch_size=8, steps=3, demo_count=32, sample_every_s=1e9,
                checkpoint_every_min=0, device="cpu", grid_count=4, metrics_every=0)
    base.update(kw)
    return TrainConfig.for_preset("dcgan32", **base)


def notices(events) -> list[str]:
    return [e.text for e in events if isinstance(e, Notice)]


def train(run: Path, resume=False, **kw):
    events = []
    out = run_job(GanTrainingJob(tiny(**kw), run, resume=resume), events.append)
    return out, notices(events)


# ------------------------------------------------------------------------------------ one owner per run

def test_a_second_owner_is_refused_with_who_holds_it(tmp_path):
    run = tmp_path / "r"
    with RunLock(run, command="python -m studio train --out r"):
        with pytest.raises(RunLockedError, match=f"in use by process {os.getpid()}.*studio train --out r"):
            RunLock(run).acquire(tries=1)
        assert f"process {os.getpid()}" in lock_holder(run)
        # a training job (GUI or CLI alike) is refused before it writes anything
        out, _ = train(run)
        assert out.error and "in use by process" in out.error and "RunLockedError" not in out.error
        assert not (run / "config.json").exists()
    assert lock_holder(run) is None
    out, _ = train(run)  # free again: the job takes and releases it
    assert out.error is None, out.details
    assert lock_holder(run) is None and RunDir(run).holder() is None


def test_the_lock_dies_with_its_process(tmp_path):
    run = tmp_path / "r"
    code = ("import sys, time; from studio.engine.runs import RunLock; RunLock(sys.argv[1], 'holder-test').acquire(); "
            "print('locked', flush=True); time.sleep(60)")
    proc = subprocess.Popen([sys.executable, "-c", code, str(run)], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert proc.stdout.readline().strip() == "locked"
        assert f"process {proc.pid} (holder-test)" in lock_holder(run)
        with pytest.raises(RunLockedError, match=str(proc.pid)):
            RunLock(run).acquire(tries=1)
    finally:
        proc.kill()
        proc.wait(10)
    assert lock_holder(run) is None  # SIGKILL left no stale lock behind
    with RunLock(run):
        assert RunLock(run).path.is_file()


# ------------------------------------------------------------------------------------ damaged checkpoints

def _two_checkpoints(run: Path) -> None:
    assert train(run, steps=3)[0].error is None
    assert train(run, resume=True, steps=6)[0].error is None
    assert [p.name for p in sorted((run / "checkpoints").glob("step_*.json"))] == \
        ["step_0000003.json", "step_0000006.json"]


@pytest.mark.parametrize("damage", ["flip", "truncate"])
def test_a_damaged_newest_checkpoint_falls_back_and_says_what_is_lost(tmp_path, damage):
    run = tmp_path / "r"
    _two_checkpoints(run)
    w = run / "checkpoints" / "step_0000006.safetensors"
    data = bytearray(w.read_bytes())
    if damage == "flip":
        data[len(data) // 2] ^= 0x01
    else:
        del data[len(data) // 3:]
    w.write_bytes(bytes(data))
    found = load_newest_intact(run / "checkpoints")
    assert found.step == 3 and found.steps_lost == 3
    out, said = train(run, resume=True, steps=8)
    assert out.error is None, out.details
    line = [t for t in said if "damaged" in t]
    assert len(line) == 1 and "step 6" in line[0] and "step 3" in line[0] and "3 steps lost" in line[0]
    assert out.result.step == 8
    assert [r["step"] for r in RunDir(run).read_metrics()] == list(range(1, 9))
    # the damaged one is kept aside, never again taken for the newest
    assert (run / "checkpoints" / "damaged" / "step_0000006.safetensors").is_file()
    assert load_newest_intact(run / "checkpoints").damaged == []
    assert export_generator(run, tmp_path / "g").is_file()


def test_every_checkpoint_damaged_is_refused_in_words(tmp_path):
    run = tmp_path / "r"
    assert train(run, steps=2)[0].error is None
    w = run / "checkpoints" / "step_0000002.safetensors"
    w.write_bytes(w.read_bytes()[:50])
    out, _ = train(run, resume=True, steps=4)
    assert out.error and "damaged" in out.error and "Error" not in out.error.split()[0]


def test_stale_temp_files_and_orphan_weights_are_removed_at_the_next_start(tmp_path):
    run = tmp_path / "r"
    assert train(run, steps=2)[0].error is None
    ckd = run / "checkpoints"
    junk = [ckd / ".step_0000004.safetensors.k2j3h4.tmp", ckd / "step_0000004.safetensors",
            run / "samples" / ".step_0000004.png.x8a1.tmp", run / ".metrics.jsonl.q1w2.tmp"]
    for p in junk:
        p.write_bytes(b"\0" * 4096)
    out, said = train(run, resume=True, steps=3)
    assert out.error is None, out.details
    assert [p for p in junk if p.exists()] == []
    assert any("Removed 4 unfinished" in t for t in said)
    assert load_checkpoint(RunDir(run).latest_checkpoint()).step == 3


def _save(ckd: Path, step: int, keep: int = 3) -> Path:
    torch.manual_seed(step)
    return save_checkpoint(ckd, step, modules={"G": torch.nn.Linear(64, 64)}, optimizers={}, extra_tensors={},
                           state={"step": step}, keep=keep)


def test_a_nearly_full_disk_makes_room_first_but_keeps_the_newest_intact_checkpoint(tmp_path, monkeypatch):
    ckd = tmp_path / "checkpoints"
    for step in (1, 2, 3):
        _save(ckd, step)
    w3 = ckd / "step_0000003.safetensors"  # the newest is damaged: step 2 is the only good one left
    data = bytearray(w3.read_bytes())
    data[-5] ^= 0xFF
    w3.write_bytes(bytes(data))
    one = sum(f.stat().st_size for f in ckd.glob("step_0000001.*"))

    def used() -> int:
        return sum(f.stat().st_size for f in ckd.iterdir() if f.is_file())

    # a disk with room for exactly what is there now minus one checkpoint's worth, plus the margin:
    # writing step 4 needs two old checkpoints gone first
    capacity = used() - one + ck.SPACE_MARGIN + 2048
    seen = []

    def free(_folder):
        seen.append(sorted(p.name for p in ckd.glob("step_*.json")))
        return capacity - used()

    monkeypatch.setattr(ck, "_free_bytes", free)
    _save(ckd, 4)
    assert seen[0] == ["step_0000001.json", "step_0000002.json", "step_0000003.json"]
    assert sorted(p.name for p in ckd.glob("step_*.json")) == ["step_0000002.json", "step_0000004.json"]
    assert load_checkpoint(ckd / "step_0000002.json").step == 2
    assert load_checkpoint(ckd / "step_0000004.json").step == 4


def test_a_failed_json_write_leaves_no_orphan_weights(tmp_path, monkeypatch):
    ckd = tmp_path / "checkpoints"
    _save(ckd, 1)

    def full(path, obj):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(ck, "atomic_write_json", full)
    with pytest.raises(OSError):
        _save(ckd, 2)
    assert sorted(p.name for p in ckd.iterdir()) == ["step_0000001.json", "step_0000001.safetensors"]


# ------------------------------------------------------------------------------------ stranded runs, early checkpoint

def test_a_run_killed_before_its_first_checkpoint_starts_again(tmp_path):
    run = tmp_path / "r"
    assert train(run, steps=2)[0].error is None
    for p in (run / "checkpoints").iterdir():  # as if killed before the first checkpoint
        p.unlink()
    out, said = train(run, resume=True, steps=3)
    assert out.error is None, out.details
    assert any("no checkpoint yet: starting it again" in t for t in said)
    assert out.result.step == 3 and [r["step"] for r in RunDir(run).read_metrics()] == [1, 2, 3]
    for p in (run / "checkpoints").iterdir():
        p.unlink()
    out, said = train(run, steps=2)  # `--out` the same folder
    assert out.error is None, out.details
    assert any("had no checkpoint yet: starting it over" in t for t in said)
    assert [s for s, _ in RunDir(run).sample_grids()] == [0, 2]
    out, _ = train(run, steps=2)  # now it has one: a new run there would mix two runs
    assert out.error and "already holds a run" in out.error


def test_the_first_checkpoint_comes_early_and_a_failed_save_does_not_stop_training(tmp_path, monkeypatch):
    import studio.engine.gan.trainer as tr

    real = tr.save_checkpoint
    calls = []

    def flaky(*a, **kw):
        calls.append(a[1])
        if len(calls) == 1:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(*a, **kw)

    monkeypatch.setattr(tr, "save_checkpoint", flaky)
    events = []
    job = GanTrainingJob(tiny(steps=10, checkpoint_every_min=60), tmp_path / "r", first_checkpoint_steps=3,
                         first_checkpoint_s=3600)
    out = run_job(job, events.append)
    assert out.error is None, out.details
    said = notices(events)
    assert any("Could not save a checkpoint at step 3" in t and "disk is full" in t for t in said)
    assert "Checkpoint saved at step 6" in said  # still none on disk: tried again as early as the first
    assert calls == [3, 6, 10]


# ------------------------------------------------------------------------------------ the train command

@pytest.mark.parametrize("flags, words", [
    (["--batch-size", "0"], "--batch-size 0 is out of range"),
    (["--width", "0"], "--width 0 is out of range"),
    (["--steps", "-5"], "--steps -5"),
    (["--lr-g", "nan"], "--lr-g must be a number"),
    (["--latent-dim", "1000000"], "--latent-dim 1e+06 is out of range"),
    (["--checkpoint-every", "0"], "--checkpoint-every 0"),
    (["--preset", "lesson-mlp", "--width", "8"], "--width does not apply to lesson-mlp"),
])
def test_absurd_train_flags_are_refused_in_one_sentence(tmp_path, capsys, flags, words):
    rc = cli.main(["train", "--data", "demo", "--out", str(tmp_path / "r"), "--quiet", *flags])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and words in err and len(err.splitlines()) == 1 and err.startswith("error: ")
    assert not (tmp_path / "r").exists()


def test_an_unwritable_export_path_is_refused_before_training(tmp_path, capsys):
    rc = cli.main(["train", "--data", "demo", "--out", str(tmp_path / "r"), "--quiet",
                   "--export-generator", str(tmp_path / "missing" / "g")])
    err = capsys.readouterr().err
    assert rc == 2 and "does not exist" in err and "nothing was trained" in err
    assert not (tmp_path / "r").exists()


def test_a_failed_export_after_training_goes_to_the_workspace(tmp_path, monkeypatch):
    run = tmp_path / "r"
    assert train(run, steps=2)[0].error is None
    monkeypatch.setenv("GAN_STUDIO_WORKSPACE", str(tmp_path / "ws"))
    blocker = tmp_path / "was-a-folder"
    blocker.write_text("a file now")  # the folder was replaced by a file while training ran
    out, line = cli._export_with_fallback(export_generator, run, blocker / "g.safetensors", use_ema=True)
    assert out == tmp_path / "ws" / "exports" / "g.safetensors" and out.is_file()
    assert out.with_suffix(".json").is_file()
    assert str(blocker / "g.safetensors") in line and str(out) in line
    out2, _ = cli._export_with_fallback(export_generator, run, blocker / "g.safetensors", use_ema=True)
    assert out2.name == "g-2.safetensors"  # never over an earlier export
