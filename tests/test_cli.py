"""The operations CLI: clinic create and demo seed."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from service.enums import Role
from service.extensions import db
from service.models import (
    AdverseEvent,
    Checkin,
    Clinic,
    Clinician,
    Device,
    Discharge,
    EnrollmentCode,
    Flag,
    FlagEvent,
    FlagReport,
    Infusion,
    Notification,
    Observation,
    Patient,
    Report,
    ReportSymptom,
    Screening,
)
from service.vocabulary import SYMPTOMS_BY_TERM
from tests.conftest import pinned_start


def test_clinic_create_prints_id_and_admin_can_sign_in(app, client):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "clinic",
            "create",
            "--name",
            "Lakeside Ketamine",
            "--timezone",
            "America/Chicago",
            "--admin-email",
            "Boss@Lakeside.test",
            "--admin-password",
            "a long and private passphrase",
        ]
    )
    assert result.exit_code == 0, result.output
    clinic_id = uuid.UUID(result.output.strip())
    clinic = db.session.get(Clinic, clinic_id)
    assert clinic.name == "Lakeside Ketamine" and clinic.time_zone == "America/Chicago"
    admin = db.session.scalar(select(Clinician).where(Clinician.clinic_id == clinic_id))
    assert admin.role == Role.ADMIN and admin.email == "boss@lakeside.test"
    assert "passphrase" not in admin.password_hash
    login = client.post(
        "/api/v1/auth/login", json={"email": "boss@lakeside.test", "password": "a long and private passphrase"}
    )
    assert login.status_code == 200


def test_clinic_create_refuses_bad_input_clearly(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "clinic",
            "create",
            "--name",
            "X",
            "--timezone",
            "Mars/Olympus",
            "--admin-email",
            "a@b.test",
            "--admin-password",
            "a long and private passphrase",
        ]
    )
    assert result.exit_code != 0
    assert "IANA time zone" in result.output
    weak = runner.invoke(
        args=[
            "clinic",
            "create",
            "--name",
            "X",
            "--timezone",
            "UTC",
            "--admin-email",
            "a@b.test",
            "--admin-password",
            "short",
        ]
    )
    assert weak.exit_code != 0 and "15 characters" in weak.output
    assert db.session.scalar(select(func.count()).select_from(Clinic)) == 0


def test_demo_seed_builds_a_realistic_clinic(app, client):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo", "seed", "--patients", "10"])
    assert result.exit_code == 0, result.output
    assert "nurse@demo.aftercare.test" in result.output
    assert db.session.scalar(select(func.count()).select_from(Patient)) == 10
    infusions = db.session.scalars(select(Infusion)).all()
    assert len(infusions) >= 5
    assert all(i.ended_at > i.started_at for i in infusions)
    assert db.session.scalar(select(func.count()).select_from(Device)) >= 3
    assert db.session.scalar(select(func.count()).select_from(EnrollmentCode)) == 1
    reports = db.session.scalars(select(Report)).all()
    assert len(reports) >= 10
    assert all(r.infusion_id is not None and r.observed_at >= r.received_at - timedelta(hours=2) for r in reports)
    statuses = {f.status for f in db.session.scalars(select(Flag))}
    assert {"open", "resolved"} <= statuses  # work waiting, and work already done
    assert (
        db.session.scalar(
            select(func.count()).select_from(Flag).where(Flag.priority == "critical", Flag.status == "open")
        )
        >= 1
    )
    observed = sorted(r.observed_at for r in reports)
    assert observed[-1] - observed[0] >= timedelta(days=14)  # weeks of history, not one day
    # A few adverse events, at least one serious (with its regulatory clock).
    events = db.session.scalars(select(AdverseEvent)).all()
    assert events and any(e.serious and e.regulatory_due_at is not None for e in events)
    assert f"{len(events)} adverse events" in result.output
    # Recent infusions have check-ins waiting for the job process; one infusion ended 2.5 h ago, so its
    # 2 h check-in is due now.
    assert "jobs run" in result.output
    checkins = db.session.scalars(select(Checkin)).all()
    assert any(c.status == "scheduled" for c in checkins)
    fresh = [i for i in infusions if i.ended_at > i.created_at - timedelta(hours=3)]
    assert fresh and any(c.infusion_id == fresh[0].id and c.kind == "2h" for c in checkins)
    # The crisis loop, as it happens: paged at once, acknowledged, reopened and paged again by new evidence;
    # the weeks of history's pages were sent then, only the story's wait for the job process.
    assert "The crisis loop:" in result.output
    story = db.session.scalars(
        select(Flag).where(Flag.rule == "suicidal-ideation", Flag.status == "open", Flag.acknowledged_at.is_not(None))
    ).all()
    assert len(story) == 1 and story[0].page_count == 2 and story[0].report_count == 2
    noor = db.session.scalar(select(Clinician).where(Clinician.email == "nurse@demo.aftercare.test"))
    waiting = db.session.scalars(
        select(Notification).where(Notification.kind == "page", Notification.status == "pending")
    ).all()
    assert {n.flag_id for n in waiting} == {story[0].id} and noor.id in {n.clinician_id for n in waiting}
    assert db.session.get(Patient, story[0].patient_id).language == "es"
    # A maintenance patient answered their first quarterly long-term check-in: moderate urinary frequency and
    # urgency three months on, a persistent-symptom flag in the queue.
    [long_term] = db.session.scalars(select(Checkin).where(Checkin.kind == "long_term")).all()
    assert long_term.infusion_id is None and long_term.status == "answered"
    answer = db.session.scalar(select(Report).where(Report.checkin_id == long_term.id))
    assert answer.ketamine_outside_clinic is False and "persistent-symptom" in answer.triage_rules
    maintained = db.session.get(Patient, long_term.patient_id)
    assert f"Maintenance: {maintained.display_name}" in result.output
    # The printed code pairs a phone.
    code = result.output.split("with code ")[1].split()[0]
    enrolled = client.post("/api/v1/auth/enroll", json={"code": code, "device_name": "Demo", "platform": "ios"})
    assert enrolled.status_code == 200
    # Every patient with an infusion over had a visit: screened, watched in the chair, discharged.
    assert visits_missing() == []
    clinic = db.session.scalar(select(Clinic))
    assert clinic.settings["e2b_sender"]["identifier"] == "AFTERCARE-DEMO"
    # Seeding twice tops up the same clinic instead of failing (and gives it a safety contact if it had none).
    clinic.settings = {k: v for k, v in clinic.settings.items() if k != "e2b_sender"}
    db.session.commit()
    again = runner.invoke(args=["demo", "seed", "--patients", "2"])
    assert again.exit_code == 0, again.output
    assert db.session.scalar(select(func.count()).select_from(Clinic)) == 1
    assert db.session.scalar(select(func.count()).select_from(Patient)) == 12
    db.session.expire_all()
    assert db.session.scalar(select(Clinic)).settings["e2b_sender"]["country"] == "US"
    assert visits_missing() == []
    assert contradictions() == []


def test_demo_seed_prints_the_address_of_port(app, monkeypatch):
    monkeypatch.setitem(app.config, "PORT", 8123)
    result = app.test_cli_runner().invoke(args=["demo", "seed", "--patients", "1"])
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:8123/console/" in result.output and "http://127.0.0.1:8123/docs" in result.output
    assert ":5000" not in result.output


def what_the_report_says(report: Report) -> set[str]:
    """The symptom codes a report speaks of: its symptoms, suicidal thoughts, a high blood pressure reading."""
    codes = set(db.session.scalars(select(ReportSymptom.code).where(ReportSymptom.report_id == report.id)))
    if report.suicidal_thoughts:
        codes.add("suicidal_thoughts")
    if (report.systolic or 0) >= 160 or (report.diastolic or 0) >= 100:
        codes.add("high_blood_pressure")
    return codes


def visits_missing() -> list[str]:
    """Patients with an infusion over for an hour or more but no visit recorded (screening, chair, discharge)."""
    db.session.expire_all()
    missing = []
    for patient in db.session.scalars(select(Patient)):
        infusions = db.session.scalars(select(Infusion).where(Infusion.patient_id == patient.id))
        over = [i.id for i in infusions if i.ended_at + timedelta(hours=1) <= i.created_at]
        if not over:
            continue
        visited = [
            i
            for i in over
            if db.session.scalar(select(func.count()).select_from(Screening).where(Screening.infusion_id == i))
            and db.session.scalar(select(func.count()).select_from(Observation).where(Observation.infusion_id == i))
            >= 2
            and db.session.scalar(select(func.count()).select_from(Discharge).where(Discharge.infusion_id == i))
        ]
        if not visited:
            missing.append(f"patient {patient.display_name} has infusions but no visit recorded")
    return missing


def visit_contradictions() -> list[str]:
    """Where a visit's records contradict its infusion's times."""
    found = []
    for screening in db.session.scalars(select(Screening)):
        infusion = db.session.get(Infusion, screening.infusion_id)
        if screening.recorded_at > infusion.started_at:
            found.append(f"screening {screening.id} recorded after its infusion started")
        if screening.patient_id != infusion.patient_id:
            found.append(f"screening {screening.id} of another patient than its infusion")
        if (screening.systolic, screening.diastolic) != (infusion.pre_systolic, infusion.pre_diastolic):
            found.append(f"screening {screening.id} is not its infusion's pre-infusion reading")
    for discharge in db.session.scalars(select(Discharge)):
        infusion = db.session.get(Infusion, discharge.infusion_id)
        if infusion.ended_at is None or discharge.discharged_at < infusion.ended_at:
            found.append(f"discharge {discharge.id} before its infusion ended")
    for obs in db.session.scalars(select(Observation)):
        infusion = db.session.get(Infusion, obs.infusion_id)
        left = db.session.scalar(select(Discharge.discharged_at).where(Discharge.infusion_id == obs.infusion_id))
        if obs.observed_at < infusion.started_at:
            found.append(f"observation {obs.id} before its infusion started")
        if left is not None and obs.observed_at > left:
            found.append(f"observation {obs.id} in the chair after the patient left")
        if obs.patient_id != infusion.patient_id:
            found.append(f"observation {obs.id} of another patient than its infusion")
    return found


def contradictions() -> list[str]:
    """Where the stored history contradicts itself (empty when it holds together)."""
    db.session.expire_all()
    found = []
    for report in db.session.scalars(select(Report)):
        infusion = db.session.get(Infusion, report.infusion_id) if report.infusion_id else None
        if infusion is not None and report.observed_at < infusion.started_at:
            found.append(f"report {report.id} observed before its infusion started")
    for flag in db.session.scalars(select(Flag)):
        joined = db.session.execute(
            select(FlagReport.added_at, Report.received_at)
            .join(Report, Report.id == FlagReport.report_id)
            .where(FlagReport.flag_id == flag.id)
            .order_by(FlagReport.added_at)
        ).all()
        if not joined or joined[0].received_at != flag.created_at:
            found.append(f"flag {flag.rule} {flag.id} not opened when its first report arrived")
        if any(added < flag.created_at or added < received for added, received in joined):
            found.append(f"flag {flag.rule} {flag.id} took in a report before it was opened or had it")
        events = db.session.scalars(select(FlagEvent.at).where(FlagEvent.flag_id == flag.id))
        if any(at < flag.created_at for at in events):
            found.append(f"flag {flag.rule} {flag.id} has history from before it was opened")
    for event in db.session.scalars(select(AdverseEvent)):
        infusion = db.session.get(Infusion, event.infusion_id) if event.infusion_id else None
        if infusion is not None and (
            event.onset_at < infusion.started_at or event.infusion_started_at != infusion.started_at
        ):
            found.append(f"adverse event {event.term} began before the infusion it is blamed on")
        report = db.session.get(Report, event.report_id) if event.report_id else None
        if report is not None:
            if event.onset_at > report.observed_at:
                found.append(f"adverse event {event.term} began after the report that describes it")
            if report.infusion_id != event.infusion_id:
                found.append(f"adverse event {event.term} follows another infusion than its report")
            if not set(SYMPTOMS_BY_TERM[event.term]) & what_the_report_says(report):
                found.append(f"adverse event {event.term} recorded from a report about {what_the_report_says(report)}")
        if event.flag_id is not None and (
            report is None
            or not db.session.scalar(
                select(func.count()).where(FlagReport.flag_id == event.flag_id, FlagReport.report_id == report.id)
            )
        ):
            found.append(f"adverse event {event.term} from a flag without its report")
    return found + visit_contradictions()


@pytest.mark.parametrize(("clock", "random_seed"), [("00:30", 7), ("07:30", 1), ("13:15", 2), ("19:45", 3)])
def test_demo_histories_hold_together(app, clock, random_seed):
    """At any hour and with any seed: reports after their infusions, flags opened when their first report
    arrived, adverse events after their infusions and from flags about their own symptom, visits inside
    their infusions' times (screened before the start, observed in the chair, discharged after the end)."""
    with time_machine.travel(pinned_start(clock, now=datetime.now(UTC)), tick=True):
        result = app.test_cli_runner().invoke(args=["demo", "seed", "--patients", "10", "--seed", str(random_seed)])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(func.count()).select_from(AdverseEvent)) >= 2
    assert db.session.scalar(select(func.count()).select_from(AdverseEvent).where(AdverseEvent.flag_id.is_not(None)))
    assert db.session.scalar(select(func.count()).select_from(Discharge)) >= 5
    assert visits_missing() == []
    assert contradictions() == []
