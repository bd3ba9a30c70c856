"""The audit trail: who read or changed which patient data, when and from where. Append-only.

Rows hold ids, never health details. The application has no path that updates or deletes them, and on
PostgreSQL a trigger (see the migration) refuses UPDATE and DELETE outright.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, ForeignKeyConstraint, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from service.enums import AuditAction, Role
from service.models._columns import enum_column
from service.models.base import Base

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (
        ForeignKeyConstraint(
            ["actor_id", "clinic_id"], ["clinicians.id", "clinicians.clinic_id"], name="fk_audit_log_actor_clinic"
        ),
        ForeignKeyConstraint(
            ["patient_id", "clinic_id"], ["patients.id", "patients.clinic_id"], name="fk_audit_log_patient_clinic"
        ),
        Index("ix_audit_log_clinic_at", "clinic_id", "at", "id"),
        Index("ix_audit_log_patient_at", "patient_id", "at"),
        Index("ix_audit_log_actor_at", "actor_id", "at"),
        Index("ix_audit_log_resource", "resource_type", "resource_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime]
    clinic_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clinics.id"))
    actor_id: Mapped[uuid.UUID]
    actor_role: Mapped[Role] = mapped_column(enum_column(Role, "actor_role"))
    action: Mapped[AuditAction] = mapped_column(enum_column(AuditAction, "action"))
    resource_type: Mapped[str] = mapped_column(String(40))
    resource_id: Mapped[str | None] = mapped_column(String(64))
    # The patient whose data it was, when there is one: answers "who looked at this patient's record?"
    patient_id: Mapped[uuid.UUID | None]
    method: Mapped[str | None] = mapped_column(String(8))
    endpoint: Mapped[str | None] = mapped_column(String(200))  # the URL rule, with placeholders, never values
    ip: Mapped[str | None] = mapped_column(String(64))
    request_id: Mapped[str | None] = mapped_column(String(64))

    def __repr__(self) -> str:
        return f"<AuditEntry {self.id} {self.action} {self.resource_type}>"
