"""The proof-of-play page (播放证明): plays, completed plays and minutes per item, exhibit and venue, per day."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from controller.domain import proof_of_play, report_files
from controller.domain.stats import Filter
from controller.web.dashboard import queries
from controller.web.dashboard.i18n import request_lang
from controller.web.dashboard.render import PageUser, render
from controller.web.deps import ControllerDep
from controller.web.downloads import attachment

router = APIRouter(include_in_schema=False)
PERIODS = (7, 30, 90)
Days = Annotated[int, Query(ge=1, le=366)]
RegionQ = Annotated[str, Query(max_length=300)]
GroupQ = Annotated[str, Query(pattern=r"^(item|exhibit|venue|pack)$")]


def _filter(controller: ControllerDep, user: PageUser, days: int, region: str) -> tuple[Filter, list]:
    today = queries.local_today(controller.clock.now(), controller.settings.timezone)
    first = today - timedelta(days=days - 1)
    if region:
        user.require("viewer", region)
    return Filter(start=first, end=today, region=region or None), [first + timedelta(days=i) for i in range(days)]


@router.get("/media")
def media_page(
    request: Request,
    controller: ControllerDep,
    user: PageUser,
    days: Days = 30,
    region: RegionQ = "",
    group: GroupQ = "item",
) -> Response:
    controller.ingester.tick()
    db, tz, now = controller.store.db, controller.settings.timezone, controller.clock.now()
    flt, span = _filter(controller, user, days, region)
    daily = proof_of_play.daily(db, user, flt, span)
    return render(
        request,
        "media.html",
        {
            "nav": "media",
            "days": days,
            "periods": PERIODS,
            "region": region,
            "group": group,
            "regions": queries.regions(db, user),
            "rows": proof_of_play.plays(db, user, flt, group),
            "total": proof_of_play.totals(db, user, flt),
            "chart": [{"day": d["day"], "value": d["plays"]} for d in daily],
            "signage": proof_of_play.signage_usage(db, user, flt, tz, now),
        },
        user,
    )


def _download(
    controller: ControllerDep, user: PageUser, days: int, region: str, group: str, lang: str, kind: str
) -> Response:
    flt, _ = _filter(controller, user, days, region)
    rows = proof_of_play.plays(controller.store.db, user, flt, group)
    name = f"kepu-proof-of-play-{flt.start}-{flt.end}-{group}"
    if kind == "csv":
        return attachment(report_files.plays_to_csv(rows, lang), name, "csv")
    heading = f"kepu · {'播放证明' if lang == 'zh' else 'proof of play'} · {flt.start} – {flt.end} · {region or '*'}"
    return attachment(report_files.plays_to_xlsx(rows, lang, heading), name, "xlsx")


@router.get("/media.csv")
def media_csv(
    request: Request,
    controller: ControllerDep,
    user: PageUser,
    days: Days = 30,
    region: RegionQ = "",
    group: GroupQ = "item",
) -> Response:
    return _download(controller, user, days, region, group, request_lang(request), "csv")


@router.get("/media.xlsx")
def media_xlsx(
    request: Request,
    controller: ControllerDep,
    user: PageUser,
    days: Days = 30,
    region: RegionQ = "",
    group: GroupQ = "item",
) -> Response:
    return _download(controller, user, days, region, group, request_lang(request), "xlsx")
