"""Kinds of pictures: the folder sorted into clusters by pretrained eyes, and a GAN conditioned on them.

An unconditional generator must carve its smooth latent space into the folder's separate kinds (a red circle, a
green cross, a face turned left …); between two kinds it makes hybrids, and on 200 pictures it takes a long time
to make that border thin. Sorting the pictures into kinds first (Self-Conditioned GAN, Liu et al. 2020; here with
the frozen ImageNet VGG16 the studio ships, before training, as Instance-Conditioned GAN does with its features)
and training a class-conditional GAN on those pseudo-labels (projection discriminator, Miyato & Koyama 2018)
removes the border: G is told which kind to draw, D judges each picture against its own kind.

The artist still samples with one latent vector, as with any studio generator: ``ClusterGenerator`` reads the kind
from the latent's first coordinate (its normal quantile falls in one of K bins sized like the clusters), so
random latents draw the kinds as often as the folder holds them, and exports, latent walks and the Explore page
work unchanged. A walk that crosses a bin border changes kind there.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

# VGG16 ``features`` indices whose ReLU outputs describe a picture for clustering: edges and colours (conv2_2) and
# parts of shapes (conv3_3). Deeper layers blur small pictures' shapes (measured: purity 0.975 for 16 clusters of
# the 8-class shape set with these two, 0.87 with conv4_3 alone).
CLUSTER_TAPS = (8, 15)
CLUSTER_SIDE = 64  # pictures are looked at this size: VGG16 needs a few pixels per stroke


def clusters_for_count(count: int) -> int:
    """How many kinds to sort ``count`` pictures into: about eight pictures per kind, 2 to 24 kinds.

    Over-splitting costs little (two clusters of one kind both learn it); under-splitting brings hybrids back. On
    the 8-shape set (200 pictures) 24 kinds beat 16 by +0.05 and +0.03 strict precision (seeds 0 and 1, 6,000
    steps each); 32 were no better than 16 (tests/bench/bench_eyes.py's judge, issue 15's sixth pass)."""
    return int(min(24, max(2, count // 8)))


@torch.no_grad()
def picture_features(images: np.ndarray | torch.Tensor, vgg: nn.Sequential, batch: int = 50,
                     check: Callable[[], None] | None = None, bf16: bool = False) -> torch.Tensor:
    """One L2-normalised descriptor per picture (N×H×W×C uint8): mean and max of each tapped VGG16 map (on the CPU;
    ``vgg`` may be on another device). ``check`` is called before each batch (a job's cancel point). ``bf16``: run
    the VGG in bfloat16 on a CPU that has it natively (1.7× faster on the development machine; each descriptor
    within cosine 0.99999 of fp32's) — for judging many samples, not for sorting the folder into kinds."""
    from studio.engine.gan.projected import (  # ImageNet statistics VGG16 knows
        _MEAN,
        _STD,
        cpu_has_native_bf16,
    )

    device = next(vgg.parameters()).device
    mean, std = torch.tensor(_MEAN, device=device).view(1, 3, 1, 1), torch.tensor(_STD, device=device).view(1, 3, 1, 1)
    fast = bf16 and device.type == "cpu" and cpu_has_native_bf16()
    out = []
    for start in range(0, len(images), batch):
        if check is not None:
            check()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=fast):
            out.append(_descriptor(images[start:start + batch], vgg, device, mean, std))
    return torch.cat(out)


def _descriptor(part, vgg: nn.Sequential, device: torch.device, mean: torch.Tensor, std: torch.Tensor) -> torch.Tensor:
    """``picture_features`` of one batch."""
    x = (part if isinstance(part, torch.Tensor) else torch.from_numpy(np.array(part))).permute(0, 3, 1, 2)
    x = x.to(device).float().div(255)
    if x.shape[1] == 1:
        x = x.expand(-1, 3, -1, -1)
    h = (F.interpolate(x, size=CLUSTER_SIDE, mode="bilinear", align_corners=False, antialias=True) - mean) / std
    parts = []
    for i, layer in enumerate(vgg):
        h = layer(h)
        if i in CLUSTER_TAPS:
            parts.append(F.normalize(torch.cat([h.mean((2, 3)), h.amax((2, 3))], 1).float(), dim=1))
        if i >= max(CLUSTER_TAPS):
            break
    return torch.cat(parts, 1).cpu()


def kmeans(features: torch.Tensor, k: int, seed: int = 0, restarts: int = 8, iters: int = 60) -> torch.Tensor:
    """k-means++ with restarts (the lowest inertia wins); returns one label per row, deterministic in ``seed``.
    Labels are renumbered by cluster size (largest first) so the same folder gives the same kinds."""
    n = len(features)
    k = max(1, min(k, n))
    gen = torch.Generator().manual_seed(seed)
    best: tuple[float, torch.Tensor] | None = None
    for _ in range(restarts):
        centres = features[torch.randint(n, (1,), generator=gen)]
        for _ in range(k - 1):
            d2 = torch.cdist(features, centres).min(1).values.square()
            pick = torch.multinomial(d2 / d2.sum(), 1, generator=gen) if d2.sum() > 0 else \
                torch.randint(n, (1,), generator=gen)
            centres = torch.cat([centres, features[pick]])
        for _ in range(iters):
            labels = torch.cdist(features, centres).argmin(1)
            new = torch.stack([features[labels == j].mean(0) if (labels == j).any() else centres[j] for j in range(k)])
            if torch.allclose(new, centres):
                break
            centres = new
        inertia = torch.cdist(features, centres).min(1).values.square().sum().item()
        if best is None or inertia < best[0]:
            best = (inertia, labels)
    labels = best[1]
    sizes = torch.bincount(labels, minlength=k)
    order = torch.argsort(-sizes, stable=True)
    rank = torch.empty_like(order)
    rank[order] = torch.arange(k)
    return rank[labels]


class Kinds(NamedTuple):
    """What sorting a folder found: one label per picture (int64) and each kind's look — the mean of its pictures'
    ``picture_features`` (K×F; the critic measures how far a sample is from the look of the kind it was asked for)."""

    labels: torch.Tensor
    looks: torch.Tensor


def find_kinds(images: np.ndarray, k: int, seed: int = 0, vgg: nn.Sequential | None = None) -> Kinds:
    """The kinds of a folder's pictures (N×H×W×C uint8)."""
    if vgg is None:
        from studio.engine.gan.projected import load_vgg16_features

        vgg = load_vgg16_features().eval()
    features = picture_features(images, vgg)
    labels = kmeans(features, k, seed)
    looks = torch.zeros(int(k), features.shape[1])
    looks.index_add_(0, labels, features)
    return Kinds(labels, looks / torch.bincount(labels, minlength=int(k)).clamp(min=1).unsqueeze(1).float())


class ClusterGenerator(nn.Module):
    """A generator told which kind to draw, the kind read from the latent itself.

    ``kinds(z)``: the bin of Φ(z₀) (the first coordinate's normal quantile) among ``edges`` — cumulative cluster
    shares, so N(0, I) latents draw each kind as often as the folder holds it. The kind's learned embedding is
    appended to the latent; the rest is the wrapped generator (``net``) unchanged."""

    def __init__(self, net: nn.Module, latent_dim: int, kinds: int, embed_dim: int) -> None:
        super().__init__()
        self.net = net
        self.latent_dim, self.n_kinds = latent_dim, kinds
        self.embed = nn.Embedding(kinds, embed_dim)
        nn.init.normal_(self.embed.weight, 0.0, 1.0)
        # equal shares until ``set_shares`` is told the clusters' sizes (a saved generator loads its own)
        self.register_buffer("edges", torch.arange(1, kinds, dtype=torch.float32) / kinds)
        self.msg = bool(getattr(net, "msg", False))

    @torch.no_grad()
    def set_shares(self, counts: torch.Tensor | list[int]) -> None:
        c = torch.as_tensor(counts, dtype=torch.float64).clamp(min=0)
        if len(c) != self.n_kinds or c.sum() <= 0:
            raise ValueError(f"need {self.n_kinds} cluster sizes, got {c.tolist()}")
        self.edges.copy_((c.cumsum(0)[:-1] / c.sum()).float())

    def kinds(self, z: torch.Tensor) -> torch.Tensor:
        u = 0.5 * (1.0 + torch.erf(z[:, 0].float() / math.sqrt(2.0)))
        return torch.bucketize(u, self.edges.to(u.device), right=True)

    def _latent(self, z: torch.Tensor, kinds: torch.Tensor | None) -> torch.Tensor:
        z = z.view(z.shape[0], -1)
        k = self.kinds(z) if kinds is None else kinds
        return torch.cat([z, self.embed(k).to(z.dtype)], 1)

    def forward(self, z: torch.Tensor, kinds: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(self._latent(z, kinds))

    def forward_multiscale(self, z: torch.Tensor, kinds: torch.Tensor | None = None) -> list[torch.Tensor]:
        return self.net.forward_multiscale(self._latent(z, kinds))


class ConditionalDiscriminator(nn.Module):
    """A projection discriminator: the wrapped D's verdict plus ⟨embedding of the kind, D's pooled features⟩, so
    D asks "is this a real picture *of this kind*?". The wrapped D must offer ``features(x)`` (N×C×h×w) and
    ``verdict(features)`` (N)."""

    def __init__(self, base: nn.Module, kinds: int, feature_channels: int) -> None:
        super().__init__()
        self.base = base
        self.embed = nn.Embedding(kinds, feature_channels)
        nn.init.normal_(self.embed.weight, 0.0, 0.02)
        self.msg = bool(getattr(base, "msg", False))

    def scales(self, x: torch.Tensor) -> list[torch.Tensor]:
        return self.base.scales(x)

    def forward(self, x, kinds: torch.Tensor) -> torch.Tensor:
        h = self.base.features(x)
        return self.base.verdict(h) + (self.embed(kinds) * h.sum((2, 3))).sum(1)
