"""MQTT ingest: batches in, committed idempotently, acks out only after commit. Never raises on bad input."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlite_utils import Database

from controller.domain import health_history, install_log
from controller.domain.rollups import (
    Itinerary,
    RollupDelta,
    accrue_online,
    add_online,
    counts_as_completion,
    event_counts,
    media_play,
    record_online_span,
)
from controller.ingest.storage import StorageUnavailable, is_storage_error
from controller.store.db import Store
from kepu_contracts.clock import Clock
from kepu_contracts.events import EventType
from kepu_contracts.limits import BATCH_MAX_BYTES, EVENT_MAX_BYTES, FOOTFALL_MAX_COUNT, INT64_MAX
from kepu_contracts.messages import ack as ack_payload
from kepu_contracts.messages import number, parse_health, parse_pack_brief, parse_reported, parse_state
from kepu_contracts.protocol import (
    COMPACT_JSON,
    NEVER_RETAINED,
    ProtocolError,
    decode,
    encode,
    exhibit_topic,
    parse_event_batch,
    parse_topic,
    unstorable,
    validate_event,
)

log = logging.getLogger(__name__)

MAX_QUARANTINED_PAYLOAD = 16_000  # keep enough to debug, not enough to fill the disk
QUARANTINE_MAX_ROWS = 5_000  # the newest are kept; older ones are dropped and counted
STATUS_MAX_BYTES = 64 * 1024  # state, health, reported, command_results: small documents
# Re-encoding parsed JSON grows it at most ~4.5× (a float literal like 1e15 prints as 1000000000000000.0):
# a batch this much under the event cap cannot hold an oversized event, so no event is re-encoded to check.
REENCODE_GROWTH = 5
FOLD_CHUNK = 500  # exhibits per online-minutes transaction
ID_CHUNK = 500  # ids per "which of these are stored already?" query (well under SQLite's 32,766 variables)

_INSERT_EVENT = (
    "INSERT OR IGNORE INTO events (id, exhibit, seq, ts, type, session, scene, data, venue, in_transit,"
    " pack, boot, synced, received) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
)

Message = tuple[str, bytes, bool]  # topic, payload, retained


@dataclass(frozen=True)
class Outgoing:
    """A message to publish once the transaction that justified it has committed."""

    topic: str
    payload: bytes
    qos: int = 1
    retain: bool = False


@dataclass
class Outcome:
    """What handling one message did."""

    outgoing: list[Outgoing] = field(default_factory=list)
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0
    new_exhibits: list[str] = field(default_factory=list)
    desired_stale: list[str] = field(default_factory=list)  # a new install result: recompute its desired state


class Ingester:
    """Turns one MQTT message into committed rows, rollups and the messages to send back."""

    def __init__(self, store: Store, clock: Clock, tz: str, on_new_exhibit: Callable[[str], None] | None = None):
        self.store = store
        self.clock = clock
        self.tz = tz
        self.on_new_exhibit = on_new_exhibit
        self._goals: dict[str, str] | None = None
        self._itineraries: dict[str, Itinerary] = {}
        self._seen: dict[str, float] = {}
        # exhibit -> time of its newest health sample; only this ingester writes samples (a miss is looked up).
        self._last_sample: dict[str, float] = {}

    def handle(self, topic: str, raw: bytes, retained: bool = False) -> Outcome:
        """Process one message in its own transaction; malformed input is quarantined and counted, never raised."""
        return self.handle_many([(topic, raw, retained)])[0]

    def handle_many(
        self, messages: list[Message], before_commit: Callable[[list[Message]], None] | None = None
    ) -> list[Outcome]:
        """Process messages in order inside ONE transaction (one fsync); each message's writes are a savepoint.

        Returns only after the commit, so every ack in the outcomes may be sent. A storage error anywhere
        (the commit included) raises StorageUnavailable with nothing committed: the caller retries them all.
        `before_commit` runs inside the transaction (the write lock held), after the messages were handled.
        """
        try:
            with self.store.write() as db:
                self._goals = None  # per transaction: packs change only under the write lock we hold
                self._itineraries = {}
                self._seen = {}
                outcomes = [self._handle_one(topic, raw, retained) for topic, raw, retained in messages]
                if self._seen:
                    db.conn.executemany(
                        "UPDATE exhibits SET last_seen = ? WHERE id = ?", [(t, e) for e, t in self._seen.items()]
                    )
                if before_commit:
                    before_commit(messages)
        except StorageUnavailable:
            raise
        except Exception as exc:
            if is_storage_error(exc):  # e.g. the disk filled up at COMMIT
                raise StorageUnavailable(str(exc)) from exc
            raise
        finally:
            self._goals, self._itineraries, self._seen = None, {}, {}
        # After the commit and outside the write lock: the callback takes the controller's lock.
        for outcome in outcomes:
            for exhibit in outcome.new_exhibits:
                if self.on_new_exhibit:
                    self.on_new_exhibit(exhibit)
        return outcomes

    def _handle_one(self, topic: str, raw: bytes, retained: bool) -> Outcome:
        outcome = Outcome()
        try:
            parts = parse_topic(topic)
            if parts.kind == "venues":
                # Retired: any device could write (and ack away) any venue's footfall there.
                if parts.channel == "footfall":
                    raise ProtocolError("venue footfall topics are retired: use kepu/v1/exhibits/{id}/footfall")
                return outcome
            if retained and parts.channel in NEVER_RETAINED and raw:
                # A retained batch would be replayed at every restart: never ingest it, and clear it.
                outcome.outgoing.append(Outgoing(topic, b"", retain=True))
                raise ProtocolError(f"retained publish on {parts.channel} ignored (and cleared)")
            if retained and not raw:
                return outcome  # the clearing message itself
            limit = BATCH_MAX_BYTES if parts.channel in ("events", "footfall") else STATUS_MAX_BYTES
            if len(raw) > limit:
                raise ProtocolError(f"{parts.channel} message of {len(raw):,} bytes is over the {limit:,}-byte cap")
            if parts.channel in ("events", "footfall"):
                self._batch(topic, raw, parts.ident, parts.channel, outcome)
            elif parts.channel in ("state", "health", "reported", "command_results"):
                self._status(parts.ident, parts.channel, raw, outcome)
            else:
                return outcome
        except ProtocolError as exc:
            self._reject(topic, raw, str(exc))
            outcome.rejected += 1
        except Exception as exc:  # the loop must survive anything a device sends
            if is_storage_error(exc):
                # Not the message's fault: nothing is acked or quarantined; the caller retries it.
                raise StorageUnavailable(str(exc)) from exc
            log.exception("ingest failed for %s", topic)
            self._reject(topic, raw, "internal error while ingesting (see the controller log)")
            outcome.rejected += 1
        return outcome

    # -- batches ---------------------------------------------------------------

    def _batch(self, topic: str, raw: bytes, exhibit: str, channel: str, outcome: Outcome) -> None:
        payload = decode(raw)
        batch = parse_event_batch(payload, exhibit, "exhibit")
        now = self.clock.now()
        seqs = [
            e["seq"]
            for e in batch.events
            if isinstance(e, dict) and _is_int(e.get("seq")) and 0 < e["seq"] <= INT64_MAX
        ]
        bad: list[tuple[Any, str]] = []
        check_size = _may_hold_oversized(raw, batch.events)
        with self.store.write() as db:
            self._touch(db, exhibit, now, outcome)
            itinerary = self._itinerary(db, exhibit)
            pack = _current_pack(db, exhibit)
            delta = RollupDelta(self.tz)
            goals = self._goal_scenes(db)
            good: list[tuple[dict[str, Any], str, str]] = []
            for event in batch.events:
                reason = validate_event(event, check_size=check_size)
                venue = (itinerary.venue_at(event["ts"]) or "") if reason is None else ""
                if reason is None and (channel == "footfall" or event["type"] == EventType.FOOTFALL):
                    reason = _footfall_problem(event, venue)
                if reason:
                    bad.append((event, reason))
                    continue
                data = event.get("data")
                event_pack = data.get("pack") if isinstance(data, dict) else None
                good.append((event, venue, event_pack if isinstance(event_pack, str) else pack))
            # Set-based: one look-up for the ids already stored (redeliveries), one executemany for the rest.
            stored = _stored_ids(db, [e["id"] for e, _, _ in good])
            fresh = []
            for item in good:
                if item[0]["id"] in stored:
                    outcome.duplicates += 1
                else:
                    stored.add(item[0]["id"])
                    fresh.append(item)
            db.conn.executemany(_INSERT_EVENT, [_event_row(exhibit, venue, p, e, now) for e, venue, p in fresh])
            for event, venue, event_pack in fresh:
                self._roll(db, delta, exhibit, venue, event_pack, event, goals)
            outcome.stored += len(fresh)
            delta.flush(db)
            for event, reason in bad:
                _quarantine(db, topic, reason, event, now)
        outcome.rejected += len(bad)
        if bad:
            log.warning("%s: %d malformed events quarantined (first: %s)", topic, len(bad), bad[0][1])
        if seqs:
            # Bad events are acked too: they are quarantined here, and resending them cannot fix them.
            # The ack goes to the sender's own topic: no other exhibit hears it.
            ack_channel = "ack" if channel == "events" else "footfall_ack"
            ack = ack_payload(batch.batch, min(seqs), max(seqs))
            outcome.outgoing.append(Outgoing(exhibit_topic(exhibit, ack_channel), encode(ack)))

    def _itinerary(self, db: Database, exhibit: str) -> Itinerary:
        # Rotations change only through the API, under the write lock this transaction holds.
        itinerary = self._itineraries.get(exhibit)
        if itinerary is None:
            itinerary = self._itineraries[exhibit] = Itinerary.load(db, exhibit)
        return itinerary

    def _goal_scenes(self, db: Database) -> dict[str, str]:
        if self._goals is None:
            self._goals = _goal_scenes(db)
        return self._goals

    def _roll(
        self, db: Database, delta: RollupDelta, exhibit: str, venue: str, pack: str, e: dict[str, Any], goals: dict
    ) -> None:
        ts, kind, data, session = e["ts"], e["type"], e.get("data") or {}, e.get("session")
        counts = event_counts(kind, data if isinstance(data, dict) else {})
        if kind == EventType.SESSION_START and session:
            cur = db.conn.execute(
                "INSERT OR IGNORE INTO visits (session, exhibit, venue, pack, started) VALUES (?,?,?,?,?)",
                (session, exhibit, venue, pack, ts),
            )
            if cur.rowcount == 1:
                counts["sessions"] = 1
        elif kind == EventType.SESSION_END and session:
            interactions = number(data.get("interactions"))
            db.conn.execute(
                "UPDATE visits SET ended = ?, duration = ?, interactions = ? WHERE session = ?",
                (ts, number(data.get("duration")), interactions, session),
            )
            # A completion is counted when its session ends, like a meaningful session, so the
            # rate (completions ÷ meaningful) never passes 100 % while visits are in progress.
            if counts_as_completion(db, session, interactions):
                counts["completions"] = 1
        elif kind == EventType.QUIZ_ANSWER:
            question, choice = data.get("question"), data.get("choice")
            if question is not None and choice is not None:
                delta.add_quiz(ts, exhibit, venue, pack, str(question), str(choice), bool(data.get("correct")))
        elif kind in (EventType.MEDIA_START, EventType.MEDIA_END):
            play = media_play(kind, data if isinstance(data, dict) else {})
            if play is not None:
                delta.add_media(ts, exhibit, venue, pack, play)
        elif kind == EventType.SCENE_ENTER and session and e.get("scene") and goals.get(pack) == e.get("scene"):
            db.conn.execute(
                "UPDATE visits SET completed = 1, completed_at = ? WHERE session = ? AND completed = 0", (ts, session)
            )
        delta.add(ts, exhibit, venue, pack, **counts)

    # -- exhibit status --------------------------------------------------------

    def _status(self, exhibit: str, channel: str, raw: bytes, outcome: Outcome) -> None:
        if channel == "state" and raw == b"":
            return  # a cleared retained message
        payload = decode(raw)
        problem = unstorable(payload)
        if problem:
            raise ProtocolError(f"{channel} message {problem}")
        now = self.clock.now()
        with self.store.write() as db:
            row = self._touch(db, exhibit, now, outcome)
            doc = json.dumps(payload, ensure_ascii=False)
            if channel == "state":
                state = parse_state(payload)
                self._set_online(db, exhibit, row, state.online, now)
                updates: dict[str, Any] = {"state": doc}
                if state.pack is not None:
                    updates["pack_id"], updates["pack_version"] = state.pack.id, state.pack.version
                _update(db, exhibit, updates)
            elif channel == "health":
                self._set_lit(db, exhibit, row, lit_from_health(payload), now)
                _update(db, exhibit, {"health": doc})
                self._sample(db, exhibit, payload, now)
            elif channel == "reported":
                updates = {"reported": doc}
                reported = parse_reported(payload)
                if install_log.record(db, exhibit, reported, now):
                    outcome.desired_stale.append(exhibit)  # a refusal may change what it should show
                pack = reported.installed or parse_pack_brief(payload.get("pack"))
                if pack is not None:
                    updates["pack_id"], updates["pack_version"] = pack.id, pack.version
                _update(db, exhibit, updates)
            elif channel == "command_results":
                command = payload.get("id")
                if not isinstance(command, str):
                    raise ProtocolError("command result needs the command's 'id'")
                db.conn.execute(
                    "UPDATE commands SET result = ?, answered = ? WHERE id = ? AND exhibit = ?",
                    (doc, now, command, exhibit),
                )

    def _set_online(self, db: Database, exhibit: str, row: dict, online: bool, now: float) -> None:
        if row["online"] and row["online_since"] is not None:
            accrue_online(db, exhibit, row["online_since"], now, self.tz, bool(row["lit"]))
        _update(db, exhibit, {"online": int(online), "online_since": now if online else None})

    def _set_lit(self, db: Database, exhibit: str, row: dict[str, Any], lit: bool, now: float) -> None:
        """Kiosk alive and display on, or not: fold the minutes so far under the old state first."""
        if lit == bool(row["lit"]):
            return
        if row["online"] and row["online_since"] is not None and now > row["online_since"]:
            accrue_online(db, exhibit, row["online_since"], now, self.tz, bool(row["lit"]))
            _update(db, exhibit, {"online_since": now})
        _update(db, exhibit, {"lit": int(lit)})

    def tick(self) -> None:
        """Fold the minutes online so far into the rollups (called periodically and before reports).

        One pass for the fleet: the itineraries in one query, then chunks of FOLD_CHUNK exhibits,
        each one transaction (one rollup delta, one update), so ingest gets the write lock in between.
        """
        now = self.clock.now()
        db = self.store.db
        rows = db.execute(
            "SELECT id FROM exhibits WHERE online = 1 AND online_since IS NOT NULL AND online_since < ? ORDER BY id",
            [now],
        ).fetchall()
        if not rows:
            return
        stays: dict[str, list[tuple[float, float, str]]] = {}
        for exhibit, starts, ends, venue in db.execute("SELECT exhibit, starts, ends, venue FROM rotations"):
            stays.setdefault(exhibit, []).append((starts, ends, venue))
        hours: dict[str, Any] = {}
        ids = [r[0] for r in rows]
        for i in range(0, len(ids), FOLD_CHUNK):
            chunk = ids[i : i + FOLD_CHUNK]
            with self.store.write() as w:
                marks = ",".join("?" * len(chunk))
                # Read again under the lock: ingest may have moved online_since meanwhile.
                current = w.execute(
                    f"SELECT id, online_since, lit, pack_id FROM exhibits WHERE id IN ({marks})"
                    " AND online = 1 AND online_since IS NOT NULL AND online_since < ?",
                    [*chunk, now],
                ).fetchall()
                delta = RollupDelta(self.tz)
                for exhibit, since, lit, pack in current:
                    record_online_span(w, exhibit, since, now, pack or "", bool(lit))
                    itinerary = Itinerary(stays.get(exhibit, []))
                    add_online(w, delta, itinerary, exhibit, pack or "", since, now, hours, bool(lit))
                delta.flush(w)
                w.conn.executemany("UPDATE exhibits SET online_since = ? WHERE id = ?", [(now, r[0]) for r in current])

    def _touch(self, db: Database, exhibit: str, now: float, outcome: Outcome) -> dict:
        """The exhibit's row; an unknown exhibit is registered as seen-but-not-enrolled."""
        row = db.execute("SELECT online, online_since, lit FROM exhibits WHERE id = ?", [exhibit]).fetchone()
        if row is None:
            db.conn.execute(
                "INSERT INTO exhibits (id, enrolled, first_seen, last_seen, created) VALUES (?, 0, ?, ?, ?)",
                (exhibit, now, now, now),
            )
            outcome.new_exhibits.append(exhibit)
            return {"online": 0, "online_since": None, "lit": 1}
        self._seen[exhibit] = now  # written once per exhibit per transaction (handle_many)
        return {"online": row[0], "online_since": row[1], "lit": row[2]}

    def _sample(self, db: Database, exhibit: str, payload: dict[str, Any], now: float) -> None:
        """A health sample at most every INTERVAL per exhibit; the last one's time is remembered, not queried."""
        last = self._last_sample.get(exhibit)
        if last is not None and 0 <= now - last < health_history.INTERVAL:
            return
        if health_history.record(db, exhibit, parse_health(payload), now):
            self._last_sample[exhibit] = now
        elif last is None:
            self._last_sample[exhibit] = health_history.last_ts(db, exhibit) or now

    # -- rejects -------------------------------------------------------------

    def _reject(self, topic: str, raw: bytes, reason: str) -> None:
        log.warning("rejected message on %s: %s", topic, reason)
        try:
            with self.store.write() as db:
                _quarantine(db, topic, reason, raw, self.clock.now())
        except Exception as exc:
            if is_storage_error(exc):
                raise StorageUnavailable(str(exc)) from exc  # retried later, and quarantined then
            log.exception("could not quarantine a message on %s", topic)


