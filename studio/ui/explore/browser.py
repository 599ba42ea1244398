"""Browsing: the grid of samples with its tools (new batch, a typed seed, the "calmer" truncation slider).

With a run open, *Critic chooses* (on by default, kept in the preferences) makes every new batch the critic's pick:
the run's discriminator, with the looks of its kinds, keeps the best of up to ``critic.PICK_FROM`` candidates per
tile. While the artist looks at a batch, the next one is chosen in the background (``NEXT`` jobs give way to
anything the artist asks for), so *New batch* shows it at once and the critic can afford to look at many
candidates: as many as fit ``session.NEXT_BUDGET_S`` (a batch nobody has waited for yet: ``PICK_BUDGET_S``). The
line under the tools says what chose the grid.

It asks the shared render queue for pictures and shows what comes back; starring and the big preview
belong to the favourites panel, which the page connects to the grid's signals.
"""

from __future__ import annotations

import random

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from studio.engine.latent.favourites import entry_key, entry_vector, sample_label, seed_entry
from studio.engine.latent.wording import psi_from_percent, truncation_text
from studio.ui.explore.session import NEXT_BUDGET_S, PICK_BUDGET_S, ExploreSession
from studio.ui.widgets.explore_grid import SampleGrid
from studio.ui.widgets.flow import DownScrollArea, FlowLayout

GRID_ROWS, GRID_COLUMNS = 4, 4
GRID_KINDS = ("grid", "seed")
NEXT = "next"  # the render queue's kind for the next batch, chosen ahead (render_queue.BACKGROUND)


