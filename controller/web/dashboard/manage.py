"""Pages that change things: rotations, packs, campaigns and emergency broadcasts (forms → library → redirect)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import Response

from controller.domain import campaigns, emergencies, fleet, packs, rotations, venues
from controller.domain.times import instant
from controller.errors import DomainError, Invalid
from controller.web.dashboard import queries
from controller.web.dashboard.i18n import request_lang, translator
from controller.web.dashboard.paging import page_of
from controller.web.dashboard.render import PageUser, back, check_csrf, render
from controller.web.deps import ControllerDep

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Form(max_length=2000)]
Csrf = Annotated[str, Form(max_length=200)]
StayId = Annotated[int, Path(ge=1, le=2**53)]


def act(
    request: Request, url: str, ok: str, csrf: str, change: Callable[[], Any], controller: ControllerDep
) -> Response:
    """Run one change: CSRF check, the library call, republish desired state; a refusal comes back as a message."""
    try:
        check_csrf(request, csrf)
        change()
    except DomainError as exc:
        return back(url, error=str(exc))
    controller.changed()
    return back(url, ok=ok)


def _pack_pin(value: str) -> dict[str, str | None] | None:
    """Form value "id@version" (or "" for none)."""
    if not value:
        return None
    pack_id, _, version = value.partition("@")
    return {"id": pack_id, "version": version or None}


def _day(value: str, what: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise Invalid(f"{what} must be a date like 2025-05-12") from exc


def _approved(controller: ControllerDep, user: PageUser) -> list[dict[str, Any]]:
    tz = controller.settings.timezone
    rows = controller.store.db.query("SELECT * FROM packs WHERE status = 'approved' ORDER BY id, uploaded_at DESC")
    return [packs.view(r, tz) for r in rows if queries.pack_visible(user, r["region"])]


# -- rotations -------------------------------------------------------------------


@router.get("/rotations")
def rotations_page(
    request: Request, controller: ControllerDep, user: PageUser, page: Annotated[int, Query(ge=1, le=100_000)] = 1
) -> Response:
    db, now, tz = controller.store.db, controller.clock.now(), controller.settings.timezone
    exhibit_ids = [e["id"] for e in fleet.list_exhibits(db, user, now, tz)]
    # A lane per exhibit, a page of lanes at a time (with their stays): a province has thousands.
    lanes = page_of(queries.lane_exhibits(db, user, exhibit_ids), page)
    context = {
        "nav": "rotations",
        "t": queries.timeline(db, user, now, tz, lanes["rows"]),
        "lanes": lanes,
        "venues": venues.list_venues(db, user),
        "exhibit_ids": exhibit_ids,
        "approved": _approved(controller, user),
        "today": queries.local_today(now, tz).isoformat(),
    }
    return render(request, "rotations.html", context, user)


@router.post("/rotations")
def create_stay(
    request: Request,
    controller: ControllerDep,
    user: PageUser,
    csrf: Csrf,
    exhibit: Text,
    venue: Text,
    first_day: Text,
    last_day: Text,
    pack: Text = "",
    note: Text = "",
) -> Response:
    tz = controller.settings.timezone

    def change() -> None:
        starts = instant(_day(first_day, "the first day"), tz)
        ends = instant(_day(last_day, "the last day") + timedelta(days=1), tz)
        data = {"exhibit": exhibit, "venue": venue, "pack": _pack_pin(pack), "note": note}
        with controller.store.write() as db:
            rotations.create(db, user, data, starts, ends, controller.clock.now(), tz)

    return act(request, "/rotations", "ro.created", csrf, change, controller)


@router.post("/rotations/{stay}/move")
def move_stay(
    stay: StayId,
    request: Request,
    controller: ControllerDep,
    user: PageUser,
    csrf: Csrf,
    first_day: Text,
    last_day: Text,
) -> Response:
    tz = controller.settings.timezone

    def change() -> None:
        starts = instant(_day(first_day, "the first day"), tz)
        ends = instant(_day(last_day, "the last day") + timedelta(days=1), tz)
        with controller.store.write() as db:
            rotations.reschedule(db, user, stay, starts, ends, controller.clock.now(), tz)

    return act(request, "/rotations", "ro.moved", csrf, change, controller)


@router.post("/rotations/{stay}/delete")
def delete_stay(stay: StayId, request: Request, controller: ControllerDep, user: PageUser, csrf: Csrf) -> Response:
    def change() -> None:
        with controller.store.write() as db:
            rotations.delete(db, user, stay, controller.clock.now(), controller.settings.timezone)

    return act(request, "/rotations", "ro.deleted", csrf, change, controller)


# -- packs -----------------------------------------------------------------------


@router.get("/packs")
def packs_page(request: Request, controller: ControllerDep, user: PageUser) -> Response:
    db, now, tz = controller.store.db, controller.clock.now(), controller.settings.timezone
    # Rollouts need the install state of exhibits with a desired pack; the others are only named.
    exhibits = queries.fleet_rows_where(db, user, now, tz, lambda e: e["desired_pack"] is not None)
    context = {
        "nav": "packs",
        "packs": queries.pack_rows(db, user, exhibits, tz),
        "venues": venues.list_venues(db, user),
        "staying": [e for e in exhibits if e["venue"]],  # in transit: no stay to pin a pack on
    }
    return render(request, "packs.html", context, user)


@router.post("/packs")
def upload_pack(
    request: Request, controller: ControllerDep, user: PageUser, csrf: Csrf, file: Annotated[UploadFile, File()]
) -> Response:
    def change() -> None:
        settings = controller.settings
        packs.upload_stream(
            controller.store,
            settings.data_dir,
            settings.trusted_keys,
            file.file,
            user,
            controller.clock.now(),
            file.filename,
        )

    return act(request, "/packs", "pk.uploaded_ok", csrf, change, controller)


@router.post("/packs/{pack_id}/{version}/review")
def review_pack(
    pack_id: str, version: str, request: Request, controller: ControllerDep, user: PageUser, csrf: Csrf, status: Text
) -> Response:
    def change() -> None:
        packs.review(
            controller.store,
            pack_id,
            version,
            status,
            user,
            controller.clock.now(),
            controller.settings.separate_review,
        )

    return act(request, "/packs", "pk.reviewed", csrf, change, controller)


@router.post("/packs/{pack_id}/{version}/assign")
def assign_pack(
    pack_id: str, version: str, request: Request, controller: ControllerDep, user: PageUser, csrf: Csrf, venue: Text
) -> Response:
    def change() -> None:
        with controller.store.write() as db:
            venues.update(
                db, user, venue, {"default_pack": {"id": pack_id, "version": version}}, controller.clock.now()
            )

    return act(request, "/packs", "pk.assigned", csrf, change, controller)


@router.post("/packs/{pack_id}/{version}/assign-exhibit")
def assign_pack_to_exhibit(
    pack_id: str, version: str, request: Request, controller: ControllerDep, user: PageUser, csrf: Csrf, exhibit: Text
) -> Response:
    """Pin the pack on the exhibit's current stay (the same call as PATCH /api/v1/rotations/{id} with `pack`)."""

    def change() -> None:
        now, tz = controller.clock.now(), controller.settings.timezone
        with controller.store.write() as db:
            stay = rotations.current(db, user, exhibit, now)
            rotations.set_pack(db, user, stay["id"], {"id": pack_id, "version": version}, now, tz)

    return act(request, "/packs", "pk.assigned_one", csrf, change, controller)


