"""Clinic-side patient endpoints: patients, enrollment codes, devices, infusions."""

from __future__ import annotations

import uuid

from flask.views import MethodView

from schemas.auth import EnrollmentCodeSchema
from schemas.patients import (
    InfusionCreateSchema,
    InfusionPatchSchema,
    InfusionSchema,
    PatientCreateSchema,
    PatientDetailSchema,
    PatientPatchSchema,
    PatientQueryArgsSchema,
    PatientSchema,
)
from schemas.timeline import TimelineArgsSchema, TimelineSchema
from service.api.common import (
    Blueprint,
    SelectPage,
    auth_settings,
    current_principal,
    etag,
    etag_header,
    if_match_version,
)
from service.clock import now_utc
from service.domain import auth, infusions, outcomes, patients, timeline
from service.extensions import db
from service.models import Clinic

blp = Blueprint("patients", __name__, url_prefix="/api/v1", description="Patients, phones and infusions")
INFUSION_ETAG = etag_header("infusion")


def _patient(patient_id: uuid.UUID):
    return patients.get_patient(db.session, clinic_id=current_principal().clinic_id, patient_id=patient_id)


@blp.route("/patients")
class Patients(MethodView):
    @blp.doc(operationId="listPatients")
    @blp.staff()
    @blp.arguments(PatientQueryArgsSchema, location="query")
    @blp.response(200, PatientSchema(many=True))
    @blp.paginate(SelectPage)
    def get(self, args):
        """List the clinic's patients (filter by status)."""
        return patients.patients_query(clinic_id=current_principal().clinic_id, status=args.get("status"))

    @blp.doc(operationId="createPatient")
    @blp.staff()
    @blp.arguments(PatientCreateSchema)
    @blp.response(201, PatientSchema)
    @blp.errors(409)
    def post(self, body):
        """Enrol a new patient (18+, real IANA time zone)."""
        clinic = db.session.get(Clinic, current_principal().clinic_id)
        patient = patients.create_patient(db.session, clinic=clinic, values=body, now=now_utc())
        db.session.commit()
        return patient


@blp.route("/patients/<uuid:patient_id>")
class PatientById(MethodView):
    @blp.doc(operationId="getPatient")
    @blp.staff()
    @blp.response(200, PatientDetailSchema)
    @blp.errors(404)
    def get(self, patient_id):
        """Show a patient with their paired phones."""
        patient = _patient(patient_id)
        patient.devices = patients.devices_of(db.session, patient=patient)
        patient.phq9_baseline_in_use, patient.phq9_baseline_source = outcomes.phq9_baseline_with_source(
            db.session, patient_id=patient.id, typed=patient.phq9_baseline
        )
        return patient

    @blp.doc(operationId="updatePatient")
    @blp.staff()
    @blp.arguments(PatientPatchSchema)
    @blp.response(200, PatientSchema)
    @blp.errors(404, 409)
    def patch(self, body, patient_id):
        """Change a patient's details or status (pause, discharge)."""
        patient = patients.update_patient(
            db.session, patient=_patient(patient_id), changes=body, allowed=patients.CLINICIAN_EDITABLE, now=now_utc()
        )
        db.session.commit()
        return patient


@blp.route("/patients/<uuid:patient_id>/timeline")
class PatientTimeline(MethodView):
    @blp.doc(operationId="getPatientTimeline")
    @blp.staff()
    @blp.arguments(TimelineArgsSchema, location="query")
    @blp.response(200, TimelineSchema)
    @blp.errors(404)
    def get(self, args, patient_id):
        """Show the patient's course, newest first: infusions, reports, flags and check-ins (default: 60 days)."""
        patient = _patient(patient_id)
        since, until = timeline.window(since=args.get("since"), until=args.get("until"), now=now_utc())
        running, cumulative = timeline.long_term(db.session, patient_id=patient.id, until=until)
        entries = timeline.patient_timeline(db.session, patient=patient, since=since, until=until, cumulative=running)
        return {"patient_id": patient.id, "since": since, "until": until, "entries": entries, "cumulative": cumulative}


@blp.route("/patients/<uuid:patient_id>/enrollment-codes")
class EnrollmentCodes(MethodView):
    @blp.doc(operationId="createEnrollmentCode")
    @blp.staff()
    @blp.response(201, EnrollmentCodeSchema)
    @blp.errors(404, 422)
    def post(self, patient_id):
        """Issue a one-time code (valid 72 h) for the patient to pair a phone."""
        code, expires_at = auth.issue_enrollment_code(
            db.session,
            patient=_patient(patient_id),
            actor=current_principal().clinician,
            ttl=auth_settings().enrollment_code_ttl,
            now=now_utc(),
        )
        db.session.commit()
        return {"code": code, "expires_at": expires_at}


@blp.route("/patients/<uuid:patient_id>/devices/<uuid:device_id>")
class DeviceById(MethodView):
    @blp.doc(operationId="revokeDevice")
    @blp.staff()
    @blp.response(204)
    @blp.errors(404)
    def delete(self, patient_id, device_id):
        """Unpair a phone; its tokens stop working on their next use."""
        auth.revoke_device(db.session, patient=_patient(patient_id), device_id=device_id, now=now_utc())
        db.session.commit()


@blp.route("/patients/<uuid:patient_id>/infusions")
class PatientInfusions(MethodView):
    @blp.doc(operationId="listPatientInfusions")
    @blp.staff()
    @blp.response(200, InfusionSchema(many=True))
    @blp.paginate(SelectPage)
    @blp.errors(404)
    def get(self, patient_id):
        """List a patient's infusions, newest first."""
        return infusions.infusions_query(patient_id=_patient(patient_id).id)

    @blp.doc(operationId="recordInfusion")
    @blp.staff()
    @blp.arguments(InfusionCreateSchema)
    @blp.response(201, InfusionSchema)
    @blp.errors(404)
    def post(self, body, patient_id):
        """Record an infusion given to the patient."""
        infusion = infusions.record_infusion(
            db.session, patient=_patient(patient_id), actor=current_principal().clinician, values=body, now=now_utc()
        )
        db.session.commit()
        return infusion


@blp.route("/infusions/<uuid:infusion_id>")
class InfusionById(MethodView):
    @blp.doc(operationId="getInfusion")
    @blp.staff()
    @blp.response(200, InfusionSchema, headers=INFUSION_ETAG)
    @blp.errors(404)
    def get(self, infusion_id):
        """Show one infusion."""
        infusion = infusions.get_infusion(db.session, clinic_id=current_principal().clinic_id, infusion_id=infusion_id)
        return infusion, 200, {"ETag": etag(infusion.version)}

    @blp.doc(operationId="updateInfusion")
    @blp.staff()
    @blp.arguments(InfusionPatchSchema)
    @blp.response(200, InfusionSchema, headers=INFUSION_ETAG)
    @blp.errors(404)
    @blp.if_match("infusion")
    def patch(self, body, infusion_id):
        """Correct an infusion's record (If-Match guards against lost updates)."""
        infusion = infusions.get_infusion(db.session, clinic_id=current_principal().clinic_id, infusion_id=infusion_id)
        infusion = infusions.update_infusion(
            db.session, infusion=infusion, changes=body, now=now_utc(), expected_version=if_match_version("infusion")
        )
        db.session.commit()
        return infusion, 200, {"ETag": etag(infusion.version)}
