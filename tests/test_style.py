"""Style transfer engine + CLI: losses by hand, the weights ladder, real short runs at 64 px."""

from __future__ import annotations

import http.server
import pickle
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from studio.engine import pretrained
from studio.engine.jobs import Finished, JobToken, Metrics, Preview, run_job
from studio.engine.style import backbones, color
from studio.engine.style.gatys import (
    GatysLoss,
    StyleSettings,
    StyleTransferJob,
    estimate_memory_bytes,
    gram,
    look_anchor,
    plan_scales,
    preset_settings,
    tv_loss,
)

REPO = Path(__file__).resolve().parents[1]
HAS_VGG16 = pretrained.verify()
needs_vgg16 = pytest.mark.skipif(not HAS_VGG16, reason="VGG16 features not fetched (make models)")


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    import skimage.data as data

    d = tmp_path_factory.mktemp("style-inputs")
    paths = {}
    for name, arr in (("astronaut", data.astronaut()), ("coffee", data.coffee()), ("chelsea", data.chelsea())):
        img = Image.fromarray(arr)
        img.thumbnail((128, 128))
        paths[name] = d / f"{name}.png"
        img.save(paths[name])
    return paths


def _tiny(**kw) -> StyleSettings:
    base = dict(size=64, iterations=8, optimizer="adam", lr=0.05, backbone="vgg16" if HAS_VGG16 else "random",
                preview_every_s=0, content_layers={"conv3_2": 1.0},
                style_layers={"conv1_1": 1.0, "conv2_1": 1.0, "conv3_1": 1.0})
    base.update(kw)
    return StyleSettings(**base)


def test_gram_matches_hand_computation():
    f = torch.tensor([[1.0, 2.0], [3.0, 4.0]]).reshape(1, 1, 2, 2).repeat(1, 2, 1, 1)
    f[0, 1] *= -1  # channel 1 = -channel 0
    g = gram(f)[0]
    s = 1 + 4 + 9 + 16  # Σx² over the 2×2 map
    expected = torch.tensor([[s, -s], [-s, s]]) / 4.0  # divided by H·W
    assert torch.allclose(g, expected)


def test_tv_loss_matches_hand_computation():
    x = torch.tensor([[0.0, 1.0, 3.0], [2.0, 2.0, 2.0]]).reshape(1, 1, 2, 3)
    horizontal = 1 + 2 + 0 + 0
    vertical = 2 + 1 + 1
    assert tv_loss(x).item() == pytest.approx((horizontal + vertical) / 6)
    assert tv_loss(torch.ones(1, 3, 5, 5)).item() == 0.0


