"""JobRunner: the one Qt bridge. Real jobs in real QThreads, signals observed in the GUI thread."""

from __future__ import annotations

import time

import numpy as np
import pytest
from PySide6.QtCore import QThread

from studio.engine.jobs import Failed, Finished, JobContext, Metrics, Notice, Preview, Progress
from studio.ui.job_runner import JobRunner, live_qthreads
from studio.ui.qimage import to_pixmap, uint8_to_qimage

TIMEOUT = 10_000


class CountingJob:
    """Counts to ``n`` (None: until stopped), reporting every step and checking the token each step."""

    title = "Counting"

    def __init__(self, n: int | None, preview_every: int = 0, notice_every: int = 0,
                 fail_at: int | None = None, step_sleep: float = 0.0) -> None:
        self.n = n
        self.preview_every = preview_every
        self.notice_every = notice_every
        self.fail_at = fail_at
        self.step_sleep = step_sleep
        self.step = 0  # read by the tests from the GUI thread (an int: atomic enough)

    def run(self, ctx: JobContext) -> int:
        i = 0
        while self.n is None or i < self.n:
            ctx.check()
            i += 1
            if self.fail_at is not None and i == self.fail_at:
                raise ValueError(f"boom at {i}")
            self.step = i
            ctx.emit(Metrics(i, {"value": float(i)}))
            ctx.progress(i, self.n, f"step {i}")
            if self.preview_every and i % self.preview_every == 0:
                ctx.emit(Preview(i, np.full((4, 6, 3), i % 256, np.uint8), "count"))
            if self.notice_every and i % self.notice_every == 0:
                ctx.notice(f"notice {i}")
            if self.step_sleep:
                time.sleep(self.step_sleep)
        return i


class Recorder:
    """Collects every runner signal (and the thread it arrived in)."""

    def __init__(self, runner: JobRunner) -> None:
        self.metrics_batches: list[list[Metrics]] = []
        self.progress: list[Progress] = []
        self.previews: list[Preview] = []
        self.notices: list[Notice] = []
        self.paused: list[bool] = []
        self.running: list[bool] = []
        self.started: list[str] = []
        self.finished: list[Finished] = []
        self.failed: list[Failed] = []
        self.threads: set = set()
        runner.metrics.connect(self.on_metrics)
        runner.progress.connect(self.on_progress)
        runner.preview.connect(self.on_preview)
        runner.notice.connect(self.on_notice)
        runner.paused_changed.connect(self.on_paused)
        runner.running_changed.connect(self.on_running)
        runner.started.connect(self.on_started)
        runner.finished.connect(self.on_finished)
        runner.failed.connect(self.on_failed)

    def _seen(self) -> None:
        self.threads.add(QThread.currentThread())

    def on_metrics(self, batch):
        self._seen()
        self.metrics_batches.append(batch)

    def on_progress(self, p):
        self._seen()
        self.progress.append(p)

    def on_preview(self, p):
        self._seen()
        self.previews.append(p)

    def on_notice(self, n):
        self._seen()
        self.notices.append(n)

    def on_paused(self, v):
        self._seen()
        self.paused.append(v)

    def on_running(self, v):
        self._seen()
        self.running.append(v)

    def on_started(self, title):
        self._seen()
        self.started.append(title)

    def on_finished(self, f):
        self._seen()
        self.finished.append(f)

    def on_failed(self, f):
        self._seen()
        self.failed.append(f)


@pytest.fixture
def runner(qapp):
    r = JobRunner()
    yield r
    r.shutdown(TIMEOUT)
    assert not r._timer.isActive(), "the drain timer must stop with the job"
    r.deleteLater()


def test_metrics_arrive_in_order_and_batched(qtbot, qapp, runner):
    rec = Recorder(runner)
    n = 20_000
    with qtbot.waitSignal(runner.finished, timeout=TIMEOUT):
        runner.start(CountingJob(n))
        assert runner.is_running()
    steps = [m.step for batch in rec.metrics_batches for m in batch]
    assert steps == list(range(1, n + 1))
    assert 0 < len(rec.metrics_batches) < n / 10  # batched per tick, never one signal per event
    assert rec.started == ["Counting"]
    assert rec.running == [True, False]
    assert rec.finished[0].result == n and not rec.finished[0].cancelled
    assert rec.progress[-1].step == n  # the newest progress is delivered before finished
    assert len(rec.progress) <= len(rec.metrics_batches)
    assert rec.threads == {qapp.thread()}  # every signal reached us in the GUI thread
    assert not runner.is_running()
    assert live_qthreads() == []


