"""The Gallery's questions to the artist: a new name, whether to delete (to the trash or for good), and
where to export a copy. Each is a plain function or dialog so the page (and tests) can swap it out."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from studio.engine.gallery import GalleryItem, companion_files, validate_name
from studio.ui.theme import set_tone

__all__ = ["RenameDialog", "ask_export_path", "ask_rename", "confirm_delete", "confirm_permanent_delete"]


class RenameDialog(QDialog):
    """A new name for an item, checked as it is typed (the type suffix is kept and shown)."""

    def __init__(self, item: GalleryItem, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.item = item
        self.setWindowTitle("Rename")
        self.setMinimumWidth(420)
        what = {"run": "training run", "artwork": "artwork", "animation": "animation"}[item.kind]
        intro = QLabel(f"New name for the {what} “{item.name}”:")
        intro.setWordWrap(True)
        self.edit = QLineEdit(item.name)
        self.edit.selectAll()
        suffix = QLabel(item.suffix)
        set_tone(suffix, "muted")
        row = QHBoxLayout()
        row.addWidget(self.edit, 1)
        if item.suffix:
            row.addWidget(suffix)
        companions = len(companion_files(item))
        note = QLabel("Its recipe and masks are renamed with it." if companions and item.kind == "artwork" else
                      "Its recipe is renamed with it." if companions else
                      "Animations made from it keep finding it." if item.kind == "run" else "")
        set_tone(note, "muted")
        note.setVisible(bool(note.text()))
        self.error_label = QLabel("")
        set_tone(self.error_label, "error")
        self.error_label.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Rename")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(intro)
        lay.addLayout(row)
        lay.addWidget(note)
        lay.addWidget(self.error_label)
        lay.addWidget(self.buttons)
        self.edit.textChanged.connect(self._validate)
        self._validate(self.edit.text())

    def name(self) -> str:
        return self.edit.text().strip()

    def _validate(self, text: str) -> None:
        problem = validate_name(self.item, text)
        unchanged = text.strip() == self.item.name
        self.error_label.setText(problem or "")
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(problem is None and not unchanged)



def ask_rename(item: GalleryItem, parent: QWidget | None) -> str | None:
    dialog = RenameDialog(item, parent)
    return dialog.name() if dialog.exec() == QDialog.DialogCode.Accepted else None


def confirm_delete(items: list[GalleryItem], parent: QWidget | None) -> bool:
    what = f"“{items[0].name}”" if len(items) == 1 else f"these {len(items)} items"
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle("Delete")
    box.setText(f"Move {what} to the trash?")
    box.setInformativeText("Recipes and masks beside them go too. You can restore them from the trash.")
    ok = box.addButton("Move to trash", QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    return box.clickedButton() is ok


def confirm_permanent_delete(items: list[GalleryItem], parent: QWidget | None) -> bool:
    """The trash is not available here: ask before deleting for good."""
    names = ", ".join(f"“{it.name}”" for it in items[:3]) + (" …" if len(items) > 3 else "")
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("No trash here")
    box.setText(f"{names} cannot be moved to the trash on this system or drive.")
    box.setInformativeText("Delete permanently? This cannot be undone.")
    ok = box.addButton("Delete permanently", QMessageBox.ButtonRole.DestructiveRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    return box.clickedButton() is ok


def ask_export_path(item: GalleryItem, parent: QWidget | None) -> str | None:
    """Where to put a copy (a file dialog; a folder chooser for runs and frame folders)."""
    if item.path.is_dir():
        folder = QFileDialog.getExistingDirectory(parent, f"Copy “{item.name}” into", str(Path.home()))
        return str(Path(folder) / item.path.name) if folder else None
    path, _ = QFileDialog.getSaveFileName(parent, f"Export a copy of “{item.name}”", str(Path.home() / item.path.name),
                                          f"{item.detail} (*{item.path.suffix});;All files (*)")
    return path or None
