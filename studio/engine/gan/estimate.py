"""How long will training take? A short benchmark on the chosen device × the planned steps.

The benchmark runs the real training step (same models, augmentation, EMA and device as the run) on
random pictures of the right size, after a warm-up step, and optionally one quality check. It takes a
few seconds and never touches a run directory.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch

from studio.engine.gan.models import PRESETS
from studio.engine.gan.trainer import SEED_LOCK, TrainConfig, build_stepper, format_duration, resolve_device


@dataclass(frozen=True)
class TimeEstimate:
    seconds_per_step: float
    steps: int
    images_per_second: float
    quality_seconds: float  # one quality check (0 when off or unavailable)
    quality_checks: int
    setup_seconds: float  # one-off work before training (reference features of the dataset)
    total_seconds: float
    device: str
    text: str


class _RandomImages:
    """Stands in for PreparedImages: uint8 N×C×S×S noise."""

    def __init__(self, n: int, channels: int, size: int, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self._a = rng.integers(0, 256, size=(n, channels, size, size), dtype=np.uint8)
        self.size, self.channels = size, channels

    def __len__(self) -> int:
        return self._a.shape[0]

    def batch(self, idx) -> torch.Tensor:
        i = idx.numpy() if isinstance(idx, torch.Tensor) else np.asarray(idx)
        return torch.from_numpy(np.ascontiguousarray(self._a[i]))


def estimate_training_time(cfg: TrainConfig, dataset_count: int = 200, steps: int | None = None,
                           channels: int | None = None, bench_steps: int = 3,
                           include_metrics: bool = True) -> TimeEstimate:
    """Seconds for ``steps`` (default ``cfg.steps``) training steps of ``cfg`` on its device.

    ``dataset_count`` picks the dataset-size preset (augmentation etc. cost time) and the one-off cost of
    measuring the dataset for quality checks.
    """
    from studio.engine.gan.regimes import resolve_settings

    cfg.validate()
    info = PRESETS[cfg.preset]
    size = info.image_size
    ch = channels or cfg.channels or info.channels or 3
    n = max(2, int(dataset_count))
    data = _RandomImages(min(n, max(cfg.batch_size, 64)), ch, size)
    resolved, _ = resolve_settings(TrainConfig.from_dict({**cfg.__dict__}), n)
    device = resolve_device(resolved.device)
    SEED_LOCK.acquire()  # held until the global random state is put back (trainer.SEED_LOCK)
    rng_state = torch.get_rng_state()
    try:
        stepper = build_stepper(resolved, ch, data, device)
        stepper.step()  # warm-up: allocators, kernels, autotuning
        _sync(device)
        t0 = time.perf_counter()
        for _ in range(max(1, bench_steps)):
            stepper.step()
        _sync(device)
        per_step = (time.perf_counter() - t0) / max(1, bench_steps)
        quality_s, setup_s, checks = 0.0, 0.0, 0
        total_steps = cfg.steps if steps is None else steps
        every = resolved.metrics_every or 0
        if include_metrics and every and total_steps:
            checks = total_steps // every
            try:
                from studio.engine.gan.quality import QualityMonitor

                sample = _RandomImages(min(n, 64), ch, size, seed=1)
                mon = QualityMonitor(sample, device, samples=resolved.metrics_samples, seed=0)
                t1 = time.perf_counter()
                mon.prepare()
                setup_s = (time.perf_counter() - t1) * min(n, 500) / len(sample)
                t2 = time.perf_counter()
                mon.evaluate(stepper.sample_generator("ema"), resolved.latent_dim)
                quality_s = time.perf_counter() - t2
            except Exception:  # noqa: BLE001 - no VGG weights: no quality checks, no cost
                checks = 0
    finally:
        torch.set_rng_state(rng_state)
        SEED_LOCK.release()
    total = per_step * (total_steps or 0) + quality_s * checks + setup_s
    batch = min(resolved.batch_size, n)
    ips = batch * resolved.d_steps / per_step
    if total_steps:
        text = (f"About {format_duration(total)} on {device.type.upper()}: {per_step:.2f} s per step × "
                f"{total_steps:,} steps" + (f", plus {checks} quality checks of {quality_s:.1f} s" if checks else "")
                + f" ({ips:.0f} pictures/s).")
    else:
        text = f"{per_step:.2f} s per step on {device.type.upper()} ({ips:.0f} pictures/s); runs until stopped."
    return TimeEstimate(per_step, int(total_steps or 0), ips, quality_s, checks, setup_s, total, str(device), text)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
