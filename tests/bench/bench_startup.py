"""Time from process start to the main window shown, and of ``python -m studio --help``, vs ``import torch``.

The app imports torch in the background after the window is up, so the window should appear in well
under the time torch alone takes to import. Goal: ratio <= 0.5x. The CLI's parser imports only the
torch-free settings modules, so asking for help should cost a fraction of torch: goal <= 0.15x (for
``--help`` and ``train --help``). Each measurement is a fresh process; we report medians.

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


def time_cli_help(env: dict, *argv: str) -> float:
    """Wall time of ``python -m studio ARGV --help`` in a fresh process (output discarded)."""
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "studio", *argv, "--help"], check=True, env=env, cwd=ROOT,
                   stdout=subprocess.DEVNULL)
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
        time_import_torch()  # warm the file cache for all
        time_window_shown(env)
        time_cli_help(env)
        torch_t, win_t, win_self, help_t, train_help_t = [], [], [], [], []
        for _ in range(args.runs):  # interleaved, so a change in machine load hits every measurement alike
            torch_t.append(time_import_torch())
            wall, reported = time_window_shown(env)
            win_t.append(wall)
            win_self.append(reported)
            help_t.append(time_cli_help(env))
            train_help_t.append(time_cli_help(env, "train"))
    t, w = statistics.median(torch_t), statistics.median(win_t)
    h, th = statistics.median(help_t), statistics.median(train_help_t)
    print(f"python -c 'import torch': median {t * 1000:.0f} ms over {args.runs} runs")
    print(f"process start -> main window shown: median {w * 1000:.0f} ms (app's own reading "
          f"{statistics.median(win_self) * 1000:.0f} ms)")
    print(f"ratio {w / t:.2f}x (goal <= 0.5x)")
    print(f"python -m studio --help: median {h * 1000:.0f} ms, ratio {h / t:.2f}x (goal <= 0.15x)")
    print(f"python -m studio train --help: median {th * 1000:.0f} ms, ratio {th / t:.2f}x (goal <= 0.15x)")


if __name__ == "__main__":
    main()
