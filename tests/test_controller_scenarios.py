"""Scenarios through a real Mosquitto with injected time: moves between venues, campaigns and emergencies."""

from __future__ import annotations

import sqlite3
from contextlib import closing

import pytest

from tests.support.controller import Device, approved_pack, at, batch, session_events

NANSHAN = "guangdong/shenzhen/nanshan/yuehai"
FUTIAN = "guangdong/shenzhen/futian/lianhua"


@pytest.fixture
def stack(broker, make_stack):
    return make_stack("2025-05-01 08:00", mqtt_url=broker.url)


def test_exhibit_moved_mid_month_has_each_session_at_the_right_venue(stack, broker):
    stack.ok("POST", "/api/v1/venues", json={"id": "venue-a", "name": "粤海科普角", "region": NANSHAN})
    stack.ok("POST", "/api/v1/venues", json={"id": "venue-b", "name": "莲花科普站", "region": FUTIAN})
    device = Device(broker.url, "ex-quake-01")
    device.publish({"online": True}, channel="state")  # registers the exhibit
    device.latest("desired", lambda d: d["venue"] is None)
    stack.ok(
        "POST",
        "/api/v1/rotations",
        json={
            "exhibit": "ex-quake-01",
            "venue": "venue-a",
            "starts": "2025-05-01T00:00:00",
            "ends": "2025-05-14T18:00:00",
        },
    )
    stack.ok(
        "POST",
        "/api/v1/rotations",
        json={
            "exhibit": "ex-quake-01",
            "venue": "venue-b",
            "starts": "2025-05-15T09:00:00",
            "ends": "2025-06-01T00:00:00",
        },
    )
    # The exhibit was offline for weeks: everything arrives at once, after it already stands at B.
    stack.move_to(at("2025-05-20 12:00"))
    assert device.latest("desired", lambda d: d["venue"] is not None)["venue"]["id"] == "venue-a"  # from May 1
    stack.move_to(at("2025-05-20 12:00"))
    assert device.latest("desired", lambda d: (d["venue"] or {}).get("id") != "venue-a")["venue"] == {
        "id": "venue-b",
        "name": "莲花科普站",
    }
    events = (
        session_events("ex-quake-01", 1, at("2025-05-10 10:00"))
        + session_events("ex-quake-01", 10, at("2025-05-14 17:59"))
        + session_events("ex-quake-01", 20, at("2025-05-15 03:00"))  # on the truck
        + session_events("ex-quake-01", 30, at("2025-05-15 09:00"))  # the minute B opens the stay
        + session_events("ex-quake-01", 40, at("2025-05-19 15:30"))
        + session_events("ex-quake-01", 50, at("2025-05-20 11:00"))
    )
    device.publish(batch("ex-quake-01", events))
    assert device.next("ack")["upto_seq"] == 53
    by_venue = {
        r["venue"]: r["sessions"]
        for r in stack.ok("GET", "/api/v1/stats/usage", params={"group": "venue", "period": "month"})
    }
    assert by_venue == {"venue-a": 2, "venue-b": 3, "": 1}
    report = stack.ok("GET", "/api/v1/reports/monthly", params={"region": "guangdong/shenzhen", "month": "2025-05"})
    assert [(r["venue"], r["sessions"]) for r in report] == [("venue-b", 3), ("venue-a", 2), ("", 5)]
    with closing(sqlite3.connect(stack.settings.db_path)) as conn:
        transit = conn.execute("SELECT COUNT(*), MIN(venue) FROM events WHERE in_transit = 1").fetchone()
    assert transit == (4, "")  # the four events of the session on the truck, flagged
    device.close()


