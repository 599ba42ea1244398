"""The GAN training Job: the lesson's two-phase step, run directory, samples, exact resume.

Exactness: every random draw comes from generators whose state is checkpointed (latents, flips) or
is derived from (seed, epoch) (data order), so 10 steps + resume + 10 steps equals 20 steps.
"""

from __future__ import annotations

import dataclasses
import json
import math
import platform
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from studio.engine.gan.checkpoints import load_checkpoint, save_checkpoint
from studio.engine.gan.losses import LOSSES, d_loss, g_loss
from studio.engine.gan.models import PRESETS, build_gan, count_parameters
from studio.engine.jobs import Cancelled, JobContext, Metrics, Preview, Progress
from studio.engine.runs import RunDir, atomic_write_json

FIT_MODES = ("crop", "pad", "stretch")


@dataclass
class TrainConfig:
    """Everything needed to reproduce a run; saved as config.json."""

    data: str = "demo"
    preset: str = "dcgan64"
    width: int = 0  # 0: the preset's default
    latent_dim: int = 100
    batch_size: int = 64
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    beta1: float = 0.5
    beta2: float = 0.999
    loss: str = "bce"
    d_steps: int = 1
    skip_d_below: float = 0.0  # skip D's update while its last loss is below this (0: never)
    seed: int = 0
    steps: int = 2000  # total generator steps to reach; 0: until stopped
    fit: str = "crop"
    hflip: bool = False
    channels: int = 0  # 0: follow the dataset
    sample_every_s: float = 10.0
    sample_every_steps: int = 0  # if > 0, also write a grid every N steps (deterministic; CLI/tests)
    grid_count: int = 64
    checkpoint_every_min: float = 5.0
    device: str = "auto"
    channels_last: bool = True  # faster convolutions (measured: tests/bench/bench_train_throughput.py)
    demo_count: int = 2048

    @classmethod
    def for_preset(cls, preset: str, **overrides) -> TrainConfig:
        if preset not in PRESETS:
            raise ValueError(f"Unknown preset {preset!r}")
        values = {"preset": preset, "width": PRESETS[preset].default_width, **PRESETS[preset].defaults}
        values.update(overrides)
        return cls(**values)

    @classmethod
    def from_dict(cls, data: dict) -> TrainConfig:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

    def validate(self) -> None:
        problems = []
        if self.preset not in PRESETS:
            problems.append(f"unknown preset {self.preset!r}")
        if self.loss not in LOSSES:
            problems.append(f"loss must be one of {', '.join(LOSSES)}")
        if self.fit not in FIT_MODES:
            problems.append(f"fit must be one of {', '.join(FIT_MODES)}")
        if self.batch_size < 1 or self.latent_dim < 1 or self.d_steps < 1:
            problems.append("batch size, latent size and D steps must be at least 1")
        if self.lr_g <= 0 or self.lr_d <= 0:
            problems.append("learning rates must be positive")
        if not (0 <= self.beta1 < 1 and 0 <= self.beta2 < 1):
            problems.append("betas must be in [0, 1)")
        if self.steps < 0:
            problems.append("steps must be 0 (until stopped) or more")
        if problems:
            raise ValueError("Invalid training settings: " + "; ".join(problems))


@dataclass
class TrainResult:
    run_dir: Path
    step: int
    checkpoint: Path | None
    stopped_early: bool = False
    images_per_second: float = 0.0
    extra: dict = field(default_factory=dict)


def resolve_device(pref: str = "auto") -> torch.device:
    try:
        from studio.engine.device import pick_device
    except ImportError:
        return torch.device("cuda" if pref in ("auto", "cuda") and torch.cuda.is_available() else "cpu")
    return pick_device(pref)


def _epoch_order(n: int, seed: int, epoch: int) -> torch.Tensor:
    g = torch.Generator().manual_seed((seed * 1_000_003 + epoch * 7_919) % (2**63))
    return torch.randperm(n, generator=g)


def _grid_uint8(images: torch.Tensor, nrow: int) -> np.ndarray:
    from torchvision.utils import make_grid

    grid = make_grid(images.float().cpu(), nrow=nrow, padding=2, normalize=True, value_range=(-1, 1),
                     pad_value=0.12)
    arr = grid.mul(255).add_(0.5).clamp_(0, 255).to(torch.uint8).permute(1, 2, 0).numpy()
    if images.shape[1] == 1:
        arr = arr[:, :, :1]
    return np.ascontiguousarray(arr)


