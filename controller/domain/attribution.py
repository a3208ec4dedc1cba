"""Re-attribution: when an itinerary changes, stored events follow it and the rollups they feed are rebuilt.

Ingest attributes each event once, from the itinerary it knows then (the fast path). A stay that
is created, moved or cancelled afterwards changes where the exhibit stood during some interval;
the events in that interval are given the venue the new itinerary says (or in transit), and every
exhibit-hour (and, for quiz answers, exhibit-day) the interval touches is rebuilt from the raw
events and online spans — inside the caller's transaction, so no report ever sees half of it.

Door-counter footfall is not moved: it stays at the venue where it was booked when it arrived.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlite_utils import Database

from controller.domain.opening import buckets, zone
from controller.domain.rollups import (
    Itinerary,
    RollupDelta,
    add_online,
    counts_as_completion,
    event_counts,
    media_play,
)
from kepu_contracts.events import EventType

Interval = tuple[float, float]


@dataclass(frozen=True)
class Reattribution:
    """What one itinerary change did to stored data."""

    exhibit: str
    intervals: tuple[Interval, ...]
    events_moved: int
    visits_moved: int
    hours_rebuilt: int

    def detail(self, tz: str) -> dict[str, Any]:
        from kepu_contracts.times import iso

        return {
            "exhibit": self.exhibit,
            "intervals": [[iso(a, tz), iso(b, tz)] for a, b in self.intervals],
            "events_moved": self.events_moved,
            "visits_moved": self.visits_moved,
            "hours_rebuilt": self.hours_rebuilt,
        }


def changed_intervals(old: Interval | None, new: Interval | None) -> list[Interval]:
    """Where attribution can differ between a stay's old and new extent: their symmetric difference."""
    points = sorted({p for iv in (old, new) if iv for p in iv})
    out: list[Interval] = []
    for a, b in itertools.pairwise(points):
        inside = [iv is not None and iv[0] <= a and b <= iv[1] for iv in (old, new)]
        if inside[0] != inside[1]:
            if out and out[-1][1] == a:
                out[-1] = (out[-1][0], b)
            else:
                out.append((a, b))
    return out


def _merge(intervals: Iterable[Interval]) -> list[Interval]:
    out: list[Interval] = []
    for a, b in sorted(intervals):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _slices(itinerary: Itinerary, a: float, b: float) -> list[tuple[float, float, str]]:
    """[a, b) cut at stay boundaries, each piece with the venue it belongs to ("" in transit)."""
    cuts = sorted({a, b} | {p for stay in itinerary.stays for p in stay[:2] if a < p < b})
    return [(x, y, itinerary.venue_at(x) or "") for x, y in itertools.pairwise(cuts)]


def _local_day_bounds(a: float, b: float, tz: str) -> Interval:
    zi = zone(tz)
    first = datetime.fromtimestamp(a, zi).date()
    last = datetime.fromtimestamp(math.nextafter(b, -math.inf), zi).date() + timedelta(days=1)
    return (
        datetime.combine(first, datetime.min.time(), zi).timestamp(),
        datetime.combine(last, datetime.min.time(), zi).timestamp(),
    )


def reattribute(db: Database, exhibit: str, intervals: Sequence[Interval], tz: str) -> Reattribution:
    """Re-attribute `exhibit`'s events in `intervals` to its current itinerary and rebuild the rollups they touch."""
    intervals = _merge(iv for iv in intervals if iv[1] > iv[0])
    itinerary = Itinerary.load(db, exhibit)
    events_moved = visits_moved = 0
    for a, b in intervals:
        for x, y, venue in _slices(itinerary, a, b):
            events_moved += db.conn.execute(
                "UPDATE events SET venue = ?, in_transit = ? WHERE exhibit = ? AND ts >= ? AND ts < ?"
                " AND type != ? AND venue != ?",
                (venue, int(not venue), exhibit, x, y, EventType.FOOTFALL, venue),
            ).rowcount
            visits_moved += db.conn.execute(
                "UPDATE visits SET venue = ? WHERE exhibit = ? AND started >= ? AND started < ? AND venue != ?",
                (venue, exhibit, x, y, venue),
            ).rowcount
    # Whole UTC hours are whole local hours (the controller's zone has whole-hour offsets).
    hours = _merge((math.floor(a / 3600) * 3600.0, math.ceil(b / 3600) * 3600.0) for a, b in intervals)
    days = _merge(_local_day_bounds(a, b, tz) for a, b in intervals)
    hours_rebuilt = 0
    for h0, h1 in hours:
        hours_rebuilt += round((h1 - h0) / 3600)
        _rebuild_hours(db, itinerary, exhibit, h0, h1, tz)
    for d0, d1 in days:
        _rebuild_quiz(db, exhibit, d0, d1, tz)
    return Reattribution(exhibit, tuple(intervals), events_moved, visits_moved, hours_rebuilt)


