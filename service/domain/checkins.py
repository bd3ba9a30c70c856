"""Check-ins: scheduled after each infusion, sent outside quiet hours, reminded once, missed after a day.

A maintenance patient also gets a long-term check-in every quarter (kind ``long_term``, no infusion): bladder,
memory, craving and use of ketamine outside the clinic. The job process schedules it (schedule_long_term), one
row per patient and quarter enforced by a unique index, so two job processes at once still make one.

Scheduling runs in the request that records or corrects an infusion; sending, reminding and
missing run in the job process, each claiming a small batch of due rows (FOR UPDATE SKIP LOCKED
on PostgreSQL) and writing the check-in's new state and its outbox row in one transaction, so a
check-in is prompted exactly once however many job processes run or crash.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import Select, exists, func, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from service.domain import outbox, triage
from service.domain.quiet_hours import window_of, zone
from service.domain.sql import among, dialect_of
from service.enums import (
    ACTIVE_FLAG_STATUSES,
    Audience,
    CheckinQuestionAnswer,
    CheckinStatus,
    NotificationKind,
    PatientStatus,
    Phase,
)
from service.models import Checkin, Device, Discharge, Flag, Infusion, Patient
from service.rules import Thresholds, evaluate_unresponsive
from service.vocabulary import symptom_label

REMIND_AFTER = timedelta(hours=2)
MISS_AFTER = timedelta(hours=24)
PHQ9_FROM_HOURS = 168  # the 7-day and later check-ins ask for a PHQ-9
UNRESPONSIVE = "unresponsive"


def kind_for(hours: int) -> str:
    """A check-in's label from its offset: 2h, 24h, 72h, 7d, 14d …"""
    if hours >= 168 and hours % 24 == 0:
        return f"{hours // 24}d"
    return f"{hours}h"


def asks_phq9_for(hours: int) -> bool:
    return hours >= PHQ9_FROM_HOURS


# --- the long-term check-in of maintenance patients -------------------------------------------------------------
LONG_TERM = "long_term"
LONG_TERM_EVERY_DAYS = 90
LONG_TERM_AT = time(10, 0)  # on the patient's own clock, then moved out of their quiet hours like any prompt
LONG_TERM_LEAD = timedelta(days=1)  # made a day ahead, so the patient page shows it coming
LONG_TERM_LATE = timedelta(days=30)  # a quarter's check-in not made by then (jobs down, paused) waits for the next
# What it asks: a severity 0-4 (PRO-CTCAE) for each symptom, and one yes/no report field. The labels are the
# vocabulary's (GET /symptoms) and, for the yes/no question, LONG_TERM_YES_NO below.
LONG_TERM_SYMPTOMS = ("urinary_frequency", "urinary_urgency", "bladder_pain", "memory_problems", "craving")
OUTSIDE_USE = "ketamine_outside_clinic"
LONG_TERM_YES_NO = {
    "en": "Since your last check-in, have you taken ketamine (or esketamine) anywhere other than at the clinic?",
    "es": "Desde su último control, ¿ha tomado ketamina (o esketamina) en algún lugar que no sea la clínica?",
}


def questions_for(kind: str, language: str | None) -> list[dict]:
    """What a check-in asks beyond the usual report, for the app: the long-term check-in's six questions
    (in the patient's language), none for the check-ins after an infusion."""
    if kind != LONG_TERM:
        return []
    lang = "es" if language == "es" else "en"
    asked = [
        {
            "code": code,
            "answer": CheckinQuestionAnswer.SEVERITY,
            "report_field": "symptoms",
            "label": symptom_label(code, lang),
        }
        for code in LONG_TERM_SYMPTOMS
    ]
    label = LONG_TERM_YES_NO[lang]
    asked.append(
        {"code": OUTSIDE_USE, "answer": CheckinQuestionAnswer.YES_NO, "report_field": OUTSIDE_USE, "label": label}
    )
    return asked


def long_term_due(*, maintenance_from: datetime, time_zone: str, cycle: int) -> datetime:
    """When a maintenance patient's ``cycle``-th quarterly check-in is due: 10:00 on their own clock, 90 · cycle
    days after the (their) calendar day maintenance began (DST-proof: a wall-clock time, not a count of hours)."""
    tz = zone(time_zone)
    day: date = maintenance_from.astimezone(tz).date() + timedelta(days=LONG_TERM_EVERY_DAYS * cycle)
    return datetime.combine(day, LONG_TERM_AT, tzinfo=tz).astimezone(maintenance_from.tzinfo)


