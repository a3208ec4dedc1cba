"""The alert the database itself cannot hold: the controller's store refuses writes.

Every other alert is a row written with the change that caused it and delivered from the
`deliveries` queue. When the disk is full or the database is locked, neither can be written,
so this watch keeps the condition in memory: once it has lasted the rule's `after_seconds`, it
sends the notice straight to the subscriptions that hear the whole controller (root region),
retrying in memory; when writes work again it records the alert (opened and resolved) and
queues the resolved notice the ordinary way, so the alert history shows what happened.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from controller.domain import alerts, notify
from controller.store.db import Store
from kepu_contracts.clock import Clock
from kepu_contracts.times import iso

log = logging.getLogger(__name__)

RULE = "storage_unwritable"


class StorageState(Protocol):
    """What ingest knows about the store (controller.ingest.storage.StorageReport)."""

    @property
    def ok(self) -> bool: ...
    @property
    def error(self) -> str | None: ...
    @property
    def pending(self) -> int: ...


@dataclass
class _Outgoing:
    url: str
    title: str
    body: str
    not_before: float
    attempts: int = 0


@dataclass
class _Failure:
    since: float  # when the watch first saw the store refuse writes (controller clock)
    error: str
    notified: float | None = None  # when the alert "opened" (its notice was due)
    pending: int = 0


def _controller_row(since: float, opened: float, detail: dict[str, Any]) -> dict[str, Any]:
    """The alert as notify.message and alerts.view read it: no exhibit, the root region."""
    return {
        "id": 0,
        "rule": RULE,
        "exhibit": "",
        "region": "",
        "owner_region": "",
        "venue": "",
        "state": "open",
        "detail": json.dumps(detail, ensure_ascii=False),
        "since": since,
        "opened": opened,
        "acknowledged": None,
        "acknowledged_by": None,
        "resolved": None,
    }


class StorageWatch:
    """Checked about once a second by the notifier's thread; never raises."""

    def __init__(self, store: Store, clock: Clock, tz: str, state: Callable[[], StorageState]) -> None:
        self.store = store
        self.clock = clock
        self.tz = tz
        self.state = state
        self.failure: _Failure | None = None
        self.outbox: list[_Outgoing] = []

    def check(self) -> None:
        try:
            self._check(self.clock.now())
        except Exception:  # the notifier's thread must outlive anything here
            log.exception("storage watch failed")

    def _check(self, now: float) -> None:
        report = self.state()
        if not report.ok:
            if self.failure is None:
                self.failure = _Failure(since=now, error=report.error or "")
            self.failure.error = report.error or self.failure.error
            self.failure.pending = max(self.failure.pending, report.pending)
            if self.failure.notified is None and now - self.failure.since >= self._after():
                self.failure.notified = now
                self._queue_direct(now)
        elif self.failure is not None:
            failure, self.failure = self.failure, None
            self.outbox.clear()  # an unsent "opened" notice is stale now; the resolved one says it all
            if failure.notified is not None:
                self._record(failure, now)
        self._send_due(now)

    def _after(self) -> float:
        try:
            cfg = alerts.Thresholds(self.store.db).config(alerts.RULES[RULE], "")
        except Exception:  # even reading can fail (an I/O error): fall back to the rule's default
            cfg = alerts.RULES[RULE].defaults
        return cfg.after_seconds if cfg.enabled else float("inf")

    def _queue_direct(self, now: float) -> None:
        assert self.failure is not None
        detail = {"error": self.failure.error, "pending": self.failure.pending}
        row = _controller_row(self.failure.since, now, detail)
        title, body = notify.message(row, "opened", self.tz)
        try:
            subs = list(self.store.db.query("SELECT * FROM subscriptions"))
        except Exception:
            log.exception("storage alert: cannot read the subscriptions; the dashboard banner still shows it")
            subs = []
        log.error("controller database cannot be written since %s: %s", iso(self.failure.since, self.tz), detail)
        for sub in subs:
            if notify.matches(sub, row):
                not_before = notify.quiet_until(sub, now, self.tz)
                self.outbox.append(_Outgoing(sub["url"], title, body, not_before))

    def _send_due(self, now: float) -> None:
        for item in list(self.outbox):
            if item.not_before > now:
                continue
            error = notify.send(item.url, item.title, item.body, "opened")
            item.attempts += 1
            if error is None or item.attempts >= notify.MAX_ATTEMPTS:
                self.outbox.remove(item)
                if error is not None:
                    log.warning("storage alert to a subscription failed %s times: %s", item.attempts, error)
            else:
                item.not_before = now + notify.RETRY_BASE_SECONDS * 2 ** (item.attempts - 1)

    def _record(self, failure: _Failure, now: float) -> None:
        """Writes work again: keep the alert in the history and tell the subscribers it is over."""
        detail = {"error": failure.error, "pending": failure.pending}
        with self.store.write() as db:
            alert = (
                db.table("alerts")
                .insert(
                    {
                        **_controller_row(failure.since, failure.notified or now, detail),
                        "id": None,
                        "state": "resolved",
                        "resolved": now,
                    }
                )
                .last_pk
            )
            assert alert is not None
            for ts, action in ((failure.notified or now, "opened"), (now, "resolved")):
                db.table("alert_history").insert(
                    {"alert": alert, "ts": ts, "actor": "", "action": action, "detail": json.dumps(detail)}
                )
            notify.enqueue(db, [alerts.Change(int(alert), "resolved")], now, self.tz)
        log.warning("controller database writable again (alert #%s resolved)", alert)
