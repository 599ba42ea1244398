"""Small-data training: augmentation, ADA, EMA, health detectors, quality metrics, presets, fine-tuning."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from studio.engine.gan import health as hl
from studio.engine.gan.augment import AdaptiveAugment, DiffAugment, augment_preview, parse_policy
from studio.engine.gan.checkpoints import (
    export_generator,
    latest_checkpoint,
    load_checkpoint,
    load_generator,
)
from studio.engine.gan.ema import GeneratorEMA, calibrate_batchnorm, ema_beta
from studio.engine.gan.models import PRESETS, build_gan, count_parameters
from studio.engine.gan.quality import frechet_distance, kid
from studio.engine.gan.regimes import recommend_preset, regime_for_count, resolve_settings
from studio.engine.gan.trainer import GanTrainingJob, TrainConfig
from studio.engine.jobs import JobToken, Metrics, Notice, run_job
from studio.engine.pretrained import verify
from studio.engine.runs import RunDir

ROOT = Path(__file__).resolve().parents[1]
needs_vgg = pytest.mark.skipif(not verify(), reason="offline VGG16 features not fetched (make models)")


def tiny(preset: str = "lite32", **kw) -> TrainConfig:
    """A tiny real run; unconditional unless ``kinds`` is given (tests/test_kinds.py covers kinds of pictures), with
    constant learning rates unless ``lr_decay`` is given (a test that stops a run by lowering its steps would
    otherwise change the run's plan)."""
    base = dict(data="demo", width=4, batch_size=8, steps=8, demo_count=24, sample_every_s=1e9,
                checkpoint_every_min=0, device="cpu", grid_count=4, metrics_samples=8,
                kinds=0 if not PRESETS[preset].projected else None, lr_decay=0.0)
    base.update(kw)
    return TrainConfig.for_preset(preset, **base)


# ----------------------------------------------------------------------------------- augmentation

@pytest.mark.parametrize("channels", [1, 3])
def test_augmentations_keep_shapes_and_are_differentiable(channels):
    x = torch.rand(6, channels, 16, 16, requires_grad=True)
    for ops in ("color", "translation", "cutout", "color,translation,cutout"):
        aug = DiffAugment(ops, p=1.0, seed=1)
        y = aug(x * 2 - 1)
        assert y.shape == x.shape
        assert not torch.equal(y, x * 2 - 1)
        (grad,) = torch.autograd.grad((y * torch.randn_like(y)).sum(), x)
        assert grad.shape == x.shape and grad.abs().sum() > 0 and torch.isfinite(grad).all()
    assert torch.equal(DiffAugment(p=0.0)(x), x)  # strength 0: untouched
    cl = torch.rand(4, 3, 8, 8).contiguous(memory_format=torch.channels_last)
    assert DiffAugment(p=1.0)(cl).shape == cl.shape


def test_one_draw_augments_every_scale_of_a_pyramid_alike():
    big = torch.rand(5, 3, 32, 32) * 2 - 1
    pyramid = [torch.nn.functional.avg_pool2d(big, 4), torch.nn.functional.avg_pool2d(big, 2), big]
    out = DiffAugment("color,cutout", p=1.0, seed=3)(pyramid)
    assert [t.shape for t in out] == [t.shape for t in pyramid]
    # cutout blanks the same region: pooling the augmented full size matches the augmented half size
    # wherever the mask is whole at both scales (the mask edges may differ by rounding)
    half = torch.nn.functional.avg_pool2d(out[2], 2)
    agree = (half - out[1]).abs() < 1e-4
    assert agree.float().mean() > 0.8


def test_policy_is_checked():
    assert parse_policy("cutout, color") == ("color", "cutout")
    with pytest.raises(ValueError, match="unknown augmentation"):
        parse_policy("color,blur")


def test_augment_preview_is_a_uint8_grid():
    imgs = (np.random.default_rng(0).random((5, 3, 16, 16)) * 255).astype(np.uint8)
    grid = augment_preview(imgs, p=1.0, count=5, columns=5)
    assert grid.dtype == np.uint8 and grid.ndim == 3 and grid.shape[2] == 3
    assert grid.shape[0] == 2 * 16 + 3 * 2 and grid.shape[1] == 5 * 16 + 6 * 2  # originals over augmented


# ----------------------------------------------------------------------------------- ADA

def test_adaptive_controller_moves_the_right_way():
    up = AdaptiveAugment(target=0.6, speed_imgs=1000, interval=4, p=0.2)
    for _ in range(40):  # D overconfident on reals: every logit positive
        up.observe(torch.full((25,), 3.0))
        up.update()
    assert up.p > 0.9 and up.rt == pytest.approx(1.0)
    down = AdaptiveAugment(target=0.6, speed_imgs=1000, interval=4, p=0.5)
    for _ in range(8):  # D unsure: signs balanced (E[sign] = 0 < 0.6)
        down.observe(torch.tensor([1.0, -1.0] * 10))
        down.update()
    assert down.p < 0.5 and down.rt == pytest.approx(0.0)
    for _ in range(80):
        down.observe(torch.tensor([-1.0] * 20))
        down.update()
    assert down.p == 0.0  # clamped
    # exact bookkeeping: 4 steps × 25 pictures / 1000 per unit of p
    one = AdaptiveAugment(target=0.6, speed_imgs=1000, interval=4, p=0.0)
    for _ in range(4):
        one.observe(torch.ones(25))
        one.update()
    assert one.p == pytest.approx(0.1)
    clone = AdaptiveAugment()
    clone.load_state_dict(json.loads(json.dumps(one.state_dict())))
    assert clone.state_dict() == one.state_dict()


# ----------------------------------------------------------------------------------- EMA

def test_ema_arithmetic_and_rampup():
    assert ema_beta(32, 10_000, 10**9, rampup=0.0) == pytest.approx(0.5 ** (32 / 10_000))
    assert ema_beta(32, 10_000, 1_000, rampup=0.05) == pytest.approx(0.5 ** (32 / 50))  # window capped
    assert ema_beta(32, 10_000, 0, rampup=0.05) == 0.0  # first step: copy
    g = torch.nn.Linear(3, 2)
    ema = GeneratorEMA(g, halflife_imgs=100, rampup=0.0)
    old = [p.detach().clone() for p in ema.module.parameters()]
    with torch.no_grad():
        for p in g.parameters():
            p.add_(1.0)
    beta = ema.update(g, batch=10, images_seen=10)
    assert beta == pytest.approx(0.5 ** 0.1)
    for p_ema, p_old, p_new in zip(ema.module.parameters(), old, g.parameters(), strict=True):
        assert torch.allclose(p_ema, beta * p_old + (1 - beta) * p_new, atol=1e-6)
    assert all(not p.requires_grad for p in ema.module.parameters())


def test_batchnorm_calibration_gives_the_statistics_of_the_averaged_weights():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.BatchNorm1d(6))
    z = torch.randn(64, 4)
    calibrate_batchnorm(net, z, batch_size=64)
    with torch.no_grad():
        h = net[0](z)
    bn = net[1]
    assert torch.allclose(bn.running_mean, h.mean(0), atol=1e-5)
    assert torch.allclose(bn.running_var, h.var(0, unbiased=True), atol=1e-4)
    assert not net.training and bn.momentum == 0.1


