"""Errors that carry a sentence for people.

Every refusal the studio makes — a bad file, a value that would not fit in memory, a full disk — reaches
the artist as one plain sentence that says what happened and, where we know, what to do. The engine's
own error types derive from :class:`StudioError`, which keeps that sentence apart from technical
details; :func:`describe_error` turns *any* exception into such a sentence, so the CLI, the Qt bridge and
the job protocol print it the same way and never show a Python class name for an expected problem.

Imports neither torch nor Qt.
"""

from __future__ import annotations

import errno

__all__ = ["StudioError", "describe_error", "error_details"]


class StudioError(Exception):
    """An expected problem, with ``message`` written for an artist and optional ``details`` for a bug report."""

    def __init__(self, message: str = "", details: str = "") -> None:
        super().__init__(message)
        self.details = details

    @property
    def message(self) -> str:
        return str(self)


# OSError numbers an artist meets, in words. ``{where}`` is " (path)" or "".
_OS_SENTENCES = {
    errno.ENOSPC: "The disk is full{where}. Free some space or choose another folder, then try again.",
    errno.EDQUOT: "Your disk quota is used up{where}. Free some space or choose another folder.",
    errno.EACCES: "The studio may not write or read there{where}. Choose a folder you own.",
    errno.EPERM: "The studio may not write or read there{where}. Choose a folder you own.",
    errno.EROFS: "That place is read-only{where}. Choose another folder.",
    errno.ENOENT: "A file or folder is missing{where}.",
    errno.EISDIR: "A folder is in the way where a file was expected{where}.",
    errno.ENOTDIR: "A file is in the way where a folder was expected{where}.",
    errno.ENAMETOOLONG: "The file name is too long{where}. Choose a shorter name.",
    errno.EIO: "The disk reported a read/write error{where}. Check the drive and try again.",
}


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return text
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?", ")", "…")) else text + "."


def describe_error(exc: BaseException) -> str:
    """One sentence for ``exc``: what happened and what to do, without a Python class name when expected."""
    if isinstance(exc, StudioError):
        return _sentence(exc.message) or "Something went wrong."
    if isinstance(exc, MemoryError):
        return ("The computer ran out of memory. Try a smaller size, batch or number of frames, "
                "or close other programs.")
    if isinstance(exc, OSError):
        path = exc.filename or ""
        where = f" ({path})" if path else ""
        if exc.errno in _OS_SENTENCES:
            return _OS_SENTENCES[exc.errno].format(where=where)
        reason = exc.strerror or str(exc) or "the operating system refused"
        return _sentence(f"Could not read or write{where}: {reason}")
    text = str(exc)
    lowered = text.lower()
    if "out of memory" in lowered or "can't allocate" in lowered or "tried to allocate" in lowered:
        return ("The computer ran out of memory. Try a smaller size, batch or number of frames, "
                "or close other programs.")
    if isinstance(exc, ValueError) and text:
        return _sentence(text)
    name = type(exc).__name__
    return f"{name}: {text}" if text else name  # an unexpected error: keep the class for the bug report


def error_details(exc: BaseException) -> str:
    """Technical details worth keeping beside the sentence (the StudioError's own, else the class and text)."""
    if isinstance(exc, StudioError) and exc.details:
        return exc.details
    return f"{type(exc).__name__}: {exc}"
