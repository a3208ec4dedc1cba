"""Alerts through the real chain: a real exhibit agent process → Mosquitto → controller → apprise → receivers.

The controller runs on an injected clock (thresholds are crossed by moving it); the agent is a real
child process killed with SIGKILL, so the broker's last will is what tells the controller it is gone.
"""

from __future__ import annotations

import pytest

from kepu_contracts.clock import ManualClock
from tests.support.agent import spawn_agent
from tests.support.alerts import MailReceiver, WebhookReceiver, wait_for
from tests.support.controller import Device, Stack, approved_pack, at

EX = "ex-chain-01"


@pytest.fixture
def chain(tmp_path, broker):
    stack = Stack(tmp_path / "ctl", ManualClock(at("2025-05-12 10:00")), mqtt_url=broker.url)  # Monday, open
    hook = WebhookReceiver()
    procs = []

    def agent():
        proc = spawn_agent(EX, broker.url, tmp_path / "exhibit")
        procs.append(proc)
        return proc

    yield stack, hook, agent
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(10)
    hook.close()
    stack.close()


def online(stack) -> bool | None:
    row = stack.controller.store.db.execute("SELECT online FROM exhibits WHERE id = ?", [EX]).fetchone()
    return None if row is None else bool(row[0])


def place(stack, exhibit, venue, region, name):
    stack.ok("POST", "/api/v1/venues", json={"id": venue, "name": name, "region": region})
    stack.ok(
        "POST",
        "/api/v1/rotations",
        json={"exhibit": exhibit, "venue": venue, "starts": "2025-05-01T00:00", "ends": "2025-07-01T00:00"},
    )


@pytest.mark.slow
def test_killed_agent_gives_one_offline_alert_and_one_resolved_notice_to_its_district_only(chain):
    stack, hook, agent = chain
    proc = agent()
    assert wait_for(lambda: online(stack) is True, 20), "the agent never came online"
    place(stack, EX, "v-yuehai", "gd/sz/nanshan/yuehai", "粤海街道科普室")
    stack.ok("PATCH", "/api/v1/alerts/rules/offline", json={"after_seconds": 90, "hold_seconds": 60})
    stack.ok("POST", "/api/v1/alerts/subscriptions", json={"url": hook.url("nanshan"), "region": "gd/sz/nanshan"})
    stack.ok("POST", "/api/v1/alerts/subscriptions", json={"url": hook.url("futian"), "region": "gd/sz/futian"})

    proc.kill()  # a power cut: no goodbye, the broker sends the last will
    proc.wait(10)
    assert wait_for(lambda: online(stack) is False, 20), "the last will never arrived"
    stack.move_to(stack.clock.now() + 60)
    assert stack.ok("GET", "/api/v1/alerts") == []
    stack.move_to(stack.clock.now() + 31)
    (alert,) = stack.ok("GET", "/api/v1/alerts")
    assert (alert["rule"], alert["state"], alert["venue_name"]) == ("offline", "open", "粤海街道科普室")
    assert wait_for(lambda: len(hook.messages("nanshan")) == 1)
    first = hook.messages("nanshan")[0]
    assert "展品离线" in first["title"] and "Exhibit offline" in first["title"] and EX in first["message"]

    agent()
    assert wait_for(lambda: online(stack) is True, 20), "the agent did not come back"
    stack.move_to(stack.clock.now() + 30)
    assert stack.ok("GET", "/api/v1/alerts")[0]["state"] == "open"  # held until it has stayed up
    stack.move_to(stack.clock.now() + 31)
    assert stack.ok("GET", "/api/v1/alerts")[0]["state"] == "resolved"
    assert wait_for(lambda: len(hook.messages("nanshan")) == 2)
    assert "Resolved" in hook.messages("nanshan")[1]["title"]
    stack.move_to(stack.clock.now() + 3600)
    stack.controller.notifier.wake()
    assert not wait_for(lambda: len(hook.messages("nanshan")) > 2, 1.0)
    assert hook.messages("futian") == []  # another district's subscription heard nothing


