"""Issue 11, finding 12: a command is built from validated fields only; a reused id is a 409, never a 500."""

from __future__ import annotations

import json

import pytest

from controller.domain import commands
from controller.domain.auth import authenticate
from controller.errors import Conflict
from kepu_contracts.clock import ManualClock
from tests.support.controller import ADMIN, Stack, at


@pytest.fixture
def stack(tmp_path):
    stack = Stack(tmp_path / "ctl", ManualClock(at("2025-05-12 10:00")))
    stack.controller.handle_message("kepu/v1/exhibits/ex-1/state", b'{"v":1,"online":true}')
    yield stack
    stack.close()


def published(stack: Stack) -> list[dict]:
    return [json.loads(m.payload) for m in stack.controller.sent if m.topic.endswith("/commands")]


def test_args_cannot_name_the_id_or_type_and_what_is_stored_is_what_is_sent(stack):
    for args in ({"id": "chosen"}, {"type": "restart_kiosk"}, {"v": 2}):
        r = stack.http.post("/api/v1/exhibits/ex-1/commands", json={"type": "report", "args": args})
        assert r.status_code == 422, r.text
        assert "args" in r.json()["detail"]
    assert published(stack) == []
    r = stack.http.post("/api/v1/exhibits/ex-1/commands", json={"type": "bad type!", "args": {}})
    assert r.status_code == 422
    sent = stack.ok("POST", "/api/v1/exhibits/ex-1/commands", json={"type": "report", "args": {"level": 2}})
    [message] = published(stack)
    assert (message["id"], message["type"], message["level"]) == (sent["id"], "report", 2)
    row = stack.controller.store.db.execute("SELECT type, payload FROM commands WHERE id = ?", [sent["id"]]).fetchone()
    assert row[0] == "report" and json.loads(row[1]) == {k: v for k, v in message.items() if k != "v"}
    big = stack.http.post("/api/v1/exhibits/ex-1/commands", json={"type": "report", "args": {"x": "a" * 20_000}})
    assert big.status_code == 422


def test_a_reused_command_id_is_a_conflict_not_a_crash(stack):
    admin = authenticate(stack.controller.store.db, ADMIN, ADMIN)
    commands.send(stack.controller, admin, "ex-1", "report", {}, command_id="c-1")
    with pytest.raises(Conflict):
        commands.send(stack.controller, admin, "ex-1", "report", {}, command_id="c-1")
    assert len(published(stack)) == 1
