"""The screenshot button on the fleet and exhibit pages: who sees it, what it sends, and the picture once uploaded."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import struct
import zlib

import httpx
import pytest

from controller.devtools.server import ServerThread
from controller.domain.commands import PENDING_FOR
from controller.settings import Settings
from controller.web.app import create_app
from kepu_contracts.clock import ManualClock
from kepu_contracts.protocol import exhibit_topic
from tests.support.dashboard import NOW, seed
from tests.test_dashboard_pages import client, csrf

TOKEN = "screens-admin"


def png(width: int = 32, height: int = 18) -> bytes:
    """A small valid PNG (one teal colour)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + b"\x0e\x7c\x6b" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    work = tmp_path_factory.mktemp("screens")
    clock = ManualClock(NOW)
    app = create_app(Settings(data_dir=work / "controller", admin_token=TOKEN), clock=clock, run_scheduler=False)
    users = seed(app.state.controller, work, clock)
    with ServerThread(app) as server:
        yield server.url, users, app.state.controller, clock


def _row(html: str, exhibit: str) -> str:
    return re.search(rf'<tr data-exhibit="{exhibit}">(.*?)</tr>', html, re.S).group(1)


def test_technician_asks_for_a_screenshot_and_sees_it_once_uploaded(site):
    url, users, core, _clock = site
    with client(url, users["wang.nanshan"], "en") as c:
        fleet = c.get("/fleet")
        assert 'data-action="screenshot"' in _row(fleet.text, "ex-quake-01")
        assert "no screenshot yet" not in fleet.text  # the fleet row stays compact
        sent_before = len(core.sent)
        done = c.post("/exhibits/ex-quake-01/screenshot", data={"csrf": csrf(fleet.text), "next": "/fleet"})
        assert done.url.path == "/fleet" and "Screenshot requested" in done.text
        command = json.loads(core.sent[-1].payload)
        assert len(core.sent) == sent_before + 1 and core.sent[-1].topic == exhibit_topic("ex-quake-01", "commands")
        assert command["type"] == "screenshot"
        row = _row(done.text, "ex-quake-01")
        assert 'data-shot-state="waiting"' in row and re.search(r'data-action="screenshot"[^>]*disabled', row)
        audit = core.store.db.execute(
            "SELECT actor, action FROM audit WHERE target = 'ex-quake-01' ORDER BY rowid DESC LIMIT 1"
        ).fetchone()
        assert tuple(audit) == ("wang.nanshan", "exhibit.command")

        # The agent uploads the PNG (here as the admin; the device-token path is tested with the agent).
        up = httpx.put(
            f"{url}/api/v1/exhibits/ex-quake-01/screenshots/{command['id']}",
            content=png(),
            headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "image/png"},
        )
        assert up.status_code == 201, up.text
        for path in ("/fleet", "/exhibits/ex-quake-01"):
            html = c.get(path).text
            img = re.search(
                r'<img src="([^"]+)" alt="Screen of [^"]+" width="32" height="18" data-testid="screenshot-img">', html
            )
            assert img, path
            assert img.group(1) == f"/api/v1/exhibits/ex-quake-01/screenshots/{command['id']}"
            assert "taken 2025-05-12 15:00:00" in html
            assert "data-shot-state" not in html
            picture = c.get(img.group(1))  # the login cookie is enough to read it
            assert picture.status_code == 200 and picture.headers["content-type"] == "image/png"


def test_a_failed_or_unanswered_request_says_so(site):
    url, _, core, clock = site
    with client(url, TOKEN, "en") as c:
        page = c.get("/exhibits/ex-food-01")
        assert "no screenshot yet" in page.text
        c.post("/exhibits/ex-food-01/screenshot", data={"csrf": csrf(page.text), "next": "/exhibits/ex-food-01"})
        command = json.loads(core.sent[-1].payload)
        clock.set(NOW + PENDING_FOR + 1)
        try:
            assert 'data-shot-state="lost"' in c.get("/exhibits/ex-food-01").text
            core.handle_message(
                exhibit_topic("ex-food-01", "command_results"),
                json.dumps(
                    {"v": 1, "id": command["id"], "ok": False, "error": "the kiosk did not answer within 10 s"}
                ).encode(),
            )
            html = c.get("/exhibits/ex-food-01").text
            assert 'data-shot-state="failed"' in html and "the kiosk did not answer within 10 s" in html
        finally:
            clock.set(NOW)


def test_viewers_see_no_button_and_cannot_post_one(site):
    url, users, core, _ = site
    with client(url, users["li.viewer"], "zh") as c:
        fleet = c.get("/fleet")
        assert 'data-action="screenshot"' not in fleet.text and 'action="/exhibits/' not in fleet.text
        assert 'data-testid="screenshot-img"' in _row(fleet.text, "ex-quake-01")  # viewing is allowed
        sent = len(core.sent)
        assert 'name="csrf"' not in fleet.text  # no forms at all; forge the token from the cookie's HMAC instead
        forged = hmac.new(c.cookies["kepu_session"].encode(), b"kepu-dashboard-form", hashlib.sha256).hexdigest()
        refused = c.post("/exhibits/ex-quake-01/screenshot", data={"csrf": forged, "next": "/fleet"})
        assert refused.url.path == "/fleet" and 'data-testid="flash-error"' in refused.text
        assert len(core.sent) == sent


def test_outside_the_region_offline_bad_csrf_and_odd_next_change_nothing(site):
    url, users, core, _ = site
    sent = len(core.sent)
    with client(url, users["wang.nanshan"], "en") as c:
        token = csrf(c.get("/fleet").text)
        outside = c.post("/exhibits/ex-scam-01/screenshot", data={"csrf": token, "next": "/fleet"})  # futian
        assert 'data-testid="flash-error"' in outside.text
        stale = c.post("/exhibits/ex-quake-01/screenshot", data={"csrf": "0" * 64, "next": "https://evil.example/"})
        assert stale.url.path == "/fleet" and "reload the page" in stale.text
    with client(url, TOKEN, "en") as c:
        row = _row(c.get("/fleet").text, "ex-scam-01")  # offline since two hours
        assert re.search(r'data-action="screenshot" disabled title="the exhibit is offline"', row)
    assert len(core.sent) == sent
