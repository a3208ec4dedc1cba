"""Alerts, tickets and the audit page in headless Chromium, against a seeded controller on an injected clock.

Screenshots (zh and en) go to $KEPU_SCREENSHOTS (default: a tmp dir): alerts, ticket, exhibit, fleet, audit.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from controller.devtools.server import ServerThread
from controller.settings import Settings
from controller.web.app import create_app
from kepu_contracts.clock import ManualClock
from tests.support.dashboard import NOW, seed
from tests.test_dashboard_browser import _logged_in, browser  # noqa: F401 - the Chromium fixture

pytestmark = pytest.mark.browser
TOKEN = "alerts-admin"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    work = tmp_path_factory.mktemp("alerts-site")
    clock = ManualClock(NOW)
    app = create_app(Settings(data_dir=work / "controller", admin_token=TOKEN), clock=clock, run_scheduler=False)
    users = seed(app.state.controller, work, clock)
    app.state.controller.scheduler.tick()  # ex-scam-01 has been offline for two opening hours
    with ServerThread(app) as server:
        yield server.url, users, app.state.controller


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    folder = Path(os.environ.get("KEPU_SCREENSHOTS") or tmp_path_factory.mktemp("alert-shots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_acknowledge_open_a_ticket_fix_it_and_see_both_on_the_exhibit_page(browser, site, shots):  # noqa: F811
    url, _, _ = site
    context, page = _logged_in(browser, url, TOKEN, "zh")
    try:
        page.goto(f"{url}/alerts")
        badge = page.locator("[data-testid=alert-badge]")
        assert int(badge.inner_text()) >= 1
        row = page.locator("tr[data-alert]", has=page.locator("a[href='/exhibits/ex-scam-01']")).first
        assert row.get_attribute("data-state") == "open"
        assert "展品离线" in row.inner_text()
        page.screenshot(path=str(shots / "alerts-zh.png"), full_page=True)
        alert_id = row.get_attribute("data-alert")
        row.locator("[data-action=ack]").click()
        page.wait_for_selector("[data-testid=flash-ok]")
        row = page.locator(f"tr[data-alert='{alert_id}']")
        assert row.get_attribute("data-state") == "acknowledged"
        assert "admin" in row.inner_text()  # who acknowledged
        row.locator("[data-action=open-ticket]").click()
        page.wait_for_url(f"{url}/tickets/*")
        assert page.locator("[data-testid=ticket-state]").get_attribute("data-state") == "open"
        page.fill("[data-testid=ticket-edit] input[name=assignee]", "王师傅")
        page.fill("[data-testid=ticket-edit] input[name=note]", "更换电源适配器")
        page.click("[data-testid=ticket-edit] button[type=submit]")
        page.wait_for_selector("[data-testid=flash-ok]")
        page.click("[data-action=ticket-in_progress]")
        page.wait_for_selector("[data-action=ticket-fixed]")
        page.click("[data-action=ticket-fixed]")
        page.wait_for_selector("[data-testid=ticket-state][data-state=fixed]")
        assert "更换电源适配器" in page.locator("[data-testid=ticket-notes]").inner_text()
        page.screenshot(path=str(shots / "ticket-zh.png"), full_page=True)

        page.goto(f"{url}/exhibits/ex-scam-01")
        alerts_table = page.locator("[data-testid=exhibit-alerts]")
        assert "展品离线" in alerts_table.inner_text() and "admin" in alerts_table.inner_text()
        tickets_table = page.locator("[data-testid=exhibit-tickets]")
        assert tickets_table.locator("[data-state=fixed]").count() == 1
        page.locator("#ex-alerts").screenshot(path=str(shots / "exhibit-alerts-zh.png"))
        page.locator("#ex-tickets").screenshot(path=str(shots / "exhibit-tickets-zh.png"))

        # A ticket opened by hand on another exhibit marks it under maintenance on the fleet page.
        page.goto(f"{url}/exhibits/ex-food-01")
        page.click("#ex-tickets summary")
        page.fill("[data-testid=ticket-form] input[name=title]", "触摸屏左下角失灵")
        page.click("[data-testid=ticket-form] button[type=submit]")
        page.wait_for_url(f"{url}/tickets/*")
        page.goto(f"{url}/fleet")
        food = page.locator("tr[data-exhibit=ex-food-01]")
        assert food.locator("[data-testid=maintenance]").count() == 1
        assert page.locator("tr[data-exhibit=ex-scam-01] [data-testid=maintenance]").count() == 0  # fixed
        page.screenshot(path=str(shots / "fleet-maintenance-zh.png"), full_page=True)

        page.goto(f"{url}/audit?action=ticket.")
        entries = page.locator("[data-testid=audit] tbody tr")
        assert entries.count() >= 4
        assert "ticket.update" in page.locator("[data-testid=audit]").inner_text()
        page.screenshot(path=str(shots / "audit-zh.png"), full_page=True)

        for path, name in (("/alerts", "alerts"), ("/audit", "audit"), ("/exhibits/ex-scam-01", "exhibit")):
            page.goto(f"{url}{path}{'&' if '?' in path else '?'}lang=en")
            page.screenshot(path=str(shots / f"{name}-en.png"), full_page=True)
        assert "Exhibit offline" in page.content()
    finally:
        context.close()


def test_a_viewer_sees_the_alerts_page_but_no_write_controls(browser, site, shots):  # noqa: F811
    url, users, _ = site
    context, page = _logged_in(browser, url, users["li.viewer"], "en")
    try:
        page.goto(f"{url}/alerts")
        assert page.locator("tr[data-alert]").count() >= 1
        for control in ("[data-action=ack]", "[data-action=open-ticket]", "[data-action=save-rule]"):
            assert page.locator(control).count() == 0, control
        assert page.locator("[data-testid=subscription-form]").count() == 0
        assert page.locator("[data-testid=rules]").count() == 1  # thresholds are readable
        page.screenshot(path=str(shots / "alerts-viewer-en.png"), full_page=True)
        assert page.goto(f"{url}/audit").status == 404  # admins only
        ticket = page.goto(f"{url}/exhibits/ex-scam-01")
        assert ticket.status == 200 and page.locator("[data-testid=ticket-form]").count() == 0
    finally:
        context.close()