# ----------------------------------------------------------------------------------- health detectors

def test_d_winning_fires_on_a_winning_d_and_stays_quiet_on_a_healthy_one():
    det = hl.DWinningDetector("bce", window=20)
    fired = [det.observe(s, 0.02, 0.99, 0.01) for s in range(1, 41)]
    assert fired[18] is None and fired[19] is not None  # after a full window
    assert sum(f is not None for f in fired) == 1  # then a cooldown
    healthy = hl.DWinningDetector("bce", window=20)
    rng = np.random.default_rng(0)
    for s in range(1, 500):
        assert healthy.observe(s, 0.6 + 0.1 * rng.standard_normal(), 0.6, 0.4) is None
    hinge = hl.DWinningDetector("hinge", window=10)
    assert [hinge.observe(s, 0.01, 0.75, 0.25) for s in range(1, 11)][-1] is not None


def test_d_winning_is_reported_in_a_real_run_and_not_in_a_balanced_one(tmp_path):
    def health_codes(name, **kw):
        events = []
        cfg = tiny("dcgan32", steps=24, health_window=10, regime="manual", **kw)
        assert run_job(GanTrainingJob(cfg, tmp_path / name), events.append).error is None
        return [e.health for e in events if isinstance(e, hl.HealthNotice)]

    won = health_codes("won", lr_d=2e-3, lr_g=1e-8)  # a generator that cannot learn: D wins in ~15 steps
    assert [h.code for h in won] == ["d_winning"] and won[0].data["d_real"] > 0.9
    assert won[0].remedy("lower_lr_d").changes == {"lr_d": 1e-3}
    assert health_codes("balanced") == []
    # the run keeps its health history: the same events come back from health.jsonl
    records = RunDir(tmp_path / "won").read_health()
    assert [hl.event_from_dict(r) for r in records] == won
    assert RunDir(tmp_path / "won").read_health(upto_step=won[0].step - 1) == []
    assert RunDir(tmp_path / "balanced").read_health() == []


def test_collapse_detector():
    det = hl.CollapseDetector(data_diversity=0.5, min_step=100)
    seq = [(50, 0.05), (100, 0.3), (200, 0.42), (300, 0.2), (400, 0.1), (500, 0.08)]
    hits = [det.observe(s, d) for s, d in seq]
    assert hits[:4] == [None] * 4 and hits[4] is not None and hits[5] is None  # once, after patience
    quiet = hl.CollapseDetector(data_diversity=0.5, min_step=100)
    for s, d in [(50, 0.05), (100, 0.2), (200, 0.35), (300, 0.4), (400, 0.38), (500, 0.45)]:
        assert quiet.observe(s, d) is None  # early blobs are not collapse; steady variety is healthy


def test_memorization_detector():
    det = hl.MemorizationDetector(nn_median=0.2)
    assert det.observe(10, torch.full((20,), 0.01)) is not None
    assert det.observe(20, torch.full((20,), 0.01)) is None  # already reported
    quiet = hl.MemorizationDetector(nn_median=0.2)
    assert quiet.observe(10, torch.cat([torch.full((18,), 0.2), torch.full((2,), 0.01)])) is None
    # a folder whose pictures are often near-copies of each other (20 % of them): 30 % near-copies among the samples
    # is what new pictures like them would show, not copying; 45 % is, and the warning says how the folder compares
    thirty = torch.cat([torch.full((14,), 0.2), torch.full((6,), 0.01)])
    assert hl.MemorizationDetector(nn_median=0.2).observe(10, thirty) is not None
    similar = hl.MemorizationDetector(nn_median=0.2, natural=0.2)
    assert similar.observe(10, thirty) is None
    hit = similar.observe(20, torch.cat([torch.full((11,), 0.2), torch.full((9,), 0.01)]))
    assert hit is not None and hit["natural"] == 0.2
    text = hl.memorization_event(20, TrainConfig(), hit, 0.0, None, []).text()
    assert "45% of the samples are nearly identical" in text and "of your own pictures, 20% are that close" in text


def test_remedies_carry_exact_changes():
    cfg = TrainConfig(lr_d=4e-4, lr_g=2e-4, loss="bce")
    assert hl.make_remedy("lower_lr_d", cfg).changes == {"lr_d": 2e-4}
    aug = hl.make_remedy("raise_augmentation", cfg, aug_p=0.5)
    assert aug.changes == {"augment": "adaptive", "aug_p": 0.7, "ada_target": 0.5} and aug.live
    assert not hl.make_remedy("add_images", cfg).live
    event = hl.d_winning_event(5, cfg, {"loss_d": 0.01, "d_real": 0.99, "d_fake": 0.01, "window": 100}, 0.0)
    notice = hl.notice_for(event)
    assert isinstance(notice, Notice) and notice.health.code == "d_winning"
    assert [r.code for r in event.remedies][:3] == ["lower_lr_d", "raise_augmentation", "skip_d"]
    assert "discriminator is winning" in notice.text


