"""Request bodies are paid for only by callers who may send them, and only up to their route's cap.

A pure ASGI middleware in front of the app: a write to `/api/v1` needs a valid bearer token and a
dashboard form a live session *before* a byte of the body is read; a body over its route's cap is
refused with 413 from its Content-Length, or cut off at the cap while it streams in.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from controller.domain import sessions
from controller.domain.auth import authenticate
from controller.domain.packs import MAX_UPLOAD
from controller.domain.tickets import MAX_PHOTO_BYTES
from controller.errors import Unauthorized
from kepu_contracts.limits import SCREENSHOT_MAX_BYTES

KIB, MIB = 1024, 1024 * 1024
MULTIPART_SLACK = 64 * KIB  # boundaries and part headers around an uploaded file
DEFAULT_CAP = 1 * MIB  # JSON and form bodies: a venue, a stay, a campaign are a few hundred bytes


@dataclass(frozen=True)
class Rule:
    methods: tuple[str, ...]
    path: re.Pattern[str]
    cap: int
    label: str


RULES = (
    Rule(("POST",), re.compile(r"^/api/v1/packs$"), MAX_UPLOAD + MULTIPART_SLACK, "2 GiB"),
    Rule(("POST",), re.compile(r"^/packs$"), MAX_UPLOAD + MULTIPART_SLACK, "2 GiB"),
    Rule(
        ("PUT", "POST"),
        re.compile(r"^/api/v1/exhibits/[^/]+/screenshots/[^/]+$"),
        SCREENSHOT_MAX_BYTES + MULTIPART_SLACK,
        "8 MiB",
    ),
    Rule(("POST",), re.compile(r"^/login$"), 16 * KIB, "16 KiB"),
    # A ticket's photo (API: raw bytes; dashboard: a form): a little over the 8 MiB the ticket accepts,
    # so an oversize photo gets the ticket's own clear 422 rather than a bare 413.
    Rule(("PUT",), re.compile(r"^/api/v1/tickets/[^/]+/photo$"), MAX_PHOTO_BYTES + MULTIPART_SLACK, "8 MiB"),
    Rule(("POST",), re.compile(r"^/tickets/[^/]+/photo$"), MAX_PHOTO_BYTES + MULTIPART_SLACK, "8 MiB"),
)
WRITES = ("POST", "PUT", "PATCH", "DELETE")
OPEN_FORMS = ("/login", "/logout")  # a form anyone may post (each checks what it needs itself)


def cap_for(method: str, path: str) -> tuple[int, str]:
    for rule in RULES:
        if method in rule.methods and rule.path.match(path):
            return rule.cap, rule.label
    return DEFAULT_CAP, "1 MiB"


class TooLarge(HTTPException):
    """Raised from `receive`: an HTTPException, so the framework answers 413 rather than "bad body" 400."""

    def __init__(self, label: str) -> None:
        super().__init__(413, f"the body is larger than {label}, the most that may be sent here")


class BodyGuard:
    def __init__(self, app: ASGIApp, controller: object) -> None:
        self.app = app
        self.controller = controller

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope.get("path", "")
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        cap, label = cap_for(method, path)
        if method in WRITES:
            refusal = self._refuse_unauthenticated(path, headers)
            if refusal is not None:
                await refusal(send)
                return
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > cap:
            await _json(send, 413, f"the body is {int(length):,} bytes; at most {label} may be sent here")
            return
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > cap:
                    raise TooLarge(label)
            return message

        async def tracked(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except TooLarge as exc:
            if not started:
                await _json(send, 413, str(exc.detail))

    def _refuse_unauthenticated(self, path: str, headers: dict[str, str]) -> Callable[[Send], Awaitable[None]] | None:
        controller = self.controller
        db = controller.store.db  # type: ignore[attr-defined]
        admin = controller.settings.admin_token  # type: ignore[attr-defined]
        if path.startswith("/api/"):
            auth = headers.get("authorization", "")
            token = auth[7:].strip() if auth[:7].lower() == "bearer " else None
            try:
                authenticate(db, token, admin)
            except Unauthorized as exc:
                message = str(exc)
                return lambda send: _json(send, 401, message, {"www-authenticate": "Bearer"})
            return None
        if path in OPEN_FORMS or path.startswith("/static/"):
            return None
        cookie = _cookie(headers.get("cookie", ""), "kepu_session")
        try:
            sessions.principal_for(db, cookie, controller.clock.now(), admin)  # type: ignore[attr-defined]
        except Unauthorized:
            return _redirect_to_login
        return None


def _cookie(header: str, name: str) -> str | None:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


async def _json(send: Send, status: int, detail: str, extra: dict[str, str] | None = None) -> None:
    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += [(k.encode(), v.encode()) for k, v in (extra or {}).items()]
    headers.append((b"connection", b"close"))  # the unread body is not waited for
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _redirect_to_login(send: Send) -> None:
    headers = [(b"location", b"/login"), (b"content-length", b"0"), (b"connection", b"close")]
    await send({"type": "http.response.start", "status": 303, "headers": headers})
    await send({"type": "http.response.body", "body": b""})
