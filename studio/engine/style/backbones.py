"""Which pretrained features style transfer stands on: a ladder from the best weights to none at all.

1. VGG19 ImageNet (torchvision's ``vgg19-dcbb9e9d.pth``) where the user already has it, or chose a file;
2. VGG16 ImageNet conv weights converted offline by ``make models`` (the lesson's network);
3. a random-weight VGG16, with a warning: Gram statistics of random filters still carry texture, but
   the result will not look like a painting.

Nothing here downloads implicitly; ``download_vgg19`` exists for an explicit "Download" action.
Layers are named like the papers (``conv4_2``) and map to the *post-ReLU* index in torchvision's
``features`` (Keras' ``block4_conv2`` output includes its activation, so the lesson's indices match).
"""

from __future__ import annotations

import hashlib
import os
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from studio.engine.errors import StudioError

VGG19_FILENAME = "vgg19-dcbb9e9d.pth"
VGG19_URL = "https://download.pytorch.org/models/vgg19-dcbb9e9d.pth"
VGG19_HASH_PREFIX = "dcbb9e9d"  # torchvision names files by the first 8 hex digits of their SHA-256
VGG19_SIZE_TEXT = "548 MB"
RANDOM_WARNING = ("No pretrained features found: using a random-weight VGG16. Results will look "
                  "texture-like. Run `python -m studio models fetch` (or `make models`) for VGG16.")
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
PREFERENCES = ("auto", "vgg19", "vgg16", "random")

_CFGS: dict[str, list] = {
    "vgg16": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "vgg19": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M",
              512, 512, 512, 512, "M"],
}


class BackboneError(StudioError):
    """A weights file that cannot be used, with the reason in plain words."""


def vgg_features(name: str) -> nn.Sequential:
    """torchvision's ``vgg16()/vgg19().features`` layout without building the 120M-parameter classifier."""
    from torchvision.models.vgg import make_layers

    return make_layers(_CFGS[name], batch_norm=False)


def layer_indices(name: str) -> dict[str, int]:
    """``conv{block}_{n}`` → index of its ReLU output in ``features``; ``pool{block}`` → pool index."""
    out: dict[str, int] = {}
    idx, block, n = 0, 1, 1
    for v in _CFGS[name]:
        if v == "M":
            out[f"pool{block}"] = idx
            idx += 1
            block, n = block + 1, 1
        else:
            out[f"conv{block}_{n}"] = idx + 1  # after the ReLU
            idx += 2
            n += 1
    return out


def lesson_layer_name(layer: str) -> str:
    """Accept Keras names too: ``block4_conv2`` → ``conv4_2``."""
    if layer.startswith("block") and "_conv" in layer:
        b, c = layer[5:].split("_conv")
        return f"conv{b}_{c}"
    return layer


@dataclass
class Backbone:
    name: str  # "vgg19" | "vgg16" | "random-vgg16"
    net: nn.Sequential  # features, eval, frozen, truncated after the deepest layer needed
    layers: dict[str, int]  # layer name → index in net (post-ReLU)
    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD
    warning: str | None = None
    source: str = ""
    arch: str = "vgg16"

    def index(self, layer: str) -> int:
        name = lesson_layer_name(layer)
        if name not in self.layers:
            raise ValueError(f"{layer!r} is not a layer of {self.arch}; choose from {', '.join(self.layers)}")
        return self.layers[name]

    def truncated(self, needed: list[str]) -> Backbone:
        deepest = max(self.index(n) for n in needed)
        return Backbone(self.name, self.net[: deepest + 1], self.layers, self.mean, self.std, self.warning,
                        self.source, self.arch)


def hub_checkpoint_dir() -> Path:
    return Path(torch.hub.get_dir()) / "checkpoints"


def vgg19_cache_path() -> Path:
    return hub_checkpoint_dir() / VGG19_FILENAME


def vgg16_path() -> Path:
    from studio.engine.pretrained import VGG16_FILE, models_dir

    return models_dir() / VGG16_FILE


def _freeze(net: nn.Sequential, device) -> nn.Sequential:
    net = net.to(device).eval()
    for p in net.parameters():
        p.requires_grad_(False)
    return net


def load_vgg19_file(path: str | Path) -> nn.Sequential:
    """Load torchvision VGG19 weights without unpickling code: ``torch.load(weights_only=True)``."""
    path = Path(path)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError as exc:
        raise BackboneError(f"{path} does not exist") from exc
    except Exception as exc:  # noqa: BLE001 - UnpicklingError, RuntimeError, zip errors: all "not usable"
        raise BackboneError(f"{path.name} is not a plain weights file (refused: {str(exc).splitlines()[0]})") from exc
    if not isinstance(state, dict):
        raise BackboneError(f"{path.name} does not hold a state dict")
    feats = {k[len("features."):]: v for k, v in state.items() if isinstance(k, str) and k.startswith("features.")}
    if not feats:  # also accept a bare features state dict
        feats = {k: v for k, v in state.items() if isinstance(k, str) and k[:1].isdigit()}
    net = vgg_features("vgg19")
    try:
        net.load_state_dict(feats, strict=True)
    except RuntimeError as exc:
        raise BackboneError(f"{path.name} does not hold VGG19 features ({str(exc).splitlines()[0]})") from exc
    return net


