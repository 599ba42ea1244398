"""The Train page's small-data pieces: health cards with remedies, the Raw/EMA switch, and the
augmentation preview. Kept apart from the page, which calls in at a few points (a run starts or is
attached, metrics or a notice arrive, the controls update, the page shuts down).

What a remedy click does:
- live remedies (learning rates, augmentation, skip D, rollback) go to the running job through
  ``GanTrainingJob.apply_remedy``; the card says what changed ("D learning rate 4e-4 → 2e-4"), first as
  requested, then "applied at step N" when the engine's notice confirms it;
- ``stop`` stops training the way the Stop button does (a checkpoint is saved);
- advice for a new run: ``use_small_data_preset`` selects the small-data GAN of the same size in the
  settings, ``add_images`` opens the picture chooser (both once training has stopped; while it runs the
  card says how).
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QPushButton

from studio.engine.gan.config import DEFAULT_AUGMENT_POLICY
from studio.engine.train_rules import small_data_preset_for
from studio.engine.train_text import FIELD_WORDS, describe_changes
from studio.ui.widgets.health_panel import HealthPanel

if TYPE_CHECKING:
    from studio.ui.train.page import TrainPage

PREVIEW_COUNT = 16
IDLE_DEMO_COUNT = 64  # the demo set is generated: a preview needs only a few of its pictures


class SmallDataControls(QObject):
    """See the module docstring. ``page.health_panel`` must exist (built in the page's header)."""

    def __init__(self, page: TrainPage) -> None:
        super().__init__(page)
        self.page = page
        self.health: HealthPanel = page.health_panel
        self.augment_button = QPushButton("Show augmentations…", page)
        self.augment_button.setObjectName("showAugmentations")
        self.augment_button.setAutoDefault(False)
        self.augment_button.setEnabled(False)
        # Beside the Training/Quality tabs. No fixed height: the tab widget gives its corner the tab bar's
        # height, and a taller fixed button would hang over the plots below (at every size and scale).
        self.augment_button.setStyleSheet("QPushButton { padding: 1px 10px; }")
        page.plots.tabs.setCornerWidget(self.augment_button, Qt.Corner.TopRightCorner)
        self.augment_dialog = None
        self._weights: str | None = None  # the artist's Raw/EMA choice for the running job (None: the run's)
        self._health_on = True
        self._pending: list[tuple[str, str, str]] = []  # (card code, remedy code, what changes)
        self._attached_cfg: dict | None = None  # config.json of a run picked to continue

        self.health.remedy_clicked.connect(self.on_remedy)
        page.samples.sample_weights_changed.connect(self.on_sample_weights)
        self.augment_button.clicked.connect(self.show_augmentations)
        page.settings.preset_changed.connect(self._on_settings_changed)
        page.settings.settings_changed.connect(self._on_settings_changed)

    # ============================================================================== run lifecycle
    def run_started(self, job, resume: bool, past_health: list[dict] | None = None) -> None:
        """A run starts (or continues, with the health events it had up to its checkpoint): its own health,
        weights and target line."""
        self.health.clear()
        self.show_health_records(past_health or [])
        self.health.set_live(True)
        self._pending = []
        self._weights = None
        self._health_on = bool(job.config.health)
        cfg = self._attached_cfg if resume else None
        self.page.plots.set_ada_target((cfg or {}).get("ada_target") or job.config.ada_target)
        self._attached_cfg = None
        self.update_controls()

    def run_attached(self, cfg: dict, past_health: list[dict] | None = None) -> None:
        """A run folder was picked to continue: its curves are on show, and the health events it had up to its
        checkpoint (their remedies apply once it runs again)."""
        self.health.clear()
        self.show_health_records(past_health or [])
        self.health.set_live(False)
        self._attached_cfg = dict(cfg)
        self.page.plots.set_ada_target(cfg.get("ada_target"))
        self.update_controls()

    def show_health_records(self, records: list[dict]) -> None:
        """Health cards for saved records (a run lined up or followed), in order."""
        from studio.engine.gan.health import event_from_dict

        for rec in records:  # in order: a later event of the same kind updates its card
            event = event_from_dict(rec)
            if event is not None:
                self.health.show_event(event)

    def on_metrics(self, metrics: list) -> None:
        if not metrics:
            return
        job = self._job()
        stepper = job.stepper if job is not None else None
        if stepper is not None:  # the run's resolved settings (a resumed run's are its saved ones)
            self._health_on = bool(stepper.cfg.health)
            target = stepper.cfg.ada_target
            if target and not math.isclose(float(target), self.page.plots.ada_target()):
                self.page.plots.set_ada_target(target)
            augment_on = stepper.cfg.augment in ("fixed", "adaptive")
            if (stepper.ema is not None) != self.page.samples.ema_toggle.isEnabled() \
                    or augment_on != self.augment_button.isEnabled():
                self.update_controls()  # the stepper is built, or a remedy switched augmentation on
        self.health.set_checked(int(metrics[-1].step), enabled=self._health_on)

    def on_notice(self, notice) -> bool:
        """True when the notice was a health notice and is on show as a card (the page skips it)."""
        event = getattr(notice, "health", None)
        if event is not None:
            self.health.show_event(event)
            self.health.set_live(self.page.is_training())
            self.page._show_notice(f"{event.title} (step {event.step:,}) — see below for remedies.",
                                   event.level if event.level in ("warning", "error") else "info")
            return True
        text = getattr(notice, "text", "")
        m = re.match(r"^Step (\d+): changed ", text)
        if m:
            self._confirm(lambda code: code != "rollback", f"Applied at step {int(m.group(1)) + 1:,}: ")
        m = re.match(r"^Went back to step (\d+)", text)
        if m:
            self._confirm(lambda code: code == "rollback", "",
                          f"Went back to step {int(m.group(1)):,}, the last healthy state.")
        return False

    def _confirm(self, matches, prefix: str, text: str | None = None) -> None:
        for i, (card, remedy, what) in enumerate(self._pending):
            if matches(remedy):
                del self._pending[i]
                self.health.set_result(card, text or (prefix + what))
                return

    def shutdown(self, timeout_ms: int = 10_000) -> bool:
        ok = True
        if self.augment_dialog is not None:
            ok = self.augment_dialog.shutdown(timeout_ms)
            self.augment_dialog.hide()
        if self.health.pairs_dialog is not None:
            self.health.pairs_dialog.hide()
        return ok

    def _job(self):
        return self.page._job if self.page.is_training() else None

    # ============================================================================== remedies
    def on_remedy(self, event_code: str, remedy_code: str) -> None:
        page = self.page
        card = self.health.card(event_code)
        remedy = card.health_event.remedy(remedy_code) if card is not None else None
        job = self._job()
        if remedy_code == "stop":
            if job is not None:
                page.stop_training()
                result = "Stopping here — a checkpoint is being saved, so nothing is lost."
            else:
                result = "Training has already stopped; its checkpoint is kept."
            self._result(event_code, result)
            return
        if remedy is not None and remedy.live:
            if job is None:
                self._result(event_code, "Training is not running, so this cannot be applied now.")
                return
            before = self._live_values(job)
            try:
                applied = job.apply_remedy(remedy_code)
            except ValueError:
                self._advice(event_code, remedy_code, remedy)
                return
            if remedy_code == "rollback":
                what = "Going back to the last healthy state…"
                self._pending.append((event_code, remedy_code, what))
                self._result(event_code, what)
            else:
                what = describe_changes(before, dict(applied.changes)) or applied.label
                self._pending.append((event_code, remedy_code, what))
                self._result(event_code, f"{what} (from the next step)")
            card.mark_applied(remedy_code)
            self.update_controls()
            return
        self._advice(event_code, remedy_code, remedy)

    def _advice(self, event_code: str, remedy_code: str, remedy) -> None:
        """Remedies the running job cannot take: they set up the next run."""
        from studio.engine.gan.models import PRESETS

        page = self.page
        training = page.is_training()
        if remedy_code == "use_small_data_preset":
            preset = small_data_preset_for(page.settings.image_size())
            title = PRESETS[preset].title
            if training:
                result = (f"This needs a new run. Stop this one, then press this button again: the {title} "
                          "will be selected for it.")
            else:
                if page._resume_dir is not None:
                    page.leave_resume_mode()
                page.settings.set_preset(preset)
                result = f"Selected the {title} in Model and settings: press Start training for a new run."
        elif remedy_code == "add_images":
            if training:
                result = ("More pictures need a new run. Stop this one, then press this button again to "
                          "choose more pictures.")
            else:
                if page._resume_dir is not None:
                    page.leave_resume_mode()
                before = page.dataset.current_paths()
                page.dataset.add_images()
                result = ("Adding the chosen pictures: press Start training for a new run with them."
                          if page.dataset.current_paths() != before or page.dataset.is_busy()
                          else "Choose more pictures (Pictures, on the left), then start a new run.")
        else:
            result = remedy.explanation if remedy is not None else "This cannot be applied while training."
        self._result(event_code, result)

    def _result(self, event_code: str, text: str) -> None:
        self.health.set_result(event_code, text)
        self.page._show_notice(text)

    @staticmethod
    def _live_values(job) -> dict:
        cfg = job.stepper.cfg if job.stepper is not None else job.config
        values = {k: getattr(cfg, k, None) for k in FIELD_WORDS}
        values["aug_p"] = job.aug_p if values.get("augment") not in (None, "off") else values.get("aug_p")
        return values

    # ============================================================================== Raw / EMA
    def on_sample_weights(self, weights: str) -> None:
        self._weights = weights
        job = self._job()
        if job is None:
            return
        job.set_sample_weights(weights)
        words = "the averaged (EMA) generator" if weights == "ema" else "the raw generator, as it is now"
        self.page._show_notice(f"Samples now come from {words}; a new grid is being drawn.")

    # ============================================================================== controls
    def _on_settings_changed(self, *_args) -> None:
        self.update_controls()

    def update_controls(self) -> None:
        job = self._job()
        stepper = job.stepper if job is not None else None
        self.health.set_live(job is not None)
        ema = stepper is not None and stepper.ema is not None
        weights = (self._weights or stepper.cfg.sample_weights or "ema") if ema else "ema"
        self.page.samples.set_weights_available(ema, weights)
        on, tip = self._augmentation_state(job)
        self.augment_button.setEnabled(on)
        self.augment_button.setToolTip(tip)

    def _augmentation_state(self, job) -> tuple[bool, str]:
        base = "See pictures as the discriminator sees them: randomly recoloured, shifted and covered."
        if job is not None:
            if job.stepper is None:
                return False, base + "\n(Available once training has begun.)"
            mode = job.stepper.cfg.augment
            if mode in ("fixed", "adaptive"):
                return True, base + f"\nStrength now: {job.aug_p:.2f} ({mode})."
            return False, base + "\nAugmentation is off for this run."
        source = self._idle_source()
        if source is None:
            return False, base + "\nChoose pictures first."
        if source["augment"] not in ("fixed", "adaptive"):
            return False, base + "\nAugmentation is off with these pictures and settings."
        return True, base + f"\nThe next run uses {source['augment']} augmentation."

    def _idle_source(self) -> dict | None:
        """What a new (or continued) run would train on, and its augmentation settings."""
        page = self.page
        if page._resume_dir is not None:
            cfg = self._attached_cfg
            if cfg is None:
                try:
                    from studio.engine.runs import RunDir

                    cfg = RunDir(page._resume_dir).read_config()
                except (OSError, ValueError):
                    return None
            if not cfg.get("data") or not cfg.get("image_size"):
                return None
            return {"data": str(cfg["data"]), "size": int(cfg["image_size"]),
                    "channels": int(cfg.get("resolved_channels") or cfg.get("channels") or 3),
                    "fit": str(cfg.get("fit", "crop")), "augment": cfg.get("augment"),
                    "aug_p": float(cfg.get("aug_p") or 0.0),
                    "policy": cfg.get("augment_policy") or DEFAULT_AUGMENT_POLICY,
                    "seed": int(cfg.get("seed", 0) or 0)}
        summary = page.dataset.summary
        if page.dataset.data_source() is None or summary is None or page.dataset.is_busy():
            return None
        try:
            from studio.engine.gan.regimes import resolve_settings

            cfg, _choice = resolve_settings(page.build_config(), summary.count)
        except (ValueError, KeyError):
            return None
        channels = int(cfg.channels or page.settings.preset_info().channels or summary.channels or 3)
        return {"data": cfg.data, "size": int(page.settings.image_size()), "channels": channels,
                "fit": cfg.fit, "augment": cfg.augment, "aug_p": float(cfg.aug_p or 0.0),
                "policy": cfg.augment_policy, "seed": int(cfg.seed)}

    # ============================================================================== preview
    def show_augmentations(self) -> None:
        from studio.ui.widgets.augment_preview import AugmentPreviewDialog

        if self.augment_dialog is not None:
            self.augment_dialog.shutdown()
            self.augment_dialog.close()
            self.augment_dialog.deleteLater()
            self.augment_dialog = None
        job = self._job()
        if job is not None and job.stepper is not None:
            def render(p, _check, job=job):
                return job.augmentation_preview(PREVIEW_COUNT, p=p)

            def current(job=job):
                return job.aug_p

            mode = job.stepper.cfg.augment
            note = ("Adaptive: the training raises the strength while D is overconfident and lowers it when "
                    "it is not." if mode == "adaptive" else "")
            dialog = AugmentPreviewDialog(render, job.aug_p, current, note, self.page.window(),
                                          policy=job.stepper.cfg.augment_policy)
        else:
            source = self._idle_source()
            if source is None:
                return
            render = _dataset_renderer(source)
            start = source["aug_p"]
            if source["augment"] == "adaptive":
                note = (f"Adaptive: training starts at strength {start:.2f} and raises it while D is "
                        "overconfident, lowers it when D is not.")
            else:
                note = f"Training will use strength {start:.2f}."
            dialog = AugmentPreviewDialog(render, start if start > 0 else 0.5, None, note, self.page.window(),
                                          policy=source["policy"])
        self.augment_dialog = dialog
        dialog.show()


def _dataset_renderer(source: dict):
    """render(p, check) for a dataset that is not loaded yet: read once (in the worker), then augment."""
    cache: dict = {}

    def render(p: float, check) -> Any:
        from studio.engine.data import PrepSpec, open_data_source
        from studio.engine.gan.augment import augment_preview

        data = cache.get("data")
        if data is None:
            spec = PrepSpec(size=source["size"], channels=source["channels"], fit=source["fit"])
            data = open_data_source(source["data"], spec, n=IDLE_DEMO_COUNT, seed=source["seed"], check=check)
            cache["data"] = data
        return augment_preview(data, p, source["policy"], PREVIEW_COUNT, seed=0)

    return render