def test_bf16_keeps_the_first_layer_in_float32():
    # the image being optimised must not be rounded to bf16: late L-BFGS steps are smaller than a bf16 step
    bb = backbones.load_backbone("random")
    kw = dict(content_layers={"conv2_2": 1.0}, style_layers={"conv1_1": 1.0, "conv2_1": 1.0}, content_weight=1.0,
              style_weight=1.0, tv_weight=0.0)
    mixed, full = GatysLoss(bb, **kw, bf16=True), GatysLoss(bb, **kw, bf16=False)
    assert mixed.fp32_head == 2  # conv1_1 and its ReLU
    x = torch.rand(1, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    a, b = mixed.features(x), full.features(x)
    assert a[1].dtype == torch.float32 and torch.allclose(a[1], b[1], atol=1e-5)
    step = torch.full_like(x, 1e-3)  # a pixel step below half a bf16 step after normalisation: seen as float32 sees it
    assert torch.allclose(mixed.features(x + step)[1] - a[1], full.features(x + step)[1] - b[1], atol=1e-5)


def test_coarse_to_fine_start_keeps_the_photo_detail():
    job = StyleTransferJob(StyleSettings(backbone="random"), np.zeros((8, 8, 3), np.uint8), [np.zeros((8, 8, 3))])
    gen = torch.Generator().manual_seed(1)
    fine = torch.rand(1, 3, 16, 16, generator=gen) * 0.8 + 0.1
    coarse = torch.nn.functional.interpolate(fine, size=(8, 8), mode="bilinear", antialias=True)
    # nothing changed at the coarse scale → the start at the finer scale is the photo itself, not its blurred copy
    assert torch.allclose(job._upsample(coarse, coarse, fine, (16, 16)), fine, atol=1e-6)
    # a change made at the coarse scale is carried over on top of the photo's detail
    assert torch.allclose(job._upsample(coarse + 0.05, coarse, fine, (16, 16)), fine + 0.05, atol=1e-5)
    # no content loss (a texture): plain upsampling
    tex = StyleTransferJob(StyleSettings(backbone="random", content_weight=0.0), np.zeros((8, 8, 3), np.uint8),
                           [np.zeros((8, 8, 3))])
    up = torch.nn.functional.interpolate(coarse, size=(16, 16), mode="bicubic", align_corners=False).clamp(0, 1)
    assert torch.allclose(tex._upsample(coarse, coarse, fine, (16, 16)), up)


def test_layer_indices_match_the_lesson():
    vgg16 = backbones.layer_indices("vgg16")
    assert [vgg16[k] for k in ("conv1_1", "conv2_1", "conv3_1", "conv4_1")] == [1, 6, 11, 18]
    assert (vgg16["conv4_2"], vgg16["conv3_2"], vgg16["conv5_1"]) == (20, 13, 25)
    vgg19 = backbones.layer_indices("vgg19")
    assert (vgg19["conv4_2"], vgg19["conv5_1"]) == (22, 29)
    assert backbones.lesson_layer_name("block4_conv2") == "conv4_2"


def test_plan_scales_gives_most_iterations_to_the_anchor():
    plan = plan_scales(StyleSettings(size=1024, iterations=300))
    assert [s for s, _ in plan] == [128, 256, 512, 1024]
    assert sum(n for _, n in plan) == 300
    its = dict(plan)
    # the anchor (largest side ≤ 512) gets the most; below it 1/8 of that, halving per scale; above it half per doubling
    assert its[512] > its[1024] > its[256] > its[128]
    assert its[256] == round(its[512] / 8) and its[128] == round(its[512] / 16) and abs(its[1024] * 2 - its[512]) <= 1
    cost = sum(n * (side / 1024) ** 2 for side, n in plan)
    assert cost < 0.5 * 300  # well under single-scale's cost for the same number of passes
    # the default at 512 px: a short coarse head start, then the full size (bench_style --only quality)
    assert plan_scales(StyleSettings()) == [(128, 11), (256, 21), (512, 168)]
    # fewer passes than scales: the coarsest are dropped, never a scale with 0 passes
    assert plan_scales(StyleSettings(size=2048, iterations=2)) == [(1024, 1), (2048, 1)]
    for n in range(1, 12):
        plan = plan_scales(StyleSettings(size=2048, iterations=n))
        assert sum(k for _, k in plan) == n and min(k for _, k in plan) >= 1 and plan[-1][0] == 2048
    assert plan_scales(StyleSettings(size=120, iterations=50)) == [(120, 50)]
    assert plan_scales(StyleSettings(size=512, iterations=90, scales=[256, 512], scale_iterations=[60, 30])) == [
        (256, 60), (512, 30)]


@needs_vgg16
def test_memory_estimate_follows_precision_size_and_the_lbfgs_history_it_fills():
    s = StyleSettings(size=2048)
    fp32, bf16 = estimate_memory_bytes(s, 1.0, "vgg16"), estimate_memory_bytes(s, 1.0, "vgg16", bf16=True)
    assert bf16 < fp32
    assert estimate_memory_bytes(StyleSettings(size=1024), 1.0, "vgg16") < fp32 / 2.5  # a quarter the pixels
    # the look guide runs the backbone on the 512 px version too; a 512 px output has no guide
    no_guide = estimate_memory_bytes(StyleSettings(size=2048, keep_look=False), 1.0, "vgg16")
    assert fp32 - no_guide == pytest.approx(1.1 * 2700 * 512 * 512, rel=0.01)
    assert estimate_memory_bytes(StyleSettings(size=512, keep_look=False), 1.0, "vgg16") == estimate_memory_bytes(
        StyleSettings(size=512), 1.0, "vgg16")
    assert estimate_memory_bytes(s, 1.0, "vgg19") > fp32  # a deeper backbone keeps more activations
    assert estimate_memory_bytes(s, 2.0, "vgg16") < 0.6 * fp32  # a 2:1 picture has half the pixels
    # the finest pass of the default stores fewer L-BFGS pairs than the history allows; a long run fills it
    final_evals = plan_scales(s)[-1][1]
    assert final_evals < s.lbfgs_history
    long = StyleSettings(size=2048, iterations=2000)
    pairs = s.lbfgs_history - final_evals
    grown = estimate_memory_bytes(long, 1.0, "vgg16") - fp32
    assert grown == pytest.approx(1.1 * 2048 * 2048 * 24 * pairs, rel=0.01)


def test_a_run_that_would_not_fit_in_memory_says_which_size_would(images, monkeypatch):
    from studio.engine.style import gatys

    s = _tiny(size=256, iterations=2)
    have = estimate_memory_bytes(StyleSettings(**{**s.to_dict(), "size": 100}), 1.0, "vgg16", bf16=True)
    monkeypatch.setattr(gatys, "available_memory_bytes", lambda device: have)
    out = run_job(StyleTransferJob(s, images["astronaut"], [images["coffee"]]))
    assert out.result is None and out.error is not None
    msg = str(out.error)
    assert "256 px result needs about" in msg and "Choose" in msg, msg
    fits = int(msg.split("Choose ")[1].split(" px")[0])
    assert 16 <= fits < 256
    arch = "vgg16" if HAS_VGG16 else "vgg19"
    bf16 = gatys.use_bf16(s.precision, "cpu")
    fitting = StyleSettings(**{**s.to_dict(), "size": fits})
    assert estimate_memory_bytes(fitting, 1.0, arch, bf16) <= have
    fitting.size = fits + 1
    assert estimate_memory_bytes(fitting, 1.0, arch, bf16) > have


def test_look_anchor_is_the_largest_scale_up_to_512_with_finer_ones_after_it():
    assert look_anchor([(128, 11), (256, 21), (512, 168)]) is None  # a 512 px output is its own look
    assert look_anchor([(128, 6), (256, 13), (512, 103), (1024, 52), (2048, 26)]) == 2
    assert look_anchor([(600, 10), (1200, 5)]) is None


def test_finer_scales_keep_the_anchor_look(images, monkeypatch):
    """Above the anchor the result, downscaled to the anchor's size, is held to the anchor's objective: the finer
    pass reports it as "look", and the finished picture scores better on it than without."""
    from studio.engine.style import budget

    monkeypatch.setattr(budget, "ANCHOR_SIDE", 32)  # tiny sizes: 32 px plays the 512 px pass

    def run(keep: bool):
        s = _tiny(optimizer="lbfgs", scales=[32, 64], scale_iterations=[12, 12], style_weight=30.0, keep_look=keep,
                  style_layers={"conv1_1": 1.0, "conv2_1": 1.0, "conv3_1": 1.0})
        metrics = []
        out = run_job(StyleTransferJob(s, images["astronaut"], [images["coffee"]]),
                      lambda e: metrics.append(e.values) if isinstance(e, Metrics) else None)
        assert out.error is None, out.details
        return out.result, metrics

    kept, m_kept = run(True)
    free, m_free = run(False)
    assert ["look" in m for m in m_kept] == [False] * 12 + [True] * 12
    assert not any("look" in m for m in m_free)
    assert kept.image.shape == free.image.shape and max(kept.image.shape[:2]) == 64
    # both results, downscaled to 32 px, scored by the coarse pass's objective (its style weight is the settings'
    # rescaled for the size, read back from its last losses; content and smoothness weights are 1)
    from studio.engine.style.backbones import load_backbone
    from studio.engine.style.gatys import _resized, _to_tensor, fit_long_side

    end = m_kept[11]
    coarse_sw = (end["total"] - end["content"] - end["tv"]) / end["style"]
    s = _tiny(style_layers={"conv1_1": 1.0, "conv2_1": 1.0, "conv3_1": 1.0})
    loss = GatysLoss(load_backbone(s.backbone), s.content_layers, s.style_layers, 1.0, coarse_sw, 0.0)
    photo, painting = Image.open(images["astronaut"]).convert("RGB"), Image.open(images["coffee"]).convert("RGB")
    loss.set_content(_to_tensor(_resized(photo, fit_long_side(photo.size, 32)), "cpu"))
    loss.set_styles([_to_tensor(_resized(painting, fit_long_side(painting.size, 32)), "cpu")], [1.0])

    def score(img: np.ndarray) -> float:
        small = Image.fromarray(img).resize(fit_long_side((img.shape[1], img.shape[0]), 32), Image.LANCZOS)
        with torch.no_grad():
            return float(loss(_to_tensor(np.asarray(small, dtype=np.float32) / 255.0, "cpu"))["total"])

    assert score(kept.image) < 0.9 * score(free.image), (score(kept.image), score(free.image))


def test_content_only_reconstruction_from_noise_lowers_content_loss(images):
    s = _tiny(init="noise", style_weight=0.0, tv_weight=0.0, iterations=15, lr=0.08)
    metrics = []
    out = run_job(StyleTransferJob(s, images["astronaut"]),
                  lambda e: metrics.append(e.values) if isinstance(e, Metrics) else None)
    assert out.error is None, out.details
    assert metrics[-1]["content"] < 0.5 * metrics[0]["content"]


def test_style_loss_falls_and_output_has_requested_size(images):
    s = _tiny(iterations=10, optimizer="lbfgs", scales=[32, 64], scale_iterations=[6, 4], style_weight=1e4)
    metrics = []
    out = run_job(StyleTransferJob(s, images["astronaut"], [images["coffee"], images["chelsea"]], [2, 1]),
                  lambda e: metrics.append(e.values) if isinstance(e, Metrics) else None)
    assert out.error is None, out.details
    first_scale = metrics[: plan_scales(s)[0][1]]
    assert first_scale[-1]["style"] < 0.5 * first_scale[0]["style"]
    assert max(out.result.image.shape[:2]) == 64 and out.result.image.dtype == np.uint8
    assert out.result.recipe["result"]["iterations"] == 10


def test_keep_colours_keeps_the_content_chroma(images):
    s = _tiny(colors="keep", iterations=4)
    out = run_job(StyleTransferJob(s, images["astronaut"], [images["coffee"]]))
    assert out.error is None, out.details
    img = out.result.image
    content = np.asarray(Image.open(images["astronaut"]).convert("RGB").resize((img.shape[1], img.shape[0]),
                                                                             Image.LANCZOS)) / 255.0
    got = color.rgb_to_ycbcr(img / 255.0)[..., 1:]
    want = color.rgb_to_ycbcr(content)[..., 1:]
    # chroma survives up to uint8 rounding and gamut clipping; luminance has changed
    assert np.median(np.abs(got - want)) < 0.01
    assert np.abs(color.rgb_to_ycbcr(img / 255.0)[..., 0] - color.rgb_to_ycbcr(content)[..., 0]).mean() > 0.005


def test_match_colours_moves_style_statistics_to_the_content():
    rng = np.random.default_rng(0)
    content = rng.random((16, 16, 3)).astype(np.float32) * 0.5 + 0.25
    style = np.clip(rng.random((16, 16, 3)) * [0.2, 0.9, 0.3], 0, 1).astype(np.float32)
    out = color.match_colors(style, content)
    assert np.allclose(out.reshape(-1, 3).mean(0), content.reshape(-1, 3).mean(0), atol=0.03)


def test_job_emits_metrics_and_previews_and_keeps_the_result_on_stop(images):
    s = _tiny(iterations=1000, preview_every_s=0.01, timelapse_frames=5)
    token = JobToken()
    seen = []

    def on_event(ev):
        seen.append(ev)
        if isinstance(ev, Metrics) and ev.step == 3:
            token.stop()

    out = run_job(StyleTransferJob(s, images["astronaut"], [images["coffee"]]), on_event, token)
    assert out.error is None and out.cancelled
    assert any(isinstance(e, Preview) and e.image.dtype == np.uint8 for e in seen)
    final = seen[-1]
    assert isinstance(final, Finished) and final.result is not None and final.result.stopped
    assert final.result.iterations == 3 and final.result.image.shape[2] == 3
    assert 1 <= len(final.result.timelapse) <= 6


def test_ladder_falls_back_to_random_with_a_warning(tmp_path, monkeypatch):
    monkeypatch.setenv("GAN_STUDIO_MODELS", str(tmp_path / "models"))
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "hub"))
    status = {rung: ok for rung, ok, _ in backbones.ladder_status()}
    assert status == {"vgg19": False, "vgg16": False, "random": True}
    bb = backbones.load_backbone("auto")
    assert bb.name == "random-vgg16" and "texture-like" in bb.warning
    with pytest.raises(backbones.BackboneError):
        backbones.load_backbone("vgg16")


