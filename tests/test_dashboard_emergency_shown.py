""" "Exhibits showing it" on the campaigns page counts what the kiosk confirms on screen, not what the agent handed over."""

from __future__ import annotations

import json

import httpx
import pytest

from controller.devtools.server import ServerThread
from controller.domain import emergencies
from controller.domain.auth import Principal
from controller.settings import Settings
from controller.web.app import create_app
from controller.web.dashboard.queries import showing_emergency
from kepu_contracts.clock import ManualClock
from kepu_contracts.protocol import exhibit_topic
from tests.support.controller import session_cookies
from tests.support.dashboard import NOW, TZ, seed

ADMIN = Principal("admin", "admin")


@pytest.mark.parametrize(
    ("reported", "showing"),
    [
        ({"emergency": "7", "emergency_shown": "7"}, "7"),
        ({"emergency": "7", "emergency_shown": None}, None),  # handed over, not yet on screen
        ({"emergency": None, "emergency_shown": "7"}, "7"),  # still on screen while the kiosk clears it
        ({"emergency": "7"}, "7"),  # an older agent without the key: trust what it handed over
        ({}, None),
    ],
)
def test_showing_emergency_prefers_the_screens_word(reported, showing):
    assert showing_emergency(reported) == showing


def test_campaigns_page_counts_only_confirmed_screens(tmp_path):
    clock = ManualClock(NOW)
    app = create_app(Settings(data_dir=tmp_path / "controller", admin_token="t"), clock=clock, run_scheduler=False)
    core = app.state.controller
    seed(core, tmp_path, clock)
    with core.store.write() as db:
        em = emergencies.create(
            db,
            ADMIN,
            {"region": "guangdong/shenzhen/nanshan/yuehai", "message": {"zh": "台风", "en": "Typhoon"}},
            NOW - 60,
            NOW + 3600,
            NOW,
            TZ,
        )
    core.changed()

    def report(**fields) -> str:
        core.handle_message(
            exhibit_topic("ex-quake-01", "reported"), json.dumps({"v": 1, "installed": None, **fields}).encode()
        )
        return httpx.get(
            server.url + "/campaigns", cookies={**session_cookies(server.url, "t"), "kepu_lang": "en"}, timeout=20
        ).text

    with ServerThread(app) as server:
        assert 'data-showing="ex-quake-01:0"' in report(emergency=str(em["id"]), emergency_shown=None)
        page = report(emergency=str(em["id"]), emergency_shown=str(em["id"]))
        assert 'data-showing="ex-quake-01:1"' in page and "1/1" in page
