"""Clinic staff: create, change role, on-call, deactivate."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.domain.sessions import revoke_sessions
from service.enums import Role
from service.errors import Conflict, NotFound, ValidationFailed
from service.models import Clinic, Clinician
from service.security.passwords import hash_password, password_problem


def normalize_email(email: str) -> str:
    """Lowercase and trim an email address for storage and lookup."""
    return (email or "").strip().lower()


def _check_password(password: str, *, email: str, name: str) -> None:
    problem = password_problem(password, context=(email.split("@", maxsplit=1)[0], name, "aftercare"))
    if problem:
        raise ValidationFailed(problem, field="password")


def create_clinician(
    session: Session,
    *,
    clinic: Clinic,
    email: str,
    name: str,
    role: Role,
    password: str,
    on_call: bool = False,
    now: datetime,
) -> Clinician:
    """Add a staff member to a clinic."""
    email = normalize_email(email)
    if "@" not in email:
        raise ValidationFailed("Not a valid email address.", field="email")
    _check_password(password, email=email, name=name)
    if session.scalar(select(Clinician.id).where(Clinician.email == email)) is not None:
        raise Conflict("A staff account with this email already exists.", field="email")
    clinician = Clinician(
        clinic_id=clinic.id,
        email=email,
        name=name.strip(),
        role=Role(role),
        password_hash=hash_password(password),
        active=True,
        on_call=on_call,
        password_changed_at=now,
        created_at=now,
        updated_at=now,
    )
    session.add(clinician)
    session.flush()
    return clinician


def get_clinician(session: Session, *, clinic_id: uuid.UUID, clinician_id: uuid.UUID) -> Clinician:
    """Fetch a clinician of the caller's clinic; 404 for any other."""
    clinician = session.scalar(select(Clinician).where(Clinician.id == clinician_id, Clinician.clinic_id == clinic_id))
    if clinician is None:
        raise NotFound("No such clinician.")
    return clinician


def staff_of(session: Session, *, clinic_id: uuid.UUID, active_only: bool = False) -> list[Clinician]:
    """The clinic's staff by name (active ones only when asked)."""
    stmt = select(Clinician).where(Clinician.clinic_id == clinic_id)
    if active_only:
        stmt = stmt.where(Clinician.active.is_(True))
    return list(session.scalars(stmt.order_by(Clinician.name, Clinician.id)))


def update_clinician(
    session: Session, *, clinician: Clinician, actor: Clinician, changes: dict, now: datetime
) -> Clinician:
    """Change a clinician's name, role, on-call, password or active state."""
    if clinician.id == actor.id and (changes.get("active") is False or changes.get("role", Role.ADMIN) != Role.ADMIN):
        raise Conflict("You cannot deactivate yourself or remove your own admin role.")
    if "name" in changes:
        clinician.name = changes["name"].strip()
    if "role" in changes:
        clinician.role = Role(changes["role"])
    if "on_call" in changes:
        clinician.on_call = changes["on_call"]
    if "password" in changes:
        _check_password(changes["password"], email=clinician.email, name=clinician.name)
        clinician.password_hash = hash_password(changes["password"])
        clinician.password_changed_at = now
        revoke_sessions(session, clinician_id=clinician.id, reason="password_changed", now=now)
    if "active" in changes and changes["active"] != clinician.active:
        clinician.active = changes["active"]
        clinician.deactivated_at = None if clinician.active else now
        if not clinician.active:
            clinician.on_call = False
            revoke_sessions(session, clinician_id=clinician.id, reason="deactivated", now=now)
    clinician.updated_at = now
    session.flush()
    return clinician
