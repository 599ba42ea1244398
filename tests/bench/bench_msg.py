"""What multi-scale gradients (MSG-GAN) change at 128 px: the ``lite128`` preset as shipped (MSG on) vs the
same generator and discriminator with MSG off (``TrainConfig.msg=False``: no per-scale to-RGB heads, D sees
only the full picture), same data, same seed, same wall time.

Data: 200 real pictures — random 128 px crops (crop side 128–256 px, resized to 128, fixed seed) of
scikit-image's sample photos and textures: astronaut, chelsea, coffee, rocket, hubble_deep_field,
immunohistochemistry (colour) and brick, grass, gravel, camera (grey, as RGB), 20 crops each.

Both runs use the settings the dataset-size preset picks for 200 pictures (adaptive DiffAugment, EMA,
spectral norm, hinge loss) and differ only in ``msg``. They train interleaved in short slices, so a busy
machine slows both alike. Reported per run: steps done, seconds per step, and from ``QualityMonitor``
(VGG16 features at 64 px, offline weights) KID, Fréchet distance and LPIPS diversity of EMA samples against
the training set. Saved under ``--out``: ``side_by_side.png`` (MSG on | MSG off, the same latents, a
caption row), each run's 8×8 grid, a grid of the training pictures and ``results.json``.

    .venv/bin/python tests/bench/bench_msg.py [--minutes 4] [--samples 500] [--out bench-out/msg]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from gan_bench_common import grid_pil, save_grid, train_interleaved  # noqa: E402

from studio.engine.data import PreparedImages  # noqa: E402
from studio.engine.gan.models import count_parameters  # noqa: E402
from studio.engine.gan.quality import QualityMonitor  # noqa: E402
from studio.engine.gan.regimes import resolve_settings  # noqa: E402
from studio.engine.gan.trainer import GanStepper, TrainConfig, build_stepper  # noqa: E402
from studio.engine.images import uint8_to_tensor  # noqa: E402

SIZE = 128
SOURCES = ("astronaut", "chelsea", "coffee", "rocket", "hubble_deep_field", "immunohistochemistry",
           "brick", "grass", "gravel", "camera")


def crops_dataset(per_source: int = 20, size: int = SIZE, seed: int = 0) -> np.ndarray:
    """N×H×W×3 uint8: random crops (side size…2·size) of skimage's sample pictures, resized to ``size``."""
    import skimage.data
    from PIL import Image

    rng = np.random.default_rng(seed)
    out = []
    for name in SOURCES:
        img = getattr(skimage.data, name)()
        if img.ndim == 2:
            img = np.repeat(img[:, :, None], 3, axis=2)
        img = img[:, :, :3]
        h, w = img.shape[:2]
        for _ in range(per_source):
            side = int(rng.integers(size, min(2 * size, h, w) + 1))
            y, x = int(rng.integers(0, h - side + 1)), int(rng.integers(0, w - side + 1))
            crop = Image.fromarray(np.ascontiguousarray(img[y:y + side, x:x + side]))
            if side != size:
                crop = crop.resize((size, size), Image.Resampling.LANCZOS)
            out.append(np.asarray(crop))
    return np.stack(out)


@torch.inference_mode()
def samples(s: GanStepper, z: torch.Tensor) -> torch.Tensor:
    G = s.sample_generator("ema")
    was = G.training
    G.eval()
    out = torch.cat([G(z[i:i + 50]) for i in range(0, len(z), 50)]).float().clamp(-1, 1)
    G.train(was)
    return out


