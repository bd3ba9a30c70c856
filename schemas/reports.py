"""Symptom report bodies: what the phone sends, what it is told, what clinicians read."""

from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from schemas.base import Answer, Int, Moment, Schema, StrictBoolean, Text, UtcDateTime
from service.enums import FlagPriority, Language, SafetyRisk
from service.vocabulary import CODES, MAX_SEVERITY, SEVERITY_SCALE, SYMPTOMS, severity_label, symptom_label

MAX_NOTE = 2000
SYMPTOM_CODE = "A code from GET /symptoms (the clinic's vocabulary; it may grow)"


def known_symptom_code(code: str) -> None:
    """A code of the vocabulary. Not an enum in the document: clients read the codes from GET /symptoms."""
    if code not in CODES:
        raise ValidationError(f"Unknown symptom code {code!r}; valid codes: " + ", ".join(CODES))


class SymptomEntrySchema(Schema):
    code = fields.String(
        required=True,
        validate=known_symptom_code,
        metadata={"example": "nausea", "description": SYMPTOM_CODE},
    )
    severity = Int(
        0,
        MAX_SEVERITY,
        required=True,
        metadata={"description": "PRO-CTCAE: 0 none, 1 mild, 2 moderate, 3 severe, 4 very severe", "example": 2},
    )
    started_at = Moment(metadata={"example": "2026-11-20T15:30:00-07:00"})
    note = Text(MAX_NOTE, allow_none=True, metadata={"description": "Required for code 'other'"})

    @validates_schema
    def _other_needs_description(self, data, **kwargs):
        if data.get("code") == "other" and not (data.get("note") or "").strip():
            raise ValidationError("Describe the symptom in 'note' when the code is 'other'.", field_name="note")


class VitalsSchema(Schema):
    systolic = Int(50, 300, metadata={"example": 128})
    diastolic = Int(30, 200, metadata={"example": 84})
    heart_rate = Int(20, 250, metadata={"example": 76})

    @validates_schema
    def _coherent(self, data, **kwargs):
        if not data:
            raise ValidationError("Give at least one of systolic/diastolic or heart_rate.", field_name="_schema")
        if ("systolic" in data) != ("diastolic" in data):
            missing = "diastolic" if "systolic" in data else "systolic"
            raise ValidationError("Give systolic and diastolic together.", field_name=missing)
        if "systolic" in data and data["diastolic"] >= data["systolic"]:
            raise ValidationError("Diastolic must be below systolic.", field_name="diastolic")


class ReportCreateSchema(Schema):
    """What the phone sends."""

    client_report_id = fields.UUID(
        required=True,
        metadata={
            "description": "Made on the phone; sending the same report again is safe (idempotent).",
            "example": "5b0f3f4e-3c1e-4d0e-9a57-2f1b1d5d8c11",
        },
    )
    observed_at = Moment(
        required=True,
        metadata={
            "description": "When the patient noticed this, with offset; not more than 5 min ahead or 30 days old.",
            "example": "2026-11-20T16:10:00-07:00",
        },
    )
    symptoms = fields.List(
        fields.Nested(SymptomEntrySchema),
        validate=validate.Length(max=len(CODES)),
        metadata={"description": "An empty list means 'no symptoms'."},
    )
    mood = Int(0, 10, allow_none=True, metadata={"description": "0 worst - 10 best", "example": 6})
    suicidal_thoughts = StrictBoolean(allow_none=True)
    ketamine_outside_clinic = StrictBoolean(
        allow_none=True,
        metadata={
            "description": "The long-term check-in's yes/no question: ketamine taken anywhere but the clinic since "
            "the last check-in (a yes is a misuse signal)"
        },
    )
    phq9 = fields.List(
        Int(0, 3),
        allow_none=True,
        validate=validate.Length(equal=9, error="PHQ-9 has exactly 9 items."),
        metadata={"example": [1, 1, 0, 2, 1, 0, 0, 1, 0]},
    )
    vitals = fields.Nested(VitalsSchema, allow_none=True)
    note = Text(MAX_NOTE, allow_none=True)
    infusion_id = fields.UUID(
        allow_none=True, metadata={"description": "Default: the latest infusion that ended before observed_at"}
    )
    checkin_id = fields.UUID(allow_none=True)
    amends = fields.UUID(allow_none=True, metadata={"description": "Id of an earlier report this one corrects"})

    @validates_schema
    def _meaningful(self, data, **kwargs):
        content = ("symptoms", "mood", "suicidal_thoughts", "ketamine_outside_clinic", "phq9", "vitals", "note")
        if not any(data.get(key) is not None for key in content):
            raise ValidationError(
                "A report needs symptoms (an empty list means none), mood, suicidal_thoughts, phq9, vitals or a note.",
                field_name="symptoms",
            )
        codes = [entry["code"] for entry in data.get("symptoms") or [] if "code" in entry]
        duplicates = sorted({code for code in codes if codes.count(code) > 1})
        if duplicates:
            raise ValidationError(
                f"Each symptom once per report; repeated: {', '.join(duplicates)}.", field_name="symptoms"
            )


