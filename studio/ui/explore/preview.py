"""The walk preview: asks the render queue for the segments of the timeline that are not cached yet, and
hands the player the whole walk once every piece is there (an undo or a toggle back renders nothing)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer

from studio.engine.latent.walk_preview import SegmentCache, segment_plan, timeline_key
from studio.ui.explore.player import Player
from studio.ui.explore.session import PREVIEW_BATCH, ExploreSession

SETTLE_MS = 300  # timeline edits re-render the preview once they settle


class WalkPreview(QObject):
    def __init__(self, session: ExploreSession, player: Player, timeline: Callable[[], object],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.player = player
        self.timeline = timeline  # the Timeline as the controls describe it now, or None
        self.segments = SegmentCache()
        self.rendered_frame_count = 0  # frames rendered so far (tests: only changed segments are)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SETTLE_MS)
        self._timer.timeout.connect(self.render)
        player.render_wanted.connect(self.render_now)

    def forget(self) -> None:
        """Other weights or another generator: nothing cached is right any more."""
        self.segments.clear()

    def follow_edit(self) -> None:
        """The timeline changed: show it from the cache at once, or render it once edits settle."""
        if timeline_key(self.timeline()) is None:
            self.player.clear()
        elif not self.show_cached():
            self._timer.start()

    def show_cached(self) -> bool:
        """Show the walk from cached segments when every piece is there; False when something must render."""
        tl = self.timeline()
        frames = self.segments.assemble(segment_plan(tl)) if tl is not None else None
        if frames is None:
            return False
        self.player.set_frames(timeline_key(tl), frames)
        return True

    def render_now(self) -> None:
        self._timer.stop()
        self.render()

    def render(self) -> None:
        tl = self.timeline()
        if tl is None or self.session.generator is None or self.show_cached():
            return
        missing = self.segments.missing(segment_plan(tl))
        g = self.session.generator

        def render(ctx):
            import torch

            from studio.engine.latent.keyframes import frame_latents
            from studio.engine.latent.render import render_frames

            latents = torch.cat([frame_latents(tl, frames=r) for r in missing.values()])
            n = latents.shape[0]

            def on_progress(done: int, total: int) -> None:
                ctx.progress(done, total, f"Rendering preview {done} / {n}")

            frames = render_frames(g, latents, PREVIEW_BATCH, on_progress=on_progress, check=ctx.check)
            out, pos = [], 0
            for r in missing.values():
                out.append(frames[pos:pos + len(r)].copy())
                pos += len(r)
            return list(missing), out

        self.session.queue.submit("walk", "Rendering preview", render)

    def take_result(self, keys: list[str], stacks: list) -> None:
        for k, frames in zip(keys, stacks, strict=True):
            self.segments.store(k, frames)
            self.rendered_frame_count += len(frames)
        self.show_cached()

    def stop(self) -> None:
        self._timer.stop()