def test_divergence_rolls_back_to_the_last_good_state_with_lower_learning_rates(tmp_path, monkeypatch):
    import studio.engine.gan.stepper as tr  # the step (and its loss) lives there

    calls = {"n": 0}
    real_g_loss = tr.g_loss

    def flaky(kind, logits):
        calls["n"] += 1
        out = real_g_loss(kind, logits)
        return out * float("nan") if calls["n"] == 7 else out  # one blow-up at step 7

    monkeypatch.setattr(tr, "g_loss", flaky)
    events = []
    cfg = tiny(steps=10, snapshot_every=4, lr_g=2e-4, lr_d=2e-4)
    out = run_job(GanTrainingJob(cfg, tmp_path / "r"), events.append)
    assert out.error is None, out.details
    health = [e.health for e in events if isinstance(e, hl.HealthNotice)]
    assert [h.code for h in health] == ["diverged"] and health[0].data["rolled_back_to"] == 4
    assert out.result.step == 10 and out.result.extra["rollbacks"] == 1
    recs = RunDir(tmp_path / "r").read_metrics()
    assert [r["step"] for r in recs] == list(range(1, 11))  # replayed steps are not logged twice
    assert all(math.isfinite(r["loss_g"]) for r in recs)
    ck = load_checkpoint(latest_checkpoint(tmp_path / "r" / "checkpoints"))
    assert ck.meta["optimizers"]["G"]["param_groups"][0]["lr"] == pytest.approx(1e-4)
    assert ck.state["live"]["lr_d"] == pytest.approx(1e-4)
    assert all(torch.isfinite(v).all() for k, v in ck.tensors.items() if v.is_floating_point())


def test_divergence_that_keeps_coming_back_stops_with_a_saved_good_state(tmp_path, monkeypatch):
    import studio.engine.gan.stepper as tr  # the step (and its loss) lives there

    real_g_loss = tr.g_loss
    state = {"n": 0}

    def broken(kind, logits):
        state["n"] += 1
        out = real_g_loss(kind, logits)
        return out * float("nan") if state["n"] > 3 else out

    monkeypatch.setattr(tr, "g_loss", broken)
    events = []
    out = run_job(GanTrainingJob(tiny(steps=20, snapshot_every=2, max_rollbacks=2), tmp_path / "r"), events.append)
    assert out.error is None
    health = [e.health for e in events if isinstance(e, hl.HealthNotice)]
    assert [h.code for h in health] == ["diverged"] * 3 and health[-1].level == "error"
    assert out.result.stopped_early and out.result.step == 2
    ck = load_checkpoint(latest_checkpoint(tmp_path / "r" / "checkpoints"))
    assert all(torch.isfinite(v).all() for v in ck.tensors.values() if v.is_floating_point())


def test_a_remedy_applies_live_and_survives_resume(tmp_path):
    token = JobToken()
    job = GanTrainingJob(tiny(steps=6, lr_d=2e-4), tmp_path / "r")
    seen = []

    def on_event(ev):
        seen.append(ev)
        if isinstance(ev, Metrics) and ev.step == 2:
            job.apply_remedy("lower_lr_d")
            job.apply_remedy("raise_augmentation")

    out = run_job(job, on_event, token)
    assert out.error is None
    assert any(isinstance(e, Notice) and "Halve D's learning rate" in e.text for e in seen)
    ck = load_checkpoint(latest_checkpoint(tmp_path / "r" / "checkpoints"))
    assert ck.meta["optimizers"]["D"]["param_groups"][0]["lr"] == pytest.approx(1e-4)
    assert ck.state["live"]["augment"] == "adaptive" and ck.state["live"]["ada_target"] == pytest.approx(0.5)
    resumed = GanTrainingJob(tiny(steps=8), tmp_path / "r", resume=True)
    assert run_job(resumed).error is None
    assert resumed.config.lr_d == pytest.approx(1e-4) and resumed.config.ada_target == pytest.approx(0.5)
    with pytest.raises(ValueError, match="new run"):
        job.apply_remedy("add_images")
    preview = job.augmentation_preview(count=4)  # what D sees at the run's current strength
    assert preview.dtype == np.uint8 and preview.shape[0] == 2 * 32 + 3 * 2


# ----------------------------------------------------------------------------------- quality

def test_kid_is_zero_for_one_set_and_grows_with_a_shift():
    rng = torch.Generator().manual_seed(0)
    a = torch.randn(200, 32, generator=rng).abs()
    b = torch.randn(200, 32, generator=rng).abs()
    same, _ = kid(a, a.clone())
    twin, _ = kid(a, b)
    shifted, _ = kid(a, b + 0.5)
    far, _ = kid(a, b + 2.0)
    # ≈ 0 (the estimator is unbiased, so it can dip below 0); a shift is two orders of magnitude above
    assert abs(same) < 0.01 * shifted and abs(twin) < 0.01 * shifted
    assert shifted > 1 and far > 10 * shifted
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)
    assert frechet_distance(a, b + 0.5) > frechet_distance(a, b) + 5


