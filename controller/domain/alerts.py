"""Alert rules over the fleet, with flap damping: open → (acknowledged) → resolved.

Every rule is a pure check of one exhibit's known state at the controller's `now`. A condition
must hold for the rule's `after_seconds` before an alert opens, and must stay cleared for its
`hold_seconds` before the alert resolves, so a Wi-Fi link that drops every minute gives one
alert and one resolved notice, not a storm. `alert_conditions` remembers each condition's
damping state between evaluations (the scheduler's tick and relevant ingest changes).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from controller.domain import audit
from controller.domain.auth import Principal, check_region, in_scope
from controller.domain.opening import buckets, local_midnight, open_intervals, open_seconds, zone
from controller.errors import Conflict, Invalid, NotFound
from kepu_contracts.times import iso

STATES = ("open", "acknowledged", "resolved")
DOOR_MEMORY_SECONDS = 30 * 86400


@dataclass(frozen=True)
class RuleConfig:
    """A rule's thresholds as they apply in one region."""

    after_seconds: float
    hold_seconds: float
    threshold: float | None
    enabled: bool


@dataclass(frozen=True)
class Finding:
    """What a check saw: active True/False, or None when it cannot tell (no change then)."""

    active: bool | None
    detail: dict[str, Any] = field(default_factory=dict)
    since: float | None = None  # when the condition began, if the check knows better than "now"


@dataclass
class ExhibitNow:
    """One exhibit as the rules see it."""

    id: str
    name: str
    owner_region: str
    online: bool
    online_since: float | None
    last_seen: float | None
    health: dict[str, Any]
    reported: dict[str, Any]
    desired: dict[str, Any]
    pack: dict[str, Any] | None
    venue: dict[str, Any] | None  # id, name, region, hours
    last_visit: float | None = None
    last_footfall: float | None = None

    @property
    def region(self) -> str:
        return self.venue["region"] if self.venue else self.owner_region


Check = Callable[[ExhibitNow, RuleConfig, float, str], Finding]
Held = Callable[[ExhibitNow, float, float, str], float]


@dataclass(frozen=True)
class Rule:
    """One alert rule: its name (API and docs), bilingual title, defaults and check."""

    name: str
    title_zh: str
    title_en: str
    defaults: RuleConfig
    check: Check
    held: Held | None = None  # how long the condition has held; default: wall-clock seconds since it began
    threshold_unit: str = ""
    per_exhibit: bool = True  # False: about the controller itself, watched outside `evaluate`


def _opening(ex: ExhibitNow, since: float, now: float, tz: str) -> float:
    """Seconds of the venue's opening hours within [since, now): in transit counts nothing."""
    if not ex.venue:
        return 0.0
    return open_seconds(ex.venue["hours"], since, now, tz)


def _is_open(ex: ExhibitNow, now: float, tz: str) -> bool:
    return ex.venue is not None and bool(open_intervals(ex.venue["hours"], now, now + 1, tz))


def _obj(value: Any) -> dict[str, Any]:
    """A nested object of a device's message, or {} when it is missing or not an object."""
    return value if isinstance(value, dict) else {}


def _check_offline(ex: ExhibitNow, cfg: RuleConfig, now: float, tz: str) -> Finding:
    if ex.online:
        return Finding(False)
    return Finding(True, {"last_seen": iso(ex.last_seen, tz)}, since=ex.last_seen)


def _check_install(ex: ExhibitNow, cfg: RuleConfig, now: float, tz: str) -> Finding:
    last = ex.reported.get("last_install")
    desired = ex.desired.get("pack") or None
    if not isinstance(last, dict) or not desired:
        return Finding(False)
    pack = _obj(last.get("pack"))
    current = ex.pack or {}
    same = pack.get("id") == desired.get("id") and pack.get("version") == desired.get("version")
    installed = current.get("id") == desired.get("id") and current.get("version") == desired.get("version")
    if same and not installed and last.get("result") not in (None, "ok"):
        detail = {"pack": f"{pack.get('id')} {pack.get('version')}", "result": last.get("result")}
        return Finding(True, {**detail, "reason": str(last.get("reason") or "")[:300]})
    return Finding(False)


