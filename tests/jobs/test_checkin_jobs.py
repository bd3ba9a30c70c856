"""The check-in jobs: prompts at the right moment, one reminder, misses, the unresponsive rule, catch-up."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from service.delivery.base import DeliveryError
from service.domain.clinics import effective_settings
from service.domain.reports import submit_report
from service.domain.triage import raise_flags
from service.enums import (
    Audience,
    Channel,
    CheckinStatus,
    DeliveryChannel,
    Language,
    NotificationKind,
    NotificationStatus,
    PatientStatus,
)
from service.extensions import db
from service.models import Checkin, Device, Flag, FlagEvent, Notification, Patient
from service.rules import Finding, Priority
from tests import factories
from tests.jobkit import Recorder, checkins_of, give_infusion, job_context, notifications, run

H = timedelta(hours=1)
END = datetime(2026, 1, 15, 17, 0, tzinfo=UTC)  # 10:00 in Denver
HEALTH_WORDS = ("suicid", "symptom", "mood", "phq", "nausea", "dose", "ketamine", "infusion", "flag")


def patient_in(world, **values) -> Patient:
    return factories.make_patient(world.clinic, time_zone="America/Denver", **values)


def test_a_due_check_in_is_prompted_once_with_a_lock_screen_safe_text(app, world):
    patient = patient_in(world)
    give_infusion(patient, ended_at=END)
    ctx = job_context(app)
    assert run(ctx, END + 2 * H - timedelta(seconds=1), "send_checkins")["send_checkins"] == 0
    assert run(ctx, END + 2 * H, "send_checkins")["send_checkins"] == 1
    first = checkins_of(patient.id)[0]
    assert (first.status, first.sent_at, first.remind_at) == (CheckinStatus.SENT, END + 2 * H, END + 4 * H)
    [prompt] = notifications()
    assert prompt.kind == NotificationKind.CHECKIN_PROMPT and prompt.checkin_id == first.id
    assert prompt.audience == Audience.PATIENT and prompt.patient_id == patient.id
    assert prompt.channel == DeliveryChannel.LOG  # no push or email configured here
    assert prompt.body == "You have a check-in waiting in Aftercare."
    assert not any(word in (prompt.subject + prompt.body).lower() for word in HEALTH_WORDS)
    # The prompt left with the job that wrote it (leased to it, handed over after the commit): one attempt.
    assert [m.id for m in ctx.channels["log"].sent] == [prompt.id]
    assert (prompt.status, prompt.attempts, prompt.sent_at, prompt.locked_until) == (
        NotificationStatus.SENT,
        1,
        END + 2 * H,
        None,
    )
    # Running again sends nothing more; the delivery job finds nothing to hand over a second time.
    assert run(ctx, END + 2 * H, "send_checkins")["send_checkins"] == 0
    run(ctx, END + 2 * H, "deliver_notifications")
    run(ctx, END + 3 * H, "deliver_notifications")
    assert [m.id for m in ctx.channels["log"].sent] == [prompt.id]
    assert notifications()[0].status == NotificationStatus.SENT


def test_prompts_and_reminders_speak_the_patient_language_and_stay_lock_screen_safe(app, world):
    """A Spanish-speaking patient's prompt and reminder are in Spanish, an English speaker's beside it in English;
    both written in one batch (on PostgreSQL, one statement carries each patient's own texts)."""
    spanish = patient_in(world, language=Language.ES)
    english = patient_in(world)
    give_infusion(spanish, ended_at=END)
    give_infusion(english, ended_at=END)
    ctx = job_context(app)
    assert run(ctx, END + 2 * H, "send_checkins")["send_checkins"] == 2
    run(ctx, END + 4 * H, "send_reminders")
    said = {(m.patient_id, m.kind): (m.subject, m.body) for m in notifications()}
    assert said[(spanish.id, NotificationKind.CHECKIN_PROMPT)] == (
        "Control de Aftercare",
        "Tiene un control pendiente en Aftercare.",
    )
    assert said[(english.id, NotificationKind.CHECKIN_PROMPT)] == (
        "Aftercare check-in",
        "You have a check-in waiting in Aftercare.",
    )
    assert said[(spanish.id, NotificationKind.CHECKIN_REMINDER)][1] == (
        "Recordatorio: tiene un control pendiente en Aftercare."
    )
    assert said[(english.id, NotificationKind.CHECKIN_REMINDER)][1] == (
        "Reminder: you have a check-in waiting in Aftercare."
    )
    spanish_health_words = ("suicid", "síntoma", "sintoma", "ánimo", "animo", "náusea", "dosis", "ketamina", "infusi")
    for subject, body in said.values():
        text = (subject + " " + body).lower()
        assert not any(word in text for word in HEALTH_WORDS + spanish_health_words), text


def test_a_prompt_that_fails_at_once_is_retried_by_the_delivery_job(app, world):
    patient = patient_in(world, preferred_channel=Channel.EMAIL, email="a@patients.test")
    give_infusion(patient, ended_at=END)
    email = Recorder("email", fail=lambda message: DeliveryError("SMTP 451 try later"))
    ctx = job_context(app, email=email)
    assert run(ctx, END + 2 * H, "send_checkins")["send_checkins"] == 1
    [prompt] = notifications()
    assert (prompt.channel, prompt.status, prompt.attempts) == (DeliveryChannel.EMAIL, NotificationStatus.PENDING, 1)
    assert prompt.last_error == "SMTP 451 try later" and prompt.next_attempt_at > END + 2 * H
    email.fail = None
    run(ctx, prompt.next_attempt_at, "deliver_notifications")
    assert [m.id for m in email.sent] == [prompt.id] and notifications()[0].status == NotificationStatus.SENT
    assert notifications()[0].attempts == 2


def test_the_channel_follows_the_patients_preference_and_what_can_reach_them(app, world):
    by_email = patient_in(world, preferred_channel=Channel.EMAIL, email="a@patients.test")
    by_push = patient_in(world, preferred_channel=Channel.PUSH, email="b@patients.test")
    phone = factories.make_device(by_push)
    db.session.execute(update(Device).where(Device.id == phone.id).values(push_token="fcm-token-b"))
    no_token = patient_in(world, preferred_channel=Channel.PUSH, email="c@patients.test")
    nothing = patient_in(world, preferred_channel=Channel.PUSH)
    for patient in (by_email, by_push, no_token, nothing):
        give_infusion(patient, ended_at=END)
    ctx = job_context(app, email=Recorder("email"), push=Recorder("push"))
    run(ctx, END + 2 * H, "send_checkins", "deliver_notifications")
    channel_of = {n.patient_id: n.channel for n in notifications()}
    assert channel_of == {
        by_email.id: DeliveryChannel.EMAIL,
        by_push.id: DeliveryChannel.PUSH,
        no_token.id: DeliveryChannel.EMAIL,  # push preferred, but no phone token: email reaches them
        nothing.id: DeliveryChannel.LOG,
    }
    assert ctx.channels["push"].sent[0].push_tokens == ("fcm-token-b",)
    assert {m.email for m in ctx.channels["email"].sent} == {"a@patients.test", "c@patients.test"}


def test_nothing_is_sent_inside_quiet_hours_even_when_they_changed_after_scheduling(app, world):
    patient = patient_in(world)
    give_infusion(patient, ended_at=END)  # 2h check-in due 12:00 MST
    db.session.execute(update(Patient).where(Patient.id == patient.id).values(time_zone="Asia/Tokyo"))
    ctx = job_context(app)
    # 19:00Z is 04:00 in Tokyo: the job holds it until 08:00 there (23:00Z).
    assert run(ctx, END + 2 * H, "send_checkins")["send_checkins"] == 0
    held = checkins_of(patient.id)[0]
    assert held.status == CheckinStatus.SCHEDULED and held.send_at == datetime(2026, 1, 15, 23, 0, tzinfo=UTC)
    assert run(ctx, datetime(2026, 1, 15, 22, 59, tzinfo=UTC), "send_checkins")["send_checkins"] == 0
    assert run(ctx, datetime(2026, 1, 15, 23, 0, tzinfo=UTC), "send_checkins")["send_checkins"] == 1


def test_dst_night_prompt_waits_for_eight_oclock_daylight_time(app, world):
    patient = patient_in(world)
    give_infusion(patient, ended_at=datetime(2026, 3, 8, 2, 0, tzinfo=UTC))  # 19:00 MST, the night clocks change
    ctx = job_context(app)
    assert run(ctx, datetime(2026, 3, 8, 13, 59, tzinfo=UTC), "send_checkins")["send_checkins"] == 0  # 07:59 MDT
    assert run(ctx, datetime(2026, 3, 8, 14, 0, tzinfo=UTC), "send_checkins")["send_checkins"] == 1  # 08:00 MDT


def test_one_reminder_two_hours_after_sending_unless_answered(app, world):
    quiet = patient_in(world)
    answering = patient_in(world)
    give_infusion(quiet, ended_at=END)
    give_infusion(answering, ended_at=END)
    ctx = job_context(app)
    run(ctx, END + 2 * H, "send_checkins")
    answered = checkins_of(answering.id)[0]
    submit_report(
        db.session,
        patient=db.session.get(Patient, answering.id),
        device_id=None,
        payload={
            "client_report_id": uuid.uuid4(),
            "observed_at": END + 3 * H,
            "checkin_id": answered.id,
            "symptoms": [],
        },
        settings=effective_settings(None),
        now=END + 3 * H,
    )
    db.session.commit()
    assert run(ctx, END + 4 * H - timedelta(seconds=1), "send_reminders")["send_reminders"] == 0
    assert run(ctx, END + 4 * H, "send_reminders")["send_reminders"] == 1
    assert run(ctx, END + 6 * H, "send_reminders")["send_reminders"] == 0  # only one
    reminders = notifications(kind=NotificationKind.CHECKIN_REMINDER)
    assert [n.patient_id for n in reminders] == [quiet.id]
    assert reminders[0].body == "Reminder: you have a check-in waiting in Aftercare."
    assert checkins_of(answering.id)[0].status == CheckinStatus.ANSWERED
    # The reminder left with the job that wrote it, like the prompts: sent once, at the first attempt.
    assert (reminders[0].status, reminders[0].attempts) == (NotificationStatus.SENT, 1)
    assert [m.id for m in ctx.channels["log"].sent if m.kind == NotificationKind.CHECKIN_REMINDER] == [reminders[0].id]


def test_a_reminder_due_in_quiet_hours_waits(app, world):
    patient = patient_in(world)
    give_infusion(patient, ended_at=datetime(2026, 1, 16, 1, 30, tzinfo=UTC))  # 18:30 MST; prompt at 20:30
    ctx = job_context(app)
    run(ctx, datetime(2026, 1, 16, 3, 30, tzinfo=UTC), "send_checkins")
    assert run(ctx, datetime(2026, 1, 16, 5, 30, tzinfo=UTC), "send_reminders")["send_reminders"] == 0  # 22:30
    assert checkins_of(patient.id)[0].remind_at == datetime(2026, 1, 16, 15, 0, tzinfo=UTC)  # 08:00
    assert run(ctx, datetime(2026, 1, 16, 15, 0, tzinfo=UTC), "send_reminders")["send_reminders"] == 1


def _flags(patient_id):
    db.session.rollback()
    return list(db.session.scalars(select(Flag).where(Flag.patient_id == patient_id)))


def test_two_missed_check_ins_in_a_row_open_an_unresponsive_flag(app, world):
    patient = patient_in(world)
    give_infusion(patient, ended_at=END)
    ctx = job_context(app)
    run(ctx, END + 2 * H, "send_checkins")
    run(ctx, END + 26 * H, "mark_missed", "send_checkins")  # 2h missed; 24h check-in sent
    first = checkins_of(patient.id)[0]
    assert (first.status, first.missed_at) == (CheckinStatus.MISSED, END + 26 * H)
    assert _flags(patient.id) == []  # one miss is not a pattern
    run(ctx, END + 50 * H, "mark_missed")
    [flag] = _flags(patient.id)
    assert (flag.rule, flag.priority, flag.report_count) == ("unresponsive", "medium", 1)
    assert "2 check-ins missed in a row" in flag.reason
    assert flag.due_by == END + 50 * H + timedelta(minutes=1440)
    events = db.session.scalars(select(FlagEvent).where(FlagEvent.flag_id == flag.id)).all()
    assert [e.kind for e in events] == ["opened"]


def test_unresponsive_is_high_when_an_open_high_flag_waits_and_an_answer_breaks_the_run(app, world):
    patient = patient_in(world)
    give_infusion(patient, ended_at=END)
    raise_flags(
        db.session,
        clinic_id=world.clinic.id,
        patient_id=patient.id,
        report_id=None,
        findings=[Finding("severe-symptom", 1, Priority.HIGH, "Severe headache.", {})],
        targets=effective_settings(None)["response_targets_minutes"],
        now=END,
    )
    db.session.commit()
    ctx = job_context(app)
    run(ctx, END + 2 * H, "send_checkins")
    run(ctx, END + 26 * H, "mark_missed", "send_checkins")
    run(ctx, END + 50 * H, "mark_missed")
    unresponsive = [f for f in _flags(patient.id) if f.rule == "unresponsive"]
    assert [f.priority for f in unresponsive] == ["high"]

    other = patient_in(world)
    give_infusion(other, ended_at=END)
    run(ctx, END + 2 * H, "send_checkins")
    run(ctx, END + 26 * H, "mark_missed", "send_checkins")
    answered = checkins_of(other.id)[1]
    db.session.execute(update(Checkin).where(Checkin.id == answered.id).values(status="answered", answered_at=END))
    db.session.commit()
    run(ctx, END + 72 * H, "send_checkins")
    run(ctx, END + 96 * H, "mark_missed")  # missed, answered, missed: never two in a row
    assert [f for f in _flags(other.id) if f.rule == "unresponsive"] == []


def test_paused_patients_get_no_prompts_and_no_unresponsive_flag(app, world):
    patient = patient_in(world)
    give_infusion(patient, ended_at=END)
    ctx = job_context(app)
    run(ctx, END + 2 * H, "send_checkins")
    db.session.execute(update(Patient).where(Patient.id == patient.id).values(status=PatientStatus.PAUSED))
    db.session.commit()
    run(ctx, END + 26 * H, "send_reminders", "mark_missed", "send_checkins")
    rows = checkins_of(patient.id)
    assert rows[0].status == CheckinStatus.MISSED
    assert rows[1].status == CheckinStatus.CANCELLED  # the job's safety net: not sent to a paused patient
    run(ctx, END + 60 * H, "mark_missed")
    assert _flags(patient.id) == []
    assert [n.kind for n in notifications()] == [NotificationKind.CHECKIN_PROMPT]  # no reminder either


def test_after_downtime_the_jobs_catch_up_in_order(app, world):
    early = patient_in(world)
    late = patient_in(world)
    give_infusion(early, ended_at=END)
    give_infusion(late, ended_at=END + 5 * H)
    ctx = job_context(app)
    # The job process was down for three days. One tick sends what is due, in due order, once each.
    run(ctx, END + 80 * H, "send_checkins", "deliver_notifications")
    sent = ctx.channels["log"].sent
    due_order = sorted(
        (c for p in (early, late) for c in checkins_of(p.id) if c.status == CheckinStatus.SENT),
        key=lambda c: c.send_at,
    )
    assert len(sent) == len(due_order) == 6  # 2h, 24h, 72h of each
    assert [m.data["checkin_id"] for m in sent] == [str(c.id) for c in due_order]
    assert run(ctx, END + 80 * H, "send_checkins")["send_checkins"] == 0


def test_a_long_run_leases_each_batch_from_when_it_is_written(app, world):
    """`now` is when a run began; a run that takes longer than a lease must not write leases that have
    already run out, or the delivery job (on its own clock) would take the rows back and send them again."""
    patients = [patient_in(world) for _ in range(3)]
    for patient in patients:
        give_infusion(patient, ended_at=END)
    seen: dict = {}

    class LeaseWatcher(Recorder):
        def send(self, message):
            seen[message.id] = db.session.scalar(select(Notification.locked_until).where(Notification.id == message.id))
            super().send(message)

    ctx = job_context(app, log=LeaseWatcher("log"))
    ctx.batch_size = 1
    elapsed = iter(range(0, 100_000, 600))  # every reading of the run's clock: ten more minutes
    ctx.monotonic = lambda: float(next(elapsed))
    assert run(ctx, END + 2 * H, "send_checkins")["send_checkins"] == 3
    leases = sorted(seen.values())
    assert len(leases) == 3
    # Each batch's lease runs five minutes past the moment it was written, not past the run's start.
    assert [lease - (END + 2 * H) for lease in leases] == [timedelta(minutes=m) for m in (15, 25, 35)]
    assert all(n.status == NotificationStatus.SENT and n.locked_until is None for n in notifications())
