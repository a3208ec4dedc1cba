"""Pages for alerts, subscriptions, rule thresholds, maintenance tickets and the audit log."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import FileResponse, Response

from controller.domain import alerts, audit, notify, tickets
from controller.errors import DomainError, Invalid, NotFound
from controller.web.dashboard import queries
from controller.web.dashboard.render import PageUser, back, check_csrf, render
from controller.web.deps import ControllerDep

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Form(max_length=2000)]
Csrf = Annotated[str, Form(max_length=200)]
Id = Annotated[int, Path(ge=1, le=2**53)]
Q = Annotated[str, Query(max_length=300)]


def _back(url: str, ok: str | None = None, error: str | None = None) -> Response:
    """Like render.back, keeping a #fragment after the message's query string."""
    path, _, fragment = url.partition("#")
    response = back(path, ok=ok, error=error)
    if fragment:
        response.headers["location"] += "#" + fragment
    return response


def _act(request: Request, url: str, ok: str, csrf: str, change: Callable[[], Any]) -> Response:
    """CSRF check, the library call; a refusal comes back to the page as the domain's message."""
    try:
        check_csrf(request, csrf)
        result = change()
    except DomainError as exc:
        return _back(url, error=str(exc))
    return _back(result if isinstance(result, str) else url, ok=ok)


def _next(value: str, default: str) -> str:
    # Only our own pages: a form cannot bounce the user to another site.
    return value if value.startswith("/") and not value.startswith("//") else default


# -- alerts ----------------------------------------------------------------------


@router.get("/alerts")
def alerts_page(
    request: Request, controller: ControllerDep, user: PageUser, state: Q = "", region: Q = "", rule: Q = ""
) -> Response:
    db, tz = controller.store.db, controller.settings.timezone
    error = None
    try:
        rows = alerts.list_alerts(db, user, tz, state or None, rule or None, region or None)
    except DomainError as exc:
        error, rows = str(exc), alerts.list_alerts(db, user, tz)
    open_tickets = {
        t["alert"]: t["id"] for t in tickets.list_tickets(db, user, tz) if t["alert"] and t["state"] != "closed"
    }
    for row in rows:
        row["ticket"] = open_tickets.get(row["id"])
    can_tech = user.level >= 1
    context = {
        "nav": "alerts",
        "alerts": rows,
        "filter": {"state": state, "region": region, "rule": rule},
        "filter_error": error,
        "rules": alerts.list_rules(db, user),
        "rule_names": list(alerts.RULES),
        "regions": queries.regions(db, user),
        "subscriptions": notify.list_subscriptions(db, user, tz) if can_tech else [],
        "deliveries": notify.deliveries(db, user, tz, limit=10) if can_tech else [],
        "can_admin": user.role == "admin",
        "test_result": request.query_params.get("test"),
    }
    return render(request, "alerts.html", context, user)


@router.post("/alerts/{alert}/ack")
def ack_alert(
    alert: Id, request: Request, controller: ControllerDep, user: PageUser, csrf: Csrf, next: Text = "/alerts"
) -> Response:
    def change() -> None:
        with controller.store.write() as db:
            alerts.acknowledge(db, user, alert, controller.clock.now(), controller.settings.timezone)

    return _act(request, _next(next, "/alerts"), "al.acked", csrf, change)


@router.post("/alerts/{alert}/ticket")
def ticket_from_alert(alert: Id, request: Request, controller: ControllerDep, user: PageUser, csrf: Csrf) -> Response:
    def change() -> str:
        with controller.store.write() as db:
            ticket = tickets.create(db, user, {"alert": alert}, controller.clock.now(), controller.settings.timezone)
        return f"/tickets/{ticket['id']}"

    return _act(request, "/alerts", "tk.opened", csrf, change)


@router.post("/alerts/rules/{rule}")
def edit_rule(
    rule: Annotated[str, Path(max_length=64)],
    request: Request,
    controller: ControllerDep,
    user: PageUser,
    csrf: Csrf,
    after_minutes: Annotated[float, Form(ge=0, le=43200)],
    hold_minutes: Annotated[float, Form(ge=0, le=43200)],
    threshold: Text = "",
    enabled: Text = "",
) -> Response:
    def change() -> None:
        values: dict[str, Any] = {
            "after_seconds": after_minutes * 60,
            "hold_seconds": hold_minutes * 60,
            "enabled": enabled == "on",
        }
        if threshold.strip():
            try:
                values["threshold"] = float(threshold)
            except ValueError as exc:
                raise Invalid("the threshold must be a number") from exc
        with controller.store.write() as db:
            alerts.set_rule(db, user, rule, values, controller.clock.now())
        controller.check_alerts()

    return _act(request, "/alerts#rules", "al.rule_saved", csrf, change)


@router.post("/alerts/subscriptions")
def add_subscription(
    request: Request,
    controller: ControllerDep,
    user: PageUser,
    csrf: Csrf,
    url: Text,
    region: Text = "",
    label: Text = "",
    rules: Annotated[list[str] | None, Form()] = None,
    quiet_start: Text = "",
    quiet_end: Text = "",
) -> Response:
    def change() -> None:
        quiet = {"start": quiet_start, "end": quiet_end} if quiet_start or quiet_end else None
        data = {"url": url, "region": region, "label": label, "rules": rules or [], "quiet_hours": quiet}
        with controller.store.write() as db:
            notify.create_subscription(db, user, data, controller.clock.now(), controller.settings.timezone)

    return _act(request, "/alerts#subscriptions", "al.subscribed", csrf, change)


