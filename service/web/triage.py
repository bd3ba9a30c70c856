"""The triage queue (the console's landing page) and a flag's page with its actions."""

from __future__ import annotations

import uuid
from urllib.parse import parse_qsl

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from service.clock import now_utc
from service.domain import clinicians, flags
from service.domain.clinics import effective_settings
from service.enums import FlagPriority, FlagStatus, Resolution
from service.errors import DomainError, ValidationFailed
from service.extensions import db
from service.web import adverse_events, forms
from service.web import session as console
from service.web.display import RESOLUTION_LABELS

blp = Blueprint("triage", __name__)

QUEUE_LIMIT = 100
NOTE_MAX = 4000


def names_of(staff) -> dict:
    """Staff names by id (as UUID and as text: event data carries ids as text)."""
    return {key: person.name for person in staff for key in (person.id, str(person.id))}


def queue_filters(args) -> dict:
    """The queue's filters from the query string; values it does not know are ignored."""
    priority = args.get("priority", "")
    assignee = args.get("assignee", "")
    if assignee not in ("", "none"):
        try:
            assignee = str(uuid.UUID(assignee))
        except ValueError:
            assignee = ""
    return {
        "priority": priority if priority in set(FlagPriority) else "",
        "assignee": assignee,
        "overdue": args.get("overdue") == "1",
        "mine": args.get("mine") == "1",
    }


def _queue(chosen: dict, cursor: str | None) -> dict:
    principal = console.current()
    now = now_utc()
    assignee_id = None
    if chosen["mine"]:
        assignee_id = principal.clinician.id
    elif chosen["assignee"] not in ("", "none"):
        assignee_id = uuid.UUID(chosen["assignee"])
    filters = flags.QueueFilter(
        priority=FlagPriority(chosen["priority"]) if chosen["priority"] else None,
        assignee_id=assignee_id,
        unassigned=chosen["assignee"] == "none" and not chosen["mine"],
        overdue=True if chosen["overdue"] else None,
    )
    try:
        cases, next_cursor = flags.case_page(
            db.session, clinic_id=principal.clinic_id, filters=filters, cursor=cursor, limit=QUEUE_LIMIT, now=now
        )
    except ValidationFailed:  # a stale or hand-edited cursor: start from the top
        cases, next_cursor = flags.case_page(
            db.session, clinic_id=principal.clinic_id, filters=filters, cursor=None, limit=QUEUE_LIMIT, now=now
        )
    staff = clinicians.staff_of(db.session, clinic_id=principal.clinic_id)
    counts = flags.count_active(db.session, clinic_id=principal.clinic_id, now=now)
    filter_args = {k: ("1" if v is True else v) for k, v in chosen.items() if v}
    return {
        "cases": cases,
        "flag_total": sum(case["flag_count"] for case in cases),
        "next_cursor": next_cursor,
        "names": names_of(staff),
        "staff": [c for c in staff if c.active],
        "counts": counts,
        "critical": counts["critical"],
        "filters": chosen,
        "filter_args": filter_args,
        "filtered": bool(filter_args),
        "now": now,
    }


@blp.get("/queue")
@console.page()
def queue():
    """The clinic's open flags by patient: one row per patient, led by their most urgent flag (critical first,
    then soonest due), every flag of theirs under it."""
    context = _queue(queue_filters(request.args), request.args.get("cursor"))
    return render_template("console/queue.html", **context)


@blp.get("/queue/rows")
@console.page(passive=True)
def queue_rows():
    """The queue's rows alone, for the page's 30-second refresh (does not count as activity)."""
    context = _queue(queue_filters(request.args), request.args.get("cursor"))
    html = render_template("console/_queue_fragment.html", **context)
    critical = context["critical"]
    return (
        html,
        200,
        {"X-Open-Critical": str(critical["active"]), "X-Unacknowledged-Critical": str(critical["unacknowledged"])},
    )


# --- one flag ----------------------------------------------------------------------------------------------


def _flag(flag_id: uuid.UUID):
    return flags.get_flag(db.session, clinic_id=console.current().clinic_id, flag_id=flag_id)


def _render_flag(
    flag,
    *,
    errors: dict | None = None,
    values: dict | None = None,
    ae_errors: dict | None = None,
    ae_values: dict | None = None,
    status: int = 200,
):
    """The flag page; a refused form's reasons go next to its fields (the adverse-event form has its own)."""
    principal = console.current()
    now = now_utc()
    settings = effective_settings(principal.clinic_settings)
    view = flags.flag_view(db.session, flag=flag, settings=settings, now=now)
    staff = clinicians.staff_of(db.session, clinic_id=principal.clinic_id)
    page = render_template(
        "console/flag.html",
        flag=view,
        now=now,
        names=names_of(staff),
        staff=[c for c in staff if c.active],
        resolutions=[(r.value, RESOLUTION_LABELS[r.value]) for r in Resolution],
        errors=errors or {},
        values=values or {},
        active=view["status"] != FlagStatus.RESOLVED,
        **adverse_events.form_context(view, values=ae_values, errors=ae_errors),
    )
    return page, status


