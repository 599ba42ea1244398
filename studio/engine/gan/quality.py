"""Quality measured offline: KID, Fréchet distance and LPIPS diversity on the offline VGG16 weights.

Why these: FID needs Inception weights we cannot fetch offline and is badly biased with a few hundred
samples. KID (Bińkowski et al. 2018) is unbiased at any sample count, so a cheap check every N steps
means something; the Fréchet distance is reported beside it for familiarity. Both use global-average
pooled VGG16 relu4_3 and relu5_3 features (ImageNet weights from ``models/``). LPIPS (Zhang et al.
2018) with its published linear layers on the same forward pass measures how different two samples
look: its mean over sample pairs is a diversity score that falls when G collapses. The same pass also
gives a layout-keeping feature for nearest-neighbour search (memorisation).

Training-set features are computed once and cached (in memory and in the run directory). Sampling uses
its own fixed latents and never touches the trainer's random generators, so measuring does not change
the training run (resume stays exact).
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from studio.engine.errors import StudioError

LPIPS_LAYERS = (3, 8, 15, 22, 29)  # relu1_2, relu2_2, relu3_3, relu4_3, relu5_3 in torchvision vgg16().features
# LPIPS' input scaling for [-1, 1] pictures (= ImageNet mean/std normalisation of [0, 1] pictures)
LPIPS_SHIFT = (-0.030, -0.088, -0.188)
LPIPS_SCALE = (0.458, 0.448, 0.450)
CACHE_VERSION = 1


class QualityError(StudioError):
    """Quality metrics cannot run (e.g. the offline VGG16 weights are missing); the text says what to do."""


def metric_size(image_size: int) -> int:
    """Resolution the features are computed at: the picture's own, kept between 32 and 64 px (cost)."""
    return int(min(max(image_size, 32), 64))


class VGGFeatureNet(nn.Module):
    """VGG16 up to relu5_3 plus the LPIPS linear layers; frozen, eval mode."""

    def __init__(self, features: nn.Sequential, lin: dict[str, torch.Tensor]) -> None:
        super().__init__()
        self.features = features[: LPIPS_LAYERS[-1] + 1]
        self.register_buffer("shift", torch.tensor(LPIPS_SHIFT).view(1, 3, 1, 1))
        self.register_buffer("scale", torch.tensor(LPIPS_SCALE).view(1, 3, 1, 1))
        for i in range(len(LPIPS_LAYERS)):
            self.register_buffer(f"lin{i}", lin[f"lin{i}.weight"].float().clone())
        self.eval().requires_grad_(False)

    def lin(self, i: int) -> torch.Tensor:
        return getattr(self, f"lin{i}")

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        if x.shape[1] == 1:
            x = x.expand(-1, 3, -1, -1)
        h = ((x - self.shift) / self.scale).contiguous(memory_format=torch.channels_last)
        out = []
        for i, layer in enumerate(self.features):
            h = layer(h)
            if i in LPIPS_LAYERS:
                out.append(h)
        return out


_NETS: dict[str, VGGFeatureNet] = {}


def load_feature_net(device: torch.device | str = "cpu", models: Path | None = None) -> VGGFeatureNet:
    """The offline VGG16 + LPIPS weights (``python -m studio models fetch``), cached per device."""
    from safetensors.torch import load_file

    from studio.engine.pretrained import LPIPS_FILE, VGG16_FILE, models_dir
    from studio.engine.style.backbones import BackboneError, load_vgg16_file

    d = Path(models) if models else models_dir()
    key = f"{d}|{device}"
    if key in _NETS:
        return _NETS[key]
    try:
        features = load_vgg16_file(d / VGG16_FILE)
        lin = load_file(str(d / LPIPS_FILE))
    except (BackboneError, FileNotFoundError, OSError) as exc:
        raise QualityError("Quality metrics need the offline VGG16 features: run `python -m studio models "
                           f"fetch` (or `make models`). ({exc})") from exc
    except Exception as exc:  # noqa: BLE001 - damaged safetensors raise several types
        raise QualityError(f"The LPIPS weights in {d} are damaged ({exc}); fetch them again") from exc
    net = VGGFeatureNet(features, lin).to(device).to(memory_format=torch.channels_last)
    _NETS[key] = net
    return net


