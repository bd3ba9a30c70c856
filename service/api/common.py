"""Helpers every HTTP handler uses: the caller, their address, paging over SELECTs."""

from __future__ import annotations

from functools import wraps
from http import HTTPStatus

from flask import current_app, g, request
from flask_smorest import Page
from sqlalchemy import func, select

from service.clock import now_utc
from service.domain.auth import AuthSettings, Principal, authenticate
from service.enums import PrincipalKind, Role
from service.errors import Forbidden, Unauthorized
from service.extensions import Blueprint as _BaseBlueprint
from service.extensions import db

BEARER_SECURITY = [{"bearerAuth": []}]


def auth_settings() -> AuthSettings:
    """The sign-in settings of the running app."""
    settings = current_app.extensions.get("aftercare_auth")
    if settings is None:
        settings = current_app.extensions["aftercare_auth"] = AuthSettings.from_config(current_app.config)
    return settings


def client_address() -> str:
    """The caller's IP address (X-Forwarded-For is honoured only behind configured proxies)."""
    return request.remote_addr or "unknown"


def current_principal() -> Principal:
    """The authenticated caller of this request."""
    principal = g.get("principal")
    if principal is None:
        raise Unauthorized()
    return principal


def _authenticate_request() -> Principal:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized()
    principal = authenticate(db.session, token=token.strip(), settings=auth_settings(), now=now_utc())
    g.principal = principal
    return principal


class Blueprint(_BaseBlueprint):
    """Adds access rules that both enforce and document who may call a view."""

    def _guard(self, check, *, statuses: tuple[int, ...]):
        def decorator(func):
            @wraps(func)
            def wrapper(*args, **kwargs):
                check(_authenticate_request())
                return func(*args, **kwargs)

            wrapper = self.doc(security=BEARER_SECURITY)(wrapper)
            for status in statuses:
                wrapper = self.alt_response(status, response=HTTPStatus(status).name)(wrapper)
            return wrapper

        return decorator

    def staff(self, *roles: Role):
        """Clinicians only; with roles given, only those roles."""
        allowed = set(roles) if roles else set(Role)

        def check(principal: Principal) -> None:
            if principal.kind != PrincipalKind.CLINICIAN:
                raise Forbidden("This is for clinic staff.")
            if principal.role not in allowed:
                raise Forbidden("Your role does not allow this.")

        return self._guard(check, statuses=(401, 403))

    def patient(self):
        """A patient's paired phone only."""

        def check(principal: Principal) -> None:
            if principal.kind != PrincipalKind.DEVICE:
                raise Forbidden("This is for patients' phones.")

        return self._guard(check, statuses=(401, 403))

    def anyone_signed_in(self):
        """Any valid token, staff or patient."""
        return self._guard(lambda principal: None, statuses=(401,))

    def errors(self, *statuses: int):
        """Document error responses a view can give."""

        def decorator(func):
            for status in statuses:
                func = self.alt_response(status, response=HTTPStatus(status).name)(func)
            return func

        return decorator


class SelectPage(Page):
    """Pages a SQLAlchemy SELECT with LIMIT/OFFSET in the database."""

    @property
    def item_count(self):
        return db.session.scalar(select(func.count()).select_from(self.collection.order_by(None).subquery()))

    @property
    def items(self):
        params = self.page_params
        if params.first_item >= params.item_count:  # past the end (however far): an empty page
            return []
        return list(db.session.scalars(self.collection.offset(params.first_item).limit(params.page_size)))
