"""Patients: the list, a patient's page (course chart, timeline, check-ins) and what a nurse does there."""

from __future__ import annotations

import uuid
from datetime import timedelta
from urllib.parse import urlencode

import segno
from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from markupsafe import Markup

from schemas.patients import InfusionCreateSchema
from schemas.visits import ScreeningCreateSchema
from service.api.common import auth_settings
from service.clock import now_utc
from service.domain import auth, flags, infusions, outcomes, patients, timeline, visits
from service.domain.clinicians import get_clinician
from service.enums import PatientStatus, Phase, Route
from service.errors import DomainError
from service.extensions import db
from service.web import chart, forms
from service.web import session as console

blp = Blueprint("patients", __name__)

WINDOWS = (7, 14, 30, 60, 90)
DEFAULT_DAYS = 30
INFUSION_FORM = {
    "started_at": "local-datetime",
    "ended_at": "local-datetime",
    "route": "str",
    "phase": "str",
    "dose_mg": "float",
    "dose_mg_per_kg": "float",
    "pre_systolic": "int",
    "pre_diastolic": "int",
    "pre_heart_rate": "int",
    "post_systolic": "int",
    "post_diastolic": "int",
    "post_heart_rate": "int",
    "notes": "str",
}
SCREENING_FORM = {
    "systolic": "int",
    "diastolic": "int",
    "heart_rate": "int",
    "weight_kg": "float",
    **{key: "bool" for key in visits.CHECKLIST},
    "new_medications_detail": "str",
    "last_meal_at": "local-datetime",
    "decision": "str",
    "decision_reason": "str",
}
STATUS_DONE = {
    PatientStatus.ACTIVE: "is active again",
    PatientStatus.PAUSED: "is paused",
    PatientStatus.DISCHARGED: "is discharged; their phones are unpaired",
}


def _patient(patient_id: uuid.UUID):
    return patients.get_patient(db.session, clinic_id=console.current().clinic_id, patient_id=patient_id)


def _clinic_zone() -> str:
    return g.clinic.time_zone


@blp.get("/patients")
@console.page()
def patient_list():
    """The clinic's patients by name, with their open flags."""
    principal = console.current()
    status = request.args.get("status", "active")
    chosen = PatientStatus(status) if status in set(PatientStatus) else None
    rows = list(db.session.scalars(patients.patients_query(clinic_id=principal.clinic_id, status=chosen)))
    return render_template(
        "console/patients.html",
        patients=rows,
        status=chosen.value if chosen else "all",
        flags=flags.active_by_patient(db.session, clinic_id=principal.clinic_id),
        now=now_utc(),
    )


def _window_days() -> int:
    try:
        days = int(request.args.get("days", DEFAULT_DAYS))
    except ValueError:
        return DEFAULT_DAYS
    return days if days in WINDOWS else DEFAULT_DAYS


def render_patient(patient, *, errors=None, values=None, status: int = 200, code=None, days: int | None = None):
    """The patient page (also answers a refused form, with the reasons next to its fields)."""
    now = now_utc()
    days = days or _window_days()
    since = now - timedelta(days=days)
    running, cumulative = timeline.long_term(db.session, patient_id=patient.id, until=now)
    entries = timeline.patient_timeline(db.session, patient=patient, since=since, until=now, cumulative=running)
    active_flags = flags.active_of_patient(db.session, patient_id=patient.id)
    trend = timeline.course_trend(entries, now=now, active_flags=active_flags)
    summary = patients.patient_summary(db.session, patient=patient, now=now)
    description = " ".join(trend["alerts"] + trend["sentences"]) or "Too few reports in this period to see a trend."
    phq9_baseline = outcomes.phq9_baseline_of(db.session, patient_id=patient.id, typed=patient.phq9_baseline)
    course = chart.render_course(
        entries,
        since=since,
        until=now,
        zone=_clinic_zone(),
        mood_baseline=patient.mood_baseline,
        phq9_baseline=phq9_baseline,
        flag_url=lambda flag_id: url_for("console.triage.flag_page", flag_id=flag_id),
        title=f"Course of {patient.display_name} over the last {days} days",
        description=description,
    )
    exposure = chart.render_exposure(entries, cumulative=cumulative, since=since, until=now, zone=_clinic_zone())
    recorder = None
    latest = summary["latest_infusion"]
    if latest is not None and latest.recorded_by_id is not None:
        try:
            recorder = get_clinician(db.session, clinic_id=patient.clinic_id, clinician_id=latest.recorded_by_id).name
        except DomainError:
            recorder = None
    page = render_template(
        "console/patient.html",
        patient=patient,
        phq9_baseline=phq9_baseline,
        summary=summary,
        recorder=recorder,
        entries=entries,
        trend=trend,
        chart=course,
        cumulative=cumulative,
        exposure=exposure,
        exposure_unit=chart.exposure_unit(cumulative),
        days=days,
        windows=WINDOWS,
        active_flags=active_flags,
        checkins=timeline.checkins_of(db.session, patient_id=patient.id),
        devices=patients.devices_of(db.session, patient=patient),
        routes=list(Route),
        phases=list(Phase),
        errors=errors or {},
        values=values or {},
        code=code,
        now=now,
        ptz=patient.time_zone,
        screen=visits.screening_view(db.session, infusion=latest) if latest is not None else None,
        checklist=list(visits.CHECKLIST_LABELS.items()),
    )
    return page, status


