"""Datasets: preprocessing, the decode-once cache, the demo set and the lesson's torchvision sets."""

from __future__ import annotations

import os
import socket
import struct
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import studio.engine.data as data
from studio.engine.data import (
    DatasetError,
    PreparedImages,
    PrepSpec,
    detect_channels,
    make_demo_images,
    open_data_source,
    prepare_demo,
    prepare_folder,
    prepare_torchvision,
    preprocess,
    source_channels,
)

RED, BLUE, GREEN = (255, 0, 0), (0, 0, 255), (0, 255, 0)


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Never write into the real user's cache, whatever a test forgets to pass."""
    cache = tmp_path / "studio-cache"
    monkeypatch.setenv("GAN_STUDIO_CACHE", str(cache))
    return cache


def wide_red_left() -> Image.Image:
    img = Image.new("RGB", (90, 30), BLUE)
    img.paste(RED, (0, 0, 30, 30))
    return img


def make_folder(folder: Path, n: int = 6, bad: int = 1) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for i in range(n):
        arr = rng.integers(0, 256, (24 + i, 32, 3), dtype=np.uint8)
        Image.fromarray(arr).save(folder / f"img{i:02d}.png")
    for i in range(bad):
        (folder / f"bad{i}.jpg").write_bytes(b"")
    return folder


# ------------------------------------------------------------------------------------------- preprocess


def test_crop_removes_the_margins() -> None:
    out = preprocess(wide_red_left(), PrepSpec(16, fit="crop"))
    assert out.shape == (16, 16, 3) and out.dtype == np.uint8
    assert out[..., 0].max() == 0 and out[..., 2].min() == 255


def test_pad_keeps_everything_with_background_bars() -> None:
    out = preprocess(wide_red_left(), PrepSpec(16, fit="pad", background=GREEN))
    assert out.shape == (16, 16, 3)
    assert (out[0] == GREEN).all() and (out[15] == GREEN).all()
    assert tuple(out[8, 1]) == RED and tuple(out[8, 14]) == BLUE


def test_stretch_squeezes_and_gray_has_one_channel() -> None:
    out = preprocess(wide_red_left(), PrepSpec(16, fit="stretch"))
    assert tuple(out[0, 1]) == RED and tuple(out[15, 14]) == BLUE
    gray = preprocess(wide_red_left(), PrepSpec(16, channels=1, fit="pad", background=(255, 255, 255)))
    assert gray.shape == (16, 16, 1) and gray[0, 0, 0] == 255


def test_spec_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        PrepSpec(16, fit="zoom")
    with pytest.raises(ValueError):
        PrepSpec(16, channels=2)


# --------------------------------------------------------------------------------------- PreparedImages


def test_small_folder_is_prepared_in_memory(tmp_path: Path, private_cache: Path) -> None:
    folder = make_folder(tmp_path / "pics")
    progress: list[tuple[int, int]] = []
    ds = prepare_folder(folder, PrepSpec(16), on_progress=lambda i, n: progress.append((i, n)))
    assert len(ds) == 6 and ds.size == 16 and ds.channels == 3 and not ds.on_disk
    assert [s.path.name for s in ds.skipped] == ["bad0.jpg"] and "empty" in ds.skipped[0].reason
    assert progress[-1] == (7, 7)
    assert str(folder) in ds.source
    assert not private_cache.exists()

    b = ds.batch(torch.tensor([5, 0, 5]))
    assert b.dtype == torch.uint8 and b.shape == (3, 3, 16, 16)
    assert torch.equal(b[0], b[2])
    expected = preprocess(Image.open(folder / "img05.png"), PrepSpec(16))
    assert np.array_equal(b[0].numpy().transpose(1, 2, 0), expected)
    previews = ds.previews(2)
    assert len(previews) == 2 and previews[0].shape == (16, 16, 3)
    assert np.array_equal(previews[0], ds.batch([0])[0].numpy().transpose(1, 2, 0))


