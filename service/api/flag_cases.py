"""The triage queue as cases: one row per patient, their flags (each with its own actions) under it.

A separate operation rather than ``GET /flags?group=patient``: flask-smorest documents one success schema
per operation, and a oneOf of two arrays cannot tell them apart (an empty list matches both), so
generated clients would get an untyped union back from ``listFlags``. ``listFlagCases`` has one shape and
pages over cases, not flags; ``GET /flags`` is unchanged (``group`` there answers a 422 pointing here).
"""

from __future__ import annotations

from flask import jsonify
from flask.views import MethodView

from schemas.fast import FlatDumper
from schemas.flags import FlagCaseArgsSchema, FlagCaseSchema
from service.api.common import Blueprint, current_principal
from service.api.flags import NEXT_CURSOR, next_page_headers, queue_filter
from service.clock import now_utc
from service.domain import flags
from service.extensions import db

blp = Blueprint(
    "flag_cases",
    __name__,
    url_prefix="/api/v1/flag-cases",
    description="Triage: the queue as cases, one per patient with their flags under it",
)

_CASES = FlatDumper(FlagCaseSchema())


@blp.route("")
class Cases(MethodView):
    @blp.doc(operationId="listFlagCases")
    @blp.staff()
    @blp.arguments(FlagCaseArgsSchema, location="query")
    @blp.response(200, FlagCaseSchema(many=True), headers=NEXT_CURSOR)
    def get(self, args):
        """List the queue by patient: one case per patient, led by their most urgent flag; page with cursor."""
        cases, next_cursor = flags.case_page(
            db.session,
            clinic_id=current_principal().clinic_id,
            filters=queue_filter(args),
            cursor=args.get("cursor"),
            limit=args["limit"],
            now=now_utc(),
        )
        return jsonify(_CASES.many(cases)), 200, next_page_headers("flag_cases.Cases", next_cursor)
