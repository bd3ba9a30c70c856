"""Web push to the companion app: the browser's subscription kept per phone, check-in prompts delivered
through a real local push service stand-in (VAPID signature checked, payload decrypted), gone ones dropped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import current_app

from service.delivery.webpush import PhonesChannel, WebPushChannel, public_key_for
from service.domain.outbox import PROMPT_TEXT
from service.enums import DeliveryChannel, NotificationStatus
from service.extensions import db
from service.models import Device, Patient
from tests.delivery.webpush_service import push_service, subscribe
from tests.jobkit import Recorder, give_infusion, job_context, notifications, run

H = timedelta(hours=1)
END = datetime(2026, 1, 15, 17, 0, tzinfo=UTC)  # 10:00 in Denver
HEALTH_WORDS = ("suicid", "symptom", "mood", "phq", "nausea", "dose", "ketamine", "infusion", "flag", "pain")


def _subscribe(client, world, browser) -> int:
    return client.put("/api/v1/me/push-subscription", json=browser.as_json(), headers=world.patient.headers).status_code


def _device(world) -> Device:
    db.session.expire_all()
    return db.session.get(Device, world.patient.principal.id)


def _key(client, world) -> str:
    answer = client.get("/api/v1/me/push/vapid-public-key", headers=world.patient.headers)
    assert answer.status_code == 200
    return answer.get_json()["public_key"]


def test_the_app_gets_the_instance_public_key_and_never_the_private_one(client, world):
    key = _key(client, world)
    assert key == public_key_for(current_app.config["VAPID_PRIVATE_KEY"])
    assert len(key) == 87 and "PRIVATE" not in key


def test_a_subscription_is_kept_per_phone_replaced_and_removed(client, world):
    with push_service(_key(client, world)) as (service, _):
        browser = subscribe(service, "phone-1")
        answer = client.put("/api/v1/me/push-subscription", json=browser.as_json(), headers=world.patient.headers)
        assert answer.status_code == 200, answer.get_json()
        assert answer.get_json() == {"device_id": str(world.patient.principal.id), "endpoint": browser.endpoint}
        device = _device(world)
        assert (device.webpush_endpoint, device.webpush_p256dh, device.webpush_auth) == (
            browser.endpoint,
            browser.p256dh,
            browser.auth_b64,
        )
        assert _device_of(world.other_patient).webpush_endpoint is None  # only the caller's phone
        again = subscribe(service, "phone-1-renewed")
        assert _subscribe(client, world, again) == 200
        assert _device(world).webpush_endpoint == again.endpoint
    assert client.delete("/api/v1/me/push-subscription", headers=world.patient.headers).status_code == 204
    device = _device(world)
    assert (device.webpush_endpoint, device.webpush_p256dh, device.webpush_auth) == (None, None, None)
    assert device.revoked_at is None  # the phone stays paired


def _device_of(caller) -> Device:
    db.session.expire_all()
    return db.session.get(Device, caller.principal.id)


def test_bad_subscriptions_are_refused_naming_the_field_and_nothing_is_kept(client, world):
    good = {"endpoint": "https://push.example.test/send/abc", "keys": {"p256dh": "B" + "A" * 86, "auth": "A" * 22}}
    cases = [
        ({**good, "endpoint": "http://push.example.test/send/abc"}, "endpoint"),
        ({**good, "endpoint": "http://10.0.0.7/send/abc"}, "endpoint"),
        ({**good, "endpoint": "ftp://push.example.test/x"}, "endpoint"),
        ({**good, "keys": {**good["keys"], "p256dh": "C" + "A" * 86}}, "keys.p256dh"),  # not an uncompressed point
        ({**good, "keys": {**good["keys"], "p256dh": "B" + "A" * 80 + "!!!!!!"}}, "keys"),
        ({**good, "keys": {**good["keys"], "auth": "A" * 21}}, "keys"),
        ({**good, "keys": {"p256dh": good["keys"]["p256dh"]}}, "keys"),
        ({"keys": good["keys"]}, "endpoint"),
    ]
    for body, field in cases:
        answer = client.put("/api/v1/me/push-subscription", json=body, headers=world.patient.headers)
        assert answer.status_code in (400, 422), (body, answer.status_code)
        errors = answer.get_json()["errors"]["json"]
        assert any(name.startswith(field) or field.startswith(name) for name in errors), (body, errors)
    assert _device(world).webpush_endpoint is None


def test_a_check_in_prompt_reaches_the_subscribed_browser_signed_encrypted_and_health_free(app, client, world):
    patient = db.session.get(Patient, world.patient.principal.patient_id)
    patient.time_zone = "America/Denver"
    db.session.commit()
    webpush = WebPushChannel(private_key_pem=app.config["VAPID_PRIVATE_KEY"], timeout=5)
    with push_service(_key(client, world)) as (service, requests):
        browser = subscribe(service, "phone-1")
        assert _subscribe(client, world, browser) == 200
        give_infusion(patient, ended_at=END)
        ctx = job_context(app, push=PhonesChannel(webpush=webpush), webpush=webpush)
        assert ctx.availability.web_push and not ctx.availability.push  # no FCM here
        assert run(ctx, END + 2 * H, "send_checkins")["send_checkins"] == 1
    [prompt] = notifications()
    assert prompt.channel == DeliveryChannel.PUSH and prompt.status == NotificationStatus.SENT
    assert service.refusals == [] and len(requests) == 1
    [shown] = service.shown
    assert shown["body"] == PROMPT_TEXT and shown["title"] == "Aftercare"
    assert shown["data"]["checkin_id"] == str(prompt.checkin_id)
    assert not any(word in str(shown).lower() for word in HEALTH_WORDS)
    assert patient.display_name not in str(shown)


def test_quiet_hours_hold_the_web_push_prompt(app, client, world):
    patient = db.session.get(Patient, world.patient.principal.patient_id)
    patient.time_zone = "Asia/Tokyo"  # 19:00Z is 04:00 there: held until 08:00 (23:00Z)
    db.session.commit()
    webpush = WebPushChannel(private_key_pem=app.config["VAPID_PRIVATE_KEY"], timeout=5)
    with push_service(_key(client, world)) as (service, _):
        browser = subscribe(service, "phone-1")
        assert _subscribe(client, world, browser) == 200
        give_infusion(patient, ended_at=END)
        ctx = job_context(app, push=PhonesChannel(webpush=webpush), webpush=webpush)
        assert run(ctx, END + 2 * H, "send_checkins")["send_checkins"] == 0
        assert service.shown == []
        assert run(ctx, datetime(2026, 1, 15, 23, 0, tzinfo=UTC), "send_checkins")["send_checkins"] == 1
    assert [s["body"] for s in service.shown] == [PROMPT_TEXT]


def test_a_410_from_the_push_service_removes_the_subscription(app, client, world):
    patient = db.session.get(Patient, world.patient.principal.patient_id)
    patient.time_zone = "America/Denver"
    db.session.commit()
    webpush = WebPushChannel(private_key_pem=app.config["VAPID_PRIVATE_KEY"], timeout=5)
    with push_service(_key(client, world)) as (service, requests):
        browser = subscribe(service, "phone-1")
        assert _subscribe(client, world, browser) == 200
        service.gone.add(browser.endpoint)  # the patient unsubscribed in the browser's settings
        give_infusion(patient, ended_at=END)
        log = Recorder("log")
        ctx = job_context(app, log=log, push=PhonesChannel(webpush=webpush), webpush=webpush)
        run(ctx, END + 2 * H, "send_checkins")
        assert len(requests) == 1
    [prompt] = notifications()
    assert prompt.status == NotificationStatus.DEAD and "gone" in prompt.last_error
    device = _device(world)
    assert (device.webpush_endpoint, device.webpush_p256dh, device.webpush_auth) == (None, None, None)
    assert device.revoked_at is None
    # The next prompt no longer tries the browser: with nothing else to reach, it goes to the log.
    first = prompt.id
    give_infusion(db.session.get(Patient, patient.id), ended_at=END + H)
    run(ctx, END + 3 * H, "send_checkins")
    later = [n for n in notifications(patient_id=patient.id) if n.id != first]
    assert [n.channel for n in later] == [DeliveryChannel.LOG]
    assert [m.id for m in log.sent] == [n.id for n in later]
