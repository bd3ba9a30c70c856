"""The audit trail: append who read or changed patient data; let a clinic's admins search it.

``record_access`` is the one way in. The API appends an entry for every staff request centrally
(service.api.audit_trail); other code that shows patient data (the web console, exports, scripts) calls
``record_access`` itself. Entries carry ids only, never health details, and there is no update or delete
here or anywhere else in the application.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, insert, select
from sqlalchemy.orm import Session

from service.enums import AuditAction, Role
from service.models import AuditEntry


def record_access(
    session: Session,
    *,
    clinic_id: uuid.UUID,
    actor_id: uuid.UUID,
    actor_role: Role | str,
    action: AuditAction | str,
    resource_type: str,
    resource_id: str | uuid.UUID | None = None,
    patient_id: uuid.UUID | None = None,
    method: str | None = None,
    endpoint: str | None = None,
    ip: str | None = None,
    request_id: str | None = None,
    now: datetime,
) -> int:
    """Append one audit entry and return its id (not committed: it lands with the caller's transaction).

    A plain INSERT, not an ORM object: every staff request appends one, so it is kept cheap."""
    values = dict(
        at=now,
        clinic_id=clinic_id,
        actor_id=actor_id,
        actor_role=Role(actor_role),
        action=AuditAction(action),
        resource_type=resource_type[:40],
        resource_id=None if resource_id is None else str(resource_id)[:64],
        patient_id=patient_id,
        method=method[:8] if method else None,
        endpoint=endpoint[:200] if endpoint else None,
        ip=ip[:64] if ip else None,
        request_id=request_id[:64] if request_id else None,
    )
    return session.execute(_APPEND, values).scalar_one()


_APPEND = insert(AuditEntry.__table__).returning(AuditEntry.__table__.c.id)


@dataclass(frozen=True)
class AuditFilter:
    actor_id: uuid.UUID | None = None
    patient_id: uuid.UUID | None = None
    resource_type: str | None = None
    resource_id: str | None = None
    action: AuditAction | None = None
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive


def audit_query(*, clinic_id: uuid.UUID, filters: AuditFilter) -> Select:
    """A clinic's audit entries matching the filters, newest first (other clinics' entries never)."""
    stmt = select(AuditEntry).where(AuditEntry.clinic_id == clinic_id)
    if filters.actor_id is not None:
        stmt = stmt.where(AuditEntry.actor_id == filters.actor_id)
    if filters.patient_id is not None:
        stmt = stmt.where(AuditEntry.patient_id == filters.patient_id)
    if filters.resource_type is not None:
        stmt = stmt.where(AuditEntry.resource_type == filters.resource_type)
    if filters.resource_id is not None:
        stmt = stmt.where(AuditEntry.resource_id == filters.resource_id)
    if filters.action is not None:
        stmt = stmt.where(AuditEntry.action == filters.action)
    if filters.since is not None:
        stmt = stmt.where(AuditEntry.at >= filters.since)
    if filters.until is not None:
        stmt = stmt.where(AuditEntry.at < filters.until)
    return stmt.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