@router.post("/alerts/subscriptions/{subscription}/test")
def test_subscription(
    subscription: Id, request: Request, controller: ControllerDep, user: PageUser, csrf: Csrf
) -> Response:
    try:
        check_csrf(request, csrf)
        result = notify.test_send(
            controller.store.db, user, subscription, controller.clock.now(), controller.settings.timezone
        )
    except DomainError as exc:
        return _back("/alerts#subscriptions", error=str(exc))
    if result["delivered"]:
        return _back("/alerts#subscriptions", ok="al.test_sent")
    return _back("/alerts#subscriptions", error=f"#{subscription}: {result['error']}")


@router.post("/alerts/subscriptions/{subscription}/delete")
def remove_subscription(
    subscription: Id, request: Request, controller: ControllerDep, user: PageUser, csrf: Csrf
) -> Response:
    def change() -> None:
        with controller.store.write() as db:
            notify.delete_subscription(db, user, subscription, controller.clock.now())

    return _act(request, "/alerts#subscriptions", "al.unsubscribed", csrf, change)


# -- tickets -----------------------------------------------------------------------


@router.get("/tickets/{ticket}")
def ticket_page(ticket: Id, request: Request, controller: ControllerDep, user: PageUser) -> Response:
    db, tz = controller.store.db, controller.settings.timezone
    try:
        row = tickets.view(tickets.get(db, user, ticket), tz)
    except NotFound:
        return render(request, "notfound.html", {"nav": "alerts"}, user, status=404)
    alert = None
    if row["alert"]:
        try:
            alert = alerts.view(alerts.get(db, user, row["alert"]), tz)
        except NotFound:
            alert = None
    context = {
        "nav": "alerts",
        "ticket": row,
        "alert": alert,
        "history": tickets.history(db, user, ticket, tz),
        "next_states": [s for s in tickets.STATES if (row["state"], s) in tickets.TRANSITIONS],
    }
    return render(request, "ticket.html", context, user)


@router.post("/tickets")
def open_ticket(
    request: Request,
    controller: ControllerDep,
    user: PageUser,
    csrf: Csrf,
    exhibit: Text,
    title: Text,
    assignee: Text = "",
    notes: Text = "",
) -> Response:
    def change() -> str:
        data = {"exhibit": exhibit, "title": title, "assignee": assignee, "notes": notes}
        with controller.store.write() as db:
            ticket = tickets.create(db, user, data, controller.clock.now(), controller.settings.timezone)
        return f"/tickets/{ticket['id']}"

    return _act(request, f"/exhibits/{exhibit}", "tk.opened", csrf, change)


@router.post("/tickets/{ticket}")
def edit_ticket(
    ticket: Id,
    request: Request,
    controller: ControllerDep,
    user: PageUser,
    csrf: Csrf,
    state: Text = "",
    assignee: Annotated[str | None, Form(max_length=100)] = None,
    note: Text = "",
) -> Response:
    def change() -> None:
        changes = {"state": state or None, "assignee": assignee, "note": note}
        with controller.store.write() as db:
            tickets.update(db, user, ticket, changes, controller.clock.now(), controller.settings.timezone)

    return _act(request, f"/tickets/{ticket}", "tk.updated", csrf, change)


@router.post("/tickets/{ticket}/photo")
def ticket_photo(
    ticket: Id,
    request: Request,
    controller: ControllerDep,
    user: PageUser,
    csrf: Csrf,
    photo: Annotated[UploadFile, File()],
) -> Response:
    def change() -> None:
        data = photo.file.read(tickets.MAX_PHOTO_BYTES + 1)
        with controller.store.write() as db:
            tickets.attach_photo(
                db,
                user,
                controller.settings.data_dir,
                ticket,
                data,
                controller.clock.now(),
                controller.settings.timezone,
            )

    return _act(request, f"/tickets/{ticket}", "tk.photo_saved", csrf, change)


@router.get("/tickets/{ticket}/photo")
def ticket_photo_file(ticket: Id, controller: ControllerDep, user: PageUser) -> Response:
    try:
        path, kind = tickets.photo(controller.store.db, user, controller.settings.data_dir, ticket)
    except NotFound:
        return Response(status_code=404)
    return FileResponse(path, media_type=kind, headers={"Cache-Control": "no-store"})


# -- audit -----------------------------------------------------------------------------


@router.get("/audit")
def audit_page(
    request: Request, controller: ControllerDep, user: PageUser, actor: Q = "", action: Q = "", target: Q = ""
) -> Response:
    if user.role != "admin":
        return render(request, "notfound.html", {"nav": "audit"}, user, status=404)
    db, tz = controller.store.db, controller.settings.timezone
    rows = audit.search(db, user, tz, actor=actor or None, action=action or None, target=target or None, limit=300)
    actors = sorted({r["actor"] for r in audit.search(db, user, tz, limit=1000)})
    context = {
        "nav": "audit",
        "entries": rows,
        "actors": actors,
        "filter": {"actor": actor, "action": action, "target": target},
    }
    return render(request, "audit.html", context, user)


# -- pieces for other pages ------------------------------------------------------------


def exhibit_extras(controller: ControllerDep, user: PageUser, exhibit: str) -> dict[str, Any]:
    """The exhibit page's alert history and tickets."""
    db, tz = controller.store.db, controller.settings.timezone
    return {
        "exhibit_alerts": alerts.list_alerts(db, user, tz, exhibit=exhibit, limit=50),
        "exhibit_tickets": tickets.list_tickets(db, user, tz, exhibit=exhibit),
    }


def mark_maintenance(controller: ControllerDep, rows: list[dict[str, Any]]) -> None:
    """Exhibits with an open or in-progress ticket carry it, for the fleet page's 维护中 mark."""
    under = tickets.under_maintenance(controller.store.db)
    for row in rows:
        row["maintenance"] = under.get(row["id"])
