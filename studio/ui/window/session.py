"""The working session on disk: what each page had open (dataset, Stylize inputs and settings…), so a
restart can pick up where the artist left off.

The page protocol is two optional methods: ``session_state() -> dict`` (JSON-able, small) and
``restore_session(dict)``. ``SessionStore`` is the file (``working_session.json`` beside the
preferences; ``session.json`` there is the training marker), written atomically and checked when read:
a file that is too big, not JSON or of another version is ignored, never trusted. ``SessionKeeper`` is
the window's side: it gathers the pages' states on close and every few minutes, and restores them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer

__all__ = ["SESSION_FILE", "SESSION_VERSION", "SessionKeeper", "SessionStore"]

SESSION_FILE = "working_session.json"
SESSION_VERSION = 1
MAX_BYTES = 2_000_000  # a session is a few paths and numbers; anything bigger is not ours
AUTOSAVE_MS = 120_000


class SessionStore:
    """Reads and writes the session file (Qt-free)."""

    def __init__(self, path: str | Path | None = None) -> None:
        if path is None:
            from studio.preferences import config_dir

            path = config_dir() / SESSION_FILE
        self.path = Path(path)

    def load(self) -> dict[str, dict[str, Any]] | None:
        """The pages' saved states ({page key: state}), or None when there is nothing usable."""
        try:
            if self.path.stat().st_size > MAX_BYTES:
                return None
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("version") != SESSION_VERSION:
            return None
        pages = data.get("pages")
        if not isinstance(pages, dict):
            return None
        usable = {k: v for k, v in pages.items() if isinstance(k, str) and isinstance(v, dict) and v}
        return usable or None

    def save(self, pages: dict[str, dict[str, Any]]) -> Path:
        from studio.engine.runs import atomic_write_bytes  # light: no torch, no Qt

        text = json.dumps({"version": SESSION_VERSION, "pages": pages}, indent=2, sort_keys=True,
                          default=str)
        atomic_write_bytes(self.path, (text + "\n").encode("utf-8"))
        return self.path

    def clear(self) -> None:
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass


class SessionKeeper(QObject):
    """Gathers ``session_state()`` from the pages that offer it; ``pages`` returns {key: page or None}."""

    def __init__(self, pages: Callable[[], dict[str, Any]], store: SessionStore | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pages = pages
        self.store = store or SessionStore()
        self._last_written: str | None = None
        self.problems: list[str] = []  # pages whose state could not be taken or given back
        self.timer = QTimer(self)
        self.timer.setInterval(AUTOSAVE_MS)
        self.timer.timeout.connect(self.save)

    def _pages_with(self, method: str) -> dict[str, Any]:
        return {k: p for k, p in self._pages().items() if p is not None and callable(getattr(p, method, None))}

    def gather(self) -> dict[str, dict[str, Any]]:
        states = {}
        for key, page in self._pages_with("session_state").items():
            try:
                state = page.session_state()
            except Exception as exc:  # noqa: BLE001 - one page's slip must not lose the others' state
                self.problems.append(f"{key}: {exc}")
                continue
            if isinstance(state, dict) and state:
                states[key] = state
        return states

    def save(self) -> bool:
        """Write the session if it changed since the last write. True when written."""
        states = self.gather()
        if not states:
            return False
        text = json.dumps(states, sort_keys=True, default=str)
        if text == self._last_written:
            return False
        try:
            self.store.save(states)
        except OSError as exc:
            self.problems.append(f"could not write {self.store.path}: {exc}")
            return False
        self._last_written = text
        return True

    def saved(self) -> dict[str, dict[str, Any]] | None:
        return self.store.load()

    def restore(self, states: dict[str, dict[str, Any]]) -> list[str]:
        """Give each page its state back. Returns the keys of the pages restored."""
        done = []
        for key, page in self._pages_with("restore_session").items():
            state = states.get(key)
            if not state:
                continue
            try:
                page.restore_session(dict(state))
            except Exception as exc:  # noqa: BLE001 - a stale path in one page must not stop the rest
                self.problems.append(f"{key}: {exc}")
                continue
            done.append(key)
        self._last_written = json.dumps(self.gather(), sort_keys=True, default=str)
        return done
