"""/api/v1/rotations: exhibits' stays at venues (overlaps refused with 409)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import Field

from controller.domain import rotations
from controller.domain.times import instant
from controller.web.api.models import Body, Deleted, PackPin
from controller.web.deps import ControllerDep, CurrentUser

router = APIRouter(prefix="/api/v1/rotations", tags=["rotations"])
StayId = Annotated[int, Path(ge=1, le=2**53)]


class StayIn(Body):
    exhibit: str = Field(min_length=1, max_length=64)
    venue: str = Field(min_length=1, max_length=64)
    starts: datetime = Field(description="ISO 8601; without an offset it is the controller's local time")
    ends: datetime
    pack: PackPin | None = Field(default=None, description="overrides the venue's default pack for this stay")
    note: str = Field(default="", max_length=500)


class StayEdit(Body):
    starts: datetime | None = None
    ends: datetime | None = None
    pack: PackPin | None = Field(
        default=None, description="pin a pack on this stay; null returns it to the venue's default; absent leaves it"
    )


@router.get("", summary="Stays, optionally of one exhibit or at one venue")
def list_stays(
    controller: ControllerDep,
    user: CurrentUser,
    exhibit: Annotated[str | None, Query(max_length=64)] = None,
    venue: Annotated[str | None, Query(max_length=64)] = None,
) -> list[dict[str, Any]]:
    return rotations.list_stays(controller.store.db, user, controller.settings.timezone, exhibit, venue)


@router.post("", status_code=201, summary="Plan a stay (technician in the venue's region)")
def create_stay(body: StayIn, controller: ControllerDep, user: CurrentUser) -> dict[str, Any]:
    tz = controller.settings.timezone
    with controller.store.write() as db:
        out = rotations.create(
            db, user, body.model_dump(), instant(body.starts, tz), instant(body.ends, tz), controller.clock.now(), tz
        )
    controller.changed()
    return out


@router.get("/{stay}", summary="One stay")
def get_stay(stay: StayId, controller: ControllerDep, user: CurrentUser) -> dict[str, Any]:
    return rotations.view(rotations.get(controller.store.db, user, stay), controller.settings.timezone)


@router.patch("/{stay}", summary="Move a stay's start or end, or pin a pack on it")
def edit_stay(stay: StayId, body: StayEdit, controller: ControllerDep, user: CurrentUser) -> dict[str, Any]:
    tz = controller.settings.timezone
    starts = instant(body.starts, tz) if body.starts else None
    ends = instant(body.ends, tz) if body.ends else None
    with controller.store.write() as db:
        if "pack" in body.model_fields_set:
            out = rotations.set_pack(
                db, user, stay, body.pack.model_dump() if body.pack else None, controller.clock.now(), tz
            )
        if starts is not None or ends is not None or "pack" not in body.model_fields_set:
            out = rotations.reschedule(db, user, stay, starts, ends, controller.clock.now(), tz)
    controller.changed()
    return out


@router.delete("/{stay}", response_model=Deleted, summary="Cancel a stay")
def delete_stay(stay: StayId, controller: ControllerDep, user: CurrentUser) -> Deleted:
    with controller.store.write() as db:
        rotations.delete(db, user, stay, controller.clock.now(), controller.settings.timezone)
    controller.changed()
    return Deleted()
