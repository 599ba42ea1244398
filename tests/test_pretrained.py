"""Offline VGG16 features: restricted unpickling, kernel layout conversion, the real converted file."""

from __future__ import annotations

import os
import pickle

import numpy as np
import pytest
import torch

from studio.engine import pretrained


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_restricted_unpickler_loads_arrays_and_refuses_code():
    arrays = {"a": np.arange(6, dtype=np.float32).reshape(2, 3), "b": {"c": np.ones(2)}}
    back = pretrained.load_numpy_pickle(pickle.dumps(arrays, protocol=3))
    assert np.array_equal(back["a"], arrays["a"]) and back["a"].dtype == np.float32
    assert np.array_equal(back["b"]["c"], np.ones(2))
    with pytest.raises(pickle.UnpicklingError, match="refusing"):
        pretrained.load_numpy_pickle(pickle.dumps({"x": _Evil()}))


def _fake_params(rng):
    chans = [3, 64, 64, 128, 128, 256, 256, 256, 512, 512, 512, 512, 512, 512]
    vgg = {f"Conv_{i}": {"kernel": rng.standard_normal((3, 3, chans[i], chans[i + 1])).astype(np.float32),
                         "bias": rng.standard_normal(chans[i + 1]).astype(np.float32)} for i in range(13)}
    lin = {f"NetLinLayer_{i}": {"Conv_0": {"kernel": rng.random((1, 1, c, 1), dtype=np.float32)}}
           for i, c in enumerate([64, 128, 256, 512, 512])}
    return {"VGG16_0": vgg, **lin}


def test_hwio_kernels_become_torch_convs_that_compute_the_same_thing():
    rng = np.random.default_rng(0)
    params = _fake_params(rng)
    features, lin = pretrained.convert_lpips_params(params)
    import torchvision

    net = torchvision.models.vgg16().features
    net.load_state_dict({k: torch.from_numpy(v) for k, v in features.items()})
    # flax Conv (HWIO, cross-correlation, SAME padding) computed by hand for one output pixel
    x = rng.standard_normal((5, 5, 3)).astype(np.float32)
    k, b = params["VGG16_0"]["Conv_0"]["kernel"], params["VGG16_0"]["Conv_0"]["bias"]
    by_hand = np.einsum("hwi,hwio->o", x[1:4, 2:5, :], k) + b  # output at (2, 3)
    out = net[0](torch.from_numpy(x).permute(2, 0, 1)[None])[0, :, 2, 3].detach().numpy()
    assert np.allclose(out, by_hand, atol=1e-4)
    assert lin["lin3.weight"].shape == (1, 512, 1, 1)


def test_archive_with_wrong_checksum_is_refused(tmp_path):
    bad = tmp_path / pretrained.ARCHIVE_NAME
    bad.write_bytes(b"not the archive")
    with pytest.raises(pretrained.PretrainedError, match="SHA-256"):
        pretrained.convert_archive(bad, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_the_fetched_vgg16_loads_into_torchvision():
    d = pretrained.models_dir()
    if not pretrained.verify(d):
        pytest.skip("pretrained features not fetched (make models)")
    import torchvision
    from safetensors.torch import load_file

    net = torchvision.models.vgg16().features
    net.load_state_dict(load_file(str(d / pretrained.VGG16_FILE)))
    # ImageNet conv1_1 filters are smooth colour/edge detectors: much larger than N(0, 0.01) noise
    w = net[0].weight
    assert w.shape == (64, 3, 3, 3) and w.abs().mean() > 0.05


def test_models_command_lists_the_style_feature_ladder(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root), "GAN_STUDIO_MODELS": str(tmp_path), "TORCH_HOME": str(tmp_path)}
    r = subprocess.run([sys.executable, "-m", "studio", "models"], capture_output=True, text=True, env=env,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    assert "vgg16_features.safetensors         missing" in r.stdout
    lines = {line.split()[0]: line for line in r.stdout.splitlines() if line.startswith("  ")}
    assert "no" in lines["vgg19"].split()[1] and "no" in lines["vgg16"].split()[1]
    assert "texture-like" in lines["random"]
