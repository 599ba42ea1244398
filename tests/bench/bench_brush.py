"""Brush latency of the mask editor on a 2048×2048 picture: cost of one mouse-move while painting.

What one measured event is: ``QApplication.sendEvent(editor, MouseMove)`` — the editor's handler
walks from the previous point, stamps the dabs (spacing 1/5 of the radius), recomputes the paint and
the overlay QImage inside the dirty box and schedules a repaint of that box — immediately followed by
``QApplication.processEvents()``, which delivers the pending UpdateRequest, so the editor's
``paintEvent`` redraws the dirty region (picture + overlay, scaled) into the window's backing store.
Both together are timed per event with ``perf_counter``; a Paint-event filter checks a paint really
happened for (nearly) every event and sums the repainted area. The handler alone is timed as well.

The pointer follows a smooth looping path in widget coordinates (a Lissajous curve) whose speed varies
between ~5 and ~60 widget px per event, as a quick hand on a 120 Hz mouse does. Scenes: the whole
picture fitted in a 1280×900 window (≈0.44 widget px per image px, so a fast stroke covers many image
pixels per event) and zoomed to 2× (fewer image pixels, but every one is 4 screen pixels to repaint),
brush sizes 10, 50 and 200 image px at hardness 0.5, plus 4 soft regions at 200 px (the heaviest
overlay maths). Press and release (the release stores the stroke's changed tiles for undo) are
reported separately: they happen once per stroke, not per event.

Goal: median and worst well under one 60 Hz frame (16 ms); ``ratio`` = time / 16 ms. Wall-clock times
are the goal; the largest CPU time of any one event is printed beside the wall-clock worst so that a
spike caused by another process holding the cores can be told from a slow code path.

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/bench/bench_brush.py [--events 500]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np  # noqa: E402
from PySide6.QtCore import QEvent, QObject, QPointF, Qt  # noqa: E402
from PySide6.QtGui import QMouseEvent  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from studio.ui.widgets.mask_editor import MaskEditor  # noqa: E402

FRAME_MS = 16.0
SIZE = 2048
LEFT = Qt.MouseButton.LeftButton


class PaintMeter(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.paints = 0
        self.area = 0

    def eventFilter(self, _obj, event) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.Paint:
            self.paints += 1
            self.area += sum(r.width() * r.height() for r in event.region())
        return False


def test_picture() -> np.ndarray:
    """A 2048² picture with detail everywhere (gradients + noise), so nothing is trivially flat."""
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32) / SIZE
    base = np.stack([xx, yy, 0.5 + 0.5 * np.sin(8 * (xx + yy))], axis=2) * 200
    return (base + rng.integers(0, 55, size=(SIZE, SIZE, 1))).astype(np.uint8)


def pointer_path(n: int, width: int, height: int) -> list[QPointF]:
    """A looping curve across the widget, speed varying smoothly between ~5 and ~60 px per event."""
    speed = 5 + 55 * (0.5 + 0.5 * np.sin(np.linspace(0, 6 * np.pi, n)))
    t = np.concatenate([[0.0], np.cumsum(speed)]) / 2600.0
    x = width * (0.5 + 0.4 * np.sin(3 * t * np.pi))
    y = height * (0.5 + 0.4 * np.sin(2 * t * np.pi + 0.7))
    return [QPointF(float(a), float(b)) for a, b in zip(x, y, strict=True)]


def send(editor: MaskEditor, kind: QEvent.Type, pos: QPointF, button, buttons) -> None:
    ev = QMouseEvent(kind, pos, editor.mapToGlobal(pos), button, buttons, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(editor, ev)


def run_scene(app: QApplication, editor: MaskEditor, meter: PaintMeter, events: int) -> dict:
    path = pointer_path(events, editor.width(), editor.height())
    app.processEvents()
    meter.paints = meter.area = 0
    t0 = time.perf_counter()
    send(editor, QEvent.Type.MouseButtonPress, path[0], LEFT, LEFT)
    app.processEvents()
    press_ms = (time.perf_counter() - t0) * 1e3
    handler, total, cpu = [], [], []
    for p in path[1:]:
        c0 = time.thread_time()
        t0 = time.perf_counter()
        send(editor, QEvent.Type.MouseMove, p, Qt.MouseButton.NoButton, LEFT)
        t1 = time.perf_counter()
        app.processEvents()  # delivers the UpdateRequest: paintEvent of the dirty region
        t2 = time.perf_counter()
        cpu.append((time.thread_time() - c0) * 1e3)
        handler.append((t1 - t0) * 1e3)
        total.append((t2 - t0) * 1e3)
    paints = meter.paints
    area = meter.area
    t0 = time.perf_counter()
    send(editor, QEvent.Type.MouseButtonRelease, path[-1], LEFT, Qt.MouseButton.NoButton)
    app.processEvents()
    release_ms = (time.perf_counter() - t0) * 1e3
    return {"handler": handler, "total": total, "cpu": cpu, "press": press_ms, "release": release_ms,
            "paints": paints, "area": area}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=500)
    args = ap.parse_args()
    app = QApplication.instance() or QApplication(sys.argv)
    editor = MaskEditor()
    editor.resize(1280, 900)
    editor.show()
    app.processEvents()
    meter = PaintMeter()
    editor.installEventFilter(meter)
    t0 = time.perf_counter()
    editor.set_image(test_picture())
    print(f"set_image 2048×2048: {(time.perf_counter() - t0) * 1e3:.0f} ms; "
          f"{args.events} move events per scene, widget 1280×900, platform {app.platformName()}, "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    header = (f"{'scene':<28}{'handler med':>12}{'med ms':>9}{'p95 ms':>9}{'worst ms':>10}{'worst cpu':>10}"
              f"{'med/16ms':>10}{'worst/16ms':>11}{'paints':>8}{'px/paint':>10}{'press':>8}{'release':>9}")
    print(header)
    print("-" * len(header))
    scenes = [("fit", 0, size) for size in (10, 50, 200)] + [("zoom 2x", 0, size) for size in (10, 50, 200)]
    scenes.append(("zoom 2x", 4, 200))
    worst_all, medians = 0.0, []
    for view, regions, size in scenes:
        editor.set_region_count(regions)
        editor.clear()
        if view == "fit":
            editor.fit_to_view()
        else:
            editor.set_zoom(2.0, QPointF(editor.width() / 2, editor.height() / 2))
        editor.set_brush_size(size)
        editor.set_brush_hardness(0.0 if regions else 0.5)
        r = run_scene(app, editor, meter, args.events)
        med, worst = statistics.median(r["total"]), max(r["total"])
        p95 = float(np.percentile(r["total"], 95))
        worst_all = max(worst_all, worst)
        medians.append(med)
        name = f"{view}, {size} px" + (f", {regions} regions" if regions else "")
        per_paint = r["area"] / max(1, r["paints"])
        print(f"{name:<28}{statistics.median(r['handler']):>12.2f}{med:>9.2f}{p95:>9.2f}{worst:>10.2f}"
              f"{max(r['cpu']):>10.2f}"
              f"{med / FRAME_MS:>10.3f}{worst / FRAME_MS:>11.3f}{r['paints']:>8d}{per_paint:>10.0f}"
              f"{r['press']:>8.1f}{r['release']:>9.1f}")
    print("-" * len(header))
    print(f"overall: median of scene medians {statistics.median(medians):.2f} ms "
          f"({statistics.median(medians) / FRAME_MS:.3f} of a 16 ms frame), worst event {worst_all:.2f} ms "
          f"({worst_all / FRAME_MS:.3f} of a frame). Goal: both well under 1.")
    print("'handler med' = the move handler alone; the other columns include the repaint of the dirty "
          "region (paintEvent via processEvents).\n'worst cpu' = the most CPU time any one event used: on "
          "a shared machine a wall-clock worst far above it is time spent waiting for a core.\n"
          "press/release: once per stroke, ms.")
    print(f"undo history after {len(scenes)} strokes (+ clears): {editor.history_bytes() / 1e6:.1f} MB")
    editor.close()


if __name__ == "__main__":
    main()
