"""Which channels this deployment has, from the app config."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from service.delivery.base import Channel
from service.delivery.email import EmailChannel
from service.delivery.log import LogChannel
from service.delivery.push import DEFAULT_ENDPOINT, PushChannel
from service.delivery.webhook import WebhookChannel
from service.delivery.webpush import DEFAULT_SUBJECT, PhonesChannel, WebPushChannel


@dataclass(frozen=True)
class DeliveryConfig:
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_tls: str = "starttls"
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_from: str = "Aftercare <no-reply@aftercare.invalid>"
    fcm_credentials_file: str | None = None
    fcm_endpoint: str = DEFAULT_ENDPOINT
    timeout_seconds: float = 10.0
    webhook_allow_private: bool = False
    vapid_private_key: str | None = field(default=None, repr=False)
    vapid_subject: str = DEFAULT_SUBJECT

    @classmethod
    def from_app_config(cls, config) -> DeliveryConfig:
        return cls(
            smtp_host=config.get("SMTP_HOST") or None,
            smtp_port=int(config.get("SMTP_PORT", 587)),
            smtp_tls=config.get("SMTP_TLS", "starttls"),
            smtp_username=config.get("SMTP_USERNAME") or None,
            smtp_password=config.get("SMTP_PASSWORD") or None,
            smtp_from=config.get("SMTP_FROM") or cls.smtp_from,
            fcm_credentials_file=config.get("FCM_CREDENTIALS_FILE") or None,
            fcm_endpoint=config.get("FCM_ENDPOINT") or DEFAULT_ENDPOINT,
            timeout_seconds=float(config.get("DELIVERY_TIMEOUT_SECONDS", 10)),
            webhook_allow_private=bool(config.get("WEBHOOK_ALLOW_PRIVATE")),
            vapid_private_key=config.get("VAPID_PRIVATE_KEY") or None,
            vapid_subject=config.get("VAPID_SUBJECT") or DEFAULT_SUBJECT,
        )


def build_channels(config: DeliveryConfig, *, log: logging.Logger | None = None) -> dict[str, Channel]:
    """The channels this deployment can send through: log and webhook always, email and push when configured."""
    channels: dict[str, Channel] = {
        "log": LogChannel(log),
        "webhook": WebhookChannel(timeout=config.timeout_seconds, allow_private=config.webhook_allow_private),
    }
    if config.smtp_host:
        channels["email"] = EmailChannel(
            host=config.smtp_host,
            port=config.smtp_port,
            tls=config.smtp_tls,
            username=config.smtp_username,
            password=config.smtp_password,
            sender=config.smtp_from,
            timeout=config.timeout_seconds,
        )
    fcm = None
    if config.fcm_credentials_file:
        fcm = PushChannel.from_file(
            config.fcm_credentials_file, endpoint=config.fcm_endpoint, timeout=config.timeout_seconds
        )
    webpush = None
    if config.vapid_private_key:
        webpush = WebPushChannel(
            private_key_pem=config.vapid_private_key, subject=config.vapid_subject, timeout=config.timeout_seconds
        )
        channels["webpush"] = webpush
    if fcm or webpush:
        # The outbox's push messages go to every way the patient's phones take one (FCM, web push).
        channels["push"] = PhonesChannel(fcm=fcm, webpush=webpush) if webpush else fcm
    return channels
