"""The email channel: SMTP through the standard library (host, port, TLS mode and credentials from config)."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from service.delivery.base import DeliveryError, Message


class EmailChannel:
    name = "email"

    def __init__(
        self,
        *,
        host: str,
        port: int = 587,
        tls: str = "starttls",
        username: str | None = None,
        password: str | None = None,
        sender: str = "Aftercare <no-reply@aftercare.invalid>",
        timeout: float = 10.0,
        ssl_context: ssl.SSLContext | None = None,
    ):
        if tls not in ("starttls", "ssl", "none"):
            raise ValueError("tls must be starttls, ssl or none")
        self.host, self.port, self.tls = host, port, tls
        self.username, self.password = username, password
        self.sender, self.timeout = sender, timeout
        self.ssl_context = ssl_context or ssl.create_default_context()

    def compose(self, message: Message) -> EmailMessage:
        """The email for a message; its id travels in a header so a copy can be recognised."""
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = message.email
        email["Subject"] = message.subject
        email["Date"] = formatdate(localtime=False)
        email["Message-ID"] = make_msgid(idstring=str(message.id), domain="aftercare")
        email["X-Aftercare-Delivery"] = str(message.id)
        email.set_content(message.body)
        return email

    def send(self, message: Message) -> None:
        if not message.email:
            raise DeliveryError("The recipient has no email address.", permanent=True)
        email = self.compose(message)
        try:
            if self.tls == "ssl":
                client = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=self.ssl_context)
            else:
                client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with client:
                if self.tls == "starttls":
                    client.starttls(context=self.ssl_context)
                if self.username:
                    client.login(self.username, self.password or "")
                refused = client.send_message(email)
        except smtplib.SMTPRecipientsRefused as exc:
            raise DeliveryError(f"SMTP refused the recipient ({_codes(exc.recipients)}).", permanent=True) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"SMTP {type(exc).__name__}: {exc}") from None
        if refused:
            raise DeliveryError(f"SMTP refused the recipient ({_codes(refused)}).", permanent=True)


def _codes(refused: dict) -> str:
    return ", ".join(str(code) for code, _ in refused.values())
