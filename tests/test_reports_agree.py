"""One monthly report: the API's JSON, the dashboard page, the CSV and the XLSX give the same figures."""

from __future__ import annotations

import csv
import html
import io
import re

import httpx
import pytest
from openpyxl import load_workbook

from controller.devtools.server import ServerThread
from controller.domain.report_files import safe_text
from controller.domain.reports import COLUMNS
from controller.settings import Settings
from controller.web.app import create_app
from kepu_contracts.clock import ManualClock
from tests.support.dashboard import NOW, seed
from tests.test_dashboard_pages import client

TOKEN = "report-admin"
MONTH = "2025-05"
REGIONS = ("guangdong/shenzhen/nanshan", "guangdong/shenzhen")
FIGURES = [c for c in COLUMNS if c.kind != "text"]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    work = tmp_path_factory.mktemp("reports")
    clock = ManualClock(NOW)
    app = create_app(Settings(data_dir=work / "controller", admin_token=TOKEN), clock=clock, run_scheduler=False)
    seed(app.state.controller, work, clock)
    with ServerThread(app) as server:
        yield server.url


def _pct(value):
    return None if value is None else round(value * 100, 1)


def _page_rows(text: str) -> dict[str, dict[str, str]]:
    rows = {}
    for venue, body in re.findall(r'<tr data-venue="([^"]*)">(.*?)</tr>', text, re.S):
        cells = dict(re.findall(r'<t[dh] data-key="([a-z_0-9]+)"[^>]*>(.*?)</t[dh]>', body, re.S))
        rows[html.unescape(venue)] = {k: html.unescape(re.sub(r"<[^>]+>", "", v)).strip() for k, v in cells.items()}
    return rows


def _shown(value, kind: str) -> str:
    """How the dashboard prints a figure (render.py's pct and num filters)."""
    if value is None:
        return "—"
    if kind == "pct":
        return f"{value * 100:.1f}%"
    return f"{value:,}" if isinstance(value, int) else f"{value:,.1f}"


@pytest.mark.parametrize("region", REGIONS)
def test_api_page_csv_and_xlsx_agree(site, region):
    with httpx.Client(base_url=site, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30) as api:
        params = {"month": MONTH, "region": region}
        rows = api.get("/api/v1/reports/monthly", params=params).json()
        by_venue = {r["venue"]: r for r in rows}
        assert len(rows) >= 2 and rows[-1]["venue"] == "" and sum(r["sessions"] for r in rows[:-1]) > 0
        assert rows[-1]["sessions"] == sum(r["sessions"] for r in rows[:-1]), "the total is the sum of the venues"
        table = list(
            csv.reader(io.StringIO(api.get("/api/v1/reports/monthly", params={**params, "format": "csv"}).text))
        )
        book = load_workbook(
            io.BytesIO(api.get("/api/v1/reports/monthly", params={**params, "format": "xlsx"}).content)
        )
    keys = [c.key for c in COLUMNS]
    csv_rows = {line[0]: dict(zip(keys, line, strict=True)) for line in table[1:]}
    sheet = book.active
    xlsx_rows = {(r[0] or ""): dict(zip(keys, r, strict=True)) for r in sheet.iter_rows(min_row=3, values_only=True)}
    with client(site, TOKEN) as c:
        page = _page_rows(c.get("/reports", params=params).text)
    assert set(by_venue) == set(csv_rows) == set(xlsx_rows) == set(page)
    for venue, row in by_venue.items():
        for column in FIGURES:
            value = row[column.key]
            expected_csv = "" if value is None else str(_pct(value) if column.kind == "pct" else value)
            assert csv_rows[venue][column.key] == expected_csv, (venue, column.key)
            assert xlsx_rows[venue][column.key] == value, (venue, column.key)
            assert page[venue][column.key] == _shown(value, column.kind), (venue, column.key)
        assert page[venue]["power_on_rate"] != "" and csv_rows[venue]["name"] == (row["name"] if venue else "合计")


def test_text_that_would_be_a_formula_stays_text():
    assert safe_text('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    for start in "=+-@":
        assert safe_text(f"{start}1+1").startswith("'")
    assert safe_text("福田区科普馆") == "福田区科普馆"


def test_a_venue_named_like_a_formula_is_text_in_both_files(site):
    with httpx.Client(base_url=site, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30) as api:
        made = api.post(
            "/api/v1/venues", json={"id": "v-evil", "name": '=HYPERLINK("http://evil","点我")', "region": "hainan/evil"}
        )
        assert made.status_code < 300, made.text
        params = {"month": MONTH, "region": "hainan/evil"}
        text = api.get("/api/v1/reports/monthly", params={**params, "format": "csv"}).content.decode("utf-8-sig")
        book = load_workbook(
            io.BytesIO(api.get("/api/v1/reports/monthly", params={**params, "format": "xlsx"}).content)
        )
    [evil] = [line for line in csv.reader(io.StringIO(text)) if line[0] == "v-evil"]
    assert evil[1].startswith("'=HYPERLINK")
    [row] = [r for r in book.active.iter_rows(min_row=3) if r[0].value == "v-evil"]
    assert row[1].data_type == "s" and row[1].value.startswith("'=")


def test_the_report_and_the_dashboard_leave_out_the_same_closed_days(site):
    with httpx.Client(base_url=site, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30) as api:
        rows = api.get("/api/v1/reports/monthly", params={"month": MONTH}).json()
        venue = next(r["venue"] for r in rows if r["venue"] and r["power_on_rate"] is not None)
        before = next(r for r in rows if r["venue"] == venue)["usage_rate"]
        assert api.patch(f"/api/v1/venues/{venue}", json={"closed_days": ["2025-05-01/2025-05-05"]}).status_code < 300
        rows = api.get("/api/v1/reports/monthly", params={"month": MONTH}).json()
        row = next(r for r in rows if r["venue"] == venue)
        metrics = api.get("/api/v1/stats/metrics", params={"venue": venue, "start": "2025-05-01", "end": "2025-05-31"})
    figures = metrics.json()
    assert row["power_on_rate"] == figures["power_on_rate"] and row["usage_rate"] == figures["usage_rate"]
    assert row["usage_rate"] != before or before is None, "five closed days change the opening hours"


def test_the_report_counts_maintenance_beside_the_power_on_rate(site):
    with httpx.Client(base_url=site, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30) as api:
        exhibit = api.get("/api/v1/exhibits").json()[0]["id"]
        made = api.post("/api/v1/tickets", json={"exhibit": exhibit, "title": "屏幕不亮 screen dark"})
        assert made.status_code < 300, made.text
        rows = api.get("/api/v1/reports/monthly", params={"month": MONTH}).json()
        text = api.get("/api/v1/reports/monthly", params={"month": MONTH, "format": "csv", "lang": "en"}).text
    total = rows[-1]
    assert total["tickets_opened"] == 1 and total["tickets_fixed"] == 0
    assert all(r["tickets_opened"] is None for r in rows[:-1]), "maintenance is a figure for the region"
    assert "Tickets opened" in text.splitlines()[0] and "Maintenance minutes in opening hours" in text
