"""Telling staff: subscriptions (per region, per rule, quiet hours) and delivery through apprise.

An alert that opens or resolves writes one `deliveries` row per matching subscription inside
the same transaction, so nothing is lost if the process stops. A worker thread sends them
(apprise: WeCom/DingTalk/Feishu robots, e-mail, JSON webhooks), retrying with back-off, so
ingest never waits on a slow phone network or mail server.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Any

import apprise
from sqlite_utils import Database

from controller.domain import alerts, audit
from controller.domain.auth import Principal, check_region, in_scope
from controller.domain.opening import zone
from controller.errors import Invalid, NotFound
from controller.store.db import Store
from kepu_contracts.clock import Clock
from kepu_contracts.times import iso

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
RETRY_BASE_SECONDS = 30.0
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


# -- subscriptions -----------------------------------------------------------------


def check_url(url: str) -> str:
    """An apprise URL apprise can use (json://, mailto://, wecombot://, dingtalk://, feishu://…); Invalid otherwise."""
    url = (url or "").strip()
    if not url or len(url) > 2000:
        raise Invalid("url must be an apprise URL such as json://host/path or mailto://user:pass@host")
    if not apprise.Apprise().add(url):
        raise Invalid("apprise cannot use this URL (see https://github.com/caronc/apprise/wiki for the formats)")
    return url


def _masked(url: str) -> str:
    """Passwords and robot keys stay out of pages and lists: user:***@host."""
    return re.sub(r"(://[^/:@]*:)[^@/]*@", r"\1***@", url)


def subscription_view(row: dict[str, Any], tz: str) -> dict[str, Any]:
    return {
        "id": row["id"],
        "url": _masked(row["url"]),
        "label": row["label"],
        "region": row["region"],
        "rules": json.loads(row["rules"]),
        "quiet_hours": {"start": row["quiet_start"], "end": row["quiet_end"]} if row["quiet_start"] else None,
        "created": iso(row["created"], tz),
        "created_by": row["created_by"],
    }


def create_subscription(db: Database, user: Principal, data: dict[str, Any], now: float, tz: str) -> dict[str, Any]:
    """Subscribe a URL to a region's alerts (technician in that region); empty `rules` means every rule."""
    region = check_region(data.get("region") or "")
    user.require("technician", region)
    url = check_url(data.get("url") or "")
    rules = list(dict.fromkeys(data.get("rules") or []))
    unknown = [r for r in rules if r not in alerts.RULES]
    if unknown:
        raise Invalid(f"unknown rules {', '.join(map(str, unknown))} (rules: {', '.join(alerts.RULES)})")
    quiet = data.get("quiet_hours") or None
    start = end = None
    if quiet:
        start, end = quiet.get("start"), quiet.get("end")
        if not (isinstance(start, str) and _HHMM.match(start) and isinstance(end, str) and _HHMM.match(end)):
            raise Invalid('quiet_hours must be {"start": "HH:MM", "end": "HH:MM"}')
        if start == end:
            raise Invalid("quiet_hours start and end must differ")
    sub = (
        db.table("subscriptions")
        .insert(
            {
                "url": url,
                "label": (data.get("label") or "")[:200],
                "region": region,
                "rules": json.dumps(rules),
                "quiet_start": start,
                "quiet_end": end,
                "created": now,
                "created_by": user.id,
            }
        )
        .last_pk
    )
    assert sub is not None
    audit.record(db, now, user.id, "subscription.create", f"subscription #{sub}", {"rules": rules}, region)
    return subscription_view(get_subscription(db, user, int(sub)), tz)


def get_subscription(db: Database, user: Principal, sub: int) -> dict[str, Any]:
    for row in db.query("SELECT * FROM subscriptions WHERE id = ?", [sub]):
        if user.sees(row["region"]):
            return row
    raise NotFound(f"no subscription #{sub}")


def list_subscriptions(db: Database, user: Principal, tz: str) -> list[dict[str, Any]]:
    user.require("technician")
    rows = db.query("SELECT * FROM subscriptions ORDER BY region, id")
    return [subscription_view(r, tz) for r in rows if user.sees(r["region"])]


def delete_subscription(db: Database, user: Principal, sub: int, now: float) -> None:
    row = get_subscription(db, user, sub)
    user.require("technician", row["region"])
    db.execute("DELETE FROM deliveries WHERE subscription = ? AND state = 'pending'", [sub])
    db.table("subscriptions").delete(sub)
    audit.record(db, now, user.id, "subscription.delete", f"subscription #{sub}", {}, row["region"])


def matches(sub: dict[str, Any], alert: dict[str, Any]) -> bool:
    """A district's subscription hears its district's exhibits only; `rules` narrows to some rules."""
    rules = json.loads(sub["rules"])
    if rules and alert["rule"] not in rules:
        return False
    return in_scope(sub["region"], alert["region"]) or in_scope(sub["region"], alert["owner_region"])


def quiet_until(sub: dict[str, Any], now: float, tz: str) -> float:
    """`now`, or the end of the subscription's quiet hours if `now` falls inside them (held, not dropped)."""
    if not sub["quiet_start"]:
        return now
    local = datetime.fromtimestamp(now, zone(tz))
    start = time.fromisoformat(sub["quiet_start"])
    end = time.fromisoformat(sub["quiet_end"])
    t = local.time()
    inside = (start <= t < end) if start < end else (t >= start or t < end)
    if not inside:
        return now
    day = local.date() if t < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, zone(tz)).timestamp()


