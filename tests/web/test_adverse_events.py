"""Adverse events in the console: recorded from a flag's page with the API's fields and checks, shown on their
own page (fields, regulatory due date, history) with the API's FHIR and CSV exports."""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from service.clock import now_utc
from service.enums import ActionTaken, Causality, Outcome, SeriousnessCriterion
from service.extensions import db
from service.models import AdverseEvent, AdverseEventVersion, AuditEntry, FlagReport, Report
from service.rules import Priority
from service.vocabulary import OTHER_TERM
from service.web import display
from tests.web.conftest import make_flag, make_infusion, post

EVENT_URL = re.compile(r"^/console/adverse-events/([0-9a-f-]{36})$")


@pytest.fixture()
def scene(world, patient):
    infusion = make_infusion(patient, world.nurse.principal, days_ago=1)
    flag = make_flag(
        patient, priority=Priority.HIGH, rule="severe-symptom", reason="Severe nausea.", due_in=timedelta(hours=4)
    )
    return {"infusion": infusion, "flag": flag, "zone": ZoneInfo(world.clinic.time_zone)}


def _local(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%dT%H:%M")


def _form(scene, **overrides) -> dict:
    form = {
        "term": "Nausea",
        "grade": "2",
        "serious": "no",
        "causality": "probable",
        "action_taken": "none",
        "outcome": "recovering",
        "onset_at": _local(now_utc() - timedelta(hours=1), scene["zone"]),
        "narrative": "Nausea on the drive home after the infusion; ondansetron given, settling.",
    }
    form.update(overrides)
    return {k: v for k, v in form.items() if v is not None}


def _count(model) -> int:
    db.session.rollback()
    n = db.session.scalar(select(func.count()).select_from(model))
    db.session.rollback()
    return n


def _record(client, scene, **overrides) -> AdverseEvent:
    response = post(client, f"/console/flags/{scene['flag'].id}/adverse-event", _form(scene, **overrides))
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    event_id = EVENT_URL.match(response.headers["Location"]).group(1)
    db.session.rollback()
    return db.session.get(AdverseEvent, uuid.UUID(event_id))


# --- recording from a flag -----------------------------------------------------------------------------------


def test_recording_from_a_flag_stores_it_for_the_flags_patient_with_the_infusion_copied(console, world, scene):
    flag, infusion, zone = scene["flag"], scene["infusion"], scene["zone"]
    onset = _local(now_utc() - timedelta(hours=1), zone)
    response = post(console["nurse"], f"/console/flags/{flag.id}/adverse-event", _form(scene, onset_at=onset))

    assert response.status_code == 302
    match = EVENT_URL.match(response.headers["Location"])
    assert match, response.headers["Location"]
    db.session.rollback()
    (event,) = db.session.scalars(select(AdverseEvent)).all()
    assert str(event.id) == match.group(1)
    assert event.clinic_id == world.clinic.id and event.patient_id == flag.patient_id and event.flag_id == flag.id
    flag_report = db.session.scalar(select(FlagReport.report_id).where(FlagReport.flag_id == flag.id))
    assert event.report_id == flag_report
    assert db.session.get(Report, flag_report).infusion_id == infusion.id
    # The linked infusion's route and dose are copied onto the event as they were.
    assert event.infusion_id == infusion.id
    assert event.infusion_route == "iv" and event.infusion_dose_mg == 35.0 and event.infusion_dose_mg_per_kg == 0.5
    assert event.infusion_started_at == infusion.started_at
    # The form's local time is the clinic's.
    assert event.onset_at == datetime.fromisoformat(onset).replace(tzinfo=zone)
    assert (event.term, event.grade, event.serious, event.causality) == ("Nausea", 2, False, "probable")
    assert event.recorded_by_id == world.nurse.principal.id and event.version == 1
    assert event.regulatory_due_at is None
    assert _count(AdverseEventVersion) == 1

    page = console["nurse"].get(response.headers["Location"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<h1 id="event-term">Nausea' in html and "Grade 2 · Moderate" in html
    assert "Nausea on the drive home after the infusion" in html
    assert "Not serious: no expedited report to the regulator is due." in html
    assert "35 mg (0.5 mg/kg)" in html and "IV" in html
    assert "Adverse event recorded." in html
    assert f'href="/console/adverse-events/{event.id}/fhir"' in html
    assert 'id="csv-export"' not in html  # the line listing is for admins
    assert "Pat North" in html and f'href="/console/patients/{flag.patient_id}"' in html
    assert f'href="/console/flags/{flag.id}"' in html
    history = html[html.index('id="event-history"') :]
    assert "Created</strong> (version 1) by Nurse" in history


def test_a_serious_event_shows_its_regulatory_due_date(console, scene):
    event = _record(
        console["physician"],
        scene,
        term="Hypertension",
        grade="3",
        serious="yes",
        seriousness="hospitalization",
        outcome="recovered",
        resolved_at=_local(now_utc() - timedelta(minutes=10), scene["zone"]),
    )
    assert event.serious and event.seriousness_hospitalization
    assert event.regulatory_due_at == event.aware_at + timedelta(days=15)
    html = console["physician"].get(f"/console/adverse-events/{event.id}").get_data(as_text=True)
    due = html[html.index('id="regulatory-due"') :]
    assert f'datetime="{event.regulatory_due_at.isoformat()}"' in due[:600]
    assert "15 days from awareness" in due[:800] and "left" in due[:800]
    assert "Hospitalization (initial or prolonged)" in html and 'class="badge serious"' in html


def test_life_threatening_is_due_in_seven_days(console, scene):
    event = _record(
        console["nurse"],
        scene,
        term="Hypertension",
        grade="4",
        serious="yes",
        seriousness="life_threatening",
        aware_at=_local(now_utc() - timedelta(minutes=30), scene["zone"]),
    )
    assert event.regulatory_due_at == event.aware_at + timedelta(days=7)
    html = console["nurse"].get(f"/console/adverse-events/{event.id}").get_data(as_text=True)
    assert "7 days from awareness" in html


def test_grade_5_without_death_is_refused_next_to_the_grade_and_nothing_is_stored(console, world, scene):
    flag = scene["flag"]
    events, versions = _count(AdverseEvent), _count(AdverseEventVersion)
    narrative = "Found unresponsive at home; <family> called 911."
    response = post(
        console["nurse"], f"/console/flags/{flag.id}/adverse-event", _form(scene, grade="5", narrative=narrative)
    )

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert '<p class="field-error" id="grade-error">Grade 5 is death related to the event' in html
    assert 'aria-invalid="true" aria-describedby="grade-error"' in html
    assert 'id="adverse-event-refused"' in html and '<details class="card action" id="adverse-event" open>' in html
    # What was typed is shown again (escaped), with the choices kept.
    assert "Found unresponsive at home; &lt;family&gt; called 911." in html
    assert '<option value="5" selected>' in html and '<option value="probable" selected>' in html
    assert _count(AdverseEvent) == events == 0 and _count(AdverseEventVersion) == versions == 0
    # The refused form is audited as what it was: the flag page shown again (a read), not a write.
    db.session.rollback()
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.method == "POST")).all()
    assert [(e.action, e.resource_type, e.patient_id) for e in entries] == [("read", "flag", flag.patient_id)]


def test_schema_problems_are_named_by_field_all_at_once(console, scene):
    response = post(
        console["nurse"],
        f"/console/flags/{scene['flag'].id}/adverse-event",
        _form(scene, term="Nausea and more", narrative=None, causality="maybe"),
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    for field in ("term", "narrative", "causality"):
        assert f'id="{field}-error"' in html, field
    assert "Not a CTCAE v5.0 term of the list" in html
    assert _count(AdverseEvent) == 0


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"grade": "two"}, "grade"),
        ({"grade": "7"}, "grade"),
        ({"serious": None}, "serious"),
        ({"serious": "perhaps"}, "serious"),
        ({"serious": "yes"}, "seriousness"),
        ({"seriousness": "medically_important"}, "serious"),
        ({"seriousness": "not_a_criterion", "serious": "yes"}, "seriousness"),
        ({"term": OTHER_TERM}, "term_other"),
        ({"term_other": "Odd taste"}, "term_other"),
        ({"onset_at": "yesterday"}, "onset_at"),
        ({"onset_at": "2099-01-01T10:00"}, "onset_at"),
        ({"resolved_at": "2000-01-01T10:00"}, "resolved_at"),
        ({"action_taken": "stopped"}, "action_taken"),
        ({"outcome": "fatal"}, "outcome"),
        ({"infusion_id": "not-an-id"}, "infusion_id"),
        ({"narrative": "x" * 10001}, "narrative"),
    ],
)
def test_each_bad_field_is_named_and_nothing_is_stored(console, scene, overrides, field):
    response = post(console["nurse"], f"/console/flags/{scene['flag'].id}/adverse-event", _form(scene, **overrides))
    assert response.status_code == 422
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    assert _count(AdverseEvent) == 0


