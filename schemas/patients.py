"""Patient, device and infusion bodies."""

from marshmallow import ValidationError, fields, validate, validates_schema

from schemas.base import Answer, Int, Moment, Name, Number, Schema, Text, UtcDateTime, storable_text
from service.enums import Channel, Language, PatientStatus, Phase, Platform, Route, Sex


class _PatientFields(Schema):
    display_name = Name(120, metadata={"example": "Sam R."})
    date_of_birth = fields.Date(metadata={"example": "1984-05-17", "description": "Patients are 18+."})
    sex = fields.Enum(Sex, by_value=True, allow_none=True)
    time_zone = Text(64, metadata={"example": "America/Denver", "description": "An IANA time zone"})
    email = fields.Email(allow_none=True, validate=[validate.Length(max=254), storable_text])
    phone = Text(32, allow_none=True, metadata={"example": "+1 303 555 0100"})
    mrn = Text(64, allow_none=True, metadata={"description": "Medical record number (optional)"})
    phq9_baseline = Int(0, 27, allow_none=True)
    mood_baseline = Int(0, 10, allow_none=True)
    quiet_hours_start = fields.Time(format="%H:%M", metadata={"example": "21:00"})
    quiet_hours_end = fields.Time(format="%H:%M", metadata={"example": "08:00"})
    preferred_channel = fields.Enum(Channel, by_value=True)
    language = fields.Enum(
        Language, by_value=True, metadata={"description": "The language of what Aftercare tells the patient"}
    )
    status = fields.Enum(PatientStatus, by_value=True)


class PatientSchema(Answer, _PatientFields):
    id = fields.UUID(dump_only=True)
    clinic_id = fields.UUID(dump_only=True)
    created_at = UtcDateTime(dump_only=True)
    updated_at = UtcDateTime(dump_only=True)


class PatientCreateSchema(_PatientFields):
    class Meta:
        exclude = ()

    display_name = Name(120, required=True, metadata={"example": "Sam R."})
    date_of_birth = fields.Date(required=True, metadata={"example": "1984-05-17"})


class PatientPatchSchema(_PatientFields):
    pass


class MePatchSchema(Schema):
    time_zone = Text(64, metadata={"example": "America/Denver"})
    quiet_hours_start = fields.Time(format="%H:%M")
    quiet_hours_end = fields.Time(format="%H:%M")
    preferred_channel = fields.Enum(Channel, by_value=True)
    language = fields.Enum(Language, by_value=True, metadata={"description": "en or es"})
    email = fields.Email(allow_none=True, validate=[validate.Length(max=254), storable_text])
    phone = Text(32, allow_none=True)
    push_token = Text(4096, allow_none=True, metadata={"description": "This phone's push token"})


class PatientQueryArgsSchema(Schema):
    status = fields.Enum(PatientStatus, by_value=True)


class DeviceSchema(Answer):
    id = fields.UUID()
    name = fields.String()
    platform = fields.Enum(Platform, by_value=True)
    created_at = UtcDateTime()
    last_seen_at = UtcDateTime(allow_none=True)
    revoked_at = UtcDateTime(allow_none=True)
    has_push_token = fields.Function(lambda d: bool(d.push_token))
    has_web_push = fields.Function(lambda d: bool(d.webpush_endpoint))


class PatientDetailSchema(PatientSchema):
    devices = fields.List(fields.Nested(DeviceSchema), dump_only=True)
    phq9_baseline_in_use = fields.Integer(
        dump_only=True,
        allow_none=True,
        metadata={
            "description": "The PHQ-9 baseline the rules, the chart and the outcomes use: `phq9_baseline` when typed, "
            "else the patient's first PHQ-9 before their first infusion; null when there is neither"
        },
    )
    phq9_baseline_source = fields.String(
        dump_only=True,
        allow_none=True,
        metadata={
            "description": "Where `phq9_baseline_in_use` comes from: `typed` or `pre_treatment_phq9`; null with no "
            "baseline"
        },
    )


class _InfusionFields(Schema):
    started_at = Moment(metadata={"example": "2026-11-20T14:00:00-07:00"})
    ended_at = Moment(allow_none=True, metadata={"example": "2026-11-20T14:50:00-07:00"})
    route = fields.Enum(Route, by_value=True)
    dose_mg = Number(0.1, 1000, allow_none=True, metadata={"example": 35.0})
    dose_mg_per_kg = Number(0.01, 10, allow_none=True, metadata={"example": 0.5})
    phase = fields.Enum(Phase, by_value=True)
    pre_systolic = Int(50, 300, allow_none=True)
    pre_diastolic = Int(30, 200, allow_none=True)
    pre_heart_rate = Int(20, 250, allow_none=True)
    post_systolic = Int(50, 300, allow_none=True)
    post_diastolic = Int(30, 200, allow_none=True)
    post_heart_rate = Int(20, 250, allow_none=True)
    notes = Text(2000, allow_none=True)


class InfusionSchema(Answer, _InfusionFields):
    id = fields.UUID(dump_only=True)
    patient_id = fields.UUID(dump_only=True)
    recorded_by_id = fields.UUID(dump_only=True, allow_none=True)
    created_at = UtcDateTime(dump_only=True)
    version = fields.Integer(
        dump_only=True, metadata={"description": "Also sent as the ETag; send it back in If-Match"}
    )


class InfusionCreateSchema(_InfusionFields):
    started_at = Moment(required=True, metadata={"example": "2026-11-20T14:00:00-07:00"})
    route = fields.Enum(Route, by_value=True, required=True)
    phase = fields.Enum(Phase, by_value=True, required=True)

    @validates_schema
    def _ends_after_start(self, data, **kwargs):
        if data.get("ended_at") and data.get("started_at") and data["ended_at"] <= data["started_at"]:
            raise ValidationError("ended_at must be after started_at.", field_name="ended_at")


class InfusionPatchSchema(_InfusionFields):
    pass


class PatientInfusionSchema(InfusionSchema):
    """What a patient sees of their own infusions: no clinic-internal notes."""

    class Meta:
        exclude = ("notes", "recorded_by_id")


_BASE64URL = validate.Regexp(r"^[A-Za-z0-9_-]+={0,2}$", error="Must be base64url.")


class PushKeysSchema(Schema):
    p256dh = fields.String(
        required=True,
        validate=[validate.Length(min=87, max=88), _BASE64URL],
        metadata={"description": "The browser's P-256 public key (65 bytes, uncompressed), base64url"},
    )
    auth = fields.String(
        required=True,
        validate=[validate.Length(min=22, max=24), _BASE64URL],
        metadata={"description": "The browser's 16-byte authentication secret, base64url"},
    )


class PushSubscriptionSchema(Schema):
    """What the browser's PushSubscription.toJSON() gives (expirationTime is ignored)."""

    endpoint = Text(2048, min_length=1, required=True, metadata={"description": "The push service's https URL"})
    keys = fields.Nested(PushKeysSchema, required=True)
    expirationTime = fields.Integer(allow_none=True, load_only=True)  # noqa: N815 - the browser's own name


class PushSubscriptionAnswerSchema(Answer):
    device_id = fields.UUID()
    endpoint = fields.String()


class VapidPublicKeySchema(Answer):
    public_key = fields.String(
        metadata={"description": "The applicationServerKey for PushManager.subscribe() (base64url, uncompressed P-256)"}
    )
