"""Checkpoints and exported generators: safetensors for tensors, JSON for everything else.

A checkpoint is two files: ``step_XXXXXXX.safetensors`` (weights, optimizer tensors, RNG states, fixed
latents) and ``step_XXXXXXX.json`` (step, optimizer hyperparameters, data position, the tensor file's
size and SHA-256). Both are written atomically (unique temp names, then rename) and the JSON last, so the
JSON is the commit marker: a crash in the middle of writing leaves the previous checkpoint as the newest
complete one. A checkpoint damaged later (a flipped byte, a truncated copy) fails its checksum; loading
falls back to the newest intact one and says how many steps that costs (``load_newest_intact``).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save
from torch import nn

from studio.engine.errors import StudioError
from studio.engine.runs import RunDir, atomic_write_bytes, atomic_write_json

CKPT_RE = re.compile(r"^step_(\d{7,})\.json$")
WEIGHTS_RE = re.compile(r"^step_(\d{7,})\.safetensors$")
DAMAGED_DIR = "damaged"
# Room kept free beyond the checkpoint's own bytes when deciding whether old checkpoints must go first.
SPACE_MARGIN = 1 << 20
GENERATOR_FORMAT = "gan-art-studio/generator"
CHECKPOINT_FORMAT = "gan-art-studio/checkpoint"


class CheckpointError(StudioError):
    """A checkpoint or generator file that we refuse to load, with the reason in plain words."""


def _flatten_optimizer(prefix: str, opt: torch.optim.Optimizer, tensors: dict[str, torch.Tensor]) -> dict:
    sd = opt.state_dict()
    scalars: dict[str, dict[str, Any]] = {}
    for idx, st in sd["state"].items():
        for key, val in st.items():
            if torch.is_tensor(val):
                tensors[f"{prefix}.state.{idx}.{key}"] = val.detach().cpu().contiguous()
            else:
                scalars.setdefault(str(idx), {})[key] = val
    return {"param_groups": sd["param_groups"], "scalars": scalars}


def _unflatten_optimizer(prefix: str, meta: dict, tensors: dict[str, torch.Tensor]) -> dict:
    state: dict[int, dict[str, Any]] = {}
    head = prefix + ".state."
    for name, val in tensors.items():
        if name.startswith(head):
            idx, key = name[len(head):].split(".", 1)
            state.setdefault(int(idx), {})[key] = val
    for idx, vals in meta.get("scalars", {}).items():
        state.setdefault(int(idx), {}).update(vals)
    return {"state": state, "param_groups": meta["param_groups"]}


def _module_tensors(prefix: str, module: nn.Module, tensors: dict[str, torch.Tensor]) -> None:
    for k, v in module.state_dict().items():
        tensors[f"{prefix}.{k}"] = v.detach().cpu().contiguous()


def _module_state(prefix: str, tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    head = prefix + "."
    return {k[len(head):]: v for k, v in tensors.items() if k.startswith(head)}


def _free_bytes(folder: Path) -> int:
    return shutil.disk_usage(folder).free


def save_checkpoint(ckpt_dir: str | Path, step: int, *, modules: dict[str, nn.Module],
                    optimizers: dict[str, torch.optim.Optimizer], extra_tensors: dict[str, torch.Tensor],
                    state: dict, keep: int = 3) -> Path:
    """Write one checkpoint atomically, keeping the newest ``keep``.

    Old checkpoints normally go after the new one is safely written; when the disk has no room for one
    more, the oldest go first — but never the newest intact one, so a failed write still leaves a run
    that resumes."""
    ckpt_dir = Path(ckpt_dir)
    ckpt_dir.mkdir(parents=True, exist_ok=True)
    tensors: dict[str, torch.Tensor] = {}
    for name, mod in modules.items():
        _module_tensors(f"model.{name}", mod, tensors)
    opt_meta = {name: _flatten_optimizer(f"optim.{name}", opt, tensors) for name, opt in optimizers.items()}
    for name, t in extra_tensors.items():
        tensors[f"extra.{name}"] = t.detach().cpu().contiguous()
    blob = save(tensors, metadata={"format": CHECKPOINT_FORMAT})
    weights = ckpt_dir / f"step_{step:07d}.safetensors"
    meta = {
        "format": CHECKPOINT_FORMAT, "version": 1, "step": step, "weights": weights.name,
        "weights_bytes": len(blob), "weights_sha256": hashlib.sha256(blob).hexdigest(),
        "optimizers": opt_meta, "state": state,
    }
    meta_size = len(json.dumps(meta, indent=2, sort_keys=True).encode("utf-8"))
    _make_room(ckpt_dir, len(blob) + meta_size + SPACE_MARGIN, exclude=step)
    path = ckpt_dir / f"step_{step:07d}.json"
    atomic_write_bytes(weights, blob)
    try:
        atomic_write_json(path, meta)
    except BaseException:
        try:  # weights without their JSON are never used; do not leave megabytes behind
            weights.unlink()
        except OSError:
            pass
        raise
    _prune(ckpt_dir, keep)
    return path


def _make_room(ckpt_dir: Path, need: int, exclude: int) -> None:
    """Delete the oldest checkpoints until ``need`` bytes are free, sparing the newest intact one."""
    try:
        if _free_bytes(ckpt_dir) >= need:
            return
    except OSError:
        return
    found = [(s, p) for s, p in _complete_checkpoints(ckpt_dir) if s != exclude]
    spare = None
    for _s, p in reversed(found):  # newest first: the first that verifies is the one to keep
        try:
            load_checkpoint(p, verify=True, tensors=False)
        except CheckpointError:
            continue
        spare = p
        break
    for _, p in found:
        if p == spare:
            continue
        _remove_checkpoint(p)
        try:
            if _free_bytes(ckpt_dir) >= need:
                return
        except OSError:
            return


def _remove_checkpoint(p: Path) -> None:
    for f in (p.with_suffix(".safetensors"), p):
        try:
            f.unlink()
        except OSError:
            pass


def checkpoint_candidates(ckpt_dir: str | Path) -> list[tuple[int, Path]]:
    """Every committed checkpoint (``step_*.json``) by step, oldest first, without looking inside."""
    ckpt_dir = Path(ckpt_dir)
    if not ckpt_dir.is_dir():
        return []
    return sorted((int(m.group(1)), p) for p in ckpt_dir.iterdir() if (m := CKPT_RE.match(p.name)))


def _complete_checkpoints(ckpt_dir: Path) -> list[tuple[int, Path]]:
    found = []
    for step, p in checkpoint_candidates(ckpt_dir):
        try:
            meta = json.loads(p.read_text(encoding="utf-8"))
            weights = ckpt_dir / meta["weights"]
            if weights.stat().st_size != meta["weights_bytes"]:
                continue
        except (OSError, ValueError, KeyError, TypeError):
            continue
        found.append((step, p))
    return found


def _prune(ckpt_dir: Path, keep: int) -> None:
    for _, p in _complete_checkpoints(ckpt_dir)[:-keep]:
        _remove_checkpoint(p)


def remove_orphan_weights(ckpt_dir: str | Path) -> list[Path]:
    """Weights whose JSON was never written (the process died between the two): never loadable, so deleted.
    Only the run's owner may call this (a live writer's weights precede its JSON by a moment)."""
    ckpt_dir = Path(ckpt_dir)
    removed = []
    if not ckpt_dir.is_dir():
        return removed
    for p in ckpt_dir.iterdir():
        if WEIGHTS_RE.match(p.name) and not p.with_suffix(".json").exists():
            try:
                p.unlink()
                removed.append(p)
            except OSError:
                pass
    return removed


def latest_checkpoint(ckpt_dir: str | Path) -> Path | None:
    """The newest checkpoint whose JSON parses and whose tensor file is complete."""
    found = _complete_checkpoints(Path(ckpt_dir))
    return found[-1][1] if found else None


class LoadedCheckpoint:
    def __init__(self, meta: dict, tensors: dict[str, torch.Tensor]) -> None:
        self.meta = meta
        self.tensors = tensors

    @property
    def step(self) -> int:
        return int(self.meta["step"])

    @property
    def state(self) -> dict:
        return self.meta.get("state", {})

    def module_state(self, name: str) -> dict[str, torch.Tensor]:
        return _module_state(f"model.{name}", self.tensors)

    def optimizer_state(self, name: str) -> dict:
        return _unflatten_optimizer(f"optim.{name}", self.meta["optimizers"][name], self.tensors)

    def extra(self, name: str) -> torch.Tensor:
        return self.tensors[f"extra.{name}"]


def load_checkpoint(path: str | Path, verify: bool = True, tensors: bool = True) -> LoadedCheckpoint:
    """Read one checkpoint; CheckpointError (in words) when it is unreadable, incomplete or damaged.
    ``tensors=False`` only checks (the weights stay unparsed)."""
    path = Path(path)
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"Cannot read checkpoint {path.name}: it is missing or damaged",
                              details=str(exc)) from exc
    if not isinstance(meta, dict) or meta.get("format") != CHECKPOINT_FORMAT or not isinstance(meta.get("weights"), str):
        raise CheckpointError(f"{path.name} is not a GAN Art Studio checkpoint")
    from studio.engine.schema import CHECKPOINT_JSON, validate
    meta = validate(meta, CHECKPOINT_JSON, path.name, CheckpointError)  # types; "weights" a plain file name
    weights = path.parent / meta["weights"]
    try:
        blob = weights.read_bytes()
    except OSError as exc:
        raise CheckpointError(f"Checkpoint weights missing: {weights.name}") from exc
    if meta.get("weights_bytes") is not None and len(blob) != meta["weights_bytes"]:
        raise CheckpointError(f"Checkpoint {weights.name} is damaged (truncated: {len(blob):,} of "
                              f"{meta['weights_bytes']:,} bytes)")
    if verify and hashlib.sha256(blob).hexdigest() != meta.get("weights_sha256"):
        raise CheckpointError(f"Checkpoint {weights.name} is damaged (checksum mismatch)")
    from safetensors.torch import load

    if not tensors:
        return LoadedCheckpoint(meta, {})
    try:
        return LoadedCheckpoint(meta, load(blob))
    except Exception as exc:  # noqa: BLE001 - safetensors raises several types for damaged files
        raise CheckpointError(f"Checkpoint {weights.name} is damaged (unreadable tensors)", details=str(exc)) from exc


@dataclass
class IntactCheckpoint:
    """The newest checkpoint that passed its checks, and the newer ones that did not."""

    path: Path | None
    checkpoint: LoadedCheckpoint | None
    damaged: list[tuple[int, Path, str]] = field(default_factory=list)  # (step, json path, reason), newest first

    @property
    def step(self) -> int:
        return self.checkpoint.step if self.checkpoint is not None else 0

    @property
    def steps_lost(self) -> int:
        return max((s for s, _, _ in self.damaged), default=self.step) - self.step if self.damaged else 0

    def fallback_text(self) -> str | None:
        """One sentence for the artist when damaged checkpoints were passed over, else None."""
        if not self.damaged:
            return None
        names = ", ".join(f"step {s:,}" for s, _, _ in self.damaged)
        reason = self.damaged[0][2]
        if self.checkpoint is None:
            return f"Every checkpoint of this run is damaged ({names}; {reason})."
        lost = self.steps_lost
        return (f"The newest checkpoint ({names}) is damaged ({reason}); continuing from the intact one at step "
                f"{self.step:,}: {lost:,} step{'s' if lost != 1 else ''} lost.")


def load_newest_intact(ckpt_dir: str | Path) -> IntactCheckpoint:
    """Newest first, the first checkpoint whose checksum and tensors check out; the damaged ones are listed."""
    damaged = []
    for step, p in reversed(checkpoint_candidates(ckpt_dir)):
        try:
            loaded = load_checkpoint(p, verify=True)
        except CheckpointError as exc:
            damaged.append((step, p, _reason(exc)))
            continue
        return IntactCheckpoint(p, loaded, damaged)
    return IntactCheckpoint(None, None, damaged)


def _reason(exc: CheckpointError) -> str:
    text = str(exc)
    m = re.search(r"\(([^()]*)\)$", text)
    return m.group(1) if m else text.rstrip(".")


def set_aside_damaged(found: IntactCheckpoint) -> list[Path]:
    """Move the damaged checkpoints newer than the one resumed into ``checkpoints/damaged/``: they belong to a
    timeline that is gone, must not count as the newest any more, and are kept rather than deleted."""
    moved = []
    for _, p, _ in found.damaged:
        target = p.parent / DAMAGED_DIR
        target.mkdir(exist_ok=True)
        for f in (p.with_suffix(".safetensors"), p):
            if f.exists():
                try:
                    os.replace(f, target / f.name)
                    moved.append(target / f.name)
                except OSError:
                    pass
    return moved


# ---------------------------------------------------------------- exported generators

def export_generator(source: str | Path, out_path: str | Path, use_ema: bool = True) -> Path:
    """Write the generator of a run (its newest checkpoint) as ``out.safetensors`` + ``out.json``, with its critic
    as ``out.critic`` (``critic.export_critic``: D, the kinds' looks, the near-copy features) where the checkpoint
    keeps a discriminator, so an exported generator can choose its best samples too. The files replace earlier
    ones together or not at all (``export.FileSet``).

    The EMA weights are exported when the run has them (cleaner pictures), unless ``use_ema`` is False
    (the raw/EMA switch); the JSON says which (``weights``: "ema" | "raw")."""
    source = Path(source)
    if source.is_dir():
        run = RunDir(source)
        found = load_newest_intact(run.checkpoints_dir)
        if found.checkpoint is None:
            if found.damaged:
                raise CheckpointError(f"The run {source.name} cannot be exported: {found.fallback_text()}")
            raise CheckpointError(f"The run {source.name} has no checkpoint yet; train a few steps first")
        config = run.read_config()
        ckpt_path, ckpt = found.path, found.checkpoint
    else:
        ckpt_path = source
        config = RunDir(source.parent.parent).read_config()
        ckpt = load_checkpoint(ckpt_path)
    ema = ckpt.module_state("G_ema") if use_ema else {}
    weights = ema or ckpt.module_state("G")
    out_path = Path(out_path)
    if out_path.suffix != ".safetensors":
        out_path = out_path.with_suffix(".safetensors")
    blob = save(weights, metadata={"format": GENERATOR_FORMAT})
    meta = {
        "format": GENERATOR_FORMAT, "version": 1,
        "preset": config["preset"], "latent_dim": config["latent_dim"], "channels": config["resolved_channels"],
        "image_size": config["image_size"], "width": config["width"], "step": ckpt.step,
        "run": str(Path(ckpt_path).parent.parent), "weights_sha256": hashlib.sha256(blob).hexdigest(),
        "seed": config.get("seed"), "weights": "ema" if ema else "raw",
    }
    from studio.engine.gan.models import generator_kinds, generator_msg

    msg = generator_msg(str(config["preset"]), weights)
    if msg is not None:
        meta["msg"] = msg  # informative: loading reads it from the weights
    kinds = generator_kinds(weights)
    if kinds:
        meta["kinds"] = kinds  # informative too
    from studio.engine.export import FileSet, recover_interrupted_saves
    from studio.engine.gan.critic import critic_file, export_critic

    critic = export_critic(ckpt, config, Path(ckpt_path).parent.parent)
    recover_interrupted_saves(out_path.parent)
    files = FileSet(out_path.parent, out_path.name)
    files.stage(out_path, blob)
    if critic is not None:
        files.stage(critic_file(out_path), critic[0])
        meta["critic"] = {"file": critic_file(out_path).name, **critic[1]}
    else:
        files.remove(critic_file(out_path))  # an earlier export's critic would not fit these weights
    files.stage(out_path.with_suffix(".json"), json.dumps(meta, indent=2, sort_keys=True).encode("utf-8"))
    files.commit()
    return out_path


def load_generator(path: str | Path, device: str | torch.device = "cpu") -> tuple[nn.Module, dict]:
    """Load an exported generator; refuses anything that is not our safetensors + JSON pair."""
    from studio.engine.gan.models import PRESETS, build_generator, generator_shape

    path = Path(path)
    if path.suffix == ".json":
        path = path.with_suffix(".safetensors")
    meta_path = path.with_suffix(".json")
    if path.suffix != ".safetensors":
        raise CheckpointError(f"{path.name}: only GAN Art Studio generators (.safetensors + .json) can be opened")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"{path.name}: its description {meta_path.name} is missing or unreadable") from exc
    if not isinstance(meta, dict) or meta.get("format") != GENERATOR_FORMAT:
        raise CheckpointError(f"{meta_path.name} does not describe a GAN Art Studio generator")
    if meta.get("preset") not in PRESETS:
        raise CheckpointError(f"{path.name}: unknown architecture {meta.get('preset')!r}")
    try:
        weights = load_file(str(path))
    except Exception as exc:  # noqa: BLE001 - safetensors raises several types for damaged files
        raise CheckpointError(f"{path.name} is damaged or not a safetensors file ({exc})") from exc
    try:
        g = build_generator(meta["preset"], int(meta["channels"]), int(meta["latent_dim"]), int(meta["width"]),
                            int(meta["image_size"]), **generator_shape(meta["preset"], weights))
        g.load_state_dict(weights)
    except (RuntimeError, ValueError) as exc:
        raise CheckpointError(f"{path.name}: weights do not match the described architecture") from exc
    return g.to(device).eval(), meta