@needs_vgg
def test_vgg_quality_monitor_on_pictures(tmp_path):
    from studio.engine.data import make_demo_images
    from studio.engine.gan.quality import QualityMonitor

    train = make_demo_images(48, 32, seed=0).transpose(0, 3, 1, 2).copy()
    other = torch.from_numpy(make_demo_images(48, 32, seed=1).transpose(0, 3, 1, 2).copy()).float() / 127.5 - 1
    mon = QualityMonitor(train, samples=48, seed=0)
    same = mon.evaluate(images=torch.from_numpy(train).float() / 127.5 - 1)
    fresh = mon.evaluate(images=other)
    blurred = mon.evaluate(images=torch.nn.functional.avg_pool2d(other, 3, 1, 1))
    one = mon.evaluate(images=other[:1].repeat(48, 1, 1, 1))
    # identical set and same source: ≈ 0 (unbiased estimator, so possibly a little below); shifted: clearly up
    assert max(abs(same.kid), abs(fresh.kid)) < 0.25 * blurred.kid and blurred.kid < one.kid
    assert one.lpips_diversity < 0.01 < 0.3 < fresh.lpips_diversity
    assert float(same.nn_distance.max()) < 1e-4  # each training picture finds itself
    # health: copies of the training set are memorised, new pictures from the same source are not,
    # and a generator making one picture has collapsed
    ref = mon.prepare()
    # how often the training pictures are near-copies of each other, from the features as measured and as cached
    assert 0.0 <= ref.natural_copies < 0.5
    from studio.engine.gan.quality import NEAR_COPY_RATIO, natural_copy_share

    loo = torch.tensor([float((1 - (ref.features.nn[i] @ ref.features.nn[j])).clamp_min(0))
                        for i in range(len(train)) for j in range(len(train)) if i != j]).view(len(train), -1)
    assert ref.natural_copies == pytest.approx(float((loo.min(1).values < NEAR_COPY_RATIO * ref.nn_median).float()
                                                     .mean()), abs=1e-6)
    assert natural_copy_share(ref.features.nn, ref.nn_median) == ref.natural_copies
    QualityMonitor(train, samples=48, seed=0, cache_dir=tmp_path, net=mon.net).prepare()  # measures, caches
    cached = QualityMonitor(train, samples=48, seed=0, cache_dir=tmp_path, net=mon.net).prepare()
    assert cached.nn_median == ref.nn_median and cached.natural_copies == ref.natural_copies
    assert hl.MemorizationDetector(ref.nn_median).observe(1, same.nn_distance) is not None
    assert hl.MemorizationDetector(ref.nn_median).observe(1, fresh.nn_distance) is None
    det = hl.CollapseDetector(ref.diversity, min_step=0)
    assert [det.observe(s, one.lpips_diversity) for s in (1, 2)][-1] is not None
    det = hl.CollapseDetector(ref.diversity, min_step=0)
    assert all(det.observe(s, fresh.lpips_diversity) is None for s in (1, 2, 3))


@needs_vgg
def test_metrics_every_writes_quality_and_memorization_is_reported_with_pairs(tmp_path, monkeypatch):
    from studio.engine.gan.quality import QualityMonitor

    events = []
    cfg = tiny(steps=4, metrics_every=2, augment="adaptive", aug_p=0.1)
    assert run_job(GanTrainingJob(cfg, tmp_path / "healthy"), events.append).error is None
    recs = RunDir(tmp_path / "healthy").read_metrics()
    for r in recs:
        assert "aug_p" in r and "step" in r
    quality = [r for r in recs if "kid" in r]
    assert [r["step"] for r in quality] == [2, 4]
    for r in quality:
        assert {"kid", "fd", "lpips_diversity"} <= r.keys() and all(math.isfinite(r[k]) for k in ("kid", "fd"))
    assert not [e for e in events if isinstance(e, hl.HealthNotice)]  # early noise is not memorised
    assert (tmp_path / "healthy" / "quality" / "train_features.safetensors").is_file()

    def copies(self, generator, latent_dim):  # a "generator" that returns the training pictures
        return self._train_uint8().float().div(127.5).sub(1.0)[: self.samples]

    monkeypatch.setattr(QualityMonitor, "generate", copies)
    events = []
    assert run_job(GanTrainingJob(tiny(steps=2, metrics_every=2), tmp_path / "copy"), events.append).error is None
    mem = [e.health for e in events if isinstance(e, hl.HealthNotice)]
    assert [h.code for h in mem] == ["memorization"]
    data = mem[0].data
    assert Path(data["image"]).is_file() and data["fraction"] == 1.0
    assert len(data["pairs"]) == 8 and data["pairs"][0]["distance"] < 1e-4
    assert {r.code for r in mem[0].remedies} == {"raise_augmentation", "stop", "add_images"}


# ----------------------------------------------------------------------------------- presets

def test_dataset_size_presets_fill_only_what_is_unset():
    assert [regime_for_count(n) for n in (50, 99, 100, 999, 1000)] == ["tiny", "tiny", "small", "small", "large"]
    cfg, choice = resolve_settings(TrainConfig.for_preset("lite64"), 73)
    assert choice.regime == "tiny" and cfg.augment == "adaptive" and cfg.aug_p == 0.2 and cfg.ema
    assert "73 pictures" in choice.explanation and "recoloured" in choice.explanation
    # 32 and 64 px: R1 instead of spectral norm (the preset's own Automatic); 128 px keeps spectral norm
    assert not cfg.spectral_norm and cfg.r1_gamma > 0 and "R1" in choice.explanation
    assert resolve_settings(TrainConfig.for_preset("lite128"), 73)[0].spectral_norm
    cfg, choice = resolve_settings(TrainConfig.for_preset("lite64", augment="off", ema=False), 300)
    assert choice.regime == "small" and cfg.augment == "off" and cfg.ema is False
    cfg, _ = resolve_settings(TrainConfig.for_preset("dcgan64"), 5000)
    assert cfg.augment == "off" and cfg.ema is False and cfg.spectral_norm is False
    cfg, _ = resolve_settings(TrainConfig.for_preset("lesson-dcgan"), 60)
    assert cfg.augment == "off" and not cfg.ema  # the lesson's recipe stays the lesson's
    cfg, _ = resolve_settings(TrainConfig.for_preset("dcgan64", regime="large"), 60)
    assert cfg.augment == "off"
    rec = recommend_preset(120, 100)
    assert rec.preset == "lite128" and "multi-scale" in rec.explanation
    assert recommend_preset(5000, 64).preset == "dcgan64"


