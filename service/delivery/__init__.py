"""Channels: small adapters behind one interface (service.delivery.base.Channel).

- ``log``: the default, a line without health details;
- ``email``: SMTP through the standard library;
- ``webhook``: an HMAC-SHA256-signed JSON POST to the clinic's receiver;
- ``push``: Firebase Cloud Messaging (HTTP v1), enabled by service-account credentials;
- ``webpush``: the companion app's browsers (VAPID, aes128gcm through pywebpush); the outbox's ``push``
  messages reach both kinds of phone (service.delivery.webpush.PhonesChannel).
"""

from __future__ import annotations

from service.delivery.base import Channel, DeliveryError, Message
from service.delivery.config import DeliveryConfig, build_channels

__all__ = ["Channel", "DeliveryConfig", "DeliveryError", "Message", "build_channels"]
