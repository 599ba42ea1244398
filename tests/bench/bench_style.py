"""Style transfer benchmarks (same process, same backbone): multi-scale vs single-scale, preview overhead.

    .venv/bin/python tests/bench/bench_style.py [--size 384] [--iterations 60] [--repeats 1]

1. Equal evaluation budget at the same output size: single-scale L-BFGS vs our default coarse-to-fine
   schedule; reports wall time, the final loss *measured at full size* for both, and the time ratio.
2. Previews every 0.5 s vs none (goal: ≤ 5 % slower).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from studio.engine.jobs import run_job  # noqa: E402
from studio.engine.style.backbones import load_backbone  # noqa: E402
from studio.engine.style.gatys import GatysLoss, StyleSettings, StyleTransferJob, _resized, _to_tensor  # noqa: E402


def full_size_loss(result_img, s, content, style, device="cpu"):
    bb = load_backbone(s.backbone, device=device)
    loss = GatysLoss(bb, s.content_layers, s.style_layers, s.content_weight, s.style_weight, s.tv_weight)
    c = Image.open(content).convert("RGB")
    st = Image.open(style).convert("RGB")
    h, w = result_img.shape[:2]
    loss.set_content(_to_tensor(_resized(c, (w, h)), device))
    st_size = (round(st.width * s.size / max(st.size)), round(st.height * s.size / max(st.size)))
    loss.set_styles([_to_tensor(_resized(st, st_size), device)], [1.0])
    with torch.no_grad():
        return float(loss(_to_tensor(result_img.astype(np.float32) / 255.0, device))["total"])


def run(s, content, style):
    t = time.perf_counter()
    out = run_job(StyleTransferJob(s, content, [style]))
    assert out.error is None, out.details
    return time.perf_counter() - t, out.result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=384)
    ap.add_argument("--iterations", type=int, default=60)
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--backbone", default="vgg16")
    args = ap.parse_args()
    import skimage.data as data

    tmp = Path(tempfile.mkdtemp())
    content, style = tmp / "astronaut.png", tmp / "coffee.png"
    Image.fromarray(data.astronaut()).save(content)
    Image.fromarray(data.coffee()).save(style)
    common = dict(size=args.size, iterations=args.iterations, backbone=args.backbone, timelapse_frames=0)
    single = StyleSettings(**common, scales=[args.size], preview_every_s=0)
    multi = StyleSettings(**common, scales=[args.size // 2, args.size], preview_every_s=0)
    print(f"torch threads {torch.get_num_threads()}, size {args.size}, {args.iterations} L-BFGS evaluations, "
          f"backbone {args.backbone}")
    rows = {}
    for name, s in (("single-scale", single), ("multi-scale", multi)):
        times, losses = [], []
        for _ in range(args.repeats):
            t, res = run(s, content, style)
            times.append(t)
            losses.append(full_size_loss(res.image, s, content, style))
        rows[name] = (statistics.median(times), statistics.median(losses))
        print(f"{name:13s} median {rows[name][0]:7.2f} s   final total loss at {args.size} px {rows[name][1]:.4g}")
    print(f"multi/single time ratio: {rows['multi-scale'][0] / rows['single-scale'][0]:.2f}")

    base = StyleSettings(**{**common, "iterations": max(10, args.iterations // 2)}, scales=[args.size],
                         preview_every_s=0)
    prev = StyleSettings(**{**common, "iterations": max(10, args.iterations // 2)}, scales=[args.size],
                         preview_every_s=0.5)
    off, on = [], []
    for _ in range(args.repeats):
        off.append(run(base, content, style)[0])
        on.append(run(prev, content, style)[0])
    m_off, m_on = statistics.median(off), statistics.median(on)
    print(f"previews off {m_off:.2f} s, every 0.5 s {m_on:.2f} s: overhead {100 * (m_on / m_off - 1):+.1f} % "
          "(goal ≤ 5 %)")


if __name__ == "__main__":
    main()
