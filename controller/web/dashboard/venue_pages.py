"""The venues page: opening hours, closed days and holidays, display margins, and wake / sleep now."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from controller.domain import fleet, power, venues
from controller.errors import DomainError, Invalid
from controller.web.dashboard.paging import page_of
from controller.web.dashboard.render import PageUser, back, check_csrf, render
from controller.web.deps import ControllerDep
from kepu_contracts.times import iso

router = APIRouter(include_in_schema=False)
Csrf = Annotated[str, Form(max_length=200)]
_BACK = re.compile(r"^/(fleet(\?region=[A-Za-z0-9_/%.-]*)?|exhibits/[A-Za-z0-9_.-]{1,64}|venues)$")


@router.get("/venues")
def venues_page(
    request: Request, controller: ControllerDep, user: PageUser, page: Annotated[int, Query(ge=1, le=100_000)] = 1
) -> Response:
    db, now, tz = controller.store.db, controller.clock.now(), controller.settings.timezone
    names = {e["id"]: e["name"] or e["id"] for e in fleet.list_exhibits(db, user, now, tz)}
    staying = power.staying_now(db, now)
    shown = page_of(venues.list_venues(db, user), page)  # a venue card each: a page of them at a time
    rows: list[dict[str, Any]] = []
    for venue in shown["rows"]:
        venue["exhibits_now"] = [{"id": x, "name": names.get(x, x)} for x in staying.get(venue["id"], [])]
        venue["closed_text"] = "\n".join(venue["closed_days"])
        rows.append(venue)
    imports = [
        {**r, "imported": iso(r["imported"], tz), "ack": f"{r['exhibit']}-{r['id'][:8]}.kack"}
        for r in db.query("SELECT * FROM sneakernet_imports ORDER BY imported DESC LIMIT 20")
    ]
    return render(request, "venues.html", {"nav": "venues", "venues": rows, "paged": shown, "imports": imports}, user)


def _minutes(value: str, what: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise Invalid(f"{what} must be whole minutes") from None


@router.post("/venues/{venue}/schedule")
def save_schedule(
    venue: str,
    request: Request,
    controller: ControllerDep,
    user: PageUser,
    csrf: Csrf,
    closed_days: Annotated[str, Form(max_length=20000)] = "",
    on_before: Annotated[str, Form(max_length=10)] = "10",
    off_after: Annotated[str, Form(max_length=10)] = "10",
    wake_on_touch: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Closed days (one date or range a line) and the display margins; agents get them in desired state."""
    try:
        check_csrf(request, csrf)
        days = [line.strip() for line in re.split(r"[\n,;]+", closed_days) if line.strip()]
        data = {
            "closed_days": days,
            "power": {
                "on_before": _minutes(on_before, "minutes before opening"),
                "off_after": _minutes(off_after, "minutes after closing"),
                "wake_on_touch": wake_on_touch == "on",
            },
        }
        with controller.store.write() as db:
            venues.update(db, user, venue, data, controller.clock.now())
    except DomainError as exc:
        return back("/venues", error=str(exc))
    controller.changed()
    return back("/venues", ok="vn.saved")


@router.post("/venues/{venue}/display")
def venue_display(
    venue: str,
    request: Request,
    controller: ControllerDep,
    user: PageUser,
    csrf: Csrf,
    on: Annotated[str, Form(max_length=5)],
) -> Response:
    try:
        check_csrf(request, csrf)
        power.venue_display(controller, user, venue, on == "1")
    except DomainError as exc:
        return back("/venues", error=str(exc))
    return back("/venues", ok="pw.sent")


@router.post("/exhibits/{exhibit}/display")
def exhibit_display(
    exhibit: str,
    request: Request,
    controller: ControllerDep,
    user: PageUser,
    csrf: Csrf,
    on: Annotated[str, Form(max_length=5)],
    next: Annotated[str, Form(max_length=300)] = "/fleet",
) -> Response:
    """Wake or sleep one exhibit now (technician); it holds until the next scheduled switch."""
    url = next if _BACK.match(next) else "/fleet"
    try:
        check_csrf(request, csrf)
        power.exhibit_display(controller, user, exhibit, on == "1")
    except DomainError as exc:
        return back(url, error=str(exc))
    return back(url, ok="pw.sent")


# -- sneakernet: an exhibit's outbox export uploaded from a USB stick ---------------------------


@router.post("/sneakernet/import")
async def upload_export(request: Request, controller: ControllerDep, user: PageUser) -> Response:
    """Ingest a `.kout` file (technician): same checks and path as `kepu-controller import`."""
    from content_packs.fsutil import write_bytes_atomic
    from controller.domain import sneakernet
    from kepu_contracts.sneakernet import MAX_FILE_BYTES

    try:
        async with request.form(max_files=1, max_fields=4) as form:
            check_csrf(request, str(form.get("csrf") or ""))
            user.require("technician")
            upload = form.get("file")
            if upload is None or isinstance(upload, str):
                raise Invalid("choose a .kout file to import")
            raw = await upload.read(MAX_FILE_BYTES + 1)
        result = sneakernet.import_outbox(
            controller.store, controller.ingester, raw, controller.clock.now(), actor=user.id
        )
    except DomainError as exc:
        return back("/venues", error=str(exc))
    for message in result.outgoing:
        controller.publish(message)  # an exhibit that is online meanwhile hears its acks at once
    folder = controller.settings.data_dir / "sneakernet" / "acks"
    folder.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(folder / result.ack_name, result.ack)
    return back("/venues", ok="sn.done")


@router.get("/sneakernet/acks/{name}")
def download_ack(name: str, controller: ControllerDep, user: PageUser) -> Response:
    """The ack file of an upload, to carry back to the exhibit."""
    from fastapi.responses import FileResponse

    if not re.match(r"^[A-Za-z0-9_.-]{1,64}-[0-9a-f]{8}\.kack$", name):
        return back("/venues", error="no such ack file")
    path = controller.settings.data_dir / "sneakernet" / "acks" / name
    if not path.is_file():
        return back("/venues", error="no such ack file")
    return FileResponse(path, media_type="application/json", filename=name)
