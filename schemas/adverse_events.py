"""Adverse event bodies: record, correct, submit, list, history, and the CTCAE term list."""

from marshmallow import fields, validate

from schemas.base import Answer, DateOrMoment, Int, Moment, Name, Schema, StrictBoolean, Text, UtcDateTime
from service.enums import ActionTaken, Causality, Outcome, Route, SeriousnessCriterion
from service.vocabulary import CTCAE_TERMS, OTHER_SUFFIX, OTHER_TERM

NARRATIVE_MAX = 10000
TERM_OTHER_MAX = 200
REFERENCE_MAX = 120

_TERM_ERROR = (
    "Not a CTCAE v5.0 term of the list (GET /api/v1/adverse-events/terms); "
    f"use the organ class's '<SOC>{OTHER_SUFFIX}' (e.g. '{OTHER_TERM}') with term_other."
)


def _enum(enum, **kwargs):
    return fields.Enum(enum, by_value=True, **kwargs)


class _Clinical(Schema):
    """The clinical content of an event, as a clinician writes it."""

    term = fields.String(
        validate=validate.OneOf(CTCAE_TERMS, error=_TERM_ERROR),
        metadata={"example": "Hypertension", "description": "A CTCAE v5 term of the list", "enum": list(CTCAE_TERMS)},
    )
    term_other = Name(
        TERM_OTHER_MAX,
        allow_none=True,
        metadata={"description": f"The event in specific words; only (and always) with a '<SOC>{OTHER_SUFFIX}' term"},
    )
    grade = Int(1, 5, metadata={"description": "CTCAE grade: 1 mild … 5 death related to the event", "example": 3})
    serious = StrictBoolean(metadata={"description": "ICH E2A serious; needs at least one seriousness criterion"})
    seriousness = fields.List(
        _enum(SeriousnessCriterion),
        validate=validate.Length(max=len(SeriousnessCriterion)),
        metadata={"description": "ICH E2A criteria; 'death' goes with grade 5 and outcome 'fatal'"},
    )
    causality = _enum(Causality, metadata={"description": "WHO-UMC causality category"})
    action_taken = _enum(ActionTaken, metadata={"description": "What was done with the ketamine treatment"})
    outcome = _enum(Outcome)
    onset_at = Moment(metadata={"example": "2026-11-20T16:10:00-07:00"})
    resolved_at = Moment(allow_none=True, metadata={"description": "Not with outcome recovering or not_recovered"})
    aware_at = Moment(
        metadata={"description": "When the clinic learned of the event (default: now); starts the regulatory clock"}
    )
    narrative = Text(NARRATIVE_MAX, metadata={"example": "BP 186/112 two hours after IV infusion; ..."})
    expected = StrictBoolean(
        allow_none=True,
        metadata={"description": "Expectedness: listed on the product label (true), not (false), not assessed (null)"},
    )
    infusion_id = fields.UUID(
        allow_none=True,
        metadata={"description": "The infusion suspected (default: the report's, else the latest before onset)"},
    )


class AdverseEventCreateSchema(_Clinical):
    flag_id = fields.UUID(metadata={"description": "Record it from this flag (its patient and latest report)"})
    report_id = fields.UUID(metadata={"description": "Record it from this report"})
    patient_id = fields.UUID(metadata={"description": "Record it for this patient directly"})
    term = fields.String(
        required=True,
        validate=validate.OneOf(CTCAE_TERMS, error=_TERM_ERROR),
        metadata={"example": "Hypertension", "description": "A CTCAE v5 term of the list", "enum": list(CTCAE_TERMS)},
    )
    grade = Int(1, 5, required=True, metadata={"description": "CTCAE grade 1-5", "example": 3})
    serious = StrictBoolean(required=True)
    causality = _enum(Causality, required=True, metadata={"description": "WHO-UMC causality category"})
    action_taken = _enum(ActionTaken, required=True)
    outcome = _enum(Outcome, required=True)
    onset_at = Moment(required=True, metadata={"example": "2026-11-20T16:10:00-07:00"})
    narrative = Text(NARRATIVE_MAX, required=True, metadata={"example": "BP 186/112 two hours after IV infusion."})


class AdverseEventPatchSchema(_Clinical):
    pass


class SubmissionSchema(Schema):
    submitted_at = Moment(required=True, metadata={"description": "When the report went to the regulator"})
    reference = Name(REFERENCE_MAX, required=True, metadata={"example": "MW-2026-004211"})