# -- campaigns and emergency broadcasts ----------------------------------------------


@router.get("/campaigns")
def campaigns_page(request: Request, controller: ControllerDep, user: PageUser) -> Response:
    db, now, tz = controller.store.db, controller.clock.now(), controller.settings.timezone
    # What each exhibit shows matters only to the broadcasts' confirmation lists.
    any_broadcast = db.execute("SELECT 1 FROM emergencies LIMIT 1").fetchone() is not None
    exhibits = queries.fleet_rows_where(db, user, now, tz, lambda e: any_broadcast)
    today = queries.local_today(now, tz)
    rows = campaigns.list_campaigns(db, user, tz)
    for c in rows:
        c["first_day"] = c["starts"][:10]
        c["last_day"] = (date.fromisoformat(c["ends"][:10]) - timedelta(days=1)).isoformat()
        c["phase"] = (
            "ended"
            if c["last_day"] < today.isoformat()
            else "upcoming"
            if c["first_day"] > today.isoformat()
            else "active"
        )
    broadcasts = queries.emergencies_live(db, user, exhibits, now, tz)
    context = {
        "nav": "campaigns",
        "campaigns": rows,
        "broadcasts": broadcasts,
        "on_air": [b for b in broadcasts if b["on_air"]],
        "regions": ([""] if user.region == "" else []) + queries.regions(db, user),
        "approved": _approved(controller, user),
        "today": today.isoformat(),
    }
    return render(request, "campaigns.html", context, user)


