"""Double-click entry: start GAN Art Studio's window (``python main.py``)."""

import time

_STARTED = time.time()  # first thing: the startup benchmark's fallback reference where /proc is missing

import os  # noqa: E402
import sys  # noqa: E402

# Run straight from a checkout, installed or not.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from studio.__main__ import gui_main  # noqa: E402

if __name__ == "__main__":
    sys.exit(gui_main())
