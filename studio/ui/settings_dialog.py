"""Settings: device and CPU threads, workspace folder, pretrained features, theme, export defaults.

The dialog edits a copy of the preferences (``studio.preferences.Config``); OK and Apply save it and emit
``applied(config, changed)`` with the names of the fields that changed, and the window puts them into
effect (a theme switches at once). Nothing here imports torch: devices and pretrained features are
listed when the engine has loaded it (``engine_ready``), which is moments after start-up.
"""

from __future__ import annotations

import html
import os
import sys
from dataclasses import fields
from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QIcon
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from studio.preferences import (
    ARTWORK_FORMATS,
    JPEG_QUALITY_RANGE,
    MAX_RECENT,
    WALK_FORMATS,
    WALK_SIZE_RANGE,
    Config,
    ExportDefaults,
    current_config,
    save_config,
)

__all__ = ["SettingsDialog", "device_choices", "usable_cpus"]

ARTWORK_TITLES = {"png": "PNG (lossless)", "jpg": "JPEG (small files)", "webp": "WebP (small, modern)"}
WALK_TITLES = {"gif": "GIF animation", "mp4": "MP4 video", "png": "PNG frames (a folder)"}
THEME_TITLES = {"dark": "Dark (the studio's own)", "light": "Light"}
TAB_KEYS = ("device", "workspace", "features", "appearance", "export")


