"""Admin pages: staff, clinic settings, the outbox (dead letters with retry) and the audit log."""

from __future__ import annotations

import uuid

from flask import Blueprint, flash, redirect, render_template, request, url_for

from schemas.audit import AuditQueryArgsSchema
from schemas.clinic import ClinicSettingsSchema, E2bSenderSchema, VisitSettingsSchema
from schemas.clinicians import ClinicianCreateSchema
from service.api.audit_trail import COLLECTIONS
from service.clock import now_utc
from service.domain import audit as audit_log
from service.domain import clinic_settings, clinicians, patients
from service.domain import outbox as outbox_domain
from service.domain.clinics import settings_of
from service.domain.common import range_bounds
from service.enums import AuditAction, NotificationStatus, Role
from service.errors import DomainError
from service.extensions import db
from service.models import Clinic
from service.rules import THRESHOLD_KEYS
from service.web import forms
from service.web import session as console

blp = Blueprint("admin", __name__, url_prefix="/admin")

ADMIN = Role.ADMIN
CRISIS_ROWS = 5
TARGETS = ("critical", "high", "medium", "low")
# The visit's hold line and chair limits, and the E2B(R3) safety contact, by the API's field names.
VISIT_KEYS = tuple(VisitSettingsSchema().fields)
E2B_KEYS = tuple(E2bSenderSchema().fields)


def _clinic() -> Clinic:
    return db.session.get(Clinic, console.current().clinic_id)


# --- staff ---------------------------------------------------------------------------------------------------


def _render_staff(*, errors=None, values=None, status: int = 200):
    principal = console.current()
    staff = clinicians.staff_of(db.session, clinic_id=principal.clinic_id)
    page = render_template(
        "console/admin_staff.html",
        staff=staff,
        roles=list(Role),
        errors=errors or {},
        values=values or {},
        me=principal.clinician.id,
    )
    return page, status


@blp.get("/staff")
@console.page(ADMIN)
def staff():
    """The clinic's staff: roles, on call, active."""
    return _render_staff()


@blp.post("/staff")
@console.page(ADMIN)
def add_staff():
    """Add a staff member (password rules as in the API: 15+ characters, not a common one)."""
    spec = {"email": "str", "name": "str", "role": "str", "password": "str", "on_call": "bool"}
    form = request.form
    try:
        body = forms.load(
            ClinicianCreateSchema(), {**forms.typed(form, spec, zone="UTC"), "password": form.get("password", "")}
        )
        clinicians.create_clinician(db.session, clinic=_clinic(), now=now_utc(), **body)
    except DomainError as error:
        db.session.rollback()
        values = {k: v for k, v in form.items() if k != "password"}
        return _render_staff(errors=forms.form_errors(error), values=values, status=error.status)
    db.session.commit()
    flash(f"{body['name']} can now sign in as {body['role']}.", "success")
    return redirect(url_for(".staff"))


@blp.post("/staff/<uuid:clinician_id>")
@console.page(ADMIN)
def change_staff(clinician_id: uuid.UUID):
    """Put a staff member on or off call, deactivate or reactivate them (deactivating ends their sessions)."""
    principal = console.current()
    action = request.form.get("action", "")
    changes = {
        "on_call": {"on_call": True},
        "off_call": {"on_call": False},
        "deactivate": {"active": False},
        "reactivate": {"active": True},
    }.get(action)
    try:
        if changes is None:
            raise forms.FormInvalid({"action": "Choose what to change."})
        person = clinicians.get_clinician(db.session, clinic_id=principal.clinic_id, clinician_id=clinician_id)
        actor = clinicians.get_clinician(db.session, clinic_id=principal.clinic_id, clinician_id=principal.clinician.id)
        clinicians.update_clinician(db.session, clinician=person, actor=actor, changes=changes, now=now_utc())
    except DomainError as error:
        db.session.rollback()
        if error.status == 404:
            raise
        return _render_staff(errors=forms.form_errors(error), status=error.status)
    db.session.commit()
    done = {
        "on_call": "is on call",
        "off_call": "is off call",
        "deactivate": "is deactivated and signed out everywhere",
        "reactivate": "is active again",
    }[action]
    flash(f"{person.name} {done}.", "success")
    return redirect(url_for(".staff"))


