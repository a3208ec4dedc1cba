"""/api/v1/stats and /api/v1/reports: usage, metrics, quiz item analysis and the monthly region report."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request, Response

from controller.domain import proof_of_play, report_files, reports, stats
from controller.domain.auth import check_region
from controller.errors import Invalid
from controller.web.deps import ControllerDep, CurrentUser
from controller.web.downloads import attachment

router = APIRouter(prefix="/api/v1", tags=["statistics"])
Text = Annotated[str | None, Query(max_length=300)]
USAGE_PAGE = 1000  # rows of /stats/usage unless `limit` says otherwise
USAGE_MAX = 10_000


def filters(
    start: Annotated[date | None, Query(description="first local day, inclusive")] = None,
    end: Annotated[date | None, Query(description="last local day, inclusive")] = None,
    region: Text = None,
    venue: Text = None,
    exhibit: Text = None,
    pack: Text = None,
    topic: Text = None,
) -> stats.Filter:
    return stats.Filter(start, end, check_region(region) if region is not None else None, venue, exhibit, pack, topic)


FilterDep = Annotated[stats.Filter, Depends(filters)]


@router.get("/stats/usage", summary="Footfall and sessions by venue, region, exhibit, pack or topic per day/week/month")
def usage(
    request: Request,
    response: Response,
    controller: ControllerDep,
    user: CurrentUser,
    flt: FilterDep,
    group: Annotated[str, Query(description="venue, region, exhibit, pack or topic")] = "venue",
    period: Annotated[str, Query(description="day, week, month or all")] = "day",
    region_level: Annotated[int | None, Query(ge=1, le=4, description="group regions at this depth")] = None,
    limit: Annotated[int, Query(ge=1, le=USAGE_MAX, description="rows per page (ordered by period, then group)")] = (
        USAGE_PAGE
    ),
    offset: Annotated[int, Query(ge=0, description="rows to skip")] = 0,
) -> list[dict[str, Any]]:
    rows, more = stats.usage_page(controller.store.db, user, flt, group, period, region_level, limit, offset)
    # A province's year by venue and day is a six-figure list: one page, and where the next one is.
    if more:
        following = {**request.query_params, "offset": str(offset + len(rows)), "limit": str(limit)}
        response.headers["Link"] = f'<{request.url.path}?{urlencode(following)}>; rel="next"'
    return rows


@router.get("/stats/metrics", summary="Sessions, bounce, dwell, completion, 好评率, 开机率 and 使用率")
def metrics(controller: ControllerDep, user: CurrentUser, flt: FilterDep) -> dict[str, Any]:
    controller.ingester.tick()  # count the minutes online up to now
    db, tz, now = controller.store.db, controller.settings.timezone, controller.clock.now()
    # 使用率 has two definitions: hours with a visit (interactive) and minutes played (signage screens).
    return {**stats.metrics(db, user, flt, tz, now), "signage": proof_of_play.signage_usage(db, user, flt, tz, now)}


@router.get(
    "/stats/media",
    summary="Proof of play: plays, completed plays and minutes by item, exhibit, venue, pack or day (JSON, CSV, XLSX)",
    responses={
        200: {"content": {"text/csv": {}, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}}
    },
)
def media(
    controller: ControllerDep,
    user: CurrentUser,
    flt: FilterDep,
    group: Annotated[str, Query(description="item, exhibit, venue, pack or day")] = "item",
    source: Annotated[str | None, Query(description="scene (video scenes) or signage (科普大屏 playlists)")] = None,
    format: Annotated[str, Query(description="json, csv or xlsx")] = "json",
    lang: Annotated[str, Query(pattern=r"^(zh|en)$")] = "zh",
) -> Any:
    if format not in ("json", "csv", "xlsx"):
        raise Invalid("format must be json, csv or xlsx")
    controller.ingester.tick()
    rows = proof_of_play.plays(controller.store.db, user, flt, group, source)
    name = f"kepu-proof-of-play-{group}"
    if format == "csv":
        return attachment(report_files.plays_to_csv(rows, lang), name, "csv")
    if format == "xlsx":
        heading = f"kepu · {'播放证明' if lang == 'zh' else 'proof of play'}"
        return attachment(report_files.plays_to_xlsx(rows, lang, heading), name, "xlsx")
    return rows


@router.get("/stats/quiz", summary="Quiz item analysis: answers, % correct, most chosen wrong answer")
def quiz(controller: ControllerDep, user: CurrentUser, flt: FilterDep) -> list[dict[str, Any]]:
    return stats.quiz(controller.store.db, user, flt)


@router.get(
    "/reports/monthly",
    summary="Monthly region report (one row per venue) as JSON, CSV or XLSX",
    responses={
        200: {"content": {"text/csv": {}, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}}
    },
)
def monthly_report(
    controller: ControllerDep,
    user: CurrentUser,
    month: Annotated[str, Query(pattern=r"^\d{4}-\d{2}$", examples=["2025-05"])],
    region: Annotated[str, Query(max_length=300)] = "",
    format: Annotated[str, Query(description="json, csv or xlsx")] = "json",
    lang: Annotated[str, Query(pattern=r"^(zh|en)$", description="language of CSV/XLSX headers")] = "zh",
) -> Any:
    if format not in ("json", "csv", "xlsx"):
        raise Invalid("format must be json, csv or xlsx")
    region = check_region(region)
    controller.ingester.tick()
    report = reports.monthly_report(
        controller.store.db, user, region, month, controller.settings.timezone, controller.clock.now()
    )
    name = f"kepu-{(region or 'all').replace('/', '-')}-{month}"
    if format == "csv":
        return attachment(report_files.to_csv(report, lang), name, "csv")
    if format == "xlsx":
        return attachment(report_files.to_xlsx(report, lang), name, "xlsx")
    return report.as_rows()
