"""The push channel at its HTTP boundary: a local stand-in for Google's token endpoint and FCM's send API."""

from __future__ import annotations

import json
import urllib.parse
import uuid

import jwt
import pytest

from service.delivery.base import DeliveryError, Message
from service.delivery.push import SCOPE, PushChannel
from tests.delivery.certs import pem, rsa_key
from tests.delivery.servers import http_server


class FakeGoogle:
    """Issues access tokens for valid service-account JWTs; accepts sends bearing one; refuses one token."""

    def __init__(self, public_key, token_uri):
        self.public_key = public_key
        self.token_uri = token_uri
        self.tokens_issued = 0
        self.sent = []

    def __call__(self, path, headers, body):
        if path == "/token":
            form = urllib.parse.parse_qs(body.decode())
            claims = jwt.decode(form["assertion"][0], self.public_key, algorithms=["RS256"], audience=self.token_uri)
            assert form["grant_type"] == ["urn:ietf:params:oauth:grant-type:jwt-bearer"]
            assert claims["scope"] == SCOPE and claims["iss"] == "aftercare@project.iam.example"
            self.tokens_issued += 1
            return 200, {"access_token": f"ya29.token-{self.tokens_issued}", "expires_in": 3600}
        if path == "/v1/projects/aftercare-demo/messages:send":
            if not headers.get("Authorization", "").startswith("Bearer ya29.token-"):
                return 401, {"error": {"status": "UNAUTHENTICATED"}}
            message = json.loads(body)["message"]
            if message["token"] == "stale-token":
                return 404, {"error": {"status": "NOT_FOUND", "details": [{"errorCode": "UNREGISTERED"}]}}
            self.sent.append(message)
            return 200, {"name": f"projects/aftercare-demo/messages/{len(self.sent)}"}
        return 404, {}


@pytest.fixture()
def fcm():
    key = rsa_key()
    holder = {}

    def answer(*request):
        return holder["google"](*request)

    with http_server(answer) as (url, requests):
        google = FakeGoogle(key.public_key(), url + "/token")
        holder["google"] = google
        credentials = {
            "type": "service_account",
            "project_id": "aftercare-demo",
            "private_key_id": "key-1",
            "private_key": pem(key),
            "client_email": "aftercare@project.iam.example",
            "token_uri": url + "/token",
        }
        yield PushChannel(credentials=credentials, endpoint=url), google, requests


def push(*tokens) -> Message:
    return Message(
        id=uuid.uuid4(),
        clinic_id=uuid.uuid4(),
        kind="checkin_prompt",
        channel="push",
        audience="patient",
        subject="Aftercare check-in",
        body="You have a check-in waiting in Aftercare.",
        data={"checkin_id": str(uuid.uuid4())},
        attempt=1,
        push_tokens=tokens,
    )


def test_push_gets_a_token_once_and_sends_a_lock_screen_safe_notification(fcm):
    channel, google, _ = fcm
    first, second = push("phone-a", "phone-b"), push("phone-a")
    channel.send(first)
    channel.send(second)
    assert google.tokens_issued == 1  # cached until shortly before it expires
    assert [m["token"] for m in google.sent] == ["phone-a", "phone-b", "phone-a"]
    sent = google.sent[0]
    assert sent["notification"] == {"title": "Aftercare", "body": "You have a check-in waiting in Aftercare."}
    assert sent["data"] == {
        "notification_id": str(first.id),
        "kind": "checkin_prompt",
        "checkin_id": first.data["checkin_id"],
    }
    assert sent["android"]["notification"]["visibility"] == "PRIVATE"


def test_an_unregistered_token_alone_is_permanent_but_one_good_phone_is_enough(fcm):
    channel, google, _ = fcm
    with pytest.raises(DeliveryError, match="UNREGISTERED") as stale:
        channel.send(push("stale-token"))
    assert stale.value.permanent
    channel.send(push("stale-token", "phone-c"))
    assert [m["token"] for m in google.sent] == ["phone-c"]


def test_no_phone_and_an_unreachable_fcm(fcm):
    channel, _, _ = fcm
    with pytest.raises(DeliveryError) as none:
        channel.send(push())
    assert none.value.permanent
    offline = PushChannel(credentials={**channel.credentials, "token_uri": "http://127.0.0.1:9/token"}, timeout=2)
    with pytest.raises(DeliveryError, match="unreachable") as down:
        offline.send(push("phone-a"))
    assert not down.value.permanent


def test_credentials_must_be_complete():
    with pytest.raises(ValueError, match="private_key"):
        PushChannel(credentials={"project_id": "p", "client_email": "e", "token_uri": "u"})