def test_vgg19_file_loads_with_weights_only_and_a_pickled_class_is_refused(tmp_path, monkeypatch):
    hub = tmp_path / "hub"
    (hub / "checkpoints").mkdir(parents=True)
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(hub))
    state = {f"features.{k}": torch.zeros_like(v) for k, v in backbones.vgg_features("vgg19").state_dict().items()}
    state["classifier.0.weight"] = torch.zeros(2, 2)  # dropped: only features.* are kept
    torch.save(state, hub / "checkpoints" / backbones.VGG19_FILENAME)
    bb = backbones.load_backbone("auto")
    assert bb.name == "vgg19" and bb.warning is None and not any(p.requires_grad for p in bb.net.parameters())
    assert bb.truncated(["conv4_2"]).net[-1].__class__.__name__ == "ReLU"
    assert len(bb.truncated(["conv4_2"]).net) == 23

    evil = tmp_path / "evil.pth"
    with open(evil, "wb") as fh:
        pickle.dump({"features.0.weight": _Evil()}, fh, protocol=2)
    with pytest.raises(backbones.BackboneError, match="refused"):
        backbones.load_vgg19_file(evil)
    assert not (tmp_path / "pwned").exists()


class _Evil:
    def __reduce__(self):
        return (Path.touch, (Path("/nonexistent-dir/pwned"),))


