"""Sign-in flows: login, expiry, refresh rotation and reuse, logout, enrollment, revocation, throttling."""

from __future__ import annotations

from datetime import timedelta

import jwt
import pytest
import time_machine
from sqlalchemy import func, select

from service.clock import now_utc
from service.enums import Role
from service.extensions import db
from service.models import AuthFailure, AuthSession, Device, EnrollmentCode, RefreshToken
from tests import factories
from tests.factories import PASSWORD, bearer


def login(client, email, password=PASSWORD, **kwargs):
    return client.post("/api/v1/auth/login", json={"email": email, "password": password}, **kwargs)


@pytest.fixture()
def clinic(app):
    return factories.make_clinic()


@pytest.fixture()
def nurse(clinic):
    return factories.make_clinician(clinic, Role.NURSE, email="Nurse.Joy@clinic.test".lower())


def test_login_returns_token_pair(client, nurse):
    response = login(client, "  NURSE.JOY@clinic.test ")
    assert response.status_code == 200
    body = response.get_json()
    assert body["token_type"] == "Bearer"
    assert 0 < body["expires_in"] <= 15 * 60
    assert body["access_token"] and body["refresh_token"]
    me = client.get("/api/v1/patients", headers=bearer(body["access_token"]))
    assert me.status_code == 200


def test_wrong_password_and_unknown_email_look_the_same(client, nurse):
    wrong = login(client, nurse.email, "not the right password at all")
    unknown = login(client, "nobody@clinic.test")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.get_json()["message"] == unknown.get_json()["message"]
    assert wrong.get_json()["code"] == 401


def test_inactive_clinician_cannot_log_in(client, clinic):
    gone = factories.make_clinician(clinic, active=False)
    assert login(client, gone.email).status_code == 401


def test_access_token_expires(app, client, nurse):
    pair = factories.tokens_for(app, nurse, now=now_utc() - timedelta(minutes=16))
    response = client.get("/api/v1/patients", headers=bearer(pair))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.get_json()["code"] == 401


def test_token_with_wrong_key_or_alg_none_is_rejected(app, client, nurse):
    pair = factories.tokens_for(app, nurse)
    claims = jwt.decode(pair.access_token, options={"verify_signature": False})
    forged = jwt.encode(claims, "some-other-key-of-sufficient-length-000", algorithm="HS256")
    unsigned = jwt.encode(claims, key=None, algorithm="none")
    for token in (forged, unsigned, pair.access_token + "x", "garbage"):
        assert client.get("/api/v1/patients", headers=bearer(token)).status_code == 401
    assert client.get("/api/v1/patients", headers=bearer(pair)).status_code == 200


def refresh(client, token):
    return client.post("/api/v1/auth/refresh", json={"refresh_token": token})


def test_refresh_rotates_and_reuse_after_the_grace_window_revokes_family(app, client, nurse):
    with time_machine.travel(now_utc(), tick=False) as clock:
        first = factories.tokens_for(app, nurse)
        rotated = refresh(client, first.refresh_token)
        assert rotated.status_code == 200
        second = rotated.get_json()
        assert second["refresh_token"] != first.refresh_token
        assert client.get("/api/v1/patients", headers=bearer(second["access_token"])).status_code == 200

        # The old refresh token used again 31 s later (the window is 30 s): 401, and the whole family
        # dies (access and newest refresh).
        clock.shift(timedelta(seconds=31))
        replay = refresh(client, first.refresh_token)
        assert replay.status_code == 401
        assert "ended" in replay.get_json()["message"]
        assert client.get("/api/v1/patients", headers=bearer(second["access_token"])).status_code == 401
        assert refresh(client, second["refresh_token"]).status_code == 401


