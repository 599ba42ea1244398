"""Soak: a long training run through the real window, then hundreds of exports in a row — does anything leak?

1. Training: the real MainWindow, the Train page on the built-in demo set, the loss plots and sample grids
   live, for ``--minutes`` (30 by default). Every ``--every`` seconds we record the process's resident memory,
   open file handles, Python threads and live QThreads; a 10 ms timer in the GUI thread records the longest
   time the window could not react (a stall).
2. Exports: the Explore page opens the run's generator and exports ``--exports`` (500) small GIF walks in a row,
   each through the page's own export path (a JobRunner job), recording the same figures.

Growth is measured after a warm-up (the first ``--warmup`` fraction of each phase: caches, plots and pools
fill up once), and reported as medians of the last samples against those at the end of the warm-up. While
training, the warm-up also lasts until the first sample taken after the Train page shows its first quality
point (KID/FD): the first check loads the picture-recognition net once (~140 MB, a cache, not a leak).
Goals: memory growth < 50 MB after warm-up, no handle or thread leak, worst GUI stall < 50 ms.

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/bench/bench_soak.py [--minutes 30] [--exports 500]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "bench")]
_TMP = Path(tempfile.mkdtemp(prefix="gan-studio-soak-"))
for _var, _sub in (("GAN_STUDIO_CONFIG_DIR", "config"), ("GAN_STUDIO_WORKSPACE", "workspace"),
                   ("GAN_STUDIO_CACHE", "cache"), ("XDG_CONFIG_HOME", "xdg")):
    (_TMP / _sub).mkdir()
    os.environ[_var] = str(_TMP / _sub)  # never the user's files
os.environ["GAN_STUDIO_NO_WELCOME"] = "1"

from gui_bench_common import StallProbe  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from studio.ui.event_wait import wait_ms as wait  # noqa: E402
from studio.ui.event_wait import wait_until  # noqa: E402


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def open_handles() -> int:
    try:
        return len(os.listdir("/proc/self/fd"))
    except OSError:
        return -1


def qthreads() -> int:
    runner = sys.modules.get("studio.ui.job_runner")
    return len(runner.live_qthreads()) if runner is not None else 0


def sample(label: str, t0: float) -> dict:
    return {"phase": label, "t": time.monotonic() - t0, "rss": rss_mb(), "fds": open_handles(),
            "threads": threading.active_count(), "qthreads": qthreads()}


def warmup_end(samples: list[dict], warmup: float, first_quality: int | None) -> tuple[int, str]:
    """Index of the sample that ends the warm-up, and why: the later of the ``warmup`` fraction and the
    first sample taken after the first quality point was on show (``first_quality``, a sample index)."""
    by_fraction = max(0, int(len(samples) * warmup) - 1)
    why = f"the first {warmup:.0%} of the samples"
    if first_quality is not None and first_quality > by_fraction:
        return first_quality, "the first sample after the first quality check (its feature net loads once)"
    if first_quality is None and samples and samples[0]["phase"] == "train":
        why += " (no quality check was shown during the run)"
    return by_fraction, why


def report(name: str, samples: list[dict], warmup: float, probe: StallProbe, t0: float,
           first_quality: int | None = None) -> bool:
    """Print growth after warm-up and the stall figures; True when every goal is met."""
    if len(samples) < 4:
        print(f"{name}: too few samples ({len(samples)})")
        return False
    end, why = warmup_end(samples, warmup, first_quality)
    start = end + 1
    print(f"{name}: warm-up ended at {samples[end]['t']:.0f} s (sample {end + 1} of {len(samples)}): {why}")
    if len(samples) - start < 3:
        print(f"{name}: fewer than 3 samples after the warm-up: the growth figures are not meaningful")
    base, tail = samples[start - 1: start + 2], samples[-3:]
    all_gaps = sorted(probe.gaps) or [0.0]
    gaps = probe.after(t0 + samples[start - 1]["t"])

    def med(rows, key):
        return statistics.median(r[key] for r in rows)

    growth = med(tail, "rss") - med(base, "rss")
    fds = med(tail, "fds") - med(base, "fds")
    threads = med(tail, "threads") - med(base, "threads")
    qts = med(tail, "qthreads") - med(base, "qthreads")
    gaps = sorted(gaps) or [0.0]
    p99 = gaps[int(0.99 * (len(gaps) - 1))]
    print(f"{name}: {len(samples)} samples over {samples[-1]['t'] - samples[0]['t']:.0f} s; memory "
          f"{med(base, 'rss'):.0f} MB after warm-up → {med(tail, 'rss'):.0f} MB (growth {growth:+.1f} MB, goal < 50); "
          f"file handles {fds:+.0f}, Python threads {threads:+.0f}, QThreads {qts:+.0f} (goal 0); "
          f"GUI stalls after warm-up: median {statistics.median(gaps):.1f} ms, p99 {p99:.1f} ms, "
          f"worst {gaps[-1]:.1f} ms (goal worst < 50 ms; worst during warm-up {all_gaps[-1]:.0f} ms)")
    return growth < 50 and fds <= 0 and threads <= 0 and qts <= 0 and gaps[-1] < 50


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=30.0, help="training time through the GUI")
    ap.add_argument("--exports", type=int, default=500, help="GIF exports in a row")
    ap.add_argument("--every", type=float, default=10.0, help="seconds between samples while training")
    ap.add_argument("--warmup", type=float, default=0.2, help="fraction of each phase treated as warm-up")
    ap.add_argument("--preset", default="dcgan32")
    args = ap.parse_args()

    from studio.ui.app import create_app

    app = create_app(["gan-studio-soak"], "dark")  # noqa: F841 - kept alive for the whole bench
    from studio.ui.window.window import MainWindow

    window = MainWindow(load_engine=True)
    window.resize(1280, 800)
    window.show()
    if not wait_until(lambda: window.train_page() is not None and window.engine_info is not None, 300):
        print("the engine did not load", file=sys.stderr)
        return 1
    train = window.train_page()
    window.show_page("train")
    train.use_builtin_dataset("demo")
    wait_until(lambda: not train.dataset.is_busy(), 120)
    train.settings.set_preset(args.preset)
    train.settings.set_steps(0)  # until stopped
    probe = StallProbe()
    samples: list[dict] = []
    t0 = time.monotonic()
    train.start_training()
    if not wait_until(train.is_training, 60):
        print(f"training did not start: {train.error_message()}", file=sys.stderr)
        return 1
    probe.start()
    end = t0 + args.minutes * 60
    first_quality = None  # index of the first sample taken with a quality point on show
    while time.monotonic() < end:
        wait(int(args.every * 1000))
        shown = train.plots.last_quality_step()
        samples.append(sample("train", t0))
        if first_quality is None and shown is not None:
            first_quality = len(samples) - 1
            print(f"first quality point (step {shown:,}) on show by {samples[-1]['t']:.0f} s", flush=True)
    probe.stop()
    steps = train.plots.buffer.x()
    print(f"training reached step {int(steps[-1]) if len(steps) else 0:,} in {args.minutes:g} min", flush=True)
    run_dir = train.run_dir()
    train.stop_training()
    wait_until(lambda: not train.is_training(), 120)
    ok = report(f"training ({args.preset}, {args.minutes:g} min)", samples, args.warmup, probe, t0, first_quality)

    explore = window.page_widget("explore")
    window.show_page("explore")
    explore.open_generator(run_dir)
    wait_until(lambda: explore.has_generator() and not explore.is_busy(), 120)
    seeds = [s for s in explore.grid.seeds() if s is not None][:3]
    explore.add_keyframes([{"seed": s} for s in seeds])
    out = _TMP / "exports"
    out.mkdir()
    probe = StallProbe()
    samples = []
    t1 = time.monotonic()
    probe.start()
    every = max(1, args.exports // 50)
    for i in range(args.exports):
        if not explore.export_walk(out / f"walk-{i % 5}.gif"):  # overwrite in turn: disk stays small
            print(f"export {i} did not start: {explore.error_message()}", file=sys.stderr)
            return 1
        wait_until(lambda: not explore.is_busy() and not explore.export_runner.is_running(), 120)
        if i % every == 0:
            samples.append(sample("export", t1))
    probe.stop()
    ok = report(f"exports ({args.exports} GIF walks)", samples, args.warmup, probe, t1) and ok
    window.ask_stop_training = lambda: True
    window.close()
    window.shutdown_background()
    QApplication.processEvents()
    print("all goals met" if ok else "some goals missed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
