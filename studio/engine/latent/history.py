"""Undo/redo for an editor whose whole state is one comparable value (the Explore timeline's dict).

Repeated edits of one control within ``coalesce_s`` are one step, so holding a spin box arrow does not
fill the history. Widget-free, so the rules are testable without Qt.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

__all__ = ["EditHistory"]


class EditHistory:
    """Steps are ``{"state": ..., "row": selection}``; the editor applies them and calls :meth:`commit`."""

    def __init__(self, limit: int = 200, coalesce_s: float = 1.5,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.coalesce_s, self._clock = limit, coalesce_s, clock
        self._undo: list[dict] = []
        self._redo: list[dict] = []
        self._committed: Any = None
        self._coalesce: tuple[object, float] | None = None

    def can_undo(self) -> bool:
        return bool(self._undo)

    def can_redo(self) -> bool:
        return bool(self._redo)

    def reset(self, state: Any) -> None:
        """A new document: no history, ``state`` is where it starts."""
        self._undo.clear()
        self._redo.clear()
        self.commit(state)

    def commit(self, state: Any) -> None:
        """``state`` is now current without being a step (after an undo/redo was applied)."""
        self._committed = state
        self._coalesce = None

    def record(self, state: Any, row_before: int, tag: object = None) -> bool:
        """An edit made ``state``; pushes the state before it (unless merged). True when something changed."""
        if self._committed is None or state == self._committed:
            self._committed = state
            return False
        now = self._clock()
        merge = (tag is not None and self._coalesce is not None and self._coalesce[0] == tag
                 and now - self._coalesce[1] < self.coalesce_s and bool(self._undo))
        if not merge:
            self._undo.append({"state": self._committed, "row": row_before})
            del self._undo[:-self.limit]
        self._coalesce = (tag, now) if tag is not None else None
        self._redo.clear()
        self._committed = state
        return True

    def undo(self, state: Any, row: int) -> dict | None:
        """The step to apply, given the current state and selection (kept for redo); None when empty."""
        if not self._undo:
            return None
        self._redo.append({"state": state, "row": row})
        return self._undo.pop()

    def redo(self, state: Any, row: int) -> dict | None:
        if not self._redo:
            return None
        self._undo.append({"state": state, "row": row})
        return self._redo.pop()
