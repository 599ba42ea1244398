"""The GAN training Job: the lesson's two-phase step, run directory, samples, exact resume.

Exactness: every random draw comes from generators whose state is checkpointed (latents, flips,
augmentation) or is derived from (seed, epoch) (data order), so 10 steps + resume + 10 steps equals
20 steps — with augmentation, its adaptive strength and the EMA generator included. Quality checks
use their own fixed latents and never touch those generators.

Small data (see regimes.py): differentiable augmentation of everything D sees, an ADA-style strength
controller, an EMA generator for samples/exports, spectral norm and hinge loss, quality metrics every
N steps, and health detectors that explain problems and offer remedies (health.py).
"""

from __future__ import annotations

import dataclasses
import json
import math
import platform
import queue
import threading
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch

from studio.engine.durations import format_duration
from studio.engine.errors import describe_error
from studio.engine.gan import health as hl
from studio.engine.gan.checkpoints import (
    CheckpointError,
    checkpoint_candidates,
    load_newest_intact,
    save_checkpoint,
    set_aside_damaged,
)
from studio.engine.gan.config import (  # noqa: F401 - re-exported: the torch-free definitions live there
    AUGMENT_MODES,
    CONFIG_VERSION,
    FIT_MODES,
    LEGACY_VALUES,
    SAMPLE_WEIGHTS,
    TrainConfig,
    TrainResult,
)
from studio.engine.gan.models import PRESETS, count_parameters
from studio.engine.heap import release_free_memory
from studio.engine.jobs import Cancelled, JobContext, Metrics, Preview, Progress
from studio.engine.runs import RunDir, atomic_write_bytes, atomic_write_json

REPLAN_EVERY_S = 30.0  # a run planned in minutes re-plans its steps this often (LiveEta's window)
# A new run writes its first checkpoint early — after this many seconds or steps, whichever comes first — so a run
# killed in its first minutes can be continued; later ones follow ``checkpoint_every_min``.
FIRST_CHECKPOINT_S = 60.0
FIRST_CHECKPOINT_STEPS = 300
# several processes: steps between in-memory copies of the state all of them agreed on (a lost process costs
# at most this many steps)
AGREED_EVERY = 50


def resolve_device(pref: str = "auto") -> torch.device:
    try:
        from studio.engine.device import pick_device
    except ImportError:
        return torch.device("cuda" if pref in ("auto", "cuda") and torch.cuda.is_available() else "cpu")
    return pick_device(pref)


KINDS_FILE = "kinds.png"  # the kinds of pictures a run found (one row of examples per kind)


GRID_PAD = 0.12  # the grey between the cells of a saved grid


def _grid_uint8(images: torch.Tensor, nrow: int) -> np.ndarray:
    from torchvision.utils import make_grid

    grid = make_grid(images.float().cpu(), nrow=nrow, padding=2, normalize=True, value_range=(-1, 1),
                     pad_value=GRID_PAD)
    arr = grid.mul(255).add_(0.5).clamp_(0, 255).to(torch.uint8).permute(1, 2, 0).numpy()
    if images.shape[1] == 1:
        arr = arr[:, :, :1]
    return np.ascontiguousarray(arr)


def _save_png(grid: np.ndarray, path: Path) -> None:
    import io

    from studio.engine.images import uint8_to_pil

    buf = io.BytesIO()
    uint8_to_pil(grid).save(buf, format="PNG")
    atomic_write_bytes(path, buf.getvalue())  # a unique temp name, then rename


# ------------------------------------------------------------------------------------ the step

from studio.engine.gan.stepper import (  # noqa: E402, F401 - the step and fine-tuning live there
    SEED_LOCK,
    GanStepper,
    build_stepper,
    load_init_weights,
    source_generator_shape,
)