def _quarantine(db: Database, topic: str, reason: str, payload: Any, now: float) -> None:
    if isinstance(payload, bytes):
        text = payload.decode("utf-8", errors="replace")
    else:
        text = json.dumps(payload, ensure_ascii=False, default=str)
    cur = db.conn.execute(
        "INSERT INTO quarantine (received, topic, reason, payload) VALUES (?,?,?,?)",
        (now, topic, reason[:1000], text[:MAX_QUARANTINED_PAYLOAD]),
    )
    _count(db, "rejected", 1)
    # Bounded: a device that only sends garbage must not fill the disk. The newest rows are kept.
    dropped = db.conn.execute(
        "DELETE FROM quarantine WHERE id <= ?", ((cur.lastrowid or 0) - QUARANTINE_MAX_ROWS,)
    ).rowcount
    if dropped:
        _count(db, "quarantine_dropped", dropped)


def _event_row(exhibit: str, venue: str, pack: str, e: dict[str, Any], now: float) -> tuple[Any, ...]:
    return (
        e["id"],
        exhibit,
        e["seq"],
        e["ts"],
        e["type"],
        e.get("session"),
        e.get("scene"),
        COMPACT_JSON.encode(e.get("data") or {}),
        venue,
        int(not venue),
        pack,
        e["boot"],
        int(e["synced"]),
        now,
    )


