"""The webhook channel: JSON POSTed to the clinic's receiver, signed with HMAC-SHA256 over timestamp and body.

Headers: ``X-Aftercare-Timestamp`` (Unix seconds), ``X-Aftercare-Signature: sha256=<hex>`` where the
MAC is HMAC-SHA256(secret, f"{timestamp}.{body}"), ``X-Aftercare-Delivery`` (the message id: the same
on every retry, so a receiver drops copies) and ``X-Aftercare-Event``. Receivers should refuse
timestamps more than 5 minutes off (``verify`` does).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request

from service.delivery.base import DeliveryError, Message

TOLERANCE_SECONDS = 300


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header's value for a body sent at a timestamp."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={mac}"


def verify(secret: str, *, timestamp: str, signature: str, body: bytes, now: float | None = None) -> bool:
    """What a receiver checks: a fresh timestamp and a matching signature (constant-time compare)."""
    try:
        ts = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs((now if now is not None else time.time()) - ts) > TOLERANCE_SECONDS:
        return False
    return hmac.compare_digest(sign(secret, ts, body), signature or "")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class WebhookChannel:
    name = "webhook"

    def __init__(self, *, timeout: float = 10.0, clock=time.time):
        self.timeout = timeout
        self.clock = clock
        self.opener = urllib.request.build_opener(_NoRedirects)

    def payload(self, message: Message) -> bytes:
        body = {
            "id": str(message.id),
            "kind": message.kind,
            "clinic_id": str(message.clinic_id),
            "subject": message.subject,
            "text": message.body,
            **message.data,
        }
        return json.dumps(body, separators=(",", ":"), sort_keys=True).encode()

    def send(self, message: Message) -> None:
        if not message.webhook_url or not message.webhook_secret:
            raise DeliveryError("The clinic has no webhook configured.", permanent=True)
        if not message.webhook_url.startswith(("https://", "http://")):
            raise DeliveryError("A webhook URL must be http(s).", permanent=True)
        body = self.payload(message)
        timestamp = int(self.clock())
        request = urllib.request.Request(  # noqa: S310 - scheme checked above
            message.webhook_url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "User-Agent": "Aftercare-Webhook/1",
                "X-Aftercare-Timestamp": str(timestamp),
                "X-Aftercare-Signature": sign(message.webhook_secret, timestamp, body),
                "X-Aftercare-Delivery": str(message.id),
                "X-Aftercare-Event": str(message.data.get("event", message.kind)),
            },
        )
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                response.read(1024)
        except urllib.error.HTTPError as exc:
            exc.close()
            raise DeliveryError(f"Webhook answered HTTP {exc.code}.", permanent=exc.code in (400, 404, 410)) from None
        except (urllib.error.URLError, OSError) as exc:
            raise DeliveryError(f"Webhook unreachable: {getattr(exc, 'reason', exc)}") from None
