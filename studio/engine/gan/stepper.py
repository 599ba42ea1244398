"""One GAN training step and what it needs: the models, optimisers, augmentation, EMA and RNGs (``GanStepper``),
built from a resolved config (``build_stepper``), and fine-tuning from an earlier run or exported generator
(``load_init_weights``).

Kept apart from ``trainer.py``, which runs the job around it (the loop, samples, checkpoints, health, progress).
"""

from __future__ import annotations

import contextlib
import copy
import json
import math
import threading
from pathlib import Path

import numpy as np
import torch
from torch import nn

from studio.engine.gan.augment import AdaptiveAugment, DiffAugment
from studio.engine.gan.checkpoints import (
    CheckpointError,
    load_checkpoint,
    load_newest_intact,
)
from studio.engine.gan.config import TrainConfig
from studio.engine.gan.ema import GeneratorEMA
from studio.engine.gan.losses import d_loss, g_loss
from studio.engine.gan.models import MBSTD_GROUP, PRESETS, build_gan
from studio.engine.runs import RunDir

LECAM_DECAY = 0.99  # LeCam's running averages (the paper's)
R1_EVERY = 4  # lazy regularisation (StyleGAN2): the penalty every 4th step, scaled by 4


def kind_group_ids(batch: int, world: int = 1, group: int = MBSTD_GROUP) -> torch.Tensor | None:
    """Which minibatch-std group each picture of a global batch falls in, or None where the batch cannot be cut
    into groups of ``group``. ``MinibatchStd`` groups the pictures of one process's share strided: of a share of
    ``s·group`` pictures, positions j, j+s, j+2s, … form group j. Giving each group one kind of picture makes D
    see each kind's own variety: a kind G draws as one picture whatever the latent (measured on the 8-shape set:
    up to 7 of 16 kinds in a failing run) is then plain to D, where a batch of mixed kinds hid it."""
    share = batch // max(1, world)
    if share % group or share < group:
        return None
    slots = share // group
    i = torch.arange(batch)
    return (i // share) * slots + (i % share) % slots


class Pyramid(nn.Module):
    """G's multi-scale pyramid (MSG presets) as its ``forward``, the one call DDP can wrap."""

    def __init__(self, generator: nn.Module) -> None:
        super().__init__()
        self.g = generator

    def forward(self, z: torch.Tensor) -> list[torch.Tensor]:
        return self.g.forward_multiscale(z)


def _epoch_order(n: int, seed: int, epoch: int) -> torch.Tensor:
    g = torch.Generator().manual_seed((seed * 1_000_003 + epoch * 7_919) % (2**63))
    return torch.randperm(n, generator=g)


class GanStepper:
    """Models, optimisers, augmentation, EMA and the random generators of one run; ``step()`` is the
    lesson's two-phase update with D's inputs augmented. No run directory, no events: the training job
    and the time estimate share it."""

    def __init__(self, cfg: TrainConfig, G: nn.Module, D: nn.Module, data, device: torch.device,
                 memory_format=torch.contiguous_format, dist=None) -> None:
        self.cfg, self.G, self.D, self.data, self.device = cfg, G, D, data, device
        # several processes (distributed.py): each keeps its share of every global batch; G_run and D_run are the
        # DDP wrappers the training forwards go through (the plain modules otherwise)
        self.dist = dist
        self.G_run, self.D_run = (Pyramid(G) if getattr(G, "msg", False) else G), D
        self.D_r1 = D  # R1 differentiates a gradient, which compiled code cannot: never the compiled D
        self.D_frozen = D  # G's phase: the plain D (no gradients for D, nothing for DDP to average)
        self.sync_batchnorm = False
        # mixed precision (GPUs): the forwards under autocast; fp16 also scales the losses (GradScaler)
        from studio.engine.gan.distributed import resolve_precision

        self.amp_dtype = resolve_precision(cfg.precision, device,
                                           cpu_bf16=cfg.preset in PRESETS and PRESETS[cfg.preset].cpu_bf16)
        self.scalers = None
        if self.amp_dtype == torch.float16:
            self.scalers = {"G": torch.amp.GradScaler(device.type), "D": torch.amp.GradScaler(device.type)}
        self.memory_format = memory_format
        self.opt_g = torch.optim.Adam(G.parameters(), lr=cfg.lr_g, betas=(cfg.beta1, cfg.beta2))
        self.opt_d = torch.optim.Adam(D.parameters(), lr=cfg.lr_d, betas=(cfg.beta1, cfg.beta2))
        self.noise_gen = torch.Generator().manual_seed(cfg.seed + 1)
        self.fixed_z = torch.randn(cfg.grid_count, cfg.latent_dim,
                                   generator=torch.Generator().manual_seed(cfg.seed + 2))
        self.aug = DiffAugment(cfg.augment_policy, p=self._start_p(), seed=cfg.seed + 5)
        if dist is not None:
            self.aug.shard = (dist.rank, dist.world)
        self.ada: AdaptiveAugment | None = None
        if cfg.augment == "adaptive":
            self._new_ada()
        self.ema: GeneratorEMA | None = None
        if cfg.ema:
            calib = torch.randn(64, cfg.latent_dim, generator=torch.Generator().manual_seed(cfg.seed + 4))
            self.ema = GeneratorEMA(G, cfg.ema_halflife_imgs, cfg.ema_rampup, calibration_latents=calib)
        self.msg = bool(getattr(G, "msg", False))
        self.state = {"step": 0, "epoch": 0, "data_pos": 0, "last_loss_d": math.inf}
        if cfg.lecam > 0:  # LeCam's running averages of D's verdicts (logits) on real and on fake pictures
            self.state.update(lecam_real=0.0, lecam_fake=0.0)
        self.n = len(data)
        self.batch = min(cfg.batch_size, self.n)  # a small folder trains on all of it each step
        if dist is not None:  # the global batch, split evenly
            from studio.engine.gan.distributed import split_problem

            if self.batch < cfg.batch_size:  # a small folder: all of it, rounded down to what splits evenly
                self.batch -= self.batch % dist.world
            problem = split_problem(self.batch, dist.world)
            if problem:
                raise ValueError(problem)
        self.order = _epoch_order(self.n, cfg.seed, 0)
        # the kind of each training picture when G and D are conditional (set by build_stepper)
        self.kinds: torch.Tensor | None = None
        self.kind_looks: torch.Tensor | None = None  # K×F: what each kind looks like to VGG16 (clusters.Kinds)
        self.real_kinds: torch.Tensor | None = None
        self.group_ids: torch.Tensor | None = None  # set with the kinds when cfg.kind_groups (kind_group_ids)
        self._members: list[torch.Tensor] | None = None
        self._slots: list[torch.Tensor] = []

    def _new_ada(self) -> None:
        cfg = self.cfg
        self.ada = AdaptiveAugment(cfg.ada_target, cfg.ada_speed_imgs, cfg.ada_interval, p=self.aug.p)
        if self.dist is not None:
            self.ada.reduce = lambda t: self.dist.sum_(t.to(self.device)).cpu()

    def _share(self, t: torch.Tensor) -> torch.Tensor:
        return t if self.dist is None else self.dist.share(t)

    def _start_p(self) -> float:
        if self.cfg.augment in (None, "off"):
            return 0.0
        return float(self.cfg.aug_p or 0.0)

    @property
    def aug_p(self) -> float:
        return self.aug.p

    # -- data
    @property
    def conditional(self) -> bool:
        """Whether G and D are told the kind of picture (``clusters.py``): D then takes the kinds too."""
        return self.kinds is not None

    def real_batch(self) -> torch.Tensor:
        """The next real pictures in the epoch's order; their kinds (if any) in ``self.real_kinds``."""
        st, b = self.state, self.batch
        if st["data_pos"] + b > self.n:
            st["epoch"] += 1
            st["data_pos"] = 0
            self.order = _epoch_order(self.n, self.cfg.seed, st["epoch"])
        idx = self.order[st["data_pos"]: st["data_pos"] + b]
        st["data_pos"] += b
        if self.group_ids is not None:  # the epoch still counts pictures; the batch is drawn kind by kind
            idx = self._grouped_batch()
        flip = torch.rand(b, generator=self.noise_gen) < 0.5 if self.cfg.hflip else None
        idx = self._share(idx)
        if self.kinds is not None:
            self.real_kinds = self.kinds[idx].to(self.device)
        x = self.data.batch(idx).to(self.device, non_blocking=True).float().div_(127.5).sub_(1.0)
        if flip is not None:
            flip = self._share(flip).to(self.device).view(-1, 1, 1, 1)
            x = torch.where(flip, x.flip(-1), x)
        return x.contiguous(memory_format=self.memory_format)

    def _grouped_batch(self) -> torch.Tensor:
        """Indices of a global batch whose minibatch-std groups each hold one kind: a group's kind is the kind of a
        picture drawn at random (so kinds come as often as the folder holds them), its pictures are drawn from that
        kind without repeats (with repeats only for a kind smaller than a group)."""
        gen, ids = self.noise_gen, self.group_ids
        if self._members is None:  # the pictures of each kind, the batch positions of each group
            self._members = [torch.nonzero(self.kinds == k).flatten() for k in range(int(self.kinds.max()) + 1)]
            self._slots = [torch.nonzero(ids == g).flatten() for g in range(int(ids.max()) + 1)]
        idx = torch.empty(len(ids), dtype=torch.int64)
        for slots, pick in zip(self._slots, torch.randint(self.n, (len(self._slots),), generator=gen).tolist(),
                               strict=True):
            members = self._members[int(self.kinds[pick])]
            order = torch.randperm(len(members), generator=gen) if len(members) >= len(slots) else \
                torch.randint(len(members), (len(slots),), generator=gen)
            idx[slots] = members[order[: len(slots)]]
        return idx

    def noise(self) -> torch.Tensor:
        """Latents for one step: the global batch's, this process's share of them."""
        z = torch.randn(self.batch, self.cfg.latent_dim, generator=self.noise_gen)
        if self.group_ids is not None:  # one kind coordinate per minibatch-std group (ClusterGenerator.kinds)
            z[:, 0] = z[: int(self.group_ids.max()) + 1, 0][self.group_ids]
        return self._share(z).to(self.device, non_blocking=True)

    def d_input(self, x):
        """What D sees: the picture (or MSG pyramid), augmented with one draw for all scales."""
        if self.msg and isinstance(x, torch.Tensor):
            x = self.D.scales(x)
        if self.aug.active:
            x = self.aug(x)
            if self.memory_format is torch.channels_last:
                x = [t.contiguous(memory_format=torch.channels_last) for t in x] if isinstance(x, list) \
                    else x.contiguous(memory_format=torch.channels_last)
        return x

    @staticmethod
    def _detach(x):
        return [t.detach() for t in x] if isinstance(x, list) else x.detach()

    def judge(self, x, kinds: torch.Tensor | None, D: nn.Module | None = None):
        """D's verdict on what D sees of ``x`` (a conditional D is also told the kinds)."""
        D = self.D_run if D is None else D
        return D(self.d_input(x)) if kinds is None else D(self.d_input(x), kinds)

    def lecam_penalty(self, out_r: torch.Tensor, out_f: torch.Tensor) -> torch.Tensor:
        """LeCam (Tseng et al. 2021): D's verdicts on real pictures pulled toward its running average on fakes and
        vice versa, so a D that starts to memorise a small folder cannot push the two apart without limit."""
        st = self.state
        return (out_r - st["lecam_fake"]).square().mean() + (out_f - st["lecam_real"]).square().mean()

    def _amp(self):
        if self.amp_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.device.type, dtype=self.amp_dtype)

    def _backward_step(self, loss: torch.Tensor, opt: torch.optim.Optimizer, name: str) -> None:
        if self.scalers is None:
            loss.backward()
            opt.step()
            return
        scaler = self.scalers[name]
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()

    def r1_penalty(self, real, kinds: torch.Tensor | None) -> torch.Tensor:
        """R1 (Mescheder et al. 2018): the squared gradient of D's verdict on real pictures, as D sees them —
        a zero-centred penalty that keeps D smooth around the data, so G gets useful gradients on few pictures."""
        seen = self.d_input(real)
        seen = [t.detach().float().requires_grad_(True) for t in seen] if isinstance(seen, list) \
            else seen.detach().float().requires_grad_(True)
        with torch.autocast(device_type=self.device.type, enabled=False):  # a gradient of a gradient: full precision
            out = self.D_r1(seen) if kinds is None else self.D_r1(seen, kinds)
        grads = torch.autograd.grad(out.sum(), seen if isinstance(seen, list) else [seen], create_graph=True)
        return sum(g.float().square().sum(dim=(1, 2, 3)).mean() for g in grads)

    def settle_start(self) -> float:
        """The step after which the learning rates settle (``cfg.steps`` when they never do)."""
        cfg = self.cfg
        if cfg.lr_decay <= 0 or cfg.steps <= 0:
            return float(cfg.steps)
        return cfg.steps * (1.0 - min(1.0, cfg.lr_decay))

    def lr_factor(self, step: int | None = None) -> float:
        """What the learning rates are multiplied by at ``step`` (default: the next one): 1 until the last
        ``cfg.lr_decay`` of ``cfg.steps``, then half a cosine down to ``cfg.lr_final``."""
        cfg = self.cfg
        if cfg.lr_decay <= 0 or cfg.steps <= 0:
            return 1.0
        start = self.settle_start()
        done = min(1.0, max(0.0, ((self.state["step"] if step is None else step) - start) / (cfg.steps - start)))
        return cfg.lr_final + (1.0 - cfg.lr_final) * 0.5 * (1.0 + math.cos(math.pi * done))

    # -- one step: the lesson's two phases
    def step(self) -> dict[str, float]:
        cfg, G, D = self.cfg, self.G, self.D
        if cfg.lr_decay > 0:
            factor = self.lr_factor()
            for opt, lr in ((self.opt_g, cfg.lr_g), (self.opt_d, cfg.lr_d)):
                for group in opt.param_groups:
                    group["lr"] = lr * factor
        skip_d = cfg.skip_d_below > 0 and self.state["last_loss_d"] < cfg.skip_d_below
        fake = fake_kinds = None
        for _ in range(cfg.d_steps):
            real = self.real_batch()
            z = self.noise()
            with self._amp():
                fake = self.G_run(z)
            real_kinds, fake_kinds = (self.real_kinds, G.kinds(z)) if self.conditional else (None, None)
            if skip_d:
                with torch.no_grad(), self._amp():
                    out_r, out_f = self.judge(real, real_kinds), self.judge(self._detach(fake), fake_kinds)
                    loss_d = d_loss(cfg.loss, out_r.float(), out_f.float())
            else:
                self.opt_d.zero_grad(set_to_none=True)
                with self._amp():
                    out_r, out_f = self.judge(real, real_kinds), self.judge(self._detach(fake), fake_kinds)
                loss_d = d_loss(cfg.loss, out_r.float(), out_f.float())
                if cfg.lecam > 0:
                    loss_d = loss_d + cfg.lecam * self.lecam_penalty(out_r.float(), out_f.float())
                if cfg.r1_gamma > 0 and self.state["step"] % R1_EVERY == 0:
                    loss_d = loss_d + self.r1_penalty(real, real_kinds) * (0.5 * cfg.r1_gamma * R1_EVERY)
                self._backward_step(loss_d, self.opt_d, "D")
            if self.ada is not None:
                self.ada.observe(out_r)
            if skip_d:
                break
        # Phase 2: G through a frozen D (no gradients for D's weights: cheaper, and what the lesson says),
        # seeing fakes augmented afresh, exactly as D saw them.
        D.requires_grad_(False)
        self.opt_g.zero_grad(set_to_none=True)
        with self._amp():
            out_g = self.judge(fake, fake_kinds, self.D_frozen)
        loss_g = g_loss(cfg.loss, out_g.float())
        self._backward_step(loss_g, self.opt_g, "G")
        D.requires_grad_(True)
        self.state["step"] += 1
        if self.ema is not None:
            scale = self.lr_factor(self.state["step"] - 1) if cfg.ema_follows_lr else 1.0  # this step's rates
            self.ema.update(G, self.batch, self.state["step"] * self.batch, scale=scale)
        if self.ada is not None:
            self.aug.p = self.ada.update()
        vals = torch.stack([loss_g.detach(), loss_d.detach(), torch.sigmoid(out_r.detach()).mean(),
                            torch.sigmoid(out_f.detach()).mean(), out_r.detach().float().mean(),
                            out_f.detach().float().mean()]).float()
        if self.dist is not None:  # every process sees (and decides on) the global batch's numbers
            self.dist.mean_(vals)
        vals = vals.tolist()
        if cfg.lecam > 0:
            st = self.state
            st["lecam_real"] = LECAM_DECAY * st["lecam_real"] + (1 - LECAM_DECAY) * vals[4]
            st["lecam_fake"] = LECAM_DECAY * st["lecam_fake"] + (1 - LECAM_DECAY) * vals[5]
        self.state["last_loss_d"] = vals[1]
        out = {"loss_g": vals[0], "loss_d": vals[1], "d_real": vals[2], "d_fake": vals[3],
               "d_skipped": float(skip_d)}
        if cfg.augment not in (None, "off") or self.aug.p > 0:
            out["aug_p"] = self.aug.p
        if self.ada is not None:
            out["ada_rt"] = self.ada.rt
        return out

    # -- what the artist sees
    def sample_generator(self, weights: str | None = None) -> nn.Module:
        """G for pictures: the EMA one (BatchNorm statistics recomputed) unless ``raw`` is asked."""
        use = weights or self.cfg.sample_weights
        if self.ema is not None and use == "ema":
            self.ema.calibrate()
            return self.ema.module
        return self.G

    # -- live settings
    def set_lr(self, lr_g: float | None = None, lr_d: float | None = None) -> None:
        for opt, lr, name in ((self.opt_g, lr_g, "lr_g"), (self.opt_d, lr_d, "lr_d")):
            if lr is not None:
                for group in opt.param_groups:
                    group["lr"] = lr * self.lr_factor()  # the base rate; a settling run keeps settling from it
                setattr(self.cfg, name, lr)

    def set_augment(self, mode: str | None = None, p: float | None = None, target: float | None = None) -> None:
        cfg = self.cfg
        if mode is not None:
            cfg.augment = mode
            if mode == "off":
                self.aug.p, self.ada = 0.0, None
            elif mode == "adaptive" and self.ada is None:
                self._new_ada()
            elif mode == "fixed":
                self.ada = None
        if p is not None:
            cfg.aug_p = p
            self.aug.p = p
            if self.ada is not None:
                self.ada.p = p
        if target is not None:
            cfg.ada_target = target
            if self.ada is not None:
                self.ada.target = target

    # -- state for checkpoints and rollback
    def modules(self) -> dict[str, nn.Module]:
        mods = {"G": self.G, "D": self.D}
        if self.ema is not None:
            self.ema.calibrate()
            mods["G_ema"] = self.ema.module
        return mods

    def extra_tensors(self) -> dict[str, torch.Tensor]:
        out = {"noise_rng": self.noise_gen.get_state(), "torch_rng": torch.get_rng_state(),
               "fixed_z": self.fixed_z, "augment_rng": self.aug.rng_state()}
        if self.kinds is not None:
            out["kinds"] = self.kinds  # the pictures' kinds as this run found them: resume keeps them
        if self.kind_looks is not None:
            out["kind_looks"] = self.kind_looks  # for the critic (critic.Critic.from_run)
        return out

    def full_state(self) -> dict:
        st = dict(self.state)
        if self.ada is not None:
            st["ada"] = self.ada.state_dict()
        st["aug_p"] = self.aug.p
        if self.scalers is not None:
            st["scalers"] = {k: {n: float(v) for n, v in sc.state_dict().items()} for k, sc in self.scalers.items()}
        return st

    def restore(self, ckpt) -> None:
        """Continue exactly from a checkpoint of this same run."""
        self.G.load_state_dict(ckpt.module_state("G"))
        self.D.load_state_dict(ckpt.module_state("D"))
        if self.ema is not None:
            ema_state = ckpt.module_state("G_ema")
            if ema_state:
                self.ema.module.load_state_dict(ema_state)
            else:
                self.ema.copy_from(self.G)
        self.opt_g.load_state_dict(ckpt.optimizer_state("G"))
        self.opt_d.load_state_dict(ckpt.optimizer_state("D"))
        self.noise_gen.set_state(ckpt.extra("noise_rng"))
        torch.set_rng_state(ckpt.extra("torch_rng"))
        self.fixed_z = ckpt.extra("fixed_z")
        if "extra.kind_looks" in ckpt.tensors:
            self.kind_looks = ckpt.extra("kind_looks")
        if "extra.augment_rng" in ckpt.tensors:
            self.aug.set_rng_state(ckpt.extra("augment_rng"))
        st = dict(ckpt.state)
        for key in ("live", "rollbacks"):  # the loop's, not the step's
            st.pop(key, None)
        ada_state = st.pop("ada", None)
        aug_p = st.pop("aug_p", None)
        scalers = st.pop("scalers", None)
        st.pop("distributed", None)
        if self.scalers is not None and isinstance(scalers, dict):
            for k, sc in self.scalers.items():
                if k in scalers:
                    sc.load_state_dict({**scalers[k], "_growth_tracker": int(scalers[k].get("_growth_tracker", 0))})
        self.state.update(st)
        if aug_p is not None:
            self.aug.p = float(aug_p)
        if self.ada is not None and ada_state:
            self.ada.load_state_dict(ada_state)
            self.aug.p = self.ada.p
        self.order = _epoch_order(self.n, self.cfg.seed, self.state["epoch"])

    def snapshot(self) -> dict:
        """An in-memory copy of everything a rollback needs."""
        def clone(m: nn.Module) -> dict:
            return {k: v.detach().clone() for k, v in m.state_dict().items()}

        return {
            "G": clone(self.G), "D": clone(self.D), "G_ema": clone(self.ema.module) if self.ema else None,
            "opt_g": copy.deepcopy(self.opt_g.state_dict()), "opt_d": copy.deepcopy(self.opt_d.state_dict()),
            "noise": self.noise_gen.get_state(), "torch": torch.get_rng_state(), "aug": self.aug.rng_state(),
            "ada": self.ada.state_dict() if self.ada else None, "aug_p": self.aug.p, "state": dict(self.state),
        }

    def load_snapshot(self, snap: dict) -> None:
        self.G.load_state_dict(snap["G"])
        self.D.load_state_dict(snap["D"])
        if self.ema is not None and snap["G_ema"] is not None:
            self.ema.module.load_state_dict(snap["G_ema"])
        lr_g, lr_d = self.cfg.lr_g, self.cfg.lr_d
        self.opt_g.load_state_dict(copy.deepcopy(snap["opt_g"]))
        self.opt_d.load_state_dict(copy.deepcopy(snap["opt_d"]))
        self.set_lr(lr_g, lr_d)  # the rate in force now (a rollback may just have lowered it)
        self.noise_gen.set_state(snap["noise"])
        torch.set_rng_state(snap["torch"])
        self.aug.set_rng_state(snap["aug"])
        self.aug.p = snap["aug_p"]
        if self.ada is not None and snap["ada"]:
            self.ada.load_state_dict(snap["ada"])
        self.state.clear()
        self.state.update(snap["state"])
        self.order = _epoch_order(self.n, self.cfg.seed, self.state["epoch"])


