"""Audit trail bodies: the admin's search and its entries."""

from marshmallow import fields

from schemas.base import Answer, DateOrMoment, Schema, Text, UtcDateTime
from service.enums import AuditAction, Role


class AuditQueryArgsSchema(Schema):
    actor_id = fields.UUID(metadata={"description": "Only this clinician's accesses"})
    patient_id = fields.UUID(metadata={"description": "Only accesses to this patient's data"})
    resource_type = Text(40, metadata={"example": "adverse_event"})
    resource_id = Text(64)
    action = fields.Enum(AuditAction, by_value=True)
    from_ = DateOrMoment(data_key="from", metadata={"example": "2026-11-14"})
    to = DateOrMoment(metadata={"example": "2026-11-20"})


class AuditEntrySchema(Answer):
    id = fields.Integer()
    at = UtcDateTime()
    clinic_id = fields.UUID()
    actor_id = fields.UUID()
    actor_role = fields.Enum(Role, by_value=True)
    action = fields.Enum(AuditAction, by_value=True)
    resource_type = fields.String()
    resource_id = fields.String(allow_none=True)
    patient_id = fields.UUID(allow_none=True)
    method = fields.String(allow_none=True)
    endpoint = fields.String(allow_none=True, metadata={"description": "The URL rule (placeholders, no values)"})
    ip = fields.String(allow_none=True)
    request_id = fields.String(allow_none=True)
