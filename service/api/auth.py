"""Sign-in endpoints: /auth/login, /refresh, /logout, /enroll."""

from __future__ import annotations

from flask.views import MethodView

from schemas.auth import EnrollSchema, EnrollTokenSchema, LoginSchema, LogoutSchema, RefreshSchema, TokenSchema
from service.api.common import Blueprint, auth_settings, client_address, current_principal
from service.clock import now_utc
from service.domain import auth
from service.extensions import db

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Sign-in for staff and phones")


def _committing_failures(call):
    """Run a sign-in call; a recorded failure is committed before the 401 goes out."""
    try:
        result = call()
    except auth.AuthFailed:
        db.session.commit()
        raise
    db.session.commit()
    return result


@blp.route("/login")
class Login(MethodView):
    @blp.doc(operationId="login")
    @blp.arguments(LoginSchema)
    @blp.response(200, TokenSchema)
    @blp.errors(401, 429)
    def post(self, body):
        """Sign a clinician in with email and password."""
        return _committing_failures(
            lambda: auth.login(
                db.session,
                email=body["email"],
                password=body["password"],
                address=client_address(),
                settings=auth_settings(),
                now=now_utc(),
            )
        )


@blp.route("/refresh")
class Refresh(MethodView):
    @blp.doc(operationId="refreshTokens")
    @blp.arguments(RefreshSchema)
    @blp.response(200, TokenSchema)
    @blp.errors(401)
    def post(self, body):
        """Trade a refresh token for a new pair (the old one stops working).

        Presented again within 30 s of its rotation (the answer was lost), while the new pair is unused,
        the same token gets the same pair back; any other reuse ends the whole sign-in.
        """
        return _committing_failures(
            lambda: auth.refresh(
                db.session, refresh_token=body["refresh_token"], settings=auth_settings(), now=now_utc()
            )
        )


@blp.route("/logout")
class Logout(MethodView):
    @blp.doc(operationId="logout")
    @blp.anyone_signed_in()
    @blp.arguments(LogoutSchema, required=False)
    @blp.response(204)
    def post(self, body):
        """End this sign-in at once (access token and refresh tokens)."""
        auth.logout(db.session, principal=current_principal(), refresh_token=body.get("refresh_token"), now=now_utc())
        db.session.commit()


@blp.route("/enroll")
class Enroll(MethodView):
    @blp.doc(operationId="enrollDevice")
    @blp.arguments(EnrollSchema)
    @blp.response(200, EnrollTokenSchema)
    @blp.errors(401, 429)
    def post(self, body):
        """Pair a phone with the one-time code from the clinic."""
        return _committing_failures(
            lambda: auth.enroll(
                db.session,
                code=body["code"],
                device_name=body["device_name"],
                platform=body["platform"],
                push_token=body.get("push_token"),
                address=client_address(),
                settings=auth_settings(),
                now=now_utc(),
            )
        )
