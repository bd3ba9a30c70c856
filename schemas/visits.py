"""The visit in the clinic: screening and observation bodies and answers."""

from __future__ import annotations

from marshmallow import ValidationError, fields, validates_schema

from schemas.base import Answer, Int, Moment, Number, Schema, StrictBoolean, Text, UtcDateTime
from service.enums import ScreeningDecision

_CHECK = "Ticked (true) or not (false); every item of the checklist is answered"


class ScreeningCreateSchema(Schema):
    systolic = Int(50, 300, required=True, metadata={"description": "At rest, mmHg", "example": 128})
    diastolic = Int(30, 200, required=True, metadata={"description": "At rest, mmHg; below systolic", "example": 82})
    heart_rate = Int(20, 250, required=True, metadata={"description": "At rest, beats/min", "example": 72})
    weight_kg = Number(20, 350, required=True, metadata={"description": "For the mg/kg dose", "example": 70.5})
    pregnancy = StrictBoolean(required=True, metadata={"description": _CHECK + " (holds the infusion)"})
    uncontrolled_hypertension = StrictBoolean(required=True, metadata={"description": _CHECK + " (holds)"})
    active_psychosis = StrictBoolean(required=True, metadata={"description": _CHECK + " (holds)"})
    substance_use_since_last_visit = StrictBoolean(required=True, metadata={"description": _CHECK})
    new_medications = StrictBoolean(required=True, metadata={"description": _CHECK})
    new_medications_detail = Text(500, allow_none=True, metadata={"description": "Required with new_medications"})
    last_meal_at = Moment(allow_none=True, metadata={"example": "2026-11-20T08:30:00-07:00"})
    notes = Text(2000, allow_none=True)
    decision = fields.Enum(
        ScreeningDecision,
        by_value=True,
        allow_none=True,
        metadata={"description": "For a screening on hold only: proceed (with decision_reason) or postpone"},
    )
    decision_reason = Text(1000, allow_none=True, metadata={"description": "Required to proceed despite a hold"})

    @validates_schema
    def _diastolic_below(self, data, **kwargs):
        if "systolic" in data and "diastolic" in data and data["diastolic"] >= data["systolic"]:
            raise ValidationError("Diastolic must be below systolic.", field_name="diastolic")


class CheckInAnswerSchema(Answer):
    id = fields.UUID()
    observed_at = UtcDateTime()
    mood = fields.Integer(allow_none=True)
    suicidal_thoughts = fields.Boolean(allow_none=True)
    systolic = fields.Integer(allow_none=True)
    diastolic = fields.Integer(allow_none=True)
    heart_rate = fields.Integer(allow_none=True)
    symptoms = fields.List(fields.Dict(), metadata={"description": "[{code, severity}]"})


class ScreeningSchema(Answer):
    """The infusion's screening; before one is recorded the readings are null and status is not_screened."""

    infusion_id = fields.UUID()
    status = fields.String(
        metadata={"description": "not_screened, clear, hold (a decision is needed: re-check), proceed or postpone"}
    )
    status_text = fields.String(metadata={"example": "hold: re-check"})
    hold = fields.Boolean()
    hold_reasons = fields.List(fields.String())
    hold_systolic = fields.Integer(metadata={"description": "The clinic's hold line (default 140/90)"})
    hold_diastolic = fields.Integer()
    systolic = fields.Integer(allow_none=True)
    diastolic = fields.Integer(allow_none=True)
    heart_rate = fields.Integer(allow_none=True)
    weight_kg = fields.Float(allow_none=True)
    pregnancy = fields.Boolean(allow_none=True)
    uncontrolled_hypertension = fields.Boolean(allow_none=True)
    active_psychosis = fields.Boolean(allow_none=True)
    substance_use_since_last_visit = fields.Boolean(allow_none=True)
    new_medications = fields.Boolean(allow_none=True)
    new_medications_detail = fields.String(allow_none=True)
    last_meal_at = UtcDateTime(allow_none=True)
    notes = fields.String(allow_none=True)
    decision = fields.Enum(ScreeningDecision, by_value=True, allow_none=True)
    decision_reason = fields.String(allow_none=True)
    decided_by_id = fields.UUID(allow_none=True)
    decided_at = UtcDateTime(allow_none=True)
    recorded_by_id = fields.UUID(allow_none=True)
    recorded_at = UtcDateTime(allow_none=True)
    rechecks = fields.Integer()
    pre_infusion_check_in = fields.List(
        fields.Nested(CheckInAnswerSchema),
        metadata={"description": "The patient's own reports from the phone in the 24 h before the infusion started"},
    )


