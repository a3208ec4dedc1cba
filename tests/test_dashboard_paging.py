"""A province's long lists, a page at a time: fleet (problems first, region and state filters), rotations,
venues, the overview's short lists, and the API's paged /stats/usage and /exhibits (issue 15)."""

from __future__ import annotations

import json
import re
from datetime import datetime
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import httpx
import pytest

from controller.devtools.server import ServerThread
from controller.domain.opening import DEFAULT_HOURS
from controller.domain.rollups import RollupDelta
from controller.settings import Settings
from controller.web.app import create_app
from kepu_contracts.clock import ManualClock
from tests.test_dashboard_pages import client

TOKEN = "paging-admin"
TZ = "Asia/Shanghai"
NOW = datetime(2025, 6, 18, 11, 0, tzinfo=ZoneInfo(TZ)).timestamp()
EXHIBITS = [f"ex-{i:03d}" for i in range(130)]
OFFLINE = {e for i, e in enumerate(EXHIBITS) if i % 4 == 1}  # 33 offline, scattered through the ids
REGIONS = (
    "guangdong/shenzhen/nanshan/yuehai",
    "guangdong/shenzhen/futian/lianhua",
    "guangdong/foshan/chancheng/zumiao",
)


def _exhibit_rows(html: str) -> list[str]:
    return re.findall(r'<tr data-exhibit="([^"]+)">', html)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    work = tmp_path_factory.mktemp("paging")
    app = create_app(
        Settings(data_dir=work / "controller", admin_token=TOKEN, timezone=TZ),
        clock=ManualClock(NOW),
        run_scheduler=False,
    )
    store = app.state.controller.store
    venues = [f"v-{n:02d}" for n in range(60)]
    with store.write() as w:
        for n, venue in enumerate(venues):
            w["venues"].insert(
                {
                    "id": venue,
                    "name": f"科普室 {n}",
                    "region": REGIONS[n % 3],
                    "opening_hours": json.dumps(DEFAULT_HOURS),
                    "created": 0,
                }
            )
        delta = RollupDelta(TZ)
        for i, exhibit in enumerate(EXHIBITS):
            health = json.dumps({"cpu_temp": 50, "disk_free": 8e9, "fps": 30.0, "kiosk": {"alive": True}})
            w["exhibits"].insert(
                {
                    "id": exhibit,
                    "name": f"展品 {i}",
                    "region": "",
                    "enrolled": 1,
                    "created": 0,
                    "online": int(exhibit not in OFFLINE),
                    "last_seen": NOW - 30,
                    "health": "{}" if exhibit in OFFLINE else health,
                }
            )
            venue = venues[i % len(venues)]
            w["rotations"].insert({"exhibit": exhibit, "venue": venue, "starts": NOW - 40 * 86400, "ends": NOW + 9e5})
            for day in range(20):
                delta.add(NOW - day * 86400, exhibit, venue, "quake", sessions=1 + i % 5, ended=1, events=3)
        delta.flush(w)
    with ServerThread(app) as server:
        yield server.url


def test_fleet_pages_put_problems_first_and_keep_the_filters(site):
    with client(site, TOKEN, "en") as c:
        first = c.get("/fleet").text
        assert "130 exhibits, 97 online" in first and "33 need attention" in first
        rows = _exhibit_rows(first)
        assert len(rows) == 50 and rows[:33] == sorted(OFFLINE), "the offline exhibits lead, by id"
        assert rows[33:] == sorted(set(EXHIBITS) - OFFLINE)[:17]
        seen = list(rows)
        for page in (2, 3):
            seen += _exhibit_rows(c.get("/fleet", params={"page": page}).text)
        assert sorted(seen) == EXHIBITS and len(seen) == len(set(seen)), "every exhibit once over the pages"
        assert _exhibit_rows(c.get("/fleet", params={"page": 99}).text) == _exhibit_rows(
            c.get("/fleet", params={"page": 3}).text
        ), "past the end: the last page"
        problems = c.get("/fleet", params={"state": "problem"}).text
        assert _exhibit_rows(problems) == sorted(OFFLINE)
        online = _exhibit_rows(c.get("/fleet", params={"state": "online", "page": 2}).text)
        assert online == sorted(set(EXHIBITS) - OFFLINE)[50:97]
        foshan = c.get("/fleet", params={"region": "guangdong/foshan", "state": "offline"}).text
        at_foshan = {e for i, e in enumerate(EXHIBITS) if (i % 60) % 3 == 2}
        assert _exhibit_rows(foshan) == sorted(at_foshan & OFFLINE)
        # The pager links carry the filters along.
        online_page = c.get("/fleet", params={"state": "online"}).text
        following = re.search(r'href="(/fleet\?[^"]+)" data-action="next"', online_page).group(1)
        assert parse_qs(urlsplit(following.replace("&amp;", "&")).query) == {"state": ["online"], "page": ["2"]}
        assert c.get("/fleet", params={"state": "nonsense"}).status_code == 200  # an unknown state: all
        assert c.get("/fleet", params={"page": 0}).status_code == 422


def test_overview_lists_a_few_exhibits_and_the_busiest_venues(site):
    with client(site, TOKEN, "en") as c:
        page = c.get("/").text
    assert len(_exhibit_rows(page)) == 20 and _exhibit_rows(page)[0] == sorted(OFFLINE)[0]
    assert 'data-testid="overview-fleet-link"' in page and "20 of 130 shown" in page
    assert len(re.findall(r'<tr data-venue="', page)) == 50 and "The 50 busiest of 60 venues" in page
    assert re.search(r'data-testid="online-count">97<small> / 130</small>', page)


