"""Sample efficiency on a CPU: the lesson's DCGAN, the small-data GAN and the pretrained-eyes GAN, same wall time.

The yardstick of issue 15. An 8-class procedural set (4 shapes × 2 colours with random position, size, rotation,
shade and background tint: ``studio.engine.data.make_mode_images``), 200 training pictures at 32 px. A small CNN is
trained on 4,000 freshly drawn labelled pictures (held-out accuracy printed; it must be ≥ 0.99). That 8-class
judge turned out to be confident about blurry colour blobs (the lesson DCGAN's blobs scored 0.74), so the headline
judge is stricter: the same CNN with a ninth class, "not one clean shape" — two shapes blended, a shape blurred to a
blob, a shape under heavy noise, halves of two shapes pieced together (``not_a_shape``). Both are reported. Each
recipe then trains alone for ``--minutes`` of wall time with a fixed thread count, one after the other. A recipe
whose learning rates settle at the end of a run (the recommended one) is given its length the way ``train --minutes``
gives it: a few timed steps at the start plan the steps that fit, and it stops there or at the time limit, whichever
comes first. Every ``--every`` seconds (not counted) 1,000 samples from fixed latents are scored:

* precision — the share of samples the judge is confident about (softmax > 0.9 for one of the 8 shapes): a hybrid
  of two shapes or a blob does not count, whatever its arg-max;
* classes covered — classes with at least 1 % of the samples among the confident ones;
* balance — the normalised entropy of the confident samples' classes (1 = all eight equally often).
* border lines — the share of samples with a line or frame along the border (``border_lines``), which the judges do
  not look at.

After each run, outside the clock: near-copies — the share of the 1,000 samples nearer to a training picture than
half the median distance between two training pictures (the memorisation check's rule, in VGG16 features) — and the
strict precision of the others (a GAN that copies its 200 pictures scores high precision while making nothing new;
the training pictures' own share, each against the others, is the natural rate); then the critic's pick
(``studio.engine.gan.critic``: the run's own D chooses 1,000 of 5,000 fresh samples, each kind at its share,
near-copies held to the natural rate), scored the same way, its grid saved beside the plain one.

Reported: a table at the end, the time each recipe first reached precision 0.5, 0.7 and 0.9, and the sample grids
(PNG, paths printed). With ``--faces-minutes`` the recipes also train on scikit-image's ``lfw_subset`` at 32 and
64 px: its 200 pictures, of which only 100 are faces and 100 background patches (``--faces-set all``), or the 100
faces alone (``--faces-set faces``). The grids lie beside 64 training pictures drawn at random, and a face judge
(``face_judge.py``, frozen VGG16 and a linear head) counts confident faces, confident patches and the rest.

    .venv/bin/python tests/bench/bench_eyes.py [--minutes 10] [--every 60] [--threads 2] [--faces-minutes 5]
                                               [--faces-set all|faces]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_small_data import N_CLASSES, lesson_config, to_prepared, train_classifier  # noqa: E402
from gan_bench_common import lfw_faces, save_grid  # noqa: E402

from studio.engine.data import make_mode_images  # noqa: E402
from studio.engine.gan.critic import PICK_FROM, Critic  # noqa: E402
from studio.engine.gan.quality import QualityMonitor  # noqa: E402
from studio.engine.gan.regimes import recommend_preset, resolve_settings  # noqa: E402
from studio.engine.gan.trainer import TrainConfig, build_stepper  # noqa: E402
from studio.engine.images import uint8_to_tensor  # noqa: E402

LEVELS = (0.5, 0.7, 0.9)


def recipes(channels: int, size: int = 32, count: int = 200, eyes: bool = True) -> dict[str, TrainConfig]:
    """The lesson's DCGAN, the small-data GAN as it was before, the pretrained-eyes GAN (optional), and what the
    studio now recommends for ``count`` pictures (``--preset auto``)."""
    recommended = recommend_preset(count, size).preset
    out = {
        "lesson-dcgan": lesson_config(channels) if size == 32 else TrainConfig.for_preset(
            f"dcgan{size}", regime="manual", loss="bce", batch_size=64, lr_g=2e-4, lr_d=2e-4, beta1=0.5,
            device="cpu", channels=channels),
        # the small-data preset as it was before issue 15's second pass: no kinds, spectral norm, the 4×4 transposed
        # conv to pixels, the two-timescale rates
        f"lite{size}-before": TrainConfig.for_preset(f"lite{size}", device="cpu", channels=channels, kinds=0,
                                                     rgb_head="convT", r1_gamma=0.0, spectral_norm=True,
                                                     lr_g=2e-4, lr_d=4e-4, lr_decay=0.0),
    }
    if eyes:
        out[f"eyes{size}"] = TrainConfig.for_preset(f"eyes{size}", device="cpu", channels=channels)
    out[f"recommended ({recommended})"] = TrainConfig.for_preset(recommended, device="cpu", channels=channels)
    return out


def _blur(x: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
    """Gaussian blur with one sigma (px) per picture, 9×9 separable kernel."""
    t = torch.arange(-4, 5, dtype=torch.float32)
    k = torch.exp(-0.5 * (t.view(1, -1) / sigma.view(-1, 1)) ** 2)
    k = k / k.sum(1, keepdim=True)  # N×9
    n, c, h, w = x.shape
    y = torch.nn.functional.pad(x, (4, 4, 4, 4), mode="replicate")
    y = torch.stack([torch.nn.functional.conv2d(y[i:i + 1].transpose(0, 1), k[i].view(1, 1, 1, 9)) for i in range(n)])
    y = torch.stack([torch.nn.functional.conv2d(y[i], k[i].view(1, 1, 9, 1)) for i in range(n)])
    return y.transpose(1, 2).reshape(n, c, h, w)


def not_a_shape(n: int, seed: int) -> torch.Tensor:
    """Pictures a person would not call one clean shape: two shapes blended, a shape blurred to a blob, a shape
    under heavy noise, or the wrong shape and colour pieced together (left half of one, right half of another)."""
    a, _ = make_mode_images(n, 32, seed=seed)
    b, _ = make_mode_images(n, 32, seed=seed + 7)
    a, b = uint8_to_tensor(a), uint8_to_tensor(b)
    return spoiled(a, b, torch.Generator().manual_seed(seed), blur=(1.6, 3.0), noise=(0.3, 0.6))


def spoiled(a: torch.Tensor, b: torch.Tensor, g: torch.Generator, blur: tuple[float, float],
            noise: tuple[float, float]) -> torch.Tensor:
    """One of four spoilings per picture of ``a`` (N×C×H×W in [-1, 1]), at random: blended with the same row of ``b``,
    blurred (sigma in px, drawn from ``blur``), under noise (sigma drawn from ``noise``), or its right half replaced
    by ``b``'s."""
    n, side = len(a), a.shape[-1]
    kind = torch.randint(4, (n,), generator=g)
    alpha = torch.empty(n, 1, 1, 1).uniform_(0.35, 0.65, generator=g)
    blend = alpha * a + (1 - alpha) * b
    blurred = _blur(a, torch.empty(n).uniform_(*blur, generator=g))
    noisy = (a + torch.randn(a.shape, generator=g) * torch.empty(n, 1, 1, 1).uniform_(*noise, generator=g))
    pieced = a.clone()
    pieced[..., side // 2:] = b[..., side // 2:]
    out = torch.where((kind == 0).view(-1, 1, 1, 1), blend, blurred)
    out = torch.where((kind == 2).view(-1, 1, 1, 1), noisy, out)
    out = torch.where((kind == 3).view(-1, 1, 1, 1), pieced, out)
    return out.clamp(-1, 1)


def train_judge(log=print):
    """The 8-class classifier with a ninth class, "not one clean shape" (``not_a_shape``): a blob or a hybrid then
    has somewhere to go instead of being called the nearest shape with confidence."""
    from bench_small_data import ModeClassifier, fit_classifier

    x, y = make_mode_images(4000, 32, seed=100)
    xt, yt = make_mode_images(800, 32, seed=101)
    x, xt, y, yt = uint8_to_tensor(x), uint8_to_tensor(xt), torch.from_numpy(y), torch.from_numpy(yt)
    junk, junk_t = not_a_shape(1200, 300), not_a_shape(400, 301)
    x = torch.cat([x, junk])
    y = torch.cat([y, torch.full((len(junk),), N_CLASSES)])
    torch.manual_seed(0)
    clf = ModeClassifier()
    clf.net[-1] = torch.nn.Linear(64, N_CLASSES + 1)
    fit_classifier(clf, x, y, epochs=10)
    with torch.no_grad():
        acc = (clf(xt).argmax(1) == yt).float().mean().item()
        rej = (clf(junk_t).argmax(1) == N_CLASSES).float().mean().item()
    log(f"judge: held-out accuracy on clean shapes {acc:.3f}; held-out non-shapes rejected {rej:.3f}")
    return clf


def score(clf, imgs: torch.Tensor) -> dict:
    with torch.no_grad():
        prob = torch.softmax(clf(imgs), 1)[:, :N_CLASSES]  # a ninth "not a shape" class never counts
    conf, cls = prob.max(1)
    sure = conf > 0.9
    counts = torch.bincount(cls[sure], minlength=N_CLASSES).float()
    share = counts / counts.sum().clamp(min=1)
    nz = share[share > 0]
    return {"precision": sure.float().mean().item(), "covered": int((counts >= 0.01 * len(imgs)).sum()),
            "balance": float(-(nz * nz.log()).sum() / math.log(N_CLASSES)) if len(nz) else 0.0,
            "counts": counts.int().tolist()}


def border_lines(imgs: torch.Tensor, excess: float = 0.05) -> float:
    """The share of pictures with a line or frame along their border, which neither judge sees (they judge the shape):
    the outermost row or column differs from the next one by more than ``excess`` (mean absolute, [-1, 1] scale)
    beyond how much the next one differs from the third. A GAN can learn such lines from a discriminator that was taught
    to overlook the grey band a shift leaves (issue 15, eighth pass: consistency regularisation drew them)."""
    sides = [(imgs[:, :, i], imgs[:, :, j], imgs[:, :, k]) for i, j, k in ((0, 1, 2), (-1, -2, -3))]
    sides += [(imgs[..., i], imgs[..., j], imgs[..., k]) for i, j, k in ((0, 1, 2), (-1, -2, -3))]
    edge = torch.stack([(a - b).abs().mean((1, 2)) - (b - c).abs().mean((1, 2)) for a, b, c in sides], 1)
    return (edge.max(1).values > excess).float().mean().item()


@torch.no_grad()
def draw(stepper, z: torch.Tensor) -> torch.Tensor:
    G = stepper.sample_generator("ema")
    G.eval()
    out = torch.cat([G(z[i:i + 200]) for i in range(0, len(z), 200)]).float().clamp(-1, 1)
    stepper.G.train()
    return out


EXPLORE_BATCH = 16  # samples in the Explore page's grid (studio.ui.explore.browser: 4 × 4)


def copies_and_pick(stepper, reference, imgs: torch.Tensor, evaluate) -> dict:
    """Outside the clock, after a run: the share of ``imgs`` that are near-copies of training pictures and what
    ``evaluate`` (pictures → dict) says of the rest; then the critic's pick (a copy of the run's D choosing 1,000 of
    ``PICK_FROM`` × 1,000 fresh samples, as the Explore page's Critic's pick does), evaluated the same way."""
    import copy

    critic = Critic(copy.deepcopy(stepper.D), imgs.shape[-1], reference, looks=stepper.kind_looks)
    copies = critic.near_copies(imgs)
    z = torch.randn(PICK_FROM * len(imgs), stepper.cfg.latent_dim, generator=torch.Generator().manual_seed(4321))
    cand = draw(stepper, z)
    G = stepper.sample_generator("ema")
    kinds = G.kinds(z) if hasattr(G, "kinds") else None
    measured = critic.measure(cand, kinds)
    pick = critic.choose_among(*measured, len(imgs), kinds)
    chosen = torch.tensor(sorted(pick.chosen))  # in drawing order: the grid is not the best 64 first
    # as the Explore page's New batch does it: 16 of 16 × PICK_FROM candidates at a time, over the same measurements
    group = EXPLORE_BATCH * PICK_FROM
    batches = torch.cat([
        s + torch.tensor(critic.choose_among(*[None if m is None else m[s:s + group] for m in measured],
                                             EXPLORE_BATCH, None if kinds is None else kinds[s:s + group]).chosen)
        for s in range(0, len(cand) - group + 1, group)])
    cand_copies = measured[2]
    return {"copies": copies.float().mean().item(), "natural_copies": critic.natural_copies,
            "novel": evaluate(imgs[~copies]) if (~copies).any() else None, "pick": evaluate(cand[chosen]),
            "pick_copies": cand_copies[chosen].float().mean().item(), "picked": cand[chosen],
            "batches": evaluate(cand[batches]), "batch_copies": cand_copies[batches].float().mean().item()}


def plan_steps(cfg: TrainConfig, data, seconds: float) -> int:
    """What ``train --minutes`` does for a recipe whose rates settle at the end: a few timed steps on this machine
    say how many fit in ``seconds`` (no quality checks here: the bench scores outside the clock)."""
    from studio.engine.gan.estimate import steps_for_seconds

    steps, said = steps_for_seconds(TrainConfig.from_dict({**cfg.__dict__, "metrics_every": 0}), seconds,
                                    dataset_count=len(data), channels=data.channels)
    print(f"  planned: {said}", flush=True)
    return steps


def train_and_score(name: str, cfg: TrainConfig, data, seconds: float, every: float, evaluate) -> tuple:
    """Train for ``seconds`` of wall time (or to the planned steps of a recipe that settles its rates, if sooner).
    A recipe that settles is planned and re-planned as ``train --minutes`` plans it: a few timed steps at the start,
    then its own measured speed every ``REPLAN_EVERY_S`` of training until the settling begins."""
    from studio.engine.gan.estimate import LiveEta, replanned_steps
    from studio.engine.gan.trainer import REPLAN_EVERY_S

    cfg.steps = plan_steps(cfg, data, seconds) if cfg.lr_decay > 0 else 0
    cfg, _choice = resolve_settings(cfg, len(data))
    s = build_stepper(cfg, data.channels, data, torch.device("cpu"))
    cfg = s.cfg
    z = torch.randn(1000, cfg.latent_dim, generator=torch.Generator().manual_seed(1234))
    used, history, reached = 0.0, [], {}
    eta, planned_at = LiveEta(0), 0.0
    done = lambda: bool(cfg.steps) and s.state["step"] >= cfg.steps  # noqa: E731
    while used < seconds and not done():
        t0 = t_prev = time.perf_counter()
        while time.perf_counter() - t0 < min(every, seconds - used) and not done():
            s.step()
            now = time.perf_counter()
            eta.observe(s.state["step"], now - t_prev)
            t_prev, trained = now, used + now - t0
            if cfg.lr_decay > 0 and s.state["step"] < s.settle_start() and trained - planned_at >= REPLAN_EVERY_S \
                    and eta.ready():
                planned_at = trained
                cfg.steps = replanned_steps(eta, s.state["step"], seconds - trained, cfg.lr_decay)
        used += time.perf_counter() - t0
        imgs = draw(s, z)
        row = {"seconds": round(used, 1), "step": s.state["step"], **(evaluate(imgs) if evaluate else {})}
        history.append(row)
        for level in LEVELS:
            if level not in reached and row.get("precision", 0) >= level:
                reached[level] = row["seconds"]
        line = f"  {name:24s} {used:6.0f} s  step {s.state['step']:6,d}" + (f" of {cfg.steps:,}" if cfg.steps else "")
        if evaluate:
            line += (f"  strict: precision {row['precision']:.3f}  covered {row['covered']}/8  "
                     f"balance {row['balance']:.3f}   8-class judge: {row['lenient_precision']:.3f} "
                     f"{row['lenient_covered']}/8 {row['lenient_balance']:.3f}   border lines {row['border_lines']:.3f}")
        print(line, flush=True)
    return s, imgs, history, reached


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=10.0, help="wall time per recipe on the 8-class set")
    ap.add_argument("--every", type=float, default=60.0, help="seconds of training between scorings")
    ap.add_argument("--threads", type=int, default=2, help="torch threads, fixed for every recipe")
    ap.add_argument("--faces-minutes", type=float, default=0.0, help="wall time per recipe on lfw_subset (0: skip)")
    ap.add_argument("--faces-only", action="store_true", help="skip the shape set (with --faces-minutes)")
    ap.add_argument("--faces-set", choices=("all", "faces"), default="all",
                    help="lfw_subset's 200 pictures (half are background patches) or its 100 faces alone")
    ap.add_argument("--only", default="", help="comma-separated recipe names to run (default all)")
    ap.add_argument("--no-eyes", action="store_true", help="leave out the pretrained-eyes recipe")
    ap.add_argument("--seed", type=int, default=0, help="the runs' seed (GAN outcomes vary from seed to seed: "
                    "compare recipes over several)")
    ap.add_argument("--precision", default="", help="the recommended recipe's --precision (default: its own)")
    ap.add_argument("--out", default="bench-out/eyes")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    out = Path(args.out)
    print(f"{torch.get_num_threads()} threads, torch {torch.__version__}")
    x, _ = make_mode_images(200, 32, seed=0)
    data = to_prepared(x)
    results = {}
    chosen = [n for n in args.only.split(",") if n]
    if not args.faces_only:
        results = shape_runs(args, data, x, chosen, out)
    if args.faces_minutes > 0:
        face_runs(args, chosen, out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=2))
    print(f"results: {(out / 'results.json').resolve()}")
    return 0


