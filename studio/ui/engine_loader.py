"""Import torch and the engine in the background after the window is on screen.

Importing torch takes seconds on a laptop; an artist should see the studio at once, with "Loading
engine…" in the status bar, rather than stare at nothing. The loader is a tiny QThread whose one
"done" signal goes to a bound method of a GUI-thread object; the result is delivered as ``loaded``.
"""

from __future__ import annotations

import importlib
import time
import traceback
from dataclasses import dataclass, field

from PySide6.QtCore import QObject, QThread, Signal

from studio.ui.job_runner import track_thread, untrack_thread

__all__ = ["EngineInfo", "EngineLoader", "PRELOAD_MODULES"]

# Engine modules worth importing before the artist needs them. Missing ones are skipped quietly:
# the engine grows module by module.
PRELOAD_MODULES = (
    "studio.engine.jobs",
    "studio.engine.images",
    "studio.engine.data",
    "studio.engine.runs",
    "studio.engine.gan.models",
    "studio.engine.gan.trainer",
)


@dataclass(frozen=True)
class EngineInfo:
    """What the status bar and About box say about the engine."""

    device: str  # "CPU · 2 threads", "CUDA · NVIDIA H100 80GB HBM3", "Apple MPS"
    torch_version: str
    workspace: str | None  # where runs and artworks are saved, if the engine could say
    seconds: float  # how long loading took
    error: str | None = None  # set when torch itself could not be loaded
    warnings: tuple[str, ...] = field(default_factory=tuple)  # engine modules that failed to import

    @property
    def ok(self) -> bool:
        return self.error is None


def load_engine(modules: tuple[str, ...] = PRELOAD_MODULES) -> EngineInfo:
    """Import torch + engine modules, size torch's thread pool, describe the device. Never raises."""
    t0 = time.perf_counter()
    try:
        import torch

        from studio.engine.device import configure_threads, describe_device

        configure_threads()
        _apply_thread_preference()
        device = describe_device("auto")  # "auto" honours the device chosen in Settings (set_preferred_device)
    except Exception as exc:  # noqa: BLE001 - reported to the artist instead of crashing the app
        return EngineInfo("No compute engine", "unavailable", None, time.perf_counter() - t0,
                          error=f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=3)}")
    warnings: list[str] = []
    for name in modules:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:  # the module exists but something it needs does not
                warnings.append(f"{name}: {exc}")
        except Exception as exc:  # noqa: BLE001
            warnings.append(f"{name}: {type(exc).__name__}: {exc}")
    workspace = None
    try:
        from studio.ui.workspace import workspace_dir as default_workspace  # the artist's choice

        workspace = str(default_workspace())
    except Exception:  # noqa: BLE001 - runs.py may not exist yet; the About box says so
        workspace = None
    return EngineInfo(device, torch.__version__, workspace, time.perf_counter() - t0,
                      warnings=tuple(warnings))


def _apply_thread_preference() -> None:
    """The CPU thread count chosen in Settings (0 = automatic), now that torch is loaded."""
    try:
        from studio.preferences import current_config
        from studio.ui.preferences import apply_threads

        apply_threads(current_config().cpu_threads)
    except Exception:  # noqa: BLE001 - a preference must never stop the engine from loading
        pass


class _LoaderThread(QThread):
    done = Signal()

    def __init__(self, modules: tuple[str, ...]) -> None:
        super().__init__()
        self.modules = modules
        self.result: EngineInfo | None = None
        self.setObjectName("engine-loader")

    def run(self) -> None:
        try:
            self.result = load_engine(self.modules)
        finally:
            self.done.emit()


class EngineLoader(QObject):
    """Start once; ``loaded(EngineInfo)`` arrives in the GUI thread; ``info`` keeps the result."""

    loaded = Signal(object)

    def __init__(self, parent: QObject | None = None, modules: tuple[str, ...] = PRELOAD_MODULES) -> None:
        super().__init__(parent)
        self._modules = modules
        self._thread: _LoaderThread | None = None
        self._info: EngineInfo | None = None

    @property
    def info(self) -> EngineInfo | None:
        return self._info

    def is_running(self) -> bool:
        return self._thread is not None

    def start(self) -> None:
        if self._thread is not None or self._info is not None:
            return
        thread = _LoaderThread(self._modules)
        thread.done.connect(self._on_done)  # bound method of a GUI-thread object: runs in GUI thread
        self._thread = thread
        track_thread(thread)
        thread.start()

    def wait(self, timeout_ms: int = -1) -> bool:
        """Join the loader (an import cannot be interrupted). Delivers ``loaded`` if it just ended."""
        thread = self._thread
        if thread is None:
            return True
        ok = thread.wait() if timeout_ms < 0 else thread.wait(int(timeout_ms))
        if ok:
            self._finish()
        return ok

    def _on_done(self) -> None:
        if self._thread is not None:
            self._thread.wait()
            self._finish()

    def _finish(self) -> None:
        thread = self._thread
        if thread is None:
            return
        self._thread = None
        untrack_thread(thread)
        thread.deleteLater()
        info = thread.result or EngineInfo("No compute engine", "unavailable", None, 0.0,
                                           error="The engine loader ended without a result.")
        self._info = info
        self.loaded.emit(info)
