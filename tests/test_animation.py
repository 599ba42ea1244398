"""Issue 18: animations painted frame-coherently — flow, warp and reliability on known motion, the coherent job on a
short clip (frame count, size, stop and resume without redoing frames), the CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from studio.engine import pretrained
from studio.engine.jobs import JobToken, Notice, Progress, run_job
from studio.engine.style.animation import (
    AnimationSettings,
    AnimationStyleJob,
    FrameSource,
    flicker,
    frames_dir_for,
    is_animation,
    optical_flow,
    reliability,
    warp,
)
from studio.engine.style.settings import StyleError, StyleSettings

REPO = Path(__file__).resolve().parents[1]
HAS_VGG16 = pretrained.verify()


def _texture(h: int = 96, w: int = 96) -> np.ndarray:
    import skimage.data as data

    img = Image.fromarray(data.astronaut()).resize((w + 40, h + 40), Image.LANCZOS)
    return np.asarray(img)


def _pan(n: int, size: int = 48, dx: int = 2, dy: int = 1) -> list[np.ndarray]:
    """A camera moving right and down over a photo: known motion."""
    big = _texture(size, size)
    return [np.ascontiguousarray(big[4 + i * dy: 4 + i * dy + size, 4 + i * dx: 4 + i * dx + size]) for i in range(n)]


def _gif(frames: list[np.ndarray], path: Path, ms: int = 80) -> Path:
    ims = [Image.fromarray(f) for f in frames]
    ims[0].save(path, save_all=True, append_images=ims[1:], duration=ms, loop=0)
    return path


def test_flow_warp_and_reliability_on_a_known_shift():
    a = _texture()[:96, :96]
    b = np.ascontiguousarray(_texture()[2:98, 3:99])  # the camera moved 3 px right, 2 px down: b(x) = a(x + (3, 2))
    back = optical_flow(b, a)  # new frame b → previous frame a: b(x) ≈ a(x + back(x))
    inner = (slice(12, -12), slice(12, -12))
    assert np.allclose(np.median(back[inner].reshape(-1, 2), 0), (3, 2), atol=0.35)
    carried = warp(a.astype(np.float32) / 255, back)
    assert np.abs(carried[inner] - b[inner] / 255).mean() < 0.03  # the previous frame carried onto the new one
    assert np.abs(a[inner] / 255 - b[inner] / 255).mean() > 0.05  # (it had to move)
    mask = reliability(back, optical_flow(a, b))
    assert mask[inner].mean() > 0.9
    assert mask[:, -2:].mean() < 0.2  # the strip that came in from outside the previous frame is not trusted


def test_flicker_counts_change_after_motion_compensation():
    frames = [f.astype(np.float32) / 255 for f in _pan(2, 64)]
    steady = flicker(frames[0], frames[1], frames[0], frames[1])  # painted = content: as much as the content
    assert steady == pytest.approx(1.0, abs=1e-6)
    rng = np.random.default_rng(0)
    boiling = flicker(frames[0], np.clip(frames[1] + rng.normal(0, 0.1, frames[1].shape), 0, 1).astype(np.float32),
                      frames[0], frames[1])
    assert boiling > 2 * steady


def test_frame_sources_read_gifs_folders_and_refuse_a_still(tmp_path):
    frames = _pan(3, 32)
    gif = _gif(frames, tmp_path / "pan.gif", ms=50)
    src = FrameSource(gif)
    assert len(src) == 3 and src.size == (32, 32) and src.fps == pytest.approx(20.0)
    got = list(src.frames())
    assert len(got) == 3 and got[0].shape == (32, 32, 3)
    folder = tmp_path / "frames"
    folder.mkdir()
    for i, f in enumerate(frames):
        Image.fromarray(f).save(folder / f"f{i:03d}.png")
    assert is_animation(folder) and is_animation(gif)
    assert np.array_equal(next(FrameSource(folder).frames()), frames[0])
    Image.fromarray(frames[0]).save(tmp_path / "still.png")
    assert not is_animation(tmp_path / "still.png")
    with pytest.raises(StyleError, match="leave none"):
        AnimationSettings(start=5).validate(3)


def _tiny_still(**kw) -> StyleSettings:
    base = dict(size=32, iterations=6, optimizer="lbfgs", backbone="vgg16" if HAS_VGG16 else "random",
                preview_every_s=0, scales=[16, 32], scale_iterations=[2, 4], content_layers={"conv3_2": 1.0},
                style_layers={"conv1_1": 1.0, "conv2_1": 1.0, "conv3_1": 1.0})
    base.update(kw)
    return StyleSettings(**base)


def _painting(tmp_path: Path) -> Path:
    import skimage.data as data

    p = tmp_path / "painting.png"
    Image.fromarray(data.coffee()).resize((48, 32)).save(p)
    return p


def test_the_coherent_job_paints_every_frame_stops_and_resumes_without_redoing_frames(tmp_path):
    gif = _gif(_pan(4, 32), tmp_path / "pan.gif")
    out = tmp_path / "painted.gif"
    settings = AnimationSettings(still=_tiny_still(), follow_iterations=3)
    token = JobToken()

    def stop_after_two(ev):
        if isinstance(ev, Progress) and "2 of 4 painted" in ev.text:
            token.stop()

    first = run_job(AnimationStyleJob(settings, gif, [_painting(tmp_path)], out), stop_after_two, token)
    assert first.error is None, first.details
    assert first.result.stopped and first.result.frames == 2 and not out.exists()
    frames = frames_dir_for(out)
    kept = {p.name: p.stat().st_mtime_ns for p in frames.glob("frame_*.png")}
    assert sorted(kept) == ["frame_00001.png", "frame_00002.png"]

    events = []
    second = run_job(AnimationStyleJob(settings, gif, [_painting(tmp_path)], out), events.append)
    assert second.error is None, second.details
    assert not second.result.stopped and second.result.frames == 4
    assert any(isinstance(e, Notice) and "2 of 4 frames were already painted" in e.text for e in events)
    assert {p.name: p.stat().st_mtime_ns for p in frames.glob("frame_*.png") if p.name in kept} == kept
    with Image.open(out) as im:
        assert im.n_frames == 4 and im.size == (32, 32)
    assert (out.with_name(out.name + ".json")).exists()

    # other settings never mix into these frames
    other = AnimationSettings(still=_tiny_still(style_weight=50.0), follow_iterations=3)
    refused = run_job(AnimationStyleJob(other, gif, [_painting(tmp_path)], out))
    assert refused.error and "different animation or settings" in refused.error


def test_warm_start_and_temporal_loss_keep_frames_steadier_than_independent_stills(tmp_path):
    clip = _pan(3, 48, dx=2, dy=0)
    gif = _gif(clip, tmp_path / "pan.gif")
    painting = _painting(tmp_path)
    result = {}
    for coherent in (False, True):
        s = AnimationSettings(still=_tiny_still(size=48, scales=[24, 48], scale_iterations=[4, 12], iterations=16,
                                                init="noise"), follow_iterations=8, coherent=coherent)
        out = tmp_path / f"{coherent}"
        r = run_job(AnimationStyleJob(s, gif, [painting], out))
        assert r.error is None, r.details
        painted = [np.asarray(Image.open(p)) for p in sorted(out.glob("frame_*.png"))]
        result[coherent] = np.mean([flicker(painted[i - 1], painted[i], clip[i - 1], clip[i]) for i in (1, 2)])
    assert result[True] < 0.6 * result[False], result


def test_the_cli_paints_a_gif_into_an_mp4_and_a_folder_of_frames(tmp_path):
    gif = _gif(_pan(3, 32), tmp_path / "pan.gif")
    painting = _painting(tmp_path)
    common = [sys.executable, "-m", "studio", "stylize", str(gif), str(painting), "--size", "32", "--iterations", "6",
              "--scales", "32", "--follow-iterations", "2", "--backbone", "vgg16" if HAS_VGG16 else "random",
              "--quiet"]
    mp4 = subprocess.run(common + ["--out", str(tmp_path / "out.mp4"), "--step", "2"], cwd=REPO, capture_output=True,
                         text=True, timeout=240)
    assert mp4.returncode == 0, mp4.stderr
    import imageio_ffmpeg

    assert imageio_ffmpeg.count_frames_and_secs(str(tmp_path / "out.mp4"))[0] == 2  # frames 1 and 3
    folder = subprocess.run(common + ["--out", str(tmp_path / "frames")], cwd=REPO, capture_output=True, text=True,
                            timeout=240)
    assert folder.returncode == 0, folder.stderr
    assert len(list((tmp_path / "frames").glob("frame_*.png"))) == 3
    bad = subprocess.run(common + ["--out", str(tmp_path / "x.png")], cwd=REPO, capture_output=True, text=True,
                         timeout=240)
    assert bad.returncode == 2 and "must end in .gif or .mp4" in bad.stderr


def test_the_job_streams_frames_instead_of_holding_the_clip(tmp_path):
    """Big source frames, painted tiny: the Python heap's peak while painting 24 frames stays that of 4 frames
    (a job that held the clip would add ~0.5 MB per frame)."""
    import tracemalloc

    rng = np.random.default_rng(0)
    base = (rng.random((400, 500, 3)) * 255).astype(np.uint8)
    still = _tiny_still(size=16, scales=[16], iterations=1, scale_iterations=[1],
                        style_layers={"conv1_1": 1.0}, content_layers={"conv1_2": 1.0})
    peaks = {}
    for n in (2, 4, 24):  # the first run loads the network (a one-time heap peak): not compared
        src = tmp_path / f"src{n}"
        src.mkdir()
        for i in range(n):
            Image.fromarray(np.roll(base, i, axis=1)[:, :400]).save(src / f"f{i:03d}.png", compress_level=0)
        tracemalloc.start()
        r = run_job(AnimationStyleJob(AnimationSettings(still=still, follow_iterations=1), src, [_painting(tmp_path)],
                                      tmp_path / f"out{n}"))
        peaks[n] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert r.error is None, r.details
        assert r.result.frames == n
    assert peaks[24] < peaks[4] + 4 * 2**20, peaks


def test_the_gallery_shows_a_painted_animation_once_and_unfinished_frames_as_one_item(tmp_path):
    import json

    from studio.engine.gallery import open_target, scan_workspace
    from studio.engine.recipes import ARTWORK_KIND

    anim = tmp_path / "animations"
    anim.mkdir()
    frames = _pan(2, 16)
    _gif(frames, anim / "done.gif")
    (anim / "done.gif.json").write_text(json.dumps({"kind": ARTWORK_KIND, "content": "clip.gif", "styles": []}))
    for name, n in (("done.gif.frames", 2), ("stopped.mp4.frames", 3)):
        (anim / name).mkdir()
        (anim / name / "state.json").write_text("{}")
        for i in range(n):
            Image.fromarray(frames[i % 2]).save(anim / name / f"frame_{i + 1:05d}.png")
    items = {it.name: it for it in scan_workspace(tmp_path).items}
    assert set(items) == {"done", "stopped.mp4.frames"}, sorted(items)
    assert items["done"].recipe == anim / "done.gif.json" and items["stopped.mp4.frames"].detail == "3 PNG frames"
    assert open_target(items["done"]) == ("stylize", anim / "done.gif.json")


def test_what_enters_the_picture_starts_from_the_photo_not_from_smeared_borders(tmp_path):
    """start_fill: the carried picture where the pixel came from inside the previous frame, the still's usual start
    (the photo) where it entered the picture; and came_from_inside marks the entering strip of a pan."""
    from studio.engine.style.animation import came_from_inside
    from studio.engine.style.gatys import StyleTransferJob

    a, b = _texture()[:64, :64], np.ascontiguousarray(_texture()[0:64, 4:68])  # the camera moved 4 px right
    inside = came_from_inside(optical_flow(b, a))
    assert inside[:, :50].mean() > 0.95 and inside[:, -3:].mean() < 0.2
    photo = tmp_path / "photo.png"
    Image.fromarray(b).save(photo)
    fill = np.zeros((64, 64), np.float32)
    fill[:, :32] = 1
    s = _tiny_still(size=64, scales=[64], iterations=1, scale_iterations=[1], optimizer="adam", lr=1e-6,
                    colors="none", style_weight=0.0, tv_weight=0.0)
    out = run_job(StyleTransferJob(s, photo, [], start=np.zeros((64, 64, 3), np.float32), start_fill=fill))
    assert out.error is None, out.details
    img = out.result.image.astype(float)
    assert img[:, :30].mean() < 3  # the carried (black) picture
    assert np.abs(img[:, 34:] - b[:, 34:]).mean() < 3  # the photo itself


def test_a_cut_is_painted_like_a_still_not_held_to_the_previous_picture(tmp_path):
    """Flow calls a flat frame 'reliable' even when the picture changed completely; the colour check does not, so
    a cut to black is painted from the black frame (like a still), not kept as the previous painting."""
    from studio.engine.style.animation import agrees

    face = _texture()[:48, :48]
    black = np.zeros_like(face)
    assert agrees(black, face, optical_flow(black, face)).mean() < 0.2
    assert agrees(face, face, optical_flow(face, face)).mean() > 0.95
    moved = np.ascontiguousarray(_texture()[1:49, 2:50])
    gif = _gif([face, moved, black], tmp_path / "cut.gif")
    events = []
    r = run_job(AnimationStyleJob(AnimationSettings(still=_tiny_still(size=48, scales=[48], iterations=6,
                                                                      scale_iterations=[6], colors="none"),
                                                    follow_iterations=3),
                                  gif, [_painting(tmp_path)], tmp_path / "cut"), events.append)
    assert r.error is None, r.details
    frames = [np.asarray(Image.open(p)).astype(float) for p in sorted((tmp_path / "cut").glob("frame_*.png"))]
    assert any(isinstance(e, Notice) and "Frame 3 is a new shot" in e.text for e in events)
    assert frames[2].mean() < 0.5 * frames[1].mean()  # the black frame stays dark


def test_a_video_clip_is_read_frame_by_frame_through_ffmpeg(tmp_path):
    from studio.engine.export import write_mp4

    frames = _pan(5, 48)
    clip = write_mp4(np.stack(frames), tmp_path / "clip.mp4", fps=10)
    assert is_animation(clip)
    src = FrameSource(clip)
    assert len(src) == 5 and src.size == (48, 48) and src.fps == pytest.approx(10.0)
    got = list(src.frames())
    assert len(got) == 5 and got[2].shape == (48, 48, 3)
    assert np.abs(got[2].astype(float) - frames[2]).mean() < 12  # H.264 is lossy, but it is the same picture
