"""Issue 11, finding 13: after a rolled-back pin and a campaign that ended, the exhibit converges to the stay's
last good pack, and the dashboard says which version was refused and why instead of "installing"."""

from __future__ import annotations

import json

import httpx

from kepu_contracts.clock import ManualClock
from tests.support.controller import ADMIN, Stack, approved_pack, at, session_cookies

REGION = "guangdong/shenzhen/nanshan/yuehai"


def desired_pack(stack: Stack) -> tuple[str, str] | None:
    sent = [json.loads(m.payload) for m in stack.controller.sent if m.topic == "kepu/v1/exhibits/ex-1/desired"]
    pack = sent[-1]["pack"] if sent else None
    return (pack["id"], pack["version"]) if pack else None


def report(stack: Stack, installed: tuple[str, str], last: tuple[str, str], result: str, reason: str | None) -> None:
    pack = {"id": installed[0], "version": installed[1]}
    stack.controller.handle_message(
        "kepu/v1/exhibits/ex-1/state", json.dumps({"v": 1, "online": True, "pack": pack}).encode()
    )
    body = {
        "v": 1,
        "installed": pack,
        "playing": None,
        "last_install": {"pack": {"id": last[0], "version": last[1]}, "result": result, "reason": reason, "at": "x"},
    }
    stack.controller.handle_message("kepu/v1/exhibits/ex-1/reported", json.dumps(body).encode())


def test_a_refused_pin_after_an_ended_campaign_falls_back_to_the_stays_last_good_pack(tmp_path):
    stack = Stack(tmp_path / "ctl", ManualClock(at("2025-05-01 08:00")), serve=True)
    try:
        for pack_id, version in (("basics", "1.0.0"), ("basics", "2.0.0"), ("promo", "1.0.0")):
            approved_pack(stack, tmp_path, pack_id, version)
        stack.ok(
            "POST",
            "/api/v1/venues",
            json={"id": "v-1", "name": "v", "region": REGION, "default_pack": {"id": "basics", "version": "1.0.0"}},
        )
        report(stack, ("basics", "1.0.0"), ("basics", "1.0.0"), "ok", None)  # an exhibit already on it
        stay = stack.ok(
            "POST",
            "/api/v1/rotations",
            json={"exhibit": "ex-1", "venue": "v-1", "starts": "2025-05-01T00:00", "ends": "2025-06-01T00:00"},
        )
        stack.move_to(at("2025-05-02 09:00"))
        assert desired_pack(stack) == ("basics", "1.0.0")
        report(stack, ("basics", "1.0.0"), ("basics", "1.0.0"), "ok", "already installed")
        # A technician pins 2.0.0, whose font is broken: the agent rolls back to 1.0.0.
        stack.ok("PATCH", f"/api/v1/rotations/{stay['id']}", json={"pack": {"id": "basics", "version": "2.0.0"}})
        assert desired_pack(stack) == ("basics", "2.0.0")
        report(stack, ("basics", "1.0.0"), ("basics", "2.0.0"), "rolled_back", "font NotoSans.ttf is broken")
        # A campaign installs another pack, then ends.
        stack.ok(
            "POST",
            "/api/v1/campaigns",
            json={
                "name": "May Day",
                "region": REGION,
                "pack": {"id": "promo", "version": "1.0.0"},
                "starts": "2025-05-05",
                "ends": "2025-05-06",
                "priority": 5,
            },
        )
        stack.move_to(at("2025-05-05 09:00"))
        assert desired_pack(stack) == ("promo", "1.0.0")
        report(stack, ("promo", "1.0.0"), ("promo", "1.0.0"), "ok", None)
        stack.move_to(at("2025-05-08 09:00"))
        # Not back to the refused 2.0.0 (which the agent would skip, leaving the ended campaign's pack on).
        assert desired_pack(stack) == ("basics", "1.0.0")
        report(stack, ("basics", "1.0.0"), ("basics", "1.0.0"), "ok", None)
        page = httpx.get(
            f"{stack.server.url}/fleet", cookies={**session_cookies(stack.server.url, ADMIN), "kepu_lang": "en"}
        ).text
        row = page[page.index('data-exhibit="ex-1"') :]
        row = row[: row.index("</tr>")]
        assert 'data-install="installing"' not in row
        assert "2.0.0 was refused" in row and "font NotoSans.ttf is broken" in row, row
        exhibit = stack.ok("GET", "/api/v1/exhibits/ex-1")
        assert exhibit["desired_pack"]["version"] == "1.0.0"
    finally:
        stack.close()


def test_with_no_good_pack_to_fall_back_to_the_dashboard_says_refused(tmp_path):
    stack = Stack(tmp_path / "ctl", ManualClock(at("2025-05-01 08:00")), serve=True)
    try:
        approved_pack(stack, tmp_path, "basics", "2.0.0")
        stack.ok("POST", "/api/v1/venues", json={"id": "v-1", "name": "v", "region": REGION})
        stack.controller.handle_message("kepu/v1/exhibits/ex-1/state", b'{"v":1,"online":true}')
        stack.ok(
            "POST",
            "/api/v1/rotations",
            json={
                "exhibit": "ex-1",
                "venue": "v-1",
                "starts": "2025-05-01T00:00",
                "ends": "2025-06-01T00:00",
                "pack": {"id": "basics", "version": "2.0.0"},
            },
        )
        stack.move_to(at("2025-05-02 09:00"))
        report(stack, ("none", ""), ("basics", "2.0.0"), "refused", "signature does not verify")
        page = httpx.get(
            f"{stack.server.url}/fleet", cookies={**session_cookies(stack.server.url, ADMIN), "kepu_lang": "en"}
        ).text
        row = page[page.index('data-exhibit="ex-1"') :]
        row = row[: row.index("</tr>")]
        assert 'data-install="refused"' in row and "2.0.0 was refused" in row and "signature does not verify" in row
    finally:
        stack.close()