def shape_runs(args, data, x, chosen: list[str], out: Path) -> dict:
    """The 8-shape set: every recipe for --minutes, scored every --every seconds; the table and grids."""
    clf = train_classifier()
    judge = train_judge()
    real = uint8_to_tensor(x)
    print(f"the training pictures themselves: strict {score(judge, real)}; 8-class {score(clf, real)}; "
          f"with a line along the border {border_lines(real):.3f}")

    def evaluate(imgs: torch.Tensor) -> dict:
        lenient = score(clf, imgs)
        return {**score(judge, imgs), **{f"lenient_{k}": v for k, v in lenient.items()},
                "border_lines": border_lines(imgs)}

    reference = QualityMonitor(data, "cpu").prepare()  # the training pictures' features, as a run measures them
    results = {}
    for name, cfg in recipes(3, eyes=not args.no_eyes).items():
        if chosen and not any(c in name for c in chosen):
            continue
        cfg.seed = args.seed
        if args.precision and name.startswith("recommended"):
            cfg.precision = args.precision
        print(f"\n{name}: {args.minutes:g} min")
        s, imgs, history, reached = train_and_score(name, cfg, data, args.minutes * 60, args.every, evaluate)
        grid = save_grid(imgs[:64], out / f"shapes-{name.split(' ')[0]}.png", scale=3)
        extra = copies_and_pick(s, reference, imgs, lambda x: score(judge, x))
        picked = save_grid(extra.pop("picked")[:64], out / f"shapes-{name.split(' ')[0]}-picked.png", scale=3)
        novel, pick, batches = extra.pop("novel"), extra.pop("pick"), extra.pop("batches")
        extra.update(novel_precision=novel["precision"] if novel else 0.0, pick_precision=pick["precision"],
                     pick_covered=pick["covered"], pick_balance=pick["balance"],
                     batch_precision=batches["precision"], batch_covered=batches["covered"],
                     batch_balance=batches["balance"])
        print(f"  {name:24s} near-copies {extra['copies']:.3f} (training pictures among themselves "
              f"{extra['natural_copies']:.3f}), strict precision of the others {extra['novel_precision']:.3f}; "
              f"critic's pick (1 of {PICK_FROM}): precision {extra['pick_precision']:.3f} {extra['pick_covered']}/8 "
              f"balance {extra['pick_balance']:.3f}, near-copies {extra['pick_copies']:.3f}; in Explore's batches "
              f"({EXPLORE_BATCH} of {EXPLORE_BATCH * PICK_FROM}): precision {extra['batch_precision']:.3f} "
              f"{extra['batch_covered']}/8 balance {extra['batch_balance']:.3f}, near-copies "
              f"{extra['batch_copies']:.3f}", flush=True)
        results[name] = {"final": {**history[-1], **extra}, "reached": reached, "history": history, "grid": str(grid),
                         "picked_grid": str(picked), "preset": s.cfg.preset, "kinds": s.cfg.kinds}
    print("\nnear-copies: samples nearer to a training picture than half the median distance between two training "
          "pictures (the memorisation check's rule, VGG features; the training pictures' own share, each against the "
          "others, is the natural rate); critic's pick: the run's D chooses 1,000 of "
          f"{PICK_FROM * 1000:,} samples, kinds kept at their share, near-copies held to the natural rate "
          "(studio.engine.gan.critic)")
    print("recipe                     near-copies  precision of the others   critic's pick: precision  covered  "
          "balance  near-copies   Explore's batches: precision  covered  balance  near-copies")
    for name, r in results.items():
        f = r["final"]
        print(f"{name:24s} {f['copies']:11.3f}  {f['novel_precision']:23.3f}   {f['pick_precision']:24.3f}  "
              f"{f['pick_covered']:5d}/8  {f['pick_balance']:7.3f}  {f['pick_copies']:11.3f}   "
              f"{f['batch_precision']:28.3f}  {f['batch_covered']:5d}/8  {f['batch_balance']:7.3f}  "
              f"{f['batch_copies']:11.3f}")
    print("\n(strict judge: a blob, a blend or a noisy shape is not a shape; 8-class judge: the issue's classifier)")
    print("recipe                     steps   precision  covered  balance   time to 0.5 / 0.7 / 0.9   "
          "8-class precision  covered  balance   border lines")
    for name, r in results.items():
        f = r["final"]
        when = " / ".join(f"{r['reached'][lv]:.0f} s" if lv in r["reached"] else "—" for lv in LEVELS)
        print(f"{name:24s} {f['step']:7,d}   {f['precision']:9.3f}  {f['covered']:5d}/8  {f['balance']:7.3f}   "
              f"{when:22s}  {f['lenient_precision']:9.3f}  {f['lenient_covered']:5d}/8  {f['lenient_balance']:7.3f}   "
              f"{f['border_lines']:12.3f}")
    for name, r in results.items():
        print(f"grid {name}: {Path(r['grid']).resolve()}")
    return results


