"""The CLI: every subcommand has help; enroll writes credentials a real Mosquitto accepts."""

from __future__ import annotations

import subprocess
import sys

import pytest

from controller.cli import admin_token, build_parser, main
from kepu_contracts.clock import ManualClock
from tests.support.controller import Stack, at, batch, session_events


def test_every_subcommand_has_help(capsys):
    parser = build_parser()
    subcommands = parser._subparsers._group_actions[0].choices
    assert set(subcommands) == {"serve", "enroll", "reattribute", "bridge-config", "demo"}
    for name in ("serve", "enroll", "reattribute", "bridge-config"):
        with pytest.raises(SystemExit) as exit_:
            main([name, "--help"])
        assert exit_.value.code == 0
        assert "--data" in capsys.readouterr().out
    assert subcommands["demo"].format_help().strip()


def test_admin_token_is_generated_once_and_reused(tmp_path):
    token, generated = admin_token(tmp_path, None, {})
    assert generated and len(token) > 30
    assert admin_token(tmp_path, None, {}) == (token, True)
    assert admin_token(tmp_path, None, {"KEPU_ADMIN_TOKEN": "from-env"}) == ("from-env", False)
    assert admin_token(tmp_path, "flag", {"KEPU_ADMIN_TOKEN": "from-env"}) == ("flag", False)
    assert (tmp_path / "admin_token").stat().st_mode & 0o777 == 0o600


def test_module_entry_point_runs():
    result = subprocess.run([sys.executable, "-m", "controller", "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "serve" in result.stdout and "enroll" in result.stdout


def test_reattribute_repairs_events_stored_before_their_stay_was_known(tmp_path, capsys):
    import json
    import sqlite3
    from contextlib import closing

    stack = Stack(tmp_path / "ctl", ManualClock(at("2025-05-20 08:00")))
    try:
        stack.ok(
            "POST", "/api/v1/venues", json={"id": "venue-a", "name": "A", "region": "guangdong/shenzhen/nanshan/yuehai"}
        )
        events = session_events("ex-1", 1, at("2025-05-12 10:00")) + session_events("ex-1", 10, at("2025-05-13 10:00"))
        stack.controller.handle_message(
            "kepu/v1/exhibits/ex-1/events", json.dumps({"v": 1, **batch("ex-1", events)}).encode()
        )
    finally:
        stack.close()
    with closing(sqlite3.connect(tmp_path / "ctl" / "controller.db")) as conn, conn:
        # A stay written straight into the table, as older versions left them: no re-attribution happened.
        conn.execute(
            "INSERT INTO rotations (exhibit, venue, starts, ends) VALUES ('ex-1', 'venue-a', ?, ?)",
            (at("2025-05-13 00:00"), at("2025-06-01 00:00")),
        )
    assert main(["reattribute", "--data", str(tmp_path / "ctl")], environ={}) == 0
    assert "ex-1: 4 events moved" in capsys.readouterr().out
    with closing(sqlite3.connect(tmp_path / "ctl" / "controller.db")) as conn:
        assert conn.execute(
            "SELECT venue, SUM(sessions) FROM rollup_hourly GROUP BY venue ORDER BY venue"
        ).fetchall() == [("", 1), ("venue-a", 1)]
        assert conn.execute("SELECT COUNT(*) FROM events WHERE in_transit = 1").fetchone() == (4,)
        assert conn.execute("SELECT action FROM audit ORDER BY id DESC LIMIT 1").fetchone() == ("rotation.reattribute",)
