"""Small-data quality: the lesson's DCGAN recipe vs the studio's small-data preset, same wall time.

1. A procedural dataset with 8 known modes (shape × colour classes, 200 pictures, 32 px colour,
   ``studio.engine.data.make_mode_images``). Both recipes train for the same wall time, interleaved in
   short chunks so a busy machine slows both alike. Reported: KID and Fréchet distance (VGG16 features,
   offline weights) of 1,000 samples against the training set, LPIPS diversity, and mode coverage — the
   fraction of the 8 classes that a small CNN, trained on separately generated labelled pictures, finds
   (confidently, at least 1% of samples each) among 1,000 samples.
2. The 200 pictures of scikit-image's ``lfw_subset`` (25×25 grey, resized to 32; as skimage documents,
   100 faces and 100 non-face background patches, so a good generator makes both): both recipes again;
   both sample grids (and one of the training pictures) are saved as PNGs and their paths printed.

The lesson recipe is DCGAN-32 (the lesson's DCGAN scaled to 32 px colour): BCE, Adam 2e-4 β1 0.5,
batch 64, no augmentation, raw generator. The studio's is the ``lite32`` preset with the settings its
dataset-size preset picks for 200 pictures (adaptive DiffAugment, EMA, spectral norm, hinge loss).

    .venv/bin/python tests/bench/bench_small_data.py [--minutes 3] [--faces-minutes 3] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from gan_bench_common import lfw_faces, save_grid, train_interleaved  # noqa: E402

from studio.engine.data import PreparedImages, make_mode_images  # noqa: E402
from studio.engine.gan.quality import QualityMonitor  # noqa: E402
from studio.engine.gan.regimes import resolve_settings  # noqa: E402
from studio.engine.gan.trainer import GanStepper, TrainConfig, build_stepper  # noqa: E402
from studio.engine.images import uint8_to_tensor  # noqa: E402

N_CLASSES = 8


def lesson_config(channels: int) -> TrainConfig:
    return TrainConfig.for_preset("dcgan32", regime="manual", loss="bce", batch_size=64, lr_g=2e-4, lr_d=2e-4,
                                  beta1=0.5, device="cpu", channels=channels)


def studio_config(channels: int) -> TrainConfig:
    return TrainConfig.for_preset("lite32", device="cpu", channels=channels)


def train_recipes(specs: dict[str, tuple[TrainConfig, PreparedImages]], seconds: float,
                  chunk: float = 5.0, log=print) -> dict[str, GanStepper]:
    """Build every recipe and train each for ``seconds`` of its own wall time, interleaved."""
    steppers = {}
    for name, (cfg, data) in specs.items():
        resolved, choice = resolve_settings(cfg, len(data))
        log(f"  {name}: {resolved.preset}, regime {choice.regime}, augment {resolved.augment}, "
            f"EMA {resolved.ema}, spectral norm {resolved.spectral_norm}, loss {resolved.loss}, "
            f"batch {resolved.batch_size}")
        steppers[name] = build_stepper(resolved, data.channels, data, torch.device("cpu"))
    train_interleaved(steppers, seconds, chunk, log)
    return steppers


@torch.inference_mode()
def samples(s: GanStepper, n: int = 1000, seed: int = 1234) -> torch.Tensor:
    G = s.sample_generator("ema")
    G.eval()
    z = torch.randn(n, s.cfg.latent_dim, generator=torch.Generator().manual_seed(seed))
    out = torch.cat([G(z[i:i + 200]) for i in range(0, n, 200)]).float().clamp(-1, 1)
    s.G.train()
    return out


class ModeClassifier(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(3, 32, 3, 1, 1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, 1, 1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(64, 64, 3, 1, 1), nn.ReLU(), nn.AdaptiveMaxPool2d(1), nn.Flatten(),
            nn.Linear(64, N_CLASSES),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def fit_classifier(clf: nn.Module, x: torch.Tensor, y: torch.Tensor, epochs: int) -> nn.Module:
    """Adam, batches of 100, cross-entropy; returns ``clf`` in eval mode."""
    opt = torch.optim.Adam(clf.parameters(), 2e-3)
    for _epoch in range(epochs):
        perm = torch.randperm(len(x))
        for i in range(0, len(x), 100):
            idx = perm[i:i + 100]
            loss = nn.functional.cross_entropy(clf(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    return clf.eval()


def train_classifier(log=print) -> ModeClassifier:
    """A small CNN on labelled pictures from the generator-free procedural source (other seeds)."""
    x, y = make_mode_images(4000, 32, seed=100)
    xt, yt = make_mode_images(800, 32, seed=101)
    x, xt = uint8_to_tensor(x), uint8_to_tensor(xt)
    y, yt = torch.from_numpy(y), torch.from_numpy(yt)
    torch.manual_seed(0)
    clf = fit_classifier(ModeClassifier(), x, y, epochs=8)
    with torch.no_grad():
        acc = (clf(xt).argmax(1) == yt).float().mean().item()
    log(f"mode classifier: held-out accuracy {acc:.3f}")
    return clf


@torch.no_grad()
def coverage(clf: ModeClassifier, imgs: torch.Tensor, min_share: float = 0.01,
             min_conf: float = 0.9) -> tuple[float, list[int]]:
    prob = torch.softmax(clf(imgs), 1)
    conf, cls = prob.max(1)
    counts = torch.bincount(cls[conf >= min_conf], minlength=N_CLASSES).tolist()
    covered = sum(c >= min_share * len(imgs) for c in counts)
    return covered / N_CLASSES, counts


def to_prepared(nhwc: np.ndarray) -> PreparedImages:
    return PreparedImages(np.ascontiguousarray(nhwc.transpose(0, 3, 1, 2)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=3.0, help="wall time per recipe on the 8-mode set")
    ap.add_argument("--faces-minutes", type=float, default=3.0, help="wall time per recipe on the faces (0: skip)")
    ap.add_argument("--chunk", type=float, default=5.0, help="seconds per turn when interleaving")
    ap.add_argument("--samples", type=int, default=1000)
    ap.add_argument("--out", default="bench-out/small-data", help="folder for the sample grids and results")
    ap.add_argument("--threads", type=int, default=0,
                    help="torch threads (0: torch's default; 1 is faster on a machine busy with other work)")
    args = ap.parse_args()
    out = Path(args.out)
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"{torch.get_num_threads()} threads, torch {torch.__version__}")

    results: dict = {}
    x, _labels = make_mode_images(200, 32, seed=0)
    modes = to_prepared(x)
    clf = train_classifier()
    real_cov, real_counts = coverage(clf, uint8_to_tensor(x))
    print(f"training set itself: coverage {real_cov:.2f}, counts {real_counts}")
    print(f"\n8-mode dataset (200 pictures, 32 px), {args.minutes:g} min each:")
    steppers = train_recipes({"lesson-dcgan32": (lesson_config(3), modes), "studio-lite32": (studio_config(3), modes)},
                                 args.minutes * 60, args.chunk)
    monitor = QualityMonitor(modes, samples=args.samples, seed=0)
    for name, s in steppers.items():
        imgs = samples(s, args.samples)
        rep = monitor.evaluate(images=imgs)
        cov, counts = coverage(clf, imgs)
        grid = save_grid(imgs[:64], out / f"modes-{name}.png", scale=2)
        results[f"modes/{name}"] = {"steps": s.state["step"], "images_seen": s.state["step"] * s.batch,
                                    "kid": rep.kid, "kid_std": rep.kid_std, "fd": rep.fd,
                                    "lpips_diversity": rep.lpips_diversity, "coverage": cov, "counts": counts,
                                    "grid": str(grid)}
        print(f"  {name:15s} steps {s.state['step']:5d}  KID {rep.kid:7.3f} ± {rep.kid_std:.3f}  FD {rep.fd:8.1f}  "
              f"LPIPS div {rep.lpips_diversity:.3f} (data {rep.values['lpips_diversity_data']:.3f})  "
              f"modes {round(cov * N_CLASSES)}/8 {counts}  grid {grid}")

    if args.faces_minutes > 0:
        faces = to_prepared(lfw_faces())
        print(f"\nlfw_subset (100 faces + 100 background patches, 25→32 px grey), {args.faces_minutes:g} min each:")
        steppers = train_recipes({"lesson-dcgan32": (lesson_config(1), faces),
                                      "studio-lite32": (studio_config(1), faces)}, args.faces_minutes * 60, args.chunk)
        monitor = QualityMonitor(faces, samples=min(args.samples, 500), seed=0)
        for name, s in steppers.items():
            imgs = samples(s, min(args.samples, 500))
            rep = monitor.evaluate(images=imgs)
            grid = save_grid(imgs[:64], out / f"faces-{name}.png", scale=2)
            results[f"faces/{name}"] = {"steps": s.state["step"], "kid": rep.kid, "fd": rep.fd,
                                        "lpips_diversity": rep.lpips_diversity, "grid": str(grid)}
            print(f"  {name:15s} steps {s.state['step']:5d}  KID {rep.kid:7.3f}  FD {rep.fd:8.1f}  "
                  f"LPIPS div {rep.lpips_diversity:.3f}  grid {grid.resolve()}")
        save_grid(torch.from_numpy(faces.array[::3][:64].copy()).float().div(127.5).sub(1), out / "faces-training.png",
                  scale=2)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=2))
    print(f"\nresults: {(out / 'results.json').resolve()}")
    m = {k.split("/")[1]: v for k, v in results.items() if k.startswith("modes/")}
    if len(m) == 2:
        a, b = m["lesson-dcgan32"], m["studio-lite32"]
        print(f"goal: studio covers 8/8 modes ({'yes' if b['coverage'] == 1 else 'NO'}) and has clearly lower "
              f"KID ({b['kid']:.3f} vs {a['kid']:.3f}: {'yes' if b['kid'] < 0.7 * a['kid'] else 'NO'})")


if __name__ == "__main__":
    main()