# torch's global random state seeds the models: whoever seeds and builds holds this lock, so a time estimate running
# beside a starting run (the Train page can do that) never interleaves with its seeding or restores state over it
SEED_LOCK = threading.RLock()


def build_stepper(cfg: TrainConfig, channels: int, data, device: torch.device,
                  kind_labels: torch.Tensor | None = None, dist=None) -> GanStepper:
    """Models (seeded), memory format and optimisers for a resolved config. With ``cfg.kinds`` the pictures are
    sorted into kinds first, unless ``kind_labels`` (one per picture) are given (the time estimate's stand-ins).
    ``dist`` (distributed.Dist): one process of several; the training forwards go through DDP."""
    with SEED_LOCK:
        return _build_stepper(cfg, channels, data, device, kind_labels, dist)


def _build_stepper(cfg: TrainConfig, channels: int, data, device: torch.device,
                   labels: torch.Tensor | None = None, dist=None) -> GanStepper:
    kinds = int(cfg.kinds or 0)
    looks = None
    if not kinds:
        labels = None
    elif labels is None and (dist is None or dist.main):  # before seeding: clustering has its own generator
        from studio.engine.gan.clusters import find_kinds

        labels, looks = find_kinds(np.asarray(data.array).transpose(0, 2, 3, 1), kinds, cfg.seed)
    if kinds and dist is not None:  # rank 0 sorted (or resumed) them: every process uses exactly those
        box = (labels if labels is not None else torch.zeros(len(data), dtype=torch.int64)).to(device)
        labels = dist.broadcast_(box.clone()).cpu()
    torch.manual_seed(cfg.seed)
    G, D = build_gan(cfg.preset, channels, cfg.latent_dim, cfg.width, spectral_norm=bool(cfg.spectral_norm),
                     msg=cfg.msg, kinds=kinds, rgb_head=cfg.rgb_head, batchnorm=cfg.batchnorm)
    if labels is not None:
        G.set_shares(torch.bincount(labels, minlength=kinds))
    G.to(device)
    D.to(device)
    channels_last = cfg.channels_last and cfg.preset != "lesson-mlp"
    if channels_last:
        G.to(memory_format=torch.channels_last)
        D.to(memory_format=torch.channels_last)
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    stepper = GanStepper(cfg, G, D, data, device, fmt, dist=dist)
    stepper.kinds = labels
    stepper.kind_looks = looks
    if labels is not None and cfg.kind_groups:
        stepper.group_ids = kind_group_ids(stepper.batch, dist.world if dist is not None else 1)
    if dist is not None:
        _distribute(stepper, dist)
    stepper.D_r1 = stepper.D_run
    if cfg.compile:  # the training forwards only: samples, EMA and checkpoints use the plain modules
        stepper.G_run = torch.compile(stepper.G_run)
        stepper.D_run = torch.compile(stepper.D_run)
        stepper.D_frozen = torch.compile(stepper.D)
    return stepper