def test_only_newest_preview_is_delivered(qtbot, runner):
    rec = Recorder(runner)
    n = 3_000
    with qtbot.waitSignal(runner.finished, timeout=TIMEOUT):
        runner.start(CountingJob(n, preview_every=1))
    assert 0 < len(rec.previews) < n / 10
    steps = [p.step for p in rec.previews]
    assert steps == sorted(set(steps))  # never an older preview after a newer one
    assert steps[-1] == n  # the last one the job made is the one shown
    last = rec.previews[-1]
    assert last.image.dtype == np.uint8 and last.image.shape == (4, 6, 3)
    qimg = uint8_to_qimage(last.image)
    assert (qimg.width(), qimg.height()) == (6, 4)
    assert qimg.pixelColor(0, 0).red() == n % 256
    assert to_pixmap(last.image).size() == qimg.size()


def test_notices_all_delivered_in_order(qtbot, runner):
    rec = Recorder(runner)
    with qtbot.waitSignal(runner.finished, timeout=TIMEOUT):
        runner.start(CountingJob(500, notice_every=50))
    assert [n.text for n in rec.notices] == [f"notice {i}" for i in range(50, 501, 50)]


def test_pause_blocks_progress_and_resume_continues(qtbot, runner):
    rec = Recorder(runner)
    job = CountingJob(None, step_sleep=0.002)
    runner.start(job)
    qtbot.waitUntil(lambda: job.step > 5, timeout=TIMEOUT)

    with qtbot.waitSignal(runner.paused_changed, timeout=TIMEOUT) as paused:
        runner.pause()
        assert runner.is_pause_requested()
    assert paused.args == [True]
    assert runner.is_paused()
    frozen = job.step
    qtbot.wait(200)  # long enough for ~100 steps if pause did not hold the job
    assert job.step == frozen
    assert runner.is_running()

    with qtbot.waitSignal(runner.paused_changed, timeout=TIMEOUT) as resumed:
        runner.resume()
    assert resumed.args == [False]
    assert not runner.is_paused()
    qtbot.waitUntil(lambda: job.step > frozen + 5, timeout=TIMEOUT)

    with qtbot.waitSignal(runner.finished, timeout=TIMEOUT) as done:
        runner.stop()
    assert done.args[0].cancelled is True
    assert rec.paused == [True, False]
    assert rec.running == [True, False]


def test_stop_while_paused_finishes_cancelled(qtbot, runner):
    rec = Recorder(runner)
    job = CountingJob(None, step_sleep=0.002)
    runner.start(job)
    qtbot.waitUntil(lambda: job.step > 0, timeout=TIMEOUT)
    with qtbot.waitSignal(runner.paused_changed, timeout=TIMEOUT):
        runner.pause()
    with qtbot.waitSignal(runner.finished, timeout=TIMEOUT) as done:
        runner.stop()
    assert done.args[0] == Finished(None, cancelled=True)
    assert rec.paused == [True, False]  # a stopped job is no longer paused
    assert not runner.is_paused() and not runner.is_running()


def test_failing_job_emits_failed_with_message(qtbot, runner):
    rec = Recorder(runner)
    with qtbot.waitSignal(runner.failed, timeout=TIMEOUT) as failed:
        runner.start(CountingJob(100, fail_at=7))
    assert failed.args[0].message == "Boom at 7."  # a sentence for people: no class name
    assert "Traceback" in failed.args[0].details and "ValueError: boom at 7" in failed.args[0].details
    assert rec.finished == []
    assert [m.step for b in rec.metrics_batches for m in b] == list(range(1, 7))
    assert rec.running == [True, False]
    assert not runner.is_running()


def test_start_while_running_raises(qtbot, runner):
    job = CountingJob(None, step_sleep=0.002)
    runner.start(job)
    with pytest.raises(RuntimeError, match="already running"):
        runner.start(CountingJob(3))
    with qtbot.waitSignal(runner.finished, timeout=TIMEOUT):
        runner.stop()


