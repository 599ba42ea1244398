"""What the parts of the Explore room share: the open generator, the pictures drawn for it, the queue.

Parts read the generator only to hand it to a render job; they never run it in the GUI thread.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from PySide6.QtGui import QIcon

from studio.engine.latent.favourites import entry_vector
from studio.ui.explore.render_queue import RenderQueue
from studio.ui.qimage import to_pixmap

PREVIEW_BATCH = 16
# A batch the critic chooses while the artist waits should come back in about PICK_BUDGET_S; the next batch, chosen in
# the background while they look at this one, may take NEXT_BUDGET_S. Where drawing and judging candidates is slow (a
# big generator on a CPU) fewer are drawn per tile, never fewer than MIN_FROM. Before a pick has been timed, a
# candidate is guessed to cost GUESS_S + GUESS_S_PER_64PX × side / 64 seconds (the 2-core development machine: 16 of
# 256 chosen in 2 s at 32 px; drawing 256 candidates alone takes 2 s at 64 px, 4 s at 128, 8 s at 256).
PICK_BUDGET_S = 3.0
NEXT_BUDGET_S = 6.0
MIN_FROM = 4
GUESS_S, GUESS_S_PER_64PX = 0.004, 0.008


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
        self._critic = None  # (source, Critic or why not): loaded by the first critic's pick, in the worker
        self._pick_cost: float | None = None  # seconds per candidate of the last pick (written by its worker)

    def install(self, source: Path, generator, info) -> None:
        """A newly opened generator; a critic loaded for an earlier one (or an earlier checkpoint) is forgotten."""
        self.generator, self.info, self.source = generator, info, source
        self._critic = None
        self._pick_cost = None

    def pick_from(self, count: int, budget: float = PICK_BUDGET_S) -> int:
        """Candidates per tile for a critic's pick of ``count`` that should take about ``budget`` seconds: up to
        ``critic.PICK_FROM``, by the last pick's cost per candidate (before one, guessed from the picture size), never
        fewer than ``MIN_FROM``."""
        from studio.engine.gan.critic import PICK_FROM

        cost = self._pick_cost
        if cost is None:
            cost = GUESS_S + GUESS_S_PER_64PX * (self.info.image_size if self.info is not None else 64) / 64
        return max(MIN_FROM, min(PICK_FROM, int(budget / max(1e-9, cost * count))))

    def has_generator(self) -> bool:
        return self.generator is not None and self.info is not None

    def icon(self, key) -> QIcon:
        return icon_for(self.thumbs.get(key))

    def critic_possible(self) -> bool:
        """A run directory (its checkpoint holds the discriminator), or a generator exported with its critic."""
        if not self.has_generator() or self.source is None:
            return False
        from studio.engine.gan.critic import critic_file

        return self.source.is_dir() or critic_file(self.source).is_file()

    def pick_entries(self, candidates: list[dict], count: int, psi: float, kind: str = "grid") -> None:
        """The critic's pick: the run's discriminator chooses ``count`` of the candidate samples (best first); the
        job (``kind``: "grid", or "next" for the batch after this one, chosen in the background) returns (entries,
        images, a sentence on what chose them). A run whose critic cannot be rebuilt shows the first ``count``
        candidates as they come, and the sentence says why."""
        if not self.critic_possible():
            return
        g, dim, source = self.generator, self.info.latent_dim, self.source
        candidates = [dict(e) for e in candidates]

        def pick(ctx):
            import torch

            from studio.engine.gan.checkpoints import CheckpointError
            from studio.engine.gan.critic import Critic, describe_pick, pick_latents
            from studio.engine.latent.keyframes import truncate
            from studio.engine.latent.render import render_frames

            if self._critic is None or self._critic[0] != source:
                try:
                    self._critic = (source, Critic.of(source, next(g.parameters()).device))
                except CheckpointError as exc:  # said under the grid, once per run opened; the samples still come
                    self._critic = (source, f"{exc}")
            critic = self._critic[1]
            z = truncate(torch.stack([entry_vector(e, dim) for e in candidates]), psi)
            if isinstance(critic, str):
                shown = candidates[:count]
                return shown, render_frames(g, z[:count], PREVIEW_BATCH, check=ctx.check), \
                    f"Random samples: the critic could not be loaded ({critic.rstrip('.')})."
            started = time.perf_counter()
            choice, images = pick_latents(g, critic, z, count, ctx.check)
            self._pick_cost = (time.perf_counter() - started) / len(candidates)
            return ([candidates[i] for i in choice.chosen], images[choice.chosen],
                    describe_pick(choice, critic, len(candidates)))

        self.queue.submit(kind, "The critic chooses samples" if kind == "grid" else "Choosing the next batch", pick)

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