class SampleBrowser(QWidget):
    truncation_changed = Signal()
    grid_changed = Signal()  # new pictures in the grid (stars and icons need a look)
    waiting_changed = Signal()  # the artist started or stopped waiting for the batch being chosen in the background

    def __init__(self, session: ExploreSession, rng: random.Random, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self._rng = rng
        self.grid_images: list[np.ndarray] = []
        self._next: tuple | None = None  # (key, (entries, images, note)): the next batch, chosen ahead
        self._next_key: tuple | None = None  # the key the background job now choosing it was asked for
        self._show_next: tuple | None = None  # New batch was pressed while it was being chosen: show it on arrival
        self.new_batch_button = QPushButton("New batch")
        self.new_batch_button.setObjectName("newBatch")
        self.new_batch_button.setToolTip("Show sixteen new samples")
        from studio.preferences import current_config

        self.critic_check = QCheckBox("Critic chooses")
        self.critic_check.setObjectName("criticChooses")
        self.critic_check.setChecked(current_config().critic_chooses)
        self.pick_caption = QLabel()  # what chose the grid's samples (the critic's pick only)
        self.pick_caption.setObjectName("caption")
        self.pick_caption.setWordWrap(True)
        self.pick_caption.hide()
        self.seed_spin = QSpinBox()
        self.seed_spin.setObjectName("seedField")
        self.seed_spin.setRange(0, 2**31 - 1)
        self.seed_spin.setPrefix("seed ")
        self.seed_spin.setToolTip("Type a seed and press Enter to see that sample")
        self.show_seed_button = QPushButton("Show")
        self.show_seed_button.setObjectName("showSeed")
        self.show_seed_button.setToolTip("Show the picture this seed makes (Enter in the seed box does the same)")
        self.truncation_slider = QSlider(Qt.Orientation.Horizontal)
        self.truncation_slider.setObjectName("truncationSlider")
        self.truncation_slider.setRange(0, 90)
        self.truncation_slider.setValue(0)
        self.truncation_slider.setToolTip("Pull samples toward the average picture: safer, less varied (0 = off)")
        self.truncation_label = QLabel()
        self.truncation_label.setObjectName("caption")
        self.truncation_label.setMinimumWidth(36)
        tools = FlowLayout()  # wraps on a narrow panel rather than squeezing the seed field over "Show"
        tools.addWidget(self.new_batch_button)
        tools.addWidget(self.critic_check)
        tools.addWidget(self.seed_spin)
        tools.addWidget(self.show_seed_button)
        tools.addSpacing(8)
        calm_group = QWidget()  # the word, its slider and its value wrap together
        calm_row = QHBoxLayout(calm_group)
        calm_row.setContentsMargins(0, 0, 0, 0)
        calm_row.setSpacing(6)
        calm = QLabel("Calmer")
        calm.setObjectName("caption")
        calm_row.addWidget(calm)
        calm_row.addWidget(self.truncation_slider)
        calm_row.addWidget(self.truncation_label)
        tools.addWidget(calm_group)
        self.seed_spin.setMinimumWidth(max(120, self.seed_spin.sizeHint().width()))
        self.truncation_slider.setFixedWidth(90)
        for b in (self.new_batch_button, self.critic_check, self.show_seed_button):
            b.setMinimumWidth(b.sizeHint().width())
        self.grid = SampleGrid(GRID_ROWS, GRID_COLUMNS, 56)
        col = QVBoxLayout(self)
        col.setContentsMargins(6, 0, 6, 0)
        col.setSpacing(6)
        col.addLayout(tools)
        col.addWidget(self.pick_caption)
        self.grid_area = DownScrollArea(self.grid, "gridScroll")  # a short screen: the grid scrolls down
        col.addWidget(self.grid_area, 1)

        self._grid_timer = QTimer(self)  # slider drags re-render the grid once they settle
        self._grid_timer.setSingleShot(True)
        self._grid_timer.setInterval(250)
        self._grid_timer.timeout.connect(self.render_again)
        self.new_batch_button.clicked.connect(self.new_batch)
        self.critic_check.toggled.connect(self._on_critic_toggled)
        self.show_seed_button.clicked.connect(self._on_show_seed)
        self.seed_spin.lineEdit().returnPressed.connect(self._on_show_seed)
        self.truncation_slider.valueChanged.connect(self._on_truncation_changed)
        self._update_truncation_label()

    # ------------------------------------------------------------------ state
    def truncation(self) -> float:
        """ψ for the engine: 1 = off; the slider pulls toward the mean as it moves right."""
        return psi_from_percent(self.truncation_slider.value())

    def set_truncation(self, psi: float) -> None:
        self.truncation_slider.setValue(max(0, min(90, round((1.0 - float(psi)) * 100))))

    def set_enabled_for(self, has_generator: bool) -> None:
        for w in (self.new_batch_button, self.seed_spin, self.show_seed_button, self.truncation_slider):
            w.setEnabled(has_generator)
        from studio.engine.gan.critic import PICK_FROM  # torch: the page exists once the engine has loaded

        can_pick = has_generator and self.session.critic_possible()
        self.critic_check.setEnabled(can_pick)
        self.critic_check.setToolTip(
            f"New batches: sixteen samples out of up to {PICK_FROM * self.grid.count} (fewer where drawing them is "
            "slow), chosen by the run's discriminator, "
            "and by how close each is to the look of its kind of picture, as the most like your pictures (best "
            "first), passing over near-copies of them. The next batch is chosen while you look at this one. Off: "
            "sixteen samples as they come" if can_pick else
            "This generator was exported without its critic (exports made before the critic travelled with them): "
            "open its run (Your runs, or Open run folder…) to let the run's discriminator choose samples")
        if not can_pick:
            self.pick_caption.hide()

    def critic_chooses(self) -> bool:
        """New batches are the critic's pick: a run is open and the artist left the choice on."""
        return self.critic_check.isEnabled() and self.critic_check.isChecked()

    def stop(self) -> None:
        self._grid_timer.stop()

    # ------------------------------------------------------------------ asking for pictures
    def _render(self, kind: str, title: str, entries: list[dict]) -> None:
        self.session.render_entries(kind, title, entries, self.truncation())

    def new_batch(self) -> None:
        """Sixteen new samples: the critic's pick when it chooses, else as they come."""
        self._set_waiting(None)
        if self.critic_chooses():
            self.critic_pick()
            return
        seeds = [self._rng.randrange(0, 100_000) for _ in range(self.grid.count)]
        self.show_seeds(seeds)

    def critic_pick(self) -> None:
        """The critic's pick of a new batch: the one chosen in the background while the artist looked at the last
        (at once, or as soon as it is ready), else one chosen now from as many candidates as ``PICK_BUDGET_S``
        allows."""
        key, ready, self._next = self._pick_key(), self._next, None
        self._set_waiting(None)
        if ready is not None and ready[0] == key:
            self.take_result("grid", *ready[1])
        elif self._next_key == key and self.session.queue.is_working_on(NEXT):
            self._set_waiting(key)
        else:
            self._submit_pick("grid", PICK_BUDGET_S)

    def waiting_for_next(self) -> bool:
        """The artist asked for a new batch that is still being chosen in the background."""
        return self._show_next is not None

    def _set_waiting(self, key: tuple | None) -> None:
        if key != self._show_next:
            self._show_next = key
            self.waiting_changed.emit()

    def _pick_key(self) -> tuple:
        """What a batch chosen ahead must have been chosen for to be shown: this generator and these weights (raw or
        EMA), calmness and grid."""
        s = self.session
        return (s.queue.token, s.source, id(s.generator), self.truncation(), self.grid.count)

    def _submit_pick(self, kind: str, budget: float) -> None:
        """Candidate seeds (``session.pick_from`` per tile, to fit ``budget``); the critic keeps the best."""
        count = self.grid.count
        seeds = self._rng.sample(range(100_000), self.session.pick_from(count, budget) * count)  # none twice
        if kind == NEXT:
            self._next_key = self._pick_key()
        self.session.pick_entries([seed_entry(s) for s in seeds], count, self.truncation(), kind)

    def take_next(self, entries: list[dict], images, note: str) -> None:
        """The batch chosen ahead came back: shown now if the artist is waiting for it, else kept for New batch."""
        key, self._next_key = self._next_key, None
        if key is None or key != self._pick_key() or not self.critic_chooses():
            self._set_waiting(None)
            return
        if self._show_next == key:
            self._set_waiting(None)
            self.take_result("grid", entries, images, note)
        else:
            self._next = (key, (entries, images, note))

    def show_seeds(self, seeds: list[int]) -> None:
        self._render("grid", "Drawing samples", [seed_entry(s) for s in list(seeds)[: self.grid.count]])

    def show_seed(self, seed: int) -> None:
        self._render("seed", f"Drawing seed {seed}", [seed_entry(seed)])

    def render_again(self) -> None:
        entries = [e for e in self.grid.entries() if e is not None]
        if entries:
            self._render("grid", "Drawing samples", entries)

    def show_variations(self, strength: float) -> bool:
        """Fill the grid with the selected sample (first tile) and a ring of small variations of it."""
        entry = self.grid.current_entry()
        info = self.session.info
        if entry is None or not self.session.has_generator():
            return False
        from studio.engine.latent.keyframes import variations

        center = entry_vector(entry, info.latent_dim)
        ring = variations(center, self.grid.count - 1, strength, self._rng.randrange(0, 2**31))
        base = str(entry.get("label") or sample_label(entry.get("seed"))).split(" ~")[0]
        entries = [entry] + [{"seed": None, "latent": [float(x) for x in z.tolist()], "label": f"{base} ~{i + 1}"}
                             for i, z in enumerate(ring)]
        self._render("grid", f"Drawing variations of {base}", entries)
        return True

    # ------------------------------------------------------------------ what came back
    def take_result(self, kind: str, entries: list[dict], images, note: str | None = None) -> None:
        """A render came back; ``note`` (the critic's pick) says what chose the grid's samples."""
        if kind == "grid":
            redrawn = [entry_key(e) for e in entries] == [entry_key(e) for e in self.grid.entries() if e is not None]
            if note is not None or not redrawn:  # the same samples drawn again (calmer, other weights) keep theirs
                self.pick_caption.setText(note or "")
                self.pick_caption.setVisible(bool(note))
            self.grid_images = list(images)
            for e, im in zip(entries, images, strict=True):
                self.session.thumbs.setdefault(entry_key(e), im)
            self.grid.set_entries(entries, images)
            if note is not None and self.critic_chooses():  # a pick: choose the one after it while this is looked at
                self._submit_pick(NEXT, NEXT_BUDGET_S)
        elif kind == "seed":
            self._show_single_seed(entries[0]["seed"], images[0])
        self.grid_changed.emit()

    def _show_single_seed(self, seed: int, image: np.ndarray) -> None:
        """A typed seed joins the grid in front (the last sample makes room) and is selected."""
        entries = [e for e in self.grid.entries() if e is not None]
        images = list(self.grid_images)[: len(entries)]
        keys = [entry_key(e) for e in entries]
        if seed in keys:
            i = keys.index(seed)
            del entries[i]
            del images[i]
        entries = [seed_entry(seed), *entries][: self.grid.count]
        images = [image, *images][: self.grid.count]
        self.grid_images = images
        self.session.thumbs[seed] = image
        self.grid.set_entries(entries, images)

    # ------------------------------------------------------------------ controls
    def _on_critic_toggled(self, on: bool) -> None:
        """Kept for the next session; the grid follows at once (a new batch, chosen the new way)."""
        from studio.preferences import update_config

        try:
            update_config(critic_chooses=bool(on))
        except OSError:  # an unwritable config folder: the choice holds for this session
            pass
        if self.session.has_generator():
            self.new_batch()

    def _on_show_seed(self) -> None:
        self.show_seed(self.seed_spin.value())

    def _on_truncation_changed(self, _value: int) -> None:
        self._update_truncation_label()
        self._grid_timer.start()
        self.truncation_changed.emit()

    def _update_truncation_label(self) -> None:
        self.truncation_label.setText(truncation_text(self.truncation_slider.value()))
