"""Training health on the Train page: one card per problem the engine's detectors found, with remedies.

The engine (``studio.engine.gan.health``) says what is wrong in plain words and which remedies exist;
this panel only shows that and turns each remedy into a button. What a click does is the page's
business (``remedy_clicked``): a live remedy goes to the running job, advice changes the next run.
A second event with the same code updates its card (with a count) instead of stacking a new one.
When nothing is wrong, a single line says so.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLayout,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
    QWidgetItem,
)

from studio.ui.widgets.image_view import ImageView

LEVEL_WORDS = {"warning": "Warning", "error": "Problem", "info": "Note"}
THUMB_HEIGHT = 84
THUMB_WIDTH = 200  # a wide sheet (a row of samples beside pictures) shrinks to this, leaving the text its room
CARDS_MAX_HEIGHT = 230  # more cards than this scroll: the plots and samples keep their room



class FlowLayout(QLayout):
    """Buttons left to right, wrapping to a new row when the card is narrow (Qt's flow layout example)."""

    def __init__(self, parent: QWidget | None = None, spacing: int = 6) -> None:
        super().__init__(parent)
        self._items: list = []
        self._spacing = spacing
        self.setContentsMargins(0, 0, 0, 0)

    def addItem(self, item) -> None:  # noqa: N802 - Qt override
        self._items.append(item)

    def addWidget(self, widget: QWidget) -> None:  # noqa: N802 - Qt override
        self.addChildWidget(widget)
        self.addItem(QWidgetItem(widget))

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int):  # noqa: N802 - Qt override
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int):  # noqa: N802 - Qt override
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:  # noqa: N802 - Qt override
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt override
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 - Qt override
        return self._arrange(QRect(0, 0, width, 0), move=False)

    def setGeometry(self, rect: QRect) -> None:  # noqa: N802 - Qt override
        super().setGeometry(rect)
        self._arrange(rect, move=True)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return self.minimumSize()

    def minimumSize(self) -> QSize:  # noqa: N802 - Qt override
        size = QSize()
        for item in self._items:
            size = size.expandedTo(item.minimumSize())
        return size

    def _arrange(self, rect: QRect, move: bool) -> int:
        x, y, row_h = rect.x(), rect.y(), 0
        for item in self._items:
            if item.widget() is not None and not item.widget().isVisibleTo(item.widget().parentWidget()):
                continue
            hint = item.sizeHint()
            if x + hint.width() > rect.right() + 1 and row_h > 0:
                x, y, row_h = rect.x(), y + row_h + self._spacing, 0
            if move:
                item.setGeometry(QRect(x, y, hint.width(), hint.height()))
            x += hint.width() + self._spacing
            row_h = max(row_h, hint.height())
        return y + row_h - rect.y()


class ClickableLabel(QLabel):
    clicked = Signal()

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.button() == Qt.MouseButton.LeftButton and self.rect().contains(event.position().toPoint()):
            self.clicked.emit()
        super().mouseReleaseEvent(event)


def _load_png(path: str | Path):
    """Our own PNG (written by the trainer) as a uint8 array, or None when it cannot be read."""
    from studio.ui.widgets.sample_viewer import load_grid_png

    try:
        return load_grid_png(path)
    except (OSError, ValueError):
        return None


# what a health card's picture shows, by event code: the enlarged window's title, its caption, the thumbnail's tip
PICTURE_TEXTS = {
    "memorization": ("Samples next to the pictures they resemble",
                     "Left of each pair: a generated sample. Right: the training picture nearest to it. "
                     "Pairs that look alike mean the generator is copying.",
                     "Click to enlarge: each sample next to the training picture it resembles."),
    "kind_collapse": ("Kinds drawn as one picture",
                      "One row per kind. Left: the generator's samples of that kind. Right, after the gap: some of "
                      "your pictures of that kind. Samples that all look the same while your pictures differ mean "
                      "the generator has stopped varying that kind.",
                      "Click to enlarge: the kind's samples beside your pictures of that kind."),
}


