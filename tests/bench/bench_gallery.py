"""Gallery with 1,000 items: scan, model fill, first paint, and time until every thumbnail is cached.

The workspace holds ``--items`` things made the way the studio makes them: artworks (PNG, 384×256, with
a recipe JSON beside each), animations (GIFs of 6 frames) and a few training runs (config + sample
grids). Measured, each as the median of ``--repeats`` runs:

- scan: ``scan_workspace`` alone (stats only), against a reference of ``os.walk`` + ``stat`` of every
  file in the same tree (the least any scan must do);
- refresh: ``GalleryPage.refresh()`` = scan + model reset + filter counts + watcher update;
- first paint: from ``show()`` (which refreshes) to a finished ``grab()`` of the page at 1400×900
  (placeholders and whatever thumbnails are ready);
- on-screen thumbnails: until every item painted in the first screen has its thumbnail;
- all cached: until the loader is idle, i.e. every item's thumbnail is in the disk cache — cold (empty
  cache dir) and warm (same cache, a fresh page: only cache hits). The cold figure is compared with a
  reference: Pillow open + thumbnail + JPEG save for the same files in one thread, sequentially.

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/bench/bench_gallery.py [--items 1000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

_TMP = Path(tempfile.mkdtemp(prefix="bench-gallery-"))
os.environ["GAN_STUDIO_WORKSPACE"] = str(_TMP / "ws")
os.environ["GAN_STUDIO_CACHE"] = str(_TMP / "cache")
os.environ["XDG_CONFIG_HOME"] = str(_TMP / "config")

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402
from PySide6.QtCore import QCoreApplication, QEventLoop, QSettings, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from studio.engine.gallery import THUMB_SIDE, scan_workspace  # noqa: E402

QCoreApplication.setOrganizationName("GAN Art Studio Bench")
QCoreApplication.setApplicationName("GAN Art Studio Bench")
QSettings.setDefaultFormat(QSettings.Format.IniFormat)
QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(_TMP / "config"))


def make_workspace(root: Path, items: int) -> dict[str, int]:
    rng = np.random.default_rng(0)
    runs = max(1, items // 100)
    anims = max(1, items // 25)
    arts = items - runs - anims
    yy, xx = np.mgrid[0:256, 0:384]
    base = np.stack([xx * 255 // 383, yy * 255 // 255, (xx + yy) * 255 // 638], -1).astype(np.uint8)
    t = time.time() - items
    (root / "artworks").mkdir(parents=True)
    for i in range(arts):
        img = base.copy()
        img[rng.integers(0, 256, 400), rng.integers(0, 384, 400)] = rng.integers(0, 256, (400, 3))
        p = root / "artworks" / f"artwork-{i:04d}.png"
        Image.fromarray(np.roll(img, i * 7, axis=1)).save(p, compress_level=1)
        p.with_suffix(".json").write_text(json.dumps({"kind": "gan-art-studio/style-transfer", "i": i}))
        os.utime(p, (t + i, t + i))
    (root / "animations").mkdir()
    for i in range(anims):
        frames = [Image.fromarray(np.roll(base, k * 20, axis=0)[::2, ::2]) for k in range(6)]
        p = root / "animations" / f"walk-{i:03d}.gif"
        frames[0].save(p, save_all=True, append_images=frames[1:], duration=80, loop=0)
        os.utime(p, (t + arts + i, t + arts + i))
    for i in range(runs):
        run = root / "runs" / f"run-{i:02d}"
        (run / "samples").mkdir(parents=True)
        (run / "config.json").write_text('{"preset": "dcgan32"}')
        for step in range(0, 5000, 500):
            Image.fromarray(base[:, :256]).save(run / "samples" / f"step_{step:07d}.png", compress_level=1)
    return {"artworks": arts, "animations": anims, "runs": runs}


def reference_walk(root: Path) -> int:
    n = 0
    for folder, _dirs, files in os.walk(root):
        for f in files:
            os.stat(os.path.join(folder, f))
            n += 1
    return n


def reference_thumbnails(items, out: Path) -> float:
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    for i, item in enumerate(items):
        if item.thumb_source is None:
            continue
        with Image.open(item.thumb_source) as im:
            im.thumbnail((THUMB_SIDE, THUMB_SIDE))
            im.convert("RGB").save(out / f"{i}.jpg", quality=88)
    return time.perf_counter() - t0


def wait_until(cond, timeout_s: float = 600.0, step_ms: int = 5) -> float:
    """Run the event loop until ``cond()``; returns the seconds it took (QEventLoop + QTimer, not qWait)."""
    t0 = time.perf_counter()
    loop = QEventLoop()
    while not cond():
        if time.perf_counter() - t0 > timeout_s:
            raise TimeoutError("gave up waiting")
        QTimer.singleShot(step_ms, loop.quit)
        loop.exec()
    return time.perf_counter() - t0


def on_screen_ready(page) -> bool:
    area = page.view.viewport().rect()
    for row in range(page.proxy.rowCount()):
        idx = page.proxy.index(row, 0)
        if not page.view.visualRect(idx).intersects(area):
            continue
        if page.model.state(idx.data(gallery_model.ItemRole)) == "loading":
            return False
    return True


def one_page_run(cache: Path, cold: bool) -> dict[str, float]:
    """A fresh page (no pixmaps in memory), shown at 1400×900; cold = empty disk cache."""
    if cold and cache.exists():
        shutil.rmtree(cache)
    page = page_module.GalleryPage()
    page.resize(1400, 900)
    t0 = time.perf_counter()
    page.show()  # showing scans (refresh: scan + model fill)
    t_refresh = page.last_refresh_seconds
    page.grab()
    t_paint = time.perf_counter() - t0
    wait_until(lambda: on_screen_ready(page))
    t_screen = time.perf_counter() - t0
    wait_until(lambda: page.thumbnails_idle())
    t_all = time.perf_counter() - t0
    page.shutdown()
    page.hide()
    page.deleteLater()
    QApplication.processEvents()
    return {"refresh": t_refresh, "paint": t_paint, "screen": t_screen, "all": t_all}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    app = QApplication.instance() or QApplication([])
    from studio.ui.app import apply_theme

    apply_theme(app)
    root = Path(os.environ["GAN_STUDIO_WORKSPACE"])
    t0 = time.perf_counter()
    made = make_workspace(root, args.items)
    print(f"workspace: {made} written in {time.perf_counter() - t0:.1f} s ({root})")

    scans, refs = [], []
    for _ in range(max(3, args.repeats)):
        t = time.perf_counter()
        reference_walk(root)
        refs.append(time.perf_counter() - t)
        t = time.perf_counter()
        result = scan_workspace(root)
        scans.append(time.perf_counter() - t)
    scan, ref = statistics.median(scans), statistics.median(refs)
    print(f"scan_workspace: {len(result.items)} items in {scan * 1000:.1f} ms (median) · "
          f"os.walk+stat reference {ref * 1000:.1f} ms · ratio {scan / ref:.2f}")

    cache = _TMP / "cache" / "thumbnails"
    cold = [one_page_run(cache, cold=True) for _ in range(args.repeats)]
    warm = [one_page_run(cache, cold=False) for _ in range(args.repeats)]
    sample = result.items
    ref_thumbs = reference_thumbnails(sample, _TMP / "ref-thumbs")

    def med(runs, key):
        return statistics.median(r[key] for r in runs)

    def spread(runs, key, scale=1000.0):
        return "/".join(f"{r[key] * scale:.0f}" for r in runs)

    for name, runs in (("cold cache", cold), ("warm cache", warm)):
        print(f"{name}: refresh (scan + model fill) {med(runs, 'refresh') * 1000:.0f} ms · first paint "
              f"{med(runs, 'paint') * 1000:.0f} ms · on-screen thumbnails {med(runs, 'screen') * 1000:.0f} ms · "
              f"all {len(sample)} cached {med(runs, 'all'):.2f} s")
        print(f"    runs (ms): paint {spread(runs, 'paint')} · on-screen {spread(runs, 'screen')} · "
              f"all {spread(runs, 'all')}")
    workers = gallery_thumbnails.ThumbnailLoader(cache).max_workers
    print(f"reference: Pillow thumbnails, one thread, sequential: {ref_thumbs:.2f} s for {len(sample)} items · "
          f"cold all-cached / reference = {med(cold, 'all') / ref_thumbs:.2f} (loader workers: {workers}, "
          f"cpus: {os.cpu_count()})")
    shutil.rmtree(_TMP, ignore_errors=True)


if __name__ == "__main__":
    from studio.ui.gallery import model as gallery_model
    from studio.ui.gallery import page as page_module
    from studio.ui.gallery import thumbnails as gallery_thumbnails

    main()