def test_lite_family_shapes_msg_pyramid_and_spectral_norm():
    for name in ("lite32", "lite64", "lite128", "lite256"):
        info = PRESETS[name]
        g, d = build_gan(name, 3, 16, width=4, spectral_norm=True)
        z = torch.randn(4, 16)
        x = g(z)
        assert x.shape == (4, 3, info.image_size, info.image_size) and d(x).shape == (4,)
        assert info.msg == (info.image_size >= 128)
        if info.msg:
            pyr = g.forward_multiscale(z)
            assert [t.shape[-1] for t in pyr] == [2**k for k in range(3, int(math.log2(info.image_size)) + 1)]
            assert d(pyr).shape == (4,) and torch.allclose(pyr[-1], x)
            assert [t.shape for t in d.scales(x)] == [t.shape for t in pyr]
    _, d = build_gan("lite32", 3, width=4, spectral_norm=True)
    assert any("parametrizations" in k for k in d.state_dict())
    # the lesson presets keep their exact sizes
    assert count_parameters(build_gan("lesson-dcgan", 1)[0]) == 600_512


def test_msg_preset_trains_a_step(tmp_path):
    out = run_job(GanTrainingJob(tiny("lite128", steps=1, batch_size=4, grid_count=1), tmp_path / "r"))
    assert out.error is None, out.details


def test_msg_can_be_switched_off_and_such_runs_export_and_reopen(tmp_path):
    g, d = build_gan("lite128", 3, 16, width=4, msg=False)
    assert not g.msg and not d.msg and len(g.to_rgb_low) == 0
    assert not any(k.startswith("to_rgb_low.") for k in g.state_dict())
    g_on, d_on = build_gan("lite128", 3, 16, width=4)  # None: the preset's choice (on at 128 px)
    assert g_on.msg and len(g_on.to_rgb_low) > 0
    assert count_parameters(g) < count_parameters(g_on) and count_parameters(d) < count_parameters(d_on)
    z = torch.randn(2, 16)
    assert g(z).shape == (2, 3, 128, 128) and d(g(z)).shape == (2,)
    assert build_gan("lite32", 3, 16, width=4, msg=True)[0].msg  # on where the preset has it off
    with pytest.raises(ValueError, match="small-data"):
        build_gan("dcgan32", 3, msg=True)
    with pytest.raises(ValueError, match="multi-scale"):
        TrainConfig.for_preset("dcgan64", msg=True).validate()
    # a run without MSG trains a step, keeps msg in its config, and exports/reopens without the heads
    run = tmp_path / "off"
    job = GanTrainingJob(tiny("lite128", steps=1, batch_size=4, grid_count=1, msg=False, ema=True), run)
    out = run_job(job)
    assert out.error is None, out.details
    assert not job.stepper.msg
    assert RunDir(run).read_config()["msg"] is False
    ck = load_checkpoint(latest_checkpoint(run / "checkpoints"))
    assert ck.module_state("G") and not any(k.startswith("to_rgb_low.") for k in ck.module_state("G"))
    gen = export_generator(run, tmp_path / "off.safetensors")
    g2, meta = load_generator(gen)
    assert meta["msg"] is False and not g2.msg and g2(torch.randn(2, 100)).shape == (2, 3, 128, 128)
    from studio.engine.latent.jobs import open_generator

    g3, info = open_generator(run)
    assert not g3.msg and info.image_size == 128
    # fine-tuning with MSG on from it: the shared weights load, the per-scale heads start fresh
    out = run_job(GanTrainingJob(tiny("lite128", steps=1, batch_size=4, grid_count=1, init_from=str(gen)),
                                 tmp_path / "on"))
    assert out.error is None, out.details


# ----------------------------------------------------------------------------------- resume, fine-tune

def _tensors(run_dir: Path) -> dict[str, torch.Tensor]:
    return load_checkpoint(latest_checkpoint(Path(run_dir) / "checkpoints")).tensors


def test_exact_resume_with_augmentation_ema_and_ada(tmp_path):
    kw = dict(augment="adaptive", aug_p=0.3, ada_speed_imgs=50, ada_interval=2, ema=True, hflip=True)
    assert run_job(GanTrainingJob(tiny(steps=10, **kw), tmp_path / "a")).error is None
    assert run_job(GanTrainingJob(tiny(steps=5, **kw), tmp_path / "b")).error is None
    out = run_job(GanTrainingJob(tiny(steps=10, **kw), tmp_path / "b", resume=True))
    assert out.error is None, out.details
    a, b = _tensors(tmp_path / "a"), _tensors(tmp_path / "b")
    assert a.keys() == b.keys() and "extra.augment_rng" in a and any(k.startswith("model.G_ema.") for k in a)
    for k in a:
        assert torch.equal(a[k], b[k]), k
    ma, mb = RunDir(tmp_path / "a").read_metrics(), RunDir(tmp_path / "b").read_metrics()
    ps = [r["aug_p"] for r in ma]
    assert len(set(ps)) > 2  # the controller really moved
    for key in ("loss_g", "loss_d", "aug_p", "ada_rt"):
        assert [r[key] for r in ma] == [r[key] for r in mb], key


