"""Clinic settings: thresholds, response targets, crisis resources, check-in offsets, quiet hours."""

import itertools
from urllib.parse import urlsplit

from marshmallow import ValidationError, fields, validate, validates_schema

from schemas.base import Answer, Int, Name, Schema, Text, TrimmedString, UtcDateTime
from service.domain.advice import ADVICE_MAX, ADVICE_RULES
from service.enums import Language
from service.rules import THRESHOLD_KEYS


class CrisisResourceInSchema(Schema):
    label = Name(200, required=True)
    labels = fields.Dict(
        keys=fields.String(validate=validate.OneOf([lang.value for lang in Language])),
        values=Name(200),
        metadata={"description": 'The label in other languages, e.g. {"es": "Llame al 911."}'},
    )
    phone = Text(32, allow_none=True)
    sms = Text(32, allow_none=True)
    url = fields.URL(allow_none=True, schemes={"https"})


class AdviceTextSchema(Schema):
    en = Text(ADVICE_MAX, min_length=1)
    es = Text(ADVICE_MAX, min_length=1)


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


class EscalationSchema(Schema):
    critical_ack_minutes = Int(1, 240, required=True, metadata={"description": "On-call told after (minutes)"})
    admin_after_minutes = Int(1, 24 * 60, required=True, metadata={"description": "Admins told after (minutes)"})

    @validates_schema
    def _admins_later(self, data, **kwargs):
        if data.get("admin_after_minutes", 0) <= data.get("critical_ack_minutes", 0):
            raise ValidationError("Admins are told after the on-call clinicians.", field_name="admin_after_minutes")


def _webhook_url(value: str | None) -> None:
    """HTTPS, except plain HTTP to this machine (a local relay, development)."""
    if value is None:
        return
    parts = urlsplit(value)
    if parts.scheme == "https":
        return
    if parts.scheme == "http" and parts.hostname in {"127.0.0.1", "localhost", "::1"}:
        return
    raise ValidationError("A webhook URL must use https.")


class WebhookSchema(Schema):
    url = fields.URL(
        allow_none=True,
        schemes={"https", "http"},
        require_tld=False,
        validate=[validate.Length(max=500), _webhook_url],
        metadata={"example": "https://pager.clinic.example/aftercare"},
    )
    secret = Text(
        200,
        min_length=16,
        allow_none=True,
        load_only=True,
        metadata={"description": "HMAC-SHA256 key; write-only (omit it to keep the stored one)"},
    )
    secret_set = fields.Boolean(metadata={"description": "Whether a secret is stored (ignored when sent)"})

    @validates_schema
    def _secret_needs_url(self, data, **kwargs):
        if data.get("secret") and not data.get("url"):
            raise ValidationError("A secret without a URL has nothing to sign.", field_name="secret")


class VisitSettingsSchema(Schema):
    hold_systolic = Int(100, 220, required=True, metadata={"description": "Screening hold line, systolic (140)"})
    hold_diastolic = Int(60, 130, required=True, metadata={"description": "Screening hold line, diastolic (90)"})
    limit_systolic = Int(120, 220, metadata={"description": "In the chair: systolic at or above is outside (160)"})
    limit_diastolic = Int(70, 130, metadata={"description": "Diastolic at or above is outside (100)"})
    limit_heart_rate_high = Int(80, 200, metadata={"description": "Heart rate at or above is outside (110)"})
    limit_heart_rate_low = Int(30, 70, metadata={"description": "Heart rate below is outside (50)"})
    limit_spo2 = Int(80, 100, metadata={"description": "SpO2 below is outside (94)"})
    limit_moass = Int(1, 5, metadata={"description": "MOASS below is outside (4)"})
    limit_dissociation = Int(0, 3, metadata={"description": "Dissociation (0-4) above is outside (1)"})


class E2bSenderSchema(Schema):
    """The clinic's safety contact its E2B(R3) reports name as the sender (every field is in the message)."""

    identifier = Name(60, required=True, metadata={"description": "Sender identifier (FDA.C.3.1)"})
    department = Name(60, required=True)
    title = Name(50, required=True, metadata={"example": "Dr"})
    given_name = Name(60, required=True)
    family_name = Name(60, required=True)
    street = Name(100, required=True)
    city = Name(35, required=True)
    state = Name(40, required=True)
    postcode = Name(15, required=True)
    country = TrimmedString(
        required=True,
        validate=validate.Regexp(r"^[A-Z]{2}$", error="A two-letter ISO 3166 country code, e.g. US."),
        metadata={"example": "US"},
    )
    phone = Name(33, required=True)
    fax = Name(33, required=True)
    email = fields.Email(required=True, validate=validate.Length(max=100))


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
    escalation = fields.Nested(EscalationSchema, metadata={"description": "Default 15 and 30 minutes"})
    webhook = fields.Nested(WebhookSchema, metadata={"description": "Escalations and digests are POSTed here"})
    visit = fields.Nested(
        VisitSettingsSchema, metadata={"description": "The visit: the screening's blood-pressure hold line (140/90)"}
    )
    e2b_sender = fields.Nested(
        E2bSenderSchema,
        allow_none=True,
        metadata={"description": "The safety contact E2B(R3) exports name as the sender (null removes it)"},
    )
    advice = fields.Dict(
        keys=fields.String(validate=validate.OneOf(ADVICE_RULES)),
        values=fields.Nested(AdviceTextSchema),
        metadata={"description": "The clinic's own safety advice per rule and language (ours where not given)"},
    )

    @validates_schema
    def _offsets_distinct(self, data, **kwargs):
        offsets = data.get("checkin_offsets_hours") or []
        if len(set(offsets)) != len(offsets):
            raise ValidationError("Each check-in offset once.", field_name="checkin_offsets_hours")


class SettingsChangeSchema(Answer):
    at = UtcDateTime()
    actor_id = fields.UUID(allow_none=True)
    before = fields.Dict()
    after = fields.Dict()
