"""Attraction rate = sessions ÷ passers-by (door counts), per venue and per exhibit; null without a door counter."""

from __future__ import annotations

import json

import pytest

from kepu_contracts.clock import ManualClock
from tests.support.controller import Stack, at, batch, session_events

NANSHAN = "guangdong/shenzhen/nanshan/yuehai"
FUTIAN = "guangdong/shenzhen/futian/lianhua"


@pytest.fixture
def month(tmp_path):
    """May 2025. Door counters at A (40 on the 10th, 60 on the 20th) and B (25 on the 20th); none at C.

    ex-1 stands at A all month: 3 sessions on the 10th, 2 on the 20th.
    ex-2 stands at A until the 15th, then at B: 4 sessions on the 10th (A), 5 on the 20th (B).
    ex-3 stands at C all month: 7 sessions on the 10th.
    """
    stack = Stack(tmp_path / "ctl", ManualClock(at("2025-04-30 12:00")))
    for venue, region in (("venue-a", NANSHAN), ("venue-b", FUTIAN), ("venue-c", NANSHAN)):
        stack.ok("POST", "/api/v1/venues", json={"id": venue, "name": venue, "region": region})
    c = stack.controller

    def send(topic: str, payload: dict) -> None:
        assert c.handle_message(topic, json.dumps({"v": 1, **payload}).encode()).rejected == 0

    for exhibit in ("ex-1", "ex-2", "ex-3"):
        send(f"kepu/v1/exhibits/{exhibit}/state", {"online": False})
    for exhibit, venue, starts, ends in (
        ("ex-1", "venue-a", "2025-05-01T00:00", "2025-06-01T00:00"),
        ("ex-2", "venue-a", "2025-05-01T00:00", "2025-05-15T00:00"),
        ("ex-2", "venue-b", "2025-05-15T00:00", "2025-06-01T00:00"),
        ("ex-3", "venue-c", "2025-05-01T00:00", "2025-06-01T00:00"),
    ):
        stack.ok("POST", "/api/v1/rotations", json={"exhibit": exhibit, "venue": venue, "starts": starts, "ends": ends})
    for exhibit, day, count in (("ex-1", 10, 3), ("ex-1", 20, 2), ("ex-2", 10, 4), ("ex-2", 20, 5), ("ex-3", 10, 7)):
        events = [
            e for i in range(count) for e in session_events(exhibit, day * 100 + i * 10, at(f"2025-05-{day} 1{i}:00"))
        ]
        send(f"kepu/v1/exhibits/{exhibit}/events", batch(exhibit, events))
    for n, (venue, exhibit, when, count) in enumerate(
        (
            ("venue-a", "ex-1", "2025-05-10 11:00", 40),
            ("venue-a", "ex-1", "2025-05-20 11:00", 60),
            ("venue-b", "ex-2", "2025-05-20 15:00", 25),
        ),
        start=1,
    ):
        door = {
            "id": f"door-{n}",
            "seq": n,
            "ts": at(when),
            "mono": 1.0,
            "boot": "b",
            "synced": True,
            "type": "footfall",
            "session": None,
            "scene": None,
            "data": {"count": count},
        }
        # On the exhibit's own footfall topic: the controller books it at the venue where the exhibit stood.
        door["data"]["venue"] = venue
        send(
            f"kepu/v1/exhibits/{exhibit}/footfall",
            {"venue": venue, "exhibit": exhibit, "batch": f"b{n}", "events": [door]},
        )
    stack.clock.set(at("2025-06-02 09:00"))
    yield stack
    stack.close()


def metrics(stack: Stack, **params: str) -> dict:
    return stack.ok("GET", "/api/v1/stats/metrics", params={"start": "2025-05-01", "end": "2025-05-31", **params})


def test_attraction_rate_per_venue(month):
    a = metrics(month, venue="venue-a")
    assert (a["sessions"], a["passers_by"], a["attraction_rate"]) == (9, 100, 0.09)  # (3+2 + 4) ÷ (40+60)
    b = metrics(month, venue="venue-b")
    assert (b["sessions"], b["passers_by"], b["attraction_rate"]) == (5, 25, 0.2)
    c = metrics(month, venue="venue-c")
    assert (c["sessions"], c["passers_by"], c["attraction_rate"]) == (7, None, None)  # no door counter: no rate
    region = metrics(month, region="guangdong")
    # C's sessions are left out: nobody counted who walked past them. (9 + 5) ÷ (100 + 25)
    assert (region["attraction_sessions"], region["passers_by"], region["attraction_rate"]) == (14, 125, 0.112)
    one_day = metrics(month, venue="venue-a", start="2025-05-10", end="2025-05-10")
    assert one_day["attraction_rate"] == 0.175  # (3 + 4) ÷ 40


def test_attraction_rate_per_exhibit_counts_the_doors_where_it_stood(month):
    ex1 = metrics(month, exhibit="ex-1")
    assert (ex1["passers_by"], ex1["attraction_rate"]) == (100, 0.05)  # 5 ÷ 100
    ex2 = metrics(month, exhibit="ex-2")
    # 40 at A before the 15th, 25 at B after it (A's 60 on the 20th were not its visitors): 9 ÷ 65
    assert (ex2["sessions"], ex2["passers_by"], ex2["attraction_rate"]) == (9, 65, 0.1385)
    assert metrics(month, exhibit="ex-3")["attraction_rate"] is None


def test_monthly_report_has_attraction_per_venue_and_for_the_region(month):
    rows = month.ok("GET", "/api/v1/reports/monthly", params={"month": "2025-05", "region": "guangdong/shenzhen"})
    assert [(r["venue"], r["footfall"], r["sessions"], r["attraction_rate"]) for r in rows] == [
        ("venue-b", 25, 5, 0.2),
        ("venue-a", 100, 9, 0.09),
        ("venue-c", 0, 7, None),
        ("", 125, 21, 0.112),
    ]
    csv_text = month.http.get(
        "/api/v1/reports/monthly", params={"month": "2025-05", "region": "guangdong/shenzhen", "format": "csv"}
    ).content.decode("utf-8-sig")
    header, first = csv_text.splitlines()[:2]
    column = header.split(",").index("吸引率 %")
    assert first.split(",")[column] == "20.0"
