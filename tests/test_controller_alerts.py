"""Alert rules, damping, subscriptions, tickets and audit through the controller's real HTTP API.

Device messages enter through `handle_message` (the ingest path) with the injected clock; the
notices leave through apprise to real receivers started here (a webhook HTTP server, an SMTP server).
"""

from __future__ import annotations

import json

import pytest

from kepu_contracts.clock import ManualClock
from tests.support.alerts import MailReceiver, WebhookReceiver, wait_for
from tests.support.controller import Stack, at

EX = "ex-quake-01"


@pytest.fixture
def stack(tmp_path):
    s = Stack(tmp_path / "ctl", ManualClock(at("2025-05-12 10:00")))  # a Monday, the venue is open 09-17
    s.ok("POST", "/api/v1/venues", json={"id": "v-yuehai", "name": "粤海街道科普室", "region": "gd/sz/nanshan/yuehai"})
    s.ok("POST", "/api/v1/venues", json={"id": "v-futian", "name": "福田科普馆", "region": "gd/sz/futian/lianhua"})
    for exhibit, venue in ((EX, "v-yuehai"), ("ex-futian-01", "v-futian")):
        state(s, exhibit, True)
        s.ok(
            "POST",
            "/api/v1/rotations",
            json={"exhibit": exhibit, "venue": venue, "starts": "2025-05-01T00:00", "ends": "2025-07-01T00:00"},
        )
    yield s
    s.close()


@pytest.fixture
def hook():
    receiver = WebhookReceiver()
    yield receiver
    receiver.close()


def state(stack, exhibit, online):
    stack.controller.handle_message(
        f"kepu/v1/exhibits/{exhibit}/state", json.dumps({"v": 1, "online": online}).encode()
    )


def send(stack, exhibit, channel, payload):
    stack.controller.handle_message(f"kepu/v1/exhibits/{exhibit}/{channel}", json.dumps({"v": 1, **payload}).encode())


def later(stack, seconds):
    stack.move_to(stack.clock.now() + seconds)


def alerts(stack, **params):
    return stack.ok("GET", "/api/v1/alerts", params=params)


def test_offline_opens_after_the_threshold_during_opening_hours_and_resolves_on_return(stack, hook):
    stack.ok("PATCH", "/api/v1/alerts/rules/offline", json={"after_seconds": 120, "hold_seconds": 30})
    stack.ok("POST", "/api/v1/alerts/subscriptions", json={"url": hook.url(), "region": "gd", "rules": []})
    state(stack, EX, False)
    later(stack, 100)
    assert alerts(stack) == []
    later(stack, 30)
    (alert,) = alerts(stack)
    assert (alert["rule"], alert["exhibit"], alert["state"]) == ("offline", EX, "open")
    assert wait_for(lambda: len(hook.messages()) == 1)
    assert "展品离线" in hook.messages()[0]["title"] and "Exhibit offline" in hook.messages()[0]["title"]
    state(stack, EX, True)
    later(stack, 10)
    assert alerts(stack)[0]["state"] == "open"  # still within the hold time
    later(stack, 25)
    assert alerts(stack)[0]["state"] == "resolved"
    assert wait_for(lambda: len(hook.messages()) == 2)
    assert "已恢复" in hook.messages()[1]["title"] and "Resolved" in hook.messages()[1]["title"]
    later(stack, 3600)
    assert len(hook.messages()) == 2


def test_offline_outside_opening_hours_waits_for_the_venue_to_open(stack):
    stack.ok("PATCH", "/api/v1/alerts/rules/offline", json={"after_seconds": 600})
    stack.move_to(at("2025-05-12 16:55"))
    state(stack, EX, False)
    stack.move_to(at("2025-05-13 08:59"))  # sixteen hours offline, but only five open minutes
    assert alerts(stack, rule="offline") == []
    stack.move_to(at("2025-05-13 09:06"))
    assert [a["exhibit"] for a in alerts(stack, rule="offline")] == [EX]


