"""Staff management (admins only)."""

from __future__ import annotations

from flask.views import MethodView
from sqlalchemy import select

from schemas.clinicians import (
    ClinicianCreateSchema,
    ClinicianPatchSchema,
    ClinicianQueryArgsSchema,
    ClinicianSchema,
)
from service.api.common import Blueprint, SelectPage, current_principal
from service.clock import now_utc
from service.domain import clinicians
from service.enums import Role
from service.extensions import db
from service.models import Clinic, Clinician

blp = Blueprint("clinicians", __name__, url_prefix="/api/v1/clinicians", description="Clinic staff")


@blp.route("")
class Clinicians(MethodView):
    @blp.doc(operationId="listClinicians")
    @blp.staff()
    @blp.arguments(ClinicianQueryArgsSchema, location="query")
    @blp.response(200, ClinicianSchema(many=True))
    @blp.paginate(SelectPage)
    def get(self, args):
        """List the clinic's staff (any clinician may look, to see who is on call)."""
        stmt = select(Clinician).where(Clinician.clinic_id == current_principal().clinic_id)
        if "active" in args:
            stmt = stmt.where(Clinician.active == args["active"])
        if "role" in args:
            stmt = stmt.where(Clinician.role == args["role"])
        return stmt.order_by(Clinician.name, Clinician.id)

    @blp.doc(operationId="createClinician")
    @blp.staff(Role.ADMIN)
    @blp.arguments(ClinicianCreateSchema)
    @blp.response(201, ClinicianSchema)
    @blp.errors(409)
    def post(self, body):
        """Add a staff member (password: 15+ characters, not a common one)."""
        clinic = db.session.get(Clinic, current_principal().clinic_id)
        clinician = clinicians.create_clinician(db.session, clinic=clinic, now=now_utc(), **body)
        db.session.commit()
        return clinician


@blp.route("/<uuid:clinician_id>")
class ClinicianById(MethodView):
    @blp.doc(operationId="updateClinician")
    @blp.staff(Role.ADMIN)
    @blp.arguments(ClinicianPatchSchema)
    @blp.response(200, ClinicianSchema)
    @blp.errors(404, 409)
    def patch(self, body, clinician_id):
        """Change a staff member's role, on-call state, password, or deactivate them."""
        principal = current_principal()
        clinician = clinicians.get_clinician(db.session, clinic_id=principal.clinic_id, clinician_id=clinician_id)
        clinician = clinicians.update_clinician(
            db.session, clinician=clinician, actor=principal.clinician, changes=body, now=now_utc()
        )
        db.session.commit()
        return clinician