def _may_hold_oversized(raw: bytes, events: list[Any]) -> bool:
    """Whether any event could be over EVENT_MAX_BYTES; if not, events are not re-encoded one by one to tell."""
    if len(raw) * REENCODE_GROWTH <= EVENT_MAX_BYTES:
        return False
    try:  # the whole list once: no event is longer than all of them together
        return len(COMPACT_JSON.encode(events).encode("utf-8")) > EVENT_MAX_BYTES
    except (TypeError, ValueError, UnicodeEncodeError):
        return True  # let the per-event check say what is wrong


def _stored_ids(db: Database, ids: list[str]) -> set[str]:
    """Which of these event ids are stored already."""
    found: set[str] = set()
    for i in range(0, len(ids), ID_CHUNK):
        chunk = ids[i : i + ID_CHUNK]
        marks = ",".join("?" * len(chunk))
        found.update(r[0] for r in db.conn.execute(f"SELECT id FROM events WHERE id IN ({marks})", chunk))
    return found


# The exhibit columns ingest writes: named here, so no device text ever becomes SQL.
_EXHIBIT_COLUMNS = frozenset(
    {"state", "health", "reported", "pack_id", "pack_version", "online", "online_since", "lit"}
)


def _update(db: Database, exhibit: str, updates: dict[str, Any]) -> None:
    unknown = set(updates) - _EXHIBIT_COLUMNS
    if unknown:
        raise ValueError(f"not an ingest column: {sorted(unknown)}")
    sets = ", ".join(f"{column} = ?" for column in updates)
    db.conn.execute(f"UPDATE exhibits SET {sets} WHERE id = ?", (*updates.values(), exhibit))


