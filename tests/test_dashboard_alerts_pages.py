"""The alerts, ticket and audit pages over HTTP (forms, roles, regions), against a seeded controller."""

from __future__ import annotations

import hashlib
import hmac
import re

import pytest

from controller.devtools.server import ServerThread
from controller.domain.auth import issue_token
from controller.settings import Settings
from controller.web.app import create_app
from kepu_contracts.clock import ManualClock
from tests.support.alerts import WebhookReceiver, wait_for
from tests.support.dashboard import NOW, seed
from tests.test_dashboard_pages import client, csrf

TOKEN = "alert-pages-admin"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    work = tmp_path_factory.mktemp("alert-pages")
    clock = ManualClock(NOW)
    app = create_app(Settings(data_dir=work / "controller", admin_token=TOKEN), clock=clock, run_scheduler=False)
    core = app.state.controller
    users = seed(core, work, clock)
    with core.store.write() as db:
        db["users"].insert(
            {"id": "chen.futian", "name": "", "role": "admin", "region": "guangdong/shenzhen/futian", "created": NOW}
        )
        users["chen.futian"] = issue_token(db, NOW, user="chen.futian")
    core.scheduler.tick()
    with ServerThread(app) as server:
        yield server.url, users, core


def _form_token(session: str) -> str:
    """The CSRF value the dashboard binds to a login session (a viewer's pages have no forms to read it from)."""
    return hmac.new(session.encode(), b"kepu-dashboard-form", hashlib.sha256).hexdigest()


def _offline_alert(html: str) -> str:
    return re.search(r'<tr data-alert="(\d+)" data-state="\w+">(?:(?!</tr>).)*ex-scam-01', html, re.S).group(1)


def test_the_badge_counts_open_alerts_in_the_users_scope(site):
    url, users, _ = site
    with client(url, TOKEN, "en") as c:
        assert re.search(r'data-testid="alert-badge"[^>]*>(\d+)<', c.get("/fleet").text)
    with client(url, users["wang.nanshan"], "en") as c:  # ex-scam-01 stands in futian
        page = c.get("/alerts").text
        assert "ex-scam-01" not in page


def test_viewers_cannot_acknowledge_and_technicians_can_in_their_region(site):
    url, users, core = site
    with client(url, users["li.viewer"], "en") as c:
        page = c.get("/alerts").text
        alert = _offline_alert(page)
        refused = c.post(f"/alerts/{alert}/ack", data={"csrf": _form_token(c.cookies["kepu_session"])})
        assert "technician" in refused.text
    row = core.store.db.execute("SELECT state FROM alerts WHERE id = ?", [alert]).fetchone()
    assert row[0] == "open"
    with client(url, users["wang.nanshan"], "en") as c:
        refused = c.post(f"/alerts/{alert}/ack", data={"csrf": csrf(c.get("/fleet").text)})
        assert "Not done" in refused.text  # futian is outside nanshan
    with client(url, TOKEN, "zh") as c:
        done = c.post(f"/alerts/{alert}/ack", data={"csrf": csrf(c.get("/alerts").text)})
        assert "告警已确认" in done.text


def test_subscribe_and_test_send_from_the_page(site):
    url, users, _ = site
    hook = WebhookReceiver()
    try:
        with client(url, users["wang.nanshan"], "en") as c:
            page = c.get("/alerts").text
            bad = c.post(
                "/alerts/subscriptions",
                data={"csrf": csrf(page), "url": "nope://x", "region": "guangdong/shenzhen/nanshan"},
            )
            assert "apprise cannot use this URL" in bad.text
            done = c.post(
                "/alerts/subscriptions",
                data={
                    "csrf": csrf(page),
                    "url": hook.url(),
                    "region": "guangdong/shenzhen/nanshan",
                    "rules": ["offline", "cpu_hot"],
                    "label": "南山技术组",
                },
            )
            assert "Subscribed." in done.text and "南山技术组" in done.text
            sub = re.search(r'data-subscription="(\d+)"', done.text).group(1)
            sent = c.post(f"/alerts/subscriptions/{sub}/test", data={"csrf": csrf(done.text)})
            assert "Test message delivered." in sent.text
        assert wait_for(lambda: len(hook.messages()) == 1)
        assert "测试消息" in hook.messages()[0]["title"]
    finally:
        hook.close()


def test_thresholds_only_for_admins_of_the_region(site):
    url, users, core = site
    with client(url, users["wang.nanshan"], "en") as c:
        page = c.get("/alerts").text
        assert 'data-action="save-rule"' not in page
        refused = c.post("/alerts/rules/offline", data={"csrf": csrf(page), "after_minutes": "1", "hold_minutes": "1"})
        assert "admin" in refused.text
    with client(url, users["chen.futian"], "en") as c:
        page = c.get("/alerts").text
        saved = c.post(
            "/alerts/rules/offline",
            data={"csrf": csrf(page), "after_minutes": "3", "hold_minutes": "2", "enabled": "on"},
        )
        assert "Rule saved." in saved.text
    row = core.store.db.execute("SELECT region, after_seconds FROM alert_rules WHERE rule = 'offline'").fetchone()
    assert tuple(row) == ("guangdong/shenzhen/futian", 180.0)


def test_the_audit_page_is_for_admins_and_shows_their_region_only(site):
    url, users, _ = site
    with client(url, users["wang.nanshan"], "en") as c:
        assert c.get("/audit").status_code == 404
        assert 'data-nav="audit"' not in c.get("/fleet").text
    with client(url, users["chen.futian"], "en") as c:
        page = c.get("/audit").text
        assert "alert_rule.update" in page
        assert "guangdong / shenzhen / nanshan" not in page  # another district's changes stay hidden
        filtered = c.get("/audit", params={"action": "nothing."}).text
        assert "No data yet" in filtered


def test_tickets_from_the_exhibit_page_with_a_photo(site):
    url, _, _ = site
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
    with client(url, TOKEN, "en") as c:
        page = c.get("/exhibits/ex-quake-01").text
        opened = c.post("/tickets", data={"csrf": csrf(page), "exhibit": "ex-quake-01", "title": "Screen flickers"})
        assert opened.url.path.startswith("/tickets/") and "Ticket opened." in opened.text
        ticket = opened.url.path.rsplit("/", 1)[1]
        bad = c.post(
            f"/tickets/{ticket}/photo",
            data={"csrf": csrf(opened.text)},
            files={"photo": ("x.gif", b"GIF89a", "image/gif")},
        )
        assert "JPEG, PNG or WebP" in bad.text
        good = c.post(
            f"/tickets/{ticket}/photo", data={"csrf": csrf(opened.text)}, files={"photo": ("x.png", png, "image/png")}
        )
        assert 'data-testid="ticket-photo"' in good.text
        assert c.get(f"/tickets/{ticket}/photo").content == png
        wrong = c.post(f"/tickets/{ticket}", data={"csrf": csrf(good.text), "state": "open"})
        assert "Not done" not in wrong.text  # already open: nothing to do
        closed = c.post(f"/tickets/{ticket}", data={"csrf": csrf(good.text), "state": "closed"})
        assert 'data-state="closed"' in closed.text
        reopen = c.post(f"/tickets/{ticket}", data={"csrf": csrf(good.text), "state": "in_progress"})
        assert "cannot become in_progress" in reopen.text
        assert 'data-testid="maintenance"' not in c.get("/exhibits/ex-quake-01").text
