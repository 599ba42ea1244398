"""Put the artist's preferences (``studio.preferences``) into effect in the GUI process.

``studio.preferences.resolve_runtime`` turns the file into workspace, device and threads — the same
function the CLI uses — and the GUI passes them to the engine as arguments: the workspace through
``studio.ui.workspace.workspace_dir()``, the device through ``studio.engine.device.set_preferred_device``
(what "auto" tries first), threads through torch once it has loaded (``EngineLoader`` applies them
then). Nothing here imports torch, and nothing is handed over through environment variables.
"""

from __future__ import annotations

import os
import sys

from studio.preferences import Config, current_config, resolve_runtime, take_problem

__all__ = ["NO_WELCOME_ENV", "apply_device", "apply_runtime", "apply_threads", "startup_config",
           "startup_questions_allowed"]

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
    apply_runtime(cfg)
    return cfg, problem


def apply_runtime(cfg: Config) -> None:
    """The device choice for the engine's "auto", and threads if torch is loaded (the workspace needs nothing:
    it is read where it is used)."""
    runtime = resolve_runtime(cfg)
    apply_device(runtime.device)
    apply_threads(runtime.cpu_threads)


def apply_device(device: str) -> None:
    """What the engine's "auto" tries first from now on (``auto``: the fastest device)."""
    from studio.engine.device import set_preferred_device  # imports torch only when a device is picked

    set_preferred_device(device)


def apply_threads(threads: int) -> int | None:
    """Use ``threads`` CPU threads (0 = all this process may use). None while torch is not loaded yet."""
    torch = sys.modules.get("torch")
    if torch is None or not hasattr(torch, "set_num_threads"):
        return None
    from studio.engine.device import configure_threads, use_threads

    global _torch_default_threads
    if _torch_default_threads is None:
        _torch_default_threads = torch.get_num_threads()
    if threads and threads > 0:
        return use_threads(threads)
    torch.set_num_threads(_torch_default_threads)  # back from an explicit choice, if there was one
    return configure_threads()


def startup_questions_allowed() -> bool:
    """False when ``$GAN_STUDIO_NO_WELCOME=1`` (tests): no welcome, no resume question."""
    return os.environ.get(NO_WELCOME_ENV) != "1"
