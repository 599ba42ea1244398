"""The critic's pick: a run's own discriminator chooses, among several candidate samples, the ones it finds most
like the artist's pictures, and holds near-copies of those pictures to the share the pictures themselves have.

Measured on the 8-shape set (issue 15, eleventh pass): D ranks the samples a strict judge rejects below the ones it
accepts, so the best of several candidates per picture shown (``PICK_FROM``) is recognisable more often
(bench_eyes.py reports it). D
also ranks near-copies of training pictures high: a candidate nearer to a training picture than half the median
distance between two training pictures (the memorisation check's rule, ``quality.NEAR_COPY_RATIO``) counts as a
near-copy, and the pick takes no more of them than the share of training pictures that are that near to another
training picture (a folder of similar pictures has many; a varied one few) — the others wait behind every candidate
that is not one.

D's verdict is taken with minibatch-std off (each sample judged alone), so a sample's score does not depend on the
others drawn with it. The pick keeps each kind of picture (a generator with kinds) at its share of the candidates,
so picking does not tilt the mix of kinds.

A run with kinds also knows what each kind looks like to the pretrained VGG16 (the mean of its pictures' descriptors,
``clusters.Kinds.looks``, kept in every checkpoint). A sample far from the look of the kind it was drawn as is a blob,
a hybrid or a lumpy shape more often than D alone can tell: the pick ranks candidates by D's verdict and, with twice
its weight, by nearness to their kind's look (issue 15, twelfth pass: of 5, strict precision 0.84 / 0.90 with D alone,
0.90 / 0.94 with both, near-copies held at the folder's rate, position and size as varied as the pictures').

An exported generator carries its critic beside it (``export_critic``, ``critic_file``, ``Critic.from_export``), so
the Explore page and ``python -m studio pick`` choose the same way with an export as with its run.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

# candidates per picture shown. 8-shape set, D alone, two runs, strict precision of 1,000 kept: of 3 0.80 / 0.86, of 4
# 0.83 / 0.88, of 5 0.84 / 0.90; of 1, no choice, 0.77 / 0.81. With the looks (thirteenth pass), a weaker run made by
# `train --minutes 10` (0.81 raw, half its samples near-copies), in the Explore page's batches of 16 with the near-copy
# rule: of 5 0.830, of 8 0.859, of 10 0.873, of 16 0.903 (about 2 s a batch of 16 on the 2-core development machine),
# of 24 0.930, of 32 0.943, of 48 0.952 (fourteenth pass, the same 20,000 scored samples). The Explore page chooses the
# next batch while the artist looks at the last, so it can afford 32 where that fits its time budget.
PICK_FROM = 32
# weight of the nearness to the kind's look against D's verdict, both as ranks among the candidates (measured weights:
# 1 → 0.894 / 0.936, 2 → 0.901 / 0.941 strict precision of 1,000 kept of 5,000, two runs; the look alone 0.902 / 0.926)
LOOKS_WEIGHT = 2.0
CRITIC_SUFFIX = ".critic"  # beside an exported NAME.safetensors (export_critic)
CRITIC_FORMAT = "gan-art-studio/critic"


@dataclass
class Pick:
    """What ``Critic.pick`` chose: indices into the candidates, best first, and how many near-copies it passed."""

    chosen: list[int]
    scores: torch.Tensor  # D's verdict per candidate
    copies_passed: int = 0
    far: torch.Tensor | None = None  # per candidate, distance from the look of its kind (None: not measured)


class Critic:
    """A trained discriminator and, optionally, the training pictures as the quality check measured them
    (``reference``, a ``quality.TrainingReference``) for the near-copy rule. The critic owns ``D``: it is frozen, in
    eval mode, its minibatch-std judging each sample alone (pass a copy of a D that still trains).

    ``natural_copies``: the share of training pictures that are near-copies of another training picture by the same
    rule — how many near-copies a pick may hold. ``looks``: each kind's look (K×F, ``clusters.Kinds.looks``) for a
    conditional D, or None."""

    def __init__(self, D: nn.Module, image_size: int, reference=None, feature_net: nn.Module | None = None,
                 looks: torch.Tensor | None = None) -> None:
        self.D = D.eval().requires_grad_(False)
        self.image_size = int(image_size)
        from studio.engine.gan.clusters import ConditionalDiscriminator
        from studio.engine.gan.models import MinibatchStd

        self.conditional = isinstance(D, ConditionalDiscriminator)
        self.msg = bool(getattr(D, "msg", False))
        self.reference = reference
        self._net = feature_net
        self._no_net = False
        self.natural_copies = reference.natural_copies if reference is not None else 0.0
        kinds = D.embed.num_embeddings if self.conditional else 0
        fits = looks is not None and looks.ndim == 2 and looks.shape[0] == kinds and bool(torch.isfinite(looks).all())
        self.looks = looks.float().cpu() if fits else None
        for m in D.modules():  # each sample judged alone: minibatch-std appends zeros
            if isinstance(m, MinibatchStd):
                m.group = 1

    @classmethod
    def from_run(cls, run_dir: str | Path, device: str | torch.device = "cpu") -> Critic:
        """The discriminator of a run's newest checkpoint, with the run's cached training features when there are
        some. Raises CheckpointError, in words, when the run has no checkpoint or its D cannot be rebuilt."""
        from studio.engine.gan.checkpoints import CheckpointError, load_newest_intact
        from studio.engine.gan.quality import REFERENCE_CACHE, read_reference_cache
        from studio.engine.runs import RunDir

        run = RunDir(run_dir)
        found = load_newest_intact(run.checkpoints_dir)
        if found.checkpoint is None:
            raise CheckpointError(f"{Path(run_dir).name} has no intact checkpoint to take its critic from")
        try:
            cfg = run.read_config()
            shape = {k: cfg[k] for k in ("preset", "resolved_channels", "latent_dim", "width", "image_size")}
            shape.update(_d_options(cfg))
        except (OSError, KeyError, TypeError, ValueError) as exc:
            raise CheckpointError(f"The critic of {Path(run_dir).name} cannot be rebuilt ({exc})") from exc
        from studio.engine.gan.models import generator_kinds

        D = _rebuild(shape, found.checkpoint.module_state("D"), generator_kinds(found.checkpoint.module_state("G")),
                     Path(run_dir).name)
        looks = found.checkpoint.extra("kind_looks") if "extra.kind_looks" in found.checkpoint.tensors else None
        return cls(D.to(device), int(shape["image_size"]),
                   read_reference_cache(run.path / "quality" / REFERENCE_CACHE), looks=looks)

    @classmethod
    def from_export(cls, generator_path: str | Path, device: str | torch.device = "cpu") -> Critic:
        """The critic exported beside a generator (``critic_file``; ``export_critic`` wrote it). Raises
        CheckpointError, in words, when there is none, it is not the one the generator's JSON names, or it is
        damaged."""
        from safetensors import safe_open
        from safetensors.torch import load

        from studio.engine.gan.checkpoints import CheckpointError
        from studio.engine.gan.quality import reference_from

        path = Path(generator_path).with_suffix(".safetensors")
        name = path.name
        try:
            meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
            about = meta["critic"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise CheckpointError(f"{name} was exported without its critic") from exc
        file = critic_file(path)
        try:
            blob = file.read_bytes()
        except OSError as exc:
            raise CheckpointError(f"the critic of {name} ({file.name}) is missing") from exc
        if not isinstance(about, dict) or hashlib.sha256(blob).hexdigest() != about.get("sha256"):
            raise CheckpointError(f"{file.name} is not the critic {name} was exported with")
        try:
            tensors = load(blob)
            with safe_open(str(file), "pt") as fh:  # the header only: the metadata the tensors came with
                stored = fh.metadata() or {}
            if stored.get("format") != CRITIC_FORMAT:
                raise ValueError("not a GAN Art Studio critic")
            shape = {"preset": meta["preset"], "resolved_channels": meta["channels"], "latent_dim": meta["latent_dim"],
                     "width": meta["width"], "image_size": meta["image_size"], **_d_options(about)}
            reference = (reference_from(None, tensors["reference.nn"].float(), stored)
                         if "reference.nn" in tensors else None)
        except Exception as exc:  # noqa: BLE001 - safetensors raises several types for damaged files
            raise CheckpointError(f"the critic of {name} is damaged ({exc})") from exc
        # the kinds D judges: as export_generator noted them (a wrong number fails to load, in words)
        D = _rebuild(shape, {k[2:]: v for k, v in tensors.items() if k.startswith("D.")}, int(meta.get("kinds") or 0),
                     name)
        return cls(D.to(device), int(shape["image_size"]), reference, looks=tensors.get("looks"))

    @classmethod
    def of(cls, source: str | Path, device: str | torch.device = "cpu") -> Critic:
        """A run directory's critic or an exported generator's."""
        source = Path(source)
        return cls.from_run(source, device) if source.is_dir() else cls.from_export(source, device)

    @torch.no_grad()
    def scores(self, pictures: torch.Tensor, kinds: torch.Tensor | None = None, batch: int = 64) -> torch.Tensor:
        """D's verdict (a logit; higher = more like the training pictures) on pictures in [-1, 1], N×C×H×W."""
        device = next(self.D.parameters()).device
        out = []
        for s in range(0, len(pictures), batch):
            x = pictures[s:s + batch].to(device).float()
            if self.msg:
                x = self.D.scales(x)
            if self.conditional:
                if kinds is None:
                    raise ValueError("this critic judges a kind of picture: pass the samples' kinds")
                out.append(self.D(x, kinds[s:s + batch].to(device)).float().view(-1).cpu())
            else:
                out.append(self.D(x).float().view(-1).cpu())
        return torch.cat(out) if out else torch.zeros(0)

    def near_copies(self, pictures: torch.Tensor, check: Callable[[], None] | None = None) -> torch.Tensor | None:
        """Which pictures are near-copies of a training picture (bool per picture), or None without a reference."""
        if self.reference is None or self._feature_net() is None:
            return None
        from studio.engine.gan.quality import (
            NEAR_COPY_RATIO,
            extract_features,
            metric_size,
            nearest_neighbours,
        )

        mine = extract_features(self._net, pictures, metric_size(self.image_size), check=check)
        dist, _ = nearest_neighbours(mine.nn, self.reference.features.nn)
        return dist < NEAR_COPY_RATIO * self.reference.nn_median

    def far_from_looks(self, pictures: torch.Tensor, kinds: torch.Tensor | None,
                       check: Callable[[], None] | None = None) -> torch.Tensor | None:
        """How far each picture ([-1, 1], N×C×H×W) is from the look of its kind, to VGG16's eyes; None without looks,
        kinds or the offline VGG16."""
        if self.looks is None or kinds is None or self._feature_net() is None:
            return None
        from studio.engine.gan.clusters import picture_features
        from studio.engine.images import tensor_to_uint8

        mine = picture_features(tensor_to_uint8(pictures), self._net.features, check=check, bf16=True)
        if mine.shape[1] != self.looks.shape[1]:
            return None
        return (mine - self.looks[kinds.cpu()]).norm(dim=1)

    def _feature_net(self) -> nn.Module | None:
        """The offline VGG16 (+ LPIPS) net, loaded once; None where it is not installed (the pick goes on without
        the near-copy rule and the looks)."""
        if self._net is None and not self._no_net:
            from studio.engine.gan.quality import QualityError, load_feature_net

            try:
                self._net = load_feature_net(next(self.D.parameters()).device)
            except QualityError:
                self._no_net = True
                self.reference = None  # said, as for a run that never measured its pictures
        return self._net

    def pick(self, pictures: torch.Tensor, count: int, kinds: torch.Tensor | None = None,
             check: Callable[[], None] | None = None) -> Pick:
        """The ``count`` best candidates — by D's verdict and, where the run knows its kinds' looks, nearness to them
        (``LOOKS_WEIGHT``) — each kind kept at its share of the candidates (rounded up), near-copies at most at the
        training pictures' own share (more only where too few others remain)."""
        return self.choose_among(*self.measure(pictures, kinds, check), count, kinds)

    def measure(self, pictures: torch.Tensor, kinds: torch.Tensor | None = None,
                check: Callable[[], None] | None = None) -> tuple:
        """What the pick decides from: (D's verdicts, distances from the looks or None, near-copies or None)."""
        return self.scores(pictures, kinds), self.far_from_looks(pictures, kinds, check), self.near_copies(pictures, check)

    def choose_among(self, scores: torch.Tensor, far: torch.Tensor | None, copies: torch.Tensor | None, count: int,
                     kinds: torch.Tensor | None = None) -> Pick:
        """``pick``'s choice from what it measured (D's verdict, distances from the looks, near-copies), so several
        choices can share one measurement (the bench's batches)."""
        rank = scores if far is None else _rank(scores) + LOOKS_WEIGHT * _rank(-far)
        chosen = choose(rank, count, kinds, copies, round(self.natural_copies * count))
        return Pick(chosen.chosen, scores, chosen.copies_passed, far)


