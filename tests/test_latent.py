"""Latent walks: interpolation, easing, timelines and loops, rendering, GIF/MP4/PNG export, recipes, CLI."""

from __future__ import annotations

import errno
import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest
import torch
from PIL import Image

from studio.engine import export as export_mod
from studio.engine.export import (
    ExportError,
    estimate_gif_bytes,
    gif_frame_ms,
    write_gif,
    write_mp4,
    write_png_sequence,
    write_sprite_sheet,
)
from studio.engine.gan.checkpoints import CheckpointError, export_generator, load_generator
from studio.engine.gan.trainer import GanTrainingJob, TrainConfig
from studio.engine.jobs import Cancelled, JobToken, Progress, run_job
from studio.engine.latent import (
    EASINGS,
    Keyframe,
    Segment,
    Timeline,
    TimelineError,
    Wander,
    ease,
    frame_latents,
    lerp,
    noise_loop,
    seed_latent,
    slerp,
    variations,
)
from studio.engine.latent.jobs import WalkExportJob, infer_format, load_recipe, open_generator, recipe_path
from studio.engine.latent.render import render_frames, render_grid_walk, render_one, tile_frames

ROOT = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> tuple[Path, Path]:
    """A real run (2 steps of DCGAN-32, width 4, on the demo data) and its exported generator."""
    root = tmp_path_factory.mktemp("walk-gen")
    cfg = TrainConfig.for_preset("dcgan32", data="demo", width=4, batch_size=8, steps=2, demo_count=32,
                                 latent_dim=16, sample_every_s=1e9, checkpoint_every_min=0, device="cpu",
                                 grid_count=4)
    out = run_job(GanTrainingJob(cfg, root / "run"))
    assert out.error is None, out.details
    gen = export_generator(root / "run", root / "gen.safetensors")
    return root / "run", gen


@pytest.fixture
def gen_path(trained, tmp_path) -> Path:
    """A private copy of the exported generator, so tests can check exactly what lands in their folder."""
    src = trained[1]
    dst = tmp_path / "gen.safetensors"
    shutil.copy(src, dst)
    shutil.copy(src.with_suffix(".json"), dst.with_suffix(".json"))
    return dst