def test_download_vgg19_from_loopback_with_progress_checksum_and_cancel(tmp_path, monkeypatch):
    import hashlib

    payload = bytes(range(256)) * 400
    served = tmp_path / "srv"
    served.mkdir()
    (served / "vgg19.pth").write_bytes(payload)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **kw):
            super().__init__(*a, directory=str(served), **kw)

        def log_message(self, *a):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        monkeypatch.setattr(backbones, "VGG19_URL", f"http://127.0.0.1:{server.server_port}/vgg19.pth")
        monkeypatch.setattr(backbones, "VGG19_HASH_PREFIX", hashlib.sha256(payload).hexdigest()[:8])
        seen = []
        dest = backbones.download_vgg19(tmp_path / "out" / "vgg19.pth", lambda d, t: seen.append((d, t)),
                                        chunk_size=10_000)
        assert dest.read_bytes() == payload and seen[-1] == (len(payload), len(payload)) and len(seen) > 5

        class Stop(Exception):
            pass

        calls = {"n": 0}

        def check():
            calls["n"] += 1
            if calls["n"] > 2:
                raise Stop

        with pytest.raises(Stop):
            backbones.download_vgg19(tmp_path / "c" / "v.pth", check=check, chunk_size=10_000)
        assert list((tmp_path / "c").iterdir()) == []

        monkeypatch.setattr(backbones, "VGG19_HASH_PREFIX", "00000000")
        with pytest.raises(backbones.BackboneError, match="checksum"):
            backbones.download_vgg19(tmp_path / "bad" / "v.pth")
        assert list((tmp_path / "bad").iterdir()) == []
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_lesson_presets_use_vgg16_and_the_lesson_layers():
    s = preset_settings("lesson-content-style-variation")
    assert s.backbone == "vgg16" and s.center_crop and s.size == 256 and s.init == "content+noise"
    assert list(s.style_layers) == ["conv1_1", "conv2_1", "conv3_1", "conv4_1"]
    assert preset_settings("lesson-layer-block5_conv1").content_layers == {"conv5_1": 1.0}


