"""/api/v1/alerts: alerts (list, acknowledge, history), rule thresholds per region, subscriptions and deliveries."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import Field

from controller.domain import alerts, notify
from controller.web.api.models import Body, Deleted
from controller.web.deps import ControllerDep, CurrentUser

router = APIRouter(prefix="/api/v1/alerts", tags=["alerts"])
AlertId = Annotated[int, Path(ge=1, le=2**53)]
SubscriptionId = Annotated[int, Path(ge=1, le=2**53)]
RuleName = Annotated[str, Path(max_length=64, description=f"one of {', '.join(alerts.RULES)}")]
Region = Annotated[str | None, Query(max_length=300)]


class RuleEdit(Body):
    after_seconds: float | None = Field(
        default=None, ge=0, le=30 * 86400, description="how long the condition must hold before an alert opens"
    )
    hold_seconds: float | None = Field(
        default=None, ge=0, le=30 * 86400, description="how long it must stay cleared before the alert resolves"
    )
    threshold: float | None = Field(default=None, ge=-1e15, le=1e15, description="cpu_hot: °C; disk_low: bytes free")
    enabled: bool | None = None
    region: str | None = Field(default=None, max_length=300, description="default: the caller's own region")


class QuietHours(Body):
    start: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", examples=["22:00"])
    end: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", examples=["07:00"])


class SubscriptionIn(Body):
    url: str = Field(min_length=1, max_length=2000, description="an apprise URL: json://, mailto://, wecombot://…")
    region: str = Field(default="", max_length=300, description="region subtree whose exhibits are reported")
    rules: list[str] = Field(default_factory=list, max_length=50, description="empty = every rule")
    label: str = Field(default="", max_length=200)
    quiet_hours: QuietHours | None = Field(default=None, description="held until the end, in the controller's zone")


@router.get("", summary="Alerts in the caller's region, newest first")
def list_alerts(
    controller: ControllerDep,
    user: CurrentUser,
    state: Annotated[str | None, Query(max_length=20, description="open, acknowledged or resolved")] = None,
    rule: Annotated[str | None, Query(max_length=64)] = None,
    region: Region = None,
    exhibit: Annotated[str | None, Query(max_length=200)] = None,
) -> list[dict[str, Any]]:
    return alerts.list_alerts(controller.store.db, user, controller.settings.timezone, state, rule, region, exhibit)


@router.get("/rules", summary="Every rule with the thresholds that apply in a region (default: the caller's)")
def list_rules(controller: ControllerDep, user: CurrentUser, region: Region = None) -> list[dict[str, Any]]:
    return alerts.list_rules(controller.store.db, user, region)


@router.patch("/rules/{rule}", summary="Change a rule's thresholds for a region (admin there)")
def edit_rule(rule: RuleName, body: RuleEdit, controller: ControllerDep, user: CurrentUser) -> dict[str, Any]:
    changes = body.model_dump(exclude_unset=True)
    with controller.store.write() as db:
        out = alerts.set_rule(db, user, rule, changes, controller.clock.now())
    controller.check_alerts()
    return out


@router.get("/subscriptions", summary="Subscriptions in the caller's region (technician)")
def list_subscriptions(controller: ControllerDep, user: CurrentUser) -> list[dict[str, Any]]:
    return notify.list_subscriptions(controller.store.db, user, controller.settings.timezone)


@router.post("/subscriptions", status_code=201, summary="Subscribe an apprise URL to a region's alerts")
def create_subscription(body: SubscriptionIn, controller: ControllerDep, user: CurrentUser) -> dict[str, Any]:
    with controller.store.write() as db:
        return notify.create_subscription(
            db, user, body.model_dump(), controller.clock.now(), controller.settings.timezone
        )


@router.delete("/subscriptions/{subscription}", response_model=Deleted, summary="Unsubscribe")
def delete_subscription(subscription: SubscriptionId, controller: ControllerDep, user: CurrentUser) -> Deleted:
    with controller.store.write() as db:
        notify.delete_subscription(db, user, subscription, controller.clock.now())
    return Deleted()


@router.post("/subscriptions/{subscription}/test", summary="Send a bilingual test message now")
def test_subscription(subscription: SubscriptionId, controller: ControllerDep, user: CurrentUser) -> dict[str, Any]:
    return notify.test_send(
        controller.store.db, user, subscription, controller.clock.now(), controller.settings.timezone
    )


@router.get("/deliveries", summary="Recent notices sent (or pending, or failed) to the caller's subscriptions")
def list_deliveries(controller: ControllerDep, user: CurrentUser) -> list[dict[str, Any]]:
    return notify.deliveries(controller.store.db, user, controller.settings.timezone)


@router.get("/{alert}", summary="One alert")
def get_alert(alert: AlertId, controller: ControllerDep, user: CurrentUser) -> dict[str, Any]:
    return alerts.view(alerts.get(controller.store.db, user, alert), controller.settings.timezone)


@router.get("/{alert}/history", summary="What happened to one alert: opened, acknowledged, resolved")
def alert_history(alert: AlertId, controller: ControllerDep, user: CurrentUser) -> list[dict[str, Any]]:
    return alerts.history(controller.store.db, user, alert, controller.settings.timezone)


@router.post("/{alert}/ack", summary="Acknowledge an alert (technician in its region)")
def acknowledge(alert: AlertId, controller: ControllerDep, user: CurrentUser) -> dict[str, Any]:
    with controller.store.write() as db:
        return alerts.acknowledge(db, user, alert, controller.clock.now(), controller.settings.timezone)
