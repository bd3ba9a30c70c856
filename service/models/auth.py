"""Sign-in state: sessions (token families), refresh tokens, enrollment codes, failures."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, ForeignKeyConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from service.enums import PrincipalKind
from service.models._columns import enum_column
from service.models.base import Base, UUIDPrimaryKey


class AuthSession(UUIDPrimaryKey, Base):
    """One sign-in: every access and refresh token it issues belongs to it."""

    __tablename__ = "auth_sessions"
    __table_args__ = (
        ForeignKeyConstraint(
            ["clinician_id", "clinic_id"],
            ["clinicians.id", "clinicians.clinic_id"],
            name="fk_auth_sessions_clinician_clinic",
        ),
        ForeignKeyConstraint(
            ["device_id", "clinic_id"], ["devices.id", "devices.clinic_id"], name="fk_auth_sessions_device_clinic"
        ),
        CheckConstraint(
            "(kind = 'clinician' AND clinician_id IS NOT NULL AND device_id IS NULL) OR "
            "(kind = 'device' AND device_id IS NOT NULL AND clinician_id IS NULL)",
            name="one_principal",
        ),
        Index("ix_auth_sessions_clinician", "clinician_id"),
        Index("ix_auth_sessions_device", "device_id"),
    )

    clinic_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clinics.id"))
    kind: Mapped[PrincipalKind] = mapped_column(enum_column(PrincipalKind, "kind"))
    clinician_id: Mapped[uuid.UUID | None]
    device_id: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(String(40))

    def __repr__(self) -> str:
        return f"<AuthSession {self.id} kind={self.kind} revoked={self.revoked_at is not None}>"


class RefreshToken(UUIDPrimaryKey, Base):
    """A refresh token, stored as a hash; each may be used once."""

    __tablename__ = "refresh_tokens"

    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("auth_sessions.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"<RefreshToken {self.id} used={self.used_at is not None}>"


class EnrollmentCode(UUIDPrimaryKey, Base):
    """A one-time code a clinic gives a patient to pair a phone; stored as a hash."""

    __tablename__ = "enrollment_codes"
    __table_args__ = (
        ForeignKeyConstraint(
            ["patient_id", "clinic_id"],
            ["patients.id", "patients.clinic_id"],
            name="fk_enrollment_codes_patient_clinic",
        ),
        ForeignKeyConstraint(
            ["created_by_id", "clinic_id"],
            ["clinicians.id", "clinicians.clinic_id"],
            name="fk_enrollment_codes_creator_clinic",
        ),
        Index("ix_enrollment_codes_patient", "patient_id"),
    )

    clinic_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clinics.id"))
    patient_id: Mapped[uuid.UUID]
    created_by_id: Mapped[uuid.UUID | None]
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    device_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("devices.id"))

    def __repr__(self) -> str:
        return f"<EnrollmentCode {self.id} used={self.used_at is not None}>"


class AuthFailure(Base):
    """A failed sign-in or enrollment attempt, counted for throttling."""

    __tablename__ = "auth_failures"
    __table_args__ = (
        Index("ix_auth_failures_account_at", "account", "at"),
        Index("ix_auth_failures_address_at", "address", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    account: Mapped[str | None] = mapped_column(String(254))
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]

    def __repr__(self) -> str:
        return f"<AuthFailure {self.id}>"
