"""Pages: a critical flag reaches a human at once, in the transaction that made it critical.

A page is written when a flag opens as critical or is raised to critical, when new critical evidence
joins an acknowledged flag (which goes back to ``open``), and when a safety screen shows high risk. It
goes to the clinic's on-call clinicians on their channel and to the clinic's webhook (the pager); with
nobody on call, to the admins; a flag's assignee is paged too. The flag's history records the page
(``paged``: who was told, why) and, once the delivery job has handed each message over, its delivery
(``delivered`` / ``undelivered``). The 15/30-minute escalation chain still runs for flags nobody
acknowledges.

Messages say nothing about the patient's health: they can show on a lock screen or a pager.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.domain import outbox
from service.enums import FlagEventKind, NotificationKind, Role
from service.models import Clinician, FlagEvent

# Why a flag was paged: the flag's history and the message say it in these words.
REASONS = {
    "opened": "a critical flag was opened",
    "raised": "a flag was raised to critical",
    "new_evidence": "new evidence arrived on an acknowledged critical flag",
    "safety_screen": "a safety screen showed high risk",
}
_SUBJECT = "Aftercare: a critical flag needs a clinician now"


@dataclass(frozen=True)
class Page:
    """One page to write: the flag, which page of it this is (1, 2, …), why, and who holds it."""

    flag_id: uuid.UUID
    number: int
    reason: str
    assignee_id: uuid.UUID | None = None


def note_reopened(
    session: Session,
    *,
    flag_id: uuid.UUID,
    acknowledged_at: datetime | None,
    report_id: uuid.UUID | None,
    why: str,
    now: datetime,
) -> None:
    """Write on a flag's history that new evidence put it back to open (its acknowledgement stays, older)."""
    session.add(
        FlagEvent(
            flag_id=flag_id,
            at=now,
            kind=FlagEventKind.REOPENED,
            report_id=report_id,
            text=f"{why} after it was acknowledged: back to open.",
            data={"acknowledged_at": acknowledged_at.isoformat() if acknowledged_at else None},
        )
    )


def on_call_and_admins(session: Session, clinic_id: uuid.UUID) -> tuple[list[uuid.UUID], list[uuid.UUID]]:
    """The clinic's active on-call clinicians and its active admins, oldest accounts first."""
    rows = session.execute(
        select(Clinician.id, Clinician.role, Clinician.on_call)
        .where(Clinician.clinic_id == clinic_id, Clinician.active.is_(True))
        .order_by(Clinician.created_at, Clinician.id)
    ).all()
    return [r.id for r in rows if r.on_call], [r.id for r in rows if r.role == Role.ADMIN]


def _recipients(
    on_call: list[uuid.UUID], admins: list[uuid.UUID], assignee: uuid.UUID | None
) -> tuple[list[uuid.UUID], str]:
    people, who = (list(on_call), "on-call") if on_call else (list(admins), "admins (nobody is on call)")
    if assignee is not None and assignee not in people:
        people.insert(0, assignee)
        who = f"the assignee and {who}"
    return people, who


def write_pages(
    session: Session,
    *,
    clinic_id: uuid.UUID,
    patient_id: uuid.UUID,
    pages: list[Page],
    settings: dict,
    channels: outbox.Availability,
    now: datetime,
    report_id: uuid.UUID | None = None,
) -> bool:
    """Write each page's messages to the outbox and its event to the flag's history, in the caller's
    transaction; True when anybody (a clinician or the pager) was written to."""
    if not pages:
        return False
    on_call, admins = on_call_and_admins(session, clinic_id)
    webhook = bool((settings.get("webhook") or {}).get("url"))
    anybody = False
    for page in pages:
        people, who = _recipients(on_call, admins, page.assignee_id)
        told = who + (" and the clinic's pager" if webhook else "")
        if not people and not webhook:
            told = "nobody: no active clinician is on call or an admin, and no pager is set"
        reason = REASONS[page.reason]
        session.add(
            FlagEvent(
                flag_id=page.flag_id,
                at=now,
                kind=FlagEventKind.PAGED,
                report_id=report_id,
                text=f"Paged at once ({reason}): {told}.",
                data={
                    "page": page.number,
                    "reason": page.reason,
                    "notified": [str(p) for p in people],
                    "webhook": webhook,
                },
            )
        )
        rows = outbox.to_staff_and_webhook(
            clinic_id=clinic_id,
            kind=NotificationKind.PAGE,
            clinician_ids=people,
            webhook=webhook,
            dedupe_key=lambda to, page=page: (
                f"flag:{page.flag_id}:page:{page.number}:" + (f"clinician:{to}" if to else "webhook")
            ),
            subject=_SUBJECT,
            body=f"Now: {reason}. Open flag {page.flag_id} in Aftercare.",
            data={
                "event": "flag.paged",
                "flag_id": str(page.flag_id),
                "patient_id": str(patient_id),
                "priority": "critical",
                "page": page.number,
                "reason": page.reason,
            },
            now=now,
            channels=channels,
            patient_id=patient_id,
            flag_id=page.flag_id,
        )
        outbox.enqueue(session, rows)
        anybody = anybody or bool(rows)
    session.flush()
    return anybody
