"""Interpolating between two latents.

Slerp is the default for Gaussian latents: a straight line (lerp) between two samples of a
high-dimensional Gaussian passes through a region of unusually short vectors that the generator rarely
saw in training, so the middle of a lerp often looks washed out. Slerp follows the great circle and keeps
the length near the endpoints' lengths.
"""

from __future__ import annotations

import torch

_PARALLEL_EPS = 1e-4  # |sin(angle)| below this: the circle is undefined or ill-conditioned


def _as_t(t, like: torch.Tensor) -> tuple[torch.Tensor, bool]:
    tt = torch.as_tensor(t, dtype=torch.float64)
    scalar = tt.ndim == 0
    return tt.reshape(-1, 1), scalar


def lerp(a: torch.Tensor, b: torch.Tensor, t) -> torch.Tensor:
    """Straight line from ``a`` (t=0) to ``b`` (t=1); ``t`` a number or a 1-D tensor (→ one row each)."""
    tt, scalar = _as_t(t, a)
    a64, b64 = a.double().reshape(1, -1), b.double().reshape(1, -1)
    out = a64 + (b64 - a64) * tt
    out = out.to(a.dtype)
    return out[0].reshape(a.shape) if scalar else out


def _perpendicular(u: torch.Tensor) -> torch.Tensor:
    """A deterministic unit vector orthogonal to unit vector ``u`` (Gram–Schmidt on its smallest axis)."""
    e = torch.zeros_like(u)
    e[int(torch.argmin(u.abs()))] = 1.0
    p = e - (e @ u) * u
    return p / p.norm()


def slerp(a: torch.Tensor, b: torch.Tensor, t) -> torch.Tensor:
    """Spherical interpolation from ``a`` (t=0) to ``b`` (t=1); lengths are interpolated too.

    Numerically safe: nearly parallel vectors fall back to lerp (the arc is a line there); exactly
    opposite vectors (the arc is undefined, and a lerp would pass through zero) turn through a fixed
    perpendicular direction instead, so the walk never collapses to the all-zero latent.
    """
    tt, scalar = _as_t(t, a)
    a64, b64 = a.double().reshape(-1), b.double().reshape(-1)
    na, nb = a64.norm(), b64.norm()
    if float(na) < 1e-12 or float(nb) < 1e-12:
        return lerp(a, b, t)
    ua, ub = a64 / na, b64 / nb
    cos = float(torch.clamp(ua @ ub, -1.0, 1.0))
    if cos > 1.0 - _PARALLEL_EPS:
        return lerp(a, b, t)
    if cos < -1.0 + _PARALLEL_EPS:
        mid = _perpendicular(ua) * (na + nb) / 2
        first = slerp(a64, mid, (tt * 2).clamp(max=1.0).reshape(-1))
        second = slerp(mid, b64, (tt * 2 - 1).clamp(min=0.0).reshape(-1))
        out = torch.where(tt <= 0.5, first, second).to(a.dtype)
        return out[0].reshape(a.shape) if scalar else out
    omega = torch.arccos(torch.tensor(cos, dtype=torch.float64))
    so = torch.sin(omega)
    # Direction along the great circle, length interpolated linearly: the angle to each end is exactly
    # proportional to t even when the two latents have different lengths.
    wa = torch.sin((1.0 - tt) * omega) / so
    wb = torch.sin(tt * omega) / so
    direction = wa * ua.reshape(1, -1) + wb * ub.reshape(1, -1)
    out = (direction * (na + (nb - na) * tt)).to(a.dtype)
    return out[0].reshape(a.shape) if scalar else out
