"""The companion app's web-push subscriptions: one per paired device, checked before it is kept."""

from __future__ import annotations

import base64
import binascii
import urllib.parse
import uuid
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from service.errors import ValidationFailed
from service.models import Device


def _b64url(value: str, *, field: str, length: int) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        raise ValidationFailed("Must be base64url.", field=field) from None
    if len(raw) != length:
        raise ValidationFailed(f"Must be {length} bytes once decoded.", field=field)
    return raw


def check_endpoint(endpoint: str, *, allow_local: bool) -> str:
    """A push service's address: https with a host; plain http only to 127.0.0.1 when allowed (tests)."""
    parts = urllib.parse.urlsplit(endpoint)
    local = parts.scheme == "http" and parts.hostname == "127.0.0.1"
    if not parts.hostname or not (parts.scheme == "https" or (allow_local and local)):
        raise ValidationFailed("The push endpoint must be an https URL.", field="endpoint")
    return endpoint


def subscribe(
    session: Session, *, device_id: uuid.UUID, subscription: dict, now: datetime, allow_local: bool = False
) -> dict:
    """Keep this device's browser subscription (a new one replaces the old)."""
    endpoint = check_endpoint(subscription["endpoint"], allow_local=allow_local)
    keys = subscription["keys"]
    if _b64url(keys["p256dh"], field="keys.p256dh", length=65)[0] != 4:
        raise ValidationFailed("Must be an uncompressed P-256 point.", field="keys.p256dh")
    _b64url(keys["auth"], field="keys.auth", length=16)
    session.execute(
        update(Device)
        .where(Device.id == device_id)
        .values(webpush_endpoint=endpoint, webpush_p256dh=keys["p256dh"], webpush_auth=keys["auth"], last_seen_at=now),
        execution_options={"synchronize_session": False},
    )
    return {"device_id": device_id, "endpoint": endpoint}


def unsubscribe(session: Session, *, device_id: uuid.UUID, now: datetime) -> None:
    """Forget this device's browser subscription (nothing to forget is fine)."""
    session.execute(
        update(Device)
        .where(Device.id == device_id)
        .values(webpush_endpoint=None, webpush_p256dh=None, webpush_auth=None, last_seen_at=now),
        execution_options={"synchronize_session": False},
    )