# ----------------------------------------------------------------------------------------- features

@dataclass
class ImageFeatures:
    pooled: torch.Tensor  # N×1024 float64 on CPU: GAP(relu4_3) ‖ GAP(relu5_3), for KID / FD
    nn: torch.Tensor  # N×K unit vectors on CPU: channel-normalised relu3_3+relu4_3 pooled to 4×4
    lpips: list[torch.Tensor] | None = None  # channel-normalised maps per layer (only when asked)

    def __len__(self) -> int:
        return int(self.pooled.shape[0])


def _unit(t: torch.Tensor, eps: float = 1e-10) -> torch.Tensor:
    return t / (t.pow(2).sum(dim=1, keepdim=True).sqrt() + eps)


@torch.inference_mode()
def extract_features(net: VGGFeatureNet, images: torch.Tensor, size: int | None = None, batch_size: int = 64,
                     keep_lpips: bool = False, check: Callable[[], None] | None = None) -> ImageFeatures:
    """Features of pictures in [-1, 1] (N×C×H×W, C 1 or 3), resized to ``size`` when given."""
    device = net.shift.device
    pooled, nns, lp = [], [], []
    for start in range(0, images.shape[0], batch_size):
        if check is not None:
            check()
        x = images[start:start + batch_size].to(device).float()
        if size and x.shape[-1] != size:
            x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False,
                              antialias=x.shape[-1] > size)
        feats = net(x)
        pooled.append(torch.cat([feats[3].mean((2, 3)), feats[4].mean((2, 3))], 1).double().cpu())
        nn_parts = [F.adaptive_avg_pool2d(_unit(feats[k]), 4).flatten(1) for k in (2, 3)]
        nns.append(_unit(torch.cat(nn_parts, 1)).float().cpu())
        if keep_lpips:
            lp.append([_unit(f).float() for f in feats])
    lpips = [torch.cat([b[i] for b in lp]) for i in range(len(LPIPS_LAYERS))] if keep_lpips else None
    return ImageFeatures(torch.cat(pooled), torch.cat(nns), lpips)


def lpips_distance(net: VGGFeatureNet, a: list[torch.Tensor], b: list[torch.Tensor]) -> torch.Tensor:
    """LPIPS between row i of ``a`` and row i of ``b`` (channel-normalised maps from extract_features)."""
    total = None
    for i, (fa, fb) in enumerate(zip(a, b, strict=True)):
        d = ((fa - fb) ** 2 * net.lin(i).to(fa.device)).sum(1).mean((1, 2))
        total = d if total is None else total + d
    return total


def lpips_diversity(net: VGGFeatureNet, feats: ImageFeatures) -> float:
    """Mean LPIPS between disjoint pairs (sample i, sample i + N/2): 0 when every sample is the same."""
    if feats.lpips is None or len(feats) < 2:
        raise ValueError("LPIPS diversity needs at least 2 samples extracted with keep_lpips=True")
    h = len(feats) // 2
    a = [f[:h] for f in feats.lpips]
    b = [f[h:2 * h] for f in feats.lpips]
    return float(lpips_distance(net, a, b).mean())


# ----------------------------------------------------------------------------------------- distances