def long_term_cycle(*, maintenance_from: datetime, time_zone: str, now: datetime) -> int:
    """The latest quarter whose check-in should exist by ``now`` (due within LONG_TERM_LEAD); 0 for none yet."""
    tz = zone(time_zone)
    days = ((now + LONG_TERM_LEAD).astimezone(tz).date() - maintenance_from.astimezone(tz).date()).days
    cycle = max(0, days // LONG_TERM_EVERY_DAYS)
    while cycle and long_term_due(maintenance_from=maintenance_from, time_zone=time_zone, cycle=cycle) > (
        now + LONG_TERM_LEAD
    ):
        cycle -= 1
    return cycle


def maintenance_patients(session: Session, *, after: uuid.UUID | None, limit: int) -> list:
    """Active patients with a finished maintenance infusion, by id (a page from ``after``): id, clinic, zone,
    quiet hours and when their first maintenance infusion ended (where the quarters count from)."""
    first = (
        select(Infusion.patient_id, func.min(Infusion.ended_at).label("maintenance_from"))
        .where(Infusion.phase == Phase.MAINTENANCE, Infusion.ended_at.is_not(None))
        .group_by(Infusion.patient_id)
        .subquery()
    )
    stmt = (
        select(
            Patient.id,
            Patient.clinic_id,
            Patient.time_zone,
            Patient.quiet_hours_start,
            Patient.quiet_hours_end,
            first.c.maintenance_from,
        )
        .join(first, first.c.patient_id == Patient.id)
        .where(Patient.status == PatientStatus.ACTIVE)
        .order_by(Patient.id)
        .limit(limit)
    )
    if after is not None:
        stmt = stmt.where(Patient.id > after)
    return list(session.execute(stmt).all())


def schedule_long_term(session: Session, *, patients: list, now: datetime) -> int:
    """Make each maintenance patient's check-in of the current quarter unless it exists; returns how many were made.

    INSERT … ON CONFLICT DO NOTHING on the (patient, quarter) unique index: a quarter's check-in is made once
    whoever runs this, however often, and one cancelled (the patient was paused) stays cancelled. A quarter
    whose check-in would be due more than LONG_TERM_LATE ago is skipped (no stale prompt after a long pause).
    """
    rows = []
    for p in patients:
        maintenance_from = p.maintenance_from  # aware: the column's type hands back UTC on both databases
        cycle = long_term_cycle(maintenance_from=maintenance_from, time_zone=p.time_zone, now=now)
        if cycle < 1:
            continue
        due_at = long_term_due(maintenance_from=maintenance_from, time_zone=p.time_zone, cycle=cycle)
        if due_at + LONG_TERM_LATE < now:
            continue
        quiet = window_of(p.time_zone, p.quiet_hours_start, p.quiet_hours_end)
        rows.append(
            {
                "id": uuid.uuid4(),
                "clinic_id": p.clinic_id,
                "patient_id": p.id,
                "infusion_id": None,
                "kind": LONG_TERM,
                "offset_hours": cycle * LONG_TERM_EVERY_DAYS * 24,
                "due_at": due_at,
                "send_at": quiet.next_allowed(due_at),
                "asks_phq9": False,
                "status": CheckinStatus.SCHEDULED,
                "created_at": now,
            }
        )
    if not rows:
        return 0
    make = pg_insert if dialect_of(session) == "postgresql" else sqlite_insert
    stmt = (
        make(Checkin.__table__)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["patient_id", "offset_hours"], index_where=text("infusion_id IS NULL"))
        .returning(Checkin.__table__.c.id)
    )
    return len(session.execute(stmt).all())


# --- scheduling (in the request that records or corrects an infusion) ------------------------------


