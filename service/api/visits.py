"""The visit in the clinic: screening before an infusion and observations in the chair (the clinic's staff)."""

from __future__ import annotations

from flask.views import MethodView

from schemas.visits import (
    DischargeCreateSchema,
    DischargeSchema,
    MonitoringRecordSchema,
    MonitoringSchema,
    ObservationCreateSchema,
    ObservationSchema,
    ScreeningCreateSchema,
    ScreeningSchema,
)
from service.api.common import Blueprint, current_principal
from service.clock import now_utc
from service.domain import infusions, visits
from service.domain.clinics import settings_of
from service.extensions import db
from service.models import Clinic

blp = Blueprint("visits", __name__, url_prefix="/api/v1", description="The visit: screening, monitoring, discharge")


def _infusion(infusion_id):
    return infusions.get_infusion(db.session, clinic_id=current_principal().clinic_id, infusion_id=infusion_id)


@blp.route("/infusions/<uuid:infusion_id>/screening")
class InfusionScreening(MethodView):
    @blp.doc(operationId="getScreening")
    @blp.staff()
    @blp.response(200, ScreeningSchema)
    @blp.errors(404)
    def get(self, infusion_id):
        """Show the screening before the infusion (nulls until recorded) and the patient's own pre-infusion check-in."""
        return visits.screening_view(db.session, infusion=_infusion(infusion_id))

    @blp.doc(operationId="recordScreening")
    @blp.staff()
    @blp.arguments(ScreeningCreateSchema)
    @blp.response(201, ScreeningSchema)
    @blp.errors(404)
    def post(self, body, infusion_id):
        """Record or re-check the screening; its blood pressure becomes the infusion's baseline.

        At or above the clinic's hold line (default 140/90), or with a contraindication ticked, the screening is
        on hold ("hold: re-check") until a decision is sent with it: proceed with a reason, or postpone."""
        infusion = _infusion(infusion_id)
        visits.record_screening(
            db.session, infusion=infusion, actor=current_principal().clinician, values=body, now=now_utc()
        )
        db.session.commit()
        return visits.screening_view(db.session, infusion=infusion)


@blp.route("/infusions/<uuid:infusion_id>/observations")
class InfusionObservations(MethodView):
    @blp.doc(operationId="listObservations")
    @blp.staff()
    @blp.response(200, MonitoringSchema)
    @blp.errors(404)
    def get(self, infusion_id):
        """List the readings taken in the chair, in time order, with what is outside the clinic's limits."""
        return visits.monitoring_view(db.session, infusion=_infusion(infusion_id))

    @blp.doc(operationId="recordObservation")
    @blp.staff()
    @blp.arguments(ObservationCreateSchema)
    @blp.response(201, ObservationSchema)
    @blp.errors(404)
    def post(self, body, infusion_id):
        """Record readings taken in the chair; they go through the same rules as a report (flags, pages)."""
        infusion = _infusion(infusion_id)
        obs = visits.record_observation(
            db.session, infusion=infusion, actor=current_principal().clinician, values=body, now=now_utc()
        )
        db.session.commit()
        limits = visits.limits_of(settings_of(db.session.get(Clinic, infusion.clinic_id)))
        return visits.observation_view(obs, infusion=infusion, limits=limits)


@blp.route("/infusions/<uuid:infusion_id>/discharge")
class InfusionDischarge(MethodView):
    @blp.doc(operationId="getDischarge")
    @blp.staff()
    @blp.response(200, DischargeSchema)
    @blp.errors(404)
    def get(self, infusion_id):
        """Show the discharge from the visit (nulls until recorded) and what would block it now."""
        return visits.discharge_view(db.session, infusion=_infusion(infusion_id))

    @blp.doc(operationId="recordDischarge")
    @blp.staff()
    @blp.arguments(DischargeCreateSchema)
    @blp.response(201, DischargeSchema)
    @blp.errors(404, 409)
    def post(self, body, infusion_id):
        """Discharge the patient: vitals near baseline, alert, a ride home, told not to drive until the next day.

        Refused (422 on override_reason) while the latest reading is outside the clinic's limits, unless a reason
        is given. The check-ins after the infusion count from the discharge."""
        infusion = _infusion(infusion_id)
        visits.record_discharge(
            db.session, infusion=infusion, actor=current_principal().clinician, values=body, now=now_utc()
        )
        db.session.commit()
        return visits.discharge_view(db.session, infusion=infusion)


@blp.route("/infusions/<uuid:infusion_id>/monitoring-record")
class InfusionMonitoringRecord(MethodView):
    @blp.doc(operationId="getMonitoringRecord")
    @blp.staff()
    @blp.response(200, MonitoringRecordSchema)
    @blp.errors(404)
    def get(self, infusion_id):
        """Show the REMS-style monitoring record of the session: each requirement, met or not, and the readings."""
        return visits.monitoring_record(db.session, infusion=_infusion(infusion_id))
