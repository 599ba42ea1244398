"""Brush masks in the style engine: masked Grams, content regions, files and recipes (issue 5)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from studio.engine.jobs import run_job
from studio.engine.style import masks
from studio.engine.style.backbones import vgg16_path
from studio.engine.style.gatys import (
    GatysLoss,
    StyleSettings,
    StyleTransferJob,
    gram,
    load_recipe,
    load_recipe_masks,
    save_result,
)

needs_vgg16 = pytest.mark.skipif(not vgg16_path().is_file(), reason="VGG16 features not fetched (make models)")


def test_masked_gram_is_the_gram_of_the_selected_pixels():
    torch.manual_seed(0)
    f = torch.randn(1, 4, 3, 5)
    m = torch.zeros(1, 1, 3, 5)
    sel = [(0, 0), (0, 4), (1, 2), (2, 1), (2, 3)]
    for y, x in sel:
        m[0, 0, y, x] = 1
    cols = torch.stack([f[0, :, y, x] for y, x in sel], 1)  # (C, 5) the selected pixels only
    expected = cols @ cols.T / len(sel)
    assert torch.allclose(masks.masked_gram(f, m)[0], expected, atol=1e-6)
    # a full mask is the ordinary Gram; a scaled mask changes nothing (normalised by its own area)
    assert torch.allclose(masks.masked_gram(f, torch.ones(1, 1, 3, 5)), gram(f), atol=1e-6)
    assert torch.allclose(masks.masked_gram(f, 0.5 * m), masks.masked_gram(f, m), atol=1e-6)


@pytest.mark.parametrize("layout", [torch.contiguous_format, torch.channels_last])
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_region_grams_and_their_gradients_match_the_plain_masked_gram(layout, dtype):
    """The fast region Grams (pixel permutation, pure blocks, shared soft-edge block, hand-written backward) give the
    same Grams and the same feature gradients as weighting every pixel — with pure, overlapping, soft and uncovered
    pixels in one map, channels-first and channels-last, float32 and bf16 features."""
    from studio.engine.style.grams import gram_rows, plan_regions, region_grams

    torch.manual_seed(0)
    f32 = torch.randn(1, 8, 6, 7)
    w = torch.rand(3, 42)
    w[:, :10] = torch.tensor([1.0, 0, 0]).view(3, 1)  # pure in region 0
    w[:, 10:20] = torch.tensor([0, 1.0, 0]).view(3, 1)  # pure in region 1
    w[:, 20:25] = 0  # nobody's
    w[:, 25:30] = torch.tensor([1.0, 1.0, 0]).view(3, 1)  # painted twice: not pure, goes to the shared block
    plan = plan_regions(w, [0, 1, 2])
    assert plan.pure[0] == (0, 10) and plan.pure[1] == (10, 20) and plan.pure[2][0] == plan.pure[2][1]
    target = torch.randn(3, 8, 8)

    f = f32.clone().to(dtype).contiguous(memory_format=layout).requires_grad_(True)
    fast = region_grams(f, plan)
    ((fast - target) ** 2).sum().backward()
    ref_f = f.detach().float().requires_grad_(True)
    ref = torch.stack([masks.masked_gram(ref_f, w[k].view(1, 1, 6, 7))[0] for k in range(3)])
    ((ref - target) ** 2).sum().backward()
    tol = 1e-5 if dtype == torch.float32 else 2e-2
    assert fast.dtype == torch.float32
    assert torch.allclose(fast, ref, atol=tol, rtol=tol)
    assert torch.allclose(f.grad.float(), ref_f.grad, atol=tol * 10, rtol=tol)
    assert float(f.grad.float()[0].permute(1, 2, 0).reshape(42, 8)[20:25].abs().max()) == 0.0  # unpainted: no pull

    g = f32.clone().contiguous(memory_format=layout).requires_grad_(True)
    (gram_rows(g) ** 2).sum().backward()
    h = f32.clone().requires_grad_(True)
    r = h.reshape(1, 8, 42)
    (((r @ r.transpose(1, 2)) / 42) ** 2).sum().backward()
    assert torch.allclose(g.grad, h.grad, atol=1e-5)


def test_mask_follows_each_layer_resolution():
    m = torch.zeros(1, 1, 8, 8)
    m[..., :, :4] = 1  # left half
    small = masks.at_layer(m, (4, 4))
    assert small.shape == (1, 1, 4, 4)
    assert torch.equal(small[0, 0, :, :2], torch.ones(4, 2)) and torch.equal(small[0, 0, :, 2:], torch.zeros(4, 2))
    odd = masks.at_layer(m, (3, 3))  # pooling of odd sizes: the middle column is half painted
    assert odd[0, 0, 0, 0] == 1 and odd[0, 0, 0, 2] == 0 and 0 < float(odd[0, 0, 0, 1]) < 1


def test_region_colours_round_trip_with_soft_edges():
    w = np.zeros((10, 20, 3), np.float32)
    w[:, :8, 0] = 1.0
    w[:, 12:, 2] = np.linspace(1.0, 0.2, 8)[None, :]  # a soft falloff towards black
    back = masks.decode_regions(masks.encode_regions(w), 3)
    assert back.shape == (10, 20, 3)
    assert np.abs(back - w).max() < 0.02
    assert back[:, 8:12].max() == 0  # black = no particular style


def test_style_mask_png_with_transparency(tmp_path):
    rgba = np.zeros((6, 6, 4), np.uint8)
    rgba[:3, :, :] = 255  # top half: opaque white; bottom: transparent
    Image.fromarray(rgba, "RGBA").save(tmp_path / "m.png")
    m = masks.load_style_mask(tmp_path / "m.png")
    assert m[:3].min() == 1.0 and m[3:].max() == 0.0
    assert masks.load_style_mask(tmp_path / "m.png", (12, 12)).shape == (12, 12)
    (tmp_path / "bad.png").write_bytes(b"not a png")
    with pytest.raises(masks.MaskError):
        masks.load_style_mask(tmp_path / "bad.png")


def _stripes(color_a, color_b, size=64, period=8, vertical=True):
    a = np.zeros((size, size, 3), np.uint8)
    idx = np.arange(size) // (period // 2) % 2
    band = idx[None, :] if vertical else idx[:, None]
    a[:] = np.where(band[..., None] == 0, color_a, color_b)
    return a


def _region_style_loss(loss: GatysLoss, x: torch.Tensor, region: torch.Tensor, style_k: int) -> float:
    feats = loss.features(x)
    total = 0.0
    for i, w in loss.style_layers.items():
        f = feats[i]
        m = masks.at_layer(region, tuple(f.shape[-2:]))
        total += w * float(torch.nn.functional.mse_loss(masks.masked_gram(f, m), loss.per_style_targets[style_k][i]))
    return total


@needs_vgg16
@pytest.mark.parametrize("normalize, margin", [(False, 0.5), (True, 0.8)])
def test_two_content_regions_take_their_own_styles(normalize, margin):
    """Each region ends nearer its own painting's Grams than the other's (the absolute losses, which this score
    uses, by 2×; the relative ones spread the effort over the fine layers this score hardly counts)."""
    size = 64
    content = np.full((size, size, 3), 128, np.uint8)
    red = _stripes((220, 40, 40), (250, 230, 220), size, period=8, vertical=True)
    blue = _stripes((30, 60, 200), (10, 10, 40), size, period=16, vertical=False)
    regions = np.zeros((size, size, 2), np.float32)
    regions[:, : size // 2, 0] = 1  # left: style 1 (red stripes)
    regions[:, size // 2:, 1] = 1  # right: style 2 (blue bands)
    s = StyleSettings(size=size, iterations=60, backbone="vgg16", scales=[size], preview_every_s=0,
                      timelapse_frames=0, tv_weight=0.1, init="content", normalize=normalize)
    out = run_job(StyleTransferJob(s, content, [red, blue], content_mask=regions))
    assert out.error is None, out.details
    img = out.result.image
    x = torch.from_numpy(img.astype(np.float32) / 255).permute(2, 0, 1)[None]
    from studio.engine.style.backbones import load_backbone

    loss = GatysLoss(load_backbone("vgg16"), s.content_layers, s.style_layers, 1, 1, 0)
    tens = [torch.from_numpy(a.astype(np.float32) / 255).permute(2, 0, 1)[None] for a in (red, blue)]
    loss.set_styles(tens, [1, 1])
    left, right = masks.mask_tensor(regions[..., 0], "cpu"), masks.mask_tensor(regions[..., 1], "cpu")
    assert _region_style_loss(loss, x, left, 0) < margin * _region_style_loss(loss, x, left, 1)
    assert _region_style_loss(loss, x, right, 1) < margin * _region_style_loss(loss, x, right, 0)
    # and visibly: the left half is redder than the right, the right bluer
    lh, rh = img[:, : size // 2].astype(float).mean((0, 1)), img[:, size // 2:].astype(float).mean((0, 1))
    assert lh[0] - lh[2] > rh[0] - rh[2] + 20, (lh, rh)


@needs_vgg16
def test_style_mask_chooses_which_part_of_the_painting_counts(tmp_path):
    size = 64
    style = np.zeros((size, size, 3), np.uint8)
    style[:, : size // 2] = _stripes((240, 40, 40), (255, 200, 60), size, 8)[:, : size // 2]  # warm left
    style[:, size // 2:] = _stripes((40, 220, 90), (20, 60, 30), size, 8)[:, size // 2:]  # green right
    mask = np.zeros((size, size), np.uint8)
    mask[:, : size // 2] = 255
    Image.fromarray(mask).save(tmp_path / "mask.png")
    content = np.full((size, size, 3), 128, np.uint8)
    s = StyleSettings(size=size, iterations=50, backbone="vgg16", scales=[size], preview_every_s=0,
                      timelapse_frames=0, content_weight=0.0, init="noise")
    picked = run_job(StyleTransferJob(s, content, [style], style_masks=[tmp_path / "mask.png"]))
    inverse = run_job(StyleTransferJob(s, content, [style], style_masks=[255 - mask]))
    assert picked.error is None and inverse.error is None, (picked.details, inverse.details)
    pm = picked.result.image.astype(float).mean((0, 1))
    im = inverse.result.image.astype(float).mean((0, 1))
    # the warm half's colours with the mask, the green half's with its inverse
    assert (pm[0] - pm[1]) - (im[0] - im[1]) > 40, (pm, im)
    assert pm[0] > pm[1] and im[1] > im[0], (pm, im)


@needs_vgg16
def test_masks_are_saved_with_the_recipe_and_restored(tmp_path):
    size = 48
    rng = np.random.default_rng(0)
    content = rng.integers(0, 255, (size, size, 3), dtype=np.uint8)
    styles = [_stripes((200, 30, 30), (240, 240, 240), size), _stripes((30, 30, 200), (0, 0, 0), size, 16, False)]
    sm = np.zeros((size, size), np.float32)
    sm[:20] = 1.0
    regions = np.zeros((size, size, 2), np.float32)
    regions[:, :24, 0] = 1.0
    regions[:, 30:, 1] = 0.5
    s = StyleSettings(size=size, iterations=3, backbone="vgg16", scales=[size], preview_every_s=0,
                      timelapse_frames=0)
    out = run_job(StyleTransferJob(s, content, styles, style_masks=[sm, None], content_mask=regions))
    assert out.error is None, out.details
    art = save_result(out.result, tmp_path / "art.png")
    style_files, region_files = load_recipe_masks(art)
    assert style_files[1] is None and style_files[0].name == "art.style-mask-1.png"
    assert np.abs(masks.load_style_mask(style_files[0]) - sm).max() < 1 / 255 + 1e-6
    restored = masks.load_content_regions(region_files, 2)
    assert np.abs(restored - regions).max() < 1 / 255 + 1e-6
    settings, *_ = load_recipe(tmp_path / "art.json")
    assert settings.size == size
    # a missing mask file is reported, not silently dropped
    style_files[0].unlink()
    with pytest.raises(Exception, match="missing"):
        load_recipe_masks(tmp_path / "art.json")


def test_a_mask_that_selects_nothing_is_a_clear_error():
    s = StyleSettings(size=32, iterations=1, backbone="random", scales=[32], preview_every_s=0, timelapse_frames=0)
    img = np.full((32, 32, 3), 100, np.uint8)
    out = run_job(StyleTransferJob(s, img, [img], style_masks=[np.zeros((32, 32), np.float32)]))
    assert out.error is not None and "selects nothing" in out.error
    with pytest.raises(ValueError, match="mask"):
        StyleTransferJob(s, img, [img], style_masks=[None, None])


def test_cli_masks_and_recipe_rerun(tmp_path):
    import json
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parents[1]
    size = 40
    rng = np.random.default_rng(1)
    Image.fromarray(rng.integers(0, 255, (size, size, 3), dtype=np.uint8)).save(tmp_path / "photo.png")
    Image.fromarray(_stripes((200, 30, 30), (240, 240, 240), size)).save(tmp_path / "a.png")
    Image.fromarray(_stripes((30, 30, 200), (0, 0, 0), size, 16, False)).save(tmp_path / "b.png")
    sm = np.zeros((size, size), np.uint8)
    sm[:, :20] = 255
    Image.fromarray(sm).save(tmp_path / "sel.png")
    w = np.zeros((size, size, 2), np.float32)
    w[:, :20, 1] = 1.0  # left half: style 2 (green)
    Image.fromarray(masks.encode_regions(w)).save(tmp_path / "where.png")
    backbone = "vgg16" if vgg16_path().is_file() else "random"
    base = [sys.executable, "-m", "studio", "stylize", "--size", str(size), "--iterations", "2", "--backbone",
            backbone, "--quiet"]
    cmd = base + [str(tmp_path / "photo.png"), str(tmp_path / "a.png"), str(tmp_path / "b.png"),
                  "--style-mask", f"2={tmp_path / 'sel.png'}", "--content-mask", str(tmp_path / "where.png"),
                  "--out", str(tmp_path / "art.png")]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=repo)
    assert res.returncode == 0, res.stderr
    recipe = json.loads((tmp_path / "art.json").read_text())
    assert recipe["mask_files"]["style"] == [None, "art.style-mask-2.png"]
    assert np.array_equal(np.asarray(Image.open(tmp_path / "art.style-mask-2.png")), sm)
    left = np.asarray(Image.open(tmp_path / "art.region-2.png"))
    assert left[:, :20].min() == 255 and left[:, 20:].max() == 0
    again = subprocess.run(base + ["--recipe", str(tmp_path / "art.json"), "--out", str(tmp_path / "again.png")],
                           capture_output=True, text=True, timeout=120, cwd=repo)
    assert again.returncode == 0, again.stderr
    assert json.loads((tmp_path / "again.json").read_text())["mask_files"] == {
        "style": [None, "again.style-mask-2.png"], "regions": ["again.region-1.png", "again.region-2.png"]}
    bad = subprocess.run(base + [str(tmp_path / "photo.png"), str(tmp_path / "a.png"), "--style-mask", "3=x.png",
                                 "--out", str(tmp_path / "x.png")], capture_output=True, text=True, timeout=120,
                         cwd=repo)
    assert bad.returncode == 2 and "1 style image" in bad.stderr


def test_region_palette_is_one_for_engine_and_editor():
    from studio.ui.widgets.mask.editor import DEFAULT_REGION_COLORS

    assert tuple(map(tuple, DEFAULT_REGION_COLORS)) == masks.REGION_COLORS
