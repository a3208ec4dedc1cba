"""The dashboard needs a login, shows sessions per exhibit, and /docs works without the internet."""

from __future__ import annotations

import re

import httpx
import pytest

from controller.devtools.server import ServerThread
from controller.settings import Settings
from controller.web.app import create_app
from kepu_contracts.clock import ManualClock
from kepu_contracts.protocol import encode, exhibit_topic

TOKEN = "pages-admin"


@pytest.fixture
def served(tmp_path):
    app = create_app(
        Settings(data_dir=tmp_path, admin_token=TOKEN), clock=ManualClock(1_747_000_000), run_scheduler=False
    )
    with ServerThread(app) as server:
        yield app.state.controller, server.url


def test_dashboard_redirects_to_login_then_shows_sessions(served):
    controller, url = served
    events = [
        {
            "id": f"e{i}",
            "seq": i,
            "ts": 1_747_000_000.0 + i,
            "mono": 1.0,
            "boot": "b",
            "synced": True,
            "type": "session_start",
            "session": f"s{i}",
            "scene": None,
            "data": {},
        }
        for i in (1, 2, 3)
    ]
    controller.handle_message(
        exhibit_topic("ex-dash-01", "events"), encode({"exhibit": "ex-dash-01", "batch": "b", "events": events})
    )
    with httpx.Client(base_url=url, timeout=10) as browser:
        first = browser.get("/", follow_redirects=False)
        assert first.status_code == 303 and first.headers["location"] == "/login"
        refused = browser.post("/login", data={"token": "wrong"})
        assert refused.status_code == 401 and "unknown or revoked token" in refused.text
        login = browser.post("/login", data={"token": TOKEN})
        assert login.status_code == 303 and login.headers["location"] == "/"
        page = browser.get("/")
        assert page.status_code == 200
        row = re.search(r'data-exhibit="ex-dash-01".*?class="num sessions">(\d+)<', page.text, re.S)
        assert row and row.group(1) == "3"
        # The login cookie is good for reads only: writes still need the bearer header.
        assert browser.get("/api/v1/exhibits").status_code == 200
        assert browser.patch("/api/v1/exhibits/ex-dash-01", json={"name": "x"}).status_code == 401


def test_every_page_asset_is_served_locally(served):
    _, url = served
    with httpx.Client(base_url=url, timeout=10) as client:
        for page in ("/login", "/docs"):
            html = client.get(page).text
            assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css|png))"', html)
            assert assets, page
            for asset in assets:
                assert asset.startswith("/static/"), f"{page} loads {asset} from elsewhere"
                assert client.get(asset).status_code == 200, asset
        spec = client.get("/openapi.json").json()
        assert "/api/v1/exhibits/{exhibit}/counts" in spec["paths"]