class GanTrainingJob:
    """Train (or resume) one run. Stop saves a checkpoint; the result names the run directory."""

    def __init__(self, config: TrainConfig, run_dir: str | Path, resume: bool = False,
                 data=None) -> None:
        self.config = config
        self.run_dir = RunDir(run_dir)
        self.resume = resume
        self.title = f"Training {config.preset}"
        self._data = data  # an already prepared dataset (PreparedImages), optional
        self._sample_now = threading.Event()
        self._sample_every_s = config.sample_every_s

    # -- live controls (called from other threads)
    def request_samples(self) -> None:
        self._sample_now.set()

    def set_sample_interval(self, seconds: float) -> None:
        self._sample_every_s = max(0.1, float(seconds))

    # -- setup
    def _load_data(self, ctx: JobContext, size: int, channels: int):
        from studio.engine.data import PrepSpec, download_text, open_data_source

        if self._data is not None:
            return self._data
        cfg = self.config
        spec = PrepSpec(size=size, channels=channels, fit=cfg.fit)

        def on_progress(i: int, n: int) -> None:
            ctx.emit(Progress(0, cfg.steps or None, f"Preparing images {i}/{n}"))

        def on_download(done: int, total: int | None, name: str) -> None:
            ctx.emit(Progress(0, cfg.steps or None, download_text(name, done, total)))

        return open_data_source(cfg.data, spec, on_progress=on_progress, check=ctx.check,
                                n=cfg.demo_count, seed=cfg.seed, on_download=on_download)

    def _resolve_channels(self) -> int:
        cfg = self.config
        if cfg.channels:
            return cfg.channels
        if PRESETS[cfg.preset].channels:
            return PRESETS[cfg.preset].channels
        if self._data is not None:
            return self._data.channels
        from studio.engine.data import source_channels

        return source_channels(cfg.data)

    def run(self, ctx: JobContext) -> TrainResult:
        ckpt = None
        if self.resume:
            ckpt_path = self.run_dir.latest_checkpoint()
            if ckpt_path is None:
                raise RuntimeError(f"Nothing to resume in {self.run_dir.path}: it has no checkpoint")
            saved = TrainConfig.from_dict(self.run_dir.read_config())
            # Only what cannot change the maths may differ from the saved run.
            for name in ("steps", "sample_every_s", "sample_every_steps", "checkpoint_every_min", "device"):
                setattr(saved, name, getattr(self.config, name))
            if self.config.data != saved.data and self.config.data not in ("", "demo"):
                saved.data = self.config.data  # the images moved: same data, new place
            self.config = saved
            ckpt = load_checkpoint(ckpt_path)
        cfg = self.config
        cfg.validate()
        self._sample_every_s = cfg.sample_every_s
        info = PRESETS[cfg.preset]
        size = info.image_size
        channels = self._resolve_channels()
        device = resolve_device(cfg.device)

        ctx.emit(Progress(0, cfg.steps or None, "Preparing images"))
        data = self._load_data(ctx, size, channels)
        if len(data) < 2:
            raise RuntimeError(f"A GAN needs at least 2 pictures to learn from; this dataset has {len(data)}")

        torch.manual_seed(cfg.seed)
        G, D = build_gan(cfg.preset, channels, cfg.latent_dim, cfg.width)
        G.to(device)
        D.to(device)
        channels_last = cfg.channels_last and cfg.preset != "lesson-mlp"
        if channels_last:
            G.to(memory_format=torch.channels_last)
            D.to(memory_format=torch.channels_last)
        opt_g = torch.optim.Adam(G.parameters(), lr=cfg.lr_g, betas=(cfg.beta1, cfg.beta2))
        opt_d = torch.optim.Adam(D.parameters(), lr=cfg.lr_d, betas=(cfg.beta1, cfg.beta2))
        noise_gen = torch.Generator().manual_seed(cfg.seed + 1)
        fixed_z = torch.randn(cfg.grid_count, cfg.latent_dim,
                              generator=torch.Generator().manual_seed(cfg.seed + 2))
        state = {"step": 0, "epoch": 0, "data_pos": 0, "last_loss_d": math.inf}

        if ckpt is not None:
            G.load_state_dict(ckpt.module_state("G"))
            D.load_state_dict(ckpt.module_state("D"))
            opt_g.load_state_dict(ckpt.optimizer_state("G"))
            opt_d.load_state_dict(ckpt.optimizer_state("D"))
            noise_gen.set_state(ckpt.extra("noise_rng"))
            torch.set_rng_state(ckpt.extra("torch_rng"))
            fixed_z = ckpt.extra("fixed_z")
            state.update(ckpt.state)
            self.run_dir.truncate_metrics_after(state["step"])
            ctx.notice(f"Resumed at step {state['step']}")
        else:
            self.run_dir.path.mkdir(parents=True, exist_ok=True)
            record = asdict(cfg)
            record.update({
                "image_size": size, "resolved_channels": channels, "dataset_count": len(data),
                "dataset_source": getattr(data, "source", cfg.data),
                "params_g": count_parameters(G), "params_d": count_parameters(D),
                "versions": {"torch": torch.__version__, "python": platform.python_version()},
                "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
            })
            atomic_write_json(self.run_dir.config_path, record)
            self.run_dir.metrics_path.write_text("")
        skipped = getattr(data, "skipped", [])
        if skipped:
            ctx.notice(f"{len(skipped)} file(s) skipped while reading the dataset", "warning")

        loop = _TrainLoop(self, ctx, cfg, G, D, opt_g, opt_d, noise_gen, fixed_z, state, data, device)
        loop.memory_format = torch.channels_last if channels_last else torch.contiguous_format
        return loop.run()