def _d_options(cfg: dict) -> dict:
    """What, besides the generator's shape, rebuilds a run's D (from config.json, or an exported critic's note)."""
    return {"spectral_norm": bool(cfg.get("spectral_norm")), "msg": cfg.get("msg"),
            "batchnorm": bool(cfg.get("batchnorm", True))}


def _rebuild(shape: dict, state: dict, kinds: int, name: str) -> nn.Module:
    """D as ``build_gan`` makes it for ``shape`` (preset, sizes and ``_d_options``) judging ``kinds`` kinds of
    pictures, with ``state`` loaded. CheckpointError, in words, when they do not fit."""
    from studio.engine.gan.checkpoints import CheckpointError
    from studio.engine.gan.models import build_gan

    try:
        if not state:
            raise ValueError("no discriminator weights")
        _, D = build_gan(str(shape["preset"]), int(shape["resolved_channels"]), int(shape["latent_dim"]),
                         int(shape["width"]), int(shape["image_size"]), spectral_norm=shape["spectral_norm"],
                         msg=shape["msg"], kinds=kinds, batchnorm=shape["batchnorm"])
        D.load_state_dict(state)
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise CheckpointError(f"The critic of {name} cannot be rebuilt from its weights ({exc})") from exc
    return D


def critic_file(generator_path: str | Path) -> Path:
    """Where an exported generator's critic lives: beside it, ``NAME.critic`` (a safetensors file under a name the
    generator file dialogs do not list)."""
    return Path(generator_path).with_suffix(CRITIC_SUFFIX)


