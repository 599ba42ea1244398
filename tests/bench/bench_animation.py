"""Painted animations without flicker (issue 18): independent stills vs the coherent job, in one run.

    .venv/bin/python tests/bench/bench_animation.py                  # camera move + latent walk + 300-frame memory
    .venv/bin/python tests/bench/bench_animation.py --frames 6 --size 192 --only camera

Two clips:
- **camera**: a synthetic camera move over a photo (scikit-image's coffee): a pan with a slow zoom, so the true motion
  is known and sub-pixel;
- **walk**: a latent walk of our own generator (lite32 trained for --train-steps steps on the 200 LFW faces that come
  with scikit-image, then a slerp walk through four seeds, 8 frames between keyframes; the first --frames frames),
  upscaled to the painting size.

Each clip is painted twice with the same painting and the still's defaults: every frame as an independent still
(``coherent=False``), and by the coherent job (warm start along the flow + temporal loss). Reported per clip:

- flicker: for consecutive frames, mean |painted − previous painted carried by the content's flow| over the reliable
  pixels, over the same for the content frames (``animation.flicker``); median over the frame pairs. Goal: coherent
  ≤ 0.5× independent.
- style distance per frame (the bench_paintings judge: mean relative Gram distance to the painting over conv1_1…
  conv5_1 of VGG16), median over frames. Goal: coherent ≤ 1.1× independent.
- seconds per frame after the first (median), over an independent still's. Goal ≤ 0.35×.

And memory: peak RSS of a fresh process painting a 300-frame clip at 48 px (few evaluations per frame) against a
30-frame clip: the frames stream from and to disk, so the peak must not grow with the clip's length.

Writes a side-by-side GIF (content | independent | coherent) per clip to --out.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))
sys.path.insert(0, str(HERE))

from studio.engine.jobs import Progress, run_job  # noqa: E402
from studio.engine.style.animation import AnimationSettings, AnimationStyleJob, flicker  # noqa: E402
from studio.engine.style.settings import StyleSettings  # noqa: E402


def camera_clip(n: int, size: int) -> list[np.ndarray]:
    import skimage.data as data

    photo = Image.fromarray(data.coffee())  # 600 × 400
    w, h = photo.size
    frames = []
    for i in range(n):
        t = i / max(1, n - 1)
        zoom = 1.0 + 0.12 * t  # slow zoom in
        cw, ch = w * 0.62 / zoom, h * 0.62 * 1.5 / zoom / 1.5
        cx, cy = w * (0.40 + 0.18 * t), h * (0.50 + 0.05 * t)  # pan right, a little down
        box = (cx - cw / 2, cy - ch / 2, cx + cw / 2, cy + ch / 2)
        scale = size / max(cw, ch)
        frames.append(np.asarray(photo.resize((round(cw * scale), round(ch * scale)), Image.BICUBIC, box=box)))
    return frames


def walk_clip(n: int, size: int, steps: int, tmp: Path) -> list[np.ndarray]:
    """lite32 on the LFW faces for ``steps`` steps, then a slerp walk of ``n`` frames through four seeds."""
    import skimage.data as data

    from studio.engine.gan.checkpoints import export_generator
    from studio.engine.gan.trainer import GanTrainingJob, TrainConfig
    from studio.engine.latent.jobs import WalkExportJob
    from studio.engine.latent.timeline import Timeline

    faces = tmp / "faces"
    faces.mkdir()
    for i, f in enumerate(data.lfw_subset()):
        Image.fromarray((f * 255).astype(np.uint8)).convert("RGB").save(faces / f"{i:03d}.png")
    cfg = TrainConfig.for_preset("lite32", data=str(faces), steps=steps, sample_every_s=1e9,
                                 checkpoint_every_min=0, device="cpu")
    out = run_job(GanTrainingJob(cfg, tmp / "run"))
    if out.error:
        raise SystemExit(out.details)
    gen = export_generator(tmp / "run", tmp / "gen.safetensors")
    tl = Timeline.from_seeds([3, 17, 42, 7], frames=8, fps=12)  # 8 frames between keyframes: a smooth walk
    folder = tmp / "walk"
    res = run_job(WalkExportJob(gen, tl, folder, size=size))
    if res.error:
        raise SystemExit(res.details)
    return [np.asarray(Image.open(p).convert("RGB")) for p in sorted(folder.glob("frame_*.png"))][:n]


def paint(frames: list[np.ndarray], painting: Path, size: int, coherent: bool, tmp: Path, tag: str) -> dict:
    src = tmp / f"{tag}-src"
    src.mkdir(exist_ok=True)
    for i, f in enumerate(frames):
        Image.fromarray(f).save(src / f"f{i:04d}.png")
    out = tmp / f"{tag}-{'coherent' if coherent else 'independent'}"
    stamps: list[float] = []
    t0 = time.perf_counter()

    def on_event(ev) -> None:
        if isinstance(ev, Progress) and "painted" in ev.text:
            stamps.append(time.perf_counter() - t0)

    job = AnimationStyleJob(AnimationSettings(still=StyleSettings(size=size), coherent=coherent), src, [painting],
                            out)
    r = run_job(job, on_event)
    if r.error:
        raise SystemExit(r.details)
    painted = [np.asarray(Image.open(p).convert("RGB")) for p in sorted(out.glob("frame_*.png"))]
    per_frame = np.diff([0.0, *stamps])
    return {"frames": painted, "first": float(per_frame[0]), "later": float(np.median(per_frame[1:])),
            "seconds": stamps[-1]}


def measure(name: str, frames: list[np.ndarray], painting: Path, size: int, tmp: Path, out: Path, judge) -> dict:
    content = [np.asarray(Image.fromarray(f).resize(
        (round(f.shape[1] * size / max(f.shape[:2])), round(f.shape[0] * size / max(f.shape[:2]))), Image.LANCZOS))
        for f in frames]
    pim = Image.open(painting).convert("RGB")
    pim.thumbnail((size, size))
    paint_np = np.asarray(pim, np.float32) / 255
    row = {}
    runs = {}
    for coherent in (False, True):
        r = paint(frames, painting, size, coherent, tmp, name)
        runs[coherent] = r
        fl = [flicker(r["frames"][i - 1], r["frames"][i], content[i - 1], content[i]) for i in range(1, len(frames))]
        st = [judge.score(f.astype(np.float32) / 255, c.astype(np.float32) / 255, paint_np)["style"]
              for f, c in zip(r["frames"], content, strict=True)]
        row["coherent" if coherent else "independent"] = {
            "flicker": statistics.median(fl), "style": statistics.median(st), "first_s": r["first"],
            "later_s": r["later"], "total_s": r["seconds"]}
    ind, coh = row["independent"], row["coherent"]
    row["ratios"] = {"flicker": coh["flicker"] / ind["flicker"], "style": coh["style"] / ind["style"],
                     "time_per_later_frame_vs_still": coh["later_s"] / ind["later_s"]}
    side = [np.concatenate([c, runs[False]["frames"][i], runs[True]["frames"][i]], 1)
            for i, c in enumerate(content)]
    ims = [Image.fromarray(s) for s in side]
    ims[0].save(out / f"{name}-independent-vs-coherent.gif", save_all=True, append_images=ims[1:], duration=150,
                loop=0)
    return row


MEMORY_CHILD = r"""
import resource, sys, time
import numpy as np
from pathlib import Path
from PIL import Image
sys.path.insert(0, sys.argv[1])
from studio.engine.jobs import run_job
from studio.engine.style.animation import AnimationSettings, AnimationStyleJob
from studio.engine.style.settings import StyleSettings
n, tmp, painting = int(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]
src = tmp / f"src{n}"
src.mkdir()
base = np.asarray(Image.open(painting).convert("RGB").resize((200, 150)))
for i in range(n):
    x = (i * 2) % 120
    Image.fromarray(np.ascontiguousarray(base[20:84, x:x + 64])).save(src / f"f{i:04d}.png")
