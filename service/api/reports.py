"""Symptom reports: the vocabulary, the phone's submissions and batches, and reads."""

from __future__ import annotations

from functools import wraps

from flask import current_app, request
from flask.views import MethodView
from marshmallow import ValidationError

from schemas.reports import (
    BatchResultSchema,
    ReportBatchDocSchema,
    ReportBatchSchema,
    ReportCreateSchema,
    ReportQueryArgsSchema,
    ReportReceiptSchema,
    ReportSchema,
    SafetyScreenResultSchema,
    SafetyScreenSchema,
    VocabularyArgsSchema,
    VocabularySchema,
    vocabulary,
)
from service.api.common import Blueprint, SelectPage, current_principal
from service.clock import now_utc
from service.domain import advice, outbox, patients, reports, safety_screens
from service.domain.clinics import effective_settings
from service.errors import DomainError
from service.extensions import db
from service.metrics import REPORTS_RECEIVED, labelled
from service.models import Patient

blp = Blueprint("reports", __name__, url_prefix="/api/v1", description="Symptom reports")

BATCH_MAX_BYTES = 1024 * 1024
_create_schema = ReportCreateSchema()


def body_limit(max_bytes: int):
    """Allow a larger body than the app-wide 64 KiB for one view (batches of offline reports)."""

    def decorator(func):
        @wraps(func)
        def wrapper(*args, **kwargs):
            request.max_content_length = max_bytes
            return func(*args, **kwargs)

        return wrapper

    return decorator


def _my_telling() -> reports.Telling:
    """How the signed-in patient is told things: their language, their clinic's texts."""
    principal = current_principal()
    return reports.Telling.of(effective_settings(principal.clinic_settings), language=principal.patient.language)


def _receipt(submission: reports.Submission) -> dict:
    return reports.receipt(db.session, submission, telling=_my_telling())


def _submit(payload: dict) -> reports.Submission:
    """Store one report in its own transaction (a page it causes is written in the same one)."""
    principal = current_principal()
    try:
        submission = reports.submit_report(
            db.session,
            patient=principal.patient,
            device_id=principal.device_id,
            payload=payload,
            settings=effective_settings(principal.clinic_settings),
            now=now_utc(),
            channels=outbox.Availability.from_config(current_app.config),
        )
        db.session.commit()
    except DomainError:
        db.session.rollback()
        raise
    labelled(REPORTS_RECEIVED, "stored" if submission.created else "replay").inc()
    return submission


@blp.route("/symptoms")
class Symptoms(MethodView):
    @blp.doc(operationId="getSymptomVocabulary")
    @blp.anyone_signed_in()
    @blp.arguments(VocabularyArgsSchema, location="query")
    @blp.response(200, VocabularySchema)
    def get(self, args):
        """List the symptom vocabulary and the severity scale the app shows (labels in English or Spanish)."""
        language = args.get("language")
        if language is None:
            principal = current_principal()
            language = principal.patient.language if principal.patient_id else None
        return vocabulary(str(language) if language else None)


@blp.route("/me/reports")
class MyReports(MethodView):
    @blp.doc(operationId="submitReport")
    @blp.patient()
    @blp.arguments(ReportCreateSchema)
    @blp.response(201, ReportReceiptSchema, description="Stored; the triage outcome is in the answer.")
    @blp.alt_response(
        200,
        schema=ReportReceiptSchema,
        success=True,
        description="This client_report_id was already stored with the same body (a safe replay).",
    )
    @blp.errors(409)
    def post(self, body):
        """Send a symptom report (idempotent on client_report_id)."""
        submission = _submit(body)
        return _receipt(submission), 201 if submission.created else 200

    @blp.doc(operationId="listMyReports")
    @blp.patient()
    @blp.response(200, ReportSchema(many=True))
    @blp.paginate()
    def get(self, pagination_parameters):
        """List the patient's own reports, newest first."""
        principal = current_principal()
        page = SelectPage(reports.reports_query(patient_id=principal.patient_id), pagination_parameters)
        return reports.report_views(db.session, page.items, telling=_my_telling())