def export_critic(checkpoint, config: dict, run_dir: Path) -> tuple[bytes, dict] | None:
    """An exported generator's critic: the checkpoint's D, its kinds' looks and the run's training reference (the
    near-copy rule's features in half precision — no pixels) as safetensors bytes, and what the generator's JSON says
    of it (with the bytes' SHA-256, so a critic from another export is refused). None when the checkpoint keeps no D."""
    from safetensors.torch import save

    from studio.engine.gan.quality import REFERENCE_CACHE, read_reference_cache

    d_state = checkpoint.module_state("D")
    if not d_state:
        return None
    tensors = {f"D.{k}": v.detach().cpu().contiguous() for k, v in d_state.items()}
    if "extra.kind_looks" in checkpoint.tensors:
        tensors["looks"] = checkpoint.extra("kind_looks").float().contiguous()
    stored = {"format": CRITIC_FORMAT}
    reference = read_reference_cache(Path(run_dir) / "quality" / REFERENCE_CACHE)
    if reference is not None:
        tensors["reference.nn"] = reference.features.nn.half().contiguous()  # unit vectors: half is plenty
        stored.update(nn_median=repr(reference.nn_median), diversity=repr(reference.diversity))
    blob = save(tensors, metadata=stored)
    return blob, {"sha256": hashlib.sha256(blob).hexdigest(), **_d_options(config)}


