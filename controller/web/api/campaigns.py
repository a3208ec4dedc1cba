"""/api/v1/campaigns: packs scheduled for a region over dates (全国科普日, 防灾减灾日 …)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import Field

from controller.domain import campaigns
from controller.domain.times import instant
from controller.errors import Invalid
from controller.web.api.models import Body, Deleted, PackExact
from controller.web.deps import ControllerDep, CurrentUser

router = APIRouter(prefix="/api/v1/campaigns", tags=["campaigns"])
CampaignId = Annotated[int, Path(ge=1, le=2**53)]


class CampaignIn(Body):
    name: str = Field(min_length=1, max_length=200)
    region: str = Field(default="", max_length=300, description="region subtree; empty = everywhere")
    pack: PackExact
    starts: date = Field(description="first day (local)")
    ends: date = Field(description="last day, inclusive (local)")
    priority: int = Field(default=0, ge=-1000, le=1000, description="higher wins when campaigns overlap")


@router.get("", summary="Campaigns in the caller's region")
def list_campaigns(controller: ControllerDep, user: CurrentUser) -> list[dict[str, Any]]:
    return campaigns.list_campaigns(controller.store.db, user, controller.settings.timezone)


@router.post("", status_code=201, summary="Schedule a campaign (technician in its region, approved pack)")
def create_campaign(body: CampaignIn, controller: ControllerDep, user: CurrentUser) -> dict[str, Any]:
    tz = controller.settings.timezone
    if body.ends < body.starts:
        raise Invalid("a campaign's last day cannot be before its first")
    if body.ends >= date.max:
        raise Invalid("the last day is out of range")
    starts, ends = instant(body.starts, tz), instant(body.ends + timedelta(days=1), tz)
    with controller.store.write() as db:
        out = campaigns.create(db, user, body.model_dump(), starts, ends, controller.clock.now(), tz)
    controller.changed()
    return out


@router.get("/{campaign}", summary="One campaign")
def get_campaign(campaign: CampaignId, controller: ControllerDep, user: CurrentUser) -> dict[str, Any]:
    return campaigns.view(campaigns.get(controller.store.db, user, campaign), controller.settings.timezone)


@router.delete("/{campaign}", response_model=Deleted, summary="Cancel a campaign")
def delete_campaign(campaign: CampaignId, controller: ControllerDep, user: CurrentUser) -> Deleted:
    with controller.store.write() as db:
        campaigns.delete(db, user, campaign, controller.clock.now())
    controller.changed()
    return Deleted()