# -- messages ---------------------------------------------------------------------


def message(alert: dict[str, Any], kind: str, tz: str) -> tuple[str, str]:
    """Title and body in Chinese and English, one message (a shared group robot serves both)."""
    view = alerts.view(alert, tz)
    if not view["exhibit"]:
        return _controller_message(view, alert, kind, tz)
    name = view["exhibit_name"] or view["exhibit"]
    where_zh = view["venue_name"] or "运输中"
    where_en = view["venue_name"] or "in transit"
    detail = ", ".join(f"{k}: {v}" for k, v in view["detail"].items() if v not in (None, "", []))
    if kind == "resolved":
        title = f"[kepu] 已恢复 Resolved · {view['title']['zh']} / {view['title']['en']} · {name}"
        zh = f"已恢复：{view['title']['zh']}\n展品：{name}（{view['exhibit']}）\n场馆：{where_zh}"
        en = f"Resolved: {view['title']['en']}\nExhibit: {name} ({view['exhibit']})\nVenue: {where_en}"
        zh += f"\n开始：{_local(alert['since'], tz)}\n恢复：{_local(alert['resolved'], tz)}"
        en += f"\nSince: {_local(alert['since'], tz)}\nResolved: {_local(alert['resolved'], tz)}"
    else:
        title = f"[kepu] 告警 Alert · {view['title']['zh']} / {view['title']['en']} · {name}"
        zh = f"告警：{view['title']['zh']}\n展品：{name}（{view['exhibit']}）\n场馆：{where_zh}"
        en = f"Alert: {view['title']['en']}\nExhibit: {name} ({view['exhibit']})\nVenue: {where_en}"
        zh += f"\n开始：{_local(alert['since'], tz)}"
        en += f"\nSince: {_local(alert['since'], tz)}"
    if detail:
        zh += f"\n详情：{detail}"
        en += f"\nDetails: {detail}"
    region = view["region"] or "—"
    return title, f"{zh}\n地区：{region}\n\n{en}\nRegion: {region}\n\n#{view['id']} · {view['rule']}"


def _controller_message(view: dict[str, Any], alert: dict[str, Any], kind: str, tz: str) -> tuple[str, str]:
    """An alert about the controller itself (its database): what is wrong and what to do."""
    zh_title, en_title = view["title"]["zh"], view["title"]["en"]
    error = view["detail"].get("error") or "—"
    pending = view["detail"].get("pending") or 0
    since = _local(alert["since"], tz)
    if kind == "resolved":
        title = f"[kepu] 已恢复 Resolved · {zh_title} / {en_title}"
        zh = f"已恢复：{zh_title}\n开始：{since}\n恢复：{_local(alert['resolved'], tz)}\n期间未确认的数据已由展品重发并入库。"
        en = (
            f"Resolved: {en_title}\nSince: {since}\nResolved: {_local(alert['resolved'], tz)}\n"
            "What exhibits sent meanwhile was not acknowledged; they resent it and it is stored now."
        )
    else:
        title = f"[kepu] 告警 Alert · {zh_title} / {en_title}"
        zh = (
            f"告警：{zh_title}\n开始：{since}\n错误：{error}\n等待写入的消息：{pending}\n"
            "数据采集已暂停：展品保留未确认的数据，恢复后自动补传。请释放控制器数据目录所在磁盘的空间。"
        )
        en = (
            f"Alert: {en_title}\nSince: {since}\nError: {error}\nMessages waiting: {pending}\n"
            "Ingest is paused: exhibits keep what is not acknowledged and resend it once writes work. "
            "Free space on the disk of the controller's data directory."
        )
    return title, f"{zh}\n\n{en}\n\n{view['rule']}"


def _local(ts: float | None, tz: str) -> str:
    return "—" if ts is None else datetime.fromtimestamp(ts, zone(tz)).strftime("%Y-%m-%d %H:%M:%S")


def enqueue(db: Database, changes: list[alerts.Change], now: float, tz: str) -> int:
    """One pending delivery per (change, matching subscription), inside the caller's transaction."""
    if not changes:
        return 0
    subs = list(db.query("SELECT * FROM subscriptions"))
    queued = 0
    for change in changes:
        alert = next(iter(db.query("SELECT * FROM alerts WHERE id = ?", [change.alert])), None)
        if alert is None:
            continue
        title, body = message(alert, change.kind, tz)
        for sub in subs:
            if matches(sub, alert):
                db.table("deliveries").insert(
                    {
                        "subscription": sub["id"],
                        "alert": change.alert,
                        "kind": change.kind,
                        "title": title,
                        "body": body,
                        "created": now,
                        "not_before": quiet_until(sub, now, tz),
                        "attempts": 0,
                        "state": "pending",
                    }
                )
                queued += 1
    return queued


