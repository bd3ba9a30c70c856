"""Console sign-in: the API's login rules and throttle, a revocable server-side session, cookie flags, timeouts."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from service.clock import now_utc
from service.domain import clinicians
from service.extensions import db
from service.models import AuthSession
from tests import factories
from tests.web.conftest import csrf_of, post, sign_in


def _sid(client) -> str | None:
    with client.session_transaction("/console/") as session:
        return session.get("sid")


def test_sign_in_with_email_and_password_lands_on_the_queue(client, world):
    nurse = world.nurse.principal
    response = sign_in(client, nurse)
    assert response.status_code == 302 and response.headers["Location"] == "/console/queue"
    queue = client.get("/console/queue")
    assert queue.status_code == 200
    assert nurse.name in queue.get_data(as_text=True)
    row = db.session.get(AuthSession, uuid.UUID(_sid(client)))
    assert row.clinician_id == nurse.id and row.revoked_at is None


def test_wrong_password_is_refused_with_a_plain_message(client, world):
    response = sign_in(client, world.nurse.principal, password="not the password at all")
    assert response.status_code == 401
    assert "Email or password is incorrect." in response.get_data(as_text=True)
    assert _sid(client) is None


def test_console_and_api_share_one_throttle(client, world):
    nurse = world.nurse.principal
    for _ in range(5):
        assert sign_in(client, nurse, password="wrong wrong wrong wrong").status_code == 401
    locked = sign_in(client, nurse)  # the right password, but the account is throttled
    assert locked.status_code == 429 and "Retry-After" in locked.headers
    api = client.post("/api/v1/auth/login", json={"email": nurse.email, "password": factories.PASSWORD})
    assert api.status_code == 429


def test_deactivated_clinician_cannot_sign_in(client, world):
    nurse = world.nurse.principal
    nurse.active = False
    db.session.commit()
    assert sign_in(client, nurse).status_code == 401


def test_cookie_is_httponly_samesite_lax_scoped_to_the_console_and_secure_over_https(app, world):
    plain = app.test_client()
    answer = sign_in(plain, world.nurse.principal)
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/console" in cookie
    assert "Secure" not in cookie

    tls = app.test_client()
    page = tls.get("/console/sign-in", base_url="https://localhost")
    assert "Secure" in page.headers["Set-Cookie"]
    token = csrf_of(tls)
    answer = tls.post(
        "/console/sign-in",
        data={"email": world.nurse.principal.email, "password": factories.PASSWORD, "csrf_token": token},
        base_url="https://localhost",
    )
    assert answer.status_code == 302
    assert "Secure" in answer.headers["Set-Cookie"] and "HttpOnly" in answer.headers["Set-Cookie"]


def test_signing_in_starts_a_new_session_and_token(client, world):
    before = csrf_of(client)
    sign_in(client, world.nurse.principal)
    assert csrf_of(client) != before


def test_sign_out_ends_the_server_side_session(client, world):
    sign_in(client, world.nurse.principal)
    sid = uuid.UUID(_sid(client))
    with client.session_transaction("/console/") as session:
        stolen = dict(session)
    response = post(client, "/console/sign-out")
    assert response.status_code == 302 and response.headers["Location"] == "/console/sign-in"
    assert client.get("/console/queue").status_code == 302
    db.session.rollback()
    assert db.session.get(AuthSession, sid).revoked_reason == "logout"
    # A copy of the cookie taken before sign-out is worthless: the row behind it is revoked.
    with client.session_transaction("/console/") as session:
        session.update(stolen)
    again = client.get("/console/queue")
    assert again.status_code == 302 and "ended=revoked" in again.headers["Location"]


def test_idle_for_30_minutes_signs_out_and_revokes(client, world):
    sign_in(client, world.nurse.principal)
    sid = uuid.UUID(_sid(client))
    with client.session_transaction("/console/") as session:
        session["seen"] -= 31 * 60
    response = client.get("/console/queue")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/console/sign-in") and "ended=idle" in response.headers["Location"]
    db.session.rollback()
    assert db.session.get(AuthSession, sid).revoked_reason == "console_idle"
    page = client.get(response.headers["Location"])
    assert "30 minutes without activity" in page.get_data(as_text=True)


def test_activity_keeps_the_session_but_the_queue_refresh_does_not(client, world):
    sign_in(client, world.nurse.principal)
    with client.session_transaction("/console/") as session:
        session["seen"] -= 20 * 60
        stale = session["seen"]
    assert client.get("/console/queue/rows").status_code == 200
    with client.session_transaction("/console/") as session:
        assert session["seen"] == stale  # the 30-second refresh is not activity
    assert client.get("/console/patients").status_code == 200
    with client.session_transaction("/console/") as session:
        assert session["seen"] > stale


def test_refresh_after_idle_answers_401_so_the_page_reloads_to_sign_in(client, world):
    sign_in(client, world.nurse.principal)
    with client.session_transaction("/console/") as session:
        session["seen"] -= 31 * 60
    assert client.get("/console/queue/rows").status_code == 401
    reload = client.get("/console/queue")  # what the page's script does next
    assert reload.status_code == 302 and "ended=idle" in reload.headers["Location"]


def test_deactivating_a_clinician_ends_their_console_session(app, client, world):
    nurse = world.nurse.principal
    sign_in(client, nurse)
    assert client.get("/console/queue").status_code == 200
    clinicians.update_clinician(
        db.session, clinician=nurse, actor=world.admin.principal, changes={"active": False}, now=now_utc()
    )
    db.session.commit()
    response = client.get("/console/queue")
    assert response.status_code == 302 and "ended=revoked" in response.headers["Location"]


def test_sign_in_goes_back_to_the_page_asked_for_but_never_off_site(client, world, patient):
    first = client.get(f"/console/patients/{patient.id}")
    assert first.status_code == 302
    assert first.headers["Location"] == f"/console/sign-in?next=/console/patients/{patient.id}"
    token = csrf_of(client)
    data = {"email": world.nurse.principal.email, "password": factories.PASSWORD, "csrf_token": token}
    back = client.post("/console/sign-in", data={**data, "next": f"/console/patients/{patient.id}"})
    assert back.headers["Location"] == f"/console/patients/{patient.id}"
    for evil in ("https://evil.example/", "//evil.example/console/", "/console/\\\\evil.example", "/api/v1/me"):
        post(client, "/console/sign-out")
        token = csrf_of(client)
        answer = client.post("/console/sign-in", data={**data, "csrf_token": token, "next": evil})
        assert answer.headers["Location"] == "/console/queue", evil


def test_pages_forbid_caching_framing_and_inline_scripts(console):
    response = console["nurse"].get("/console/queue")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    assert "<script>" not in html and " style=" not in html and "onclick" not in html


def test_api_answers_set_no_console_cookie(client, world):
    response = client.get("/api/v1/patients", headers=world.nurse.headers)
    assert response.status_code == 200 and "Set-Cookie" not in response.headers


def test_sign_in_page_redirects_when_already_signed_in(console):
    response = console["nurse"].get("/console/sign-in")
    assert response.status_code == 302 and response.headers["Location"] == "/console/queue"


def test_a_tampered_cookie_is_ignored(client, world):
    sign_in(client, world.nurse.principal)
    with client.session_transaction("/console/") as session:
        session["sid"] = "not-a-uuid"
    response = client.get("/console/queue")
    assert response.status_code == 302
    db.session.rollback()
    assert all(revoked is None for revoked in db.session.scalars(select(AuthSession.revoked_at)))
