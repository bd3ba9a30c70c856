"""The one interface every channel implements, and the message it is handed."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Protocol


class DeliveryError(Exception):
    """A channel could not hand a message over; the outbox retries it with backoff.

    ``permanent`` says retrying cannot help (no address, a refused push token): the message
    goes straight to the dead letters.
    """

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Message:
    """One outbox row with its recipient's current address, ready for a channel."""

    id: uuid.UUID
    clinic_id: uuid.UUID
    kind: str
    channel: str
    audience: str
    subject: str
    body: str
    data: dict
    attempt: int
    patient_id: uuid.UUID | None = None
    clinician_id: uuid.UUID | None = None
    email: str | None = None
    push_tokens: tuple[str, ...] = ()
    web_push: tuple = field(default=(), repr=False)  # WebPushSubscription of the patient's browsers
    webhook_url: str | None = None
    webhook_secret: str | None = field(default=None, repr=False)
    flag_id: uuid.UUID | None = None  # a page or escalation: its delivery goes on the flag's history


class Channel(Protocol):
    """Hand one message over, or raise DeliveryError."""

    name: str

    def send(self, message: Message) -> None: ...