def _count(db: Database, name: str, n: int) -> None:
    db.conn.execute(
        "INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = value + ?",
        (name, n, n),
    )


def _footfall_problem(event: dict[str, Any], venue: str) -> str | None:
    """Why a door count cannot be stored, or None: the venue is where the exhibit stood, the count is sane.

    The venue an event names (`data.venue`, set when it was counted) must be where the exhibit's
    rotations put it at that instant; the batch's `venue` is only where the agent is now.
    """
    if event["type"] != EventType.FOOTFALL:
        return "only footfall events travel on the footfall channel"
    if not venue:
        return "the exhibit stood at no venue at that time (in transit): a door count needs a venue"
    data = event.get("data") or {}
    said = data.get("venue")
    if said is not None and said != venue:
        return f"door count claims venue {said!r}, but the exhibit stood at {venue!r} then"
    count = data.get("count", 1)
    if not _is_int(count) or not 0 <= count <= FOOTFALL_MAX_COUNT:
        return f"door count must be an integer from 0 to {FOOTFALL_MAX_COUNT:,}"
    if data.get("direction", "in") not in ("in", "out"):
        return "door count direction must be 'in' or 'out'"
    return None


def lit_from_health(health: dict[str, Any]) -> bool:
    """开机率's "alive and on": the kiosk's heartbeat is fresh and the display is not reported off.

    Unknown counts as lit (an agent without a kiosk block or a display sensor is not penalised);
    a health message that says "no kiosk heartbeat" (kiosk: null) is dark.
    """
    kiosk = health.get("kiosk")
    if isinstance(kiosk, dict):
        alive = kiosk.get("alive") is not False
    else:
        alive = "kiosk" not in health
    return alive and health.get("screen_on") is not False


def _current_pack(db: Database, exhibit: str) -> str:
    row = db.execute("SELECT pack_id FROM exhibits WHERE id = ?", [exhibit]).fetchone()
    return (row[0] or "") if row else ""


def _goal_scenes(db: Database) -> dict[str, str]:
    # Keyed by pack id: versions of one pack share their goal, and events name only the id.
    return {r[0]: r[1] for r in db.execute("SELECT id, goal_scene FROM packs WHERE goal_scene IS NOT NULL")}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