# --- settings ------------------------------------------------------------------------------------------------


def _settings_form(settings: dict) -> dict:
    """The settings as the form shows them (text fields)."""
    resources = list(settings["crisis_resources"]) + [{}] * CRISIS_ROWS
    return {
        "thresholds": {k: str(settings["thresholds"].get(k, "")) for k in THRESHOLD_KEYS},
        "targets": {k: str(settings["response_targets_minutes"][k]) for k in TARGETS},
        "crisis": [
            {**{k: (r.get(k) or "") for k in ("label", "phone", "sms", "url")}, "label_es": _label_es(r)}
            for r in resources[:CRISIS_ROWS]
        ],
        "offsets": ", ".join(str(h) for h in settings["checkin_offsets_hours"]),
        "quiet_start": settings["quiet_hours"]["start"],
        "quiet_end": settings["quiet_hours"]["end"],
        "visit": {k: str(settings["visit"].get(k, "")) for k in VISIT_KEYS},
        "e2b": {k: str((settings.get("e2b_sender") or {}).get(k) or "") for k in E2B_KEYS},
    }


VISIT_LABELS = {
    "hold_systolic": "Screening hold line, systolic (mmHg, at or above)",
    "hold_diastolic": "Screening hold line, diastolic (mmHg, at or above)",
    "limit_systolic": "In the chair: systolic at or above (mmHg)",
    "limit_diastolic": "Diastolic at or above (mmHg)",
    "limit_heart_rate_high": "Heart rate at or above (/min)",
    "limit_heart_rate_low": "Heart rate below (/min)",
    "limit_spo2": "SpO2 below (%)",
    "limit_moass": "MOASS below (1-5)",
    "limit_dissociation": "Dissociation above (0-4)",
}
E2B_LABELS = {
    "identifier": "Sender identifier",
    "department": "Department",
    "title": "Title",
    "given_name": "Given name",
    "family_name": "Family name",
    "street": "Street",
    "city": "City",
    "state": "State",
    "postcode": "Postcode",
    "country": "Country (two letters, e.g. US)",
    "phone": "Phone",
    "fax": "Fax",
    "email": "E-mail",
}


def _label_es(resource: dict) -> str:
    return (resource.get("labels") or {}).get("es") or ""


CRISIS_FIELDS = ("label", "label_es", "phone", "sms", "url")


def _settings_body(form, crisis_rows: list[int]) -> dict:
    """The PUT /clinic/settings body a settings form stands for (crisis_rows: the form row of each resource)."""
    problems: dict[str, str] = {}

    def number(name: str, key: str):
        raw = (form.get(name) or "").strip()
        try:
            return int(raw)
        except ValueError:
            problems[key] = "Enter a whole number."
            return None

    thresholds = {k: number(f"threshold-{k}", f"thresholds.{k}") for k in THRESHOLD_KEYS}
    targets = {k: number(f"target-{k}", f"response_targets_minutes.{k}") for k in TARGETS}
    visit = {k: number(f"visit-{k}", f"visit.{k}") for k in VISIT_KEYS}
    sender = {k: (form.get(f"e2b-{k}") or "").strip() for k in E2B_KEYS}
    crisis = []
    for i in range(CRISIS_ROWS):
        row = {k: (form.get(f"crisis-{i}-{k}") or "").strip() for k in CRISIS_FIELDS}
        if any(row.values()):
            spanish = row.pop("label_es")
            resource = {k: (v or None) if k != "label" else v for k, v in row.items()}
            if spanish:
                resource["labels"] = {"es": spanish}
            crisis.append(resource)
            crisis_rows.append(i)
    offsets = []
    for part in (form.get("offsets") or "").replace(";", ",").split(","):
        if part.strip():
            try:
                offsets.append(int(part.strip()))
            except ValueError:
                problems["checkin_offsets_hours"] = "List whole hours separated by commas, e.g. 2, 24, 72, 168, 336."
    body = {
        "thresholds": thresholds,
        "response_targets_minutes": targets,
        "crisis_resources": crisis,
        "checkin_offsets_hours": offsets,
        "quiet_hours": {"start": (form.get("quiet_start") or "").strip(), "end": (form.get("quiet_end") or "").strip()},
        "visit": visit,
        # All fields blank: the clinic has no E2B(R3) safety contact (its exports then name what is missing).
        "e2b_sender": sender if any(sender.values()) else None,
    }
    if problems:
        raise forms.FormInvalid(problems)
    return body