def kid(a: torch.Tensor, b: torch.Tensor, subsets: int = 20, subset_size: int = 100,
        seed: int = 0) -> tuple[float, float]:
    """Kernel Inception Distance (here on VGG features): unbiased MMD² with the cubic polynomial kernel,
    averaged over random subsets. Returns (mean, std over subsets). ≈ 0 for sets from one distribution."""
    a, b = a.double(), b.double()
    m = min(subset_size, a.shape[0], b.shape[0])
    if m < 2:
        raise ValueError("KID needs at least 2 samples in each set")
    d = a.shape[1]
    g = torch.Generator().manual_seed(seed)
    vals = []
    for _ in range(subsets):
        x = a[torch.randperm(a.shape[0], generator=g)[:m]]
        y = b[torch.randperm(b.shape[0], generator=g)[:m]]
        kxx = (x @ x.T / d + 1) ** 3
        kyy = (y @ y.T / d + 1) ** 3
        kxy = (x @ y.T / d + 1) ** 3
        mmd = ((kxx.sum() - kxx.diagonal().sum()) / (m * (m - 1))
               + (kyy.sum() - kyy.diagonal().sum()) / (m * (m - 1)) - 2 * kxy.mean())
        vals.append(float(mmd))
    t = torch.tensor(vals)
    return float(t.mean()), float(t.std()) if len(vals) > 1 else 0.0


def frechet_distance(a: torch.Tensor, b: torch.Tensor) -> float:
    """‖μa−μb‖² + tr(Σa + Σb − 2(Σa Σb)^½), the FID formula on these features (biased at small N).

    Computed without d×d matrices: with A, B the centred features over √(n−1), tr Σ = ‖A‖²_F and
    tr (Σa Σb)^½ is the nuclear norm of A Bᵀ (n×m), exact and fast when there are fewer samples than
    feature dimensions, as in a quick check.
    """
    a, b = a.double(), b.double()
    mu_a, mu_b = a.mean(0), b.mean(0)
    A = (a - mu_a) / math.sqrt(max(a.shape[0] - 1, 1))
    B = (b - mu_b) / math.sqrt(max(b.shape[0] - 1, 1))
    nuclear = torch.linalg.svdvals(A @ B.T).sum()
    return float((mu_a - mu_b).pow(2).sum() + A.pow(2).sum() + B.pow(2).sum() - 2 * nuclear)


NEAR_COPY_RATIO = 0.5  # nearer to a training picture than this × the training pictures' median nearest distance


def natural_copy_share(features: torch.Tensor, nn_median: float, loo: torch.Tensor | None = None) -> float:
    """The share of training pictures (nearest-neighbour features, N×K) that are near-copies of another training
    picture: how often a generator that drew new pictures from the same source would make near-copies too. ``loo``:
    each picture's distance to its nearest other one, when already measured."""
    if len(features) < 2:
        return 0.0
    if loo is None:
        loo, _ = nearest_neighbours(features, features, exclude_self=True)
    return float((loo < NEAR_COPY_RATIO * nn_median).float().mean())


