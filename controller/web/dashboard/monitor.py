"""Read-only pages: overview, fleet, one exhibit, monthly reports (with CSV/XLSX downloads)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from controller.domain import report_files, reports
from controller.errors import DomainError, NotFound
from controller.web.dashboard import alerts as alert_pages
from controller.web.dashboard import queries
from controller.web.dashboard import screenshots as screens
from controller.web.dashboard import volume as volume_pages
from controller.web.dashboard.i18n import request_lang
from controller.web.dashboard.render import PageUser, render
from controller.web.deps import ControllerDep
from controller.web.downloads import attachment

router = APIRouter(include_in_schema=False)
OVERVIEW_EXHIBITS = 20  # rows of the overview's exhibit table
RegionQ = Annotated[str, Query(max_length=300)]


@router.get("/")
def overview(request: Request, controller: ControllerDep, user: PageUser) -> Response:
    db, now, tz = controller.store.db, controller.clock.now(), controller.settings.timezone
    data = queries.overview(db, user, now, tz)
    # A province has thousands of exhibits: the overview lists the first few, problems first; /fleet has the rest.
    fleet = queries.fleet_listing(db, user, now, tz, None, "", 1, OVERVIEW_EXHIBITS)
    queries.attach_counts(db, fleet["rows"])
    return render(
        request, "overview.html", {"nav": "overview", "o": data, "exhibits": fleet["rows"], "fleet": fleet}, user
    )


@router.get("/fleet")
def fleet_page(
    request: Request,
    controller: ControllerDep,
    user: PageUser,
    region: RegionQ = "",
    state: Annotated[str, Query(max_length=20)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    db, now, tz = controller.store.db, controller.clock.now(), controller.settings.timezone
    state = state if state in queries.FLEET_STATES else ""
    fleet = queries.fleet_listing(db, user, now, tz, region or None, state, page)
    rows = fleet["rows"]
    screens.attach(controller, rows)
    alert_pages.mark_maintenance(controller, rows)
    here = {k: v for k, v in (("region", region), ("state", state)) if v}
    return render(
        request,
        "fleet.html",
        {
            "nav": "fleet",
            "exhibits": rows,
            "fleet": fleet,
            "regions": queries.regions(db, user),
            "region": region,
            "state": state,
            "states": queries.FLEET_STATES,
            "here": here,
            "back": "/fleet" + ("?" + urlencode({**here, "page": fleet["page"]}) if here or fleet["page"] > 1 else ""),
        },
        user,
    )


@router.get("/exhibits/{exhibit}")
def exhibit_page(exhibit: str, request: Request, controller: ControllerDep, user: PageUser) -> Response:
    db, now, tz = controller.store.db, controller.clock.now(), controller.settings.timezone
    try:
        data = queries.exhibit_page(db, user, exhibit, now, tz)
    except NotFound:
        return render(request, "notfound.html", {"nav": "fleet"}, user, status=404)
    screens.attach(controller, [data["exhibit"]])
    alert_pages.mark_maintenance(controller, [data["exhibit"]])
    extras = {
        **alert_pages.exhibit_extras(controller, user, exhibit),
        **volume_pages.exhibit_extras(controller, user, exhibit),
    }
    return render(request, "exhibit.html", {"nav": "fleet", **data, **extras}, user)


def _report(controller: ControllerDep, user: PageUser, month: str, region: str) -> reports.MonthlyReport:
    """The same report the API gives (`/api/v1/reports/monthly`), this month by default."""
    db, now, tz = controller.store.db, controller.clock.now(), controller.settings.timezone
    controller.ingester.tick()  # like the API: what has arrived is in the figures
    month = month or queries.local_today(now, tz).strftime("%Y-%m")
    # "All regions" means all of the caller's: a district's staff see their district.
    return reports.monthly_report(db, user, region or user.region, month, tz, now)


@router.get("/reports")
def reports_page(
    request: Request,
    controller: ControllerDep,
    user: PageUser,
    month: Annotated[str, Query(max_length=7)] = "",
    region: RegionQ = "",
) -> Response:
    db = controller.store.db
    error = None
    try:
        report = _report(controller, user, month, region)
    except DomainError as exc:
        error, report = str(exc), _report(controller, user, "", "")
    months = _recent_months(queries.local_today(controller.clock.now(), controller.settings.timezone))
    return render(
        request,
        "reports.html",
        {
            "nav": "reports",
            "r": report,
            "columns": reports.COLUMNS,
            "regions": queries.regions(db, user),
            "months": months,
            "report_error": error,
        },
        user,
    )


@router.get("/reports.csv")
def report_csv(
    request: Request,
    controller: ControllerDep,
    user: PageUser,
    month: Annotated[str, Query(max_length=7)] = "",
    region: RegionQ = "",
) -> Response:
    report = _report(controller, user, month, region)
    name = f"kepu-report-{report.month}{'-' + region.replace('/', '-') if region else ''}"
    return attachment(report_files.to_csv(report, request_lang(request)), name, "csv")


@router.get("/reports.xlsx")
def report_xlsx(
    request: Request,
    controller: ControllerDep,
    user: PageUser,
    month: Annotated[str, Query(max_length=7)] = "",
    region: RegionQ = "",
) -> Response:
    report = _report(controller, user, month, region)
    name = f"kepu-report-{report.month}{'-' + region.replace('/', '-') if region else ''}"
    return attachment(report_files.to_xlsx(report, request_lang(request)), name, "xlsx")


def _recent_months(today) -> list[str]:
    out, y, m = [], today.year, today.month
    for _ in range(13):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    return out
