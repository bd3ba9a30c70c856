"""The daily digest: once per clinic per local day, at 07:00 clinic time, to admins and on-call."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from service.domain.clinics import effective_settings
from service.domain.triage import raise_flags
from service.enums import DeliveryChannel, NotificationKind, Role
from service.extensions import db
from service.models import Clinic, Digest
from service.rules import Finding, Priority
from tests import factories
from tests.jobkit import Recorder, job_context, notifications, run

MORNING = datetime(2026, 3, 9, 13, 0, tzinfo=UTC)  # 07:00 MDT (UTC-6), the day after clocks went forward


def _elsewhere(world):
    """Move the other clinic to Honolulu, where it is 04:00 when Denver reaches 07:00."""
    other = db.session.get(Clinic, world.other_clinic.id)
    other.time_zone = "Pacific/Honolulu"
    db.session.commit()


def test_digest_at_seven_clinic_time_once_a_day(app, world):
    _elsewhere(world)
    on_call = factories.make_clinician(world.clinic, Role.NURSE, on_call=True)
    factories.make_clinician(world.clinic, Role.NURSE)  # not on call: not told
    targets = effective_settings(None)["response_targets_minutes"]
    for rule, priority, at in [
        ("suicidal-ideation", Priority.CRITICAL, MORNING - timedelta(hours=1)),
        ("severe-symptom", Priority.HIGH, MORNING - timedelta(minutes=30)),
        ("worsening", Priority.MEDIUM, MORNING - timedelta(minutes=10)),
    ]:
        raise_flags(
            db.session,
            clinic_id=world.clinic.id,
            patient_id=world.patient.principal.patient_id,
            report_id=None,
            findings=[Finding(rule, 1, priority, "Reason.", {})],
            targets=targets,
            now=at,
        )
    db.session.commit()
    ctx = job_context(app, email=Recorder("email"))
    assert run(ctx, MORNING - timedelta(minutes=1), "daily_digest")["daily_digest"] == 0  # 06:59 in Denver
    assert run(ctx, MORNING, "daily_digest")["daily_digest"] == 1  # 07:00 for the Denver clinic only
    assert run(ctx, MORNING + timedelta(hours=3), "daily_digest")["daily_digest"] == 0
    digests = notifications(kind=NotificationKind.DIGEST)
    assert {n.clinician_id for n in digests} == {world.admin.principal.id, on_call.id}
    assert {n.channel for n in digests} == {DeliveryChannel.EMAIL}
    body = digests[0].body
    assert "1 critical, 1 high, 1 medium, 0 low" in body and "1 past their response target" in body
    assert "Pat North" not in body and "Reason" not in body
    stored = db.session.scalars(select(Digest)).one()
    assert str(stored.local_date) == "2026-03-09" and stored.counts["overdue"] == 1
    assert run(ctx, MORNING + timedelta(days=1), "daily_digest")["daily_digest"] == 1  # the next morning


def test_digest_goes_to_the_webhook_when_one_is_set(app, world):
    _elsewhere(world)
    clinic = db.session.get(Clinic, world.clinic.id)
    clinic.settings = {"webhook": {"url": "https://clinic.example/aftercare", "secret": "w" * 24}}
    db.session.commit()
    run(job_context(app), MORNING, "daily_digest")
    channels = sorted(str(n.channel) for n in notifications(kind=NotificationKind.DIGEST))
    assert channels == ["log", "webhook"]  # the admin (no SMTP here: log) and the clinic's system
