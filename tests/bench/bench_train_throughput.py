"""Trainer throughput vs a plain reference loop with the same DCGAN-64 architecture and batch.

The reference is the textbook DCGAN loop (as in pytorch/examples): D on real, D on fake.detach(),
step D, then G through D (whose weights still collect gradients), step G. Both run in this process
on the same data, alternating, and we report medians of per-step images/second.

    .venv/bin/python tests/bench/bench_train_throughput.py [--steps 8] [--rounds 3] [--preset dcgan64]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from studio.engine.data import PrepSpec, prepare_demo  # noqa: E402
from studio.engine.gan.models import PRESETS, build_gan  # noqa: E402
from studio.engine.gan.trainer import GanTrainingJob, TrainConfig  # noqa: E402
from studio.engine.jobs import JobToken, Metrics, run_job  # noqa: E402


def reference_rates(preset: str, batch: int, steps: int, data) -> list[float]:
    torch.manual_seed(0)
    g, d = build_gan(preset, 3)
    d = nn.Sequential(d, nn.Sigmoid())  # the reference keeps the Sigmoid in D and uses BCELoss
    crit = nn.BCELoss()
    opt_d = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_g = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    n = len(data)
    rates = []
    for step in range(steps + 1):
        t0 = time.perf_counter()
        idx = torch.randint(0, n, (batch,))
        real = data.batch(idx).float().div(127.5).sub(1)
        d.zero_grad()
        ones = torch.ones(batch)
        err_real = crit(d(real).view(-1), ones)
        err_real.backward()
        fake = g(torch.randn(batch, 100, 1, 1))
        err_fake = crit(d(fake.detach()).view(-1), torch.zeros(batch))
        err_fake.backward()
        opt_d.step()
        g.zero_grad()
        err_g = crit(d(fake).view(-1), ones)
        err_g.backward()
        opt_g.step()
        _ = (err_real + err_fake).item(), err_g.item()
        if step > 0:  # the first step warms up allocators and kernels
            rates.append(batch / (time.perf_counter() - t0))
    return rates


def studio_rates(preset: str, batch: int, steps: int, data, tmp: Path, tag: str,
                 channels_last: bool = True) -> list[float]:
    cfg = TrainConfig.for_preset(preset, batch_size=batch, steps=steps + 1, sample_every_s=1e9,
                                 checkpoint_every_min=0, device="cpu", channels_last=channels_last)
    stamps: list[float] = []

    def on_event(ev) -> None:
        if isinstance(ev, Metrics):
            stamps.append(time.perf_counter())

    out = run_job(GanTrainingJob(cfg, tmp / tag, data=data), on_event, JobToken())
    if out.error:
        raise RuntimeError(out.details)
    return [batch / (b - a) for a, b in zip(stamps, stamps[1:], strict=False)]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--preset", default="dcgan64")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--steps", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    import tempfile

    size = PRESETS[args.preset].image_size
    data = prepare_demo(PrepSpec(size=size, channels=3), n=512)
    print(f"{args.preset}, batch {args.batch}, {torch.get_num_threads()} threads, torch {torch.__version__}")
    ref_all, ours_all, plain_all = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.rounds):
            ref = reference_rates(args.preset, args.batch, args.steps, data)
            ours = studio_rates(args.preset, args.batch, args.steps, data, Path(tmp), f"r{r}")
            plain = studio_rates(args.preset, args.batch, args.steps, data, Path(tmp), f"p{r}", False)
            ref_all += ref
            ours_all += ours
            plain_all += plain
            print(f"round {r + 1}: reference {statistics.median(ref):7.1f} img/s   "
                  f"studio {statistics.median(ours):7.1f} img/s   "
                  f"studio without channels_last {statistics.median(plain):7.1f} img/s")
    ref_m, ours_m, plain_m = (statistics.median(x) for x in (ref_all, ours_all, plain_all))
    print(f"median: reference {ref_m:.1f} img/s, studio trainer {ours_m:.1f} img/s, "
          f"ratio {ours_m / ref_m:.2f}x (goal >= 1.0x)")
    print(f"wins: frozen D in the G step (no D weight grads) {plain_m / ref_m:.2f}x; "
          f"channels_last on top {ours_m / plain_m:.2f}x")


if __name__ == "__main__":
    main()
