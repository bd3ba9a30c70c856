"""The webhook channel: JSON POSTed to the clinic's receiver, signed with HMAC-SHA256 over timestamp and body.

Headers: ``X-Aftercare-Timestamp`` (Unix seconds), ``X-Aftercare-Signature: sha256=<hex>`` where the
MAC is HMAC-SHA256(secret, f"{timestamp}.{body}"), ``X-Aftercare-Delivery`` (the message id: the same
on every retry, so a receiver drops copies) and ``X-Aftercare-Event``. Receivers should refuse
timestamps more than 5 minutes off (``verify`` does).
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import socket
import time
import urllib.parse

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


def _forbidden(address: str) -> bool:
    """Addresses a webhook must never reach: this machine, the clinic's private network, link-local, etc."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved or ip.is_unspecified


def resolve_target(url: str, *, allow_private: bool) -> tuple[str, str, int, str]:
    """Check a webhook URL and pin it to one vetted address: (scheme, address, port, path).

    https only, and every address the name resolves to must be public, unless allow_private is set
    (then plain http is accepted too, for a relay on the clinic's own network or in tests). The
    connection then goes to the vetted address, so a DNS answer that changes in between cannot
    redirect it; redirects themselves are never followed.
    """
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "https" and not (allow_private and parts.scheme == "http"):
        raise DeliveryError("A webhook URL must use https.", permanent=True)
    if not parts.hostname:
        raise DeliveryError("The webhook URL has no host.", permanent=True)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise DeliveryError(f"Webhook host does not resolve: {exc.strerror or exc}") from None
    addresses = [info[4][0] for info in infos]
    if not allow_private and any(_forbidden(a) for a in addresses):
        raise DeliveryError("The webhook host resolves to a private or local address; refused.", permanent=True)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return parts.scheme, addresses[0], port, path


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to a vetted address, with the certificate checked against the URL's host name."""

    def __init__(self, host: str, *, address: str, **kwargs):
        super().__init__(host, **kwargs)
        self._address = address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, *, address: str, **kwargs):
        super().__init__(host, **kwargs)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class WebhookChannel:
    name = "webhook"

    def __init__(self, *, timeout: float = 10.0, clock=time.time, allow_private: bool = False):
        self.timeout = timeout
        self.clock = clock
        self.allow_private = allow_private

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
        scheme, address, port, path = resolve_target(message.webhook_url, allow_private=self.allow_private)
        host = urllib.parse.urlsplit(message.webhook_url).hostname
        body = self.payload(message)
        timestamp = int(self.clock())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Aftercare-Webhook/1",
            "X-Aftercare-Timestamp": str(timestamp),
            "X-Aftercare-Signature": sign(message.webhook_secret, timestamp, body),
            "X-Aftercare-Delivery": str(message.id),
            "X-Aftercare-Event": str(message.data.get("event", message.kind)),
        }
        connection_class = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
        connection = connection_class(host, port=port, timeout=self.timeout, address=address)
        try:
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            response.read(1024)
            if 300 <= response.status < 400:
                raise DeliveryError(
                    f"Webhook answered a redirect (HTTP {response.status}); not followed.", permanent=True
                )
            if response.status >= 400:
                raise DeliveryError(
                    f"Webhook answered HTTP {response.status}.", permanent=response.status in (400, 404, 410)
                )
        except (OSError, http.client.HTTPException) as exc:
            raise DeliveryError(f"Webhook unreachable: {getattr(exc, 'reason', None) or exc}") from None
        finally:
            connection.close()