def test_ten_drops_in_five_minutes_give_one_alert_and_one_resolved_notice(stack, hook):
    stack.ok("PATCH", "/api/v1/alerts/rules/offline", json={"after_seconds": 20, "hold_seconds": 120})
    stack.ok("POST", "/api/v1/alerts/subscriptions", json={"url": hook.url(), "region": "", "rules": ["offline"]})
    for _ in range(10):  # 25 s down, 5 s up, ten times
        state(stack, EX, False)
        later(stack, 25)
        state(stack, EX, True)
        later(stack, 5)
    later(stack, 200)
    rows = alerts(stack, exhibit=EX)
    assert [(a["rule"], a["state"]) for a in rows] == [("offline", "resolved")]
    assert wait_for(lambda: len(hook.messages()) == 2)
    later(stack, 600)
    kinds = ["Resolved" in m["title"] for m in hook.messages()]
    assert kinds == [False, True]


def test_a_district_subscription_hears_only_its_district(stack, hook):
    stack.ok("PATCH", "/api/v1/alerts/rules/offline", json={"after_seconds": 0, "hold_seconds": 0})
    stack.ok("POST", "/api/v1/alerts/subscriptions", json={"url": hook.url("nanshan"), "region": "gd/sz/nanshan"})
    stack.ok("POST", "/api/v1/alerts/subscriptions", json={"url": hook.url("futian"), "region": "gd/sz/futian"})
    state(stack, "ex-futian-01", False)
    later(stack, 1)
    assert wait_for(lambda: len(hook.messages("futian")) == 1)
    later(stack, 1)
    assert hook.messages("nanshan") == []


def test_rules_are_per_region_and_only_admins_change_them(stack):
    tech = stack.user("tech-ns", "technician", "gd/sz/nanshan")
    admin = stack.user("admin-ns", "admin", "gd/sz/nanshan")
    r = stack.client(tech).patch("/api/v1/alerts/rules/offline", json={"after_seconds": 5})
    assert r.status_code == 403
    r = stack.client(admin).patch("/api/v1/alerts/rules/offline", json={"after_seconds": 5, "region": "gd/sz"})
    assert r.status_code == 403
    assert stack.ok("PATCH", "/api/v1/alerts/rules/offline", admin, json={"after_seconds": 5})["after_seconds"] == 5
    mine = {r["rule"]: r for r in stack.ok("GET", "/api/v1/alerts/rules", admin)}
    assert mine["offline"]["after_seconds"] == 5 and mine["offline"]["region"] == "gd/sz/nanshan"
    national = {r["rule"]: r for r in stack.ok("GET", "/api/v1/alerts/rules")}
    assert national["offline"]["after_seconds"] == 600
    assert stack.http.patch("/api/v1/alerts/rules/nonsense", json={"after_seconds": 5}).status_code == 404
    assert stack.http.patch("/api/v1/alerts/rules/offline", json={"after_seconds": -1}).status_code == 422
    assert stack.http.patch("/api/v1/alerts/rules/offline", json={"threshold": 3}).status_code == 422
    audit = stack.ok("GET", "/api/v1/audit", params={"action": "alert_rule."})
    assert [(a["actor"], a["target"]) for a in audit] == [("admin-ns", "offline")]


def test_health_rules_cpu_disk_undervoltage_outbox(stack):
    stack.ok("PATCH", "/api/v1/alerts/rules/cpu_hot", json={"after_seconds": 60, "threshold": 75})
    send(stack, EX, "health", {"cpu_temp": 82.0, "disk_free": 2e8, "undervoltage": True, "outbox": {"over_cap": True}})
    later(stack, 1)
    assert sorted(a["rule"] for a in alerts(stack)) == ["disk_low", "outbox_over_cap", "undervoltage"]
    later(stack, 61)
    assert "cpu_hot" in {a["rule"] for a in alerts(stack)}
    later(stack, 31)  # health is judged at most every 30 s per exhibit
    send(stack, EX, "health", {"cpu_temp": 50.0, "disk_free": 5e9, "undervoltage": False, "outbox": {}})
    later(stack, 3600)
    assert {a["state"] for a in alerts(stack)} == {"resolved"}