@blp.route("/me/reports/<uuid:report_id>")
class MyReportById(MethodView):
    @blp.doc(operationId="getMyReport")
    @blp.patient()
    @blp.response(200, ReportSchema)
    @blp.errors(404)
    def get(self, report_id):
        """Show one of the patient's own reports (with reviewed_at once a clinician has seen it)."""
        principal = current_principal()
        report = reports.get_report(db.session, report_id=report_id, patient_id=principal.patient_id)
        return reports.report_views(db.session, [report], telling=_my_telling())[0]


@blp.route("/me/reports/<uuid:report_id>/safety-screen")
class MySafetyScreen(MethodView):
    @blp.doc(operationId="answerSafetyScreen")
    @blp.patient()
    @blp.arguments(SafetyScreenSchema)
    @blp.response(201, SafetyScreenResultSchema, description="Stored; high risk paged the care team again.")
    @blp.alt_response(
        200, schema=SafetyScreenResultSchema, success=True, description="The same answers were already stored."
    )
    @blp.errors(404, 409)
    def post(self, body, report_id):
        """Answer the safety screen (C-SSRS screener) a report's answer offered; one screen per report."""
        principal = current_principal()
        report = reports.get_report(db.session, report_id=report_id, patient_id=principal.patient_id)
        settings = effective_settings(principal.clinic_settings)
        try:
            screen, created, paged = safety_screens.submit(
                db.session,
                report=report,
                answers=body,
                settings=settings,
                channels=outbox.Availability.from_config(current_app.config),
                now=now_utc(),
            )
            db.session.commit()
        except DomainError:
            db.session.rollback()
            raise
        language = principal.patient.language
        answer = {
            "risk": str(screen.risk),
            "paged": paged,
            "message": safety_screens.told(screen.risk, paged=paged, language=language),
            "crisis_resources": advice.crisis_resources(settings["crisis_resources"], language=language),
        }
        return answer, 201 if created else 200


@blp.route("/me/reports/batch")
class MyReportBatch(MethodView):
    @blp.doc(operationId="submitReportBatch")
    @blp.patient()
    @body_limit(BATCH_MAX_BYTES)
    @blp.arguments(ReportBatchSchema)
    @blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": ReportBatchDocSchema}}})
    @blp.response(200, BatchResultSchema)
    def post(self, body):
        """Send up to 100 reports saved while offline; each is handled on its own."""
        results = []
        for item in body["reports"]:
            client_id = item.get("client_report_id") if isinstance(item, dict) else None
            result = {"client_report_id": client_id if isinstance(client_id, str) else None}
            try:
                submission = _submit(_create_schema.load(item))
            except ValidationError as error:
                result.update(status=422, errors=error.messages)
            except DomainError as error:
                result.update(
                    status=error.status,
                    errors=(error.errors() and error.errors()["json"]) or {"_schema": [error.message]},
                )
            else:
                receipt = _receipt(submission)
                result.update(
                    status=201 if submission.created else 200,
                    id=receipt["id"],
                    triage=receipt["triage"],
                    client_report_id=str(receipt["client_report_id"]),
                )
            results.append(result)
        return {"results": results}


@blp.route("/patients/<uuid:patient_id>/reports")
class PatientReports(MethodView):
    @blp.doc(operationId="listPatientReports")
    @blp.staff()
    @blp.arguments(ReportQueryArgsSchema, location="query")
    @blp.response(200, ReportSchema(many=True))
    @blp.paginate()
    @blp.errors(404)
    def get(self, args, patient_id, pagination_parameters):
        """List a patient's reports, newest first (filter by observed date range and symptom)."""
        principal = current_principal()
        patient = patients.get_patient(db.session, clinic_id=principal.clinic_id, patient_id=patient_id)
        page = SelectPage(reports.reports_query(patient_id=patient.id, **args), pagination_parameters)
        return reports.report_views(db.session, page.items, telling=reports.telling_for(db.session, patient=patient))


@blp.route("/reports/<uuid:report_id>")
class ReportById(MethodView):
    @blp.doc(operationId="getReport")
    @blp.staff()
    @blp.response(200, ReportSchema)
    @blp.errors(404)
    def get(self, report_id):
        """Show one report of a patient of the clinic."""
        report = reports.get_report(db.session, report_id=report_id, clinic_id=current_principal().clinic_id)
        patient = db.session.get(Patient, report.patient_id)
        return reports.report_views(db.session, [report], telling=reports.telling_for(db.session, patient=patient))[0]
