"""One declarative check per JSON format the studio reads, so a bad file is refused in words, not a traceback.

Every JSON that reaches the engine from disk — a walk recipe, a style recipe, a run's ``config.json``, a
checkpoint's or an exported generator's description, the favourites — passes through :func:`validate`
at its reader's entry. A refusal names the file and the field and says what the field must be
("walk.gif.json: output.size must be a whole number between 16 and 4096, not 'big'"), before the value
can cost memory or time. The specs are small objects in tables rather than a dependency: the formats are
few and the messages matter more than the generality.

Also here, because it needs no torch: :func:`read_json_file` (size-limited) and
:func:`read_safetensors_header`, which reads a weights file's table of tensors without loading them.

Imports neither torch nor Qt.
"""

from __future__ import annotations

import json
import math
import re
import struct
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from studio.engine.errors import StudioError
from studio.engine.gan.config import MAX_MINUTES

__all__ = [
    "SchemaError", "Spec", "Int", "Num", "Str", "Bool", "Enum", "Const", "List", "Obj", "Map", "Opt", "Anything",
    "validate", "read_json_file", "read_safetensors_header", "safetensors_dtype_size",
    "WALK_RECIPE", "WALK_OUTPUT", "TIMELINE", "STYLE_RECIPE", "STYLE_SETTINGS", "RUN_CONFIG", "CHECKPOINT_JSON",
    "GENERATOR_JSON", "FAVOURITES", "MAX_LATENT_DIM", "MAX_FRAMES", "MAX_SIDE", "MAX_JSON_BYTES",
]

MAX_JSON_BYTES = 64 << 20  # a recipe with every latent of a long timeline is a few MB; 64 MB is not a recipe
MAX_LATENT_DIM = 4096
MAX_FRAMES = 100_000  # frames of one walk (about 70 min at 24 fps); memory is checked separately
MAX_SIDE = 4096  # pixels, one side of an exported frame
MAX_KEYFRAMES = 10_000
MAX_HEADER_BYTES = 100 << 20  # safetensors' own limit for the table of tensors


class SchemaError(StudioError, ValueError):
    """A JSON file whose content does not have the shape the studio expects; the message names file and field."""


def _show(value: Any) -> str:
    """A value as the artist wrote it, short: 'big', 1e+300, NaN, a list of 3 items."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, list):
        return f"a list of {len(value)} item{'s' if len(value) != 1 else ''}"
    if isinstance(value, dict):
        return "an object"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "…"


def _num_text(x: float) -> str:
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else f"{x:g}"


class Spec:
    """What one field must be. ``check`` returns the value (maybe normalised) or raises via ``fail``."""

    def describe(self) -> str:
        raise NotImplementedError

    def check(self, value: Any, where: str, fail) -> Any:
        raise NotImplementedError


class Anything(Spec):
    def describe(self) -> str:
        return "anything"

    def check(self, value, where, fail):
        return value


class Int(Spec):
    def __init__(self, lo: int | None = None, hi: int | None = None) -> None:
        self.lo, self.hi = lo, hi

    def describe(self) -> str:
        if self.lo is not None and self.hi is not None:
            return f"a whole number between {self.lo} and {self.hi}"
        if self.lo is not None:
            return f"a whole number of at least {self.lo}"
        if self.hi is not None:
            return f"a whole number of at most {self.hi}"
        return "a whole number"

    def check(self, value, where, fail):
        if isinstance(value, float) and math.isfinite(value) and value.is_integer():
            value = int(value)  # 24.0 in a hand-edited file means 24
        if isinstance(value, bool) or not isinstance(value, int):
            fail(where, self, value)
        if (self.lo is not None and value < self.lo) or (self.hi is not None and value > self.hi):
            fail(where, self, value)
        return value


class Num(Spec):
    """A finite number (NaN and infinities are always refused) within [lo, hi]; ``lo_open`` makes lo exclusive."""

    def __init__(self, lo: float | None = None, hi: float | None = None, lo_open: bool = False) -> None:
        self.lo, self.hi, self.lo_open = lo, hi, lo_open

    def describe(self) -> str:
        if self.lo is not None and self.hi is not None:
            if self.lo_open:
                return f"a number above {_num_text(self.lo)} and at most {_num_text(self.hi)}"
            return f"a number between {_num_text(self.lo)} and {_num_text(self.hi)}"
        if self.lo is not None:
            return f"a number above {_num_text(self.lo)}" if self.lo_open else f"a number of at least {_num_text(self.lo)}"
        if self.hi is not None:
            return f"a number of at most {_num_text(self.hi)}"
        return "a finite number"

    def check(self, value, where, fail):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            fail(where, self, value)
        try:
            x = float(value)
        except OverflowError:  # a huge JSON integer
            fail(where, self, value)
        if not math.isfinite(x):
            fail(where, self, value)
        if self.lo is not None and (x <= self.lo if self.lo_open else x < self.lo):
            fail(where, self, value)
        if self.hi is not None and x > self.hi:
            fail(where, self, value)
        return value


class Str(Spec):
    def __init__(self, max_len: int = 4096, pattern: str | None = None, what: str = "") -> None:
        self.max_len = max_len
        self.pattern = re.compile(pattern) if pattern else None
        self.what = what

    def describe(self) -> str:
        return self.what or f"text of at most {self.max_len} characters"

    def check(self, value, where, fail):
        if not isinstance(value, str) or len(value) > self.max_len:
            fail(where, self, value)
        if self.pattern is not None and not self.pattern.fullmatch(value):
            fail(where, self, value)
        if "\x00" in value:
            fail(where, self, value)
        return value


class Bool(Spec):
    def describe(self) -> str:
        return "true or false"

    def check(self, value, where, fail):
        if not isinstance(value, bool):
            fail(where, self, value)
        return value


class Enum(Spec):
    def __init__(self, *choices: Any) -> None:
        self.choices = choices

    def describe(self) -> str:
        shown = [c if isinstance(c, str) else _show(c) for c in self.choices]
        return "one of " + ", ".join(shown)

    def check(self, value, where, fail):
        if not any(_same_kind(value, c) and value == c for c in self.choices):
            fail(where, self, value)
        return value


def _same_kind(value: Any, choice: Any) -> bool:
    """JSON's kinds: true is not 1, 1.0 is 1, "1" is not 1."""
    if isinstance(choice, bool) or isinstance(value, bool):
        return isinstance(choice, bool) and isinstance(value, bool)
    if isinstance(choice, (int, float)):
        return isinstance(value, (int, float))
    return type(value) is type(choice)