def frames_rgb(n: int = 6, size: int = 16) -> np.ndarray:
    """Distinct, smooth test frames (a moving gradient) as uint8 N×H×W×3."""
    y, x = np.mgrid[0:size, 0:size]
    out = []
    for i in range(n):
        r = (x * 255 // (size - 1) + i * 20) % 256
        g = (y * 255 // (size - 1)) % 256
        b = np.full_like(x, (i * 37) % 256)
        out.append(np.stack([r, g, b], -1).astype(np.uint8))
    return np.stack(out)


def files_in(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


# ---------------------------------------------------------------- interpolation

def test_slerp_endpoints_and_norms_for_gaussian_latents():
    a, b = seed_latent(3, 512), seed_latent(17, 512)
    ts = torch.linspace(0, 1, 11)
    path = slerp(a, b, ts)
    assert path.shape == (11, 512)
    assert torch.allclose(path[0], a, atol=1e-5) and torch.allclose(path[-1], b, atol=1e-5)
    norms = path.norm(dim=1)
    lo, hi = min(a.norm(), b.norm()), max(a.norm(), b.norm())
    assert bool((norms >= lo - 1e-3).all() and (norms <= hi + 1e-3).all())
    # lerp's midpoint of two Gaussian samples is ~1/sqrt(2) as long: the reason slerp is the default
    assert lerp(a, b, 0.5).norm() < 0.8 * lo
    # scalar t returns one vector; t=0.5 is equidistant (in angle) from both ends
    mid = slerp(a, b, 0.5)
    assert mid.shape == (512,)
    cos = torch.nn.functional.cosine_similarity
    assert abs(float(cos(mid, a, dim=0) - cos(mid, b, dim=0))) < 1e-4


def test_slerp_is_safe_for_parallel_and_opposite_vectors():
    a = seed_latent(1, 64)
    same = slerp(a, a * 1.0000001, torch.linspace(0, 1, 5))
    assert torch.isfinite(same).all() and torch.allclose(same, a.expand(5, -1), atol=1e-4)
    opposite = slerp(a, -a, torch.linspace(0, 1, 9))
    assert torch.isfinite(opposite).all()
    assert torch.allclose(opposite[0], a, atol=1e-5) and torch.allclose(opposite[-1], -a, atol=1e-5)
    assert float(opposite.norm(dim=1).min()) > 0.99 * float(a.norm())  # never through the zero latent
    steps = (opposite[1:] - opposite[:-1]).norm(dim=1)
    assert float(steps.max()) < 1.2 * float(steps.min())  # and at an even pace
    zero = slerp(torch.zeros(8), torch.ones(8), 0.5)
    assert torch.allclose(zero, torch.full((8,), 0.5))


def test_easing_curves():
    t = torch.linspace(0, 1, 101)
    for name in EASINGS:
        y = ease(name, t)
        assert float(y[0]) == 0.0, name
        assert bool((y[1:] >= y[:-1] - 1e-12).all()), f"{name} is not monotone"
        assert float(y.min()) >= 0 and float(y.max()) <= 1
        if name != "hold":
            assert abs(float(y[-1]) - 1.0) < 1e-12, name
    assert torch.allclose(ease("linear", t), t.double())
    io = ease("ease-in-out", t)
    assert abs(float(io[50]) - 0.5) < 1e-9 and float(io[1] - io[0]) < float(t[1] - t[0]) / 10  # slow start
    assert float(ease("hold", 0.999)) == 0.0 and float(ease("hold", 1.0)) == 1.0
    with pytest.raises(ValueError, match="Unknown easing"):
        ease("bounce", 0.5)


# ---------------------------------------------------------------- timelines

def test_frame_counts_and_keyframes_on_segment_starts():
    open_tl = Timeline.from_seeds([3, 17, 42], frames=10, loop=False, latent_dim=16)
    looped = Timeline.from_seeds([3, 17, 42], frames=10, loop=True, latent_dim=16)
    assert open_tl.frame_count == 21 and frame_latents(open_tl).shape == (21, 16)
    assert looped.frame_count == 30 and frame_latents(looped).shape == (30, 16)
    z = frame_latents(open_tl)
    for frame, seed in zip([0, 10, 20], [3, 17, 42], strict=True):
        assert torch.allclose(z[frame], seed_latent(seed, 16), atol=1e-5)
    single = Timeline([Keyframe(seed=5)], [], latent_dim=16)
    assert frame_latents(single).shape == (1, 16)
    assert frame_latents(looped, frames=range(5, 9)).allclose(frame_latents(looped)[5:9])
    assert looped.duration_s == pytest.approx(30 / 24)


def test_loop_seam_has_no_jump_no_duplicate_and_no_pause():
    tl = Timeline.from_seeds([3, 17, 42], frames=12, loop=True, latent_dim=32)
    z = frame_latents(tl, include_end=True)
    assert z.shape[0] == tl.frame_count + 1
    assert torch.allclose(z[-1], z[0], atol=1e-5)  # the frame after the last is frame 0
    steps = (z[1:] - z[:-1]).norm(dim=1)
    last_segment = steps[-12:]  # linear slerp: constant pace inside a segment, including into the seam
    assert float(last_segment.min()) > 0.9 * float(last_segment.max())
    assert float(steps.min()) > 0  # no doubled frame anywhere, the seam included


def test_hold_and_mixed_segments_and_truncation():
    keys = [Keyframe(seed=1), Keyframe(seed=2), Keyframe(seed=3)]
    tl = Timeline(keys, [Segment(4, "hold", "slerp"), Segment(5, "ease-in-out", "lerp")], latent_dim=8)
    z = frame_latents(tl)
    assert z.shape == (10, 8)
    for i in range(4):
        assert torch.allclose(z[i], seed_latent(1, 8))
    assert torch.allclose(z[4], seed_latent(2, 8)) and torch.allclose(z[9], seed_latent(3, 8))
    tl.truncation = 0.5
    calm = frame_latents(tl)
    assert torch.allclose(calm[:, 1:], z[:, 1:] * 0.5)
    assert torch.equal(calm[:, 0], z[:, 0])  # the kind a kinds generator reads stays (tests/test_kinds.py)


def test_timeline_json_round_trip_and_validation():
    tl = Timeline([Keyframe(seed=7, label="cat"), Keyframe(latent=[0.5] * 4)],
                  [Segment(3, "ease-in", "lerp"), Segment(2, "hold", "slerp")], loop=True, fps=12.5,
                  truncation=0.8)
    data = json.loads(json.dumps(tl.to_dict()))
    back = Timeline.from_dict(data)
    assert back == tl
    assert torch.equal(frame_latents(back), frame_latents(tl))
    bad = dict(data, segments=data["segments"][:1])
    with pytest.raises(TimelineError, match="need 2 segments"):
        Timeline.from_dict(bad)
    with pytest.raises(TimelineError, match="unknown easing"):
        Timeline.from_dict(dict(data, segments=[dict(s, easing="wobble") for s in data["segments"]]))
    with pytest.raises(TimelineError, match="damaged"):
        Timeline.from_dict(dict(data, keyframes=[{"seed": "x"}, {"latent": [float("nan")]}]))
    with pytest.raises(TimelineError, match="not a GAN Art Studio timeline"):
        Timeline.from_dict({"format": "something else"})
    with pytest.raises(TimelineError, match="latent size is unknown"):
        frame_latents(Timeline.from_seeds([1, 2]))
    with pytest.raises(TimelineError, match="expects 8"):
        frame_latents(tl, latent_dim=8)


def test_noise_loop_is_smooth_closed_and_sized_by_radius():
    center = seed_latent(9, 64)
    walk = noise_loop(center, radius=0.25, frames=48, seed=1)
    assert walk.shape == (48, 64)
    finer = noise_loop(center, radius=0.25, frames=96, seed=1)
    assert torch.allclose(finer[::2], walk, atol=1e-5)  # the same closed curve, sampled twice as densely
    closed = torch.cat([walk, walk[:1]])
    steps = (closed[1:] - closed[:-1]).norm(dim=1)
    assert float(steps[-1]) < 2 * float(steps.mean())  # the wrap is an ordinary step, no jump
    dist = (walk - center).norm(dim=1)
    assert float(dist.pow(2).mean().sqrt()) == pytest.approx(0.25 * math.sqrt(64), rel=1e-4)
    assert not torch.allclose(noise_loop(center, 0.25, 48, seed=2), walk)
    v = variations(center, 6, strength=0.2, seed=0)
    assert v.shape == (6, 64) and float((v - center).norm(dim=1).max()) < float(center.norm())


def test_wander_timeline_loops_around_its_keyframe_and_round_trips():
    tl = Timeline.from_seeds([3, 17], frames=4, latent_dim=32)
    tl.wander = Wander(keyframe=1, radius=0.2, frames=12, seed=5)
    assert tl.frame_count == 12
    z = frame_latents(tl, include_end=True)
    assert z.shape == (13, 32) and torch.equal(z[12], z[0])  # the seam: the frame after the last is frame 0
    assert torch.allclose(z[:12], noise_loop(seed_latent(17, 32), 0.2, 12, seed=5))
    assert torch.equal(frame_latents(tl, frames=range(4, 9)), z[4:9])
    data = json.loads(json.dumps(tl.to_dict()))
    assert data["wander"] == {"keyframe": 1, "radius": 0.2, "frames": 12, "seed": 5}
    back = Timeline.from_dict(data)
    assert back == tl and torch.equal(frame_latents(back), z[:12])
    assert "wander" not in Timeline.from_seeds([1, 2], latent_dim=4).to_dict()  # old recipes unchanged
    assert tl.resolved(32).wander == tl.wander
    for bad, message in ((Wander(keyframe=2), "circle one of the keyframes"), (Wander(frames=1), "at least 2"),
                         (Wander(radius=5.0), "radius")):
        tl.wander = bad
        with pytest.raises(TimelineError, match=message):
            tl.validate()


def test_walk_export_job_exports_a_wander_loop(gen_path, tmp_path):
    tl = Timeline.from_seeds([3, 17], frames=4, fps=12)
    tl.wander = Wander(keyframe=0, radius=0.3, frames=7, seed=2)
    out = run_job(WalkExportJob(gen_path, tl, tmp_path / "wander.gif", size=32))
    assert out.error is None, out.details
    with Image.open(out.result) as im:
        assert im.n_frames == 7
    _gen, back, _settings = load_recipe(recipe_path(out.result))
    assert back.wander == tl.wander


# ---------------------------------------------------------------- rendering

def test_render_batched_equals_one_by_one_and_restores_mode(gen_path):
    g, meta = load_generator(gen_path)
    z = frame_latents(Timeline.from_seeds([1, 2], frames=5, latent_dim=meta["latent_dim"]))
    g.train()
    seen = []
    frames = render_frames(g, z, batch_size=4, on_progress=lambda d, t: seen.append((d, t)))
    assert g.training  # restored
    assert frames.dtype == np.uint8 and frames.shape == (6, 32, 32, 3)
    assert seen == [(4, 6), (6, 6)]
    singles = np.stack([render_one(g, zi) for zi in z])
    assert np.abs(singles.astype(int) - frames.astype(int)).max() <= 1
    calls = []

    def cancel_second() -> None:
        calls.append(1)
        if len(calls) == 2:
            raise Cancelled()

    with pytest.raises(Cancelled):
        render_frames(g, z, batch_size=2, check=cancel_second)
    grid = render_grid_walk(g, [z, z.flip(0), z * 0.5], columns=2, padding=1)
    assert grid.shape == (6, 2 * 32 + 3, 2 * 32 + 3, 3)
    assert np.array_equal(grid[:, 1:33, 1:33], frames)
    assert tile_frames([frames], padding=0).shape == frames.shape


def test_open_generator_from_run_dir_matches_exported_file(trained):
    run, gen = trained
    g1, info1 = open_generator(run)
    g2, info2 = open_generator(gen)
    assert info1.latent_dim == info2.latent_dim == 16 and len(info2.sha256) == 64
    z = seed_latent(4, 16)
    assert np.array_equal(render_one(g1, z), render_one(g2, z))


def test_foreign_and_damaged_generators_are_refused(gen_path, tmp_path):
    meta = gen_path.with_suffix(".json").read_text()
    pickled = tmp_path / "pickled.safetensors"
    torch.save({"w": torch.zeros(3)}, pickled)  # a pickle wearing our suffix
    (tmp_path / "pickled.json").write_text(meta)
    with pytest.raises(CheckpointError, match="damaged or not a safetensors"):
        open_generator(pickled)
    pt = tmp_path / "model.pt"
    torch.save({"w": torch.zeros(3)}, pt)
    with pytest.raises(CheckpointError, match="only GAN Art Studio generators"):
        open_generator(pt)
    cut = tmp_path / "cut.safetensors"
    cut.write_bytes(gen_path.read_bytes()[: gen_path.stat().st_size // 2])
    (tmp_path / "cut.json").write_text(meta)
    with pytest.raises(CheckpointError):
        open_generator(cut)
    with pytest.raises(CheckpointError, match="does not exist"):
        open_generator(tmp_path / "missing.safetensors")
    out = run_job(WalkExportJob(pickled, Timeline.from_seeds([1, 2], 3), tmp_path / "x.gif"))
    # one sentence for people, the class name only in the details of a bug report
    assert out.error and "damaged or not a safetensors" in out.error and "CheckpointError" not in out.error
    assert "CheckpointError" in out.details and not (tmp_path / "x.gif").exists()


# ---------------------------------------------------------------- writers

def test_gif_decodes_with_frame_count_size_and_timing(tmp_path):
    frames = frames_rgb(7) // 64 * 64  # 4 levels per channel: 64 colours in all
    out = write_gif(frames, tmp_path / "a.gif", fps=12.5, size=48, resample="nearest", palette_colors=64)
    with Image.open(out) as im:
        assert im.n_frames == 7 and im.size == (48, 48)
        assert im.info.get("loop") == 0
        durations = []
        for i in range(im.n_frames):
            im.seek(i)
            durations.append(im.info["duration"])
            if i == 3:
                rgb = np.asarray(im.convert("RGB"))
    assert durations == [80] * 7 and gif_frame_ms(12.5) == 80
    want = np.asarray(Image.fromarray(frames[3]).resize((48, 48), Image.Resampling.NEAREST))
    assert np.abs(rgb.astype(int) - want.astype(int)).mean() < 1  # few colours: the palette holds them all
    assert files_in(tmp_path) == {"a.gif"}
    est = estimate_gif_bytes(frames, 12.5, size=48, palette_colors=64)
    assert 0.5 < est / out.stat().st_size < 2.0
    once = write_gif(frames_rgb(2), tmp_path / "once.gif", fps=24, loop=-1)
    with Image.open(once) as im:
        assert "loop" not in im.info


def test_gray_frames_and_sprite_sheet_and_png_sequence(tmp_path):
    gray = frames_rgb(5)[..., :1]
    write_gif(gray, tmp_path / "g.gif", fps=10)
    with Image.open(tmp_path / "g.gif") as im:
        assert im.n_frames == 5 and im.size == (16, 16)
    sheet = write_sprite_sheet(frames_rgb(5), tmp_path / "s.sheet.png", columns=3)
    with Image.open(sheet) as im:
        assert im.size == (48, 32)
        assert np.array_equal(np.asarray(im.convert("RGB"))[16:32, 16:32], frames_rgb(5)[4])
    folder = write_png_sequence(frames_rgb(5), tmp_path / "seq", size=32)
    names = sorted(files_in(folder))
    assert names == [f"frame_{i:04d}.png" for i in range(5)]
    with Image.open(folder / names[2]) as im:
        assert im.size == (32, 32)
    write_png_sequence(frames_rgb(3), folder)  # an earlier sequence is replaced, not mixed
    assert len(files_in(folder)) == 3
    (folder / "notes.txt").write_text("mine")
    with pytest.raises(ExportError, match="already holds other files"):
        write_png_sequence(frames_rgb(3), folder)
    assert (folder / "notes.txt").read_text() == "mine"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_mp4_decodes_with_frame_count_and_even_size(tmp_path):
    out = write_mp4(frames_rgb(10, 16), tmp_path / "v.mp4", fps=10, size=35)
    reader = imageio_ffmpeg.read_frames(str(out))
    meta = next(reader)
    n = sum(1 for _ in reader)
    assert n == 10 and tuple(meta["size"]) == (36, 36)  # yuv420p: odd sizes grow to even
    assert meta["fps"] == pytest.approx(10, rel=0.01)
    assert files_in(tmp_path) == {"v.mp4"}


def test_failed_writes_leave_nothing_and_say_why(tmp_path, monkeypatch):
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    for writer, name in [(write_gif, "a.gif"), (write_mp4, "a.mp4"), (write_sprite_sheet, "a.sheet.png")]:
        args = (frames_rgb(3), blocker / name) + ((10,) if writer is not write_sprite_sheet else ())
        with pytest.raises(ExportError, match="does not exist or is not a folder"):
            writer(*args)
    with pytest.raises(ExportError, match="does not exist or is not a folder"):
        write_png_sequence(frames_rgb(3), blocker / "seq")

    def disk_full(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(export_mod, "_encode_gif", disk_full)
    with pytest.raises(ExportError, match="Not enough disk space"):
        write_gif(frames_rgb(3), tmp_path / "full.gif", fps=10)
    assert files_in(tmp_path) == {"afile"}

    def cancel_midway():
        calls.append(1)
        if len(calls) == 3:
            raise Cancelled()

    monkeypatch.undo()
    for writer, name in [(write_gif, "c.gif"), (write_mp4, "c.mp4"), (write_png_sequence, "cseq"),
                         (write_sprite_sheet, "c.sheet.png")]:
        calls: list[int] = []
        kwargs = {"check": cancel_midway}
        args = (frames_rgb(6), tmp_path / name) + ((10,) if writer in (write_gif, write_mp4) else ())
        with pytest.raises(Cancelled):
            writer(*args, **kwargs)
        assert files_in(tmp_path) == {"afile"}, writer.__name__


# ---------------------------------------------------------------- the export job and recipes

def test_infer_format(tmp_path):
    assert infer_format("a/walk.gif") == "gif" and infer_format("walk.MP4") == "mp4"
    assert infer_format("walk.sheet.png") == "sprite-sheet" and infer_format(tmp_path / "frames") == "png-sequence"
    with pytest.raises(ExportError, match="Cannot tell"):
        infer_format("walk.png")


def test_walk_export_job_writes_gif_and_recipe_that_restores_identical_frames(gen_path, tmp_path):
    tl = Timeline.from_seeds([3, 17, 42], frames=4, easing="ease-in-out", loop=True, fps=10, truncation=0.9)
    events = []
    out = run_job(WalkExportJob(gen_path, tl, tmp_path / "walk.gif", size=64, batch_size=5), events.append)
    assert out.error is None, out.details
    assert out.result == tmp_path / "walk.gif"
    with Image.open(out.result) as im:
        assert im.n_frames == 12 and im.size == (64, 64) and im.info["duration"] == 100
        im.seek(0)
        im.convert("RGB").save(tmp_path / "first_frame.png")
    progress = [e for e in events if isinstance(e, Progress)]
    assert progress[-1].step == progress[-1].total == 24
    steps = [p.step for p in progress]
    assert steps == sorted(steps)
    recipe = json.loads(recipe_path(out.result).read_text())
    assert recipe["generator"]["sha256"] == __import__("hashlib").sha256(gen_path.read_bytes()).hexdigest()
    assert recipe["output"]["format"] == "gif" and recipe["output"]["size"] == 64
    assert recipe["studio_version"] and len(recipe["timeline"]["keyframes"][0]["latent"]) == 16
    assert [k["seed"] for k in recipe["timeline"]["keyframes"]] == [3, 17, 42]

    gen2, tl2, settings = load_recipe(recipe_path(out.result))
    assert gen2 == gen_path.resolve() and settings["size"] == 64 and settings["format"] == "gif"
    assert tl2.loop and tl2.fps == 10 and tl2.truncation == 0.9
    g, _ = load_generator(gen2)
    first = render_frames(g, frame_latents(tl, 16))
    again = render_frames(g, frame_latents(tl2))
    assert np.array_equal(first, again)
    # and the recipe re-rendered as lossless PNG frames gives exactly those pixels
    out2 = run_job(WalkExportJob(gen2, tl2, tmp_path / "frames"))
    assert out2.error is None, out2.details
    restored = np.stack([np.asarray(Image.open(p)) for p in sorted((tmp_path / "frames").iterdir())])
    assert np.array_equal(restored, first)
    with pytest.raises(TimelineError, match="not a GAN Art Studio animation recipe"):
        load_recipe(gen_path.with_suffix(".json"))


def test_walk_export_job_mp4_and_sheet(gen_path, tmp_path):
    tl = Timeline.from_seeds([1, 2], frames=5, fps=8)
    out = run_job(WalkExportJob(gen_path, tl, tmp_path / "w.mp4", size=48))
    assert out.error is None, out.details
    reader = imageio_ffmpeg.read_frames(str(out.result))
    meta = next(reader)
    assert sum(1 for _ in reader) == 6 and tuple(meta["size"]) == (48, 48)
    out = run_job(WalkExportJob(gen_path, tl, tmp_path / "w.sheet.png", sheet_columns=3))
    with Image.open(out.result) as im:
        assert im.size == (3 * 32, 2 * 32)
    assert recipe_path(out.result).name == "w.sheet.png.json"


@pytest.mark.parametrize("stage", ["Rendering frame", "Writing frame"])
def test_cancelled_export_leaves_no_file(gen_path, tmp_path, stage):
    tl = Timeline.from_seeds([1, 2, 3], frames=12, loop=True)
    token = JobToken()

    def on_event(ev):
        if isinstance(ev, Progress) and ev.text.startswith(stage):
            token.stop()

    before = files_in(tmp_path)
    out = run_job(WalkExportJob(gen_path, tl, tmp_path / "walk.gif", batch_size=4), on_event, token)
    assert out.cancelled and out.error is None
    assert files_in(tmp_path) == before


def test_export_to_unwritable_path_fails_cleanly(gen_path, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    before = files_in(tmp_path)
    out = run_job(WalkExportJob(gen_path, Timeline.from_seeds([1, 2], 3), blocker / "walk.gif"))
    assert out.error and "does not exist or is not a folder" in out.error
    assert files_in(tmp_path) == before


# ---------------------------------------------------------------- CLI

def test_cli_walk_gif_then_recipe_to_png_frames(gen_path, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    base = [sys.executable, "-m", "studio", "walk"]
    r = subprocess.run(base + ["--generator", str(gen_path), "--seeds", "3,17,42", "--frames", "4", "--loop",
                               "--size", "48", "--fps", "12", "--out", str(tmp_path / "walk.gif"), "--quiet"],
                       capture_output=True, text=True, env=env, timeout=240)
    assert r.returncode == 0, r.stderr
    with Image.open(tmp_path / "walk.gif") as im:
        assert im.n_frames == 12 and im.size == (48, 48)
    r = subprocess.run(base + ["--recipe", str(tmp_path / "walk.gif.json"), "--size", "32",
                               "--out", str(tmp_path / "frames"), "--quiet"],
                       capture_output=True, text=True, env=env, timeout=240)
    assert r.returncode == 0, r.stderr
    assert len(list((tmp_path / "frames").glob("frame_*.png"))) == 12
    g, _ = load_generator(gen_path)
    _, tl, _ = load_recipe(tmp_path / "frames.json")
    want = render_frames(g, frame_latents(tl))
    got = np.stack([np.asarray(Image.open(p)) for p in sorted((tmp_path / "frames").glob("frame_*.png"))])
    assert np.array_equal(got, want)
    r = subprocess.run(base + ["--generator", str(gen_path), "--seeds", "a,b", "--out", str(tmp_path / "x.gif")],
                       capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 2 and "whole numbers" in r.stderr
    r = subprocess.run(base + ["--generator", str(tmp_path / "nope.safetensors"), "--seeds", "1,2",
                               "--out", str(tmp_path / "x.gif"), "--quiet"],
                       capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 1 and "does not exist" in r.stderr and not (tmp_path / "x.gif").exists()


# ---------------------------------------------------------------- segment seconds, grid animations, EMA weights

def test_segments_timed_in_seconds_follow_the_frame_rate():
    from studio.engine.latent import seconds_to_frames

    assert seconds_to_frames(2.0, 12) == 24
    assert seconds_to_frames(0.01, 12) == 1  # at least one frame
    tl = Timeline([Keyframe(seed=1), Keyframe(seed=2), Keyframe(seed=3)],
                  [Segment(seconds_to_frames(2.0, 12), seconds=2.0), Segment(10)], fps=12)
    assert [s.frames for s in tl.segments] == [24, 10]
    faster = tl.with_fps(24)
    assert [s.frames for s in faster.segments] == [48, 10]  # seconds keep their duration, frames stay frames
    assert faster.fps == 24.0
    back = Timeline.from_dict(json.loads(json.dumps(faster.to_dict())))
    assert back.segments[0].seconds == 2.0 and back.segments[0].frames == 48
    assert "seconds" not in faster.to_dict()["segments"][1]
    old = tl.to_dict()
    for s in old["segments"]:
        s.pop("seconds", None)
    assert Timeline.from_dict(old).segments[0].seconds is None  # old recipes still load, timed in frames
    with pytest.raises(TimelineError):
        Timeline([Keyframe(seed=1), Keyframe(seed=2)], [Segment(3, seconds=-1.0)]).validate()


def _gif_frames(path: Path) -> list[np.ndarray]:
    out = []
    with Image.open(path) as im:
        for i in range(im.n_frames):
            im.seek(i)
            out.append(np.asarray(im.convert("RGB")))
    return out


def test_a_grid_export_tiles_out_of_phase_walks_and_its_recipe_re_renders_it(gen_path, tmp_path):
    from studio.engine.latent.jobs import GRID_PADDING, grid_frames, phase_offsets

    tl = Timeline.from_seeds([3, 17], frames=4, loop=True, fps=8)
    single = tmp_path / "single.gif"
    assert run_job(WalkExportJob(gen_path, tl, single, size=32)).error is None
    out = tmp_path / "grid.gif"
    res = run_job(WalkExportJob(gen_path, tl, out, size=32, grid=4))
    assert res.error is None, res.details
    one, grid = _gif_frames(single), _gif_frames(out)
    assert len(grid) == len(one) == 8
    h, w = one[0].shape[:2]
    assert grid[0].shape[:2] == (2 * h + 3 * GRID_PADDING, 2 * w + 3 * GRID_PADDING)
    # the cells play the same walk, out of phase: cell i at frame t shows frame t + offset_i
    assert phase_offsets(8, 4) == [0, 2, 4, 6]
    cell = (slice(GRID_PADDING, GRID_PADDING + h), slice(2 * GRID_PADDING + w, 2 * GRID_PADDING + 2 * w))
    g = render_frames(open_generator(gen_path)[0], frame_latents(tl.resolved(16)))
    tiled = grid_frames(g, 4, 2, GRID_PADDING, 32, "lanczos")
    assert tiled.shape[1:3] == grid[0].shape[:2]
    assert np.array_equal(tiled[0][cell], tiled[2][GRID_PADDING:GRID_PADDING + h, GRID_PADDING:GRID_PADDING + w])
    recipe = json.loads(recipe_path(out).read_text())
    assert recipe["output"]["grid"] == {"cells": 4, "columns": 2, "padding": GRID_PADDING, "mode": "phase",
                                        "size": 32}
    # round trip: the recipe alone re-renders the same grid animation
    gen, tl2, settings = load_recipe(recipe_path(out))
    grid_s = settings["grid"]
    again = tmp_path / "again.gif"
    res = run_job(WalkExportJob(gen, tl2, again, size=settings["size"], grid=grid_s["cells"],
                                grid_columns=grid_s["columns"], grid_padding=grid_s["padding"]))
    assert res.error is None
    assert all(np.array_equal(a, b) for a, b in zip(_gif_frames(out), _gif_frames(again), strict=True))
    mp4 = tmp_path / "grid.mp4"
    assert run_job(WalkExportJob(gen_path, tl, mp4, size=32, grid=9)).error is None
    reader = imageio_ffmpeg.read_frames(str(mp4))
    meta = next(reader)
    side = 3 * 32 + 4 * GRID_PADDING
    assert tuple(meta["size"]) == (side, side)
    assert sum(1 for _ in reader) == 8
    with pytest.raises(ExportError):
        WalkExportJob(gen_path, tl, tmp_path / "x.gif", grid=0)


def make_ema_run(src_run: Path, dst: Path, noise: float = 0.5) -> Path:
    """A copy of a real run whose newest checkpoint also carries EMA weights (a perturbed copy of G)."""
    import copy

    from studio.engine.gan.checkpoints import load_checkpoint, save_checkpoint
    from studio.engine.gan.models import build_gan
    from studio.engine.runs import RunDir

    shutil.copytree(src_run, dst)
    run = RunDir(dst)
    cfg = run.read_config()
    ckpt = load_checkpoint(run.latest_checkpoint())
    g, _d = build_gan(cfg["preset"], int(cfg["resolved_channels"]), int(cfg["latent_dim"]), int(cfg["width"]),
                      int(cfg["image_size"]))
    g.load_state_dict(ckpt.module_state("G"))
    ema = copy.deepcopy(g)
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in ema.parameters():
            p.add_(torch.randn(p.shape, generator=gen) * noise)
    save_checkpoint(run.checkpoints_dir, ckpt.step + 1, modules={"G": g, "G_ema": ema}, optimizers={},
                    extra_tensors={}, state=ckpt.state)
    return dst


def test_open_generator_prefers_ema_weights_and_the_switch_picks_raw(trained, tmp_path):
    run, gen = trained
    _g, info = open_generator(run)
    assert not info.has_ema and not info.ema and info.weights == "raw"
    assert not open_generator(gen)[1].has_ema
    ema_run = make_ema_run(run, tmp_path / "ema-run")
    g_ema, info = open_generator(ema_run)
    assert info.has_ema and info.ema and info.weights == "ema"
    g_raw, raw_info = open_generator(ema_run, use_ema=False)
    assert raw_info.has_ema and not raw_info.ema
    z = seed_latent(5, info.latent_dim)
    assert not np.array_equal(render_one(g_ema, z), render_one(g_raw, z))
    assert np.array_equal(render_one(g_raw, z), render_one(open_generator(run)[0], z))
    tl = Timeline.from_seeds([3, 17], frames=3, fps=8)
    for use in (True, False):
        out = tmp_path / f"walk-{use}.gif"
        assert run_job(WalkExportJob(ema_run, tl, out, use_ema=use)).error is None
        recipe = json.loads(recipe_path(out).read_text())
        assert recipe["generator"]["weights"] == ("ema" if use else "raw")
        assert recipe["generator"]["has_ema"] is True
        assert load_recipe(recipe_path(out))[2]["weights"] == ("ema" if use else "raw")
    assert not all(np.array_equal(a, b) for a, b in zip(_gif_frames(tmp_path / "walk-True.gif"),
                                                        _gif_frames(tmp_path / "walk-False.gif"), strict=True))


def test_cli_walk_grid_layout_survives_the_recipe(gen_path, tmp_path):
    from PIL import Image

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    base = [sys.executable, "-m", "studio", "walk", "--quiet"]
    out = tmp_path / "grid.gif"
    r = subprocess.run(base + ["--generator", str(gen_path), "--seeds", "1,2", "--frames", "3", "--loop",
                               "--size", "32", "--grid", "4", "--out", str(out)],
                       capture_output=True, text=True, env=env, timeout=240)
    assert r.returncode == 0, r.stderr
    again = tmp_path / "again.gif"
    r = subprocess.run(base + ["--recipe", str(out) + ".json", "--out", str(again)],
                       capture_output=True, text=True, env=env, timeout=240)
    assert r.returncode == 0, r.stderr
    with Image.open(out) as a, Image.open(again) as b:
        assert a.size == b.size and a.size[0] > 2 * 32  # two cells per row plus padding
        assert a.n_frames == b.n_frames == 6


def test_cli_walk_with_a_style_paints_the_walk_and_its_recipe_reruns(gen_path, tmp_path):
    """Issue 18: ``walk … --style PAINTING`` renders the walk, then paints it frame-coherently; the walk recipe with
    the same style gives the same frames."""
    import skimage.data as data

    painting = tmp_path / "painting.png"
    Image.fromarray(data.coffee()).resize((48, 32)).save(painting)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    base = [sys.executable, "-m", "studio", "walk", "--style", str(painting), "--style-size", "32", "--quiet",
            "--style-iterations", "8", "--follow-iterations", "3"]
    r = subprocess.run(base + ["--generator", str(gen_path), "--seeds", "3,17", "--frames", "3", "--size", "32",
                               "--fps", "6", "--out", str(tmp_path / "painted.gif")],
                       capture_output=True, text=True, env=env, timeout=400)
    assert r.returncode == 0, r.stderr
    with Image.open(tmp_path / "painted.gif") as im:
        assert im.n_frames == 4 and im.size == (32, 32)  # 3 frames per segment + the last keyframe
    walk = tmp_path / "painted-walk"
    first = [np.asarray(Image.open(p)) for p in sorted((tmp_path / "painted.gif.frames").glob("frame_*.png"))]
    assert len(first) == 4 and len(list(walk.glob("frame_*.png"))) == 4
    r = subprocess.run(base + ["--recipe", str(walk.with_name(walk.name + ".json")),
                               "--out", str(tmp_path / "again.gif")], capture_output=True, text=True, env=env,
                       timeout=400)
    assert r.returncode == 0, r.stderr
    again = [np.asarray(Image.open(p)) for p in sorted((tmp_path / "again.gif.frames").glob("frame_*.png"))]
    assert len(again) == 4 and max(np.abs(a.astype(int) - b).max() for a, b in zip(first, again, strict=True)) <= 2
