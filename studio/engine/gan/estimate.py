"""How long will training take? A short benchmark on the chosen device × the planned steps.

The benchmark runs the real training step (same models, augmentation, EMA and device as the run) on
random pictures of the right size, and optionally one quality check. It takes a few seconds and never
touches a run directory. The first steps (allocators, kernel choice, layout conversion) are not timed and
the step time is a median, so a slow start is not multiplied by thousands of steps; the live ETA during
training (``LiveEta``) uses the same model, steps × step time + checks × check time.
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
        # kinds of pictures: stand-in labels (sorting costs a few seconds once, not per step)
        labels = torch.arange(len(data)) % resolved.kinds if resolved.kinds else None
        stepper = build_stepper(resolved, ch, data, device, kind_labels=labels)
        from studio.engine.gan.stepper import R1_EVERY

        per_step = time_steps(stepper.step, lambda: _sync(device), bench_steps,
                              cycle=R1_EVERY if resolved.r1_gamma > 0 else 1)
        quality_s, setup_s, checks = 0.0, 0.0, 0
        total_steps = cfg.steps if steps is None else steps
        every = resolved.metrics_every or 0
        if include_metrics and every and total_steps:
            checks = total_steps // every
            try:
                from studio.engine.gan.quality import QualityMonitor

                sample = _RandomImages(min(n, 64), ch, size, seed=1)
                t1 = time.perf_counter()
                mon = QualityMonitor(sample, device, samples=resolved.metrics_samples, seed=0)
                net_s = time.perf_counter() - t1
                t1 = time.perf_counter()
                mon.prepare()
                setup_s = net_s + (time.perf_counter() - t1) * min(n, 500) / len(sample)
                # The first check is timed after prepare() has run the feature net once, so its one-off costs
                # are in setup_s, not multiplied by the number of checks.
                t2 = time.perf_counter()
                mon.evaluate(stepper.sample_generator("ema"), resolved.latent_dim)
                quality_s = time.perf_counter() - t2
            except Exception:  # noqa: BLE001 - no VGG weights: no quality checks, no cost
                checks = 0
    finally:
        torch.set_rng_state(rng_state)
        SEED_LOCK.release()
    total = training_seconds(per_step, total_steps or 0, quality_s, checks, setup_s)
    batch = min(resolved.batch_size, n)
    ips = batch * resolved.d_steps / per_step
    if total_steps:
        text = (f"About {format_duration(total)} on {device.type.upper()}: {per_step:.2f} s per step × "
                f"{total_steps:,} steps" + (f", plus {checks} quality checks of {quality_s:.1f} s" if checks else "")
                + f" ({ips:.0f} pictures/s).")
    else:
        text = f"{per_step:.2f} s per step on {device.type.upper()} ({ips:.0f} pictures/s); runs until stopped."
    return TimeEstimate(per_step, int(total_steps or 0), ips, quality_s, checks, setup_s, total, str(device), text)


def steps_within(est: TimeEstimate, seconds: float, metrics_every: int = 0) -> int:
    """The most steps that fit in ``seconds`` by the estimate's own time model (a quality check every
    ``metrics_every`` steps and its one-off set-up included when the estimate timed one). At least 1."""
    every = metrics_every if metrics_every and est.quality_seconds > 0 else 0
    per_step = est.seconds_per_step + (est.quality_seconds / every if every else 0.0)
    return max(1, int((seconds - (est.setup_seconds if every else 0.0)) / per_step))


def steps_for_seconds(cfg: TrainConfig, seconds: float, dataset_count: int = 200,
                      channels: int | None = None) -> tuple[int, str]:
    """The most steps of ``cfg`` that fit in ``seconds`` on its device (a few timed steps, ``steps_within``), and
    the estimate's sentence for that many steps (``train_text.estimate_text``, as the Train page words it)."""
    from studio.engine.gan.regimes import resolve_settings
    from studio.engine.train_text import estimate_text

    probe = estimate_training_time(cfg, dataset_count, steps=1_000_000, channels=channels)
    every = int(resolve_settings(TrainConfig.from_dict({**cfg.__dict__}), max(2, dataset_count))[0].metrics_every or 0)
    steps = steps_within(probe, seconds, every)
    return steps, estimate_text(probe, steps, every, dataset_count)


