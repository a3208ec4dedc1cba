"""Re-attribution: stays created, moved or cancelled after the fact move stored events and rebuild their rollups."""

from __future__ import annotations

import json
import random
import sqlite3
import uuid
from collections import defaultdict
from contextlib import closing

import pytest

from controller.domain.attribution import changed_intervals
from controller.domain.opening import buckets
from controller.domain.rollups import dwell_column
from controller.store.schema import ROLLUP_COUNTERS
from kepu_contracts.clock import ManualClock
from tests.support.controller import TZ, Device, Stack, approved_pack, at, batch, session_events

NANSHAN = "guangdong/shenzhen/nanshan/yuehai"
FUTIAN = "guangdong/shenzhen/futian/lianhua"
ONLINE = ("online_minutes", "online_open_minutes")


def venues(stack: Stack) -> None:
    stack.ok("POST", "/api/v1/venues", json={"id": "venue-a", "name": "粤海科普角", "region": NANSHAN})
    stack.ok("POST", "/api/v1/venues", json={"id": "venue-b", "name": "莲花科普站", "region": FUTIAN})


def sessions_by_venue(stack: Stack, **params: str) -> dict[str, int]:
    rows = stack.ok("GET", "/api/v1/stats/usage", params={"group": "venue", "period": "all", **params})
    return {r["venue"]: r["sessions"] for r in rows if r["sessions"]}


def in_transit_events(stack: Stack) -> int:
    with closing(sqlite3.connect(stack.settings.db_path)) as conn:
        return conn.execute("SELECT COUNT(*) FROM events WHERE in_transit = 1").fetchone()[0]


# -- the naive recount every test checks against ----------------------------------------


def naive_venue(stays: list[tuple[float, float, str]], ts: float) -> str:
    return next((v for a, b, v in stays if a <= ts < b), "")


