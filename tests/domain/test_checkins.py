"""Scheduling check-ins: offsets after each infusion, rescheduling, cancelling, quiet hours, superseding."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from service.domain import infusions, patients
from service.domain.checkins import asks_phq9_for, kind_for
from service.enums import CheckinStatus, PatientStatus
from service.extensions import db
from service.models import Clinic, Patient
from tests import factories
from tests.jobkit import checkins_of, give_infusion, job_context, run

H = timedelta(hours=1)
WINTER_MORNING_END = datetime(2026, 1, 15, 17, 0, tzinfo=UTC)  # 10:00 in Denver


def patient_in(world, **values) -> Patient:
    return factories.make_patient(world.clinic, time_zone="America/Denver", **values)


def test_recording_an_infusion_schedules_the_default_offsets(world):
    patient = patient_in(world)
    infusion = give_infusion(patient, ended_at=WINTER_MORNING_END)
    rows = checkins_of(patient.id)
    assert [(c.kind, c.offset_hours, c.asks_phq9) for c in rows] == [
        ("2h", 2, False),
        ("24h", 24, False),
        ("72h", 72, False),
        ("7d", 168, True),
        ("14d", 336, True),
    ]
    assert all(c.status == CheckinStatus.SCHEDULED and c.infusion_id == infusion.id for c in rows)
    assert [c.due_at for c in rows] == [WINTER_MORNING_END + h * H for h in (2, 24, 72, 168, 336)]
    assert [c.send_at for c in rows] == [c.due_at for c in rows]  # all in daytime


def test_offsets_come_from_the_clinic_settings(world):
    clinic = db.session.get(Clinic, world.clinic.id)
    clinic.settings = {"checkin_offsets_hours": [4, 48]}
    db.session.commit()
    patient = patient_in(world)
    give_infusion(patient, ended_at=WINTER_MORNING_END)
    assert [c.kind for c in checkins_of(patient.id)] == ["4h", "48h"]


def test_labels_and_phq9():
    assert [kind_for(h) for h in (2, 24, 72, 168, 336, 30)] == ["2h", "24h", "72h", "7d", "14d", "30h"]
    assert [asks_phq9_for(h) for h in (72, 168, 336)] == [False, True, True]


def test_an_infusion_without_an_end_waits_for_one(world):
    patient = patient_in(world)
    infusion = infusions.record_infusion(
        db.session,
        patient=patient,
        actor=None,
        values={"started_at": WINTER_MORNING_END - H, "route": "iv", "phase": "induction"},
        now=WINTER_MORNING_END,
    )
    db.session.commit()
    assert checkins_of(patient.id) == []
    infusions.update_infusion(
        db.session, infusion=infusion, changes={"ended_at": WINTER_MORNING_END}, now=WINTER_MORNING_END
    )
    db.session.commit()
    assert len(checkins_of(patient.id)) == 5


def test_changing_the_end_moves_only_check_ins_not_yet_sent(app, world):
    patient = patient_in(world)
    infusion = give_infusion(patient, ended_at=WINTER_MORNING_END)
    run(job_context(app), WINTER_MORNING_END + 2 * H, "send_checkins")
    first = checkins_of(patient.id)[0]
    assert first.status == CheckinStatus.SENT

    later_end = WINTER_MORNING_END + 90 * timedelta(minutes=1)
    infusion = db.session.get(type(infusion), infusion.id)
    infusions.update_infusion(db.session, infusion=infusion, changes={"ended_at": later_end}, now=later_end + 3 * H)
    db.session.commit()
    rows = checkins_of(patient.id)
    assert rows[0].due_at == WINTER_MORNING_END + 2 * H and rows[0].status == CheckinStatus.SENT
    assert [c.due_at for c in rows[1:]] == [later_end + h * H for h in (24, 72, 168, 336)]
    assert len(rows) == 5  # moved, not duplicated


def test_pausing_or_discharging_cancels_future_check_ins(world):
    for status in (PatientStatus.PAUSED, PatientStatus.DISCHARGED):
        patient = patient_in(world)
        give_infusion(patient, ended_at=WINTER_MORNING_END)
        patients.update_patient(
            db.session,
            patient=db.session.get(Patient, patient.id),
            changes={"status": status},
            allowed=patients.CLINICIAN_EDITABLE,
            now=WINTER_MORNING_END + H,
        )
        db.session.commit()
        rows = checkins_of(patient.id)
        assert {c.status for c in rows} == {CheckinStatus.CANCELLED}
        assert all(c.cancelled_at == WINTER_MORNING_END + H for c in rows)


def test_a_paused_patient_gets_no_check_ins(world):
    patient = patient_in(world, status=PatientStatus.PAUSED)
    give_infusion(patient, ended_at=WINTER_MORNING_END)
    assert checkins_of(patient.id) == []


def test_a_back_filled_infusion_skips_check_ins_already_past_answering(world):
    patient = patient_in(world)
    give_infusion(patient, ended_at=WINTER_MORNING_END, now=WINTER_MORNING_END + 60 * H)
    # 2h and 24h were due more than a day before it was recorded: not created (no burst of stale prompts).
    assert [c.kind for c in checkins_of(patient.id)] == ["72h", "7d", "14d"]


def test_a_later_infusion_supersedes_the_earlier_ones_later_check_ins(world):
    patient = patient_in(world)
    earlier = give_infusion(patient, ended_at=WINTER_MORNING_END)
    give_infusion(patient, ended_at=WINTER_MORNING_END + 48 * H)
    rows = checkins_of(patient.id)
    first = [c for c in rows if c.infusion_id == earlier.id]
    assert {c.kind: c.status for c in first} == {
        "2h": CheckinStatus.SCHEDULED,
        "24h": CheckinStatus.SCHEDULED,
        "72h": CheckinStatus.CANCELLED,
        "7d": CheckinStatus.CANCELLED,
        "14d": CheckinStatus.CANCELLED,
    }
    assert sum(c.status == CheckinStatus.SCHEDULED for c in rows) == 7  # 2 of the first, 5 of the second


def test_quiet_hours_move_the_send_time_on_the_spring_forward_night(world):
    # Infusion ends 19:00 MST on Saturday 2026-03-07; clocks spring forward at 02:00 that night.
    patient = patient_in(world)
    ended = datetime(2026, 3, 8, 2, 0, tzinfo=UTC)
    give_infusion(patient, ended_at=ended)
    two_h, day, *_ = checkins_of(patient.id)
    assert two_h.due_at == datetime(2026, 3, 8, 4, 0, tzinfo=UTC)  # 21:00 MST: quiet
    assert two_h.send_at == datetime(2026, 3, 8, 14, 0, tzinfo=UTC)  # 08:00 MDT
    assert day.due_at == datetime(2026, 3, 9, 2, 0, tzinfo=UTC)  # 24 h later is 20:00 MDT: not quiet
    assert day.send_at == day.due_at


def test_quiet_hours_move_the_send_time_on_the_fall_back_night(world):
    patient = patient_in(world)
    ended = datetime(2026, 11, 1, 1, 30, tzinfo=UTC)  # 19:30 MDT on 2026-10-31
    give_infusion(patient, ended_at=ended)
    two_h = checkins_of(patient.id)[0]
    assert two_h.send_at == datetime(2026, 11, 1, 15, 0, tzinfo=UTC)  # 08:00 MST, an hour later in UTC than in summer


def test_the_patients_own_window_and_a_change_of_it(world):
    patient = patient_in(world, quiet_hours_start=time(20, 0), quiet_hours_end=time(9, 0))
    ended = datetime(2026, 1, 15, 1, 0, tzinfo=UTC)  # 18:00 MST
    give_infusion(patient, ended_at=ended)
    two_h = checkins_of(patient.id)[0]
    assert two_h.send_at == datetime(2026, 1, 15, 16, 0, tzinfo=UTC)  # 20:00 is quiet for them: 09:00
    patients.update_patient(
        db.session,
        patient=db.session.get(Patient, patient.id),
        changes={"quiet_hours_start": time(22, 0)},
        allowed=patients.PATIENT_EDITABLE,
        now=ended,
    )
    db.session.commit()
    assert checkins_of(patient.id)[0].send_at == two_h.due_at  # 20:00 is no longer quiet


def test_new_patients_take_the_clinics_quiet_hours(world):
    clinic = db.session.get(Clinic, world.clinic.id)
    clinic.settings = {"quiet_hours": {"start": "22:30", "end": "07:00"}}
    db.session.commit()
    patient = patients.create_patient(
        db.session,
        clinic=clinic,
        values={"display_name": "Quinn", "date_of_birth": datetime(1990, 1, 1).date()},
        now=WINTER_MORNING_END,
    )
    db.session.commit()
    assert (patient.quiet_hours_start, patient.quiet_hours_end) == (time(22, 30), time(7, 0))
