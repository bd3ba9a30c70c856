"""Sign-in request and response bodies."""

from marshmallow import fields, validate

from schemas.base import Name, Schema, Text, UtcDateTime
from service.enums import Platform


class LoginSchema(Schema):
    email = Text(254, required=True, metadata={"example": "nurse@example-clinic.test"})
    password = Text(1024, required=True, load_only=True)


class RefreshSchema(Schema):
    refresh_token = Text(200, required=True)


class LogoutSchema(Schema):
    refresh_token = Text(200)


class EnrollSchema(Schema):
    code = Text(32, min_length=4, required=True, metadata={"example": "7KQ2-M9XA-4TRE"})
    device_name = Name(100, required=True, metadata={"example": "Sam's iPhone"})
    platform = fields.Enum(Platform, by_value=True, required=True)
    push_token = Text(4096, allow_none=True)


class TokenSchema(Schema):
    access_token = fields.String(required=True)
    refresh_token = fields.String(required=True)
    token_type = fields.String(required=True, validate=validate.Equal("Bearer"), metadata={"example": "Bearer"})
    expires_in = fields.Integer(
        required=True, metadata={"description": "Seconds the access token lives", "example": 900}
    )


class EnrollTokenSchema(TokenSchema):
    patient_id = fields.UUID(required=True)


class EnrollmentCodeSchema(Schema):
    code = fields.String(
        required=True, metadata={"example": "7KQ2-M9XA-4TRE", "description": "Give it to the patient; shown once."}
    )
    expires_at = UtcDateTime(required=True)
