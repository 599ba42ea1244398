""""Your runs": the workspace's training runs that have a checkpoint, newest first; a click opens one.

The list looks again whenever it comes into view (a run may have finished on the Train page meanwhile)
and whenever the window calls ``refresh()`` (e.g. when a job ends).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget

from studio.ui.widgets.explore_lists import ROLE


def runs_with_checkpoints(root: Path) -> list[tuple[Path, int | None, Path | None]]:
    """(folder, newest sample step, newest sample grid) per run under ``root`` that can be opened."""
    from studio.engine.runs import RunDir

    found = []
    try:
        folders = [p for p in root.iterdir() if p.is_dir()] if root.is_dir() else []
    except OSError:  # the workspace is unreadable right now: no runs to offer, no crash
        return []
    for folder in folders:
        try:  # a run being deleted or written by another machine right now is skipped, not fatal
            run = RunDir(folder)
            if run.latest_checkpoint() is None:
                continue
            grids = run.sample_grids()
            found.append((folder.stat().st_mtime, folder, grids[-1][0] if grids else None,
                          grids[-1][1] if grids else None))
        except OSError:
            continue
    found.sort(key=lambda f: f[0], reverse=True)
    return [f[1:] for f in found]


class RunsPanel(QWidget):
    run_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumWidth(170)
        self.runs_list = QListWidget()
        self.runs_list.setObjectName("runsList")
        self.runs_list.setIconSize(QSize(44, 44))
        self.runs_list.setSpacing(2)
        self.runs_list.setToolTip("Click a run to open its newest checkpoint")
        self.runs_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.runs_list.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.runs_list.setWordWrap(False)
        self.runs_hint = QLabel("No runs yet: train one on the Train page.")
        self.runs_hint.setObjectName("hint")
        self.runs_hint.setWordWrap(True)
        self.refresh_runs_button = QPushButton("Refresh")
        self.refresh_runs_button.setObjectName("refreshRuns")
        self.refresh_runs_button.setToolTip("Look again for training runs in the workspace")
        title = QLabel("Your runs")
        title.setObjectName("sectionTitle")
        col = QVBoxLayout(self)
        col.setContentsMargins(0, 0, 6, 0)
        col.setSpacing(6)
        col.addWidget(title)
        col.addWidget(self.runs_list, 1)
        col.addWidget(self.runs_hint)
        col.addWidget(self.refresh_runs_button)
        self.runs_list.itemClicked.connect(self._on_clicked)
        self.refresh_runs_button.clicked.connect(self.refresh)

    def refresh(self) -> None:
        from studio.ui.workspace import workspace_dir

        self.runs_list.clear()
        for folder, step, grid in runs_with_checkpoints(workspace_dir() / "runs"):
            icon = QIcon()
            if grid is not None:
                pm = QPixmap(str(grid))
                if not pm.isNull():
                    icon = QIcon(pm.scaled(88, 88, Qt.AspectRatioMode.KeepAspectRatio,
                                           Qt.TransformationMode.SmoothTransformation))
            item = QListWidgetItem(icon, folder.name + (f"\nstep {step:,}" if step is not None else ""))
            item.setData(ROLE, str(folder))
            item.setToolTip(str(folder))
            self.runs_list.addItem(item)
        self.runs_hint.setVisible(self.runs_list.count() == 0)

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if not event.spontaneous():  # shown by the app (page switch), not a window restored by the system
            self.refresh()

    def _on_clicked(self, item: QListWidgetItem) -> None:
        path = item.data(ROLE)
        if path:
            self.run_chosen.emit(str(path))
