"""A patient's timeline: infusions, reports, flags and check-ins in one list."""

from marshmallow import fields, validate

from schemas.base import Answer, Moment, Schema, UtcDateTime
from service.enums import FlagPriority, FlagStatus, Resolution, SafetyRisk


class TimelineArgsSchema(Schema):
    since = Moment(metadata={"description": "Start of the window (default: 60 days before until)"})
    until = Moment(metadata={"description": "End of the window, exclusive (default: now); at most 366 days"})


class TimelineSymptomSchema(Answer):
    code = fields.String()
    severity = fields.Integer()
    note = fields.String(allow_none=True)


class TimelineVitalsSchema(Answer):
    systolic = fields.Integer(allow_none=True)
    diastolic = fields.Integer(allow_none=True)
    heart_rate = fields.Integer(allow_none=True)


class TimelineInfusionSchema(Answer):
    started_at = UtcDateTime()
    ended_at = UtcDateTime(allow_none=True)
    route = fields.String()
    phase = fields.String()
    dose_mg = fields.Float(allow_none=True)
    dose_mg_per_kg = fields.Float(allow_none=True)
    cumulative_infusions = fields.Integer(
        metadata={"description": "Infusions the patient has had up to and including this one (whole history)"}
    )
    cumulative_dose_mg = fields.Float(
        allow_none=True,
        metadata={"description": "Sum of dose_mg up to and including this one, over infusions that recorded it"},
    )
    cumulative_dose_mg_per_kg = fields.Float(
        allow_none=True,
        metadata={"description": "Sum of dose_mg_per_kg up to and including this one, over infusions that recorded it"},
    )


class TimelineCumulativeSchema(Answer):
    infusions = fields.Integer(metadata={"description": "Infusions before `until`, over the whole history"})
    dose_mg = fields.Float(allow_none=True, metadata={"description": "Total mg (null: none recorded)"})
    dose_mg_per_kg = fields.Float(allow_none=True, metadata={"description": "Total mg/kg (null: none recorded)"})
    without_mg = fields.Integer(metadata={"description": "Infusions with no mg recorded (not in dose_mg)"})
    without_mg_per_kg = fields.Integer(
        metadata={"description": "Infusions with no mg/kg recorded (not in dose_mg_per_kg)"}
    )
    first_infusion_at = UtcDateTime(allow_none=True)
    last_infusion_at = UtcDateTime(allow_none=True)


class TimelineReportSchema(Answer):
    observed_at = UtcDateTime()
    symptoms = fields.List(fields.Nested(TimelineSymptomSchema))
    mood = fields.Integer(allow_none=True)
    phq9_total = fields.Integer(allow_none=True)
    suicidal_thoughts = fields.Boolean(allow_none=True)
    vitals = fields.Nested(TimelineVitalsSchema, allow_none=True)
    note = fields.String(allow_none=True)
    flagged = fields.Boolean()
    priority = fields.String(allow_none=True, metadata={"enum_of": FlagPriority})
    crisis = fields.Boolean(metadata={"description": "The report carried a suicidal-ideation signal"})
    rules = fields.List(fields.String(), metadata={"description": "The rules that fired"})
    safety_screen_risk = fields.String(allow_none=True, metadata={"enum_of": SafetyRisk})
    amends_id = fields.UUID(allow_none=True)
    reviewed_at = UtcDateTime(allow_none=True)


class TimelineFlagSchema(Answer):
    rule = fields.String()
    priority = fields.String(metadata={"enum_of": FlagPriority})
    status = fields.String(metadata={"enum_of": FlagStatus})
    reason = fields.String()
    due_by = UtcDateTime()
    resolved_at = UtcDateTime(allow_none=True)
    resolution = fields.String(allow_none=True, metadata={"enum_of": Resolution})


class TimelineCheckinSchema(Answer):
    kind = fields.String(metadata={"example": "24h"})
    due_at = UtcDateTime()
    status = fields.String()
    asks_phq9 = fields.Boolean()
    answered_at = UtcDateTime(allow_none=True)


class TimelineEntrySchema(Answer):
    SOMETIMES = ("infusion", "report", "flag", "checkin")  # the one its kind names
    kind = fields.String(validate=validate.OneOf(["infusion", "report", "flag", "checkin"]))
    at = UtcDateTime(metadata={"description": "When it happened (infusion start, observation, flag opened)"})
    id = fields.UUID()
    summary = fields.String(metadata={"example": "nausea 2/4, headache 1/4 · mood 6/10 · BP 132/84"})
    infusion = fields.Nested(TimelineInfusionSchema, metadata={"description": "Only on kind=infusion"})
    report = fields.Nested(TimelineReportSchema, metadata={"description": "Only on kind=report"})
    flag = fields.Nested(TimelineFlagSchema, metadata={"description": "Only on kind=flag"})
    checkin = fields.Nested(TimelineCheckinSchema, metadata={"description": "Only on kind=checkin"})


class TimelineSchema(Answer):
    patient_id = fields.UUID()
    since = UtcDateTime()
    until = UtcDateTime()
    entries = fields.List(fields.Nested(TimelineEntrySchema), metadata={"description": "Newest first"})
    cumulative = fields.Nested(
        TimelineCumulativeSchema,
        metadata={"description": "Long-term exposure: the patient's infusions and dose up to `until`"},
    )
