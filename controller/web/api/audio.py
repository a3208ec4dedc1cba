"""/api/v1/exhibits/{id}/audio and /api/v1/venues/{id}/audio: volume and quiet hours (issue 10).

Each change republishes desired state, so the exhibit hears it within seconds (`desired.audio`).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import Field

from controller.domain import volume
from controller.web.api.models import Body
from controller.web.deps import ControllerDep, CurrentUser
from kepu_contracts.audio import MAX_QUIET_RANGES

router = APIRouter(prefix="/api/v1", tags=["audio"])


class AudioIn(Body):
    volume: int = Field(ge=0, le=100, description="percent, 0 = muted", examples=[80])
    quiet: list[str] = Field(
        default_factory=list,
        max_length=MAX_QUIET_RANGES,
        description='local times in the venue\'s zone, every day; "21:30-08:00" crosses midnight',
        examples=[["12:00-13:30"]],
    )
    quiet_volume: int = Field(default=0, ge=0, le=100, description="percent during quiet hours, 0 = muted")


@router.get("/exhibits/{exhibit}/audio", summary="Volume and quiet hours: in effect, own, the venue's, reported")
def get_exhibit_audio(exhibit: str, controller: ControllerDep, user: CurrentUser) -> dict[str, Any]:
    c = controller
    return volume.exhibit_view(c.store.db, user, exhibit, c.clock.now(), c.settings.timezone)


@router.put("/exhibits/{exhibit}/audio", summary="Give an exhibit its own volume and quiet hours (technician)")
def put_exhibit_audio(exhibit: str, body: AudioIn, controller: ControllerDep, user: CurrentUser) -> dict[str, Any]:
    c = controller
    with c.store.write() as db:
        volume.set_exhibit(db, user, exhibit, body.model_dump(), c.clock.now(), c.settings.timezone)
    c.changed()
    return volume.exhibit_view(c.store.db, user, exhibit, c.clock.now(), c.settings.timezone)


@router.delete("/exhibits/{exhibit}/audio", summary="Drop the exhibit's own setting: its venue's applies again")
def delete_exhibit_audio(exhibit: str, controller: ControllerDep, user: CurrentUser) -> dict[str, Any]:
    c = controller
    with c.store.write() as db:
        volume.clear_exhibit(db, user, exhibit, c.clock.now(), c.settings.timezone)
    c.changed()
    return volume.exhibit_view(c.store.db, user, exhibit, c.clock.now(), c.settings.timezone)


@router.get("/venues/{venue}/audio", summary="The venue's default volume and quiet hours")
def get_venue_audio(venue: str, controller: ControllerDep, user: CurrentUser) -> dict[str, Any]:
    return volume.venue_view(controller.store.db, user, venue, controller.settings.timezone)


@router.put("/venues/{venue}/audio", summary="Set the default volume and quiet hours of a venue's exhibits")
def put_venue_audio(venue: str, body: AudioIn, controller: ControllerDep, user: CurrentUser) -> dict[str, Any]:
    c = controller
    with c.store.write() as db:
        view = volume.set_venue(db, user, venue, body.model_dump(), c.clock.now(), c.settings.timezone)
    c.changed()
    return view


@router.delete("/venues/{venue}/audio", summary="Drop the venue's default (its exhibits play at full volume)")
def delete_venue_audio(venue: str, controller: ControllerDep, user: CurrentUser) -> dict[str, Any]:
    c = controller
    with c.store.write() as db:
        view = volume.clear_venue(db, user, venue, c.clock.now(), c.settings.timezone)
    c.changed()
    return view
