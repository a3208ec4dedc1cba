"""Issue 11, finding 5: bodies are refused before they are read (no token, or too big); uploads leak no paths."""

from __future__ import annotations

import socket
import time
from urllib.parse import urlsplit

import pytest

from kepu_contracts.clock import ManualClock
from tests.support.controller import ADMIN, Stack, at, session_cookies


@pytest.fixture
def stack(tmp_path):
    stack = Stack(tmp_path / "ctl", ManualClock(at("2025-05-12 10:00")), serve=True)  # raw sockets need a port
    yield stack
    stack.close()


def raw_request(stack: Stack, head: str, body_start: bytes = b"", timeout: float = 5.0) -> tuple[int, str, float]:
    """Send a request head (and the first bytes of a body it announces) and read the answer: (status, text, seconds)."""
    parts = urlsplit(stack.server.url)
    started = time.monotonic()
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as s:
        s.sendall(head.replace("\n", "\r\n").encode() + b"\r\n" + body_start)
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = s.recv(65536)
            if not chunk:
                break
            answer += chunk
        s.settimeout(0.5)
        try:
            while chunk := s.recv(65536):
                answer += chunk
        except OSError:
            pass
    status = int(answer.split(b" ", 2)[1])
    return status, answer.decode("utf-8", "replace"), time.monotonic() - started


def head(method: str, path: str, length: int, token: str | None = None, extra: str = "") -> str:
    auth = f"Authorization: Bearer {token}\n" if token else ""
    return (
        f"{method} {path} HTTP/1.1\nHost: x\nContent-Type: application/json\nContent-Length: {length}\n{auth}{extra}\n"
    )


def test_no_token_means_401_before_a_200_mb_body_is_read(stack):
    status, _, seconds = raw_request(stack, head("POST", "/api/v1/venues", 200 * 1024 * 1024), b"{" + b" " * 1000)
    assert status == 401 and seconds < 3  # answered without waiting for the other 199.99 MB
    status, _, _ = raw_request(stack, head("POST", "/api/v1/venues", 10_000, token="wrong"), b"{")
    assert status == 401


def test_bodies_over_the_route_cap_are_refused_unread(stack):
    status, text, seconds = raw_request(stack, head("POST", "/api/v1/venues", 5 * 1024 * 1024, token=ADMIN), b"{")
    assert status == 413 and seconds < 3 and "1 MiB" in text
    # Without a length (chunked), it is counted as it arrives and cut off at the cap.
    chunk = b"x" * 65536
    body = b"".join(b"%x\r\n" % len(chunk) + chunk + b"\r\n" for _ in range(40))  # 2.5 MiB
    status, _, _ = raw_request(
        stack,
        f"POST /api/v1/venues HTTP/1.1\nHost: x\nContent-Type: application/json\nTransfer-Encoding: chunked\n"
        f"Authorization: Bearer {ADMIN}\n",
        body,
    )
    assert status == 413
    # Small bodies are fine, and the login form has its own small cap.
    assert stack.http.post("/api/v1/venues", json={"id": "v-1", "name": "v", "region": "guangdong"}).status_code == 201
    assert stack.http.post("/login", data={"token": "x" * 100_000}).status_code == 413


def test_dashboard_forms_need_a_session_before_their_body_is_read(stack):
    status, _, seconds = raw_request(
        stack,
        head("POST", "/packs", 500 * 1024 * 1024, extra="Content-Type: multipart/form-data; boundary=b\n"),
        b"--b\r\n",
    )
    assert status in (303, 401) and seconds < 3
    cookies = session_cookies(stack.server.url, ADMIN)
    with stack.client(None) as browser:
        browser.cookies.update(cookies)
        assert browser.get("/packs").status_code == 200


def test_a_refused_upload_does_not_reveal_internal_paths(stack, tmp_path):
    from content_packs.signing import generate_keypair

    generate_keypair(tmp_path / "signer")
    (stack.settings.data_dir / "trusted_keys").mkdir(exist_ok=True)
    (stack.settings.data_dir / "trusted_keys" / "signer.pub").write_bytes((tmp_path / "signer.pub").read_bytes())
    r = stack.http.post("/api/v1/packs", files={"file": ("mine.kpack", b"this is no zip archive", "application/zip")})
    assert r.status_code in (400, 422), r.text
    detail = r.json()["detail"]
    assert str(stack.settings.data_dir) not in detail and "/tmp" not in detail and "upload.kpack" not in detail
    assert "mine.kpack" in detail
