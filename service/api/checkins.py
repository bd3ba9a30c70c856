"""Check-ins: the patient's own, and a patient's as their clinicians see them."""

from __future__ import annotations

from flask.views import MethodView

from schemas.checkins import CheckinQueryArgsSchema, CheckinSchema, StaffCheckinSchema
from service.api.common import Blueprint, SelectPage, current_principal
from service.domain import checkins, patients
from service.extensions import db

blp = Blueprint(
    "checkins", __name__, url_prefix="/api/v1", description="Check-ins after each infusion, and quarterly long-term"
)


class CheckinPage(SelectPage):
    """Check-ins with the questions each asks, in the patient's language (English for staff)."""

    @property
    def items(self):
        principal = current_principal()
        language = principal.patient.language if principal.patient_id else None
        return [checkins.view(checkin, language=language) for checkin in super().items]


@blp.route("/me/checkins")
class MyCheckins(MethodView):
    @blp.doc(operationId="listMyCheckins")
    @blp.patient()
    @blp.arguments(CheckinQueryArgsSchema, location="query")
    @blp.response(200, CheckinSchema(many=True))
    @blp.paginate(CheckinPage)
    def get(self, args):
        """List the patient's own check-ins, latest due first (answer one with a report's checkin_id)."""
        return checkins.checkins_query(
            patient_id=current_principal().patient_id, status=args.get("status"), include_cancelled=False
        )


@blp.route("/patients/<uuid:patient_id>/checkins")
class PatientCheckins(MethodView):
    @blp.doc(operationId="listPatientCheckins")
    @blp.staff()
    @blp.arguments(CheckinQueryArgsSchema, location="query")
    @blp.response(200, StaffCheckinSchema(many=True))
    @blp.paginate(CheckinPage)
    @blp.errors(404)
    def get(self, args, patient_id):
        """List a patient's check-ins with their sending history, latest due first."""
        patient = patients.get_patient(db.session, clinic_id=current_principal().clinic_id, patient_id=patient_id)
        return checkins.checkins_query(patient_id=patient.id, status=args.get("status"), include_cancelled=True)
