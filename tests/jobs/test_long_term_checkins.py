"""The quarterly long-term check-in of maintenance patients: who gets one, when, once, and where its answers go."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import func, select

from jobs.runner import tick
from service.clock import now_utc
from service.domain import checkins, infusions, patients
from service.domain.checkins import LONG_TERM, long_term_due
from service.enums import CheckinStatus, Language, NotificationKind, PatientStatus
from service.extensions import db
from service.models import Checkin, Flag, Patient, Report
from tests import factories
from tests.jobkit import checkins_of, job_context, notifications, run

H = timedelta(hours=1)
D = timedelta(days=1)
M = timedelta(minutes=1)
# A maintenance infusion that ended at 10:00 in Denver on Thursday 15 January 2026 (MST, UTC-7).
MAINTENANCE_END = datetime(2026, 1, 15, 17, 0, tzinfo=UTC)
# 15 January + 90 days = 15 April (16 days left of January, 28 of February, 31 of March, 15 of April), after the
# change to daylight time on 8 March: 10:00 MDT is 16:00 UTC, not 17:00.
FIRST_DUE = datetime(2026, 4, 15, 16, 0, tzinfo=UTC)
HEALTH_WORDS = ("bladder", "urin", "memory", "crav", "ketamine", "symptom", "infusion", "long", "quarter", "drug")


def patient_in(world, **values) -> Patient:
    return factories.make_patient(world.clinic, time_zone="America/Denver", **values)


def give(patient, *, ended_at: datetime, phase: str = "maintenance", now: datetime | None = None):
    """An infusion recorded (by default) 20 days after it ended, so that its own check-ins are long gone."""
    infusion = infusions.record_infusion(
        db.session,
        patient=patient,
        actor=None,
        values={"started_at": ended_at - 50 * M, "ended_at": ended_at, "route": "iv", "phase": phase},
        now=now or ended_at + 20 * D,
    )
    db.session.commit()
    return infusion


def long_term_of(patient_id) -> list[Checkin]:
    return [c for c in checkins_of(patient_id) if c.kind == LONG_TERM]


def test_a_maintenance_patient_gets_one_long_term_check_in_a_quarter_at_ten_on_their_own_clock(app, world):
    patient = patient_in(world)
    give(patient, ended_at=MAINTENANCE_END)
    ctx = job_context(app)
    # Made a day ahead of its due time, not before.
    assert run(ctx, FIRST_DUE - D - timedelta(seconds=1), "schedule_long_term")["schedule_long_term"] == 0
    assert run(ctx, FIRST_DUE - D, "schedule_long_term")["schedule_long_term"] == 1
    [first] = long_term_of(patient.id)
    assert (first.infusion_id, first.offset_hours, first.asks_phq9) == (None, 2160, False)
    assert (first.due_at, first.send_at, first.status) == (FIRST_DUE, FIRST_DUE, CheckinStatus.SCHEDULED)
    # However often the job runs that quarter, one check-in.
    for moment in (FIRST_DUE - D, FIRST_DUE, FIRST_DUE + 40 * D):
        assert run(ctx, moment, "schedule_long_term")["schedule_long_term"] == 0
    assert len(long_term_of(patient.id)) == 1
    # Sent by the usual job at 10:00 MDT, with the usual lock-screen text.
    assert run(ctx, FIRST_DUE - timedelta(seconds=1), "send_checkins")["send_checkins"] == 0
    assert run(ctx, FIRST_DUE, "send_checkins")["send_checkins"] == 1
    [prompt] = notifications(kind=NotificationKind.CHECKIN_PROMPT)
    assert prompt.checkin_id == first.id and prompt.body == "You have a check-in waiting in Aftercare."
    assert not any(word in (prompt.subject + prompt.body).lower() for word in HEALTH_WORDS)
    # The next quarter: 15 April + 90 days = 14 July, 10:00 MDT (16:00 UTC).
    second_due = datetime(2026, 7, 14, 16, 0, tzinfo=UTC)
    assert run(ctx, second_due - D - timedelta(seconds=1), "schedule_long_term")["schedule_long_term"] == 0
    assert run(ctx, second_due - D, "schedule_long_term")["schedule_long_term"] == 1
    assert [(c.offset_hours, c.due_at) for c in long_term_of(patient.id)] == [(2160, FIRST_DUE), (4320, second_due)]


def test_the_quarters_count_from_the_patients_calendar_day_not_the_utc_one(app, world):
    """Ended at 23:30 in Denver on 15 January, already 06:30 on the 16th in UTC: due 15 April, like the morning."""
    patient = patient_in(world)
    give(patient, ended_at=datetime(2026, 1, 16, 6, 30, tzinfo=UTC))
    run(job_context(app), FIRST_DUE, "schedule_long_term")
    assert [c.due_at for c in long_term_of(patient.id)] == [FIRST_DUE]
    # And in the patient's own zone, not the clinic's: 10:00 in New York is 14:00 UTC in April (EDT).
    eastern = factories.make_patient(world.clinic, time_zone="America/New_York")
    give(eastern, ended_at=MAINTENANCE_END)  # 12:00 in New York on 15 January
    run(job_context(app), FIRST_DUE, "schedule_long_term")
    assert [c.due_at for c in long_term_of(eastern.id)] == [datetime(2026, 4, 15, 14, 0, tzinfo=UTC)]


def test_the_first_maintenance_infusion_starts_the_count_and_later_ones_do_not_move_it(app, world):
    patient = patient_in(world)
    give(patient, ended_at=MAINTENANCE_END)
    give(patient, ended_at=MAINTENANCE_END + 30 * D)
    run(job_context(app), FIRST_DUE, "schedule_long_term")
    assert [c.due_at for c in long_term_of(patient.id)] == [FIRST_DUE]


def test_only_active_maintenance_patients_get_one(app, world):
    induction = patient_in(world)
    give(induction, ended_at=MAINTENANCE_END, phase="induction")
    unfinished = patient_in(world)
    infusions.record_infusion(
        db.session,
        patient=unfinished,
        actor=None,
        values={"started_at": MAINTENANCE_END, "route": "iv", "phase": "maintenance"},  # no end recorded
        now=MAINTENANCE_END,
    )
    db.session.commit()
    paused = patient_in(world)
    give(paused, ended_at=MAINTENANCE_END)
    discharged = patient_in(world)
    give(discharged, ended_at=MAINTENANCE_END)
    for row, status in ((paused, PatientStatus.PAUSED), (discharged, PatientStatus.DISCHARGED)):
        db.session.get(Patient, row.id).status = status
    db.session.commit()
    maintained = patient_in(world)
    give(maintained, ended_at=MAINTENANCE_END)
    assert run(job_context(app), FIRST_DUE, "schedule_long_term")["schedule_long_term"] == 1
    made = db.session.scalars(select(Checkin.patient_id).where(Checkin.kind == LONG_TERM)).all()
    assert made == [maintained.id]


def test_quiet_hours_hold_it_like_any_prompt(app, world):
    """A night-shift worker sleeping 06:00-14:00: the 10:00 check-in goes out at 14:00 MDT (20:00 UTC)."""
    patient = patient_in(world, quiet_hours_start=time(6, 0), quiet_hours_end=time(14, 0))
    give(patient, ended_at=MAINTENANCE_END)
    ctx = job_context(app)
    run(ctx, FIRST_DUE, "schedule_long_term")
    [checkin] = long_term_of(patient.id)
    assert (checkin.due_at, checkin.send_at) == (FIRST_DUE, FIRST_DUE + 4 * H)
    assert run(ctx, FIRST_DUE + 4 * H - timedelta(seconds=1), "send_checkins")["send_checkins"] == 0
    assert run(ctx, FIRST_DUE + 4 * H, "send_checkins")["send_checkins"] == 1


def test_a_spanish_speaker_gets_the_spanish_prompt_and_questions(app, world):
    patient = patient_in(world, language=Language.ES)
    give(patient, ended_at=MAINTENANCE_END)
    run(job_context(app), FIRST_DUE, "schedule_long_term", "send_checkins")
    [prompt] = notifications(kind=NotificationKind.CHECKIN_PROMPT)
    assert (prompt.subject, prompt.body) == ("Control de Aftercare", "Tiene un control pendiente en Aftercare.")
    asked = checkins.questions_for(LONG_TERM, Language.ES)
    assert [q["code"] for q in asked] == [
        "urinary_frequency",
        "urinary_urgency",
        "bladder_pain",
        "memory_problems",
        "craving",
        "ketamine_outside_clinic",
    ]
    assert asked[0]["label"] == "Necesidad de orinar más a menudo de lo habitual"
    assert asked[-1] == {
        "code": "ketamine_outside_clinic",
        "answer": "yes_no",
        "report_field": "ketamine_outside_clinic",
        "label": "Desde su último control, ¿ha tomado ketamina (o esketamina) en algún lugar que no sea la clínica?",
    }
    assert checkins.questions_for("24h", Language.ES) == []


def test_catching_up_after_downtime_makes_the_late_quarter_once_but_not_a_stale_one(app, world):
    late = patient_in(world)
    give(late, ended_at=MAINTENANCE_END)
    stale = patient_in(world)
    give(stale, ended_at=MAINTENANCE_END - 10 * D)  # 5 January: its first quarter was due 5 April
    ctx = job_context(app)
    # First run on 6 May, 10:00 MDT: 21 days late for one (made, sent at once), 31 days for the other (skipped).
    may_6 = datetime(2026, 5, 6, 16, 0, tzinfo=UTC)
    assert run(ctx, may_6, "schedule_long_term", "send_checkins") == {"schedule_long_term": 1, "send_checkins": 1}
    [made] = long_term_of(late.id)
    assert (made.due_at, made.status, made.sent_at) == (FIRST_DUE, CheckinStatus.SENT, may_6)
    assert long_term_of(stale.id) == []
    # The stale one's next quarter comes on time: 5 April + 90 days = 4 July.
    run(ctx, datetime(2026, 7, 4, 16, 0, tzinfo=UTC), "schedule_long_term")
    assert [c.due_at for c in long_term_of(stale.id)] == [datetime(2026, 7, 4, 16, 0, tzinfo=UTC)]


def test_pausing_cancels_it_and_resuming_does_not_bring_that_quarter_back(app, world):
    patient = patient_in(world)
    give(patient, ended_at=MAINTENANCE_END)
    ctx = job_context(app)
    run(ctx, FIRST_DUE - D, "schedule_long_term")
    row = db.session.get(Patient, patient.id)
    for status, at in ((PatientStatus.PAUSED, FIRST_DUE - D), (PatientStatus.ACTIVE, FIRST_DUE - H)):
        patients.update_patient(
            db.session, patient=row, changes={"status": status}, allowed=frozenset({"status"}), now=at
        )
        db.session.commit()
    assert run(ctx, FIRST_DUE, "schedule_long_term", "send_checkins") == {"schedule_long_term": 0, "send_checkins": 0}
    assert [c.status for c in long_term_of(patient.id)] == [CheckinStatus.CANCELLED]


def test_a_new_infusion_leaves_a_scheduled_long_term_check_in_alone(app, world):
    """Superseding is about one infusion's check-ins overtaken by the next; the quarterly one belongs to none."""
    patient = patient_in(world)
    give(patient, ended_at=MAINTENANCE_END)
    run(job_context(app), FIRST_DUE - D, "schedule_long_term")
    give(patient, ended_at=FIRST_DUE - 20 * H, now=FIRST_DUE - 20 * H)
    [checkin] = long_term_of(patient.id)
    assert checkin.status == CheckinStatus.SCHEDULED
    assert len(checkins_of(patient.id)) == 1 + 5


