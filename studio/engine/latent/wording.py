"""What the Explore page says about a walk, in words: sizes, keyframe captions, timeline summaries.

Text only (no widget), so the CLI and the tests can say the same things the page does.
"""

from __future__ import annotations

__all__ = ["format_bytes", "gif_loop_from_plays", "keyframe_text", "plays_from_gif_loop", "psi_from_percent",
           "segment_caption", "timeline_summary", "truncation_text"]

EMPTY_TIMELINE = "Add favourites to the timeline (button or drag) to make an animation."


def format_bytes(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    if n < 1024**2:
        return f"{n / 1024:.0f} KB"
    return f"{n / 1024**2:.1f} MB"


def keyframe_text(entry: dict) -> str:
    """A keyframe's caption; ∿ marks the one that wanders."""
    return str(entry.get("label", "")) + (" ∿" if entry.get("wander") else "")


def timeline_summary(tl) -> str:
    if tl is None:
        return EMPTY_TIMELINE
    if tl.wander is not None:
        return (f"Wandering around keyframe {tl.wander.keyframe + 1} · {tl.frame_count} frames · "
                f"{tl.duration_s:.1f} s · loops")
    n = len(tl.keyframes)
    return (f"{n} keyframe{'s' if n != 1 else ''} · {tl.frame_count} frames · "
            f"{tl.duration_s:.1f} s{' · loops' if tl.loop else ''}")


def segment_caption(row: int, count: int, loop: bool, wandering: bool) -> tuple[str, bool]:
    """(caption, whether a segment leaves keyframe ``row``) for the segment controls."""
    has_segment = 0 <= row and (row < count - 1 or (loop and count > 0))
    if row < 0:
        text = "Select a keyframe to time the move after it."
    elif has_segment:
        text = f"Keyframe {row + 1} → {1 if row == count - 1 else row + 2}:"
    else:
        text = "Last keyframe: the animation ends here (turn on the loop to return to the start)."
    if wandering and has_segment:
        text += " (paused while a keyframe wanders)"
    return text, has_segment


def psi_from_percent(percent: int) -> float:
    """ψ for the engine from the "calmer" control: 0 % = 1 (off); more pulls toward the average picture."""
    return round(1.0 - percent / 100.0, 2)


def truncation_text(percent: int) -> str:
    return "off" if percent == 0 else f"{percent} %"


def gif_loop_from_plays(plays: int) -> int:
    """The engine's GIF loop value from "plays": forever (0) → 0, once → -1, n times → n - 1 repeats."""
    return 0 if plays == 0 else (-1 if plays == 1 else plays - 1)


def plays_from_gif_loop(loop: int, most: int = 100) -> int:
    return 0 if loop == 0 else (1 if loop < 0 else min(most, loop + 1))
