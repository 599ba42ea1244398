"""Training throughput over processes and precisions (issue 16): the real CLI, timed from its metrics.

CPU (default): 1 process × N threads against N processes × 1 thread through torchrun (gloo), and in one process
fp32 against bf16 autocast and eager against ``torch.compile``. GPU (``--device cuda``): 1 GPU against all of
them, fp32 against bf16 (or fp16), eager against compiled. Ratios are against the first configuration measured
in the same run; medians over ``--rounds`` runs, each the median of per-step img/s after a warm-up.

    .venv/bin/python tests/bench/bench_distributed.py [--preset lite32] [--steps 80] [--rounds 3]
    .venv/bin/python tests/bench/bench_distributed.py --device cuda --preset dcgan64 --batch 256
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def pictures(folder: Path, size: int, n: int = 256) -> Path:
    from PIL import Image

    from studio.engine.data import make_mode_images

    folder.mkdir(parents=True, exist_ok=True)
    x, _ = make_mode_images(n, size, seed=0)
    for i, img in enumerate(x):
        Image.fromarray(img).save(folder / f"p{i:04d}.png")
    return folder


def run(name: str, data: Path, out: Path, args, nproc: int = 1, threads: int = 1, extra: tuple = ()) -> float:
    """One training run of ``args.steps`` steps; its median img/s after the first third."""
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK")}
    env.update(OMP_NUM_THREADS=str(threads), PYTHONPATH=str(ROOT))
    cli = ["-m", "studio", "train", "--data", str(data), "--preset", args.preset, "--steps", str(args.steps),
           "--out", str(out), "--device", args.device, "--quiet", "--batch-size", str(args.batch),
           "--checkpoint-every", "10000", "--no-health", "--metrics-every", "0", *extra]
    if args.preset.startswith("lite"):
        cli += ["--kinds", "0"]
    cmd = [sys.executable, *cli] if nproc == 1 else \
        [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}", *cli]
    done = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{name} failed:\n{done.stderr[-2000:]}")
    rates = [json.loads(line)["img_per_s"] for line in (out / "metrics.jsonl").read_text().splitlines()]
    return statistics.median(rates[len(rates) // 3:])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="lite32")
    ap.add_argument("--steps", type=int, default=80)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=2, help="CPU: cores to share out")
    ap.add_argument("--no-compile", action="store_true", help="leave torch.compile out (it takes minutes to build)")
    args = ap.parse_args()
    from studio.engine.gan.config import PRESETS

    size = PRESETS[args.preset].image_size
    if args.device == "cpu":
        n = args.threads
        configs = [(f"1 process × {n} threads", 1, n, ()), (f"{n} processes × 1 thread", n, 1, ()),
                   (f"1 process × {n} threads, bf16", 1, n, ("--precision", "bf16"))]
        if not args.no_compile:
            configs.append((f"1 process × {n} threads, compiled", 1, n, ("--compile",)))
    else:
        import torch

        gpus = torch.cuda.device_count()
        configs = [("1 GPU, fp32", 1, 4, ("--precision", "fp32")), ("1 GPU, bf16", 1, 4, ("--precision", "auto")),
                   ("1 GPU, bf16, compiled", 1, 4, ("--precision", "auto", "--compile"))]
        if gpus > 1:
            configs += [(f"{gpus} GPUs, fp32", gpus, 4, ("--precision", "fp32")),
                        (f"{gpus} GPUs, bf16", gpus, 4, ("--precision", "auto"))]
    print(f"{args.preset}, global batch {args.batch}, {args.steps} steps, device {args.device}, "
          f"{args.rounds} rounds (interleaved)")
    results: dict[str, list[float]] = {c[0]: [] for c in configs}
    with tempfile.TemporaryDirectory() as tmp:
        data = pictures(Path(tmp) / "pics", size)
        for r in range(args.rounds):
            for name, nproc, threads, extra in configs:
                out = Path(tmp) / f"run-{r}-{len(results[name])}-{abs(hash(name))}"
                results[name].append(run(name, data, out, args, nproc, threads, extra))
                print(f"  round {r + 1}: {name:<36s} {results[name][-1]:8.1f} img/s", flush=True)
    ref_name = configs[0][0]
    ref = statistics.median(results[ref_name])
    print(f"\n{'configuration':<38s} {'img/s (median)':>15s} {'vs ' + ref_name:>28s}")
    for name, rates in results.items():
        med = statistics.median(rates)
        print(f"{name:<38s} {med:15.1f} {med / ref:27.2f}×")
    return 0


if __name__ == "__main__":
    sys.exit(main())