def schedule_for_infusion(
    session: Session, *, infusion: Infusion, patient: Patient, offsets: list[int], now: datetime
) -> list[Checkin]:
    """Create or move the infusion's not-yet-sent check-ins to its end (or the patient's discharge from the
    clinic, once recorded: the first check-in counts from when they left) + each offset.

    Check-ins already past their answer window (due more than a day ago) are not created, so a
    back-filled infusion does not fire a burst of stale prompts; a paused or discharged patient
    gets none. Check-ins already sent keep their times. Ends by superseding earlier infusions'
    check-ins that a later infusion overtook (one stream of prompts, not two interleaved).
    """
    existing = {c.offset_hours: c for c in session.scalars(select(Checkin).where(Checkin.infusion_id == infusion.id))}
    scheduled = [c for c in existing.values() if c.status == CheckinStatus.SCHEDULED]
    if infusion.ended_at is None or patient.status != PatientStatus.ACTIVE:
        for checkin in scheduled:
            _cancel(checkin, now=now)
        session.flush()
        return []
    quiet = window_of(patient.time_zone, patient.quiet_hours_start, patient.quiet_hours_end)
    left = session.scalar(select(Discharge.discharged_at).where(Discharge.infusion_id == infusion.id))
    counted_from = max(left, infusion.ended_at) if left is not None else infusion.ended_at
    for checkin in scheduled:
        checkin.due_at = counted_from + timedelta(hours=checkin.offset_hours)
        if checkin.due_at + MISS_AFTER < now:
            _cancel(checkin, now=now)
        else:
            checkin.send_at = quiet.next_allowed(checkin.due_at)
    for hours in sorted(set(offsets) - set(existing)):
        due_at = counted_from + timedelta(hours=hours)
        if due_at + MISS_AFTER < now:
            continue
        checkin = Checkin(
            clinic_id=infusion.clinic_id,
            patient_id=infusion.patient_id,
            infusion_id=infusion.id,
            kind=kind_for(hours),
            offset_hours=hours,
            due_at=due_at,
            send_at=quiet.next_allowed(due_at),
            asks_phq9=asks_phq9_for(hours),
            status=CheckinStatus.SCHEDULED,
            created_at=now,
        )
        session.add(checkin)
        existing[hours] = checkin
    session.flush()
    supersede(session, patient_id=patient.id, now=now)
    return sorted(existing.values(), key=lambda c: c.offset_hours)


def supersede(session: Session, *, patient_id: uuid.UUID, now: datetime) -> int:
    """Cancel scheduled check-ins of an infusion that fall after the patient's next infusion started."""
    infusions = session.execute(
        select(Infusion.id, Infusion.started_at, Infusion.ended_at).where(Infusion.patient_id == patient_id)
    ).all()
    cancelled = 0
    for checkin in session.scalars(
        select(Checkin).where(
            Checkin.patient_id == patient_id,
            Checkin.status == CheckinStatus.SCHEDULED,
            Checkin.infusion_id.is_not(None),  # a long-term check-in belongs to no infusion
        )
    ):
        own = next(i for i in infusions if i.id == checkin.infusion_id)
        own_end = own.ended_at or own.started_at
        if any(i.id != own.id and own_end < i.started_at <= checkin.due_at for i in infusions):
            _cancel(checkin, now=now)
            cancelled += 1
    session.flush()
    return cancelled


def _cancel(checkin: Checkin, *, now: datetime) -> None:
    checkin.status = CheckinStatus.CANCELLED
    checkin.cancelled_at = now


def cancel_future(session: Session, *, patient_id: uuid.UUID, now: datetime) -> int:
    """Cancel a patient's check-ins not yet sent (they were paused or discharged)."""
    return session.execute(
        update(Checkin)
        .where(Checkin.patient_id == patient_id, Checkin.status == CheckinStatus.SCHEDULED)
        .values(status=CheckinStatus.CANCELLED, cancelled_at=now),
        execution_options={"synchronize_session": False},
    ).rowcount


def follow_quiet_hours(session: Session, *, patient: Patient) -> None:
    """Recompute when the patient's scheduled check-ins may go out (their zone or quiet hours changed)."""
    quiet = window_of(patient.time_zone, patient.quiet_hours_start, patient.quiet_hours_end)
    for checkin in session.scalars(
        select(Checkin).where(Checkin.patient_id == patient.id, Checkin.status == CheckinStatus.SCHEDULED)
    ):
        checkin.send_at = quiet.next_allowed(checkin.due_at)
    session.flush()


# --- the job side: send, remind, miss ---------------------------------------------------------------


@dataclass(frozen=True)
class BatchResult:
    """What one claimed batch did: prompts/reminders written, postponed for quiet hours, cancelled."""

    claimed: int
    sent: int = 0
    postponed: int = 0
    cancelled: int = 0
    leased: tuple = ()  # the messages written, already leased to this process, to deliver after the commit


_C, _P, _D = Checkin.__table__.c, Patient.__table__.c, Device.__table__.c


def _has_push():
    return (
        exists()
        .where(_D.patient_id == _C.patient_id, _D.push_token.is_not(None), _D.revoked_at.is_(None))
        .label("has_push")
    )


