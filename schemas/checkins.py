"""Check-in bodies: what the patient's phone sees, and the clinician's fuller view."""

from marshmallow import fields

from schemas.base import Answer, Schema, UtcDateTime
from service.enums import CheckinQuestionAnswer, CheckinStatus


class CheckinQuestionSchema(Answer):
    code = fields.String(
        metadata={"example": "urinary_frequency", "description": "A symptom code, or the report field asked"}
    )
    answer = fields.Enum(
        CheckinQuestionAnswer,
        by_value=True,
        metadata={"description": "severity: 0-4 on the PRO-CTCAE scale; yes_no: true or false"},
    )
    report_field = fields.String(
        metadata={
            "example": "symptoms",
            "description": "Where the answer goes in POST /me/reports: symptoms ({code, severity}) or the field "
            "named (ketamine_outside_clinic: true/false)",
        }
    )
    label = fields.String(metadata={"description": "The question in the patient's language"})


class CheckinSchema(Answer):
    id = fields.UUID()
    infusion_id = fields.UUID(
        allow_none=True, metadata={"description": "None for a long-term check-in (it follows no one infusion)"}
    )
    kind = fields.String(
        metadata={
            "example": "24h",
            "description": "2h, 24h, 72h, 7d, 14d … after an infusion; long_term: a maintenance patient's "
            "quarterly check-in (bladder, memory, craving, use outside the clinic: see questions)",
        }
    )
    questions = fields.List(
        fields.Nested(CheckinQuestionSchema),
        metadata={
            "description": "What this check-in asks besides the usual report (empty: the usual report); answer "
            "all of them in one POST /me/reports with this checkin_id"
        },
    )
    due_at = UtcDateTime()
    status = fields.Enum(CheckinStatus, by_value=True)
    asks_phq9 = fields.Boolean()
    sent_at = UtcDateTime(allow_none=True)
    answered_at = UtcDateTime(allow_none=True)


class StaffCheckinSchema(CheckinSchema):
    offset_hours = fields.Integer()
    send_at = UtcDateTime(metadata={"description": "When it may go out (due_at moved out of quiet hours)"})
    remind_at = UtcDateTime(allow_none=True)
    reminded_at = UtcDateTime(allow_none=True)
    missed_at = UtcDateTime(allow_none=True)
    cancelled_at = UtcDateTime(allow_none=True)
    created_at = UtcDateTime()


class CheckinQueryArgsSchema(Schema):
    status = fields.Enum(CheckinStatus, by_value=True)