def test_rotations_and_venues_come_a_page_at_a_time(site):
    with client(site, TOKEN, "en") as c:
        lanes = [re.findall(r'data-lane="([^"]+)"', c.get("/rotations", params={"page": p}).text) for p in (1, 2, 3)]
        assert [len(x) for x in lanes] == [50, 50, 30] and [x for lane in lanes for x in lane] == EXHIBITS
        stays = re.findall(
            r'<tr id="stay-\d+" data-stay="\d+">\s*<td>\d+</td><td class="nowrap">([^<]+)<', c.get("/rotations").text
        )
        assert stays == EXHIBITS[:50], "the stays listed are the page's exhibits'"
        cards = [
            re.findall(r'<section class="card" data-venue="([^"]+)"', c.get("/venues", params={"page": p}).text)
            for p in (1, 2)
        ]
        assert [len(x) for x in cards] == [50, 10] and len({x for card in cards for x in card}) == 60


def test_api_usage_is_paged_and_exhibits_can_be(site):
    with httpx.Client(base_url=site, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=20) as api:
        whole = api.get("/api/v1/stats/usage", params={"limit": 10_000}).json()
        assert len(whole) > 1000 and "link" not in api.get("/api/v1/stats/usage", params={"limit": 10_000}).headers
        response = api.get("/api/v1/stats/usage")
        assert response.json() == whole[:1000], "by default the first 1000 rows"
        pages, url = [], "/api/v1/stats/usage?limit=400"
        while url:
            response = api.get(url)
            pages += response.json()
            link = response.headers.get("link")
            url = re.match(r"<([^>]+)>; rel=\"next\"", link).group(1) if link else None
        assert pages == whole
        assert api.get("/api/v1/stats/usage", params={"limit": 0}).status_code == 422
        everyone = api.get("/api/v1/exhibits")
        assert [e["id"] for e in everyone.json()] == EXHIBITS and everyone.headers["x-total-count"] == "130"
        some = api.get("/api/v1/exhibits", params={"limit": 7, "offset": 120}).json()
        assert [e["id"] for e in some] == EXHIBITS[120:127]
        assert all(e["venue"]["id"] for e in some), "each with the venue it stands at now"


HEALTHS = [
    "{}",
    '{"kiosk": {"alive": false}}',
    '{"kiosk": {"alive": true}, "cpu_temp": 50}',
    '{"kiosk": {"alive": "false"}}',
    '{"kiosk": "down"}',
    "[1, 2]",
    "not json {",
    '{"kiosk": {"alive": false}, "cpu_temp": NaN}',
]
REPORTED = [
    "{}",
    '{"last_install": {"pack": {"id": "quake", "version": "2.0.0"}, "result": "rolled_back", "reason": "crash"}}',
    '{"last_install": {"pack": {"id": "quake", "version": "2.0.0"}, "result": "ok"}}',
    '{"last_install": "x"}',
]
DESIRED = [
    None,
    '{"pack": {"id": "quake", "version": "2.0.0"}}',
    '{"pack": {"id": "quake", "version": "1.0.0"}}',
    '{"pack": {"id": "quake"}}',
    '{"pack": {}}',
    '{"emergency": null}',
]


def test_fleet_listing_ranks_as_building_every_row_would(tmp_path):
    """The quick ranking (SQLite reads the JSON) gives the order, counts and rows of the full one, odd devices and all."""
    from controller.domain.auth import Principal
    from controller.store.db import Store
    from controller.web.dashboard import queries

    store = Store(tmp_path / "controller.db")
    with store.write() as w:
        w["venues"].insert(
            {"id": "v", "name": "v", "region": REGIONS[0], "opening_hours": json.dumps(DEFAULT_HOURS), "created": 0}
        )
        n = 0
        for health in HEALTHS:
            for reported in REPORTED:
                for desired in DESIRED:
                    for online, pack in ((0, None), (1, ("quake", "1.0.0")), (1, ("quake", "2.0.0"))):
                        exhibit = f"ex-{n:03d}"
                        n += 1
                        w["exhibits"].insert(
                            {
                                "id": exhibit,
                                "name": exhibit,
                                "region": REGIONS[n % 3],
                                "enrolled": 1,
                                "created": 0,
                                "online": online,
                                "health": health,
                                "reported": reported,
                                "desired": desired,
                                "pack_id": pack[0] if pack else None,
                                "pack_version": pack[1] if pack else None,
                            }
                        )
                        w["rotations"].insert({"exhibit": exhibit, "venue": "v", "starts": 0, "ends": NOW + 9e5})
                        if n % 7 == 0:
                            w["install_results"].insert(
                                {
                                    "exhibit": exhibit,
                                    "pack_id": "quake",
                                    "pack_version": "2.0.0",
                                    "result": "refused",
                                    "received": 0,
                                }
                            )
    db, admin = store.db, Principal("admin", "admin", "")
    assert n > 500
    for region in (None, "guangdong/shenzhen"):
        rows = queries.fleet_rows(db, admin, NOW, TZ, region)
        for state in ("", *queries.FLEET_STATES):
            for page in (1, 2, 5, 50):
                quick = queries.fleet_listing(db, admin, NOW, TZ, region, state, page)
                full = queries.fleet_page(rows, state, page)
                assert [r["id"] for r in quick["rows"]] == [r["id"] for r in full["rows"]], (region, state, page)
                assert quick["rows"] == full["rows"]
                assert {k: v for k, v in quick.items() if k != "rows"} == {k: v for k, v in full.items() if k != "rows"}
    store.close()