class PairsDialog(QDialog):
    """A health card's picture at full size: memorisation pairs (each generated sample next to the training picture
    it copies) or collapsed kinds (a kind's samples beside the folder's pictures of that kind)."""

    def __init__(self, image_path: str, pairs: list[dict] | None = None, parent: QWidget | None = None,
                 code: str = "memorization") -> None:
        super().__init__(parent)
        title, caption_text, _tip = PICTURE_TEXTS.get(code, PICTURE_TEXTS["memorization"])
        self.setObjectName("memorizationPairs")
        self.setWindowTitle(title)
        self.view = ImageView(self, placeholder="The picture could not be read.", min_size=QSize(256, 256),
                              whole_multiples=True)
        self.view.setObjectName("pairsImage")
        array = _load_png(image_path)
        self.view.set_image(array)
        caption = QLabel(caption_text, self)
        caption.setWordWrap(True)
        caption.setObjectName("hint")
        files = [Path(p["train_file"]).name for p in (pairs or []) if p.get("train_file")]
        layout = QVBoxLayout(self)
        layout.addWidget(caption)
        layout.addWidget(self.view, 1)
        if files:
            seen = list(dict.fromkeys(files))
            listing = QLabel("Closest training pictures: " + ", ".join(seen[:8]) + (" …" if len(seen) > 8 else ""),
                             self)
            listing.setWordWrap(True)
            listing.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            layout.addWidget(listing)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        if array is not None:
            h, w = array.shape[:2]
            scale = max(1, min(4, 640 // max(w, 1), 560 // max(h, 1)))
            self.resize(max(420, w * scale + 40), h * scale + 150)


class HealthCard(QFrame):
    """One problem: level colour, title, step, plain-words explanation, remedy buttons, what changed."""

    remedy_clicked = Signal(str, str)  # event code, remedy code
    dismissed = Signal(str)  # event code
    image_clicked = Signal(str)  # event code

    def __init__(self, event, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("healthCard")
        self.code = event.code
        self.health_event = event
        self.count = 0
        self._live = True
        self._buttons: dict[str, QPushButton] = {}
        self._applied: set[str] = set()

        self.level_label = QLabel(self)
        self.level_label.setObjectName("healthCard_level")
        self.title = QLabel(self)
        self.title.setObjectName("healthTitle")
        self.title.setWordWrap(True)
        self.step_label = QLabel(self)
        self.step_label.setObjectName("healthStep")
        self.dismiss_button = QToolButton(self)
        self.dismiss_button.setObjectName("healthDismiss")
        self.dismiss_button.setText("✕")
        self.dismiss_button.setToolTip("Dismiss: hide this card (it comes back if the problem happens again).")
        self.dismiss_button.setAutoRaise(True)
        self.dismiss_button.clicked.connect(self._on_dismiss)
        self.text = QLabel(self)
        self.text.setObjectName("healthText")
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.thumb = ClickableLabel(self)
        self.thumb.setObjectName("healthThumb")
        self.thumb.setCursor(Qt.CursorShape.PointingHandCursor)
        self.thumb.setToolTip(PICTURE_TEXTS.get(event.code, PICTURE_TEXTS["memorization"])[2])
        self.thumb.clicked.connect(self._on_thumb)
        self.thumb.hide()
        self.result = QLabel(self)
        self.result.setObjectName("healthResult")
        self.result.setWordWrap(True)
        self.result.hide()
        self.remedy_row = FlowLayout(spacing=6)

        head = QHBoxLayout()
        head.setSpacing(8)
        head.addWidget(self.level_label, 0, Qt.AlignmentFlag.AlignTop)
        head.addWidget(self.title, 1, Qt.AlignmentFlag.AlignTop)
        head.addWidget(self.step_label, 0, Qt.AlignmentFlag.AlignTop)
        head.addWidget(self.dismiss_button, 0, Qt.AlignmentFlag.AlignTop)
        text_col = QVBoxLayout()
        text_col.setSpacing(6)
        text_col.addWidget(self.text)
        text_col.addLayout(self.remedy_row)
        text_col.addWidget(self.result)
        body = QHBoxLayout()
        body.setSpacing(10)
        body.addLayout(text_col, 1)
        body.addWidget(self.thumb, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 8)
        layout.setSpacing(4)
        layout.addLayout(head)
        layout.addLayout(body)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.update_event(event)

    # --- content --------------------------------------------------------------------------------
    def update_event(self, event) -> None:
        """Show ``event`` (the first, or a repeat of the same problem: counted, remedies refreshed)."""
        self.health_event = event
        self.count += 1
        level = event.level if event.level in LEVEL_WORDS else "warning"
        self.setProperty("level", level)
        self.style().unpolish(self)
        self.style().polish(self)
        self.level_label.setText({"warning": "⚠", "error": "⛔", "info": "ℹ"}[level])
        self.level_label.setToolTip(LEVEL_WORDS[level])
        self.title.setText(event.title)
        again = f" · {self.count}× so far" if self.count > 1 else ""
        self.step_label.setText(f"step {event.step:,}{again}")
        self.text.setText(event.explanation)
        self._applied.clear()  # a new occurrence: every remedy may be tried again
        for button in self._buttons.values():
            self.remedy_row.removeWidget(button)
            button.deleteLater()
        self._buttons = {}
        for remedy in event.remedies:
            button = QPushButton(remedy.label, self)
            button.setObjectName("healthRemedy")
            button.setProperty("remedy", remedy.code)
            button.setAutoDefault(False)
            button.setToolTip(remedy.explanation)
            button.clicked.connect(self._on_button)
            self.remedy_row.addWidget(button)
            self._buttons[remedy.code] = button
        image = (event.data or {}).get("image")
        array = _load_png(image) if image else None
        if array is not None:
            from studio.ui.qimage import to_pixmap

            pixmap = to_pixmap(array)
            self.thumb.setPixmap(pixmap.scaled(THUMB_WIDTH, THUMB_HEIGHT, Qt.AspectRatioMode.KeepAspectRatio,
                                               Qt.TransformationMode.SmoothTransformation))
            self.thumb.show()
        else:
            self.thumb.clear()
            self.thumb.hide()
        self._sync_buttons()
        self.updateGeometry()

    def set_result(self, text: str) -> None:
        self.result.setText(text)
        self.result.setVisible(bool(text))
        self.updateGeometry()

    def result_text(self) -> str:
        return self.result.text() if not self.result.isHidden() else ""

    def mark_applied(self, remedy_code: str) -> None:
        """A live remedy went to the job: its button rests until the problem shows up again."""
        self._applied.add(remedy_code)
        self._sync_buttons()

    def set_live(self, live: bool) -> None:
        """Live remedies need a running job; advice buttons always work."""
        self._live = live
        self._sync_buttons()

    def remedy_button(self, code: str) -> QPushButton | None:
        return self._buttons.get(code)

    def remedy_buttons(self) -> list[QPushButton]:
        return list(self._buttons.values())

    def image_path(self) -> str | None:
        return (self.health_event.data or {}).get("image") if not self.thumb.isHidden() else None

    def _sync_buttons(self) -> None:
        for remedy in self.health_event.remedies:
            button = self._buttons[remedy.code]
            usable = (self._live or not remedy.live) and remedy.code not in self._applied
            button.setEnabled(usable)
            tip = remedy.explanation
            if remedy.live and not self._live:
                tip += "\n(Only while this run is training.)"
            elif remedy.code in self._applied:
                tip += "\n(Applied.)"
            button.setToolTip(tip)

    # --- clicks ---------------------------------------------------------------------------------
    def _on_button(self) -> None:
        code = self.sender().property("remedy")
        if code:
            self.remedy_clicked.emit(self.code, str(code))

    def _on_dismiss(self) -> None:
        self.dismissed.emit(self.code)

    def _on_thumb(self) -> None:
        self.image_clicked.emit(self.code)


class HealthPanel(QWidget):
    """Cards for the problems found in the run on show, or one line saying none were."""

    remedy_clicked = Signal(str, str)  # event code, remedy code

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("healthPanel")
        self._cards: dict[str, HealthCard] = {}
        self._live = False
        self._status_step: int | None = None
        self._enabled = True
        self.pairs_dialog: PairsDialog | None = None

        self.status = QLabel("", self)
        self.status.setObjectName("healthStatus")
        self.status.setToolTip("The studio watches for the usual GAN problems while it trains: the "
                               "discriminator winning, samples losing variety, training blowing up, and "
                               "samples copying your pictures. Anything it finds appears here with "
                               "remedies.")
        self.status.hide()
        self.cards_box = QWidget()
        self.cards_box.setObjectName("healthCards")
        self.cards_layout = QVBoxLayout(self.cards_box)
        self.cards_layout.setContentsMargins(0, 0, 0, 0)
        self.cards_layout.setSpacing(6)
        self.cards_scroll = QScrollArea(self)
        self.cards_scroll.setObjectName("healthScroll")
        self.cards_scroll.setWidgetResizable(True)
        self.cards_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.cards_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.cards_scroll.setWidget(self.cards_box)
        self.cards_scroll.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.status)
        layout.addWidget(self.cards_scroll)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)

    # --- events ---------------------------------------------------------------------------------
    def show_event(self, event) -> HealthCard:
        """A HealthEvent arrived: a new card, or the card of the same problem updated."""
        card = self._cards.get(event.code)
        if card is None:
            card = HealthCard(event, self.cards_box)
            card.remedy_clicked.connect(self.remedy_clicked)
            card.dismissed.connect(self.dismiss)
            card.image_clicked.connect(self.enlarge_image)
            self._cards[event.code] = card
            self.cards_layout.insertWidget(0, card)  # newest on top
        else:
            card.update_event(event)
            self.cards_layout.removeWidget(card)
            self.cards_layout.insertWidget(0, card)
        card.set_live(self._live)
        card.show()
        self._relayout()
        self.cards_scroll.verticalScrollBar().setValue(0)
        return card

    def card(self, code: str) -> HealthCard | None:
        return self._cards.get(code)

    def cards(self) -> list[HealthCard]:
        return [self.cards_layout.itemAt(i).widget() for i in range(self.cards_layout.count())]

    def set_result(self, code: str, text: str) -> None:
        card = self._cards.get(code)
        if card is not None:
            card.set_result(text)
            self._relayout()

    def dismiss(self, code: str) -> None:
        card = self._cards.pop(code, None)
        if card is not None:
            self.cards_layout.removeWidget(card)
            card.hide()
            card.deleteLater()
        self._relayout()

    def clear(self) -> None:
        """A new run on show: no cards, no status line until it is checked."""
        for code in list(self._cards):
            self.dismiss(code)
        self._status_step = None
        self._enabled = True
        self._update_status()

    def set_live(self, live: bool) -> None:
        self._live = live
        for card in self._cards.values():
            card.set_live(live)

    def set_checked(self, step: int | None, enabled: bool = True) -> None:
        """The health checks have looked at the run up to ``step`` (``enabled`` False: they are off)."""
        self._status_step = step
        self._enabled = enabled
        self._update_status()

    def status_text(self) -> str:
        return self.status.text() if not self.status.isHidden() else ""

    def enlarge_image(self, code: str) -> None:
        card = self._cards.get(code)
        path = card.image_path() if card is not None else None
        if not path:
            return
        if self.pairs_dialog is not None:
            self.pairs_dialog.close()
            self.pairs_dialog.deleteLater()
        self.pairs_dialog = PairsDialog(path, (card.health_event.data or {}).get("pairs"), self.window(), code)
        self.pairs_dialog.show()

    # --- layout ---------------------------------------------------------------------------------
    def _update_status(self) -> None:
        if self._cards:
            self.status.hide()
            return
        if not self._enabled:
            text, ok = "Health checks are off for this run.", False
        elif self._status_step is None:
            text, ok = "", False
        else:
            text, ok = f"✓ Healthy — no problems found (last check: step {self._status_step:,})", True
        self.status.setText(text)
        self.status.setProperty("ok", ok)
        self.status.style().unpolish(self.status)
        self.status.style().polish(self.status)
        self.status.setVisible(bool(text))

    def _relayout(self) -> None:
        has_cards = bool(self._cards)
        self.cards_scroll.setVisible(has_cards)
        self._update_status()
        if not has_cards:
            return
        # The scroll area shows all cards up to CARDS_MAX_HEIGHT; wrapped text needs the real width.
        width = max(200, self.cards_scroll.viewport().width() if self.cards_scroll.isVisible() else self.width())
        needed = self.cards_layout.totalHeightForWidth(width) if self.cards_layout.hasHeightForWidth() \
            else self.cards_box.sizeHint().height()
        self.cards_scroll.setFixedHeight(min(CARDS_MAX_HEIGHT, max(40, needed)))

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        if self._cards:
            self._relayout()
