"""The log channel: one line per message, with ids and kinds only (never text a clinician or patient wrote)."""

from __future__ import annotations

import logging

from service.delivery.base import Message

logger = logging.getLogger("service.delivery")


class LogChannel:
    name = "log"

    def __init__(self, log: logging.Logger | None = None):
        self.log = log or logger

    def send(self, message: Message) -> None:
        to = f"patient={message.patient_id}" if message.audience == "patient" else f"clinician={message.clinician_id}"
        if message.audience == "clinic":
            to = f"clinic={message.clinic_id}"
        extra = ""
        if message.kind == "escalation":
            extra = f" flag={message.data.get('flag_id')} level={message.data.get('level')}"
        elif message.kind in ("checkin_prompt", "checkin_reminder"):
            extra = f" checkin={message.data.get('checkin_id')}"
        self.log.info("deliver %s %s %s%s attempt=%d", message.id, message.kind, to, extra, message.attempt)
