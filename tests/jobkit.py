"""Helpers for job tests: channels that record what they were given, a job context, infusions at a set time."""

from __future__ import annotations

import random
import signal
import subprocess
from datetime import datetime, timedelta

from sqlalchemy import select

from jobs.runner import context_for, tick
from service.delivery.base import DeliveryError, Message
from service.domain.infusions import record_infusion
from service.extensions import db
from service.models import Checkin, Notification


def stop_job_process(process: subprocess.Popen, *, timeout: float = 30) -> str:
    """Send a `jobs run` process SIGTERM and wait for it (killed if it does not stop in time); its stderr."""
    process.send_signal(signal.SIGTERM)
    try:
        return process.communicate(timeout=timeout)[1]
    except subprocess.TimeoutExpired:
        process.kill()
        return process.communicate()[1]


class Recorder:
    """A channel that keeps every message; ``fail`` (message → exception or None) makes it fail on purpose."""

    def __init__(self, name: str = "log", fail=None):
        self.name = name
        self.fail = fail
        self.sent: list[Message] = []
        self.calls = 0

    def send(self, message: Message) -> None:
        self.calls += 1
        error = self.fail(message) if self.fail else None
        if error is not None:
            raise error
        self.sent.append(message)


def failing(text: str = "connection refused", *, permanent: bool = False):
    return lambda message: DeliveryError(text, permanent=permanent)


def job_context(app, **channels):
    """A job context whose channels are recorders (log always; email/push/webhook when given)."""
    given = {"log": Recorder("log")}
    given.update(channels)
    ctx = context_for(app, channels=given)
    ctx.rng = random.Random(7)
    return ctx


def run(ctx, now: datetime, *only: str) -> dict:
    """`jobs tick` in-process at an injected moment; the test session is reset to see the results."""
    db.session.commit()
    done = tick(ctx, now=now, only=tuple(only) or None)
    db.session.rollback()
    db.session.expire_all()
    return done


def give_infusion(patient, *, ended_at: datetime, minutes: int = 50, now: datetime | None = None):
    """Record an infusion through the domain (so its check-ins are scheduled) as if at ``now`` (default: its end)."""
    infusion = record_infusion(
        db.session,
        patient=patient,
        actor=None,
        values={
            "started_at": ended_at - timedelta(minutes=minutes),
            "ended_at": ended_at,
            "route": "iv",
            "phase": "induction",
        },
        now=now or ended_at,
    )
    db.session.commit()
    return infusion


def checkins_of(patient_id) -> list[Checkin]:
    db.session.rollback()
    db.session.expire_all()
    return list(db.session.scalars(select(Checkin).where(Checkin.patient_id == patient_id).order_by(Checkin.due_at)))


def notifications(**where) -> list[Notification]:
    db.session.rollback()
    db.session.expire_all()
    stmt = select(Notification).order_by(Notification.created_at, Notification.next_attempt_at)
    for key, value in where.items():
        stmt = stmt.where(getattr(Notification, key) == value)
    return list(db.session.scalars(stmt))


def bulk_due_checkins(clinic_id, count: int, *, due: datetime, per_patient: int = 5) -> None:
    """``count`` scheduled check-ins due at ``due`` for patients with no quiet hours (fast Core inserts)."""
    import uuid
    from datetime import date, time

    from sqlalchemy import insert

    from service.models import Infusion, Patient

    patients, infusions, rows = [], [], []
    for n in range(0, count, per_patient):
        patient_id, infusion_id = uuid.uuid4(), uuid.uuid4()
        patients.append(
            {
                "id": patient_id,
                "clinic_id": clinic_id,
                "display_name": f"Bulk {n}",
                "date_of_birth": date(1980, 1, 1),
                "time_zone": "America/Denver",
                "quiet_hours_start": time(0, 0),
                "quiet_hours_end": time(0, 0),
                "preferred_channel": "log",
                "status": "active",
                "created_at": due,
                "updated_at": due,
            }
        )
        infusions.append(
            {
                "id": infusion_id,
                "clinic_id": clinic_id,
                "patient_id": patient_id,
                "started_at": due - timedelta(days=30),
                "ended_at": due - timedelta(days=30) + timedelta(hours=1),
                "route": "iv",
                "phase": "induction",
                "created_at": due,
                "updated_at": due,
            }
        )
        for k in range(min(per_patient, count - n)):
            rows.append(
                {
                    "id": uuid.uuid4(),
                    "clinic_id": clinic_id,
                    "patient_id": patient_id,
                    "infusion_id": infusion_id,
                    "kind": f"{k + 1}h",
                    "offset_hours": k + 1,
                    "due_at": due - timedelta(seconds=n + k),
                    "send_at": due - timedelta(seconds=n + k),
                    "asks_phq9": False,
                    "status": "scheduled",
                    "created_at": due,
                }
            )
    db.session.execute(insert(Patient), patients)
    db.session.execute(insert(Infusion), infusions)
    db.session.execute(insert(Checkin), rows)
    db.session.commit()