def _has_web_push():
    return (
        exists()
        .where(_D.patient_id == _C.patient_id, _D.webpush_endpoint.is_not(None), _D.revoked_at.is_(None))
        .label("has_web_push")
    )


def _claim(session: Session, *, where, order_by, limit: int) -> list:
    """Lock up to ``limit`` check-ins (SKIP LOCKED) with what sending needs of their patients (plain rows)."""
    stmt = (
        select(
            _C.id,
            _C.clinic_id,
            _C.patient_id,
            _C.kind,
            _C.send_at,
            _C.remind_at,
            _P.time_zone,
            _P.quiet_hours_start,
            _P.quiet_hours_end,
            _P.preferred_channel,
            _P.language,
            _P.status.label("patient_status"),
            _P.email.is_not(None).label("has_email"),
            _has_push(),
            _has_web_push(),
        )
        .join_from(Checkin.__table__, Patient.__table__, _P.id == _C.patient_id)
        .where(*where)
        .order_by(order_by)
        .limit(limit)
        .with_for_update(skip_locked=True, of=Checkin.__table__)
    )
    return list(session.execute(stmt).all())


def _split(rows: list, *, now: datetime) -> tuple[list, dict[datetime, list[uuid.UUID]], list[uuid.UUID]]:
    """Rows to send now, rows to hold until their quiet hours end (by end time), rows of inactive patients."""
    ready, later, inactive = [], defaultdict(list), []
    allowed_at: dict[tuple, datetime] = {}
    for r in rows:
        if r.patient_status != PatientStatus.ACTIVE:
            inactive.append(r.id)
            continue
        key = (r.time_zone, r.quiet_hours_start, r.quiet_hours_end)
        if key not in allowed_at:
            allowed_at[key] = window_of(*key).next_allowed(now)
        if allowed_at[key] > now:
            later[allowed_at[key]].append(r.id)
        else:
            ready.append(r)
    return ready, later, inactive


def send_due(
    session: Session, *, now: datetime, limit: int, channels: outbox.Availability, lease: timedelta
) -> BatchResult:
    """Claim due check-ins, mark them sent and write their prompts; the caller commits (one batch).

    The prompts are written already claimed for delivery by this process for ``lease``
    (outbox.leased_state) and come back in ``leased``: the caller delivers them right after the
    commit instead of waiting for the delivery job; if it dies first, the lease runs out and the
    delivery job sends them.
    """
    rows = _claim(
        session,
        where=(_C.status == CheckinStatus.SCHEDULED, _C.send_at <= now),
        order_by=_C.send_at,
        limit=limit,
    )
    if not rows:
        return BatchResult(0)
    ready, later, inactive = _split(rows, now=now)
    for until, ids in later.items():
        session.execute(
            update(Checkin).where(among(session, Checkin.id, ids)).values(send_at=until),
            execution_options={"synchronize_session": False},
        )
    if inactive:
        session.execute(
            update(Checkin)
            .where(among(session, Checkin.id, inactive), Checkin.status == CheckinStatus.SCHEDULED)
            .values(status=CheckinStatus.CANCELLED, cancelled_at=now),
            execution_options={"synchronize_session": False},
        )
    leased = _write(session, ready, kind=NotificationKind.CHECKIN_PROMPT, channels=channels, now=now, lease=lease)
    return BatchResult(len(rows), len(ready), sum(len(v) for v in later.values()), len(inactive), leased)


def remind_due(
    session: Session, *, now: datetime, limit: int, channels: outbox.Availability, lease: timedelta
) -> BatchResult:
    """Claim sent, unanswered check-ins whose reminder is due; write one reminder each (quiet hours respected).

    ``lease`` as for send_due."""
    rows = _claim(
        session,
        where=(_C.status == CheckinStatus.SENT, _C.reminded_at.is_(None), _C.remind_at <= now),
        order_by=_C.remind_at,
        limit=limit,
    )
    if not rows:
        return BatchResult(0)
    ready, later, inactive = _split(rows, now=now)
    for until, ids in later.items():
        session.execute(
            update(Checkin).where(among(session, Checkin.id, ids)).values(remind_at=until),
            execution_options={"synchronize_session": False},
        )
    if inactive:  # no reminders to paused or discharged patients; the check-in still runs out as missed
        session.execute(
            update(Checkin).where(among(session, Checkin.id, inactive)).values(reminded_at=now),
            execution_options={"synchronize_session": False},
        )
    leased = _write(session, ready, kind=NotificationKind.CHECKIN_REMINDER, channels=channels, now=now, lease=lease)
    return BatchResult(len(rows), len(ready), sum(len(v) for v in later.values()), len(inactive), leased)


