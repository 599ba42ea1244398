"""Differentiable augmentation of everything D sees (DiffAugment), with an ADA-style strength controller.

Why: with 50–500 pictures, D memorises the training set within minutes and G stops learning (or
copies). Augmenting only the reals would teach G to make augmented pictures; augmenting reals *and*
fakes with differentiable ops, in both the D and the G step, keeps D honest without leaking
(Zhao et al. 2020, "Differentiable Augmentation for Data-Efficient GAN Training"). The strength ``p``
is the per-picture probability of each op, raised while D is overconfident on reals and lowered
otherwise, aiming at E[sign D(real)] ≈ 0.6 (Karras et al. 2020, "Training GANs with Limited Data").

All randomness comes from one CPU ``torch.Generator`` whose state is checkpointed, so resume stays
exact. Parameters are drawn in fractions of the image size, so one draw can be applied to every scale
of a multi-scale (MSG-GAN) image pyramid consistently.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from studio.engine.gan.config import AUGMENT_OPS as OPS  # noqa: F401 - re-exported
from studio.engine.gan.config import DEFAULT_AUGMENT_POLICY as DEFAULT_POLICY
from studio.engine.gan.config import parse_policy  # noqa: F401 - re-exported; defined torch-free there

TRANSLATION_RATIO = 0.125  # DiffAugment's defaults
CUTOUT_RATIO = 0.5


@dataclass
class AugmentDraw:
    """One batch's random choices, in size-free units (fractions), on the images' device."""

    brightness: torch.Tensor | None = None  # N×1×1×1, additive, 0 where not applied
    saturation: torch.Tensor | None = None  # N×1×1×1, factor, 1 where not applied
    contrast: torch.Tensor | None = None  # N×1×1×1, factor, 1 where not applied
    shift: torch.Tensor | None = None  # N×2 (dy, dx) as fractions of the size; 0 where not applied
    cutout: torch.Tensor | None = None  # N×3 (cy, cx, on) centre fractions in [0, 1), on ∈ {0, 1}


class DiffAugment:
    """Colour, translation and cutout, each applied to a picture with probability ``p``.

    Call it on a tensor (N×C×H×W in [-1, 1]) or a list of tensors (one picture at several scales);
    the result is differentiable with respect to the input and keeps shapes and memory format.
    """

    def __init__(self, policy: str | Sequence[str] = DEFAULT_POLICY, p: float = 1.0, seed: int = 0,
                 generator: torch.Generator | None = None) -> None:
        self.ops = parse_policy(policy)
        self.p = float(p)
        self.generator = generator if generator is not None else torch.Generator().manual_seed(seed)
        # (rank, processes) in a distributed run: draw for the global batch, apply this process's share, so the
        # random stream is the same whatever the number of processes
        self.shard: tuple[int, int] = (0, 1)

    @property
    def active(self) -> bool:
        return bool(self.ops) and self.p > 0

    # -- randomness (CPU generator, then moved: a few tiny tensors per call)
    def _flags(self, n: int) -> torch.Tensor:
        return (torch.rand(n, generator=self.generator) < self.p).float()

    def draw(self, n: int, size: int, device: torch.device | str = "cpu") -> AugmentDraw:
        g, out = self.generator, AugmentDraw()
        if "color" in self.ops:
            b = (torch.rand(n, generator=g) - 0.5) * self._flags(n)
            s_on = self._flags(n)
            s = 1 + (torch.rand(n, generator=g) * 2 - 1) * s_on
            c_on = self._flags(n)
            c = 1 + (torch.rand(n, generator=g) - 0.5) * c_on
            out.brightness, out.saturation, out.contrast = (t.view(n, 1, 1, 1).to(device) for t in (b, s, c))
        if "translation" in self.ops:
            max_shift = int(size * TRANSLATION_RATIO + 0.5)
            shift = torch.randint(-max_shift, max_shift + 1, (n, 2), generator=g).float() / size
            out.shift = (shift * self._flags(n).view(n, 1)).to(device)
        if "cutout" in self.ops:
            centre = torch.rand(n, 2, generator=g)
            out.cutout = torch.cat([centre, self._flags(n).view(n, 1)], 1).to(device)
        return out

    # -- application (pure functions of the draw)
    def apply(self, x: torch.Tensor, d: AugmentDraw) -> torch.Tensor:
        if d.brightness is not None:
            x = _color(x, d.brightness, d.saturation, d.contrast)
        if d.shift is not None:
            x = _translate(x, d.shift)
        if d.cutout is not None:
            x = _cutout(x, d.cutout)
        return x

    def _draw_share(self, n: int, size: int, device) -> AugmentDraw:
        rank, world = self.shard
        if world == 1:
            return self.draw(n, size, device)
        d = self.draw(n * world, size, device)
        for name in ("brightness", "saturation", "contrast", "shift", "cutout"):
            t = getattr(d, name)
            if t is not None:
                setattr(d, name, t[rank * n:(rank + 1) * n])
        return d

    def __call__(self, x: torch.Tensor | Sequence[torch.Tensor]):
        if not self.active:
            return x
        if isinstance(x, torch.Tensor):
            return self.apply(x, self._draw_share(x.shape[0], x.shape[-1], x.device))
        scales = list(x)
        d = self._draw_share(scales[-1].shape[0], scales[-1].shape[-1], scales[-1].device)
        return [self.apply(s, d) for s in scales]

    # -- checkpointing
    def rng_state(self) -> torch.Tensor:
        return self.generator.get_state()

    def set_rng_state(self, state: torch.Tensor) -> None:
        self.generator.set_state(state)


def _color(x: torch.Tensor, b: torch.Tensor, s: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
    x = x + b
    if x.shape[1] > 1:
        m = x.mean(dim=1, keepdim=True)
        x = (x - m) * s + m
    m = x.mean(dim=(1, 2, 3), keepdim=True)
    return (x - m) * c + m


def _translate(x: torch.Tensor, shift: torch.Tensor) -> torch.Tensor:
    """Shift each picture by whole pixels (zero = mid-grey fill), as two gathers on a 1-pixel padding."""
    n, c, h, w = x.shape
    dy = torch.round(shift[:, 0] * h).long().view(n, 1)
    dx = torch.round(shift[:, 1] * w).long().view(n, 1)
    rows = (torch.arange(h, device=x.device).view(1, h) - dy + 1).clamp_(0, h + 1)  # N×H into padded
    cols = (torch.arange(w, device=x.device).view(1, w) - dx + 1).clamp_(0, w + 1)
    xp = F.pad(x, (1, 1, 1, 1))
    xp = torch.gather(xp, 2, rows.view(n, 1, h, 1).expand(n, c, h, w + 2))
    return torch.gather(xp, 3, cols.view(n, 1, 1, w).expand(n, c, h, w))


def _cutout(x: torch.Tensor, cut: torch.Tensor) -> torch.Tensor:
    """Blank a square of half the size at a random centre (zero = mid-grey)."""
    n, _, h, w = x.shape
    ch, cw = int(h * CUTOUT_RATIO + 0.5), int(w * CUTOUT_RATIO + 0.5)
    cy = torch.floor(cut[:, 0] * (h + (1 - ch % 2))).view(n, 1) - ch // 2
    cx = torch.floor(cut[:, 1] * (w + (1 - cw % 2))).view(n, 1) - cw // 2
    ys = torch.arange(h, device=x.device, dtype=x.dtype).view(1, h)
    xs = torch.arange(w, device=x.device, dtype=x.dtype).view(1, w)
    in_y = ((ys >= cy) & (ys < cy + ch)).view(n, 1, h, 1)
    in_x = ((xs >= cx) & (xs < cx + cw)).view(n, 1, 1, w)
    on = cut[:, 2].view(n, 1, 1, 1) > 0.5
    mask = ~(in_y & in_x & on)
    return x * mask.to(x.dtype)


class AdaptiveAugment:
    """ADA's controller: every ``interval`` steps, move ``p`` toward keeping E[sign D(real)] at ``target``.

    ``speed_imgs`` is how many real pictures D must see for ``p`` to travel from 0 to 1 (ADA uses
    500k on GPUs; small CPU runs need a faster controller). Signs are accumulated on the device and
    read once per interval, so the training step does not wait for the device every step.
    """

    def __init__(self, target: float = 0.6, speed_imgs: float = 20_000, interval: int = 4,
                 p: float = 0.0, p_max: float = 1.0) -> None:
        self.target = float(target)
        self.speed_imgs = float(speed_imgs)
        self.interval = max(1, int(interval))
        self.p = float(p)
        self.p_max = float(p_max)
        self.rt = 0.0  # last measured E[sign D(real)]
        self._sum: torch.Tensor | float = 0.0  # a device tensor between reads (no sync per step)
        self._count = 0
        self._imgs = 0
        self._calls = 0
        # distributed runs: sums a tensor over the processes in place, so every process adjusts p alike
        self.reduce = None

    def observe(self, real_logits: torch.Tensor) -> None:
        self._sum = self._sum + torch.sign(real_logits.detach().float()).sum()
        self._count += real_logits.numel()
        self._imgs += real_logits.shape[0]

    def update(self) -> float:
        """Call once per training step; adjusts ``p`` every ``interval`` calls and returns it."""
        self._calls += 1
        if self._calls % self.interval or self._count == 0:
            return self.p
        if self.reduce is not None:
            s = torch.as_tensor(self._sum, dtype=torch.float64).reshape(1)
            totals = self.reduce(torch.cat([s.to(torch.float32).cpu(), torch.tensor([self._count, self._imgs],
                                                                                     dtype=torch.float32)]))
            self._sum, self._count, self._imgs = float(totals[0]), int(totals[1]), int(totals[2])
        total = float(self._sum)
        self.rt = total / self._count
        step = math.copysign(self._imgs / self.speed_imgs, self.rt - self.target) if self.rt != self.target else 0.0
        self.p = min(self.p_max, max(0.0, self.p + step))
        self._sum, self._count, self._imgs = 0.0, 0, 0
        return self.p

    def state_dict(self) -> dict:
        return {"p": self.p, "rt": self.rt, "sum": float(self._sum), "count": self._count, "imgs": self._imgs,
                "calls": self._calls, "target": self.target, "speed_imgs": self.speed_imgs}

    def load_state_dict(self, st: dict) -> None:
        self.p = float(st.get("p", self.p))
        self.rt = float(st.get("rt", 0.0))
        self._sum = float(st.get("sum", 0.0))
        self._count = int(st.get("count", 0))
        self._imgs = int(st.get("imgs", 0))
        self._calls = int(st.get("calls", 0))
        self.target = float(st.get("target", self.target))
        self.speed_imgs = float(st.get("speed_imgs", self.speed_imgs))


def augment_preview(images, p: float = 0.5, policy: str | Sequence[str] = DEFAULT_POLICY, count: int = 16,
                    seed: int = 0, columns: int | None = None) -> np.ndarray:
    """What D sees at strength ``p``: a uint8 HWC grid, each original above its augmented version.

    ``images``: uint8 N×C×H×W (numpy or torch) or a PreparedImages. Deterministic in ``seed``; for the
    Train page's "what does augmentation do?" view.
    """
    from studio.engine.gan.trainer import _grid_uint8

    if hasattr(images, "batch") and hasattr(images, "__len__"):
        n = min(count, len(images))
        idx = torch.randperm(len(images), generator=torch.Generator().manual_seed(seed))[:n].sort().values
        batch = images.batch(idx)
    else:
        batch = torch.as_tensor(np.asarray(images) if not isinstance(images, torch.Tensor) else images)[:count]
    x = batch.float().div(127.5).sub(1.0)
    aug = DiffAugment(policy, p=p, seed=seed + 1)
    y = aug(x).clamp(-1, 1)
    cols = columns or max(1, min(8, x.shape[0]))
    rows = []
    for start in range(0, x.shape[0], cols):
        rows += [x[start:start + cols], y[start:start + cols]]
        pad = cols - rows[-1].shape[0]
        if pad:
            filler = torch.full((pad, *x.shape[1:]), -0.76)
            rows[-2] = torch.cat([rows[-2], filler])
            rows[-1] = torch.cat([rows[-1], filler])
    return _grid_uint8(torch.cat(rows), nrow=cols)
