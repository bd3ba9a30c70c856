"""The web-push channel: the companion app's browsers, reached through their push services (VAPID, RFC 8292).

Each subscription (endpoint and keys the browser handed the app) gets the message encrypted for it
(``aes128gcm``, RFC 8291) and signed with the instance's VAPID key. The payload carries only the
lock-screen text (never a health detail) and ids. A push service answering 404 or 410 says the
subscription is gone: its device is remembered in ``gone`` for the job to forget it.
"""

from __future__ import annotations

import base64
import json
import threading
import uuid
from dataclasses import dataclass, field

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02
from pywebpush import WebPushException, webpush

from service.delivery.base import DeliveryError, Message

DEFAULT_SUBJECT = "mailto:no-reply@aftercare.invalid"
TTL_SECONDS = 24 * 3600


@dataclass(frozen=True)
class WebPushSubscription:
    """One browser's PushSubscription, kept on its paired device."""

    device_id: uuid.UUID
    endpoint: str
    p256dh: str
    auth: str = field(repr=False)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def generate_private_key_pem() -> str:
    """A new P-256 key for VAPID, as PKCS#8 PEM."""
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def public_key_for(private_pem: str) -> str:
    """The applicationServerKey browsers subscribe with: the uncompressed public point, base64url."""
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    raw = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return b64url(raw)


class WebPushChannel:
    name = "webpush"

    def __init__(self, *, private_key_pem: str, subject: str = DEFAULT_SUBJECT, timeout: float = 10.0):
        self._vapid = Vapid02.from_pem(private_key_pem.encode())
        self.public_key = public_key_for(private_key_pem)
        self.subject = subject
        self.timeout = timeout
        self._gone: list[uuid.UUID] = []
        self._lock = threading.Lock()
        self._session = requests.Session()
        self._session.trust_env = False  # no proxy from the environment between us and the push service

    def __repr__(self) -> str:  # the key never shows in a log line
        return f"<WebPushChannel subject={self.subject!r}>"

    def payload(self, message: Message) -> str:
        data = {"notification_id": str(message.id), "kind": message.kind}
        data.update({k: str(v) for k, v in message.data.items() if k.endswith("_id")})
        return json.dumps({"title": "Aftercare", "body": message.body, "data": data}, separators=(",", ":"))

    def drain_gone(self) -> list[uuid.UUID]:
        """Devices whose subscriptions the push service said are gone, since the last call."""
        with self._lock:
            gone, self._gone = self._gone, []
        return gone

    def send_to(self, message: Message, subscription: WebPushSubscription) -> None:
        try:
            webpush(
                {"endpoint": subscription.endpoint, "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth}},
                data=self.payload(message),
                vapid_private_key=self._vapid,
                vapid_claims={"sub": self.subject},
                content_encoding="aes128gcm",
                timeout=self.timeout,
                ttl=TTL_SECONDS,
                headers={"Urgency": "high", "Topic": message.id.hex[:32]},
                requests_session=self._session,
            )
        except WebPushException as exc:
            status = exc.response.status_code if exc.response is not None else None
            if status in (404, 410):
                with self._lock:
                    self._gone.append(subscription.device_id)
                gone = f"The push service says the subscription is gone (HTTP {status})."
                raise DeliveryError(gone, permanent=True) from None
            raise DeliveryError(
                f"The push service answered HTTP {status}." if status else "The push service could not be reached.",
                permanent=status in (400, 403, 413),
            ) from None
        except (requests.RequestException, OSError, ValueError) as exc:
            raise DeliveryError(f"The push service could not be reached ({type(exc).__name__}).") from None

    def send(self, message: Message) -> None:
        if not message.web_push:
            raise DeliveryError("The patient has no browser subscribed to push.", permanent=True)
        errors = []
        delivered = 0
        for subscription in message.web_push:
            try:
                self.send_to(message, subscription)
                delivered += 1
            except DeliveryError as exc:
                errors.append(exc)
        if not delivered:
            raise DeliveryError(str(errors[0]), permanent=all(e.permanent for e in errors))


class PhonesChannel:
    """The outbox's ``push`` channel: every way the patient's paired phones take a push (FCM tokens,
    web-push subscriptions); delivered when at least one of them took it."""

    name = "push"

    def __init__(self, *, fcm=None, webpush: WebPushChannel | None = None):
        self.fcm, self.webpush = fcm, webpush

    def drain_gone(self) -> list[uuid.UUID]:
        return self.webpush.drain_gone() if self.webpush else []

    def send(self, message: Message) -> None:
        errors, delivered = [], 0
        for channel, has in ((self.fcm, bool(message.push_tokens)), (self.webpush, bool(message.web_push))):
            if channel is None or not has:
                continue
            try:
                channel.send(message)
                delivered += 1
            except DeliveryError as exc:
                errors.append(exc)
        if delivered:
            return
        if not errors:
            raise DeliveryError("The patient has no phone that takes push.", permanent=True)
        # Every way failed: the message waits for a retry unless each failure was for good.
        if all(e.permanent for e in errors):
            raise DeliveryError(str(errors[-1]), permanent=True)
        raise DeliveryError(str(next(e for e in errors if not e.permanent)))
