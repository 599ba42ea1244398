"""The pretrained-eyes discriminator (Projected GAN on the offline VGG16): builds, learns, trains, resumes, exports."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from studio.engine.data import make_mode_images
from studio.engine.gan.checkpoints import export_generator, latest_checkpoint, load_checkpoint, load_generator
from studio.engine.gan.models import PRESETS, build_gan, build_generator
from studio.engine.gan.trainer import GanTrainingJob, TrainConfig
from studio.engine.jobs import run_job
from studio.engine.pretrained import verify

pytestmark = pytest.mark.skipif(not verify(), reason="offline VGG16 features not fetched (make models)")


def tiny(preset: str = "eyes32", **kw) -> TrainConfig:
    from test_small_data import tiny as small_data_tiny  # the same tiny run, another preset

    return small_data_tiny(preset, **kw)


def _real(n: int, seed: int) -> torch.Tensor:
    x, _ = make_mode_images(n, 32, seed=seed)
    return torch.from_numpy(x).permute(0, 3, 1, 2).float().div(127.5).sub(1)


def test_only_the_heads_learn_and_checkpoints_carry_no_imagenet_weights():
    torch.manual_seed(0)
    g, d = build_gan("eyes32", 3, width=8, spectral_norm=True)
    eyes = getattr(d, "eyes", d)  # beside a pixel discriminator, or alone
    trainable = [n for n, p in d.named_parameters() if p.requires_grad]
    assert trainable and all(n.startswith(("heads.", "eyes.heads.", "pixel.")) for n in trainable)
    assert any(".heads." in f".{n}" for n in trainable)
    assert not any(p.requires_grad for p in eyes.vgg.parameters())
    assert not any(k.startswith("vgg") for k in d.state_dict())  # VGG16 stays out of checkpoints
    assert sum(v.numel() for v in d.state_dict().values()) < 2_000_000
    d.requires_grad_(False)
    d.requires_grad_(True)  # the trainer toggles D around G's step: VGG16 must stay frozen
    assert not any(p.requires_grad for p in eyes.vgg.parameters())
    d.to(memory_format=torch.channels_last)  # follows the model's memory format and device
    out = d(torch.randn(2, 3, 32, 32))
    assert out.ndim == 1 and out.numel() % 2 == 0 and torch.isfinite(out).all()
    # G's gradient flows back through the frozen features
    loss = d(g(torch.randn(2, 100))).mean()
    loss.backward()
    assert g.to_rgb[0].weight.grad is not None and g.to_rgb[0].weight.grad.abs().sum() > 0
    # grey pictures go through the same (RGB) features
    _, d1 = build_gan("eyes32", 1, width=8)
    assert torch.isfinite(d1(torch.randn(2, 1, 32, 32))).all()


def test_it_learns_to_tell_shapes_from_blobs():
    """An easy set: real shapes against smooth colour blobs; 40 head updates separate held-out pictures."""
    torch.manual_seed(0)
    _, d = build_gan("eyes32", 3, width=16, spectral_norm=True)
    opt = torch.optim.Adam([p for p in d.parameters() if p.requires_grad], 2e-4, betas=(0.0, 0.99))

    def blobs(n: int, seed: int) -> torch.Tensor:
        gen = torch.Generator().manual_seed(seed)
        low = torch.rand(n, 3, 4, 4, generator=gen) * 2 - 1
        return torch.nn.functional.interpolate(low, size=32, mode="bilinear", align_corners=False)

    real, fake = _real(64, 1), blobs(64, 2)
    for i in range(40):
        idx = torch.arange(i * 16, i * 16 + 16) % 64
        loss = torch.relu(1 - d(real[idx])).mean() + torch.relu(1 + d(fake[idx])).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert torch.isfinite(loss)
    with torch.no_grad():
        r, f = d(_real(32, 9)).view(32, -1).mean(1), d(blobs(32, 10)).view(32, -1).mean(1)
    accuracy = ((r > 0).float().mean() + (f < 0).float().mean()).item() / 2
    assert accuracy > 0.9, (r, f)


def test_a_run_trains_resumes_exactly_and_exports_a_generator_explore_opens(tmp_path):
    kw = dict(augment="adaptive", aug_p=0.2, ada_speed_imgs=50, ada_interval=2, ema=True)
    out = run_job(GanTrainingJob(tiny(steps=6, **kw), tmp_path / "a"))
    assert out.error is None, out.details
    assert run_job(GanTrainingJob(tiny(steps=3, **kw), tmp_path / "b")).error is None
    out = run_job(GanTrainingJob(tiny(steps=6, **kw), tmp_path / "b", resume=True))
    assert out.error is None, out.details
    a = load_checkpoint(latest_checkpoint(tmp_path / "a" / "checkpoints")).tensors
    b = load_checkpoint(latest_checkpoint(tmp_path / "b" / "checkpoints")).tensors
    assert a.keys() == b.keys() and any(".heads." in k for k in a)
    assert not any(".vgg." in k for k in a)
    for k in a:
        assert torch.equal(a[k], b[k]), k
    from studio.engine.runs import RunDir

    metrics = RunDir(tmp_path / "a").read_metrics()
    assert len(metrics) == 6 and all(torch.isfinite(torch.tensor([r["loss_g"], r["loss_d"]])).all() for r in metrics)
    gen = export_generator(tmp_path / "a", tmp_path / "g.safetensors")
    g, meta = load_generator(gen)
    assert meta["preset"] == "eyes32" and g(torch.randn(2, 100)).shape == (2, 3, 32, 32)
    from studio.engine.latent.jobs import open_generator

    g2, info = open_generator(tmp_path / "a")
    assert info.preset == "eyes32" and g2(torch.randn(1, 100)).shape == (1, 3, 32, 32)


def test_the_generator_alone_needs_no_vgg(monkeypatch):
    import studio.engine.gan.projected as projected

    def refuse():
        raise AssertionError("a generator must not load VGG16")

    monkeypatch.setattr(projected, "load_vgg16_features", refuse)
    for name in (n for n, p in PRESETS.items() if p.projected):
        g = build_generator(name, 3, width=4)
        assert g(torch.randn(1, 100)).shape[-1] == PRESETS[name].image_size


def test_missing_weights_are_refused_in_words(monkeypatch, tmp_path):
    monkeypatch.setenv("GAN_STUDIO_MODELS", str(tmp_path))  # an empty models folder
    import studio.engine.pretrained as pretrained

    monkeypatch.setattr(pretrained, "models_dir", lambda: Path(tmp_path))
    out = run_job(GanTrainingJob(tiny(steps=1), tmp_path / "r"))
    assert out.error and "models fetch" in out.error and "Traceback" not in out.error
