"""Dashboard sessions: opened at login with an API token, closed at logout, expiring on their own.

The cookie carries a random session secret; the database keeps only its hash and the hash of
the token that opened it, so a revoked token (or a removed user) ends its sessions too, and
logging out makes a copied cookie worthless. Logins are throttled per client address.
"""

from __future__ import annotations

import hmac
import secrets
import threading
from collections import deque

from sqlite_utils import Database

from controller.domain.auth import Principal, authenticate_hash, hash_token
from controller.errors import Unauthorized

SESSION_SECONDS = 12 * 3600  # one working day; then log in again


def open_session(db: Database, token: str, now: float) -> str:
    """A new session for an (already authenticated) token; returns the secret for the cookie."""
    secret = secrets.token_urlsafe(32)
    db.table("sessions").insert(
        {
            "hash": hash_token(secret),
            "token_hash": hash_token(token),
            "created": now,
            "expires": now + SESSION_SECONDS,
            "revoked": None,
        },
        pk="hash",
    )
    # Old sessions are of no use to anyone: keep the table small.
    db.execute("DELETE FROM sessions WHERE expires < ? OR revoked < ?", [now - 86400, now - 86400])
    return secret


def principal_for(db: Database, secret: str | None, now: float, admin_token: str | None) -> Principal:
    """Who a session cookie belongs to; Unauthorized when unknown, expired, logged out or its token revoked."""
    if not secret:
        raise Unauthorized("not logged in")
    row = db.execute(
        "SELECT token_hash, expires, revoked FROM sessions WHERE hash = ?", [hash_token(secret)]
    ).fetchone()
    if row is None or row[2] is not None or row[1] <= now:
        raise Unauthorized("the session has ended: log in again")
    admin_hash = hash_token(admin_token) if admin_token else None
    if admin_hash and hmac.compare_digest(row[0], admin_hash):
        return Principal(id="admin", role="admin", region="")
    return authenticate_hash(db, row[0])


def close_session(db: Database, secret: str | None, now: float) -> None:
    if secret:
        db.execute("UPDATE sessions SET revoked = ? WHERE hash = ? AND revoked IS NULL", [now, hash_token(secret)])


class LoginThrottle:
    """At most `attempts` failed logins per client address in `window` seconds; then 429 until they age out."""

    def __init__(self, attempts: int = 10, window: float = 15 * 60, max_clients: int = 10_000) -> None:
        self.attempts = attempts
        self.window = window
        self.max_clients = max_clients  # bounded memory even under a spray from many addresses
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, client: str, now: float) -> deque[float]:
        failures = self._failures.get(client, deque())
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        return failures

    def retry_after(self, client: str, now: float) -> float | None:
        """Seconds until this client may try again, or None if it may try now."""
        with self._lock:
            failures = self._recent(client, now)
            if len(failures) < self.attempts:
                return None
            return max(1.0, failures[0] + self.window - now)

    def failed(self, client: str, now: float) -> None:
        with self._lock:
            if client not in self._failures and len(self._failures) >= self.max_clients:
                self._failures.pop(next(iter(self._failures)))
            failures = self._recent(client, now)
            failures.append(now)
            self._failures[client] = failures

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._failures.pop(client, None)
