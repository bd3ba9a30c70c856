"""A hand-built history of reports and flags for the analytics tests: every timestamp set by hand.

The clinic is in America/Denver (the factories' zone), whose daylight time ends on 2026-11-01 at 02:00:
that clinic day runs from 06:00 UTC on 1 November to 07:00 UTC on 2 November (25 hours).
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime

from service.domain.triage import urgency_of
from service.enums import FlagEventKind, FlagPriority, FlagStatus, Resolution
from service.extensions import db
from service.models import Flag, FlagEvent, Report


def at(text: str) -> datetime:
    """A UTC instant from 'MM-DD HH:MM' in 2026."""
    return datetime.strptime(f"2026-{text}", "%Y-%m-%d %H:%M").replace(tzinfo=UTC)


def add_report(clinic_id, patient_id, received: str) -> Report:
    report = Report(
        clinic_id=clinic_id,
        patient_id=patient_id,
        client_report_id=uuid.uuid4(),
        body_hash=hashlib.sha256(received.encode()).hexdigest(),
        observed_at=at(received),
        received_at=at(received),
    )
    db.session.add(report)
    return report


def add_flag(
    clinic_id,
    patient_id,
    rule: str,
    version: int,
    priority: FlagPriority,
    *,
    created: str,
    due: str,
    acks: tuple[str, ...] = (),
    resolved: str | None = None,
    resolution: Resolution | None = None,
    joins: tuple[str, ...] = (),
    escalations: tuple[str, ...] = (),
) -> Flag:
    status = FlagStatus.RESOLVED if resolved else (FlagStatus.ACKNOWLEDGED if acks else FlagStatus.OPEN)
    flag = Flag(
        clinic_id=clinic_id,
        patient_id=patient_id,
        rule=rule,
        rule_version=version,
        priority=priority,
        urgency=urgency_of(priority),
        status=status,
        reason="Hand-built for the analytics tests.",
        evidence={},
        due_by=at(due),
        created_at=at(created),
        updated_at=at(resolved or created),
        acknowledged_at=at(acks[0]) if acks else None,
        resolved_at=at(resolved) if resolved else None,
        resolution=resolution,
        resolution_note="Done." if resolved else None,
    )
    db.session.add(flag)
    db.session.flush()
    events = [(created, FlagEventKind.OPENED)]
    events += [(moment, FlagEventKind.ACKNOWLEDGED) for moment in acks]
    events += [(moment, FlagEventKind.JOINED) for moment in joins]
    events += [(moment, FlagEventKind.ESCALATED) for moment in escalations]
    if resolved:
        events.append((resolved, FlagEventKind.RESOLVED))
    db.session.add_all(FlagEvent(flag_id=flag.id, at=at(moment), kind=kind) for moment, kind in events)
    return flag