def _crisis_errors_by_row(errors: dict[str, str], crisis_rows: list[int]) -> dict[str, str]:
    """Errors of the n-th crisis resource sent belong to the form row it came from (empty rows are skipped)."""
    moved = {}
    for key, reason in errors.items():
        parts = key.split(".")
        if (
            parts[0] == "crisis_resources"
            and len(parts) > 2
            and parts[1].isdigit()
            and int(parts[1]) < len(crisis_rows)
        ):
            parts[1] = str(crisis_rows[int(parts[1])])
        moved[".".join(parts)] = reason
    return moved


def _shown(form) -> dict:
    """A sent settings form's values, to show again next to the reasons it was refused."""
    return {
        "thresholds": {k: form.get(f"threshold-{k}", "") for k in THRESHOLD_KEYS},
        "targets": {k: form.get(f"target-{k}", "") for k in TARGETS},
        "crisis": [{k: form.get(f"crisis-{i}-{k}", "") for k in CRISIS_FIELDS} for i in range(CRISIS_ROWS)],
        "offsets": form.get("offsets", ""),
        "quiet_start": form.get("quiet_start", ""),
        "quiet_end": form.get("quiet_end", ""),
        "visit": {k: form.get(f"visit-{k}", "") for k in VISIT_KEYS},
        "e2b": {k: form.get(f"e2b-{k}", "") for k in E2B_KEYS},
    }


def _render_settings(values: dict, *, errors=None, status: int = 200):
    history = clinic_settings.settings_history(db.session, clinic_id=console.current().clinic_id, limit=10)
    staff = clinicians.staff_of(db.session, clinic_id=console.current().clinic_id)
    page = render_template(
        "console/admin_settings.html",
        v=values,
        errors=errors or {},
        threshold_keys=THRESHOLD_KEYS,
        targets=TARGETS,
        visit_keys=VISIT_KEYS,
        e2b_keys=E2B_KEYS,
        visit_labels=VISIT_LABELS,
        e2b_labels=E2B_LABELS,
        history=history,
        names={c.id: c.name for c in staff},
    )
    return page, status


@blp.get("/settings")
@console.page(ADMIN)
def settings():
    """The clinic's settings form (defaults filled in)."""
    return _render_settings(_settings_form(settings_of(_clinic())))


@blp.post("/settings")
@console.page(ADMIN)
def save_settings():
    """Replace the clinic's settings: the API's schema and checks, the change recorded with who and when."""
    principal = console.current()
    crisis_rows: list[int] = []
    try:
        new = forms.load(ClinicSettingsSchema(), _settings_body(request.form, crisis_rows))
        clinic_settings.replace_settings(
            db.session, clinic=_clinic(), new=new, actor_id=principal.clinician.id, now=now_utc()
        )
    except DomainError as error:
        db.session.rollback()
        errors = _crisis_errors_by_row(forms.form_errors(error), crisis_rows)
        return _render_settings(_shown(request.form), errors=errors, status=error.status)
    db.session.commit()
    flash("Settings saved. New reports are triaged with them from now on.", "success")
    return redirect(url_for(".settings"))


# --- outbox and audit log --------------------------------------


OUTBOX_PAGE = 50


