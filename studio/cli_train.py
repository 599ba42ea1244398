"""The ``train`` command: its flags, their limits, the config they make, and the run (one process, or several
through torchrun: ``distributed.py``)."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from studio.cli_common import _run_with_ctrl_c, fail
from studio.engine.errors import StudioError, describe_error
from studio.engine.gan.config import MAX_MINUTES


def _add_train(sub: argparse._SubParsersAction) -> None:
    from studio.engine.gan.config import PRESETS

    p = sub.add_parser("train", help="train a GAN on a folder of images (or the demo / lesson datasets)",
                       description="Train a GAN. Ctrl+C (or SIGTERM / SIGHUP) stops cleanly and saves a "
                       "checkpoint.")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--data", help="image folder, or one of: demo, mnist, fashion-mnist, cifar10")
    src.add_argument("--resume", metavar="RUN_DIR", help="continue a run exactly where it stopped")
    p.add_argument("--preset", default="auto", choices=["auto", *sorted(PRESETS)],
                   help="architecture; auto (default) picks the recommended one for the number and size of your "
                   "pictures and says which")
    p.add_argument("--out", metavar="RUN_DIR", help="run directory to create (default: a new one in the workspace)")
    length = p.add_mutually_exclusive_group()
    length.add_argument("--steps", type=int, help="total generator steps to reach (0 = until Ctrl+C)")
    length.add_argument("--minutes", type=float, metavar="M",
                        help="train for about M minutes: a few timed steps on this machine set --steps, the run "
                        "re-plans them from its own measured speed until its learning rates start to settle toward "
                        "the end, and it ends on time (a new run, one process)")
    p.add_argument("--batch-size", type=int)
    p.add_argument("--width", type=int, help="feature maps of the DCGAN family (default 64)")
    p.add_argument("--latent-dim", type=int)
    p.add_argument("--lr-g", type=float)
    p.add_argument("--lr-d", type=float)
    p.add_argument("--beta1", type=float)
    p.add_argument("--beta2", type=float)
    p.add_argument("--loss", choices=["bce", "hinge"])
    p.add_argument("--d-steps", type=int, help="D updates per G update")
    p.add_argument("--skip-d-below", type=float, help="skip D's update while its loss is below this")
    p.add_argument("--seed", type=int)
    p.add_argument("--fit", choices=["crop", "pad", "stretch"], help="how images are fitted to the square")
    p.add_argument("--hflip", action="store_true", help="random horizontal flips")
    p.add_argument("--sample-every", type=int, metavar="STEPS", help="write a sample grid every N steps")
    p.add_argument("--checkpoint-every", type=float, metavar="MIN", help="minutes between checkpoints")
    p.add_argument("--device", default=None, help="auto (default), cpu, cuda, cuda:1, mps")
    g = p.add_argument_group("small datasets (unset options follow the dataset-size preset)")
    g.add_argument("--regime", choices=["auto", "tiny", "small", "large", "manual"],
                   help="dataset-size preset: auto (default) picks by the number of pictures "
                   "(<100 tiny, <1000 small, else large); manual leaves unset options off")
    g.add_argument("--augment", choices=["off", "fixed", "adaptive"],
                   help="differentiable augmentation of everything D sees (adaptive: ADA-style strength)")
    g.add_argument("--aug-p", type=float, metavar="P", help="augmentation strength 0-1 (adaptive: where it starts)")
    g.add_argument("--augment-policy", metavar="OPS", help="comma-separated: color,translation,cutout (default all)")
    g.add_argument("--ada-target", type=float, help="adaptive: target E[sign D(real)] (default 0.6)")
    g.add_argument("--ema", action=argparse.BooleanOptionalAction, default=None,
                   help="keep an EMA of G's weights for samples and exports")
    g.add_argument("--ema-halflife", type=int, metavar="IMAGES", help="EMA half-life in pictures (default 10000)")
    g.add_argument("--spectral-norm", action=argparse.BooleanOptionalAction, default=None,
                   help="spectral normalisation on D")
    g.add_argument("--msg", action=argparse.BooleanOptionalAction, default=None,
                   help="multi-scale gradients (MSG-GAN) in the small-data presets (default: on at 128 px and up)")
    g.add_argument("--kinds", type=int, metavar="K",
                   help="sort the pictures into K kinds (pretrained VGG16 features) and train G and D on them "
                   "(small-data presets; 0 = off; default: about one kind per eight pictures, up to 24, on small folders)")
    g.add_argument("--r1", type=float, metavar="GAMMA", help="R1 gradient penalty on D's real pictures (0 = off)")
    g.add_argument("--lecam", type=float, metavar="WEIGHT",
                   help="LeCam regulariser: keeps D's verdicts near their running averages, against a D that "
                   "memorises a small folder (0 = off)")
    g.add_argument("--metrics-every", type=int, metavar="N",
                   help="KID, FD and LPIPS diversity every N steps into metrics.jsonl (0 = never)")
    g.add_argument("--metrics-samples", type=int, metavar="N", help="samples per quality check (default 128)")
    g.add_argument("--no-health", action="store_true", help="no health checks (and no automatic rollback)")
    g.add_argument("--init-from", metavar="RUN_DIR|GENERATOR",
                   help="fine-tune: start from an earlier run's (or exported generator's) weights")
    d = p.add_argument_group("bigger machines (see the README: several GPUs, several machines)")
    d.add_argument("--nproc", type=int, metavar="N",
                   help="train in N processes on this machine through torchrun (DDP; one per GPU on CUDA). The "
                   "same as: torchrun --nproc_per_node=N -m studio train …")
    d.add_argument("--precision", choices=["auto", "fp32", "bf16", "fp16"],
                   help="mixed precision on GPUs: auto (default) is bf16 where the GPU has it, else fp32")
    d.add_argument("--compile", action=argparse.BooleanOptionalAction, default=None,
                   help="torch.compile G and D (slow to start; measure before keeping it)")
    d.add_argument("--sync-bn", action=argparse.BooleanOptionalAction, default=None,
                   help="several processes on GPUs: BatchNorm over the global batch (default: on when the "
                   "models use BatchNorm)")
    p.add_argument("--estimate", action="store_true",
                   help="benchmark a few steps on the device, print the expected training time and exit")
    p.add_argument("--export-generator", metavar="FILE", help="write the trained generator (.safetensors + .json)")
    p.add_argument("--export-raw", action="store_true", help="export the raw generator even when EMA weights exist")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


# (flag, attribute, lowest, highest): numbers outside are refused, never replaced. The upper bounds are far
# beyond any useful setting; they stop a typo from costing hours or all the memory before anything is checked.
TRAIN_LIMITS = (
    ("--steps", "steps", 0, 1_000_000_000),
    ("--batch-size", "batch_size", 1, 4096),
    ("--width", "width", 1, 1024),
    ("--latent-dim", "latent_dim", 1, 4096),
    ("--lr-g", "lr_g", 1e-12, 1.0),
    ("--lr-d", "lr_d", 1e-12, 1.0),
    ("--beta1", "beta1", 0.0, 0.999999),
    ("--beta2", "beta2", 0.0, 0.999999),
    ("--d-steps", "d_steps", 1, 100),
    ("--skip-d-below", "skip_d_below", 0.0, 1e6),
    ("--seed", "seed", 0, 2**63 - 1),
    ("--sample-every", "sample_every", 1, 1_000_000_000),
    ("--checkpoint-every", "checkpoint_every", 0.001, 7 * 24 * 60),
    ("--aug-p", "aug_p", 0.0, 1.0),
    ("--ada-target", "ada_target", 0.01, 0.99),
    ("--ema-halflife", "ema_halflife", 1, 1_000_000_000),
    ("--metrics-every", "metrics_every", 0, 1_000_000_000),
    ("--metrics-samples", "metrics_samples", 4, 50_000),
    ("--nproc", "nproc", 1, 1024),
    ("--minutes", "minutes", 0.1, MAX_MINUTES),
)


def _check_train_numbers(args: argparse.Namespace) -> None:
    """Refuse a zero, negative, non-finite or absurd number with one sentence naming the flag."""
    import math

    for flag, attr, low, high in TRAIN_LIMITS:
        value = getattr(args, attr, None)
        if value is None:
            continue
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{flag} must be a number, not {value}")
        if not low <= value <= high:
            if flag == "--lr-g" or flag == "--lr-d":
                span = "more than 0 and at most 1"
            elif flag in ("--beta1", "--beta2"):
                span = "at least 0 and below 1"
            else:
                span = f"between {low:g} and {high:,}" if isinstance(high, int) else f"between {low:g} and {high:g}"
            raise ValueError(f"{flag} {value:g} is out of range: it must be {span}")


def _train_config(args: argparse.Namespace):
    from studio.engine.gan.config import PRESETS, TrainConfig

    _check_train_numbers(args)
    if args.preset == "auto":
        if args.resume:
            from studio.engine.runs import RunDir

            try:
                args.preset = str(RunDir(Path(args.resume)).read_config().get("preset", ""))
            except (OSError, ValueError):
                args.preset = ""
            if args.preset not in PRESETS:
                args.preset = "dcgan64"  # the resume itself reads and checks config.json and says what is wrong
        else:
            from studio.engine.dataset_advice import auto_preset

            args.preset, why = auto_preset(args.data)
            print(f"preset auto → {args.preset}: {why}")
    if args.width is not None and not PRESETS[args.preset].width_adjustable:
        raise ValueError(f"--width does not apply to {args.preset}: its layers are fixed by the lesson; "
                         "leave --width out or pick a DCGAN or small-data preset")

    overrides = {
        "batch_size": args.batch_size, "width": args.width, "latent_dim": args.latent_dim,
        "lr_g": args.lr_g, "lr_d": args.lr_d, "beta1": args.beta1, "beta2": args.beta2, "loss": args.loss,
        "d_steps": args.d_steps, "skip_d_below": args.skip_d_below, "seed": args.seed, "fit": args.fit,
        "steps": args.steps, "checkpoint_every_min": args.checkpoint_every, "device": args.device,
        "sample_every_steps": args.sample_every,
        "regime": args.regime, "augment": args.augment, "aug_p": args.aug_p, "augment_policy": args.augment_policy,
        "ada_target": args.ada_target, "ema": args.ema, "ema_halflife_imgs": args.ema_halflife,
        "spectral_norm": args.spectral_norm, "metrics_every": args.metrics_every,
        "metrics_samples": args.metrics_samples, "init_from": args.init_from, "msg": args.msg,
        "kinds": args.kinds, "r1_gamma": args.r1, "lecam": args.lecam, "precision": args.precision, "compile": args.compile,
        "sync_batchnorm": args.sync_bn,
    }
    overrides = {k: v for k, v in overrides.items() if v is not None}
    if args.no_health:
        overrides["health"] = False
    if args.hflip:
        overrides["hflip"] = True
    if args.sample_every:
        overrides["sample_every_s"] = 1e9  # step-based only: the same files on every machine
    cfg = TrainConfig.for_preset(args.preset, data=args.data or "", **overrides)
    cfg.validate()
    return cfg


def cmd_train(args: argparse.Namespace) -> int:
    try:
        cfg = _train_config(args)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from studio.engine.gan.distributed import from_env, launched_by_torchrun

    if args.minutes is not None:  # one process's timing decides the steps: refused where it could not
        if args.resume or (args.nproc and args.nproc > 1) or launched_by_torchrun():
            print("error: --minutes is for a new run in one process; use --steps to continue a run or to train in "
                  "several processes", file=sys.stderr)
            return 2
        from studio.engine.gan.estimate import steps_for_seconds

        cfg.steps, said = steps_for_seconds(cfg, args.minutes * 60.0, dataset_count=_dataset_count(cfg, args))
        cfg.minutes = args.minutes
        print(f"--minutes {args.minutes:g}: {said} The run re-plans its steps from its own speed as it goes.")
    if args.estimate:  # one process's estimate (the processes share the work of one global batch)
        return _print_estimate(cfg, args)
    if args.nproc and args.nproc > 1 and not launched_by_torchrun():
        return _launch_processes(args)
    dist = from_env(cfg.device)  # one of several processes torchrun started, or None
    try:
        return _train(args, cfg, dist)
    finally:
        if dist is not None:
            dist.close()


def _launch_processes(args: argparse.Namespace) -> int:
    """``--nproc N``: the same command through torch's launcher (torchrun), N processes on this machine. Stop
    signals reach the processes (Ctrl+C reaches them from the terminal; SIGTERM and SIGHUP are passed on)."""
    import subprocess

    from studio.cli_common import STOP_SIGNALS
    from studio.engine.gan.distributed import launch_command
    from studio.engine.runs import new_run_dir

    argv, skip = [], False
    for a in args.argv:
        if skip:
            skip = False
        elif a == "--nproc":
            skip = True
        elif not a.startswith("--nproc="):
            argv.append(a)
    out_given = any(a == "--out" or a.startswith("--out=") for a in argv)
    if not args.resume and not out_given:  # one folder for all the processes, chosen here
        argv += ["--out", args.out or str(new_run_dir())]
    cmd = launch_command(args.nproc, argv)
    print(f"training in {args.nproc} processes: {' '.join(cmd[1:])}", flush=True)
    child = subprocess.Popen(cmd)
    previous = {sig: signal.getsignal(sig) for sig in STOP_SIGNALS}

    def pass_on(signum, frame) -> None:
        if signum != signal.SIGINT:  # Ctrl+C already reached every process from the terminal
            child.send_signal(signum)

    for sig in STOP_SIGNALS:
        signal.signal(sig, pass_on)
    try:
        return child.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _train(args: argparse.Namespace, cfg, dist) -> int:
    from tqdm import tqdm

    from studio.engine.gan.checkpoints import export_generator
    from studio.engine.gan.trainer import GanTrainingJob
    from studio.engine.jobs import Failed, Finished, JobToken, Metrics, Notice, Progress
    from studio.engine.runs import new_run_dir

    main = dist is None or dist.main
    export_to = None
    if args.export_generator:
        export_to = _export_target(args.export_generator)
        problem = _export_problem(export_to)
        if problem:
            return fail(problem, 2)  # before training, not after an hour of it
    if args.resume:
        run_dir = Path(args.resume)
        if not (run_dir / "config.json").is_file():
            print(f"error: {run_dir} is not a run directory (no config.json)", file=sys.stderr)
            return 2
        if args.steps is None:
            from studio.engine.runs import RunDir

            cfg.steps = int(RunDir(run_dir).read_config().get("steps", cfg.steps))
    else:
        from studio.engine.gan.checkpoints import checkpoint_candidates

        run_dir = Path(args.out) if args.out else new_run_dir() if main else None
        if dist is not None:  # one folder for every process: rank 0's (it may have named it just now)
            run_dir = Path(dist.broadcast_object(str(run_dir) if dist.main else None))
        if (run_dir / "config.json").exists() and checkpoint_candidates(run_dir / "checkpoints"):
            print(f"error: {run_dir} already holds a run; use --resume {run_dir} to continue it",
                  file=sys.stderr)
            return 2
    token = JobToken()
    job = GanTrainingJob(cfg, run_dir, resume=bool(args.resume), dist=dist)
    bar = tqdm(total=cfg.steps or None, unit="step", disable=args.quiet or not main, dynamic_ncols=True)
    last = {"step": 0}

    def on_event(ev) -> None:
        if not main:  # the other processes of a distributed run say only what went wrong
            if isinstance(ev, Notice) and ev.level != "info" or isinstance(ev, Failed):
                text = ev.text if isinstance(ev, Notice) else ev.message
                print(f"[process {dist.rank}] {text}", file=sys.stderr, flush=True)
            return
        if isinstance(ev, Progress):
            if ev.total and ev.total != bar.total:  # a run planned in minutes re-plans its length as it goes
                bar.total = ev.total
            if ev.step == 0:
                bar.set_description(ev.text)
            elif ev.step != last["step"]:
                if last["step"] == 0 and ev.step > 1:
                    bar.n = ev.step - 1  # resumed run: start the bar where the run is
                bar.update(ev.step - max(last["step"], bar.n))
                last["step"] = ev.step
                bar.set_description("training")
        elif isinstance(ev, Metrics):
            v = ev.values
            extra = {"p": f"{v['aug_p']:.2f}"} if "aug_p" in v else {}
            bar.set_postfix(G=f"{v['loss_g']:.3f}", D=f"{v['loss_d']:.3f}", ips=f"{v['img_per_s']:.0f}", **extra,
                            refresh=False)
            if "kid" in v:
                bar.write(f"step {ev.step}: KID {v['kid']:.4g}, FD {v['fd']:.4g}, LPIPS diversity "
                          f"{v['lpips_diversity']:.3f} (your pictures {v.get('lpips_diversity_data', 0):.3f})"
                          + (f", augmentation {v['aug_p']:.2f}" if "aug_p" in v else ""))
        elif isinstance(ev, Notice):
            health = getattr(ev, "health", None)
            if health is not None:
                remedies = ", ".join(r.code for r in health.remedies)
                bar.write(f"[{ev.level}] {health.code}: {ev.text} (remedies: {remedies})")
            else:
                bar.write(f"[{ev.level}] {ev.text}" if ev.level != "info" else ev.text)
                if "skipped while reading the dataset" in ev.text:  # which files, and why (as the GUI does)
                    from studio.engine.images import describe_skipped
                    for line in describe_skipped(getattr(getattr(job.stepper, "data", None), "skipped", [])):
                        bar.write(line)
        elif isinstance(ev, Failed):
            bar.write(f"error: {ev.message}")
        elif isinstance(ev, Finished) and ev.result is not None:
            bar.write(f"run directory: {ev.result.run_dir}")

    def on_event_safe(ev) -> None:
        try:
            on_event(ev)
        except (OSError, ValueError):  # no terminal any more (SIGHUP, a closed pipe): training must go on
            pass

    stopped_by: dict = {}
    outcome = _run_with_ctrl_c(job, on_event_safe, token, bar,
                               "Stopping… (saving a checkpoint; press Ctrl+C again to abort)", stopped_by)
    if outcome.error:
        print(f"error: {outcome.error}", file=sys.stderr)
        return 1
    if export_to is not None and main:
        out, problem = _export_with_fallback(export_generator, run_dir, export_to, use_ema=not args.export_raw)
        if out is None:
            return fail(problem)
        if problem:
            print(problem)
        print(f"generator written to {out}")
    if outcome.cancelled:
        return 128 + int(stopped_by.get("signal", signal.SIGINT))
    return 0


def _export_target(path: str) -> Path:
    out = Path(path).expanduser()
    return out if out.suffix == ".safetensors" else out.with_suffix(".safetensors")


def _export_problem(out: Path) -> str | None:
    """Why the generator could not be written at ``out`` (checked before training), or None."""
    import os

    parent = out.parent
    if not parent.is_dir():
        return (f"--export-generator: the folder {parent} does not exist; create it or choose another place "
                "(nothing was trained).")
    for p in (out, out.with_suffix(".json")):
        if p.is_dir():
            return f"--export-generator: {p} is a folder; choose a file name (nothing was trained)."
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"--export-generator: the studio may not write in {parent}; choose a folder you own (nothing was trained)."
    return None


def _export_with_fallback(export, run_dir: Path, target: Path, use_ema: bool) -> tuple[Path | None, str]:
    """Export the trained generator; when ``target`` fails after all (disk full, folder removed meanwhile) the
    result goes to the workspace's exports folder instead. Returns (path or None, a line to print)."""
    from studio.preferences import resolve_runtime

    try:
        return export(run_dir, target, use_ema=use_ema), ""
    except (OSError, StudioError) as exc:
        first = describe_error(exc)
    folder = resolve_runtime().workspace / "exports"  # the workspace the GUI shows
    fallback = folder / target.name
    n = 2
    while fallback.exists() or fallback.with_suffix(".json").exists():
        fallback = folder / f"{target.stem}-{n}{target.suffix}"
        n += 1
    try:
        folder.mkdir(parents=True, exist_ok=True)
        out = export(run_dir, fallback, use_ema=use_ema)
    except (OSError, StudioError) as exc:
        return None, (f"Could not write the generator to {target} ({first}) nor to {fallback} "
                      f"({describe_error(exc)}). The training is kept in {run_dir}; export it later with "
                      f"--resume {run_dir} --export-generator FILE.")
    return out, f"Could not write the generator to {target}: {first} It was written to {out} instead."


def _print_estimate(cfg, args: argparse.Namespace) -> int:
    """--estimate: a few real steps on the device × the planned steps; needs --data (for its size)."""
    from studio.engine.gan.estimate import estimate_training_time

    if args.resume or not args.data:
        print("error: --estimate needs --data (a new run)", file=sys.stderr)
        return 2
    est = estimate_training_time(cfg, dataset_count=_dataset_count(cfg, args))
    print(est.text)
    return 0


def _dataset_count(cfg, args: argparse.Namespace) -> int:
    """How many pictures a new run's --data holds (the estimate's dataset size)."""
    count = cfg.demo_count
    if args.data.strip().lower() not in ("demo",):
        from studio.engine.data import LESSON_DATASETS
        from studio.engine.images import find_image_files

        key = args.data.strip().lower()
        if key in LESSON_DATASETS:
            count = 60_000 if key != "cifar10" else 50_000
        else:
            import os

            count = len(find_image_files([p for p in args.data.split(os.pathsep) if p.strip()]).files)
    return count
