"""Put the artist's preferences (``studio.config``) into effect in this process.

The engine never reads the config file: it is handed what it needs through environment variables it
already understands (``$GAN_STUDIO_WORKSPACE``, ``$GAN_STUDIO_DEVICE``) and through torch's thread
count once torch is loaded. Nothing here imports torch; thread changes wait until the engine has loaded
it (``EngineLoader`` applies them then).
"""

from __future__ import annotations

import os
import sys

from studio.config import Config, current_config, take_problem

__all__ = ["DEVICE_ENV", "NO_WELCOME_ENV", "apply_device", "apply_threads", "engine_handoff", "startup_config",
           "startup_questions_allowed"]

DEVICE_ENV = "GAN_STUDIO_DEVICE"  # = studio.engine.device.DEVICE_ENV (not imported: that module imports torch)
_torch_default_threads: int | None = None  # torch's own choice, before the studio changed it
NO_WELCOME_ENV = "GAN_STUDIO_NO_WELCOME"  # "1": no welcome and no resume question at startup (tests, kiosks)


def startup_config() -> tuple[Config, str | None]:
    """The preferences for this session and what was wrong with the file (None if nothing)."""
    from studio.ui.workspace import migrate_qsettings_choice

    cfg = current_config()
    problem = take_problem()
    try:
        migrate_qsettings_choice()
    except Exception:  # noqa: BLE001 - an old QSettings entry must never stop the studio
        pass
    engine_handoff(cfg)
    return cfg, problem


def engine_handoff(cfg: Config) -> None:
    """Workspace and device choices where the engine looks for them; threads if torch is loaded."""
    from studio.ui.workspace import handoff_to_engine

    handoff_to_engine(cfg.workspace)
    apply_device(cfg.device)
    apply_threads(cfg.cpu_threads)


def apply_device(device: str) -> None:
    if device and device != "auto":
        os.environ[DEVICE_ENV] = device
    else:
        os.environ.pop(DEVICE_ENV, None)


def apply_threads(threads: int) -> int | None:
    """Use ``threads`` CPU threads (0 = all this process may use). None while torch is not loaded yet."""
    torch = sys.modules.get("torch")
    if torch is None or not hasattr(torch, "set_num_threads"):
        return None
    from studio.engine.device import configure_threads, usable_cpus

    global _torch_default_threads
    if _torch_default_threads is None:
        _torch_default_threads = torch.get_num_threads()
    if threads and threads > 0:
        torch.set_num_threads(max(1, min(int(threads), usable_cpus())))
        return torch.get_num_threads()
    torch.set_num_threads(_torch_default_threads)  # back from an explicit choice, if there was one
    return configure_threads()


def startup_questions_allowed() -> bool:
    """False when ``$GAN_STUDIO_NO_WELCOME=1`` (tests): no welcome, no resume question."""
    return os.environ.get(NO_WELCOME_ENV) != "1"