@blp.get("/outbox")
@console.page(ADMIN)
def outbox():
    """The outbox: messages to patients and staff with their attempts and last errors; dead letters first."""
    principal = console.current()
    status = request.args.get("status") or "dead"
    if status not in ("all", *(s.value for s in NotificationStatus)):
        status = "dead"
    shown = None if status == "all" else NotificationStatus(status)
    stmt = outbox_domain.notifications_query(clinic_id=principal.clinic_id, status=shown)
    messages = list(db.session.scalars(stmt.limit(OUTBOX_PAGE)))
    return render_template(
        "console/admin_outbox.html",
        messages=messages,
        status=status,
        statuses=["dead", "pending", "sending", "sent", "all"],
        section="outbox",
    )


@blp.post("/outbox/<uuid:notification_id>/retry")
@console.page(ADMIN)
def retry_message(notification_id: uuid.UUID):
    """Send a dead letter again (a fresh set of attempts; its last error stays visible)."""
    principal = console.current()
    message = outbox_domain.get_notification(db.session, clinic_id=principal.clinic_id, notification_id=notification_id)
    try:
        outbox_domain.retry(db.session, notification=message, now=now_utc())
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for(".outbox"))
    db.session.commit()
    flash("The message is queued again; the delivery job sends it within seconds.", "success")
    return redirect(url_for(".outbox"))


# --- the audit log --------------------------------------------------------------------------------------------

AUDIT_PAGE_SIZE = 50
# The filters, by the names GET /api/v1/audit takes.
AUDIT_FILTERS = ("actor_id", "patient_id", "resource_type", "action", "from", "to")
# Resource types entries name: the API's collections, and "console" for console pages about no one record.
RESOURCE_TYPES = tuple(sorted({*COLLECTIONS.values(), "console", "clinic"}))
# Which console page shows a resource an entry names.
RESOURCE_PAGES = {
    "patient": ("console.patients.patient_page", "patient_id"),
    "flag": ("console.triage.flag_page", "flag_id"),
    "adverse_event": ("console.adverse_events.event_page", "event_id"),
}


def _audit_filters(chosen: dict) -> audit_log.AuditFilter:
    """The filters chosen, loaded with the API's own query schema; a bad one is named (422)."""
    args = forms.load(AuditQueryArgsSchema(), chosen)
    since, until = range_bounds(args.get("from_"), args.get("to"), time_zone=_clinic().time_zone)
    return audit_log.AuditFilter(
        actor_id=args.get("actor_id"),
        patient_id=args.get("patient_id"),
        resource_type=args.get("resource_type"),
        action=args.get("action"),
        since=since,
        until=until,
    )


@blp.get("/audit")
@console.page(ADMIN)
def audit():
    """The audit log: who read or changed which patient's data, when, from where (newest first, filtered, paged)."""
    principal = console.current()
    chosen = {name: value for name in AUDIT_FILTERS if (value := request.args.get(name, "").strip())}
    page = forms.page_number(request.args.get("page"))
    entries, more, errors, status = [], False, {}, 200
    try:
        query = audit_log.audit_query(clinic_id=principal.clinic_id, filters=_audit_filters(chosen))
    except DomainError as error:
        errors, status = forms.form_errors(error), error.status
    else:
        entries, more = forms.one_page(db.session, query, page=page, size=AUDIT_PAGE_SIZE)
    staff = clinicians.staff_of(db.session, clinic_id=principal.clinic_id)
    html = render_template(
        "console/admin_audit.html",
        entries=entries,
        page=page,
        more=more,
        first=(page - 1) * AUDIT_PAGE_SIZE + 1,
        chosen=chosen,
        errors=errors,
        staff=staff,
        names={person.id: person.name for person in staff},
        patients=list(db.session.scalars(patients.patients_query(clinic_id=principal.clinic_id))),
        patient_names=patients.display_names(db.session, patient_ids=[e.patient_id for e in entries]),
        resource_types=RESOURCE_TYPES,
        actions=[a.value for a in AuditAction],
        resource_pages=RESOURCE_PAGES,
    )
    return html, status