class ObservationCreateSchema(Schema):
    observed_at = Moment(required=True, metadata={"example": "2026-11-20T14:40:00-07:00"})
    systolic = Int(50, 300, allow_none=True, metadata={"example": 138})
    diastolic = Int(30, 200, allow_none=True, metadata={"description": "Below systolic", "example": 86})
    heart_rate = Int(20, 250, allow_none=True, metadata={"example": 84})
    spo2 = Int(50, 100, allow_none=True, metadata={"description": "Oxygen saturation, %", "example": 97})
    sedation_moass = Int(
        0, 5, allow_none=True, metadata={"description": "MOASS: 5 alert … 0 unresponsive to painful stimuli"}
    )
    dissociation = Int(0, 4, allow_none=True, metadata={"description": "0 none … 4 extreme (a 0-4 rating)"})
    cadss6 = Int(0, 24, allow_none=True, metadata={"description": "CADSS-6 total (six items 0-4)"})
    note = Text(1000, allow_none=True)

    @validates_schema
    def _pressure(self, data, **kwargs):
        systolic, diastolic = data.get("systolic"), data.get("diastolic")
        if (systolic is None) != (diastolic is None):
            raise ValidationError("Give systolic and diastolic together.", field_name="diastolic")
        if systolic is not None and diastolic >= systolic:
            raise ValidationError("Diastolic must be below systolic.", field_name="diastolic")


class ObservationSchema(Answer):
    id = fields.UUID()
    observed_at = UtcDateTime()
    minute = fields.Integer(metadata={"description": "Minutes from the start of the infusion"})
    systolic = fields.Integer(allow_none=True)
    diastolic = fields.Integer(allow_none=True)
    heart_rate = fields.Integer(allow_none=True)
    spo2 = fields.Integer(allow_none=True)
    sedation_moass = fields.Integer(allow_none=True)
    dissociation = fields.Integer(allow_none=True)
    cadss6 = fields.Integer(allow_none=True)
    note = fields.String(allow_none=True)
    rules = fields.List(fields.String(), metadata={"description": "The rules that fired on these readings"})
    flag_ids = fields.List(fields.String(), metadata={"description": "The flags they opened or joined"})
    outside_limits = fields.List(fields.String(), metadata={"description": "Readings outside the clinic's limits"})
    recorded_by_id = fields.UUID(allow_none=True)
    created_at = UtcDateTime()


class MonitoringSchema(Answer):
    infusion_id = fields.UUID()
    limits = fields.Dict(
        keys=fields.String(), values=fields.Integer(), metadata={"description": "The clinic's limits in the chair"}
    )
    observations = fields.List(fields.Nested(ObservationSchema))


_READY = "Must be true to discharge"


class DischargeCreateSchema(Schema):
    discharged_at = Moment(metadata={"description": "Default: now", "example": "2026-11-20T16:10:00-07:00"})
    vitals_near_baseline = StrictBoolean(required=True, metadata={"description": _READY})
    alert = StrictBoolean(required=True, metadata={"description": _READY})
    ride_home = StrictBoolean(required=True, metadata={"description": _READY})
    told_not_to_drive = StrictBoolean(required=True, metadata={"description": _READY + " (until the next day)"})
    override_reason = Text(
        1000,
        allow_none=True,
        metadata={"description": "Required while the latest reading is outside the clinic's limits"},
    )
    note = Text(1000, allow_none=True)


class DischargeSchema(Answer):
    infusion_id = fields.UUID()
    discharged = fields.Boolean()
    discharged_at = UtcDateTime(allow_none=True)
    vitals_near_baseline = fields.Boolean(allow_none=True)
    alert = fields.Boolean(allow_none=True)
    ride_home = fields.Boolean(allow_none=True)
    told_not_to_drive = fields.Boolean(allow_none=True)
    outside_limits = fields.List(fields.String(), metadata={"description": "Outside the limits when discharged"})
    override_reason = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    recorded_by_id = fields.UUID(allow_none=True)
    outside_limits_now = fields.List(
        fields.String(), metadata={"description": "What the latest reading has outside the clinic's limits now"}
    )
    first_checkin_due_at = UtcDateTime(
        allow_none=True, metadata={"description": "The first check-in after the infusion (counts from discharge)"}
    )


class RequirementSchema(Answer):
    key = fields.String(
        metadata={
            "description": "bp_before_dose, bp_about_40_minutes, sedation_assessed, dissociation_assessed, "
            "observed_two_hours, discharge_readiness"
        }
    )
    label = fields.String()
    met = fields.Boolean()
    detail = fields.String(metadata={"description": "What the visit's records show, in words"})


class RecordPatientSchema(Answer):
    id = fields.UUID()
    display_name = fields.String()
    date_of_birth = fields.Date()
    mrn = fields.String(allow_none=True)


class RecordSessionSchema(Answer):
    started_at = UtcDateTime()
    ended_at = UtcDateTime(allow_none=True)
    route = fields.String()
    dose_mg = fields.Float(allow_none=True)
    phase = fields.String()


class MonitoringRecordSchema(Answer):
    """The REMS-style monitoring record of an esketamine (intranasal) session."""

    infusion_id = fields.UUID()
    applies = fields.Boolean(metadata={"description": "True for an intranasal (esketamine) session"})
    complete = fields.Boolean(metadata={"description": "Every requirement met"})
    patient = fields.Nested(RecordPatientSchema)
    session = fields.Nested(RecordSessionSchema)
    observed_minutes = fields.Integer(metadata={"description": "From the dose to the last reading or discharge"})
    requirements = fields.List(fields.Nested(RequirementSchema))
    screening = fields.Nested(ScreeningSchema)
    observations = fields.List(fields.Nested(ObservationSchema))
    discharge = fields.Nested(DischargeSchema)
    rules_fired = fields.List(fields.String(), metadata={"description": "Rules the readings in the chair raised"})
