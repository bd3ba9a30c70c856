"""Clinics and their settings."""

from __future__ import annotations

import copy
from datetime import datetime

from sqlalchemy.orm import Session

from service.domain.clinicians import create_clinician
from service.domain.common import check_time_zone
from service.enums import Role
from service.errors import ValidationFailed
from service.models import Clinic, Clinician
from service.rules import Thresholds

DEFAULT_SETTINGS: dict = {
    "crisis_resources": [
        {
            "label": "If you are in immediate danger, call 911.",
            "labels": {"es": "Si está en peligro inmediato, llame al 911."},
            "phone": "911",
        },
        {
            "label": "Call or text 988, the Suicide & Crisis Lifeline.",
            "labels": {"es": "Llame o envíe un mensaje de texto al 988, la Línea de Prevención del Suicidio y Crisis."},
            "phone": "988",
            "sms": "988",
        },
    ],
    # The clinic's own wording of the safety advice, by rule and language (see service.domain.advice).
    "advice": {},
    "response_targets_minutes": {"critical": 15, "high": 240, "medium": 1440, "low": 4320},
    "checkin_offsets_hours": [2, 24, 72, 168, 336],
    "quiet_hours": {"start": "21:00", "end": "08:00"},
    "thresholds": Thresholds().to_settings(),
    # A critical flag nobody acknowledged: on-call told after this long, the admins too after that long.
    "escalation": {"critical_ack_minutes": 15, "admin_after_minutes": 30},
    # The clinic's receiver for escalations and digests (pager, clinic system): HTTPS URL and HMAC secret.
    "webhook": {"url": None, "secret": None},
    # The visit in the clinic: a screening blood pressure at or above the hold line needs a recorded decision
    # (140/90 by default, as the esketamine label advises).
    # In the chair: readings outside these limits are marked, and block discharge unless a clinician says why.
    "visit": {
        "hold_systolic": 140,
        "hold_diastolic": 90,
        "limit_systolic": 160,
        "limit_diastolic": 100,
        "limit_heart_rate_high": 110,
        "limit_heart_rate_low": 50,
        "limit_spo2": 94,
        "limit_moass": 4,
        "limit_dissociation": 1,
    },
}


def settings_of(clinic: Clinic) -> dict:
    """The clinic's settings with defaults filled in for anything not set."""
    return effective_settings(clinic.settings)


def effective_settings(stored: dict | None) -> dict:
    """Stored settings over the defaults (nested dicts merged key by key); treat the result as read-only."""
    merged = {key: dict(value) if isinstance(value, dict) else value for key, value in DEFAULT_SETTINGS.items()}
    for key, value in (stored or {}).items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key].update(value)
        else:
            merged[key] = value
    return merged


def public_settings(settings: dict) -> dict:
    """Settings as an admin may read them: the webhook secret is never shown, only whether it is set."""
    shown = copy.deepcopy(settings)
    webhook = shown.get("webhook") or {}
    shown["webhook"] = {"url": webhook.get("url"), "secret_set": bool(webhook.get("secret"))}
    return shown


def create_clinic(
    session: Session,
    *,
    name: str,
    time_zone: str,
    admin_email: str,
    admin_password: str,
    admin_name: str = "Clinic admin",
    now: datetime,
) -> tuple[Clinic, Clinician]:
    """Create a clinic with its first admin."""
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("A clinic needs a name.", field="name")
    clinic = Clinic(name=name, time_zone=check_time_zone(time_zone), settings={}, created_at=now, updated_at=now)
    session.add(clinic)
    session.flush()
    admin = create_clinician(
        session, clinic=clinic, email=admin_email, name=admin_name, role=Role.ADMIN, password=admin_password, now=now
    )
    return clinic, admin
