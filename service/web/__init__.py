"""The clinicians' web console: server-rendered pages under /console on the same domain services as the API.

One parent blueprint ("console") carries the templates, the static files, the sign-in state,
CSRF, security headers and error pages; the page modules below are its children, registered
from one MODULES tuple.
"""

from __future__ import annotations

from flask import Blueprint, Flask, g, redirect, render_template, request, url_for
from werkzeug.exceptions import HTTPException

from service import extensions
from service.errors import DomainError
from service.extensions import db
from service.models import Clinic
from service.web import admin, adverse_events, analytics, auth, display, patients, session, triage, visits

MODULES = (auth, triage, patients, visits, adverse_events, analytics, admin)

# Scripts and styles only from our own static files: no inline script, no inline style, nothing external.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def create_blueprint() -> Blueprint:
    """The console blueprint with its page modules nested under /console."""
    console = Blueprint(
        "console",
        __name__,
        url_prefix="/console",
        template_folder="templates",
        static_folder="static",
        static_url_path="/static",
    )
    for module in MODULES:
        console.register_blueprint(module.blp)
    console.before_request(_before)
    console.after_request(_headers)
    console.register_error_handler(DomainError, _domain_error)
    console.app_context_processor(_context)
    console.add_app_template_global(session.csrf_token, "csrf_token")
    for name, function in display.FILTERS.items():
        console.add_app_template_filter(function, name)
    console.add_url_rule("/", endpoint="home", view_func=session.public(lambda: redirect(url_for(".triage.queue"))))
    return console


def register_console(app: Flask) -> None:
    """Attach the console to the app: the cookie session, the blueprint, HTML error pages under /console."""
    app.session_interface = session.ConsoleSessionInterface()
    app.register_blueprint(create_blueprint())
    app.add_url_rule("/", endpoint="root", view_func=lambda: redirect(url_for("console.triage.queue")))
    for status in (404, 405):
        app.register_error_handler(status, _http_error)


def _before():
    if request.endpoint == "console.static":
        return None
    session.check_csrf()
    session.load_principal()
    principal = g.principal
    g.clinic = db.session.get(Clinic, principal.clinic_id) if principal is not None else None
    return None


def _headers(response):
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    if response.mimetype == "text/html":
        # Pages carry health data: never stored by the browser or a proxy.
        response.headers["Cache-Control"] = "no-store"
    return response


def _context() -> dict:
    principal = g.get("principal")
    return {
        "principal": principal,
        "clinic": g.get("clinic"),
        "is_admin": principal is not None and principal.role == "admin",
        "reads_analytics": principal is not None and principal.role in analytics.READERS,
        "analytics_pages": analytics.PAGES,
    }


def _domain_error(error: DomainError):
    status = error.status
    if status == 401:
        return redirect(url_for("console.auth.sign_in"))
    titles = {400: "Refused", 403: "Not allowed", 404: "Not found", 409: "Already changed", 412: "Changed meanwhile"}
    page = render_template(
        "console/error.html", status=status, title=titles.get(status, "Not possible"), message=error.message
    )
    return page, status


def _http_error(error: HTTPException):
    """HTML for a missing console page; the API's JSON error shape everywhere else."""
    if request.path == "/console" or request.path.startswith("/console/"):
        if error.code == 401:
            return render_template("console/error.html", status=401, title="Signed out", message="Sign in again."), 401
        message = "There is no such page." if error.code == 404 else "This page cannot be used that way."
        return render_template("console/error.html", status=error.code, title=error.name, message=message), error.code
    return extensions.api.handle_http_exception(error)
