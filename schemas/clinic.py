"""Clinic settings: thresholds, response targets, crisis resources, check-in offsets, quiet hours."""

import itertools

from marshmallow import ValidationError, fields, validate, validates_schema

from schemas.base import Int, Name, Schema, Text
from service.rules import THRESHOLD_KEYS


class CrisisResourceInSchema(Schema):
    label = Name(200, required=True)
    phone = Text(32, allow_none=True)
    sms = Text(32, allow_none=True)
    url = fields.URL(allow_none=True, schemes={"https"})


class ResponseTargetsSchema(Schema):
    critical = Int(1, 60, required=True, metadata={"description": "minutes"})
    high = Int(1, 24 * 60, required=True)
    medium = Int(1, 7 * 24 * 60, required=True)
    low = Int(1, 30 * 24 * 60, required=True)

    @validates_schema
    def _ordered(self, data, **kwargs):
        order = ["critical", "high", "medium", "low"]
        for sooner, later in itertools.pairwise(order):
            if sooner in data and later in data and data[sooner] > data[later]:
                raise ValidationError(
                    f"The {sooner} target must not be longer than the {later} one.", field_name=sooner
                )


class QuietHoursSchema(Schema):
    start = fields.String(
        required=True, validate=validate.Regexp(r"^([01]\d|2[0-3]):[0-5]\d$"), metadata={"example": "21:00"}
    )
    end = fields.String(
        required=True, validate=validate.Regexp(r"^([01]\d|2[0-3]):[0-5]\d$"), metadata={"example": "08:00"}
    )


class ClinicSettingsSchema(Schema):
    thresholds = fields.Dict(
        keys=fields.String(validate=validate.OneOf(THRESHOLD_KEYS)),
        values=fields.Raw(),
        required=True,
        metadata={"description": "Rule thresholds (see the rules table)"},
    )
    response_targets_minutes = fields.Nested(ResponseTargetsSchema, required=True)
    crisis_resources = fields.List(
        fields.Nested(CrisisResourceInSchema), required=True, validate=validate.Length(min=1, max=10)
    )
    checkin_offsets_hours = fields.List(Int(1, 24 * 60), required=True, validate=validate.Length(min=1, max=12))
    quiet_hours = fields.Nested(QuietHoursSchema, required=True)

    @validates_schema
    def _offsets_distinct(self, data, **kwargs):
        offsets = data.get("checkin_offsets_hours") or []
        if len(set(offsets)) != len(offsets):
            raise ValidationError("Each check-in offset once.", field_name="checkin_offsets_hours")


class SettingsChangeSchema(Schema):
    at = fields.AwareDateTime()
    actor_id = fields.UUID(allow_none=True)
    before = fields.Dict()
    after = fields.Dict()