def face_runs(args, chosen: list[str], out: Path) -> None:
    """lfw_subset at 32 and 64 px, each recipe for --faces-minutes; grids beside the training pictures, and the face
    judge's count. ``--faces-set all``: the 200 pictures (100 faces, 100 background patches: a faithful generator
    makes about half faces); ``faces``: the 100 faces alone (most cells should be faces)."""
    from face_judge import face_judge, fmt

    table = []
    for side in (32, 64):
        pictures = lfw_faces(count=100 if args.faces_set == "faces" else None, side=side)
        faces = to_prepared(pictures)
        real = uint8_to_tensor(pictures)
        judge = face_judge(side)
        shown = torch.randperm(len(real), generator=torch.Generator().manual_seed(0))[:64]  # both kinds, as trained
        save_grid(real[shown], out / f"faces{side}-{args.faces_set}-training.png", scale=96 // side)
        table.append((f"training pictures ({len(real)})", side, "", judge.score(real)))
        for name, cfg in recipes(1, side, count=len(real), eyes=not args.no_eyes).items():
            if chosen and not any(c in name for c in chosen):
                continue
            cfg.seed = args.seed
            print(f"\nfaces {side} px ({len(real)} pictures), {name}: {args.faces_minutes:g} min")
            s, imgs, _h, _r = train_and_score(name, cfg, faces, args.faces_minutes * 60, args.faces_minutes * 60,
                                              None)
            r = judge.score(imgs)
            print(f"  face judge on 1,000 samples: {fmt(r)}")
            table.append((name, side, f"{s.state['step']:,}", r))
            grid = save_grid(imgs[:64], out / f"faces{side}-{args.faces_set}-{name.split(' ')[0]}.png",
                             scale=96 // side)
            print(f"  grid: {grid.resolve()}")
            extra = copies_and_pick(s, QualityMonitor(faces, "cpu").prepare(), imgs, judge.score)
            print(f"  near-copies {extra['copies']:.3f} (the training pictures among themselves "
                  f"{extra['natural_copies']:.3f}); the others: {fmt(extra['novel']) if extra['novel'] else '-'}")
            print(f"  critic's pick (1,000 of {PICK_FROM * 1000:,}): {fmt(extra['pick'])}; near-copies "
                  f"{extra['pick_copies']:.3f}; in Explore's batches ({EXPLORE_BATCH} of {EXPLORE_BATCH * PICK_FROM}): "
                  f"{fmt(extra['batches'])}, near-copies {extra['batch_copies']:.3f}")
            table.append((f"{name}, critic's pick", side, "", extra["pick"]))
            grid = save_grid(extra["picked"][:64], out / f"faces{side}-{args.faces_set}-{name.split(' ')[0]}-picked.png",
                             scale=96 // side)
            print(f"  grid: {grid.resolve()}")
    print("\n(face judge: softmax > 0.9 for face or for background patch; the rest is neither)")
    print("recipe                      px    steps   faces  patches  neither")
    for name, side, steps, r in table:
        print(f"{name:26s} {side:3d} {steps:>8s}   {r['faces']:5.3f}  {r['patches']:7.3f}  {r['neither']:7.3f}")


if __name__ == "__main__":
    sys.exit(main())
