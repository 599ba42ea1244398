"""Which torch device the studio computes on, and how to say so to an artist.

One place decides "auto" (CUDA, then Apple MPS, then CPU) so the trainer, the CLI and the status bar
agree, and one place caps torch's CPU threads to the CPUs this process may really use (containers and
``taskset`` often give fewer CPUs than the machine has, and oversubscribed threads are slower).
"""

from __future__ import annotations

import os

import torch

__all__ = ["DEVICE_ENV", "DeviceUnavailable", "configure_threads", "describe_device", "pick_device", "usable_cpus"]

# The studio-wide preference (the GUI sets it from its settings; the engine never reads config files).
# "auto" resolves to it when this machine has it, else to the fastest device as usual.
DEVICE_ENV = "GAN_STUDIO_DEVICE"


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
    limit = usable_cpus()
    if max_threads is not None and max_threads > 0:
        limit = min(limit, max_threads)
    if torch.get_num_threads() > limit:
        torch.set_num_threads(limit)
    return torch.get_num_threads()


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def pick_device(pref: str = "auto") -> torch.device:
    """Resolve a preference ("auto", "cpu", "cuda", "cuda:1", "mps") to a usable device.

    "auto" is the studio-wide preference (``$GAN_STUDIO_DEVICE``) when set and present, else CUDA, then
    Apple MPS, then CPU. An explicit request the machine cannot honour raises
    DeviceUnavailable with a sentence an artist can act on, instead of failing later inside a model.
    """
    pref = (pref or "auto").strip().lower()
    if pref == "auto":
        preferred = os.environ.get(DEVICE_ENV, "").strip().lower()
        if preferred and preferred != "auto":
            try:
                return pick_device(preferred)
            except DeviceUnavailable:
                pass  # e.g. an external GPU that is unplugged today: pick as usual
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


def describe_device(pref: str = "auto") -> str:
    """A short human label: "CPU · 2 threads", "CUDA · NVIDIA H100", "Apple MPS"."""
    dev = pick_device(pref)
    if dev.type == "cuda":
        index = dev.index if dev.index is not None else torch.cuda.current_device()
        name = torch.cuda.get_device_name(index)
        count = torch.cuda.device_count()
        return f"CUDA · {name}" + (f" (+{count - 1} more)" if count > 1 and dev.index is None else "")
    if dev.type == "mps":
        return "Apple MPS"
    threads = torch.get_num_threads()
    return f"CPU · {threads} thread" + ("" if threads == 1 else "s")
