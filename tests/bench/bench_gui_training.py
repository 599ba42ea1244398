"""Training through the Qt bridge vs headless, and GUI responsiveness while training.

1. Throughput: the same GanTrainingJob run headless (run_job in this thread) and through JobRunner
   (QThread + 30 Hz drain timer) with the real Train page plots receiving the metrics. Ratio of median
   per-step images/second; goal >= 0.95x.
2. Responsiveness: a 10 ms QTimer probe in the GUI thread during bridged training; we report the
   worst and the 99th-percentile gap between ticks (goal: worst < 50 ms).

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/bench/bench_gui_training.py [--preset dcgan64] [--no-plots]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path[:0] = [str(Path(__file__).resolve().parents[2]), str(Path(__file__).resolve().parent)]

from gui_bench_common import StallProbe  # noqa: E402
from PySide6.QtCore import QEventLoop  # noqa: E402
from PySide6.QtWidgets import QApplication, QLabel  # noqa: E402

from studio.engine.data import PrepSpec, prepare_demo  # noqa: E402
from studio.engine.gan.models import PRESETS  # noqa: E402
from studio.engine.gan.trainer import GanTrainingJob, TrainConfig  # noqa: E402
from studio.engine.jobs import Metrics, run_job  # noqa: E402
from studio.ui.job_runner import JobRunner  # noqa: E402
from studio.ui.qimage import to_pixmap  # noqa: E402

preview_label: PreviewLabel | None = None


class PreviewLabel(QLabel):
    """Shows sample grids the way the Train page does: a QPixmap built in the GUI thread."""

    def show_preview(self, ev) -> None:
        self.setPixmap(to_pixmap(ev.image).scaled(256, 256))


class StepClock:
    """Times steps from inside the worker thread (what the engine saw), via the job's own events."""

    def __init__(self) -> None:
        self.stamps: list[float] = []

    def __call__(self, ev) -> None:
        if isinstance(ev, Metrics):
            self.stamps.append(time.perf_counter())

    def rates(self, batch: int) -> list[float]:
        return [batch / (b - a) for a, b in zip(self.stamps, self.stamps[1:], strict=False)]


def config(preset: str, steps: int, batch: int) -> TrainConfig:
    return TrainConfig.for_preset(preset, batch_size=batch, steps=steps, sample_every_s=2.0,
                                  checkpoint_every_min=0, device="cpu")


def headless(preset: str, steps: int, batch: int, data, tmp: Path, tag: str) -> list[float]:
    clock = StepClock()
    run_job(GanTrainingJob(config(preset, steps, batch), tmp / tag, data=data), clock)
    return clock.rates(batch)


def bridged(app: QApplication, preset: str, steps: int, batch: int, data, tmp: Path, tag: str,
            probe: StallProbe | None, page) -> list[float]:
    runner = JobRunner()
    clock = StepClock()
    job = GanTrainingJob(config(preset, steps, batch), tmp / tag, data=data)
    original = job.run

    def run_with_clock(ctx):  # wrap the context's emit so the clock sees the same events
        inner = ctx._emit

        def emit(ev):
            clock(ev)
            inner(ev)

        ctx._emit = emit
        return original(ctx)

    job.run = run_with_clock
    if page is not None:
        runner.metrics.connect(page.append)
        runner.preview.connect(preview_label.show_preview)
    loop = QEventLoop()
    runner.running_changed.connect(lambda running: None if running else loop.quit())
    if probe:
        probe.start()
    runner.start(job)
    loop.exec()
    if probe:
        probe.stop()
    runner.shutdown()
    return clock.rates(batch)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--preset", default="dcgan64")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--steps", type=int, default=12)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--no-plots", action="store_true", help="measure the bridge alone, nothing drawn")
    args = ap.parse_args()
    global preview_label
    app = QApplication.instance() or QApplication([])
    preview_label = PreviewLabel()
    preview_label.show()
    try:
        if args.no_plots:
            raise RuntimeError("--no-plots")
        from studio.ui.widgets.training_plots import TrainingPlots

        plots = TrainingPlots()
        plots.resize(900, 500)
        plots.show()
    except Exception as exc:  # noqa: BLE001 - the bench still measures the bridge alone
        print(f"(no plots widget: {exc})")
        plots = None
    data = prepare_demo(PrepSpec(size=PRESETS[args.preset].image_size, channels=3), n=512)
    head, gui = [], []
    probe = StallProbe()
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.rounds):
            h = headless(args.preset, args.steps, args.batch, data, Path(tmp), f"h{r}")
            g = bridged(app, args.preset, args.steps, args.batch, data, Path(tmp), f"g{r}", None, plots)
            # responsiveness is probed in a run of its own: the probe's wake-ups cost the trainer too
            bridged(app, args.preset, args.steps, args.batch, data, Path(tmp), f"p{r}", probe, plots)
            head += h
            gui += g
            print(f"round {r + 1}: headless {statistics.median(h):7.1f} img/s   "
                  f"bridge {statistics.median(g):7.1f} img/s")
    hm, gm = statistics.median(head), statistics.median(gui)
    gaps = sorted(probe.gaps)
    p99 = gaps[int(0.99 * (len(gaps) - 1))]
    print(f"{args.preset} batch {args.batch}: headless {hm:.1f} img/s, through the GUI bridge {gm:.1f} img/s, "
          f"ratio {gm / hm:.2f}x (goal >= 0.95x)")
    print(f"GUI probe (10 ms timer, {len(gaps)} ticks during training): median gap {statistics.median(gaps):.1f} ms, "
          f"p99 {p99:.1f} ms, worst {gaps[-1]:.1f} ms (goal worst < 50 ms)")


if __name__ == "__main__":
    main()