def test_cli_writes_png_with_recipe_beside_and_inside(images, tmp_path):
    from studio.engine.export import read_artwork_recipe
    from studio.engine.style.gatys import load_recipe

    out = tmp_path / "art.png"
    gif = tmp_path / "t.gif"
    cmd = [sys.executable, "-m", "studio", "stylize", "--content", str(images["astronaut"]),
           "--style", str(images["coffee"]), "--size", "48", "--iterations", "3", "--optimizer", "adam",
           "--backbone", "vgg16" if HAS_VGG16 else "random", "--style-layers", "conv1_1,conv2_1",
           "--content-layers", "conv2_2", "--seed", "3", "--timelapse", str(gif), "--out", str(out), "--quiet"]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=REPO)
    assert res.returncode == 0, res.stderr
    assert Image.open(out).size[0] == 48 and gif.is_file()
    recipe = read_artwork_recipe(out)
    assert recipe == __import__("json").loads(out.with_suffix(".json").read_text())
    settings, content, styles, blend = load_recipe(out.with_suffix(".json"))
    assert settings.seed == 3 and settings.iterations == 3 and content.endswith("astronaut.png") and blend == [1.0]


def test_jpeg_and_webp_carry_the_recipe(tmp_path):
    from studio.engine.export import read_artwork_recipe, save_artwork

    img = np.zeros((8, 8, 3), np.uint8)
    for name in ("a.jpg", "a.webp"):
        save_artwork(img, tmp_path / name, {"kind": "x", "n": 1})
        assert read_artwork_recipe(tmp_path / name) == {"kind": "x", "n": 1}


