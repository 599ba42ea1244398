"""Every user file and number is checked before it costs memory or time (issue 14: 5, 6, 7, 9).

Generators here are built by the real engine at DCGAN-32 width 4 and written the way ``export_generator``
writes them, so the checks run against real weights without training."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pytest
import tqdm
from PIL import Image
from safetensors.torch import save_file

from studio import cli
from studio.engine.gan import models as models_mod
from studio.engine.gan.checkpoints import CheckpointError, load_checkpoint
from studio.engine.gan.trainer import GanTrainingJob, TrainConfig
from studio.engine.jobs import Preview, run_job
from studio.engine.latent import jobs as walk_jobs
from studio.engine.latent.jobs import (
    WalkExportJob,
    check_walk_fits,
    load_recipe,
    open_generator,
    verify_generator,
    walk_disk_bytes,
    walk_memory_bytes,
)
from studio.engine.latent.keyframes import Timeline, TimelineError
from studio.engine.schema import SchemaError

LATENT = 16


def make_generator(folder: Path, name: str = "gen", **meta_overrides) -> Path:
    """An exported DCGAN-32 (width 4) generator: weights + description with their SHA-256."""
    g, _ = models_mod.build_gan("dcgan32", 3, LATENT, 4, 32)
    path = folder / f"{name}.safetensors"
    save_file({k: v.contiguous() for k, v in g.state_dict().items()}, str(path), metadata={"format": "x"})
    meta = {"format": "gan-art-studio/generator", "version": 1, "preset": "dcgan32", "latent_dim": LATENT,
            "channels": 3, "image_size": 32, "width": 4, "step": 1, "weights": "raw",
            "weights_sha256": hashlib.sha256(path.read_bytes()).hexdigest(), **meta_overrides}
    path.with_suffix(".json").write_text(json.dumps(meta))
    return path


def flip_last_byte(path: Path) -> None:
    blob = bytearray(path.read_bytes())
    blob[-1] ^= 0xFF  # inside the tensor data: the header still parses, the picture would be noise
    path.write_bytes(bytes(blob))


@pytest.fixture(autouse=True)
def no_tqdm_monitor(monkeypatch):
    monkeypatch.setattr(tqdm.tqdm, "monitor_interval", 0)  # the CLI runs in-process here: no monitor thread


@pytest.fixture
def gen(tmp_path) -> Path:
    return make_generator(tmp_path)


# ------------------------------------------------------------------------------ 5. generators are verified

def test_a_byte_flipped_generator_is_refused_by_its_sha256(gen, tmp_path, capsys):
    open_generator(gen)  # intact: opens
    flip_last_byte(gen)
    with pytest.raises(CheckpointError, match="SHA-256 differs from the one in gen.json"):
        open_generator(gen)
    rc = cli.main(["walk", "--generator", str(gen), "--seeds", "1,2", "--frames", "2",
                   "--out", str(tmp_path / "w.gif"), "--quiet"])
    err = capsys.readouterr().err
    assert rc == 1 and "SHA-256 differs" in err and "Traceback" not in err
    assert not (tmp_path / "w.gif").exists()


def test_init_from_a_byte_flipped_generator_is_refused_before_training(gen, tmp_path):
    flip_last_byte(gen)
    cfg = TrainConfig.for_preset("dcgan32", data="demo", width=4, latent_dim=LATENT, batch_size=4, steps=1,
                                 demo_count=8, sample_every_s=1e9, checkpoint_every_min=0, device="cpu",
                                 metrics_every=0, init_from=str(gen))
    out = run_job(GanTrainingJob(cfg, tmp_path / "run"))
    assert out.error and "SHA-256 differs" in out.error


@pytest.mark.parametrize("field, value, words", [
    ("width", 200_000, "width must be a whole number between 0 and 4096"),
    ("latent_dim", 1e9, "latent_dim must be a whole number between 1 and 4096"),
    ("image_size", "big", "image_size must be a whole number"),
    ("channels", 7, "channels must be one of 1, 3"),
])
def test_a_crafted_description_is_refused_before_any_model_is_built(gen, monkeypatch, field, value, words):
    meta = json.loads(gen.with_suffix(".json").read_text())
    gen.with_suffix(".json").write_text(json.dumps({**meta, field: value}))
    built = []
    monkeypatch.setattr(models_mod, "build_gan", lambda *a, **k: built.append(a))
    monkeypatch.setattr(models_mod, "build_generator", lambda *a, **k: built.append(a))
    with pytest.raises(CheckpointError, match=words):
        open_generator(gen)
    assert built == []


def test_sizes_within_bounds_but_not_the_weights_are_refused_using_only_the_header(gen, monkeypatch):
    """A description that promises width 4096 (gigabytes when built) while the file holds width 4."""
    meta = json.loads(gen.with_suffix(".json").read_text())
    devices = []
    real = models_mod.build_generator  # what opening a generator builds (never a discriminator)

    def spy(*a, **k):
        g = real(*a, **k)
        devices.append(next(g.parameters()).device.type)
        return g

    monkeypatch.setattr(models_mod, "build_generator", spy)
    for field, value in (("width", 4096), ("latent_dim", 4096)):
        gen.with_suffix(".json").write_text(json.dumps({**meta, field: value}))
        with pytest.raises(CheckpointError, match="do not match the described architecture"):
            verify_generator(gen)
    assert devices and set(devices) == {"meta"}  # shapes compared without allocating the network


def test_a_checkpoint_json_naming_a_file_elsewhere_is_refused(tmp_path):
    ck = tmp_path / "step_0000001.json"
    ck.write_text(json.dumps({"format": "gan-art-studio/checkpoint", "version": 1, "step": 1,
                              "weights": "../../../etc/passwd", "weights_bytes": 1, "weights_sha256": "0" * 64}))
    with pytest.raises(CheckpointError, match="weights must be a plain file name"):
        load_checkpoint(ck)
    ck.write_text(json.dumps({"format": "gan-art-studio/checkpoint", "step": "one", "weights": "w.safetensors",
                              "weights_bytes": 1, "weights_sha256": "0" * 64}))
    with pytest.raises(CheckpointError, match="step must be a whole number"):
        load_checkpoint(ck)


# ------------------------------------------------------------------------------------- 6. walk bounds

@pytest.mark.parametrize("flags, words", [
    (["--frames", "0"], "frames per segment must be a whole number between 1 and 100000, not 0"),
    (["--frames", "10000000"], "frames per segment must be a whole number between 1 and 100000"),
    (["--size", "0"], "size must be a whole number between 16 and 4096, not 0"),
    (["--size", "100000"], "size must be a whole number between 16 and 4096, not 100000"),
    (["--fps", "0"], "frame rate must be a number above 0 and at most 240"),
    (["--fps", "nan"], "frame rate must be a number above 0 and at most 240"),
    (["--batch-size", "0"], "batch size must be a whole number between 1 and 4096"),
    (["--palette", "1"], "palette must be a whole number between 2 and 256"),
    (["--columns", "0"], "columns must be a whole number between 1 and 1024"),
])
def test_walk_flags_out_of_range_are_refused_not_replaced(gen, tmp_path, capsys, flags, words):
    out = tmp_path / "w.gif"
    rc = cli.main(["walk", "--generator", str(gen), "--seeds", "1,2", "--out", str(out), "--quiet", *flags])
    err = capsys.readouterr().err
    assert rc == 2 and words in err, err
    assert not out.exists()


def test_a_recipe_with_a_million_grid_columns_or_wrong_types_is_refused(gen, tmp_path):
    recipe = tmp_path / "walk.gif.json"
    base = {"format": "gan-art-studio/walk", "version": 1, "generator": {"path": str(gen), "sha256": ""},
            "timeline": Timeline.from_seeds([1, 2], 3).to_dict(),
            "output": {"format": "gif", "grid": {"cells": 4, "columns": 10 ** 6, "padding": 2}}}
    recipe.write_text(json.dumps(base))
    with pytest.raises(TimelineError, match=r"walk.gif.json: output.grid.columns must be a whole number"):
        load_recipe(recipe)
    base["output"] = {"size": "big"}
    recipe.write_text(json.dumps(base))
    with pytest.raises(TimelineError, match=r"output.size must be a whole number between 16 and 4096, not 'big'"):
        load_recipe(recipe)
    base["output"] = {}
    base["timeline"]["segments"][0]["frames"] = 10 ** 7
    recipe.write_text(json.dumps(base))
    with pytest.raises(TimelineError, match=r"timeline.segments\[0\].frames"):
        load_recipe(recipe)


def test_the_memory_and_disk_estimate_names_the_largest_value_that_fits(tmp_path):
    memory = 200 << 20
    with pytest.raises(Exception, match="at most ([0-9,]+) frames at 256 px") as err:
        check_walk_fits(5000, 32, 256, 3, "sprite-sheet", tmp_path / "s.sheet.png", memory=memory, disk=1 << 50)
    text = str(err.value)
    frames = int(text.split("at most ")[1].split(" frames")[0].replace(",", ""))
    budget = int(memory * walk_jobs.MEMORY_SHARE)
    assert walk_memory_bytes(frames, 32, 256, 3, "sprite-sheet") <= budget
    assert walk_memory_bytes(frames + 1, 32, 256, 3, "sprite-sheet") > budget
    side = int(text.split("a size of at most ")[1].split(" px")[0])
    assert walk_memory_bytes(5000, 32, side, 3, "sprite-sheet") <= budget
    assert walk_memory_bytes(5000, 32, side + 1, 3, "sprite-sheet") > budget
    disk = 50 << 20
    with pytest.raises(Exception, match="of disk space") as err:
        check_walk_fits(2000, 32, 512, 3, "png-sequence", tmp_path / "frames", memory=1 << 50, disk=disk)
    frames = int(str(err.value).split("at most ")[1].split(" frames")[0].replace(",", ""))
    assert walk_disk_bytes(frames, 512, 3, "png-sequence") <= disk < walk_disk_bytes(frames + 1, 512, 3,
                                                                                      "png-sequence")
    check_walk_fits(48, 32, 64, 3, "gif", tmp_path / "ok.gif", memory=1 << 30, disk=1 << 30)  # fits: no error


def test_an_export_that_would_not_fit_fails_before_rendering(gen, tmp_path, monkeypatch):
    monkeypatch.setattr(walk_jobs, "available_memory", lambda: 100 << 20)
    events = []
    tl = Timeline.from_seeds([1, 2], 20_000)
    out = run_job(WalkExportJob(gen, tl, tmp_path / "w.sheet.png", size=256), events.append)
    assert out.error and "at most" in out.error and "memory" in out.error
    assert not any(isinstance(e, Preview) for e in events)  # no frame was rendered
    assert not (tmp_path / "w.sheet.png").exists()


def test_job_arguments_are_checked_when_the_job_is_made(gen, tmp_path):
    for kwargs, words in (({"batch_size": 0}, "batch size"), ({"size": 8}, "size"),
                          ({"grid": 4, "grid_columns": 10 ** 6}, "columns"), ({"palette_colors": 0}, "palette")):
        with pytest.raises(Exception, match=words):
            WalkExportJob(gen, Timeline.from_seeds([1, 2], 3), tmp_path / "w.gif", **kwargs)


# --------------------------------------------------------------------------- 7. recipes and run configs

def test_a_style_recipe_with_wrong_types_or_nan_is_refused_naming_the_field(tmp_path):
    from studio.engine.style.gatys import RECIPE_KIND, StyleError
    from studio.engine.style.gatys import load_recipe as load_style

    p = tmp_path / "art.json"
    for data, words in (({"settings": [1, 2]}, "art.json: settings must be an object, not a list of 2 items"),
                        ({"settings": {"size": "big"}}, "art.json: settings.size must be a whole number"),
                        ({"style_blend": [0.5, float("nan")]}, r"art.json: style_blend\[1\] must be a number")):
        p.write_text(json.dumps({"kind": RECIPE_KIND, **data}))
        with pytest.raises(StyleError, match=words):
            load_style(p)


def test_a_garbage_config_json_on_resume_is_refused_in_words(tmp_path, capsys):
    data = {"preset": "dcgan32", "batch_size": "big", "latent_dim": 16}
    with pytest.raises(SchemaError, match="config.json: batch_size must be a whole number between 1 and 65536"):
        TrainConfig.from_saved_run(data)
    run = tmp_path / "run"
    cfg = TrainConfig.for_preset("dcgan32", data="demo", width=4, latent_dim=8, batch_size=4, steps=1, demo_count=8,
                                 sample_every_s=1e9, checkpoint_every_min=0, device="cpu", metrics_every=0)
    assert run_job(GanTrainingJob(cfg, run)).error is None
    saved = json.loads((run / "config.json").read_text())
    (run / "config.json").write_text(json.dumps({**saved, "batch_size": "big", "steps": 3}))
    rc = cli.main(["train", "--resume", str(run), "--quiet"])
    err = capsys.readouterr().err
    assert rc == 1 and "batch_size must be a whole number" in err and "Traceback" not in err


# ------------------------------------------------------------------------------------ 9. dataset edges

def picture(path: Path, seed: int) -> None:
    rng = np.random.default_rng(seed)
    Image.fromarray(rng.integers(0, 255, (16, 16, 3), dtype=np.uint8)).save(path)


@pytest.fixture
def messy_folder(tmp_path) -> Path:
    folder = tmp_path / "2024:summer"  # a ':' in the name (os.pathsep on Linux and macOS)
    folder.mkdir()
    for i in range(4):
        picture(folder / f"p{i}.png", i)
    os.symlink(folder / "moved-away.png", folder / "gone.png")
    os.symlink(folder / "loop.png", folder / "loop.png")
    (folder / "photo.heic").write_bytes(b"\0\0\0\x18ftypheic")
    (folder / "drawing.svg").write_text("<svg/>")
    (folder / "notes.txt").write_text("not a picture, not worth a word")
    return folder


def test_dangling_links_loops_and_unsupported_pictures_are_skipped_with_reasons(messy_folder):
    from studio.engine.data import PrepSpec, open_data_source

    data = open_data_source(str(messy_folder), PrepSpec(size=16, channels=3))
    assert len(data) == 4
    reasons = {Path(s.path).name: s.reason for s in data.skipped}
    assert set(reasons) == {"gone.png", "loop.png", "photo.heic", "drawing.svg"}
    assert "no longer exists" in reasons["gone.png"] and "loop" in reasons["loop.png"]
    assert "HEIC" in reasons["photo.heic"] and "PNG or JPEG" in reasons["photo.heic"]
    assert "SVG" in reasons["drawing.svg"]


def test_a_folder_named_like_a_picture_is_reported_when_sub_folders_are_not_read(tmp_path):
    from studio.engine.images import find_image_files

    picture(tmp_path / "a.png", 0)
    (tmp_path / "x.png").mkdir()
    picture(tmp_path / "x.png" / "inside.png", 1)
    flat = find_image_files(tmp_path, recursive=False)
    assert [p.name for p in flat.files] == ["a.png"]
    assert [(s.path.name, s.kind) for s in flat.skipped] == [("x.png", "not-image")]
    deep = find_image_files(tmp_path, recursive=True)
    assert sorted(p.name for p in deep.files) == ["a.png", "inside.png"] and not deep.skipped


def test_paths_with_the_separator_in_a_folder_name_stay_whole(messy_folder, tmp_path):
    from studio.engine.data import split_source_paths

    other = tmp_path / "other"
    other.mkdir()
    assert split_source_paths(str(messy_folder)) == [str(messy_folder)]
    joined = os.pathsep.join([str(messy_folder), str(other)])
    assert split_source_paths(joined) == [str(messy_folder), str(other)]
    assert split_source_paths(os.pathsep.join([str(other), str(tmp_path / "missing")])) == \
        [str(other), str(tmp_path / "missing")]


def test_cli_train_lists_each_skipped_file_and_why(messy_folder, tmp_path, capsys):
    rc = cli.main(["train", "--data", str(messy_folder), "--preset", "dcgan32", "--width", "4", "--latent-dim", "8",
                   "--batch-size", "4", "--steps", "1", "--out", str(tmp_path / "run"), "--device", "cpu",
                   "--metrics-every", "0", "--no-health", "--quiet"])
    out = capsys.readouterr()
    assert rc == 0, out.err
    lines = out.out.splitlines()
    for name, words in (("gone.png", "no longer exists"), ("loop.png", "loop"), ("photo.heic", "HEIC"),
                        ("drawing.svg", "SVG")):
        assert any(name in line and words in line for line in lines), out.out
