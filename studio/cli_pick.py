"""``python -m studio pick``: the Explore page's *Critic chooses* from a terminal — a run's discriminator chooses the
samples most like the training pictures; their seeds go straight into ``walk --seeds``."""

from __future__ import annotations

import argparse
import random
from pathlib import Path

MAX_COUNT = 256
MAX_FROM = 64
MAX_CANDIDATES = 8192  # count × from: every candidate's picture is kept until the choice is made
DEFAULT_FROM = 32  # critic.PICK_FROM, said here without importing torch (a test keeps them equal)


def _add_pick(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("pick", help="let a run's discriminator choose its best samples (seeds for walk)",
                       description="Draw COUNT × FROM samples of a run's generator and keep the COUNT most like "
                       "the training pictures (best first): those its own discriminator rates highest and, for a run "
                       "with kinds of pictures, nearest the look of their kind to VGG16. Near-copies of the pictures "
                       "are passed over. Prints the seeds, ready for `walk --seeds`; --out saves them as a contact "
                       "sheet.")
    p.add_argument("--generator", required=True, metavar="RUN",
                   help="a run directory (its checkpoint holds the critic) or a generator exported with its critic "
                        "(NAME.safetensors beside NAME.critic)")
    p.add_argument("--count", type=int, default=16, help=f"samples to keep, 1-{MAX_COUNT} (default 16)")
    p.add_argument("--from", dest="pick_from", type=int, default=None,
                   help=f"candidates drawn per sample kept, 1-{MAX_FROM} (default {DEFAULT_FROM})")
    p.add_argument("--seed", type=int, default=None, help="draw the candidate seeds from this seed (default: random)")
    p.add_argument("--truncation", type=float, default=1.0, help="pull latents toward the mean: 1 = off (default)")
    p.add_argument("--raw", action="store_true", help="use the raw generator weights even when EMA weights exist")
    p.add_argument("--out", metavar="SHEET.png", help="save the kept samples as a contact sheet, best first")
    p.add_argument("--device", default="cpu", help="cpu (default), cuda, mps, auto")


def cmd_pick(args: argparse.Namespace) -> int:
    from studio.engine.gan.critic import PICK_FROM

    pick_from = PICK_FROM if args.pick_from is None else args.pick_from
    # every number is checked before it costs anything
    if not 1 <= args.count <= MAX_COUNT:
        raise ValueError(f"--count must be 1-{MAX_COUNT}, not {args.count}")
    if not 1 <= pick_from <= MAX_FROM:
        raise ValueError(f"--from must be 1-{MAX_FROM}, not {pick_from}")
    if args.count * pick_from > MAX_CANDIDATES:
        raise ValueError(f"--count × --from may be at most {MAX_CANDIDATES:,} candidates, not "
                         f"{args.count * pick_from:,}: keep fewer samples or draw fewer per sample")
    if not 0.0 < args.truncation <= 1.0:
        raise ValueError(f"--truncation must be above 0 and at most 1, not {args.truncation}")
    if args.out and Path(args.out).suffix.lower() != ".png":
        raise ValueError(f"--out is a .png contact sheet, not {Path(args.out).name}")
    from studio.engine.gan.critic import critic_file

    source = Path(args.generator)
    if not source.is_dir() and not critic_file(source).is_file():
        raise ValueError(f"{source} is neither a run directory nor a generator exported with its critic "
                         f"({critic_file(source).name}): only those keep the discriminator that picks")
    import torch

    from studio.engine.device import pick_device
    from studio.engine.gan.critic import Critic, describe_pick, pick_latents
    from studio.engine.latent.favourites import entry_vector, seed_entry
    from studio.engine.latent.jobs import open_generator
    from studio.engine.latent.keyframes import truncate

    device = pick_device(args.device) if args.device == "auto" else torch.device(args.device)
    G, info = open_generator(source, device, use_ema=not args.raw)
    critic = Critic.of(source, device)
    rng = random.Random(args.seed)
    seeds = rng.sample(range(100_000), args.count * pick_from)  # no seed twice
    z = torch.stack([entry_vector(seed_entry(s), info.latent_dim) for s in seeds])
    choice, images = pick_latents(G, critic, truncate(z, args.truncation), args.count)
    kept = [seeds[i] for i in choice.chosen]
    print(f"Step {info.step:,} of {source.name}, best first:")
    print(",".join(str(s) for s in kept))
    print(describe_pick(choice, critic, len(seeds)))
    if args.out:
        from studio.engine.export import save_png
        from studio.engine.latent.render import tile_frames

        sheet = tile_frames([images[i][None] for i in choice.chosen])[0]
        print(f"written: {save_png(sheet, args.out)}")
    print(f"walk them: python -m studio walk --generator {source} --seeds {','.join(str(s) for s in kept[:4])} "
          "--loop --out walk.gif")
    return 0
