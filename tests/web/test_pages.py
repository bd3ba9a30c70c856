"""The console's pages at work: queue order and filters, a flag's actions, the patient page, admin pages."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from service.clock import now_utc
from service.extensions import db
from service.models import (
    AuthSession,
    Checkin,
    Clinic,
    Clinician,
    EnrollmentCode,
    Flag,
    Infusion,
    Patient,
    SettingsChange,
)
from service.rules import Priority
from tests import factories
from tests.web.conftest import make_flag, make_infusion, post

# A flag in the queue (listed under its patient's row), and a patient's row (a case).
ROW = re.compile(r'<li class="case-flag row-(\w+)[^"]*" id="flag-[0-9a-f-]+" data-flag-id="([0-9a-f-]+)"')
CASE = re.compile(r'<tr class="case row-(\w+)[^"]*" data-patient-id="([0-9a-f-]+)" data-lead-flag-id="([0-9a-f-]+)"')


def _rows(html: str) -> list[tuple[str, str]]:
    return ROW.findall(html)


def _cases(html: str) -> list[tuple[str, str, str]]:
    return CASE.findall(html)


@pytest.fixture()
def queue(world, patient):
    other = db.session.get(Patient, world.other_patient.principal.patient_id)
    high_soon = make_flag(
        patient, priority=Priority.HIGH, rule="severe-symptom", reason="Severe nausea.", due_in=timedelta(minutes=5)
    )
    critical_late = make_flag(
        other, priority=Priority.CRITICAL, rule="hypertensive-crisis", reason="BP 186/95.", due_in=timedelta(minutes=14)
    )
    medium_overdue = make_flag(
        patient,
        priority=Priority.MEDIUM,
        rule="worsening",
        reason="Headache worse.",
        due_in=timedelta(hours=-2),
        report=False,
    )
    critical_soon = make_flag(
        patient,
        priority=Priority.CRITICAL,
        rule="suicidal-ideation",
        reason="Suicidal thoughts.",
        due_in=timedelta(minutes=3),
        report=False,
    )
    far = db.session.get(Patient, world.other_clinic_patient.principal.patient_id)
    foreign = make_flag(
        far,
        priority=Priority.CRITICAL,
        rule="suicidal-ideation",
        reason="Other clinic's flag.",
        due_in=timedelta(minutes=1),
        report=False,
    )
    return {
        "critical_soon": critical_soon,
        "critical_late": critical_late,
        "high": high_soon,
        "medium": medium_overdue,
        "foreign": foreign,
    }


# --- the queue -----------------------------------------------------------------------------------------------


def test_queue_is_one_row_per_patient_led_by_their_most_urgent_flag(console, queue, world, patient):
    html = console["nurse"].get("/console/queue").get_data(as_text=True)
    # Pat's critical is due first (3 min), so Pat's row leads; Olive's critical (14 min) follows.
    assert _cases(html) == [
        ("critical", str(patient.id), str(queue["critical_soon"].id)),
        ("critical", str(world.other_patient.principal.patient_id), str(queue["critical_late"].id)),
    ]
    # Under each patient: all their flags, in queue order (critical first, then soonest due).
    assert [flag_id for _, flag_id in _rows(html)] == [
        str(queue["critical_soon"].id),
        str(queue["high"].id),
        str(queue["medium"].id),
        str(queue["critical_late"].id),
    ]
    # Each flag keeps its own link and, while open, its own Acknowledge.
    for key in ("critical_soon", "high", "medium", "critical_late"):
        flag_id = queue[key].id
        assert f'href="/console/flags/{flag_id}" class="flag-link" data-focus-key="flag:{flag_id}"' in html
        assert f'action="/console/flags/{flag_id}/acknowledge"' in html
    assert "Other clinic&#39;s flag" not in html and "Other clinic's flag" not in html


def test_queue_shows_priority_in_words_time_left_and_overdue(console, queue):
    html = console["nurse"].get("/console/queue").get_data(as_text=True)
    assert ">▲▲</span> Critical</span>" in html and "</span> Medium</span>" in html
    assert re.search(r"\d+ min left", html)
    assert "overdue by 2 h" in html  # the medium flag, 2 h past due
    assert "<title>(2 critical) Triage queue · Aftercare</title>" in html
    assert "2</strong> critical open (2 not yet acknowledged)" in html


def test_queue_filters_stay_in_the_query_string_and_in_the_refresh(console, queue, world):
    client = console["nurse"]
    html = client.get("/console/queue?priority=critical&overdue=&mine=").get_data(as_text=True)
    assert {p for p, _ in _rows(html)} == {"critical"}
    assert 'data-refresh-url="/console/queue/rows?priority=critical"' in html
    assert '<option value="critical" selected>' in html

    overdue = client.get("/console/queue?overdue=1").get_data(as_text=True)
    assert [f for _, f in _rows(overdue)] == [str(queue["medium"].id)]

    assert _rows(client.get("/console/queue?mine=1").get_data(as_text=True)) == []
    post(client, f"/console/flags/{queue['high'].id}/acknowledge", {"version": str(queue["high"].version)})
    mine = client.get("/console/queue?mine=1").get_data(as_text=True)
    assert [f for _, f in _rows(mine)] == [str(queue["high"].id)]
    unassigned = client.get("/console/queue?assignee=none").get_data(as_text=True)
    assert str(queue["high"].id) not in unassigned and len(_rows(unassigned)) == 3
    by_person = client.get(f"/console/queue?assignee={world.nurse.principal.id}").get_data(as_text=True)
    assert [f for _, f in _rows(by_person)] == [str(queue["high"].id)]
    nonsense = client.get("/console/queue?priority=urgent&assignee=bob&cursor=zzz")
    assert nonsense.status_code == 200 and len(_rows(nonsense.get_data(as_text=True))) == 4


def test_acknowledge_from_the_queue_comes_back_to_it_at_that_flag(console, queue):
    client = console["nurse"]
    flag = queue["critical_late"]
    answer = post(
        client,
        f"/console/flags/{flag.id}/acknowledge",
        {"version": str(flag.version), "back": "queue?priority=critical&assignee=bob&mine=1"},
    )
    assert answer.status_code == 302
    # Only the filters the queue knows are kept (the bad assignee is dropped); the address names the flag.
    assert answer.headers["Location"] == f"/console/queue?priority=critical&mine=1#flag-{flag.id}"
    html = client.get("/console/queue?priority=critical").get_data(as_text=True)
    assert "Acknowledged. The flag is yours" in html and "data-announce" in html
    # Acknowledged: its Acknowledge button is gone, the other critical flag keeps its own.
    assert f'action="/console/flags/{flag.id}/acknowledge"' not in html
    assert f'action="/console/flags/{queue["critical_soon"].id}/acknowledge"' in html
    # Anything else in "back" is not an address to go to: the flag's own page follows, as without it.
    other = queue["high"]
    answer = post(
        client, f"/console/flags/{other.id}/acknowledge", {"version": str(other.version), "back": "//elsewhere.test/"}
    )
    assert answer.headers["Location"] == f"/console/flags/{other.id}"


def test_refresh_fragment_has_rows_counts_and_the_critical_count(console, queue):
    response = console["nurse"].get("/console/queue/rows?priority=critical")
    assert response.status_code == 200
    assert response.headers["X-Open-Critical"] == "2"
    html = response.get_data(as_text=True)
    assert 'id="queue-rows"' in html and 'id="queue-counts"' in html
    assert len(_rows(html)) == 2
    # The counts the page announces when they change: patients (cases), flags, open criticals.
    assert 'data-cases="2" data-flags="2" data-critical="2"' in html


def test_empty_queue_says_so(console):
    html = console["nurse"].get("/console/queue").get_data(as_text=True)
    assert "No open flags. The queue is clear." in html
    assert "<title>Triage queue · Aftercare</title>" in html


# --- a flag --------------------------------------------------------------------------------------------------


def test_flag_page_shows_reason_evidence_reports_and_patient_summary(console, world, patient):
    make_infusion(patient, world.nurse.principal, days_ago=1)
    flag = make_flag(
        patient,
        priority=Priority.HIGH,
        rule="elevated-blood-pressure",
        reason="BP 150/92 at 14:10.",
        due_in=timedelta(hours=4),
    )
    html = console["nurse"].get(f"/console/flags/{flag.id}").get_data(as_text=True)
    assert "BP 150/92 at 14:10." in html
    assert "threshold</dt><dd>140" in html  # evidence
    assert "nausea" in html and "2/4 moderate" in html and "headache" in html  # symptoms with severities
    assert "BP 150/92 mmHg, HR 101/min" in html and "4/10" in html and "7/27" in html  # vitals, mood, PHQ-9
    assert "Felt queasy on the drive home." in html
    age = now_utc().year - 1985 - (1 if (now_utc().month, now_utc().day) < (3, 14) else 0)
    assert f"<dt>Age</dt><dd>{age}</dd>" in html
    local = now_utc().astimezone(ZoneInfo(patient.time_zone)).strftime("%H:%M")
    assert patient.time_zone in html and local in html
    assert "IV" in html and "35 mg (0.5 mg/kg)" in html  # latest infusion: route and dose
    assert "Opened" in html and "Record an adverse event" in html


def test_acknowledge_then_resolve_with_a_note_takes_it_off_the_queue(console, queue, world):
    client = console["nurse"]
    flag = queue["critical_soon"]
    ack = post(client, f"/console/flags/{flag.id}/acknowledge", {"version": str(flag.version)})
    assert ack.status_code == 302 and ack.headers["Location"] == f"/console/flags/{flag.id}"
    page = client.get(ack.headers["Location"]).get_data(as_text=True)
    assert "Acknowledged. The flag is yours" in page and "Acknowledged</span>" in page
    db.session.rollback()
    version = db.session.get(Flag, flag.id).version

    note = post(client, f"/console/flags/{flag.id}/notes", {"text": "Called, no answer; trying again at 15:00."})
    assert note.status_code == 302
    assert "trying again at 15:00" in client.get(f"/console/flags/{flag.id}").get_data(as_text=True)
    db.session.rollback()
    version = db.session.get(Flag, flag.id).version

    done = post(
        client,
        f"/console/flags/{flag.id}/resolve",
        {
            "version": str(version),
            "resolution": "advised_emergency_care",
            "note": "Spoke with patient; going to ED with partner.",
        },
    )
    assert done.status_code == 302 and done.headers["Location"] == "/console/queue"
    queue_html = client.get("/console/queue").get_data(as_text=True)
    assert str(flag.id) not in queue_html and "Resolved. The flag has left the queue." in queue_html
    db.session.rollback()
    stored = db.session.get(Flag, flag.id)
    assert stored.status == "resolved" and stored.resolution == "advised_emergency_care"
    assert stored.resolved_by_id == world.nurse.principal.id


def test_resolve_without_a_note_is_refused_and_says_why(console, queue):
    flag = queue["high"]
    response = post(
        console["nurse"],
        f"/console/flags/{flag.id}/resolve",
        {"version": str(flag.version), "resolution": "no_action_needed", "note": "   "},
    )
    assert response.status_code == 422
    assert "Write a note saying what was done." in response.get_data(as_text=True)
    missing = post(
        console["nurse"], f"/console/flags/{flag.id}/resolve", {"version": str(flag.version), "note": "Done."}
    )
    assert missing.status_code == 422 and "Choose what was done." in missing.get_data(as_text=True)
    db.session.rollback()
    assert db.session.get(Flag, flag.id).status == "open"


def test_two_people_acting_on_one_flag_cannot_both_win(console, queue):
    flag = queue["critical_late"]
    seen = str(flag.version)  # what both of them loaded
    first = post(console["nurse"], f"/console/flags/{flag.id}/acknowledge", {"version": seen})
    assert first.status_code == 302
    second = post(
        console["physician"],
        f"/console/flags/{flag.id}/resolve",
        {"version": seen, "resolution": "duplicate", "note": "Seen."},
    )
    assert second.status_code == 412
    assert "changed since you loaded it" in second.get_data(as_text=True)
    again = post(console["physician"], f"/console/flags/{flag.id}/acknowledge", {})
    assert again.status_code == 409


def test_assign_and_escalate(console, queue, world):
    flag = queue["high"]
    client = console["nurse"]
    assert (
        post(
            client,
            f"/console/flags/{flag.id}/assign",
            {"clinician_id": str(world.physician.principal.id), "version": str(flag.version)},
        ).status_code
        == 302
    )
    db.session.rollback()
    flag = db.session.get(Flag, flag.id)
    assert flag.assignee_id == world.physician.principal.id
    foreign = post(
        client,
        f"/console/flags/{flag.id}/assign",
        {"clinician_id": str(world.other_admin.principal.id), "version": str(flag.version)},
    )
    assert foreign.status_code == 422
    assert (
        post(
            client, f"/console/flags/{flag.id}/escalate", {"note": "Need a physician.", "version": str(flag.version)}
        ).status_code
        == 302
    )
    db.session.rollback()
    assert db.session.get(Flag, flag.id).escalation_level == 1


def test_adverse_event_form_has_the_apis_fields_and_the_ctcae_terms(console, queue):
    from service.vocabulary import CTCAE_TERMS
    from service.web.adverse_events import FORM

    html = console["nurse"].get(f"/console/flags/{queue['high'].id}").get_data(as_text=True)
    assert f'action="/console/flags/{queue["high"].id}/adverse-event"' in html
    for field in FORM:
        assert f'name="{field}"' in html, field
    for term in CTCAE_TERMS:
        assert f'<option value="{term}"' in html, term
    # The flag's report had nausea and headache: their CTCAE terms are offered first.
    suggested = html[html.index('label="From this flag') : html.index('label="All CTCAE terms"')]
    assert '"Nausea"' in suggested and '"Headache"' in suggested and '"Anxiety"' not in suggested
    assert "<fieldset disabled>" not in html and 'id="adverse-event-pending"' not in html


# --- the patient page ----------------------------------------------------------------------------------------


def test_patient_page_draws_the_course_and_lists_the_timeline(console, world, patient):
    infusion = make_infusion(patient, world.nurse.principal, days_ago=2)
    make_flag(
        patient,
        priority=Priority.HIGH,
        rule="severe-symptom",
        reason="Severe <b>nausea</b>.",
        due_in=timedelta(hours=3),
    )
    # Recording the infusion scheduled its check-ins; the 24 h one went unanswered.
    missed = db.session.scalars(select(Checkin).where(Checkin.infusion_id == infusion.id, Checkin.kind == "24h")).one()
    missed.status = "missed"
    db.session.commit()
    html = console["nurse"].get(f"/console/patients/{patient.id}").get_data(as_text=True)
    svg = html[html.index("<svg") : html.index("</svg>")]
    marks = int(re.search(r'data-marks="(\d+)"', svg).group(1))
    assert marks >= 5  # infusion, flag, two symptom dots, a mood dot, a PHQ-9 mark
    assert 'class="infusion"' in svg and 'class="chart-flag"' in svg and "sev-mark" in svg
    assert "mood-mark" in svg and "phq9-mark" in svg
    assert "nausea 2/4 (moderate)" in svg
    assert "<b>nausea</b>" not in html and "&lt;b&gt;nausea&lt;/b&gt;" in html  # escaped in chart and list
    assert "Timeline (last 30 days" in html and "IV infusion, 35 mg (0.5 mg/kg), induction" in html
    assert "Missed" in html and "24h" in html  # check-ins with their status
    assert "Open flags" in html
    totals = " ".join(html[html.index('id="cumulative-totals"') :].split("</p>")[0].split())
    assert "1 infusion since" in totals and "total 35 mg · 0.5 mg/kg" in totals
    exposure = html[html.index('class="exposure-chart"') :]
    exposure = exposure[: exposure.index("</svg>")]
    assert exposure.count('class="dose-point"') == 1 and "style=" not in exposure


def test_patient_page_without_infusions_says_so_instead_of_a_dose_chart(console, patient):
    html = console["nurse"].get(f"/console/patients/{patient.id}").get_data(as_text=True)
    assert "Long-term exposure" in html and "No infusions recorded yet." in html
    assert "exposure-chart" not in html.split('id="exposure-h"')[1].split("</section>")[0]


def test_record_infusion_uses_clinic_time_and_the_apis_checks(console, world, patient):
    client = console["nurse"]
    zone = ZoneInfo(world.clinic.time_zone)
    start = (now_utc() - timedelta(hours=3)).astimezone(zone).replace(second=0, microsecond=0)
    end = start + timedelta(minutes=50)
    form = {
        "started_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ended_at": end.strftime("%Y-%m-%dT%H:%M"),
        "route": "iv",
        "phase": "induction",
        "dose_mg": "35",
        "pre_systolic": "128",
        "pre_diastolic": "82",
    }
    bad = post(client, f"/console/patients/{patient.id}/infusions", {**form, "pre_diastolic": "140"})
    assert bad.status_code == 422
    assert "Diastolic must be below systolic." in bad.get_data(as_text=True)
    words = post(client, f"/console/patients/{patient.id}/infusions", {**form, "dose_mg": "lots"})
    assert words.status_code == 422 and "Enter a number." in words.get_data(as_text=True)
    range_ = post(client, f"/console/patients/{patient.id}/infusions", {**form, "pre_systolic": "400"})
    assert range_.status_code == 422
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Infusion)) == 0

    ok = post(client, f"/console/patients/{patient.id}/infusions", form)
    assert ok.status_code == 302
    db.session.rollback()
    infusion = db.session.scalar(select(Infusion))
    assert (
        infusion.started_at == start
        and infusion.dose_mg == 35.0
        and infusion.recorded_by_id == world.nurse.principal.id
    )


def test_enrollment_code_is_shown_as_text_and_qr_and_pairs_a_phone(console, client, patient):
    response = post(console["nurse"], f"/console/patients/{patient.id}/enrollment-code")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    code = re.search(r'<p class="code" id="code-text">([0-9A-Z-]+)</p>', html).group(1)
    qr = html[html.index('<div class="qr">') :]
    assert qr.startswith('<div class="qr"><svg') and 'class="qrline"' in qr[:3000]
    # the QR code is the companion app's link, the code after "#" (never sent to a server)
    assert f"http://localhost/app/#code={code}" in html and "?code=" not in html
    enrolled = client.post("/api/v1/auth/enroll", json={"code": code, "device_name": "Pat's phone", "platform": "ios"})
    assert enrolled.status_code == 200
    assert db.session.scalar(select(func.count()).select_from(EnrollmentCode)) == 1


def test_pause_and_discharge_need_the_right_confirmation(console, patient):
    client = console["nurse"]
    assert post(client, f"/console/patients/{patient.id}/status", {"status": "paused"}).status_code == 302
    db.session.rollback()
    assert db.session.get(Patient, patient.id).status == "paused"
    unconfirmed = post(client, f"/console/patients/{patient.id}/status", {"status": "discharged"})
    assert unconfirmed.status_code == 422 and "Tick the box to confirm" in unconfirmed.get_data(as_text=True)
    assert (
        post(client, f"/console/patients/{patient.id}/status", {"status": "discharged", "confirm": "1"}).status_code
        == 302
    )
    db.session.rollback()
    assert db.session.get(Patient, patient.id).status == "discharged"
    assert post(client, f"/console/patients/{patient.id}/status", {"status": "sleeping"}).status_code == 422


def test_patient_list_shows_this_clinics_patients_with_their_flags(console, queue):
    html = console["nurse"].get("/console/patients").get_data(as_text=True)
    assert "Pat North" in html and "Olive North" in html and "Sol South" not in html
    assert "Critical</span>" in html


# --- admin ---------------------------------------------------------------------------------------------------


def test_admin_adds_staff_with_the_apis_password_rules(console, client):
    admin = console["admin"]
    weak = post(
        admin,
        "/console/admin/staff",
        {"email": "new@clinic.test", "name": "New One", "role": "nurse", "password": "short"},
    )
    assert weak.status_code == 422
    assert "new@clinic.test" in weak.get_data(as_text=True) and 'value="short"' not in weak.get_data(as_text=True)
    ok = post(
        admin,
        "/console/admin/staff",
        {
            "email": "new@clinic.test",
            "name": "New One",
            "role": "nurse",
            "password": "violet kettle drums at dawn 7",
            "on_call": "1",
        },
    )
    assert ok.status_code == 302
    db.session.rollback()
    person = db.session.scalar(select(Clinician).where(Clinician.email == "new@clinic.test"))
    assert person.role == "nurse" and person.on_call is True
    dup = post(
        admin,
        "/console/admin/staff",
        {"email": "new@clinic.test", "name": "Again", "role": "nurse", "password": "violet kettle drums at dawn 7"},
    )
    assert dup.status_code == 409


def test_admin_deactivates_a_nurse_and_their_console_session_ends(console, world):
    nurse_client = console["nurse"]
    assert nurse_client.get("/console/queue").status_code == 200
    admin = console["admin"]
    nurse = world.nurse.principal
    assert post(admin, f"/console/admin/staff/{nurse.id}", {"action": "deactivate"}).status_code == 302
    assert nurse_client.get("/console/queue").status_code == 302
    db.session.rollback()
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(AuthSession)
            .where(AuthSession.clinician_id == nurse.id, AuthSession.revoked_at.is_(None))
        )
        == 0
    )
    assert post(admin, f"/console/admin/staff/{nurse.id}", {"action": "reactivate"}).status_code == 302
    assert post(admin, f"/console/admin/staff/{nurse.id}", {"action": "on_call"}).status_code == 302
    db.session.rollback()
    assert db.session.get(Clinician, nurse.id).on_call is True
    myself = post(admin, f"/console/admin/staff/{world.admin.principal.id}", {"action": "deactivate"})
    assert myself.status_code == 409
    assert post(admin, f"/console/admin/staff/{nurse.id}", {"action": "promote"}).status_code == 422


def test_admin_settings_form_saves_and_names_bad_values(console, world):
    admin = console["admin"]
    form = _settings_page_form(admin)
    assert form["threshold-crisis_systolic"] == "180" and form["target-critical"] == "15"
    bad = post(admin, "/console/admin/settings", {**form, "threshold-hr_low": "10", "target-high": "soon"})
    assert bad.status_code == 422
    text = bad.get_data(as_text=True)
    assert "Enter a whole number." in text and 'value="soon"' in text
    range_ = post(admin, "/console/admin/settings", {**form, "threshold-hr_low": "10"})
    assert range_.status_code == 422 and "must be between 21 and 100" in range_.get_data(as_text=True)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(SettingsChange)) == 0

    ok = post(
        admin,
        "/console/admin/settings",
        {
            **form,
            "threshold-crisis_systolic": "175",
            "offsets": "2, 24, 72",
            "crisis-2-label": "North Clinic line",
            "crisis-2-phone": "+1 303 555 0111",
        },
    )
    assert ok.status_code == 302
    db.session.rollback()
    settings = db.session.get(Clinic, world.clinic.id).settings
    assert settings["thresholds"]["crisis_systolic"] == 175 and settings["checkin_offsets_hours"] == [2, 24, 72]
    assert settings["crisis_resources"][2] == {
        "label": "North Clinic line",
        "phone": "+1 303 555 0111",
        "sms": None,
        "url": None,
    }
    assert db.session.scalar(select(SettingsChange.actor_id)) == world.admin.principal.id


def test_settings_errors_land_on_the_crisis_row_they_came_from(console):
    admin = console["admin"]
    form = _settings_page_form(admin)
    response = post(admin, "/console/admin/settings", {**form, "crisis-4-phone": "+1 303 555 0111"})  # row 3 empty
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="crisis_resources-4-label-error"' in html and 'id="crisis_resources-2-label-error"' not in html


def _settings_page_form(client) -> dict:
    page = client.get("/console/admin/settings").get_data(as_text=True)
    return dict(
        re.findall(
            r'name="((?:threshold|target|visit|e2b|crisis-\d)-[\w-]+|offsets|quiet_start|quiet_end)"[^>]*value="([^"]*)"',
            page,
        )
    )


def test_admin_settings_form_edits_the_visit_limits_and_the_e2b_safety_contact(console, world):
    admin = console["admin"]
    form = _settings_page_form(admin)
    assert form["visit-hold_systolic"] == "140" and form["visit-limit_spo2"] == "94"
    assert form["e2b-identifier"] == "" and form["e2b-email"] == ""
    sender = {f"e2b-{k}": v for k, v in factories.E2B_SENDER.items()}
    ok = post(
        admin,
        "/console/admin/settings",
        {**form, **sender, "visit-hold_systolic": "150", "visit-limit_heart_rate_high": "120"},
    )
    assert ok.status_code == 302
    db.session.rollback()
    settings = db.session.get(Clinic, world.clinic.id).settings
    assert settings["visit"]["hold_systolic"] == 150 and settings["visit"]["limit_heart_rate_high"] == 120
    assert settings["visit"]["hold_diastolic"] == 90
    assert settings["e2b_sender"] == factories.E2B_SENDER
    # The form shows what was saved; saving it again unchanged keeps the contact.
    again = _settings_page_form(admin)
    assert again["visit-hold_systolic"] == "150" and again["e2b-family_name"] == "Reyes"
    assert post(admin, "/console/admin/settings", again).status_code == 302
    db.session.rollback()
    assert db.session.get(Clinic, world.clinic.id).settings["e2b_sender"] == factories.E2B_SENDER
    # The API reads what the form saved.
    answer = admin.application.test_client().get("/api/v1/clinic/settings", headers=world.admin.headers).get_json()
    assert answer["visit"]["hold_systolic"] == 150 and answer["e2b_sender"]["country"] == "US"


def test_admin_settings_form_refuses_bad_visit_and_e2b_values_naming_them(console, world):
    admin = console["admin"]
    form = _settings_page_form(admin)
    sender = {f"e2b-{k}": v for k, v in factories.E2B_SENDER.items()}
    bad = post(
        admin,
        "/console/admin/settings",
        {**form, **sender, "visit-hold_systolic": "90", "visit-limit_spo2": "lots", "e2b-country": "USA"},
    )
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert 'id="visit-limit_spo2-error"' in html and "Enter a whole number." in html
    assert 'value="USA"' in html and 'value="lots"' in html
    range_ = post(
        admin, "/console/admin/settings", {**form, **sender, "visit-hold_systolic": "90", "e2b-country": "USA"}
    )
    assert range_.status_code == 422
    html = range_.get_data(as_text=True)
    assert 'id="visit-hold_systolic-error"' in html and 'id="e2b_sender-country-error"' in html
    assert "two-letter ISO 3166 country code" in html
    partial = post(admin, "/console/admin/settings", {**form, "e2b-identifier": "NORTH-1", "e2b-email": "nope"})
    assert partial.status_code == 422
    html = partial.get_data(as_text=True)
    assert 'id="e2b_sender-family_name-error"' in html and 'id="e2b_sender-email-error"' in html
    db.session.rollback()
    stored = db.session.get(Clinic, world.clinic.id).settings or {}
    assert "e2b_sender" not in stored and "visit" not in stored
    assert db.session.scalar(select(func.count()).select_from(SettingsChange)) == 0


def test_non_admins_cannot_save_the_visit_limits_or_the_e2b_contact(console, world):
    form = {"visit-hold_systolic": "150", **{f"e2b-{k}": v for k, v in factories.E2B_SENDER.items()}}
    for caller in ("nurse", "physician"):
        assert post(console[caller], "/console/admin/settings", form).status_code == 403
    db.session.rollback()
    assert "e2b_sender" not in (db.session.get(Clinic, world.clinic.id).settings or {})


def test_outbox_page_lists_messages(console):
    outbox = console["admin"].get("/console/admin/outbox").get_data(as_text=True)
    assert "Messages in the outbox" in outbox and "No dead letters." in outbox


def test_other_clinics_ids_are_404_on_every_page(console, world):
    far_patient = world.other_clinic_patient.principal.patient_id
    assert console["nurse"].get(f"/console/patients/{far_patient}").status_code == 404
    assert console["nurse"].get(f"/console/flags/{uuid.uuid4()}").status_code == 404
    assert (
        post(
            console["admin"], f"/console/admin/staff/{world.other_admin.principal.id}", {"action": "deactivate"}
        ).status_code
        == 404
    )
    db.session.rollback()
    assert db.session.get(Clinician, world.other_admin.principal.id).active is True


def test_demo_password_factory_is_used(world):
    assert factories.PASSWORD


def test_patient_page_shows_the_baseline_from_the_first_phq9_before_treatment(console, world):
    from service.models import Patient
    from tests.analytics_data import add_infusion, add_phq9

    patient_id = world.patient.principal.patient_id
    add_phq9(world.clinic.id, patient_id, "10-20 12:00", 18)
    add_infusion(world.clinic.id, patient_id, "10-22 17:45")
    db.session.commit()
    html = console["nurse"].get(f"/console/patients/{patient_id}").get_data(as_text=True)
    assert "PHQ-9 18 (first PHQ-9 before treatment)" in html
    assert "Response: PHQ-9 9 or less (half of baseline 18)" in html
    db.session.get(Patient, patient_id).phq9_baseline = 14  # typed by hand: it wins
    db.session.commit()
    html = console["nurse"].get(f"/console/patients/{patient_id}").get_data(as_text=True)
    assert "PHQ-9 14," in html and "Response: PHQ-9 7 or less (half of baseline 14)" in html
