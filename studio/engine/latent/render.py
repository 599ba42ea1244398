"""Turning latents into pictures: batched, in inference mode, with progress and cancel between batches.

Rendering one frame at a time wastes most of the time in per-call overhead on a CPU; batches of 16
amortise it (tests/bench/bench_walk_render.py measures the difference).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import nn


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """N×C×H×W in [-1, 1] → N×H×W×C uint8 (C is 1 or 3)."""
    x = ((images.detach().float().clamp(-1, 1) + 1) * 127.5).round_().to(torch.uint8)
    return x.permute(0, 2, 3, 1).contiguous().cpu().numpy()


def _device_of(module: nn.Module) -> torch.device:
    p = next(module.parameters(), None)
    return p.device if p is not None else torch.device("cpu")


def render_frames(generator: nn.Module, latents: torch.Tensor, batch_size: int = 16,
                  device: str | torch.device | None = None,
                  on_progress: Callable[[int, int], None] | None = None,
                  check: Callable[[], None] | None = None,
                  on_batch: Callable[[int, np.ndarray], None] | None = None) -> np.ndarray:
    """Render every latent (F, D) to a uint8 F×H×W×C array.

    The generator is switched to eval mode (BatchNorm uses its running statistics, so a frame does not
    depend on which other frames share its batch) and restored afterwards. ``check`` is called before
    each batch (it may raise to cancel); ``on_progress(done, total)`` after each; ``on_batch(start,
    frames)`` hands each finished batch out (e.g. for a live preview).
    """
    dev = torch.device(device) if device is not None else _device_of(generator)
    latents = latents.reshape(latents.shape[0], -1).float()
    total = latents.shape[0]
    was_training = generator.training
    generator.eval()
    if _device_of(generator) != dev:
        generator.to(dev)
    chunks: list[np.ndarray] = []
    try:
        with torch.inference_mode():
            for start in range(0, total, max(1, batch_size)):
                if check is not None:
                    check()
                z = latents[start:start + batch_size].to(dev)
                frames = to_uint8(generator(z))
                chunks.append(frames)
                if on_batch is not None:
                    on_batch(start, frames)
                if on_progress is not None:
                    on_progress(min(start + batch_size, total), total)
    finally:
        generator.train(was_training)
    if not chunks:
        raise ValueError("Nothing to render: no latents")
    return np.concatenate(chunks, axis=0)


def render_one(generator: nn.Module, latent: torch.Tensor, device: str | torch.device | None = None) -> np.ndarray:
    """One picture (H×W×C uint8) for one latent (D,) — for the browser and for scrubbing."""
    return render_frames(generator, latent.reshape(1, -1), batch_size=1, device=device)[0]


def tile_frames(stacks: Sequence[np.ndarray], columns: int | None = None, padding: int = 2,
                background: int = 0) -> np.ndarray:
    """Put several equally long animations (each F×H×W×C) side by side: one F×H'×W'×C animation."""
    if not stacks:
        raise ValueError("No animations to tile")
    n = len(stacks)
    f, h, w, c = stacks[0].shape
    if any(s.shape != stacks[0].shape for s in stacks):
        raise ValueError("Tiled animations must have the same length and size")
    cols = columns or math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    out = np.full((f, rows * h + (rows + 1) * padding, cols * w + (cols + 1) * padding, c), background,
                  dtype=np.uint8)
    for i, s in enumerate(stacks):
        r, col = divmod(i, cols)
        y = padding + r * (h + padding)
        x = padding + col * (w + padding)
        out[:, y:y + h, x:x + w] = s
    return out


def render_grid_walk(generator: nn.Module, walks: Sequence[torch.Tensor], columns: int | None = None,
                     padding: int = 2, batch_size: int = 16, device: str | torch.device | None = None,
                     on_progress: Callable[[int, int], None] | None = None,
                     check: Callable[[], None] | None = None) -> np.ndarray:
    """Several walks (each F×D, same F) rendered in one batched pass and tiled into one animation."""
    if not walks:
        raise ValueError("No walks to render")
    f = walks[0].shape[0]
    if any(w.shape[0] != f for w in walks):
        raise ValueError("All walks in a grid need the same number of frames")
    frames = render_frames(generator, torch.cat(list(walks), 0), batch_size, device, on_progress, check)
    return tile_frames([frames[i * f:(i + 1) * f] for i in range(len(walks))], columns, padding)