def describe_pick(choice: Pick, critic: Critic, candidates: int) -> str:
    """One sentence on what chose the kept samples and what the choice could not check (the GUI's caption under the
    grid, the CLI's line after the seeds)."""
    shown = len(choice.chosen)
    if choice.far is not None:
        who = "the run's discriminator and the looks of your kinds of pictures"
    elif critic.conditional:
        who = ("the run's discriminator alone (the run keeps no looks of its kinds: it started before they were kept, "
               "or without the offline VGG16)")
    else:
        who = "the run's discriminator"
    words = [f"{shown} of {candidates} samples, chosen by {who}"]
    if critic.reference is None:
        words.append("no near-copy check (the run has no measured training pictures: train with quality metrics on)")
    elif choice.copies_passed:
        n = choice.copies_passed
        words.append(f"{n} near-cop{'y' if n == 1 else 'ies'} of your pictures passed over")
    return "; ".join(words) + "."


def _rank(values: torch.Tensor) -> torch.Tensor:
    """Each value's rank among them, scaled to [0, 1)."""
    return values.argsort().argsort().float() / max(1, len(values))


def pick_latents(generator: nn.Module, critic: Critic, latents: torch.Tensor, count: int,
                 check: Callable[[], None] | None = None) -> tuple[Pick, np.ndarray]:
    """Draw every candidate latent (N×D) and let the critic choose ``count``: the choice, and the drawn pictures
    (uint8 N×H×W×C, as ``render_frames`` draws them, so the shown picture is the judged one)."""
    from studio.engine.images import uint8_to_tensor
    from studio.engine.latent.render import render_frames

    images = render_frames(generator, latents, 16, check=check)
    kinds = generator.kinds(latents.reshape(len(latents), -1)) if hasattr(generator, "kinds") else None
    return critic.pick(uint8_to_tensor(images), count, kinds, check), images


