"""Render the app icon's SVG source into the PNG, ICO and ICNS files committed under resources/icons/.

Run after editing the artwork:  ``QT_QPA_PLATFORM=offscreen .venv/bin/python tools/render_icons.py``

Qt's own SVG renderer draws every size straight from the vector source (no downscaled blur); Pillow
packs the exact-size PNGs into the Windows .ico and the macOS .icns. The 16 px size is
drawn from ``gan-art-studio-small.svg`` when it exists: shapes on whole pixels read better there.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PIL import Image  # noqa: E402
from PySide6.QtCore import QRectF  # noqa: E402
from PySide6.QtGui import QGuiApplication, QImage, QPainter  # noqa: E402
from PySide6.QtSvg import QSvgRenderer  # noqa: E402

ICONS = Path(__file__).resolve().parents[1] / "resources" / "icons"
NAME = "gan-art-studio"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
SMALL_MAX = 16
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)  # 256 is the largest an .ico entry can be


def render(svg: Path, size: int) -> QImage:
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"cannot read {svg}")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(0)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    return image


def png_path(size: int) -> Path:
    return ICONS / "hicolor" / f"{size}x{size}" / "apps" / f"{NAME}.png"


def main() -> int:
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841 - fonts/painting need it
    big, small = ICONS / f"{NAME}.svg", ICONS / f"{NAME}-small.svg"
    for size in SIZES:
        source = small if size <= SMALL_MAX and small.is_file() else big
        out = png_path(size)
        out.parent.mkdir(parents=True, exist_ok=True)
        if not render(source, size).save(str(out), "PNG"):
            raise SystemExit(f"cannot write {out}")
        print(f"{out.relative_to(ICONS.parent.parent)}  ({source.name})")
    pngs = {size: Image.open(png_path(size)).convert("RGBA") for size in SIZES}
    ico = ICONS / f"{NAME}.ico"
    largest = pngs[max(ICO_SIZES)]
    largest.save(ico, format="ICO", sizes=[(s, s) for s in ICO_SIZES],
                 append_images=[pngs[s] for s in ICO_SIZES if s != max(ICO_SIZES)])
    print(ico.relative_to(ICONS.parent.parent))
    icns = ICONS / f"{NAME}.icns"
    pngs[512].save(icns, format="ICNS", append_images=[pngs[s] for s in (16, 32, 64, 128, 256)])
    print(icns.relative_to(ICONS.parent.parent))
    return 0


if __name__ == "__main__":
    sys.exit(main())
