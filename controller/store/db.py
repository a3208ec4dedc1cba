"""The controller's SQLite store: one file, WAL, a connection per thread and one writer at a time."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

from sqlite_utils import Database

from controller.errors import DomainError
from controller.store.schema import migrations


class StoreUnusable(DomainError):
    """The database file exists but cannot be used as it is; the message says what to do."""

    status = 503


_WHAT_TO_DO = (
    "Stop the controller, move the file aside and restore the latest backup into its place"
    " (or remove it to start an empty controller, losing its data)."
)


def check_file(path: Path) -> None:
    """Refuse an existing file that is empty, not SQLite, truncated or corrupted (a missing file is a new store)."""
    if not path.exists():
        return
    if path.stat().st_size == 0:
        raise StoreUnusable(
            f"{path} is empty (0 bytes): it is not treated as a new controller, since an empty file usually"
            f" means a failed copy or restore. {_WHAT_TO_DO}"
        )
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)) as conn:
            rows = conn.execute("PRAGMA quick_check").fetchall()
    except sqlite3.DatabaseError as exc:
        raise StoreUnusable(f"{path} is not a usable SQLite database ({exc}). {_WHAT_TO_DO}") from None
    problems = [r[0] for r in rows if r[0] != "ok"]
    if problems:
        raise StoreUnusable(
            f"{path} is damaged: the integrity check found {len(problems)} problem(s), first: {problems[0]}."
            f" {_WHAT_TO_DO}"
        )


class Store:
    """Opens the database file per thread; `write()` serialises writers inside one transaction."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        # Private by default: the database holds visitor data and token hashes.
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        check_file(self.path)
        self._local = threading.local()
        # One writer at a time inside this process: WAL readers never block, and writers never
        # meet SQLITE_BUSY half-way through a deferred transaction.
        self._write_lock = threading.RLock()
        self._all: list[sqlite3.Connection] = []
        self._all_lock = threading.Lock()
        try:
            with self._write_lock:
                migrations.apply(self.db)
            # SQLite creates its -wal and -shm files with the database file's mode.
            for suffix in ("", "-wal", "-shm"):
                side = Path(f"{self.path}{suffix}")
                if side.exists() and side.stat().st_mode & 0o077:
                    with contextlib.suppress(OSError):
                        side.chmod(0o600)
        except sqlite3.DatabaseError as exc:
            self.close()
            if "full" in str(exc) or "locked" in str(exc):
                raise
            raise StoreUnusable(f"{self.path} could not be opened ({exc}). {_WHAT_TO_DO}") from None

    def _connect(self) -> Database:
        conn = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        # FULL: an ack tells an exhibit it may delete its copy, so the commit must survive power loss.
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=30000")
        with self._all_lock:
            self._all.append(conn)
        return Database(conn, execute_plugins=False)

    @property
    def db(self) -> Database:
        """This thread's connection (reads may run concurrently with the single writer)."""
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = self._connect()
        return db

    @contextlib.contextmanager
    def write(self) -> Iterator[Database]:
        """One transaction, committed on exit, rolled back on error."""
        with self._write_lock:
            db = self.db
            with db.atomic():
                yield db

    def close(self) -> None:
        with self._all_lock:
            for conn in self._all:
                with contextlib.suppress(sqlite3.Error):
                    conn.close()
            self._all.clear()
        self._local = threading.local()


def one(db: Database, sql: str, params: tuple | list | dict = ()) -> dict | None:
    """The first row of a query as a dict, or None."""
    for row in db.query(sql, params):
        return row
    return None


def scalar(db: Database, sql: str, params: tuple | list | dict = ()) -> object:
    """The first column of the first row (or None)."""
    row = db.execute(sql, params).fetchone()
    return row[0] if row else None
