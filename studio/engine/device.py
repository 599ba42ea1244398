"""Which torch device the studio computes on, and how to say so to an artist.

One place decides "auto" (the artist's preferred device when this machine has it, else CUDA, then Apple
MPS, then CPU) so the trainer, the CLI and the status bar agree, and one place caps torch's CPU threads
to the CPUs this process may really use (containers and ``taskset`` often give fewer CPUs than the
machine has, and oversubscribed threads are slower).

The engine never reads the preferences file or the environment for these: the CLI and the GUI resolve
them (``studio.preferences.resolve_runtime``) and pass them in — as ``pick_device(pref, preferred=…)``,
a job's ``device`` setting, ``use_threads(n)``. The GUI, whose pages still ask for plain "auto", records
the Settings choice once with ``set_preferred_device``. torch is imported on first use, so the GUI can
call that before torch has loaded.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

__all__ = ["DeviceUnavailable", "available_or_auto", "configure_threads", "describe_device", "pick_device",
           "preferred_device", "set_preferred_device", "usable_cpus", "use_threads", "fast_bf16"]

_preferred: str = "auto"  # what "auto" tries first in this process (set_preferred_device), "auto" = nothing


class DeviceUnavailable(ValueError):
    """A device was asked for by name but this machine cannot provide it."""


def usable_cpus() -> int:
    """CPUs this process may run on (affinity-aware where the OS tells us)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def configure_threads(max_threads: int | None = None) -> int:
    """Never run more intra-op threads than usable CPUs; returns the thread count now in use.

    Torch defaults to the number of physical cores it sees, which can exceed the CPUs a container or
    affinity mask allows. ``max_threads`` lets a caller (e.g. the CLI's ``--threads``) cap it further.
    """
    import torch

    limit = usable_cpus()
    if max_threads is not None and max_threads > 0:
        limit = min(limit, max_threads)
    if torch.get_num_threads() > limit:
        torch.set_num_threads(limit)
    return torch.get_num_threads()


def use_threads(threads: int) -> int:
    """The artist's CPU-thread preference: exactly ``threads`` (at most the usable CPUs); 0 = automatic."""
    import torch

    if threads and threads > 0:
        torch.set_num_threads(max(1, min(int(threads), usable_cpus())))
        return torch.get_num_threads()
    return configure_threads()


def set_preferred_device(pref: str | None) -> None:
    """Make "auto" try ``pref`` first in this process (the GUI's Settings choice); None/"auto" = fastest."""
    global _preferred
    _preferred = (pref or "auto").strip().lower() or "auto"


def preferred_device() -> str:
    """What "auto" tries first in this process ("auto" when nothing was chosen)."""
    return _preferred


def _mps_available() -> bool:
    import torch

    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def pick_device(pref: str = "auto", preferred: str | None = None) -> torch.device:
    """Resolve a preference ("auto", "cpu", "cuda", "cuda:1", "mps") to a usable device.

    "auto" is ``preferred`` (else the process's ``set_preferred_device`` choice) when this machine has
    it — an external GPU unplugged today is skipped — else CUDA, then Apple MPS, then CPU. An explicit
    request the machine cannot honour raises DeviceUnavailable with a sentence an artist can act on,
    instead of failing later inside a model.
    """
    import torch

    pref = (pref or "auto").strip().lower()
    if pref == "auto":
        wanted = (preferred or _preferred or "auto").strip().lower()
        if wanted and wanted != "auto":
            try:
                return pick_device(wanted)
            except DeviceUnavailable:
                pass
        if torch.cuda.is_available():
            return torch.device("cuda")
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        dev = torch.device(pref)
    except RuntimeError as exc:
        raise DeviceUnavailable(f"Unknown device {pref!r}: use auto, cpu, cuda, cuda:N or mps.") from exc
    if dev.type == "cpu":
        return dev
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise DeviceUnavailable("CUDA was requested but no CUDA GPU is available; use auto or cpu.")
        count = torch.cuda.device_count()
        if dev.index is not None and dev.index >= count:
            raise DeviceUnavailable(f"{pref} was requested but this machine has {count} CUDA GPU(s).")
        return dev
    if dev.type == "mps":
        if not _mps_available():
            raise DeviceUnavailable("Apple MPS was requested but is not available here; use auto or cpu.")
        return dev
    raise DeviceUnavailable(f"Device type {dev.type!r} is not supported by the studio.")


def available_or_auto(pref: str) -> str:
    """``pref`` when this machine has it, else "auto": a saved preference never stops a run by itself."""
    try:
        pick_device(pref)
    except DeviceUnavailable:
        return "auto"
    return (pref or "auto").strip().lower()


def describe_device(pref: str = "auto", preferred: str | None = None) -> str:
    """A short human label: "CPU · 2 threads", "CUDA · NVIDIA H100", "Apple MPS"."""
    import torch

    dev = pick_device(pref, preferred)
    if dev.type == "cuda":
        index = dev.index if dev.index is not None else torch.cuda.current_device()
        name = torch.cuda.get_device_name(index)
        count = torch.cuda.device_count()
        return f"CUDA · {name}" + (f" (+{count - 1} more)" if count > 1 and dev.index is None else "")
    if dev.type == "mps":
        return "Apple MPS"
    threads = torch.get_num_threads()
    return f"CPU · {threads} thread" + ("" if threads == 1 else "s")


def fast_bf16(device: torch.device | str) -> bool:
    """Whether bf16 convolutions run natively (and so about 1.7× faster than fp32) on ``device``."""
    import torch

    device = torch.device(device)
    try:
        if device.type == "cuda":
            return bool(torch.cuda.is_bf16_supported())
        if device.type == "cpu":
            cpu = torch.cpu
            return bool(getattr(cpu, "_is_avx512_bf16_supported", lambda: False)()
                        or getattr(cpu, "_is_amx_tile_supported", lambda: False)())
    except Exception:  # noqa: BLE001 - a probe, never a failure
        return False
    return False