def test_a_run_saved_before_the_small_data_settings_still_resumes(tmp_path):
    """Strip a new run down to what the old trainer wrote; resuming must neither fail nor change maths."""
    from safetensors.torch import save

    assert run_job(GanTrainingJob(tiny("dcgan32", steps=8, regime="manual"), tmp_path / "a")).error is None
    assert run_job(GanTrainingJob(tiny("dcgan32", steps=4, regime="manual"), tmp_path / "b")).error is None
    run = RunDir(tmp_path / "b")
    cfg = run.read_config()
    old_fields = ("data preset width latent_dim batch_size lr_g lr_d beta1 beta2 loss d_steps skip_d_below seed "
                  "steps fit hflip channels sample_every_s sample_every_steps grid_count checkpoint_every_min "
                  "device channels_last demo_count image_size resolved_channels dataset_count dataset_source "
                  "params_g params_d versions created").split()
    run.config_path.write_text(json.dumps({k: cfg[k] for k in old_fields}))
    ck_path = latest_checkpoint(run.checkpoints_dir)
    meta = json.loads(ck_path.read_text())
    tensors = {k: v for k, v in load_checkpoint(ck_path).tensors.items() if k != "extra.augment_rng"}
    blob = save(tensors, metadata={"format": "gan-art-studio/checkpoint"})
    ck_path.with_suffix(".safetensors").write_bytes(blob)
    import hashlib

    meta.update(weights_bytes=len(blob), weights_sha256=hashlib.sha256(blob).hexdigest())
    meta["state"] = {k: v for k, v in meta["state"].items() if k in ("step", "epoch", "data_pos", "last_loss_d")}
    ck_path.write_text(json.dumps(meta))
    out = run_job(GanTrainingJob(tiny("dcgan32", steps=8), tmp_path / "b", resume=True))
    assert out.error is None, out.details
    a, b = _tensors(tmp_path / "a"), _tensors(tmp_path / "b")
    for k in a:
        if k != "extra.augment_rng":
            assert torch.equal(a[k], b[k]), k


def test_fine_tune_starts_from_the_earlier_runs_weights(tmp_path):
    first = tmp_path / "first"
    assert run_job(GanTrainingJob(tiny(steps=4, ema=True, sample_every_steps=4), first)).error is None
    earlier = load_checkpoint(latest_checkpoint(first / "checkpoints"))
    job = GanTrainingJob(tiny(steps=2, init_from=str(first), ema=True, seed=7, sample_every_steps=1,
                              lr_g=1e-9, lr_d=1e-9), tmp_path / "second")
    seen = []
    assert run_job(job, seen.append).error is None
    cfg = RunDir(tmp_path / "second").read_config()
    assert cfg["fine_tuned_from"]["loaded"] == ["G", "G_ema", "D"] and cfg["fine_tuned_from"]["step"] == 4
    after = load_checkpoint(latest_checkpoint(tmp_path / "second" / "checkpoints"))
    for k, v in earlier.module_state("G").items():  # a tiny learning rate: still the earlier weights
        if v.is_floating_point() and "running" not in k:
            assert torch.allclose(after.module_state("G")[k], v, atol=1e-5), k
    assert after.step == 2  # a new run: steps and optimisers start fresh
    assert any("Fine-tuning from first" in e.text for e in seen if isinstance(e, Notice))
    # from an exported generator too; a different architecture is refused in words
    gen = export_generator(first, tmp_path / "g.safetensors")
    assert json.loads(gen.with_suffix(".json").read_text())["weights"] == "ema"
    assert run_job(GanTrainingJob(tiny(steps=1, init_from=str(gen)), tmp_path / "third")).error is None
    out = run_job(GanTrainingJob(tiny(steps=1, init_from=str(first), width=8), tmp_path / "fourth"))
    assert out.error and "same architecture" in out.error and "width 4 ≠ 8" in out.error


def test_ema_samples_exports_and_raw_switch(tmp_path):
    run = tmp_path / "r"
    assert run_job(GanTrainingJob(tiny(steps=3, ema=True, ema_halflife_imgs=100, ema_rampup=0.0), run)).error is None
    ck = load_checkpoint(latest_checkpoint(run / "checkpoints"))
    assert ck.module_state("G_ema") and not torch.equal(ck.module_state("G_ema")["init.0.weight"],
                                                         ck.module_state("G")["init.0.weight"])
    ema_file = export_generator(run, tmp_path / "ema.safetensors")
    raw_file = export_generator(run, tmp_path / "raw.safetensors", use_ema=False)
    g_ema, meta = load_generator(ema_file)
    g_raw, meta_raw = load_generator(raw_file)
    assert meta["weights"] == "ema" and meta_raw["weights"] == "raw"
    assert torch.equal(g_ema.state_dict()["init.0.weight"], ck.module_state("G_ema")["init.0.weight"])
    from studio.engine.latent.jobs import open_generator

    g, info = open_generator(run)
    assert info.has_ema and info.ema and g(torch.randn(1, 100)).shape == (1, 3, 32, 32)


# ----------------------------------------------------------------------------------- estimate, CLI

def test_training_time_estimate():
    from studio.engine.gan.estimate import estimate_training_time

    est = estimate_training_time(tiny(steps=1000), dataset_count=60, bench_steps=1, include_metrics=False)
    assert est.seconds_per_step > 0 and est.total_seconds == pytest.approx(1000 * est.seconds_per_step)
    assert "1,000 steps" in est.text and est.images_per_second > 0


@needs_vgg
def test_cli_metrics_every_writes_the_quality_keys(tmp_path, capsys, monkeypatch):
    import tqdm

    from studio.cli import main

    monkeypatch.setattr(tqdm.tqdm, "monitor_interval", 0)  # in-process: no tqdm monitor thread
    from studio.engine.data import make_mode_images
    from studio.engine.images import uint8_to_pil

    folder = tmp_path / "pictures"
    folder.mkdir()
    for i, img in enumerate(make_mode_images(12, 32, seed=0)[0]):
        uint8_to_pil(img).save(folder / f"p{i:02d}.png")
    run = tmp_path / "cli"
    code = main(["train", "--data", str(folder), "--preset", "lite32", "--width", "4", "--batch-size", "8",
                 "--steps", "4", "--metrics-every", "2", "--metrics-samples", "8", "--out", str(run), "--quiet",
                 "--export-generator", str(tmp_path / "g.safetensors")])
    out = capsys.readouterr().out
    assert code == 0, out
    recs = RunDir(run).read_metrics()
    assert [x["step"] for x in recs] == [1, 2, 3, 4]
    q = [x for x in recs if "kid" in x]
    assert [x["step"] for x in q] == [2, 4]
    assert all({"kid", "fd", "lpips_diversity", "aug_p"} <= x.keys() for x in q)
    assert "KID" in out and "12 pictures is very few" in out
    assert RunDir(run).read_config()["regime"] == "tiny"
    assert json.loads((tmp_path / "g.json").read_text())["weights"] == "ema"
    assert main(["train", "--data", str(folder), "--preset", "lite32", "--width", "4", "--steps", "100",
                 "--estimate"]) == 0
    assert "100 steps" in capsys.readouterr().out
    # a time budget: the steps are what a few timed steps say fits, printed, then trained
    run2 = tmp_path / "minutes"
    assert main(["train", "--data", str(folder), "--preset", "lite32", "--width", "4", "--batch-size", "8",
                 "--minutes", "0.1", "--metrics-every", "0", "--out", str(run2), "--quiet"]) == 0
    said = capsys.readouterr().out
    planned = RunDir(run2).read_config()["steps"]
    assert RunDir(run2).read_config()["minutes"] == 0.1  # and its steps re-planned as it went (test above)
    assert "--minutes 0.1: About " in said and f"for {planned:,} steps on CPU" in said and planned >= 1
    assert RunDir(run2).read_config()["lr_decay"] > 0  # and the rates settled at its end
    assert main(["train", "--resume", str(run2), "--minutes", "1"]) == 2
    assert "--minutes is for a new run" in capsys.readouterr().err