def test_failed_install_and_unconfirmed_emergency_reach_the_mail_receiver_in_both_languages(stack, tmp_path):
    from tests.support.controller import approved_pack

    mail = MailReceiver()
    try:
        stack.ok("POST", "/api/v1/alerts/subscriptions", json={"url": mail.url(), "region": "gd/sz/nanshan"})
        approved_pack(stack, tmp_path, "quake", "1.0.0")
        stack.ok("PATCH", "/api/v1/venues/v-yuehai", json={"default_pack": {"id": "quake", "version": "1.0.0"}})
        last = {"pack": {"id": "quake", "version": "1.0.0"}, "result": "rolled_back", "reason": "kiosk crashed"}
        send(stack, EX, "reported", {"installed": None, "last_install": last, "emergency_shown": None})
        assert wait_for(lambda: len(mail.messages) == 1)
        text = mail.texts()[0]
        assert "资源包安装失败" in text and "Pack install failed" in text and "kiosk crashed" in text
        stack.ok(
            "POST",
            "/api/v1/emergencies",
            json={"region": "gd/sz", "message": {"zh": "台风", "en": "Typhoon"}, "expires": "2025-05-12T18:00"},
        )
        later(stack, 30)
        assert len(mail.messages) == 1
        later(stack, 31)
        assert wait_for(lambda: len(mail.messages) == 2)
        text = mail.texts()[1]
        assert "应急播报未在屏幕上确认" in text and "Emergency broadcast not confirmed on screen" in text
        assert "展品" in text and "Exhibit" in text
    finally:
        mail.close()


def test_quiet_hours_hold_notices_until_they_end(stack, hook):
    stack.ok("PATCH", "/api/v1/alerts/rules/offline", json={"after_seconds": 0})
    sub = {"url": hook.url(), "region": "", "quiet_hours": {"start": "09:30", "end": "10:30"}}
    stack.ok("POST", "/api/v1/alerts/subscriptions", json=sub)
    state(stack, EX, False)
    later(stack, 1)
    stack.controller.notifier.wake()
    assert not wait_for(lambda: hook.messages(), timeout=1.5)
    stack.move_to(at("2025-05-12 10:31"))
    stack.controller.notifier.wake()
    assert wait_for(lambda: len(hook.messages()) == 1)


def test_failed_deliveries_are_retried(stack, hook):
    stack.ok("PATCH", "/api/v1/alerts/rules/offline", json={"after_seconds": 0})
    stack.ok("POST", "/api/v1/alerts/subscriptions", json={"url": hook.url(), "region": ""})
    hook.fail_next = 1
    state(stack, EX, False)
    later(stack, 1)
    assert wait_for(lambda: stack.ok("GET", "/api/v1/alerts/deliveries")[0]["attempts"] == 1)
    assert hook.messages() == []
    later(stack, 31)
    stack.controller.notifier.wake()
    assert wait_for(lambda: len(hook.messages()) == 1)
    assert stack.ok("GET", "/api/v1/alerts/deliveries")[0]["state"] == "sent"


def test_subscriptions_validate_and_test_send(stack, hook):
    bad = [
        {"url": "not a url", "region": ""},
        {"url": hook.url(), "region": "", "rules": ["nope"]},
        {"url": hook.url(), "region": "a//b"},
        {"url": hook.url(), "region": "", "quiet_hours": {"start": "25:00", "end": "07:00"}},
    ]
    for body in bad:
        assert stack.http.post("/api/v1/alerts/subscriptions", json=body).status_code == 422, body
    assert stack.ok("GET", "/api/v1/alerts/subscriptions") == []
    sub = stack.ok("POST", "/api/v1/alerts/subscriptions", json={"url": hook.url(), "region": "gd", "rules": []})
    result = stack.ok("POST", f"/api/v1/alerts/subscriptions/{sub['id']}/test")
    assert result["delivered"] is True
    (message,) = hook.messages()
    assert "测试消息" in message["title"] and "Test message" in message["title"]
    viewer = stack.user("v", "viewer", "gd")
    assert stack.client(viewer).post(f"/api/v1/alerts/subscriptions/{sub['id']}/test").status_code == 403
    assert stack.client(viewer).get("/api/v1/alerts/subscriptions").status_code == 403
    assert stack.ok("DELETE", f"/api/v1/alerts/subscriptions/{sub['id']}") == {"deleted": True}