def test_a_lost_refresh_answer_is_given_again_within_the_grace_window(app, client, nurse):
    with time_machine.travel(now_utc(), tick=False) as clock:
        first = factories.tokens_for(app, nurse)
        second = refresh(client, first.refresh_token).get_json()  # the phone never sees this answer
        clock.shift(timedelta(seconds=30))
        again = refresh(client, first.refresh_token)
        assert again.status_code == 200
        body = again.get_json()
        assert (body["access_token"], body["refresh_token"]) == (second["access_token"], second["refresh_token"])
        assert body["expires_in"] == second["expires_in"] - 30
        assert client.get("/api/v1/patients", headers=bearer(body["access_token"])).status_code == 200
        # One family, one successor, and no token stored as itself.
        db.session.expire_all()
        assert db.session.scalar(select(func.count()).select_from(AuthSession)) == 1
        rows = db.session.execute(select(RefreshToken.__table__)).all()
        assert len(rows) == 2
        assert not any(token in str(row) for row in rows for token in (first.refresh_token, body["refresh_token"]))

        # The sign-in goes on: the replayed pair rotates as usual.
        third = refresh(client, body["refresh_token"])
        assert third.status_code == 200
        # Now the first token's pair has been used: presenting the first token again is reuse, even in the window.
        assert refresh(client, first.refresh_token).status_code == 401
        assert client.get("/api/v1/patients", headers=bearer(third.get_json()["access_token"])).status_code == 401


def test_the_grace_window_runs_from_the_first_use_and_is_a_setting(app, client, nurse, monkeypatch):
    with time_machine.travel(now_utc(), tick=False) as clock:
        first = factories.tokens_for(app, nurse)
        assert refresh(client, first.refresh_token).status_code == 200
        clock.shift(timedelta(seconds=20))
        assert refresh(client, first.refresh_token).status_code == 200
        clock.shift(timedelta(seconds=20))  # 40 s after the first use: replays never extend the window
        assert refresh(client, first.refresh_token).status_code == 401

        monkeypatch.setitem(app.config, "REFRESH_REUSE_GRACE", timedelta(0))
        monkeypatch.delitem(app.extensions, "aftercare_auth")  # read the settings from the config again
        other = factories.tokens_for(app, nurse)
        assert refresh(client, other.refresh_token).status_code == 200
        clock.shift(timedelta(seconds=1))
        assert refresh(client, other.refresh_token).status_code == 401


def test_no_replay_after_the_sign_in_ended(app, client, nurse):
    with time_machine.travel(now_utc(), tick=False) as clock:
        first = factories.tokens_for(app, nurse)
        second = refresh(client, first.refresh_token).get_json()
        assert client.post("/api/v1/auth/logout", headers=bearer(second["access_token"])).status_code == 204
        clock.shift(timedelta(seconds=5))
        assert refresh(client, first.refresh_token).status_code == 401


def test_two_racing_refreshes_share_one_rotation(app, nurse):
    first = factories.tokens_for(app, nurse)
    answers = factories.at_once(app, lambda c: refresh(c, first.refresh_token), times=2)
    assert [answer.status_code for answer in answers] == [200, 200]
    pairs = {(answer.get_json()["access_token"], answer.get_json()["refresh_token"]) for answer in answers}
    assert len(pairs) == 1
    db.session.expire_all()
    sessions = select(func.count()).select_from(AuthSession)
    assert db.session.scalar(sessions) == 1
    assert db.session.scalar(sessions.where(AuthSession.revoked_at.isnot(None))) == 0
    assert db.session.scalar(select(func.count()).select_from(RefreshToken)) == 2
    [(access, _)] = pairs
    with app.test_client() as c:
        assert c.get("/api/v1/patients", headers=bearer(access)).status_code == 200


def test_unknown_refresh_token(client):
    assert client.post("/api/v1/auth/refresh", json={"refresh_token": "nope"}).status_code == 401


def test_expired_refresh_token(app, client, nurse):
    old = factories.tokens_for(app, nurse, now=now_utc() - app.config["CLINICIAN_REFRESH_TTL"] - timedelta(1))
    assert client.post("/api/v1/auth/refresh", json={"refresh_token": old.refresh_token}).status_code == 401


def test_logout_kills_access_token_at_once(app, client, nurse):
    pair = factories.tokens_for(app, nurse)
    response = client.post("/api/v1/auth/logout", headers=bearer(pair), json={"refresh_token": pair.refresh_token})
    assert response.status_code == 204
    assert client.get("/api/v1/patients", headers=bearer(pair)).status_code == 401
    assert client.post("/api/v1/auth/refresh", json={"refresh_token": pair.refresh_token}).status_code == 401