class GanTrainingJob:
    """Train (or resume) one run. Stop saves a checkpoint; the result names the run directory."""

    def __init__(self, config: TrainConfig, run_dir: str | Path, resume: bool = False,
                 data=None, first_checkpoint_s: float = FIRST_CHECKPOINT_S,
                 first_checkpoint_steps: int = FIRST_CHECKPOINT_STEPS, dist=None) -> None:
        self.config = config
        self.dist = dist  # distributed.Dist when this is one of several processes (torchrun); rank 0 writes
        self.writes = dist is None or dist.main
        self.first_checkpoint_s = float(first_checkpoint_s)
        self.first_checkpoint_steps = int(first_checkpoint_steps)
        self.run_dir = RunDir(run_dir)
        self.resume = resume
        self.title = f"Training {config.preset}"
        self._data = data  # an already prepared dataset (PreparedImages), optional
        self._sample_now = threading.Event()
        self._sample_every_s = config.sample_every_s
        self._changes: queue.SimpleQueue = queue.SimpleQueue()
        self._sample_weights: str | None = None
        self.stepper: GanStepper | None = None
        self.regime = None  # RegimeChoice once the dataset is known
        self._resumed_from = None  # the checkpoint a resume continues

    # -- live controls (called from other threads)
    def request_samples(self) -> None:
        self._sample_now.set()

    def set_sample_interval(self, seconds: float) -> None:
        self._sample_every_s = max(0.1, float(seconds))

    def set_sample_weights(self, weights: str) -> None:
        """Raw/EMA switch for the sample grids (takes effect at the next grid, which is requested now)."""
        if weights not in SAMPLE_WEIGHTS:
            raise ValueError("weights must be 'ema' or 'raw'")
        self._sample_weights = weights
        self._sample_now.set()

    def apply_changes(self, **changes) -> None:
        """Change live settings between steps: lr_g, lr_d, skip_d_below, augment, aug_p, ada_target."""
        unknown = set(changes) - set(hl.LIVE_FIELDS)
        if unknown:
            raise ValueError(f"cannot change {', '.join(sorted(unknown))} while training")
        self._changes.put(("changes", dict(changes)))

    def apply_remedy(self, code: str) -> hl.Remedy:
        """One click on a health remedy: its changes (computed from the settings now) apply between steps."""
        cfg = self.config
        remedy = hl.make_remedy(code, cfg, self.stepper.aug_p if self.stepper else 0.0)
        if not remedy.live:
            raise ValueError(f"'{remedy.label}' needs a new run; it cannot be applied while training")
        self._changes.put(("remedy", remedy))
        return remedy

    @property
    def aug_p(self) -> float:
        """The augmentation strength in force now (for a live augmentation preview)."""
        return self.stepper.aug_p if self.stepper else float(self.config.aug_p or 0.0)

    def augmentation_preview(self, count: int = 16, p: float | None = None, seed: int = 0) -> np.ndarray:
        """Pictures of this run's dataset as D sees them at strength ``p`` (default: the current one)."""
        from studio.engine.gan.augment import augment_preview

        data = self.stepper.data if self.stepper else self._data
        if data is None:
            raise RuntimeError("the dataset is not loaded yet")
        return augment_preview(data, self.aug_p if p is None else p, self.config.augment_policy, count, seed)

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
        """The job holds the run folder's lock from first to last: one writer per run, GUI or CLI alike."""
        if not self.writes:  # another process of a distributed run: rank 0 holds the lock and writes
            return self._run_owned(ctx)
        with self.run_dir.lock():
            removed = self.run_dir.clean_stale_files()
            if removed:
                ctx.notice(f"Removed {len(removed)} unfinished file(s) left by an interrupted save")
            return self._run_owned(ctx)

    def _show_kinds(self, stepper: GanStepper, data, per_kind: int = 8) -> str:
        """kinds.png in the run folder: a row of example pictures per kind found; returns the sentence to say."""
        labels = stepper.kinds
        counts = torch.bincount(labels, minlength=int(stepper.cfg.kinds))
        rows = []
        for k in range(len(counts)):
            idx = torch.nonzero(labels == k).flatten()[:per_kind]
            x = data.batch(idx).float().div(127.5).sub(1) if len(idx) else torch.empty(0)
            if len(idx) < per_kind:  # pad the row with blank cells
                blank = torch.full((per_kind - len(idx), data.channels, data.size, data.size), -1.0)
                x = torch.cat([x, blank]) if len(idx) else blank
            rows.append(x)
        path = self.run_dir.path / KINDS_FILE
        _save_png(_grid_uint8(torch.cat(rows), nrow=per_kind), path)
        sizes = counts[counts > 0]
        return (f"Sorted the {len(labels):,} pictures into {len(sizes)} kinds of {int(sizes.min())}–{int(sizes.max())} "
                f"pictures each; {KINDS_FILE} in the run folder shows them, one row per kind.")

    def _world_record(self, stepper: GanStepper) -> dict:
        """How many processes train, and the batch they share (config.json and every checkpoint's state)."""
        d = self.dist
        return {"world_size": d.world if d else 1, "global_batch": stepper.batch,
                "per_process_batch": stepper.batch // (d.world if d else 1), "backend": d.backend if d else None,
                "sync_batchnorm": stepper.sync_batchnorm}

    def _world_text(self, stepper: GanStepper) -> str:
        from studio.engine.gan.distributed import uses_batchnorm

        d, b = self.dist, stepper.batch
        text = (f"Training in {d.world} processes ({d.backend}): each takes {b // d.world} of the batch of {b} "
                "pictures and their gradients are averaged.")
        if stepper.sync_batchnorm:
            text += " BatchNorm normalises over the whole batch (SyncBatchNorm)."
        elif uses_batchnorm(stepper.G, stepper.D):
            text += (" BatchNorm normalises each process's share on its own (PyTorch's SyncBatchNorm runs on GPUs "
                     "only), so the run is close to, not exactly, a one-process run.")
        return text

    def _world_change(self, stepper: GanStepper) -> str:
        """What a resume on a different number of processes means, in words ('' when nothing changed)."""
        ckpt = self._resumed_from
        before = int((ckpt.state.get("distributed") or {}).get("world_size", 1)) if ckpt is not None else 1
        now = self.dist.world if self.dist else 1
        if before == now:
            return ""
        return (f"; it was trained by {before} process{'es' if before > 1 else ''} and continues in {now}, with "
                f"the same global batch of {stepper.batch} pictures, so the learning rate is unchanged")

    def _start_over(self, ctx: JobContext, why: str) -> None:
        """A run folder with settings but no checkpoint (killed before its first one): nothing in it can be
        continued, so its samples and logs go and the run starts again from step 0."""
        rd = self.run_dir
        for _, p in rd.sample_grids():
            try:
                p.unlink()
            except OSError:
                pass
        for p in (rd.health_path, rd.path / KINDS_FILE):
            if p.exists():
                p.unlink()
        ctx.notice(why)

    def _run_owned(self, ctx: JobContext) -> TrainResult:
        from studio.engine.gan.regimes import resolve_settings

        ckpt = None
        name = self.run_dir.path.name
        if not self.resume and self.run_dir.exists():
            if checkpoint_candidates(self.run_dir.checkpoints_dir):
                raise CheckpointError(f"The folder {self.run_dir.path} already holds a run with checkpoints; "
                                      "continue it or choose another folder.")
            if self.writes:
                self._start_over(ctx, f"{name} had no checkpoint yet: starting it over from step 0")
        if self.resume:
            if not self.run_dir.exists():
                raise CheckpointError(f"Nothing to resume in {self.run_dir.path}: it is not a run folder "
                                      "(no config.json)")
            found = load_newest_intact(self.run_dir.checkpoints_dir)
            if found.checkpoint is None and found.damaged:
                raise CheckpointError(f"Cannot continue {name}: {found.fallback_text()} "
                                      "Start a new run, or restore a copy of the run folder.")
            saved = TrainConfig.from_saved_run(self.run_dir.read_config())
            # Only what cannot change the maths may differ from the saved run.
            if self.config.steps != saved.steps:  # a length set by hand ends a plan in minutes
                saved.minutes = 0.0
            for name in ("steps", "sample_every_s", "sample_every_steps", "checkpoint_every_min", "device"):
                setattr(saved, name, getattr(self.config, name))
            if self.config.metrics_every is not None:  # measuring never changes the training maths
                saved.metrics_every = self.config.metrics_every
            if self.config.data != saved.data and self.config.data not in ("", "demo"):
                saved.data = self.config.data  # the images moved: same data, new place
            self.config = saved
            if found.checkpoint is None:  # killed before its first checkpoint: start again from its settings
                self.resume = False
                if self.writes:
                    self._start_over(ctx, f"{name} has no checkpoint yet: starting it again from step 0 with its "
                                          "saved settings")
            else:
                ckpt = found.checkpoint
                self._resumed_from = ckpt
                if found.damaged and self.writes:
                    ctx.notice(found.fallback_text(), "warning")
                    set_aside_damaged(found)
        cfg = self.config
        cfg.validate()
        self._sample_every_s = cfg.sample_every_s
        info = PRESETS[cfg.preset]
        size = info.image_size
        channels = self._resolve_channels()
        device = resolve_device(cfg.device)
        if self.dist is not None:
            device = self.dist.device(device)

        ctx.emit(Progress(0, cfg.steps or None, "Preparing images"))
        data = self._load_data(ctx, size, channels)
        if len(data) < 2:
            raise RuntimeError(f"A GAN needs at least 2 pictures to learn from; this dataset has {len(data)}")
        kinds_auto = cfg.kinds is None
        cfg, self.regime = resolve_settings(cfg, len(data))
        if cfg.init_from and ckpt is None:  # fine-tuning: the generator is the earlier run's, head and kinds
            had = source_generator_shape(cfg.init_from, cfg.preset)
            if had:
                cfg = dataclasses.replace(cfg, rgb_head=had.get("rgb_head", "convT"),
                                          kinds=had["kinds"] if kinds_auto else cfg.kinds)
        self.config = cfg
        # resuming: the kinds this run found are in its checkpoint (no second sorting, and exactly the same)
        saved_kinds = ckpt.extra("kinds").to(torch.int64) if ckpt is not None and "extra.kinds" in ckpt.tensors \
            else None
        if saved_kinds is not None and saved_kinds.shape != (len(data),):
            saved_kinds = None
        stepper = build_stepper(cfg, channels, data, device, kind_labels=saved_kinds, dist=self.dist)
        self.stepper = stepper
        live: dict = {}
        init_info = None

        if ckpt is not None:
            stepper.restore(ckpt)
            live = dict(ckpt.state.get("live", {}))
            if self.writes:
                self.run_dir.truncate_metrics_after(stepper.state["step"])
                self.run_dir.truncate_health_after(stepper.state["step"])
            ctx.notice(f"Resumed at step {stepper.state['step']}" + self._world_change(stepper))
        else:
            if cfg.init_from:
                init_info = load_init_weights(cfg.init_from, stepper, channels, size)
        if ckpt is None and self.writes:
            self.run_dir.path.mkdir(parents=True, exist_ok=True)
            record = asdict(cfg)
            record.update({
                "config_version": CONFIG_VERSION,
                "image_size": size, "resolved_channels": channels, "dataset_count": len(data),
                "dataset_source": getattr(data, "source", cfg.data),
                "params_g": count_parameters(stepper.G), "params_d": count_parameters(stepper.D),
                "regime_explanation": self.regime.explanation, "regime_filled": self.regime.values,
                "versions": {"torch": torch.__version__, "python": platform.python_version()},
                "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
                "distributed": self._world_record(stepper),
            })
            if init_info:
                record["fine_tuned_from"] = init_info
            atomic_write_json(self.run_dir.config_path, record)
            self.run_dir.metrics_path.write_text("")
            ctx.notice(self.regime.explanation)
            if stepper.kinds is not None:
                ctx.notice(self._show_kinds(stepper, data))
            if init_info:
                ctx.notice(f"Fine-tuning from {Path(init_info['source']).name} (step {init_info['step']}; "
                           f"loaded {', '.join(init_info['loaded'])})")
        if self.dist is not None:
            ctx.notice(self._world_text(stepper))
        skipped = getattr(data, "skipped", [])
        if skipped:
            ctx.notice(f"{len(skipped)} file(s) skipped while reading the dataset", "warning")

        loop = _TrainLoop(self, ctx, stepper)
        loop.has_checkpoint = ckpt is not None
        if ckpt is not None:  # a run planned in minutes goes on with what is left of them
            loop.trained_s = loop._planned_at = float(ckpt.state.get("trained_s", 0.0))
        if live:
            loop.apply_live(live, announce=False)
        return loop.run()