def _check_outbox(ex: ExhibitNow, cfg: RuleConfig, now: float, tz: str) -> Finding:
    outbox = _obj(ex.health.get("outbox"))
    over = bool(ex.reported.get("outbox_over_cap")) or bool(outbox.get("over_cap"))
    return Finding(over, {"bytes": outbox.get("bytes")} if over else {})


def health_inputs(health: dict[str, Any]) -> tuple[Any, ...]:
    """The parts of a health message the rules read (outbox, power, temperature, disk): when these are
    unchanged, judging the exhibit again on its next health message cannot open or resolve anything
    (holds coming due are the scheduler's). Keep in step with the checks below."""
    outbox = _obj(health.get("outbox"))
    flags = _obj(health.get("throttled"))
    return (
        bool(outbox.get("over_cap")),
        tuple(bool(flags.get(k)) for k in ("undervoltage", "throttled", "freq_capped")),
        health.get("undervoltage") is True,
        _number(health.get("cpu_temp")),
        _number(health.get("disk_free")),
    )


def _check_power(ex: ExhibitNow, cfg: RuleConfig, now: float, tz: str) -> Finding:
    if not ex.online:
        return Finding(None)  # stale health says nothing about now
    flags = _obj(ex.health.get("throttled"))
    seen = [k for k in ("undervoltage", "throttled", "freq_capped") if flags.get(k)]
    if ex.health.get("undervoltage") is True and "undervoltage" not in seen:
        seen.insert(0, "undervoltage")
    return Finding(bool(seen), {"flags": seen} if seen else {})


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _check_hot(ex: ExhibitNow, cfg: RuleConfig, now: float, tz: str) -> Finding:
    temp = _number(ex.health.get("cpu_temp"))
    if not ex.online or temp is None or cfg.threshold is None:
        return Finding(None)
    return Finding(temp > cfg.threshold, {"cpu_temp": temp, "threshold": cfg.threshold})


def _check_disk(ex: ExhibitNow, cfg: RuleConfig, now: float, tz: str) -> Finding:
    free = _number(ex.health.get("disk_free"))
    if not ex.online or free is None or cfg.threshold is None:
        return Finding(None)
    return Finding(free < cfg.threshold, {"disk_free": free, "threshold": cfg.threshold})


def _check_emergency(ex: ExhibitNow, cfg: RuleConfig, now: float, tz: str) -> Finding:
    wanted = ex.desired.get("emergency") if isinstance(ex.desired.get("emergency"), dict) else None
    if not wanted or not ex.online:
        return Finding(False)
    # What the kiosk confirms on screen; agents older than that field only say what they handed over.
    shown = ex.reported["emergency_shown"] if "emergency_shown" in ex.reported else ex.reported.get("emergency")
    if str(shown) == str(wanted.get("id")):
        return Finding(False)
    return Finding(True, {"emergency": wanted.get("id"), "shown": shown})


def _check_no_sessions(ex: ExhibitNow, cfg: RuleConfig, now: float, tz: str) -> Finding:
    if not ex.venue or not ex.online:
        return Finding(None if ex.venue else False)
    if not _is_open(ex, now, tz):
        return Finding(False)  # closed: nobody is expected, and tomorrow is judged afresh
    midnight = local_midnight(datetime.fromtimestamp(now, zone(tz)).date(), tz)
    if ex.last_visit is not None and ex.last_visit >= midnight:
        return Finding(False)
    return Finding(True, {"day": datetime.fromtimestamp(now, zone(tz)).date().isoformat()})


def _held_today(ex: ExhibitNow, since: float, now: float, tz: str) -> float:
    midnight = local_midnight(datetime.fromtimestamp(now, zone(tz)).date(), tz)
    start = max(since, midnight)  # since: when the condition was first seen (online, open, no visit)
    return _opening(ex, start, now, tz)


def _check_door(ex: ExhibitNow, cfg: RuleConfig, now: float, tz: str) -> Finding:
    if ex.last_footfall is None or not ex.venue:
        return Finding(False)  # no door counter here
    if not ex.online:
        return Finding(None)
    return Finding(True, {"last_count": iso(ex.last_footfall, tz)}, since=ex.last_footfall)


def _held_door(ex: ExhibitNow, since: float, now: float, tz: str) -> float:
    return _opening(ex, ex.last_footfall or since, now, tz)


