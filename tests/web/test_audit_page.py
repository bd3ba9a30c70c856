"""The admin's audit log page: the same query as GET /api/v1/audit, filtered, paged, one clinic only."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from service.clock import now_utc
from service.domain.audit import record_access
from service.extensions import db
from service.models import AuditEntry, Patient

ROW = re.compile(r'<tr data-entry-id="(\d+)">(.*?)</tr>', re.S)
AUDIT = "/console/admin/audit"


def rows(html: str) -> list[tuple[int, str]]:
    return [(int(entry_id), body) for entry_id, body in ROW.findall(html)]


def test_reading_a_patient_shows_up_with_who_role_action_patient_when_ip_and_request_id(console, world, patient):
    nurse = world.nurse.principal
    read = console["nurse"].get(f"/console/patients/{patient.id}", headers={"X-Request-ID": "trace-console-7"})
    assert read.status_code == 200

    page = console["admin"].get(AUDIT)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    (row,) = [body for _, body in rows(html) if "trace-console-7" in body]
    assert f'<span class="who-name">{nurse.name}</span>' in row and '<span class="small muted role">Nurse</span>' in row
    assert "<strong>Read</strong>" in row and "GET /console/patients/&lt;uuid:patient_id&gt;" in row
    assert f'<a href="/console/patients/{patient.id}">Pat North</a>' in row  # the patient, by name, linked
    assert '<span class="ip">127.0.0.1</span>' in row and '<span class="request-id">trace-console-7</span>' in row
    db.session.rollback()
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.request_id == "trace-console-7")).one()
    shown = entry.at.astimezone(ZoneInfo(world.clinic.time_zone)).strftime("%Y-%m-%d %H:%M:%S")
    day, clock = shown.split()
    assert f'<time datetime="{entry.at.isoformat()}">{day} <span class="nowrap">{clock}</span></time>' in row
    assert f"When ({world.clinic.time_zone})" in html


def test_api_reads_are_listed_too(console, client, world, patient):
    response = client.get(f"/api/v1/patients/{patient.id}", headers=world.physician.headers)
    assert response.status_code == 200
    html = console["admin"].get(AUDIT).get_data(as_text=True)
    request_id = response.headers["X-Request-ID"]
    (row,) = [body for _, body in rows(html) if request_id in body]
    assert world.physician.principal.name in row and "GET /api/v1/patients/&lt;uuid:patient_id&gt;" in row


def test_a_nurse_gets_403(console):
    for caller in ("nurse", "physician"):
        response = console[caller].get(AUDIT)
        assert response.status_code == 403
        assert "data-entry-id" not in response.get_data(as_text=True)


def test_another_clinics_admin_sees_none_of_this_clinics_entries(console, world, patient):
    assert console["nurse"].get(f"/console/patients/{patient.id}").status_code == 200
    assert console["admin"].get(AUDIT).status_code == 200  # clinic A now has entries by both

    for query in ("", f"?patient_id={patient.id}", f"?actor_id={world.nurse.principal.id}"):
        html = console["other_admin"].get(AUDIT + query).get_data(as_text=True)
        entries = rows(html)
        assert all(world.other_admin.principal.name in body for _, body in entries), query
        assert "Pat North" not in html and world.nurse.principal.name not in html
        assert str(patient.id) not in html  # not as a link, not as a choice
    html = console["other_admin"].get(f"{AUDIT}?patient_id={patient.id}").get_data(as_text=True)
    assert rows(html) == [] and "No entries match these filters." in html


@pytest.fixture()
def history(world, patient):
    """Entries across three days and two staff, about two patients (recorded as the API and console do)."""
    olive = db.session.get(Patient, world.other_patient.principal.patient_id)
    now = now_utc()
    made = []
    for days_ago, caller, who, resource in [
        (3, world.nurse, patient, "patient"),
        (2, world.nurse, olive, "flag"),
        (1, world.physician, patient, "adverse_event"),
        (0.5, world.physician, olive, "report"),
    ]:
        made.append(
            record_access(
                db.session,
                clinic_id=world.clinic.id,
                actor_id=caller.principal.id,
                actor_role=caller.principal.role,
                action="read",
                resource_type=resource,
                resource_id=str(who.id) if resource == "patient" else None,
                patient_id=who.id,
                method="GET",
                endpoint="/api/v1/test",
                ip="10.1.2.3",
                request_id=f"req-{resource}",
                now=now - timedelta(days=days_ago),
            )
        )
    db.session.commit()
    return {"entries": made, "patient": patient, "olive": olive, "now": now}


def _ids(console, query: str) -> list[int]:
    response = console["admin"].get(AUDIT + query)
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    return [entry_id for entry_id, _ in rows(response.get_data(as_text=True))]


def test_filters_by_actor_patient_resource_type_action_and_dates(console, world, history):
    e = history["entries"]
    zone = ZoneInfo(world.clinic.time_zone)
    assert _ids(console, f"?actor_id={world.nurse.principal.id}") == [e[1], e[0]]
    assert _ids(console, f"?patient_id={history['patient'].id}") == [e[2], e[0]]
    assert _ids(console, "?resource_type=flag") == [e[1]]
    assert _ids(console, f"?resource_type=report&actor_id={world.physician.principal.id}") == [e[3]]
    assert _ids(console, "?action=write") == []
    day = (history["now"] - timedelta(days=2)).astimezone(zone).date().isoformat()
    assert _ids(console, f"?from={day}&to={day}") == [e[1]]
    # The day of the oldest entry: the patient's entry a day ago is on a later local day at any time of day
    # (1.5 days ago was not: from local noon on, it shares its date with the entry of a day ago).
    older = (history["now"] - timedelta(days=3)).astimezone(zone).date().isoformat()
    assert _ids(console, f"?to={older}&patient_id={history['patient'].id}") == [e[0]]
    # Filters are kept in the form.
    html = console["admin"].get(f"{AUDIT}?resource_type=flag&from={day}").get_data(as_text=True)
    assert '<option value="flag" selected>' in html and f'name="from" type="date" value="{day}"' in html


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?from=2026-11-20&to=2026-11-01", "to"),
        ("?from=yesterday", "from"),
        ("?actor_id=not-an-id", "actor_id"),
        ("?action=delete", "action"),
    ],
)
def test_a_bad_filter_is_named_on_the_page(console, history, query, field):
    response = console["admin"].get(AUDIT + query)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'id="{field}-error"' in html and rows(html) == []


def test_pages_of_fifty_newest_first(console, world, patient):
    now = now_utc()
    made = [
        record_access(
            db.session,
            clinic_id=world.clinic.id,
            actor_id=world.nurse.principal.id,
            actor_role="nurse",
            action="read",
            resource_type="patient",
            resource_id=str(patient.id),
            patient_id=patient.id,
            now=now - timedelta(minutes=i),
        )
        for i in range(120)
    ]
    db.session.commit()
    query = f"?actor_id={world.nurse.principal.id}"  # not the admin's own reads of this page
    first = console["admin"].get(AUDIT + query).get_data(as_text=True)
    assert [i for i, _ in rows(first)] == made[:50]
    assert f'href="{AUDIT}?page=2&amp;actor_id={world.nurse.principal.id}" rel="next"' in first
    assert 'rel="prev"' not in first
    assert _ids(console, f"{query}&page=2") == made[50:100]
    last = console["admin"].get(f"{AUDIT}{query}&page=3").get_data(as_text=True)
    assert [i for i, _ in rows(last)] == made[100:]
    assert 'rel="next"' not in last and 'rel="prev"' in last and "Entries 101\N{EN DASH}120" in last
    assert _ids(console, f"{query}&page=9") == []
    assert _ids(console, f"{query}&page=abc") == made[:50]  # a page number it cannot read: the first page


def test_the_audit_page_is_itself_audited(console, world):
    console["admin"].get(AUDIT)
    html = console["admin"].get(AUDIT).get_data(as_text=True)
    assert any("GET /console/admin/audit" in body and world.admin.principal.name in body for _, body in rows(html))