def test_big_folder_uses_a_reusable_disk_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = make_folder(tmp_path / "pics")
    cache = tmp_path / "cache"
    spec = PrepSpec(16, channels=1)
    first = prepare_folder(folder, spec, memory_limit_bytes=100, cache_dir=cache)
    assert first.on_disk and first.cache_path is not None and first.cache_path.exists()
    assert first.cache_path.parent == cache
    assert len(first) == 6 and first.channels == 1
    assert not [p for p in cache.iterdir() if p.name.endswith(".tmp")]

    calls = 0
    real_load = data.load_image

    def counting_load(*args: object, **kw: object) -> Image.Image:
        nonlocal calls
        calls += 1
        return real_load(*args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(data, "load_image", counting_load)
    again = prepare_folder(folder, spec, memory_limit_bytes=100, cache_dir=cache)
    assert calls == 0 and again.on_disk
    idx = torch.arange(6)
    assert torch.equal(again.batch(idx), first.batch(idx))
    assert [s.path.name for s in again.skipped] == ["bad0.jpg"]

    in_memory = prepare_folder(folder, spec, cache_dir=cache)  # fits in memory: still reuses the file
    assert calls == 0 and not in_memory.on_disk
    assert torch.equal(in_memory.batch(idx), first.batch(idx))

    st = (folder / "img03.png").stat()
    os.utime(folder / "img03.png", ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    rebuilt = prepare_folder(folder, spec, memory_limit_bytes=100, cache_dir=cache)
    assert calls == 7  # a changed file means a new cache (the empty file is tried again too)
    assert rebuilt.cache_path != first.cache_path
    assert sorted(p.suffix for p in cache.iterdir()) == [".json", ".u8"]  # the stale cache is gone


def test_cache_dir_follows_env_var(tmp_path: Path, private_cache: Path) -> None:
    ds = prepare_folder(make_folder(tmp_path / "pics", n=2, bad=0), PrepSpec(8), memory_limit_bytes=1)
    assert ds.cache_path is not None and ds.cache_path.parent == private_cache / "datasets"


def test_cancel_leaves_no_partial_cache(tmp_path: Path) -> None:
    folder = make_folder(tmp_path / "pics")
    cache = tmp_path / "cache"
    seen = 0

    def check() -> None:
        nonlocal seen
        seen += 1
        if seen == 3:
            raise InterruptedError("stop")

    with pytest.raises(InterruptedError):
        prepare_folder(folder, PrepSpec(8), memory_limit_bytes=1, cache_dir=cache, check=check)
    assert list(cache.iterdir()) == []


def test_empty_and_all_bad_folders_explain_themselves(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "readme.txt").write_text("hi")
    with pytest.raises(DatasetError, match=r"No images found in .*empty.*\.png"):
        prepare_folder(empty, PrepSpec(8))

    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "a.png").write_bytes(b"")
    Image.new("RGB", (32, 32)).save(bad / "b.jpg")
    raw = (bad / "b.jpg").read_bytes()
    (bad / "b.jpg").write_bytes(raw[: len(raw) // 2])
    (bad / "c.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 40)
    for limit in (2 * 1024**3, 1):
        with pytest.raises(DatasetError) as err:
            prepare_folder(bad, PrepSpec(8), memory_limit_bytes=limit, cache_dir=tmp_path / "c")
        assert str(err.value) == f"No usable images in {bad}: 3 files skipped (2 damaged, 1 empty)"


# --------------------------------------------------------------------------------------------- channels


def test_detect_channels(tmp_path: Path) -> None:
    Image.new("L", (8, 8), 30).save(tmp_path / "a.png")
    Image.new("RGB", (8, 8), (90, 90, 90)).save(tmp_path / "b.jpg")
    (tmp_path / "broken.png").write_bytes(b"")
    assert detect_channels(sorted(tmp_path.iterdir())) == 1
    assert source_channels(str(tmp_path)) == 1
    Image.new("RGB", (8, 8), (200, 90, 90)).save(tmp_path / "c.png")
    assert detect_channels(sorted(tmp_path.iterdir())) == 3
    assert source_channels(str(tmp_path)) == 3
    assert detect_channels([]) == 3
    assert source_channels("mnist") == 1 and source_channels("Fashion-MNIST") == 1
    assert source_channels("demo") == 3 and source_channels("cifar10") == 3


# ------------------------------------------------------------------------------------------------- demo


def test_demo_images_are_deterministic_and_varied() -> None:
    a = make_demo_images(n=16, size=32, seed=3)
    assert a.shape == (16, 32, 32, 3) and a.dtype == np.uint8
    assert np.array_equal(a, make_demo_images(n=16, size=32, seed=3))
    assert not np.array_equal(a, make_demo_images(n=16, size=32, seed=4))
    assert a.min() < 80 and a.max() > 220  # dark inks on light paper: the range is used
    per_image = a.reshape(16, -1).astype(float)
    assert per_image.std(axis=0).mean() > 10  # pictures differ from each other


def test_prepare_demo_follows_the_spec() -> None:
    ds = prepare_demo(PrepSpec(24, channels=1), n=8, seed=1)
    assert isinstance(ds, PreparedImages)
    assert len(ds) == 8 and ds.size == 24 and ds.channels == 1
    rgb = make_demo_images(n=8, size=24, seed=1).astype(float)
    grey = rgb @ np.array([0.299, 0.587, 0.114])
    assert np.abs(ds.batch([0])[0, 0].numpy() - grey[0]).max() <= 1


def test_open_data_source_dispatches(tmp_path: Path) -> None:
    demo = open_data_source("demo", PrepSpec(16), n=4, memory_limit_bytes=10)
    assert len(demo) == 4
    one = make_folder(tmp_path / "one", n=2, bad=0)
    two = make_folder(tmp_path / "two", n=3, bad=0)
    both = open_data_source(f"{one}{os.pathsep}{two}", PrepSpec(8), n=99)
    assert len(both) == 5
    with pytest.raises(DatasetError):
        open_data_source(str(tmp_path / "nowhere"), PrepSpec(8))


# --------------------------------------------------------------------------------------- lesson datasets


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Behave as on a train with no network, even on a machine that has one."""

    def refuse(*_args: object, **_kw: object) -> None:
        raise OSError(101, "Network is unreachable")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


@pytest.mark.timeout(30)
def test_offline_download_fails_with_a_clear_message(tmp_path: Path, offline: None) -> None:
    before = socket.getdefaulttimeout()
    with pytest.raises(DatasetError, match=r"Could not download MNIST: no internet connection\?"):
        prepare_torchvision("mnist", PrepSpec(28, channels=1), root=tmp_path)
    assert socket.getdefaulttimeout() == before
    with pytest.raises(DatasetError, match="not downloaded"):
        prepare_torchvision("cifar10", PrepSpec(32), root=tmp_path, download=False)
    with pytest.raises(DatasetError, match="Unknown dataset"):
        prepare_torchvision("imagenet", PrepSpec(32), root=tmp_path)


def write_idx(path: Path, arr: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    header = struct.pack(">I", 0x0800 + arr.ndim) + b"".join(struct.pack(">I", d) for d in arr.shape)
    path.write_bytes(header + arr.astype(np.uint8).tobytes())


@pytest.mark.timeout(30)
def test_present_mnist_files_are_used_without_network(tmp_path: Path, offline: None) -> None:
    raw = tmp_path / "MNIST" / "raw"
    digits = np.random.default_rng(0).integers(0, 256, (10, 28, 28), dtype=np.uint8)
    for split in ("train", "t10k"):
        write_idx(raw / f"{split}-images-idx3-ubyte", digits)
        write_idx(raw / f"{split}-labels-idx1-ubyte", np.arange(10))

    native = prepare_torchvision("mnist", PrepSpec(28, channels=1), root=tmp_path)
    assert len(native) == 10 and native.channels == 1
    assert np.array_equal(native.batch([3])[0, 0].numpy(), digits[3])

    resized = open_data_source("MNIST", PrepSpec(16, channels=3), root=tmp_path, n=5)
    assert resized.batch([0]).shape == (1, 3, 16, 16)
    first = resized.batch([0])[0].numpy()
    assert np.array_equal(first[0], first[2])  # grey replicated into RGB


def _serve(folder):
    import functools
    import http.server
    import threading

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread


def _fake_mnist_files(folder, n=12):
    import gzip
    import hashlib
    import struct

    rng = np.random.default_rng(0)
    resources = []
    for name, magic, shape in (("train-images-idx3-ubyte", 2051, (n, 28, 28)), ("train-labels-idx1-ubyte", 2049, (n,)),
                               ("t10k-images-idx3-ubyte", 2051, (2, 28, 28)), ("t10k-labels-idx1-ubyte", 2049, (2,))):
        header = struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in shape)
        body = rng.integers(0, 256, size=shape, dtype=np.uint8).tobytes() if len(shape) > 1 else bytes(shape[0])
        data = gzip.compress(header + body)
        (folder / f"{name}.gz").write_bytes(data)
        resources.append((f"{name}.gz", hashlib.md5(data).hexdigest()))
    return resources


def test_lesson_dataset_download_reports_byte_progress(tmp_path, monkeypatch):
    """A real torchvision download, from a server on this machine, with our progress and cancel hooks."""
    import torchvision.datasets as tvd

    from studio.engine.data import PrepSpec, prepare_torchvision

    served = tmp_path / "served"
    served.mkdir()
    resources = _fake_mnist_files(served)
    server, thread = _serve(served)
    try:
        monkeypatch.setattr(tvd.MNIST, "mirrors", [f"http://127.0.0.1:{server.server_port}/"])
        monkeypatch.setattr(tvd.MNIST, "resources", resources)
        seen = []
        prepared = prepare_torchvision("mnist", PrepSpec(size=28, channels=1), root=tmp_path / "root",
                                       on_download=lambda done, total, name: seen.append((done, total, name)))
        assert len(prepared) == 12 and prepared.channels == 1
        names = {name for _, _, name in seen}
        assert "train-images-idx3-ubyte.gz" in names and len(names) == 4
        done, total, _ = [s for s in seen if s[2] == "train-images-idx3-ubyte.gz"][-1]
        assert done == total == (served / "train-images-idx3-ubyte.gz").stat().st_size

        from studio.engine.jobs import Cancelled

        def cancel():
            raise Cancelled()

        with pytest.raises(Cancelled):
            prepare_torchvision("mnist", PrepSpec(size=28, channels=1), root=tmp_path / "root2", check=cancel)
        assert not list((tmp_path / "root2").rglob("*.gz"))  # no half download left behind
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
