"""The web-push channel at its HTTP boundary: a local push service checks the VAPID signature and decrypts."""

from __future__ import annotations

import uuid

import pytest

from service.delivery.base import DeliveryError, Message
from service.delivery.webpush import WebPushChannel, WebPushSubscription, generate_private_key_pem, public_key_for
from service.domain.outbox import PROMPT_TEXT
from tests.delivery.webpush_service import push_service, subscribe


@pytest.fixture()
def channel():
    return WebPushChannel(private_key_pem=generate_private_key_pem(), subject="mailto:care@clinic.test", timeout=5)


def message(*subscriptions) -> Message:
    return Message(
        id=uuid.uuid4(),
        clinic_id=uuid.uuid4(),
        kind="checkin_prompt",
        channel="push",
        audience="patient",
        subject="Aftercare check-in",
        body=PROMPT_TEXT,
        data={"checkin_id": str(uuid.uuid4()), "phq9_total": 19, "note": "suicidal thoughts"},
        attempt=1,
        web_push=tuple(WebPushSubscription(uuid.uuid4(), s.endpoint, s.p256dh, s.auth_b64) for s in subscriptions),
    )


def test_a_signed_encrypted_prompt_reaches_the_browser_with_only_the_lock_screen_text(channel):
    with push_service(channel.public_key) as (service, requests):
        browser = subscribe(service, "phone-1")
        sent = message(browser)
        channel.send(sent)
    assert service.refusals == []
    assert len(requests) == 1
    path, raw_headers, body = requests[0]
    headers = {name.lower(): value for name, value in raw_headers.items()}
    assert path == "/push/phone-1"
    assert headers["content-encoding"] == "aes128gcm"
    assert headers["authorization"].startswith("vapid t=")
    assert PROMPT_TEXT.encode() not in body  # the push service sees only ciphertext
    [shown] = service.shown
    assert shown["title"] == "Aftercare" and shown["body"] == PROMPT_TEXT
    # Ids only: nothing a patient reported or scored travels, even in the hidden data.
    assert shown["data"] == {
        "notification_id": str(sent.id),
        "kind": "checkin_prompt",
        "checkin_id": sent.data["checkin_id"],
    }
    assert "phq9_total" not in str(shown) and "suicid" not in str(shown).lower()


def test_a_push_service_refuses_a_signature_from_another_key(channel):
    other = WebPushChannel(private_key_pem=generate_private_key_pem())
    with push_service(channel.public_key) as (service, _):
        browser = subscribe(service, "phone-1")
        with pytest.raises(DeliveryError) as refused:
            other.send(message(browser))
    assert service.shown == [] and len(service.refusals) == 1
    assert refused.value.permanent  # 403: the key is wrong, retrying cannot help
    assert other.drain_gone() == []


def test_410_marks_the_subscription_gone_and_another_browser_still_gets_it(channel):
    with push_service(channel.public_key) as (service, _):
        kept, dropped = subscribe(service, "phone-1"), subscribe(service, "phone-2")
        service.gone.add(dropped.endpoint)
        sent = message(kept, dropped)
        channel.send(sent)  # delivered: one browser took it
        assert channel.drain_gone() == [sent.web_push[1].device_id]
        assert channel.drain_gone() == []
        alone = message(dropped)
        with pytest.raises(DeliveryError) as gone:
            channel.send(alone)
    assert gone.value.permanent and "gone" in str(gone.value)
    assert channel.drain_gone() == [alone.web_push[0].device_id]
    assert len(service.shown) == 1


def test_no_subscription_is_a_permanent_failure(channel):
    with pytest.raises(DeliveryError) as failed:
        channel.send(message())
    assert failed.value.permanent


def test_the_channel_never_shows_its_key():
    pem = generate_private_key_pem()
    channel = WebPushChannel(private_key_pem=pem)
    assert "PRIVATE" not in repr(channel) and pem not in repr(channel)
    assert channel.public_key == public_key_for(pem) and len(channel.public_key) == 87
