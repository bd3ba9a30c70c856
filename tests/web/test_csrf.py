"""CSRF: every state-changing console request needs this session's token and our own origin."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from service.extensions import db
from service.models import AdverseEvent, AuthFailure, AuthSession, Flag, FlagEvent
from service.rules import Priority
from tests.web.conftest import csrf_of, make_flag


@pytest.fixture()
def flag(patient):
    return make_flag(
        patient,
        priority=Priority.CRITICAL,
        rule="suicidal-ideation",
        reason="Suicidal thoughts.",
        due_in=timedelta(minutes=15),
    )


def _events(flag_id) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(FlagEvent).where(FlagEvent.flag_id == flag_id))


@pytest.mark.parametrize("token", [None, "", "not-the-token"], ids=["missing", "empty", "wrong"])
def test_post_without_the_sessions_token_is_refused_and_changes_nothing(console, flag, token):
    client = console["nurse"]
    events = _events(flag.id)
    data = {"text": "Should not be stored."}
    if token is not None:
        data["csrf_token"] = token
    response = client.post(f"/console/flags/{flag.id}/notes", data=data)
    assert response.status_code == 400
    assert "Reload the page" in response.get_data(as_text=True)
    assert _events(flag.id) == events

    refused = client.post(f"/console/flags/{flag.id}/acknowledge", data={})
    assert refused.status_code == 400
    db.session.rollback()
    assert db.session.get(Flag, flag.id).status == "open"


def test_token_of_another_session_does_not_work(console, flag):
    nurse, physician = console["nurse"], console["physician"]
    response = nurse.post(f"/console/flags/{flag.id}/notes", data={"text": "x", "csrf_token": csrf_of(physician)})
    assert response.status_code == 400


def test_post_from_another_origin_is_refused_even_with_the_token(console, flag):
    client = console["nurse"]
    response = client.post(
        f"/console/flags/{flag.id}/notes",
        data={"text": "Cross-site.", "csrf_token": csrf_of(client)},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 400
    assert "another site" in response.get_data(as_text=True)
    same = client.post(
        f"/console/flags/{flag.id}/notes",
        data={"text": "Same site.", "csrf_token": csrf_of(client)},
        headers={"Origin": "http://localhost"},
    )
    assert same.status_code == 302


def _adverse_event_form(zone: str) -> dict:
    from zoneinfo import ZoneInfo

    from service.clock import now_utc

    onset = (now_utc() - timedelta(hours=1)).astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M")
    return {
        "term": "Suicidal ideation",
        "grade": "2",
        "serious": "no",
        "causality": "possible",
        "action_taken": "none",
        "outcome": "recovering",
        "onset_at": onset,
        "narrative": "Passive thoughts the evening after the infusion; safety plan reviewed.",
    }


def _adverse_events() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(AdverseEvent))


@pytest.mark.parametrize("token", [None, "", "not-the-token"], ids=["missing", "empty", "wrong"])
def test_recording_an_adverse_event_needs_the_token(console, world, flag, token):
    client = console["nurse"]
    data = _adverse_event_form(world.clinic.time_zone)
    if token is not None:
        data["csrf_token"] = token
    response = client.post(f"/console/flags/{flag.id}/adverse-event", data=data)
    assert response.status_code == 400 and "Reload the page" in response.get_data(as_text=True)
    assert _adverse_events() == 0
    sent = client.post(f"/console/flags/{flag.id}/adverse-event", data={**data, "csrf_token": csrf_of(client)})
    assert sent.status_code == 302 and _adverse_events() == 1  # the same form with the token is recorded


def test_recording_an_adverse_event_from_another_origin_is_refused(console, world, flag):
    client = console["nurse"]
    response = client.post(
        f"/console/flags/{flag.id}/adverse-event",
        data={**_adverse_event_form(world.clinic.time_zone), "csrf_token": csrf_of(client)},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 400 and "another site" in response.get_data(as_text=True)
    assert _adverse_events() == 0


def test_sign_in_form_needs_the_token_too(client, world):
    """Login CSRF: a site cannot sign a browser in to an account of its choosing."""
    response = client.post(
        "/console/sign-in", data={"email": world.nurse.principal.email, "password": "correct horse battery staple 42"}
    )
    assert response.status_code == 400
    db.session.rollback()
    assert (
        db.session.scalar(
            select(func.count()).select_from(AuthSession).where(AuthSession.clinician_id == world.nurse.principal.id)
        )
        == 1
    )  # the world's API sign-in only
    assert db.session.scalar(select(func.count()).select_from(AuthFailure)) == 0


def test_sign_out_needs_the_token(console, world):
    client = console["nurse"]
    response = client.post("/console/sign-out", data={})
    assert response.status_code == 400
    assert client.get("/console/queue").status_code == 200


def test_every_form_on_a_page_carries_the_token(console, flag):
    client = console["admin"]
    token = csrf_of(client)
    for url in (
        f"/console/flags/{flag.id}",
        f"/console/patients/{flag.patient_id}",
        "/console/admin/staff",
        "/console/admin/settings",
    ):
        html = client.get(url).get_data(as_text=True)
        forms = html.count('method="post"')
        assert forms >= 1
        assert html.count(f'name="csrf_token" value="{token}"') >= forms, url
