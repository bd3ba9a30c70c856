"""Console sign-in state: the cookie, the server-side session behind it, idle timeout, CSRF and page guards.

The browser holds a signed cookie (Flask's session) with the id of an AuthSession row, the same
kind of row an API sign-in opens. Every request looks the row up, so signing out, deactivating
the clinician or changing their password ends the console session at once. The cookie is
HttpOnly, SameSite=Lax, scoped to /console, and Secure whenever the request came over HTTPS.
"""

from __future__ import annotations

import hmac
import secrets
import uuid
from functools import wraps
from urllib.parse import urlsplit

from flask import abort, current_app, g, redirect, request, session, url_for
from flask.sessions import SecureCookieSessionInterface

from service.api import audit_trail
from service.clock import now_utc
from service.domain import auth
from service.domain.auth import Principal
from service.enums import Role
from service.errors import DomainError, Forbidden
from service.extensions import db

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


class ConsoleSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, marked Secure whenever the request itself is HTTPS."""

    def get_cookie_secure(self, app) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure

    def open_session(self, app, request):
        # Without the cookie there is nothing to verify: the API's requests (which never carry it) skip
        # building the signing serializer.
        if "HTTP_COOKIE" not in request.environ or not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app, session, response) -> None:
        if not session and not session.modified and not session.accessed:
            return  # as Flask does for an untouched empty session: no cookie, no Vary
        super().save_session(app, session, response)


class CsrfFailed(DomainError):
    """A form came without the token this browser's session was given."""

    status = 400


# --- CSRF -----------------------------------------------------------------------------------------


def csrf_token() -> str:
    """This browser session's CSRF token (made on first use; put in every form)."""
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def _same_origin(value: str) -> bool:
    parts = urlsplit(value)
    return f"{parts.scheme}://{parts.netloc}" == request.host_url.rstrip("/")


def check_csrf() -> None:
    """Refuse a state-changing request without the session's token (or from another origin)."""
    if request.method in SAFE_METHODS:
        return
    origin = request.headers.get("Origin")
    if origin and origin != "null" and not _same_origin(origin):
        raise CsrfFailed("This form was sent from another site and was refused.")
    expected = session.get("csrf")
    given = request.form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or ""
    if not expected or not hmac.compare_digest(expected.encode(), given.encode()):
        raise CsrfFailed("This form has expired or was not sent from this console. Reload the page and try again.")


# --- the signed-in clinician ---------------------------------------------------------------------------


def sign_in(principal_session_id: uuid.UUID) -> None:
    """Start a fresh cookie for a new console session (a new CSRF token too: no fixation)."""
    session.clear()
    now = int(now_utc().timestamp())
    session["sid"] = str(principal_session_id)
    session["since"] = now
    session["seen"] = now
    session["csrf"] = secrets.token_urlsafe(32)


def forget() -> None:
    """Drop the cookie's sign-in (keeps nothing but a fresh CSRF token for the sign-in form)."""
    session.clear()
    csrf_token()


def load_principal() -> None:
    """Before each console request: the live principal behind the cookie, with idle and absolute timeouts."""
    g.principal = None
    g.session_ended = None
    raw = session.get("sid")
    if not raw:
        return
    now = now_utc()
    try:
        session_id = uuid.UUID(raw)
        since, seen = int(session["since"]), int(session["seen"])
    except (KeyError, TypeError, ValueError):
        forget()
        return
    config = current_app.config
    stamp = now.timestamp()
    if stamp - seen > config["CONSOLE_IDLE_TIMEOUT"].total_seconds():
        ended = "idle"
    elif stamp - since > config["CONSOLE_MAX_SESSION"].total_seconds():
        ended = "expired"
    else:
        ended = None
    passive = getattr(current_app.view_functions.get(request.endpoint), "passive", False)
    principal = None if ended else auth.console_principal(db.session, session_id=session_id)
    if principal is None:
        if passive:  # the page's own refresh: answer 401 and let the reload that follows say why
            return
        if ended:
            auth.end_session(db.session, session_id=session_id, reason=f"console_{ended}", now=now)
            db.session.commit()
        g.session_ended = ended or "revoked"
        forget()
        return
    g.principal = principal
    if not passive:
        session["seen"] = int(stamp)


def current() -> Principal:
    """The signed-in clinician of this console request (guards make sure there is one)."""
    principal = g.get("principal")
    if principal is None:
        abort(401)
    return principal


def _safe_next(path: str | None) -> str | None:
    """Only a path inside the console is a place to go back to after sign-in."""
    if not path or not path.startswith("/console/") or path.startswith("//") or "\\" in path:
        return None
    return path


def next_target() -> str:
    """Where to go after signing in: the page asked for, else the queue."""
    return _safe_next(request.args.get("next") or request.form.get("next")) or url_for("console.triage.queue")


def page(*roles: Role, passive: bool = False):
    """A console page for signed-in staff (with roles given, only those roles).

    Anonymous browsers are sent to sign-in and brought back afterwards; a fragment fetched by
    the page's own script (passive) gets a bare 401 instead and does not count as activity.
    """
    allowed = frozenset(roles) if roles else frozenset(Role)
    refusal = "This page is for clinic " + " and ".join(f"{role}s" for role in sorted(allowed)) + "."

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            principal = g.get("principal")
            if principal is None:
                if passive:
                    abort(401)
                target = request.full_path.rstrip("?") if request.method == "GET" else None
                params = {"next": target} if _safe_next(target) else {}
                if g.get("session_ended"):
                    params["ended"] = g.session_ended
                return redirect(url_for("console.auth.sign_in", **params))
            if principal.role not in allowed:
                raise Forbidden(refusal)
            if passive:  # the queue's own refresh: the page that loaded it was audited already
                return view(*args, **kwargs)
            # Audited like the API: what this page showed or changed, in the same transaction.
            audit_trail.begin(principal, ip=request.remote_addr)
            try:
                response = current_app.make_response(view(*args, **kwargs))
            except BaseException:
                audit_trail.abandon()
                raise
            if response.status_code >= 400 and request.method not in SAFE_METHODS:
                audit_trail.refused_form()  # the form's page shown again: a read, not a write
            audit_trail.finish(response)
            return response

        wrapper.console_access = "admin" if roles == (Role.ADMIN,) else "staff"
        wrapper.passive = passive
        return wrapper

    return decorator


def public(view):
    """A console page anyone may open (the sign-in page)."""
    view.console_access = "public"
    return view
