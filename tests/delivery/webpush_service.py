"""A local stand-in for a browser's push service: it takes the POST a push service would, checks the VAPID
signature and the encoding, and decrypts the payload with the subscription's private key, as the browser
would before showing the notification."""

from __future__ import annotations

import base64
import json
import time
import urllib.parse
from contextlib import contextmanager

import http_ece
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.delivery.servers import http_server


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class BrowserSubscription:
    """What a browser keeps for one PushSubscription: its key pair and auth secret."""

    def __init__(self, endpoint: str, auth: bytes):
        self.endpoint = endpoint
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.auth = auth
        raw = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        self.p256dh = b64url(raw)
        self.auth_b64 = b64url(auth)

    def as_json(self) -> dict:
        return {
            "endpoint": self.endpoint,
            "keys": {"p256dh": self.p256dh, "auth": self.auth_b64},
            "expirationTime": None,
        }


class PushService:
    """Answers each POST: 201 when the VAPID JWT verifies and the body decrypts, 410 for a gone subscription."""

    def __init__(self, application_server_key: str):
        self.application_server_key = application_server_key
        self.subscriptions: dict[str, BrowserSubscription] = {}
        self.gone: set[str] = set()
        self.shown: list[dict] = []  # what the browser would hand the service worker's push event
        self.refusals: list[str] = []

    def __call__(self, path, headers, body):
        url = self.base + path
        if url in self.gone:
            return 410, {"reason": "unsubscribed"}
        subscription = self.subscriptions.get(url)
        if subscription is None:
            return 404, {}
        problem = self.check(headers, body, subscription)
        if problem:
            self.refusals.append(problem)
            return 403 if "vapid" in problem else 400, {"reason": problem}
        return 201, {}

    def check(self, headers, body, subscription: BrowserSubscription) -> str | None:
        if headers.get("Content-Encoding") != "aes128gcm":
            return "encoding is not aes128gcm"
        if not headers.get("TTL"):
            return "no TTL"
        scheme, _, params = (headers.get("Authorization") or "").partition(" ")
        if scheme != "vapid":
            return "no vapid authorization"
        fields = dict(part.strip().split("=", 1) for part in params.split(","))
        if fields.get("k") != self.application_server_key:
            return "vapid key is not the one the browser subscribed with"
        public_key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(fields["k"]))
        parts = urllib.parse.urlsplit(subscription.endpoint)
        try:
            claims = jwt.decode(
                fields["t"], public_key, algorithms=["ES256"], audience=f"{parts.scheme}://{parts.netloc}"
            )
        except jwt.PyJWTError as exc:
            return f"vapid signature refused: {exc}"
        if not (time.time() < claims["exp"] <= time.time() + 24 * 3600):
            return "vapid exp outside 24 h"
        if not str(claims.get("sub", "")).startswith(("mailto:", "https:")):
            return "vapid sub is not a contact"
        payload = http_ece.decrypt(
            body, private_key=subscription.private_key, auth_secret=subscription.auth, version="aes128gcm"
        )
        self.shown.append(json.loads(payload))
        return None


@contextmanager
def push_service(application_server_key: str):
    service = PushService(application_server_key)
    with http_server(service) as (url, requests):
        service.base = url
        yield service, requests


def subscribe(service: PushService, name: str) -> BrowserSubscription:
    subscription = BrowserSubscription(f"{service.base}/push/{name}", auth=name.encode().ljust(16, b"-")[:16])
    service.subscriptions[subscription.endpoint] = subscription
    return subscription
