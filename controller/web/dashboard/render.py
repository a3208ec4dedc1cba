"""Who is looking, in which language, and rendering a page for them (templates, CSRF, flash messages)."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from markupsafe import Markup

from controller.domain import sessions
from controller.domain.auth import ROLES, Principal
from controller.domain.opening import zone
from controller.errors import Forbidden, Unauthorized
from controller.web.dashboard.i18n import LANG_COOKIE, request_lang, translator
from controller.web.deps import COOKIE, ControllerDep

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
templates = Jinja2Templates(directory=TEMPLATES)


def _tojson_script(value: Any) -> Markup:
    """JSON safe inside <script type="application/json">."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _num(value: float | int | None) -> str:
    return "—" if value is None else f"{value:,}" if isinstance(value, int) else f"{value:,.1f}"


@pass_context
def _when(context: Any, value: str | None) -> str:
    """An ISO instant as "2025-05-12 09:30" in the controller's time zone (agents report UTC "…Z")."""
    if not value:
        return "—"
    try:
        instant = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return str(value)
    if instant.tzinfo is not None:
        instant = instant.astimezone(zone(context["request"].app.state.settings.timezone))
    return instant.strftime("%Y-%m-%d %H:%M")


def _size(value: float | int | None) -> str:
    if value is None:
        return "—"
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if value >= scale:
            return f"{value / scale:.1f} {unit}"
    return f"{value} B"


def _gb(value: object) -> str:
    # Health comes from devices: a missing or non-numeric disk_free must not break the fleet page.
    if not isinstance(value, int | float) or isinstance(value, bool):
        return "—"
    return f"{value / 1e9:.1f} GB"


def _region(value: str | None) -> str:
    """A region path spaced out so it wraps between levels: guangdong / shenzhen / nanshan."""
    return " / ".join((value or "").split("/"))


templates.env.filters["when"] = _when
templates.env.filters["region"] = _region
templates.env.filters["gb"] = _gb
templates.env.filters["size"] = _size
templates.env.filters["jsonscript"] = _tojson_script
templates.env.filters["pct"] = _pct
templates.env.filters["num"] = _num


def page_principal(request: Request, controller: ControllerDep) -> Principal:
    """The person behind the login cookie; not logged in (or a device token): off to /login."""
    try:
        principal = sessions.principal_for(
            controller.store.db, request.cookies.get(COOKIE), controller.clock.now(), controller.settings.admin_token
        )
    except Unauthorized:
        principal = None
    if principal is None or principal.level < 0:
        raise HTTPException(status_code=303, headers={"Location": "/login"})
    return principal


PageUser = Annotated[Principal, Depends(page_principal)]


def csrf_token(request: Request) -> str:
    """A form token bound to the login cookie: another site cannot forge a write (the cookie is also SameSite)."""
    secret = request.cookies.get(COOKIE) or ""
    return hmac.new(secret.encode(), b"kepu-dashboard-form", hashlib.sha256).hexdigest()


def check_csrf(request: Request, token: str) -> None:
    if not hmac.compare_digest(csrf_token(request), token or ""):
        raise Forbidden("the form is out of date; reload the page and try again")


def can(principal: Principal, role: str) -> bool:
    return principal.level >= ROLES.index(role)


def render(
    request: Request, name: str, context: dict[str, Any], principal: Principal | None = None, status: int = 200
) -> Response:
    """Render a page with the shared context: user, language, translator, CSRF token, flash messages."""
    lang = request_lang(request)
    base = {
        "principal": principal,
        "lang": lang,
        "_": translator(lang),
        "csrf": csrf_token(request),
        "can_write": principal is not None and can(principal, "technician"),
        "can_review": principal is not None and can(principal, "reviewer"),
        "flash_ok": request.query_params.get("ok"),
        "flash_error": request.query_params.get("error"),
        "path": request.url.path,
        "open_alerts": _open_alerts(request, principal),
        "query": dict(request.query_params),
        "storage": request.app.state.controller.storage.report() if principal is not None else None,
    }
    response = templates.TemplateResponse(request, name, {**base, **context}, status_code=status)
    if request.query_params.get("lang") in ("zh", "en"):
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax")
    return response


def _open_alerts(request: Request, principal: Principal | None) -> int:
    """The navigation badge: open alerts in the viewer's scope."""
    if principal is None or principal.level < 0:
        return 0
    from controller.domain.alerts import open_count

    return open_count(request.app.state.controller.store.db, principal)


def back(url: str, ok: str | None = None, error: str | None = None) -> RedirectResponse:
    """Post/redirect/get: back to a page with a message key (ok) or the domain's error text."""
    params = {k: v for k, v in (("ok", ok), ("error", error)) if v}
    sep = "&" if "?" in url else "?"
    return RedirectResponse(url + (sep + urlencode(params) if params else ""), status_code=303)