def test_recipes_keep_their_look_guide_setting_and_older_ones_run_without_it(tmp_path):
    import json

    from studio.engine.style.gatys import load_recipe

    for keep in (True, False):
        recipe = {"kind": "gan-art-studio/style-transfer", "settings": StyleSettings(size=1024, keep_look=keep).to_dict(),
                  "content": "a.png", "styles": ["b.png"], "style_blend": [1.0]}
        (tmp_path / "r.json").write_text(json.dumps(recipe))
        assert load_recipe(tmp_path / "r.json")[0].keep_look is keep
    old = {"kind": "gan-art-studio/style-transfer", "settings": {"size": 1024}, "content": "a.png", "styles": ["b.png"]}
    (tmp_path / "old.json").write_text(json.dumps(old))
    assert load_recipe(tmp_path / "old.json")[0].keep_look is False



def test_use_the_paintings_colours_gives_the_result_the_paintings_palette(tmp_path):
    """Issue 17: a blue photo and an orange and dark-red painting. "Use the painting's colours" (adopt, the default) ends far
    nearer the painting's colours than the free mode, which keeps mostly the photo's; the layout stays the photo's."""
    rng = np.random.default_rng(0)
    photo = np.zeros((64, 64, 3), np.uint8)
    photo[:] = (40, 70, 200)
    photo[16:48, 16:48] = (220, 220, 240)  # a pale square: the layout to keep
    blot = np.kron(rng.random((8, 8)) < 0.5, np.ones((8, 8)))[..., None] > 0  # orange and dark-red patches
    paint = np.where(blot, np.array([230, 120, 30]), np.array([90, 30, 20]))
    paint = np.clip(paint + rng.normal(0, 12, (64, 64, 3)), 0, 255).astype(np.uint8)
    Image.fromarray(photo).save(tmp_path / "photo.png")
    Image.fromarray(paint).save(tmp_path / "paint.png")
    assert StyleSettings().colors == "adopt"
    mean = {}
    for mode in ("none", "adopt"):
        out = run_job(StyleTransferJob(_tiny(colors=mode), tmp_path / "photo.png", [tmp_path / "paint.png"]))
        assert out.error is None, out.details
        img = out.result.image.astype(float)
        mean[mode] = img.reshape(-1, 3).mean(0)
        if mode == "adopt":  # the square is still there: the result's brightness follows the photo's layout
            square = np.zeros((64, 64))
            square[16:48, 16:48] = 1
            assert np.corrcoef(img.mean(-1).ravel(), square.ravel())[0, 1] > 0.5
    target = paint.reshape(-1, 3).mean(0)
    far, near = np.abs(mean["none"] - target).sum(), np.abs(mean["adopt"] - target).sum()
    assert near < 0.35 * far, (mean, target)