def test_two_job_processes_scheduling_at_once_make_one_check_in(app, world):
    patient = patient_in(world)
    give(patient, ended_at=MAINTENANCE_END)
    db.session.commit()
    ctx = job_context(app)
    made = factories.at_once(app, lambda _client: tick(ctx, now=FIRST_DUE, only=("schedule_long_term",)), 4)
    assert sorted(m["schedule_long_term"] for m in made) == [0, 0, 0, 1]
    db.session.rollback()
    count = db.session.scalar(select(func.count()).select_from(Checkin).where(Checkin.patient_id == patient.id))
    assert count == 1


def test_the_due_time_is_ten_oclock_on_both_sides_of_daylight_time():
    """Hand-worked: from 15 January (MST) the quarters fall on 15 April (MDT), 14 July, 12 October (MDT) and
    10 January 2027 (MST): 16:00, 16:00, 16:00 and 17:00 UTC."""
    dues = [long_term_due(maintenance_from=MAINTENANCE_END, time_zone="America/Denver", cycle=n) for n in (1, 2, 3, 4)]
    assert dues == [
        datetime(2026, 4, 15, 16, 0, tzinfo=UTC),
        datetime(2026, 7, 14, 16, 0, tzinfo=UTC),
        datetime(2026, 10, 12, 16, 0, tzinfo=UTC),
        datetime(2027, 1, 10, 17, 0, tzinfo=UTC),
    ]


