"""Screenshots of every page and dialog in both themes, to look at for overlap, clipping and contrast.

    xvfb-run -a .venv/bin/python tools/screenshots.py --out screenshots     # a real X server
    QT_QPA_PLATFORM=offscreen .venv/bin/python tools/screenshots.py         # no X server needed

Runs the real studio (engine included) against a throw-away config folder and workspace, so nothing of
yours is read or changed. For each theme it saves: each page empty and with something in it (Train with
the demo set, Stylize with a photo and a style, the Gallery with a few artworks), the File menu, and
the Settings (every tab), Help, About and Welcome dialogs. ``--scale 1.5`` renders as a HiDPI screen.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "screenshots"), help="folder for the PNGs")
    ap.add_argument("--themes", nargs="+", default=["dark", "light"])
    ap.add_argument("--size", default="1280x800", help="window size, WIDTHxHEIGHT")
    ap.add_argument("--scale", type=float, default=0.0, help="QT_SCALE_FACTOR (HiDPI check), e.g. 1.5")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="gan-studio-shots-"))
    os.environ["GAN_STUDIO_CONFIG_DIR"] = str(tmp / "config")
    os.environ["GAN_STUDIO_WORKSPACE"] = str(tmp / "workspace")
    os.environ["GAN_STUDIO_CACHE"] = str(tmp / "cache")
    os.environ["XDG_CONFIG_HOME"] = str(tmp / "xdg")
    os.environ["GAN_STUDIO_NO_WELCOME"] = "1"  # shown on purpose below
    if args.scale:
        os.environ["QT_SCALE_FACTOR"] = str(args.scale)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    width, height = (int(v) for v in args.size.lower().split("x"))

    from PySide6.QtCore import QPoint
    from PySide6.QtWidgets import QApplication

    from studio.ui.app import create_app

    app = create_app(["gan-studio-screenshots"], args.themes[0])

    from studio.ui.event_wait import wait_ms as wait
    from studio.ui.event_wait import wait_until

    _sample_workspace(tmp / "workspace", tmp / "inputs")
    from studio.ui.window.window import MainWindow

    window = MainWindow(load_engine=True)
    window.resize(width, height)
    window.show()
    if not wait_until(lambda: window.engine_info is not None, 180):
        print("the engine did not load in time", file=sys.stderr)
    suffix = f"-x{args.scale:g}" if args.scale else ""
    saved: list[Path] = []

    def shot(widget, name: str) -> None:
        wait(250)
        path = out / f"{name}{suffix}.png"
        widget.grab().save(str(path))
        saved.append(path)

    for theme in args.themes:
        window.set_theme(theme)
        wait(200)
        for key in window.page_keys():  # as they look the first time
            window.show_page(key)
            shot(window, f"{theme}-page-{key}")

        train = window.train_page()
        if train is not None:
            window.show_page("train")
            train.use_builtin_dataset("demo")
            wait_until(lambda page=train: not page.dataset.is_busy(), 60)
            shot(window, f"{theme}-page-train-demo")
        stylize = window.stylize_page()
        if stylize is not None:
            window.show_page("stylize")
            if stylize.content.path() is None:  # the first theme drops them; the next ones see the same
                window.route_paths([str(tmp / "inputs" / "photo.png"), str(tmp / "inputs" / "painting.png")])
            shot(window, f"{theme}-page-stylize-inputs")
        window.show_page("gallery")
        gallery = window.gallery_page()
        if gallery is not None:
            gallery.refresh()
            shot(window, f"{theme}-page-gallery-items")
        window.show_page("train")

        file_menu = window.menuBar().actions()[0].menu()
        file_menu.popup(window.mapToGlobal(QPoint(8, window.menuBar().height())))
        shot(file_menu, f"{theme}-menu-file")
        file_menu.hide()

        settings = window.open_settings()
        for i in range(settings.tabs.count()):
            settings.tabs.setCurrentIndex(i)
            shot(settings, f"{theme}-dialog-settings-{i + 1}")
        settings.hide()

        help_dialog = window.show_help("gan")
        for topic in ("gan", "training", "losses", "problems", "style", "latent"):
            help_dialog.show_section(topic)
            shot(help_dialog, f"{theme}-dialog-help-{topic}")
        help_dialog.hide()

        window.show_about()
        shot(window.about_dialog, f"{theme}-dialog-about")
        window.about_dialog.close()

        welcome = window.show_welcome()
        shot(welcome, f"{theme}-dialog-welcome")
        welcome.done(0)

    for path in saved:
        print(path)
    window.ask_stop_training = lambda: True
    window.close()
    window.shutdown_background()
    QApplication.processEvents()
    del app
    return 0


def _sample_workspace(workspace: Path, inputs: Path) -> None:
    """A photo, a "painting" and a few finished artworks, so pages show something real."""
    import numpy as np
    from PIL import Image

    inputs.mkdir(parents=True, exist_ok=True)
    y, x = np.mgrid[0:256, 0:256] / 255.0
    photo = np.stack([0.3 + 0.5 * y, 0.5 + 0.3 * np.sin(6 * x), 0.8 - 0.4 * y], -1)
    Image.fromarray((photo * 255).astype(np.uint8)).save(inputs / "photo.png")
    rng = np.random.default_rng(3)
    strokes = np.clip(rng.normal(0.5, 0.25, (32, 32, 3)), 0, 1)
    Image.fromarray((strokes * 255).astype(np.uint8)).resize((256, 256), Image.Resampling.NEAREST).save(
        inputs / "painting.png")
    from studio.engine.export import save_artwork

    for i in range(3):
        art = np.clip(photo * (0.6 + 0.2 * i) + strokes.repeat(8, 0).repeat(8, 1) * 0.3, 0, 1)
        save_artwork((art * 255).astype(np.uint8), workspace / "artworks" / f"sample-{i + 1}.png",
                     {"kind": "sample", "note": "made by tools/screenshots.py"})


if __name__ == "__main__":
    sys.exit(main())
