"""Time from process start to the main window shown, vs the time of ``import torch`` alone.

The app imports torch in the background after the window is up, so the window should appear in well
under the time torch alone takes to import. Goal: ratio <= 0.5x. Each measurement is a fresh process;
we report medians.

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/bench/bench_startup.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def time_import_torch() -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import torch"], check=True)
    return time.perf_counter() - t0


def time_window_shown(env: dict) -> tuple[float, float]:
    """Wall time from spawn to the WINDOW_SHOWN line, and the app's own process-age reading."""
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, str(ROOT / "main.py")], stdout=subprocess.PIPE, text=True,
                            env=env, cwd=ROOT)
    shown_wall = None
    reported = float("nan")
    for line in proc.stdout:
        if line.startswith("WINDOW_SHOWN"):
            shown_wall = time.perf_counter() - t0
            reported = float(line.split()[1])
            break
    proc.wait(timeout=60)
    if shown_wall is None:
        raise RuntimeError("the app never reported WINDOW_SHOWN")
    return shown_wall, reported


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "GAN_STUDIO_EXIT_AFTER_SHOW": "1", "QT_QPA_PLATFORM": os.environ.get(
            "QT_QPA_PLATFORM", "offscreen"), "XDG_CONFIG_HOME": tmp, "GAN_STUDIO_WORKSPACE": tmp}
        time_import_torch()  # warm the file cache for both
        time_window_shown(env)
        torch_t, win_t, win_self = [], [], []
        for _ in range(args.runs):
            torch_t.append(time_import_torch())
            wall, reported = time_window_shown(env)
            win_t.append(wall)
            win_self.append(reported)
    t, w = statistics.median(torch_t), statistics.median(win_t)
    print(f"python -c 'import torch': median {t * 1000:.0f} ms over {args.runs} runs")
    print(f"process start -> main window shown: median {w * 1000:.0f} ms (app's own reading "
          f"{statistics.median(win_self) * 1000:.0f} ms)")
    print(f"ratio {w / t:.2f}x (goal <= 0.5x)")


if __name__ == "__main__":
    main()