# --- the answers, over HTTP -----------------------------------------------------------------------------------


def sent_long_term_check_in(app, world) -> Checkin:
    """World's patient on maintenance since 91 days ago (by the real clock: the report must be recent), with its
    first quarterly check-in made and sent; no quiet hours, so the test passes at any hour."""
    patient = db.session.get(Patient, world.patient.principal.patient_id)
    patient.quiet_hours_start = patient.quiet_hours_end = time(0, 0)
    db.session.commit()
    now = now_utc()
    give(patient, ended_at=now - 91 * D, now=now)
    run(job_context(app), now, "schedule_long_term", "send_checkins")
    [checkin] = long_term_of(patient.id)
    assert checkin.status == CheckinStatus.SENT
    return checkin


def test_the_app_sees_the_questions_and_the_answers_run_through_the_rules(app, client, world):
    checkin = sent_long_term_check_in(app, world)
    [shown] = client.get("/api/v1/me/checkins", headers=world.patient.headers).get_json()
    assert (shown["id"], shown["kind"], shown["infusion_id"]) == (str(checkin.id), "long_term", None)
    assert [(q["code"], q["answer"], q["report_field"]) for q in shown["questions"]] == [
        ("urinary_frequency", "severity", "symptoms"),
        ("urinary_urgency", "severity", "symptoms"),
        ("bladder_pain", "severity", "symptoms"),
        ("memory_problems", "severity", "symptoms"),
        ("craving", "severity", "symptoms"),
        ("ketamine_outside_clinic", "yes_no", "ketamine_outside_clinic"),
    ]
    assert shown["questions"][0]["label"] == "Needing to urinate more often than usual"
    # Staff see the same questions (in English) on the patient's check-ins; another clinic sees nothing.
    url = f"/api/v1/patients/{world.patient.principal.patient_id}/checkins"
    [staff] = client.get(url, headers=world.nurse.headers).get_json()[:1]
    assert staff["kind"] == "long_term" and len(staff["questions"]) == 6
    assert client.get(url, headers=world.other_admin.headers).status_code == 404
    assert client.get("/api/v1/me/checkins", headers=world.other_patient.headers).get_json() == []

    answers = {
        "client_report_id": str(uuid.uuid4()),
        "observed_at": now_utc().isoformat(),
        "checkin_id": str(checkin.id),
        "symptoms": [
            {"code": "urinary_frequency", "severity": 2},
            {"code": "urinary_urgency", "severity": 1},
            {"code": "bladder_pain", "severity": 2},
            {"code": "memory_problems", "severity": 1},
            {"code": "craving", "severity": 0},
        ],
        "ketamine_outside_clinic": True,
    }
    stored = client.post("/api/v1/me/reports", json=answers, headers=world.patient.headers)
    assert stored.status_code == 201, stored.get_json()
    triage = stored.get_json()["triage"]
    assert (triage["flagged"], triage["priority"], triage["paged"]) == (True, "medium", False)
    # Bladder pain 2 → urinary-toxicity; outside use → misuse-signal (v2); frequency 2 and bladder pain 2, 91 days
    # after the infusion, far beyond twice their 24 h window → persistent-symptom. Urgency 1, memory 1: nothing.
    db.session.rollback()  # read what the request committed
    db.session.expire_all()
    flags = {f.rule: f for f in db.session.scalars(select(Flag).where(Flag.patient_id == checkin.patient_id))}
    assert set(flags) == {"urinary-toxicity", "misuse-signal", "persistent-symptom"}
    assert flags["misuse-signal"].rule_version == 2
    assert flags["misuse-signal"].evidence["ketamine_outside_clinic"] is True
    assert [s["code"] for s in flags["persistent-symptom"].evidence["symptoms"]] == [
        "bladder_pain",
        "urinary_frequency",
    ]
    report = db.session.scalar(select(Report).where(Report.checkin_id == checkin.id))
    assert report.ketamine_outside_clinic is True and report.infusion_id is not None
    assert db.session.get(Checkin, checkin.id).status == CheckinStatus.ANSWERED
    mine = client.get(f"/api/v1/me/reports/{report.id}", headers=world.patient.headers).get_json()
    assert mine["ketamine_outside_clinic"] is True
    # Sending the same answers again is a replay, not a second report.
    again = client.post("/api/v1/me/reports", json=answers, headers=world.patient.headers)
    assert again.status_code == 200 and again.get_json()["id"] == str(report.id)