class AdverseEventSchema(Answer):
    id = fields.UUID()
    patient_id = fields.UUID()
    patient_display_name = fields.String()
    flag_id = fields.UUID(allow_none=True)
    report_id = fields.UUID(allow_none=True)
    term = fields.String()
    term_other = fields.String(allow_none=True)
    meddra_code = fields.String(metadata={"description": "MedDRA code CTCAE v5.0 lists for the term"})
    soc = fields.String(metadata={"description": "MedDRA System Organ Class of the term"})
    expected = fields.Boolean(allow_none=True, metadata={"description": "Listed on the product label"})
    grade = fields.Integer()
    serious = fields.Boolean()
    seriousness = fields.List(_enum(SeriousnessCriterion))
    causality = _enum(Causality)
    action_taken = _enum(ActionTaken)
    outcome = _enum(Outcome)
    onset_at = UtcDateTime()
    resolved_at = UtcDateTime(allow_none=True)
    aware_at = UtcDateTime()
    narrative = fields.String()
    infusion_id = fields.UUID(allow_none=True)
    infusion_route = _enum(Route, allow_none=True)
    infusion_dose_mg = fields.Float(allow_none=True)
    infusion_dose_mg_per_kg = fields.Float(allow_none=True)
    infusion_started_at = UtcDateTime(allow_none=True)
    infusion_ended_at = UtcDateTime(allow_none=True)
    regulatory_due_at = UtcDateTime(
        allow_none=True, metadata={"description": "Serious events: 7 days after awareness if fatal or life-threatening"}
    )
    overdue_reporting = fields.Boolean(metadata={"description": "Serious, not submitted, and past its due date"})
    submitted_at = UtcDateTime(allow_none=True)
    submission_reference = fields.String(allow_none=True)
    recorded_by_id = fields.UUID(allow_none=True)
    created_at = UtcDateTime()
    updated_at = UtcDateTime()
    version = fields.Integer(metadata={"description": "Also sent as the ETag; send it back in If-Match"})


class AdverseEventQueryArgsSchema(Schema):
    from_ = DateOrMoment(data_key="from", metadata={"description": "Onset from (a date counts whole)"})
    to = DateOrMoment(metadata={"description": "Onset up to (a date counts whole)"})
    serious = fields.Boolean()
    overdue = fields.Boolean(metadata={"description": "Serious events past their regulatory due date, not submitted"})
    submitted = fields.Boolean()
    patient_id = fields.UUID()


class ExportArgsSchema(Schema):
    from_ = DateOrMoment(data_key="from", required=True, metadata={"example": "2026-01-01"})
    to = DateOrMoment(required=True, metadata={"example": "2026-12-31"})


class VersionSchema(Answer):
    version = fields.Integer()
    at = UtcDateTime()
    actor_id = fields.UUID(allow_none=True)
    actor_name = fields.String(allow_none=True)
    action = fields.String(metadata={"description": "created, updated or submitted"})
    changes = fields.Dict(metadata={"description": "Per field: {old, new}", "example": {"grade": {"old": 2, "new": 3}}})


class TermSchema(Answer):
    term = fields.String()
    meddra_code = fields.String(metadata={"description": "MedDRA code as CTCAE v5.0 lists it", "example": "10020772"})
    soc = fields.String(metadata={"example": "Vascular disorders"})
    soc_code = fields.String(metadata={"example": "10047065"})
    symptom_codes = fields.List(fields.String(), metadata={"description": "Symptom codes of the app mapping to it"})
    needs_description = fields.Boolean()


class MedwatchFieldSchema(Answer):
    item = fields.String(metadata={"description": "The form's item number (A1, B5, D2, …)"})
    label = fields.String()
    value = fields.String(allow_none=True, metadata={"description": "What to copy into the box; null when missing"})
    missing = fields.String(allow_none=True, metadata={"description": "Why the box is empty; null when filled"})


class MedwatchSectionSchema(Answer):
    section = fields.String(
        metadata={
            "description": "A patient, B event, C availability, D product, E device, F other products, G reporter"
        }
    )
    title = fields.String()
    fields_ = fields.List(fields.Nested(MedwatchFieldSchema), data_key="fields", attribute="fields")


class MedwatchSchema(Answer):
    event_id = fields.UUID()
    form = fields.String()
    sections = fields.List(fields.Nested(MedwatchSectionSchema))
    missing = fields.List(fields.String(), metadata={"description": "Every item still to fill in by hand"})