def load_vgg16_file(path: str | Path | None = None) -> nn.Sequential:
    from safetensors.torch import load_file

    path = Path(path) if path else vgg16_path()
    try:
        state = load_file(str(path))
    except FileNotFoundError as exc:
        raise BackboneError(f"{path} does not exist; run `python -m studio models fetch`") from exc
    except Exception as exc:  # noqa: BLE001
        raise BackboneError(f"{path.name} is not a readable safetensors file ({exc})") from exc
    net = vgg_features("vgg16")
    try:
        net.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise BackboneError(f"{path.name} does not hold VGG16 features ({str(exc).splitlines()[0]})") from exc
    return net


def ladder_status(vgg19_path: str | Path | None = None) -> list[tuple[str, bool, str]]:
    """What each rung would use right now: (rung, available, detail)."""
    p19 = Path(vgg19_path) if vgg19_path else vgg19_cache_path()
    p16 = vgg16_path()
    return [
        ("vgg19", p19.is_file(), str(p19) if p19.is_file()
         else f"not found ({p19}); download it ({VGG19_SIZE_TEXT}) or choose the file"),
        ("vgg16", p16.is_file(), str(p16) if p16.is_file() else f"not found ({p16}); run `python -m studio models fetch`"),
        ("random", True, "always available; results will look texture-like"),
    ]


_CACHE: dict[tuple, nn.Sequential] = {}


def _cached(key: tuple, loader: Callable[[], nn.Sequential]) -> nn.Sequential:
    if key not in _CACHE:
        _CACHE.clear()  # one backbone at a time: they are big
        _CACHE[key] = loader()
    return _CACHE[key]


def _mtime(p: Path) -> float:
    try:
        return p.stat().st_mtime
    except OSError:
        return 0.0


def load_backbone(preference: str = "auto", vgg19_path: str | Path | None = None,
                  device: torch.device | str = "cpu", seed: int = 0) -> Backbone:
    """Walk the ladder from ``preference`` down. An explicit rung that is unavailable raises BackboneError."""
    if preference not in PREFERENCES:
        raise BackboneError(f"unknown backbone {preference!r}; choose one of {', '.join(PREFERENCES)}")
    device = torch.device(device)
    p19 = Path(vgg19_path) if vgg19_path else vgg19_cache_path()
    p16 = vgg16_path()
    if preference in ("auto", "vgg19"):
        if p19.is_file():
            net = _cached(("vgg19", str(p19), _mtime(p19), str(device)), lambda: _freeze(load_vgg19_file(p19), device))
            return Backbone("vgg19", net, layer_indices("vgg19"), source=str(p19), arch="vgg19")
        if preference == "vgg19":
            raise BackboneError(f"VGG19 weights not found at {p19}; download them ({VGG19_SIZE_TEXT}) "
                                "or choose the file")
    if preference in ("auto", "vgg16"):
        if p16.is_file():
            net = _cached(("vgg16", str(p16), _mtime(p16), str(device)), lambda: _freeze(load_vgg16_file(p16), device))
            return Backbone("vgg16", net, layer_indices("vgg16"), source=str(p16), arch="vgg16")
        if preference == "vgg16":
            raise BackboneError(f"VGG16 features not found at {p16}; run `python -m studio models fetch`")

    def random_net() -> nn.Sequential:
        gen_state = torch.random.get_rng_state()
        torch.manual_seed(seed)
        try:
            net = vgg_features("vgg16")
            for m in net.modules():  # torchvision's VGG init
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                    nn.init.zeros_(m.bias)
        finally:
            torch.random.set_rng_state(gen_state)
        return _freeze(net, device)

    net = _cached(("random", seed, str(device)), random_net)
    return Backbone("random-vgg16", net, layer_indices("vgg16"), warning=RANDOM_WARNING, source="random", arch="vgg16")


def download_vgg19(dest: str | Path | None = None,
                   on_progress: Callable[[int, int | None], None] | None = None,
                   check: Callable[[], None] | None = None, timeout: float = 30.0,
                   chunk_size: int = 1 << 20) -> Path:
    """Fetch torchvision's VGG19 weights (548 MB) — only ever on an explicit request.

    Streams into a temp file beside ``dest`` (``check`` may raise to cancel; nothing is left behind),
    verifies the SHA-256 prefix torchvision encodes in the filename, then renames into place.
    """
    dest = Path(dest) if dest else vgg19_cache_path()
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.part")
    sha = hashlib.sha256()
    try:
        req = urllib.request.Request(VGG19_URL, headers={"User-Agent": "gan-art-studio"})
        with urllib.request.urlopen(req, timeout=timeout) as resp, open(tmp, "wb") as fh:
            total = resp.headers.get("Content-Length")
            total = int(total) if total and total.isdigit() else None
            done = 0
            if on_progress:
                on_progress(0, total)
            while True:
                if check is not None:
                    check()
                chunk = resp.read(chunk_size)
                if not chunk:
                    break
                fh.write(chunk)
                sha.update(chunk)
                done += len(chunk)
                if on_progress:
                    on_progress(done, total)
        if total is not None and done != total:
            raise BackboneError(f"download incomplete ({done} of {total} bytes); try again")
        if not sha.hexdigest().startswith(VGG19_HASH_PREFIX):
            raise BackboneError("the downloaded file does not match VGG19's checksum; it was discarded")
        os.replace(tmp, dest)
    except OSError as exc:  # URLError is an OSError
        raise BackboneError(f"could not download VGG19 (offline?): {getattr(exc, 'reason', None) or exc}") from exc
    finally:
        if tmp.exists():
            tmp.unlink()
    return dest

