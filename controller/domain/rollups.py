"""Hourly rollups kept at ingest (hour × exhibit × venue × pack), so reports never scan raw events."""

from __future__ import annotations

import bisect
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from controller.domain.opening import Buckets, buckets, check_opening_hours, closed_of, open_seconds
from controller.store.schema import DWELL_BUCKETS, DWELL_COLUMNS, ROLLUP_COUNTERS
from kepu_contracts.events import EventType
from kepu_contracts.messages import number

_INSERT = (
    "INSERT INTO rollup_hourly (hour, day, month, exhibit, venue, pack, {cols}) VALUES (?,?,?,?,?,?,{marks})"
    " ON CONFLICT(hour, exhibit, venue, pack) DO UPDATE SET {updates}"
)


MEDIA_SOURCES = ("scene", "signage")
MEDIA_KINDS = ("video", "picture", "slide")
MAX_PLAY_SECONDS = 6 * 3600.0  # longer than any film or playlist item: a bad clock, not a play


@dataclass(frozen=True)
class MediaPlay:
    """What one media event adds to proof of play."""

    item: str
    kind: str
    source: str
    plays: int = 0
    completed: int = 0
    seconds: float = 0.0


def media_play(kind: str, data: dict[str, Any]) -> MediaPlay | None:
    """The proof-of-play counts of a `media_start` / `media_end` event; None when it names no item."""
    item = data.get("item")
    if kind not in (EventType.MEDIA_START, EventType.MEDIA_END) or not isinstance(item, str) or not item:
        return None
    media_kind = str(data["kind"]) if data.get("kind") in MEDIA_KINDS else "video"
    source = str(data["source"]) if data.get("source") in MEDIA_SOURCES else "scene"
    if kind == EventType.MEDIA_START:
        return MediaPlay(item[:200], media_kind, source, plays=1)
    seconds = min(max(number(data.get("seconds")) or 0.0, 0.0), MAX_PLAY_SECONDS)
    return MediaPlay(item[:200], media_kind, source, completed=int(data.get("completed") is True), seconds=seconds)


def dwell_column(seconds: float) -> str:
    """The histogram column a session's dwell time falls into."""
    index = bisect.bisect_right(DWELL_BUCKETS, max(0.0, seconds)) - 1
    return DWELL_COLUMNS[index]


