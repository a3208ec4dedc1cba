"""The rollup summaries (m011) answer every statistic exactly as `rollup_hourly` did (issue 15).

A varied province in a real SQLite file: venues in three cities and two provinces with different
opening hours and closed days, stays that cross month boundaries, rollups in and out of stays and
in transit, several packs and topics, then the writes ingest and re-attribution make (adding onto
rows, deleting an exhibit's hours, writing them again). Every figure — usage by each group and
period, totals, 开机率/使用率, attraction, the overview's daily series and heatmap — is compared with
the code as it was before (tests/support/stats_before.py), for scoped viewers and many filters.
"""

from __future__ import annotations

import json
import random
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from controller.domain import rollup_source, stats
from controller.domain.auth import Principal
from controller.domain.opening import DEFAULT_HOURS
from controller.domain.rollups import RollupDelta, dwell_column
from controller.store.db import Store
from controller.store.schema import ROLLUP_COUNTERS
from controller.web.dashboard import queries
from tests.support import stats_before as before

TZ = "Asia/Shanghai"
NOW = datetime(2025, 7, 10, 12, 30, tzinfo=ZoneInfo(TZ)).timestamp()
SHORT_HOURS = {"mon": [], "tue": ["09:00-12:00", "14:00-17:30"], "wed": ["09:00-17:00"], "thu": ["09:00-17:00"]}
SHORT_HOURS |= {"fri": ["09:00-17:00"], "sat": ["10:00-20:00"], "sun": ["10:00-16:00"]}
VENUES = {
    "v-yuehai": ("guangdong/shenzhen/nanshan/yuehai", DEFAULT_HOURS, None),
    "v-shekou": ("guangdong/shenzhen/nanshan/shekou", SHORT_HOURS, ["2025-05-01/2025-05-05", "2025-06-02"]),
    "v-lianhua": ("guangdong/shenzhen/futian/lianhua", DEFAULT_HOURS, ["2025-04-30/2025-05-02"]),
    "v-tianhe": ("guangdong/guangzhou/tianhe/shipai", SHORT_HOURS, None),
    "v-yuelu": ("hunan/changsha/yuelu/xianjia", DEFAULT_HOURS, None),
}
PACKS = {"quake": "earth", "stars": "space", "bugs": "earth"}
PRINCIPALS = [
    Principal("root", "admin", ""),
    Principal("gd", "viewer", "guangdong"),
    Principal("ns", "technician", "guangdong/shenzhen/nanshan"),
]


def _t(day: str, hour: int = 0) -> float:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=ZoneInfo(TZ)).timestamp()


