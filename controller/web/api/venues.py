"""/api/v1/venues: places, their region, opening hours and default pack."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import Field

from controller.domain import power, venues
from controller.web.api.models import Body, Deleted, PackPin
from controller.web.deps import ControllerDep, CurrentUser

router = APIRouter(prefix="/api/v1/venues", tags=["venues"])

HOURS_EXAMPLE = {"mon": ["09:00-12:00", "14:00-18:00"], "sun": []}
CLOSED_EXAMPLE = ["2026-10-01/2026-10-07", "2026-12-25"]


class PowerIn(Body):
    """Displays come on `on_before` minutes before opening and go off `off_after` minutes after closing."""

    on_before: int | None = Field(default=None, ge=0, le=240)
    off_after: int | None = Field(default=None, ge=0, le=240)
    wake_on_touch: bool | None = None


class DisplayIn(Body):
    on: bool = Field(description="true: wake now (display_on), false: sleep now (display_off)")


class VenueIn(Body):
    id: str = Field(min_length=1, max_length=64, examples=["v-nanshan-yuehai"])
    name: str = Field(min_length=1, max_length=200)
    region: str = Field(min_length=1, max_length=300, examples=["guangdong/shenzhen/nanshan/yuehai"])
    opening_hours: dict[str, list[str]] | None = Field(default=None, examples=[HOURS_EXAMPLE])
    closed_days: list[str] | None = Field(default=None, max_length=400, examples=[CLOSED_EXAMPLE])
    power: PowerIn | None = None
    default_pack: PackPin | None = None


class VenueEdit(Body):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    region: str | None = Field(default=None, min_length=1, max_length=300)
    opening_hours: dict[str, list[str]] | None = None
    closed_days: list[str] | None = Field(default=None, max_length=400, examples=[CLOSED_EXAMPLE])
    power: PowerIn | None = None
    default_pack: PackPin | None = None


@router.get("", summary="Venues in the caller's region")
def list_venues(controller: ControllerDep, user: CurrentUser) -> list[dict[str, Any]]:
    return venues.list_venues(controller.store.db, user)


@router.post("", status_code=201, summary="Add a venue (technician in its region)")
def create_venue(body: VenueIn, controller: ControllerDep, user: CurrentUser) -> dict[str, Any]:
    with controller.store.write() as db:
        out = venues.create(db, user, body.model_dump(), controller.clock.now())
    controller.changed()
    return out


@router.get("/{venue}", summary="One venue")
def get_venue(venue: str, controller: ControllerDep, user: CurrentUser) -> dict[str, Any]:
    return venues.view(venues.get(controller.store.db, user, venue))


@router.patch("/{venue}", summary="Change a venue")
def edit_venue(venue: str, body: VenueEdit, controller: ControllerDep, user: CurrentUser) -> dict[str, Any]:
    with controller.store.write() as db:
        out = venues.update(db, user, venue, body.model_dump(exclude_unset=True), controller.clock.now())
    controller.changed()
    return out


@router.delete("/{venue}", response_model=Deleted, summary="Delete a venue that never hosted a stay")
def delete_venue(venue: str, controller: ControllerDep, user: CurrentUser) -> Deleted:
    with controller.store.write() as db:
        venues.delete(db, user, venue, controller.clock.now())
    return Deleted()


@router.post(
    "/{venue}/display",
    status_code=202,
    summary="Wake or sleep every exhibit at the venue now (display_on / display_off, until the next schedule boundary)",
)
def venue_display(venue: str, body: DisplayIn, controller: ControllerDep, user: CurrentUser) -> dict[str, Any]:
    return power.venue_display(controller, user, venue, body.on)
