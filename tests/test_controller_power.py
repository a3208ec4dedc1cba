"""Closed days, power margins, wake/sleep now and 开机率 that counts only a lit, living exhibit in opening hours."""

from __future__ import annotations

import contextlib
import json
import re
import threading
from collections.abc import Iterator

import httpx
import pytest

from exhibit_agent.agent import Agent
from exhibit_agent.config import build_config
from kepu_contracts.clock import ManualClock
from tests.power_support import calls, install_fake_tools
from tests.support.agent import wait_until
from tests.support.controller import ADMIN, Stack, approved_pack, at

REGION = "guangdong/shenzhen/nanshan/yuehai"


@pytest.fixture
def stack(tmp_path):
    stack = Stack(tmp_path / "ctl", ManualClock(at("2025-05-12 07:00")), serve=True)
    yield stack
    stack.close()


def send(stack: Stack, exhibit: str, channel: str, payload: dict) -> None:
    outcome = stack.controller.handle_message(
        f"kepu/v1/exhibits/{exhibit}/{channel}", json.dumps({"v": 1, **payload}).encode()
    )
    assert outcome.rejected == 0


def register(stack: Stack, exhibit: str = "ex-1") -> None:
    from controller.domain import fleet

    with stack.controller.store.write() as db:
        fleet.register(db, exhibit, stack.clock.now(), enrolled=True)


def test_venue_closed_days_and_margins_reach_desired_state(stack):
    stack.ok(
        "POST",
        "/api/v1/venues",
        json={
            "id": "v-a",
            "name": "粤海",
            "region": REGION,
            "closed_days": ["2025-05-20", "2025-10-01/2025-10-07"],
            "power": {"on_before": 15, "off_after": 5, "wake_on_touch": False},
        },
    )
    venue = stack.ok("GET", "/api/v1/venues/v-a")
    assert venue["closed_days"] == ["2025-05-20", "2025-10-01/2025-10-07"]
    assert venue["power"] == {"on_before": 15, "off_after": 5, "wake_on_touch": False}
    edited = stack.ok("PATCH", "/api/v1/venues/v-a", json={"power": {"off_after": 20}})
    assert edited["power"]["off_after"] == 20 and edited["power"]["on_before"] == 15
    register(stack)
    stack.ok(
        "POST",
        "/api/v1/rotations",
        json={"exhibit": "ex-1", "venue": "v-a", "starts": "2025-05-01T00:00", "ends": "2025-06-01T00:00"},
    )
    desired = json.loads(
        stack.controller.store.db.execute("SELECT desired FROM exhibits WHERE id='ex-1'").fetchone()[0]
    )
    assert desired["config"]["closed_days"] == ["2025-05-20", "2025-10-01/2025-10-07"]
    assert desired["config"]["power"] == {"on_before": 15, "off_after": 20, "wake_on_touch": False}


@pytest.mark.parametrize(
    "body, message",
    [
        ({"closed_days": ["2025-13-01"]}, "is not a date"),
        ({"closed_days": ["2025-05-09/2025-05-01"]}, "ends before it starts"),
        ({"power": {"on_before": 999}}, "less than or equal to 240"),
    ],
)
def test_bad_schedule_input_is_refused_and_changes_nothing(stack, body, message):
    stack.ok("POST", "/api/v1/venues", json={"id": "v-a", "name": "粤海", "region": REGION})
    response = stack.http.patch("/api/v1/venues/v-a", json=body)
    assert response.status_code in (400, 422) and message in response.text
    assert stack.ok("GET", "/api/v1/venues/v-a")["closed_days"] == []


