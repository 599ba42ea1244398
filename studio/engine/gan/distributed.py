"""Training over several processes with PyTorch's own machinery: ``torchrun`` starts the processes and
DistributedDataParallel (DDP) averages the gradients. NCCL on CUDA, gloo on CPUs.

How one run is split (the maths is that of one process with the same global batch):

- ``batch_size`` is the *global* batch. Every process draws the global batch's random numbers (data order,
  latents, flips, augmentation) from the run's generators and keeps its own contiguous share of them. So the
  random state is the same in every process and independent of their number: a checkpoint written by 8
  processes resumes on 1 and back, and the data order still follows (seed, epoch) alone.
- Each process's share of a noise batch is distinct (a different slice), and all of it derives from the run
  seed; nothing depends on how many processes there are.
- Losses, D's verdicts and adaptive augmentation's statistics are averaged over the processes, so health checks,
  rollbacks and the augmentation strength are decided identically everywhere.
- BatchNorm: on CUDA, ``SyncBatchNorm`` (on by default) normalises over the global batch. On CPUs PyTorch has
  no SyncBatchNorm, so each process normalises its own share (said in a notice).
- Only rank 0 writes the run folder, under the run lock. Every step ends with one tiny all-reduce in which the
  processes agree whether to stop, so Ctrl+C or SIGTERM on any of them stops all of them at the same step.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn

ENV_KEYS = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")
# how long a collective waits for a silent process before it fails
COLLECTIVE_TIMEOUT_S = 1800  # rank 0 may measure quality for minutes; a dead process closes its sockets at once


class PeerLost(RuntimeError):
    """Another training process stopped answering (it died or was killed)."""


@dataclass
class Dist:
    """This process's place in a distributed run."""

    rank: int
    world: int
    local_rank: int
    backend: str

    @property
    def main(self) -> bool:
        return self.rank == 0

    def device(self, preferred: torch.device) -> torch.device:
        """CUDA: this process's own GPU (LOCAL_RANK); anything else is shared."""
        if preferred.type == "cuda":
            return torch.device("cuda", self.local_rank)
        return preferred

    # -- splitting a global batch
    def share(self, t: torch.Tensor) -> torch.Tensor:
        """This process's contiguous share of a global batch (dim 0); the global size splits evenly."""
        n = t.shape[0] // self.world
        return t[self.rank * n:(self.rank + 1) * n]

    # -- agreeing
    def mean_(self, t: torch.Tensor) -> torch.Tensor:
        """Average ``t`` over the processes, in place."""
        self._call(dist.all_reduce, t, op=dist.ReduceOp.SUM)
        t.div_(self.world)
        return t

    def sum_(self, t: torch.Tensor) -> torch.Tensor:
        self._call(dist.all_reduce, t, op=dist.ReduceOp.SUM)
        return t

    def any(self, flag: bool, device: torch.device) -> bool:
        """True on every process when it is true on any (one tiny all-reduce)."""
        t = torch.tensor([1.0 if flag else 0.0], device=device)
        self._call(dist.all_reduce, t, op=dist.ReduceOp.MAX)
        return bool(t.item() > 0)

    def broadcast_(self, t: torch.Tensor) -> torch.Tensor:
        self._call(dist.broadcast, t, src=0)
        return t

    def broadcast_object(self, obj):
        """Rank 0's small Python object (a path, a few numbers) on every process."""
        box = [obj if self.main else None]
        self._call(dist.broadcast_object_list, box, src=0)
        return box[0]

    def barrier(self) -> None:
        self._call(dist.barrier)

    @staticmethod
    def _call(fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (RuntimeError, dist.DistBackendError) as exc:
            raise PeerLost(f"another training process stopped answering ({str(exc).splitlines()[0][:160]})") \
                from exc

    # -- wrapping
    def wrap(self, module: nn.Module, device: torch.device) -> nn.Module:
        """DDP around ``module``: gradients are averaged over the processes during backward."""
        from torch.nn.parallel import DistributedDataParallel as DDP

        ids = [device.index] if device.type == "cuda" else None
        return DDP(module, device_ids=ids, output_device=device.index if ids else None)

    def close(self) -> None:
        if dist.is_initialized():
            try:
                dist.destroy_process_group()
            except (RuntimeError, ValueError):
                pass


_PEER_WORDS = ("connection closed", "connection reset", "broken pipe", "timed out", "timeout", "nccl", "gloo",
               "peer", "socket", "another training process")


def is_peer_failure(exc: BaseException) -> bool:
    """Whether an error is a collective failing because another process is gone (not a bug in this one)."""
    if isinstance(exc, PeerLost):
        return True
    if not isinstance(exc, RuntimeError):
        return False
    text = str(exc).lower()
    return any(w in text for w in _PEER_WORDS)


def launched_by_torchrun() -> bool:
    return int(os.environ.get("WORLD_SIZE", "1") or 1) > 1


def from_env(device_pref: str = "auto") -> Dist | None:
    """Join the process group torchrun described in the environment; None for a single process."""
    if not launched_by_torchrun():
        return None
    rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    local = int(os.environ.get("LOCAL_RANK", rank))
    use_cuda = device_pref in ("auto", "cuda") and torch.cuda.is_available()
    backend = "nccl" if use_cuda else "gloo"
    if use_cuda:
        torch.cuda.set_device(local)
    if not dist.is_initialized():
        dist.init_process_group(backend, timeout=datetime.timedelta(seconds=COLLECTIVE_TIMEOUT_S))
    return Dist(rank=rank, world=world, local_rank=local, backend=backend)


def uses_batchnorm(*modules: nn.Module) -> bool:
    return any(isinstance(m, nn.modules.batchnorm._BatchNorm) for mod in modules for m in mod.modules())


def sync_batchnorm_possible(device: torch.device) -> bool:
    """PyTorch's SyncBatchNorm runs on GPUs only."""
    return device.type == "cuda"


def split_problem(global_batch: int, world: int) -> str | None:
    """Why a global batch cannot be split over ``world`` processes, or None."""
    if global_batch % world:
        lower = global_batch - global_batch % world
        return (f"The batch of {global_batch} pictures does not split evenly over {world} processes. Pick a batch "
                f"that does ({lower} or {lower + world}), or another number of processes.")
    if global_batch // world < 2:
        return (f"A batch of {global_batch} over {world} processes leaves each fewer than 2 pictures; "
                "use a bigger batch or fewer processes.")
    return None


def resolve_precision(precision: str, device: torch.device, cpu_bf16: bool = False) -> torch.dtype | None:
    """The autocast type for a precision setting on a device; None is full precision (fp32).

    auto: bf16 on GPUs that have it (no loss scaling needed); on a CPU with native bf16 (AVX512-BF16 or AMX) for
    models that train well in it (``cpu_bf16``: the preset's ``PresetInfo.cpu_bf16``); fp32 elsewhere. bf16 on a
    CPU is allowed when asked for. fp16 needs a GPU, and runs with loss scaling."""
    if precision in ("fp32", "", None):
        return None
    from studio.engine.device import fast_bf16

    if precision == "auto":
        if device.type == "cpu":
            return torch.bfloat16 if cpu_bf16 and fast_bf16(device) else None
        return torch.bfloat16 if device.type == "cuda" and fast_bf16(device) else None
    if precision == "bf16":
        if device.type == "cuda" and not fast_bf16(device):
            raise ValueError("This GPU has no bf16; use --precision fp16 (with loss scaling) or fp32")
        return torch.bfloat16
    if precision == "fp16":
        if device.type != "cuda":
            raise ValueError("fp16 training needs a GPU; use --precision bf16 or fp32 on this device")
        return torch.float16
    raise ValueError(f"unknown precision {precision!r}")


def launch_command(nproc: int, argv: list[str]) -> list[str]:
    """The ``torchrun`` command line that runs ``python -m studio <argv>`` in ``nproc`` processes on this machine."""
    import sys

    return [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}",
            "-m", "studio", *argv]