def _rollups(rng: random.Random, stays: list[tuple[str, str, float, float]], days: int) -> RollupDelta:
    delta = RollupDelta(TZ)
    start = _t("2025-03-01")
    for exhibit, venue, a, b in stays:
        for d in range(days):
            for hour in rng.sample(range(7, 22), 3):
                ts = start + d * 86400 + hour * 3600 + rng.uniform(0, 3599)
                if not a <= ts < b:
                    continue
                sessions = rng.choice((0, 0, 1, 2, 5))
                dwell = rng.uniform(1, 700)
                delta.add(
                    ts,
                    exhibit,
                    venue if rng.random() > 0.03 else "",  # now and then in transit
                    rng.choice((*PACKS, "")),
                    events=sessions * 4 + 1,
                    sessions=sessions,
                    ended=sessions,
                    meaningful=rng.randint(0, sessions),
                    interactions=sessions * 3,
                    dwell_sum=dwell * sessions,
                    rating_up=rng.randint(0, sessions),
                    rating_down=rng.randint(0, 1),
                    completions=rng.randint(0, sessions),
                    footfall=rng.choice((0, 0, 3, 11)),
                    online_minutes=rng.uniform(10, 60),
                    online_open_minutes=rng.uniform(0, 40),
                    **{dwell_column(dwell): sessions},
                )
    return delta


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("summaries") / "controller.db")
    rng = random.Random(15)
    stays = []
    with store.write() as w:
        for vid, (region, hours, closed) in VENUES.items():
            w["venues"].insert(
                {
                    "id": vid,
                    "name": vid,
                    "region": region,
                    "opening_hours": json.dumps(hours),
                    "closed_days": json.dumps(closed or []),
                    "created": 0,
                }
            )
        for pack, topic in PACKS.items():
            w["packs"].insert(
                {
                    "id": pack,
                    "version": "1.0.0",
                    "topic": topic,
                    "manifest_sha256": "x",
                    "manifest": b"{}",
                    "signature": b"",
                    "uploaded_at": 0,
                    "status": "approved",
                }
            )
        names = list(VENUES)
        for i in range(12):
            exhibit = f"ex-{i:02d}"
            w["exhibits"].insert({"id": exhibit, "name": exhibit, "region": "", "enrolled": 1, "created": 0})
            # Three stays: across the March/April, May/June and July boundaries, one still running.
            cuts = [_t("2025-03-01"), _t(f"2025-04-{10 + i:02d}", 9), _t(f"2025-06-{3 + i:02d}", 15), _t("2025-09-01")]
            for n in range(3):
                venue = names[(i + n) % len(names)]
                w["rotations"].insert({"exhibit": exhibit, "venue": venue, "starts": cuts[n], "ends": cuts[n + 1]})
                stays.append((exhibit, venue, cuts[n], cuts[n + 1]))
    with store.write() as w:
        _rollups(rng, stays, 135).flush(w)
    with store.write() as w:
        _rollups(random.Random(16), stays, 135).flush(w)  # onto the same rows: the triggers' UPDATE path
    with store.write() as w:
        # Re-attribution: an exhibit's hours deleted, then written again from "raw events".
        w.conn.execute(
            "DELETE FROM rollup_hourly WHERE exhibit = 'ex-03' AND hour >= '2025-05-20' AND hour < '2025-06'"
        )
        w.conn.execute("DELETE FROM rollup_hourly WHERE exhibit = 'ex-04'")
        _rollups(random.Random(17), [s for s in stays if s[0] == "ex-04"], 100).flush(w)
        w.conn.execute("UPDATE rollup_hourly SET sessions = 0 WHERE exhibit = 'ex-05' AND day = '2025-06-10'")
    yield store.db
    store.close()


def _same(a, b, path="") -> None:
    """Equal, floats to 1e-6 (sums in another order differ in the last bits)."""
    if isinstance(a, dict) and isinstance(b, dict):
        assert a.keys() == b.keys(), (path, a.keys() ^ b.keys())
        for key in a:
            _same(a[key], b[key], f"{path}.{key}")
    elif isinstance(a, list) and isinstance(b, list):
        assert len(a) == len(b), (path, len(a), len(b))
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{path}[{i}]")
    elif isinstance(a, float) or isinstance(b, float):
        assert a == pytest.approx(b, rel=1e-9, abs=1e-6), (path, a, b)
    else:
        assert a == b, (path, a, b)


FILTERS = [
    stats.Filter(),
    stats.Filter(start=date(2025, 5, 1), end=date(2025, 5, 31)),  # a whole month
    stats.Filter(start=date(2025, 4, 15), end=date(2025, 6, 10)),  # across two month ends
    stats.Filter(start=date(2025, 7, 1), end=date(2025, 7, 10)),  # this month up to today
    stats.Filter(start=date(2025, 7, 10), end=date(2025, 7, 10)),  # today
    stats.Filter(start=date(2025, 5, 20)),
    stats.Filter(end=date(2025, 4, 30)),
    stats.Filter(start=date(2025, 3, 1), end=date(2025, 12, 31)),
    stats.Filter(start=date(2025, 6, 1), end=date(2025, 7, 10), region="guangdong/shenzhen"),
    stats.Filter(start=date(2025, 4, 2), end=date(2025, 6, 28), venue="v-shekou"),
    stats.Filter(exhibit="ex-04"),
    stats.Filter(start=date(2025, 5, 3), end=date(2025, 7, 10), exhibit="ex-03"),
    stats.Filter(start=date(2025, 4, 1), end=date(2025, 7, 10), pack="stars"),
    stats.Filter(start=date(2025, 3, 15), topic="earth"),
]


