"""Training health: what is going wrong, in plain words, with remedies the GUI can offer as buttons.

Each detector watches one of the lesson's known problems and fires a ``HealthEvent`` with a stable
machine-readable ``code`` and remedies that are stable codes too, each with the exact settings it
would change. The trainer emits it as a ``HealthNotice`` (a ``Notice`` subclass, so every existing
listener shows its text) and applies live remedies through ``GanTrainingJob.apply_remedy(code)``.

Codes: ``d_winning``, ``mode_collapse``, ``diverged``, ``memorization``, ``kind_collapse``.
Remedies: ``lower_lr_d``, ``lower_lr_g``, ``lower_lr``, ``raise_augmentation``, ``skip_d``,
``rollback``, ``stop`` (live), ``add_images``, ``use_small_data_preset`` (advice for a new run).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import torch

from studio.engine.jobs import Notice

D_WINNING = "d_winning"
MODE_COLLAPSE = "mode_collapse"
DIVERGED = "diverged"
MEMORIZATION = "memorization"
KIND_COLLAPSE = "kind_collapse"
CODES = (D_WINNING, MODE_COLLAPSE, DIVERGED, MEMORIZATION, KIND_COLLAPSE)


@dataclass(frozen=True)
class Remedy:
    """One thing the artist can do. ``changes``: TrainConfig fields → new values; ``live``: the running
    job can apply it now (``GanTrainingJob.apply_remedy``); otherwise it is advice for a new run."""

    code: str
    label: str
    explanation: str
    changes: dict[str, Any] = field(default_factory=dict)
    live: bool = True


@dataclass(frozen=True)
class HealthEvent:
    code: str
    title: str
    explanation: str
    remedies: tuple[Remedy, ...]
    step: int
    level: str = "warning"  # "warning" | "error" | "info" (e.g. an automatic fix already applied)
    data: dict[str, Any] = field(default_factory=dict)  # numbers, paths (e.g. memorisation pairs image)

    def remedy(self, code: str) -> Remedy | None:
        return next((r for r in self.remedies if r.code == code), None)

    def text(self) -> str:
        tips = "; ".join(r.label for r in self.remedies)
        return f"{self.title}. {self.explanation}" + (f" Try: {tips}." if tips else "")


@dataclass(frozen=True)
class HealthNotice(Notice):
    """A Notice carrying a HealthEvent: listeners that only know Notice still show ``text``."""

    health: HealthEvent | None = None


def notice_for(event: HealthEvent) -> HealthNotice:
    return HealthNotice(event.level, event.text(), event)


def event_to_dict(event: HealthEvent) -> dict[str, Any]:
    """A JSON-ready record of an event (``RunDir.append_health``)."""
    return {"code": event.code, "title": event.title, "explanation": event.explanation, "step": int(event.step),
            "level": event.level, "data": dict(event.data),
            "remedies": [{"code": r.code, "label": r.label, "explanation": r.explanation, "changes": dict(r.changes),
                          "live": bool(r.live)} for r in event.remedies]}


def event_from_dict(d: dict[str, Any]) -> HealthEvent | None:
    """The event back from its record; None for a record this version cannot read."""
    try:
        remedies = tuple(Remedy(str(r["code"]), str(r["label"]), str(r.get("explanation", "")),
                                dict(r.get("changes") or {}), bool(r.get("live", True)))
                         for r in d.get("remedies") or ())
        return HealthEvent(str(d["code"]), str(d["title"]), str(d.get("explanation", "")), remedies, int(d["step"]),
                           str(d.get("level", "warning")), dict(d.get("data") or {}))
    except (KeyError, TypeError, ValueError):
        return None


# ------------------------------------------------------------------------------------------- remedies

def make_remedy(code: str, cfg: Any, aug_p: float = 0.0) -> Remedy:
    """The remedy ``code`` with changes computed from the current settings ``cfg`` (a TrainConfig)."""
    if code == "lower_lr_d":
        lr = cfg.lr_d / 2
        return Remedy(code, f"Halve D's learning rate (to {lr:.2g})",
                      "A slower discriminator leaves the generator room to catch up.", {"lr_d": lr})
    if code == "lower_lr_g":
        lr = cfg.lr_g / 2
        return Remedy(code, f"Halve G's learning rate (to {lr:.2g})",
                      "Smaller generator steps jump less between a few favourite pictures.", {"lr_g": lr})
    if code == "lower_lr":
        return Remedy(code, "Halve both learning rates",
                      "Smaller steps are the lesson's cure for training that blows up.",
                      {"lr_g": cfg.lr_g / 2, "lr_d": cfg.lr_d / 2})
    if code == "raise_augmentation":
        target = round(max(0.4, (cfg.ada_target or 0.6) - 0.1), 3)
        p = round(min(1.0, max(aug_p, 0.0) + 0.2), 3)
        return Remedy(code, "Augment more",
                      "Recolour, shift and cover more of what D sees, so it cannot learn the pictures by "
                      "heart.", {"augment": "adaptive", "aug_p": p, "ada_target": target})
    if code == "skip_d":
        threshold = 0.1 if cfg.loss == "bce" else 0.05
        return Remedy(code, f"Skip D's update while its loss is below {threshold}",
                      "The lesson's balance remedy: D rests while it is far ahead.", {"skip_d_below": threshold})
    if code == "rollback":
        return Remedy(code, "Go back to the last good checkpoint",
                      "Continue from the newest state that was still healthy.")
    if code == "stop":
        return Remedy(code, "Stop here and keep the checkpoint",
                      "The newest samples may be as good as this run gets.")
    if code == "add_images":
        return Remedy(code, "Add more pictures", "More (or more varied) pictures are the surest cure; "
                      "even flipped or cropped copies of your own help.", live=False)
    if code == "use_small_data_preset":
        return Remedy(code, "Start again with the small-data GAN",
                      "Its discriminator (spectral normalisation, hinge loss) stays balanced more easily.",
                      {"preset": "lite64", "loss": "hinge", "spectral_norm": True}, live=False)
    raise ValueError(f"unknown remedy {code!r}")


LIVE_FIELDS = ("lr_g", "lr_d", "skip_d_below", "augment", "aug_p", "ada_target")


# ------------------------------------------------------------------------------------------- detectors

class DWinningDetector:
    """D is winning: its loss near 0 with D(real)→1 and D(fake)→0, averaged over a ``window`` of steps.

    Thresholds follow the loss: a hinge D only pushes logits past ±1 (sigmoid 0.73), a BCE D goes further.
    """

    def __init__(self, loss: str = "bce", window: int = 100, cooldown: int = 1000) -> None:
        self.window = window
        self.cooldown = cooldown
        self.real_min, self.fake_max = (0.9, 0.1) if loss == "bce" else (0.7, 0.3)
        self.loss_max = 0.1
        self._hist: deque[tuple[float, float, float]] = deque(maxlen=window)
        self._last_fired = -10**12

    def observe(self, step: int, loss_d: float, d_real: float, d_fake: float) -> dict | None:
        if not all(math.isfinite(v) for v in (loss_d, d_real, d_fake)):
            return None
        self._hist.append((loss_d, d_real, d_fake))
        if len(self._hist) < self.window or step - self._last_fired < self.cooldown:
            return None
        n = len(self._hist)
        loss = sum(h[0] for h in self._hist) / n
        real = sum(h[1] for h in self._hist) / n
        fake = sum(h[2] for h in self._hist) / n
        if loss < self.loss_max and real > self.real_min and fake < self.fake_max:
            self._last_fired = step
            return {"loss_d": loss, "d_real": real, "d_fake": fake, "window": n}
        return None


class CollapseDetector:
    """Mode collapse: the samples' LPIPS diversity falls well below the training pictures' own, or
    far below its best so far, at ``patience`` quality checks in a row."""

    def __init__(self, data_diversity: float, floor: float = 0.5, drop: float = 0.6, patience: int = 2,
                 min_step: int = 1000) -> None:
        self.data_diversity = data_diversity
        self.floor, self.drop, self.patience = floor, drop, patience
        self.min_step = min_step  # early samples are all alike blobs: that is not collapse yet
        self.best = 0.0
        self.checks = 0
        self._bad = 0
        self.fired = False

    def observe(self, step: int, diversity: float) -> dict | None:
        self.checks += 1
        if not math.isfinite(diversity):
            return None
        self.best = max(self.best, diversity)
        low = diversity < self.floor * self.data_diversity
        fell = diversity < self.drop * self.best and diversity < 0.8 * self.data_diversity
        self._bad = self._bad + 1 if (low or fell) and step >= self.min_step else 0
        if self._bad >= self.patience and not self.fired:
            self.fired = True
            return {"lpips_diversity": diversity, "data_diversity": self.data_diversity, "best": self.best}
        if self._bad == 0:
            self.fired = False  # recovered: a later collapse is news again
        return None


# the first steps' samples are alike blobs in every kind: not collapse yet
EARLY_STEPS = 1000


def _mean_pair_distance(x: torch.Tensor) -> float:
    """Mean distance between two different rows of ``x`` (at least 2 rows)."""
    d = torch.cdist(x.float(), x.float())
    n = len(x)
    return float(d.sum() / (n * (n - 1)))


class KindCollapseDetector:
    """Collapse inside a kind of pictures (a generator conditioned on kinds, ``clusters.py``): every latent of a kind
    draws the same picture while the folder's pictures of that kind differ. The overall diversity hardly moves when
    a few of sixteen kinds collapse, so each kind is checked on its own: the mean distance between its samples
    (the quality check's nearest-neighbour features) against the mean distance between the training pictures of
    that kind. A kind below ``ratio`` of its pictures' spread at ``patience`` checks in a row is news.

    Measured on the 8-shape set (200 pictures, 16 kinds, generators saved at 600 s): the kinds of a run whose kinds
    collapsed (samples of one kind all alike, by eye) had 0.17–0.40 of their pictures' spread, every kind of two
    healthy runs 0.79–1.23 — while the overall LPIPS diversity of the collapsed run (0.595) was as high as the
    pictures' own (0.591), so ``CollapseDetector`` could not see it."""

    def __init__(self, ref_features: torch.Tensor, ref_kinds: torch.Tensor, ratio: float = 0.5, patience: int = 2,
                 min_step: int | None = None, min_samples: int = 3, total: int | None = None) -> None:
        self.ratio, self.patience, self.min_samples = ratio, patience, min_samples
        self.min_step = EARLY_STEPS if min_step is None else min_step
        self.ref_spread = {int(k): _mean_pair_distance(ref_features[ref_kinds == k])
                           for k in torch.unique(ref_kinds) if int((ref_kinds == k).sum()) >= 2}
        # how many kinds the run has (``ref_kinds`` may be a sample of the folder that misses its smallest kinds)
        self.n_kinds = total if total is not None else int(ref_kinds.max()) + 1 if len(ref_kinds) else 0
        self._bad = 0
        self.fired = False

    def spreads(self, features: torch.Tensor, kinds: torch.Tensor) -> dict[int, float]:
        """Per kind with enough samples and pictures: its samples' spread over its pictures' spread."""
        out = {}
        for k, ref in self.ref_spread.items():
            rows = features[kinds == k]
            if len(rows) >= self.min_samples and ref > 0:
                out[k] = _mean_pair_distance(rows) / ref
        return out

    def observe(self, step: int, features: torch.Tensor, kinds: torch.Tensor) -> dict | None:
        spread = self.spreads(features, kinds)
        collapsed = sorted(k for k, r in spread.items() if r < self.ratio)
        self._bad = self._bad + 1 if collapsed and step >= self.min_step else 0
        if self._bad >= self.patience and not self.fired:
            self.fired = True
            return {"kinds": collapsed, "total": self.n_kinds,
                    "spread": {str(k): round(spread[k], 3) for k in collapsed}}
        if self._bad == 0:
            self.fired = False
        return None


class MemorizationDetector:
    """Samples too close to training pictures: at least ``fraction`` of them are nearer to a training
    picture than ``ratio`` × the typical distance between two different training pictures — and at least twice
    ``natural``, the share of the training pictures that are that near to another training picture (a folder of
    similar pictures has many such pairs, and a generator drawing new pictures like them would too: on the 8-shape
    set 14 %, where a run of the recommended recipe reached 30 % at 6,500 steps and 50 % at 10,000)."""

    def __init__(self, nn_median: float, ratio: float | None = None, fraction: float = 0.25,
                 natural: float = 0.0) -> None:
        from studio.engine.gan.quality import NEAR_COPY_RATIO

        self.threshold = (NEAR_COPY_RATIO if ratio is None else ratio) * nn_median
        self.natural = float(natural)
        self.fraction = max(fraction, 2.0 * self.natural)
        self.fired_at: int | None = None

    def observe(self, step: int, nn_distance: torch.Tensor) -> dict | None:
        close = nn_distance < self.threshold
        frac = float(close.float().mean())
        if frac >= self.fraction:
            if self.fired_at is not None:
                return None
            self.fired_at = step
            return {"fraction": frac, "threshold": self.threshold, "close": close, "natural": self.natural}
        self.fired_at = None
        return None


def is_diverged(values: dict[str, float], limit: float = 1e4) -> bool:
    """A loss became NaN/inf or exploded."""
    return any(not math.isfinite(v) or abs(v) > limit for k, v in values.items() if k.startswith("loss"))


# ------------------------------------------------------------------------------------------- events

def d_winning_event(step: int, cfg: Any, info: dict, aug_p: float) -> HealthEvent:
    remedies = ["lower_lr_d", "raise_augmentation", "skip_d"]
    if getattr(cfg, "preset", "").startswith(("dcgan", "lesson")):
        remedies.append("use_small_data_preset")
    return HealthEvent(
        D_WINNING, "The discriminator is winning",
        f"For the last {info['window']} steps D has told real from generated almost perfectly (its loss "
        f"{info['loss_d']:.3f}, D(real) {info['d_real']:.2f}, D(fake) {info['d_fake']:.2f}), so the "
        "generator gets little to learn from.",
        tuple(make_remedy(r, cfg, aug_p) for r in remedies), step, "warning", dict(info))


def collapse_event(step: int, cfg: Any, info: dict, aug_p: float) -> HealthEvent:
    return HealthEvent(
        MODE_COLLAPSE, "The samples are losing variety (mode collapse)",
        f"Generated pictures look more and more alike: their diversity is {info['lpips_diversity']:.3f} "
        f"against {info['data_diversity']:.3f} for your pictures (best so far {info['best']:.3f}). The "
        "generator has found a few pictures that fool D and keeps making those.",
        tuple(make_remedy(r, cfg, aug_p) for r in ("raise_augmentation", "lower_lr_g", "rollback")),
        step, "warning", dict(info))


def kind_collapse_event(step: int, cfg: Any, info: dict, aug_p: float, image: str | None) -> HealthEvent:
    n = len(info["kinds"])
    pct = sorted(round(100 * v) for v in info["spread"].values())
    rows = [str(k + 1) for k in info["kinds"]]
    which = f"row {rows[0]}" if n == 1 else f"rows {', '.join(rows[:-1])} and {rows[-1]}"
    if pct[-1] < 2:
        how = "their samples are all but identical, while your pictures of that kind differ"
    else:
        span = f"{pct[0]}" if pct[0] == pct[-1] else f"{pct[0]}–{pct[-1]}"
        how = f"their samples vary only {span} % as much as your pictures of that kind"
    return HealthEvent(
        KIND_COLLAPSE, "Some kinds of pictures come out as one picture",
        f"{n} of the {info['total']} kinds your pictures were sorted into ({which} of kinds.png) draw nearly the "
        f"same picture whatever the latent: {how}. The generator has given up on variety there."
        + (f" Samples beside your pictures: {image}." if image else ""),
        tuple(make_remedy(r, cfg, aug_p) for r in ("raise_augmentation", "lower_lr_g", "rollback")),
        step, "warning", {**info, "image": image})


def diverged_event(step: int, cfg: Any, rolled_back_to: int | None, lr_g: float, lr_d: float,
                   attempts: int, gave_up: bool) -> HealthEvent:
    if gave_up:
        text = (f"Training blew up (a loss became NaN or exploded) {attempts} times even after lowering the "
                "learning rates. Stopped at the last good state, which is saved.")
    else:
        text = (f"A loss became NaN or exploded at step {step}. Went back to step {rolled_back_to} and "
                f"halved the learning rates (G {lr_g:.2g}, D {lr_d:.2g}); training continues.")
    remedies = ("lower_lr", "use_small_data_preset") if gave_up else ("lower_lr", "stop")
    return HealthEvent(DIVERGED, "Training diverged", text,
                       tuple(make_remedy(r, cfg) for r in remedies), step, "error" if gave_up else "warning",
                       {"rolled_back_to": rolled_back_to, "lr_g": lr_g, "lr_d": lr_d, "attempts": attempts})


def memorization_event(step: int, cfg: Any, info: dict, aug_p: float, image: str | None,
                       pairs: list[dict]) -> HealthEvent:
    pct = round(100 * info["fraction"])
    natural = round(100 * float(info.get("natural", 0.0)))
    among = f" (of your own pictures, {natural}% are that close to another one)" if natural >= 1 else ""
    return HealthEvent(
        MEMORIZATION, "The generator is copying your pictures",
        f"{pct}% of the samples are nearly identical to one of your training pictures{among}. A GAN that "
        "memorises makes copies, not new pictures." + (f" The closest pairs are in {image}." if image else ""),
        tuple(make_remedy(r, cfg, aug_p) for r in ("raise_augmentation", "stop", "add_images")),
        step, "warning",
        {"fraction": info["fraction"], "threshold": info["threshold"], "natural": float(info.get("natural", 0.0)),
         "image": image, "pairs": pairs})
