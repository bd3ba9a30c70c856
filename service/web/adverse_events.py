"""Adverse events in the console: the form on a flag's page, an event's own page, its FHIR JSON and the CSV export.

The form is read into the body POST /api/v1/adverse-events takes (same field names, the API's schema),
and recorded with the same domain call; the exports call the same domain functions as the API's.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, stream_with_context, url_for

from schemas.adverse_events import (
    AdverseEventCreateSchema,
    AdverseEventPatchSchema,
    ExportArgsSchema,
    SubmissionSchema,
)
from service.clock import now_utc
from service.domain import adverse_events, clinicians, e2b, flags, infusions, line_listing, medwatch, patients
from service.domain.common import range_bounds
from service.domain.fhir import adverse_event_resource
from service.enums import ActionTaken, Causality, Outcome, Role, SeriousnessCriterion
from service.errors import DomainError
from service.extensions import db
from service.models import Flag
from service.vocabulary import CTCAE_TERMS, OTHER_SUFFIX
from service.web import forms
from service.web import session as console
from service.web.display import (
    ACTION_LABELS,
    CAUSALITY_LABELS,
    GRADE_LABELS,
    OUTCOME_LABELS,
    SERIOUSNESS_LABELS,
    local,
)

blp = Blueprint("adverse_events", __name__, url_prefix="/adverse-events")

FORM_NAME = "adverse_event"
# The form's fields: the API's names, with how a browser's text becomes the JSON the API takes.
FORM = {
    "term": "str",
    "term_other": "str",
    "grade": "int",
    "serious": "yes-no",
    "seriousness": "list",
    "causality": "str",
    "action_taken": "str",
    "outcome": "str",
    "onset_at": "local-datetime",
    "resolved_at": "local-datetime",
    "aware_at": "local-datetime",
    "narrative": "str",
    "expected": "yes-no",
    "infusion_id": "str",
}
INFUSION_CHOICES = 10
FHIR_JSON = "application/fhir+json"


# --- the form on a flag's page --------------------------------------------------------------------------------


def body_of(form, *, flag_id: uuid.UUID, zone: str) -> dict:
    """The POST /api/v1/adverse-events body a form stands for (times in the clinic's zone), loaded by its schema."""
    return forms.load(AdverseEventCreateSchema(), {**forms.typed(form, FORM, zone=zone), "flag_id": str(flag_id)})


def record_from_flag(flag: Flag, form, *, actor_id: uuid.UUID, zone: str):
    """Record an adverse event from a flag: the API's schema and the same domain call (flushed, not committed)."""
    return adverse_events.create_adverse_event(
        db.session,
        clinic_id=flag.clinic_id,
        actor_id=actor_id,
        values=body_of(form, flag_id=flag.id, zone=zone),
        now=now_utc(),
    )


def field_errors(errors: dict[str, str]) -> dict[str, str]:
    """Errors by the form's field (a list item's error belongs to its list); anything else is the form's."""
    shown: dict[str, str] = {}
    for key, reason in errors.items():
        top = key.split(".")[0]
        shown.setdefault(top if top in FORM else "form", reason)
    return shown


def sent_values(form) -> dict:
    """A refused form's values, to show again next to the reasons."""
    values = {name: form.get(name, "") for name in FORM if FORM[name] != "list"}
    values["seriousness"] = form.getlist("seriousness")
    return values


def form_context(flag_view: dict, *, values: dict | None, errors: dict | None) -> dict:
    """What the form needs: the CTCAE terms (those the flag's symptoms map to first), the choices, the infusions."""
    terms = adverse_events.term_list()
    codes = {s.code for report in flag_view["reports"] for s in report["symptoms"]}
    suggested = [t["term"] for t in terms if codes & set(t["symptom_codes"])]
    patient_infusions = list(
        db.session.scalars(infusions.infusions_query(patient_id=flag_view["patient_id"]).limit(INFUSION_CHOICES))
    )
    return {
        "ae": {
            "terms": [t["term"] for t in terms],
            "suggested": suggested,
            "other_term": f"<organ class>{OTHER_SUFFIX}",
            "grades": list(GRADE_LABELS.items()),
            "criteria": [(c.value, SERIOUSNESS_LABELS[c.value]) for c in SeriousnessCriterion],
            "causalities": [(c.value, CAUSALITY_LABELS[c.value]) for c in Causality],
            "actions": [(a.value, ACTION_LABELS[a.value]) for a in ActionTaken],
            "outcomes": [(o.value, OUTCOME_LABELS[o.value]) for o in Outcome],
            "infusions": patient_infusions,
            "sent": values or {},  # not "values": that is a dict's method to Jinja
            "errors": errors or {},
            "recorded": list(
                db.session.scalars(
                    adverse_events.events_query(
                        clinic_id=flag_view["clinic_id"],
                        filters=adverse_events.EventFilter(flag_id=flag_view["id"]),
                        now=now_utc(),
                    )
                )
            ),
        }
    }


# --- an event's page ---------------------------------------------------------------------------------------------


def _event(event_id: uuid.UUID):
    return adverse_events.get_adverse_event(db.session, clinic_id=console.current().clinic_id, event_id=event_id)


# The correction form on an event's page: every clinical field but the suspected infusion and when the clinic
# learned of it (PATCH's names).
CORRECTION = {
    "term": "str",
    "term_other": "str",
    "expected": "yes-no",
    "serious": "yes-no",
    "seriousness": "list",
    "onset_at": "local-datetime",
    "grade": "int",
    "outcome": "str",
    "resolved_at": "local-datetime",
    "causality": "str",
    "action_taken": "str",
    "narrative": "str",
}
SUBMISSION = {"submitted_at": "local-datetime", "reference": "str"}
LIST_PAGE_SIZE = 50


@blp.get("")
@console.page()
def list_page():
    """The clinic's adverse events, filtered by seriousness, overdue reporting and term, with the line listing."""
    principal = console.current()
    now = now_utc()
    filters = _list_filters(request.args)
    page = forms.page_number(request.args.get("page"))
    events, more = forms.one_page(
        db.session,
        adverse_events.events_query(clinic_id=principal.clinic_id, filters=filters, now=now),
        page=page,
        size=LIST_PAGE_SIZE,
    )
    names = patients.display_names(db.session, patient_ids=[e.patient_id for e in events])
    today = local(now).date().isoformat()
    return render_template(
        "console/adverse_events.html",
        events=events,
        names=names,
        overdue={e.id for e in events if adverse_events.is_overdue(e, now=now)},
        terms=sorted(CTCAE_TERMS),
        chosen={
            "serious": request.args.get("serious", ""),
            "overdue": request.args.get("overdue", ""),
            "term": request.args.get("term", ""),
        },
        page=page,
        more=more,
        first=(page - 1) * LIST_PAGE_SIZE + 1,
        can_export=principal.role == Role.ADMIN,
        today=today,
        now=now,
    )


def _list_filters(args) -> adverse_events.EventFilter:
    """The list's filters from its query string; a value that is not one of the choices is named (422)."""
    serious = {"": None, "yes": True, "no": False}
    if args.get("serious", "") not in serious:
        raise forms.FormInvalid({"serious": "Choose yes, no or any."})
    term = args.get("term", "") or None
    if term is not None and term not in CTCAE_TERMS:
        raise forms.FormInvalid({"term": "Not a CTCAE v5.0 term of the list."})
    if args.get("overdue", "") not in ("", "yes"):
        raise forms.FormInvalid({"overdue": "Tick it or leave it empty."})
    return adverse_events.EventFilter(
        serious=serious[args.get("serious", "")], overdue=True if args.get("overdue") == "yes" else None, term=term
    )


def _render_event(event, *, errors: dict | None = None, sent: dict | None = None, status: int = 200):
    principal = console.current()
    now = now_utc()
    staff = clinicians.staff_of(db.session, clinic_id=principal.clinic_id)
    flag = flags.get_flag(db.session, clinic_id=principal.clinic_id, flag_id=event.flag_id) if event.flag_id else None
    return render_template(
        "console/adverse_event.html",
        event=event,
        criteria=adverse_events.criteria_of(event),
        coding=adverse_events.coding_of(event),
        overdue=adverse_events.is_overdue(event, now=now),
        patient_name=patients.display_names(db.session, patient_ids=[event.patient_id]).get(event.patient_id),
        flag=flag,
        history=adverse_events.history_of(db.session, event=event),
        names={person.id: person.name for person in staff},
        other_term=OTHER_SUFFIX,
        onset_day=local(event.onset_at).date().isoformat(),
        resolved_local=local(event.resolved_at).strftime("%Y-%m-%dT%H:%M") if event.resolved_at else "",
        onset_local=local(event.onset_at).strftime("%Y-%m-%dT%H:%M"),
        can_export=principal.role == Role.ADMIN,
        can_submit=principal.role in (Role.PHYSICIAN, Role.ADMIN),
        choices={
            "terms": [t["term"] for t in adverse_events.term_list()],
            "criteria": [(c.value, SERIOUSNESS_LABELS[c.value]) for c in SeriousnessCriterion],
            "grades": list(GRADE_LABELS.items()),
            "causalities": [(c.value, CAUSALITY_LABELS[c.value]) for c in Causality],
            "actions": [(a.value, ACTION_LABELS[a.value]) for a in ActionTaken],
            "outcomes": [(o.value, OUTCOME_LABELS[o.value]) for o in Outcome],
        },
        errors=errors or {},
        sent=sent or {},
        now=now,
    ), status


@blp.get("/<uuid:event_id>")
@console.page()
def event_page(event_id):
    """An adverse event: its fields, its regulatory due date, its history, its exports; correct it, submit it."""
    return _render_event(_event(event_id))


@blp.post("/<uuid:event_id>")
@console.page()
def correct(event_id):
    """Correct an event (the API's PATCH: same schema, same domain call, the version the form was read at)."""
    event = _event(event_id)
    try:
        version = int(request.form.get("version", ""))
    except ValueError:
        return _render_event(event, errors={"form": "The form lost its version; reload the page."}, status=422)
    try:
        body = forms.typed(request.form, CORRECTION, zone=g.clinic.time_zone)
        if "term_other" in request.form and "term_other" not in body:
            body["term_other"] = None  # emptied: a specific term needs none
        if "serious" not in request.form:
            body.pop("seriousness")  # a form without the question leaves the criteria as they are
        changes = forms.load(AdverseEventPatchSchema(), body)
        adverse_events.update_adverse_event(
            db.session,
            event=event,
            actor_id=console.current().clinician.id,
            changes=changes,
            expected_version=version,
            now=now_utc(),
        )
    except DomainError as error:
        db.session.rollback()
        return _render_event(
            _event(event_id),
            errors=forms.form_errors(error),
            sent={**request.form.to_dict(), "seriousness": request.form.getlist("seriousness")},
            status=error.status,
        )
    db.session.commit()
    flash("Adverse event corrected.", "success")
    return redirect(url_for(".event_page", event_id=event_id))


@blp.post("/<uuid:event_id>/submitted")
@console.page(Role.PHYSICIAN, Role.ADMIN)
def submitted(event_id):
    """Record that the event was reported to the regulator (the API's call; stops its regulatory clock)."""
    event = _event(event_id)
    try:
        values = forms.load(SubmissionSchema(), forms.typed(request.form, SUBMISSION, zone=g.clinic.time_zone))
        adverse_events.record_submission(
            db.session,
            event=event,
            actor_id=console.current().clinician.id,
            submitted_at=values["submitted_at"],
            reference=values["reference"],
            now=now_utc(),
        )
    except DomainError as error:
        db.session.rollback()
        return _render_event(
            _event(event_id), errors=forms.form_errors(error), sent=request.form.to_dict(), status=error.status
        )
    db.session.commit()
    flash("Submission to the regulator recorded.", "success")
    return redirect(url_for(".event_page", event_id=event_id))


@blp.get("/<uuid:event_id>/fhir")
@console.page()
def fhir(event_id):
    """The event as a FHIR R4 AdverseEvent resource (the API's export), to open or save."""
    resource = adverse_event_resource(_event(event_id))
    response = current_app.response_class(json.dumps(resource, indent=2), mimetype=FHIR_JSON)
    response.headers["Content-Disposition"] = f'inline; filename="adverse-event-{event_id}.fhir.json"'
    response.headers["Cache-Control"] = "no-store"  # patient data: no cache keeps a copy
    return response


@blp.get("/<uuid:event_id>/e2b")
@console.page()
def e2b_download(event_id):
    """The event as an E2B(R3) ICSR (the API's export), or a page naming what the clinic still lacks."""
    event = _event(event_id)
    try:
        message = e2b.e2b_message(db.session, event=event, now=now_utc())
    except e2b.MissingForE2b as missing:
        return render_template("console/e2b_missing.html", event=event, missing=missing.missing), 422
    response = current_app.response_class(message, mimetype=e2b.CONTENT_TYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="adverse-event_{event_id}_e2b.xml"'
    response.headers["Cache-Control"] = "no-store"
    return response


@blp.get("/<uuid:event_id>/medwatch")
@console.page()
def medwatch_page(event_id):
    """The event laid out by the sections of FDA Form 3500, ready to copy, with what is missing called out."""
    event = _event(event_id)
    return render_template(
        "console/medwatch.html",
        event=event,
        form=medwatch.field_map(db.session, event=event, now=now_utc()),
    )


@blp.get("/export.csv")
@console.page(Role.ADMIN)
def export():
    """Download the line listing of adverse events with onset in a date range, as CSV (the API's export)."""
    principal = console.current()
    listing_args = {k: v for k, v in request.args.items() if v.strip() and k in ("from", "to")}
    args = forms.load(ExportArgsSchema(), listing_args)
    filters = _list_filters(request.args)  # the list's filters, when exported from the list
    since, until = range_bounds(args["from_"], args["to"], time_zone=g.clinic.time_zone)
    rows = line_listing.listing_rows(
        db.session, clinic_id=principal.clinic_id, since=since, until=until, filters=filters, now=now_utc()
    )
    name = f"adverse-events_{_label(args['from_'])}_{_label(args['to'])}.csv"
    response = current_app.response_class(
        stream_with_context(line_listing.csv_chunks(rows)), mimetype="text/csv", direct_passthrough=True
    )
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _label(value) -> str:
    return value.date().isoformat() if isinstance(value, datetime) else value.isoformat()