def choose(scores: torch.Tensor, count: int, kinds: torch.Tensor | None = None,
           copies: torch.Tensor | None = None, copies_allowed: int = 0) -> Pick:
    """Best first by score, with a quota per kind (its share of the candidates × ``count``, rounded up). Near-copies
    (``copies``) are taken like any candidate until ``copies_allowed`` are in; later ones wait behind every candidate
    that is not one, and fill places only where nothing else is left."""
    n = len(scores)
    count = max(0, min(int(count), n))
    order = torch.argsort(scores, descending=True, stable=True).tolist()
    quota: dict[int, int] = {}
    if kinds is not None:
        for k, c in zip(*torch.unique(kinds, return_counts=True), strict=True):
            quota[int(k)] = math.ceil(int(c) * count / n)
    chosen: list[int] = []
    waiting: list[int] = []
    taken = 0

    def fits(i: int) -> bool:
        return kinds is None or quota[int(kinds[i])] > 0

    def take(i: int) -> None:
        if kinds is not None:
            quota[int(kinds[i])] -= 1
        chosen.append(i)

    for i in order:
        if len(chosen) == count:
            break
        if not fits(i):
            continue
        if copies is not None and copies[i]:
            if taken >= copies_allowed:
                waiting.append(i)
                continue
            taken += 1
        take(i)
    for i in waiting:  # near-copies beyond the allowance, where the other candidates ran out
        if len(chosen) < count and fits(i):
            take(i)
    passed = 0
    if copies is not None:  # near-copies the pick would have shown without the rule, passed over for others
        kept = set(chosen)
        passed = sum(1 for i in choose(scores, count, kinds).chosen if copies[i] and i not in kept)
    return Pick(chosen, scores, passed)
