"""Check-in bodies: what the patient's phone sees, and the clinician's fuller view."""

from marshmallow import fields

from schemas.base import Answer, Schema, UtcDateTime
from service.enums import CheckinStatus


class CheckinSchema(Answer):
    id = fields.UUID()
    infusion_id = fields.UUID()
    kind = fields.String(metadata={"example": "24h", "description": "2h, 24h, 72h, 7d, 14d …"})
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