def test_logout_without_body(app, client, nurse):
    pair = factories.tokens_for(app, nurse)
    assert client.post("/api/v1/auth/logout", headers=bearer(pair)).status_code == 204
    assert client.get("/api/v1/patients", headers=bearer(pair)).status_code == 401


def test_logout_leaves_other_sessions_alone(app, client, nurse):
    laptop, tablet = factories.tokens_for(app, nurse), factories.tokens_for(app, nurse)
    client.post("/api/v1/auth/logout", headers=bearer(laptop))
    assert client.get("/api/v1/patients", headers=bearer(tablet)).status_code == 200


def test_logout_cannot_end_someone_elses_session(app, client, clinic, nurse):
    other = factories.make_clinician(clinic, Role.PHYSICIAN)
    mine, theirs = factories.tokens_for(app, nurse), factories.tokens_for(app, other)
    client.post("/api/v1/auth/logout", headers=bearer(mine), json={"refresh_token": theirs.refresh_token})
    assert client.get("/api/v1/patients", headers=bearer(theirs)).status_code == 200


def test_deactivating_a_clinician_kills_their_tokens(app, client, clinic, nurse):
    admin = factories.make_clinician(clinic, Role.ADMIN)
    nurse_pair, admin_pair = factories.tokens_for(app, nurse), factories.tokens_for(app, admin)
    response = client.patch(f"/api/v1/clinicians/{nurse.id}", headers=bearer(admin_pair), json={"active": False})
    assert response.status_code == 200
    assert response.get_json()["active"] is False
    assert client.get("/api/v1/patients", headers=bearer(nurse_pair)).status_code == 401
    assert client.post("/api/v1/auth/refresh", json={"refresh_token": nurse_pair.refresh_token}).status_code == 401


def test_admin_cannot_deactivate_themselves(app, client, clinic):
    admin = factories.make_clinician(clinic, Role.ADMIN)
    pair = factories.tokens_for(app, admin)
    response = client.patch(f"/api/v1/clinicians/{admin.id}", headers=bearer(pair), json={"active": False})
    assert response.status_code == 409


# --- enrollment -------------------------------------------------------------------------------------------


def issue_code(client, app, clinic, patient):
    nurse = factories.make_clinician(clinic, Role.NURSE)
    response = client.post(
        f"/api/v1/patients/{patient.id}/enrollment-codes", headers=bearer(factories.tokens_for(app, nurse))
    )
    assert response.status_code == 201
    return response.get_json()


def test_enrollment_pairs_a_phone_once(app, client, clinic):
    patient = factories.make_patient(clinic)
    issued = issue_code(client, app, clinic, patient)
    assert len(issued["code"]) == 14  # XXXX-XXXX-XXXX
    body = {
        "code": issued["code"].lower().replace("-", " "),
        "device_name": "Pixel",
        "platform": "android",
        "push_token": "fcm-token-123",
    }
    response = client.post("/api/v1/auth/enroll", json=body)
    assert response.status_code == 200
    tokens = response.get_json()
    assert tokens["patient_id"] == str(patient.id)
    assert tokens["token_type"] == "Bearer"
    me = client.get("/api/v1/me", headers=bearer(tokens["access_token"]))
    assert me.status_code == 200 and me.get_json()["id"] == str(patient.id)
    # One-time: the same code again fails.
    assert client.post("/api/v1/auth/enroll", json=body).status_code == 401
    assert db.session.scalar(select(func.count()).select_from(Device)) == 1


def test_enrollment_code_is_stored_hashed_and_expires(app, client, clinic):
    patient = factories.make_patient(clinic)
    issued = issue_code(client, app, clinic, patient)
    stored = db.session.scalars(select(EnrollmentCode.code_hash)).all()
    assert issued["code"] not in stored and issued["code"].replace("-", "") not in stored
    row = db.session.scalar(select(EnrollmentCode))
    assert row.expires_at - row.created_at == timedelta(hours=72)
    row.expires_at = now_utc() - timedelta(seconds=1)
    db.session.commit()
    body = {"code": issued["code"], "device_name": "Pixel", "platform": "android"}
    assert client.post("/api/v1/auth/enroll", json=body).status_code == 401


