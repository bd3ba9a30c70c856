"""The audit trail, for a clinic's admins: who read or changed which patient's data, when, from where."""

from __future__ import annotations

from flask.views import MethodView

from schemas.audit import AuditEntrySchema, AuditQueryArgsSchema
from service.api.common import Blueprint, SelectPage, current_principal
from service.domain import audit
from service.domain.common import range_bounds
from service.enums import Role
from service.extensions import db
from service.models import Clinic

blp = Blueprint("audit", __name__, url_prefix="/api/v1/audit", description="The audit trail (admins)")


@blp.route("")
class AuditTrail(MethodView):
    @blp.doc(operationId="listAuditEntries")
    @blp.staff(Role.ADMIN)
    @blp.arguments(AuditQueryArgsSchema, location="query")
    @blp.response(200, AuditEntrySchema(many=True))
    @blp.paginate(SelectPage)
    def get(self, args):
        """Search the clinic's audit trail, newest first (by actor, patient, resource, action, date range)."""
        principal = current_principal()
        zone = db.session.get(Clinic, principal.clinic_id).time_zone
        since, until = range_bounds(args.get("from_"), args.get("to"), time_zone=zone)
        filters = audit.AuditFilter(
            actor_id=args.get("actor_id"),
            patient_id=args.get("patient_id"),
            resource_type=args.get("resource_type"),
            resource_id=args.get("resource_id"),
            action=args.get("action"),
            since=since,
            until=until,
        )
        return audit.audit_query(clinic_id=principal.clinic_id, filters=filters)
