"""Clinic settings (admins): thresholds, response targets, crisis resources, check-ins, quiet hours."""

from __future__ import annotations

from flask.views import MethodView

from schemas.clinic import ClinicSettingsSchema, SettingsChangeSchema
from service.api.common import Blueprint, current_principal
from service.clock import now_utc
from service.domain import clinic_settings
from service.domain.clinics import public_settings, settings_of
from service.enums import Role
from service.extensions import db
from service.models import Clinic

blp = Blueprint("clinic", __name__, url_prefix="/api/v1/clinic", description="The clinic's settings")


@blp.route("/settings")
class Settings(MethodView):
    @blp.doc(operationId="getClinicSettings")
    @blp.staff(Role.ADMIN)
    @blp.response(200, ClinicSettingsSchema)
    def get(self):
        """Show the clinic's settings (defaults filled in)."""
        return public_settings(settings_of(db.session.get(Clinic, current_principal().clinic_id)))

    @blp.doc(operationId="replaceClinicSettings")
    @blp.staff(Role.ADMIN)
    @blp.arguments(ClinicSettingsSchema)
    @blp.response(200, ClinicSettingsSchema)
    def put(self, body):
        """Replace the clinic's settings (validated; the change is recorded with who and when)."""
        principal = current_principal()
        clinic = db.session.get(Clinic, principal.clinic_id)
        settings = clinic_settings.replace_settings(
            db.session, clinic=clinic, new=body, actor_id=principal.clinician.id, now=now_utc()
        )
        db.session.commit()
        return public_settings(settings)


@blp.route("/settings/history")
class SettingsHistory(MethodView):
    @blp.doc(operationId="listClinicSettingsChanges")
    @blp.staff(Role.ADMIN)
    @blp.response(200, SettingsChangeSchema(many=True))
    def get(self):
        """List the latest changes to the clinic's settings, newest first."""
        return clinic_settings.settings_history(db.session, clinic_id=current_principal().clinic_id)