def test_an_onset_before_the_flags_infusion_is_refused_next_to_the_onset(console, scene):
    """The flag's report follows the infusion of a day ago: an onset two days ago cannot be blamed on it."""
    onset = _local(now_utc() - timedelta(days=2), scene["zone"])
    response = post(console["nurse"], f"/console/flags/{scene['flag'].id}/adverse-event", _form(scene, onset_at=onset))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert '<p class="field-error" id="onset_at-error">onset_at cannot be before the suspected infusion' in html
    assert _count(AdverseEvent) == 0


def test_other_specify_takes_the_clinicians_words(console, scene):
    event = _record(console["nurse"], scene, term=OTHER_TERM, term_other="Metallic taste")
    assert (event.term, event.term_other) == (OTHER_TERM, "Metallic taste")
    html = console["nurse"].get(f"/console/adverse-events/{event.id}").get_data(as_text=True)
    assert '<h1 id="event-term">Metallic taste' in html


def test_another_patients_infusion_cannot_be_linked(console, world, scene):
    from service.models import Patient

    other = db.session.get(Patient, world.other_patient.principal.patient_id)
    theirs = make_infusion(other, world.nurse.principal, days_ago=2)
    response = post(
        console["nurse"],
        f"/console/flags/{scene['flag'].id}/adverse-event",
        _form(scene, infusion_id=str(theirs.id)),
    )
    assert response.status_code == 422 and 'id="infusion_id-error"' in response.get_data(as_text=True)
    assert _count(AdverseEvent) == 0


