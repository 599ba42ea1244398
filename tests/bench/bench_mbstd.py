"""The minibatch-std layer's cost in a lite32 training step: torch's ``var`` over the group against the written-out
variance the studio uses (``models.MinibatchStd``), in one process, alternating.

On a CPU ``Tensor.var(0)`` over a leading dimension is far slower than mean/square/mean; in a lite32 step it was 8 %
of the time (torch.profiler). This prints the layer alone (forward, D's last 4×4 map in bf16 as autocast makes it)
and whole lite32 steps (16 kinds, kind groups, bf16 where the CPU has it) with each version, medians of rounds.

    .venv/bin/python tests/bench/bench_mbstd.py [--threads 2] [--rounds 5] [--steps 10]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from studio.engine.data import PreparedImages, make_mode_images  # noqa: E402
from studio.engine.gan import models  # noqa: E402
from studio.engine.gan.regimes import resolve_settings  # noqa: E402
from studio.engine.gan.stepper import build_stepper  # noqa: E402
from studio.engine.gan.trainer import TrainConfig  # noqa: E402

written_out = models.MinibatchStd.forward


def with_var(self, x: torch.Tensor) -> torch.Tensor:
    """The reference: the same layer with torch's var over the group dimension."""
    n, c, h, w = x.shape
    g = min(self.group, n)
    y = x.float().reshape(g, n // g, c * h * w)
    y = (y.var(0, unbiased=False) + 1e-8).sqrt().mean(1)
    y = y.to(x.dtype).view(1, n // g, 1, 1, 1).expand(g, n // g, 1, h, w).reshape(n, 1, h, w)
    return torch.cat([x, y], 1)


def timed(fn, repeat: int) -> float:
    t0 = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - t0) / repeat


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--steps", type=int, default=10, help="training steps per round and version")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    layer = models.MinibatchStd()
    x = torch.randn(32, 128, 4, 4).contiguous(memory_format=torch.channels_last).to(torch.bfloat16)
    assert torch.allclose(written_out(layer, x).float(), with_var(layer, x).float(), atol=1e-2)
    layer_times = {"torch var": [], "written out": []}
    for _ in range(args.rounds):
        layer_times["torch var"].append(timed(lambda: with_var(layer, x), 50))
        layer_times["written out"].append(timed(lambda: written_out(layer, x), 50))
    x8, _ = make_mode_images(200, 32, seed=0)
    data = PreparedImages(x8.transpose(0, 3, 1, 2).copy())
    cfg, _ = resolve_settings(TrainConfig.for_preset("lite32", device="cpu", channels=3, kinds=16), len(data))
    stepper = build_stepper(cfg, 3, data, torch.device("cpu"))
    for _ in range(args.steps):
        stepper.step()
    step_times = {"torch var": [], "written out": []}
    try:
        for _ in range(args.rounds):
            for name, forward in (("torch var", with_var), ("written out", written_out)):
                models.MinibatchStd.forward = forward
                step_times[name].append(timed(stepper.step, args.steps))
    finally:
        models.MinibatchStd.forward = written_out
    print(f"{torch.get_num_threads()} threads, torch {torch.__version__}, lite32 precision {cfg.precision}")
    for label, times in (("layer (32×128×4×4, bf16)", layer_times), ("lite32 training step", step_times)):
        ref, ours = statistics.median(times["torch var"]), statistics.median(times["written out"])
        print(f"{label:26s} torch var {ref * 1000:8.2f} ms   written out {ours * 1000:8.2f} ms   "
              f"speed-up {ref / ours:.2f}×")
    return 0


if __name__ == "__main__":
    sys.exit(main())
