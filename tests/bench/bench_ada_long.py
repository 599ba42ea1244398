"""Adaptive augmentation vs overfitting on a tiny set: ``lite32`` on 50 faces, augmentation OFF vs ADAPTIVE.

Data: the first 50 faces of scikit-image's ``lfw_subset`` (its first 100 pictures are faces, the other 100
non-face background patches; 25×25 grey, resized to 32 px). Faces 50–99 are held out: D never sees them,
so D's verdict on them against its verdict on the 50 training faces shows whether D memorised its set.

Both runs use what the dataset-size preset picks for 50 pictures ("tiny": EMA, spectral norm, hinge loss,
adaptive DiffAugment starting at p 0.2) and differ only in ``augment``: "off" vs "adaptive". They train
in turns of ``--every`` steps, so both reach the same step counts (the run stops once the runs' mean
training time reaches ``--minutes``; quality checks are not counted). At every check, for each run:

* ``QualityMonitor`` on 128 EMA samples against the 50 training faces: KID, ``nn_distance_ratio`` (median
  distance of a sample to its nearest training face ÷ that among the training faces; ≪ 1 = copying),
  LPIPS diversity; and KID against the 50 held-out faces (``kid_val``: does it generalise?);
* ``aug_p`` (augmentation strength) and D's accuracy, un-augmented: on the training faces (logit > 0),
  the held-out faces (logit > 0) and raw-G fakes (logit < 0), plus its mean logit on training minus
  held-out faces (``gap``; grows when D memorises the training set).

Saved under ``--out``: final sample grids of both runs, sample | nearest-training-face pairs, the training
faces, ``curves.png`` (KID and nn_distance_ratio over steps, both runs; drawn with PIL) and ``results.json``.

    .venv/bin/python tests/bench/bench_ada_long.py [--minutes 5] [--every 100] [--out bench-out/ada]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from gan_bench_common import lfw_faces, save_grid  # noqa: E402

from studio.engine.data import PreparedImages  # noqa: E402
from studio.engine.gan.quality import QualityMonitor  # noqa: E402
from studio.engine.gan.regimes import resolve_settings  # noqa: E402
from studio.engine.gan.trainer import GanStepper, TrainConfig, build_stepper  # noqa: E402

RUNS = ("off", "adaptive")
COLOURS = {"off": (214, 39, 40), "adaptive": (31, 119, 180)}


def to_float(x: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(x).float().div(127.5).sub(1)


@torch.no_grad()
def d_probe(s: GanStepper, train: torch.Tensor, val: torch.Tensor, z: torch.Tensor) -> dict[str, float]:
    """D's verdicts, un-augmented: D in eval mode (no spectral-norm power iteration), fakes from raw G in
    training mode as D sees them (its BatchNorm buffers restored afterwards): training is untouched."""
    D, G = s.D, s.G
    d_was = D.training
    buffers = {k: v.clone() for k, v in G.named_buffers()}
    D.eval()
    try:
        lt, lv, lf = D(train), D(val), D(G(z))
    finally:
        D.train(d_was)
        with torch.no_grad():
            for k, v in G.named_buffers():
                v.copy_(buffers[k])
    return {"d_acc_train": float((lt > 0).float().mean()), "d_acc_val": float((lv > 0).float().mean()),
            "d_acc_fake": float((lf < 0).float().mean()), "d_gap": float(lt.mean() - lv.mean()),
            "d_logit_train": float(lt.mean()), "d_logit_val": float(lv.mean()), "d_logit_fake": float(lf.mean())}


HEADER = (f"{'step':>6} {'KID':>7} {'KID val':>7} {'nn ratio':>8} {'LPIPS div':>9} {'aug p':>6} "
          f"{'D acc tr/val/fake':>17} {'gap':>6}")


def row(r: dict) -> str:
    return (f"{r['step']:6d} {r['kid']:7.4f} {r['kid_val']:7.4f} {r['nn_distance_ratio']:8.3f} "
            f"{r['lpips_diversity']:9.3f} {r['aug_p']:6.2f} "
            f"{r['d_acc_train']:5.2f}/{r['d_acc_val']:4.2f}/{r['d_acc_fake']:4.2f} {r['d_gap']:6.2f}")


def measure(s: GanStepper, mon: QualityMonitor, mon_val: QualityMonitor, train: torch.Tensor,
            val: torch.Tensor, z: torch.Tensor) -> tuple[dict, object]:
    G = s.sample_generator("ema")
    rep = mon.evaluate(G, s.cfg.latent_dim, step=s.state["step"])
    rep_val = mon_val.evaluate(images=rep.samples)
    return {"step": s.state["step"], "kid": rep.kid, "kid_std": rep.kid_std, "kid_val": rep_val.kid,
            "fd": rep.fd, "lpips_diversity": rep.lpips_diversity,
            "lpips_diversity_data": rep.values["lpips_diversity_data"],
            "nn_distance_ratio": rep.values["nn_distance_ratio"], "aug_p": s.aug_p,
            **d_probe(s, train, val, z)}, rep


def save_pairs(rep, train: torch.Tensor, path: Path, count: int = 16) -> Path:
    """Top row: samples; bottom row: each one's nearest training face (VGG features)."""
    order = torch.argsort(rep.nn_distance)[:count]  # the closest ones: where copying would show
    top = rep.samples[order]
    bottom = train[rep.nn_index[order]]
    return save_grid(torch.cat([top, bottom]), path, nrow=count, scale=3)


