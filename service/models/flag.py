"""Flags: a question for a clinician about a patient, opened by a rule, with its history."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from service.enums import FlagEventKind, FlagPriority, FlagStatus, Resolution
from service.models._columns import enum_column
from service.models.base import Base, UUIDPrimaryKey

ACTIVE = text("status IN ('open', 'acknowledged')")


class Flag(UUIDPrimaryKey, Base):
    __tablename__ = "flags"
    __table_args__ = (
        UniqueConstraint("id", "clinic_id", name="uq_flags_id_clinic"),
        ForeignKeyConstraint(
            ["patient_id", "clinic_id"], ["patients.id", "patients.clinic_id"], name="fk_flags_patient_clinic"
        ),
        ForeignKeyConstraint(
            ["assignee_id", "clinic_id"], ["clinicians.id", "clinicians.clinic_id"], name="fk_flags_assignee_clinic"
        ),
        ForeignKeyConstraint(
            ["acknowledged_by_id", "clinic_id"],
            ["clinicians.id", "clinicians.clinic_id"],
            name="fk_flags_acknowledger_clinic",
        ),
        ForeignKeyConstraint(
            ["resolved_by_id", "clinic_id"], ["clinicians.id", "clinicians.clinic_id"], name="fk_flags_resolver_clinic"
        ),
        CheckConstraint("urgency BETWEEN 1 AND 4", name="urgency_range"),
        CheckConstraint(
            "status <> 'resolved' OR (resolution IS NOT NULL AND resolved_at IS NOT NULL)",
            name="resolved_has_resolution",
        ),
        # One active flag per patient and rule: a new matching report joins it.
        Index(
            "uq_flags_active_patient_rule",
            "patient_id",
            "rule",
            unique=True,
            postgresql_where=ACTIVE,
            sqlite_where=ACTIVE,
        ),
        # The queue: active flags of a clinic, most urgent first, then by due time.
        Index("ix_flags_queue", "clinic_id", "urgency", "due_by", "id", postgresql_where=ACTIVE, sqlite_where=ACTIVE),
        Index("ix_flags_clinic_status", "clinic_id", "status", "urgency", "due_by", "id"),
        # The whole history in queue order (status=all), for keyset pages deep into it.
        Index("ix_flags_clinic_order", "clinic_id", "urgency", "due_by", "id"),
        Index("ix_flags_patient", "patient_id", "created_at"),
        Index("ix_flags_assignee_active", "assignee_id", postgresql_where=ACTIVE, sqlite_where=ACTIVE),
        # Analytics: a clinic's flags opened in a range, and when each rule version was first seen (rule burden).
        Index("ix_flags_clinic_created", "clinic_id", "created_at"),
        Index("ix_flags_clinic_rule_version", "clinic_id", "rule", "rule_version", "created_at"),
    )

    clinic_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clinics.id"))
    patient_id: Mapped[uuid.UUID]
    rule: Mapped[str] = mapped_column(String(40))
    rule_version: Mapped[int]
    priority: Mapped[FlagPriority] = mapped_column(enum_column(FlagPriority, "priority"))
    # Queue order: 1 critical, 2 high, 3 medium, 4 low (ascending sorts the most urgent first).
    urgency: Mapped[int]
    status: Mapped[FlagStatus] = mapped_column(enum_column(FlagStatus, "status"), default=FlagStatus.OPEN)
    reason: Mapped[str] = mapped_column(Text)
    evidence: Mapped[dict] = mapped_column(JSON)
    due_by: Mapped[datetime]
    report_count: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    last_report_at: Mapped[datetime | None]
    assignee_id: Mapped[uuid.UUID | None]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by_id: Mapped[uuid.UUID | None]
    # The first acknowledgement (acknowledged_at is the latest: new evidence reopens a flag, and it is taken again).
    first_acknowledged_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[uuid.UUID | None]
    resolution: Mapped[Resolution | None] = mapped_column(enum_column(Resolution, "resolution"))
    resolution_note: Mapped[str | None] = mapped_column(Text)
    escalation_level: Mapped[int] = mapped_column(default=0)
    escalated_at: Mapped[datetime | None]
    # Escalation steps ever taken (escalation_level starts again at 0 when new evidence reopens the flag).
    # The database's default only: a Python default would join triage's INSERT … SELECT as a parameter its driver
    # statement never binds (NULL).
    escalation_count: Mapped[int] = mapped_column(server_default="0")
    # Pages written at once (opened or raised to critical, new evidence, a high-risk screen): how many, the last.
    page_count: Mapped[int] = mapped_column(default=0)
    last_paged_at: Mapped[datetime | None]
    # Bumped on every change: the ETag of the flag, for If-Match.
    version: Mapped[int] = mapped_column(default=1)

    def __repr__(self) -> str:
        return f"<Flag {self.id} rule={self.rule} priority={self.priority} status={self.status}>"


class FlagReport(Base):
    """The reports behind a flag."""

    __tablename__ = "flag_reports"
    __table_args__ = (
        PrimaryKeyConstraint("flag_id", "report_id", name="pk_flag_reports"),
        Index("ix_flag_reports_report", "report_id"),
    )

    flag_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("flags.id"))
    report_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("reports.id"))
    added_at: Mapped[datetime]

    def __repr__(self) -> str:
        return f"<FlagReport flag={self.flag_id} report={self.report_id}>"


class FlagEvent(Base):
    """What happened to a flag: opened, joined by a report, acknowledged, notes, escalations, resolution."""

    __tablename__ = "flag_events"
    __table_args__ = (
        Index("ix_flag_events_flag", "flag_id", "at"),
        # Analytics: events of a kind in a range (rule burden's reports joined per rule version).
        Index("ix_flag_events_kind_at", "kind", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    flag_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("flags.id"))
    at: Mapped[datetime]
    kind: Mapped[FlagEventKind] = mapped_column(enum_column(FlagEventKind, "kind"))
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("clinicians.id"))
    report_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("reports.id"))
    text: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict | None] = mapped_column(JSON)

    def __repr__(self) -> str:
        return f"<FlagEvent {self.id} kind={self.kind}>"


class SettingsChange(Base):
    """Every change to a clinic's settings: who, when, before and after."""

    __tablename__ = "settings_changes"
    __table_args__ = (Index("ix_settings_changes_clinic", "clinic_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    clinic_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clinics.id"))
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("clinicians.id"))
    at: Mapped[datetime]
    before: Mapped[dict] = mapped_column(JSON)
    after: Mapped[dict] = mapped_column(JSON)

    def __repr__(self) -> str:
        return f"<SettingsChange {self.id}>"