def test_summaries_match_the_hourly_rollups(db):
    sums = ", ".join(f"SUM({c})" for c in ROLLUP_COUNTERS)
    monthly = db.execute(f"SELECT month, exhibit, venue, pack, COUNT(*), {sums} FROM rollup_hourly GROUP BY 1, 2, 3, 4")
    kept = f"SELECT month, exhibit, venue, pack, rows, {', '.join(ROLLUP_COUNTERS)} FROM rollup_monthly"
    _same(sorted(map(list, monthly)), sorted(map(list, db.execute(kept))))
    daily = db.execute(f"SELECT day, venue, pack, COUNT(*), {sums} FROM rollup_hourly GROUP BY 1, 2, 3")
    kept = f"SELECT day, venue, pack, rows, {', '.join(ROLLUP_COUNTERS)} FROM rollup_venue_daily"
    _same(sorted(map(list, daily)), sorted(map(list, db.execute(kept))))
    venue_monthly = db.execute(f"SELECT month, venue, pack, COUNT(*), {sums} FROM rollup_hourly GROUP BY 1, 2, 3")
    kept = f"SELECT month, venue, pack, rows, {', '.join(ROLLUP_COUNTERS)} FROM rollup_venue_monthly"
    _same(sorted(map(list, venue_monthly)), sorted(map(list, db.execute(kept))))
    hourly = db.execute("SELECT hour, venue, COUNT(*), SUM(sessions), SUM(footfall) FROM rollup_hourly GROUP BY 1, 2")
    kept = "SELECT hour, venue, rows, sessions, footfall FROM rollup_venue_hourly"
    assert sorted(map(tuple, hourly)) == sorted(map(tuple, db.execute(kept)))
    used: dict[tuple[str, str, str], int] = {}
    for exhibit, venue, month, hour in db.execute(
        "SELECT exhibit, venue, month, hour FROM rollup_hourly WHERE sessions > 0"
    ):
        key = (exhibit, venue, month)
        used[key] = used.get(key, 0) | 1 << ((int(hour[8:10]) - 1) * 24 + int(hour[11:13]))
    kept_used = {(e, v, m): int(bits[::-1], 16) for e, v, m, bits in db.execute("SELECT * FROM rollup_used_monthly")}
    assert {k: b for k, b in kept_used.items() if b} == used


@pytest.mark.parametrize("principal", PRINCIPALS, ids=lambda p: p.region or "root")
@pytest.mark.parametrize("flt", FILTERS, ids=lambda f: ",".join(f"{k}={v}" for k, v in vars(f).items() if v) or "all")
def test_usage_and_totals_as_before(db, principal, flt):
    _same(stats.totals(db, principal, flt), before.totals(db, principal, flt))
    for group in stats.GROUPS:
        for period in stats.PERIODS:
            _same(stats.usage(db, principal, flt, group, period), before.usage(db, principal, flt, group, period))
    _same(
        stats.usage(db, principal, flt, "region", "month", region_level=3),
        before.usage(db, principal, flt, "region", "month", region_level=3),
    )


@pytest.mark.parametrize("principal", PRINCIPALS, ids=lambda p: p.region or "root")
@pytest.mark.parametrize("flt", FILTERS, ids=lambda f: ",".join(f"{k}={v}" for k, v in vars(f).items() if v) or "all")
def test_metrics_as_before(db, principal, flt):
    """开机率, 使用率 (open hours with a session, per stay) and attraction, closed days and all."""
    _same(stats.metrics(db, principal, flt, TZ, NOW), before.metrics(db, principal, flt, TZ, NOW))


@pytest.mark.parametrize("principal", PRINCIPALS, ids=lambda p: p.region or "root")
def test_overview_figures_as_before(db, principal):
    today = date(2025, 7, 10)
    days = [today - timedelta(days=i) for i in range(29, -1, -1)]
    for flt in (stats.Filter(start=days[0], end=today), stats.Filter(start=days[0], end=today, exhibit="ex-02")):
        _same(queries.daily(db, principal, flt, days), before.daily(db, principal, flt, days))
        _same(
            queries.daily(db, principal, flt, days, "online_minutes"),
            before.daily(db, principal, flt, days, "online_minutes"),
        )
    for flt in (stats.Filter(start=today - timedelta(days=27), end=today), stats.Filter(start=date(2025, 5, 1))):
        assert sorted(queries.heatmap(db, principal, flt)) == sorted(before.heatmap(db, principal, flt))
    month = stats.Filter(start=today.replace(day=1), end=today)
    month_metrics, per_venue = stats.metrics_by_venue(db, principal, month, TZ, NOW)
    _same(month_metrics, before.metrics(db, principal, month, TZ, NOW))
    bounds = stats.period_bounds(month, TZ, NOW)
    _same(per_venue, stats.availability_by(db, principal, month, *bounds, TZ, by="venue"))
    for venue in VENUES:
        one = stats.Filter(start=month.start, end=month.end, venue=venue)
        old = before.availability(db, principal, one, *stats.period_bounds(one, TZ, NOW), TZ)
        new = per_venue.get(venue, {"power_on_rate": None, "usage_rate": None})
        assert (new["power_on_rate"], new["usage_rate"]) == (old["power_on_rate"], old["usage_rate"]), venue
    top, _ = stats.usage_page(db, principal, month, "exhibit", "all", limit=5, busiest=True)
    ranked = sorted(before.usage(db, principal, month, "exhibit", "all"), key=lambda r: (-r["sessions"], r["exhibit"]))
    _same(top, ranked[:5])


