"""Safety intelligence for physicians and admins: what each rule costs and what it leads to."""

from __future__ import annotations

from flask.views import MethodView

from schemas.analytics import IncidenceArgsSchema, IncidenceSchema, OutcomesSchema, RangeArgsSchema, RuleBurdenSchema
from service.api.common import Blueprint, csv_attachment, csv_response, current_principal
from service.domain import analytics, incidence, outcomes
from service.domain.common import range_bounds
from service.domain.line_listing import csv_chunks
from service.enums import Role
from service.extensions import db
from service.models import Clinic

blp = Blueprint(
    "analytics",
    __name__,
    url_prefix="/api/v1/analytics",
    description="Safety intelligence: rule burden and side-effect incidence (physicians and admins)",
)


def rule_burden_for(args: dict) -> list[dict]:
    """The burden of the caller's clinic's rules over clinic days from..to (both whole)."""
    principal = current_principal()
    zone = db.session.get(Clinic, principal.clinic_id).time_zone
    since, until = range_bounds(args["from_"], args["to"], time_zone=zone)
    return analytics.rule_burden(db.session, clinic_id=principal.clinic_id, since=since, until=until)


@blp.route("/rules")
class RuleBurden(MethodView):
    @blp.staff(Role.PHYSICIAN, Role.ADMIN)
    @blp.arguments(RangeArgsSchema, location="query")
    @blp.response(200, RuleBurdenSchema(many=True))
    @blp.errors(422)
    @blp.doc(operationId="getRuleBurden")
    def get(self, args):
        """Burden per rule and version over clinic days: how often it fires, how often it leads to action, how fast
        it is acknowledged against the target."""
        return rule_burden_for(args)


@blp.route("/rules.csv")
class RuleBurdenCsv(MethodView):
    @blp.staff(Role.PHYSICIAN, Role.ADMIN)
    @blp.arguments(RangeArgsSchema, location="query")
    @blp.response(
        200,
        **csv_response(
            analytics.RULE_COLUMNS,
            "The same figures as /analytics/rules, one row per rule and version (as an attachment).",
        ),
    )
    @blp.errors(422)
    @blp.doc(operationId="exportRuleBurden")
    def get(self, args):
        """Download the rule burden over clinic days as CSV."""
        items = rule_burden_for(args)
        chunks = csv_chunks(analytics.burden_rows(items), columns=analytics.RULE_COLUMNS)
        return csv_attachment(chunks, filename=f"rule-burden_{args['from_'].isoformat()}_{args['to'].isoformat()}.csv")


def incidence_for(args: dict) -> list[dict]:
    """Side-effect rates of the caller's clinic's infusions ended on clinic days from..to (both whole)."""
    principal = current_principal()
    zone = db.session.get(Clinic, principal.clinic_id).time_zone
    since, until = range_bounds(args["from_"], args["to"], time_zone=zone)
    return incidence.incidence(
        db.session,
        clinic_id=principal.clinic_id,
        since=since,
        until=until,
        time_zone=zone,
        route=args.get("route"),
        band=args.get("dose_band"),
    )


@blp.route("/incidence")
class Incidence(MethodView):
    @blp.staff(Role.PHYSICIAN, Role.ADMIN)
    @blp.arguments(IncidenceArgsSchema, location="query")
    @blp.response(200, IncidenceSchema(many=True))
    @blp.errors(422)
    @blp.doc(operationId="getIncidence")
    def get(self, args):
        """Side-effect rates per infusion with Wilson 95% intervals against the literature's rates, by route, dose
        band and month."""
        return incidence_for(args)


@blp.route("/incidence.csv")
class IncidenceCsv(MethodView):
    @blp.staff(Role.PHYSICIAN, Role.ADMIN)
    @blp.arguments(IncidenceArgsSchema, location="query")
    @blp.response(
        200,
        **csv_response(
            incidence.INCIDENCE_COLUMNS,
            "The same figures as /analytics/incidence, one row per symptom and breakdown (as an attachment).",
        ),
    )
    @blp.errors(422)
    @blp.doc(operationId="exportIncidence")
    def get(self, args):
        """Download the side-effect rates over clinic days as CSV."""
        chunks = csv_chunks(incidence.incidence_rows(incidence_for(args)), columns=incidence.INCIDENCE_COLUMNS)
        return csv_attachment(chunks, filename=f"incidence_{args['from_'].isoformat()}_{args['to'].isoformat()}.csv")


@blp.route("/outcomes")
class Outcomes(MethodView):
    @blp.staff(Role.PHYSICIAN, Role.ADMIN)
    @blp.arguments(RangeArgsSchema, location="query")
    @blp.response(200, OutcomesSchema)
    @blp.errors(422)
    @blp.doc(operationId="getOutcomes")
    def get(self, args):
        """PHQ-9 response (down 50% from baseline) and remission (below 5) over clinic days, by infusions received
        and the median PHQ-9 by week since the first infusion."""
        principal = current_principal()
        zone = db.session.get(Clinic, principal.clinic_id).time_zone
        since, until = range_bounds(args["from_"], args["to"], time_zone=zone)
        return outcomes.outcomes(db.session, clinic_id=principal.clinic_id, since=since, until=until)