class _TrainLoop:
    """The inner loop, kept apart from setup so both read top to bottom."""

    def __init__(self, job: GanTrainingJob, ctx: JobContext, cfg: TrainConfig, G: nn.Module, D: nn.Module,
                 opt_g, opt_d, noise_gen: torch.Generator, fixed_z: torch.Tensor, state: dict, data, device):
        self.job, self.ctx, self.cfg = job, ctx, cfg
        self.G, self.D, self.opt_g, self.opt_d = G, D, opt_g, opt_d
        self.noise_gen, self.fixed_z, self.state, self.data, self.device = noise_gen, fixed_z, state, data, device
        self.n = len(data)
        self.batch = min(cfg.batch_size, self.n)  # a small folder trains on all of it each step
        self.order = _epoch_order(self.n, cfg.seed, state["epoch"])
        self.last_ckpt: Path | None = None
        self.ips = 0.0
        self.low_d_steps = 0
        self.warned_d_wins = False
        self.memory_format = torch.contiguous_format

    # -- data
    def _real_batch(self) -> torch.Tensor:
        st, b = self.state, self.batch
        if st["data_pos"] + b > self.n:
            st["epoch"] += 1
            st["data_pos"] = 0
            self.order = _epoch_order(self.n, self.cfg.seed, st["epoch"])
        idx = self.order[st["data_pos"]: st["data_pos"] + b]
        st["data_pos"] += b
        x = self.data.batch(idx).to(self.device, non_blocking=True).float().div_(127.5).sub_(1.0)
        if self.cfg.hflip:
            flip = (torch.rand(b, generator=self.noise_gen) < 0.5).to(self.device).view(-1, 1, 1, 1)
            x = torch.where(flip, x.flip(-1), x)
        return x.contiguous(memory_format=self.memory_format)

    def _noise(self, b: int) -> torch.Tensor:
        return torch.randn(b, self.cfg.latent_dim, generator=self.noise_gen).to(self.device, non_blocking=True)

    # -- one step: the lesson's two phases
    def step(self) -> dict[str, float]:
        cfg, G, D = self.cfg, self.G, self.D
        skip_d = cfg.skip_d_below > 0 and self.state["last_loss_d"] < cfg.skip_d_below
        fake = None
        for _ in range(cfg.d_steps):
            real = self._real_batch()
            fake = G(self._noise(real.shape[0]))
            if skip_d:
                with torch.no_grad():
                    out_r, out_f = D(real), D(fake.detach())
                    loss_d = d_loss(cfg.loss, out_r, out_f)
                break
            self.opt_d.zero_grad(set_to_none=True)
            out_r, out_f = D(real), D(fake.detach())
            loss_d = d_loss(cfg.loss, out_r, out_f)
            loss_d.backward()
            self.opt_d.step()
        # Phase 2: G through a frozen D (no gradients for D's weights: cheaper, and what the lesson says).
        D.requires_grad_(False)
        self.opt_g.zero_grad(set_to_none=True)
        loss_g = g_loss(cfg.loss, D(fake))
        loss_g.backward()
        self.opt_g.step()
        D.requires_grad_(True)
        vals = torch.stack([loss_g.detach(), loss_d.detach(), torch.sigmoid(out_r.detach()).mean(),
                            torch.sigmoid(out_f.detach()).mean()]).tolist()
        self.state["last_loss_d"] = vals[1]
        return {"loss_g": vals[0], "loss_d": vals[1], "d_real": vals[2], "d_fake": vals[3],
                "d_skipped": float(skip_d)}

    # -- samples and checkpoints
    @torch.inference_mode()
    def write_samples(self) -> None:
        step = self.state["step"]
        was_training = self.G.training
        self.G.eval()
        imgs = self.G(self.fixed_z.to(self.device))
        self.G.train(was_training)
        grid = _grid_uint8(imgs, nrow=max(1, int(math.ceil(math.sqrt(imgs.shape[0])))))
        from studio.engine.images import uint8_to_pil

        path = self.job.run_dir.sample_path(step)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        uint8_to_pil(grid).save(tmp, format="PNG")
        tmp.replace(path)
        self.ctx.emit(Preview(step, grid, "samples"))

    def save(self) -> Path:
        torch_rng = torch.get_rng_state()
        self.last_ckpt = save_checkpoint(
            self.job.run_dir.checkpoints_dir, self.state["step"],
            modules={"G": self.G, "D": self.D}, optimizers={"G": self.opt_g, "D": self.opt_d},
            extra_tensors={"noise_rng": self.noise_gen.get_state(), "torch_rng": torch_rng,
                           "fixed_z": self.fixed_z},
            state=dict(self.state),
        )
        return self.last_ckpt

    def _health(self, vals: dict[str, float]) -> None:
        """The lesson's balance problem, noticed live: D's loss near zero for a long stretch."""
        self.low_d_steps = self.low_d_steps + 1 if vals["loss_d"] < 0.05 else 0
        if self.low_d_steps >= 200 and not self.warned_d_wins:
            self.warned_d_wins = True
            self.ctx.notice(
                "The discriminator is winning (its loss has stayed near zero), so the generator is "
                "barely learning. Try a lower D learning rate or 'skip D update while its loss is below' 0.1.",
                "warning")

    def run(self) -> TrainResult:
        cfg, st, ctx, rd = self.cfg, self.state, self.ctx, self.job.run_dir
        total = cfg.steps or None
        started = time.perf_counter()
        last_sample = last_ckpt_t = time.monotonic()
        if st["step"] == 0 or not rd.sample_path(st["step"]).exists():
            self.write_samples()
        stopped = False
        metrics_fh = open(rd.metrics_path, "a", encoding="utf-8")
        try:
            t_prev = time.perf_counter()
            while total is None or st["step"] < total:
                try:
                    ctx.check()
                except Cancelled:
                    stopped = True
                    break
                vals = self.step()
                st["step"] += 1
                now = time.perf_counter()
                rate = self.batch * cfg.d_steps / max(now - t_prev, 1e-9)
                self.ips = rate if self.ips == 0 else 0.9 * self.ips + 0.1 * rate
                t_prev = now
                vals["img_per_s"] = self.ips
                step = st["step"]
                metrics_fh.write(json.dumps({"step": step, **{k: round(v, 6) for k, v in vals.items()}}) + "\n")
                metrics_fh.flush()
                ctx.emit(Metrics(step, vals))
                ctx.emit(Progress(step, total, self._progress_text(step, total)))
                self._health(vals)
                if not all(math.isfinite(v) for v in vals.values()):
                    ctx.notice("Training diverged (a loss became NaN or infinite). Try lower learning rates.",
                               "error")
                    stopped = True
                    break
                mono = time.monotonic()
                due = mono - last_sample >= self.job._sample_every_s or self.job._sample_now.is_set()
                if cfg.sample_every_steps > 0 and step % cfg.sample_every_steps == 0:
                    due = True
                if due:
                    self.job._sample_now.clear()
                    self.write_samples()
                    last_sample = mono
                if cfg.checkpoint_every_min > 0 and mono - last_ckpt_t >= cfg.checkpoint_every_min * 60:
                    self.save()
                    last_ckpt_t = mono
                    ctx.notice(f"Checkpoint saved at step {step}")
        finally:
            metrics_fh.close()
        if not rd.sample_path(st["step"]).exists():
            self.write_samples()
        self.save()
        ctx.notice(f"{'Stopped' if stopped else 'Finished'} at step {st['step']} — checkpoint saved")
        elapsed = time.perf_counter() - started
        return TrainResult(rd.path, st["step"], self.last_ckpt, stopped_early=stopped,
                           images_per_second=self.ips, extra={"seconds": elapsed})

    def _progress_text(self, step: int, total: int | None) -> str:
        ips = f"{self.ips:.0f} img/s" if self.ips >= 10 else f"{self.ips:.1f} img/s"
        if total is None:
            return f"Step {step:,} · {ips}"
        remaining = (total - step) * self.batch * self.cfg.d_steps / max(self.ips, 1e-9)
        return f"Step {step:,} of {total:,} · {ips} · ETA {format_duration(remaining)}"


def format_duration(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "—"
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
