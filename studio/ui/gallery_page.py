"""The Gallery page: everything made in the workspace — runs, artworks, animations — newest first.

How it stays fast with thousands of items:
- The scan is the engine's (``scan_workspace``: directory listings and stats, no image decoding), a few
  milliseconds for 1,000 items, so it runs in the GUI thread.
- The grid paints at once with placeholders. Thumbnails are made by ``ThumbnailLoader`` in short-lived
  worker threads (Pillow, cached on disk keyed by path + modification time + size) and handed to the GUI
  thread in batches by a timer — no cross-thread signals, no QPixmap outside the GUI thread.
- Pictures being painted are loaded first (newest request first, so what is on screen wins while
  scrolling); a moment later every other item is warmed into the disk cache. Only a bounded number of
  pixmaps is kept in memory.

Startup rule: importing this module imports neither torch nor numpy (Pillow only inside worker threads).
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import (
    QAbstractListModel,
    QEvent,
    QFile,
    QFileSystemWatcher,
    QMimeData,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QProcess,
    QRectF,
    QSize,
    QSortFilterProxyModel,
    Qt,
    QTimer,
    QUrl,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QColor,
    QDesktopServices,
    QFont,
    QFontMetrics,
    QGuiApplication,
    QImage,
    QKeySequence,
    QPainter,
    QPainterPath,
    QPen,
    QPixmap,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QBoxLayout,
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QMenu,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from studio.engine.gallery import (
    THUMB_SIDE,
    GalleryError,
    GalleryItem,
    ScanResult,
    ThumbnailError,
    companion_files,
    copy_item,
    make_thumbnail,
    prune_thumbnail_cache,
    rename_item,
    scan_workspace,
    thumbnail_cache_dir,
    validate_name,
)
from studio.ui.workspace import set_workspace_dir, workspace_dir

__all__ = ["GalleryModel", "GalleryPage", "RenameDialog", "ThumbnailLoader", "move_to_trash",
           "reveal_in_file_manager"]

ItemRole = int(Qt.ItemDataRole.UserRole) + 1
StateRole = int(Qt.ItemDataRole.UserRole) + 2
FILTERS = (("all", "All", None), ("run", "Runs", "run"), ("artwork", "Artworks", "artwork"),
           ("animation", "Animations", "animation"))
CELL = QSize(196, 236)  # one grid cell: thumbnail box + two lines of text
BOX = 172  # the thumbnail box inside a cell (square)
PIXMAP_LIMIT = 600  # pixmaps kept in memory; the rest come back from the disk cache when painted
WATCH_LIMIT = 400  # folders watched for changes at most
WARM_DELAY_MS = 300  # warming the cache waits this long, so it does not slow the first screen down
ACCENT = QColor("#8b7cf6")

PAGE_QSS = """
QLabel#galleryTitle { font-size: 17pt; font-weight: 600; color: #f4f4f6; }
QLabel#gallerySubtitle, QLabel#galleryStatus { color: #9ca1ab; }
QPushButton#galleryFilter { padding: 5px 14px; border-radius: 14px; background: #25272c; }
QPushButton#galleryFilter:checked { background: #2e2a4d; border-color: #8b7cf6; color: #ffffff; }
QListView#galleryGrid { background: #1a1b1f; border: 1px solid #2a2c32; border-radius: 10px; outline: 0; }
QFrame#galleryEmpty { background: #24262b; border: 1px solid #2e3037; border-radius: 14px; }
QFrame#galleryEmpty QLabel { background: transparent; color: #c9ccd3; }
QFrame#galleryEmpty QLabel#emptyTitle { color: #f4f4f6; font-size: 14pt; font-weight: 600; }
QFrame#galleryMessage { background: #23392c; border: 1px solid #3b6a4b; border-radius: 8px; }
QFrame#galleryMessage QLabel { color: #c9f2d6; background: transparent; }
QFrame#galleryMessage[level="error"] { background: #4a2a2e; border-color: #7a3a40; }
QFrame#galleryMessage[level="error"] QLabel { color: #ffd4d4; }
"""


# ------------------------------------------------------------------------------------ platform
def move_to_trash(path: str | Path) -> bool:
    """Move a file or folder to the platform's trash (Qt's freedesktop / macOS / Windows support)."""
    result = QFile.moveToTrash(str(path))
    ok = result[0] if isinstance(result, tuple) else result
    return bool(ok) and not Path(path).exists()


def open_url(url: QUrl) -> bool:
    return QDesktopServices.openUrl(url)


def reveal_in_file_manager(path: str | Path) -> bool:
    """Show a file in the file manager: selected in Finder/Explorer; its folder elsewhere (xdg-open)."""
    path = Path(path)
    if sys.platform == "darwin" and path.exists():
        return QProcess.startDetached("open", ["-R", str(path)])[0]
    if os.name == "nt" and path.exists():
        return QProcess.startDetached("explorer", [f"/select,{path}"])[0]
    folder = path if path.is_dir() else path.parent
    return open_url(QUrl.fromLocalFile(str(folder)))


# ---------------------------------------------------------------------------------- thumbnails
class ThumbnailLoader(QObject):
    """Makes cached thumbnails in up to ``workers`` short-lived Python threads (they exit when there is
    nothing left to do) and delivers them to the GUI thread in batches from a timer.

    ``request`` wants the picture (it is being painted): newest request first. ``warm`` only fills the
    disk cache, after every wanted picture. ``ready`` carries ``[(key, QImage | None, error | None)]``.
    """

    ready = Signal(list)
    idle = Signal()

    def __init__(self, cache_dir: Path, side: int = THUMB_SIDE, display_side: int = BOX,
                 workers: int | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.cache_dir = Path(cache_dir)
        self.side = side
        self.display_side = display_side
        self.max_workers = workers or max(1, min(4, (os.cpu_count() or 2)))
        self._lock = threading.Lock()
        self._tasks: dict[str, list] = {}  # key -> [source, mtime_ns, size, want_image]
        self._front: deque[str] = deque()  # wanted pictures, LIFO
        self._back: deque[str] = deque()  # cache warming, FIFO
        self._inflight: set[str] = set()
        self._threads: list[threading.Thread] = []
        self._results: deque[tuple] = deque()
        self._stopping = False
        self.made = 0  # thumbnails delivered or warmed (for benchmarks)
        self.errors = 0
        self._timer = QTimer(self)
        self._timer.setInterval(30)
        self._timer.timeout.connect(self._deliver)

    # -- GUI thread -------------------------------------------------------------------------------
    def request(self, key: str, source: Path, mtime_ns: int, size: int) -> None:
        with self._lock:
            task = self._tasks.get(key)
            if task is None:
                self._tasks[key] = [source, mtime_ns, size, True]
            else:
                task[3] = True
            self._front.append(key)
            self._spawn_locked()
        self._start_timer()

    def warm(self, entries: list[tuple[str, Path, int, int]]) -> None:
        with self._lock:
            for key, source, mtime_ns, size in entries:
                if key not in self._tasks:
                    self._tasks[key] = [source, mtime_ns, size, False]
                    self._back.append(key)
            self._spawn_locked()
        self._start_timer()

    def clear(self) -> None:
        """Drop everything not yet started (a refresh or a new workspace asks again)."""
        with self._lock:
            for key in list(self._tasks):
                if key not in self._inflight:
                    del self._tasks[key]
            self._front.clear()
            self._back.clear()

    def pending(self) -> int:
        """Thumbnails asked for and not yet delivered."""
        with self._lock:
            return len(self._tasks) + len(self._results)

    def is_idle(self) -> bool:
        with self._lock:
            return not self._tasks and not self._results and not self._threads

    def shutdown(self, timeout_ms: int = 10_000) -> bool:
        """Stop: nothing new starts, running workers finish their one picture and are joined."""
        with self._lock:
            self._stopping = True
            threads = list(self._threads)
        self.clear()
        deadline = time.monotonic() + timeout_ms / 1000
        for t in threads:
            t.join(max(0.0, deadline - time.monotonic()))
        self._timer.stop()
        self._results.clear()
        with self._lock:
            self._tasks.clear()
            self._inflight.clear()
            self._stopping = False
            return not any(t.is_alive() for t in threads)

    def _start_timer(self) -> None:
        if not self._timer.isActive():
            self._timer.start()

    def _spawn_locked(self) -> None:
        if self._stopping:
            return
        self._threads = [t for t in self._threads if t.is_alive()]
        queued = len(self._front) + len(self._back)
        while len(self._threads) < self.max_workers and queued > len(self._threads):
            t = threading.Thread(target=self._work, name="gallery-thumbnails", daemon=True)
            self._threads.append(t)
            t.start()

    def _deliver(self) -> None:
        batch = []
        while self._results and len(batch) < 256:
            key, image, error, wanted = self._results.popleft()
            if error is not None:
                self.errors += 1
            self.made += 1
            batch.append((key, image, error))
        if batch:
            self.ready.emit(batch)
        if self.is_idle():
            self._timer.stop()
            self.idle.emit()

    # -- worker threads ---------------------------------------------------------------------------
    def _next_locked(self) -> str | None:
        while self._front or self._back:
            key = self._front.pop() if self._front else self._back.popleft()
            if key in self._tasks and key not in self._inflight:
                return key
        return None

    def _work(self) -> None:
        me = threading.current_thread()
        while True:
            with self._lock:
                key = None if self._stopping else self._next_locked()
                if key is None:
                    if me in self._threads:
                        self._threads.remove(me)
                    return
                self._inflight.add(key)
                source, mtime_ns, size, _want = self._tasks[key]
            image, error, path = None, None, None
            try:
                path = make_thumbnail(source, self.cache_dir, self.side, mtime_ns, size)
            except ThumbnailError as exc:
                error = str(exc)
            except Exception as exc:  # noqa: BLE001 - a worker must never die on one picture
                error = f"{type(exc).__name__}: {exc}"
            with self._lock:
                want = bool(self._tasks.get(key, [None, 0, 0, False])[3])
            if want and path is not None:
                image = QImage(str(path))
                if image.isNull():
                    image, error = None, "the cached thumbnail cannot be read"
                elif max(image.width(), image.height()) > self.display_side:
                    image = image.scaled(self.display_side, self.display_side, Qt.AspectRatioMode.KeepAspectRatio,
                                         Qt.TransformationMode.SmoothTransformation)
            with self._lock:
                self._tasks.pop(key, None)
                self._inflight.discard(key)
                self._results.append((key, image, error, want))


# ------------------------------------------------------------------------------------------ model
class GalleryModel(QAbstractListModel):
    """The scanned items, newest first; thumbnails are asked for when the view paints them."""

    def __init__(self, loader: ThumbnailLoader, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.loader = loader
        self._items: list[GalleryItem] = []
        self._rows_by_thumb: dict[str, list[int]] = {}
        self._row_by_path: dict[str, int] = {}
        self._pixmaps: OrderedDict[str, QPixmap] = OrderedDict()
        self._broken: dict[str, str] = {}
        self._requested: set[str] = set()
        self._warmed: set[str] = set()
        loader.ready.connect(self._on_ready)

    # -- Qt model ---------------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._items)

    def data(self, index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._items):
            return None
        item = self._items[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return item.name
        if role == ItemRole:
            return item
        if role == Qt.ItemDataRole.DecorationRole:
            return self.pixmap(item)
        if role == StateRole:
            return self.state(item)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(item)
        return None

    def flags(self, index):
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    # -- items ------------------------------------------------------------------------------------
    def set_items(self, items: list[GalleryItem]) -> bool:
        """Show these items; False (and nothing redrawn) when they are what is shown already."""
        if items == self._items:
            return False
        self.beginResetModel()
        self._items = list(items)
        self._rows_by_thumb = {}
        self._row_by_path = {}
        for row, item in enumerate(self._items):
            self._row_by_path[item.key] = row
            tk = item.thumb_key
            if tk is not None:
                self._rows_by_thumb.setdefault(tk, []).append(row)
        self.endResetModel()
        return True

    def items(self) -> list[GalleryItem]:
        return list(self._items)

    def item(self, row: int) -> GalleryItem:
        return self._items[row]

    def row_of(self, path: str | Path) -> int | None:
        return self._row_by_path.get(str(path))

    def warm_entries(self) -> list[tuple[str, Path, int, int]]:
        """Items whose thumbnails are not known to be on disk yet (for ``ThumbnailLoader.warm``)."""
        out = []
        for item in self._items:
            tk = item.thumb_key
            if tk is not None and tk not in self._warmed and tk not in self._pixmaps and tk not in self._broken:
                out.append((tk, item.thumb_source, item.thumb_mtime_ns, item.thumb_size))
        return out

    # -- thumbnails -------------------------------------------------------------------------------
    def pixmap(self, item: GalleryItem) -> QPixmap | None:
        tk = item.thumb_key
        if tk is None:
            return None
        pm = self._pixmaps.get(tk)
        if pm is not None:
            self._pixmaps.move_to_end(tk)
            return pm
        if tk not in self._broken and tk not in self._requested:
            self._requested.add(tk)
            self.loader.request(tk, item.thumb_source, item.thumb_mtime_ns, item.thumb_size)
        return None

    def state(self, item: GalleryItem) -> str:
        """"ready", "loading", "broken" (the thumbnail cannot be made) or "none" (no picture to show)."""
        tk = item.thumb_key
        if tk is None:
            return "none"
        if tk in self._pixmaps:
            return "ready"
        if tk in self._broken:
            return "broken"
        return "loading"

    def thumbnail_error(self, item: GalleryItem) -> str | None:
        tk = item.thumb_key
        return self._broken.get(tk) if tk is not None else None

    def loaded_count(self) -> int:
        return len(self._pixmaps)

    def _on_ready(self, batch: list) -> None:
        changed: list[int] = []
        for key, image, error in batch:
            if error is not None:
                self._broken[key] = error
                self._requested.discard(key)
            elif image is not None:
                self._pixmaps[key] = QPixmap.fromImage(image)
                self._pixmaps.move_to_end(key)
                self._warmed.add(key)
                self._requested.discard(key)
            else:  # warmed into the disk cache (or wanted too late: ask again on the next paint)
                self._warmed.add(key)
                if key not in self._requested:
                    continue
                self._requested.discard(key)
            changed += self._rows_by_thumb.get(key, [])
        while len(self._pixmaps) > PIXMAP_LIMIT:
            old, _ = self._pixmaps.popitem(last=False)
            self._requested.discard(old)
        for row in changed:
            idx = self.index(row, 0)
            self.dataChanged.emit(idx, idx, [Qt.ItemDataRole.DecorationRole, StateRole])

    def _tooltip(self, item: GalleryItem) -> str:
        lines = [f"{item.path}", f"{item.kind.capitalize()} · {item.detail} · {_size_text(item.size)} · "
                 f"{time.strftime('%d %b %Y %H:%M', time.localtime(item.modified))}"]
        if item.recipe is not None:
            lines.append(f"Recipe: {item.recipe.name}")
        problem = item.problem or self.thumbnail_error(item)
        if problem:
            lines.append(f"Problem: {problem}")
        return "\n".join(lines)


def _size_text(n: int) -> str:
    value = float(n)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{int(value)} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} bytes"


def when_text(ts: float, now: float | None = None) -> str:
    """Short, human dates: "today 14:02", "yesterday 09:15", "3 Mar", "3 Mar 2024"."""
    now = time.time() if now is None else now
    t, n = time.localtime(ts), time.localtime(now)
    if t.tm_year == n.tm_year and t.tm_yday == n.tm_yday:
        return time.strftime("today %H:%M", t)
    if time.localtime(now - 86400)[:3] == t[:3]:
        return time.strftime("yesterday %H:%M", t)
    if t.tm_year == n.tm_year:
        return f"{t.tm_mday} {time.strftime('%b', t)}"
    return f"{t.tm_mday} {time.strftime('%b %Y', t)}"


class GalleryFilter(QSortFilterProxyModel):
    """Kind filter + live name search (every word must appear in the name or file name)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._kind: str | None = None
        self._words: list[str] = []

    def set_kind(self, kind: str | None) -> None:
        self._change(lambda: setattr(self, "_kind", kind))

    def kind(self) -> str | None:
        return self._kind

    def set_search(self, text: str) -> None:
        self._change(lambda: setattr(self, "_words", text.lower().split()))

    def search_words(self) -> list[str]:
        return list(self._words)

    def _change(self, apply: Callable[[], None]) -> None:
        if hasattr(self, "beginFilterChange") and hasattr(self, "endFilterChange"):  # Qt 6.10+
            self.beginFilterChange()
            apply()
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:  # pragma: no cover - older Qt
            apply()
            self.invalidateFilter()

    def filterAcceptsRow(self, row: int, parent) -> bool:  # noqa: N802 - Qt override
        item = self.sourceModel().item(row)
        if self._kind is not None and item.kind != self._kind:
            return False
        if self._words:
            hay = f"{item.name} {item.path.name}".lower()
            return all(w in hay for w in self._words)
        return True


