"""The visit page: screening, readings in the chair drawn as a chart, and what a nurse records there."""

from __future__ import annotations

import uuid

from flask import Blueprint, Response, flash, g, redirect, render_template, request, url_for

from schemas.visits import DischargeCreateSchema, ObservationCreateSchema
from service.clock import now_utc
from service.domain import infusions, patients, visits
from service.errors import DomainError
from service.extensions import db
from service.web import chart, forms, record_pdf
from service.web import session as console

blp = Blueprint("visits", __name__)

OBSERVATION_FORM = {
    "observed_at": "local-datetime",
    "systolic": "int",
    "diastolic": "int",
    "heart_rate": "int",
    "spo2": "int",
    "sedation_moass": "int",
    "dissociation": "int",
    "cadss6": "int",
    "note": "str",
}


DISCHARGE_FORM = {
    "discharged_at": "local-datetime",
    **{key: "bool" for key in visits.READINESS},
    "override_reason": "str",
}


def _infusion(infusion_id: uuid.UUID):
    return infusions.get_infusion(db.session, clinic_id=console.current().clinic_id, infusion_id=infusion_id)


def render_visit(infusion, *, errors=None, values=None, status: int = 200):
    """The visit page (also answers a refused form, with the reasons next to its fields)."""
    patient = patients.get_patient(db.session, clinic_id=infusion.clinic_id, patient_id=infusion.patient_id)
    screen = visits.screening_view(db.session, infusion=infusion)
    monitoring = visits.monitoring_view(db.session, infusion=infusion)
    ended = visits.minute_of(infusion, infusion.ended_at) if infusion.ended_at else None
    drawn = chart.render_visit(
        monitoring["observations"],
        baseline=(screen["systolic"], screen["diastolic"]),
        limits=monitoring["limits"],
        infusion_minutes=ended,
        title=f"Readings in the chair for {patient.display_name}",
    )
    page = render_template(
        "console/visit.html",
        patient=patient,
        infusion=infusion,
        screen=screen,
        monitoring=monitoring,
        chart=drawn,
        discharge=visits.discharge_view(db.session, infusion=infusion),
        readiness=list(visits.READINESS_LABELS.items()),
        errors=errors or {},
        values=values or {},
        now=now_utc(),
    )
    return page, status


@blp.get("/infusions/<uuid:infusion_id>")
@console.page()
def visit_page(infusion_id):
    """One visit from screening to discharge: the readings in the chair as a chart and a table."""
    return render_visit(_infusion(infusion_id))


def _refused(infusion_id: uuid.UUID, error: DomainError, *, form: str):
    db.session.rollback()
    values = {**request.form.to_dict(), "form_name": form}
    return render_visit(_infusion(infusion_id), errors=forms.form_errors(error), values=values, status=error.status)


@blp.post("/infusions/<uuid:infusion_id>/observations")
@console.page()
def record_observation(infusion_id):
    """Record readings in the chair (empty time: now); they go through the same rules as the API's."""
    infusion = _infusion(infusion_id)
    now = now_utc()
    try:
        body = forms.typed(request.form, OBSERVATION_FORM, zone=g.clinic.time_zone)
        body.setdefault("observed_at", now.isoformat())
        body = forms.load(ObservationCreateSchema(), body)
        obs = visits.record_observation(
            db.session, infusion=infusion, actor=console.current().clinician, values=body, now=now
        )
    except DomainError as error:
        return _refused(infusion_id, error, form="observation")
    flagged = list(obs.rules)
    db.session.commit()
    if flagged:
        flash(f"Readings recorded; flagged: {', '.join(flagged)}.", "error")
    else:
        flash("Readings recorded.", "success")
    return redirect(url_for(".visit_page", infusion_id=infusion_id))


@blp.post("/infusions/<uuid:infusion_id>/discharge")
@console.page()
def record_discharge(infusion_id):
    """Discharge the patient from the visit (as the API: refused outside the limits without a reason)."""
    infusion = _infusion(infusion_id)
    try:
        body = forms.load(DischargeCreateSchema(), forms.typed(request.form, DISCHARGE_FORM, zone=g.clinic.time_zone))
        visits.record_discharge(
            db.session, infusion=infusion, actor=console.current().clinician, values=body, now=now_utc()
        )
    except DomainError as error:
        return _refused(infusion_id, error, form="discharge")
    db.session.commit()
    flash("Discharge recorded; the check-ins count from now.", "success")
    return redirect(url_for(".visit_page", infusion_id=infusion_id))


@blp.get("/infusions/<uuid:infusion_id>/monitoring-record")
@console.page()
def monitoring_record(infusion_id):
    """The REMS-style monitoring record of the session, laid out to print."""
    record = visits.monitoring_record(db.session, infusion=_infusion(infusion_id))
    return render_template("console/monitoring_record.html", r=record, now=now_utc())


@blp.get("/infusions/<uuid:infusion_id>/monitoring-record.pdf")
@console.page()
def monitoring_record_pdf(infusion_id):
    """The same record as a PDF for the clinic's file."""
    record = visits.monitoring_record(db.session, infusion=_infusion(infusion_id))
    clinician = console.current().clinician
    body = record_pdf.render(
        record, zone=g.clinic.time_zone, printed_at=now_utc(), printed_by=clinician.name if clinician else ""
    )
    name = f"monitoring-record-{record['session']['started_at'].date().isoformat()}.pdf"
    return Response(body, mimetype="application/pdf", headers={"Content-Disposition": f'attachment; filename="{name}"'})
