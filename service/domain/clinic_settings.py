"""A clinic's settings: read with defaults, replace with validation and a recorded history."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.domain.clinics import effective_settings, settings_of
from service.errors import DomainError, ValidationFailed
from service.models import Clinic, SettingsChange
from service.rules import thresholds_problems


class SettingsInvalid(DomainError):
    """Several settings are wrong at once; each is named."""

    status = 422

    def __init__(self, problems: dict[str, str]):
        super().__init__("Some settings are not acceptable.")
        self.problems = problems

    def errors(self) -> dict:
        return {"json": {"thresholds": {key: [reason] for key, reason in self.problems.items()}}}


def replace_settings(session: Session, *, clinic: Clinic, new: dict, actor_id: uuid.UUID, now: datetime) -> dict:
    """Replace a clinic's settings after checking them; the change is recorded with who and when."""
    problems = thresholds_problems(new["thresholds"], allow_unknown=False)
    if problems:
        raise SettingsInvalid(problems)
    before = settings_of(clinic)
    after = effective_settings(new)
    after["webhook"] = _webhook(new.get("webhook"), stored=before.get("webhook") or {})
    if "advice" not in new:  # a form that does not show the clinic's advice texts keeps them
        after["advice"] = before.get("advice") or {}
    if "visit" not in new:  # nor its visit settings (the screening's hold line)
        after["visit"] = before["visit"]
    if "e2b_sender" not in new and before.get("e2b_sender"):  # a body without the E2B(R3) safety contact keeps it
        after["e2b_sender"] = before["e2b_sender"]
    elif new.get("e2b_sender") is None:  # null removes it (the export then names what is missing)
        after.pop("e2b_sender", None)
    clinic.settings = after
    clinic.updated_at = now
    session.add(
        SettingsChange(clinic_id=clinic.id, actor_id=actor_id, at=now, before=_redacted(before), after=_redacted(after))
    )
    session.flush()
    return after


def _webhook(given: dict | None, *, stored: dict) -> dict:
    """The webhook to keep: a new URL and secret, or the stored secret when only the URL is sent again."""
    given = given or {}
    url = given.get("url")
    if not url:
        return {"url": None, "secret": None}
    secret = given.get("secret") or stored.get("secret")
    if not secret:
        raise ValidationFailed(
            "A webhook needs a secret (16 or more characters) to sign its messages.", field="webhook"
        )
    return {"url": url, "secret": secret}


def _redacted(settings: dict) -> dict:
    """Settings for the history: the webhook secret replaced by whether it was set."""
    webhook = settings.get("webhook") or {}
    return {**settings, "webhook": {"url": webhook.get("url"), "secret_set": bool(webhook.get("secret"))}}


def settings_history(session: Session, *, clinic_id: uuid.UUID, limit: int = 50) -> list[SettingsChange]:
    """The latest changes to a clinic's settings, newest first."""
    return list(
        session.scalars(
            select(SettingsChange)
            .where(SettingsChange.clinic_id == clinic_id)
            .order_by(SettingsChange.at.desc(), SettingsChange.id.desc())
            .limit(limit)
        )
    )
