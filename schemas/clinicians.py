"""Staff bodies."""

from marshmallow import fields, validate

from schemas.base import Answer, Name, Schema, Text, UtcDateTime, storable_text
from service.enums import Role


class ClinicianSchema(Answer):
    id = fields.UUID(dump_only=True)
    email = fields.String()
    name = fields.String()
    role = fields.Enum(Role, by_value=True)
    active = fields.Boolean()
    on_call = fields.Boolean()
    created_at = UtcDateTime()


class ClinicianCreateSchema(Schema):
    email = fields.Email(required=True, validate=[validate.Length(max=254), storable_text])
    name = Name(200, required=True)
    role = fields.Enum(Role, by_value=True, required=True)
    password = Text(
        1024, required=True, load_only=True, metadata={"description": "At least 15 characters; not a common password."}
    )
    on_call = fields.Boolean(load_default=False)


class ClinicianPatchSchema(Schema):
    name = Name(200)
    role = fields.Enum(Role, by_value=True)
    password = Text(1024, load_only=True)
    active = fields.Boolean()
    on_call = fields.Boolean()


class ClinicianQueryArgsSchema(Schema):
    active = fields.Boolean()
    role = fields.Enum(Role, by_value=True)
