"""Revoking sign-in sessions (token families)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from service.models import AuthSession


def revoke_sessions(
    session: Session,
    *,
    now: datetime,
    reason: str,
    clinician_id: uuid.UUID | None = None,
    device_id: uuid.UUID | None = None,
    session_id: uuid.UUID | None = None,
) -> int:
    """Revoke every live session matching the given principal or id; return how many."""
    stmt = update(AuthSession).where(AuthSession.revoked_at.is_(None))
    if clinician_id is not None:
        stmt = stmt.where(AuthSession.clinician_id == clinician_id)
    elif device_id is not None:
        stmt = stmt.where(AuthSession.device_id == device_id)
    elif session_id is not None:
        stmt = stmt.where(AuthSession.id == session_id)
    else:
        raise ValueError("revoke_sessions needs a principal or a session id")
    result = session.execute(
        stmt.values(revoked_at=now, revoked_reason=reason), execution_options={"synchronize_session": False}
    )
    return result.rowcount or 0
