"""The exhibit's durable outbox: every event is committed here before it counts.

SQLite in WAL mode with `synchronous=FULL`, so a committed event survives a power cut.
The kiosk writes visitor events; the agent writes sensor footfall and drains both,
deleting rows only when the controller acknowledges it has committed them.
`seq` is AUTOINCREMENT so it is never reused, even after rows are deleted.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kepu_contracts.events import Event

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    stream  TEXT    NOT NULL DEFAULT 'events',
    id      TEXT    NOT NULL UNIQUE,
    ts      REAL    NOT NULL,
    mono    REAL    NOT NULL,
    boot    TEXT    NOT NULL,
    synced  INTEGER NOT NULL,
    type    TEXT    NOT NULL,
    session TEXT,
    scene   TEXT,
    data    TEXT    NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS outbox_stream_seq ON outbox(stream, seq);
"""

STREAMS = ("events", "footfall")


@dataclass(frozen=True)
class OutboxRow:
    """An event as stored and as sent on the wire (DESIGN.md's event fields)."""

    seq: int
    stream: str
    id: str
    ts: float
    mono: float
    boot: str
    synced: bool
    type: str
    session: str | None
    scene: str | None
    data: dict[str, Any]

    def to_wire(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "seq": self.seq,
            "ts": self.ts,
            "mono": self.mono,
            "boot": self.boot,
            "synced": self.synced,
            "type": self.type,
            "session": self.session,
            "scene": self.scene,
            "data": self.data,
        }


class OutboxFull(Exception):
    """The outbox reached its configured cap; the caller decides what to drop and reports it."""


def connect(path: Path | str, timeout: float = 30.0) -> sqlite3.Connection:
    """Open the outbox with the durability settings every writer must share."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=timeout, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA busy_timeout=30000")
    conn.executescript(SCHEMA)
    return conn


class Outbox:
    """Append events durably; read and delete them in seq order. Thread-safe."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self._conn = connect(self.path)
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def append(self, events: Iterable[Event], stream: str = "events") -> int:
        """Commit events in one transaction; returns how many were written."""
        rows = [
            (
                stream,
                e.id,
                e.stamp.ts,
                e.stamp.mono,
                e.stamp.boot,
                int(e.stamp.synced),
                e.type,
                e.session,
                e.scene,
                json.dumps(e.data, ensure_ascii=False, separators=(",", ":")),
            )
            for e in events
        ]
        if not rows:
            return 0
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._conn.executemany(
                    "INSERT OR IGNORE INTO outbox (stream, id, ts, mono, boot, synced, type, session, scene, data)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?)",
                    rows,
                )
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
        return len(rows)

    def pending(self, stream: str = "events", after_seq: int = 0, limit: int = 500) -> list[OutboxRow]:
        """Rows not yet acknowledged, oldest first, with seq greater than `after_seq`."""
        with self._lock:
            cur = self._conn.execute(
                "SELECT seq, stream, id, ts, mono, boot, synced, type, session, scene, data FROM outbox"
                " WHERE stream = ? AND seq > ? ORDER BY seq LIMIT ?",
                (stream, after_seq, limit),
            )
            raw = cur.fetchall()
        return [_row(r) for r in raw]

    def delete_range(self, stream: str, from_seq: int, upto_seq: int) -> int:
        """Forget rows the controller has committed; returns how many were deleted."""
        with self._lock:
            cur = self._conn.execute(
                "DELETE FROM outbox WHERE stream = ? AND seq BETWEEN ? AND ?", (stream, from_seq, upto_seq)
            )
            return cur.rowcount

    def adopt(self, other: Path | str) -> int:
        """Append every row of another outbox file (new seqs, same ids) in one transaction; returns rows added.

        For events recorded elsewhere — a backfilled history, or an outbox rescued from a
        failed SD card — that should leave through this exhibit's agent like its own.
        """
        columns = "stream, id, ts, mono, boot, synced, type, session, scene, data"
        with self._lock:
            self._conn.execute("ATTACH DATABASE ? AS other", (str(other),))
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    cur = self._conn.execute(
                        f"INSERT OR IGNORE INTO outbox ({columns}) SELECT {columns} FROM other.outbox ORDER BY seq"
                    )
                    self._conn.execute("COMMIT")
                except BaseException:
                    self._conn.execute("ROLLBACK")
                    raise
                return cur.rowcount
            finally:
                self._conn.execute("DETACH DATABASE other")

    def count(self, stream: str | None = None) -> int:
        with self._lock:
            if stream is None:
                row = self._conn.execute("SELECT COUNT(*) FROM outbox").fetchone()
            else:
                row = self._conn.execute("SELECT COUNT(*) FROM outbox WHERE stream = ?", (stream,)).fetchone()
        return int(row[0])

    def size_bytes(self) -> int:
        """Bytes on disk, WAL included: what the cap is measured against."""
        total = 0
        for suffix in ("", "-wal"):
            try:
                total += Path(f"{self.path}{suffix}").stat().st_size
            except FileNotFoundError:
                pass
        return total


def _row(r: tuple[Any, ...]) -> OutboxRow:
    try:
        data = json.loads(r[10])
    except (TypeError, ValueError):
        data = {"_raw": r[10]}
    return OutboxRow(
        seq=r[0],
        stream=r[1],
        id=r[2],
        ts=r[3],
        mono=r[4],
        boot=r[5],
        synced=bool(r[6]),
        type=r[7],
        session=r[8],
        scene=r[9],
        data=data,
    )
