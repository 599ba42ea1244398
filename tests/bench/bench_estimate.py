"""Do the two time estimates agree with a real run? (issue 13: "44 min estimated, 17–24 min live ETA")

For each preset: the "Estimate time" figure (``estimate_training_time``), the live ETA shown while training
(read from the Progress text once ``--eta-at`` seconds of the run have passed, plus the time already spent),
and the measured wall time of the same short run on the demo shapes with quality checks on. Goal: both
ratios to the measured total within 0.75–1.25.

    .venv/bin/python tests/bench/bench_estimate.py [--presets lite32 dcgan32] [--steps 300] [--every 100]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from studio.engine.data import PrepSpec, prepare_demo  # noqa: E402
from studio.engine.gan.estimate import estimate_training_time  # noqa: E402
from studio.engine.gan.models import PRESETS  # noqa: E402
from studio.engine.gan.trainer import GanTrainingJob, TrainConfig  # noqa: E402
from studio.engine.jobs import Progress, run_job  # noqa: E402

_ETA = re.compile(r"ETA (?:(\d+) h (\d+) min|(\d+) min (\d+) s|(\d+) s)")


def eta_seconds(text: str) -> float | None:
    m = _ETA.search(text)
    if not m:
        return None
    h, hm, mm, ms, s = m.groups()
    if h is not None:
        return int(h) * 3600 + int(hm) * 60
    if mm is not None:
        return int(mm) * 60 + int(ms)
    return float(s)


def one(preset: str, steps: int, every: int, count: int, eta_at: float, tmp: Path) -> dict:
    cfg = TrainConfig.for_preset(preset, steps=steps, metrics_every=every, checkpoint_every_min=0, device="cpu")
    info = PRESETS[preset]
    data = prepare_demo(PrepSpec(size=info.image_size, channels=info.channels or 3), n=count)
    t0 = time.perf_counter()
    est = estimate_training_time(cfg, dataset_count=count)
    est_wall = time.perf_counter() - t0
    seen: dict = {}
    stamps: list[tuple[int, float]] = []
    start = time.perf_counter()

    def on_event(ev) -> None:
        if isinstance(ev, Progress):
            stamps.append((ev.step, time.perf_counter()))
        if isinstance(ev, Progress) and "eta" not in seen and time.perf_counter() - start >= eta_at:
            left = eta_seconds(ev.text)
            if left is not None:
                seen["at"] = time.perf_counter() - start
                seen["eta"] = seen["at"] + left
                seen["step"] = ev.step
                seen["text"] = ev.text

    out = run_job(GanTrainingJob(cfg, tmp / preset, data=data), on_event)
    measured = time.perf_counter() - start
    if out.error is not None:
        raise SystemExit(f"{preset}: training failed: {out.error}")
    again = estimate_training_time(cfg, dataset_count=count).total_seconds  # the same machine load as the run?
    checks = [round(r["metrics_seconds"], 1) for r in map(json.loads, (tmp / preset / "metrics.jsonl").open())
              if "metrics_seconds" in r]
    gaps = [b[1] - a[1] for a, b in zip(stamps, stamps[1:], strict=False) if b[0] % every]
    real_step = statistics.median(gaps[2:]) if len(gaps) > 2 else float("nan")
    return {"preset": preset, "real_step": real_step, "again": again, "check_s": checks, "estimate": est.total_seconds, "per_step": est.seconds_per_step,
            "quality": est.quality_seconds, "checks": est.quality_checks, "setup": est.setup_seconds,
            "est_wall": est_wall, "live": seen.get("eta"), "live_at": seen.get("at"), "live_step": seen.get("step"),
            "measured": measured, "text": est.text}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--presets", nargs="+", default=["lite32", "dcgan32"])
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--every", type=int, default=100)
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--eta-at", type=float, default=60.0, help="seconds into the run to read the live ETA")
    a = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as d:
        for p in a.presets:
            r = one(p, a.steps, a.every, a.count, a.eta_at, Path(d))
            rows.append(r)
            print(f"{p}: {r['text']}  (estimating took {r['est_wall']:.1f} s; the run's median step "
                  f"{r['real_step']:.2f} s; its checks took {r['check_s']} s; estimated again after it: "
                  f"{r['again']:.0f} s = {r['again'] / r['measured']:.2f}× the run)", flush=True)
    print(f"\n{'preset':8} {'estimate':>9} {'live ETA':>9} {'(at s)':>7} {'measured':>9} {'est/meas':>9} "
          f"{'live/meas':>9}")
    for r in rows:
        live = r["live"]
        live_text = f"{live:9.1f}" if live is not None else f"{'—':>9}"
        live_ratio = f"{live / r['measured']:9.2f}" if live is not None else f"{'—':>9}"
        at = f"{r['live_at']:7.0f}" if r["live_at"] is not None else f"{'—':>7}"
        print(f"{r['preset']:8} {r['estimate']:9.1f} {live_text} {at} {r['measured']:9.1f} "
              f"{r['estimate'] / r['measured']:9.2f} {live_ratio}")
    print("goal: every ratio within 0.75–1.25")


if __name__ == "__main__":
    main()
