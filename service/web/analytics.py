"""Safety intelligence in the console (physicians and admins): rule burden, drawn and exported as CSV.

Each page reads the same domain functions as GET /api/v1/analytics/..., over clinic days chosen
with from/to date inputs (default: the last 30 clinic days), and links to the CSV of the same numbers.
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, g, render_template, request, stream_with_context

from schemas.analytics import IncidenceArgsSchema, RangeArgsSchema
from service.clock import now_utc
from service.domain import analytics, incidence, outcomes
from service.domain.common import range_bounds
from service.domain.line_listing import csv_chunks
from service.enums import DOSE_BANDS, ROUTE_LABELS, Role, Route
from service.errors import DomainError
from service.extensions import db
from service.rules.wording import symptom_name
from service.web import forms
from service.web import session as console
from service.web.analytics_chart import render_forest, render_outcomes, render_rule_burden

blp = Blueprint("analytics", __name__, url_prefix="/analytics")

READERS = (Role.PHYSICIAN, Role.ADMIN)
DEFAULT_DAYS = 30
# The pages of this section, in the order of its sub-navigation.
PAGES = (
    ("console.analytics.rules", "Rule burden"),
    ("console.analytics.incidence_page", "Side effects vs literature"),
    ("console.analytics.outcomes_page", "Outcomes"),
)


def _chosen(names: tuple[str, ...] = ("from", "to")) -> dict:
    """The from/to (and filters) the page was asked for; by default the last 30 clinic days up to today."""
    today = now_utc().astimezone(ZoneInfo(g.clinic.time_zone)).date()
    chosen = {name: value for name in names if (value := request.args.get(name, "").strip())}
    chosen.setdefault("to", today.isoformat())
    chosen.setdefault("from", (today - timedelta(days=DEFAULT_DAYS - 1)).isoformat())
    return chosen


def _range(chosen: dict, schema=RangeArgsSchema) -> tuple[dict, tuple]:
    """The query loaded with the API's own schema (a bad value is named: 422) and the range's instants."""
    args = forms.load(schema(), chosen)
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


INCIDENCE_FILTERS = ("from", "to", "route", "dose_band")
BAND_LABELS = {
    "under_0.5": "under 0.5 mg/kg",
    "0.5_to_0.75": "0.5 to 0.75 mg/kg",
    "0.75_to_1.0": "0.75 to 1.0 mg/kg",
    "over_1.0": "over 1.0 mg/kg",
    "unknown": "no mg/kg recorded",
}


def _incidence(chosen: dict) -> tuple[dict, list[dict]]:
    principal = console.current()
    args, (since, until) = _range(chosen, IncidenceArgsSchema)
    items = incidence.incidence(
        db.session,
        clinic_id=principal.clinic_id,
        since=since,
        until=until,
        time_zone=g.clinic.time_zone,
        route=args.get("route"),
        band=args.get("dose_band"),
    )
    return args, items


@blp.get("/incidence")
@console.page(*READERS)
def incidence_page():
    """Side effects against the literature: a forest plot of rates with 95% intervals and the reference rates."""
    chosen = _chosen(INCIDENCE_FILTERS)
    items, errors, status = [], {}, 200
    try:
        _, items = _incidence(chosen)
    except DomainError as error:
        errors, status = forms.form_errors(error), error.status
    for item in items:
        item["label"] = symptom_name(item["symptom"]).capitalize()
    # Symptoms with a reference first (the comparison is the point), then those anyone reported.
    drawn = [item for item in items if item["reference_rate"] is not None or item["with_symptom"]]
    chart = render_forest(
        drawn,
        title=f"Side effects per followed-up infusion, {chosen['from']} to {chosen['to']}",
        description=(
            "For each symptom: the share of infusions followed up within 72 hours that had it, with its Wilson 95% "
            "interval, and the rate reported in the literature; a signal where the whole interval lies above it."
        ),
    )
    filters = [
        ("route", "Route", [("", "Any route"), *((r.value, ROUTE_LABELS[r]) for r in Route)]),
        ("dose_band", "Dose band", [("", "Any dose"), *((b, BAND_LABELS[b]) for b in DOSE_BANDS)]),
    ]
    page = render_template(
        "console/analytics_incidence.html",
        items=items,
        chart=chart,
        chosen=chosen,
        errors=errors,
        extra_filters=filters,
        band_labels=BAND_LABELS,
        csv_args={k: v for k, v in chosen.items()},
    )
    return page, status


@blp.get("/incidence.csv")
@console.page(*READERS)
def incidence_csv():
    """Download the side-effect rates over the chosen clinic days as CSV (the API's columns)."""
    args, items = _incidence(_chosen(INCIDENCE_FILTERS))
    name = f"incidence_{args['from_'].isoformat()}_{args['to'].isoformat()}.csv"
    return _csv(incidence.incidence_rows(items), incidence.INCIDENCE_COLUMNS, name)


OUTCOME_COLUMNS = ("stage", "patients", "response", "response_rate", "remission", "remission_rate")


def _outcome_rows(answer: dict):
    stages = [{"after": "latest", "patients": answer["measured"], **answer}, *answer["by_infusions"]]
    for stage in stages:
        yield [stage["after"], *("" if stage[c] is None else str(stage[c]) for c in OUTCOME_COLUMNS[1:])]
    for week in answer["median_by_week"]:
        yield [f"week {week['week']} median PHQ-9", str(week["patients"]), str(week["median_phq9"]), "", "", ""]


@blp.get("/outcomes")
@console.page(*READERS)
def outcomes_page():
    """Outcomes: how many patients respond (PHQ-9 down by half) and remit (below 5), by stage and week."""
    principal = console.current()
    chosen = _chosen()
    answer, errors, status = None, {}, 200
    try:
        _, (since, until) = _range(chosen)
    except DomainError as error:
        errors, status = forms.form_errors(error), error.status
    else:
        answer = outcomes.outcomes(db.session, clinic_id=principal.clinic_id, since=since, until=until)
    chart = None
    if answer is not None:
        chart = render_outcomes(
            answer,
            title=f"Outcomes, {chosen['from']} to {chosen['to']}",
            description=(
                "Share of patients with a PHQ-9 baseline whose latest PHQ-9 fell by half (response) or below 5 "
                "(remission), overall and after 2, 4 and 6 infusions and in maintenance; median PHQ-9 by week."
            ),
        )
    page = render_template(
        "console/analytics_outcomes.html",
        answer=answer,
        chart=chart,
        chosen=chosen,
        errors=errors,
        csv_args={"from": chosen["from"], "to": chosen["to"]},
    )
    return page, status


@blp.get("/outcomes.csv")
@console.page(*READERS)
def outcomes_csv():
    """Download the outcomes over the chosen clinic days as CSV."""
    principal = console.current()
    args, (since, until) = _range(_chosen())
    answer = outcomes.outcomes(db.session, clinic_id=principal.clinic_id, since=since, until=until)
    name = f"outcomes_{args['from_'].isoformat()}_{args['to'].isoformat()}.csv"
    return _csv(_outcome_rows(answer), OUTCOME_COLUMNS, name)
