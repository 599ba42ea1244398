"""The one image loader: real files of every kind an artist may drop, good and bad."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from studio.engine.images import (
    ImageRejected,
    find_image_files,
    load_image,
    pil_to_uint8,
    scan_images,
    summarize_skipped,
    tensor_to_uint8,
    uint8_to_pil,
    uint8_to_tensor,
)

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
RED, BLUE = (255, 0, 0), (0, 0, 255)


def noise_rgb(w: int, h: int, seed: int = 0) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8), "RGB")


def png_with_header_size(path: Path, width: int, height: int) -> None:
    """A tiny valid PNG whose IHDR claims another size: a decompression bomb costs a few bytes."""
    src = path.with_suffix(".src.png")
    Image.new("L", (1, 1)).save(src)
    data = bytearray(src.read_bytes())
    src.unlink()
    assert data[12:16] == b"IHDR"
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    path.write_bytes(bytes(data))


def make_bad_files(folder: Path) -> dict[str, str]:
    """Bad files and the word their reason must contain."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "empty.png").write_bytes(b"")
    (folder / "text.jpg").write_text("this is a shopping list, not a picture\n")

    noise_rgb(64, 64).save(folder / "whole.jpg", quality=95)
    data = (folder / "whole.jpg").read_bytes()
    (folder / "truncated.jpg").write_bytes(data[: len(data) // 2])
    (folder / "whole.jpg").unlink()

    noise_rgb(64, 64, seed=1).save(folder / "corrupt.png")
    data = bytearray((folder / "corrupt.png").read_bytes())
    mid = len(data) // 2
    data[mid : mid + 16] = bytes(b ^ 0xFF for b in data[mid : mid + 16])
    (folder / "corrupt.png").write_bytes(bytes(data))

    png_with_header_size(folder / "bomb.png", 20000, 20000)
    png_with_header_size(folder / "big.png", 12000, 12000)
    return {
        "empty.png": "empty",
        "text.jpg": "not an image",
        "truncated.jpg": "damaged or truncated",
        "corrupt.png": "damaged or truncated",
        "bomb.png": "too large",
        "big.png": "too large",
    }


def make_good_files(folder: Path) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    rotated = Image.new("RGB", (40, 20), "white")
    rotated.paste(RED, (0, 0, 8, 8))
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to display
    rotated.save(folder / "exif6.jpg", exif=exif, quality=95)

    Image.new("L", (10, 12), 77).save(folder / "gray.png")
    Image.new("LA", (8, 8), (200, 255)).save(folder / "gray_alpha.png")
    Image.new("RGBA", (8, 8), (255, 0, 0, 128)).save(folder / "rgba.png")
    Image.new("1", (8, 8), 1).save(folder / "bilevel.png")

    pal = Image.new("P", (8, 8), 0)
    pal.putpalette([0, 255, 0, 10, 20, 30] + [0] * (256 * 3 - 6))
    pal.paste(1, (4, 0, 8, 8))
    pal.save(folder / "palette_transparent.png", transparency=0)

    g16 = np.zeros((4, 8), np.uint16)
    g16[:, :4], g16[:, 4:] = 65535, 32768
    Image.fromarray(g16).save(folder / "gray16.png")

    Image.new("CMYK", (16, 16), (255, 0, 0, 0)).save(folder / "cmyk.jpg", quality=95)

    frames = [Image.new("RGB", (8, 8), RED), Image.new("RGB", (8, 8), BLUE)]
    frames[0].save(folder / "anim.gif", save_all=True, append_images=frames[1:], duration=100, loop=0)
    frames[0].save(folder / "anim.png", save_all=True, append_images=frames[1:], duration=100)
    frames[0].save(folder / "anim.webp", save_all=True, append_images=frames[1:], duration=100, lossless=True)
    frames[0].save(folder / "phone_mpo.jpg", format="MPO", save_all=True, append_images=frames[1:])
    noise_rgb(9, 7).save(folder / "plain.webp", quality=90)
    noise_rgb(9, 7).save(folder / "plain.bmp")
    noise_rgb(9, 7).save(folder / "plain.tiff")
    noise_rgb(9, 7).save(folder / "UPPER.JPEG")
    return sorted(p.name for p in folder.iterdir())


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("corpus")
    make_good_files(root / "good")
    make_bad_files(root / "bad")
    return root


# ------------------------------------------------------------------------------------------- good files


def test_exif_orientation_is_applied(corpus: Path) -> None:
    img = load_image(corpus / "good" / "exif6.jpg")
    assert img.size == (20, 40)
    a = np.asarray(img).astype(int)
    assert a[2, 17, 0] > 200 and a[2, 17, 1] < 60  # the red marker went to the top-right corner
    assert a[2, 2].min() > 200 and a[37, 2].min() > 200


def test_grayscale_stays_gray_and_converts(corpus: Path) -> None:
    gray = load_image(corpus / "good" / "gray.png", mode="L")
    assert gray.mode == "L" and gray.getpixel((0, 0)) == 77
    rgb = load_image(corpus / "good" / "gray.png")
    assert rgb.mode == "RGB" and rgb.getpixel((0, 0)) == (77, 77, 77)


def test_alpha_is_composited_over_background(corpus: Path) -> None:
    img = load_image(corpus / "good" / "rgba.png", background=BLUE)
    r, g, b = img.getpixel((3, 3))
    assert abs(r - 128) <= 1 and g == 0 and abs(b - 127) <= 1
    white = load_image(corpus / "good" / "rgba.png")
    assert white.getpixel((0, 0)) == pytest.approx((255, 127, 127), abs=1)
    la = load_image(corpus / "good" / "gray_alpha.png", mode="L", background=(0, 0, 0))
    assert la.getpixel((0, 0)) == 200


def test_palette_transparency_shows_background(corpus: Path) -> None:
    img = load_image(corpus / "good" / "palette_transparent.png", background=(200, 100, 50))
    assert img.getpixel((0, 0)) == (200, 100, 50)
    assert img.getpixel((6, 3)) == (10, 20, 30)


def test_sixteen_bit_is_scaled_not_clipped(corpus: Path) -> None:
    img = load_image(corpus / "good" / "gray16.png", mode="L")
    assert img.getpixel((0, 0)) == 255
    assert abs(img.getpixel((6, 0)) - 128) <= 1


def test_float_and_32bit_tiffs_are_scaled(tmp_path: Path) -> None:
    Image.fromarray(np.array([[0.0, 0.5, 1.0]], np.float32), "F").save(tmp_path / "float.tif")
    assert list(np.asarray(load_image(tmp_path / "float.tif", mode="L"))[0]) == [0, 128, 255]
    Image.fromarray(np.array([[0, 32768, 65535]], np.int32), "I").save(tmp_path / "int32.tif")
    assert list(np.asarray(load_image(tmp_path / "int32.tif", mode="L"))[0]) == [0, 128, 255]


def test_bilevel_cmyk_and_first_frames(corpus: Path) -> None:
    assert load_image(corpus / "good" / "bilevel.png", mode="L").getpixel((0, 0)) == 255
    c = np.asarray(load_image(corpus / "good" / "cmyk.jpg")).astype(int)[8, 8]
    assert c[0] < 40 and c[1] > 215 and c[2] > 215  # cyan
    for name in ("anim.gif", "anim.png", "anim.webp"):
        assert load_image(corpus / "good" / name).getpixel((4, 4)) == RED, name
    r, g, b = load_image(corpus / "good" / "phone_mpo.jpg").getpixel((4, 4))
    assert r > 240 and g < 15 and b < 15


def test_every_format_loads_as_8bit(corpus: Path) -> None:
    for f in sorted((corpus / "good").iterdir()):
        for mode in ("RGB", "L"):
            img = load_image(f, mode=mode)
            assert img.mode == mode, f.name
            img.load()


# -------------------------------------------------------------------------------------------- bad files


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_bad_files_are_rejected_with_reasons(tmp_path: Path) -> None:
    expected = make_bad_files(tmp_path)
    for name, words in expected.items():
        with pytest.raises(ImageRejected) as err:
            load_image(tmp_path / name)
        assert words in err.value.reason, (name, err.value.reason)


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_too_large_reason_names_size_and_limit(tmp_path: Path) -> None:
    png_with_header_size(tmp_path / "big.png", 12000, 12000)
    with pytest.raises(ImageRejected) as err:
        load_image(tmp_path / "big.png")
    assert err.value.reason == "image too large (12000×12000 = 144 MP, limit 64 MP)"
    assert err.value.kind == "too-large"

    png_with_header_size(tmp_path / "bomb.png", 20000, 20000)  # Pillow itself refuses this one
    with pytest.raises(ImageRejected) as err:
        load_image(tmp_path / "bomb.png")
    assert err.value.reason == "image too large (400 MP, limit 64 MP)"

    noise_rgb(64, 64).save(tmp_path / "ok.png")
    assert load_image(tmp_path / "ok.png").size == (64, 64)
    with pytest.raises(ImageRejected, match="too large"):
        load_image(tmp_path / "ok.png", max_pixels=1000)


def test_folder_missing_and_unreadable(tmp_path: Path) -> None:
    (tmp_path / "folder.png").mkdir()
    with pytest.raises(ImageRejected, match="folder"):
        load_image(tmp_path / "folder.png")
    with pytest.raises(ImageRejected, match="not found"):
        load_image(tmp_path / "missing.png")

    locked = tmp_path / "locked.png"
    noise_rgb(8, 8).save(locked)
    locked.chmod(0)
    try:
        if IS_ROOT or sys.platform == "win32":
            assert load_image(locked).size == (8, 8)  # root reads anything: nothing to refuse
        else:
            with pytest.raises(ImageRejected) as err:
                load_image(locked)
            assert err.value.reason == "cannot read file: permission denied"
    finally:
        locked.chmod(0o644)


def test_permission_error_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same refusal as a real chmod 000, testable where tests run as root."""
    import studio.engine.images as images

    noise_rgb(8, 8).save(tmp_path / "ok.png")

    def denied(*_args: object, **_kw: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(images, "open", denied, raising=False)
    with pytest.raises(ImageRejected) as err:
        load_image(tmp_path / "ok.png")
    assert err.value.reason == "cannot read file: permission denied" and err.value.kind == "unreadable"


def test_only_safe_decoders_are_used(tmp_path: Path) -> None:
    """A file in another format renamed to .png must not reach Pillow's other plugins."""
    Image.new("RGB", (8, 8)).save(tmp_path / "really_ppm.png", format="PPM")
    with pytest.raises(ImageRejected, match="not an image"):
        load_image(tmp_path / "really_ppm.png")
    Image.new("RGB", (8, 8)).save(tmp_path / "really_png.jpg", format="PNG")
    assert load_image(tmp_path / "really_png.jpg").size == (8, 8)  # the suffix is only a hint


def test_truncated_loading_is_not_enabled_globally() -> None:
    from PIL import ImageFile

    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


# --------------------------------------------------------------------------------------------- scanning


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_scan_lists_good_and_explains_bad(corpus: Path) -> None:
    good = sorted(p.name for p in (corpus / "good").iterdir())
    bad = {
        "empty.png": "empty",
        "text.jpg": "not an image",
        "truncated.jpg": "damaged",
        "corrupt.png": "damaged",
        "bomb.png": "too large",
        "big.png": "too large",
    }
    progress: list[tuple[int, int]] = []
    result = scan_images([corpus], on_progress=lambda i, n: progress.append((i, n)))
    assert sorted(p.name for p in result.files) == good
    reasons = {s.path.name: s.reason for s in result.skipped}
    assert set(reasons) == set(bad)
    for name, words in bad.items():
        assert words in reasons[name], (name, reasons[name])
    n = len(good) + len(bad)
    assert progress[-1] == (n, n) and len(progress) == n
    assert "6 files skipped" in summarize_skipped(result.skipped)


def test_scan_check_can_cancel(corpus: Path) -> None:
    calls = 0

    def check() -> None:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise KeyboardInterrupt("stop")

    with pytest.raises(KeyboardInterrupt):
        scan_images(corpus / "good", check=check)
    assert calls == 3


def test_find_files_rules(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / ".hidden").mkdir()
    for rel in ("b.png", "a.JPG", "sub/c.webp", ".hidden/d.png", ".e.png", "notes.txt"):
        (tmp_path / rel).write_bytes(b"x")

    found = find_image_files([tmp_path])
    assert [p.relative_to(tmp_path).as_posix() for p in found.files] == ["a.JPG", "b.png", "sub/c.webp"]
    assert found.skipped == []

    flat = find_image_files(tmp_path, recursive=False)
    assert [p.name for p in flat.files] == ["a.JPG", "b.png"]

    explicit = find_image_files([tmp_path / "notes.txt", tmp_path / "b.png", tmp_path, tmp_path / "nope.png"])
    assert [p.name for p in explicit.files] == ["b.png", "a.JPG", "c.webp"]  # no duplicate b.png
    reasons = {s.path.name: s.reason for s in explicit.skipped}
    assert reasons == {"notes.txt": "not a supported image type", "nope.png": "file or folder not found"}


# ---------------------------------------------------------------------------------------- array helpers


def test_uint8_and_tensor_round_trips() -> None:
    rgb = np.random.default_rng(0).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    img = uint8_to_pil(rgb)
    assert img.mode == "RGB" and img.size == (7, 5)
    assert np.array_equal(pil_to_uint8(img), rgb)

    gray = pil_to_uint8(Image.new("L", (4, 3), 9))
    assert gray.shape == (3, 4, 1) and uint8_to_pil(gray).mode == "L"

    t = uint8_to_tensor(rgb)
    assert t.shape == (3, 5, 7) and t.dtype == torch.float32
    assert t.min() >= -1 and t.max() <= 1
    assert np.array_equal(tensor_to_uint8(t), rgb)
    batch = tensor_to_uint8(torch.stack([t, t]))
    assert batch.shape == (2, 5, 7, 3)
    assert tensor_to_uint8(torch.full((1, 2, 2), 5.0)).max() == 255  # out of range is clamped
    assert tensor_to_uint8(torch.full((1, 2, 2), -1.0)).max() == 0


def test_engine_imports_neither_qt_nor_torch_eagerly() -> None:
    code = (
        "import sys, studio.engine.images, studio.engine.data; "
        "bad = [m for m in ('torch', 'torchvision', 'PySide6') if m in sys.modules]; "
        "assert not bad, bad"
    )
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
