"""The patient's own endpoints, reached with a paired phone's token."""

from __future__ import annotations

from flask.views import MethodView
from sqlalchemy import update

from schemas.patients import MePatchSchema, PatientInfusionSchema, PatientSchema
from schemas.reports import CrisisResourcesSchema
from service.api.common import Blueprint, SelectPage, current_principal
from service.clock import now_utc
from service.domain import advice, infusions, patients
from service.domain.clinics import effective_settings
from service.extensions import db
from service.models import Device

blp = Blueprint("me", __name__, url_prefix="/api/v1/me", description="The signed-in patient's own data")


class MeSchema(PatientSchema):
    class Meta:
        exclude = ("mrn", "phq9_baseline", "mood_baseline", "clinic_id")


def _me():
    principal = current_principal()
    return patients.get_patient(db.session, clinic_id=principal.clinic_id, patient_id=principal.patient_id)


@blp.route("")
class Me(MethodView):
    @blp.doc(operationId="getMe")
    @blp.patient()
    @blp.response(200, MeSchema)
    def get(self):
        """Show the patient's own profile."""
        return _me()

    @blp.doc(operationId="updateMe")
    @blp.patient()
    @blp.arguments(MePatchSchema)
    @blp.response(200, MeSchema)
    def patch(self, body):
        """Change time zone, quiet hours, preferred channel, contact, or this phone's push token."""
        now = now_utc()
        principal = current_principal()
        if "push_token" in body:
            db.session.execute(
                update(Device)
                .where(Device.id == principal.device_id)
                .values(push_token=body.pop("push_token"), last_seen_at=now)
            )
        patient = patients.update_patient(
            db.session, patient=_me(), changes=body, allowed=patients.PATIENT_EDITABLE, now=now
        )
        db.session.commit()
        return patient


@blp.route("/infusions")
class MyInfusions(MethodView):
    @blp.doc(operationId="listMyInfusions")
    @blp.patient()
    @blp.response(200, PatientInfusionSchema(many=True))
    @blp.paginate(SelectPage)
    def get(self):
        """List the patient's own infusions, newest first."""
        return infusions.infusions_query(patient_id=current_principal().patient_id)


@blp.route("/crisis-resources")
class MyCrisisResources(MethodView):
    @blp.doc(operationId="getMyCrisisResources")
    @blp.patient()
    @blp.response(200, CrisisResourcesSchema)
    def get(self):
        """The clinic's crisis contacts in the patient's language, for the app to keep for when it is offline."""
        principal = current_principal()
        settings = effective_settings(principal.clinic_settings)
        language = principal.patient.language
        return {"crisis_resources": advice.crisis_resources(settings["crisis_resources"], language=language)}
