"""Test-wide isolation: headless Qt, private workspace/cache/config dirs (the studio's config file
included), no startup dialogs, and no leaked threads.

Everything here happens at import time, before any test (or Qt) reads the environment, so no test can
touch the real user's pictures, caches or settings.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:  # `pytest` run without installing the package
    sys.path.insert(0, str(REPO_ROOT))

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

_SESSION_DIR = Path(tempfile.mkdtemp(prefix="gan-studio-tests-"))
atexit.register(shutil.rmtree, _SESSION_DIR, True)
for _var, _sub in (("GAN_STUDIO_WORKSPACE", "workspace"), ("GAN_STUDIO_CACHE", "cache"),
                   ("XDG_CONFIG_HOME", "config"), ("GAN_STUDIO_CONFIG_DIR", "studio-config")):
    (_SESSION_DIR / _sub).mkdir()
    os.environ[_var] = str(_SESSION_DIR / _sub)  # forced, not setdefault: never the user's dirs
# No first-run welcome or resume question in tests (tests of those switch it back on); no device choice.
os.environ["GAN_STUDIO_NO_WELCOME"] = "1"
os.environ.pop("GAN_STUDIO_DEVICE", None)

try:  # keep QSettings inside the session dir too, whatever organization a test uses
    from PySide6.QtCore import QCoreApplication, QSettings

    QCoreApplication.setOrganizationName("GAN Art Studio Tests")
    QCoreApplication.setApplicationName("GAN Art Studio Tests")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    for _scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
        QSettings.setPath(QSettings.Format.IniFormat, _scope, str(_SESSION_DIR / "config"))
except ImportError:  # engine-only environments without Qt still run the engine tests
    pass


def _studio_qthreads() -> list:
    """QThreads started by studio.ui and not yet joined (empty when the UI was never imported)."""
    runner = sys.modules.get("studio.ui.job_runner")
    return runner.live_qthreads() if runner is not None else []


def _extra_threads(before: set[int]) -> list[threading.Thread]:
    return [t for t in threading.enumerate()
            if t.ident not in before and t.is_alive() and not isinstance(t, threading._DummyThread)]


def _process_qt_events() -> None:
    qtcore = sys.modules.get("PySide6.QtCore")
    if qtcore is not None and qtcore.QCoreApplication.instance() is not None:
        qtcore.QCoreApplication.processEvents()


@pytest.fixture(autouse=True)
def no_leaked_threads():
    """Fail a test that leaves Python threads or studio QThreads running (after a short grace)."""
    before = {t.ident for t in threading.enumerate()}
    yield
    deadline = time.monotonic() + 2.0
    while (_extra_threads(before) or _studio_qthreads()) and time.monotonic() < deadline:
        _process_qt_events()  # queued "job done" slots join their finished QThreads
        for t in _extra_threads(before):
            t.join(0.02)
        for q in _studio_qthreads():
            q.wait(20)
    leaked = [t.name for t in _extra_threads(before)]
    leaked_qt = [q.objectName() or repr(q) for q in _studio_qthreads()]
    if leaked_qt:
        _stop_leaked_qthreads()  # so one leak fails one test, not the whole interpreter
    if leaked or leaked_qt:
        pytest.fail(f"test left threads running: python={leaked} qthreads={leaked_qt}")


def _stop_leaked_qthreads() -> None:
    runner = sys.modules["studio.ui.job_runner"]
    for q in runner.live_qthreads():
        token = getattr(q, "token", None)
        if token is not None:
            token.stop()
        q.wait(30_000)
        runner.untrack_thread(q)


def pytest_sessionfinish(session, exitstatus):
    """Empty the clipboard before the interpreter exits: Qt's offscreen clipboard crashes the process at exit
    (exit 139 after "passed") while it still holds an image a test copied."""
    qtgui = sys.modules.get("PySide6.QtGui")
    if qtgui is not None and qtgui.QGuiApplication.instance() is not None:
        qtgui.QGuiApplication.clipboard().clear()
        qtgui.QGuiApplication.processEvents()