def _rebuild_hours(db: Database, itinerary: Itinerary, exhibit: str, h0: float, h1: float, tz: str) -> None:
    """Replace the exhibit's hourly rollups for [h0, h1) with counts from raw events and online spans."""
    first, last = buckets(h0, tz).hour, buckets(h1 - 1, tz).hour
    db.conn.execute("DELETE FROM rollup_hourly WHERE exhibit = ? AND hour >= ? AND hour <= ?", (exhibit, first, last))
    db.conn.execute("DELETE FROM rollup_media WHERE exhibit = ? AND hour >= ? AND hour <= ?", (exhibit, first, last))
    delta = RollupDelta(tz)
    # Ingest counts a session once (its visits row) and a completion at its session's end: follow the same rules.
    started = {
        r[0]: r[1]
        for r in db.execute(
            "SELECT session, started FROM visits WHERE exhibit = ? AND started >= ? AND started < ?", [exhibit, h0, h1]
        )
    }

    for ts, kind, session, _scene, raw, venue, pack in db.execute(
        "SELECT ts, type, session, scene, data, venue, pack FROM events WHERE exhibit = ? AND ts >= ? AND ts < ?"
        " ORDER BY ts, received, rowid",
        [exhibit, h0, h1],
    ):
        counts = event_counts(kind, _data(raw))
        if kind == EventType.SESSION_START and session is not None and started.get(session) == ts:
            del started[session]
            counts["sessions"] = 1
        elif kind == EventType.SESSION_END and session is not None:
            data = _data(raw)
            interactions = data.get("interactions") if isinstance(data.get("interactions"), (int, float)) else None
            if counts_as_completion(db, session, interactions):
                counts["completions"] = 1
        elif kind in (EventType.MEDIA_START, EventType.MEDIA_END):
            play = media_play(kind, _data(raw))
            if play is not None:
                delta.add_media(ts, exhibit, venue, pack, play)
        delta.add(ts, exhibit, venue, pack, **counts)
    hours_by_venue: dict[str, Any] = {}
    for a, b, pack, lit in db.execute(
        "SELECT starts, ends, pack, lit FROM online_spans WHERE exhibit = ? AND ends > ? AND starts < ?",
        [exhibit, h0, h1],
    ):
        add_online(db, delta, itinerary, exhibit, pack, max(a, h0), min(b, h1), hours_by_venue, bool(lit))
    delta.flush(db)


def _rebuild_quiz(db: Database, exhibit: str, d0: float, d1: float, tz: str) -> None:
    """Replace the exhibit's quiz rollups for the local days in [d0, d1) with counts from raw answers."""
    first, last = buckets(d0, tz).day, buckets(d1 - 1, tz).day
    db.conn.execute("DELETE FROM rollup_quiz WHERE exhibit = ? AND day >= ? AND day <= ?", (exhibit, first, last))
    delta = RollupDelta(tz)
    for ts, raw, venue, pack in db.execute(
        "SELECT ts, data, venue, pack FROM events WHERE exhibit = ? AND ts >= ? AND ts < ? AND type = ?",
        [exhibit, d0, d1, EventType.QUIZ_ANSWER],
    ):
        data = _data(raw)
        question, choice = data.get("question"), data.get("choice")
        if question is not None and choice is not None:
            delta.add_quiz(ts, exhibit, venue, pack, str(question), str(choice), bool(data.get("correct")))
    delta.flush(db)


def _data(raw: str | None) -> dict[str, Any]:
    data = json.loads(raw or "{}")
    return data if isinstance(data, dict) else {}


def reattribute_all(db: Database, tz: str, exhibits: Sequence[str] | None = None) -> list[Reattribution]:
    """Re-attribute every stored event (of `exhibits`, or all) to the itineraries as they stand: a repair."""
    if exhibits is None:
        exhibits = [r[0] for r in db.execute("SELECT id FROM exhibits ORDER BY id")]
    done = []
    for exhibit in exhibits:
        lo, hi = db.execute(
            "SELECT MIN(a), MAX(b) FROM (SELECT MIN(ts) AS a, MAX(ts) AS b FROM events WHERE exhibit = ?"
            " UNION ALL SELECT MIN(starts), MAX(ends) FROM online_spans WHERE exhibit = ?)",
            [exhibit, exhibit],
        ).fetchone()
        if lo is not None:
            done.append(reattribute(db, exhibit, [(lo, math.nextafter(hi, math.inf))], tz))
    return done
