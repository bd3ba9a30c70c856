"""The patient's own endpoints, reached with a paired phone's token."""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from sqlalchemy import update

from schemas.patients import (
    MePatchSchema,
    PatientInfusionSchema,
    PatientSchema,
    PushSubscriptionAnswerSchema,
    PushSubscriptionSchema,
    VapidPublicKeySchema,
)
from schemas.reports import CrisisResourcesSchema
from service.api.common import Blueprint, SelectPage, current_principal
from service.clock import now_utc
from service.delivery.webpush import public_key_for
from service.domain import advice, infusions, patients, web_push
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


@blp.route("/push/vapid-public-key")
class MyVapidPublicKey(MethodView):
    @blp.doc(operationId="getMyVapidPublicKey")
    @blp.patient()
    @blp.response(200, VapidPublicKeySchema)
    def get(self):
        """The key the companion app subscribes to web push with (PushManager.subscribe's applicationServerKey)."""
        return {"public_key": public_key_for(current_app.config["VAPID_PRIVATE_KEY"])}


@blp.route("/push-subscription")
class MyPushSubscription(MethodView):
    @blp.doc(operationId="putMyPushSubscription")
    @blp.patient()
    @blp.arguments(PushSubscriptionSchema)
    @blp.response(200, PushSubscriptionAnswerSchema)
    def put(self, body):
        """Keep this phone's browser push subscription (check-in prompts arrive with no health detail)."""
        answer = web_push.subscribe(
            db.session,
            device_id=current_principal().device_id,
            subscription=body,
            now=now_utc(),
            allow_local=bool(current_app.config.get("TESTING")),
        )
        db.session.commit()
        return answer

    @blp.doc(operationId="deleteMyPushSubscription")
    @blp.patient()
    @blp.response(204)
    def delete(self):
        """Stop web push to this phone's browser."""
        web_push.unsubscribe(db.session, device_id=current_principal().device_id, now=now_utc())
        db.session.commit()