def side_by_side(panels: list[tuple[str, torch.Tensor]], path: Path, nrow: int = 4) -> Path:
    """Grids next to each other with a caption row above each."""
    from PIL import Image, ImageDraw, ImageFont

    grids = [grid_pil(imgs, nrow).convert("RGB") for _, imgs in panels]
    font = ImageFont.load_default(size=18)
    lines = [caption.split("\n") for caption, _ in panels]
    cap_h = 10 + 24 * max(len(x) for x in lines)
    gap = 16
    width = sum(g.width for g in grids) + gap * (len(grids) - 1)
    canvas = Image.new("RGB", (width, cap_h + max(g.height for g in grids)), (255, 255, 255))
    draw = ImageDraw.Draw(canvas)
    x = 0
    for g, text in zip(grids, lines, strict=True):
        for i, line in enumerate(text):
            draw.text((x + 6, 6 + 24 * i), line, fill=(0, 0, 0), font=font)
        canvas.paste(g, (x, cap_h))
        x += g.width + gap
    path.parent.mkdir(parents=True, exist_ok=True)
    canvas.save(path)
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=4.0, help="wall time per run")
    ap.add_argument("--chunk", type=float, default=5.0, help="seconds per turn when interleaving")
    ap.add_argument("--samples", type=int, default=500, help="samples measured per run")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="bench-out/msg", help="folder for the pictures and results")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    args = ap.parse_args()
    out = Path(args.out)
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"{torch.get_num_threads()} threads, torch {torch.__version__}")

    pics = crops_dataset(seed=args.seed)
    data = PreparedImages(np.ascontiguousarray(pics.transpose(0, 3, 1, 2)))
    train_grid = save_grid(uint8_to_tensor(pics[::4][:48]), out / "training.png")
    print(f"data: {len(data)} crops of {', '.join(SOURCES)} at {SIZE} px (every 4th: {train_grid})")

    base, choice = resolve_settings(TrainConfig.for_preset("lite128", device="cpu", channels=3, seed=args.seed),
                                    len(data))
    configs = {"msg-on": dataclasses.replace(base), "msg-off": dataclasses.replace(base, msg=False)}
    print(f"lite128, regime {choice.regime}: augment {base.augment} (p from {base.aug_p}), EMA {base.ema}, "
          f"spectral norm {base.spectral_norm}, loss {base.loss}, batch {base.batch_size}, width {base.width}, "
          f"lr G/D {base.lr_g:g}/{base.lr_d:g}")
    steppers = {}
    for name, cfg in configs.items():
        s = build_stepper(cfg, 3, data, torch.device("cpu"))
        steppers[name] = s
        print(f"  {name}: G.msg={s.G.msg} D.msg={s.D.msg}  G {count_parameters(s.G):,} params, "
              f"D {count_parameters(s.D):,} params")

    print(f"\ntraining {args.minutes:g} min each, interleaved in {args.chunk:g} s slices:")
    used = train_interleaved(steppers, args.minutes * 60, args.chunk, log_every=30)

    monitor = QualityMonitor(data, samples=args.samples, seed=0)
    z = torch.randn(args.samples, base.latent_dim, generator=torch.Generator().manual_seed(1234))
    results, imgs = {}, {}
    print(f"\nquality of {args.samples} EMA samples vs the 200 training crops (VGG16 features at {monitor.size} px):")
    for name, s in steppers.items():
        x = samples(s, z)
        rep = monitor.evaluate(images=x)
        imgs[name] = x
        grid = save_grid(x[:64], out / f"grid-{name}.png")
        steps = s.state["step"]
        results[name] = {"steps": steps, "seconds": used[name], "seconds_per_step": used[name] / max(steps, 1),
                         "images_seen": steps * s.batch, "aug_p": s.aug_p, "kid": rep.kid, "kid_std": rep.kid_std,
                         "fd": rep.fd, "lpips_diversity": rep.lpips_diversity,
                         "lpips_diversity_data": rep.values["lpips_diversity_data"],
                         "nn_distance_ratio": rep.values["nn_distance_ratio"], "grid": str(grid)}
        r = results[name]
        print(f"  {name:8s} steps {steps:5d} ({r['seconds_per_step']:.2f} s/step)  aug p {s.aug_p:.2f}  "
              f"KID {rep.kid:.4f} ± {rep.kid_std:.4f}  FD {rep.fd:8.1f}  LPIPS div {rep.lpips_diversity:.3f} "
              f"(data {r['lpips_diversity_data']:.3f})  nn ratio {r['nn_distance_ratio']:.2f}  grid {grid}")

    def caption(name: str, title: str) -> str:
        r = results[name]
        return f"{title}\n{r['steps']} steps · KID {r['kid']:.3f} · FD {r['fd']:.0f} · LPIPS div {r['lpips_diversity']:.3f}"

    sbs = side_by_side([(caption("msg-on", "MSG on (lite128 as shipped)"), imgs["msg-on"][:16]),
                        (caption("msg-off", "MSG off (msg=False)"), imgs["msg-off"][:16])], out / "side_by_side.png")
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=2))
    print(f"\nside by side (same latents): {sbs.resolve()}")
    print(f"results: {(out / 'results.json').resolve()}")
    on, off = results["msg-on"], results["msg-off"]
    print(f"verdict: MSG on {'lower' if on['kid'] < off['kid'] else 'higher'} KID ({on['kid']:.4f} vs {off['kid']:.4f}), "
          f"{'lower' if on['fd'] < off['fd'] else 'higher'} FD ({on['fd']:.1f} vs {off['fd']:.1f}), "
          f"LPIPS diversity {on['lpips_diversity']:.3f} vs {off['lpips_diversity']:.3f}, "
          f"{on['steps']} vs {off['steps']} steps in the same time")


if __name__ == "__main__":
    main()