def saved_fields(cfg: TrainConfig, *leave_out: str) -> dict:
    """A config.json as a run saved before ``leave_out`` (and ``ema_follows_lr``) existed would have it."""
    return {k: v for k, v in cfg.__dict__.items() if k not in (*leave_out, "ema_follows_lr")}


def test_the_learning_rates_settle_over_the_end_of_a_run():
    """lr_decay: constant until the last share of the steps, then half a cosine down to lr_final; nothing for a run
    until stopped. The optimisers follow it step by step, and a rate set live (a remedy) keeps settling from there."""
    from studio.engine.data import PreparedImages, make_mode_images
    from studio.engine.gan.stepper import build_stepper

    x, _ = make_mode_images(24, 32, seed=0)
    cfg, _ = resolve_settings(tiny(steps=10, lr_decay=0.5, lr_final=0.1), 24)
    s = build_stepper(cfg, 3, PreparedImages(np.ascontiguousarray(x.transpose(0, 3, 1, 2))), torch.device("cpu"))
    factors = [s.lr_factor(t) for t in range(11)]
    assert factors[:6] == [1.0] * 6 and abs(factors[10] - 0.1) < 1e-9
    assert all(a > b for a, b in zip(factors[5:], factors[6:], strict=False))
    for _ in range(8):
        s.step()
    assert s.opt_g.param_groups[0]["lr"] == pytest.approx(cfg.lr_g * factors[7])
    assert s.opt_d.param_groups[0]["lr"] == pytest.approx(cfg.lr_d * factors[7])
    s.set_lr(lr_d=1e-4)
    assert s.opt_d.param_groups[0]["lr"] == pytest.approx(1e-4 * factors[8])
    s.step()
    assert s.opt_d.param_groups[0]["lr"] == pytest.approx(1e-4 * factors[8])
    s.cfg.steps = 0  # until stopped: nothing to settle toward
    assert s.lr_factor(9) == 1.0
    # the EMA's window shrinks with the rates (ema_follows_lr): at a settling step its decay is that of a window
    # × the factor; a run saved before it keeps a fixed window
    from studio.engine.gan.ema import ema_beta

    cfg, _ = resolve_settings(tiny(steps=10, lr_decay=0.5, lr_final=0.1, ema=True, ema_rampup=0.0), 24)
    s = build_stepper(cfg, 3, PreparedImages(np.ascontiguousarray(x.transpose(0, 3, 1, 2))), torch.device("cpu"))
    betas = []
    for _ in range(9):
        s.step()
        betas.append(s.ema.last_beta)
    full = ema_beta(s.batch, cfg.ema_halflife_imgs, 0, rampup=0.0)
    assert betas[:6] == [full] * 6 and betas[8] == pytest.approx(ema_beta(s.batch, cfg.ema_halflife_imgs * factors[8], 0,
                                                                          rampup=0.0)) and betas[8] < full
    assert cfg.ema_follows_lr and not TrainConfig.from_saved_run({**saved_fields(cfg), "config_version": 2}).ema_follows_lr
    # the small-folder presets settle; a run saved before settling existed keeps its rates
    assert TrainConfig.for_preset("lite32").lr_decay > 0 and TrainConfig.for_preset("lite64").lr_decay > 0
    saved = saved_fields(TrainConfig.for_preset("lite32"), "lr_decay")
    assert TrainConfig.from_saved_run({**saved, "config_version": 2}).lr_decay == 0


def test_a_plan_in_minutes_follows_the_measured_speed_and_never_moves_the_settling_into_the_past():
    """replanned_steps: the steps that fit in what is left at the speed measured (quality checks included); with
    settling rates the new end keeps the settling after the current step."""
    from studio.engine.gan.estimate import LiveEta, replanned_steps

    eta = LiveEta(every=0)
    for step in range(1, 60):
        eta.observe(step, 0.1)  # 0.1 s per step
    assert eta.steps_within(10.0) == 100
    assert replanned_steps(eta, 50, 10.0) == 150
    assert replanned_steps(eta, 50, 10.0, lr_decay=0.4) == 150  # settling starts at 90 > 50
    assert replanned_steps(eta, 200, 10.0, lr_decay=0.4) == 334  # 300 would start it at 180 < 200
    assert replanned_steps(eta, 50, -5.0) == 50  # over time: it ends now
    assert replanned_steps(eta, 50, 0.05) == 50  # not even one more step fits
    assert replanned_steps(eta, 50, -5.0, lr_decay=0.4) == 84  # ... unless its rates have yet to settle
    checked = LiveEta(every=10)
    for step in range(1, 60):
        checked.observe(step, 1.1 if step % 10 == 0 else 0.1)  # a 1 s quality check every 10 steps
    assert checked.steps_within(10.0) == 50  # 0.1 s + 1 s / 10 per step


