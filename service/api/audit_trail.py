"""The audit trail, kept centrally: every successful staff request appends one entry.

The staff guard (service.api.common.Blueprint.staff) opens an ``AuditDraft`` before the view runs. The
entry is written in the same transaction as what the view did:

- a view that writes commits once; a ``before_commit`` hook appends the entry to that very commit, so
  the change and its audit entry land together or not at all;
- a view that only reads commits nothing; the guard appends the entry and commits it after the view
  succeeded (a failed request leaves no entry: nothing was read).

What the entry is about comes from the URL rule and its arguments
(``/api/v1/flags/<uuid:flag_id>/resolve`` → resource ``flag`` with that id); a resource created by a POST
is picked up as it is flushed; the patient it concerns is looked up from the resource (or taken from a
``patient_id`` query filter on list endpoints). No view can forget it, and none needs to do anything.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from flask import Flask, g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.orm import Session

from service.clock import now_utc
from service.domain.audit import record_access
from service.enums import AuditAction
from service.extensions import db
from service.models import AdverseEvent, Clinician, Device, EnrollmentCode, Flag, Infusion, Patient, Report
from service.observability import current_request_id

API_PREFIX = "/api/v1/"
# URL segments naming a collection → the resource type recorded.
COLLECTIONS = {
    "patients": "patient",
    "reports": "report",
    "flags": "flag",
    "adverse-events": "adverse_event",
    "infusions": "infusion",
    "devices": "device",
    "enrollment-codes": "enrollment_code",
    "clinicians": "clinician",
    "audit": "audit",
    "notifications": "notification",
    "checkins": "checkin",
}
# Trailing segments that hand data out of the system in bulk or in an exchange format.
EXPORTS = frozenset({"export.csv", "fhir", "monitoring-record.pdf", "e2b"})
# Resource type → model, to find the patient a resource belongs to and to spot a newly created one.
MODELS = {
    "patient": Patient,
    "report": Report,
    "flag": Flag,
    "adverse_event": AdverseEvent,
    "infusion": Infusion,
    "device": Device,
    "enrollment_code": EnrollmentCode,
    "clinician": Clinician,
}
_PLACEHOLDER = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


@dataclass
class AuditDraft:
    """The entry a request will append once it has succeeded."""

    clinic_id: uuid.UUID
    actor_id: uuid.UUID
    actor_role: str
    action: AuditAction
    resource_type: str
    resource_id: str | None
    patient_id: uuid.UUID | None
    method: str
    endpoint: str | None
    ip: str | None
    written: bool = False
    refused_form: bool = False  # a console form refused and its page shown again: recorded as a read


def target_of(rule: str, view_args: dict) -> tuple[str, str | None, uuid.UUID | None, bool]:
    """What a URL rule is about: (resource type, resource id, patient id, is an export)."""
    path = rule[len(API_PREFIX) :] if rule.startswith(API_PREFIX) else rule.lstrip("/")
    resource_type, resource_id, patient_id, export = None, None, None, False
    pending = None
    for segment in filter(None, path.split("/")):
        placeholder = _PLACEHOLDER.fullmatch(segment)
        if placeholder:
            value = view_args.get(placeholder.group(1))
            if pending is not None and value is not None:
                resource_type, resource_id = pending, str(value)
                if pending == "patient" and isinstance(value, uuid.UUID):
                    patient_id = value
            pending = None
        elif segment in COLLECTIONS:
            pending = resource_type = COLLECTIONS[segment]
            resource_id = None
        elif segment in EXPORTS:
            export = True
        elif resource_type is None:
            resource_type = segment.replace("-", "_")
    return resource_type or "api", resource_id, patient_id, export


def begin(principal, *, ip: str | None) -> None:
    """Open the audit draft of this request (the guard calls this once the caller is let in)."""
    rule = request.url_rule.rule if request.url_rule is not None else request.path
    resource_type, resource_id, patient_id, export = target_of(rule, request.view_args or {})
    if patient_id is None:
        patient_id = _uuid(request.args.get("patient_id"))
    if export:
        action = AuditAction.EXPORT
    elif request.method in ("GET", "HEAD"):
        action = AuditAction.READ
    else:
        action = AuditAction.WRITE
    g.audit_draft = AuditDraft(
        clinic_id=principal.clinic_id,
        actor_id=principal.clinician.id,
        actor_role=str(principal.clinician.role),
        action=action,
        resource_type=resource_type,
        resource_id=resource_id,
        patient_id=patient_id,
        method=request.method,
        endpoint=rule,
        ip=ip,
    )


def finish(response) -> None:
    """After the view succeeded: append the entry if the view's own commit did not already carry it."""
    draft = g.pop("audit_draft", None)
    if draft is None or draft.written:
        return
    if getattr(response, "status_code", 200) >= 400 and not draft.refused_form:
        return
    _write(db.session(), draft)
    db.session.commit()


