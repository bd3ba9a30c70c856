"""The crisis loop in the console: new evidence shows in the queue and on the flag, pages and their delivery on
the history, the safety screen on the report, and a course verdict that puts the crisis first."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select

from service.clock import now_utc
from service.enums import Role
from service.extensions import db
from service.models import Flag
from tests import factories
from tests.web.conftest import post

REPORTS = "/api/v1/me/reports"


def report(client, world, **values) -> dict:
    body = {
        "client_report_id": str(uuid.uuid4()),
        "observed_at": (now_utc() - timedelta(minutes=1)).isoformat(),
        "symptoms": [{"code": "nausea", "severity": 1}],
        **values,
    }
    response = client.post(REPORTS, json=body, headers=world.patient.headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def crisis_flag(world) -> Flag:
    db.session.rollback()
    db.session.expire_all()
    return db.session.scalar(
        select(Flag).where(Flag.patient_id == world.patient.principal.patient_id, Flag.rule == "suicidal-ideation")
    )


def test_new_evidence_after_an_acknowledgement_shows_in_the_queue_and_on_the_flag(client, console, world):
    on_call = factories.make_clinician(world.clinic, Role.NURSE, on_call=True)
    report(client, world, suicidal_thoughts=True)
    flag = crisis_flag(world)
    queue = console["nurse"].get("/console/queue").get_data(as_text=True)
    assert "New since acknowledged" not in queue
    acked = post(console["nurse"], f"/console/flags/{flag.id}/acknowledge", {"version": str(flag.version)})
    assert acked.status_code in (302, 303) and crisis_flag(world).status == "acknowledged"
    later = report(client, world, note="I am going to kill myself tonight")
    assert crisis_flag(world).status == "open"  # (also drops the test session's stale rows: pages share it)

    queue = console["nurse"].get("/console/queue").get_data(as_text=True)
    assert "New since acknowledged" in queue
    page = console["nurse"].get(f"/console/flags/{flag.id}").get_data(as_text=True)
    assert "New evidence came in after this flag was acknowledged" in page
    assert "Paged 2 times" in page
    # The new report is the first on the page, marked new.
    first_report = page.index('<article class="report"')
    assert page.index("New since acknowledged", first_report) < page.index('<article class="report"', first_report + 1)
    assert later["id"] and "Reopened" in page and "Paged" in page
    assert on_call.name in page  # who was paged, by name


def test_the_safety_screen_shows_on_the_report(client, console, world):
    answer = report(client, world, suicidal_thoughts=True)
    flag = crisis_flag(world)
    page = console["nurse"].get(f"/console/flags/{flag.id}").get_data(as_text=True)
    assert "Safety screen offered, not answered yet." in page
    screened = client.post(
        f"{REPORTS}/{answer['id']}/safety-screen",
        json={
            "wish_dead": True,
            "suicidal_thoughts": True,
            "method": True,
            "intent": True,
            "plan": False,
            "behavior": False,
        },
        headers=world.patient.headers,
    )
    assert screened.status_code == 201
    crisis_flag(world)
    page = console["nurse"].get(f"/console/flags/{flag.id}").get_data(as_text=True)
    assert "Safety screen (C-SSRS): high risk" in page and "intent: yes" in page
    patient = console["nurse"].get(f"/console/patients/{world.patient.principal.patient_id}").get_data(as_text=True)
    assert "Safety screen (C-SSRS): high risk" in patient


def test_the_course_verdict_puts_open_critical_flags_first(client, console, world):
    for days, severity, mood in ((10, 3, 2), (9, 3, 2)):
        report(
            client,
            world,
            observed_at=(now_utc() - timedelta(days=days)).isoformat(),
            symptoms=[{"code": "nausea", "severity": severity}],
            mood=mood,
        )
    report(client, world, suicidal_thoughts=True, mood=7)
    report(client, world, vitals={"systolic": 200, "diastolic": 130}, mood=7)
    page = console["nurse"].get(f"/console/patients/{world.patient.principal.patient_id}").get_data(as_text=True)
    assert "needs attention now" in page and "settling" not in page.split("trend-h")[1].split("</h2>")[0]
    assert "2 critical flags open" in page