def replanned_steps(eta: LiveEta, step: int, seconds_left: float, lr_decay: float = 0.0) -> int:
    """A run planned in minutes, re-planned: this step plus the steps that fit in ``seconds_left`` at the speed the
    run has measured (``eta``); with rates that settle over the last ``lr_decay`` of the run, never so few that the
    settling would have begun before this step (what has been trained stays what the new plan would have trained).
    With no time left, ``step`` itself: the run ends now (unless its settling has yet to begin)."""
    new = step + (eta.steps_within(seconds_left) if seconds_left > 0 else 0)
    if lr_decay > 0:
        new = max(new, int(step / (1.0 - min(lr_decay, 0.999))) + 1)
    return new


WARMUP_STEPS = 2  # first steps pay for allocators, kernel choice and layout conversion: never timed
MIN_BENCH_SECONDS = 1.5  # time at least this long (a 3-step sample of a fast step is mostly noise)
MAX_BENCH_STEPS = 50


def time_steps(step, sync, bench_steps: int = 3, warmup: int = WARMUP_STEPS,
               min_seconds: float = MIN_BENCH_SECONDS, max_steps: int = MAX_BENCH_STEPS, cycle: int = 1) -> float:
    """Steady-state seconds per call of ``step``: ``warmup`` untimed calls, then at least ``bench_steps``
    timed ones (more, up to ``max_steps``, until ``min_seconds`` have passed); the median, so one hiccup
    or a late warm-up step does not set the estimate for a whole run. Steps whose cost repeats every ``cycle``
    calls (R1 every 4th step) are timed a whole cycle at a time, so the median is not the cheap steps'."""
    cycle = max(1, int(cycle))
    for _ in range(max(0, warmup)):
        step()
    sync()
    times: list[float] = []
    started = time.perf_counter()
    while len(times) < max(1, bench_steps) or (time.perf_counter() - started < min_seconds
                                               and len(times) * cycle < max_steps):
        t = time.perf_counter()
        for _ in range(cycle):
            step()
        sync()
        times.append((time.perf_counter() - t) / cycle)
    return float(np.median(times))


def training_seconds(per_step: float, steps: int, quality_seconds: float, checks: int,
                     setup_seconds: float = 0.0) -> float:
    """The one time model both estimates use: steps × seconds per step + checks × seconds per check +
    one-off setup (reference features before the first check)."""
    return per_step * max(0, steps) + quality_seconds * max(0, checks) + (setup_seconds if checks else 0.0)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


class LiveEta:
    """Time left while training, with the same model as the estimate before the run.

    It is fed the wall time between consecutive finished steps, so sample grids, metric lines and
    checkpoints (everything the run really spends per step) are in it. Steps that ran a quality check
    are kept apart: their extra time is the cost of a check, multiplied by the checks still to come. The
    first check also measures the training set once; only the share of it that every check repeats
    (generated samples out of all pictures measured) counts until a second check is seen.
    """

    WARMUP = 2  # intervals not counted: allocators and kernel choice in the first steps
    WINDOW_S = 30.0  # seconds of recent steps that set the rate (follows a busier machine, keeps grids in)
    MIN_STEPS = 20

    def __init__(self, every: int, samples: int = 128) -> None:
        from collections import deque

        self.every = max(0, int(every or 0))
        self.samples = max(1, int(samples))
        self._steps: deque[float] = deque()
        self._sum = 0.0
        self._seen = 0
        self.check_seconds: float | None = None
        self._checks_seen = 0

    def observe(self, step: int, seconds: float, reference_count: int = 0) -> None:
        """One step finished ``seconds`` after the one before (``step`` is its number)."""
        self._seen += 1
        if self._seen <= self.WARMUP:
            return
        if self.every and step % self.every == 0:
            extra = max(0.0, seconds - self.seconds_per_step()) if self._steps else seconds
            self._checks_seen += 1
            if self._checks_seen == 1:
                extra *= self.samples / (self.samples + max(0, reference_count))
            self.check_seconds = extra
            return
        self._steps.append(seconds)
        self._sum += seconds
        while len(self._steps) > self.MIN_STEPS and self._sum - self._steps[0] >= self.WINDOW_S:
            self._sum -= self._steps.popleft()

    def seconds_per_step(self) -> float:
        return self._sum / len(self._steps) if self._steps else 0.0

    def ready(self) -> bool:
        return bool(self._steps)

    def steps_within(self, seconds: float) -> int:
        """How many more steps fit in ``seconds`` by this model (the quality checks among them included)."""
        per = self.seconds_per_step() + ((self.check_seconds or 0.0) / self.every if self.every else 0.0)
        return max(0, int(seconds / per)) if per > 0 else 0

    def remaining(self, step: int, total: int) -> float:
        left = max(0, total - step)
        checks = (total // self.every - step // self.every) if self.every else 0
        return training_seconds(self.seconds_per_step(), left, self.check_seconds or 0.0, checks)
