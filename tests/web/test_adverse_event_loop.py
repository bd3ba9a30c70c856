"""The console closes the adverse-event loop: the list with its filters (serious, overdue, term), a correction
and a submission from an event's page (the API's domain calls), and the line listing exported with the list's
filters; refusals name the field and store nothing; every step is audited."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from service.clock import now_utc
from service.domain import adverse_events
from service.extensions import db
from service.models import AdverseEvent, AuditEntry
from tests.web.conftest import post

LIST = "/console/adverse-events"


def _event(world, patient, *, term="Nausea", serious=False, days_ago=1.0, aware_days_ago=None):
    now = now_utc()
    values = {
        "patient_id": patient.id,
        "term": term,
        "grade": 2 if not serious else 3,
        "serious": serious,
        "seriousness": ["hospitalization"] if serious else [],
        "causality": "possible",
        "action_taken": "none",
        "outcome": "recovering",
        "onset_at": now - timedelta(days=days_ago),
        "aware_at": now - timedelta(days=aware_days_ago if aware_days_ago is not None else days_ago),
        "narrative": f"{term} after the infusion.",
    }
    event = adverse_events.create_adverse_event(
        db.session, clinic_id=world.clinic.id, actor_id=world.nurse.principal.id, values=values, now=now
    )
    db.session.commit()
    return event


@pytest.fixture()
def events(world, patient):
    return {
        "mild": _event(world, patient, term="Nausea", days_ago=1),
        "overdue": _event(world, patient, term="Hypertension", serious=True, days_ago=20),
        "due": _event(world, patient, term="Headache", serious=True, days_ago=2),
    }


def _shown(page: str, events: dict) -> set[str]:
    return {name for name, event in events.items() if str(event.id) in page}


def test_the_list_filters_by_seriousness_overdue_and_term(console, events):
    nurse = console["nurse"]
    assert _shown(nurse.get(LIST).get_data(as_text=True), events) == {"mild", "overdue", "due"}
    assert _shown(nurse.get(f"{LIST}?serious=yes").get_data(as_text=True), events) == {"overdue", "due"}
    assert _shown(nurse.get(f"{LIST}?serious=no").get_data(as_text=True), events) == {"mild"}
    overdue = nurse.get(f"{LIST}?overdue=yes").get_data(as_text=True)
    assert _shown(overdue, events) == {"overdue"} and "Overdue since" in overdue
    assert _shown(nurse.get(f"{LIST}?term=Headache").get_data(as_text=True), events) == {"due"}
    refused = nurse.get(f"{LIST}?term=Sadness")
    assert refused.status_code == 422 and "term" in refused.get_data(as_text=True)


def test_the_line_listing_is_exported_with_the_lists_filters(console, world, events):
    zone = ZoneInfo(world.clinic.time_zone)
    start = (now_utc() - timedelta(days=30)).astimezone(zone).date().isoformat()
    end = now_utc().astimezone(zone).date().isoformat()
    admin = console["admin"]
    page = admin.get(f"{LIST}?serious=yes").get_data(as_text=True)
    assert 'id="list-export"' in page and 'name="serious" value="yes"' in page
    response = admin.get(f"/console/adverse-events/export.csv?serious=yes&term=&overdue=&from={start}&to={end}")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert {row["event_id"] for row in rows} == {str(events["overdue"].id), str(events["due"].id)}
    response = admin.get(f"/console/adverse-events/export.csv?overdue=yes&from={start}&to={end}")
    assert [row["event_id"] for row in csv.DictReader(io.StringIO(response.get_data(as_text=True)))] == [
        str(events["overdue"].id)
    ]
    assert 'id="list-export"' not in console["nurse"].get(LIST).get_data(as_text=True)  # admins export


def test_a_correction_from_the_event_page_is_versioned_and_a_stale_one_refused(console, world, events):
    event = events["mild"]
    url = f"/console/adverse-events/{event.id}"
    nurse = console["nurse"]
    page = nurse.get(url).get_data(as_text=True)
    assert 'id="correct-form"' in page and 'name="version" value="1"' in page
    answer = post(nurse, url, {"version": "1", "grade": "3", "outcome": "recovered", "narrative": "Worse, then gone."})
    assert answer.status_code == 302
    db.session.expire_all()
    stored = db.session.get(AdverseEvent, event.id)
    assert (stored.grade, stored.outcome, stored.version) == (3, "recovered", 2)
    stale = post(nurse, url, {"version": "1", "grade": "1"})
    assert stale.status_code == 412
    bad = post(nurse, url, {"version": "2", "grade": "9"})
    assert bad.status_code == 422 and "grade" in bad.get_data(as_text=True).lower()
    db.session.expire_all()
    assert db.session.get(AdverseEvent, event.id).grade == 3
    entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry.resource_type == "adverse_event" and entry.resource_id == str(event.id)


def test_a_physician_marks_a_serious_event_submitted_and_a_nurse_cannot(console, world, events):
    event = events["overdue"]
    url = f"/console/adverse-events/{event.id}/submitted"
    zone = ZoneInfo(world.clinic.time_zone)
    at = (now_utc() - timedelta(hours=1)).astimezone(zone).strftime("%Y-%m-%dT%H:%M")
    assert 'id="submit-form"' not in console["nurse"].get(f"/console/adverse-events/{event.id}").get_data(as_text=True)
    assert post(console["nurse"], url, {"submitted_at": at, "reference": "FDA-77"}).status_code == 403
    missing = post(console["physician"], url, {"submitted_at": at})
    assert missing.status_code == 422 and "reference" in missing.get_data(as_text=True)
    done = post(console["physician"], url, {"submitted_at": at, "reference": "FDA-77"})
    assert done.status_code == 302
    db.session.expire_all()
    stored = db.session.get(AdverseEvent, event.id)
    assert stored.submission_reference == "FDA-77" and stored.submitted_at is not None
    listed = console["physician"].get(f"{LIST}?overdue=yes").get_data(as_text=True)
    assert str(event.id) not in listed  # off the overdue list once submitted


def test_another_clinics_admin_sees_none_of_the_events(console, events):
    page = console["other_admin"].get(LIST).get_data(as_text=True)
    assert _shown(page, events) == set()
    assert console["other_admin"].get(f"/console/adverse-events/{events['due'].id}").status_code == 404


def test_the_list_pages_through_every_event_latest_onset_first_keeping_the_filters(console, world, patient):
    from service.web.adverse_events import LIST_PAGE_SIZE

    made = [_event(world, patient, term="Nausea", days_ago=1 + n / 10) for n in range(LIST_PAGE_SIZE + 3)]
    serious = _event(world, patient, term="Headache", serious=True, days_ago=50)
    nurse = console["nurse"]
    first = nurse.get(LIST).get_data(as_text=True)
    second = nurse.get(f"{LIST}?page=2").get_data(as_text=True)
    on_first = [e for e in made if str(e.id) in first]
    on_second = [e for e in made if str(e.id) in second]
    assert on_first == made[:LIST_PAGE_SIZE]  # latest onset first
    assert on_second == made[LIST_PAGE_SIZE:] and str(serious.id) in second and str(serious.id) not in first
    assert 'rel="next"' in first and 'rel="prev"' in second and 'rel="next"' not in second
    assert f"Events {LIST_PAGE_SIZE + 1}\u2013{LIST_PAGE_SIZE + 4}" in second
    # The pager keeps the filters: serious events only fit on one page, with no link to another.
    filtered = nurse.get(f"{LIST}?serious=yes").get_data(as_text=True)
    assert str(serious.id) in filtered and 'rel="next"' not in filtered
    nausea = nurse.get(f"{LIST}?term=Nausea").get_data(as_text=True)
    assert "term=Nausea" in nausea.split('rel="next"')[0].rsplit("<a ", 1)[1]
    assert "No more adverse events" in nurse.get(f"{LIST}?page=9").get_data(as_text=True)


def test_the_correction_form_changes_term_expectedness_seriousness_and_onset(console, world, events):
    event = events["mild"]
    url = f"/console/adverse-events/{event.id}"
    nurse = console["nurse"]
    page = nurse.get(url).get_data(as_text=True)
    for field in ('id="fix-term"', 'name="expected"', 'name="serious"', 'name="seriousness"', 'id="fix-onset"'):
        assert field in page
    zone = ZoneInfo(world.clinic.time_zone)
    onset = (now_utc() - timedelta(days=3)).astimezone(zone).replace(second=0, microsecond=0, tzinfo=None)
    form = {
        "version": "1",
        "term": "Vomiting",
        "term_other": "",
        "expected": "no",
        "serious": "yes",
        "seriousness": ["hospitalization"],
        "onset_at": onset.strftime("%Y-%m-%dT%H:%M"),
        "grade": "3",
        "outcome": "recovering",
        "causality": "probable",
        "action_taken": "none",
        "narrative": "Vomiting through the night; admitted for fluids.",
    }
    # Serious with no criterion is refused, names the field, and keeps what was typed on the form.
    refused = post(nurse, url, {**form, "seriousness": []})
    assert refused.status_code == 422 and "seriousness" in refused.get_data(as_text=True)
    assert 'value="Vomiting" selected' in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(AdverseEvent, event.id).version == 1
    assert post(nurse, url, form).status_code == 302
    db.session.expire_all()
    stored = db.session.get(AdverseEvent, event.id)
    assert (stored.term, stored.expected, stored.serious) == ("Vomiting", False, True)
    assert [c.value for c in adverse_events.criteria_of(stored)] == ["hospitalization"]
    assert 'id="fix-ser-hospitalization" name="seriousness" value="hospitalization" checked' in nurse.get(url).get_data(
        as_text=True
    )
    assert stored.onset_at.replace(tzinfo=stored.onset_at.tzinfo or ZoneInfo("UTC")) == onset.replace(tzinfo=zone)
    assert stored.version == 2 and stored.regulatory_due_at is not None
    # An "Other, specify" term needs words, and a specific term afterwards takes the words away again.
    other = next(t for t in adverse_events.term_list() if t["term"].endswith("Other, specify"))["term"]
    needs_words = post(nurse, url, {**form, "version": "2", "term": other})
    assert needs_words.status_code == 422 and "term_other" in needs_words.get_data(as_text=True)
    assert post(nurse, url, {**form, "version": "2", "term": other, "term_other": "Hiccups"}).status_code == 302
    assert post(nurse, url, {**form, "version": "3", "term": "Nausea", "term_other": ""}).status_code == 302
    db.session.expire_all()
    stored = db.session.get(AdverseEvent, event.id)
    assert (stored.term, stored.term_other, stored.version) == ("Nausea", None, 4)
