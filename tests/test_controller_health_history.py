"""Health history: one sample per exhibit per 5 minutes from the health channel, pruned after health_history.KEEP_DAYS (8), on the exhibit page."""

from __future__ import annotations

import json
import re

import httpx

from controller.devtools.server import ServerThread
from controller.domain import health_history
from controller.settings import Settings
from controller.web.app import create_app
from kepu_contracts.clock import ManualClock
from kepu_contracts.protocol import encode, exhibit_topic
from tests.support.controller import session_cookies

T0 = 1_747_000_800.0  # 2025-05-12 06:00 in Shanghai
EXHIBIT = "ex-hh-01"


def _health(temp: float, alive: bool = True, **extra) -> bytes:
    return encode(
        {
            "exhibit": EXHIBIT,
            "uptime": 100,
            "fps": 30,
            "cpu_temp": temp,
            "disk_free": 5e9,
            "kiosk": {"alive": alive, "fps": 30},
            "undervoltage": False,
            "outbox": {"backlog": {"events": 2}},
            **extra,
        }
    )


def _app(tmp_path, clock):
    return create_app(Settings(data_dir=tmp_path / "controller", admin_token="hh"), clock=clock, run_scheduler=False)


def test_health_is_thinned_to_one_sample_per_five_minutes_and_pruned_after_thirty_days(tmp_path):
    clock = ManualClock(T0)
    core = _app(tmp_path, clock).state.controller
    # Every 30 s for 12 minutes: samples at 0, 5 and 10 minutes only.
    for i in range(25):
        clock.set(T0 + i * 30)
        core.handle_message(exhibit_topic(EXHIBIT, "health"), _health(40 + i))
    rows = health_history.samples(core.store.db, EXHIBIT, 0)
    assert [r["ts"] - T0 for r in rows] == [0, 300, 600]
    assert [r["cpu_temp"] for r in rows] == [40, 50, 60]
    assert (
        rows[0]["kiosk_alive"] == 1
        and rows[0]["undervoltage"] == 0
        and rows[0]["backlog"] == 2
        and rows[0]["disk_free"] == 5e9
    )
    # The latest message still replaces the exhibit's current health.
    assert (
        json.loads(core.store.db.execute("SELECT health FROM exhibits WHERE id = ?", [EXHIBIT]).fetchone()[0])[
            "cpu_temp"
        ]
        == 64
    )
    # Another exhibit has its own window.
    core.handle_message(exhibit_topic("ex-hh-02", "health"), encode({"exhibit": "ex-hh-02", "cpu_temp": 33}))
    assert len(health_history.samples(core.store.db, "ex-hh-02", 0)) == 1
    # 31 days on, the next sample prunes everything older than KEEP_DAYS (for that exhibit).
    clock.set(T0 + 31 * 86400)
    core.handle_message(exhibit_topic(EXHIBIT, "health"), _health(45, alive=False, undervoltage=True))
    rows = health_history.samples(core.store.db, EXHIBIT, 0)
    assert len(rows) == 1 and rows[0]["kiosk_alive"] == 0 and rows[0]["undervoltage"] == 1
    assert len(health_history.samples(core.store.db, "ex-hh-02", 0)) == 1


def test_odd_health_fields_are_stored_as_unknown_not_refused():
    assert health_history.sample(
        {"cpu_temp": "hot", "fps": True, "kiosk": None, "throttled": {"undervoltage": True}}
    ) == {
        "cpu_temp": None,
        "disk_free": None,
        "fps": None,
        "kiosk_fps": None,
        "kiosk_alive": 0,
        "undervoltage": 1,
        "screen_on": None,
        "uptime": None,
        "backlog": None,
    }


def test_exhibit_page_shows_the_hourly_chart_data_and_table(tmp_path):
    clock = ManualClock(T0)
    app = _app(tmp_path, clock)
    core = app.state.controller
    for minutes in range(0, 180, 5):  # three hours of samples, kiosk down in the last one
        clock.set(T0 + minutes * 60)
        core.handle_message(exhibit_topic(EXHIBIT, "health"), _health(40 + minutes // 60 * 10, alive=minutes < 120))
    with ServerThread(app) as server:
        page = httpx.get(
            f"{server.url}/exhibits/{EXHIBIT}",
            cookies={**session_cookies(server.url, "hh"), "kepu_lang": "en"},
            timeout=20,
        ).text
    data = json.loads(
        re.search(r'<script type="application/json" id="ex-health-data">(.*?)</script>', page, re.S).group(1)
    )
    chart = data["chart"]
    assert (
        len(chart["hours"]) == 7 * 24 + 1
        and chart["hours"][0] == "2025-05-05 08:00"
        and chart["hours"][-1] == "2025-05-12 08:00"
    )
    assert chart["temp_mean"][-3:] == [40, 50, 60] and chart["temp_mean"][0] is None  # a gap, not a zero
    assert data["labels"]["temp_max"] == "Max temp °C"
    table = re.search(r'data-testid="health-table">(.*?)</table>', page, re.S).group(1)
    assert '2025-05-12 08:00</td><td class="num">12</td><td class="num">60.0' in table and "⚠ 12" in table
    assert "only the latest" not in page and "keeps only" not in page