def test_shutdown_stops_and_joins(qtbot, runner):
    rec = Recorder(runner)
    job = CountingJob(None, step_sleep=0.002)
    runner.start(job)
    qtbot.waitUntil(lambda: job.step > 0, timeout=TIMEOUT)
    assert len(live_qthreads()) == 1
    assert runner.shutdown(TIMEOUT) is True
    # Joined synchronously: end signals already delivered, thread gone, timer stopped.
    assert not runner.is_running()
    assert live_qthreads() == []
    assert not runner._timer.isActive()
    assert len(rec.finished) == 1 and rec.finished[0].cancelled
    assert rec.running == [True, False]
    at_stop = job.step
    qtbot.wait(50)
    assert job.step == at_stop


def test_next_job_can_start_from_finished_slot(qtbot, runner):
    """A slot on ``finished`` may start the next job; the runner must already be free then."""
    jobs = [CountingJob(50), CountingJob(60)]
    results = []

    class Chain:
        def on_finished(self, f):
            results.append(f.result)
            if len(results) == 1:
                runner.start(jobs[1])

    chain = Chain()
    runner.finished.connect(chain.on_finished)
    running = []
    runner.running_changed.connect(running.append)
    runner.start(jobs[0])
    qtbot.waitUntil(lambda: len(results) == 2, timeout=TIMEOUT)
    assert results == [50, 60]
    assert running == [True, True, False]
    assert not runner.is_running()


def test_many_jobs_leave_nothing_behind(qtbot, runner):
    for k in range(20):
        with qtbot.waitSignal(runner.finished, timeout=TIMEOUT):
            runner.start(CountingJob(10 + k))
    assert live_qthreads() == []
    assert not runner._timer.isActive()



def test_deleting_the_runner_stops_its_job(qtbot):
    """A page deleted mid-job must not leave its worker running forever (or crash the process)."""
    import shiboken6
    from PySide6.QtCore import QObject

    owner = QObject()
    runner = JobRunner(owner)
    job = CountingJob(None, step_sleep=0.002)
    runner.start(job)
    qtbot.waitUntil(lambda: job.step > 0, timeout=TIMEOUT)
    shiboken6.delete(owner)  # destroys the runner's C++ object with the job still running
    qtbot.waitUntil(lambda: live_qthreads() == [], timeout=TIMEOUT)
    stopped_at = job.step
    qtbot.wait(50)
    assert job.step == stopped_at


def test_qimage_copies_and_pixmaps_stay_in_the_gui_thread(qapp):
    import threading

    arr = np.arange(24, dtype=np.uint8).reshape(2, 4, 3)
    qimg = uint8_to_qimage(arr)
    arr[:] = 0  # the QImage must not share the array's memory
    assert qimg.pixelColor(1, 0).getRgb() == (3, 4, 5, 255)
    gray = uint8_to_qimage(np.full((3, 5), 7, np.uint8))
    assert (gray.width(), gray.height(), gray.pixelColor(4, 2).red()) == (5, 3, 7)
    with pytest.raises(TypeError):
        uint8_to_qimage(np.zeros((2, 2, 3), np.float32))
    errors = []

    def build_in_worker():
        try:
            to_pixmap(np.zeros((2, 2, 3), np.uint8))
        except RuntimeError as exc:
            errors.append(str(exc))

    worker = threading.Thread(target=build_in_worker)
    worker.start()
    worker.join()
    assert errors == ["QPixmap may only be built in the GUI thread"]


class NicenessJob:
    """Reports the scheduling priority of the thread it runs in, and of a thread that thread starts."""

    title = "Niceness"

    def run(self, ctx: JobContext) -> tuple[int, int]:
        import os
        import threading

        def nice() -> int:
            return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

        seen = []
        child = threading.Thread(target=lambda: seen.append(nice()))  # as torch's worker pool would be
        child.start()
        child.join()
        return nice(), seen[0]


@pytest.mark.skipif(not __import__("sys").platform.startswith("linux"), reason="per-thread niceness is Linux's")
def test_jobs_run_below_the_windows_priority(qtbot, runner):
    """The window keeps its turn on busy cores: a job's thread (and threads it starts) are niced, the GUI's is not."""
    import os
    import threading

    gui = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    with qtbot.waitSignal(runner.finished, timeout=TIMEOUT) as done:
        runner.start(NicenessJob())
    job_nice, child_nice = done.args[0].result
    assert job_nice > gui and child_nice == job_nice
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == gui
