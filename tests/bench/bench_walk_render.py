"""Latent-walk export: batched rendering vs one frame at a time, and the total time of a GIF export.

Renders a 120-frame looping walk from a DCGAN-64 generator (random DCGAN-initialised weights written
through our exported-generator format, so loading is the real path) and writes a 256×256 GIF. Both
rendering modes run in this process, alternating, and we report medians of ``--rounds`` runs.

    .venv/bin/python tests/bench/bench_walk_render.py [--frames 120] [--size 256] [--rounds 3] [--batch 16]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch
from safetensors.torch import save

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from studio.engine.device import configure_threads  # noqa: E402
from studio.engine.gan.checkpoints import GENERATOR_FORMAT  # noqa: E402
from studio.engine.gan.models import build_gan  # noqa: E402
from studio.engine.jobs import run_job  # noqa: E402
from studio.engine.latent import Timeline, frame_latents  # noqa: E402
from studio.engine.latent.jobs import WalkExportJob, open_generator  # noqa: E402
from studio.engine.latent.render import render_frames  # noqa: E402


def write_generator(folder: Path, preset: str = "dcgan64", latent_dim: int = 100) -> Path:
    torch.manual_seed(0)
    g, _ = build_gan(preset, 3, latent_dim)
    blob = save({k: v.contiguous() for k, v in g.state_dict().items()}, metadata={"format": GENERATOR_FORMAT})
    path = folder / "g.safetensors"
    path.write_bytes(blob)
    meta = {"format": GENERATOR_FORMAT, "version": 1, "preset": preset, "latent_dim": latent_dim, "channels": 3,
            "image_size": 64, "width": 64, "step": 0, "weights_sha256": hashlib.sha256(blob).hexdigest()}
    path.with_suffix(".json").write_text(json.dumps(meta))
    return path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=120)
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--batch", type=int, default=16)
    args = ap.parse_args()
    threads = configure_threads()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        gen = write_generator(folder)
        g, info = open_generator(gen)
        seeds = [3, 17, 42, 99]
        tl = Timeline.from_seeds(seeds, frames=args.frames // len(seeds), loop=True, fps=24)
        z = frame_latents(tl, info.latent_dim)
        assert z.shape[0] == args.frames, z.shape
        render_frames(g, z[:4], batch_size=4)  # warm-up
        batched, single = [], []
        for _ in range(args.rounds):
            t0 = time.perf_counter()
            render_frames(g, z, batch_size=1)
            single.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            render_frames(g, z, batch_size=args.batch)
            batched.append(time.perf_counter() - t0)
        totals, sizes = [], []
        for r in range(args.rounds):
            out = folder / f"walk{r}.gif"
            t0 = time.perf_counter()
            outcome = run_job(WalkExportJob(gen, tl, out, size=args.size, resample="lanczos",
                                            batch_size=args.batch))
            totals.append(time.perf_counter() - t0)
            assert outcome.error is None, outcome.details
            sizes.append(out.stat().st_size)
    b, s = statistics.median(batched), statistics.median(single)
    print(f"torch threads: {threads}; {args.frames} frames, DCGAN-64 → {args.size}px GIF; medians of {args.rounds}")
    print(f"render one at a time : {s:7.2f} s  ({args.frames / s:6.1f} frames/s)")
    print(f"render batch {args.batch:<3d}     : {b:7.2f} s  ({args.frames / b:6.1f} frames/s)")
    print(f"batched speed-up     : {s / b:7.2f}x  (goal >= 3x)")
    print("per round (s): one-at-a-time", [round(x, 2) for x in single], "batched", [round(x, 2) for x in batched],
          "export", [round(x, 2) for x in totals])
    print(f"full export job (load + render + GIF write + recipe): {statistics.median(totals):.2f} s, "
          f"{statistics.median(sizes) / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