def test_campaign_and_emergency_preempt_and_revert_at_the_right_moments(stack, broker, tmp_path):
    stack.move_to(at("2025-05-10 08:00"))
    approved_pack(stack, tmp_path, "quake-basics")
    approved_pack(stack, tmp_path, "disaster-day")
    approved_pack(stack, tmp_path, "typhoon-alert")
    stack.ok(
        "POST",
        "/api/v1/venues",
        json={"id": "venue-a", "name": "A", "region": NANSHAN, "default_pack": {"id": "quake-basics"}},
    )
    stack.ok(
        "POST",
        "/api/v1/venues",
        json={"id": "venue-b", "name": "B", "region": FUTIAN, "default_pack": {"id": "quake-basics"}},
    )
    a, b = Device(broker.url, "ex-a"), Device(broker.url, "ex-b")
    for device in (a, b):
        device.publish({"online": True}, channel="state")
        device.latest("desired", lambda d: True)
    stack.ok(
        "POST",
        "/api/v1/rotations",
        json={"exhibit": "ex-a", "venue": "venue-a", "starts": "2025-05-01T00:00", "ends": "2025-07-01T00:00"},
    )
    # ex-b arrives at B on the morning of the 12th: it must switch exactly at 09:00.
    stack.ok(
        "POST",
        "/api/v1/rotations",
        json={"exhibit": "ex-b", "venue": "venue-b", "starts": "2025-05-12T09:00", "ends": "2025-07-01T00:00"},
    )
    stack.ok(
        "POST",
        "/api/v1/campaigns",
        json={
            "name": "防灾减灾日",
            "region": "guangdong/shenzhen",
            "pack": {"id": "disaster-day", "version": "1.0.0"},
            "starts": "2025-05-12",
            "ends": "2025-05-12",
            "priority": 5,
        },
    )
    emergency = stack.ok(
        "POST",
        "/api/v1/emergencies",
        json={
            "region": "guangdong/shenzhen/nanshan",
            "message": {"zh": "台风预警", "en": "Typhoon warning"},
            "pack": {"id": "typhoon-alert"},
            "starts": "2025-05-12T10:00",
            "expires": "2025-05-12T12:00",
        },
    )

    def expect(
        device: Device, pack_id: str | None, emergency_id: int | None = None, venue: str | None = "keep"
    ) -> dict:
        desired = device.latest(
            "desired",
            lambda d: (
                (d["pack"] or {}).get("id") == pack_id
                and (d["emergency"] or {}).get("id") == emergency_id
                and (venue == "keep" or (d["venue"] or {}).get("id") == venue)
            ),
        )
        return desired

    expect(a, "quake-basics")
    assert stack.ok("GET", "/api/v1/exhibits/ex-b/desired")["venue"] is None
    schedule = []
    while (boundary := stack.controller.scheduler.next_boundary()) is not None and boundary < at("2025-05-14 00:00"):
        schedule.append(boundary)
        stack.move_to(boundary)
        if boundary == at("2025-05-12 00:00"):
            expect(a, "disaster-day")
            # Still on the truck: campaigns are for venues in the region, so nothing changes (or is sent).
            assert stack.ok("GET", "/api/v1/exhibits/ex-b/desired")["pack"] is None
        elif boundary == at("2025-05-12 09:00"):
            desired = expect(b, "disaster-day", venue="venue-b")
            assert desired["opening_hours"]["mon"] == ["09:00-17:00"]
        elif boundary == at("2025-05-12 10:00"):
            desired = expect(a, "typhoon-alert", emergency["id"])
            assert desired["emergency"]["message"] == {"zh": "台风预警", "en": "Typhoon warning"}
            assert desired["emergency"]["expires"] == "2025-05-12T12:00:00+08:00"
        elif boundary == at("2025-05-12 12:00"):
            expect(a, "disaster-day", None)
        elif boundary == at("2025-05-13 00:00"):
            expect(a, "quake-basics")
            expect(b, "quake-basics", venue="venue-b")
    assert schedule == [
        at("2025-05-12 00:00"),
        at("2025-05-12 09:00"),
        at("2025-05-12 10:00"),
        at("2025-05-12 12:00"),
        at("2025-05-13 00:00"),
    ]
    # Futian never saw the Nanshan emergency.
    with pytest.raises(AssertionError, match="no matching desired message"):
        b.latest("desired", lambda d: d["emergency"] is not None, timeout=0.3)
    desired = stack.ok("GET", "/api/v1/exhibits/ex-a/desired")
    assert desired["v"] == 1 and desired["pack"]["url"].endswith("/api/v1/packs/quake-basics/1.0.0/manifest")
    assert set(desired) == {"v", "exhibit", "venue", "opening_hours", "pack", "emergency", "config"}
    for device in (a, b):
        device.close()


def test_cancelled_emergency_reverts_immediately(stack, broker):
    stack.ok("POST", "/api/v1/venues", json={"id": "venue-a", "name": "A", "region": NANSHAN})
    device = Device(broker.url, "ex-a")
    device.publish({"online": True}, channel="state")
    device.latest("desired", lambda d: True)
    stack.ok(
        "POST",
        "/api/v1/rotations",
        json={"exhibit": "ex-a", "venue": "venue-a", "starts": "2025-05-01T00:00", "ends": "2025-06-01T00:00"},
    )
    created = stack.ok(
        "POST",
        "/api/v1/emergencies",
        json={"region": "", "message": {"zh": "演练", "en": "Drill"}, "expires": "2025-05-02T00:00"},
    )
    assert device.latest("desired", lambda d: d["emergency"] is not None)["emergency"]["id"] == created["id"]
    stack.ok("POST", f"/api/v1/emergencies/{created['id']}/cancel")
    assert device.latest("desired", lambda d: d["emergency"] is None)["venue"]["id"] == "venue-a"
    device.close()
