"""When the database cannot be written (disk full, locked past the busy timeout, I/O error).

Ingest must outlive it: the message is not acked, it is retried with backoff, and the
condition is visible (API, dashboard banner) until a write succeeds again.
"""

from __future__ import annotations

import errno
import sqlite3
import threading
from dataclasses import dataclass

# SQLite's words for "the store, not the message, is the problem": retrying later can succeed.
_STORAGE_WORDS = ("database or disk is full", "database is locked", "disk i/o error", "unable to open database")


class StorageUnavailable(RuntimeError):
    """The store refused a write for a reason of its own; the message is fine and must be retried."""


def is_storage_error(exc: BaseException) -> bool:
    if isinstance(exc, StorageUnavailable):
        return True
    if isinstance(exc, sqlite3.OperationalError):
        return any(word in str(exc).lower() for word in _STORAGE_WORDS)
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EIO)


@dataclass(frozen=True)
class StorageReport:
    ok: bool
    error: str | None
    since: float | None  # when the current failure began
    failures: int  # failed attempts since then
    pending: int  # messages waiting to be retried
    last_ok: float | None


class StorageHealth:
    """Thread-safe: the ingest worker writes it, the API and the dashboard read it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._error: str | None = None
        self._since: float | None = None
        self._failures = 0
        self._pending = 0
        self._last_ok: float | None = None

    def failed(self, exc: BaseException, now: float) -> None:
        with self._lock:
            if self._error is None:
                self._since = now
            self._error = str(exc) or type(exc).__name__
            self._failures += 1

    def succeeded(self, now: float) -> None:
        with self._lock:
            self._error, self._since, self._failures, self._last_ok = None, None, 0, now

    def set_pending(self, pending: int) -> None:
        with self._lock:
            self._pending = pending

    def report(self) -> StorageReport:
        with self._lock:
            return StorageReport(
                self._error is None, self._error, self._since, self._failures, self._pending, self._last_ok
            )
