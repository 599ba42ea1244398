"""``python -m studio stylize CLIP.gif|.mp4|FOLDER STYLE… --out out.gif|.mp4|FOLDER``: an animation as the content.

The still's options all apply (they paint the first frame and set every frame's style); these add the animation's
own: which frames (--start/--end/--step), the output rate, how hard each frame holds to the previous one, and
--independent for the flickering frame-by-frame comparison. Ctrl+C stops after keeping every finished frame; the
same command resumes.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from studio.cli_common import _run_with_ctrl_c, _show_progress_or_notice, fail
from studio.engine.errors import describe_error


def add_animation_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("when the content is an animation (a GIF, MP4/WebM/MOV clip or a folder of frames)")
    g.add_argument("--start", type=int, help="first frame to paint (1 = the first; default 1)")
    g.add_argument("--end", type=int, help="last frame to paint (default: the last)")
    g.add_argument("--step", type=int, help="paint every n-th frame (default 1)")
    g.add_argument("--fps", type=float, help="output frames per second (default: the clip's, divided by --step)")
    g.add_argument("--follow-iterations", type=int,
                   help="evaluations for each frame after the first (default 50; the first is painted like a still)")
    g.add_argument("--temporal-weight", type=float,
                   help="how firmly each frame keeps the previous frame's paint where the motion is known "
                        "(default 200; 0 = only the warm start)")
    g.add_argument("--independent", action="store_true",
                   help="paint every frame on its own like a still (flickers; for comparison)")


def cmd_stylize_animation(args: argparse.Namespace, still_job) -> int:
    """Run the animation job for parsed ``stylize`` arguments; ``still_job`` is the still job those arguments make
    (its settings, paintings, blend and masks are the animation's)."""
    from tqdm import tqdm

    from studio.engine.jobs import JobToken
    from studio.engine.style.animation import OUTPUT_SUFFIXES, AnimationSettings, AnimationStyleJob
    from studio.engine.style.settings import StyleError

    out = Path(args.out)
    if out.suffix and out.suffix.lower() not in OUTPUT_SUFFIXES:
        return fail("for an animation, --out must end in .gif or .mp4, or name a folder for PNG frames", 2)
    a = AnimationSettings(still=still_job.settings)
    try:
        if args.start is not None:
            if args.start < 1:
                raise StyleError("--start counts from 1")
            a.start = args.start - 1
        if args.end is not None:
            a.end = args.end
        for name in ("step", "fps", "follow_iterations", "temporal_weight"):
            if getattr(args, name) is not None:
                setattr(a, name, getattr(args, name))
        a.coherent = not args.independent
        job = AnimationStyleJob(a, still_job.content, still_job.styles, out, still_job.blend,
                                style_masks=still_job.style_masks, content_mask=still_job.content_mask)
    except (StyleError, OSError, ValueError) as exc:
        return fail(describe_error(exc), 2)
    bar = tqdm(total=None, unit="frame", disable=args.quiet, dynamic_ncols=True)
    return _paint(job, JobToken(), bar)


def _paint(job, token, bar) -> int:
    """Run an AnimationStyleJob under the bar (closed here) and say how it ended: 0 written, 130 stopped."""
    outcome = _run_with_ctrl_c(job, lambda ev: _show_progress_or_notice(bar, ev), token, bar,
                               "Stopping… (finished frames are kept; run the same command to resume)")
    bar.close()
    if outcome.error:
        return fail(outcome.error.split(": ", 1)[-1])
    r = outcome.result
    if r is None:
        return 130
    if r.stopped:
        print(f"stopped: {r.frames} of {r.total} frames painted in {r.frames_dir}; run the same command to resume")
        return 130
    print(f"wrote {r.output} ({r.frames} frames, {r.seconds:.0f} s)")
    return 0


def cmd_walk_styled(args: argparse.Namespace, walk_job) -> int:
    """``walk … --style PAINTING``: render the walk's frames to ``OUT-walk/`` (PNG, the walk recipe beside them),
    then paint them frame-coherently into ``--out``. Re-running the command resumes the painting."""
    from tqdm import tqdm

    from studio.engine.jobs import JobToken
    from studio.engine.style.animation import OUTPUT_SUFFIXES, AnimationSettings, AnimationStyleJob
    from studio.engine.style.settings import StyleError, StyleSettings

    out = Path(args.out)
    if out.suffix and out.suffix.lower() not in OUTPUT_SUFFIXES:
        return fail("with --style, --out must end in .gif or .mp4, or name a folder for PNG frames", 2)
    if args.style_size is not None and not 16 <= args.style_size <= 4096:
        return fail("--style-size must be between 16 and 4096 pixels", 2)
    missing = [p for p in args.style if not Path(p).is_file()]
    if missing:
        return fail(f"{missing[0]} does not exist", 2)
    frames = out.parent / f"{out.stem if out.suffix else out.name}-walk"
    walk_args = argparse.Namespace(**{**vars(args), "out": str(frames)})
    try:
        job = walk_job(walk_args)
        still = StyleSettings(size=args.style_size or 256)
        if args.style_weight is not None:
            still.style_weight = args.style_weight
        if args.style_iterations is not None:
            still.iterations = args.style_iterations
        fps = args.fps or job.timeline.fps
        anim = AnimationSettings(still=still, fps=fps)
        if args.follow_iterations is not None:
            anim.follow_iterations = args.follow_iterations
        anim.validate(1)
        paint = AnimationStyleJob(anim, frames, list(args.style), out)
        still.validate()
    except (StyleError, ValueError, OSError) as exc:
        return fail(describe_error(exc), 2)
    token = JobToken()
    bar = tqdm(total=None, unit="frame", disable=args.quiet, dynamic_ncols=True)
    walked = _run_with_ctrl_c(job, lambda ev: _show_progress_or_notice(bar, ev), token, bar,
                              "Cancelling… (no file will be left behind)")
    if walked.error:
        bar.close()
        return fail(walked.error.split(": ", 1)[-1])
    if walked.cancelled:
        bar.close()
        return 130
    bar.reset()
    return _paint(paint, token, bar)
