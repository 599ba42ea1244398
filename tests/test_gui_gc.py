"""While a job's thread runs, Python's cycle collector runs only in the GUI thread (a collection in the worker
that destroys a Qt object deadlocked the Train page's tests: GUI and worker each waiting for the other's lock)."""

from __future__ import annotations

import gc
import threading

from studio.engine.jobs import JobContext
from studio.ui import gui_gc
from studio.ui.job_runner import JobRunner


class CycleMaker:
    """Allocates far more reference cycles than a collection threshold, as model building does."""

    title = "Cycles"

    def run(self, ctx: JobContext) -> int:
        for _ in range(20_000):
            a: list = []
            a.append(a)
        return threading.get_ident()


def test_collections_happen_in_the_gui_thread_while_a_job_runs_and_automatic_gc_returns_after(qtbot, qapp):
    assert gc.isenabled()
    where: list[int] = []

    def note(phase, info):
        if phase == "start":
            where.append(threading.get_ident())

    gc.callbacks.append(note)
    runner = JobRunner()
    try:
        with qtbot.waitSignal(runner.finished, timeout=20_000) as done:
            runner.start(CycleMaker())
            assert not gc.isenabled()  # off while the worker runs
        worker = done.args[0].result
        qtbot.waitUntil(gc.isenabled, timeout=5_000)  # back on once no worker runs
        gc.collect()
    finally:
        gc.callbacks.remove(note)
        runner.shutdown(5_000)
        runner.deleteLater()
    assert worker != threading.get_ident()
    assert where and worker not in where  # every collection ran in the GUI thread, none in the worker


def test_collect_due_follows_pythons_thresholds():
    was = gc.isenabled()
    gc.disable()
    try:
        gc.collect()
        assert gc_count0() <= gc.get_threshold()[0] and gui_gc.collect_due() is None
        for _ in range(gc.get_threshold()[0] + 10):
            a: list = []
            a.append(a)
        assert gui_gc.collect_due() is not None and gc_count0() < 10
    finally:
        if was:
            gc.enable()


def gc_count0() -> int:
    return gc.get_count()[0]