RULES: dict[str, Rule] = {
    r.name: r
    for r in (
        Rule(
            "offline",
            "展品离线",
            "Exhibit offline",
            RuleConfig(600, 60, None, True),
            _check_offline,
            lambda ex, since, now, tz: _opening(ex, since, now, tz),
        ),
        Rule(
            "install_failed",
            "资源包安装失败或已回滚",
            "Pack install failed or rolled back",
            RuleConfig(0, 0, None, True),
            _check_install,
        ),
        Rule(
            "outbox_over_cap",
            "待上传数据超出上限",
            "Outbox over its cap",
            RuleConfig(0, 300, None, True),
            _check_outbox,
        ),
        Rule(
            "undervoltage", "电源欠压或降频", "Undervoltage or throttling", RuleConfig(0, 600, None, True), _check_power
        ),
        Rule(
            "cpu_hot", "CPU 温度过高", "CPU temperature high", RuleConfig(120, 300, 80.0, True), _check_hot, None, "°C"
        ),
        Rule("disk_low", "存储空间不足", "Disk space low", RuleConfig(0, 300, 1e9, True), _check_disk, None, "bytes"),
        Rule(
            "emergency_unconfirmed",
            "应急播报未在屏幕上确认",
            "Emergency broadcast not confirmed on screen",
            RuleConfig(60, 0, None, True),
            _check_emergency,
        ),
        Rule(
            "no_sessions",
            "开放日无人使用（屏幕或触摸可能故障）",
            "Open day without a single visit (screen or touch may be broken)",
            RuleConfig(3 * 3600, 0, None, True),
            _check_no_sessions,
            _held_today,
        ),
        Rule(
            "door_silent",
            "门禁计数器无数据",
            "Door counter went silent",
            RuleConfig(2 * 3600, 0, None, True),
            _check_door,
            _held_door,
        ),
        # The controller's own store refuses writes: controller.domain.storage_alert watches it.
        Rule(
            "storage_unwritable",
            "控制器数据库无法写入（磁盘已满或被锁定）",
            "Controller database cannot be written (disk full or locked)",
            RuleConfig(60, 0, None, True),
            lambda ex, cfg, now, tz: Finding(None),
            per_exhibit=False,
        ),
    )
}
EXHIBIT_RULES = [rule for rule in RULES.values() if rule.per_exhibit]


# -- thresholds per region -----------------------------------------------------------


def _rule(name: str) -> Rule:
    if name not in RULES:
        raise NotFound(f"no alert rule {name!r} (rules: {', '.join(RULES)})")
    return RULES[name]


class Thresholds:
    """Every region's overrides, loaded once per evaluation; the most specific region wins, field by field."""

    def __init__(self, db: Database) -> None:
        self.rows: dict[str, list[dict[str, Any]]] = {}
        for row in db.query("SELECT * FROM alert_rules ORDER BY length(region)"):
            self.rows.setdefault(row["rule"], []).append(row)

    def config(self, rule: Rule, region: str) -> RuleConfig:
        cfg = rule.defaults
        for row in self.rows.get(rule.name, []):
            if not in_scope(row["region"], region):
                continue
            cfg = RuleConfig(
                after_seconds=cfg.after_seconds if row["after_seconds"] is None else row["after_seconds"],
                hold_seconds=cfg.hold_seconds if row["hold_seconds"] is None else row["hold_seconds"],
                threshold=cfg.threshold if row["threshold"] is None else row["threshold"],
                enabled=cfg.enabled if row["enabled"] is None else bool(row["enabled"]),
            )
        return cfg


def rule_view(rule: Rule, cfg: RuleConfig, region: str) -> dict[str, Any]:
    return {
        "rule": rule.name,
        "title": {"zh": rule.title_zh, "en": rule.title_en},
        "region": region,
        "after_seconds": cfg.after_seconds,
        "hold_seconds": cfg.hold_seconds,
        "threshold": cfg.threshold,
        "threshold_unit": rule.threshold_unit or None,
        "enabled": cfg.enabled,
    }


def list_rules(db: Database, user: Principal, region: str | None = None) -> list[dict[str, Any]]:
    """Every rule as it applies in `region` (default: the caller's own)."""
    region = user.region if region is None else check_region(region)
    user.require("viewer", region)
    thresholds = Thresholds(db)
    return [rule_view(rule, thresholds.config(rule, region), region) for rule in RULES.values()]