still = StyleSettings(size=48, iterations=4, scales=[48], content_layers={"conv3_2": 1.0},
                      style_layers={"conv1_1": 1.0, "conv2_1": 1.0, "conv3_1": 1.0}, preview_every_s=0)
rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t = time.perf_counter()
r = run_job(AnimationStyleJob(AnimationSettings(still=still, follow_iterations=2), src, [painting],
                              tmp / f"out{n}.gif"))
assert r.error is None, r.details
print(n, rss0, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, time.perf_counter() - t, r.result.frames)
"""


def memory(painting: Path, tmp: Path) -> dict:
    rows = {}
    for n in (30, 300):
        p = subprocess.run([sys.executable, "-c", MEMORY_CHILD, str(HERE.parents[1]), str(n), str(tmp),
                            str(painting)], capture_output=True, text=True, timeout=3600)
        if p.returncode:
            raise SystemExit(p.stderr)
        _, rss0, peak, secs, frames = p.stdout.split()
        rows[n] = {"peak_mb": int(peak) / 1024, "growth_mb": (int(peak) - int(rss0)) / 1024,
                   "seconds": float(secs), "frames": int(frames)}
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--frames", type=int, default=8)
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--walk-size", type=int, default=128)
    ap.add_argument("--train-steps", type=int, default=1500)
    ap.add_argument("--painting", default="starry_night", help="a bench_paintings painting name or a file")
    ap.add_argument("--only", choices=("camera", "walk", "memory"), action="append")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default="/tmp/bench-animation")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    from bench_paintings import Judge, painting_files

    painting = Path(a.painting) if Path(a.painting).is_file() else painting_files()[a.painting]
    judge = Judge()
    only = set(a.only or ("camera", "walk", "memory"))
    results = {}
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        if "camera" in only:
            results["camera"] = measure("camera", camera_clip(a.frames, a.size), painting, a.size, tmp, out, judge)
        if "walk" in only:
            frames = walk_clip(a.frames, a.walk_size, a.train_steps, tmp)
            results["walk"] = measure("walk", frames, painting, a.walk_size, tmp, out, judge)
        if "memory" in only:
            results["memory"] = memory(painting, tmp)
    print(f"# {a.threads} threads; painting {painting.stem}")
    print("| clip | recipe | flicker | style distance | first frame s | later frames s (median) |")
    print("|---|---|---|---|---|---|")
    for clip in ("camera", "walk"):
        if clip not in results:
            continue
        for recipe in ("independent", "coherent"):
            r = results[clip][recipe]
            print(f"| {clip} | {recipe} | {r['flicker']:.3g} | {r['style']:.3f} | {r['first_s']:.1f} | "
                  f"{r['later_s']:.1f} |")
        q = results[clip]["ratios"]
        print(f"| {clip} | coherent / independent | {q['flicker']:.2f}× | {q['style']:.2f}× | — | "
              f"{q['time_per_later_frame_vs_still']:.2f}× |")
    if "memory" in results:
        for n, m in results["memory"].items():
            print(f"memory: {n} frames at 48 px → peak RSS {m['peak_mb']:.0f} MB (+{m['growth_mb']:.0f} MB during the "
                  f"job), {m['seconds']:.0f} s, {m['frames']} frames")
    (out / "results.json").write_text(json.dumps(results, indent=1))
    print("peak RSS of this process:", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024, "MB")


if __name__ == "__main__":
    main()
