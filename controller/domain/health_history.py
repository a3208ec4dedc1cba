"""Health over time: at most one sample per exhibit per `INTERVAL`, kept for `KEEP_DAYS`.

The exhibit row holds only the latest health message (agents send one every 30 s by default);
this keeps a thinned copy so the exhibit page can draw temperature, fps and disk over days.
A sample is the first health message of its window, stamped with the controller's clock
(health is QoS 0 and live, so the receive time is the measurement time within a few seconds).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlite_utils import Database

from controller.domain.opening import zone
from kepu_contracts.messages import Health, parse_health

INTERVAL = 300.0  # s: one sample per exhibit per 5 minutes
# The exhibit page charts 7 days; one more day of margin. ~63 bytes a sample (keyed (exhibit, ts), no
# rowid): 2,304 samples ≈ 0.15 MB kept per exhibit; 6.6 MB an exhibit-year written (docs/brokers.md).
KEEP_DAYS = 8

COLUMNS = ("cpu_temp", "disk_free", "fps", "kiosk_fps", "kiosk_alive", "undervoltage", "screen_on", "uptime", "backlog")


def sample(message: Health | dict[str, Any]) -> dict[str, Any]:
    """The figures worth a history from one health message; what is missing or malformed stays None."""
    health = message if isinstance(message, Health) else parse_health(message)
    kiosk = health.kiosk
    undervoltage = health.undervoltage
    if undervoltage is None and health.throttled is not None:
        flag = health.throttled.get("undervoltage")
        undervoltage = flag if isinstance(flag, bool) else None
    if kiosk is not None:
        kiosk_alive = None if kiosk.alive is None else int(kiosk.alive)
    else:
        kiosk_alive = 0 if health.kiosk_reported else None  # no kiosk heartbeat at all: not alive
    return {
        "cpu_temp": health.cpu_temp,
        "disk_free": health.disk_free,
        "fps": health.fps,
        "kiosk_fps": kiosk.fps if kiosk else None,
        "kiosk_alive": kiosk_alive,
        "undervoltage": None if undervoltage is None else int(undervoltage),
        "screen_on": None if health.screen_on is None else int(health.screen_on),
        "uptime": health.uptime,
        "backlog": float(health.outbox.backlog.events) if health.outbox_reported else None,
    }


def last_ts(db: Database, exhibit: str) -> float | None:
    """When the exhibit's newest sample was taken (None: it has none)."""
    value = db.execute("SELECT MAX(ts) FROM health_samples WHERE exhibit = ?", [exhibit]).fetchone()[0]
    return float(value) if value is not None else None


def record(db: Database, exhibit: str, health: Health | dict[str, Any], now: float) -> bool:
    """Keep this health message as a sample unless the exhibit has one from the last INTERVAL; prune old ones."""
    last = last_ts(db, exhibit)
    if last is not None and 0 <= now - last < INTERVAL:
        return False
    db.table("health_samples").insert({"exhibit": exhibit, "ts": now, **sample(health)})
    db.execute("DELETE FROM health_samples WHERE exhibit = ? AND ts < ?", [exhibit, now - KEEP_DAYS * 86400])
    return True


def samples(db: Database, exhibit: str, since: float, until: float | None = None) -> list[dict[str, Any]]:
    """An exhibit's samples in [since, until] (until: now, so the newest counts), oldest first."""
    sql = (
        "SELECT * FROM health_samples WHERE exhibit = ? AND ts >= ?"
        + (" AND ts <= ?" if until is not None else "")
        + " ORDER BY ts"
    )
    return [dict(r) for r in db.query(sql, [exhibit, since] + ([until] if until is not None else []))]


def hourly(db: Database, exhibit: str, since: float, until: float, tz: str) -> list[dict[str, Any]]:
    """Samples summed up per local hour (only hours with samples): mean/max temperature, mean fps, least disk, warnings."""
    hours: dict[str, list[dict[str, Any]]] = {}
    for s in samples(db, exhibit, since, until):
        key = datetime.fromtimestamp(s["ts"], zone(tz)).strftime("%Y-%m-%d %H:00")
        hours.setdefault(key, []).append(s)

    def values(rows: list[dict[str, Any]], column: str) -> list[float]:
        return [r[column] for r in rows if r[column] is not None]

    out = []
    for hour, rows in hours.items():
        temps, fps, disk = values(rows, "cpu_temp"), values(rows, "fps"), values(rows, "disk_free")
        out.append(
            {
                "hour": hour,
                "samples": len(rows),
                "temp_mean": round(sum(temps) / len(temps), 1) if temps else None,
                "temp_max": round(max(temps), 1) if temps else None,
                "fps_mean": round(sum(fps) / len(fps), 1) if fps else None,
                "disk_min": min(disk) if disk else None,
                "kiosk_down": sum(1 for r in rows if r["kiosk_alive"] == 0),
                "undervoltage": sum(1 for r in rows if r["undervoltage"] == 1),
            }
        )
    return out


def chart(hours: list[dict[str, Any]], since: float, until: float, tz: str) -> dict[str, list[Any]]:
    """Every local hour in [since, until) with the hourly figures, None where no sample came (gaps stay gaps)."""
    by_hour = {h["hour"]: h for h in hours}
    labels: list[str] = []
    t = since - since % 3600
    while t < until:
        label = datetime.fromtimestamp(t, zone(tz)).strftime("%Y-%m-%d %H:00")
        if not labels or labels[-1] != label:  # a DST fold repeats an hour
            labels.append(label)
        t += 3600
    pick = lambda key: [by_hour.get(label, {}).get(key) for label in labels]  # noqa: E731
    return {"hours": labels, "temp_mean": pick("temp_mean"), "temp_max": pick("temp_max"), "fps_mean": pick("fps_mean")}
