"""Issue 11, finding 11: server-side sessions, login throttling, security headers, secrets kept out of argv and logs."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import httpx
import pytest

from controller.cli import build_parser, mqtt_url_from
from kepu_contracts.clock import ManualClock
from tests.support.controller import ADMIN, Stack, at

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def stack(tmp_path):
    stack = Stack(tmp_path / "ctl", ManualClock(at("2025-05-12 10:00")), serve=True)
    yield stack
    stack.close()


def login(stack: Stack, token: str) -> httpx.Client:
    browser = stack.client(None)  # closed with the stack
    r = browser.post("/login", data={"token": token}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return browser


def test_the_cookie_is_a_server_side_session_revoked_at_logout(stack):
    browser = login(stack, ADMIN)
    cookie = browser.cookies.get("kepu_session")
    assert cookie and ADMIN not in cookie and cookie != ADMIN
    assert browser.get("/fleet").status_code == 200
    assert browser.get("/api/v1/exhibits").status_code == 200  # reads with the session cookie still work
    # The raw API token is not a dashboard cookie any more.
    raw = httpx.get(f"{stack.server.url}/fleet", cookies={"kepu_session": ADMIN, "kepu_token": ADMIN})
    assert raw.status_code in (303, 307) or "/login" in str(raw.url)
    stolen = dict(browser.cookies)
    assert browser.post("/logout", follow_redirects=False).status_code == 303
    replay = httpx.get(f"{stack.server.url}/fleet", cookies=stolen, follow_redirects=False)
    assert replay.status_code == 303 and replay.headers["location"] == "/login", "logout revoked the session"
    assert httpx.get(f"{stack.server.url}/api/v1/exhibits", cookies=stolen).status_code == 401


def test_sessions_expire_and_die_with_their_token(stack):
    token = stack.user("ana", "viewer", "guangdong")
    browser = login(stack, token)
    assert browser.get("/fleet").status_code == 200
    stack.clock.advance(13 * 3600)  # past the session lifetime
    assert browser.get("/fleet", follow_redirects=False).status_code == 303
    browser = login(stack, token)
    assert browser.get("/fleet").status_code == 200
    stack.ok("DELETE", "/api/v1/users/ana")  # revokes her tokens
    assert browser.get("/fleet", follow_redirects=False).status_code == 303, "a revoked token ends its sessions"


def test_logins_are_rate_limited(stack):
    browser = stack.client(None)
    codes = [browser.post("/login", data={"token": f"guess-{n}"}).status_code for n in range(12)]
    assert codes[:10] == [401] * 10 and codes[10:] == [429, 429]
    assert browser.post("/login", data={"token": ADMIN}, follow_redirects=False).status_code == 429
    stack.clock.advance(16 * 60)
    assert browser.post("/login", data={"token": ADMIN}, follow_redirects=False).status_code == 303


def test_security_headers_on_pages_and_api(stack):
    for path in ("/login", "/api/v1/exhibits", "/static/css/kepu.css"):
        r = stack.http.get(path)
        assert r.headers["x-content-type-options"] == "nosniff", path
        assert r.headers["x-frame-options"] == "DENY", path
        csp = r.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "script-src 'self'" in csp


def test_secrets_stay_out_of_argv_and_the_log(tmp_path, capsys):
    pw = tmp_path / "mqtt.password"
    pw.write_text("s3cret\n")
    args = build_parser().parse_args(
        [
            "serve",
            "--data",
            str(tmp_path),
            "--mqtt",
            "mqtt://kepu-controller@127.0.0.1:1883",
            "--mqtt-password-file",
            str(pw),
        ]
    )
    assert mqtt_url_from(args, {}) == "mqtt://kepu-controller:s3cret@127.0.0.1:1883"
    args = build_parser().parse_args(["serve", "--data", str(tmp_path)])
    assert mqtt_url_from(args, {"KEPU_MQTT_URL": "mqtt://u:p@h:1"}) == "mqtt://u:p@h:1"
    unit = (REPO / "systemd" / "kepu-controller.service").read_text()
    exec_line = next(line for line in unit.splitlines() if line.startswith("ExecStart="))
    assert "KEPU_MQTT_URL" not in exec_line and "--mqtt" not in exec_line
    assert "--host 127.0.0.1" in exec_line
    assert "listener 1883 127.0.0.1" in (REPO / "systemd" / "mosquitto-kepu.conf").read_text()
    from controller import cli

    token, _ = cli.admin_token(tmp_path / "data", None, {})
    cli.announce_admin_token(tmp_path / "data", token, generated=True)
    out = capsys.readouterr()
    assert token not in out.out + out.err and "admin_token" in out.out


def test_data_files_are_private(stack):
    data = stack.settings.data_dir
    assert stat.S_IMODE(os.stat(data).st_mode) == 0o700
    for name in ("controller.db", "controller.db-wal"):
        path = data / name
        if path.exists():
            assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, name
