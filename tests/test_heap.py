"""The long-job memory trim: runs on glibc Linux, is throttled, and never fails elsewhere."""

import sys

import pytest

from studio.engine import heap


def test_trim_runs_then_is_throttled():
    if not sys.platform.startswith("linux") or heap._malloc_trim() is None:
        pytest.skip("malloc_trim is glibc's")
    assert heap.release_free_memory(force=True) is True
    assert heap.release_free_memory() is False  # within the interval: skipped, cheap


def test_elsewhere_is_a_quiet_no_op(monkeypatch):
    monkeypatch.setattr(heap, "_looked", True)
    monkeypatch.setattr(heap, "_trim", None)
    assert heap.release_free_memory(force=True) is False