class _TrainLoop:
    """The inner loop, kept apart from setup so both read top to bottom."""

    def __init__(self, job: GanTrainingJob, ctx: JobContext, stepper: GanStepper):
        self.job, self.ctx, self.s = job, ctx, stepper
        self.dist, self.writes = job.dist, job.writes  # several processes: rank 0 alone writes
        self.cfg = stepper.cfg
        self.state = stepper.state
        self.last_ckpt: Path | None = None
        self.ips = 0.0
        self.live: dict = {}
        self.snap: dict | None = None
        self.rollbacks = 0
        self.stop_asked = False
        self.metrics_fh = None
        self.has_checkpoint = False  # the run has one on disk (resumed, or saved in this session)
        cfg = self.cfg
        self.d_winning = hl.DWinningDetector(cfg.loss, cfg.health_window, cooldown=10 * cfg.health_window)
        self.collapse: hl.CollapseDetector | None = None
        self.kind_collapse: hl.KindCollapseDetector | None = None
        self.memorization: hl.MemorizationDetector | None = None
        self.quality = None  # QualityMonitor, made at the first check
        self.quality_failed = False
        self.eta = None  # estimate.LiveEta, made at the first progress line
        self._eta_t = 0.0  # when the last progress line was made
        self.trained_s = 0.0  # seconds spent training (pauses left out; resumed runs start from the checkpoint's)
        self._planned_at = 0.0  # trained_s at the last re-plan of a run planned in minutes
        self._plan_fixed = False  # the settling has begun: the length is final (said once)
        self._plan_unsaved = False  # a re-planned length could not be written to config.json (said once)

    # -- live changes
    def apply_live(self, changes: dict, announce: bool = True) -> None:
        s = self.s
        if "lr_g" in changes or "lr_d" in changes:
            s.set_lr(changes.get("lr_g"), changes.get("lr_d"))
        if "skip_d_below" in changes:
            self.cfg.skip_d_below = float(changes["skip_d_below"])
        if any(k in changes for k in ("augment", "aug_p", "ada_target")):
            s.set_augment(changes.get("augment"), changes.get("aug_p"), changes.get("ada_target"))
        self.live.update(changes)
        if announce:
            text = ", ".join(f"{k} = {v:.3g}" if isinstance(v, float) else f"{k} = {v}" for k, v in changes.items())
            self.ctx.notice(f"Step {self.state['step']}: changed {text}")

    def _drain_changes(self) -> None:
        while True:
            try:
                kind, item = self.job._changes.get_nowait()
            except queue.Empty:
                return
            if kind == "changes":
                self.apply_live(item)
            elif item.code == "rollback":
                self._rollback(lower_lr=False)
            elif item.code == "stop":
                self.stop_asked = True
            else:
                self.ctx.notice(f"Applying: {item.label}")
                self.apply_live(dict(item.changes))

    # -- samples and checkpoints
    @torch.inference_mode()
    def write_samples(self) -> None:
        if not self.writes:
            return
        step = self.state["step"]
        G = self.s.sample_generator(self.job._sample_weights)
        was_training = G.training
        G.eval()
        imgs = G(self.s.fixed_z.to(self.s.device))
        G.train(was_training)
        grid = _grid_uint8(imgs, nrow=max(1, int(math.ceil(math.sqrt(imgs.shape[0])))))
        _save_png(grid, self.job.run_dir.sample_path(step))
        self.ctx.emit(Preview(step, grid, "samples"))
        release_free_memory()  # the GUI frees these previews in its own thread: hand the pages back

    def save(self) -> Path | None:
        if not self.writes:
            return None
        state = self.s.full_state()
        state["live"] = dict(self.live)
        state["rollbacks"] = self.rollbacks
        state["trained_s"] = round(self.trained_s, 3)
        state["distributed"] = self.job._world_record(self.s)
        self.last_ckpt = save_checkpoint(
            self.job.run_dir.checkpoints_dir, self.state["step"],
            modules=self.s.modules(), optimizers={"G": self.s.opt_g, "D": self.s.opt_d},
            extra_tensors=self.s.extra_tensors(), state=state,
        )
        self.has_checkpoint = True
        return self.last_ckpt

    # -- health
    def _emit_health(self, event: hl.HealthEvent) -> None:
        try:
            if self.writes:
                self.job.run_dir.append_health(hl.event_to_dict(event))
        except OSError:  # a full disk must not stop training; the notice still reaches the artist
            pass
        self.ctx.emit(hl.notice_for(event))

    def _rollback(self, lower_lr: bool) -> bool:
        if self.snap is None:
            return False
        if lower_lr:
            self.s.set_lr(self.cfg.lr_g / 2, self.cfg.lr_d / 2)
            self.live.update(lr_g=self.cfg.lr_g, lr_d=self.cfg.lr_d)
        self.s.load_snapshot(self.snap)
        self._reopen_metrics_after(self.state["step"])
        self.d_winning = hl.DWinningDetector(self.cfg.loss, self.cfg.health_window, 10 * self.cfg.health_window)
        if not lower_lr:
            self.ctx.notice(f"Went back to step {self.state['step']}")
        return True

    def _reopen_metrics_after(self, step: int) -> None:
        if not self.writes:
            return
        if self.metrics_fh is not None:
            self.metrics_fh.close()
        self.job.run_dir.truncate_metrics_after(step)
        self.metrics_fh = open(self.job.run_dir.metrics_path, "a", encoding="utf-8")

    def _on_divergence(self, step: int) -> bool:
        """True when training can go on (rolled back), False when it must stop."""
        cfg = self.cfg
        if not cfg.health or self.snap is None or self.rollbacks >= cfg.max_rollbacks:
            if self.snap is not None:
                self.s.load_snapshot(self.snap)  # never save NaN weights
                self._reopen_metrics_after(self.state["step"])
            self._emit_health(hl.diverged_event(step, cfg, None, cfg.lr_g, cfg.lr_d, self.rollbacks + 1, True))
            return False
        self.rollbacks += 1
        self._rollback(lower_lr=True)
        self._emit_health(hl.diverged_event(step, cfg, self.state["step"], cfg.lr_g, cfg.lr_d,
                                            self.rollbacks, False))
        return True

    def _quality_check(self, step: int) -> dict[str, float]:
        from studio.engine.gan.quality import QualityError, QualityMonitor

        if self.quality_failed or not self.writes:
            return {}
        try:
            if self.quality is None:
                self.ctx.emit(Progress(step, self.cfg.steps or None, "Measuring your pictures (once)…"))
                self.quality = QualityMonitor(self.s.data, self.s.device, self.cfg.metrics_samples,
                                              seed=self.cfg.seed, cache_dir=self.job.run_dir.path / "quality")
                ref = self.quality.prepare(self.ctx.check)
                self.collapse = hl.CollapseDetector(ref.diversity)
                self.memorization = hl.MemorizationDetector(ref.nn_median, natural=ref.natural_copies)
                if self.s.kinds is not None:  # a generator told which kind to draw can collapse inside one kind
                    self.kind_collapse = hl.KindCollapseDetector(
                        ref.features.nn, self.s.kinds[self.quality.train_rows], total=int(self.s.kinds.max()) + 1)
            G = self.s.sample_generator("ema")
            report = self.quality.evaluate(G, self.cfg.latent_dim, step, check=self.ctx.check)
        except QualityError as exc:
            self.quality_failed = True
            self.ctx.notice(f"Quality metrics are off: {exc}", "warning")
            return {}
        vals = dict(report.values)
        if self.cfg.health:
            aug_p = self.s.aug_p
            hit = self.collapse.observe(step, report.lpips_diversity)
            if hit:
                self._emit_health(hl.collapse_event(step, self.cfg, hit, aug_p))
            hit = self.memorization.observe(step, report.nn_distance)
            if hit:
                image, pairs = self._memorization_pairs(step, report, hit["close"])
                self._emit_health(hl.memorization_event(step, self.cfg, hit, aug_p, image, pairs))
            if self.kind_collapse is not None and report.features is not None:
                kinds = G.kinds(self.quality.latents(self.cfg.latent_dim).to(self.s.device)).cpu()
                hit = self.kind_collapse.observe(step, report.features, kinds)
                if hit:
                    image = self._kind_collapse_sheet(step, report.samples, kinds, hit["kinds"])
                    self._emit_health(hl.kind_collapse_event(step, self.cfg, hit, aug_p, image))
        return vals

    def _kind_collapse_sheet(self, step: int, samples: torch.Tensor, kinds: torch.Tensor, which: list[int],
                             per_row: int = 6) -> str | None:
        """One row per collapsed kind: its samples, then a gap, then some of the folder's pictures of that kind."""
        data = self.s.data
        blank = torch.full((1, data.channels, data.size, data.size), GRID_PAD * 2 - 1)  # the grid's own grey
        rows = []
        for k in which:
            gen = samples[kinds == k][:per_row]
            if gen.shape[-1] != data.size:
                gen = torch.nn.functional.interpolate(gen, size=(data.size, data.size), mode="bilinear")
            real = data.batch(torch.nonzero(self.s.kinds == k).flatten()[:per_row]).float().div(127.5).sub(1)
            cells = [gen, blank.expand(per_row - len(gen) + 1, -1, -1, -1), real,
                     blank.expand(per_row - len(real), -1, -1, -1)]
            rows.append(torch.cat(cells))
        return self._health_picture(_grid_uint8(torch.cat(rows), nrow=2 * per_row + 1), f"kind_collapse_step_{step:07d}")

    def _health_picture(self, grid: np.ndarray, name: str) -> str | None:
        """A health card's picture in the run's health folder; None when it cannot be written (a full disk must not
        stop training: the warning goes out without its picture)."""
        path = self.job.run_dir.path / "health" / f"{name}.png"
        try:
            _save_png(grid, path)
        except OSError:
            return None
        return str(path)

    def _memorization_pairs(self, step: int, report, close: torch.Tensor, k: int = 8) -> tuple[str | None, list[dict]]:
        order = torch.argsort(report.nn_distance)[:k]
        rows = report.nn_index[order]
        train = self.s.data.batch(rows).float().div(127.5).sub(1.0)
        gen = report.samples[order]
        if gen.shape[-1] != train.shape[-1]:
            gen = torch.nn.functional.interpolate(gen, size=train.shape[-2:], mode="bilinear")
        pairs = torch.stack([gen, train], 1).flatten(0, 1)  # sample, its neighbour, sample, …
        path = self._health_picture(_grid_uint8(pairs, nrow=4), f"memorization_step_{step:07d}")
        files = _row_files(self.cfg.data, self.s.data)
        out = [{"sample": int(i), "train_index": int(r), "distance": float(report.nn_distance[i]),
                "train_file": files[int(r)] if files else None} for i, r in zip(order, rows, strict=True)]
        return path, out

    # -- the loop
    def run(self) -> TrainResult:
        cfg, st, ctx, rd = self.cfg, self.state, self.ctx, self.job.run_dir
        total = cfg.steps or None
        started = time.perf_counter()
        last_sample = last_ckpt_t = time.monotonic()
        last_ckpt_step = st["step"]
        if st["step"] == 0 or not rd.sample_path(st["step"]).exists():
            self.write_samples()
        stopped = False
        self.metrics_fh = open(rd.metrics_path, "a", encoding="utf-8") if self.writes else None
        if cfg.health:
            self.snap = self.s.snapshot()
        # several processes: the last state all agreed on, what a lost process falls back to (mid-step state may
        # have D updated and G not)
        agreed = self.s.snapshot() if self.dist is not None else None
        metrics_every = cfg.metrics_every or 0
        lost: Exception | None = None
        try:
            t_prev = time.perf_counter()
            while total is None or st["step"] < total:
                try:
                    ctx.check()
                except Cancelled:
                    stopped = True
                self._drain_changes()
                stopped = stopped or self.stop_asked
                if self.dist is not None:  # all processes stop at the same step, whichever was asked
                    stopped = self.dist.any(stopped, self.s.device)
                if stopped:
                    break
                vals = self.s.step()
                step = st["step"]
                if hl.is_diverged(vals) or not all(math.isfinite(v) for v in vals.values()):
                    if self._on_divergence(step):
                        t_prev = time.perf_counter()
                        continue
                    stopped = True
                    break
                now = time.perf_counter()
                rate = self.s.batch * cfg.d_steps / max(now - t_prev, 1e-9)
                self.ips = rate if self.ips == 0 else 0.9 * self.ips + 0.1 * rate
                vals["img_per_s"] = self.ips
                if metrics_every and step % metrics_every == 0:
                    try:
                        vals.update(self._quality_check(step))
                    except Cancelled:  # a stop during the check: the step itself is done and is kept below
                        stopped = True
                t_prev = time.perf_counter()  # quality time does not count against img/s
                if self.metrics_fh is not None:
                    self.metrics_fh.write(json.dumps({"step": step, **{k: round(v, 6) for k, v in vals.items()}})
                                          + "\n")
                    self.metrics_fh.flush()
                ctx.emit(Metrics(step, vals))
                text = self._progress_text(step, total)
                if cfg.minutes > 0 and total and (planned := self._replan(step, total)) != total:
                    total, text = planned, self._progress_text(step, planned, observe=False)
                ctx.emit(Progress(step, total, text))
                if stopped and self.dist is None:  # several processes agree at the top of the next step
                    break
                if cfg.health:
                    hit = self.d_winning.observe(step, vals["loss_d"], vals["d_real"], vals["d_fake"])
                    if hit:
                        self._emit_health(hl.d_winning_event(step, cfg, hit, self.s.aug_p))
                if cfg.health and cfg.snapshot_every > 0 and step % cfg.snapshot_every == 0:
                    self.snap = self.s.snapshot()
                if agreed is not None and step % AGREED_EVERY == 0:
                    agreed = self.s.snapshot()
                mono = time.monotonic()
                due = mono - last_sample >= self.job._sample_every_s or self.job._sample_now.is_set()
                if cfg.sample_every_steps > 0 and step % cfg.sample_every_steps == 0:
                    due = True
                if due:
                    self.job._sample_now.clear()
                    self.write_samples()
                    last_sample = mono
                if self.writes and cfg.checkpoint_every_min > 0 and \
                        self._checkpoint_due(mono - last_ckpt_t, step - last_ckpt_step):
                    # (one process: a fresh rollback point too; several keep theirs step-aligned)
                    if self._periodic_save(step) and cfg.health and self.dist is None:
                        self.snap = self.s.snapshot()
                    last_ckpt_t, last_ckpt_step = mono, step
        except Exception as exc:
            from studio.engine.gan.distributed import is_peer_failure

            if self.dist is None or not is_peer_failure(exc):
                raise
            lost, stopped = exc, True
        finally:
            if self.metrics_fh is not None:
                self.metrics_fh.close()
        if lost is not None:  # mid-step state is not to be trusted: go back to the last state all agreed on
            if agreed is not None:
                self.s.load_snapshot(agreed)
                self._reopen_metrics_after(st["step"])
                if self.metrics_fh is not None:
                    self.metrics_fh.close()
            ctx.notice(f"Another training process stopped ({lost}); keeping step {st['step']}, the last state "
                       "every process agreed on", "warning")
            if not self.writes:
                self._save_for_lost_writer()
        if not rd.sample_path(st["step"]).exists():
            self.write_samples()
        self.save()
        if self.writes:
            ctx.notice(f"{'Stopped' if stopped else 'Finished'} at step {st['step']} — checkpoint saved")
        elapsed = time.perf_counter() - started
        return TrainResult(rd.path, st["step"], self.last_ckpt, stopped_early=stopped,
                           images_per_second=self.ips, extra={"seconds": elapsed, "rollbacks": self.rollbacks})

    def _save_for_lost_writer(self) -> None:
        """Rank 0 (the writer) may be the process that died: then its lock is free, and the first other process
        to take it saves the agreed state. While rank 0 lives it holds the lock and saves that state itself."""
        from studio.engine.runs import RunLockedError

        try:
            with self.job.run_dir.lock():
                self.writes = True
                try:
                    self.save()
                finally:
                    self.writes = False
        except RunLockedError:
            return
        except (OSError, CheckpointError) as exc:
            self.ctx.notice(f"Could not save the agreed state: {describe_error(exc)}", "error")
            return
        self.ctx.notice(f"The writing process is gone; saved step {self.state['step']} in its place", "warning")

    def _checkpoint_due(self, seconds: float, steps: int) -> bool:
        interval = self.cfg.checkpoint_every_min * 60
        if self.has_checkpoint:
            return seconds >= interval
        # Nothing on disk yet: a kill now would lose the whole run, so the first one comes early.
        return seconds >= min(interval, self.job.first_checkpoint_s) or steps >= self.job.first_checkpoint_steps

    def _periodic_save(self, step: int) -> bool:
        """A checkpoint during training. If it cannot be written (disk full, folder gone) the work so far is
        still in memory: say so and keep training; the next interval (or the stop) tries again."""
        try:
            self.save()
        except (OSError, CheckpointError) as exc:
            self.ctx.notice(f"Could not save a checkpoint at step {step}: {describe_error(exc)} Training goes on "
                            "and tries again at the next checkpoint.", "warning")
            return False
        self.ctx.notice(f"Checkpoint saved at step {step}")
        return True

    def _replan(self, step: int, total: int) -> int:
        """A run planned in minutes (``cfg.minutes``): every ``REPLAN_EVERY_S`` of training, the steps that fit in
        what is left of them at the speed this run measures (``LiveEta``), until the learning rates start to settle
        — from there the length is fixed, as the settling depends on it (a run whose rates never settle re-plans to
        its end). The plan goes into config.json, so a resumed run keeps it. One process only."""
        cfg = self.cfg
        if self.dist is not None or self.eta is None or not self.eta.ready():
            return total
        if cfg.lr_decay > 0 and step >= self.s.settle_start():
            if not self._plan_fixed:
                self._plan_fixed = True
                self.ctx.notice(f"Step {step:,}: the learning rates start to settle; the run ends at step {total:,}, "
                                f"which this computer's measured speed fits in the {cfg.minutes:g} minutes asked for")
            return total
        if self.trained_s - self._planned_at < REPLAN_EVERY_S:
            return total
        from studio.engine.gan.estimate import replanned_steps

        self._planned_at = self.trained_s
        new = replanned_steps(self.eta, step, cfg.minutes * 60.0 - self.trained_s, cfg.lr_decay)
        if new == total:
            return total
        cfg.steps = new
        if self.writes:
            try:
                record = self.job.run_dir.read_config()
                record["steps"] = new
                atomic_write_json(self.job.run_dir.config_path, record)
            except (OSError, ValueError) as exc:
                if not self._plan_unsaved:  # said once: the next re-plans try again quietly
                    self._plan_unsaved = True
                    self.ctx.notice(f"Could not record the re-planned length ({new:,} steps) in config.json: "
                                    f"{describe_error(exc)} Training goes on; a run continued later would end at the "
                                    "length recorded before.", "warning")
        return new

    def _progress_text(self, step: int, total: int | None, observe: bool = True) -> str:
        ips = f"{self.ips:.0f} img/s" if self.ips >= 10 else f"{self.ips:.1f} img/s"
        if total is None:
            return f"Step {step:,} · {ips}"
        from studio.engine.gan.estimate import LiveEta

        now = time.perf_counter()
        if self.eta is None:
            self.eta = LiveEta(self.cfg.metrics_every or 0, self.cfg.metrics_samples)
        elif observe:
            dt = now - self._eta_t
            per = self.eta.seconds_per_step()
            is_check = bool(self.eta.every) and step % self.eta.every == 0
            if is_check or not per or dt < 20 * per:  # a far longer gap is a pause, not training
                ref = self.quality.reference.count if self.quality is not None and self.quality.reference else 0
                self.eta.observe(step, dt, ref)
                self.trained_s += dt
            else:
                self.trained_s += per
        if observe:
            self._eta_t = now
        if self.eta.ready():
            remaining = self.eta.remaining(step, total)
        else:  # the first steps: images per second is all there is yet
            remaining = (total - step) * self.s.batch * self.cfg.d_steps / max(self.ips, 1e-9)
        return f"Step {step:,} of {total:,} · {ips} · ETA {format_duration(remaining)}"


def _row_files(source: str, data) -> list[str] | None:
    """Which file each dataset row came from, when the source is a folder (best effort)."""
    files = getattr(data, "files", None)
    if files is not None:
        return [str(f) for f in files]
    from studio.engine.data import split_source_paths
    from studio.engine.images import find_image_files

    paths = split_source_paths(source)  # a folder named "a:b" stays one path
    if not paths or not all(Path(p).exists() for p in paths):
        return None
    try:
        found = find_image_files(paths)
    except OSError:
        return None
    refused = {Path(s.path).absolute() for s in getattr(data, "skipped", [])}
    rows = [str(f) for f in found.files if Path(f).absolute() not in refused]
    return rows if len(rows) == len(data) else None