def test_power_on_rate_counts_lit_minutes_in_opening_hours_and_skips_closed_days(stack):
    """Open 09:00-17:00; online all of Mon and Tue; Mon the display is off 13:00-15:00; Tue is a holiday."""
    approved_pack(stack, stack.settings.data_dir.parent, "quake-basics")
    stack.ok(
        "POST", "/api/v1/venues", json={"id": "v-a", "name": "粤海", "region": REGION, "closed_days": ["2025-05-13"]}
    )
    register(stack)
    stack.ok(
        "POST",
        "/api/v1/rotations",
        json={"exhibit": "ex-1", "venue": "v-a", "starts": "2025-05-01T00:00", "ends": "2025-06-01T00:00"},
    )
    stack.clock.set(at("2025-05-12 00:00"))
    send(stack, "ex-1", "state", {"online": True, "pack": {"id": "quake-basics", "version": "1.0.0"}})
    lit = {"kiosk": {"alive": True, "fps": 30}, "screen_on": True}
    send(stack, "ex-1", "health", lit)
    stack.clock.set(at("2025-05-12 13:00"))
    send(stack, "ex-1", "health", {"kiosk": {"alive": True}, "screen_on": False, "display": {"on": False}})
    stack.clock.set(at("2025-05-12 15:00"))
    send(stack, "ex-1", "health", lit)
    # Off at night by schedule: outside opening hours, so it does not count against the rate.
    stack.clock.set(at("2025-05-12 17:10"))
    send(stack, "ex-1", "health", {"kiosk": {"alive": True}, "screen_on": False})
    stack.clock.set(at("2025-05-14 00:00"))
    stack.controller.ingester.tick()
    m = stack.ok("GET", "/api/v1/stats/metrics", params={"start": "2025-05-12", "end": "2025-05-13", "venue": "v-a"})
    assert m["opening_minutes"] == 480, "the holiday on the 13th is no opening time"
    assert m["online_open_minutes"] == 360 and m["power_on_rate"] == pytest.approx(0.75)
    assert m["online_minutes"] == 48 * 60, "dark minutes are still online minutes"
    # A kiosk that died is not "on" either.
    stack.clock.set(at("2025-05-15 00:00"))
    send(stack, "ex-1", "health", lit)
    stack.clock.set(at("2025-05-15 09:00"))
    send(stack, "ex-1", "health", {"kiosk": None})
    stack.clock.set(at("2025-05-15 11:00"))
    send(stack, "ex-1", "health", lit)
    stack.clock.set(at("2025-05-16 00:00"))
    stack.controller.ingester.tick()
    m = stack.ok("GET", "/api/v1/stats/metrics", params={"start": "2025-05-15", "end": "2025-05-15", "venue": "v-a"})
    assert m["power_on_rate"] == pytest.approx(360 / 480)
    # Re-attribution rebuilds from spans and keeps the dark minutes dark.
    from controller.domain.attribution import reattribute_all

    with stack.controller.store.write() as db:
        reattribute_all(db, stack.settings.timezone)
    m = stack.ok("GET", "/api/v1/stats/metrics", params={"start": "2025-05-12", "end": "2025-05-15", "venue": "v-a"})
    assert m["online_open_minutes"] == 720 and m["opening_minutes"] == 3 * 480


@contextlib.contextmanager
def _page_client(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.server.url, timeout=20, follow_redirects=True) as c:
        assert c.post("/login", data={"token": ADMIN}).status_code == 200
        yield c


def csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([0-9a-f]+)"', html).group(1)


def test_dashboard_venue_form_saves_closed_days_and_margins(stack):
    stack.ok("POST", "/api/v1/venues", json={"id": "v-a", "name": "粤海", "region": REGION})
    with _page_client(stack) as c:
        page = c.get("/venues")
        assert page.status_code == 200 and 'data-venue="v-a"' in page.text
        saved = c.post(
            "/venues/v-a/schedule",
            data={
                "csrf": csrf(page.text),
                "closed_days": "2025-05-20\n2025-10-01/2025-10-07",
                "on_before": "20",
                "off_after": "5",
            },
        )
        assert 'data-testid="flash-ok"' in saved.text
        bad = c.post("/venues/v-a/schedule", data={"csrf": csrf(page.text), "closed_days": "someday", "on_before": "1"})
        assert "is not a date" in bad.text
    venue = stack.ok("GET", "/api/v1/venues/v-a")
    assert venue["closed_days"] == ["2025-05-20", "2025-10-01/2025-10-07"]
    assert venue["power"] == {"on_before": 20, "off_after": 5, "wake_on_touch": False}


