"""Read-only queries behind the dashboard pages: rollups, fleet health, rollouts, broadcasts — scoped to the viewer."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from sqlite_utils import Database

from controller.domain import fleet, health_history, install_log, packs, power, proof_of_play, rotations, stats, venues
from controller.domain.auth import Principal, in_scope
from controller.domain.metrics import summarise
from controller.domain.opening import local_midnight, zone
from controller.domain.stats import ROLLUPS_FROM, ROLLUPS_FROM_LEAN, Filter
from controller.store.schema import ROLLUP_COUNTERS
from controller.web.dashboard.paging import PAGE_SIZE, page_of
from kepu_contracts import messages
from kepu_contracts.protocol import ProtocolError


def local_today(now: float, tz: str) -> date:
    return datetime.fromtimestamp(now, zone(tz)).date()


def _json(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def daily(
    db: Database, principal: Principal, flt: Filter, days: list[date], column: str = "sessions"
) -> list[dict[str, Any]]:
    """One row per day in `days` (zero-filled): the summed `column`."""
    assert column in ROLLUP_COUNTERS
    source, where, params = stats.summarised(principal, flt, by_day=True)
    rows = {
        r[0]: r[1] for r in db.execute(f"SELECT r.day, SUM(r.{column}) {source} WHERE {where} GROUP BY r.day", params)
    }
    return [{"day": d.isoformat(), "value": round(rows.get(d.isoformat(), 0) or 0, 1)} for d in days]


def heatmap(db: Database, principal: Principal, flt: Filter) -> list[list[int]]:
    """Sessions by [weekday (0 = Monday), hour of day, count], only non-zero cells."""
    where, params = flt.where(principal)
    # Sessions per venue and hour (a summary kept with the rollups) answer it unless it is about an exhibit or pack.
    by_venue = flt.exhibit is None and flt.pack is None and flt.topic is None
    # By the day index: the (venue, hour) one, for one venue's hours, would read every hour of the scope's venues.
    summary = "FROM rollup_venue_hourly r INDEXED BY rollup_venue_hourly_day LEFT JOIN venues v ON v.id = r.venue"
    rollups = summary if by_venue else ROLLUPS_FROM
    sql = (
        "SELECT (CAST(strftime('%w', r.day) AS INTEGER) + 6) % 7 AS wd, CAST(substr(r.hour, 12, 2) AS INTEGER) AS h,"
        f" SUM(r.sessions) {rollups} WHERE {where} AND r.sessions > 0 GROUP BY wd, h HAVING SUM(r.sessions) > 0"
    )
    return [[r[0], r[1], int(r[2])] for r in db.execute(sql, params)]


def _ranked(rows: list[dict[str, Any]], key: str, limit: int | None = None) -> list[dict[str, Any]]:
    rows = sorted(rows, key=lambda r: (-r["sessions"], r[key]))
    return rows[:limit] if limit else rows


def overview(db: Database, principal: Principal, now: float, tz: str) -> dict[str, Any]:
    """Everything the overview page shows: today's and this month's visits, trends, top lists, rates.

    Whatever the fleet's size: a handful of grouped queries over the rollup summaries, 开机率 and
    使用率 for every venue in one pass (`stats.availability_by`), the top lists cut in SQL.
    """
    today = local_today(now, tz)
    month_start = today.replace(day=1)
    today_f, month_f = Filter(start=today, end=today), Filter(start=month_start, end=today)
    names = {v["id"]: v for v in venues.list_venues(db, principal)}

    def by(group: str, flt: Filter, level: int | None = None) -> dict[str, dict[str, Any]]:
        return {r[group]: r for r in stats.usage(db, principal, flt, group, "all", region_level=level)}

    venue_today, venue_month = by("venue", today_f), by("venue", month_f)
    month_metrics, avail = stats.metrics_by_venue(db, principal, month_f, tz, now)
    venue_rows = []
    for vid in sorted(set(names) | set(venue_month)):
        if not vid:
            continue  # in transit: no venue to name
        month = venue_month.get(vid, {})
        rates = avail.get(vid) or {"power_on_rate": None, "usage_rate": None}  # no stay there this month
        venue_rows.append(
            {
                "id": vid,
                "name": names.get(vid, {}).get("name", vid),
                "region": names.get(vid, {}).get("region", ""),
                "today": venue_today.get(vid, {}).get("sessions", 0),
                "month": month.get("sessions", 0),
                "footfall": month.get("footfall", 0),
                "satisfaction": month.get("satisfaction"),
                "rating_up": month.get("rating_up", 0),
                "rating_down": month.get("rating_down", 0),
                "power_on_rate": rates["power_on_rate"],
                "usage_rate": rates["usage_rate"],
            }
        )
    venues_total = len(venue_rows)
    if venues_total > OVERVIEW_VENUES:  # a province: the busiest venues of the month; the report lists them all
        venue_rows = sorted(venue_rows, key=lambda r: (-r["month"], r["id"]))[:OVERVIEW_VENUES]
    region_today, region_month = by("region", today_f, 3), by("region", month_f, 3)
    region_rows = [
        {"region": key, "today": region_today.get(key, {}).get("sessions", 0), "month": row["sessions"]}
        for key, row in sorted(region_month.items())
        if key
    ]
    days = [today - timedelta(days=i) for i in range(29, -1, -1)]
    exhibit_rows, _ = stats.usage_page(db, principal, month_f, "exhibit", "all", limit=10, busiest=True)
    exhibit_names = _exhibit_names(db, principal, now, [r["exhibit"] for r in exhibit_rows])
    for row in exhibit_rows:
        row["name"] = exhibit_names.get(row["exhibit"]) or row["exhibit"]
    pack_rows = [r for r in _ranked(list(by("pack", month_f).values()), "pack") if r["pack"]]
    return {
        "today": stats.totals(db, principal, today_f)["sessions"],
        "month": month_metrics,
        "venues": venue_rows,
        "venues_total": venues_total,
        "regions": region_rows,
        "daily": daily(db, principal, Filter(start=days[0], end=today), days),
        "heat": heatmap(db, principal, Filter(start=today - timedelta(days=27), end=today)),
        "top_exhibits": exhibit_rows[:10],
        "top_packs": pack_rows[:10],
    }


OVERVIEW_VENUES = 50  # rows of the overview's venue table


def _exhibit_names(db: Database, principal: Principal, now: float, ids: list[str]) -> dict[str, str]:
    """Names of those exhibits the viewer may see (the others go by their id)."""
    return {row[0]: row[1] for exhibit in ids for row, _ in fleet.rows(db, principal, now, exhibit=exhibit)}


def fleet_rows(
    db: Database,
    principal: Principal,
    now: float,
    tz: str,
    region: str | None = None,
    counts: bool = False,
    exhibit: str | None = None,
) -> list[dict[str, Any]]:
    """Every visible exhibit with its health, install state and today's visits; `region` narrows to a subtree
    (`exhibit` to one).

    Set-based: one statement for the exhibits (and their venue now), one for today's visits, one for
    refused installs, whatever the fleet's size. `counts` adds events and sessions stored per exhibit
    (a count over raw rows each: ask for it only for the rows a page shows, see `attach_counts`).
    """
    picked = _picked(db, principal, now, region, exhibit)
    build = _builder(db, principal, now, tz, exhibit)
    out = [build(row) for row, _ in picked]
    if counts:
        attach_counts(db, out)
    return out


def fleet_rows_where(
    db: Database, principal: Principal, now: float, tz: str, full: Callable[[dict[str, Any]], bool]
) -> list[dict[str, Any]]:
    """`fleet_rows`, but an exhibit for which `full(view)` is false carries only its view (`fleet.view`):
    no device JSON read for rows a page only names (the packs page's exhibit picker, say)."""
    build = _builder(db, principal, now, tz)
    out = []
    for row, _ in _picked(db, principal, now, None):
        view = fleet.view(row, tz)
        out.append(build(row) if full(view) else view)
    return out


# Which rows of `fleet.rows(..., _FLEET_EXTRA)` need their device JSON read to be ranked: the JSON
# functions run in SQLite, so a fleet of fine (or plainly offline) exhibits is ranked without
# parsing a health message each (see `fleet_listing`).
_FLEET_EXTRA = (  # (CASE: SQLite does not promise to stop an AND early, and bad JSON is an error)
    "e.health, e.reported, e.state,"
    " CASE WHEN json_valid(e.health) THEN json_type(e.health) = 'object'"
    " AND json_type(e.health, '$.kiosk') = 'object' AND json_type(e.health, '$.kiosk.alive') = 'false' ELSE 0 END,"
    " CASE WHEN json_valid(e.health) THEN 0 ELSE e.health NOT IN ('', '{}') END,"
    " CASE WHEN e.desired IS NULL THEN 0 WHEN NOT json_valid(e.desired) THEN 1"
    " WHEN json_type(e.desired) != 'object' OR json_type(e.desired, '$.pack') IS NULL THEN 0"
    " ELSE NOT (COALESCE(e.pack_id, '') != '' AND e.pack_id IS json_extract(e.desired, '$.pack.id')"
    " AND e.pack_version IS json_extract(e.desired, '$.pack.version')) END"
)


def _picked(
    db: Database, principal: Principal, now: float, region: str | None, exhibit: str | None = None
) -> list[tuple[Any, dict[str, Any] | None]]:
    return [
        (row, venue)
        for row, venue in fleet.rows(db, principal, now, _FLEET_EXTRA, exhibit)
        if not region or in_scope(region, venue["region"] if venue else row[2])
    ]


def _builder(
    db: Database, principal: Principal, now: float, tz: str, exhibit: str | None = None
) -> Callable[[Any], dict[str, Any]]:
    """A function from a `fleet.rows` row to the fleet page's row (today's visits and refusals read once)."""
    today = local_today(now, tz)
    where, params = Filter(start=today, end=today, exhibit=exhibit).where(principal)
    visits_today = dict(
        db.execute(f"SELECT r.exhibit, SUM(r.sessions) {ROLLUPS_FROM_LEAN} WHERE {where} GROUP BY 1", params)
    )
    refusals = _refusals(db)

    def build(row: Any) -> dict[str, Any]:
        item = fleet.view(row, tz)
        # Typed at the edge: the templates see fields with defaults, never raw device JSON.
        health, reported = _json(row[13]), _json(row[14])
        item["health"] = messages.parse_health(health) if health else None
        item["reported"] = messages.parse_reported(reported)
        item["state"] = _state(_json(row[15]))
        item["display"] = power.display_of(health)
        item["today"] = visits_today.get(item["id"]) or 0
        # Only an exhibit that refused or rolled back some version can have refused its stay's plan.
        refused = refused_plan(db, item["id"], now) if item["id"] in refusals else None
        item["install"] = install_state(item, refused)
        item["showing_emergency"] = item["reported"].showing_emergency
        return item

    return build


def _refusals(db: Database) -> set[str]:
    return {row[0] for row in db.execute(f"SELECT DISTINCT exhibit FROM install_results WHERE result IN {_BAD}")}


def fleet_listing(
    db: Database,
    principal: Principal,
    now: float,
    tz: str,
    region: str | None,
    state: str,
    page: int,
    size: int = PAGE_SIZE,
) -> dict[str, Any]:
    """`fleet_page(fleet_rows(...))` without building every row: only the page's rows are read in full.

    An exhibit's rank needs its device JSON only when its install is in question (it refused or rolled
    back a version, or its desired pack is not the one it runs) or its health does not parse in SQLite;
    the others rank by online and kiosk-alive, which SQLite reads. Same order, counts and rows as
    `fleet_page` (tests/test_dashboard_paging.py compares them).
    """
    picked = _picked(db, principal, now, region)
    build = _builder(db, principal, now, tz)
    refusals = _refusals(db)
    built: dict[str, dict[str, Any]] = {}
    ranked = []
    for row, _ in picked:
        if row[0] in refusals or row[17] or row[18]:
            built[row[0]] = build(row)
            rank = problem_rank(built[row[0]])
        else:
            rank = 1 if not row[4] else 2 if row[16] else 9
        ranked.append((rank, row[0], row))
    ranked.sort(key=lambda t: (t[0], t[1]))
    problems = sum(1 for t in ranked if t[0] < 9)
    if state == "problem":
        ranked = [t for t in ranked if t[0] < 9]
    elif state == "offline":
        ranked = [t for t in ranked if not t[2][4]]
    elif state == "online":
        ranked = [t for t in ranked if t[2][4]]
    shown = page_of(ranked, page, size)
    shown["rows"] = [built.get(t[1]) or build(t[2]) for t in shown["rows"]]
    return {**shown, "total": len(picked), "online": sum(1 for row, _ in picked if row[4]), "problems": problems}


_BAD = "(" + ", ".join(f"'{result}'" for result in install_log.BAD) + ")"
FLEET_STATES = ("problem", "offline", "online")
FLEET_PAGE_SIZE = PAGE_SIZE


def attach_counts(db: Database, rows: list[dict[str, Any]]) -> None:
    """Events stored and sessions started, for the rows a page shows."""
    for row in rows:
        row["counts"] = fleet.counts(db, row["id"])


def problem_rank(exhibit: dict[str, Any]) -> int:
    """0 refused or failed install, 1 offline, 2 kiosk down, 3 not (yet) on its pack, 9 fine: the fleet's sort order."""
    install = (exhibit.get("install") or {}).get("state")
    health = exhibit.get("health")
    if install in ("refused", "failed"):
        return 0
    if not exhibit.get("online"):
        return 1
    if health is not None and health.kiosk is not None and health.kiosk.alive is False:
        return 2
    if install in ("installing", "pending"):
        return 3
    return 9


def fleet_page(rows: list[dict[str, Any]], state: str, page: int, size: int = FLEET_PAGE_SIZE) -> dict[str, Any]:
    """One page of the fleet, problems first (then by id); `state` narrows to problem / offline / online."""
    ranked = sorted(((problem_rank(r), r["id"], r) for r in rows), key=lambda t: (t[0], t[1]))
    problems = sum(1 for t in ranked if t[0] < 9)
    if state == "problem":
        ranked = [t for t in ranked if t[0] < 9]
    elif state == "offline":
        ranked = [t for t in ranked if not t[2]["online"]]
    elif state == "online":
        ranked = [t for t in ranked if t[2]["online"]]
    return {
        **page_of([t[2] for t in ranked], page, size),
        "total": len(rows),
        "online": sum(1 for r in rows if r["online"]),
        "problems": problems,
    }


def showing_emergency(reported: dict[str, Any] | messages.Reported) -> str | None:
    """The broadcast the kiosk confirms on its screen (`emergency_shown`); older agents only say what they handed over."""
    typed = reported if isinstance(reported, messages.Reported) else messages.parse_reported(reported)
    return typed.showing_emergency


def _state(payload: dict[str, Any]) -> messages.State | None:
    try:
        return messages.parse_state(payload)
    except ProtocolError:
        return None


def refused_plan(db: Database, exhibit: str, now: float) -> dict[str, str] | None:
    """The version the exhibit's stay plans but the exhibit refused or rolled back, with the reason."""
    plan = install_log.stay_plan(db, exhibit, now)
    if plan is None or not plan.pack_id:
        return None
    row = packs.resolve(db, plan.pack_id, plan.version, plan.region)
    reason = install_log.refusal(db, exhibit, row["id"], row["version"]) if row else None
    return {"id": row["id"], "version": row["version"], "reason": reason} if row and reason else None


def install_state(exhibit: dict[str, Any], refused: dict[str, str] | None = None) -> dict[str, Any]:
    """installed / installing / failed / refused for the desired pack, with the last install's reason.

    `refused`: the stay's own pack that this exhibit refused (the desired pack may be a fallback then).
    """
    desired = exhibit.get("desired_pack") or None
    reported = exhibit.get("reported")
    last = reported.last_install if isinstance(reported, messages.Reported) else None
    current = exhibit.get("pack") or None
    if desired is None:
        state = None
    elif current and current.get("id") == desired.get("id") and current.get("version") == desired.get("version"):
        state = "installed"
    elif refused and (refused["id"], refused["version"]) == (desired.get("id"), desired.get("version")):
        state = "refused"  # the agent will not retry it: never "installing"
    elif (
        last
        and last.pack is not None
        and last.pack.id == desired.get("id")
        and last.pack.version == desired.get("version")
        and last.result != "ok"
    ):
        state = "failed"
    else:
        # Offline exhibits fetch nothing: say they wait, not that they are busy.
        state = "installing" if exhibit.get("online", True) else "pending"
    return {"state": state, "last": last, "refused": refused}


def regions(db: Database, principal: Principal) -> list[str]:
    """Every region path (and its ancestors) the viewer can see, for filters and pickers."""
    paths: set[str] = set()
    for row in db.execute("SELECT region FROM venues UNION SELECT region FROM exhibits"):
        parts = (row[0] or "").split("/")
        for i in range(1, len(parts) + 1):
            path = "/".join(parts[:i])
            if path and principal.sees(path):
                paths.add(path)
    return sorted(paths)


def exhibit_page(db: Database, principal: Principal, exhibit_id: str, now: float, tz: str) -> dict[str, Any]:
    """One exhibit: itinerary, daily visits, quiz items, health now, hourly health (7 days) and online minutes per day."""
    exhibit = fleet.get_exhibit(db, principal, exhibit_id, now, tz)
    rows = fleet_rows(db, principal, now, tz, counts=True, exhibit=exhibit_id)
    exhibit = next(iter(rows), exhibit)
    today = local_today(now, tz)
    days = [today - timedelta(days=i) for i in range(29, -1, -1)]
    flt = Filter(start=days[0], end=today, exhibit=exhibit_id)
    stays = rotations.list_stays(db, principal, tz, exhibit=exhibit_id)
    names = {v["id"]: v["name"] for v in venues.list_venues(db, principal)}
    for stay in stays:
        starts, ends = (
            datetime.fromisoformat(stay["starts"]).timestamp(),
            datetime.fromisoformat(stay["ends"]).timestamp(),
        )
        stay["phase"] = "past" if ends <= now else "now" if starts <= now else "planned"
        stay["venue_name"] = names.get(stay["venue"], stay["venue"])
        stay["first_day"] = stay["starts"][:10]
        stay["last_day"] = datetime.fromtimestamp(ends - 1, zone(tz)).date().isoformat()
    hours = health_history.hourly(db, exhibit_id, now - 7 * 86400, now, tz)
    # 使用率 means minutes played for a signage screen and hours with a visit for a touch exhibit.
    kind = proof_of_play.usage_definition(db, principal, exhibit_id, flt)
    if kind == "signage":
        usage_rate = proof_of_play.signage_usage(db, principal, flt, tz, now)["usage_rate"]
    else:
        usage_rate = stats.availability(db, principal, flt, *stats.period_bounds(flt, tz, now), tz)["usage_rate"]
    return {
        "exhibit": exhibit,
        "usage": {"kind": kind, "rate": usage_rate},
        "stays": stays,
        "daily": daily(db, principal, flt, days),
        "online": [
            {"day": d["day"], "value": round(d["value"] / 60, 1)}
            for d in daily(db, principal, Filter(start=days[0], end=today, exhibit=exhibit_id), days, "online_minutes")
        ],
        "health_hours": hours,
        "health_chart": health_history.chart(hours, now - 7 * 86400, now, tz),
        "quiz": stats.quiz(db, principal, Filter(exhibit=exhibit_id)),
        "totals": summarise(stats.totals(db, principal, Filter(exhibit=exhibit_id))),
    }


def timeline(
    db: Database, principal: Principal, now: float, tz: str, exhibits: list[str] | None = None
) -> dict[str, Any]:
    """Stays laid out on a shared time axis: percentages for CSS bars, plus the axis' month ticks.

    `exhibits`: only their lanes and stays (a page of them); the axis still spans every stay the viewer sees.
    """
    if exhibits is None:
        stays = rotations.list_stays(db, principal, tz)
    else:
        stays = [s for exhibit in exhibits for s in rotations.list_stays(db, principal, tz, exhibit=exhibit)]
    names = {v["id"]: v["name"] for v in venues.list_venues(db, principal)}
    today = local_today(now, tz)
    lo = local_midnight(today - timedelta(days=60), tz)
    hi = local_midnight(today + timedelta(days=120), tz)
    for stay in stays:
        stay["t0"] = datetime.fromisoformat(stay["starts"]).timestamp()
        stay["t1"] = datetime.fromisoformat(stay["ends"]).timestamp()
    first, last = _stays_span(db, principal)
    if first is not None and last is not None:
        lo = min(lo, first)
        hi = max(hi, last)
        # Keep the axis readable: at most about a year and a half around today.
        lo, hi = max(lo, now - 365 * 86400), min(hi, now + 540 * 86400)
    span = hi - lo
    lanes: dict[str, list[dict[str, Any]]] = {}
    for exhibit_id in (
        exhibits if exhibits is not None else [e["id"] for e in fleet.list_exhibits(db, principal, now, tz)]
    ):
        lanes[exhibit_id] = []
    for stay in stays:
        a, b = max(stay["t0"], lo), min(stay["t1"], hi)
        stay["venue_name"] = names.get(stay["venue"], stay["venue"])
        stay["phase"] = "past" if stay["t1"] <= now else "now" if stay["t0"] <= now else "planned"
        stay["first_day"] = stay["starts"][:10]
        stay["last_day"] = datetime.fromtimestamp(stay["t1"] - 1, zone(tz)).date().isoformat()
        if b > a:
            stay["left"] = round((a - lo) / span * 100, 3)
            stay["width"] = round(max((b - a) / span * 100, 0.4), 3)
        lanes.setdefault(stay["exhibit"], []).append(stay)
    ticks = []
    d = datetime.fromtimestamp(lo, zone(tz)).date().replace(day=1)
    while True:
        d = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
        t = local_midnight(d, tz)
        if t >= hi:
            break
        ticks.append({"label": d.strftime("%Y-%m"), "left": round((t - lo) / span * 100, 3)})
    return {"lanes": lanes, "stays": stays, "ticks": ticks, "today": round((now - lo) / span * 100, 3)}


def lane_exhibits(db: Database, principal: Principal, visible: list[str]) -> list[str]:
    """The timeline's lanes: every visible exhibit, then any other with a stay at a venue the viewer sees."""
    seen = set(visible)
    sql = "SELECT DISTINCT r.exhibit FROM rotations r JOIN venues v ON v.id = r.venue"
    params: list[Any] = []
    if principal.region:
        sql += " WHERE (v.region = ? OR v.region LIKE ? ESCAPE '\\')"
        params += [principal.region, stats.like_prefix(principal.region)]
    others = sorted(row[0] for row in db.execute(sql, params) if row[0] not in seen)
    return [*visible, *others] if principal.level >= 0 else []


def _stays_span(db: Database, principal: Principal) -> tuple[float | None, float | None]:
    """The first start and last end of the stays the viewer sees (at venues in their region)."""
    sql = "SELECT MIN(r.starts), MAX(r.ends) FROM rotations r JOIN venues v ON v.id = r.venue"
    params: list[Any] = []
    if principal.region:
        sql += " WHERE (v.region = ? OR v.region LIKE ? ESCAPE '\\')"
        params += [principal.region, stats.like_prefix(principal.region)]
    row = db.execute(sql, params).fetchone()
    return (row[0], row[1]) if principal.level >= 0 else (None, None)


def pack_visible(principal: Principal, pack_region: str) -> bool:
    """Packs flow down the tiers: a user sees packs from their region's ancestors and its subtree."""
    return principal.sees(pack_region) or in_scope(pack_region, principal.region)


def pack_rows(db: Database, principal: Principal, exhibits: list[dict[str, Any]], tz: str) -> list[dict[str, Any]]:
    """Pack versions the viewer may see, newest upload first, each with its rollout across visible exhibits."""
    from controller.domain import packs

    out = []
    for row in db.query("SELECT * FROM packs ORDER BY uploaded_at DESC, id, version"):
        if not pack_visible(principal, row["region"]):
            continue
        view = packs.view(row, tz)
        targets = [
            e
            for e in exhibits
            if (e.get("desired_pack") or {}).get("id") == row["id"]
            and (e.get("desired_pack") or {}).get("version") == row["version"]
        ]
        view["rollout"] = [
            {"exhibit": e["id"], "name": e["name"], "online": e["online"], **e["install"]} for e in targets
        ]
        view["installed"] = sum(1 for e in targets if e["install"]["state"] == "installed")
        out.append(view)
    return out


def emergencies_live(
    db: Database, principal: Principal, exhibits: list[dict[str, Any]], now: float, tz: str
) -> list[dict[str, Any]]:
    """Broadcasts (newest first) with, for those on air, which exhibits in the region confirm showing them."""
    from controller.domain import emergencies

    out = []
    for em in emergencies.list_emergencies(db, principal, tz):
        expires = datetime.fromisoformat(em["expires"]).timestamp()
        starts = datetime.fromisoformat(em["starts"]).timestamp()
        em["on_air"] = em["cancelled"] is None and starts <= now < expires
        em["state"] = (
            "cancelled"
            if em["cancelled"]
            else "expired"
            if expires <= now
            else "on_air"
            if starts <= now
            else "planned"
        )
        reach = [
            e
            for e in exhibits
            if em["region"] == "" or (e["venue"] is not None and in_scope(em["region"], e["venue"]["region"]))
        ]
        em["exhibits"] = [
            {
                "id": e["id"],
                "name": e["name"],
                "online": e["online"],
                "showing": str(e["showing_emergency"]) == str(em["id"]),
            }
            for e in reach
        ]
        em["shown"] = sum(1 for e in em["exhibits"] if e["showing"])
        out.append(em)
    return out