# --------------------------------------------------------------------------------------- painting
def _kind_icon(p: QPainter, kind: str, detail: str, center: QRectF, color: QColor) -> None:
    """A large, faint line drawing for a placeholder: a curve (run), a film strip (animation), a frame."""
    s = min(center.width(), center.height()) * 0.34
    cx, cy = center.center().x(), center.center().y()
    p.save()
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(QPen(color, 2.0, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin))
    p.setBrush(Qt.BrushStyle.NoBrush)
    if kind == "run":
        path = QPainterPath()
        path.moveTo(cx - s, cy + s * 0.6)
        path.cubicTo(cx - s * 0.4, cy + s * 0.5, cx - s * 0.3, cy - s * 0.2, cx, cy - s * 0.1)
        path.cubicTo(cx + s * 0.3, cy, cx + s * 0.4, cy - s * 0.5, cx + s, cy - s * 0.7)
        p.drawPath(path)
        p.drawLine(int(cx - s), int(cy + s * 0.85), int(cx + s), int(cy + s * 0.85))
    elif kind == "animation":
        r = QRectF(cx - s, cy - s * 0.7, 2 * s, 1.4 * s)
        p.drawRoundedRect(r, 4, 4)
        for i in range(5):
            x = r.left() + (i + 0.5) * r.width() / 5
            p.drawPoint(int(x), int(r.top() + 5))
            p.drawPoint(int(x), int(r.bottom() - 5))
        tri = QPainterPath()
        tri.moveTo(cx - s * 0.22, cy - s * 0.3)
        tri.lineTo(cx + s * 0.32, cy)
        tri.lineTo(cx - s * 0.22, cy + s * 0.3)
        tri.closeSubpath()
        p.setBrush(color)
        p.drawPath(tri)
    else:
        r = QRectF(cx - s, cy - s * 0.75, 2 * s, 1.5 * s)
        p.drawRoundedRect(r, 4, 4)
        hills = QPainterPath()
        hills.moveTo(r.left() + 4, r.bottom() - 4)
        hills.lineTo(cx - s * 0.3, cy - s * 0.05)
        hills.lineTo(cx + s * 0.1, cy + s * 0.35)
        hills.lineTo(cx + s * 0.4, cy + s * 0.1)
        hills.lineTo(r.right() - 4, r.bottom() - 4)
        p.drawPath(hills)
    p.restore()


