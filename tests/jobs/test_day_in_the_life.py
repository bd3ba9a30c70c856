"""A day of a clinic's life through the jobs: infusions, prompts, answers, silences, a critical flag nobody picks up."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from service.domain.clinics import effective_settings
from service.domain.quiet_hours import window_of
from service.domain.reports import submit_report
from service.enums import CheckinStatus, NotificationKind, NotificationStatus, Role
from service.extensions import db
from service.models import Checkin, Flag, FlagEvent, Patient
from tests import factories
from tests.jobkit import Recorder, checkins_of, give_infusion, job_context, notifications, run


def denver(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment on 2026-01-<day> in Denver (MST, UTC-7) as UTC."""
    return datetime(2026, 1, day, hour, minute, tzinfo=UTC) + timedelta(hours=7)


def answer(patient_id, checkin_id, at, **body):
    payload = {"client_report_id": uuid.uuid4(), "observed_at": at, "symptoms": [], **body}
    if checkin_id:
        payload["checkin_id"] = checkin_id
    submit_report(
        db.session,
        patient=db.session.get(Patient, patient_id),
        device_id=None,
        payload=payload,
        settings=effective_settings(None),
        now=at,
    )
    db.session.commit()


def test_a_day_in_the_clinic(app, world):
    on_call = {factories.make_clinician(world.clinic, Role.NURSE, on_call=True).id}
    admin = world.admin.principal.id
    ana, ben, cam = (factories.make_patient(world.clinic, display_name=n) for n in ("Ana", "Ben", "Cam"))
    ctx = job_context(app, email=Recorder("email"))

    give_infusion(ana, ended_at=denver(15, 9, 50))
    give_infusion(ben, ended_at=denver(15, 10, 50))
    give_infusion(cam, ended_at=denver(15, 19, 30))  # an evening infusion: its 2 h prompt falls in quiet hours

    moment, end = denver(15, 9, 0), denver(16, 13, 0)
    answered = critical_at = None
    while moment <= end:
        if answered is None and moment >= denver(15, 12, 15):  # Ana answers her 2 h check-in
            answered = checkins_of(ana.id)[0]
            assert answered.status == CheckinStatus.SENT
            answer(ana.id, answered.id, moment, symptoms=[{"code": "nausea", "severity": 1}])
        if critical_at is None and moment >= denver(15, 16, 0):  # Ben reports suicidal thoughts, unprompted
            answer(ben.id, None, moment, suicidal_thoughts=True, mood=1)
            critical_at = moment
        run(ctx, moment)
        moment += timedelta(minutes=15)

    # Prompts: Ana's and Ben's 2 h ones at 11:50 and 12:50; Cam's 2 h one waited for 08:00; Ana's and Ben's 24 h ones.
    sent = {p.id: [c for c in checkins_of(p.id) if c.sent_at] for p in (ana, ben, cam)}
    assert [c.kind for c in sent[cam.id]] == ["2h"] and sent[cam.id][0].sent_at == denver(16, 8, 0)
    assert [c.kind for c in sent[ana.id]] == [c.kind for c in sent[ben.id]] == ["2h", "24h"]
    assert checkins_of(ana.id)[0].status == CheckinStatus.ANSWERED
    assert checkins_of(ben.id)[0].status == CheckinStatus.MISSED  # silent for 24 h

    # The critical flag nobody picked up: on-call at +15 min, admins at +30, recorded on the flag.
    flag = db.session.scalars(select(Flag).where(Flag.patient_id == ben.id, Flag.priority == "critical")).one()
    steps = db.session.scalars(
        select(FlagEvent).where(FlagEvent.flag_id == flag.id, FlagEvent.kind == "escalated").order_by(FlagEvent.id)
    ).all()
    assert [(e.data["level"], e.at) for e in steps] == [
        (1, critical_at + timedelta(minutes=15)),
        (2, critical_at + timedelta(minutes=30)),
    ]
    assert set(steps[0].data["notified"]) == {str(c) for c in on_call}
    assert steps[1].data["notified"] == [str(admin)]

    # Every message accounted for: each row delivered once, each delivery a row.
    rows = [n for n in notifications() if n.clinic_id == world.clinic.id]
    assert {n.status for n in rows} == {NotificationStatus.SENT}
    delivered = Counter(m.id for channel in ctx.channels.values() for m in getattr(channel, "sent", []))
    assert set(delivered.values()) == {1}
    assert {n.id for n in rows} <= set(delivered)
    kinds = Counter(n.kind for n in rows)
    assert kinds[NotificationKind.CHECKIN_PROMPT] == 5
    assert kinds[NotificationKind.CHECKIN_REMINDER] == 4  # Ben's 2 h, Cam's 2 h, Ana's and Ben's 24 h
    assert kinds[NotificationKind.ESCALATION] == len(on_call) + 1
    # Digests: the 15th's at the first run after 07:00 (catch-up), the 16th's at 07:00.
    assert kinds[NotificationKind.DIGEST] == 2 * (len(on_call) + 1)
    # Nothing reached a patient inside their quiet hours.
    for n in rows:
        if n.patient_id and n.kind in (NotificationKind.CHECKIN_PROMPT, NotificationKind.CHECKIN_REMINDER):
            patient = db.session.get(Patient, n.patient_id)
            assert not window_of(patient.time_zone, patient.quiet_hours_start, patient.quiet_hours_end).contains(
                n.sent_at
            )
    assert (
        db.session.scalar(select(Checkin.id).where(Checkin.status == CheckinStatus.SCHEDULED, Checkin.send_at <= end))
        is None
    )