def test_fields_the_form_does_not_have_cannot_move_the_event_to_another_patient(console, world, scene):
    far = world.other_clinic_patient.principal.patient_id
    event = _record(console["nurse"], scene, patient_id=str(far), flag_id=str(far), clinic_id=str(far))
    assert event.patient_id == scene["flag"].patient_id and event.clinic_id == world.clinic.id


def test_another_clinics_flag_is_404_and_stores_nothing(console, world, scene):
    response = post(console["other_admin"], f"/console/flags/{scene['flag'].id}/adverse-event", _form(scene))
    assert response.status_code == 404
    assert _count(AdverseEvent) == 0


def test_the_flag_page_lists_events_recorded_from_it(console, scene):
    event = _record(console["nurse"], scene)
    html = console["nurse"].get(f"/console/flags/{scene['flag'].id}").get_data(as_text=True)
    listed = html[html.index('id="adverse-events-recorded"') :]
    assert f'href="/console/adverse-events/{event.id}">Nausea, grade 2</a>' in listed[:800]


# --- the event's page --------------------------------------------------------------------------------------------


def test_history_shows_each_correction_with_who_and_old_and_new(console, client, world, scene):
    event = _record(console["nurse"], scene)
    patch = client.patch(
        f"/api/v1/adverse-events/{event.id}",
        json={"grade": 3, "outcome": "recovered", "resolved_at": now_utc().isoformat()},
        headers={**world.physician.headers, "If-Match": '"1"'},
    )
    assert patch.status_code == 200, patch.get_json()
    html = console["nurse"].get(f"/console/adverse-events/{event.id}").get_data(as_text=True)
    history = html[html.index('id="event-history"') :]
    assert history.index("Updated</strong> (version 2)") < history.index("Created</strong> (version 1)")
    assert "grade: 2 → 3" in history and "outcome: recovering → recovered" in history
    assert f"by {world.physician.principal.name}" in history
    assert "Grade 3 · Severe" in html and "version 2" in html


def test_the_fhir_link_serves_the_apis_resource(console, client, world, scene):
    event = _record(console["nurse"], scene)
    response = console["nurse"].get(f"/console/adverse-events/{event.id}/fhir")
    assert response.status_code == 200 and response.mimetype == "application/fhir+json"
    assert response.headers["Cache-Control"] == "no-store"
    api = client.get(f"/api/v1/adverse-events/{event.id}/fhir", headers=world.nurse.headers)
    assert response.get_json() == api.get_json()
    assert response.get_json()["resourceType"] == "AdverseEvent"
    db.session.rollback()
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.endpoint.like("/console/%/fhir"))).one()
    assert (entry.action, entry.resource_type, entry.resource_id) == ("export", "adverse_event", str(event.id))


def test_admins_download_the_line_listing_the_api_gives(console, client, world, scene):
    event = _record(console["nurse"], scene)
    html = console["admin"].get(f"/console/adverse-events/{event.id}").get_data(as_text=True)
    day = event.onset_at.astimezone(scene["zone"]).date().isoformat()
    assert 'id="csv-export"' in html and f'name="from" type="date" required value="{day}"' in html
    query = f"?from={day}&to={day}"
    response = console["admin"].get(f"/console/adverse-events/export.csv{query}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == f'attachment; filename="adverse-events_{day}_{day}.csv"'
    body = response.get_data(as_text=True)
    api = client.get(f"/api/v1/adverse-events/export.csv{query}", headers=world.admin.headers)
    assert body == api.get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(body)))
    assert len(rows) == 2 and "Nausea" in rows[1]

    theirs = console["other_admin"].get(f"/console/adverse-events/export.csv{query}").get_data(as_text=True)
    assert len(list(csv.reader(io.StringIO(theirs)))) == 1  # the header only: none of this clinic's events


def test_a_bad_export_range_is_named(console):
    response = console["admin"].get("/console/adverse-events/export.csv?from=2026-11-20&to=2026-11-01")
    assert response.status_code == 422 and "The range ends before it starts." in response.get_data(as_text=True)
    missing = console["admin"].get("/console/adverse-events/export.csv")
    assert missing.status_code == 422


def test_every_choice_has_a_label():
    assert set(display.SERIOUSNESS_LABELS) == {c.value for c in SeriousnessCriterion}
    assert set(display.CAUSALITY_LABELS) == {c.value for c in Causality}
    assert set(display.ACTION_LABELS) == {a.value for a in ActionTaken}
    assert set(display.OUTCOME_LABELS) == {o.value for o in Outcome}
    assert set(display.GRADE_LABELS) == {1, 2, 3, 4, 5}