class ReportBatchSchema(Schema):
    reports = fields.List(
        fields.Raw(),
        required=True,
        validate=validate.Length(min=1, max=100),
        metadata={"description": "Up to 100 reports, each handled on its own."},
    )


class ReportBatchDocSchema(Schema):
    """Documents the batch body; items are parsed one by one so a bad item never blocks the others."""

    reports = fields.List(fields.Nested(ReportCreateSchema), required=True, validate=validate.Length(min=1, max=100))


class CrisisResourceSchema(Answer):
    SOMETIMES = ("phone", "sms")  # a resource gives the ways it can be reached
    label = fields.String()
    phone = fields.String()
    sms = fields.String()


class AdviceSchema(Schema):
    rule = fields.String(required=True, metadata={"description": "The rule whose advice this is"})
    text = fields.String(
        required=True,
        metadata={"description": "What to do now, in the patient's language (a clinic may word it its own way)"},
    )


class SafetyScreenQuestionSchema(Schema):
    key = fields.String(required=True, metadata={"description": "The answer's field in the safety-screen body"})
    text = fields.String(required=True)
    asked_when = fields.String(
        allow_none=True,
        required=True,
        metadata={"description": "Ask only when this earlier answer is yes (null: always ask)"},
    )


class SafetyScreenOfferSchema(Schema):
    path = fields.String(required=True, metadata={"description": "Where to POST the answers"})
    questions = fields.List(fields.Nested(SafetyScreenQuestionSchema), required=True)


class TriageSchema(Schema):
    flagged = fields.Boolean(required=True)
    priority = fields.String(allow_none=True, required=True, metadata={"enum_of": FlagPriority})
    paged = fields.Boolean(
        required=True, metadata={"description": "A clinician was paged by this report, in the same second"}
    )
    message = fields.String(required=True, metadata={"example": "Thank you. Your care team can see this report."})
    advice = fields.List(
        fields.Nested(AdviceSchema),
        required=True,
        metadata={"description": "What to do now (emergency advice first); empty when there is none"},
    )
    crisis_resources = fields.List(
        fields.Nested(CrisisResourceSchema), metadata={"description": "After a suicidal-ideation signal: show first"}
    )
    safety_screen = fields.Nested(
        SafetyScreenOfferSchema,
        metadata={"description": "After a suicidal-ideation signal, until answered: show these questions at once"},
    )


class SafetyScreenSchema(Schema):
    """The patient's answers to the C-SSRS screener (yes/no); method, intent and plan only after a yes to
    suicidal_thoughts, behavior_recent only after a yes to behavior."""

    wish_dead = StrictBoolean(required=True)
    suicidal_thoughts = StrictBoolean(required=True)
    method = StrictBoolean(allow_none=True)
    intent = StrictBoolean(allow_none=True)
    plan = StrictBoolean(allow_none=True)
    behavior = StrictBoolean(required=True)
    behavior_recent = StrictBoolean(allow_none=True)


class SafetyScreenResultSchema(Schema):
    risk = fields.String(required=True, metadata={"enum_of": SafetyRisk})
    paged = fields.Boolean(required=True, metadata={"description": "High risk paged the care team again"})
    message = fields.String(required=True)
    crisis_resources = fields.List(fields.Nested(CrisisResourceSchema), required=True)


class SafetyScreenViewSchema(Answer):
    risk = fields.String(metadata={"enum_of": SafetyRisk})
    answered_at = UtcDateTime()
    answers = fields.Dict(keys=fields.String(), values=fields.Boolean(allow_none=True))


