"""Favourites and timeline entries: how a sample is named, checked, and kept beside its generator.

An *entry* is the small dict the Explore page passes around for one sample: an integer ``seed`` and/or
a ``latent`` (a variation has only its latent) plus a ``label``; a keyframe entry also carries the
segment that leaves it (``frames``, ``easing``, ``interp``, optional ``seconds``, ``wander``). The file
format lives here, not in a widget, so the CLI, the tests and the page read and write the same thing.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

FAVOURITES_FORMAT = "gan-art-studio/favourites"
FAVOURITES_VERSION = 1
KEYFRAME_DEFAULTS = {"frames": 24, "easing": "linear", "interp": "slerp"}

__all__ = ["FAVOURITES_FORMAT", "KEYFRAME_DEFAULTS", "clean_entry", "entry_key", "entry_vector",
           "favourites_document", "favourites_path", "keyframe_entry", "load_favourites", "sample_label",
           "save_favourites", "seed_entry", "valid_entry"]


def _int_seed(value) -> int | None:
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else None


def sample_label(seed: int | None) -> str:
    return f"seed {seed}"


def seed_entry(seed: int) -> dict:
    return {"seed": int(seed), "label": sample_label(int(seed))}


def entry_key(entry: dict) -> int | str | None:
    """What identifies a sample: its seed, or (a variation) a short hash of its latent."""
    latent = entry.get("latent") if isinstance(entry, dict) else None
    if latent:
        return "z:" + hashlib.sha1(np.asarray(latent, dtype=np.float32).tobytes()).hexdigest()[:16]
    return _int_seed(entry.get("seed")) if isinstance(entry, dict) else None


def valid_entry(entry) -> bool:
    """A favourite/keyframe entry names a sample by an integer seed or a list of numbers (its latent)."""
    if not isinstance(entry, dict):
        return False
    latent = entry.get("latent")
    if latent is not None:
        return isinstance(latent, list) and bool(latent) and all(
            isinstance(x, (int, float)) and not isinstance(x, bool) for x in latent)
    return _int_seed(entry.get("seed")) is not None


def clean_entry(entry: dict) -> dict:
    """A favourite as stored: seed and/or latent (a variation has only its latent), and a label."""
    seed = _int_seed(entry.get("seed"))
    out: dict = {"seed": seed, "label": str(entry.get("label") or sample_label(seed))}
    if entry.get("latent"):
        out["latent"] = [float(x) for x in entry["latent"]]
    return out


def keyframe_entry(favourite: dict) -> dict:
    """A favourite turned keyframe. Linear slerp by default: steady motion, so a loop shows no pause at the
    keyframes or the seam."""
    entry = clean_entry(favourite)
    entry.update(KEYFRAME_DEFAULTS)
    return entry


def entry_vector(entry: dict, dim: int):
    """The latent of an entry: its stored latent, else its seed's."""
    from studio.engine.latent.keyframes import Keyframe

    latent = entry.get("latent")
    return Keyframe(seed=entry.get("seed"), latent=[float(x) for x in latent] if latent else None).vector(dim)


def favourites_path(source: Path) -> Path:
    """Favourites live with the generator: ``<run>/favourites.json`` or ``<generator>.favourites.json``."""
    source = Path(source)
    if source.is_dir():
        return source / "favourites.json"
    return source.with_suffix(".favourites.json")


def load_favourites(path: Path) -> list[dict]:
    """The favourites in ``path``; a missing, damaged or foreign file gives none (they are a convenience,
    never a reason to refuse a generator)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    if not isinstance(data, dict) or data.get("format") != FAVOURITES_FORMAT:
        return []
    items = data.get("items", [])
    return [clean_entry(e) for e in items if valid_entry(e)] if isinstance(items, list) else []


def favourites_document(entries: list[dict], generator_sha256: str = "") -> dict:
    return {"format": FAVOURITES_FORMAT, "version": FAVOURITES_VERSION, "generator_sha256": generator_sha256 or "",
            "items": [clean_entry(e) for e in entries]}


def save_favourites(path: Path, entries: list[dict], generator_sha256: str = "") -> None:
    """Write all or nothing (temp file, then rename); raises OSError."""
    from studio.engine.runs import atomic_write_json

    atomic_write_json(path, favourites_document(entries, generator_sha256))
