"""The push channel: Firebase Cloud Messaging HTTP v1, enabled by a service account's credentials.

An OAuth 2.0 access token is got with a JWT signed by the service account's key (RS256,
the ``jwt-bearer`` grant at the account's ``token_uri``) and kept until shortly before it
expires. Each of the patient's phones gets ``projects/<id>/messages:send``. The text is the
lock-screen-safe one (never a health detail); ``data`` carries only ids.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import jwt

from service.delivery.base import DeliveryError, Message

SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
DEFAULT_ENDPOINT = "https://fcm.googleapis.com"


class PushChannel:
    name = "push"

    def __init__(self, *, credentials: dict, endpoint: str = DEFAULT_ENDPOINT, timeout: float = 10.0, clock=time.time):
        for key in ("project_id", "client_email", "private_key", "token_uri"):
            if not credentials.get(key):
                raise ValueError(f"FCM credentials lack {key}")
        self.credentials = credentials
        self.endpoint = endpoint.rstrip("/")
        self.timeout = timeout
        self.clock = clock
        self._token: tuple[str, float] | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_file(cls, path: str, **kwargs) -> PushChannel:
        with open(path, encoding="utf-8") as handle:
            return cls(credentials=json.load(handle), **kwargs)

    def _post(self, url: str, *, data: bytes, headers: dict) -> dict:
        if not url.startswith(("https://", "http://")):
            raise DeliveryError("FCM URLs must be http(s).", permanent=True)
        request = urllib.request.Request(url, data=data, method="POST", headers=headers)  # noqa: S310 - checked above
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            detail = _error_status(exc)
            exc.close()
            raise DeliveryError(
                f"FCM answered HTTP {exc.code}{' ' + detail if detail else ''}.",
                permanent=detail in ("UNREGISTERED", "INVALID_ARGUMENT") or exc.code == 404,
            ) from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise DeliveryError(f"FCM unreachable: {getattr(exc, 'reason', exc)}") from None

    def access_token(self) -> str:
        """A valid OAuth access token, fetched again a minute before the cached one expires."""
        with self._lock:
            now = self.clock()
            if self._token and self._token[1] - 60 > now:
                return self._token[0]
            creds = self.credentials
            assertion = jwt.encode(
                {
                    "iss": creds["client_email"],
                    "scope": SCOPE,
                    "aud": creds["token_uri"],
                    "iat": int(now),
                    "exp": int(now) + 3600,
                },
                creds["private_key"],
                algorithm="RS256",
                headers={"kid": creds.get("private_key_id")} if creds.get("private_key_id") else None,
            )
            answer = self._post(
                creds["token_uri"],
                data=urllib.parse.urlencode(
                    {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion}
                ).encode(),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
            token = answer.get("access_token")
            if not token:
                raise DeliveryError("FCM token endpoint gave no access token.")
            self._token = (token, now + float(answer.get("expires_in", 3600)))
            return token

    def body_for(self, message: Message, token: str) -> dict:
        data = {"notification_id": str(message.id), "kind": message.kind}
        data.update({k: str(v) for k, v in message.data.items() if k.endswith("_id")})
        return {
            "message": {
                "token": token,
                "notification": {"title": "Aftercare", "body": message.body},
                "data": data,
                "android": {"priority": "high", "notification": {"visibility": "PRIVATE"}},
                "apns": {"headers": {"apns-collapse-id": str(message.id)[:64]}},
            }
        }

    def send(self, message: Message) -> None:
        if not message.push_tokens:
            raise DeliveryError("The patient has no phone with a push token.", permanent=True)
        url = f"{self.endpoint}/v1/projects/{self.credentials['project_id']}/messages:send"
        errors = []
        delivered = 0
        for token in message.push_tokens:
            try:
                self._post(
                    url,
                    data=json.dumps(self.body_for(message, token)).encode(),
                    headers={"Authorization": f"Bearer {self.access_token()}", "Content-Type": "application/json"},
                )
                delivered += 1
            except DeliveryError as exc:
                errors.append(exc)
        if not delivered:
            raise DeliveryError(str(errors[0]), permanent=all(e.permanent for e in errors))


def _error_status(exc: urllib.error.HTTPError) -> str:
    """FCM's error code (UNREGISTERED, INVALID_ARGUMENT …) from an error answer, if it gave one."""
    try:
        body = json.loads(exc.read() or b"{}")
    except (ValueError, OSError):
        return ""
    error = body.get("error") or {}
    for detail in error.get("details") or []:
        if detail.get("errorCode"):
            return str(detail["errorCode"])
    return str(error.get("status") or "")