class RollupDelta:
    """Counts gathered while ingesting one batch, written in the same transaction."""

    def __init__(self, tz: str) -> None:
        self.tz = tz
        self.hourly: dict[tuple[str, str, str, str, str, str], dict[str, float]] = defaultdict(
            lambda: defaultdict(float)
        )
        self.quiz: dict[tuple[str, str, str, str, str, str, str, int], int] = defaultdict(int)
        self.media: dict[tuple[str, ...], list[float]] = defaultdict(lambda: [0, 0, 0.0])
        self._labels: dict[int, Buckets] = {}

    def _buckets(self, ts: float) -> Buckets:
        # Zones with whole-hour offsets share labels within a UTC hour: compute once per hour, not per event.
        hour = int(ts // 3600)
        cached = self._labels.get(hour)
        if cached is None:
            cached = self._labels[hour] = buckets(hour * 3600.0, self.tz)
        return cached

    def add(self, ts: float, exhibit: str, venue: str, pack: str, **counts: float) -> None:
        b = self._buckets(ts)
        row = self.hourly[(b.hour, b.day, b.month, exhibit, venue, pack)]
        for name, value in counts.items():
            row[name] += value

    def add_quiz(
        self, ts: float, exhibit: str, venue: str, pack: str, question: str, choice: str, correct: bool
    ) -> None:
        b = self._buckets(ts)
        self.quiz[(b.day, b.month, exhibit, venue, pack, question, choice, int(correct))] += 1

    def add_media(self, ts: float, exhibit: str, venue: str, pack: str, play: MediaPlay) -> None:
        """One `media_start` (a play) or `media_end` (completed, seconds shown) of one item."""
        b = self._buckets(ts)
        row = self.media[(b.hour, b.day, b.month, exhibit, venue, pack, play.item, play.source, play.kind)]
        row[0] += play.plays
        row[1] += play.completed
        row[2] += play.seconds

    def flush(self, db: Database) -> None:
        """Add the gathered counts onto the stored rollups (inside the caller's transaction)."""
        sql = _INSERT.format(
            cols=", ".join(ROLLUP_COUNTERS),
            marks=",".join("?" * len(ROLLUP_COUNTERS)),
            updates=", ".join(f"{c} = {c} + excluded.{c}" for c in ROLLUP_COUNTERS),
        )
        rows = [(*key, *(_stored(counts.get(c, 0)) for c in ROLLUP_COUNTERS)) for key, counts in self.hourly.items()]
        if rows:
            db.conn.executemany(sql, rows)
        quiz = [(*key, n) for key, n in self.quiz.items()]
        if quiz:
            db.conn.executemany(
                "INSERT INTO rollup_quiz (day, month, exhibit, venue, pack, question, choice, correct, answers)"
                " VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT(day, exhibit, venue, pack, question, choice)"
                " DO UPDATE SET answers = answers + excluded.answers",
                quiz,
            )
        media = [(*key, *counts) for key, counts in self.media.items()]
        if media:
            db.conn.executemany(
                "INSERT INTO rollup_media (hour, day, month, exhibit, venue, pack, item, source, kind,"
                " plays, completed, seconds) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"
                " ON CONFLICT(hour, exhibit, venue, pack, item, source) DO UPDATE SET"
                " plays = plays + excluded.plays, completed = completed + excluded.completed,"
                " seconds = seconds + excluded.seconds",
                media,
            )
        self.hourly.clear()
        self.quiz.clear()
        self.media.clear()


def _stored(value: float) -> float | int:
    # Whole counts are stored as integers, so SQLite sums stay exact.
    return int(value) if float(value).is_integer() else value


def event_counts(kind: str, data: dict[str, Any]) -> dict[str, float]:
    """The rollup counters one event adds by itself (sessions and completions are decided by the visits table)."""
    counts: dict[str, float] = {"events": 1}
    if kind == EventType.SESSION_END:
        duration, interactions = number(data.get("duration")), number(data.get("interactions"))
        counts["ended"] = 1
        if interactions is not None and interactions >= 2:
            counts["meaningful"] = 1
        if duration is not None and duration >= 0:
            counts["dwell_sum"] = duration
            counts[dwell_column(duration)] = 1
    elif kind == EventType.TAP:
        counts["interactions"] = 1
    elif kind == EventType.RATING and data.get("value") in ("up", "down"):
        counts[f"rating_{data['value']}"] = 1
    elif kind == EventType.FOOTFALL and data.get("direction", "in") == "in":
        # Passers-by are entries only: a visitor who leaves is not a second passer-by.
        count = number(data.get("count"))
        counts["footfall"] = int(count) if count is not None and count >= 0 else 1
    return counts


class Itinerary:
    """An exhibit's stays, for finding the venue at any instant (in transit: none)."""

    def __init__(self, stays: Sequence[tuple[float, float, str]]) -> None:
        self.stays = sorted(stays)
        self._starts = [s[0] for s in self.stays]

    @classmethod
    def load(cls, db: Database, exhibit: str) -> Itinerary:
        rows = db.execute("SELECT starts, ends, venue FROM rotations WHERE exhibit = ?", [exhibit]).fetchall()
        return cls([(r[0], r[1], r[2]) for r in rows])

    def venue_at(self, ts: float) -> str | None:
        i = bisect.bisect_right(self._starts, ts) - 1
        if i >= 0 and self.stays[i][0] <= ts < self.stays[i][1]:
            return self.stays[i][2]
        return None


def accrue_online(db: Database, exhibit: str, start: float, end: float, tz: str, lit: bool = True) -> None:
    """Add online minutes for [start, end), split by local hour, attributed to the venue of each slice.

    `lit`: the kiosk was alive and the display on (from health). Only lit minutes within opening
    hours count towards 开机率 (`online_open_minutes`); dark ones are still online minutes.
    """
    if end <= start:
        return
    itinerary = Itinerary.load(db, exhibit)
    row = db.execute("SELECT pack_id FROM exhibits WHERE id = ?", [exhibit]).fetchone()
    pack = (row[0] or "") if row else ""  # what it was showing, so online time is known per pack too
    record_online_span(db, exhibit, start, end, pack, lit)
    delta = RollupDelta(tz)
    add_online(db, delta, itinerary, exhibit, pack, start, end, {}, lit)
    delta.flush(db)


def record_online_span(db: Database, exhibit: str, start: float, end: float, pack: str, lit: bool = True) -> None:
    """Keep the raw online interval (extending the last one when contiguous), so rollups can be rebuilt."""
    cur = db.conn.execute(
        "UPDATE online_spans SET ends = ? WHERE exhibit = ? AND ends = ? AND pack = ? AND lit = ?",
        (end, exhibit, start, pack, int(lit)),
    )
    if cur.rowcount == 0:
        db.conn.execute(
            "INSERT INTO online_spans (exhibit, starts, ends, pack, lit) VALUES (?,?,?,?,?)",
            (exhibit, start, end, pack, int(lit)),
        )


def add_online(
    db: Database,
    delta: RollupDelta,
    itinerary: Itinerary,
    exhibit: str,
    pack: str,
    start: float,
    end: float,
    hours_by_venue: dict[str, Any],
    lit: bool = True,
) -> None:
    """Gather online minutes for [start, end) into `delta`, sliced by local hour and by stay.

    `hours_by_venue` caches each venue's (opening hours, closed days) across calls.
    """
    boundaries = sorted({s for stay in itinerary.stays for s in stay[:2]})
    t = start
    while t < end:
        # Slices end at the next whole hour or stay boundary, whichever comes first.
        nxt = min(end, (int(t) // 3600 + 1) * 3600)
        i = bisect.bisect_right(boundaries, t)
        if i < len(boundaries) and boundaries[i] < nxt:
            nxt = boundaries[i]
        venue = itinerary.venue_at(t) or ""
        open_minutes = 0.0
        if venue and lit:
            if venue not in hours_by_venue:
                raw = db.execute("SELECT opening_hours, closed_days FROM venues WHERE id = ?", [venue]).fetchone()
                hours_by_venue[venue] = (
                    (check_opening_hours(json.loads(raw[0])), closed_of(raw[1])) if raw else ({}, ())
                )
            hours, closed = hours_by_venue[venue]
            open_minutes = open_seconds(hours, t, nxt, delta.tz, closed) / 60
        delta.add(t, exhibit, venue, pack, online_minutes=(nxt - t) / 60, online_open_minutes=open_minutes)
        t = nxt


def backfill_online_spans(db: Database, tz: str) -> int:
    """Online minutes rolled up before spans were kept become one span per exhibit-hour-pack (once)."""
    if db.execute("SELECT 1 FROM counters WHERE name = 'online_spans_backfilled'").fetchone():
        return 0
    from datetime import datetime

    from controller.domain.opening import zone

    spans = []
    for exhibit, hour, pack, minutes in db.execute(
        "SELECT exhibit, hour, pack, SUM(online_minutes) FROM rollup_hourly WHERE online_minutes > 0"
        " GROUP BY exhibit, hour, pack"
    ):
        # Where inside the hour is unknown: the minutes are placed at its start.
        start = datetime.strptime(hour, "%Y-%m-%dT%H").replace(tzinfo=zone(tz)).timestamp()
        spans.append((exhibit, start, start + min(60.0, minutes) * 60, pack))
    db.conn.executemany("INSERT INTO online_spans (exhibit, starts, ends, pack) VALUES (?,?,?,?)", spans)
    db.conn.execute("INSERT INTO counters (name, value) VALUES ('online_spans_backfilled', 1)")
    return len(spans)


def counts_as_completion(db: Database, session: str, interactions: float | None) -> bool:
    """An ended, meaningful session that reached its pack's goal scene."""
    if interactions is None or interactions < 2:
        return False
    row = db.conn.execute("SELECT completed FROM visits WHERE session = ?", (session,)).fetchone()
    return bool(row and row[0])
