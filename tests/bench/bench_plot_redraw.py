"""How long one live redraw of the training plots (and the sample grid) holds the GUI thread.

The soak's worst GUI stalls during training were pyqtgraph painting the plots. This times that alone,
cheaply: the real TrainingPlots, shown offscreen at the Train page's size, holding a long run's history
(``--steps``, e.g. 30,000 steps ≈ a 30-minute run), then ``--rounds`` live ticks of new steps, each
timed as ``redraw()`` plus a forced repaint — the GUI-thread time of one frame. With ``--busy`` a torch
thread trains a small conv net beside it (the GIL and both cores contended, as in a real run).

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/bench/bench_plot_redraw.py [--steps 5000 30000] [--busy]
        [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import math
import os
import pstats
import statistics
import sys
import threading
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path[:0] = [str(Path(__file__).resolve().parents[2]), str(Path(__file__).resolve().parent)]

import numpy as np  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from studio.engine.jobs import Metrics  # noqa: E402
from studio.ui.widgets.image_view import ImageView  # noqa: E402
from studio.ui.widgets.training_plots import TrainingPlots  # noqa: E402


def fake_metrics(start: int, count: int, rng: np.random.Generator, quality_every: int = 500) -> list[Metrics]:
    """Noisy, GAN-like curves: losses wobbling round slow trends, D near 0.5, speed jittering."""
    out = []
    for step in range(start, start + count):
        t = step / 1000.0
        values = {
            "loss_g": 1.5 + 0.5 * math.sin(t) + rng.normal(0, 0.4),
            "loss_d": 0.9 - 0.2 * math.sin(t) + rng.normal(0, 0.2),
            "d_real": float(np.clip(0.6 + rng.normal(0, 0.15), 0, 1)),
            "d_fake": float(np.clip(0.35 + rng.normal(0, 0.15), 0, 1)),
            "img_per_s": 60 + rng.normal(0, 8),
            "d_skipped": 0.0,
        }
        if step and step % quality_every == 0:
            values.update(kid=0.1 / (1 + t), fd=50 / (1 + t), lpips_diversity=0.3, lpips_diversity_data=0.35)
        out.append(Metrics(step, values))
    return out


class BusyTorch(threading.Thread):
    """A small conv net training in a loop: the training thread the GUI competes with."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.stop = threading.Event()
        self.steps = 0

    def run(self) -> None:
        import torch

        torch.set_num_threads(2)
        net = torch.nn.Sequential(torch.nn.Conv2d(3, 32, 4, 2, 1), torch.nn.LeakyReLU(0.2),
                                  torch.nn.Conv2d(32, 64, 4, 2, 1), torch.nn.LeakyReLU(0.2),
                                  torch.nn.Flatten(), torch.nn.Linear(64 * 8 * 8, 1))
        opt = torch.optim.Adam(net.parameters())
        x = torch.randn(32, 3, 32, 32)
        while not self.stop.is_set():
            opt.zero_grad()
            net(x).mean().backward()
            opt.step()
            self.steps += 1


def time_frames(plots: TrainingPlots, start: int, rounds: int, per_tick: int, rng):
    """GUI-thread milliseconds of each live frame (new steps, redraw, repaint), and of its redraw part."""
    times, redraws = [], []
    step = start
    for _ in range(rounds):
        plots.append(fake_metrics(step, per_tick, rng))
        step += per_tick
        t = time.perf_counter()
        plots.redraw()
        t1 = time.perf_counter()
        QApplication.processEvents()  # the scene's changes reach the views (queued), which ask for paint
        QApplication.processEvents()
        plots.repaint()
        times.append((time.perf_counter() - t) * 1000)
        redraws.append((t1 - t) * 1000)
    return times, redraws


class LiveFeed:
    """The JobRunner's 30 Hz drain: a few new steps per tick; the plots throttle their own redraws."""

    def __init__(self, plots: TrainingPlots, start: int, per_tick: int, rng) -> None:
        self.plots, self.step, self.per_tick, self.rng = plots, start, per_tick, rng

    def tick(self) -> None:
        self.plots.append(fake_metrics(self.step, self.per_tick, self.rng))
        self.step += self.per_tick


def live_stalls(plots: TrainingPlots, start: int, seconds: float, per_tick: int, rng) -> list[float]:
    """Gaps between ticks of a 10 ms GUI timer while the plots follow a live run (as the soak measures)."""
    from gui_bench_common import StallProbe
    from PySide6.QtCore import QTimer

    from studio.ui.event_wait import wait_ms

    feed = LiveFeed(plots, start, per_tick, rng)
    timer = QTimer()
    timer.setInterval(33)
    timer.timeout.connect(feed.tick)
    probe = StallProbe()
    timer.start()
    probe.start()
    wait_ms(int(seconds * 1000))
    probe.stop()
    timer.stop()
    return probe.gaps


