"""/api/v1/emergencies: broadcasts that pre-empt everything in a region until they expire."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import Field

from controller.domain import emergencies
from controller.domain.times import instant
from controller.web.api.models import Bilingual, Body, PackPin
from controller.web.deps import ControllerDep, CurrentUser

router = APIRouter(prefix="/api/v1/emergencies", tags=["emergencies"])
EmergencyId = Annotated[int, Path(ge=1, le=2**53)]


class EmergencyIn(Body):
    region: str = Field(default="", max_length=300, description="region subtree; empty = every exhibit")
    message: Bilingual | None = None
    pack: PackPin | None = None
    starts: datetime | None = Field(default=None, description="default: now")
    expires: datetime


@router.get("", summary="Emergency broadcasts in the caller's region, newest first")
def list_emergencies(controller: ControllerDep, user: CurrentUser) -> list[dict[str, Any]]:
    return emergencies.list_emergencies(controller.store.db, user, controller.settings.timezone)


@router.post("", status_code=201, summary="Broadcast (reviewer in its region)")
def create_emergency(body: EmergencyIn, controller: ControllerDep, user: CurrentUser) -> dict[str, Any]:
    tz, now = controller.settings.timezone, controller.clock.now()
    starts = instant(body.starts, tz) if body.starts else now
    with controller.store.write() as db:
        out = emergencies.create(db, user, body.model_dump(), starts, instant(body.expires, tz), now, tz)
    controller.changed()
    return out


@router.get("/{emergency}", summary="One broadcast")
def get_emergency(emergency: EmergencyId, controller: ControllerDep, user: CurrentUser) -> dict[str, Any]:
    return emergencies.view(emergencies.get(controller.store.db, user, emergency), controller.settings.timezone)


@router.post("/{emergency}/cancel", summary="End a broadcast now")
def cancel_emergency(emergency: EmergencyId, controller: ControllerDep, user: CurrentUser) -> dict[str, Any]:
    with controller.store.write() as db:
        out = emergencies.cancel(db, user, emergency, controller.clock.now(), controller.settings.timezone)
    controller.changed()
    return out
