"""Packs page: assign a pack to one exhibit's current stay (technician), refused outside the region or in transit."""

from __future__ import annotations

import re

import pytest

from controller.devtools.server import ServerThread
from controller.settings import Settings
from controller.web.app import create_app
from kepu_contracts.clock import ManualClock
from tests.support.dashboard import NOW, seed
from tests.test_dashboard_pages import client, csrf

TOKEN = "stay-pack-admin"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    work = tmp_path_factory.mktemp("stay-pack")
    app = create_app(
        Settings(data_dir=work / "controller", admin_token=TOKEN), clock=ManualClock(NOW), run_scheduler=False
    )
    users = seed(app.state.controller, work, app.state.controller.clock)
    with ServerThread(app) as server:
        yield server.url, users, app.state.controller


def _form(html: str) -> str:
    return re.search(
        r'<form method="post" action="/packs/quake-safety/1.0.0/assign-exhibit".*?</form>', html, re.S
    ).group(0)


def test_assign_a_pack_to_one_exhibits_current_stay(site):
    url, _, core = site
    with client(url, TOKEN, "en") as c:
        page = c.get("/packs").text
        options = re.findall(r'<option value="(ex-[a-z0-9-]+)"', _form(page))
        assert "ex-food-01" in options and "ex-carbon-01" not in options  # in transit: no stay to pin on
        done = c.post("/packs/quake-safety/1.0.0/assign-exhibit", data={"csrf": csrf(page), "exhibit": "ex-food-01"})
        assert "Assigned to that exhibit" in done.text
        stay = core.store.db.execute(
            "SELECT pack_id, pack_version FROM rotations WHERE exhibit = 'ex-food-01' AND starts <= ? AND ends > ?",
            [NOW, NOW],
        ).fetchone()
        assert tuple(stay) == ("quake-safety", "1.0.0")
        assert 'data-rollout="ex-food-01"' in done.text  # the rollout now lists it
        transit = c.post(
            "/packs/quake-safety/1.0.0/assign-exhibit", data={"csrf": csrf(page), "exhibit": "ex-carbon-01"}
        )
        assert "no current stay" in transit.text
        draft = c.post("/packs/food-safety/1.1.0/assign-exhibit", data={"csrf": csrf(page), "exhibit": "ex-quake-01"})
        assert 'data-testid="flash-error"' in draft.text


def test_viewers_have_no_form_and_districts_stay_in_their_region(site):
    url, users, _ = site
    with client(url, users["li.viewer"]) as c:
        assert "assign-exhibit" not in c.get("/packs").text
    with client(url, users["wang.nanshan"], "en") as c:
        page = c.get("/packs").text
        assert "ex-scam-01" not in _form(page)  # futian
        refused = c.post("/packs/quake-safety/1.0.0/assign-exhibit", data={"csrf": csrf(page), "exhibit": "ex-scam-01"})
        assert 'data-testid="flash-error"' in refused.text
