"""Console sign-in and sign-out (the API's login rules and throttle, a cookie instead of tokens)."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from service.api.common import auth_settings, client_address
from service.clock import now_utc
from service.domain import auth
from service.errors import TooManyRequests
from service.extensions import db
from service.web import session as console

blp = Blueprint("auth", __name__)

ENDED = {
    "idle": "You were signed out after 30 minutes without activity. Sign in again to go on.",
    "expired": "Your sign-in reached its time limit. Sign in again to go on.",
    "revoked": "Your sign-in was ended (signed out elsewhere, password changed, or account deactivated).",
}


@blp.get("/sign-in")
@console.public
def sign_in():
    """Show the sign-in form (already signed in: go to the queue)."""
    if g.get("principal") is not None:
        return redirect(console.next_target())
    notice = ENDED.get(request.args.get("ended", ""))
    return render_template("console/sign_in.html", notice=notice, email="", next=request.args.get("next", ""))


@blp.post("/sign-in")
@console.public
def sign_in_post():
    """Check email and password under the sign-in throttle, then open a console session."""
    email = request.form.get("email", "").strip()
    password = request.form.get("password", "")
    now = now_utc()
    try:
        clinician = auth.check_credentials(
            db.session, email=email, password=password, address=client_address(), settings=auth_settings(), now=now
        )
    except auth.AuthFailed as failure:
        db.session.commit()  # the failure counts towards the throttle
        return _again(email, failure.message, 401)
    except TooManyRequests as refusal:
        return _again(email, refusal.message, 429, headers=refusal.headers)
    auth_session = auth.open_console_session(db.session, clinician=clinician, now=now)
    db.session.commit()
    target = console.next_target()
    console.sign_in(auth_session.id)
    return redirect(target)


def _again(email: str, message: str, status: int, headers: dict | None = None):
    page = render_template(
        "console/sign_in.html", error=message, email=email, next=request.form.get("next", ""), notice=None
    )
    return page, status, headers or {}


@blp.post("/sign-out")
@console.public
def sign_out():
    """End this console session at once."""
    principal = g.get("principal")
    if principal is not None:
        auth.end_session(db.session, session_id=principal.session_id, reason="logout", now=now_utc())
        db.session.commit()
    console.forget()
    flash("You are signed out.", "info")
    return redirect(url_for("console.auth.sign_in"))
