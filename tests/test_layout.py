"""Every page fits every screen an artist has: no cut text, no overlapping controls, nothing to scroll sideways.

One real window (engine loaded) is grabbed at 1024×640, 1280×720, 1366×768, 1920×1080 and 2560×1440, each page
first as it opens and then with work in it (a dataset, a photo and paintings, a generator with keyframes, a
gallery of pieces). 1.5× and 2× device scales run the same check in a subprocess, because Qt reads the scale
factor once per process. ``tests/layout_check.py`` says what counts as a problem.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from layout_check import fit_window, layout_problems
from PIL import Image

from studio.ui.event_wait import wait_ms, wait_until

REPO = Path(__file__).resolve().parents[1]
SIZES = [(1024, 640), (1280, 720), (1366, 768), (1920, 1080), (2560, 1440)]
SCALED = {1.5: [(1024, 640), (1280, 720)], 2.0: [(1024, 640), (1280, 720)]}  # logical sizes at that scale
PAGES = ("train", "explore", "stylize", "gallery")
WAIT_S = 120


def _wait(ms: int) -> None:
    wait_ms(ms)


def _wait_until(cond, timeout_s: float = WAIT_S) -> bool:
    return wait_until(cond, timeout_s, step_ms=30)


def _inputs(folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    y, x = np.mgrid[0:128, 0:192] / 128.0
    photo = np.stack([0.3 + 0.5 * y, 0.5 + 0.3 * np.sin(6 * x), 0.8 - 0.4 * y], -1)
    Image.fromarray((np.clip(photo, 0, 1) * 255).astype(np.uint8)).save(folder / "a-photo-with-a-long-name.png")
    rng = np.random.default_rng(3)
    strokes = (np.clip(rng.normal(0.5, 0.25, (16, 16, 3)), 0, 1) * 255).astype(np.uint8)
    Image.fromarray(strokes).resize((128, 128), Image.Resampling.NEAREST).save(folder / "painting.png")
    return folder / "a-photo-with-a-long-name.png", folder / "painting.png"


def _tiny_run(workspace: Path) -> Path:
    """Two CPU training steps of a 32 px DCGAN, as a run in the workspace (what Explore and the Gallery list)."""
    from studio.engine.gan.trainer import GanTrainingJob, TrainConfig
    from studio.engine.jobs import run_job
    from studio.engine.runs import new_run_dir

    run_dir = new_run_dir(workspace / "runs", "layout-check")
    cfg = TrainConfig.for_preset("dcgan32", data="demo", width=4, batch_size=8, steps=2, demo_count=32,
                                 sample_every_s=1e9, checkpoint_every_min=0, device="cpu")
    outcome = run_job(GanTrainingJob(cfg, run_dir))
    assert outcome.error is None, outcome.error
    return run_dir


def fill_pages(window, tmp: Path, run_dir: Path) -> None:
    """Put an artist's work on every page, through the same calls a drop or a click makes."""
    train = window.train_page()
    train.use_builtin_dataset("demo")
    assert _wait_until(lambda: not train.dataset.is_busy())
    photo, painting = _inputs(tmp / "inputs")
    window.show_page("stylize")
    window.route_paths([str(photo), str(painting)])
    stylize = window.stylize_page()
    assert _wait_until(lambda: stylize.content.path() is not None)
    explore = window.page_widget("explore")
    explore.open_generator(run_dir)
    assert _wait_until(lambda: explore.has_generator() and not explore.is_busy() and None not in explore.grid.seeds())
    for seed in explore.grid.seeds()[:3]:
        explore.toggle_favourite(seed)
    explore.add_keyframes([{"seed": s} for s in explore.grid.seeds()[:3]])
    gallery = window.gallery_page()
    gallery.refresh()
    _wait(200)


def check_window(window, sizes, states: dict) -> list[str]:
    """Every problem at every size, as 'page state W×H: problem' lines."""
    lines = []
    for state, prepare in states.items():
        prepare()
        for width, height in sizes:
            for key in PAGES:
                window.show_page(key)
                problems = fit_window(window, width, height)
                _wait(60)
                problems += layout_problems(window)
                lines += [f"{key} {state} {width}×{height}: {p}" for p in problems]
    return lines


@pytest.fixture(scope="module")
def window(qapp, tmp_path_factory):
    from studio.engine.runs import default_workspace
    from studio.ui.theme import apply_theme
    from studio.ui.window.window import MainWindow

    tmp = tmp_path_factory.mktemp("layout")
    run_dir = _tiny_run(default_workspace())
    palette, sheet = qapp.palette(), qapp.styleSheet()
    apply_theme(qapp, "dark")  # the sheets set fonts and paddings: check what an artist sees
    w = MainWindow(load_engine=True)
    w.show()
    assert _wait_until(lambda: w.engine_info is not None and w.stylize_page() is not None)
    w.fill = lambda: fill_pages(w, tmp, run_dir)
    yield w
    w.ask_stop_training = lambda: True
    w.close()
    w.shutdown_background()
    qapp.setStyleSheet(sheet)  # later tests see the application as they always did
    qapp.setPalette(palette)


def test_every_page_fits_every_screen_size(window):
    lines = check_window(window, SIZES, {"empty": lambda: None, "with work": window.fill})
    assert lines == [], f"{len(lines)} layout problems:\n" + "\n".join(lines[:60])


@pytest.mark.parametrize("scale", sorted(SCALED))
def test_every_page_fits_at_high_dpi(scale, tmp_path):
    env = dict(os.environ, QT_SCALE_FACTOR=str(scale), QT_QPA_PLATFORM="offscreen")
    for var, sub in (("GAN_STUDIO_WORKSPACE", "w"), ("GAN_STUDIO_CACHE", "c"), ("GAN_STUDIO_CONFIG_DIR", "s"),
                     ("XDG_CONFIG_HOME", "x")):
        (tmp_path / sub).mkdir()
        env[var] = str(tmp_path / sub)
    out = tmp_path / "problems.json"
    proc = subprocess.run([sys.executable, __file__, str(scale), str(out), str(tmp_path)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = json.loads(out.read_text())
    assert lines == [], f"{len(lines)} layout problems at {scale}×:\n" + "\n".join(lines[:60])


def _main(scale: float, out: Path, tmp: Path) -> int:
    """The high-DPI check, run in its own process (Qt reads QT_SCALE_FACTOR once)."""
    sys.path[:0] = [str(REPO), str(REPO / "tests")]
    os.environ.setdefault("GAN_STUDIO_NO_WELCOME", "1")
    from studio.engine.runs import default_workspace
    from studio.ui.app import create_app
    from studio.ui.window.window import MainWindow

    app = create_app(["layout-check"], "dark")
    run_dir = _tiny_run(default_workspace())
    window = MainWindow(load_engine=True)
    window.show()
    if not _wait_until(lambda: window.engine_info is not None and window.stylize_page() is not None):
        print("the engine did not load", file=sys.stderr)
        return 1
    lines = check_window(window, SCALED[scale], {"empty": lambda: None,
                                                 "with work": lambda: fill_pages(window, tmp, run_dir)})
    out.write_text(json.dumps(lines))
    window.ask_stop_training = lambda: True
    window.close()
    window.shutdown_background()
    del app
    return 0


if __name__ == "__main__":
    sys.exit(_main(float(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])))
