"""Scrub latency on the Explore page: from moving the player's scrub slider to the new frame on screen.

A DCGAN-64 generator (random DCGAN-initialised weights, written through our exported-generator format so
opening it is the real path) on CPU; a 4-keyframe looping walk of 120 frames is rendered once, then the
slider is set to 50 random positions. Each scrub is timed from ``slider.setValue`` until the player's
pixmap has changed (its cacheKey) *and* the player widget has painted it (a Paint event after the
change), with events processed in between. Goal: median < 100 ms. Also reported: how long the preview
takes to come back after editing one segment (only that segment re-renders).

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/bench/bench_explore_scrub.py [--scrubs 50] [--frames 120]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_walk_render import write_generator  # noqa: E402
from PySide6.QtCore import QEvent, QEventLoop, QObject, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from studio.engine.device import configure_threads  # noqa: E402


class PaintCounter(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.paints = 0

    def eventFilter(self, _obj, event) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.Paint:
            self.paints += 1
        return False


def spin_until(app: QApplication, cond, timeout_s: float) -> bool:
    """Process events until ``cond()`` (no QTest.qWait: it holds the GIL for the worker thread here)."""
    end = time.perf_counter() + timeout_s
    loop = QEventLoop()
    while not cond():
        if time.perf_counter() > end:
            return False
        QTimer.singleShot(1, loop.quit)
        loop.exec()
    return True


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scrubs", type=int, default=50)
    ap.add_argument("--frames", type=int, default=120)
    args = ap.parse_args()
    threads = configure_threads()
    app = QApplication.instance() or QApplication(sys.argv)
    from studio.ui.explore.page import ExplorePage

    with tempfile.TemporaryDirectory() as tmp:
        gen = write_generator(Path(tmp))
        page = ExplorePage()
        page.resize(1280, 800)
        page.show()
        try:
            t0 = time.perf_counter()
            page.open_generator(gen)
            assert spin_until(app, lambda: page.has_generator() and not page.is_busy(), 120)
            print(f"opened {gen.name} (dcgan64, {page.generator_info().image_size} px) in "
                  f"{time.perf_counter() - t0:.2f} s; torch threads {threads}")
            for tile in page.grid.tiles[:4]:
                page.toggle_entry(tile.entry)
            page.add_selected_favourites_to_timeline()
            per = args.frames // 4
            for row in range(4):
                page.set_segment(row, frames=per)
            page.loop_check.setChecked(True)
            t0 = time.perf_counter()
            page.render_preview()
            assert spin_until(app, lambda: page.preview_is_current() and not page.is_busy(), 300)
            n = len(page.preview_frames())
            print(f"preview: {n} frames rendered in {time.perf_counter() - t0:.2f} s")

            view = page.player_view
            counter = PaintCounter()
            view.installEventFilter(counter)
            spin_until(app, lambda: False, 0.2)  # settle first paints
            rng = random.Random(0)
            to_pixmap, to_screen = [], []
            for _ in range(args.scrubs):
                target = rng.randrange(n)
                while target == page.scrub.value():
                    target = rng.randrange(n)
                key = view.pixmap.cacheKey() if view.pixmap is not None else None
                paints = counter.paints
                start = time.perf_counter()
                page.scrub.setValue(target)
                assert spin_until(app, lambda k=key: view.pixmap is not None and view.pixmap.cacheKey() != k, 5)
                to_pixmap.append(time.perf_counter() - start)
                assert spin_until(app, lambda p=paints: counter.paints > p, 5)
                to_screen.append(time.perf_counter() - start)
                assert page.current_frame_index() == target
            ms = [1000 * x for x in to_screen]
            print(f"scrub → pixmap set:   median {1000 * statistics.median(to_pixmap):.2f} ms, "
                  f"worst {1000 * max(to_pixmap):.2f} ms")
            print(f"scrub → frame painted: median {statistics.median(ms):.2f} ms, worst {max(ms):.2f} ms "
                  f"over {len(ms)} scrubs (goal < 100 ms: {'met' if statistics.median(ms) < 100 else 'NOT met'})")

            # Editing one segment re-renders only its frames.
            before = page.rendered_frame_count
            t0 = time.perf_counter()
            page.set_segment(1, frames=per + 6)
            page.render_preview()
            assert spin_until(app, lambda: page.preview_is_current() and not page.is_busy(), 300)
            print(f"edit one segment → preview back in {time.perf_counter() - t0:.2f} s, "
                  f"{page.rendered_frame_count - before} of {len(page.preview_frames())} frames re-rendered")
        finally:
            page.shutdown(60_000)
            page.deleteLater()


if __name__ == "__main__":
    main()
