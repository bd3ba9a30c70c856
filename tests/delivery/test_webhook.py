"""The webhook channel against a real local HTTP server that checks the HMAC-SHA256 signature."""

from __future__ import annotations

import http.server
import json
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from service.delivery.base import DeliveryError, Message
from service.delivery.webhook import WebhookChannel, sign, verify
from service.domain.clinics import effective_settings
from service.domain.triage import raise_flags
from service.enums import NotificationStatus
from service.extensions import db
from service.models import Clinic
from service.rules import Finding, Priority
from tests.delivery.servers import http_server
from tests.jobkit import job_context, notifications, run

SECRET = "pager-shared-secret-0123456789"


def receiver(secret=SECRET, status=204):
    """A receiver that answers 401 to anything not signed with the secret, else ``status``."""

    def answer(path, headers, body):
        ok = verify(
            secret,
            timestamp=headers.get("X-Aftercare-Timestamp"),
            signature=headers.get("X-Aftercare-Signature"),
            body=body,
        )
        return (status, {}) if ok else (401, {"error": "bad signature"})

    return answer


def hook_message(url, secret=SECRET, **data) -> Message:
    return Message(
        id=uuid.uuid4(),
        clinic_id=uuid.uuid4(),
        kind="escalation",
        channel="webhook",
        audience="clinic",
        subject="Aftercare: a critical flag needs a clinician",
        body="A critical flag has waited 15 min.",
        data={"event": "flag.escalated", "flag_id": str(uuid.uuid4()), "level": 1, **data},
        attempt=1,
        webhook_url=url,
        webhook_secret=secret,
    )


def test_signed_post_is_accepted_by_a_receiver_that_checks_it():
    with http_server(receiver()) as (url, requests):
        message = hook_message(url + "/hooks/aftercare")
        WebhookChannel(allow_private=True).send(message)
    [(path, headers, body)] = requests
    assert path == "/hooks/aftercare"
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Aftercare-Delivery"] == str(message.id)
    assert headers["X-Aftercare-Event"] == "flag.escalated"
    assert headers["X-Aftercare-Signature"] == sign(SECRET, int(headers["X-Aftercare-Timestamp"]), body)
    payload = json.loads(body)
    assert payload["id"] == str(message.id) and payload["level"] == 1 and payload["kind"] == "escalation"


def test_a_wrong_secret_is_refused_by_the_receiver_and_reported():
    with http_server(receiver()) as (url, _):
        with pytest.raises(DeliveryError, match="HTTP 401") as failure:
            WebhookChannel(allow_private=True).send(hook_message(url, secret="another-secret-entirely"))
    assert not failure.value.permanent  # a rotated secret may be fixed: retry with backoff


def test_verify_rejects_tampering_and_stale_timestamps():
    body = b'{"a":1}'
    now = time.time()
    good = sign(SECRET, int(now), body)
    assert verify(SECRET, timestamp=str(int(now)), signature=good, body=body, now=now)
    assert not verify(SECRET, timestamp=str(int(now)), signature=good, body=b'{"a":2}', now=now)
    assert not verify(SECRET, timestamp=str(int(now)), signature=good, body=body, now=now + 301)
    assert not verify(SECRET, timestamp="yesterday", signature=good, body=body, now=now)


def test_server_errors_are_retried_and_gone_endpoints_are_not():
    with http_server(lambda *_: (503, {})) as (url, _):
        with pytest.raises(DeliveryError) as busy:
            WebhookChannel(allow_private=True).send(hook_message(url))
    assert not busy.value.permanent
    with http_server(lambda *_: (410, {})) as (url, _):
        with pytest.raises(DeliveryError) as gone:
            WebhookChannel(allow_private=True).send(hook_message(url))
    assert gone.value.permanent


def test_escalation_reaches_the_clinics_pager_end_to_end(app, world):
    t0 = datetime(2026, 1, 15, 17, 0, tzinfo=UTC)
    with http_server(receiver()) as (url, requests):
        clinic = db.session.get(Clinic, world.clinic.id)
        clinic.settings = {"webhook": {"url": url + "/pager", "secret": SECRET}}
        raise_flags(
            db.session,
            clinic_id=world.clinic.id,
            patient_id=world.patient.principal.patient_id,
            report_id=None,
            findings=[Finding("hypertensive-crisis", 1, Priority.CRITICAL, "BP 190/125.", {})],
            targets=effective_settings(None)["response_targets_minutes"],
            now=t0,
        )
        db.session.commit()
        ctx = job_context(app)
        ctx.channels["webhook"] = WebhookChannel(allow_private=True)
        run(ctx, t0 + timedelta(minutes=16), "escalate_flags", "deliver_notifications")
    # The page went at once when the flag opened; the escalation at 15 minutes; both reached the pager.
    assert sorted(json.loads(body)["event"] for _, _, body in requests) == ["flag.escalated", "flag.paged"]
    for path, _, body in requests:
        payload = json.loads(body)
        assert path == "/pager" and payload["priority"] == "critical"
        assert "190" not in body.decode()  # the reading stays in Aftercare
    hooks = notifications(channel="webhook")
    assert [n.status for n in hooks] == [NotificationStatus.SENT] * 2


# --- the clinic's own network is off limits -------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://localhost/hook",
        "https://10.1.2.3/hook",
        "https://192.168.0.10/hook",
        "https://172.16.5.4/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://0.0.0.0/hook",
    ],
)
def test_private_link_local_and_loopback_targets_are_refused(url):
    with pytest.raises(DeliveryError) as refused:
        WebhookChannel().send(hook_message(url))
    assert refused.value.permanent and "private or local" in str(refused.value)


def test_plain_http_is_refused_unless_allowed():
    with pytest.raises(DeliveryError) as refused:
        WebhookChannel().send(hook_message("http://example.org/hook"))
    assert refused.value.permanent and "https" in str(refused.value)


def test_redirects_are_not_followed():
    class Redirecting(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(307)
            self.send_header("Location", "http://169.254.169.254/latest/meta-data")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Redirecting)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with pytest.raises(DeliveryError) as refused:
            WebhookChannel(allow_private=True).send(hook_message(f"http://127.0.0.1:{server.server_port}/hook"))
        assert "redirect" in str(refused.value)
    finally:
        server.shutdown()
        server.server_close()
