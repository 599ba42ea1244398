"""Entry points: ``python -m studio`` (GUI, or the CLI when given arguments) and ``gan-studio``.

Imports stay inside the functions so the GUI path never pays for the CLI (or torch) before the
window is on screen.
"""

import time

_STARTED = time.time()  # first thing: the startup benchmark's fallback reference where /proc is missing

import sys  # noqa: E402


def gui_main() -> int:
    """Start the desktop app (the ``gan-studio`` gui-script and main.py call this)."""
    from studio.ui.app import run_gui

    return run_gui(sys.argv[:1])


def main(argv: list[str] | None = None) -> int:
    """No arguments: the GUI. Any arguments: the command-line studio (``studio.cli``)."""
    args = sys.argv[1:] if argv is None else list(argv)
    if not args:
        return gui_main()
    from studio.cli import main as cli_main

    return int(cli_main(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