def set_rule(db: Database, user: Principal, name: str, changes: dict[str, Any], now: float) -> dict[str, Any]:
    """A region admin changes a rule's thresholds for their region (and everything below it)."""
    rule = _rule(name)
    region = check_region(changes.pop("region", None) or user.region)
    user.require("admin", region)
    fields = {k: v for k, v in changes.items() if k in ("after_seconds", "hold_seconds", "threshold", "enabled")}
    if not fields:
        raise Invalid("give at least one of after_seconds, hold_seconds, threshold, enabled")
    if "threshold" in fields and rule.defaults.threshold is None and fields["threshold"] is not None:
        raise Invalid(f"rule {name!r} has no threshold; set after_seconds or hold_seconds")
    row = {"rule": name, "region": region, "updated": now, "updated_by": user.id}
    existing = db.execute("SELECT 1 FROM alert_rules WHERE rule = ? AND region = ?", [name, region]).fetchone()
    if "enabled" in fields and fields["enabled"] is not None:
        fields["enabled"] = int(bool(fields["enabled"]))
    if existing:
        db.table("alert_rules").update((name, region), {**row, **fields})
    else:
        db.table("alert_rules").insert({**row, **fields}, pk=("rule", "region"))
    audit.record(db, now, user.id, "alert_rule.update", name, {"region": region, **fields}, region)
    return rule_view(rule, Thresholds(db).config(rule, region), region)


# -- evaluation ----------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """An alert that opened or resolved in this evaluation (notify.py turns these into deliveries)."""

    alert: int
    kind: str  # opened | resolved


