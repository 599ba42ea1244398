"""Helpers shared by the GAN quality benches (bench_small_data, bench_msg, bench_ada_long): face loading, grid
saving and training several recipes for the same wall time."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from studio.engine.gan.trainer import GanStepper, _grid_uint8  # noqa: E402
from studio.engine.images import uint8_to_pil  # noqa: E402


def lfw_faces(count: int | None = None, side: int = 32) -> np.ndarray:
    """scikit-image's ``lfw_subset`` (25×25 grey in [0, 1]) as N×side×side×1 uint8, bicubic-resized.

    As skimage documents, rows 0–99 are faces and rows 100–199 non-face patches; ``count=100`` keeps the faces."""
    from PIL import Image
    from skimage.data import lfw_subset

    faces = lfw_subset()[:count]
    out = np.empty((len(faces), side, side, 1), np.uint8)
    for i, f in enumerate(faces):
        img = Image.fromarray((f * 255).round().astype(np.uint8), "L").resize((side, side), Image.Resampling.BICUBIC)
        out[i, :, :, 0] = np.asarray(img)
    return out


def grid_pil(imgs: torch.Tensor, nrow: int = 8):
    """A grid of N×C×H×W images in [-1, 1] as a PIL image."""
    return uint8_to_pil(_grid_uint8(imgs, nrow=nrow))


def save_grid(imgs: torch.Tensor, path: Path, nrow: int = 8, scale: int = 1) -> Path:
    """Save a grid of N×C×H×W images in [-1, 1], each pixel blown up ``scale``× (nearest), creating the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    img = grid_pil(imgs, nrow)
    if scale != 1:
        img = img.resize((img.width * scale, img.height * scale), 0)
    img.save(path)
    return path


def aug_state(s: GanStepper) -> str:
    return f"p={s.aug_p:.2f}" if s.cfg.augment not in (None, "off") else "no aug"


def train_interleaved(steppers: dict[str, GanStepper], seconds: float, chunk: float = 5.0, log=print,
                      log_every: float = 0.0, describe: Callable[[GanStepper], str] = aug_state) -> dict[str, float]:
    """Train each stepper for ``seconds`` of its own wall time, taking turns in ``chunk``-second slices so a busy
    machine slows all of them alike. Logs progress at most every ``log_every`` seconds (and at the end); returns
    the seconds each one used."""
    used = {n: 0.0 for n in steppers}
    last_log = time.perf_counter()
    while any(used[n] < seconds for n in steppers):
        for name, s in steppers.items():
            if used[name] >= seconds:
                continue
            t0 = time.perf_counter()
            while time.perf_counter() - t0 < chunk and used[name] + (time.perf_counter() - t0) < seconds:
                s.step()
            used[name] += time.perf_counter() - t0
        if time.perf_counter() - last_log >= log_every or all(used[n] >= seconds for n in steppers):
            last_log = time.perf_counter()
            log("  " + "   ".join(f"{n}: step {s.state['step']} ({used[n]:.0f} s, {describe(s)})"
                                  for n, s in steppers.items()))
    return used
