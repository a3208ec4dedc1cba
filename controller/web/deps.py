"""FastAPI dependencies as Annotated aliases: the controller, its database, the authenticated caller."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlite_utils import Database

from controller.core import Controller
from controller.domain.auth import Principal, authenticate

COOKIE = "kepu_token"
_bearer = HTTPBearer(auto_error=False, description="An API token, the admin token or an exhibit's device token")


def get_controller(request: Request) -> Controller:
    return request.app.state.controller


ControllerDep = Annotated[Controller, Depends(get_controller)]


def get_db(controller: ControllerDep) -> Database:
    return controller.store.db


DbDep = Annotated[Database, Depends(get_db)]


def token_from(request: Request, credentials: HTTPAuthorizationCredentials | None) -> str | None:
    """The bearer token, or for reads only the dashboard's login cookie (writes need the header: no CSRF)."""
    if credentials is not None:
        return credentials.credentials
    if request.method in ("GET", "HEAD"):
        return request.cookies.get(COOKIE)
    return None


def current_principal(
    request: Request,
    controller: ControllerDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    return authenticate(controller.store.db, token_from(request, credentials), controller.settings.admin_token)


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def current_user(principal: CurrentPrincipal) -> Principal:
    """A person (at least a viewer); device tokens are only good for fetching packs."""
    principal.require("viewer")
    return principal


CurrentUser = Annotated[Principal, Depends(current_user)]
