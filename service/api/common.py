"""Helpers every HTTP handler uses: the caller, their address, paging over SELECTs, If-Match."""

from __future__ import annotations

import re
from functools import wraps
from http import HTTPStatus

from flask import current_app, g, request, stream_with_context
from flask_smorest import Page
from sqlalchemy import func, select

from service.api import audit_trail
from service.clock import now_utc
from service.domain.auth import AuthSettings, Principal, authenticate
from service.enums import PrincipalKind, Role
from service.errors import Forbidden, PreconditionFailed, Unauthorized
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


def etag(version: int) -> str:
    """The ETag a versioned resource is answered with; the client sends it back in If-Match."""
    return f'"{version}"'


def etag_header(what: str) -> dict:
    """The ETag response header as the OpenAPI document describes it."""
    return {"ETag": {"description": f"The {what}'s version; send it back in If-Match", "schema": {"type": "string"}}}


def csv_response(columns: tuple[str, ...], description: str) -> dict:
    """The keyword arguments of ``blp.response(200, **...)`` documenting a CSV attachment with a header row."""
    return {
        "schema": {"type": "string", "description": "CSV with a header row: " + ", ".join(columns)},
        "content_type": "text/csv",
        "description": description,
        "headers": {"Content-Disposition": {"schema": {"type": "string"}, "description": "attachment; filename=…"}},
    }


def csv_attachment(chunks, *, filename: str, stream: bool = False):
    """A CSV answer as a download that no cache keeps (the body is CSV bytes, or chunks streamed in the request)."""
    if stream:
        response = current_app.response_class(stream_with_context(chunks), mimetype="text/csv", direct_passthrough=True)
    else:
        response = current_app.response_class(b"".join(chunks), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


# Versions are 32-bit integer columns: no ETag this API sends is larger.
MAX_VERSION = 2**31 - 1
_STRONG_ETAG = re.compile(r'\s*("?)([0-9]{1,10})\1\s*')


def if_match_version(what: str = "resource") -> int | None:
    """The version the caller last saw (If-Match), or None when they sent none (or ``*``).

    Only a strong ETag this API could have sent is read: a weak one (``W/"1"``) never matches for a
    lost-update check (RFC 9110 13.1.1), and a version out of range matches nothing; both are a 412.
    """
    header = request.headers.get("If-Match")
    if not header or header.strip() == "*":
        return None
    match = _STRONG_ETAG.fullmatch(header)
    if header.lstrip().startswith("W/"):
        reason = f"If-Match must be the strong ETag this API sent for the {what}, not a weak one (W/)."
    elif not match or int(match.group(2)) > MAX_VERSION:
        reason = f"If-Match must be the ETag this API sent for the {what}."
    else:
        return int(match.group(2))
    raise PreconditionFailed(reason, field="If-Match", location="headers")


class Blueprint(_BaseBlueprint):
    """Adds access rules that both enforce and document who may call a view.

    Staff views are audited here, centrally: each successful call by a clinician appends an audit entry
    (service.api.audit_trail), in the same transaction as whatever the view changed.
    """

    def _guard(self, check, *, statuses: tuple[int, ...], audit: bool = False):
        def decorator(func):
            @wraps(func)
            def wrapper(*args, **kwargs):
                principal = _authenticate_request()
                check(principal)
                if not (audit and principal.kind == PrincipalKind.CLINICIAN):
                    return func(*args, **kwargs)
                audit_trail.begin(principal, ip=client_address())
                try:
                    response = func(*args, **kwargs)
                except BaseException:
                    audit_trail.abandon()
                    raise
                audit_trail.finish(response)
                return response

            wrapper = self.doc(security=BEARER_SECURITY)(wrapper)
            for status in statuses:
                wrapper = self.alt_response(status, response=HTTPStatus(status).name)(wrapper)
            return wrapper

        return decorator

    def staff(self, *roles: Role, audit: bool = True):
        """Clinicians only; with roles given, only those roles. Audited unless the view shows no patient data."""
        allowed = set(roles) if roles else set(Role)

        def check(principal: Principal) -> None:
            if principal.kind != PrincipalKind.CLINICIAN:
                raise Forbidden("This is for clinic staff.")
            if principal.role not in allowed:
                raise Forbidden("Your role does not allow this.")

        return self._guard(check, statuses=(401, 403), audit=audit)

    def patient(self):
        """A patient's paired phone only."""

        def check(principal: Principal) -> None:
            if principal.kind != PrincipalKind.DEVICE:
                raise Forbidden("This is for patients' phones.")

        return self._guard(check, statuses=(401, 403))

    def anyone_signed_in(self):
        """Any valid token, staff or patient."""
        return self._guard(lambda principal: None, statuses=(401,))

    def if_match(self, what: str):
        """Document the If-Match header a view reads (see if_match_version) and its 412."""
        parameter = {
            "in": "header",
            "name": "If-Match",
            "required": False,
            "schema": {"type": "string"},
            "description": f'The {what}\'s ETag as last read (a strong ETag such as "3"; weak ones are refused). '
            f"A 412 when the {what} has changed since; without it the change is made to whatever version is current.",
        }

        def decorator(func):
            func = self.doc(parameters=[parameter])(func)
            return self.alt_response(412, response=HTTPStatus(412).name)(func)

        return decorator

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