class Const(Enum):
    def describe(self) -> str:
        return repr(self.choices[0])


class Opt(Spec):
    """``spec`` or null."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec

    def describe(self) -> str:
        return self.spec.describe() + " or null"

    def check(self, value, where, fail):
        return None if value is None else self.spec.check(value, where, fail)


class List(Spec):
    def __init__(self, item: Spec, min_len: int = 0, max_len: int = 10_000) -> None:
        self.item, self.min_len, self.max_len = item, min_len, max_len

    def describe(self) -> str:
        if self.min_len:
            return f"a list of {self.min_len} to {self.max_len} items"
        return f"a list of at most {self.max_len} items"

    def check(self, value, where, fail):
        if not isinstance(value, list) or not self.min_len <= len(value) <= self.max_len:
            fail(where, self, value)
        return [self.item.check(v, f"{where}[{i}]", fail) for i, v in enumerate(value)]


class Map(Spec):
    """An object with free keys (text) and one kind of value, e.g. layer name → weight."""

    def __init__(self, value: Spec, max_len: int = 256) -> None:
        self.value, self.max_len = value, max_len

    def describe(self) -> str:
        return f"an object of at most {self.max_len} entries"

    def check(self, value, where, fail):
        if not isinstance(value, dict) or len(value) > self.max_len:
            fail(where, self, value)
        return {k: self.value.check(v, _join(where, str(k)), fail) for k, v in value.items()}


class Obj(Spec):
    """An object with named fields: ``fields`` maps name → spec; names in ``required`` must be present.

    Unknown fields are kept unchecked (newer studios add fields; older readers ignore them)."""

    def __init__(self, fields: Mapping[str, Spec], required: tuple[str, ...] = ()) -> None:
        self.fields = dict(fields)
        self.required = required

    def describe(self) -> str:
        return "an object"

    def check(self, value, where, fail):
        if not isinstance(value, dict):
            fail(where, self, value)
        out = dict(value)
        for name in self.required:
            if name not in value:
                fail(_join(where, name), None, _MISSING)
        for name, spec in self.fields.items():
            if name in value:
                out[name] = spec.check(value[name], _join(where, name), fail)
        return out


_MISSING = object()


def _join(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


def validate(data: Any, schema: Spec, file: str | Path, error: type[StudioError] = SchemaError) -> Any:
    """``data`` checked against ``schema``; raises ``error`` naming ``file`` (its name) and the first bad field.

    ``error`` lets a reader keep its own refusal type (a StyleError for a style recipe, a CheckpointError for
    a checkpoint) while the sentence stays the same."""
    name = Path(file).name if str(file) else "the file"

    def fail(where: str, spec: Spec | None, value: Any) -> None:
        if value is _MISSING:
            raise error(f"{name}: {where} is missing")
        if not where:
            raise error(f"{name} must hold {spec.describe()}, not {_show(value)}")
        raise error(f"{name}: {where} must be {spec.describe()}, not {_show(value)}")

    return schema.check(data, "", fail)


def read_json_file(path: str | Path, schema: Spec | None = None, error: type[StudioError] = SchemaError,
                   max_bytes: int = MAX_JSON_BYTES, what: str = "file") -> Any:
    """Parse a JSON file of at most ``max_bytes`` (then validate it): refusals in words, never a traceback."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise error(f"{path.name} is {size / 1e6:.0f} MB, too large for a {what} (at most "
                        f"{max_bytes / 1e6:.0f} MB); it is probably not one")
        text = path.read_bytes().decode("utf-8")
        data = json.loads(text, parse_constant=_refuse_constant)
    except StudioError:
        raise
    except FileNotFoundError as exc:
        raise error(f"{path.name} is missing") from exc
    except OSError as exc:
        raise error(f"Cannot read {path.name}: {exc.strerror or exc}") from exc
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise error(f"{path.name} is not a readable JSON {what} ({_short(exc)})") from exc
    return validate(data, schema, path.name, error) if schema is not None else data


