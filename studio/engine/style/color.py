"""Colour control for style transfer: keep the photo's colours, give the painting the photo's palette, or give the
photo the paintings' palette before the optimisation starts ("adopt").

Both work on float RGB arrays in [0, 1] (H×W×3). YCbCr uses the full-range BT.601 matrix (JPEG's).
"""

from __future__ import annotations

import numpy as np

_RGB2YCC = np.array([[0.299, 0.587, 0.114],
                     [-0.168736, -0.331264, 0.5],
                     [0.5, -0.418688, -0.081312]], dtype=np.float64)
_YCC2RGB = np.linalg.inv(_RGB2YCC)


def rgb_to_ycbcr(rgb: np.ndarray) -> np.ndarray:
    ycc = rgb.astype(np.float64) @ _RGB2YCC.T
    ycc[..., 1:] += 0.5
    return ycc


def ycbcr_to_rgb(ycc: np.ndarray) -> np.ndarray:
    ycc = ycc.astype(np.float64).copy()
    ycc[..., 1:] -= 0.5
    return np.clip(ycc @ _YCC2RGB.T, 0.0, 1.0)


def luminance(rgb: np.ndarray) -> np.ndarray:
    """Y replicated to three channels: what the network sees in luminance-only transfer."""
    y = rgb_to_ycbcr(rgb)[..., :1]
    return np.repeat(y, 3, axis=-1).astype(np.float32)


def match_luminance(style_y: np.ndarray, content_y: np.ndarray) -> np.ndarray:
    """Shift/scale the style's luminance to the content's mean and spread (Gatys et al. 2016, §2.1)."""
    s_mu, s_sd = style_y.mean(), style_y.std() + 1e-6
    c_mu, c_sd = content_y.mean(), content_y.std()
    return np.clip((style_y - s_mu) * (c_sd / s_sd) + c_mu, 0.0, 1.0).astype(np.float32)


def combine_luminance(stylized: np.ndarray, content: np.ndarray) -> np.ndarray:
    """The stylized image's luminance with the content's chroma (Cb, Cr)."""
    y = rgb_to_ycbcr(stylized)[..., :1]
    cc = rgb_to_ycbcr(content)[..., 1:]
    return ycbcr_to_rgb(np.concatenate([y, cc], axis=-1)).astype(np.float32)


def _sqrtm(cov: np.ndarray, inverse: bool = False) -> np.ndarray:
    vals, vecs = np.linalg.eigh(cov)
    vals = np.clip(vals, 1e-8, None)
    p = -0.5 if inverse else 0.5
    return (vecs * vals**p) @ vecs.T


def palette_of(paintings: list[np.ndarray], weights: list[float] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The mean and covariance of the paintings' pixels, each painting counted by its blend weight."""
    weights = list(weights) if weights is not None else [1.0] * len(paintings)
    total = sum(w for w in weights if w > 0) or 1.0
    mu = np.zeros(3)
    second = np.zeros((3, 3))
    for img, w in zip(paintings, weights, strict=True):
        if w <= 0:
            continue
        p = img.reshape(-1, 3).astype(np.float64)
        mu += (w / total) * p.mean(0)
        second += (w / total) * (p.T @ p) / len(p)
    return mu, second - np.outer(mu, mu)


def recolor_to(photo: np.ndarray, mean: np.ndarray, cov: np.ndarray, eps: float = 1e-4) -> np.ndarray:
    """The photo with the given colour statistics (affine, as ``match_colors``): its layout in another palette."""
    c = photo.reshape(-1, 3).astype(np.float64)
    mu_c = c.mean(0)
    cov_c = np.cov(c, rowvar=False) + eps * np.eye(3)
    a = _sqrtm(cov + eps * np.eye(3)) @ _sqrtm(cov_c, inverse=True)
    out = (c - mu_c) @ a.T + mean
    return np.clip(out, 0.0, 1.0).reshape(photo.shape).astype(np.float32)


def match_colors(style: np.ndarray, content: np.ndarray, eps: float = 1e-4) -> np.ndarray:
    """Affine colour transfer: the style's pixel mean and covariance become the content's.

    Symmetric square roots (PCA-style) rotate colours less than a Cholesky factor would.
    """
    s = style.reshape(-1, 3).astype(np.float64)
    c = content.reshape(-1, 3).astype(np.float64)
    mu_s, mu_c = s.mean(0), c.mean(0)
    cov_s = np.cov(s, rowvar=False) + eps * np.eye(3)
    cov_c = np.cov(c, rowvar=False) + eps * np.eye(3)
    a = _sqrtm(cov_c) @ _sqrtm(cov_s, inverse=True)
    out = (s - mu_s) @ a.T + mu_c
    return np.clip(out, 0.0, 1.0).reshape(style.shape).astype(np.float32)