def _tc(color: str) -> QColor:
    """A colour written for the dark theme, as the current theme shows it (studio.ui.theme)."""
    from studio.ui.theme import current_theme, light_color

    return QColor(light_color(color) if current_theme() == "light" else color)


class GalleryDelegate(QStyledItemDelegate):
    """One cell: the thumbnail (or a placeholder / broken mark), a kind badge, the name and a detail line."""

    def sizeHint(self, option, index) -> QSize:  # noqa: N802 - Qt override
        view = self.parent()
        return view.gridSize() if isinstance(view, QListView) and view.gridSize().isValid() else CELL

    def paint(self, p: QPainter, option: QStyleOptionViewItem, index) -> None:
        item: GalleryItem | None = index.data(ItemRole)
        if item is None:
            return
        pm = index.data(Qt.ItemDataRole.DecorationRole)
        state = index.data(StateRole)
        p.save()
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        cell = QRectF(option.rect).adjusted(5, 5, -5, -5)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        hover = bool(option.state & QStyle.StateFlag.State_MouseOver)
        if selected or hover:
            p.setPen(QPen(ACCENT, 1.5) if selected else Qt.PenStyle.NoPen)
            p.setBrush(_tc("#2e2a4d") if selected else _tc("#23252a"))
            p.drawRoundedRect(cell, 10, 10)
        box = QRectF(cell.left() + (cell.width() - BOX) / 2, cell.top() + 7, BOX, BOX)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(_tc("#121316"))
        p.drawRoundedRect(box, 8, 8)
        broken = state == "broken" or item.problem is not None
        if isinstance(pm, QPixmap) and not pm.isNull():
            dpr = pm.devicePixelRatio() or 1.0
            w, h = pm.width() / dpr, pm.height() / dpr
            scale = min(BOX / w, BOX / h, 1.0 if max(w, h) >= BOX * 0.75 else BOX / max(w, h))
            tw, th = w * scale, h * scale
            target = QRectF(box.center().x() - tw / 2, box.center().y() - th / 2, tw, th)
            clip = QPainterPath()
            clip.addRoundedRect(box, 8, 8)
            p.setClipPath(clip)
            p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, scale < 1.0 or max(w, h) > 64)
            p.drawPixmap(target, pm, QRectF(pm.rect()))
            p.setClipping(False)
        else:
            faint = _tc("#5a5e68") if state != "broken" else _tc("#7a4a50")
            _kind_icon(p, item.kind, item.detail, box, faint)
            if state == "broken":
                p.setPen(_tc("#ffb4b4"))
                font = QFont(option.font)
                font.setPointSizeF(max(7.5, font.pointSizeF() * 0.9))
                p.setFont(font)
                p.drawText(box.adjusted(8, 0, -8, -12), int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom),
                           "Can't be shown")
        badge = {"run": "RUN", "animation": item.detail.split()[-1].upper() if item.detail else "ANIM"}.get(item.kind)
        if item.kind == "animation" and "frames" in item.detail:
            badge = "FRAMES"
        elif item.kind == "animation" and item.detail == "sprite sheet":
            badge = "SHEET"
        small = QFont(option.font)
        small.setPointSizeF(max(7.0, option.font.pointSizeF() * 0.78))
        small.setBold(True)
        if badge:
            fm = QFontMetrics(small)
            bw, bh = fm.horizontalAdvance(badge) + 12, fm.height() + 4
            br = QRectF(box.left() + 6, box.top() + 6, bw, bh)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(20, 20, 24, 200))
            p.drawRoundedRect(br, bh / 2, bh / 2)
            p.setPen(QColor("#d8d2ff"))
            p.setFont(small)
            p.drawText(br, int(Qt.AlignmentFlag.AlignCenter), badge)
        if broken:
            r = 10.0
            c = QRectF(box.right() - 6 - 2 * r, box.top() + 6, 2 * r, 2 * r)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor("#d9534f"))
            p.drawEllipse(c)
            p.setPen(QColor("#ffffff"))
            p.setFont(small)
            p.drawText(c, int(Qt.AlignmentFlag.AlignCenter), "!")
        name_font = QFont(option.font)
        name_font.setWeight(QFont.Weight.DemiBold)
        fm = QFontMetrics(name_font)
        text_rect = QRectF(box.left(), box.bottom() + 7, BOX, fm.height())
        p.setFont(name_font)
        p.setPen(_tc("#ffffff") if selected else _tc("#e6e7ea"))
        p.drawText(text_rect, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                   fm.elidedText(item.name, Qt.TextElideMode.ElideMiddle, BOX))
        sub_font = QFont(option.font)
        sub_font.setPointSizeF(max(7.5, option.font.pointSizeF() * 0.88))
        sfm = QFontMetrics(sub_font)
        sub = f"{item.detail} · {when_text(item.modified)}" if item.detail else when_text(item.modified)
        p.setFont(sub_font)
        p.setPen(_tc("#ffb4b4") if broken else _tc("#9ca1ab"))
        sub_rect = QRectF(box.left(), text_rect.bottom() + 2, BOX, sfm.height())
        p.drawText(sub_rect, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                   sfm.elidedText(sub, Qt.TextElideMode.ElideRight, BOX))
        p.restore()


