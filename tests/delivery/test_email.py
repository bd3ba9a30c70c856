"""The email channel against a real SMTP server (aiosmtpd) started by the test."""

from __future__ import annotations

import socket
import ssl
import uuid
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from service.delivery.base import DeliveryError, Message
from service.delivery.email import EmailChannel
from tests.delivery.certs import self_signed


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Sink:
    """Keeps every message; refuses recipients at refused.test."""

    def __init__(self):
        self.envelopes = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.endswith("@refused.test"):
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted"


@pytest.fixture()
def smtp_server():
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield sink, controller.port
    controller.stop()


def message(email="pat@patients.test", **kw) -> Message:
    values = {
        "id": uuid.uuid4(),
        "clinic_id": uuid.uuid4(),
        "kind": "checkin_prompt",
        "channel": "email",
        "audience": "patient",
        "subject": "Aftercare check-in",
        "body": "You have a check-in waiting in Aftercare.",
        "data": {},
        "attempt": 1,
        "email": email,
    }
    values.update(kw)
    return Message(**values)


def test_an_email_reaches_a_real_smtp_server(smtp_server):
    sink, port = smtp_server
    letter = message()
    EmailChannel(host="127.0.0.1", port=port, tls="none", sender="Clinic <care@clinic.test>").send(letter)
    [envelope] = sink.envelopes
    assert envelope.mail_from == "care@clinic.test" and envelope.rcpt_tos == ["pat@patients.test"]
    parsed = message_from_bytes(envelope.content)
    assert parsed["Subject"] == "Aftercare check-in"
    assert parsed["X-Aftercare-Delivery"] == str(letter.id)  # the same id on a retry: a copy can be spotted
    assert parsed.get_payload().strip() == "You have a check-in waiting in Aftercare."


def test_a_refused_recipient_is_permanent_and_a_down_server_is_not(smtp_server):
    _, port = smtp_server
    with pytest.raises(DeliveryError) as refused:
        EmailChannel(host="127.0.0.1", port=port, tls="none").send(message("x@refused.test"))
    assert refused.value.permanent and "550" in str(refused.value)
    with pytest.raises(DeliveryError) as down:
        EmailChannel(host="127.0.0.1", port=free_port(), tls="none", timeout=2).send(message())
    assert not down.value.permanent
    with pytest.raises(DeliveryError) as no_address:
        EmailChannel(host="127.0.0.1", port=port, tls="none").send(message(email=None))
    assert no_address.value.permanent


def test_starttls_and_login(tmp_path):
    cert, key = self_signed(tmp_path)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.password == b"mail-secret"
        logins.append((auth_data.login, ok))
        return AuthResult(success=ok)

    sink = Sink()
    controller = Controller(
        sink,
        hostname="127.0.0.1",
        port=free_port(),
        tls_context=server_tls,
        require_starttls=True,
        authenticator=authenticator,
        auth_require_tls=True,
    )
    controller.start()
    try:
        client_tls = ssl.create_default_context(cafile=cert)
        channel = EmailChannel(
            host="127.0.0.1",
            port=controller.port,
            tls="starttls",
            username="aftercare",
            password="mail-secret",
            ssl_context=client_tls,
        )
        channel.send(message())
        assert len(sink.envelopes) == 1 and logins == [(b"aftercare", True)]
        # A client configured without TLS is turned away by a server that requires it, and nothing is sent.
        plain = EmailChannel(host="127.0.0.1", port=controller.port, tls="none", timeout=5)
        with pytest.raises(DeliveryError, match="530"):
            plain.send(message())
        assert len(sink.envelopes) == 1
    finally:
        controller.stop()