def test_a_run_planned_in_minutes_ends_on_time_however_wrong_its_first_plan(tmp_path, monkeypatch):
    """cfg.minutes: a run whose first plan was far too long (a machine slower than timed) re-plans from its own
    speed and ends near its minutes, its rates settled; one planned far too short grows. The plan is in
    config.json and the time trained in the checkpoint, so a resume keeps both; a length set by hand ends the plan."""
    from studio.engine.gan import trainer as tr
    from studio.engine.gan.stepper import GanStepper

    monkeypatch.setattr(tr, "REPLAN_EVERY_S", 0.3)
    real_step = GanStepper.step

    def slow_step(self):  # this machine turns out slower than the plan assumed
        time.sleep(0.02)
        return real_step(self)

    budget_s = 3.0
    monkeypatch.setattr(GanStepper, "step", slow_step)
    events: list = []
    run = tmp_path / "slow"
    out = run_job(GanTrainingJob(tiny(steps=10_000, minutes=budget_s / 60, lr_decay=0.4), run), events.append)
    assert out.error is None, out.details
    final = out.result.step
    assert final < 3 * budget_s / 0.02  # not the 10,000 planned (200 s at this speed)
    assert out.result.extra["seconds"] < 3 * budget_s
    assert RunDir(run).read_config()["steps"] == final and RunDir(run).read_config()["minutes"] == budget_s / 60
    said = [e.text for e in events if isinstance(e, Notice) and "start to settle" in e.text]
    assert len(said) == 1 and f"ends at step {final:,}" in said[0]
    state = json.loads(RunDir(run).latest_checkpoint().read_text())["state"]
    assert 0.5 * budget_s < state["trained_s"] < 3 * budget_s
    # resumed with the plan it saved: the plan stays; with a length set by hand: the plan ends
    kept = GanTrainingJob(tiny(steps=final, minutes=0.0, lr_decay=0.4), run, resume=True)
    assert run_job(kept).error is None and kept.config.minutes == budget_s / 60
    by_hand = GanTrainingJob(tiny(steps=final + 2, lr_decay=0.4), run, resume=True)
    assert run_job(by_hand).error is None and by_hand.config.minutes == 0 and by_hand.config.steps == final + 2

    # a full disk when the plan is written: said once, and the run goes on to its re-planned end
    import errno

    writes = {"n": 0}
    real_write = tr.atomic_write_json

    def full_disk(path, data):
        writes["n"] += 1
        if writes["n"] > 1:  # the run's own config.json at the start goes through
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(path, data)

    monkeypatch.setattr(tr, "atomic_write_json", full_disk)
    events = []
    out = run_job(GanTrainingJob(tiny(steps=10_000, minutes=budget_s / 60, lr_decay=0.4), tmp_path / "full"),
                  events.append)
    assert out.error is None and out.result.step < 3 * budget_s / 0.02 and writes["n"] >= 2
    unsaved = [e for e in events if isinstance(e, Notice) and "Could not record the re-planned length" in e.text]
    assert len(unsaved) == 1 and unsaved[0].level == "warning" and "disk is full" in unsaved[0].text
    monkeypatch.setattr(tr, "atomic_write_json", real_write)

    monkeypatch.setattr(GanStepper, "step", real_step)
    # a faster machine: more steps in the same minutes (rates that never settle: re-planned to the end; here at
    # every step, as a quiet machine may finish the 6 steps planned before 0.3 s have passed)
    monkeypatch.setattr(tr, "REPLAN_EVERY_S", 0.0)
    short = run_job(GanTrainingJob(tiny(steps=6, minutes=0.1, lr_decay=0.0), tmp_path / "fast"))  # 6 s
    assert short.error is None and short.result.step > 6
    assert RunDir(tmp_path / "fast").read_config()["steps"] == short.result.step


def test_a_stop_during_a_quality_check_keeps_the_step_and_saves_a_checkpoint(tmp_path, monkeypatch):
    """Stop pressed while KID/FD are being measured: the run ends like any stop — a result, the step kept, a
    checkpoint at it — instead of unwinding past the final save and losing the work since the last one."""
    from studio.engine.gan import trainer as tr

    token = JobToken()

    def stop_midway(self, step):
        token.stop()  # what the Stop button does, arriving while the check runs
        self.ctx.check()  # the check's own cancellation point
        raise AssertionError("check() should have raised")

    monkeypatch.setattr(tr._TrainLoop, "_quality_check", stop_midway)
    run = tmp_path / "run"
    out = run_job(GanTrainingJob(tiny(steps=20, metrics_every=3), run), token=token)
    assert out.error is None, out.details
    assert out.result is not None and out.result.stopped_early
    assert out.result.step == 3
    assert json.loads(RunDir(run).latest_checkpoint().read_text())["step"] == 3
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records] == [1, 2, 3]  # the interrupted step's losses are kept, without a KID
    assert "kid" not in records[-1]


def test_cli_msg_flag_reaches_the_models(tmp_path):
    """--msg / --no-msg override the preset's choice; asking for it on a non-small-data preset is an error."""
    from studio.cli import _train_config, build_parser
    from studio.engine.data import PreparedImages
    from studio.engine.gan.trainer import build_stepper

    data = PreparedImages(np.zeros((4, 3, 128, 128), np.uint8))

    def models(*flags):
        args = build_parser().parse_args(["train", "--data", str(tmp_path), "--preset", "lite128", "--width", "4",
                                          "--device", "cpu", *flags])
        s = build_stepper(_train_config(args), 3, data, torch.device("cpu"))
        return s.G.msg, s.D.msg

    assert models() == (True, True)  # the preset's default at 128 px
    assert models("--no-msg") == (False, False)
    args = build_parser().parse_args(["train", "--data", str(tmp_path), "--preset", "dcgan64", "--msg"])
    with pytest.raises(ValueError, match="multi-scale"):
        _train_config(args)