# PostgreSQL: the check-ins' new state and their messages in one statement; only ids, channels and each
# patient's texts (in their language) travel.
_WRITE_PG = """
WITH changed AS (
    UPDATE checkins SET {set_clause}
    WHERE checkins.id = ANY(CAST(:ids AS uuid[])) AND {guard}
    RETURNING checkins.id, checkins.clinic_id, checkins.patient_id, {due_column} AS due
), chosen AS (
    SELECT * FROM unnest(CAST(:ids AS uuid[]), CAST(:channels AS text[]), CAST(:subjects AS text[]),
                         CAST(:bodies AS text[])) AS u(id, channel, subject, body)
)
INSERT INTO notifications (id, clinic_id, kind, channel, audience, patient_id, checkin_id, dedupe_key, subject,
                           body, data, status, attempts, next_attempt_at, locked_until, last_attempt_at, created_at)
SELECT gen_random_uuid(), changed.clinic_id, :kind, chosen.channel, 'patient', changed.patient_id, changed.id,
       'checkin:' || changed.id::text || :suffix, chosen.subject, chosen.body,
       jsonb_build_object('checkin_id', changed.id::text),
       :status, :attempts, LEAST(changed.due, :now), :locked_until, :last_attempt_at, :now
FROM changed JOIN chosen ON chosen.id = changed.id
ON CONFLICT (dedupe_key) DO NOTHING
RETURNING {returning}
"""
_PROMPT_SQL = _WRITE_PG.format(
    returning=outbox.CLAIMED_COLUMNS,
    set_clause="status = 'sent', sent_at = :now, remind_at = :remind_at",
    guard="checkins.status = 'scheduled'",
    due_column="checkins.send_at",
)
_REMINDER_SQL = _WRITE_PG.format(
    returning=outbox.CLAIMED_COLUMNS,
    set_clause="reminded_at = :now",
    guard="checkins.status = 'sent'",
    due_column="checkins.remind_at",
)


def _write(
    session: Session,
    ready: list,
    *,
    kind: NotificationKind,
    channels: outbox.Availability,
    now: datetime,
    lease: timedelta,
) -> tuple:
    """Mark the ready check-ins sent (or reminded) and write one message each, in the caller's transaction,
    claimed by this process for ``lease``; returns them as claim_due returns claimed rows."""
    if not ready:
        return ()
    reminder = kind == NotificationKind.CHECKIN_REMINDER
    state = outbox.leased_state(now=now, lease=lease)
    if dialect_of(session) == "postgresql":
        texts = [outbox.checkin_texts(r.language, reminder=reminder) for r in ready]
        written = session.execute(
            text(_REMINDER_SQL if reminder else _PROMPT_SQL),
            {
                "ids": [r.id for r in ready],
                "channels": [str(_channel(r, channels)) for r in ready],
                "now": now,
                "remind_at": now + REMIND_AFTER,
                "kind": str(kind),
                "suffix": ":reminder" if reminder else ":prompt",
                "subjects": [subject for subject, _ in texts],
                "bodies": [body for _, body in texts],
                **state,
            },
        ).all()
        return tuple(written)
    ids = [r.id for r in ready]
    if reminder:
        stmt = update(Checkin).where(among(session, Checkin.id, ids), Checkin.status == CheckinStatus.SENT)
        stmt = stmt.values(reminded_at=now)
    else:
        stmt = update(Checkin).where(among(session, Checkin.id, ids), Checkin.status == CheckinStatus.SCHEDULED)
        stmt = stmt.values(status=CheckinStatus.SENT, sent_at=now, remind_at=now + REMIND_AFTER)
    session.execute(stmt, execution_options={"synchronize_session": False})
    rows = [{**_message(r, kind, channels, now), **state} for r in ready]
    written_ids = outbox.enqueue(session, rows)
    return tuple(outbox.claimed_rows(session, written_ids))


def _channel(r, channels: outbox.Availability):
    return channels.for_patient(
        preferred=r.preferred_channel,
        has_email=bool(r.has_email),
        has_push_token=bool(r.has_push),
        has_web_push=bool(r.has_web_push),
    )