class ReportReceiptSchema(Schema):
    """What the phone is told about a stored report (dumped by FlatDumper, see schemas.fast)."""

    id = fields.UUID(required=True)
    client_report_id = fields.UUID(required=True)
    received_at = UtcDateTime(required=True)
    infusion_id = fields.UUID(allow_none=True, required=True)
    triage = fields.Nested(TriageSchema, required=True)


class BatchItemResultSchema(Schema):
    client_report_id = fields.String(allow_none=True)
    status = fields.Integer(required=True, metadata={"enum": [200, 201, 409, 422]})
    id = fields.UUID()
    triage = fields.Nested(TriageSchema)
    errors = fields.Dict()


class BatchResultSchema(Schema):
    results = fields.List(fields.Nested(BatchItemResultSchema), required=True)


class SymptomReadSchema(Answer):
    code = fields.String(metadata={"description": SYMPTOM_CODE})
    severity = fields.Integer()
    started_at = UtcDateTime(allow_none=True)
    note = fields.String(allow_none=True)


class VitalsReadSchema(Answer):
    systolic = fields.Integer(allow_none=True)
    diastolic = fields.Integer(allow_none=True)
    heart_rate = fields.Integer(allow_none=True)


class ReportSchema(Answer):
    SOMETIMES = ("new_since_acknowledged",)  # only in a flag's view
    id = fields.UUID()
    client_report_id = fields.UUID()
    patient_id = fields.UUID()
    observed_at = UtcDateTime()
    received_at = UtcDateTime()
    infusion_id = fields.UUID(allow_none=True)
    checkin_id = fields.UUID(allow_none=True)
    amends = fields.UUID(attribute="amends_id", allow_none=True)
    amended_by = fields.List(fields.UUID(), metadata={"description": "Later reports that correct this one"})
    symptoms = fields.List(fields.Nested(SymptomReadSchema))
    mood = fields.Integer(allow_none=True)
    suicidal_thoughts = fields.Boolean(allow_none=True)
    ketamine_outside_clinic = fields.Boolean(allow_none=True)
    phq9 = fields.List(fields.Integer(), allow_none=True)
    phq9_total = fields.Integer(allow_none=True)
    vitals = fields.Nested(VitalsReadSchema, allow_none=True)
    note = fields.String(allow_none=True)
    triage = fields.Nested(TriageSchema)
    safety_screen = fields.Nested(SafetyScreenViewSchema, allow_none=True)
    new_since_acknowledged = fields.Boolean(
        metadata={"description": "In a flag's view: came after the acknowledgement of a flag now open again"}
    )
    reviewed_at = UtcDateTime(allow_none=True, metadata={"description": "When a clinician reviewed it"})


class ReportQueryArgsSchema(Schema):
    observed_from = Moment(data_key="from")
    observed_to = Moment(data_key="to")
    symptom = fields.String(validate=known_symptom_code, metadata={"description": SYMPTOM_CODE})


class SymptomVocabularySchema(Answer):
    code = fields.String()
    label = fields.String()
    category = fields.String()
    ctcae_term = fields.String()
    expected_window_hours = fields.Integer()
    needs_description = fields.Boolean()


class SeverityLevelSchema(Answer):
    value = fields.Integer()
    label = fields.String()


class VocabularySchema(Answer):
    symptoms = fields.List(fields.Nested(SymptomVocabularySchema))
    severity_scale = fields.List(fields.Nested(SeverityLevelSchema))


VOCABULARY = {
    "symptoms": list(SYMPTOMS),
    "severity_scale": [{"value": value, "label": label} for value, label in SEVERITY_SCALE],
}


class VocabularyArgsSchema(Schema):
    language = fields.Enum(
        Language,
        by_value=True,
        metadata={"description": "The labels' language (default: the signed-in patient's own, else en)"},
    )


def vocabulary(language: str | None) -> dict:
    """The symptom vocabulary and severity scale with their labels in a language (codes never change)."""
    if language in (None, "en"):
        return VOCABULARY
    return {
        "symptoms": [
            {
                "code": s.code,
                "label": symptom_label(s.code, language),
                "category": s.category,
                "ctcae_term": s.ctcae_term,
                "expected_window_hours": s.expected_window_hours,
                "needs_description": s.needs_description,
            }
            for s in SYMPTOMS
        ],
        "severity_scale": [{"value": value, "label": severity_label(value, language)} for value, _ in SEVERITY_SCALE],
    }


class CrisisResourcesSchema(Answer):
    crisis_resources = fields.List(fields.Nested(CrisisResourceSchema))