def test_ack_ticket_from_alert_states_photo_and_maintenance_summary(stack, tmp_path):
    stack.ok("PATCH", "/api/v1/alerts/rules/offline", json={"after_seconds": 0})
    state(stack, EX, False)
    later(stack, 1)
    (alert,) = alerts(stack)
    viewer = stack.user("viewer-ns", "viewer", "gd/sz/nanshan")
    assert stack.client(viewer).post(f"/api/v1/alerts/{alert['id']}/ack").status_code == 403
    acked = stack.ok("POST", f"/api/v1/alerts/{alert['id']}/ack")
    assert (acked["state"], acked["acknowledged_by"]) == ("acknowledged", "admin")
    assert [h["action"] for h in stack.ok("GET", f"/api/v1/alerts/{alert['id']}/history")] == ["opened", "acknowledged"]
    ticket = stack.ok("POST", "/api/v1/tickets", json={"alert": alert["id"], "assignee": "老王"})
    assert (ticket["exhibit"], ticket["state"]) == (EX, "open")
    assert "展品离线" in ticket["title"]
    assert stack.http.post("/api/v1/tickets", json={"alert": alert["id"]}).status_code == 409
    assert stack.http.patch(f"/api/v1/tickets/{ticket['id']}", json={"state": "bogus"}).status_code == 422
    stack.ok("PATCH", f"/api/v1/tickets/{ticket['id']}", json={"state": "in_progress", "note": "换电源"})
    later(stack, 2 * 3600)
    fixed = stack.ok("PATCH", f"/api/v1/tickets/{ticket['id']}", json={"state": "fixed"})
    assert fixed["state"] == "fixed" and "换电源" in fixed["notes"]
    closed = stack.ok("PATCH", f"/api/v1/tickets/{ticket['id']}", json={"state": "closed"})
    assert stack.http.patch(f"/api/v1/tickets/{ticket['id']}", json={"state": "open"}).status_code == 409
    assert closed["closed"]
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 100
    r = stack.http.put(f"/api/v1/tickets/{ticket['id']}/photo", content=b"GIF89a nope")
    assert r.status_code == 422
    r = stack.http.put(f"/api/v1/tickets/{ticket['id']}/photo", content=b"\xff\xd8\xff" + b"0" * (8 * 1024 * 1024))
    assert r.status_code == 422
    stack.ok("PUT", f"/api/v1/tickets/{ticket['id']}/photo", content=png)
    got = stack.http.get(f"/api/v1/tickets/{ticket['id']}/photo")
    assert got.content == png and got.headers["content-type"] == "image/png"
    assert (stack.settings.data_dir / "tickets" / f"{ticket['id']}.png").is_file()

    from controller.domain.auth import Principal
    from controller.domain.tickets import maintenance_summary

    summary = maintenance_summary(
        stack.controller.store.db, Principal("admin", "admin"), "gd/sz/nanshan", "2025-05", "Asia/Shanghai"
    )
    assert summary["tickets_opened"] == 1 and summary["tickets_fixed"] == 1
    assert summary["mean_time_to_repair_hours"] == pytest.approx(2.0, abs=0.01)
    assert summary["maintenance_open_minutes"] == pytest.approx(120.0, abs=0.1)
    other = maintenance_summary(
        stack.controller.store.db, Principal("admin", "admin"), "gd/sz/futian", "2025-05", "Asia/Shanghai"
    )
    assert other["tickets_opened"] == 0


def test_the_uploader_of_a_pack_version_cannot_also_approve_it(stack, tmp_path):
    from tests.support.controller import signed_pack

    kpack, public = signed_pack(tmp_path, "quake-basics")
    (stack.settings.data_dir / "trusted_keys").mkdir(exist_ok=True)
    (stack.settings.data_dir / "trusted_keys" / "k.pub").write_bytes(public.read_bytes())
    uploader = stack.client(stack.user("r-up", "reviewer", ""))
    with kpack.open("rb") as f:
        assert uploader.post("/api/v1/packs", files={"file": ("p.kpack", f)}).status_code == 201
    refused = uploader.post("/api/v1/packs/quake-basics/1.0.0/review", json={"status": "approved"})
    assert refused.status_code == 403 and "another reviewer" in refused.json()["detail"]
    assert stack.ok("GET", "/api/v1/packs/quake-basics/1.0.0")["status"] == "draft"
    other = stack.client(stack.user("r-other", "reviewer", ""))
    assert other.post("/api/v1/packs/quake-basics/1.0.0/review", json={"status": "approved"}).status_code == 200


