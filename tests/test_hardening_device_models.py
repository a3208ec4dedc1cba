"""Issue 11, finding 8: device messages are parsed into typed models with defaults; no page indexes raw JSON."""

from __future__ import annotations

import json

import httpx
import pytest

from kepu_contracts import messages
from kepu_contracts.clock import ManualClock
from tests.support.controller import ADMIN, Stack, at, session_cookies

ODD_HEALTH = [
    {},
    {"cpu_temp": 51.2},
    {"disk_free": 10**9},
    {"kiosk": {}},
    {"kiosk": "alive"},
    {"outbox": {"backlog": 5}},
    {"outbox": {"backlog": {"events": "many"}}},
    {"cpu_temp": "hot", "disk_free": None, "fps": [1], "uptime": "long", "throttled": 3, "screen_on": "yes"},
]
ODD_REPORTED = [
    {},
    {"last_install": "x"},
    {"installed": {"id": 5}},
    {"last_install": {"pack": "p", "result": 3}},
    {"emergency_shown": {"id": 1}},
]


def test_parsers_fill_defaults_and_drop_wrong_types():
    health = messages.parse_health({"cpu_temp": "hot", "kiosk": {"alive": "yes", "fps": 30}, "outbox": 3})
    assert health.cpu_temp is None and health.kiosk is not None and health.kiosk.alive is None
    assert health.kiosk.fps == 30 and health.outbox.backlog.events == 0
    full = messages.parse_health({"cpu_temp": 48, "disk_free": 5e9, "outbox": {"backlog": {"events": 7}}})
    assert (full.cpu_temp, full.disk_free, full.outbox.backlog.events) == (48.0, 5e9, 7)
    reported = messages.parse_reported({"installed": {"id": "p", "version": "1"}, "last_install": {"result": 3}})
    assert reported.installed == messages.PackBrief("p", "1") and reported.last_install is not None
    assert reported.last_install.result == "" and reported.last_install.pack is None
    state = messages.parse_state({"online": True, "pack": "x"})
    assert state.online is True and state.pack is None
    with pytest.raises(messages.ProtocolError):
        messages.parse_state({"online": "yes"})


def test_odd_health_and_reported_messages_never_break_the_fleet_and_exhibit_pages(tmp_path):
    stack = Stack(tmp_path / "ctl", ManualClock(at("2025-05-12 10:00")), serve=True)
    try:
        handle = stack.controller.handle_message
        for n, (health, reported) in enumerate(zip(ODD_HEALTH, ODD_REPORTED * 2, strict=False)):
            exhibit = f"ex-{n}"
            handle(f"kepu/v1/exhibits/{exhibit}/state", json.dumps({"v": 1, "online": True, "pack": "x"}).encode())
            handle(f"kepu/v1/exhibits/{exhibit}/health", json.dumps({"v": 1, **health}).encode())
            handle(f"kepu/v1/exhibits/{exhibit}/reported", json.dumps({"v": 1, **reported}).encode())
        cookies = session_cookies(stack.server.url, ADMIN)
        with httpx.Client(base_url=stack.server.url, cookies=cookies) as browser:
            page = browser.get("/fleet")
            assert page.status_code == 200, page.text[-2000:]
            assert page.text.count('data-exhibit="ex-') == len(ODD_HEALTH)
            assert "51 °C" in page.text
            for n in range(len(ODD_HEALTH)):
                one = browser.get(f"/exhibits/ex-{n}")
                assert one.status_code == 200, (n, one.text[-2000:])
            assert stack.http.get("/api/v1/exhibits").status_code == 200
    finally:
        stack.close()