# ------------------------------------------------------------------------------------------ dialog
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
        suffix.setStyleSheet("color: #9ca1ab;")
        row = QHBoxLayout()
        row.addWidget(self.edit, 1)
        if item.suffix:
            row.addWidget(suffix)
        companions = len(companion_files(item))
        note = QLabel("Its recipe and masks are renamed with it." if companions and item.kind == "artwork" else
                      "Its recipe is renamed with it." if companions else
                      "Animations made from it keep finding it." if item.kind == "run" else "")
        note.setStyleSheet("color: #9ca1ab;")
        note.setVisible(bool(note.text()))
        self.error_label = QLabel("")
        self.error_label.setStyleSheet("color: #ff9b9b;")
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


# -------------------------------------------------------------------------------------------- page
class GalleryPage(QWidget):
    """See the module docstring."""

    open_requested = Signal(str, str)  # kind ("run" | "artwork" | "animation"), path
    workspace_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("page-gallery")
        self.busy_check: Callable[[Path], str | None] | None = None  # set by the window: "in use" reasons
        self._root = workspace_dir()
        self._scan: ScanResult | None = None
        self._scanned = False
        self._stale = True
        self._pruned = False
        self._narrow: bool | None = None
        self.last_refresh_seconds = 0.0  # scan + model fill of the latest refresh (benchmarks)

        self.loader = ThumbnailLoader(thumbnail_cache_dir(), parent=self)
        self.model = GalleryModel(self.loader, self)
        self.proxy = GalleryFilter(self)
        self.proxy.setSourceModel(self.model)
        self.watcher = QFileSystemWatcher(self)
        self.watcher.directoryChanged.connect(self._on_folder_changed)
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(400)
        self._refresh_timer.timeout.connect(self._refresh_if_visible)
        self._warm_timer = QTimer(self)  # warm the disk cache once the first screen has its thumbnails
        self._warm_timer.setSingleShot(True)
        self._warm_timer.setInterval(WARM_DELAY_MS)
        self._warm_timer.timeout.connect(self._warm)

        self._build()
        self.setStyleSheet(PAGE_QSS)
        self._update_actions()
        self._update_status()

    # ---------------------------------------------------------------------------------------- build
    def _build(self) -> None:
        title = QLabel("Gallery")
        title.setObjectName("galleryTitle")
        subtitle = QLabel("Everything you made, newest first — each with its recipe.")
        subtitle.setObjectName("gallerySubtitle")
        self.search_box = QLineEdit()
        self.search_box.setObjectName("gallerySearch")
        self.search_box.setPlaceholderText("Search by name")
        self.search_box.setToolTip("Show only what has these words in its name or file name")
        self.search_box.setClearButtonEnabled(True)
        self.search_box.setMinimumWidth(220)
        self.search_box.setMaximumWidth(320)
        self.search_box.textChanged.connect(self._on_search)
        head = QHBoxLayout()
        titles = QVBoxLayout()
        titles.setSpacing(0)
        titles.addWidget(title)
        titles.addWidget(subtitle)
        head.addLayout(titles, 1)
        head.addWidget(self.search_box, 0, Qt.AlignmentFlag.AlignBottom)

        self.filter_group = QButtonGroup(self)
        self.filter_group.setExclusive(True)
        self.filter_buttons: dict[str, QPushButton] = {}
        filters = QHBoxLayout()
        filters.setSpacing(6)
        for key, text, _kind in FILTERS:
            b = QPushButton(text)
            b.setObjectName("galleryFilter")
            b.setToolTip(f"Show {text.lower()}" if key != "all" else "Show everything")
            b.setCheckable(True)
            b.setProperty("filterKey", key)
            self.filter_group.addButton(b)
            self.filter_buttons[key] = b
            filters.addWidget(b)
        self.filter_buttons["all"].setChecked(True)
        self.filter_group.buttonClicked.connect(self._on_filter_clicked)
        filters.addStretch(1)

        self.open_action = self._action("Open", "Open it in its page with its recipe restored (Enter)",
                                        self.open_selected, QKeySequence(Qt.Key.Key_Return))
        self.reveal_action = self._action("Show in folder", "Show it in your file manager", self.reveal_selected)
        self.rename_action = self._action("Rename…", "Rename it together with its recipe (F2)", self.rename_selected,
                                          QKeySequence(Qt.Key.Key_F2))
        self.delete_action = self._action("Delete", "Move it to the trash (Delete)", self.delete_selected,
                                          QKeySequence(QKeySequence.StandardKey.Delete))
        self.copy_action = self._action("Copy", "Copy the picture to the clipboard (Ctrl+C)", self.copy_selected,
                                        QKeySequence(QKeySequence.StandardKey.Copy))
        self.export_action = self._action("Export…", "Save a copy somewhere else, with its recipe",
                                          self.export_selected)
        actions = QHBoxLayout()
        actions.setSpacing(6)
        actions.setContentsMargins(0, 0, 0, 0)
        actions.addStretch(1)
        self.action_buttons: dict[str, QPushButton] = {}
        for key, action in (("open", self.open_action), ("reveal", self.reveal_action),
                            ("rename", self.rename_action), ("delete", self.delete_action),
                            ("copy", self.copy_action), ("export", self.export_action)):
            b = QPushButton(action.text())
            b.setObjectName(f"gallery-{key}")
            b.setToolTip(action.toolTip())
            b.clicked.connect(action.trigger)
            self.action_buttons[key] = b
            actions.addWidget(b)
        self._bar = QBoxLayout(QBoxLayout.Direction.LeftToRight)  # one row; two when the page is narrow
        self._bar.setSpacing(8)
        self._bar.addLayout(filters, 1)
        self._bar.addLayout(actions, 0)

        self.message_frame = QFrame()
        self.message_frame.setObjectName("galleryMessage")
        self.message_label = QLabel("")
        self.message_label.setWordWrap(True)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        dismiss = QPushButton("Dismiss")
        dismiss.setToolTip("Hide this message")
        dismiss.clicked.connect(self.message_frame.hide)
        ml = QHBoxLayout(self.message_frame)
        ml.setContentsMargins(10, 6, 8, 6)
        ml.addWidget(self.message_label, 1)
        ml.addWidget(dismiss)
        self.message_frame.hide()

        self.view = QListView()
        self.view.setObjectName("galleryGrid")
        self.view.setViewMode(QListView.ViewMode.IconMode)
        self.view.setResizeMode(QListView.ResizeMode.Adjust)
        self.view.setMovement(QListView.Movement.Static)
        self.view.setFlow(QListView.Flow.LeftToRight)
        self.view.setWrapping(True)
        self.view.setUniformItemSizes(True)
        self.view.setGridSize(CELL)
        self.view.setSpacing(0)
        self.view.setLayoutMode(QListView.LayoutMode.SinglePass)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.view.verticalScrollBar().setSingleStep(40)
        self.view.setMouseTracking(True)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._context_menu)
        self.view.setItemDelegate(GalleryDelegate(self.view))
        self.view.setModel(self.proxy)
        self.view.activated.connect(self._on_activated)
        self.view.selectionModel().selectionChanged.connect(self._update_actions)
        for action in (self.open_action, self.rename_action, self.delete_action, self.copy_action):
            self.view.addAction(action)
        self.view.installEventFilter(self)

        self.empty = QFrame()
        self.empty.setObjectName("galleryEmpty")
        self.empty.setMaximumWidth(640)
        self.empty_title = QLabel("Nothing here yet")
        self.empty_title.setObjectName("emptyTitle")
        self.empty_text = QLabel("")
        self.empty_text.setWordWrap(True)
        self.empty_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.empty_button = QPushButton("Clear the search")
        self.empty_button.setToolTip("Show everything again")
        self.empty_button.clicked.connect(self.clear_filters)
        el = QVBoxLayout(self.empty)
        el.setContentsMargins(30, 26, 30, 26)
        el.setSpacing(12)
        el.addWidget(self.empty_title)
        el.addWidget(self.empty_text)
        el.addWidget(self.empty_button, 0, Qt.AlignmentFlag.AlignLeft)
        empty_page = QWidget()
        ep = QVBoxLayout(empty_page)
        ep.addStretch(1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.empty, 10)
        row.addStretch(1)
        ep.addLayout(row)
        ep.addStretch(2)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.view)
        self.stack.addWidget(empty_page)

        self.status_label = QLabel("")
        self.status_label.setObjectName("galleryStatus")
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.change_button = QPushButton("Change workspace…")
        self.change_button.setObjectName("changeWorkspace")
        self.change_button.setToolTip("Choose the folder where runs, artworks and animations are kept")
        self.change_button.clicked.connect(self.choose_workspace)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setObjectName("galleryRefresh")
        self.refresh_button.setToolTip("Look in the workspace again for new or changed files")
        self.refresh_button.clicked.connect(self.refresh)
        foot = QHBoxLayout()
        foot.addWidget(self.status_label, 1)
        foot.addWidget(self.refresh_button)
        foot.addWidget(self.change_button)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(24, 18, 24, 14)
        lay.setSpacing(10)
        lay.addLayout(head)
        lay.addLayout(self._bar)
        lay.addWidget(self.message_frame)
        lay.addWidget(self.stack, 1)
        lay.addLayout(foot)

    def _action(self, text: str, tip: str, slot, shortcut: QKeySequence | None = None) -> QAction:
        action = QAction(text, self)
        action.setToolTip(tip)
        if shortcut is not None:
            action.setShortcut(shortcut)
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.triggered.connect(slot)
        return action

    # -------------------------------------------------------------------------------------- refresh
    def workspace(self) -> Path:
        return self._root

    def refresh(self) -> ScanResult:
        """Scan the workspace again (stats only: fast) and show what is there; thumbnails follow."""
        self._refresh_timer.stop()
        t0 = time.perf_counter()
        self._root = workspace_dir()
        result = scan_workspace(self._root)
        self._scan = result
        self._scanned = True
        self._stale = False
        keys = [it.key for it in self.selected_items()]
        current = self.view.currentIndex()
        current_key = current.data(ItemRole).key if current.isValid() and current.data(ItemRole) else None
        scroll = self.view.verticalScrollBar().value()
        if self.model.set_items(result.items):
            self.loader.clear()
            self.select_paths(keys, current_key)
            self.view.verticalScrollBar().setValue(scroll)
        self._update_watcher(result)
        self._update_counts()
        self._update_status()
        self._update_empty()
        self._update_actions()
        self.layout().activate()  # the filter buttons' new counts take their width before the next paint
        self._warm_timer.start()
        self.last_refresh_seconds = time.perf_counter() - t0
        if not self._pruned:
            self._pruned = True
            cache = self.loader.cache_dir
            threading.Thread(target=prune_thumbnail_cache, args=(cache,), name="gallery-prune",
                             daemon=True).start()
        return result

    def _warm(self) -> None:
        self.loader.warm(self.model.warm_entries())

    def thumbnails_idle(self) -> bool:
        """No thumbnail is being made or waiting to be (on screen or for the cache)."""
        return self.loader.is_idle() and not self._warm_timer.isActive()

    def refresh_soon(self) -> None:
        """A job finished or a folder changed: rescan shortly if shown, else when next shown."""
        if self.isVisible():
            self._refresh_timer.start()
        else:
            self._stale = True

    def last_scan(self) -> ScanResult | None:
        return self._scan

    def _refresh_if_visible(self) -> None:
        if self.isVisible():
            self.refresh()
        else:
            self._stale = True

    def _on_folder_changed(self, _path: str) -> None:
        self.refresh_soon()

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        self.refresh()  # cheap (stats only), and catches what no watcher sees (new grids inside a run)

    def _update_watcher(self, result: ScanResult) -> None:
        want = [str(p) for p in result.folders[:WATCH_LIMIT]]
        if not result.root.is_dir() and result.root.parent.is_dir():
            want.append(str(result.root.parent))  # the workspace appears with the first thing saved
        have = set(self.watcher.directories())
        gone = [p for p in have if p not in want]
        if gone:
            self.watcher.removePaths(gone)
        new = [p for p in want if p not in have and os.path.isdir(p)]
        if new:
            self.watcher.addPaths(new)

    # ----------------------------------------------------------------------------------- workspace
    def choose_workspace(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose the workspace folder", str(self._root))
        if folder:
            self.set_workspace(folder)

    def set_workspace(self, folder: str | Path) -> None:
        """Keep runs, artworks and animations in ``folder`` from now on, and show what it holds."""
        set_workspace_dir(folder)
        self.loader.clear()
        self.clear_filters()
        self.refresh()
        self.show_message(f"The workspace is now {self._root}. New runs, artworks and animations are saved there.")
        self.workspace_changed.emit(str(self._root))

    # ------------------------------------------------------------------------------------- filters
    def set_filter(self, key: str) -> None:
        self.filter_buttons[key].setChecked(True)
        self.proxy.set_kind(dict((k, kind) for k, _t, kind in FILTERS)[key])
        self._after_filter()

    def _on_filter_clicked(self, button) -> None:
        self.set_filter(str(button.property("filterKey")))

    def set_search(self, text: str) -> None:
        self.search_box.setText(text)  # textChanged filters live

    def _on_search(self, text: str) -> None:
        self.proxy.set_search(text)
        self._after_filter()

    def clear_filters(self) -> None:
        self.search_box.clear()
        self.set_filter("all")

    def _after_filter(self) -> None:
        self._update_status()
        self._update_empty()
        self._update_actions()

    def _update_counts(self) -> None:
        counts = self._scan.counts() if self._scan is not None else {}
        total = sum(counts.values())
        for key, text, kind in FILTERS:
            n = total if kind is None else counts.get(kind, 0)
            self.filter_buttons[key].setText(f"{text}  {n}" if self._scanned else text)

    def _update_status(self) -> None:
        total = self.model.rowCount()
        shown = self.proxy.rowCount()
        noun = "item" if total == 1 else "items"
        count = f"{shown} of {total} {noun}" if shown != total else f"{total} {noun}"
        self.status_label.setText(f"{count} · workspace: {self._root}")
        self.status_label.setToolTip(str(self._root))

    def _update_empty(self) -> None:
        if self.model.rowCount() == 0:
            self.empty_title.setText("Nothing here yet")
            self.empty_text.setText(
                "Training runs from Train, artworks you save in Stylize and animations you export from "
                "Explore appear here, newest first — each with its recipe, so you can open it again just "
                f"as it was made.\n\nThey are kept in your workspace: {self._root}\n"
                "Pictures you put in that folder yourself show up too.")
            self.empty_button.setVisible(False)
            self.stack.setCurrentIndex(1)
        elif self.proxy.rowCount() == 0:
            words = " ".join(self.proxy.search_words())
            kind = next(t for k, t, kd in FILTERS if kd == self.proxy.kind()).lower()
            what = "items" if self.proxy.kind() is None else kind
            self.empty_title.setText("Nothing matches")
            self.empty_text.setText(f"No {what} named “{words}”." if words else f"There are no {what} yet.")
            self.empty_button.setVisible(True)
            self.stack.setCurrentIndex(1)
        else:
            self.stack.setCurrentIndex(0)

    # ---------------------------------------------------------------------------------- selection
    def visible_items(self) -> list[GalleryItem]:
        """What the grid lists now (after filter and search), in order."""
        return [self.proxy.index(r, 0).data(ItemRole) for r in range(self.proxy.rowCount())]

    def selected_items(self) -> list[GalleryItem]:
        rows = sorted(i.row() for i in self.view.selectionModel().selectedIndexes())
        return [self.proxy.index(r, 0).data(ItemRole) for r in rows]

    def select_paths(self, paths: list[str], current: str | None = None) -> None:
        sel = self.view.selectionModel()
        sel.clearSelection()
        for p in paths:
            row = self.model.row_of(p)
            if row is None:
                continue
            idx = self.proxy.mapFromSource(self.model.index(row, 0))
            if idx.isValid():
                sel.select(idx, sel.SelectionFlag.Select)
        target = current if current is not None else (paths[0] if paths else None)
        row = self.model.row_of(target) if target is not None else None
        if row is not None:
            idx = self.proxy.mapFromSource(self.model.index(row, 0))
            if idx.isValid():
                sel.setCurrentIndex(idx, sel.SelectionFlag.NoUpdate)
                self.view.scrollTo(idx)

    def select_item(self, path: str | Path) -> bool:
        self.select_paths([str(path)])
        return any(it.key == str(path) for it in self.selected_items())

    def _single(self) -> GalleryItem | None:
        items = self.selected_items()
        if items:
            cur = self.view.currentIndex()
            item = cur.data(ItemRole) if cur.isValid() else None
            return item if item in items else items[0]
        return None

    def _update_actions(self, *_args) -> None:
        items = self.selected_items()
        one = len(items) == 1
        copyable = one and (items[0].thumb_source is not None or items[0].kind != "run")
        for action, on in ((self.open_action, one), (self.reveal_action, one), (self.rename_action, one),
                           (self.delete_action, bool(items)), (self.copy_action, copyable),
                           (self.export_action, one)):
            action.setEnabled(on)
        for key, action in (("open", self.open_action), ("reveal", self.reveal_action),
                            ("rename", self.rename_action), ("delete", self.delete_action),
                            ("copy", self.copy_action), ("export", self.export_action)):
            self.action_buttons[key].setEnabled(action.isEnabled())

    def _context_menu(self, pos: QPoint) -> None:
        idx = self.view.indexAt(pos)
        if idx.isValid() and not self.view.selectionModel().isSelected(idx):
            self.view.setCurrentIndex(idx)
        menu = self.context_menu()
        if not menu.isEmpty():
            menu.exec(self.view.viewport().mapToGlobal(pos))

    def context_menu(self) -> QMenu:
        """The right-click menu for the selection (built fresh; empty when nothing is selected)."""
        menu = QMenu(self)
        if not self.selected_items():
            menu.addAction("Refresh", self.refresh)
            menu.addAction("Change workspace…", self.choose_workspace)
            return menu
        for action in (self.open_action, self.reveal_action, None, self.copy_action, self.export_action, None,
                       self.rename_action, self.delete_action):
            if action is None:
                menu.addSeparator()
            else:
                menu.addAction(action)
        return menu

    # ------------------------------------------------------------------------------------- actions
    def _on_activated(self, index) -> None:
        item = index.data(ItemRole)
        if item is not None:
            self.open_item(item)

    def open_selected(self) -> None:
        item = self._single()
        if item is not None:
            self.open_item(item)

    def open_item(self, item: GalleryItem) -> None:
        """Ask the window to open it in its page (artwork → Stylize, run → Train, animation → Explore)."""
        if not item.path.exists():
            self.show_message(f"“{item.name}” is no longer there.", "error")
            self.refresh()
            return
        self.open_requested.emit(item.kind, str(item.path))

    def reveal_selected(self) -> None:
        item = self._single()
        if item is not None:
            self.reveal_path(item.path)

    def reveal_path(self, path: str | Path) -> bool:
        ok = reveal_in_file_manager(path)
        if not ok:
            self.show_message(f"Could not open a file manager. The file is {path}", "error")
        return ok

    def rename_selected(self) -> None:
        item = self._single()
        if item is None:
            return
        name = self.ask_rename(item)
        if name:
            self.rename(item, name)

    def ask_rename(self, item: GalleryItem) -> str | None:
        """The rename dialog (separate so tests can answer without a modal dialog)."""
        dialog = RenameDialog(item, self)
        return dialog.name() if dialog.exec() == QDialog.DialogCode.Accepted else None

    def rename(self, item: GalleryItem, new_name: str) -> Path | None:
        """Rename an item with its recipe (and masks, poster); returns the new path, None if refused."""
        busy = self._busy(item)
        if busy:
            self.show_message(busy, "error")
            return None
        try:
            new_path = rename_item(item, new_name, workspace=self._root)
        except GalleryError as exc:
            self.show_message(str(exc), "error")
            return None
        self.refresh()
        self.select_item(new_path)
        self.show_message(f"Renamed “{item.name}” to “{new_name.strip()}”.")
        return new_path

    def delete_selected(self) -> None:
        self.delete(self.selected_items())

    def confirm_delete(self, items: list[GalleryItem]) -> bool:
        """Ask before deleting (separate so tests can answer without a modal dialog)."""
        what = f"“{items[0].name}”" if len(items) == 1 else f"these {len(items)} items"
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Delete")
        box.setText(f"Move {what} to the trash?")
        box.setInformativeText("Recipes and masks beside them go too. You can restore them from the trash.")
        ok = box.addButton("Move to trash", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        return box.clickedButton() is ok

    def confirm_permanent_delete(self, items: list[GalleryItem]) -> bool:
        """The trash is not available here: ask before deleting for good."""
        names = ", ".join(f"“{it.name}”" for it in items[:3]) + (" …" if len(items) > 3 else "")
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("No trash here")
        box.setText(f"{names} cannot be moved to the trash on this system or drive.")
        box.setInformativeText("Delete permanently? This cannot be undone.")
        ok = box.addButton("Delete permanently", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        return box.clickedButton() is ok

    def delete(self, items: list[GalleryItem], confirm: bool = True) -> int:
        """Move items (with their recipes, masks, posters) to the trash; where there is no trash, ask
        before deleting for good. Returns how many items were removed."""
        items = [it for it in items if it is not None]
        if not items:
            return 0
        busy = [b for b in (self._busy(it) for it in items) if b]
        if busy:
            self.show_message(busy[0], "error")
            return 0
        if confirm and not self.confirm_delete(items):
            return 0
        trashed, untrashable, leftovers = 0, [], []
        for item in items:
            companions = companion_files(item)
            if not item.path.exists():
                continue
            if not move_to_trash(item.path):
                untrashable.append(item)
                continue
            trashed += 1
            leftovers += [c for c in companions if c.exists() and not move_to_trash(c)]
        removed = trashed
        if untrashable and self.confirm_permanent_delete(untrashable):
            for item in untrashable:
                for path in [item.path, *companion_files(item)]:
                    try:
                        _remove_path(path)
                    except OSError as exc:
                        leftovers.append(path)
                        self.show_message(f"Could not delete {path.name}: {exc.strerror or exc}", "error")
                removed += 0 if item.path.exists() else 1
            untrashable = [it for it in untrashable if it.path.exists()]
        self.refresh()
        parts = []
        if trashed:
            parts.append(f"Moved {_count(trashed)} to the trash.")
        if removed > trashed:
            parts.append(f"Deleted {_count(removed - trashed)} permanently.")
        if untrashable:
            parts.append(f"Kept {_count(len(untrashable))}: the trash is not available for "
                         f"{', '.join(it.name for it in untrashable[:3])}.")
        if leftovers:
            parts.append(f"These could not be removed: {', '.join(p.name for p in leftovers[:4])}.")
        if parts:
            self.show_message(" ".join(parts), "error" if untrashable or leftovers else "info")
        return removed

    def copy_selected(self) -> None:
        item = self._single()
        if item is not None:
            self.copy(item)

    def copy(self, item: GalleryItem) -> bool:
        """The picture (a run's newest grid, an animation's first frame) and the file, to the clipboard."""
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(str(item.path))])
        source = item.path if item.kind == "artwork" else item.thumb_source
        image = QImage(str(source)) if source is not None else QImage()
        if not image.isNull():
            mime.setImageData(image)
        elif item.kind == "artwork":
            self.show_message(f"“{item.name}” cannot be read, so only its file was copied.", "error")
        QGuiApplication.clipboard().setMimeData(mime)
        if not image.isNull():
            self.show_message(f"Copied “{item.name}” ({image.width()} × {image.height()} px) to the clipboard.")
        elif item.kind != "artwork":
            self.show_message(f"Copied the file of “{item.name}” (it has no picture to copy).")
        return not image.isNull()

    def export_selected(self) -> None:
        item = self._single()
        if item is not None:
            self.export(item)

    def ask_export_path(self, item: GalleryItem) -> str | None:
        """Where to put a copy (a file dialog; a folder chooser for runs and frame folders)."""
        if item.path.is_dir():
            folder = QFileDialog.getExistingDirectory(self, f"Copy “{item.name}” into", str(Path.home()))
            return str(Path(folder) / item.path.name) if folder else None
        path, _ = QFileDialog.getSaveFileName(self, f"Export a copy of “{item.name}”", str(Path.home() / item.path.name),
                                              f"{item.detail} (*{item.path.suffix});;All files (*)")
        return path or None

    def export(self, item: GalleryItem, dest: str | Path | None = None) -> Path | None:
        """Copy an item elsewhere with its recipe (named after the copy). Returns the copy's path."""
        if dest is None:
            dest = self.ask_export_path(item)
            if not dest:
                return None
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            out = copy_item(item, dest)
        except GalleryError as exc:
            self.show_message(str(exc), "error")
            return None
        finally:
            QApplication.restoreOverrideCursor()
        self.show_message(f"Exported a copy to {out}")
        return out

    def _busy(self, item: GalleryItem) -> str | None:
        return self.busy_check(item.path) if self.busy_check is not None else None

    # -------------------------------------------------------------------------------------- status
    def show_message(self, text: str, level: str = "info") -> None:
        self.message_frame.setProperty("level", level)
        self.message_frame.style().unpolish(self.message_frame)
        self.message_frame.style().polish(self.message_frame)
        for child in self.message_frame.findChildren(QLabel):
            child.style().unpolish(child)
            child.style().polish(child)
        self.message_label.setText(text)
        self.message_frame.setVisible(bool(text))

    def message(self) -> str:
        return self.message_label.text() if self.message_frame.isVisibleTo(self) else ""

    def thumbnails_pending(self) -> int:
        return self.loader.pending()

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt override
        if watched is self.view and event.type() == QEvent.Type.Resize:
            self._fit_grid()
        return super().eventFilter(watched, event)

    def _fit_grid(self) -> None:
        """Spread the columns over the whole width (no empty strip on the right). The scroll bar's width
        is always set aside, so its coming and going cannot make the layout oscillate."""
        bar = self.view.verticalScrollBar()  # QListView lays out with the style's extent for it, shown or not
        extent = self.view.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent, None, bar)
        avail = self.view.maximumViewportSize().width() - extent - 4
        cols = max(1, avail // CELL.width())
        width = max(CELL.width(), avail // cols)
        if width != self.view.gridSize().width():
            self.view.setGridSize(QSize(width, CELL.height()))

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        narrow = self.width() < 1020
        if narrow != self._narrow:
            self._narrow = narrow
            self._bar.setDirection(QBoxLayout.Direction.TopToBottom if narrow else QBoxLayout.Direction.LeftToRight)

    def shutdown(self, timeout_ms: int = 10_000) -> bool:
        """Stop making thumbnails and join the worker threads (the window calls this when closing)."""
        self._refresh_timer.stop()
        self._warm_timer.stop()
        dirs = self.watcher.directories()
        if dirs:
            self.watcher.removePaths(dirs)
        return self.loader.shutdown(timeout_ms)


def _count(n: int) -> str:
    return f"{n} item" if n == 1 else f"{n} items"


def _remove_path(path: Path) -> None:
    import shutil

    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()