@router.post("/campaigns")
def create_campaign(
    request: Request,
    controller: ControllerDep,
    user: PageUser,
    csrf: Csrf,
    name: Text,
    pack: Text,
    first_day: Text,
    last_day: Text,
    region: Text = "",
    priority: Annotated[int, Form(ge=-1000, le=1000)] = 0,
) -> Response:
    tz = controller.settings.timezone

    def change() -> None:
        pin = _pack_pin(pack)
        if not pin or not pin["version"]:
            raise Invalid("choose an approved pack version")
        first, last = _day(first_day, "the first day"), _day(last_day, "the last day")
        if last < first:
            raise Invalid("a campaign's last day cannot be before its first")
        data = {"name": name.strip(), "region": region, "pack": pin, "priority": priority}
        if not data["name"]:
            raise Invalid("a campaign needs a name")
        with controller.store.write() as db:
            campaigns.create(
                db, user, data, instant(first, tz), instant(last + timedelta(days=1), tz), controller.clock.now(), tz
            )

    return act(request, "/campaigns", "cp.created", csrf, change, controller)


@router.post("/campaigns/{campaign}/delete")
def delete_campaign(
    campaign: StayId, request: Request, controller: ControllerDep, user: PageUser, csrf: Csrf
) -> Response:
    def change() -> None:
        with controller.store.write() as db:
            campaigns.delete(db, user, campaign, controller.clock.now())

    return act(request, "/campaigns", "cp.deleted", csrf, change, controller)


@router.post("/emergencies")
def start_emergency(
    request: Request,
    controller: ControllerDep,
    user: PageUser,
    csrf: Csrf,
    confirm: Text,
    minutes: Annotated[int, Form(ge=1, le=60 * 24 * 14)],
    region: Text = "",
    message_zh: Text = "",
    message_en: Text = "",
) -> Response:
    tz = controller.settings.timezone
    expected = region or "all"

    def change() -> None:
        if confirm.strip() != expected:
            raise Invalid(translator(request_lang(request))("em.confirm_wrong"))
        now = controller.clock.now()
        data = {"region": region, "message": {"zh": message_zh.strip(), "en": message_en.strip()}, "pack": None}
        with controller.store.write() as db:
            emergencies.create(db, user, data, now, now + minutes * 60, now, tz)

    return act(request, "/campaigns", "em.started", csrf, change, controller)


@router.post("/emergencies/{emergency}/cancel")
def end_emergency(
    emergency: StayId, request: Request, controller: ControllerDep, user: PageUser, csrf: Csrf
) -> Response:
    def change() -> None:
        with controller.store.write() as db:
            emergencies.cancel(db, user, emergency, controller.clock.now(), controller.settings.timezone)

    return act(request, "/campaigns", "em.ended", csrf, change, controller)
