"""Clinics (the tenants) and their staff."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from service.enums import Role
from service.models._columns import enum_column
from service.models.base import Base, Timestamps, UUIDPrimaryKey

JSONType = JSON().with_variant(JSONB(), "postgresql")


class Clinic(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "clinics"

    name: Mapped[str] = mapped_column(String(200))
    time_zone: Mapped[str] = mapped_column(String(64))
    settings: Mapped[dict] = mapped_column(JSONType, default=dict)

    def __repr__(self) -> str:
        return f"<Clinic {self.id}>"


class Clinician(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "clinicians"
    __table_args__ = (
        UniqueConstraint("id", "clinic_id", name="uq_clinicians_id_clinic"),
        CheckConstraint("email = lower(email)", name="email_lowercase"),
    )

    clinic_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clinics.id"), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    on_call: Mapped[bool] = mapped_column(default=False)
    password_changed_at: Mapped[datetime | None]
    deactivated_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"<Clinician {self.id} role={self.role} active={self.active}>"
