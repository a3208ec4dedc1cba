"""Cancelling a stay from the dashboard re-attributes its visits in the controller's own time zone."""

from __future__ import annotations

import re
import sqlite3
from contextlib import closing
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx

from controller.devtools.server import ServerThread
from controller.domain.opening import buckets
from controller.settings import Settings
from controller.web.app import create_app
from kepu_contracts.clock import ManualClock
from kepu_contracts.protocol import encode
from tests.support.controller import batch, session_events

ZONE = "America/New_York"  # twelve hours from the default zone, so a wrong zone shows in every label
TOKEN = "stay-admin"


def test_deleting_a_stay_on_the_dashboard_uses_the_configured_zone(tmp_path):
    visit = datetime(2025, 5, 12, 10, 30, tzinfo=ZoneInfo(ZONE)).timestamp()
    clock = ManualClock(visit + 3600)
    settings = Settings(data_dir=tmp_path / "ctl", admin_token=TOKEN, timezone=ZONE)
    app = create_app(settings, clock=clock, run_scheduler=False)
    controller = app.state.controller
    with ServerThread(app) as server, httpx.Client(base_url=server.url, timeout=20, follow_redirects=True) as c:
        api = {"Authorization": f"Bearer {TOKEN}"}
        # The exhibit registers itself by speaking first (as a new agent does).
        controller.handle_message("kepu/v1/exhibits/ex-ny/state", encode({"online": True, "exhibit": "ex-ny"}))
        c.post("/api/v1/venues", headers=api, json={"id": "v-ny", "name": "Queens Hall", "region": "us/ny/queens"})
        stay = c.post(
            "/api/v1/rotations",
            headers=api,
            json={"exhibit": "ex-ny", "venue": "v-ny", "starts": "2025-05-12T08:00:00", "ends": "2025-05-13T08:00:00"},
        )
        assert stay.status_code < 300, stay.text
        controller.handle_message(
            "kepu/v1/exhibits/ex-ny/events", encode(batch("ex-ny", session_events("ex-ny", 1, visit)))
        )
        controller.ingester.tick()
        c.post("/login", data={"token": TOKEN})
        page = c.get("/rotations").text
        csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page).group(1)
        done = c.post(f"/rotations/{stay.json()['id']}/delete", data={"csrf": csrf})
        assert done.status_code == 200 and "flash error" not in done.text, done.text[-2000:]
    with closing(sqlite3.connect(settings.db_path)) as conn:
        hours = {r[0] for r in conn.execute("SELECT hour FROM rollup_hourly WHERE exhibit = 'ex-ny' AND sessions > 0")}
        venues = {r[0] for r in conn.execute("SELECT venue FROM rollup_hourly WHERE exhibit = 'ex-ny'")}
    assert venues == {""}, "the visit went back to in transit"
    assert hours == {buckets(visit, ZONE).hour} == {"2025-05-12T10"}
