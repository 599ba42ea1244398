"""What every terminal command shares: the progress bar's notices, stopping on Ctrl+C / SIGTERM / SIGHUP, and
the one-line error."""

from __future__ import annotations

import signal
import sys


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


def fail(sentence: str, code: int = 1) -> int:
    """Print one ``error:`` line (the CLI's only way to report a problem) and return the exit code."""
    print(f"error: {sentence}", file=sys.stderr)
    return code