def test_a_quiet_quarter_flags_nothing_and_a_no_alone_is_a_report(app, client, world):
    checkin = sent_long_term_check_in(app, world)
    calm = {
        "client_report_id": str(uuid.uuid4()),
        "observed_at": now_utc().isoformat(),
        "checkin_id": str(checkin.id),
        "ketamine_outside_clinic": False,
    }
    stored = client.post("/api/v1/me/reports", json=calm, headers=world.patient.headers)
    assert stored.status_code == 201, stored.get_json()
    assert stored.get_json()["triage"]["flagged"] is False
    assert db.session.scalars(select(Flag).where(Flag.patient_id == checkin.patient_id)).all() == []
    wrong = client.post(
        "/api/v1/me/reports",
        json={**calm, "client_report_id": str(uuid.uuid4()), "ketamine_outside_clinic": "sometimes"},
        headers=world.patient.headers,
    )
    assert wrong.status_code == 422 and "ketamine_outside_clinic" in wrong.get_json()["errors"]["json"]


def test_the_console_names_the_check_in_and_shows_the_answer_on_the_flag(app, client, world):
    from tests.web.conftest import Clients

    checkin = sent_long_term_check_in(app, world)
    answers = {
        "client_report_id": str(uuid.uuid4()),
        "observed_at": now_utc().isoformat(),
        "checkin_id": str(checkin.id),
        "symptoms": [{"code": "craving", "severity": 1}],
        "ketamine_outside_clinic": True,
    }
    assert client.post("/api/v1/me/reports", json=answers, headers=world.patient.headers).status_code == 201
    db.session.expire_all()
    flag = db.session.scalar(select(Flag).where(Flag.patient_id == checkin.patient_id, Flag.rule == "misuse-signal"))
    console = Clients(app, world)
    page = console["nurse"].get(f"/console/flags/{flag.id}").get_data(as_text=True)
    assert "Ketamine taken outside the clinic: yes" in page
    assert "Ketamine taken outside the clinic, reported at" in page  # the flag's reason
    patient_page = console["nurse"].get(f"/console/patients/{checkin.patient_id}").get_data(as_text=True)
    assert "Quarterly long-term (bladder, memory, craving, use outside the clinic)" in patient_page
    timeline = client.get(f"/api/v1/patients/{checkin.patient_id}/timeline", headers=world.nurse.headers).get_json()
    assert "quarterly long-term check-in: answered" in [e["summary"] for e in timeline["entries"]]


def test_a_spanish_speaking_patient_reads_the_questions_in_spanish_and_staff_in_english(app, client, world):
    checkin = sent_long_term_check_in(app, world)
    db.session.get(Patient, checkin.patient_id).language = Language.ES
    db.session.commit()
    [mine] = client.get("/api/v1/me/checkins", headers=world.patient.headers).get_json()
    assert [q["label"] for q in mine["questions"]][:2] == [
        "Necesidad de orinar más a menudo de lo habitual",
        "Necesidad repentina y urgente de orinar",
    ]
    assert mine["questions"][-1]["label"].startswith("Desde su último control")
    url = f"/api/v1/patients/{checkin.patient_id}/checkins"
    [staff] = client.get(url, headers=world.nurse.headers).get_json()
    assert staff["questions"][0]["label"] == "Needing to urinate more often than usual"
    spanish = client.get("/api/v1/symptoms", headers=world.patient.headers).get_json()  # the patient's language
    assert {s["code"]: s["label"] for s in spanish["symptoms"]}["urinary_urgency"] == mine["questions"][1]["label"]