def _json(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def load(db: Database, now: float, tz: str, exhibits: list[str] | None = None) -> list[ExhibitNow]:
    """The exhibits to evaluate (all, or the named ones), with their venue now and recent activity."""
    sql = (
        "SELECT id, name, region, online, online_since, last_seen, health, reported, desired, pack_id, pack_version"
        " FROM exhibits"
    )
    params: list[Any] = []
    if exhibits is not None:
        sql += f" WHERE id IN ({','.join('?' * len(exhibits))})"
        params = list(exhibits)
    out = []
    recent = buckets(now - DOOR_MEMORY_SECONDS, tz).hour  # a counter silent longer than this was removed
    for row in db.execute(sql, params).fetchall():
        venue = db.execute(
            "SELECT v.id, v.name, v.region, v.opening_hours FROM rotations r JOIN venues v ON v.id = r.venue"
            " WHERE r.exhibit = ? AND r.starts <= ? AND r.ends > ? ORDER BY r.starts DESC LIMIT 1",
            [row[0], now, now],
        ).fetchone()
        last_visit = db.execute("SELECT MAX(started) FROM visits WHERE exhibit = ?", [row[0]]).fetchone()[0]
        footfall_hour = db.execute(
            "SELECT MAX(hour) FROM rollup_hourly WHERE exhibit = ? AND hour >= ? AND footfall > 0",
            [row[0], recent],
        ).fetchone()[0]
        out.append(
            ExhibitNow(
                id=row[0],
                name=row[1] or "",
                owner_region=row[2] or "",
                online=bool(row[3]),
                online_since=row[4],
                last_seen=row[5],
                health=_json(row[6]),
                reported=_json(row[7]),
                desired=_json(row[8]),
                pack={"id": row[9], "version": row[10]} if row[9] else None,
                venue={"id": venue[0], "name": venue[1], "region": venue[2], "hours": _json(venue[3])}
                if venue
                else None,
                last_visit=last_visit,
                last_footfall=_hour_end(footfall_hour, tz),
            )
        )
    return out


def _hour_end(label: str | None, tz: str) -> float | None:
    """The end of a local hour label: rollups know the hour of the last count, precise enough for "silent for hours"."""
    if not label:
        return None
    return datetime.strptime(label, "%Y-%m-%dT%H").replace(tzinfo=zone(tz)).timestamp() + 3600


def evaluate(db: Database, now: float, tz: str, exhibits: list[str] | None = None) -> list[Change]:
    """Run every rule over the exhibits (inside the caller's transaction); returns what opened or resolved."""
    thresholds = Thresholds(db)
    conditions = {
        (r["rule"], r["exhibit"]): r
        for r in db.query(
            "SELECT * FROM alert_conditions"
            + (f" WHERE exhibit IN ({','.join('?' * len(exhibits))})" if exhibits is not None else ""),
            list(exhibits or []),
        )
    }
    changes: list[Change] = []
    for ex in load(db, now, tz, exhibits):
        for rule in EXHIBIT_RULES:
            cfg = thresholds.config(rule, ex.region)
            finding = rule.check(ex, cfg, now, tz) if cfg.enabled else Finding(False)
            change = _step(db, rule, ex, finding, cfg, conditions.get((rule.name, ex.id)), now, tz)
            if change:
                changes.append(change)
    return changes


def _step(
    db: Database,
    rule: Rule,
    ex: ExhibitNow,
    finding: Finding,
    cfg: RuleConfig,
    row: dict[str, Any] | None,
    now: float,
    tz: str,
) -> Change | None:
    key = [rule.name, ex.id]
    if finding.active is None:
        return None
    if finding.active:
        if row is None:
            since = min(now, finding.since) if finding.since is not None else now
            row = {"rule": rule.name, "exhibit": ex.id, "since": since, "cleared_since": None, "alert": None}
            db.table("alert_conditions").insert(row, pk=("rule", "exhibit"))
        elif row["cleared_since"] is not None:
            # Back before the hold ran out: the same alert carries on, no new notice (flap damping).
            db.execute("UPDATE alert_conditions SET cleared_since = NULL WHERE rule = ? AND exhibit = ?", key)
        if row["alert"] is None:
            held = (rule.held or (lambda e, s, n, z: n - s))(ex, row["since"], now, tz)
            if held >= cfg.after_seconds:
                alert = _open(db, rule, ex, finding, row["since"], now)
                db.execute("UPDATE alert_conditions SET alert = ? WHERE rule = ? AND exhibit = ?", [alert, *key])
                return Change(alert, "opened")
        return None
    if row is None:
        return None
    if row["alert"] is None:
        db.execute("DELETE FROM alert_conditions WHERE rule = ? AND exhibit = ?", key)
        return None
    cleared = row["cleared_since"]
    if cleared is None:
        cleared = now
        db.execute("UPDATE alert_conditions SET cleared_since = ? WHERE rule = ? AND exhibit = ?", [now, *key])
    if now - cleared >= cfg.hold_seconds:
        db.execute("DELETE FROM alert_conditions WHERE rule = ? AND exhibit = ?", key)
        if _resolve(db, row["alert"], now):
            return Change(row["alert"], "resolved")
    return None


def _open(db: Database, rule: Rule, ex: ExhibitNow, finding: Finding, since: float, now: float) -> int:
    alert = (
        db.table("alerts")
        .insert(
            {
                "rule": rule.name,
                "exhibit": ex.id,
                "region": ex.region,
                "owner_region": ex.owner_region,
                "venue": (ex.venue or {}).get("id", ""),
                "state": "open",
                "detail": json.dumps(
                    {**finding.detail, "exhibit_name": ex.name, "venue_name": (ex.venue or {}).get("name", "")},
                    ensure_ascii=False,
                ),
                "since": since,
                "opened": now,
            }
        )
        .last_pk
    )
    assert alert is not None
    _history(db, int(alert), now, "", "opened", finding.detail)
    return int(alert)


def _resolve(db: Database, alert: int, now: float) -> bool:
    changed = db.execute(
        "UPDATE alerts SET state = 'resolved', resolved = ? WHERE id = ? AND state != 'resolved'", [now, alert]
    ).rowcount
    if changed:
        _history(db, alert, now, "", "resolved", {})
    return bool(changed)


def _history(db: Database, alert: int, now: float, actor: str, action: str, detail: dict[str, Any]) -> None:
    db.table("alert_history").insert(
        {"alert": alert, "ts": now, "actor": actor, "action": action, "detail": json.dumps(detail, ensure_ascii=False)}
    )


def next_due(db: Database, now: float, tz: str) -> float | None:
    """The soonest instant a pending condition could open or resolve an alert (the scheduler wakes then)."""
    thresholds = Thresholds(db)
    soonest: float | None = None
    for row in db.query("SELECT c.*, e.region AS owner FROM alert_conditions c JOIN exhibits e ON e.id = c.exhibit"):
        rule = RULES.get(row["rule"])
        if rule is None:
            continue
        cfg = thresholds.config(rule, row["owner"] or "")
        if row["alert"] is None and rule.held is None:
            due = row["since"] + cfg.after_seconds
        elif row["alert"] is not None and row["cleared_since"] is not None:
            due = row["cleared_since"] + cfg.hold_seconds
        else:
            continue
        if due > now and (soonest is None or due < soonest):
            soonest = due
    return soonest


# -- reading and acknowledging -------------------------------------------------------


def visible(user: Principal, row: dict[str, Any]) -> bool:
    return user.sees(row["region"]) or user.sees(row["owner_region"])


def view(row: dict[str, Any], tz: str) -> dict[str, Any]:
    rule = RULES.get(row["rule"])
    detail = _json(row["detail"])
    return {
        "id": row["id"],
        "rule": row["rule"],
        "title": {"zh": rule.title_zh, "en": rule.title_en} if rule else {"zh": row["rule"], "en": row["rule"]},
        "exhibit": row["exhibit"],
        "exhibit_name": detail.pop("exhibit_name", ""),
        "venue": row["venue"] or None,
        "venue_name": detail.pop("venue_name", ""),
        "region": row["region"],
        "state": row["state"],
        "detail": detail,
        "since": iso(row["since"], tz),
        "opened": iso(row["opened"], tz),
        "acknowledged": iso(row["acknowledged"], tz),
        "acknowledged_by": row["acknowledged_by"],
        "resolved": iso(row["resolved"], tz),
    }


def get(db: Database, user: Principal, alert: int) -> dict[str, Any]:
    for row in db.query("SELECT * FROM alerts WHERE id = ?", [alert]):
        if visible(user, row):
            return row
    raise NotFound(f"no alert #{alert}")


def list_alerts(
    db: Database,
    user: Principal,
    tz: str,
    state: str | None = None,
    rule: str | None = None,
    region: str | None = None,
    exhibit: str | None = None,
    limit: int = 500,
) -> list[dict[str, Any]]:
    """Alerts the caller may see, newest first; filters by state, rule, region subtree and exhibit."""
    if state is not None and state not in STATES:
        raise Invalid(f"state must be one of {', '.join(STATES)}")
    if rule is not None:
        _rule(rule)
    region = check_region(region) if region else None
    where, params = ["1 = 1"], []
    for column, value in (("state", state), ("rule", rule), ("exhibit", exhibit)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    out = []
    for row in db.query(f"SELECT * FROM alerts WHERE {' AND '.join(where)} ORDER BY opened DESC, id DESC", params):
        if not visible(user, row):
            continue
        if region and not (in_scope(region, row["region"]) or in_scope(region, row["owner_region"])):
            continue
        out.append(view(row, tz))
        if len(out) >= limit:
            break
    return out


def open_count(db: Database, user: Principal) -> int:
    """Open (unacknowledged) alerts in the caller's scope: the navigation badge."""
    rows = db.query("SELECT region, owner_region FROM alerts WHERE state = 'open'")
    return sum(1 for r in rows if user.sees(r["region"]) or user.sees(r["owner_region"]))


def acknowledge(db: Database, user: Principal, alert: int, now: float, tz: str) -> dict[str, Any]:
    """Someone has seen it and is on it (technician in the alert's region); resolved alerts stay resolved."""
    row = get(db, user, alert)
    user.require("technician", row["region"] if user.sees(row["region"]) else row["owner_region"])
    if row["state"] == "resolved":
        raise Conflict(f"alert #{alert} is already resolved")
    if row["state"] == "open":
        db.execute(
            "UPDATE alerts SET state = 'acknowledged', acknowledged = ?, acknowledged_by = ? WHERE id = ?",
            [now, user.id, alert],
        )
        _history(db, alert, now, user.id, "acknowledged", {})
        audit.record(
            db, now, user.id, "alert.acknowledge", f"alert #{alert}", {"exhibit": row["exhibit"]}, row["region"]
        )
    return view(get(db, user, alert), tz)


def history(db: Database, user: Principal, alert: int, tz: str) -> list[dict[str, Any]]:
    get(db, user, alert)
    return [
        {"ts": iso(r["ts"], tz), "actor": r["actor"], "action": r["action"], "detail": _json(r["detail"])}
        for r in db.query("SELECT * FROM alert_history WHERE alert = ? ORDER BY ts, id", [alert])
    ]