def test_sleep_now_from_the_dashboard_reaches_a_fake_backend_and_the_fleet_page_shows_it(tmp_path, broker, monkeypatch):
    bin_dir, log = tmp_path / "bin", tmp_path / "power.log"
    install_fake_tools(bin_dir)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    monkeypatch.setenv("FAKE_POWER_LOG", str(log))
    clock = ManualClock(at("2025-05-12 10:00"))
    stack = Stack(tmp_path / "ctl", clock, mqtt_url=broker.url)
    agent_thread = None
    stop = threading.Event()
    try:
        stack.ok("POST", "/api/v1/venues", json={"id": "v-a", "name": "粤海", "region": REGION})
        register(stack)
        stack.ok(
            "POST",
            "/api/v1/rotations",
            json={"exhibit": "ex-1", "venue": "v-a", "starts": "2025-05-01T00:00", "ends": "2025-06-01T00:00"},
        )
        config = build_config(
            {
                "exhibit": "ex-1",
                "mqtt": broker.url,
                "data": tmp_path / "ex-1",
                "power_backends": [{"kind": "vcgencmd"}],
                "health_interval": 0.3,
            }
        )
        agent = Agent(config, wall=clock.now)
        agent_thread = threading.Thread(target=agent.run, args=(stop,), daemon=True)
        agent_thread.start()
        assert wait_until(lambda: agent.desired is not None, 15), "desired state arrives"
        assert wait_until(lambda: _display(stack) == "on", 15)
        with _page_client(stack) as c:
            page = c.get("/fleet")
            assert 'data-action="sleep"' in page.text
            c.post("/exhibits/ex-1/display", data={"csrf": csrf(page.text), "on": "0", "next": "/fleet"})
            assert wait_until(lambda: ["display_power", "0"] in [x["args"] for x in calls(log)], 15)
            assert wait_until(lambda: _display(stack) == "off", 15)
            fleet = c.get("/fleet").text
            assert re.search(r'data-testid="display" data-display="off"', fleet)
            result = stack.ok("GET", "/api/v1/exhibits/ex-1/commands")[0]
            assert result["type"] == "display_off"
            # Per venue: wake every exhibit standing there.
            page = c.get("/venues")
            c.post("/venues/v-a/display", data={"csrf": csrf(page.text), "on": "1"})
            assert wait_until(lambda: _display(stack) == "on", 15)
    finally:
        stop.set()
        if agent_thread:
            agent_thread.join(10)
        stack.close()


def _display(stack: Stack) -> str | None:
    row = stack.controller.store.db.execute("SELECT health FROM exhibits WHERE id = 'ex-1'").fetchone()
    if not row or not row[0]:
        return None
    on = json.loads(row[0]).get("screen_on")
    return None if on is None else ("on" if on else "off")


def test_demo_backfill_gives_a_plausible_power_on_rate(stack):
    from controller.devtools.demo_history import backfill

    stack.ok("POST", "/api/v1/venues", json={"id": "v-a", "name": "粤海", "region": REGION})
    register(stack)
    stack.ok(
        "POST",
        "/api/v1/rotations",
        json={"exhibit": "ex-1", "venue": "v-a", "starts": "2025-04-01T00:00", "ends": "2025-06-01T00:00"},
    )
    stack.clock.set(at("2025-05-15 12:00"))
    start = at("2025-05-01 00:00")
    assert backfill(stack.settings.data_dir, ["ex-1"], start, stack.clock.now(), stack.settings.timezone) > 0
    assert backfill(stack.settings.data_dir, ["ex-1"], start, stack.clock.now(), stack.settings.timezone) == 0
    m = stack.ok("GET", "/api/v1/stats/metrics", params={"start": "2025-05-01", "end": "2025-05-15", "venue": "v-a"})
    assert 0.5 <= m["power_on_rate"] <= 1.0
    samples = stack.controller.store.db.execute("SELECT COUNT(*) FROM health_samples").fetchone()[0]
    assert samples > 1000