def refused_form() -> None:
    """A console form was refused and its page shown again with the reasons: nothing changed, but the page
    (the flag, the patient) was read. The entry says so instead of claiming a write, or saying nothing."""
    draft = g.get("audit_draft")
    if draft is not None and not draft.written:
        draft.action = AuditAction.READ
        draft.refused_form = True


def abandon() -> None:
    """The view failed: nothing was read, and nothing it wrote was committed after the draft."""
    g.pop("audit_draft", None)


def _uuid(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


def _patient_of(session: Session, draft: AuditDraft) -> uuid.UUID | None:
    model = MODELS.get(draft.resource_type)
    key = _uuid(draft.resource_id)
    if model is None or key is None or model is Clinician:
        return None
    if model is Patient:
        return key
    row = session.get(model, key)
    return getattr(row, "patient_id", None)


def _own_patient(session: Session, draft: AuditDraft) -> uuid.UUID | None:
    """The draft's patient if it is one of the clinic's (a query filter may name anyone's id)."""
    if draft.patient_id is None:
        return None
    patient = session.get(Patient, draft.patient_id)
    return patient.id if patient is not None and patient.clinic_id == draft.clinic_id else None


def _write(session: Session, draft: AuditDraft) -> None:
    draft.written = True
    if draft.patient_id is None:
        draft.patient_id = _patient_of(session, draft)
    draft.patient_id = _own_patient(session, draft)
    record_access(
        session,
        clinic_id=draft.clinic_id,
        actor_id=draft.actor_id,
        actor_role=draft.actor_role,
        action=draft.action,
        resource_type=draft.resource_type,
        resource_id=draft.resource_id,
        patient_id=draft.patient_id,
        method=draft.method,
        endpoint=draft.endpoint,
        ip=draft.ip,
        request_id=current_request_id(),
        now=now_utc(),
    )


def _draft_for(session: Session) -> AuditDraft | None:
    if not has_request_context():
        return None
    draft = g.get("audit_draft")
    if draft is None or draft.written or session is not db.session():
        return None
    return draft


def _note_created(session: Session, _flush_context) -> None:
    """A POST that creates a resource: the entry names the new row (and its patient)."""
    draft = _draft_for(session)
    if draft is None or draft.resource_id is not None or draft.method != "POST":
        return
    model = MODELS.get(draft.resource_type)
    for obj in session.new:
        if model is not None and type(obj) is model:
            draft.resource_id = str(obj.id)
            if draft.patient_id is None:
                draft.patient_id = obj.id if model is Patient else getattr(obj, "patient_id", None)
            return


def _append_to_commit(session: Session) -> None:
    """The view commits what it did: the audit entry goes into the same transaction."""
    draft = _draft_for(session)
    if draft is not None:
        _write(session, draft)


def install(app: Flask) -> None:
    """Hook the audit into the app's sessions (once per process; the hooks act only inside requests)."""
    target = db.session
    if not event.contains(target, "after_flush", _note_created):
        event.listen(target, "after_flush", _note_created)
    if not event.contains(target, "before_commit", _append_to_commit):
        event.listen(target, "before_commit", _append_to_commit)