def test_usage_pages_add_up_to_the_whole_list(db):
    principal, flt = PRINCIPALS[1], stats.Filter(start=date(2025, 4, 20), end=date(2025, 6, 12))
    whole = stats.usage(db, principal, flt, "venue", "day")
    pages, offset, more = [], 0, True
    while more:
        rows, more = stats.usage_page(db, principal, flt, "venue", "day", limit=37, offset=offset)
        pages += rows
        offset += len(rows)
    _same(pages, whole)
    rows, more = stats.usage_page(db, principal, flt, "region", "week", region_level=2, limit=3, offset=2)
    _same(rows, stats.usage(db, principal, flt, "region", "week", region_level=2)[2:5])


@pytest.mark.parametrize("today", [date(2025, 4, 2), date(2025, 5, 28), date(2025, 7, 10), date(2026, 1, 1)])
def test_every_way_of_cutting_the_months_gives_the_same_sums(db, today):
    """The month summary less the days outside, or the days themselves: whichever is cheaper, the same sums."""
    ranges = [(f.start, f.end) for f in FILTERS] + [(date(2025, 5, 2), date(2025, 5, 30)), (None, None)]
    for start, end in ranges:
        for exhibit in (False, True):
            where = " AND ".join(x for x in ("day >= ?" if start else "", "day <= ?" if end else "") if x) or "1=1"
            params = [d.isoformat() for d in (start, end) if d]
            plain = db.execute(
                f"SELECT COUNT(*), SUM(sessions), SUM(footfall) FROM rollup_hourly WHERE {where}", params
            )
            source, sparams = rollup_source.parts(start, end, by_day=False, exhibit=exhibit, today=today)
            cut = db.execute(f"SELECT SUM(rows), SUM(sessions), SUM(footfall) FROM {source}", sparams)
            assert tuple(plain.fetchone()) == tuple(cut.fetchone()), (start, end, exhibit, today)


@pytest.mark.parametrize("principal", PRINCIPALS, ids=lambda p: p.region or "root")
@pytest.mark.parametrize("month", ["2025-04", "2025-05", "2025-06", "2025-07"])
def test_monthly_report_as_before(db, principal, month):
    from controller.domain import reports

    for region in {principal.region, "guangdong/shenzhen/nanshan"}:
        if not region.startswith(principal.region):
            continue
        new = reports.monthly_report(db, principal, region, month, TZ, NOW)
        old = before.monthly_report(db, principal, region, month, TZ, NOW)
        _same(new.as_rows(), old.as_rows())
        _same(new.quiz, old.quiz)
        _same(new.media, old.media)


@pytest.mark.parametrize(
    "flt",
    [
        stats.Filter(start=date(770, 1, 1), end=date(770, 3, 5)),  # a year before 1000 (the fuzz test found it)
        stats.Filter(start=date.min),
        stats.Filter(end=date.max),
        stats.Filter(start=date.min, end=date.max),
        stats.Filter(start=date(9999, 12, 2)),
    ],
    ids=str,
)
def test_dates_at_the_ends_of_the_calendar(db, flt):
    principal = PRINCIPALS[0]
    _same(stats.totals(db, principal, flt), before.totals(db, principal, flt))
    _same(stats.usage(db, principal, flt, "venue", "month"), before.usage(db, principal, flt, "venue", "month"))