def test_new_code_replaces_unused_one(app, client, clinic):
    patient = factories.make_patient(clinic)
    first = issue_code(client, app, clinic, patient)
    second = issue_code(client, app, clinic, patient)
    body = {"device_name": "Phone", "platform": "ios"}
    assert client.post("/api/v1/auth/enroll", json={**body, "code": first["code"]}).status_code == 401
    assert client.post("/api/v1/auth/enroll", json={**body, "code": second["code"]}).status_code == 200


def test_revoking_a_device_kills_its_tokens(app, client, clinic):
    patient = factories.make_patient(clinic)
    device = factories.make_device(patient)
    phone = factories.tokens_for(app, device)
    nurse = factories.make_clinician(clinic)
    assert client.get("/api/v1/me", headers=bearer(phone)).status_code == 200
    response = client.delete(
        f"/api/v1/patients/{patient.id}/devices/{device.id}", headers=bearer(factories.tokens_for(app, nurse))
    )
    assert response.status_code == 204
    assert client.get("/api/v1/me", headers=bearer(phone)).status_code == 401
    assert client.post("/api/v1/auth/refresh", json={"refresh_token": phone.refresh_token}).status_code == 401


def test_discharge_unpairs_phones(app, client, clinic):
    patient = factories.make_patient(clinic)
    phone = factories.tokens_for(app, factories.make_device(patient))
    nurse = factories.tokens_for(app, factories.make_clinician(clinic))
    response = client.patch(f"/api/v1/patients/{patient.id}", headers=bearer(nurse), json={"status": "discharged"})
    assert response.status_code == 200
    assert client.get("/api/v1/me", headers=bearer(phone)).status_code == 401


def test_device_refresh_keeps_patient(app, client, clinic):
    patient = factories.make_patient(clinic)
    phone = factories.tokens_for(app, factories.make_device(patient))
    response = client.post("/api/v1/auth/refresh", json={"refresh_token": phone.refresh_token})
    assert response.status_code == 200
    assert client.get("/api/v1/me", headers=bearer(response.get_json()["access_token"])).status_code == 200


# --- throttling -------------------------------------------------------------------------------------------


def test_failed_logins_are_throttled_per_account(app, client, nurse):
    limit = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    for _ in range(limit):
        assert login(client, nurse.email, "wrong password, wrong password").status_code == 401
    blocked = login(client, nurse.email)  # even the right password waits now
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    assert blocked.get_json()["code"] == 429
    # Another account from the same address is not locked out by this one.
    other = factories.make_clinician(nurse_clinic(nurse))
    assert login(client, other.email).status_code == 200


def nurse_clinic(nurse):
    from service.models import Clinic

    return db.session.get(Clinic, nurse.clinic_id)


def test_failed_logins_are_throttled_per_address(app, client, nurse):
    limit = app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"]
    now = now_utc()
    db.session.add_all([AuthFailure(account=f"acct-{i}", address="10.9.8.7", at=now) for i in range(limit)])
    db.session.commit()
    blocked = login(client, nurse.email, environ_base={"REMOTE_ADDR": "10.9.8.7"})
    assert blocked.status_code == 429
    assert login(client, nurse.email, environ_base={"REMOTE_ADDR": "10.9.8.8"}).status_code == 200


def test_throttle_window_slides(app, client, nurse):
    limit = app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"]
    old = now_utc() - app.config["LOGIN_WINDOW"] - timedelta(seconds=5)
    db.session.add_all([AuthFailure(account=None, address="10.1.1.1", at=old) for _ in range(limit * 2)])
    db.session.commit()
    assert login(client, nurse.email, environ_base={"REMOTE_ADDR": "10.1.1.1"}).status_code == 200


def test_enrollment_guessing_is_throttled(app, client):
    limit = app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"]
    body = {"device_name": "Phone", "platform": "ios"}
    for i in range(limit):
        response = client.post("/api/v1/auth/enroll", json={**body, "code": f"AAAA-BBBB-{i:04d}"})
        assert response.status_code == 401
    assert client.post("/api/v1/auth/enroll", json={**body, "code": "AAAA-BBBB-CCCC"}).status_code == 429
