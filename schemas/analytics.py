"""Safety intelligence: the query arguments and the figures answered."""

from __future__ import annotations

from datetime import date

from marshmallow import fields, validate

from schemas.base import Answer, Schema
from service.enums import DOSE_BANDS, Route

# Analytics ranges stay inside these days: a day at the calendar's edge has no start in UTC, and windows
# after it would run off the calendar.
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)
_IN_CALENDAR = validate.Range(min=FIRST_DAY, max=LAST_DAY, error="Choose a day from 1900-01-01 to 2999-12-31.")


class RangeArgsSchema(Schema):
    from_ = fields.Date(
        data_key="from",
        required=True,
        validate=_IN_CALENDAR,
        metadata={"description": "First clinic day of the range (YYYY-MM-DD, counted whole)", "example": "2026-11-01"},
    )
    to = fields.Date(
        required=True,
        validate=_IN_CALENDAR,
        metadata={"description": "Last clinic day of the range (YYYY-MM-DD, counted whole)", "example": "2026-11-30"},
    )


class RuleBurdenSchema(Answer):
    rule = fields.String(metadata={"example": "persistent-symptom"})
    version = fields.Integer()
    priority = fields.String(allow_none=True, metadata={"description": "The priority the rule usually fires at"})
    reports = fields.Integer(metadata={"description": "Reports received in the range while this version was in force"})
    flags_opened = fields.Integer(metadata={"description": "Flags of this version opened in the range"})
    joined = fields.Integer(metadata={"description": "Reports that joined an open flag of this version in the range"})
    fire_rate = fields.Float(allow_none=True, metadata={"description": "Flags opened per 100 reports"})
    resolved = fields.Integer(metadata={"description": "Of the flags opened in the range, those resolved"})
    acted_on = fields.Integer(
        metadata={"description": "Resolved with anything other than no_action_needed or duplicate"}
    )
    action_rate = fields.Float(allow_none=True, metadata={"description": "Acted on per 100 resolved"})
    median_minutes_to_acknowledge = fields.Float(allow_none=True)
    p90_minutes_to_acknowledge = fields.Float(allow_none=True)
    target_minutes_to_acknowledge = fields.Integer(
        allow_none=True, metadata={"description": "The clinic's response target for the rule's usual priority"}
    )
    median_minutes_to_resolve = fields.Float(allow_none=True)
    overdue_at_acknowledge = fields.Float(
        allow_none=True, metadata={"description": "Share (0-1) of acknowledged flags first acknowledged after due_by"}
    )
    escalations = fields.Integer(metadata={"description": "Escalation steps recorded on the flags opened in the range"})


class IncidenceArgsSchema(RangeArgsSchema):
    route = fields.Enum(Route, by_value=True, metadata={"description": "Only infusions given this way"})
    dose_band = fields.String(
        validate=validate.OneOf(DOSE_BANDS),
        metadata={
            "description": "Only infusions in this mg/kg band: under_0.5 (< 0.5), 0.5_to_0.75 (0.5 up to 0.75), "
            "0.75_to_1.0 (0.75 to 1.0 inclusive), over_1.0 (> 1.0), unknown (no mg/kg recorded)"
        },
    )


class IncidenceFiguresSchema(Answer):
    infusions = fields.Integer(
        metadata={"description": "Infusions ended in the range with at least one report within 72 h of their end"}
    )
    with_symptom = fields.Integer(
        metadata={"description": "Of those, infusions with the symptom at severity >= 1 within its window"}
    )
    rate = fields.Float(allow_none=True, metadata={"description": "with_symptom / infusions (0-1)"})
    ci_low = fields.Float(allow_none=True, metadata={"description": "Wilson 95% interval, lower bound"})
    ci_high = fields.Float(allow_none=True, metadata={"description": "Wilson 95% interval, upper bound"})
    signal = fields.Boolean(metadata={"description": "ci_low is above the reference rate"})


class IncidenceGroupSchema(IncidenceFiguresSchema):
    key = fields.String(metadata={"description": "The route, the dose band or the clinic month (YYYY-MM)"})


class IncidenceSchema(IncidenceFiguresSchema):
    symptom = fields.String(metadata={"example": "euphoria"})
    window_hours = fields.Integer(
        metadata={"description": "Hours after the infusion's end within which a report of the symptom counts"}
    )
    reference_rate = fields.Float(allow_none=True, metadata={"description": "The rate reported in the literature"})
    reference_source = fields.String(allow_none=True)
    by_route = fields.List(fields.Nested(IncidenceGroupSchema))
    by_dose_band = fields.List(fields.Nested(IncidenceGroupSchema))
    by_month = fields.List(fields.Nested(IncidenceGroupSchema))


class OutcomeCountsSchema(Answer):
    response = fields.Integer(metadata={"description": "PHQ-9 down by at least 50% from baseline"})
    response_rate = fields.Float(allow_none=True, metadata={"description": "response / patients measured (0-1)"})
    remission = fields.Integer(metadata={"description": "PHQ-9 below 5"})
    remission_rate = fields.Float(allow_none=True, metadata={"description": "remission / patients measured (0-1)"})


class OutcomeStepSchema(OutcomeCountsSchema):
    after = fields.String(metadata={"description": "2, 4 or 6 infusions received, or maintenance", "example": "6"})
    patients = fields.Integer(metadata={"description": "Patients with a PHQ-9 in the range at that point"})


class OutcomeWeekSchema(Answer):
    week = fields.Integer(metadata={"description": "Weeks since the first infusion (0: its first 7 days)"})
    patients = fields.Integer()
    median_phq9 = fields.Float()


class OutcomesSchema(OutcomeCountsSchema):
    patients_with_baseline = fields.Integer(
        metadata={"description": "Patients with a PHQ-9 baseline whose first infusion started before the range ends"}
    )
    measured = fields.Integer(
        metadata={"description": "Of those, patients with a PHQ-9 in the range after their first infusion"}
    )
    by_infusions = fields.List(fields.Nested(OutcomeStepSchema))
    median_by_week = fields.List(fields.Nested(OutcomeWeekSchema))