def test_a_recipe_without_a_colour_mode_reruns_as_it_was_made():
    from studio.engine.style.settings import StyleSettings as S

    old = S().to_dict()
    del old["colors"]
    assert S.from_dict(old).colors == "none"
    assert S.from_dict(S(colors="keep").to_dict()).colors == "keep"


def _faded(src: Path, dest: Path, amount: float = 0.5) -> Path:
    a = np.asarray(Image.open(src).convert("RGB"), float)
    Image.fromarray(np.clip(128 + amount * (a - 128), 0, 255).astype(np.uint8)).save(dest)
    return dest


@needs_vgg16
def test_relative_losses_start_every_painting_and_layer_at_the_same_pressure(images, tmp_path):
    """Issue 17: with normalize (the default) the style term of the photo itself is exactly the layer weights' sum,
    layer by layer, for a painting and for a contrast-reduced copy of it, while the absolute losses differ per layer
    by orders of magnitude."""
    assert StyleSettings().normalize and not StyleSettings.from_dict({"size": 64}).normalize
    bb = backbones.load_backbone("vgg16", None, "cpu")
    layers = {"conv1_1": 1.0, "conv2_1": 1.0, "conv3_1": 1.0, "conv4_1": 1.0}

    def tensor(p):
        return torch.from_numpy(np.asarray(Image.open(p).convert("RGB"), np.float32) / 255).permute(2, 0, 1)[None]

    photo = tensor(images["astronaut"])
    for painting in (images["coffee"], _faded(images["coffee"], tmp_path / "faded.png")):
        per_layer = {}
        for norm in (True, False):
            loss = GatysLoss(bb, {"conv4_2": 1.0}, layers, 1.0, 1.0, 0.0, normalize=norm)
            loss.set_content(photo)
            loss.set_styles([tensor(painting)], [1.0])
            with torch.no_grad():
                feats = loss.features(photo)
                per_layer[norm] = [float(torch.nn.functional.mse_loss(gram(feats[i]), loss.style_targets[i]))
                                   / loss.style_scale.get(i, 1.0) for i in sorted(loss.style_layers)]
                if norm:
                    assert float(loss(photo)["style"]) == pytest.approx(1.0, rel=1e-4)
                    assert float(loss(photo)["content"]) == pytest.approx(0.0, abs=1e-6)
        assert per_layer[True] == pytest.approx([1.0] * 4, rel=1e-4)
        assert max(per_layer[False]) > 50 * min(per_layer[False])  # what the normalisation takes away