@blp.get("/patients/<uuid:patient_id>")
@console.page()
def patient_page(patient_id):
    """A patient's course at a glance: chart, open flags, check-ins, timeline, and the actions."""
    return render_patient(_patient(patient_id))


def _refused(patient_id: uuid.UUID, error: DomainError, *, form: str):
    db.session.rollback()
    values = {**request.form.to_dict(), "form_name": form}
    return render_patient(_patient(patient_id), errors=forms.form_errors(error), values=values, status=error.status)


@blp.post("/patients/<uuid:patient_id>/infusions")
@console.page()
def record_infusion(patient_id):
    """Record an infusion (times in the clinic's time zone); the same checks as the API."""
    patient = _patient(patient_id)
    try:
        body = forms.load(InfusionCreateSchema(), forms.typed(request.form, INFUSION_FORM, zone=_clinic_zone()))
        infusions.record_infusion(
            db.session, patient=patient, actor=console.current().clinician, values=body, now=now_utc()
        )
    except DomainError as error:
        return _refused(patient_id, error, form="infusion")
    db.session.commit()
    flash("Infusion recorded.", "success")
    return redirect(url_for(".patient_page", patient_id=patient_id))


@blp.post("/infusions/<uuid:infusion_id>/screening")
@console.page()
def record_screening(infusion_id):
    """Record or re-check the screening before an infusion (the same checks as the API); a hold is shown as such."""
    infusion = infusions.get_infusion(db.session, clinic_id=console.current().clinic_id, infusion_id=infusion_id)
    try:
        body = forms.load(ScreeningCreateSchema(), forms.typed(request.form, SCREENING_FORM, zone=_clinic_zone()))
        screening = visits.record_screening(
            db.session, infusion=infusion, actor=console.current().clinician, values=body, now=now_utc()
        )
    except DomainError as error:
        return _refused(infusion.patient_id, error, form="screening")
    status = visits.status_of(screening)
    db.session.commit()
    flash(f"Screening recorded: {visits.STATUS_WORDS[status]}.", "warning" if status == "hold" else "success")
    return redirect(url_for(".patient_page", patient_id=infusion.patient_id))


@blp.post("/patients/<uuid:patient_id>/enrollment-code")
@console.page()
def enrollment_code(patient_id):
    """Issue a one-time pairing code, shown once as text and as a QR code (earlier codes stop working)."""
    patient = _patient(patient_id)
    try:
        code, expires_at = auth.issue_enrollment_code(
            db.session,
            patient=patient,
            actor=console.current().clinician,
            ttl=auth_settings().enrollment_code_ttl,
            now=now_utc(),
        )
    except DomainError as error:
        return _refused(patient_id, error, form="code")
    db.session.commit()
    shown = {
        "code": code,
        # the QR code is the companion app's link: a phone's camera opens it with the code filled in
        "qr": qr_svg(pairing_link(code)),
        "link": pairing_link(code),
        "expires_at": expires_at,
    }
    return render_patient(patient, code=shown)


def pairing_link(code: str) -> str:
    """The companion app's address with the code in the fragment (never sent to a server, so never logged)."""
    return url_for("companion.shell", _external=True) + "#" + urlencode({"code": code})


def qr_svg(text: str) -> Markup:
    """A QR code as inline SVG, drawn on the server (segno writes only paths and the escaped title)."""
    qr = segno.make(text, error="m", micro=False)  # phones' scanners read full QR codes, not Micro QR
    svg = qr.svg_inline(
        scale=6, border=4, omitsize=True, dark="#000000", light="#ffffff", title=f"Enrollment code {text}"
    )
    return Markup(svg)  # noqa: S704 - segno's own markup; the code is from our alphabet (0-9, A-Z)


@blp.post("/patients/<uuid:patient_id>/status")
@console.page()
def change_status(patient_id):
    """Pause, discharge or reactivate a patient (discharging unpairs their phones)."""
    patient = _patient(patient_id)
    try:
        status = forms.choice(request.form, "status", PatientStatus, what="a status")
        if status == PatientStatus.DISCHARGED and request.form.get("confirm") != "1":
            raise forms.FormInvalid({"confirm": "Tick the box to confirm: discharging unpairs the patient's phones."})
        patients.update_patient(
            db.session,
            patient=patient,
            changes={"status": status},
            allowed=frozenset({"status"}),
            now=now_utc(),
        )
    except DomainError as error:
        return _refused(patient_id, error, form="status")
    db.session.commit()
    flash(f"{patient.display_name} {STATUS_DONE[status]}.", "success")
    return redirect(url_for(".patient_page", patient_id=patient_id))