@pytest.mark.slow
def test_flapping_link_gives_at_most_one_alert_and_one_resolved_notice(chain, broker):
    stack, hook, _ = chain
    device = Device(broker.url, EX)
    try:
        device.publish({"online": True}, "state", retain=True)
        assert wait_for(lambda: online(stack) is True, 10)
        place(stack, EX, "v-yuehai", "gd/sz/nanshan/yuehai", "粤海街道科普室")
        stack.ok("PATCH", "/api/v1/alerts/rules/offline", json={"after_seconds": 20, "hold_seconds": 120})
        stack.ok("POST", "/api/v1/alerts/subscriptions", json={"url": hook.url(), "region": "gd"})
        for _ in range(10):  # ten drops in five minutes: 25 s down, 5 s up
            device.publish({"online": False}, "state", retain=True)
            assert wait_for(lambda: online(stack) is False, 10)
            stack.move_to(stack.clock.now() + 25)
            device.publish({"online": True}, "state", retain=True)
            assert wait_for(lambda: online(stack) is True, 10)
            stack.move_to(stack.clock.now() + 5)
        stack.move_to(stack.clock.now() + 600)
        alerts = stack.ok("GET", "/api/v1/alerts")
        assert [(a["rule"], a["state"]) for a in alerts] == [("offline", "resolved")]
        assert wait_for(lambda: len(hook.messages()) == 2)
        stack.controller.notifier.wake()
        assert not wait_for(lambda: len(hook.messages()) > 2, 1.0)
        assert ["Resolved" in m["title"] for m in hook.messages()] == [False, True]
    finally:
        device.close()


@pytest.mark.slow
def test_failed_install_and_unconfirmed_emergency_reach_the_mail_receiver(chain, broker, tmp_path):
    stack, _, agent = chain
    mail = MailReceiver()
    device = None
    try:
        agent()  # a real agent, but no kiosk: nothing confirms the broadcast on screen
        assert wait_for(lambda: online(stack) is True, 20)
        place(stack, EX, "v-yuehai", "gd/sz/nanshan/yuehai", "粤海街道科普室")
        stack.ok("POST", "/api/v1/alerts/subscriptions", json={"url": mail.url(), "region": "gd/sz/nanshan"})
        stack.ok(
            "POST",
            "/api/v1/emergencies",
            json={
                "region": "gd/sz",
                "message": {"zh": "台风预警", "en": "Typhoon warning"},
                "expires": "2025-05-12T18:00",
            },
        )
        stack.move_to(stack.clock.now() + 61)
        assert wait_for(lambda: len(mail.messages) == 1, 20)
        text = mail.texts()[0]
        assert "应急播报未在屏幕上确认" in text and "Emergency broadcast not confirmed on screen" in text
        assert "场馆：粤海街道科普室" in text and "Venue: 粤海街道科普室" in text

        # A second exhibit whose install rolls back, reported over MQTT like an agent does.
        other = "ex-chain-02"
        device = Device(broker.url, other)
        device.publish({"online": True}, "state", retain=True)
        assert wait_for(
            lambda: stack.controller.store.db.execute("SELECT 1 FROM exhibits WHERE id = ?", [other]).fetchone()
        )
        stack.ok(
            "POST",
            "/api/v1/rotations",
            json={"exhibit": other, "venue": "v-yuehai", "starts": "2025-05-01T00:00", "ends": "2025-07-01T00:00"},
        )
        approved_pack(stack, tmp_path, "quake", "1.0.0")
        stack.ok("PATCH", "/api/v1/venues/v-yuehai", json={"default_pack": {"id": "quake", "version": "1.0.0"}})
        last = {"pack": {"id": "quake", "version": "1.0.0"}, "result": "rolled_back", "reason": "kiosk failed to start"}
        device.publish({"installed": None, "last_install": last, "emergency_shown": None}, "reported", retain=True)

        # The venue's new default reaches the chain's own agent too, which cannot fetch it here and
        # raises its own install alert: pick the notice about the exhibit that reported the rollback.
        def about_other() -> list[str]:
            return [t for t in mail.texts() if "资源包安装失败" in t and other in t]

        assert wait_for(lambda: about_other(), 20), mail.texts()
        text = about_other()[0]
        assert "Pack install failed or rolled back" in text and "kiosk failed to start" in text
    finally:
        if device:
            device.close()
        mail.close()
