"""Following a run that another process trains (a terminal ``python -m studio train``, a second studio).

A run folder has one owner (``studio.engine.runs.RunLock``): while someone else holds it this page only reads
it — curves from ``metrics.jsonl`` and grids from ``samples/`` as they grow — and never offers to continue
it, so two writers can never interleave checkpoints or metrics. When the lock is released the run is lined
up to continue like any other (``RunAttach.attach``).
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer

if TYPE_CHECKING:
    from studio.ui.train.page import TrainPage

__all__ = ["POLL_MS", "RunFollower"]

POLL_MS = 1000  # a run writes a metrics line per step, but the artist needs no more than a look per second
MAX_READ_BYTES = 8 << 20  # per look: a huge backlog is shown over a few looks instead of freezing the page


class RunFollower(QObject):
    """See the module docstring. ``run_dir`` is the run on show read-only, None when none is."""

    def __init__(self, page: TrainPage) -> None:
        super().__init__(page)
        self.page = page
        self.run_dir: Path | None = None
        self.holder: str | None = None
        self._offset = 0  # bytes of metrics.jsonl already shown
        self._grid_count = -1
        self._health_count = 0  # health.jsonl records already shown as cards
        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self.poll)

    def is_following(self) -> bool:
        return self.run_dir is not None

    def follow(self, run_dir: str | Path, holder: str) -> None:
        """Show ``run_dir`` read-only from its start; ``holder`` is ``lock_holder``'s sentence."""
        page = self.page
        self.run_dir, self.holder = Path(run_dir), holder
        self._offset, self._grid_count, self._health_count = 0, -1, 0
        page._run_dir = self.run_dir
        page._has_checkpoint = False  # not ours to export from while another process writes it
        page.plots.clear()
        page.samples.clear()
        cfg = self._config()
        page.small_data.run_attached(cfg, [])
        if cfg:  # the run's own settings on show (read-only while it trains there)
            page.settings.load_config(cfg)
            source = cfg.get("dataset_source") or cfg.get("data")
            if source:
                page.dataset.show_run_source(f"This run's pictures: {source}")
        self._show_holder()
        self._read_new()
        self.timer.start()
        page._set_state("idle")

    def stop(self) -> None:
        """Stop reading (the artist picked another run, a new run, or the page closes)."""
        self.timer.stop()
        if self.run_dir is not None:
            self.run_dir, self.holder = None, None
            self.page.resume_banner.hide()
            self.page.dataset.show_run_source(None)

    def poll(self) -> None:
        """One look: new curves and grids, and whether the other process has let the run go."""
        if self.run_dir is None:
            return
        from studio.engine.runs import lock_holder

        holder = lock_holder(self.run_dir)
        self._read_new()
        if holder is None:
            folder = self.run_dir
            self.stop()
            page = self.page
            if page.attach.attach(folder):
                page._show_notice(f"{folder.name} is free now: the process that trained it has finished. "
                                  f"You can continue it.")
        elif holder != self.holder:
            self.holder = holder
            self._show_holder()

    def _config(self) -> dict:
        from studio.engine.runs import RunDir

        try:
            return RunDir(self.run_dir).read_config()
        except (OSError, ValueError):  # not there yet (synced later): the cards work without it
            return {}

    def _show_holder(self) -> None:
        page = self.page
        name = self.run_dir.name if self.run_dir is not None else ""
        page.resume_text.setText(
            f"<b>{html.escape(name)}</b> is in use by {html.escape(self.holder or 'another program')}: shown "
            f"read-only, its curves and samples update as it trains. It can be continued here once that ends.")
        page.resume_banner.show()
        page._update_controls()

    def _read_new(self) -> None:
        from studio.engine.jobs import Metrics
        from studio.engine.runs import RunDir

        rd = RunDir(self.run_dir)
        try:
            with open(rd.metrics_path, "rb") as fh:
                size = fh.seek(0, 2)
                if size < self._offset:  # rewritten (a resume truncated it): read it again from the start
                    self._offset = 0
                    self.page.plots.clear()
                fh.seek(self._offset)
                chunk = fh.read(MAX_READ_BYTES)
        except OSError:
            chunk = b""
        end = chunk.rfind(b"\n") + 1  # only whole lines: the writer may be half-way through one
        batch = []
        for line in chunk[:end].splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict) and isinstance(record.get("step"), (int, float)):
                values = {k: v for k, v in record.items() if k != "step"}
                batch.append(Metrics(int(record["step"]), values))
        self._offset += end
        if batch:
            self.page.plots.append(batch)
        health = rd.read_health()  # whole lines only; a torn last one waits for the next look
        if len(health) > self._health_count:
            self.page.small_data.show_health_records(health[self._health_count:])
            self._health_count = len(health)
        elif len(health) < self._health_count:  # rewritten by a resume there
            self._health_count = len(health)
        grids = rd.sample_grids()
        if len(grids) != self._grid_count:
            self._grid_count = len(grids)
            self.page.samples.set_grids(grids)
            self.page._update_controls()
