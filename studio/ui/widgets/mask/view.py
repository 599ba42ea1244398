"""Where the picture sits inside the editor: zoom, pan and fit, as plain arithmetic (no Qt).

Image point (x, y) is drawn at widget point (ox + x·scale, oy + y·scale). In fit mode (the default)
scale and offset follow the widget's size, so the whole picture shows, centred; zooming or panning
leaves fit mode and keeps the numbers as they are until the next change.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_ZOOM = 32.0  # widget pixels per image pixel
MIN_ZOOM_OF_FIT = 0.25  # zooming out stops at a quarter of the fitted (or actual, if smaller) size
KEEP_VISIBLE_PX = 32.0  # panning never pushes the picture further out than this much of it

Size = tuple[float, float]  # width, height


def fit_scale(widget: Size, image: Size) -> float:
    """The largest scale at which the whole picture fits the widget."""
    iw, ih = image
    if iw <= 0 or ih <= 0:
        return 1.0
    return max(1e-3, min(max(1.0, widget[0]) / iw, max(1.0, widget[1]) / ih))


@dataclass
class ViewTransform:
    fit: bool = True
    scale: float = 1.0
    ox: float = 0.0
    oy: float = 0.0

    def resolved(self, widget: Size, image: Size) -> tuple[float, float, float]:
        """(scale, ox, oy) for a widget and picture of these sizes."""
        if self.fit:
            s = fit_scale(widget, image)
            return s, (widget[0] - image[0] * s) / 2.0, (widget[1] - image[1] * s) / 2.0
        return self.scale, self.ox, self.oy

    def to_image(self, x: float, y: float, widget: Size, image: Size) -> tuple[float, float]:
        s, ox, oy = self.resolved(widget, image)
        return (x - ox) / s, (y - oy) / s

    def to_widget(self, x: float, y: float, widget: Size, image: Size) -> tuple[float, float]:
        s, ox, oy = self.resolved(widget, image)
        return ox + x * s, oy + y * s

    def zoom_about(self, factor: float, anchor: tuple[float, float], widget: Size, image: Size) -> None:
        """Multiply the scale by ``factor`` (within limits), keeping the image point under ``anchor``
        where it is."""
        s, ox, oy = self.resolved(widget, image)
        lo = min(fit_scale(widget, image), 1.0) * MIN_ZOOM_OF_FIT
        ns = min(MAX_ZOOM, max(lo, s * factor))
        k = ns / s
        ax, ay = anchor
        self.place(ns, ax - (ax - ox) * k, ay - (ay - oy) * k, widget, image)

    def pan(self, dx: float, dy: float, widget: Size, image: Size) -> None:
        s, ox, oy = self.resolved(widget, image)
        self.place(s, ox + dx, oy + dy, widget, image)

    def place(self, scale: float, ox: float, oy: float, widget: Size, image: Size) -> None:
        """Leave fit mode at this scale and offset, nudged so that a strip of the picture stays on
        screen (it cannot be lost off the edge)."""

        def keep_visible(offset: float, size: float, extent: float) -> float:
            margin = min(KEEP_VISIBLE_PX, size / 2.0, extent / 2.0)
            return min(max(offset, margin - size), extent - margin)

        self.fit = False
        self.scale = scale
        self.ox = keep_visible(ox, image[0] * scale, widget[0])
        self.oy = keep_visible(oy, image[1] * scale, widget[1])

    def widget_resized(self, old: Size, new: Size) -> None:
        """Keep what was in the middle of the view in the middle (fit mode refits by itself)."""
        if not self.fit:
            self.ox += (new[0] - old[0]) / 2.0
            self.oy += (new[1] - old[1]) / 2.0

    def image_resized(self, old_width: float, new_width: float) -> None:
        """A resized version of the same picture: keep it the same size on screen."""
        if not self.fit and new_width > 0:
            self.scale *= old_width / new_width
