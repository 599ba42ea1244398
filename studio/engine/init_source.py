"""What a run or exported generator is, read from its JSON alone: enough to say at once whether a new run
can be fine-tuned from it ("Cannot fine-tune from X: network width: 4 there, 16 here").

The same fields ``trainer.load_init_weights`` compares, checked without loading any weights, so the
Train page (and the CLI) can explain a mismatch the moment a source is chosen rather than minutes later.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from studio.engine.errors import StudioError

__all__ = ["ARCH_WORDS", "InitSource", "InitSourceError", "mismatch_text", "mismatches", "read_init_source"]

ARCH_WORDS = {"preset": "model", "width": "network width", "latent_dim": "latent size",
              "channels": "colour", "image_size": "picture size"}


class InitSourceError(StudioError, ValueError):
    """The chosen file or folder cannot be fine-tuned from; the message says why in words."""


@dataclass(frozen=True)
class InitSource:
    path: str  # as the engine takes it (run folder, checkpoint .json or generator .safetensors)
    kind: str  # "run" | "generator"
    name: str  # run folder name or generator file name
    step: int | None
    arch: dict  # preset, width, latent_dim, channels, image_size

    def describe(self) -> str:
        from studio.engine.gan.models import PRESETS

        info = PRESETS.get(str(self.arch.get("preset")))
        model = info.title if info is not None else str(self.arch.get("preset"))
        step = f" at step {self.step:,}" if isinstance(self.step, int) else ""
        what = "Run" if self.kind == "run" else "Generator"
        return f"{what} {self.name}{step} · {model}, width {self.arch.get('width')}"


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InitSourceError(f"{path.name} cannot be read: {exc}") from exc
    if not isinstance(data, dict):
        raise InitSourceError(f"{path.name} is not a GAN Art Studio file")
    return data


def _width(preset: str, width) -> int:
    from studio.engine.gan.models import PRESETS

    if width in (0, None) and preset in PRESETS:
        return int(PRESETS[preset].default_width)
    return int(width or 0)


def read_init_source(path: str | Path) -> InitSource:
    """Describe a run folder, checkpoint .json or exported generator without loading any weights."""
    from studio.engine.gan.checkpoints import CHECKPOINT_FORMAT, GENERATOR_FORMAT
    from studio.engine.runs import RunDir

    src = Path(path).expanduser()
    if not src.exists():
        raise InitSourceError(f"{src} does not exist")
    if src.is_dir() or src.suffix == ".json" and _read_json(src).get("format") == CHECKPOINT_FORMAT:
        run = RunDir(src if src.is_dir() else src.parent.parent)
        if not run.exists():
            raise InitSourceError(f"{run.path.name} is not a training run: it has no config.json")
        ckpt = src if src.suffix == ".json" else run.latest_checkpoint()
        if ckpt is None:
            raise InitSourceError(f"{run.path.name} has no checkpoint yet: train it a few steps first")
        cfg = _read_json(run.config_path)
        step = _read_json(Path(ckpt)).get("step")
        preset = str(cfg.get("preset"))
        arch = {"preset": preset, "width": _width(preset, cfg.get("width")), "latent_dim": cfg.get("latent_dim"),
                "channels": cfg.get("resolved_channels"), "image_size": cfg.get("image_size")}
        return InitSource(str(src), "run", run.path.name, int(step) if step is not None else None, arch)
    meta_path = src.with_suffix(".json")
    if src.suffix not in (".safetensors", ".json") or not meta_path.is_file():
        raise InitSourceError(f"{src.name} is not a run folder or an exported generator "
                              "(a .safetensors file with its .json beside it)")
    meta = _read_json(meta_path)
    if meta.get("format") != GENERATOR_FORMAT:
        raise InitSourceError(f"{src.name} is not a GAN Art Studio run or generator")
    preset = str(meta.get("preset"))
    arch = {"preset": preset, "width": _width(preset, meta.get("width")), "latent_dim": meta.get("latent_dim"),
            "channels": meta.get("channels"), "image_size": meta.get("image_size")}
    step = meta.get("step")
    return InitSource(str(src.with_suffix(".safetensors")), "generator", src.with_suffix(".safetensors").name,
                      int(step) if step is not None else None, arch)


def mismatches(source: InitSource, mine: dict) -> list[str]:
    """How the source's architecture differs from ``mine`` (same keys), in words; [] when it fits.
    A value of None in ``mine`` is not known yet (e.g. colour before pictures are chosen) and not compared."""
    from studio.engine.gan.models import PRESETS

    def show(key: str, value) -> str:
        if key == "preset":
            return PRESETS[value].title if value in PRESETS else str(value)
        if key == "channels":
            return {1: "greyscale", 3: "colour"}.get(int(value or 0), str(value))
        if key == "image_size":
            return f"{value}×{value}"
        return str(value)

    out = []
    for key, word in ARCH_WORDS.items():
        here, there = mine.get(key), source.arch.get(key)
        if here is None or str(here) == str(there):
            continue
        if key == "image_size" and str(mine.get("preset")) != str(source.arch.get("preset")):
            continue  # the model line says it already
        out.append(f"{word}: {show(key, there)} there, {show(key, here)} here")
    return out


def mismatch_text(source: InitSource, problems: list[str]) -> str:
    """The refusal when ``mismatches`` found differences, with what to do."""
    return (f"Cannot fine-tune from {source.name}: fine-tuning needs the same network as the earlier run ("
            + "; ".join(problems) + "). Use “Match its model” or pick another source.")