@needs_vgg16
def test_relative_losses_move_every_style_layer_for_a_painting_and_its_faded_copy(images, tmp_path):
    """A short run at one strength brings every style layer well towards the painting, for the painting and for a
    faded copy; with the absolute losses the finest layer (colours and small strokes) hardly moves."""
    bb = backbones.load_backbone("vgg16", None, "cpu")

    def remaining(painting: Path, normalize: bool) -> list[float]:
        s = _tiny(iterations=12, optimizer="lbfgs", scales=[64], scale_iterations=[12], normalize=normalize,
                  style_weight=5.0, colors="none", tv_weight=0.1)
        out = run_job(StyleTransferJob(s, images["astronaut"], [painting]))
        assert out.error is None, out.details
        img = out.result.image
        loss = GatysLoss(bb, s.content_layers, s.style_layers, 1.0, 1.0, 0.0)

        def t(a):
            return torch.from_numpy(np.asarray(a, np.float32) / 255).permute(2, 0, 1)[None]

        photo = Image.open(images["astronaut"]).convert("RGB").resize((img.shape[1], img.shape[0]), Image.LANCZOS)
        with torch.no_grad():
            fr, fp, fs = loss.features(t(img)), loss.features(t(photo)), loss.features(t(Image.open(painting)))
        return [float(torch.nn.functional.mse_loss(gram(fr[i]), gram(fs[i]))
                      / torch.nn.functional.mse_loss(gram(fp[i]), gram(fs[i]))) for i in sorted(loss.style_layers)]

    for painting in (images["coffee"], _faded(images["coffee"], tmp_path / "faded.png")):
        assert max(remaining(painting, True)) < 0.5, painting
    assert remaining(images["coffee"], False)[0] > 0.55  # conv1_1 under the absolute losses


def test_a_recipe_from_before_the_relative_losses_reruns_with_the_absolute_ones():
    from studio.engine.style.settings import StyleSettings as S

    old = S(colors="adopt", style_weight=7.0).to_dict()
    del old["normalize"]
    s = S.from_dict(old)
    assert not s.normalize and s.style_weight == 7.0 and s.colors == "adopt"
    assert all(not preset_settings(n).normalize for n in ("lesson-content-style", "lesson-content-only"))


def test_every_coarse_pass_shows_a_preview_before_the_first_full_size_evaluation(images):
    s = _tiny(iterations=12, optimizer="lbfgs", scales=[32, 64], scale_iterations=[6, 6], preview_every_s=3600.0)
    order: list[str] = []
    job = StyleTransferJob(s, images["astronaut"], [images["coffee"]],
                           on_iteration=lambda step, side, x: order.append(f"eval{side}"))
    out = run_job(job, lambda e: order.append(f"preview{max(e.image.shape[:2])}") if isinstance(e, Preview)
                  else None)
    assert out.error is None, out.details
    # the clock would give no preview for an hour: the coarse pass's end gives one, before any 64 px evaluation
    assert "preview32" in order and order.index("preview32") < order.index("eval64")


def test_a_scale_too_small_for_the_deepest_layer_is_refused_in_words(images):
    s = _tiny(size=32, scales=[16, 32], scale_iterations=[1, 1], style_layers={"conv1_1": 1.0, "conv5_1": 1.0})
    out = run_job(StyleTransferJob(s, images["astronaut"], [images["coffee"]]))
    assert out.error and "too small for the network's conv5_1" in out.error and "16 px" in out.error
