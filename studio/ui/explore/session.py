"""What the parts of the Explore room share: the open generator, the pictures drawn for it, the queue.

Parts read the generator only to hand it to a render job; they never run it in the GUI thread.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtGui import QIcon

from studio.engine.latent.favourites import entry_vector
from studio.ui.explore.render_queue import RenderQueue
from studio.ui.qimage import to_pixmap

PREVIEW_BATCH = 16


def icon_for(image: np.ndarray | None) -> QIcon:
    return QIcon(to_pixmap(image)) if image is not None else QIcon()


class ExploreSession:
    """The open generator (``None`` until one has loaded) and a picture per sample key already drawn."""

    def __init__(self, queue: RenderQueue) -> None:
        self.queue = queue
        self.generator = None  # nn.Module, used only inside render jobs
        self.info = None  # GeneratorInfo
        self.source: Path | None = None
        self.thumbs: dict = {}  # entry_key → HWC uint8
        self._critic = None  # (run directory, Critic): loaded by the first critic's pick, in the worker

    def has_generator(self) -> bool:
        return self.generator is not None and self.info is not None

    def icon(self, key) -> QIcon:
        return icon_for(self.thumbs.get(key))

    def critic_possible(self) -> bool:
        """A run directory (its checkpoint holds the discriminator); an exported generator has no critic."""
        return self.has_generator() and self.source is not None and self.source.is_dir()

    def pick_entries(self, candidates: list[dict], count: int, psi: float) -> None:
        """The critic's pick: the run's discriminator chooses ``count`` of the candidate samples (best first); the
        job returns (entries, images) like a grid render."""
        if not self.critic_possible():
            return
        g, dim, source = self.generator, self.info.latent_dim, self.source
        candidates = [dict(e) for e in candidates]

        def pick(ctx):
            import torch

            from studio.engine.gan.critic import Critic, pick_latents
            from studio.engine.latent.keyframes import truncate

            if self._critic is None or self._critic[0] != source:
                self._critic = (source, Critic.from_run(source, next(g.parameters()).device))
            z = torch.stack([entry_vector(e, dim) for e in candidates])
            choice, images = pick_latents(g, self._critic[1], truncate(z, psi), count, ctx.check)
            return [candidates[i] for i in choice.chosen], images[choice.chosen]

        self.queue.submit("grid", "Critic's pick", pick)

    def render_entries(self, kind: str, title: str, entries: list[dict], psi: float) -> None:
        """Render samples named by seed or latent; the job returns (entries, images)."""
        if not self.has_generator():
            return
        g, dim = self.generator, self.info.latent_dim
        entries = [dict(e) for e in entries]

        def render(ctx):
            import torch

            from studio.engine.latent.keyframes import truncate
            from studio.engine.latent.render import render_frames

            z = torch.stack([entry_vector(e, dim) for e in entries])
            return entries, render_frames(g, truncate(z, psi), PREVIEW_BATCH, check=ctx.check)

        self.queue.submit(kind, title, render)