def test_self_approval_can_be_allowed(tmp_path):
    from tests.support.controller import signed_pack

    s = Stack(tmp_path / "ctl", ManualClock(at("2025-05-12 10:00")), separate_review=False)
    try:
        kpack, public = signed_pack(tmp_path, "quake-basics")
        (s.settings.data_dir / "trusted_keys").mkdir(exist_ok=True)
        (s.settings.data_dir / "trusted_keys" / "k.pub").write_bytes(public.read_bytes())
        me = s.client(s.user("r-solo", "reviewer", ""))
        with kpack.open("rb") as f:
            assert me.post("/api/v1/packs", files={"file": ("p.kpack", f)}).status_code == 201
        assert me.post("/api/v1/packs/quake-basics/1.0.0/review", json={"status": "approved"}).status_code == 200
    finally:
        s.close()


def test_a_door_counter_that_goes_silent_during_opening_hours(stack):
    stack.ok("PATCH", "/api/v1/alerts/rules/door_silent", json={"after_seconds": 3600})
    stack.ok("PATCH", "/api/v1/alerts/rules/no_sessions", json={"enabled": False})
    count = {
        "venue": "v-yuehai",
        "exhibit": EX,
        "batch": "b1",
        "events": [
            {
                "id": "door-1",
                "seq": 1,
                "ts": stack.clock.now(),
                "mono": 1.0,
                "boot": "b",
                "synced": True,
                "type": "footfall",
                "session": None,
                "scene": None,
                "data": {"entries": 3},
            }
        ],
    }
    # Door counts travel on the exhibit's own footfall topic (the venue topics are retired).
    stack.controller.handle_message(f"kepu/v1/exhibits/{EX}/footfall", json.dumps({"v": 1, **count}).encode())
    later(stack, 1800)
    assert alerts(stack, rule="door_silent") == []
    later(stack, 3 * 3600)  # 13:30: more than an opening hour since the last count (the hour of 10:00 ended at 11:00)
    (alert,) = alerts(stack, rule="door_silent")
    assert alert["exhibit"] == EX and alert["state"] == "open"


def test_an_open_day_without_visits_on_an_online_exhibit(stack):
    stack.ok("PATCH", "/api/v1/alerts/rules/no_sessions", json={"after_seconds": 2 * 3600})
    later(stack, 3600)
    assert alerts(stack, rule="no_sessions") == []
    later(stack, 3600)  # 12:00: two opening hours without a visit since the controller saw them online at 10:00
    assert sorted(a["exhibit"] for a in alerts(stack, rule="no_sessions")) == ["ex-futian-01", EX]
    from tests.support.controller import batch, session_events

    payload = batch(EX, session_events(EX, 1, stack.clock.now()))
    stack.controller.handle_message(f"kepu/v1/exhibits/{EX}/events", json.dumps({"v": 1, **payload}).encode())
    later(stack, 60)
    states = {a["exhibit"]: a["state"] for a in alerts(stack, rule="no_sessions")}
    assert states == {EX: "resolved", "ex-futian-01": "open"}


def test_the_scheduler_wakes_when_a_condition_comes_due(stack):
    stack.ok("PATCH", "/api/v1/alerts/rules/cpu_hot", json={"after_seconds": 90, "threshold": 70})
    send(stack, EX, "health", {"cpu_temp": 85.0})
    now = stack.clock.now()
    assert stack.controller.scheduler.next_wake() == pytest.approx(now + 90)
    assert stack.controller.scheduler.next_boundary() != pytest.approx(now + 90)  # plans alone do not say so


def test_a_slow_receiver_never_holds_up_ingest(stack, hook):
    import time

    stack.ok("PATCH", "/api/v1/alerts/rules/offline", json={"after_seconds": 0, "hold_seconds": 0})
    stack.ok("POST", "/api/v1/alerts/subscriptions", json={"url": hook.url(), "region": ""})
    hook.delay = 2.5
    began = time.monotonic()
    for flip in range(4):  # each change opens or resolves an alert: four notices queued
        state(stack, EX, flip % 2 == 1)
        later(stack, 1)
    assert time.monotonic() - began < 2.0, "ingest waited for a delivery"
    assert wait_for(lambda: len(hook.messages()) == 4, timeout=30)