def summary(times: list[float]) -> str:
    s = sorted(times)
    return (f"median {statistics.median(s):6.1f} ms  p90 {s[int(0.9 * (len(s) - 1))]:6.1f} ms  "
            f"worst {s[-1]:6.1f} ms")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, nargs="+", default=[5000, 30000])
    ap.add_argument("--rounds", type=int, default=40)
    ap.add_argument("--per-tick", type=int, default=3, help="new steps per frame")
    ap.add_argument("--size", default="700x460", help="plots widget size, WxH")
    ap.add_argument("--busy", action="store_true", help="a torch training thread beside the GUI")
    ap.add_argument("--both", action="store_true", help="run quiet, then busy")
    ap.add_argument("--profile", action="store_true", help="cProfile the frames of the largest history")
    ap.add_argument("--compact", action="store_true")
    ap.add_argument("--live", type=float, default=0.0,
                    help="then SECONDS of live following (30 Hz feed, 5 redraws/s) under a 10 ms stall probe")
    ap.add_argument("--unstaged", action="store_true", help="live redraws touch every plot in one turn")
    ap.add_argument("--switch", type=float, nargs="+", default=[],
                    help="GIL switch intervals (s) to try in turn for the live part")
    args = ap.parse_args()
    app = QApplication.instance() or QApplication(["bench"])  # noqa: F841
    w, h = (int(v) for v in args.size.split("x"))
    busy_modes = [False, True] if args.both else [args.busy]
    for busy in busy_modes:
        worker = BusyTorch() if busy else None
        if worker:
            import torch  # noqa: F401 - imported here, not inside the thread (an import holds the GIL)

            worker.start()
            while worker.steps < 3:
                time.sleep(0.05)
        for steps in args.steps:
            rng = np.random.default_rng(0)
            plots = TrainingPlots(max_fps=0.001)  # we call redraw() ourselves
            plots.set_compact(args.compact)
            plots.resize(w, h)
            plots.show()
            plots.append(fake_metrics(0, steps, rng))
            plots.redraw()
            plots.repaint()
            QApplication.processEvents()
            time_frames(plots, steps, 5, args.per_tick, rng)  # warm caches
            prof = cProfile.Profile() if args.profile and steps == max(args.steps) else None
            if prof:
                prof.enable()
            times, redraws = time_frames(plots, steps + 100, args.rounds, args.per_tick, rng)
            if prof:
                prof.disable()
            print(f"plots {'busy' if busy else 'quiet'} {steps:6d} steps: frame {summary(times)}; "
                  f"redraw() alone median {statistics.median(redraws):.1f} ms", flush=True)
            if prof:
                pstats.Stats(prof).sort_stats("tottime").print_stats(18)
            if args.live:
                plots._min_interval = 0.2  # the real 5 redraws a second
                if args.unstaged:
                    plots._redraw_timer.timeout.disconnect()
                    plots._redraw_timer.timeout.connect(plots.redraw)
                    plots._redraw_live = plots.redraw
                for switch in args.switch or [sys.getswitchinterval()]:
                    old = sys.getswitchinterval()
                    sys.setswitchinterval(switch)
                    last = int(plots.buffer.x()[-1])
                    gaps = sorted(live_stalls(plots, last + 1, args.live, args.per_tick, rng))
                    sys.setswitchinterval(old)
                    print(f"  live {args.live:g} s, switch interval {switch * 1000:g} ms: stalls median "
                          f"{statistics.median(gaps):.1f} ms, p99 {gaps[int(0.99 * (len(gaps) - 1))]:.1f} ms, "
                          f"worst {gaps[-1]:.1f} ms, >30 ms: {sum(g > 30 for g in gaps)}", flush=True)
            plots.shutdown()
            plots.close()
            plots.deleteLater()
            QApplication.processEvents()
        # The sample grid: a new 8x8 grid of 32 px pictures, shown at the page's size.
        view = ImageView(whole_multiples=True)
        view.resize(520, 520)
        view.show()
        grid = np.random.default_rng(1).integers(0, 255, (8 * 34 + 2, 8 * 34 + 2, 3), dtype=np.uint8)
        times = []
        for _ in range(args.rounds):
            t = time.perf_counter()
            view.set_image(grid)
            view.repaint()
            times.append((time.perf_counter() - t) * 1000)
            QApplication.processEvents()
        print(f"sample grid {'busy' if busy else 'quiet'}: {summary(times)}", flush=True)
        view.close()
        if worker:
            worker.stop.set()
            worker.join()
            print(f"(torch thread: {worker.steps} steps)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