def _message(r, kind: NotificationKind, channels: outbox.Availability, now: datetime) -> dict:
    reminder = kind == NotificationKind.CHECKIN_REMINDER
    subject, body = outbox.checkin_texts(r.language, reminder=reminder)
    return outbox.row(
        clinic_id=r.clinic_id,
        kind=kind,
        channel=_channel(r, channels),
        audience=Audience.PATIENT,
        patient_id=r.patient_id,
        checkin_id=r.id,
        dedupe_key=f"checkin:{r.id}:{'reminder' if reminder else 'prompt'}",
        subject=subject,
        body=body,
        data={"checkin_id": str(r.id)},
        now=now,
        due=r.remind_at if reminder else r.send_at,
    )


def miss_overdue(session: Session, *, now: datetime, limit: int) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """Mark sent check-ins unanswered for a day as missed; returns (clinic, patient) pairs to re-check."""
    ids = list(
        session.scalars(
            select(Checkin.id)
            .where(Checkin.status == CheckinStatus.SENT, Checkin.sent_at <= now - MISS_AFTER)
            .order_by(Checkin.sent_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if not ids:
        return []
    rows = session.execute(
        update(Checkin)
        .where(among(session, Checkin.id, ids), Checkin.status == CheckinStatus.SENT)
        .values(status=CheckinStatus.MISSED, missed_at=now)
        .returning(Checkin.clinic_id, Checkin.patient_id),
        execution_options={"synchronize_session": False},
    ).all()
    return sorted({(r.clinic_id, r.patient_id) for r in rows})


def consecutive_missed(session: Session, *, patient_id: uuid.UUID, window: int = 20) -> tuple[int, datetime | None]:
    """How many of the latest settled check-ins (answered or missed) in a row were missed, and the last one due."""
    rows = session.execute(
        select(Checkin.status, Checkin.due_at)
        .where(Checkin.patient_id == patient_id, Checkin.status.in_([CheckinStatus.ANSWERED, CheckinStatus.MISSED]))
        .order_by(Checkin.due_at.desc())
        .limit(window)
    ).all()
    count = 0
    for status, _ in rows:
        if status != CheckinStatus.MISSED:
            break
        count += 1
    return count, (rows[0].due_at if count else None)


def check_unresponsive(
    session: Session, *, patient_id: uuid.UUID, clinic_id: uuid.UUID, settings: dict, now: datetime
) -> uuid.UUID | None:
    """Run the unresponsive rule for a patient; open (or join) its flag when it fires. Active patients only."""
    patient = session.execute(
        select(Patient.status, Patient.time_zone).where(Patient.id == patient_id, Patient.clinic_id == clinic_id)
    ).one()
    if patient.status != PatientStatus.ACTIVE:
        return None
    missed, last_due = consecutive_missed(session, patient_id=patient_id)
    if not missed:
        return None
    open_priorities = tuple(
        session.scalars(
            select(Flag.priority).where(
                Flag.patient_id == patient_id, Flag.status.in_(ACTIVE_FLAG_STATUSES), Flag.rule != UNRESPONSIVE
            )
        )
    )
    finding = evaluate_unresponsive(
        consecutive_missed=missed,
        context_open_priorities=open_priorities,
        last_due_at=last_due,
        time_zone=patient.time_zone,
        thresholds=Thresholds.from_settings(settings["thresholds"]),
    )
    if finding is None:
        return None
    return triage.raise_flags(
        session,
        clinic_id=clinic_id,
        patient_id=patient_id,
        report_id=None,
        findings=[finding],
        targets=settings["response_targets_minutes"],
        now=now,
    )[0]


# --- reads ----------------------------------------------------------------------------------------------


def view(checkin: Checkin, *, language: str | None) -> dict:
    """A check-in as the API shows it: its columns and the questions it asks."""
    columns = {c.key: getattr(checkin, c.key) for c in Checkin.__table__.columns}
    return {**columns, "questions": questions_for(checkin.kind, language)}


def checkins_query(*, patient_id: uuid.UUID, status: CheckinStatus | None = None, include_cancelled: bool) -> Select:
    """A patient's check-ins, latest due first."""
    stmt = select(Checkin).where(Checkin.patient_id == patient_id)
    if status is not None:
        stmt = stmt.where(Checkin.status == status)
    elif not include_cancelled:
        stmt = stmt.where(Checkin.status != CheckinStatus.CANCELLED)
    return stmt.order_by(Checkin.due_at.desc(), Checkin.id)