def line_plot(series: dict[str, dict[str, list[tuple[int, float]]]], path: Path) -> Path:
    """Panels (one per metric) of lines (one per run), drawn with PIL (matplotlib is not a dependency)."""
    from PIL import Image, ImageDraw, ImageFont

    metrics = list(next(iter(series.values())))
    pw, ph, ml, mr, mt, mb = 520, 300, 70, 20, 40, 50
    img = Image.new("RGB", (pw * len(metrics), ph + 30), "white")
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default(size=14)
    for k, metric in enumerate(metrics):
        x0 = k * pw
        pts = [p for run in series.values() for p in run[metric]]
        if not pts:
            continue
        sx = (min(p[0] for p in pts), max(p[0] for p in pts))
        lo, hi = min(p[1] for p in pts), max(p[1] for p in pts)
        pad = (hi - lo) * 0.08 or abs(hi) * 0.1 or 1.0
        lo, hi = lo - pad, hi + pad
        if metric == "nn_distance_ratio":
            lo = min(lo, 0.0)

        def xy(step: float, v: float, x0=x0, sx=sx, lo=lo, hi=hi) -> tuple[float, float]:
            fx = (step - sx[0]) / max(sx[1] - sx[0], 1)
            return x0 + ml + fx * (pw - ml - mr), mt + (1 - (v - lo) / (hi - lo)) * (ph - mt - mb)

        draw.rectangle([x0 + ml, mt, x0 + pw - mr, ph - mb], outline=(80, 80, 80))
        for i in range(5):
            v = lo + (hi - lo) * i / 4
            _, y = xy(sx[0], v)
            draw.line([x0 + ml - 4, y, x0 + ml, y], fill=(80, 80, 80))
            draw.text((x0 + 4, y - 8), f"{v:.3g}", fill="black", font=font)
            st = sx[0] + (sx[1] - sx[0]) * i / 4
            x, _ = xy(st, lo)
            draw.line([x, ph - mb, x, ph - mb + 4], fill=(80, 80, 80))
            draw.text((x - 14, ph - mb + 6), f"{st:.0f}", fill="black", font=font)
        if metric == "nn_distance_ratio" and lo < 1 < hi:
            _, y = xy(sx[0], 1.0)
            for xx in range(int(x0 + ml), int(x0 + pw - mr), 10):
                draw.line([xx, y, xx + 5, y], fill=(150, 150, 150))
        draw.text((x0 + ml, 12), metric + ("  (lower = closer to the data)" if metric == "kid"
                                           else "  (<<1 = copying training faces)"), fill="black", font=font)
        draw.text((x0 + pw // 2 - 15, ph - mb + 24), "step", fill="black", font=font)
        for run, s in series.items():
            line = [xy(a, b) for a, b in s[metric]]
            if len(line) > 1:
                draw.line(line, fill=COLOURS[run], width=2)
            for x, y in line:
                draw.ellipse([x - 3, y - 3, x + 3, y + 3], fill=COLOURS[run])
    lx = 20
    for run in series:
        draw.rectangle([lx, ph + 10, lx + 20, ph + 20], fill=COLOURS[run])
        draw.text((lx + 26, ph + 6), f"augmentation {run}", fill="black", font=font)
        lx += 200
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path)
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=5.0, help="training wall time per run (mean of the two)")
    ap.add_argument("--steps", type=int, default=0, help="train exactly this many steps instead (0: --minutes)")
    ap.add_argument("--every", type=int, default=100, help="steps between quality checks")
    ap.add_argument("--count", type=int, default=50, help="training faces (the next 50 are held out)")
    ap.add_argument("--samples", type=int, default=128, help="samples per quality check")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="bench-out/ada", help="folder for the pictures and results")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    args = ap.parse_args()
    out = Path(args.out)
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"{torch.get_num_threads()} threads, torch {torch.__version__}")

    faces = lfw_faces(100).transpose(0, 3, 1, 2)  # rows 100–199 are non-face patches
    n = args.count
    train_u8, val_u8 = faces[:n], faces[n:n + 50]
    data = PreparedImages(np.ascontiguousarray(train_u8))
    train, val = to_float(train_u8), to_float(val_u8)
    save_grid(train, out / "training.png", nrow=10, scale=3)
    base, choice = resolve_settings(TrainConfig.for_preset("lite32", device="cpu", channels=1, seed=args.seed), n)
    configs = {"off": dataclasses.replace(base, augment="off", aug_p=0.0),
               "adaptive": dataclasses.replace(base, augment="adaptive")}
    print(f"data: lfw_subset faces 0–{n - 1} (25→32 px grey) for training, faces {n}–{n + len(val) - 1} held out")
    print(f"lite32, regime {choice.regime}: EMA {base.ema} (half-life {base.ema_halflife_imgs} imgs), spectral norm "
          f"{base.spectral_norm}, loss {base.loss}, batch {min(base.batch_size, n)}, width {base.width}; adaptive: "
          f"start p {base.aug_p}, target {base.ada_target}, speed {base.ada_speed_imgs} imgs, policy {base.augment_policy}")
    steppers = {name: build_stepper(cfg, 1, data, torch.device("cpu")) for name, cfg in configs.items()}
    mon = QualityMonitor(data, samples=args.samples, seed=0)
    mon_val = QualityMonitor(val_u8, samples=args.samples, seed=0, net=mon.net)
    z_probe = torch.randn(50, base.latent_dim, generator=torch.Generator().manual_seed(99))

    budget = args.minutes * 60
    used = {k: 0.0 for k in RUNS}
    history: dict[str, list[dict]] = {k: [] for k in RUNS}
    reports: dict = {}
    goal = f"{args.steps} steps" if args.steps else f"{args.minutes:g} min of training each (mean)"
    print(f"\ntraining both for {goal}, checks every {args.every} steps (check time not counted):")
    print(f"{'run':>8} " + HEADER)
    t_start = time.perf_counter()
    while True:
        for name in RUNS:
            s = steppers[name]
            t0 = time.perf_counter()
            for _ in range(args.every):
                s.step()
            used[name] += time.perf_counter() - t0
            rec, reports[name] = measure(s, mon, mon_val, train, val, z_probe)
            rec["train_seconds"] = used[name]
            history[name].append(rec)
            print(f"{name:>8} " + row(rec), flush=True)
        step = steppers["off"].state["step"]
        if (args.steps and step >= args.steps) or (not args.steps and sum(used.values()) / 2 >= budget):
            break
    print(f"training time: off {used['off']:.0f} s ({used['off'] / step:.3f} s/step), adaptive "
          f"{used['adaptive']:.0f} s ({used['adaptive'] / step:.3f} s/step); wall incl. checks "
          f"{time.perf_counter() - t_start:.0f} s")

    for name in RUNS:
        print(f"\naugmentation {name}:\n" + HEADER)
        for rec in history[name]:
            print(row(rec))

    paths = {"training": out / "training.png"}
    zg = torch.randn(64, base.latent_dim, generator=torch.Generator().manual_seed(1234))
    for name, s in steppers.items():
        G = s.sample_generator("ema")
        G.eval()
        with torch.no_grad():
            imgs = G(zg).clamp(-1, 1)
        G.train()
        paths[f"grid-{name}"] = save_grid(imgs, out / f"grid-{name}.png", scale=3)
        paths[f"nearest-{name}"] = save_pairs(reports[name], train, out / f"nearest-{name}.png")
    series = {name: {m: [(r["step"], r[m]) for r in history[name]] for m in ("kid", "nn_distance_ratio")}
              for name in RUNS}
    paths["curves"] = line_plot(series, out / "curves.png")
    (out / "results.json").write_text(json.dumps({"history": history, "train_seconds": used,
                                                  "config": {k: dataclasses.asdict(c) for k, c in configs.items()}},
                                                 indent=2, default=str))
    print("\nimages:")
    for k, p in paths.items():
        print(f"  {k:18s} {Path(p).resolve()}")

    # verdicts
    print("\nverdict:")
    end = {k: history[k][-1] for k in RUNS}
    best = {k: min(history[k], key=lambda r: r["kid"]) for k in RUNS}
    print(f"  final KID (train faces): off {end['off']['kid']:.4f} vs adaptive {end['adaptive']['kid']:.4f} → "
          f"{'adaptive' if end['adaptive']['kid'] < end['off']['kid'] else 'off'} lower; held-out faces: off "
          f"{end['off']['kid_val']:.4f} vs adaptive {end['adaptive']['kid_val']:.4f}")
    for k in RUNS:
        rise = end[k]["kid"] - best[k]["kid"]
        print(f"  {k}: best KID {best[k]['kid']:.4f} at step {best[k]['step']}, final {end[k]['kid']:.4f} "
              f"({'rose ' + format(rise, '.4f') + ' after its best' if rise > max(2 * best[k]['kid_std'], 1e-3) else 'no clear rise after its best'})")
    print(f"  nn_distance_ratio at the end: off {end['off']['nn_distance_ratio']:.3f} vs adaptive "
          f"{end['adaptive']['nn_distance_ratio']:.3f} (≪1 = copying; min over checks: off "
          f"{min(r['nn_distance_ratio'] for r in history['off']):.3f}, adaptive "
          f"{min(r['nn_distance_ratio'] for r in history['adaptive']):.3f})")
    print(f"  D at the end (un-augmented): off accuracy train {end['off']['d_acc_train']:.2f} / held-out "
          f"{end['off']['d_acc_val']:.2f} / fakes {end['off']['d_acc_fake']:.2f}, gap {end['off']['d_gap']:.2f}; "
          f"adaptive {end['adaptive']['d_acc_train']:.2f} / {end['adaptive']['d_acc_val']:.2f} / "
          f"{end['adaptive']['d_acc_fake']:.2f}, gap {end['adaptive']['d_gap']:.2f}")
    print(f"  adaptive strength: p {history['adaptive'][0]['aug_p']:.2f} at the first check → "
          f"{end['adaptive']['aug_p']:.2f} at the end (max {max(r['aug_p'] for r in history['adaptive']):.2f})")
    print(f"  LPIPS diversity at the end: off {end['off']['lpips_diversity']:.3f}, adaptive "
          f"{end['adaptive']['lpips_diversity']:.3f} (the training faces' own: {end['off']['lpips_diversity_data']:.3f})")


if __name__ == "__main__":
    main()
