"""Domain errors; one FastAPI handler (controller.app) turns each into its HTTP status."""

from __future__ import annotations


class DomainError(Exception):
    """Base for every error the controller's core raises on purpose."""

    status = 400


class Invalid(DomainError):
    """The request is well-formed but its content is not acceptable."""

    status = 422


class NotFound(DomainError):
    """No such thing (or the caller may not see it: scopes never leak existence)."""

    status = 404


class Conflict(DomainError):
    """The change clashes with existing state (overlapping stays, duplicate ids, wrong status)."""

    status = 409


class Unauthorized(DomainError):
    """No or unknown credentials."""

    status = 401


class Forbidden(DomainError):
    """Known caller, but their role or region scope does not allow this."""

    status = 403
