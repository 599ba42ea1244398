"""Exponential moving average (EMA) of the generator's weights, used for samples and exports.

Why: on small data the raw generator jitters from step to step; the average of its recent weights
makes cleaner, steadier pictures at no training cost (Karras et al., Yazıcı et al. 2019). The
half-life is measured in pictures seen, with StyleGAN's ramp-up so early, fast-changing weights are
not averaged over too long a window.

BatchNorm statistics are not averaged: they belong to the raw network's activations. ``calibrate``
recomputes them for the averaged weights from a fixed set of latents ("standing statistics"), so the
EMA generator works in eval mode, one picture at a time, as exports and latent walks need. It is a
pure function of the EMA weights (fixed latents), which keeps checkpoints and resume exact.
"""

from __future__ import annotations

import copy

import torch
from torch import nn


def ema_beta(batch: int, halflife_imgs: float, images_seen: int, rampup: float = 0.05) -> float:
    """Per-step decay: weights older than ``halflife_imgs`` pictures count half (ramp-up caps the window)."""
    window = float(halflife_imgs)
    if rampup > 0:
        window = min(window, images_seen * rampup)
    if window <= 0:
        return 0.0
    return 0.5 ** (batch / window)


def has_batchnorm(module: nn.Module) -> bool:
    return any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in module.modules())


class GeneratorEMA:
    """A frozen copy of G whose parameters follow ``ema = beta·ema + (1−beta)·G`` after each step."""

    def __init__(self, generator: nn.Module, halflife_imgs: float = 10_000, rampup: float = 0.05,
                 calibration_latents: torch.Tensor | None = None) -> None:
        self.module = copy.deepcopy(generator).eval().requires_grad_(False)
        self.halflife_imgs = float(halflife_imgs)
        self.rampup = float(rampup)
        self.calibration_latents = calibration_latents
        self._params = list(self.module.parameters())
        self.last_beta = 0.0

    @torch.no_grad()
    def update(self, generator: nn.Module, batch: int, images_seen: int, scale: float = 1.0) -> float:
        """One step of the average; ``scale`` shrinks its window (the settling rates' factor, ``ema_follows_lr``)."""
        beta = ema_beta(batch, self.halflife_imgs * scale, images_seen, self.rampup)
        src = list(generator.parameters())
        if beta == 0.0:
            torch._foreach_copy_(self._params, src)
        else:
            torch._foreach_lerp_(self._params, src, 1.0 - beta)
        self.last_beta = beta
        return beta

    @torch.no_grad()
    def copy_from(self, generator: nn.Module) -> None:
        """Start the average at ``generator``'s weights (and buffers)."""
        self.module.load_state_dict(generator.state_dict())

    @torch.no_grad()
    def calibrate(self, batch_size: int = 64) -> None:
        """Recompute BatchNorm running statistics for the averaged weights from the fixed latents."""
        if self.calibration_latents is None or not has_batchnorm(self.module):
            return
        calibrate_batchnorm(self.module, self.calibration_latents, batch_size)


@torch.no_grad()
def calibrate_batchnorm(module: nn.Module, latents: torch.Tensor, batch_size: int = 64) -> None:
    """Exact BatchNorm statistics of ``module`` over ``latents`` (cumulative average), then eval mode."""
    bns = [m for m in module.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    momenta = [bn.momentum for bn in bns]
    device = next(module.parameters()).device
    for bn in bns:
        bn.reset_running_stats()
        bn.momentum = None  # cumulative moving average over the calibration batches
    module.train()
    try:
        for start in range(0, latents.shape[0], batch_size):
            z = latents[start:start + batch_size]
            if z.shape[0] < 2:
                break
            module(z.to(device))
    finally:
        for bn, m in zip(bns, momenta, strict=True):
            bn.momentum = m
        module.eval()
