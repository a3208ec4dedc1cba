"""Dashboard pages over real HTTP: login, roles and region scope, zh/en labels, forms, refusals, downloads."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import io
import re
from collections.abc import Iterator

import httpx
import pytest

from controller.devtools.server import ServerThread
from controller.settings import Settings
from controller.web.app import create_app
from controller.web.dashboard.i18n import LABELS
from kepu_contracts.clock import ManualClock
from tests.support.dashboard import NOW, seed

TOKEN = "dash-admin"
PAGES = ("/", "/fleet", "/exhibits/ex-quake-01", "/rotations", "/packs", "/campaigns", "/reports")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    work = tmp_path_factory.mktemp("dashboard")
    clock = ManualClock(NOW)
    app = create_app(Settings(data_dir=work / "controller", admin_token=TOKEN), clock=clock, run_scheduler=False)
    users = seed(app.state.controller, work, clock)
    with ServerThread(app) as server:
        yield server.url, users, app.state.controller


@contextlib.contextmanager
def client(url: str, token: str, lang: str = "zh") -> Iterator[httpx.Client]:
    """A browser-like session: logged in with `token`, reading in `lang`."""
    with httpx.Client(base_url=url, timeout=20, follow_redirects=True) as c:
        login = c.post("/login", data={"token": token})
        assert login.status_code == 200 and login.url.path == "/", login.text
        c.cookies.set("kepu_lang", lang)
        yield c


def csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([0-9a-f]+)"', html).group(1)


def test_every_label_has_both_languages():
    for key, (zh, en) in LABELS.items():
        assert zh.strip() and en.strip(), key


def test_pages_need_a_login(site):
    url, _, _ = site
    for path in PAGES:
        response = httpx.get(url + path, follow_redirects=False, timeout=10)
        assert response.status_code == 303 and response.headers["location"] == "/login", path


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_page_renders_in_both_languages_with_local_assets_only(site, lang):
    url, _, _ = site
    with client(url, TOKEN, lang) as c:
        for path in PAGES:
            page = c.get(path)
            assert page.status_code == 200, (path, page.text[:500])
            assert f'<html lang="{"zh-CN" if lang == "zh" else "en"}"' in page.text
            # No untranslated keys leak through (keys look like "ov.today").
            leaked = re.findall(r">\s*((?:nav|ov|fl|ex|ro|pk|cp|em|rp|col|wd)\.[a-z_]+)\s*<", page.text)
            assert not leaked, (path, leaked)
            for asset in re.findall(r'(?:src|href)="([^"]+\.(?:js|css|png|svg))"', page.text):
                assert asset.startswith("/static/"), f"{path} loads {asset} from elsewhere"
                assert c.get(asset).status_code == 200, asset
            assert "Visits today" in c.get("/").text if lang == "en" else "今日人次" in c.get("/").text


def test_language_switch_by_query_is_remembered(site):
    url, _, _ = site
    with httpx.Client(base_url=url, timeout=10) as c:
        c.post("/login", data={"token": TOKEN})
        assert "Visits today" in c.get("/?lang=en").text
        assert "Visits today" in c.get("/").text, "the cookie keeps the choice"
        assert "今日人次" in c.get("/?lang=zh").text


def test_overview_shows_counts_by_venue_and_exhibit(site):
    url, _, controller = site
    with client(url, TOKEN) as c:
        page = c.get("/").text
    row = re.search(r'data-exhibit="ex-quake-01".*?class="num sessions">(\d+)<', page, re.S)
    expected = controller.store.db.execute("SELECT COUNT(*) FROM visits WHERE exhibit = 'ex-quake-01'").fetchone()[0]
    assert row and int(row.group(1)) == expected > 0
    for venue in ("粤海街道科普室", "蛇口社区党群服务中心", "莲花街道少年宫科普角"):
        assert venue in page
    assert 'data-chart="daily"' in page and 'data-chart="heat"' in page
    assert "<details>" in page, "every chart has a data table"


def test_viewer_sees_no_write_controls(site):
    url, users, _ = site
    with client(url, users["li.viewer"]) as c:
        for path in PAGES:
            page = c.get(path).text
            forms = re.findall(r'<form[^>]*method="post"[^>]*action="([^"]+)"', page)
            assert forms == ["/logout"], (path, forms)
        # And the server refuses anyway.
        # The form token is bound to the login cookie (a server-side session, not the API token).
        token = hmac.new(c.cookies["kepu_session"].encode(), b"kepu-dashboard-form", hashlib.sha256).hexdigest()
        refused = c.post(
            "/emergencies",
            data={"csrf": token, "region": "", "minutes": "5", "message_zh": "x", "confirm": "all"},
            follow_redirects=False,
        )
        assert refused.status_code == 303 and "reviewer+role" in refused.headers["location"]


def test_district_user_sees_only_their_district(site):
    url, users, _ = site
    with client(url, users["wang.nanshan"]) as c:
        overview, fleet = c.get("/").text, c.get("/fleet").text
        assert "粤海街道科普室" in overview and "莲花街道少年宫科普角" not in overview
        assert "ex-quake-01" in fleet and "ex-scam-01" not in fleet
        assert c.get("/exhibits/ex-scam-01").status_code == 404
        report = c.get("/reports").text
        assert "蛇口社区党群服务中心" in report and "莲花街道少年宫科普角" not in report
        assert c.get("/reports", params={"region": "guangdong/shenzhen/futian"}).status_code == 200
        assert "outside" in c.get("/reports", params={"region": "guangdong/shenzhen/futian"}).text


def test_overlapping_stay_is_refused_with_the_clash_named(site):
    url, _, _ = site
    with client(url, TOKEN, "en") as c:
        page = c.get("/rotations").text
        answer = c.post(
            "/rotations",
            data={
                "csrf": csrf(page),
                "exhibit": "ex-quake-01",
                "venue": "v-lianhua",
                "first_day": "2025-05-20",
                "last_day": "2025-06-01",
            },
        )
        assert answer.status_code == 200
        assert 'data-testid="flash-error"' in answer.text
        assert "already planned at v-yuehai" in answer.text
        ok = c.post(
            "/rotations",
            data={
                "csrf": csrf(page),
                "exhibit": "ex-food-01",
                "venue": "v-yuehai",
                "first_day": "2025-06-05",
                "last_day": "2025-07-05",
            },
        )
        assert 'data-testid="flash-ok"' in ok.text and "Stay saved." in ok.text
        stay = re.search(r'data-stay="(\d+)">\s*<td>\d+</td><td[^>]*>ex-food-01</td><td>粤海街道科普室', ok.text)
        assert stay
        moved = c.post(
            f"/rotations/{stay.group(1)}/move",
            data={"csrf": csrf(ok.text), "first_day": "2025-06-10", "last_day": "2025-07-10"},
        )
        assert "Stay moved." in moved.text and "2025-07-10" in moved.text


def test_forms_need_the_csrf_token(site):
    url, _, _ = site
    with client(url, TOKEN, "en") as c:
        answer = c.post(
            "/campaigns",
            data={
                "csrf": "forged",
                "name": "x",
                "pack": "quake-safety@1.0.0",
                "first_day": "2025-05-12",
                "last_day": "2025-05-13",
            },
        )
        assert "form is out of date" in answer.text


def test_emergency_needs_the_typed_region_then_shows_and_ends(site):
    url, _, controller = site
    region = "guangdong/shenzhen/nanshan"
    with client(url, TOKEN, "en") as c:
        page = c.get("/campaigns").text
        wrong = c.post(
            "/emergencies",
            data={
                "csrf": csrf(page),
                "region": region,
                "minutes": "30",
                "message_zh": "台风预警",
                "confirm": "nanshan",
            },
        )
        assert "does not match the region name" in wrong.text
        assert "No emergency broadcast is on air." in wrong.text
        started = c.post(
            "/emergencies",
            data={
                "csrf": csrf(page),
                "region": region,
                "minutes": "30",
                "message_zh": "台风预警",
                "message_en": "Typhoon warning",
                "confirm": region,
            },
        )
        assert "Emergency broadcast started." in started.text and "On air" in started.text
        assert "0/2 exhibits show it" in started.text
        desired = controller.store.db.execute("SELECT desired FROM exhibits WHERE id = 'ex-quake-01'").fetchone()[0]
        assert "台风预警" in desired
        em = re.search(r'data-emergency="(\d+)"', started.text).group(1)
        ended = c.post(f"/emergencies/{em}/cancel", data={"csrf": csrf(started.text)})
        assert "Emergency broadcast ended." in ended.text and "No emergency broadcast is on air." in ended.text


def test_campaign_scheduled_and_listed(site):
    url, _, _ = site
    with client(url, TOKEN, "en") as c:
        page = c.get("/campaigns").text
        made = c.post(
            "/campaigns",
            data={
                "csrf": csrf(page),
                "name": "防灾减灾日",
                "region": "guangdong/shenzhen",
                "pack": "quake-safety@1.0.0",
                "first_day": "2025-05-12",
                "last_day": "2025-05-18",
                "priority": "5",
            },
        )
        assert "Campaign scheduled." in made.text and "防灾减灾日" in made.text
        refused = c.post(
            "/campaigns",
            data={
                "csrf": csrf(page),
                "name": "draft",
                "region": "",
                "pack": "food-safety@1.1.0",
                "first_day": "2025-05-12",
                "last_day": "2025-05-18",
            },
        )
        assert "only approved packs can be deployed" in refused.text
        campaign = re.search(r'data-campaign="(\d+)"><td>防灾减灾日', refused.text).group(1)
        deleted = c.post(f"/campaigns/{campaign}/delete", data={"csrf": csrf(refused.text)})
        assert "Campaign cancelled." in deleted.text and "防灾减灾日" not in deleted.text


def test_reports_download_as_csv_and_xlsx(site):
    from openpyxl import load_workbook

    url, _, _ = site
    with client(url, TOKEN) as c:
        preview = c.get("/reports", params={"month": "2025-05", "region": "guangdong/shenzhen/nanshan"}).text
        assert "粤海街道科普室" in preview and "莲花街道少年宫科普角" not in preview
        csv = c.get("/reports.csv", params={"month": "2025-05", "region": "guangdong/shenzhen/nanshan"})
        assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
        text = csv.content.decode("utf-8-sig")
        assert text.splitlines()[0].startswith("场馆编号,场馆,地区,展品数")
        assert "粤海街道科普室" in text and "合计" in text
        xlsx = c.get("/reports.xlsx", params={"month": "2025-05"})
        sheet = load_workbook(io.BytesIO(xlsx.content)).active
        assert sheet["A2"].value == "场馆编号" and sheet.max_row >= 2 + 3 + 1
        assert c.get("/reports", params={"month": "May"}).status_code == 200


def test_pack_review_and_assign(site):
    url, users, _ = site
    with client(url, users["wang.nanshan"], "en") as c:
        page = c.get("/packs").text
        assert 'data-action="approve"' not in page, "technicians upload; reviewers approve"
        assert 'data-testid="upload-form"' in page
    with client(url, TOKEN, "en") as c:
        page = c.get("/packs").text
        approved = c.post("/packs/food-safety/1.1.0/review", data={"csrf": csrf(page), "status": "approved"})
        assert "Review status updated." in approved.text
        assigned = c.post("/packs/food-safety/1.1.0/assign", data={"csrf": csrf(page), "venue": "v-shekou"})
        assert "Assigned" in assigned.text
        block = assigned.text.split('data-pack="food-safety@1.1.0"')[1].split("</article>")[0]
        assert "0/1 installed" in block and 'data-rollout="ex-food-01"' in block