def assert_rollups_match_raw_events(db_path, exhibits=None) -> None:
    """Rollups (hourly and quiz) and visits equal a recount from raw events and the itinerary as it stands now."""
    with closing(sqlite3.connect(db_path)) as conn:
        conn.row_factory = sqlite3.Row
        stays = defaultdict(list)
        for r in conn.execute("SELECT exhibit, starts, ends, venue FROM rotations"):
            stays[r["exhibit"]].append((r["starts"], r["ends"], r["venue"]))
        goals = {r[0]: r[1] for r in conn.execute("SELECT id, goal_scene FROM packs WHERE goal_scene IS NOT NULL")}
        hourly: dict[tuple, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        quiz: dict[tuple, int] = defaultdict(int)
        started: set[str] = set()
        completed: set[str] = set()
        visit_venues = {}
        for e in conn.execute("SELECT * FROM events ORDER BY ts, received, rowid"):
            data = json.loads(e["data"])
            venue = e["venue"] if e["type"] == "footfall" else naive_venue(stays[e["exhibit"]], e["ts"])
            assert e["venue"] == venue and e["in_transit"] == int(not venue), dict(e)
            b = buckets(e["ts"], TZ)
            row = hourly[(b.hour, e["exhibit"], venue, e["pack"])]
            row["events"] += 1
            kind, session = e["type"], e["session"]
            if kind == "session_start" and session not in started:
                started.add(session)
                row["sessions"] += 1
                visit_venues[session] = venue
            elif kind == "session_end":
                row["ended"] += 1
                row["meaningful"] += data["interactions"] >= 2
                if session in completed and data["interactions"] >= 2:
                    row["completions"] += 1
                row["dwell_sum"] += data["duration"]
                row[dwell_column(data["duration"])] += 1
            elif kind == "tap":
                row["interactions"] += 1
            elif kind == "rating":
                row[f"rating_{data['value']}"] += 1
            elif kind == "footfall":
                row["footfall"] += data.get("count", 1)
            elif kind == "quiz_answer":
                quiz[(b.day, e["exhibit"], venue, e["pack"], data["question"], data["choice"])] += 1
            elif kind == "scene_enter" and goals.get(e["pack"]) == e["scene"] and session in started:
                completed.add(session)  # counted when the session ends
        stored: dict[tuple, dict[str, float]] = {}
        for r in conn.execute("SELECT * FROM rollup_hourly"):
            counts = {c: r[c] for c in ROLLUP_COUNTERS if c not in ONLINE and r[c]}
            if counts:
                stored[(r["hour"], r["exhibit"], r["venue"], r["pack"])] = counts
        expected = {k: {c: v for c, v in row.items() if v} for k, row in hourly.items()}
        assert stored == expected
        stored_quiz = {
            (r["day"], r["exhibit"], r["venue"], r["pack"], r["question"], r["choice"]): r["answers"]
            for r in conn.execute("SELECT * FROM rollup_quiz WHERE answers > 0")
        }
        assert stored_quiz == dict(quiz)
        assert {r[0]: r[1] for r in conn.execute("SELECT session, venue FROM visits")} == visit_venues


# -- through the broker: a stay entered the morning after --------------------------------


@pytest.fixture
def stack(broker, make_stack):
    s = make_stack("2025-05-12 08:00", mqtt_url=broker.url)
    venues(s)
    return s


def test_stay_entered_the_next_morning_claims_the_sessions_ingested_in_transit(stack, broker):
    device = Device(broker.url, "ex-quake-01")
    device.publish({"online": True}, channel="state")
    device.latest("desired", lambda d: d["venue"] is None)
    # The van arrived on the 12th; the exhibit was switched on and visitors used it at once.
    events = [
        e
        for i, hour in enumerate((10, 11, 14, 16))
        for e in session_events("ex-quake-01", 1 + 10 * i, at(f"2025-05-12 {hour}:05"))
    ]
    device.publish(batch("ex-quake-01", events))
    assert device.next("ack")["upto_seq"] == 34
    assert sessions_by_venue(stack) == {"": 4}
    assert in_transit_events(stack) == 16
    stack.move_to(at("2025-05-13 09:30"))  # the technician records the stay the next morning
    stack.ok(
        "POST",
        "/api/v1/rotations",
        json={"exhibit": "ex-quake-01", "venue": "venue-a", "starts": "2025-05-12T08:00", "ends": "2025-08-01T00:00"},
    )
    assert sessions_by_venue(stack) == {"venue-a": 4}
    assert in_transit_events(stack) == 0
    report = stack.ok("GET", "/api/v1/reports/monthly", params={"region": "guangdong/shenzhen", "month": "2025-05"})
    assert [(r["venue"], r["sessions"], r["exhibits"]) for r in report] == [
        ("venue-b", 0, 0),
        ("venue-a", 4, 1),
        ("", 4, 1),
    ]
    metrics = stack.ok(
        "GET", "/api/v1/stats/metrics", params={"venue": "venue-a", "start": "2025-05-12", "end": "2025-05-12"}
    )
    assert metrics["sessions"] == 4 and metrics["meaningful_sessions"] == 4
    assert (metrics["used_hours"], metrics["opening_hours"]) == (4, 8)  # 09:00-17:00, sessions in four of them
    # Online since 08:00 on the 12th: the minutes follow the stay too (09:00-17:00 open = 480 minutes).
    assert metrics["online_open_minutes"] == 480 and metrics["power_on_rate"] == 1.0
    # Later events of the same day keep going to the venue by the fast path.
    device.publish(batch("ex-quake-01", session_events("ex-quake-01", 100, at("2025-05-13 10:00"))))
    assert device.next("ack")["upto_seq"] == 103
    assert sessions_by_venue(stack) == {"venue-a": 5}
    audit = stack.ok("GET", "/api/v1/audit", params={"limit": 5})
    [entry] = [a for a in audit if a["action"] == "rotation.reattribute"]
    assert entry["detail"]["events_moved"] == 16 and entry["detail"]["exhibit"] == "ex-quake-01"
    assert_rollups_match_raw_events(stack.settings.db_path)
    device.close()


# -- through the API and ingest in-process -----------------------------------------------


@pytest.fixture
def may(tmp_path):
    """One exhibit with a session at 10:00 every day of May 2025, and a stay at A then at B."""
    s = Stack(tmp_path / "ctl", ManualClock(at("2025-06-02 09:00")))
    venues(s)
    events = [e for day in range(1, 32) for e in session_events("ex-1", day * 10, at(f"2025-05-{day:02d} 10:00"))]
    outcome = s.controller.handle_message(
        "kepu/v1/exhibits/ex-1/events", json.dumps({"v": 1, **batch("ex-1", events)}).encode()
    )
    assert outcome.stored == 31 * 4
    a = s.ok(
        "POST",
        "/api/v1/rotations",
        json={"exhibit": "ex-1", "venue": "venue-a", "starts": "2025-05-01T00:00", "ends": "2025-05-16T00:00"},
    )
    b = s.ok(
        "POST",
        "/api/v1/rotations",
        json={"exhibit": "ex-1", "venue": "venue-b", "starts": "2025-05-16T00:00", "ends": "2025-06-01T00:00"},
    )
    s.stays = (a["id"], b["id"])
    yield s
    s.close()


def test_moving_the_changeover_moves_exactly_the_sessions_in_the_moved_interval(may):
    a, b = may.stays
    assert sessions_by_venue(may) == {"venue-a": 15, "venue-b": 16}
    may.ok("PATCH", f"/api/v1/rotations/{a}", json={"ends": "2025-05-11T00:00"})  # A's stay ended five days early
    assert sessions_by_venue(may) == {"venue-a": 10, "": 5, "venue-b": 16}
    assert_rollups_match_raw_events(may.settings.db_path)
    may.ok(
        "PATCH", f"/api/v1/rotations/{b}", json={"starts": "2025-05-11T12:00"}
    )  # and B got it the same day, after 10:00
    assert sessions_by_venue(may) == {"venue-a": 10, "": 1, "venue-b": 20}
    assert sessions_by_venue(may, start="2025-05-11", end="2025-05-11") == {"": 1}
    assert_rollups_match_raw_events(may.settings.db_path)
    report = may.ok("GET", "/api/v1/reports/monthly", params={"region": "guangdong/shenzhen", "month": "2025-05"})
    assert [(r["venue"], r["sessions"]) for r in report] == [("venue-b", 20), ("venue-a", 10), ("", 30)]


def test_a_stay_replaced_by_one_at_another_venue_moves_its_sessions(may):
    a, _ = may.stays
    may.ok("DELETE", f"/api/v1/rotations/{a}")
    may.ok(
        "POST",
        "/api/v1/rotations",
        json={"exhibit": "ex-1", "venue": "venue-a", "starts": "2025-05-01T00:00", "ends": "2025-05-08T00:00"},
    )
    may.ok(
        "POST",
        "/api/v1/rotations",
        json={"exhibit": "ex-1", "venue": "venue-b", "starts": "2025-05-08T00:00", "ends": "2025-05-16T00:00"},
    )
    assert sessions_by_venue(may) == {"venue-a": 7, "venue-b": 24}
    assert sessions_by_venue(may, region=NANSHAN) == {"venue-a": 7}
    assert_rollups_match_raw_events(may.settings.db_path)


def test_cancelling_a_stay_returns_its_events_to_in_transit(may):
    _, b = may.stays
    may.ok("DELETE", f"/api/v1/rotations/{b}")
    assert sessions_by_venue(may) == {"venue-a": 15, "": 16}
    assert in_transit_events(may) == 16 * 4
    with closing(sqlite3.connect(may.settings.db_path)) as conn:
        assert conn.execute("SELECT COUNT(*) FROM visits WHERE venue = 'venue-b'").fetchone() == (0,)
    assert_rollups_match_raw_events(may.settings.db_path)


def test_a_refused_change_changes_nothing(may):
    a, _ = may.stays
    response = may.http.patch(f"/api/v1/rotations/{a}", json={"ends": "2025-05-20T00:00"})
    assert response.status_code == 409
    assert sessions_by_venue(may) == {"venue-a": 15, "venue-b": 16}
    assert_rollups_match_raw_events(may.settings.db_path)


def test_changed_intervals_are_the_symmetric_difference():
    assert changed_intervals(None, (10, 20)) == [(10, 20)]
    assert changed_intervals((10, 20), None) == [(10, 20)]
    assert changed_intervals((10, 20), (12, 20)) == [(10, 12)]
    assert changed_intervals((10, 20), (5, 25)) == [(5, 10), (20, 25)]
    assert changed_intervals((10, 20), (30, 40)) == [(10, 20), (30, 40)]
    assert changed_intervals((10, 20), (10, 20)) == []


# -- property: any sequence of changes keeps rollups equal to a recount ---------------------


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_rollups_equal_a_recount_after_random_itinerary_changes(tmp_path, seed):
    rng = random.Random(seed)
    window = (at("2025-05-01 00:00"), at("2025-05-11 00:00"))
    stack = Stack(tmp_path / "ctl", ManualClock(window[0]))
    try:
        approved_pack(stack, tmp_path, "quake-basics")  # goal scene "rate"
        venues(stack)
        stack.ok(
            "POST",
            "/api/v1/venues",
            json={"id": "venue-c", "name": "社区站", "region": NANSHAN, "opening_hours": {"sat": ["10:00-16:00"]}},
        )
        exhibits = ("ex-1", "ex-2")
        seq = {e: 1 for e in exhibits}
        online = {e: False for e in exhibits}

        def send(exhibit: str, channel: str, payload: dict, rejected: int = 0) -> None:
            raw = json.dumps({"v": 1, **payload}).encode()
            topic = f"kepu/v1/exhibits/{exhibit}/{channel}"
            assert stack.controller.handle_message(topic, raw).rejected == rejected

        for e in exhibits:
            send(e, "state", {"online": False, "pack": {"id": "quake-basics", "version": "1.0.0"}})

        def random_instant() -> float:
            return (
                round(rng.uniform(*window) / 60) * 60.0
            )  # minute-aligned, so stays often meet events and hours exactly

        for step in range(40):
            stack.clock.set(window[0] + (step + 1) * (window[1] - window[0]) / 40)
            exhibit = rng.choice(exhibits)
            action = rng.choice(("events", "events", "create", "create", "patch", "delete", "online", "footfall"))
            if action == "events":
                events = []
                for _ in range(rng.randint(1, 4)):
                    extra = rng.sample(
                        [
                            ("scene_enter", {"_scene": "rate"}),
                            ("rating", {"value": rng.choice(("up", "down"))}),
                            ("quiz_answer", {"question": "q1", "choice": rng.choice("012"), "correct": True}),
                        ],
                        k=rng.randint(0, 3),
                    )
                    events += session_events(exhibit, seq[exhibit], random_instant(), rng.randint(0, 3), extra)
                    seq[exhibit] += 10
                send(exhibit, "events", batch(exhibit, events))
            elif action == "create":
                starts = random_instant()
                ends = starts + rng.choice((1, 3, 24, 72)) * 3600 + rng.choice((0, 1800))
                stack.http.post(
                    "/api/v1/rotations",
                    json={
                        "exhibit": exhibit,
                        "venue": rng.choice(("venue-a", "venue-b", "venue-c")),
                        "starts": _local(starts),
                        "ends": _local(ends),
                    },
                )
            elif action in ("patch", "delete"):
                stays = stack.ok("GET", "/api/v1/rotations", params={"exhibit": exhibit})
                if stays:
                    stay = rng.choice(stays)
                    if action == "delete":
                        stack.ok("DELETE", f"/api/v1/rotations/{stay['id']}")
                    else:
                        field = rng.choice(("starts", "ends"))
                        shift = rng.choice((-1, 1)) * rng.choice((1800, 3600, 86400))
                        moved = stack.http.patch(
                            f"/api/v1/rotations/{stay['id']}", json={field: _shift(stay[field], shift)}
                        )
                        assert moved.status_code in (200, 409, 422), moved.text
            elif action == "online":
                online[exhibit] = not online[exhibit]
                send(exhibit, "state", {"online": online[exhibit], "pack": {"id": "quake-basics", "version": "1.0.0"}})
            else:
                # Door counts are booked where the exhibit stands (its own topic); in transit they are refused.
                ts = random_instant()
                with closing(sqlite3.connect(stack.settings.db_path)) as conn:
                    itinerary = list(
                        conn.execute("SELECT starts, ends, venue FROM rotations WHERE exhibit = ?", [exhibit])
                    )
                venue = naive_venue(itinerary, ts)
                send(
                    exhibit,
                    "footfall",
                    {
                        "venue": venue,
                        "exhibit": exhibit,
                        "batch": uuid.uuid4().hex,
                        "events": [
                            {
                                "id": uuid.uuid4().hex,
                                "seq": 1,
                                "ts": ts,
                                "mono": 1.0,
                                "boot": "b",
                                "synced": True,
                                "type": "footfall",
                                "session": None,
                                "scene": None,
                                "data": {"count": rng.randint(1, 5)},
                            }
                        ],
                    },
                    rejected=0 if venue else 1,
                )
            stack.controller.ingester.tick()
            assert_rollups_match_raw_events(stack.settings.db_path)
            assert_online_minutes_follow_the_itinerary(stack.settings.db_path)
        actions = [a["action"] for a in stack.ok("GET", "/api/v1/audit", params={"limit": 500})]
        assert actions.count("rotation.reattribute") >= 6  # the sequence really moved stays around
    finally:
        stack.close()


def assert_online_minutes_follow_the_itinerary(db_path) -> None:
    """Online minutes per exhibit and venue equal the online spans cut by the current stays."""
    with closing(sqlite3.connect(db_path)) as conn:
        stays = defaultdict(list)
        for exhibit, a, b, venue in conn.execute("SELECT exhibit, starts, ends, venue FROM rotations"):
            stays[exhibit].append((a, b, venue))
        expected: dict[tuple[str, str], float] = defaultdict(float)
        for exhibit, a, b in conn.execute("SELECT exhibit, starts, ends FROM online_spans"):
            placed = 0.0
            for s, e, venue in stays[exhibit]:
                overlap = max(0.0, min(b, e) - max(a, s))
                expected[(exhibit, venue)] += overlap / 60
                placed += overlap
            expected[(exhibit, "")] += (b - a - placed) / 60
        stored = {
            (r[0], r[1]): r[2]
            for r in conn.execute(
                "SELECT exhibit, venue, SUM(online_minutes) FROM rollup_hourly GROUP BY exhibit, venue"
            )
        }
    for key in set(expected) | set(stored):
        assert stored.get(key, 0) == pytest.approx(expected.get(key, 0), abs=1e-6), key


def _local(ts: float) -> str:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime.fromtimestamp(ts, ZoneInfo(TZ)).strftime("%Y-%m-%dT%H:%M")


def _shift(iso: str, seconds: int) -> str:
    from datetime import datetime, timedelta

    return (datetime.fromisoformat(iso) + timedelta(seconds=seconds)).isoformat()