def usable_cpus() -> int:
    """CPUs this process may run on (the same rule as the engine's, without importing torch)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def device_choices(load: bool = False) -> list[tuple[str, str]] | None:
    """(key, label) for every device this computer has; None while torch is not loaded (unless ``load``)."""
    torch = sys.modules.get("torch")
    if torch is None:
        if not load:
            return None
        import torch  # noqa: PLC0415 - only on request
    out = [("auto", "Automatic (fastest available)"), ("cpu", "CPU")]
    try:
        if torch.cuda.is_available():
            count = torch.cuda.device_count()
            for i in range(count):
                out.append((f"cuda:{i}", f"CUDA:{i} · {torch.cuda.get_device_name(i)}"))
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            out.append(("mps", "Apple GPU (MPS)"))
    except Exception:  # noqa: BLE001 - a broken driver leaves the CPU
        pass
    return out


def _hint(text: str, parent: QWidget) -> QLabel:
    label = QLabel(text, parent)
    label.setObjectName("settingsHint")
    label.setWordWrap(True)
    return label


class SettingsDialog(QDialog):
    """See the module docstring. Keep one per window: a pretrained-features download goes on while hidden."""

    applied = Signal(object, object)  # Config (saved), set[str] of changed field names

    def __init__(self, config: Config, parent: QWidget | None = None, default_workspace: str = "") -> None:
        super().__init__(parent)
        self.setObjectName("settingsDialog")
        self.setWindowTitle("Settings")
        self._saved = config.copy()
        self._default_workspace = default_workspace
        self.features_panel = None
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("settingsTabs")
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self._device_tab(), "Device")
        self.tabs.addTab(self._workspace_tab(), "Workspace")
        self.tabs.addTab(self._features_tab(), "Pretrained features")
        self.tabs.addTab(self._appearance_tab(), "Appearance")
        self.tabs.addTab(self._export_tab(), "Export")
        tips = ("Where the studio computes, and how many CPU threads it uses",
                "The folder your runs, artworks and animations are saved in",
                "The networks style transfer looks through: which are here, and getting the others",
                "Dark or light", "What save and export dialogs start with")
        for i, tip in enumerate(tips):
            self.tabs.setTabToolTip(i, tip)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
            | QDialogButtonBox.StandardButton.Apply | QDialogButtonBox.StandardButton.RestoreDefaults, self)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.apply_button = self.buttons.button(QDialogButtonBox.StandardButton.Apply)
        self.cancel_button = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        self.defaults_button = self.buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults)
        self.ok_button.setToolTip("Save the settings and close")
        self.apply_button.setToolTip("Save the settings and use them now, keeping this window open")
        self.cancel_button.setToolTip("Close without saving what you changed since the last Apply")
        self.defaults_button.setToolTip("Put every setting on this window back to the studio's defaults "
                                        "(nothing is saved until OK or Apply)")
        for b in self.buttons.buttons():
            b.setIcon(QIcon())  # plain words, like the rest of the studio
        self.ok_button.clicked.connect(self.accept_and_apply)
        self.apply_button.clicked.connect(self.apply)
        self.cancel_button.clicked.connect(self.reject)
        self.defaults_button.clicked.connect(self.restore_defaults)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(14, 12, 14, 12)
        lay.addWidget(self.tabs, 1)
        lay.addWidget(self.buttons)
        self.load(config)
        self.resize(620, 470)

    # ------------------------------------------------------------------------------------- tabs
    def _device_tab(self) -> QWidget:
        w = QWidget(self)
        form = QFormLayout(w)
        form.setContentsMargins(16, 16, 16, 16)
        form.setVerticalSpacing(10)
        self.device_combo = QComboBox(w)
        self.device_combo.setObjectName("deviceCombo")
        self.device_combo.setToolTip("Where new training, exploring and painting runs compute. Automatic picks "
                                     "a GPU when there is one. Pages can still override it per run.")
        self.device_hint = _hint("", w)
        self.threads_spin = QSpinBox(w)
        self.threads_spin.setObjectName("threadsSpin")
        self.threads_spin.setRange(0, usable_cpus())
        self.threads_spin.setSpecialValueText(f"Automatic ({usable_cpus()})")
        self.threads_spin.setToolTip("How many CPU threads torch may use. Fewer leaves the computer more "
                                     "responsive for other work; automatic uses every CPU this process may use.")
        form.addRow("Compute on", self.device_combo)
        form.addRow("", self.device_hint)
        form.addRow("CPU threads", self.threads_spin)
        form.addRow("", _hint(f"This computer lets the studio use {usable_cpus()} CPU thread"
                              f"{'' if usable_cpus() == 1 else 's'}. Changes apply at once.", w))
        return w

    def _workspace_tab(self) -> QWidget:
        w = QWidget(self)
        lay = QVBoxLayout(w)
        lay.setContentsMargins(16, 16, 16, 16)
        lay.setSpacing(8)
        lay.addWidget(_hint("Runs, artworks and animations are saved in this folder, and the Gallery shows "
                            "what is in it.", w))
        self.workspace_edit = QLineEdit(w)
        self.workspace_edit.setObjectName("workspaceEdit")
        self.workspace_edit.setPlaceholderText(self._default_workspace or "the default folder")
        self.workspace_edit.setToolTip("The workspace folder. Leave empty for the default: "
                                       f"{self._default_workspace or 'Pictures/GAN Art Studio'}")
        self.workspace_edit.setClearButtonEnabled(True)
        row = QHBoxLayout()
        self.choose_workspace_button = QPushButton("Choose…", w)
        self.choose_workspace_button.setToolTip("Pick another folder for your work")
        self.choose_workspace_button.clicked.connect(self.choose_workspace)
        self.open_workspace_button = QPushButton("Open folder", w)
        self.open_workspace_button.setToolTip("Show the workspace in your file manager")
        self.open_workspace_button.clicked.connect(self.open_workspace)
        self.default_workspace_button = QPushButton("Use the default", w)
        self.default_workspace_button.setToolTip(f"Go back to {self._default_workspace or 'the default folder'}")
        self.default_workspace_button.clicked.connect(lambda: self.workspace_edit.setText(""))
        row.addWidget(self.choose_workspace_button)
        row.addWidget(self.open_workspace_button)
        row.addWidget(self.default_workspace_button)
        row.addStretch(1)
        lay.addWidget(self.workspace_edit)
        lay.addLayout(row)
        lay.addWidget(_hint("Changing it does not move anything: the work already saved stays where it is.", w))
        lay.addStretch(1)
        return w

    def _features_tab(self) -> QWidget:
        w = QWidget(self)
        self._features_layout = QVBoxLayout(w)
        self._features_layout.setContentsMargins(16, 16, 16, 16)
        self._features_layout.setSpacing(8)
        self._features_layout.addWidget(_hint(
            "Style transfer looks at pictures through a network trained on millions of photos. VGG19 gives the "
            "richest painterly results, VGG16 is the lesson's network, and random features work without any "
            "download but look like texture.", w))
        self.rungs_label = QLabel("Checking which networks are on this computer… (once the engine has loaded)", w)
        self.rungs_label.setObjectName("rungStatus")
        self.rungs_label.setWordWrap(True)
        self.rungs_label.setTextFormat(Qt.TextFormat.RichText)
        self.rungs_label.setToolTip("Each network the studio can use, and whether its file is here")
        self._features_layout.addWidget(self.rungs_label)
        self._features_layout.addStretch(1)
        return w

    def _appearance_tab(self) -> QWidget:
        w = QWidget(self)
        form = QFormLayout(w)
        form.setContentsMargins(16, 16, 16, 16)
        self.theme_combo = QComboBox(w)
        self.theme_combo.setObjectName("themeCombo")
        for key, title in THEME_TITLES.items():
            self.theme_combo.addItem(title, key)
        self.theme_combo.setToolTip("The studio's colours. Dark keeps the focus on your pictures; light suits "
                                    "bright rooms. Switches as soon as you press Apply or OK.")
        form.addRow("Theme", self.theme_combo)
        form.addRow("", _hint("Text sizes follow your system's display scaling.", w))
        return w

    def _export_tab(self) -> QWidget:
        w = QWidget(self)
        form = QFormLayout(w)
        form.setContentsMargins(16, 16, 16, 16)
        form.setVerticalSpacing(10)
        self.artwork_format = QComboBox(w)
        self.artwork_format.setObjectName("artworkFormat")
        for key in ARTWORK_FORMATS:
            self.artwork_format.addItem(ARTWORK_TITLES[key], key)
        self.artwork_format.setToolTip("The file type Save artwork suggests. Every format keeps the recipe.")
        self.jpeg_quality = QSpinBox(w)
        self.jpeg_quality.setObjectName("jpegQuality")
        self.jpeg_quality.setRange(*JPEG_QUALITY_RANGE)
        self.jpeg_quality.setToolTip("JPEG and WebP quality: higher looks better and makes bigger files "
                                     "(90–95 is a good choice)")
        self.walk_format = QComboBox(w)
        self.walk_format.setObjectName("walkFormat")
        for key in WALK_FORMATS:
            self.walk_format.addItem(WALK_TITLES[key], key)
        self.walk_format.setToolTip("What the Explore page exports a latent walk as, to begin with")
        self.walk_size = QSpinBox(w)
        self.walk_size.setObjectName("walkSize")
        self.walk_size.setRange(*WALK_SIZE_RANGE)
        self.walk_size.setSingleStep(64)
        self.walk_size.setSuffix(" px")
        self.walk_size.setToolTip("The size of exported animations, to begin with (small models are enlarged "
                                  "smoothly)")
        self.artwork_format.currentIndexChanged.connect(self._sync_quality)
        form.addRow("Artwork format", self.artwork_format)
        form.addRow("JPEG / WebP quality", self.jpeg_quality)
        form.addRow("Animation format", self.walk_format)
        form.addRow("Animation size", self.walk_size)
        return w

    # --------------------------------------------------------------------------------- values
    def load(self, config: Config) -> None:
        """Show ``config`` in the controls."""
        self._saved = config.copy()
        self._fill_devices(config.device)
        self.threads_spin.setValue(min(config.cpu_threads, self.threads_spin.maximum()))
        self.workspace_edit.setText(config.workspace or "")
        self.theme_combo.setCurrentIndex(max(0, self.theme_combo.findData(config.theme)))
        self.artwork_format.setCurrentIndex(max(0, self.artwork_format.findData(config.export.artwork_format)))
        self.jpeg_quality.setValue(config.export.jpeg_quality)
        self.walk_format.setCurrentIndex(max(0, self.walk_format.findData(config.export.walk_format)))
        self.walk_size.setValue(config.export.walk_size)
        if self.features_panel is not None:
            self.features_panel.set_vgg19_path(config.vgg19_path)
        self._sync_quality()

    def values(self) -> Config:
        """The preferences as the controls show them (not saved)."""
        cfg = self._saved.copy()
        cfg.device = str(self.device_combo.currentData() or "auto")
        cfg.cpu_threads = int(self.threads_spin.value())
        text = self.workspace_edit.text().strip()
        cfg.workspace = str(Path(text).expanduser()) if text else None
        cfg.theme = str(self.theme_combo.currentData())
        cfg.export = ExportDefaults(str(self.artwork_format.currentData()), int(self.jpeg_quality.value()),
                                    str(self.walk_format.currentData()), int(self.walk_size.value()))
        if self.features_panel is not None:
            cfg.vgg19_path = self.features_panel.vgg19_path()
        # Not shown here and changed while the dialog was open (Open recent, the welcome): the live values.
        live = current_config()
        cfg.recent_files = list(live.recent_files[:MAX_RECENT])
        cfg.first_run_done = live.first_run_done
        return cfg

    def apply(self) -> set[str]:
        """Save what the controls show; emits ``applied`` and returns the names of changed fields."""
        new = self.values()
        changed = {f.name for f in fields(Config) if getattr(new, f.name) != getattr(self._saved, f.name)}
        try:
            save_config(new)
        except OSError as exc:
            self.device_hint.setText(f"Could not save the settings: {exc.strerror or exc}")
            return set()
        self._saved = new.copy()
        self.applied.emit(new, changed)
        return changed

    def accept_and_apply(self) -> None:
        self.apply()
        self.accept()

    def restore_defaults(self) -> None:
        keep = self._saved.copy()
        defaults = Config(first_run_done=keep.first_run_done, recent_files=keep.recent_files)
        saved = self._saved
        self.load(defaults)
        self._saved = saved  # Apply compares against what is saved, not against the defaults

    def show_tab(self, key: str) -> None:
        if key in TAB_KEYS:
            self.tabs.setCurrentIndex(TAB_KEYS.index(key))

    # -------------------------------------------------------------------------------- devices
    def _fill_devices(self, selected: str) -> None:
        choices = device_choices()
        self.device_combo.blockSignals(True)
        self.device_combo.clear()
        if choices is None:
            choices = [("auto", "Automatic (fastest available)"), ("cpu", "CPU")]
            self.device_hint.setText("GPUs are listed once the engine has loaded (a few seconds after start).")
        else:
            self.device_hint.setText("Only devices this computer has are listed.")
        keys = [k for k, _ in choices]
        if selected == "cuda" and "cuda:0" in keys:
            selected = "cuda:0"
        if selected not in keys:  # a saved choice that is not here today (an unplugged GPU): keep it visible
            choices.append((selected, f"{selected} (not available now: Automatic is used)"))
        for key, label in choices:
            self.device_combo.addItem(label, key)
        self.device_combo.setCurrentIndex(max(0, self.device_combo.findData(selected)))
        self.device_combo.blockSignals(False)

    def engine_ready(self) -> None:
        """torch is loaded: list the real devices and the pretrained-features panel."""
        self._fill_devices(str(self.device_combo.currentData() or self._saved.device))
        self._build_features_panel()

    # ------------------------------------------------------------------------------- features
    def _build_features_panel(self) -> None:
        if self.features_panel is not None or "torch" not in sys.modules:
            return
        try:
            from studio.ui.widgets.features_panel import FeaturesPanel
        except Exception as exc:  # noqa: BLE001 - the rest of the settings must still work
            self.rungs_label.setText(f"Pretrained features cannot be checked: {exc}")
            return
        panel = FeaturesPanel(self, embed_combo=False)
        panel.combo.hide()
        panel.status_label.hide()  # the list above says the same, per network
        panel.set_vgg19_path(self._saved.vgg19_path)
        panel.changed.connect(self._refresh_rungs)
        self.features_panel = panel
        self._features_layout.insertWidget(self._features_layout.count() - 1, panel)
        self._refresh_rungs()

    def _refresh_rungs(self) -> None:
        from studio.engine.style import backbones

        vgg19 = self.features_panel.vgg19_path() if self.features_panel is not None else self._saved.vgg19_path
        lines = []
        titles = {"vgg19": "VGG19", "vgg16": "VGG16", "random": "Random features"}
        for name, ok, detail in backbones.ladder_status(vgg19):
            mark = "✓" if ok else "✗"
            lines.append(f"<tr><td style='padding:4px 8px 0 0'><b>{mark}</b></td><td style='padding-top:4px'>"
                         f"<b>{titles.get(name, name)}</b> — {'here' if ok else 'not on this computer'}</td></tr>"
                         f"<tr><td></td><td style='font-size:small'>{html.escape(detail)}</td></tr>")
        self.rungs_label.setText(f"<table cellspacing='0'>{''.join(lines)}</table>")

    def shutdown(self, timeout_ms: int = 10_000) -> bool:
        return self.features_panel.shutdown(timeout_ms) if self.features_panel is not None else True

    # ------------------------------------------------------------------------------ workspace
    def choose_workspace(self) -> None:
        start = self.workspace_edit.text() or self._default_workspace or str(Path.home())
        folder = QFileDialog.getExistingDirectory(self, "Choose the workspace folder", start)
        if folder:
            self.workspace_edit.setText(folder)

    def open_workspace(self) -> None:
        folder = Path(self.workspace_edit.text() or self._default_workspace or Path.home()).expanduser()
        folder.mkdir(parents=True, exist_ok=True)
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    def _sync_quality(self) -> None:
        self.jpeg_quality.setEnabled(self.artwork_format.currentData() in ("jpg", "webp"))