def _refuse_constant(name: str) -> float:
    return float(name)  # kept: the schema names the field holding NaN/Infinity, which says more


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 120 else text[:117] + "…"


# ------------------------------------------------------------------------------------------- safetensors

_DTYPE_BYTES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1,
                "BOOL": 1, "U16": 2, "U32": 4, "U64": 8, "F8_E4M3": 1, "F8_E5M2": 1}


def safetensors_dtype_size(dtype: str) -> int | None:
    return _DTYPE_BYTES.get(dtype)


def read_safetensors_header(path: str | Path, error: type[StudioError] = SchemaError) -> dict[str, tuple[str, tuple]]:
    """name → (dtype, shape) from a safetensors file's table, without reading the tensors.

    Checked: the table's length fits the file, each tensor's byte range lies inside the data and matches
    its dtype and shape, and ranges do not overlap — so a crafted header cannot promise more memory than
    the file holds."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            size = path.stat().st_size
            head = fh.read(8)
            if len(head) < 8:
                raise error(f"{path.name} is too short to be a weights file")
            (n,) = struct.unpack("<Q", head)
            if n < 2 or n > min(MAX_HEADER_BYTES, size - 8):
                raise error(f"{path.name} is damaged or not a safetensors weights file (bad header length)")
            raw = fh.read(n)
    except StudioError:
        raise
    except OSError as exc:
        raise error(f"Cannot read {path.name}: {exc.strerror or exc}") from exc
    try:
        table = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise error(f"{path.name} is damaged or not a safetensors weights file (unreadable header)") from exc
    if not isinstance(table, dict):
        raise error(f"{path.name} is damaged or not a safetensors weights file")
    data_bytes = size - 8 - n
    out: dict[str, tuple[str, tuple]] = {}
    spans = []
    for name, entry in table.items():
        if name == "__metadata__":
            continue
        bad = f"{path.name} is damaged: its entry for tensor {name[:60]!r} is inconsistent"
        if not isinstance(entry, dict):
            raise error(bad)
        dtype, shape, offsets = entry.get("dtype"), entry.get("shape"), entry.get("data_offsets")
        width = _DTYPE_BYTES.get(dtype) if isinstance(dtype, str) else None
        if (width is None or not isinstance(shape, list) or len(shape) > 8
                or not all(isinstance(d, int) and not isinstance(d, bool) and 0 <= d < 1 << 40 for d in shape)
                or not isinstance(offsets, list) or len(offsets) != 2
                or not all(isinstance(o, int) and not isinstance(o, bool) for o in offsets)):
            raise error(bad)
        begin, end = offsets
        count = math.prod(shape)
        if not 0 <= begin <= end <= data_bytes or end - begin != count * width:
            raise error(bad)
        spans.append((begin, end))
        out[name] = (dtype, tuple(shape))
    spans.sort()
    for (_, e1), (b2, _) in zip(spans, spans[1:], strict=False):
        if b2 < e1:
            raise error(f"{path.name} is damaged: two tensors share the same bytes")
    return out


# ------------------------------------------------------------------------------------------------ schemas

_HEX64 = Str(64, r"[0-9a-f]{64}", "a SHA-256 (64 hexadecimal digits)")
_HEX_OR_EMPTY = Str(64, r"([0-9a-f]{64})?", "a SHA-256 (64 hexadecimal digits) or empty")
_SEED = Int(-(1 << 63), (1 << 64) - 1)
_FILE_NAME = Str(255, r"[^/\\\x00]+", "a plain file name (no folders)")
_LATENT = List(Num(-1e6, 1e6), 1, MAX_LATENT_DIM)

KEYFRAME = Obj({"seed": Opt(_SEED), "latent": Opt(_LATENT), "label": Str(1000)})
SEGMENT = Obj({"frames": Int(1, MAX_FRAMES), "easing": Str(64), "interp": Enum("slerp", "lerp"),
               "seconds": Opt(Num(0, 3600, lo_open=True))}, required=("frames",))
WANDER = Obj({"keyframe": Int(0, MAX_KEYFRAMES), "radius": Num(0, 2), "frames": Int(2, MAX_FRAMES),
              "seed": _SEED})
TIMELINE = Obj({
    "format": Str(64), "version": Int(1, 1000),
    "keyframes": List(KEYFRAME, 1, MAX_KEYFRAMES), "segments": List(SEGMENT, 0, MAX_KEYFRAMES),
    "loop": Bool(), "fps": Num(0, 240, lo_open=True), "truncation": Num(0, 2),
    "latent_dim": Opt(Int(1, MAX_LATENT_DIM)), "wander": Opt(WANDER),
}, required=("keyframes", "segments"))
WALK_GRID = Obj({"cells": Int(1, 64), "columns": Opt(Int(1, 64)), "padding": Int(0, 64), "mode": Str(32),
                 "size": Opt(Int(16, MAX_SIDE))})
WALK_OUTPUT = Obj({
    "path": Str(), "frames": Int(1, MAX_FRAMES), "fps": Num(0, 240, lo_open=True), "seconds": Num(0),
    "format": Enum("gif", "mp4", "png-sequence", "sprite-sheet"), "size": Opt(Int(16, MAX_SIDE)),
    "resample": Enum("nearest", "bilinear", "bicubic", "lanczos", "box"), "gif_loop": Int(-1, 65535),
    "palette_colors": Int(2, 256), "dither": Bool(), "sheet_columns": Opt(Int(1, 1024)), "grid": Opt(WALK_GRID),
    "easing": List(Str(64), 0, 64), "interp": List(Str(64), 0, 64),
})
WALK_GENERATOR = Obj({"path": Str(), "sha256": _HEX_OR_EMPTY, "preset": Str(64),
                      "latent_dim": Int(1, MAX_LATENT_DIM), "image_size": Int(1, MAX_SIDE), "step": Opt(Int(0)),
                      "weights": Enum("ema", "raw"), "has_ema": Bool()}, required=("path",))
WALK_RECIPE = Obj({"format": Const("gan-art-studio/walk"), "version": Int(1, 1000), "studio_version": Str(64),
                   "created": Str(64), "generator": WALK_GENERATOR, "timeline": TIMELINE,
                   "output": WALK_OUTPUT}, required=("format", "generator", "timeline"))

_WEIGHT = Num(0, 1e12)
STYLE_SETTINGS = Obj({
    "size": Int(16, 16384), "iterations": Int(1, 1_000_000), "optimizer": Str(32), "lr": Num(0, 1e3, lo_open=True),
    "init": Str(32), "noise": Num(0, 10), "seed": _SEED, "content_weight": _WEIGHT, "style_weight": _WEIGHT,
    "tv_weight": _WEIGHT, "content_layers": Map(_WEIGHT, 64), "style_layers": Map(_WEIGHT, 64),
    "style_blend": Opt(List(Num(0, 1e6), 0, 64)), "style_scale": Num(0, 16, lo_open=True), "colors": Str(32),
    "scales": Opt(List(Int(16, 16384), 1, 16)), "scale_iterations": Opt(List(Int(0, 1_000_000), 1, 16)),
    "min_scale": Int(16, 16384), "center_crop": Bool(), "backbone": Str(64), "vgg19_path": Opt(Str()),
    "pooling": Enum("max", "avg"), "device": Str(32), "preview_every_s": Num(0, 3600), "timelapse_frames": Int(0, 10_000),
    "timelapse_side": Int(16, 4096), "keep_on_stop": Bool(), "lbfgs_history": Int(1, 10_000), "precision": Str(16),
    "keep_look": Bool(), "look_weight": _WEIGHT, "normalize": Bool(),
})
STYLE_RECIPE = Obj({"kind": Str(64), "content": Str(), "styles": List(Str(), 0, 64),
                    "style_blend": List(Num(0, 1e6), 0, 64), "settings": Opt(STYLE_SETTINGS),
                    "mask_files": Opt(Obj({"style": List(Opt(_FILE_NAME), 0, 64),
                                           "regions": Opt(List(_FILE_NAME, 0, 64))}))}, required=("kind",))

_POS_RATE = Num(0, 10, lo_open=True)
PRECISIONS = ("auto", "fp32", "bf16", "fp16")
RUN_CONFIG = Obj({
    "data": Str(1 << 24), "preset": Str(64), "width": Int(0, 4096), "latent_dim": Int(1, MAX_LATENT_DIM),
    "batch_size": Int(1, 65536), "lr_g": _POS_RATE, "lr_d": _POS_RATE, "beta1": Num(0, 1), "beta2": Num(0, 1),
    "loss": Str(32), "d_steps": Int(1, 100), "skip_d_below": Num(0), "seed": _SEED, "steps": Int(0, 1 << 40),
    "fit": Enum("crop", "pad", "stretch"), "hflip": Bool(), "channels": Enum(0, 1, 3),
    "sample_every_s": Num(0), "sample_every_steps": Int(0, 1 << 40), "grid_count": Int(1, 1024),
    "checkpoint_every_min": Num(0), "device": Str(64), "channels_last": Bool(), "demo_count": Int(1, 1 << 20),
    "regime": Str(32), "augment": Opt(Enum("off", "fixed", "adaptive")), "augment_policy": Str(256),
    "aug_p": Opt(Num(0, 1)), "ada_target": Num(0, 1), "ada_speed_imgs": Int(1, 1 << 40), "ada_interval": Int(1, 1 << 20),
    "ema": Opt(Bool()), "ema_halflife_imgs": Int(0, 1 << 40), "ema_rampup": Num(0, 1),
    "sample_weights": Enum("ema", "raw"), "spectral_norm": Opt(Bool()), "msg": Opt(Bool()),
    "kinds": Opt(Int(0, 64)), "r1_gamma": Num(0, 1e6), "lecam": Num(0, 100), "rgb_head": Enum("convT", "up"),
    "metrics_every": Opt(Int(0, 1 << 40)), "metrics_samples": Int(4, 1 << 20), "health": Bool(),
    "health_window": Int(1, 1 << 30), "snapshot_every": Int(1, 1 << 30), "max_rollbacks": Int(0, 1000),
    "init_from": Str(1 << 20), "resolved_channels": Enum(1, 3), "image_size": Int(8, MAX_SIDE),
    "config_version": Int(0, 1000), "sync_batchnorm": Opt(Bool()), "precision": Enum(*PRECISIONS),
    "compile": Bool(), "batchnorm": Bool(), "kind_groups": Bool(), "ema_follows_lr": Bool(),
    "lr_decay": Num(0, 1), "lr_final": Num(0, 1), "minutes": Num(0, MAX_MINUTES),
})
CHECKPOINT_JSON = Obj({
    "format": Const("gan-art-studio/checkpoint"), "version": Int(1, 1000), "step": Int(0, 1 << 62),
    "weights": _FILE_NAME, "weights_bytes": Int(0, 1 << 50), "weights_sha256": _HEX64,
    "optimizers": Map(Obj({"param_groups": List(Obj({}), 0, 64), "scalars": Map(Map(Anything()), 1 << 20)}, ("param_groups",)), 16),
    "state": Obj({}),
}, required=("format", "step", "weights", "weights_bytes", "weights_sha256"))
GENERATOR_JSON = Obj({
    "format": Const("gan-art-studio/generator"), "version": Int(1, 1000), "preset": Str(64),
    "latent_dim": Int(1, MAX_LATENT_DIM), "channels": Enum(1, 3), "image_size": Int(8, MAX_SIDE),
    "width": Int(0, 4096), "step": Opt(Int(0, 1 << 62)), "run": Opt(Str(1 << 16)), "weights_sha256": _HEX64,
    "seed": Opt(_SEED), "weights": Enum("ema", "raw"), "msg": Opt(Bool()),
    "kinds": Opt(Int(0, 64)),
}, required=("format", "preset", "latent_dim", "channels", "image_size", "width", "weights_sha256"))
FAVOURITES = Obj({"format": Const("gan-art-studio/favourites"), "version": Int(1, 1000),
                  "generator_sha256": _HEX_OR_EMPTY,
                  "items": List(Obj({"seed": Opt(_SEED), "latent": Opt(_LATENT), "label": Str(1000)}), 0, 100_000)},
                 required=("format",))