def _distribute(stepper: GanStepper, dist) -> None:
    """DDP wrappers for the training forwards; SyncBatchNorm where asked and possible. The EMA copy (made
    above, from the plain G) keeps plain BatchNorm: it draws pictures in rank 0 alone."""
    from studio.engine.gan.distributed import sync_batchnorm_possible, uses_batchnorm

    want = stepper.cfg.sync_batchnorm
    if want is None:
        want = uses_batchnorm(stepper.G, stepper.D)
    stepper.sync_batchnorm = bool(want) and sync_batchnorm_possible(stepper.device)
    if stepper.sync_batchnorm:  # the same Parameter objects: the optimisers keep working
        stepper.G = nn.SyncBatchNorm.convert_sync_batchnorm(stepper.G)
        stepper.D = nn.SyncBatchNorm.convert_sync_batchnorm(stepper.D)
    stepper.G_run = dist.wrap(Pyramid(stepper.G) if stepper.msg else stepper.G, stepper.device)
    stepper.D_run = dist.wrap(stepper.D, stepper.device)


# ------------------------------------------------------------------------------------ fine-tuning

def load_init_weights(source: str | Path, stepper: GanStepper, channels: int, image_size: int) -> dict:
    """Start from an earlier run (or exported generator) of the same architecture: transfer learning.

    G (and its EMA) always; D too when the earlier run has a compatible one. Optimisers, step and
    augmentation start fresh. Returns what was loaded, for config.json.
    """
    from studio.engine.gan.checkpoints import GENERATOR_FORMAT

    cfg = stepper.cfg
    src = Path(source).expanduser()
    if not src.exists():
        raise CheckpointError(f"Cannot fine-tune from {src}: it does not exist")
    tensors: dict[str, dict] = {}
    if src.is_dir() or src.suffix == ".json" and _is_checkpoint_json(src):
        run = RunDir(src if src.is_dir() else src.parent.parent)
        if src.suffix == ".json":
            ck = load_checkpoint(src)
        else:
            found = load_newest_intact(run.checkpoints_dir)
            if found.checkpoint is None:
                raise CheckpointError(f"Cannot fine-tune from {src.name}: "
                                      + (found.fallback_text() or "that run has no checkpoint yet"))
            ck = found.checkpoint
        other = run.read_config()
        for name in ("G", "D", "G_ema"):
            tensors[name] = ck.module_state(name)
        step = ck.step
    else:
        path = src.with_suffix(".safetensors")
        try:
            other = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CheckpointError(f"Cannot fine-tune from {src.name}: its description is missing") from exc
        if other.get("format") != GENERATOR_FORMAT:
            raise CheckpointError(f"{src.name} is not a GAN Art Studio run or generator")
        from safetensors.torch import load_file

        from studio.engine.latent.jobs import verify_generator
        other = verify_generator(path)  # SHA-256, types and tensor shapes checked before loading
        tensors["G"] = load_file(str(path))
        other = {**other, "resolved_channels": other.get("channels"), "width": other.get("width")}
        step = other.get("step")
    mine = {"preset": cfg.preset, "latent_dim": cfg.latent_dim, "resolved_channels": channels,
            "image_size": image_size, "width": cfg.width or PRESETS[cfg.preset].default_width}
    theirs = {k: other.get(k) for k in mine}
    if theirs["width"] in (0, None):
        theirs["width"] = PRESETS.get(str(theirs["preset"]), PRESETS[cfg.preset]).default_width
    diff = [f"{k} {theirs[k]} ≠ {mine[k]}" for k in mine if str(theirs[k]) != str(mine[k])]
    if diff:
        raise CheckpointError("Fine-tuning needs the same architecture as the earlier run (" + ", ".join(diff)
                              + "). Pick its preset, width, latent size and channels.")
    # what the weights themselves say: kinds of pictures and the picture head (runs made before they existed
    # have neither)
    from studio.engine.gan.models import generator_shape

    shape = generator_shape(cfg.preset, tensors["G"])
    have = {"kinds of pictures": int(cfg.kinds or 0), "picture head": cfg.rgb_head}
    had = {"kinds of pictures": shape["kinds"], "picture head": shape.get("rgb_head", "convT")}
    diff = [f"{k}: {had[k]} there, {have[k]} here" for k in have if str(had[k]) != str(have[k])]
    if diff:
        raise CheckpointError("Fine-tuning needs the same generator as the earlier run (" + "; ".join(diff)
                              + f"). Set Kinds of pictures to {had['kinds of pictures']} (--kinds) or start "
                              "from a run made with these settings.")
    loaded = []
    _load_generator_weights(stepper.G, tensors["G"], src.name)
    loaded.append("G")
    if stepper.ema is not None:
        if tensors.get("G_ema"):
            _load_generator_weights(stepper.ema.module, tensors["G_ema"], src.name)
            loaded.append("G_ema")
        else:
            stepper.ema.copy_from(stepper.G)
    d_state = tensors.get("D")
    if d_state:
        try:
            stepper.D.load_state_dict(d_state)
            loaded.append("D")
        except RuntimeError:
            pass  # e.g. spectral norm switched: D starts fresh
    return {"source": str(src.resolve()), "step": step, "loaded": loaded}


