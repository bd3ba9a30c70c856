"""Web push in the companion app, end to end in a real browser: after pairing the app asks for notifications,
subscribes with the instance's VAPID key and hands the subscription to the service; a check-in prompt goes out
through a local push service stand-in (VAPID signature checked, payload decrypted with the subscription's key)
and the decrypted payload, handed to the app's service worker, shows a notification with no health detail.

Chromium's own push service is not reachable here, so PushManager.subscribe answers with a subscription whose
endpoint is the local stand-in (its keys are real: the stand-in decrypts with them)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from service.delivery.webpush import PhonesChannel, WebPushChannel
from service.domain.outbox import PROMPT_TEXT
from service.enums import NotificationStatus
from service.extensions import db
from service.models import Checkin, Device, Patient
from tests.companion.test_companion_browser import (  # noqa: F401 - fixtures
    browser,
    enrollment_code,
    open_page,
    pair,
    pytestmark,
    server,
    shot,
)
from tests.delivery.webpush_service import push_service, subscribe
from tests.jobkit import give_infusion, job_context, notifications, run

HEALTH_WORDS = ("suicid", "symptom", "mood", "phq", "nausea", "dose", "ketamine", "infusion", "flag", "pain")

STUB = """
(() => {
  const browserSubscription = %s;
  let held = null;
  PushManager.prototype.getSubscription = async function () { return held; };
  PushManager.prototype.subscribe = async function (options) {
    window.__applicationServerKey = Array.from(new Uint8Array(options.applicationServerKey));
    held = { options, toJSON: () => browserSubscription, unsubscribe: async () => { held = null; return true; } };
    return held;
  };
})();
"""


WAITS = 300  # 100 ms each: up to 30 s for what the browser does on its own time (a loaded CI machine is slow)


def test_pairing_subscribes_and_a_prompt_shows_on_the_lock_screen(app, world, server, browser):  # noqa: F811 - fixtures
    patient = db.session.get(Patient, world.patient.principal.patient_id)
    webpush = WebPushChannel(private_key_pem=app.config["VAPID_PRIVATE_KEY"], timeout=5)
    with push_service(webpush.public_key) as (service, requests):
        browser_subscription = subscribe(service, "companion")
        context, page, errors = open_page(browser, "phone")
        try:
            context.grant_permissions(["notifications"], origin=server)
            context.add_init_script(STUB % json.dumps(browser_subscription.as_json()))
            pair(page, server, enrollment_code(patient))
            page.wait_for_function("() => window.__applicationServerKey !== undefined")
            key = bytes(page.evaluate("() => window.__applicationServerKey"))
            assert base64.urlsafe_b64encode(key).rstrip(b"=").decode() == webpush.public_key

            device = None
            for _ in range(WAITS):
                db.session.expire_all()
                device = db.session.scalar(
                    select(Device).where(Device.patient_id == patient.id, Device.platform == "web")
                )
                if device is not None and device.webpush_endpoint:
                    break
                page.wait_for_timeout(100)
            assert device is not None and device.webpush_endpoint == browser_subscription.endpoint
            assert device.webpush_p256dh == browser_subscription.p256dh

            # A check-in prompt, sent by the job process through web push.
            checkin_due = datetime(2026, 1, 15, 19, 0, tzinfo=UTC)  # noon in Denver, outside quiet hours
            patient.time_zone = "America/Denver"
            db.session.commit()
            give_infusion(patient, ended_at=checkin_due - timedelta(hours=2))
            ctx = job_context(app, push=PhonesChannel(webpush=webpush), webpush=webpush)
            assert run(ctx, checkin_due, "send_checkins")["send_checkins"] == 1
            [prompt] = notifications(patient_id=patient.id)
            assert prompt.status == NotificationStatus.SENT and len(requests) == 1 and service.refusals == []
            [payload] = service.shown
            assert payload["body"] == PROMPT_TEXT

            # The browser hands the decrypted payload to the app's service worker, which shows it.
            page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
            cdp = context.new_cdp_session(page)
            registrations = []
            cdp.on("ServiceWorker.workerRegistrationUpdated", lambda e: registrations.extend(e["registrations"]))
            cdp.send("ServiceWorker.enable")
            ours = []
            for _ in range(WAITS):
                ours = [r for r in registrations if r["scopeURL"].endswith("/app/") and not r["isDeleted"]]
                if ours:
                    break
                page.wait_for_timeout(100)
            [registration] = ours[-1:]
            cdp.send(
                "ServiceWorker.deliverPushMessage",
                {"origin": server, "registrationId": registration["registrationId"], "data": json.dumps(payload)},
            )
            shown = []
            for _ in range(WAITS):  # the worker shows it asynchronously
                shown = page.evaluate(
                    "() => navigator.serviceWorker.ready.then(r => r.getNotifications())"
                    ".then(list => list.map(n => ({title: n.title, body: n.body, tag: n.tag, data: n.data})))"
                )
                if shown:
                    break
                page.wait_for_timeout(100)
            assert [(n["title"], n["body"]) for n in shown] == [("Aftercare", PROMPT_TEXT)]
            assert shown[0]["tag"] == str(prompt.id)
            checkin = db.session.scalar(select(Checkin).where(Checkin.id == prompt.checkin_id))
            assert shown[0]["data"]["checkin_id"] == str(checkin.id)
            text = json.dumps(shown).lower()
            assert not any(word in text for word in HEALTH_WORDS) and patient.display_name.lower() not in text
            shot(page, "push-subscribed")
        finally:
            context.close()
    assert not errors, errors
