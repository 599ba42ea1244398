"""Kinds of pictures (gan/clusters.py): the folder sorted by pretrained eyes, G and D conditioned on the kinds."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from studio.engine.data import PreparedImages, make_mode_images
from studio.engine.gan.checkpoints import export_generator, latest_checkpoint, load_checkpoint, load_generator
from studio.engine.gan.clusters import ClusterGenerator, clusters_for_count, find_kinds, kmeans
from studio.engine.gan.models import build_gan, build_generator
from studio.engine.gan.regimes import resolve_settings
from studio.engine.gan.stepper import build_stepper
from studio.engine.gan.trainer import GanTrainingJob, TrainConfig
from studio.engine.jobs import JobToken, Metrics, run_job
from studio.engine.pretrained import verify

needs_vgg = pytest.mark.skipif(not verify(), reason="offline VGG16 features not fetched (make models)")


def tiny(**kw) -> TrainConfig:
    from test_small_data import tiny as small_data_tiny

    return small_data_tiny("lite32", **kw)


def test_kmeans_finds_separate_groups_and_numbers_them_by_size():
    g = torch.Generator().manual_seed(0)
    centres = torch.tensor([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    sizes = (5, 20, 11)
    pts = torch.cat([c + 0.3 * torch.randn(n, 2, generator=g) for c, n in zip(centres, sizes, strict=True)])
    truth = torch.cat([torch.full((n,), i) for i, n in enumerate(sizes)])
    labels = kmeans(pts, 3, seed=1)
    assert torch.equal(labels, kmeans(pts, 3, seed=1))  # deterministic
    # one label per true group, the largest group first
    assert torch.equal(labels[truth == 1], torch.zeros(20, dtype=torch.long))
    assert torch.equal(labels[truth == 2], torch.ones(11, dtype=torch.long))
    assert torch.equal(labels[truth == 0], torch.full((5,), 2))


def test_the_number_of_kinds_follows_the_folder():
    assert clusters_for_count(12) == 2 and clusters_for_count(50) == 6 and clusters_for_count(200) == 24
    assert clusters_for_count(5000) == 24


@needs_vgg
def test_pretrained_eyes_sort_the_shape_set_into_its_kinds():
    x, y = make_mode_images(200, 32, seed=0)
    kinds, looks = find_kinds(x, 16, seed=0)
    assert kinds.shape == (200,) and int(kinds.max()) < 16
    # each kind is (almost) one class: purity over the folder
    pure = sum(np.bincount(y[(kinds == k).numpy()], minlength=8).max() for k in range(16) if (kinds == k).any())
    assert pure / 200 >= 0.9
    # each kind's look is the centre of its pictures' descriptors: the look nearest a picture is its own kind's
    from studio.engine.gan.clusters import picture_features
    from studio.engine.gan.projected import load_vgg16_features

    assert looks.shape[0] == 16 and torch.isfinite(looks).all()
    nearest = torch.cdist(picture_features(x, load_vgg16_features().eval()), looks).argmin(1)
    assert (nearest == kinds).float().mean() > 0.95


def test_the_latent_chooses_the_kind_as_often_as_the_folder_holds_it():
    torch.manual_seed(0)
    g = build_generator("lite32", 3, width=4, kinds=3)
    assert isinstance(g, ClusterGenerator)
    g.set_shares([10, 30, 60])
    z = torch.randn(20_000, 100, generator=torch.Generator().manual_seed(1))
    share = torch.bincount(g.kinds(z), minlength=3).float() / len(z)
    assert torch.allclose(share, torch.tensor([0.1, 0.3, 0.6]), atol=0.015)
    # the Explore page's "calmer" truncation pulls the picture in, not the choice of kind
    from studio.engine.latent.keyframes import truncate

    calm = truncate(z, 0.3)
    assert torch.equal(g.kinds(calm), g.kinds(z))
    assert torch.allclose(calm[:, 1:], 0.3 * z[:, 1:]) and calm.norm() < 0.4 * z.norm()
    g.eval()
    with torch.no_grad():
        z = z[:4]
        assert torch.equal(g(z), g(z, g.kinds(z)))
        other = (g.kinds(z) + 1) % 3
        assert not torch.allclose(g(z), g(z, other))  # the kind changes the picture
    # a saved generator rebuilds with its kinds and shares (Explore and exports build G alone)
    from studio.engine.gan.models import generator_shape

    g2 = build_generator("lite32", 3, width=4, **generator_shape("lite32", g.state_dict()))
    g2.load_state_dict(g.state_dict())
    assert torch.equal(g2.kinds(z), g.kinds(z))
    with pytest.raises(ValueError, match="small-data"):
        build_gan("dcgan32", 3, kinds=4)
    with pytest.raises(ValueError, match="64"):
        build_generator("lite32", 3, kinds=1000)


@needs_vgg
def test_g_learns_to_draw_the_kind_it_is_told():
    """Two kinds anyone can tell apart (reddish and bluish pictures): after a short run G draws red when told the
    red kind and blue when told the blue one."""
    rng = np.random.default_rng(0)
    x = np.zeros((32, 32, 32, 3), np.uint8)
    x[:16, ..., 0] = 200
    x[16:, ..., 2] = 200
    x = np.clip(x.astype(int) + rng.integers(0, 40, x.shape), 0, 255).astype(np.uint8)
    data = PreparedImages(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))
    cfg, _ = resolve_settings(TrainConfig.for_preset("lite32", width=8, batch_size=16, kinds=2, device="cpu",
                                                     augment="off", ema=False), len(data))
    s = build_stepper(cfg, 3, data, torch.device("cpu"))
    red_kind = int(s.kinds[0])
    assert torch.equal(s.kinds[:16], torch.full((16,), red_kind)) and torch.equal(s.kinds[16:], 1 - s.kinds[:16])
    for _ in range(120):
        vals = s.step()
    assert all(np.isfinite(v) for v in vals.values())
    z = torch.randn(64, 100, generator=torch.Generator().manual_seed(3))
    s.G.eval()
    with torch.no_grad():
        red = s.G(z, torch.full((64,), red_kind)).mean((0, 2, 3))
        blue = s.G(z, torch.full((64,), 1 - red_kind)).mean((0, 2, 3))
    assert red[0] - red[2] > 0.3 and blue[2] - blue[0] > 0.3, (red, blue)


@needs_vgg
def test_a_run_with_kinds_resumes_exactly_and_exports_a_generator_explore_opens(tmp_path, monkeypatch):
    kw = dict(kinds=3, ema=True, r1_gamma=0.1, lr_decay=0.5)  # kind groups and settling rates on, as by default
    out = run_job(GanTrainingJob(tiny(steps=6, **kw), tmp_path / "a"), keep_events=True)
    assert out.error is None, out.details
    # the artist is told, and shown, what kinds the run found: one row of examples per kind
    notes = [e.text for e in out.events if type(e).__name__ == "Notice"]
    assert any("into 3 kinds" in t and "kinds.png" in t for t in notes), notes
    from PIL import Image

    with Image.open(tmp_path / "a" / "kinds.png") as im:
        assert im.height > 2 * 32 and im.height < 4 * 40  # three rows of 32 px cells
    token = JobToken()  # run b is stopped at step 3 of the same 6-step plan (the rates settle over its end)

    def stop_at_3(ev):
        if isinstance(ev, Metrics) and ev.step == 3:
            token.stop()

    assert run_job(GanTrainingJob(tiny(steps=6, **kw), tmp_path / "b"), stop_at_3, token).result.step == 3
    import studio.engine.gan.clusters as clusters

    def no_second_sorting(*_a, **_k):
        raise AssertionError("a resumed run takes its kinds from its checkpoint")

    monkeypatch.setattr(clusters, "find_kinds", no_second_sorting)
    out = run_job(GanTrainingJob(tiny(steps=6, **kw), tmp_path / "b", resume=True))
    assert out.error is None, out.details
    a = load_checkpoint(latest_checkpoint(tmp_path / "a" / "checkpoints")).tensors
    b = load_checkpoint(latest_checkpoint(tmp_path / "b" / "checkpoints")).tensors
    assert a.keys() == b.keys() and "extra.kinds" in a and any(k.endswith("embed.weight") for k in a)
    for k in a:
        assert torch.equal(a[k], b[k]), k
    gen = export_generator(tmp_path / "a", tmp_path / "g.safetensors")
    g, meta = load_generator(gen)
    assert meta["kinds"] == 3 and isinstance(g, ClusterGenerator)
    from studio.engine.latent.jobs import open_generator

    g2, info = open_generator(tmp_path / "a")
    z = torch.randn(4, 100)
    with torch.no_grad():
        assert torch.allclose(g(z), g2(z), atol=1e-6)  # the export is the run's EMA generator


@needs_vgg
def test_a_kind_drawn_as_one_picture_is_told_apart_from_a_healthy_kind():
    from studio.engine.gan import health as hl
    from studio.engine.gan.quality import QualityMonitor

    x, classes = make_mode_images(96, 32, seed=0)
    mon = QualityMonitor(x.transpose(0, 3, 1, 2).copy(), samples=96, seed=0)
    ref = mon.prepare()
    fresh, fresh_classes = make_mode_images(96, 32, seed=1)
    fresh_classes = torch.as_tensor(fresh_classes)
    samples = torch.from_numpy(fresh.transpose(0, 3, 1, 2).copy()).float() / 127.5 - 1
    healthy = mon.evaluate(images=samples)
    collapsed = samples.clone()
    for k in (0, 3):  # two kinds drawn as one picture each
        rows = torch.nonzero(fresh_classes == k).flatten()
        collapsed[rows] = collapsed[rows[0]].clone()
    bad = mon.evaluate(images=collapsed)
    # the overall diversity hardly notices two of eight kinds collapsing; the per-kind spread does
    assert bad.lpips_diversity > 0.7 * healthy.lpips_diversity
    det = hl.KindCollapseDetector(ref.features.nn, torch.as_tensor(classes)[mon.train_rows], min_step=100)
    spread = det.spreads(healthy.features, fresh_classes)
    assert len(spread) == 8 and min(spread.values()) > 0.6
    assert all(det.observe(step, healthy.features, fresh_classes) is None for step in (100, 200, 300))
    assert det.observe(50, bad.features, fresh_classes) is None  # too early to tell
    assert det.observe(400, bad.features, fresh_classes) is None  # once is not yet a pattern
    hit = det.observe(500, bad.features, fresh_classes)
    assert hit is not None and hit["kinds"] == [0, 3] and hit["total"] == 8
    assert det.observe(600, bad.features, fresh_classes) is None  # said once
    assert det.observe(700, healthy.features, fresh_classes) is None  # recovered ...
    det.observe(800, bad.features, fresh_classes)
    assert det.observe(900, bad.features, fresh_classes) is not None  # ... so a new collapse is news again
    event = hl.kind_collapse_event(900, TrainConfig.for_preset("lite32"), hit, 0.1, None)
    assert "2 of the 8 kinds" in event.text() and "rows 1 and 4 of kinds.png" in event.text()


@needs_vgg
def test_a_run_whose_kind_collapses_says_so_with_the_kinds_samples(tmp_path, monkeypatch):
    from PIL import Image

    from studio.engine.gan import health as hl
    from studio.engine.gan.quality import QualityMonitor

    def one_kind_as_one_picture(self, generator, latent_dim):
        """Stands in for G: the folder's pictures (healthy variety, though copies: memorised), except that kind 0 is
        always one picture."""
        kinds = generator.kinds(self.latents(latent_dim))
        pictures = self._train_uint8().float().div(127.5).sub(1.0)
        out = pictures[torch.arange(self.samples) % len(pictures)]
        out[kinds == 0] = out[0].clone()
        return out

    monkeypatch.setattr(QualityMonitor, "generate", one_kind_as_one_picture)
    monkeypatch.setattr(hl, "EARLY_STEPS", 0)
    events = []
    cfg = tiny(steps=4, metrics_every=2, kinds=3, metrics_samples=48)
    assert run_job(GanTrainingJob(cfg, tmp_path / "run"), events.append).error is None
    found = [e.health for e in events if isinstance(e, hl.HealthNotice) and e.health.code != "memorization"]
    assert [h.code for h in found] == ["kind_collapse"] and found[0].step == 4  # patience: two checks in a row
    assert found[0].data["kinds"] == [0] and found[0].data["total"] == 3
    assert {r.code for r in found[0].remedies} == {"raise_augmentation", "lower_lr_g", "rollback"}
    with Image.open(found[0].data["image"]) as im:  # one row: the kind's samples, a gap, the folder's pictures
        assert im.width == 13 * 34 + 2 and im.height == 34 + 2
    # a full disk: the pictures cannot be written, the run goes on and the warnings still come, without them
    import studio.engine.gan.trainer as trainer

    real_save = trainer._save_png

    def disk_full_for_health(grid, path):
        if "health" in str(path):
            raise OSError(28, "No space left on device")
        real_save(grid, path)

    monkeypatch.setattr(trainer, "_save_png", disk_full_for_health)
    events = []
    out = run_job(GanTrainingJob(cfg, tmp_path / "full"), events.append)
    assert out.error is None and out.result.step == 4
    found = {e.health.code: e.health for e in events if isinstance(e, hl.HealthNotice)}
    assert found.keys() == {"kind_collapse", "memorization"}
    assert all(h.data.get("image") is None and "health" not in h.explanation for h in found.values())


def test_auto_settings_sort_small_folders_only(monkeypatch):
    import studio.engine.gan.regimes as regimes

    monkeypatch.setattr(regimes, "vgg16_installed", lambda: True)
    for count, want in ((50, 6), (200, 24), (5000, 0)):
        cfg, choice = resolve_settings(TrainConfig.for_preset("lite32"), count)
        assert cfg.kinds == want, count
        assert (f"into {want} kinds" in choice.explanation) == bool(want)
    assert resolve_settings(TrainConfig.for_preset("lite32", kinds=0), 200)[0].kinds == 0  # explicit stays
    assert resolve_settings(TrainConfig.for_preset("dcgan32"), 200)[0].kinds == 0
    assert resolve_settings(TrainConfig.for_preset("lite32", regime="manual"), 200)[0].kinds == 0
    # a run saved before kinds existed resumes unconditional
    saved = {k: v for k, v in TrainConfig.for_preset("lite32").__dict__.items() if k != "kinds"}
    assert TrainConfig.from_saved_run({**saved, "config_version": 2}).kinds == 0
    # without the VGG16 weights there is nothing to sort with: off, not an error
    monkeypatch.setattr(regimes, "vgg16_installed", lambda: False)
    assert resolve_settings(TrainConfig.for_preset("lite32"), 200)[0].kinds == 0


@needs_vgg
def test_fine_tuning_follows_the_earlier_generator(tmp_path):
    """A new run started from an earlier one takes its generator as it is: kinds of pictures (unless set
    explicitly) and picture head — also from a run made before either existed (transposed-conv head, no kinds)."""
    from studio.engine.runs import RunDir

    assert run_job(GanTrainingJob(tiny(steps=2, kinds=3), tmp_path / "a")).error is None
    out = run_job(GanTrainingJob(tiny(steps=2, kinds=None, init_from=str(tmp_path / "a")), tmp_path / "b"))
    assert out.error is None, out.details
    assert RunDir(tmp_path / "b").read_config()["kinds"] == 3
    old = tiny(steps=2, kinds=0, rgb_head="convT")
    assert run_job(GanTrainingJob(old, tmp_path / "old")).error is None
    gen = export_generator(tmp_path / "old", tmp_path / "old.safetensors")
    out = run_job(GanTrainingJob(tiny(steps=2, kinds=None, init_from=str(gen)), tmp_path / "c"))
    assert out.error is None, out.details
    cfg = RunDir(tmp_path / "c").read_config()
    assert cfg["rgb_head"] == "convT" and cfg["kinds"] == 0
    # an explicit, different number of kinds is refused in words
    out = run_job(GanTrainingJob(tiny(steps=2, kinds=2, init_from=str(tmp_path / "a")), tmp_path / "d"))
    assert out.error and "Kinds of pictures to 3" in out.error


def test_each_minibatch_std_group_holds_one_kind_real_and_generated():
    """D's minibatch-std compares the pictures of a group. With kinds, every group holds one kind, real and generated,
    so a kind G draws as one picture whatever the latent stands out to D (a batch of mixed kinds hid it)."""
    from studio.engine.gan.models import MBSTD_GROUP
    from studio.engine.gan.stepper import kind_group_ids

    x, _ = make_mode_images(40, 32, seed=0)
    data = PreparedImages(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))
    labels = torch.tensor([0] * 20 + [1] * 12 + [2] * 5 + [3] * 3)  # a kind smaller than a group too
    cfg, _ = resolve_settings(tiny(batch_size=16, kinds=4), len(data))
    s = build_stepper(cfg, 3, data, torch.device("cpu"), kind_labels=labels)
    assert s.group_ids is not None
    # the groups as MinibatchStd forms them: reshape(group, n // group) — column j is one group
    layout = torch.arange(16).reshape(MBSTD_GROUP, 16 // MBSTD_GROUP)
    seen_real, seen_fake = torch.zeros(4), torch.zeros(4)
    for _ in range(60):
        s.real_batch()
        fake_kinds = s.G.kinds(s.noise())
        for kinds, seen in ((s.real_kinds, seen_real), (fake_kinds, seen_fake)):
            per_group = kinds[layout]
            assert bool((per_group == per_group[0]).all()), per_group
            seen += torch.bincount(kinds, minlength=4)
    # kinds come about as often as the folder holds them (20 : 12 : 5 : 3)
    for seen in (seen_real, seen_fake):
        share = seen / seen.sum()
        assert share[0] > share[1] > share[2] and share[3] > 0 and abs(share[0] - 0.5) < 0.15, share
    # several processes: each one's share is laid out the same way
    ids = kind_group_ids(16, world=2)
    for share in ids.view(2, 8):
        assert bool((share.view(MBSTD_GROUP, 2) == share[:2]).all())
    assert kind_group_ids(18) is None and kind_group_ids(16, world=8) is None  # groups of 4 do not fit
    # a run saved before kind groups keeps its batches as it trained
    saved = {k: v for k, v in TrainConfig.for_preset("lite32").__dict__.items() if k != "kind_groups"}
    assert TrainConfig.from_saved_run({**saved, "config_version": 2}).kind_groups is False
    assert build_stepper(TrainConfig.from_saved_run({**saved, "config_version": 2, "kinds": 4}), 3, data,
                         torch.device("cpu"), kind_labels=labels).group_ids is None


def test_minibatch_std_appends_each_groups_spread_and_sees_a_group_of_copies():
    from studio.engine.gan.models import MBSTD_GROUP, MinibatchStd

    torch.manual_seed(0)
    x = torch.randn(16, 8, 4, 4).contiguous(memory_format=torch.channels_last)
    x[:, :, :, :][torch.arange(16) % 4 == 1] = x[1].clone()  # group 1 (rows 1, 5, 9, 13): four copies
    out = MinibatchStd()(x)
    assert out.shape == (16, 9, 4, 4) and torch.equal(out[:, :8], x)
    groups = x.reshape(MBSTD_GROUP, 4, -1)  # column j is one group
    expected = groups.std(0, unbiased=False).mean(1)  # each feature's spread in the group, averaged
    for row in range(16):
        assert torch.allclose(out[row, 8], expected[row % 4].expand(4, 4), atol=2e-4)  # √1e-8 keeps it off 0
    assert float(out[1, 8, 0, 0]) < 1e-3 < 0.5 < float(out[0, 8, 0, 0])
    bf = MinibatchStd()(x.to(torch.bfloat16))  # autocast's bf16 on a CPU: same answer to bf16's precision
    assert bf.dtype == torch.bfloat16 and torch.allclose(bf[:, 8].float(), out[:, 8], rtol=2e-2, atol=1e-3)
