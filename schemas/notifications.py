"""The outbox as admins see it, and the job process's status."""

from marshmallow import fields

from schemas.base import Answer, Schema, UtcDateTime
from service.enums import Audience, DeliveryChannel, NotificationKind, NotificationStatus


class NotificationSchema(Answer):
    id = fields.UUID()
    kind = fields.Enum(NotificationKind, by_value=True)
    channel = fields.Enum(DeliveryChannel, by_value=True)
    audience = fields.Enum(Audience, by_value=True)
    patient_id = fields.UUID(allow_none=True)
    clinician_id = fields.UUID(allow_none=True)
    checkin_id = fields.UUID(allow_none=True)
    flag_id = fields.UUID(allow_none=True)
    subject = fields.String()
    body = fields.String()
    status = fields.Enum(NotificationStatus, by_value=True)
    attempts = fields.Integer()
    next_attempt_at = UtcDateTime()
    last_attempt_at = UtcDateTime(allow_none=True)
    last_error = fields.String(allow_none=True)
    sent_at = UtcDateTime(allow_none=True)
    created_at = UtcDateTime()


class NotificationQueryArgsSchema(Schema):
    status = fields.Enum(NotificationStatus, by_value=True)
    channel = fields.Enum(DeliveryChannel, by_value=True)
    kind = fields.Enum(NotificationKind, by_value=True)
    patient_id = fields.UUID()


class JobStatusSchema(Answer):
    name = fields.String(metadata={"example": "send_checkins"})
    summary = fields.String()
    interval_seconds = fields.Integer()
    last_started_at = UtcDateTime(allow_none=True)
    last_success_at = UtcDateTime(allow_none=True)
    last_error_at = UtcDateTime(allow_none=True)
    last_error = fields.String(allow_none=True)
    last_items = fields.Integer()
    last_duration_ms = fields.Integer()
    lag_seconds = fields.Float(allow_none=True, metadata={"description": "Since the last successful run"})
    stale = fields.Boolean(metadata={"description": "Never ran, or no success for 3 intervals"})


class JobsStatusSchema(Answer):
    now = UtcDateTime()
    healthy = fields.Boolean(metadata={"description": "No stale job and no check-in overdue"})
    jobs = fields.List(fields.Nested(JobStatusSchema))
    checkins_overdue = fields.Integer(metadata={"description": "Check-ins that should have gone out 15+ min ago"})
    notifications_pending = fields.Integer()
    notifications_sending = fields.Integer()
    notifications_dead = fields.Integer()
    oldest_pending_at = UtcDateTime(allow_none=True)
