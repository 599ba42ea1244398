"""'Fine-tune from…': start a new run from an earlier run's (or an exported generator's) weights.

Checking is cheap on purpose: only the JSON beside the weights is read (the run's config.json and its
newest checkpoint's description, or the generator's .json) and compared with the settings on show, the
same fields ``trainer.load_init_weights`` compares — so a mismatch is explained the moment the source is
chosen (or the settings change), not minutes later when training starts.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from studio.engine.init_source import (  # noqa: F401 - the rules; also imported from here
    ARCH_WORDS,
    InitSource,
    InitSourceError,
    mismatch_text,
    mismatches,
    read_init_source,
)
from studio.ui.theme import set_tone


class InitFromPicker(QWidget):
    """Shows the fine-tune source (or 'start from scratch'), with Run…, Generator…, Clear and errors.

    ``arch_provider()`` returns the architecture the current settings would build (``mismatches`` keys).
    """

    changed = Signal()
    match_requested = Signal(dict)  # "Match its model": the source's architecture

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.source: InitSource | None = None
        self._candidate: InitSource | None = None  # refused for its architecture; "Match" takes it
        self._note = ""  # why the last choice was refused (shown until the next choice)
        self.arch_provider = lambda: {}
        self.label = QLabel("None — the new run starts from scratch.", self)
        self.label.setObjectName("initFromLabel")
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error = QLabel("", self)
        self.error.setObjectName("initFromError")
        self.error.setWordWrap(True)
        set_tone(self.error, "error")
        self.error.hide()
        self.run_button = QPushButton("Run…", self)
        self.run_button.setObjectName("initFromRun")
        self.run_button.setToolTip("Start from an earlier run's newest checkpoint (choose its folder). It must "
                                   "use the same model, width, latent size and colour.")
        self.generator_button = QPushButton("Generator…", self)
        self.generator_button.setObjectName("initFromGenerator")
        self.generator_button.setToolTip("Start from an exported generator (.safetensors). Its discriminator "
                                         "starts fresh.")
        self.clear_button = QPushButton("Clear", self)
        self.clear_button.setObjectName("initFromClear")
        self.clear_button.setToolTip("Start from scratch instead.")
        self.match_button = QPushButton("Match its model", self)
        self.match_button.setObjectName("initFromMatch")
        self.match_button.setToolTip("Switch model, width, latent size and colour to the earlier run's, so "
                                     "fine-tuning from it works.")
        self.match_button.hide()
        self.run_button.clicked.connect(self.choose_run)
        self.generator_button.clicked.connect(self.choose_generator)
        self.clear_button.clicked.connect(self.clear)
        self.match_button.clicked.connect(self._on_match)
        buttons = QHBoxLayout()
        buttons.setSpacing(4)
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.generator_button)
        buttons.addWidget(self.clear_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(3)
        layout.addWidget(self.label)
        layout.addLayout(buttons)
        layout.addWidget(self.error)
        layout.addWidget(self.match_button, 0, Qt.AlignmentFlag.AlignLeft)
        self._update()

    # --- choosing -------------------------------------------------------------------------------
    def choose_run(self) -> None:
        from studio.ui.workspace import workspace_dir

        start = workspace_dir() / "runs"
        folder = QFileDialog.getExistingDirectory(self, "Fine-tune from which run?",
                                                  str(start if start.is_dir() else Path.home()))
        if folder:
            self.set_source(folder)

    def choose_generator(self) -> None:
        from studio.ui.workspace import workspace_dir

        start = workspace_dir() / "exports"
        path, _ = QFileDialog.getOpenFileName(self, "Fine-tune from which generator?",
                                              str(start if start.is_dir() else Path.home()),
                                              "Generator (*.safetensors)")
        if path:
            self.set_source(path)

    def set_source(self, path: str | Path | None) -> bool:
        """Use ``path`` if it can be fine-tuned from with the current settings; else explain and keep the
        previous choice. ``None``/"" clears. Returns whether it was taken."""
        if not path:
            self.clear()
            return True
        self._candidate, self._note = None, ""
        try:
            source = read_init_source(path)
        except InitSourceError as exc:
            self._note = str(exc)
        except Exception as exc:  # noqa: BLE001 - a damaged file must not take the page down
            self._note = f"{Path(path).name} cannot be used: {exc}"
        else:
            problems = mismatches(source, self.arch_provider())
            if problems:
                self._candidate = source
                self._note = mismatch_text(source, problems)
        if self._note:
            self._show_error(self._note, match=self._candidate is not None)
            self.clear_button.setEnabled(self.isEnabled())  # Clear also dismisses the refusal
            return False
        self.source = source
        self._update()
        self.changed.emit()
        return True

    def set_path_unchecked(self, path: str) -> None:
        """Show a saved run's source (resume): described if readable, kept even if it no longer is."""
        if not path:
            self.clear()
            return
        try:
            self.source = read_init_source(path)
        except Exception:  # noqa: BLE001 - moved or deleted since: still what that run was made from
            self.source = InitSource(str(path), "run", Path(path).name, None, {})
        self._candidate = None
        self._note = ""
        self._update()

    def clear(self) -> None:
        changed = self.source is not None
        self.source = None
        self._candidate = None
        self._note = ""
        self._update()
        if changed:
            self.changed.emit()

    def path(self) -> str:
        return self.source.path if self.source is not None else ""

    def error_text(self) -> str:
        return self.error.text() if self.error.isVisibleTo(self) else ""

    def revalidate(self) -> None:
        """The settings changed: say so when the chosen source no longer fits them."""
        self._update()

    def _on_match(self) -> None:
        source = self._candidate or self.source
        if source is not None:
            self.match_requested.emit(dict(source.arch))  # the settings follow; _update then takes it
            self._update()

    # --- display --------------------------------------------------------------------------------
    def _show_error(self, text: str, match: bool = False) -> None:
        self.error.setText(text)
        self.error.show()
        self.match_button.setVisible(match)

    def _has_something(self) -> bool:
        return self.source is not None or self._candidate is not None or bool(self._note)

    def _update(self) -> None:
        self.clear_button.setEnabled(self._has_something() and self.isEnabled())
        if self.source is None and self._candidate is not None:
            problems = mismatches(self._candidate, self.arch_provider())
            if problems:  # refused earlier: keep saying why until it fits or another choice is made
                self._show_error(mismatch_text(self._candidate, problems), match=True)
                return
            self.source, self._candidate, self._note = self._candidate, None, ""  # now it fits: take it
            self._update()
            self.changed.emit()
            return
        if self.source is None:
            self.label.setText("None — the new run starts from scratch.")
            self.label.setToolTip("")
            if self._note:
                self._show_error(self._note)
            else:
                self.error.hide()
                self.match_button.hide()
            return
        self.label.setText(self.source.describe() if self.source.arch else f"{self.source.name}")
        self.label.setToolTip(self.source.path)
        problems = mismatches(self.source, self.arch_provider()) if self.source.arch else []
        if problems:
            self._show_error(mismatch_text(self.source, problems), match=True)
        else:
            self.error.hide()
            self.match_button.hide()

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().changeEvent(event)
        if event.type() == event.Type.EnabledChange:
            self.clear_button.setEnabled(self._has_something() and self.isEnabled())