def source_generator_shape(source: str | Path, preset: str) -> dict:
    """The kinds of pictures and picture head of the generator a fine-tune starts from, read from its weights
    (``models.generator_shape``); {} when the source cannot be read (``load_init_weights`` then says why)."""
    from studio.engine.gan.models import generator_shape
    from studio.engine.schema import read_safetensors_header

    src = Path(source).expanduser()
    try:
        if src.is_dir():
            ck = load_newest_intact(RunDir(src).checkpoints_dir).checkpoint
            state = ck.module_state("G") if ck is not None else None
        elif src.suffix == ".json" and _is_checkpoint_json(src):
            state = load_checkpoint(src).module_state("G")
        else:
            state = {k: shape for k, (_dtype, shape) in read_safetensors_header(src.with_suffix(".safetensors")).items()}
    except Exception:  # noqa: BLE001 - unreadable: load_init_weights reports it in words
        return {}
    return generator_shape(preset, state) if state else {}


def _load_generator_weights(G: nn.Module, state: dict, name: str) -> None:
    """Load G's weights; only MSG-GAN's per-scale heads may differ (multi-scale gradients switched on
    or off between the runs: new heads start fresh, unused ones are dropped)."""
    try:
        missing, unexpected = G.load_state_dict(state, strict=False)
    except RuntimeError as exc:
        raise CheckpointError(f"Cannot fine-tune from {name}: its generator weights do not fit ({exc})") from exc
    other = [k for k in (*missing, *unexpected) if not k.startswith(("to_rgb_low.", "net.to_rgb_low."))]
    if other:
        raise CheckpointError(f"Cannot fine-tune from {name}: its generator weights do not fit "
                              f"({len(other)} layers differ, e.g. {other[0]})")


def _is_checkpoint_json(path: Path) -> bool:
    try:
        from studio.engine.gan.checkpoints import CHECKPOINT_FORMAT

        return json.loads(path.read_text(encoding="utf-8")).get("format") == CHECKPOINT_FORMAT
    except (OSError, ValueError, AttributeError):
        return False


# ------------------------------------------------------------------------------------ the job