# -- sending -----------------------------------------------------------------------


def send(url: str, title: str, body: str, kind: str = "opened") -> str | None:
    """Deliver one message now; None on success, else what apprise said went wrong."""
    notifier = apprise.Apprise()
    if not notifier.add(url):
        return "apprise cannot use this URL"
    notify_type = apprise.NotifyType.SUCCESS if kind == "resolved" else apprise.NotifyType.WARNING
    with apprise.LogCapture(level=logging.WARNING) as captured:
        ok = notifier.notify(title=title, body=body, notify_type=notify_type, body_format=apprise.NotifyFormat.TEXT)
    if ok:
        return None
    lines = str(captured.getvalue()).strip().splitlines()
    return (lines or ["delivery failed"])[-1][:500]


def test_send(db: Database, user: Principal, sub: int, now: float, tz: str) -> dict[str, Any]:
    """The test-send button: a bilingual test message, sent at once (quiet hours do not apply)."""
    row = get_subscription(db, user, sub)
    user.require("technician", row["region"])
    title = "[kepu] 测试消息 Test message"
    body = (
        f"这是一条来自 kepu 的测试消息，订阅 #{sub}（{row['region'] or '全部地区'}）。\n"
        f"This is a test message from kepu for subscription #{sub} ({row['region'] or 'all regions'})."
    )
    error = send(row["url"], title, body, "test")
    return {"subscription": sub, "delivered": error is None, "error": error, "at": iso(now, tz)}


class Notifier:
    """The delivery worker: sends due deliveries off the ingest path, retrying with back-off."""

    def __init__(
        self, store: Store, clock: Clock, poll_seconds: float = 1.0, watches: list[Callable[[], None]] | None = None
    ) -> None:
        self.store = store
        self.clock = clock
        self.poll_seconds = poll_seconds
        self.watches = watches or []  # checked before each round (the storage watch: it cannot use the queue)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Notifier:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="kepu-notifier", daemon=True)
            self._thread.start()
        return self

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout=15)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            for watch in self.watches:
                watch()
            try:
                self.deliver_due()
            except Exception:  # the worker must outlive any one bad delivery
                log.exception("notification delivery failed")
            self._wake.wait(self.poll_seconds)
            self._wake.clear()

    def deliver_due(self, limit: int = 50) -> int:
        """Send what is due now; returns how many were sent."""
        now = self.clock.now()
        due = list(
            self.store.db.query(
                "SELECT d.id, d.title, d.body, d.kind, d.attempts, s.url FROM deliveries d"
                " JOIN subscriptions s ON s.id = d.subscription"
                " WHERE d.state = 'pending' AND d.not_before <= ? ORDER BY d.not_before, d.id LIMIT ?",
                [now, limit],
            )
        )
        sent = 0
        for row in due:
            if self._stop.is_set():
                break
            error = send(row["url"], row["title"], row["body"], row["kind"])
            attempts = row["attempts"] + 1
            with self.store.write() as db:
                if error is None:
                    db.table("deliveries").update(
                        row["id"], {"state": "sent", "sent": self.clock.now(), "attempts": attempts, "error": None}
                    )
                    sent += 1
                else:
                    log.warning("delivery #%s failed (attempt %s): %s", row["id"], attempts, error)
                    retry = self.clock.now() + RETRY_BASE_SECONDS * 2 ** (attempts - 1)
                    db.table("deliveries").update(
                        row["id"],
                        {
                            "state": "failed" if attempts >= MAX_ATTEMPTS else "pending",
                            "attempts": attempts,
                            "error": error,
                            "not_before": retry,
                        },
                    )
        return sent


def deliveries(db: Database, user: Principal, tz: str, limit: int = 100) -> list[dict[str, Any]]:
    """Recent deliveries of the caller's subscriptions (sent, pending, failed), newest first."""
    user.require("technician")
    rows = db.query(
        "SELECT d.*, s.region FROM deliveries d JOIN subscriptions s ON s.id = d.subscription"
        " ORDER BY d.created DESC, d.id DESC LIMIT ?",
        [limit * 4],
    )
    out = []
    for r in rows:
        if user.sees(r["region"]):
            out.append(
                {
                    "id": r["id"],
                    "subscription": r["subscription"],
                    "alert": r["alert"],
                    "kind": r["kind"],
                    "title": r["title"],
                    "state": r["state"],
                    "attempts": r["attempts"],
                    "error": r["error"],
                    "created": iso(r["created"], tz),
                    "sent": iso(r["sent"], tz),
                }
            )
        if len(out) >= limit:
            break
    return out
