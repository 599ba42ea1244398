"""What the small-data machinery costs: training-step throughput with augmentation/EMA on vs off, and
the time of one quality check (KID + FD + LPIPS diversity + nearest neighbours).

Configurations alternate step by step in one process (same data, same load), medians reported as
ratios against augmentation off. The goal: augmentation costs at most ~15% throughput at 32–64 px;
a quality check takes a second or two at 32 px on a CPU.

    .venv/bin/python tests/bench/bench_augment_cost.py [--presets dcgan32,dcgan64] [--steps 12] [--threads N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from studio.engine.data import PrepSpec, prepare_demo  # noqa: E402
from studio.engine.gan.models import PRESETS  # noqa: E402
from studio.engine.gan.trainer import TrainConfig, build_stepper  # noqa: E402

VARIANTS = {
    "off": dict(augment="off", ema=False),
    "p=0.3": dict(augment="fixed", aug_p=0.3, ema=False),
    "fixed p=1 (worst)": dict(augment="fixed", aug_p=1.0, ema=False),
    "p=1 + EMA": dict(augment="fixed", aug_p=1.0, ema=True),
}


def bench_preset(preset: str, steps: int, batch: int) -> None:
    size = PRESETS[preset].image_size
    data = prepare_demo(PrepSpec(size=size, channels=3), n=256)
    steppers = {}
    for name, kw in VARIANTS.items():
        cfg = TrainConfig.for_preset(preset, batch_size=batch, device="cpu", regime="manual", spectral_norm=False,
                                     **kw)
        steppers[name] = build_stepper(cfg, 3, data, torch.device("cpu"))
        steppers[name].step()  # warm-up
    times: dict[str, list[float]] = {n: [] for n in steppers}
    for _ in range(steps):
        for name, s in steppers.items():
            t0 = time.perf_counter()
            s.step()
            times[name].append(time.perf_counter() - t0)
    base = statistics.median(times["off"])
    print(f"{preset} (batch {batch}):")
    for name, ts in times.items():
        med = statistics.median(ts)
        print(f"  {name:18s} {batch / med:7.1f} img/s   {base / med:5.2f}× of augmentation off")


def bench_quality(size: int, samples: int) -> None:
    from studio.engine.gan.models import build_gan
    from studio.engine.gan.quality import QualityMonitor

    data = prepare_demo(PrepSpec(size=size, channels=3), n=200)
    g, _ = build_gan(f"dcgan{size}", 3)
    mon = QualityMonitor(data, samples=samples, seed=0)
    t0 = time.perf_counter()
    mon.prepare()
    prep = time.perf_counter() - t0
    runs = []
    for _ in range(3):
        t0 = time.perf_counter()
        mon.evaluate(g, 100)
        runs.append(time.perf_counter() - t0)
    print(f"quality check at {size} px, {samples} samples: {statistics.median(runs):.2f} s "
          f"(once per run: reference features of 200 pictures {prep:.2f} s)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--presets", default="dcgan32,dcgan64")
    ap.add_argument("--steps", type=int, default=12)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    ap.add_argument("--samples", type=int, default=128)
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"{torch.get_num_threads()} threads, torch {torch.__version__}")
    for preset in args.presets.split(","):
        bench_preset(preset, args.steps, args.batch)
    for size in (32, 64):
        bench_quality(size, args.samples)


if __name__ == "__main__":
    main()
