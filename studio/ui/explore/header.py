"""The Explore header: the buttons that open a generator, what is open, its EMA switch, and render progress."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QFileDialog, QLabel, QProgressBar, QPushButton, QWidget

from studio.ui.widgets.flow import FlowLayout

NO_EMA_TIP = ("This run has no EMA weights yet; training with EMA arrives with the small-data training "
              "features")
EMA_TIP = "Render with the smoothed (exponential moving average) generator weights, usually cleaner pictures"
NOTHING_OPEN = "No generator open. Pick one of your runs or open a generator file."


def _start_folder() -> str:
    from studio.ui.workspace import workspace_dir

    return str(workspace_dir())


class GeneratorHeader(QWidget):
    """Shows and collects (the file dialogs start in the workspace); the page decides what opening means."""

    generator_chosen = Signal(str)  # a generator file or a run folder
    recipe_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.open_file_button = QPushButton("Open generator…")
        self.open_file_button.setObjectName("openGenerator")
        self.open_file_button.setToolTip("Open an exported generator (.safetensors with its .json)")
        self.open_run_button = QPushButton("Open run folder…")
        self.open_run_button.setObjectName("openRunFolder")
        self.open_run_button.setToolTip("Open the newest checkpoint of a training run")
        self.open_recipe_button = QPushButton("Open recipe…")
        self.open_recipe_button.setObjectName("openRecipe")
        self.open_recipe_button.setToolTip("Restore the generator and timeline of an exported animation "
                                           "(the .json beside it)")
        self.generator_label = QLabel(NOTHING_OPEN)
        self.generator_label.setObjectName("generatorLabel")
        self.generator_label.setWordWrap(True)
        self.render_progress = QProgressBar()
        self.render_progress.setObjectName("renderProgress")
        self.render_progress.setFixedWidth(120)
        self.render_progress.setTextVisible(False)
        self.render_progress.hide()
        self.render_label = QLabel("")
        self.render_label.setObjectName("hint")
        self.ema_check = QCheckBox("Smoothed weights (EMA)")
        self.ema_check.setObjectName("emaSwitch")
        self.ema_check.setChecked(True)
        self.ema_check.setEnabled(False)
        self.ema_check.setToolTip(NO_EMA_TIP)
        row = FlowLayout(self, spacing=8)  # on a narrow page the generator's name takes the next line
        row.addWidget(self.open_file_button)
        row.addWidget(self.open_run_button)
        row.addWidget(self.open_recipe_button)
        row.addSpacing(8)
        row.addWidget(self.generator_label)
        row.addStretch()
        row.addWidget(self.ema_check)
        row.addWidget(self.render_label)
        row.addWidget(self.render_progress)
        self.open_file_button.clicked.connect(self._ask_open_file)
        self.open_run_button.clicked.connect(self._ask_open_run)
        self.open_recipe_button.clicked.connect(self._ask_open_recipe)

    def _ask_open_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open generator", _start_folder(),
                                              "GAN Art Studio generator (*.safetensors *.json);;All files (*)")
        if path:
            self.generator_chosen.emit(path)

    def _ask_open_run(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Open run folder", _start_folder())
        if path:
            self.generator_chosen.emit(path)

    def _ask_open_recipe(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open animation recipe", _start_folder(),
                                              "Animation recipe (*.json);;All files (*)")
        if path:
            self.recipe_chosen.emit(path)

    def set_opening(self, opening: bool) -> None:
        for b in (self.open_file_button, self.open_run_button, self.open_recipe_button):
            b.setEnabled(not opening)

    def show_generator(self, source, info) -> None:
        step = f", step {info.step:,}" if info.step is not None else ""
        kind = "run" if source.is_dir() else "generator"
        self.generator_label.setText(f"<b>{source.name}</b> — {kind}, {info.preset}, {info.image_size} px, "
                                     f"{info.channels} channel{'s' if info.channels != 1 else ''}{step}")
        self.generator_label.setToolTip(str(source))

    def sync_ema(self, info, opening: bool) -> None:
        """The switch is on only where the generator has EMA weights, and shows which ones render."""
        has = bool(info is not None and info.has_ema)
        self.ema_check.blockSignals(True)
        self.ema_check.setChecked(has and bool(info.ema))
        self.ema_check.blockSignals(False)
        self.ema_check.setEnabled(has and not opening)
        self.ema_check.setToolTip(EMA_TIP if has else NO_EMA_TIP)

    def show_progress(self, progress, title: str) -> None:
        if progress.total:
            self.render_progress.setRange(0, int(progress.total))
            self.render_progress.setValue(int(progress.step))
        else:
            self.render_progress.setRange(0, 0)
        self.render_label.setText(progress.text or title)

    def show_waiting(self, text: str) -> None:
        """A busy bar and ``text``, for work whose progress was reported before anyone waited for it."""
        self.render_progress.setRange(0, 0)
        self.render_label.setText(text)

    def set_rendering(self, running: bool) -> None:
        self.render_progress.setVisible(running)
        if not running:
            self.render_label.setText("")
