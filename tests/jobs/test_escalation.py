"""Escalation: critical flags nobody acknowledged reach on-call at 15 min and admins at 30; high past due_by."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from service.domain import flags
from service.domain.clinics import effective_settings
from service.domain.triage import raise_flags
from service.enums import Audience, DeliveryChannel, NotificationKind, Role
from service.extensions import db
from service.models import Clinic, Flag, FlagEvent
from service.rules import Finding, Priority
from tests import factories
from tests.jobkit import Recorder, job_context, notifications, run

T0 = datetime(2026, 1, 15, 17, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)


def open_flag(world, priority=Priority.CRITICAL, *, at=T0, rule="suicidal-ideation", patient=None):
    patient_id = patient or world.patient.principal.patient_id
    [flag_id] = raise_flags(
        db.session,
        clinic_id=world.clinic.id,
        patient_id=patient_id,
        report_id=None,
        findings=[Finding(rule, 1, priority, "Reason in words.", {"x": 1})],
        targets=effective_settings(None)["response_targets_minutes"],
        now=at,
    )
    db.session.commit()
    return flag_id


def staff(world):
    on_call = factories.make_clinician(world.clinic, Role.NURSE, on_call=True)
    physician = factories.make_clinician(world.clinic, Role.PHYSICIAN, on_call=True)
    factories.make_clinician(world.clinic, Role.NURSE, on_call=True, active=False)  # inactive: never told
    return {on_call.id, physician.id}


def flag(flag_id) -> Flag:
    db.session.rollback()
    return db.session.get(Flag, flag_id)


def escalations():
    return notifications(kind=NotificationKind.ESCALATION)


def test_critical_flag_on_call_at_15_minutes_then_admins_at_30(app, world):
    on_call = staff(world)
    admin_id = world.admin.principal.id
    flag_id = open_flag(world)
    ctx = job_context(app)
    run(ctx, T0 + 14 * MIN, "escalate_flags")
    assert flag(flag_id).escalation_level == 0 and escalations() == []

    run(ctx, T0 + 15 * MIN, "escalate_flags")
    assert (flag(flag_id).escalation_level, flag(flag_id).escalated_at) == (1, T0 + 15 * MIN)
    assert {n.clinician_id for n in escalations()} == on_call
    assert all(n.flag_id == flag_id and n.audience == Audience.CLINICIAN for n in escalations())

    run(ctx, T0 + 20 * MIN, "escalate_flags")
    assert len(escalations()) == 2  # nothing new between the steps

    run(ctx, T0 + 30 * MIN, "escalate_flags")
    assert flag(flag_id).escalation_level == 2
    admins = [n for n in escalations() if n.clinician_id not in on_call]
    assert [n.clinician_id for n in admins] == [admin_id]

    events = db.session.scalars(
        select(FlagEvent).where(FlagEvent.flag_id == flag_id, FlagEvent.kind == "escalated").order_by(FlagEvent.id)
    ).all()
    assert [(e.at, e.data["level"]) for e in events] == [(T0 + 15 * MIN, 1), (T0 + 30 * MIN, 2)]
    assert set(events[0].data["notified"]) == {str(c) for c in on_call}
    assert events[1].data["notified"] == [str(admin_id)]
    assert "on-call told" in events[0].text and "admins told" in events[1].text
    run(ctx, T0 + 90 * MIN, "escalate_flags")
    assert flag(flag_id).escalation_level == 2  # no level 3


def test_acknowledged_flags_are_not_escalated(app, world):
    staff(world)
    flag_id = open_flag(world)
    flags.acknowledge(
        db.session,
        flag=db.session.get(Flag, flag_id),
        actor_id=world.nurse.principal.id,
        assignee_id=None,
        expected_version=None,
        now=T0 + 5 * MIN,
    )
    db.session.commit()
    run(job_context(app), T0 + 60 * MIN, "escalate_flags")
    assert flag(flag_id).escalation_level == 0 and escalations() == []


def test_high_flag_past_due_by_goes_to_on_call_only(app, world):
    on_call = staff(world)
    flag_id = open_flag(world, Priority.HIGH, rule="severe-symptom")
    ctx = job_context(app)
    run(ctx, T0 + 239 * MIN, "escalate_flags")
    assert escalations() == []
    run(ctx, T0 + 240 * MIN, "escalate_flags")
    run(ctx, T0 + 600 * MIN, "escalate_flags")
    assert flag(flag_id).escalation_level == 1
    assert {n.clinician_id for n in escalations()} == on_call


def test_medium_flags_are_left_to_the_queue(app, world):
    staff(world)
    flag_id = open_flag(world, Priority.MEDIUM, rule="worsening")
    run(job_context(app), T0 + 3 * 24 * 60 * MIN, "escalate_flags")
    assert flag(flag_id).escalation_level == 0


def test_thresholds_come_from_the_clinic_settings(app, world):
    staff(world)
    clinic = db.session.get(Clinic, world.clinic.id)
    clinic.settings = {"escalation": {"critical_ack_minutes": 5, "admin_after_minutes": 10}}
    db.session.commit()
    flag_id = open_flag(world)
    ctx = job_context(app)
    run(ctx, T0 + 5 * MIN, "escalate_flags")
    assert flag(flag_id).escalation_level == 1
    run(ctx, T0 + 10 * MIN, "escalate_flags")
    assert flag(flag_id).escalation_level == 2


def test_with_nobody_on_call_the_admins_are_told_at_once(app, world):
    flag_id = open_flag(world)
    run(job_context(app), T0 + 15 * MIN, "escalate_flags")
    event = db.session.scalars(
        select(FlagEvent).where(FlagEvent.flag_id == flag_id, FlagEvent.kind == "escalated")
    ).one()
    assert event.data["notified"] == [str(world.admin.principal.id)]
    assert "nobody is on call" in event.text


def test_a_late_job_takes_both_steps_and_a_webhook_gets_each(app, world):
    on_call = staff(world)
    clinic = db.session.get(Clinic, world.clinic.id)
    clinic.settings = {"webhook": {"url": "https://pager.example/hook", "secret": "s" * 32}}
    db.session.commit()
    flag_id = open_flag(world)
    ctx = job_context(app, email=Recorder("email"), webhook=Recorder("webhook"))
    run(ctx, T0 + 45 * MIN, "escalate_flags", "deliver_notifications")  # the job process was down
    assert flag(flag_id).escalation_level == 2
    by_channel = {}
    for n in escalations():
        by_channel.setdefault(n.channel, []).append(n)
    assert {n.clinician_id for n in by_channel[DeliveryChannel.EMAIL]} == on_call | {world.admin.principal.id}
    # Both steps are written at the same moment: their order in the outbox is not defined, each level is.
    assert sorted(n.data["level"] for n in by_channel[DeliveryChannel.WEBHOOK]) == [1, 2]
    [page] = [m for m in ctx.channels["webhook"].sent if m.kind == NotificationKind.PAGE]  # at once, on opening
    assert page.data["event"] == "flag.paged" and page.data["flag_id"] == str(flag_id)
    hook = next(m for m in ctx.channels["webhook"].sent if m.kind == NotificationKind.ESCALATION)
    assert (hook.webhook_url, hook.webhook_secret) == ("https://pager.example/hook", "s" * 32)
    assert hook.data["flag_id"] == str(flag_id) and hook.data["event"] == "flag.escalated"
    # Clinicians' emails say which flag, never why: no reason, no symptom, no patient name.
    text = " ".join(m.subject + m.body for m in ctx.channels["email"].sent)
    assert "Reason in words" not in text and "Pat North" not in text


def test_a_flag_made_critical_later_counts_from_then(app, world):
    staff(world)
    flag_id = open_flag(world, Priority.MEDIUM)  # same rule, joined later at critical
    open_flag(world, Priority.CRITICAL, at=T0 + 120 * MIN)
    ctx = job_context(app)
    run(ctx, T0 + 130 * MIN, "escalate_flags")
    assert flag(flag_id).priority == "critical" and flag(flag_id).escalation_level == 0
    run(ctx, T0 + 135 * MIN, "escalate_flags")
    assert flag(flag_id).escalation_level == 1


def test_a_clinician_asking_for_help_tells_on_call_and_the_job_carries_on_to_the_admins(app, client, world):
    on_call = staff(world)
    flag_id = open_flag(world, at=datetime.now(UTC) - 5 * MIN)
    asked = client.post(
        f"/api/v1/flags/{flag_id}/escalate", json={"note": "Need a physician"}, headers=world.nurse.headers
    )
    assert asked.status_code == 200
    event = asked.get_json()["events"][-1]
    assert event["kind"] == "escalated" and event["actor_id"] == str(world.nurse.principal.id)
    assert event["text"] == "Need a physician (on-call told.)"
    assert set(event["data"]["notified"]) == {str(c) for c in on_call}
    told = escalations()
    assert {n.clinician_id for n in told} == on_call and all(n.data["level"] == 1 for n in told)
    assert "A colleague asked for help" in told[0].body
    # The job does not repeat level 1; at 30 min it adds the admins.
    run(job_context(app), datetime.now(UTC) + 26 * MIN, "escalate_flags")
    assert flag(flag_id).escalation_level == 2
    assert {n.clinician_id for n in escalations()} == on_call | {world.admin.principal.id}