@blp.get("/flags/<uuid:flag_id>")
@console.page()
def flag_page(flag_id):
    """A flag: reason, evidence, its reports, the patient's summary, notes and history, and the actions."""
    return _render_flag(_flag(flag_id))


def queue_return(form, flag_id: uuid.UUID) -> str | None:
    """Where a form sent from the queue goes back to: the queue with the same filters (rebuilt from the
    filters it knows, never a URL taken as given), at the flag acted on; None for forms of the flag page."""
    back = form.get("back", "")
    if back != "queue" and not back.startswith("queue?"):
        return None
    chosen = queue_filters(MultiDict(parse_qsl(back.partition("?")[2])))
    args = {k: ("1" if v is True else v) for k, v in chosen.items() if v}
    return url_for(".queue", **args) + f"#flag-{flag_id}"


def _act(flag_id: uuid.UUID, action, *, done: str, to_queue: bool = False):
    """Run one action on a flag; on a refusal show the flag again with the reason next to the form."""
    flag = _flag(flag_id)
    try:
        action(flag)
    except DomainError as error:
        db.session.rollback()
        flag = _flag(flag_id)
        return _render_flag(flag, errors=forms.form_errors(error), values=request.form.to_dict(), status=error.status)
    db.session.commit()
    flash(done, "success")
    back = queue_return(request.form, flag_id)
    if back:
        return redirect(back)
    if to_queue:
        return redirect(url_for(".queue"))
    return redirect(url_for(".flag_page", flag_id=flag_id))


@blp.post("/flags/<uuid:flag_id>/acknowledge")
@console.page()
def acknowledge(flag_id):
    """Acknowledge the flag: you are on it (and become its assignee)."""
    clinician_id = console.current().clinician.id
    return _act(
        flag_id,
        lambda flag: flags.acknowledge(
            db.session,
            flag=flag,
            actor_id=clinician_id,
            assignee_id=None,
            expected_version=forms.version(request.form),
            now=now_utc(),
        ),
        done="Acknowledged. The flag is yours; the patient's reports show as reviewed.",
    )


@blp.post("/flags/<uuid:flag_id>/assign")
@console.page()
def assign(flag_id):
    """Give the flag to a colleague."""
    clinician_id = console.current().clinician.id
    return _act(
        flag_id,
        lambda flag: flags.assign(
            db.session,
            flag=flag,
            actor_id=clinician_id,
            clinician_id=forms.uuid_field(request.form, "clinician_id"),
            expected_version=forms.version(request.form),
            now=now_utc(),
        ),
        done="Assigned.",
    )


@blp.post("/flags/<uuid:flag_id>/notes")
@console.page()
def add_note(flag_id):
    """Add a note to the flag."""
    clinician_id = console.current().clinician.id
    return _act(
        flag_id,
        lambda flag: flags.add_note(
            db.session,
            flag=flag,
            actor_id=clinician_id,
            text=forms.text(request.form, "text", limit=NOTE_MAX, required=True, what="a note"),
            now=now_utc(),
        ),
        done="Note added.",
    )


@blp.post("/flags/<uuid:flag_id>/escalate")
@console.page()
def escalate(flag_id):
    """Escalate the flag one level (asks the on-call team for help)."""
    clinician_id = console.current().clinician.id
    return _act(
        flag_id,
        lambda flag: flags.escalate(
            db.session,
            flag=flag,
            actor_id=clinician_id,
            note=forms.text(request.form, "note", limit=NOTE_MAX) or None,
            expected_version=forms.version(request.form),
            now=now_utc(),
        ),
        done="Escalated.",
    )


@blp.post("/flags/<uuid:flag_id>/resolve")
@console.page()
def resolve(flag_id):
    """Resolve the flag with what was done and a note; it leaves the queue."""
    clinician_id = console.current().clinician.id
    return _act(
        flag_id,
        lambda flag: flags.resolve(
            db.session,
            flag=flag,
            actor_id=clinician_id,
            resolution=forms.choice(request.form, "resolution", Resolution, what="what was done"),
            note=forms.text(request.form, "note", limit=NOTE_MAX, required=True, what="a note saying what was done"),
            expected_version=forms.version(request.form),
            now=now_utc(),
        ),
        done="Resolved. The flag has left the queue.",
        to_queue=True,
    )


@blp.post("/flags/<uuid:flag_id>/adverse-event")
@console.page()
def adverse_event(flag_id):
    """Record an adverse event from the flag (the API's fields and checks); its own page follows."""
    flag = _flag(flag_id)
    try:
        event = adverse_events.record_from_flag(
            flag, request.form, actor_id=console.current().clinician.id, zone=g.clinic.time_zone
        )
    except DomainError as error:
        db.session.rollback()
        return _render_flag(
            _flag(flag_id),
            ae_errors=adverse_events.field_errors(forms.form_errors(error)),
            ae_values=adverse_events.sent_values(request.form),
            status=error.status,
        )
    db.session.commit()
    if event.regulatory_due_at is not None:
        flash("Adverse event recorded. It is serious: its report to the regulator has a due date (below).", "success")
    else:
        flash("Adverse event recorded.", "success")
    return redirect(url_for("console.adverse_events.event_page", event_id=event.id))
