"""Domain errors: each carries its HTTP status and, when it is about one field, the field.

One handler (service.extensions.Api) turns them into flask-smorest's error shape
``{code, status, message, errors}`` so a domain 422 looks exactly like a
marshmallow 422.
"""

from __future__ import annotations


class DomainError(Exception):
    """A client's request cannot be carried out as asked."""

    status = 400

    def __init__(self, message: str, *, field: str | None = None, location: str = "json", headers: dict | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.location = location
        self.headers = headers or {}

    def errors(self) -> dict | None:
        """Return the errors mapping in webargs' shape, or None when no field is named."""
        if not self.field:
            return None
        return {self.location: {self.field: [self.message]}}


class ValidationFailed(DomainError):
    """The request is well-formed but a value in it is not acceptable."""

    status = 422


class NotFound(DomainError):
    """The resource does not exist for this caller (other tenants' rows included)."""

    status = 404


class Conflict(DomainError):
    """The request conflicts with the resource's current state."""

    status = 409


class PreconditionFailed(DomainError):
    """The caller's copy of the resource is stale (If-Match)."""

    status = 412


class Unauthorized(DomainError):
    """No valid credentials were presented."""

    status = 401

    def __init__(self, message: str = "Sign-in required.", **kwargs):
        kwargs.setdefault("headers", {"WWW-Authenticate": "Bearer"})
        super().__init__(message, **kwargs)


class Forbidden(DomainError):
    """The caller is known but may not do this."""

    status = 403


class TooManyRequests(DomainError):
    """The caller must wait before trying again."""

    status = 429

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message, headers={"Retry-After": str(int(retry_after))})
        self.retry_after = retry_after
