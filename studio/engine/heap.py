"""Give freed heap memory back to the operating system during long jobs.

glibc's allocator keeps memory a thread has freed in that thread's arena. In the studio the training thread
allocates the tensors and the GUI thread frees the previews it was sent, so the arenas grow in steps and are
rarely handed back: a GUI training run grew about 400 MB in five minutes while a headless run of the same
settings stayed flat (tests/bench/bench_soak.py). ``malloc_trim(0)`` returns the free pages of every arena;
called every few seconds it kept the same run within 10 MB. Elsewhere (macOS, Windows, musl) this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
import threading
import time

__all__ = ["release_free_memory"]

_MIN_INTERVAL_S = 5.0
_lock = threading.Lock()
_last = -_MIN_INTERVAL_S
_trim = None
_looked = False


def _malloc_trim():
    global _trim, _looked
    if not _looked:
        _looked = True
        if sys.platform.startswith("linux"):
            try:
                libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
                fn = libc.malloc_trim  # glibc only; musl has none
                fn.argtypes, fn.restype = [ctypes.c_size_t], ctypes.c_int
                _trim = fn
            except (OSError, AttributeError):
                _trim = None
    return _trim


def release_free_memory(force: bool = False) -> bool:
    """Return free heap pages to the system (at most every few seconds unless ``force``); True if it ran."""
    global _last
    fn = _malloc_trim()
    if fn is None:
        return False
    with _lock:
        now = time.monotonic()
        if not force and now - _last < _MIN_INTERVAL_S:
            return False
        _last = now
    fn(0)
    return True