def nearest_neighbours(query: torch.Tensor, reference: torch.Tensor,
                       exclude_self: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """Cosine distance (1 − cos) from each query row to its nearest reference row, and that row's index."""
    sim = query @ reference.T
    if exclude_self:
        sim.fill_diagonal_(-2.0)
    best, idx = sim.max(dim=1)
    return (1.0 - best).clamp_min(0), idx


# ----------------------------------------------------------------------------------------- the monitor

@dataclass
class QualityReport:
    step: int
    kid: float
    kid_std: float
    fd: float
    lpips_diversity: float
    nn_distance: torch.Tensor  # per sample: distance to its nearest training picture
    nn_index: torch.Tensor  # per sample: that training picture's row
    samples: torch.Tensor  # the generated pictures measured, in [-1, 1] (CPU)
    seconds: float = 0.0
    values: dict[str, float] = field(default_factory=dict)  # what goes into metrics.jsonl
    features: torch.Tensor | None = None  # per sample: the nearest-neighbour features (N×K unit vectors)


@dataclass
class TrainingReference:
    """What is measured once about the training set."""

    features: ImageFeatures
    diversity: float  # LPIPS diversity of the training pictures themselves
    nn_median: float  # median distance from a training picture to its nearest other one
    count: int
    natural_copies: float = 0.0  # share of training pictures that are near-copies of another (natural_copy_share)


REFERENCE_CACHE = "train_features.safetensors"  # in a run's quality/ folder


def read_reference_cache(path: Path, key: str | None = None) -> TrainingReference | None:
    """The training reference a QualityMonitor cached at ``path`` (one made from the pixels ``key`` names, when
    given), or None when there is none, it is damaged, or it was made from other pictures."""
    if not path.is_file():
        return None
    try:
        from safetensors import safe_open

        with safe_open(str(path), "pt") as fh:
            meta = fh.metadata() or {}
            if key is not None and meta.get("key") != key:
                return None
            pooled, nnf = fh.get_tensor("pooled"), fh.get_tensor("nn")
        return reference_from(pooled, nnf, meta)
    except Exception:  # noqa: BLE001 - a damaged cache is recomputed, never trusted
        return None


def reference_from(pooled: torch.Tensor | None, nnf: torch.Tensor, meta: dict) -> TrainingReference:
    """A training reference from its stored features and the metadata (``nn_median``, ``diversity``) kept with them
    (a run's cache; an exported generator's critic, which keeps only the near-copy features: ``pooled`` None, no
    KID). Raises KeyError / ValueError on missing or bad numbers."""
    if pooled is None:
        pooled = torch.zeros(len(nnf), 0, dtype=torch.float64)
    nn_median, diversity = float(meta["nn_median"]), float(meta["diversity"])
    if not (math.isfinite(nn_median) and nn_median > 0 and math.isfinite(diversity)):
        raise ValueError(f"the stored distances are not usable ({nn_median}, {diversity})")
    if pooled.ndim != 2 or nnf.ndim != 2 or len(pooled) != len(nnf) or not len(nnf):
        raise ValueError("the stored features do not fit together")
    return TrainingReference(ImageFeatures(pooled, nnf), diversity, nn_median, int(pooled.shape[0]),
                             natural_copy_share(nnf, nn_median))


class QualityMonitor:
    """KID / FD / LPIPS diversity / nearest-neighbour distances of G against its training set.

    ``images``: the training set as uint8 N×C×H×W (numpy) or a PreparedImages. At most ``max_train``
    pictures (a fixed random subset) are used for the reference features, which are computed on the
    first call and cached in ``cache_dir`` (keyed by the pixels) when given.
    """

    def __init__(self, images, device: torch.device | str = "cpu", samples: int = 128, seed: int = 0,
                 max_train: int = 500, cache_dir: str | Path | None = None, batch_size: int = 64,
                 net: VGGFeatureNet | None = None) -> None:
        self.device = torch.device(device)
        self.samples = max(4, int(samples))
        self.seed = seed
        self.batch_size = batch_size
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self.net = net or load_feature_net(self.device)
        n = len(images)
        g = torch.Generator().manual_seed(seed + 11)
        self.train_rows = (torch.randperm(n, generator=g)[:max_train].sort().values if n > max_train
                           else torch.arange(n))
        self._images = images
        self.image_size = int(images.shape[-1] if isinstance(images, (np.ndarray, torch.Tensor)) else images.size)
        self.size = metric_size(self.image_size)
        self.reference: TrainingReference | None = None

    def _train_uint8(self) -> torch.Tensor:
        if hasattr(self._images, "batch"):
            return self._images.batch(self.train_rows)
        return torch.from_numpy(np.ascontiguousarray(np.asarray(self._images)[self.train_rows.numpy()]))

    def prepare(self, check: Callable[[], None] | None = None) -> TrainingReference:
        """Reference features of the training set (once; from the cache when it matches)."""
        if self.reference is not None:
            return self.reference
        pixels = self._train_uint8()
        key = hashlib.sha256(pixels.numpy().tobytes()).hexdigest()[:20] + f"-{self.size}-v{CACHE_VERSION}"
        cached = self._load_cache(key)
        if cached is not None:
            self.reference = cached
            return cached
        x = pixels.float().div(127.5).sub(1.0)
        feats = extract_features(self.net, x, self.size, self.batch_size, keep_lpips=True, check=check)
        g = torch.Generator().manual_seed(self.seed + 13)
        order = torch.randperm(len(feats), generator=g)[: min(len(feats), 2 * self.samples)]
        div_feats = ImageFeatures(feats.pooled[order], feats.nn[order], [f[order] for f in feats.lpips])
        diversity = lpips_diversity(self.net, div_feats)
        loo, _ = nearest_neighbours(feats.nn, feats.nn, exclude_self=True)
        nn_median = float(loo.median())
        ref = TrainingReference(ImageFeatures(feats.pooled, feats.nn), diversity, nn_median, len(feats),
                                natural_copy_share(feats.nn, nn_median, loo))
        self.reference = ref
        self._save_cache(key, ref)
        return ref

    def _cache_path(self) -> Path | None:
        return self.cache_dir / REFERENCE_CACHE if self.cache_dir else None

    def _load_cache(self, key: str) -> TrainingReference | None:
        path = self._cache_path()
        return read_reference_cache(path, key) if path is not None else None

    def _save_cache(self, key: str, ref: TrainingReference) -> None:
        path = self._cache_path()
        if path is None:
            return
        from safetensors.torch import save

        from studio.engine.runs import atomic_write_bytes

        blob = save({"pooled": ref.features.pooled.contiguous(), "nn": ref.features.nn.contiguous()},
                    metadata={"key": key, "diversity": repr(ref.diversity), "nn_median": repr(ref.nn_median)})
        try:
            atomic_write_bytes(path, blob)
        except OSError:
            pass  # a cache is a convenience

    def latents(self, latent_dim: int) -> torch.Tensor:
        return torch.randn(self.samples, latent_dim, generator=torch.Generator().manual_seed(self.seed + 17))

    @torch.inference_mode()
    def generate(self, generator: nn.Module, latent_dim: int) -> torch.Tensor:
        was_training = generator.training
        generator.eval()
        try:
            device = next(generator.parameters()).device
            z = self.latents(latent_dim)
            out = [generator(z[s:s + self.batch_size].to(device)).float().cpu()
                   for s in range(0, z.shape[0], self.batch_size)]
        finally:
            generator.train(was_training)
        return torch.cat(out).clamp_(-1, 1)

    def evaluate(self, generator: nn.Module | None = None, latent_dim: int = 100, step: int = 0,
                 images: torch.Tensor | None = None, check: Callable[[], None] | None = None) -> QualityReport:
        """Measure ``generator`` (or given pictures in [-1, 1]) against the training set."""
        t0 = time.perf_counter()
        ref = self.prepare(check)
        if images is None:
            if generator is None:
                raise ValueError("evaluate needs a generator or pictures")
            images = self.generate(generator, latent_dim)
        feats = extract_features(self.net, images, self.size, self.batch_size, keep_lpips=True, check=check)
        k, k_std = kid(feats.pooled, ref.features.pooled, seed=self.seed)
        fd = frechet_distance(feats.pooled, ref.features.pooled)
        div = lpips_diversity(self.net, feats)
        dist, idx = nearest_neighbours(feats.nn, ref.features.nn)
        rows = self.train_rows[idx]
        seconds = time.perf_counter() - t0
        values = {"kid": k, "fd": fd, "lpips_diversity": div,
                  "lpips_diversity_data": ref.diversity,
                  "nn_distance_ratio": float(dist.median()) / max(ref.nn_median, 1e-12),
                  "metrics_seconds": seconds}
        return QualityReport(step, k, k_std, fd, div, dist, rows, images, seconds, values, feats.nn)
