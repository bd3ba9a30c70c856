"""Safety intelligence in the console (physicians and admins): rule burden, drawn and exported as CSV.

Each page reads the same domain functions as GET /api/v1/analytics/..., over clinic days chosen
with from/to date inputs (default: the last 30 clinic days), and links to the CSV of the same numbers.
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, g, render_template, request, stream_with_context

from schemas.analytics import RangeArgsSchema
from service.clock import now_utc
from service.domain import analytics
from service.domain.common import range_bounds
from service.domain.line_listing import csv_chunks
from service.enums import Role
from service.errors import DomainError
from service.extensions import db
from service.web import forms
from service.web import session as console
from service.web.analytics_chart import render_rule_burden

blp = Blueprint("analytics", __name__, url_prefix="/analytics")

READERS = (Role.PHYSICIAN, Role.ADMIN)
DEFAULT_DAYS = 30
# The pages of this section, in the order of its sub-navigation.
PAGES = (("console.analytics.rules", "Rule burden"),)


def _chosen() -> dict:
    """The from/to the page was asked for, else the last 30 clinic days up to today."""
    today = now_utc().astimezone(ZoneInfo(g.clinic.time_zone)).date()
    chosen = {name: value for name in ("from", "to") if (value := request.args.get(name, "").strip())}
    chosen.setdefault("to", today.isoformat())
    chosen.setdefault("from", (today - timedelta(days=DEFAULT_DAYS - 1)).isoformat())
    return chosen


def _range(chosen: dict) -> tuple[dict, tuple]:
    """The range loaded with the API's own query schema (a bad date is named: 422) and its instants."""
    args = forms.load(RangeArgsSchema(), chosen)
    return args, range_bounds(args["from_"], args["to"], time_zone=g.clinic.time_zone)


def _csv(rows, columns: tuple[str, ...], filename: str):
    response = current_app.response_class(
        stream_with_context(csv_chunks(rows, columns=columns)), mimetype="text/csv", direct_passthrough=True
    )
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@blp.get("/rules")
@console.page(*READERS)
def rules():
    """Rule burden: which rules fire often, which lead to action, how fast they are acknowledged against target."""
    principal = console.current()
    chosen = _chosen()
    items, errors, status = [], {}, 200
    try:
        _, (since, until) = _range(chosen)
    except DomainError as error:
        errors, status = forms.form_errors(error), error.status
    else:
        items = analytics.rule_burden(db.session, clinic_id=principal.clinic_id, since=since, until=until)
    chart = render_rule_burden(
        items,
        title=f"Rule burden, {chosen['from']} to {chosen['to']}",
        description=(
            "For each rule and version: flags opened per 100 reports, the share of resolved flags acted on, "
            "and the median and 90th-percentile minutes to acknowledge against the response target."
        ),
    )
    page = render_template("console/analytics_rules.html", items=items, chart=chart, chosen=chosen, errors=errors)
    return page, status


@blp.get("/rules.csv")
@console.page(*READERS)
def rules_csv():
    """Download the rule burden over the chosen clinic days as CSV (the API's columns)."""
    principal = console.current()
    args, (since, until) = _range(_chosen())
    items = analytics.rule_burden(db.session, clinic_id=principal.clinic_id, since=since, until=until)
    name = f"rule-burden_{args['from_'].isoformat()}_{args['to'].isoformat()}.csv"
    return _csv(analytics.burden_rows(items), analytics.RULE_COLUMNS, name)
