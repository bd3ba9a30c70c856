"""Flag bodies: the queue, a flag with its history, and the actions on it."""

from marshmallow import ValidationError, fields, pre_load, validate

from schemas.base import Answer, Schema, Text, UtcDateTime
from schemas.reports import ReportSchema
from service.enums import FlagAction, FlagEventKind, FlagPriority, FlagStatus, Resolution

NOTE_MAX = 4000


class FlagQueueItemSchema(Answer):
    id = fields.UUID()
    patient_id = fields.UUID()
    patient_display_name = fields.String()
    rule = fields.String(metadata={"example": "hypertensive-crisis"})
    priority = fields.Enum(FlagPriority, by_value=True)
    status = fields.Enum(FlagStatus, by_value=True)
    reason = fields.String(metadata={"example": "BP 186/95 at 14:10, 3 h after IV infusion — threshold 180/120."})
    due_by = UtcDateTime()
    overdue = fields.Boolean()
    created_at = UtcDateTime()
    assignee_id = fields.UUID(allow_none=True)
    acknowledged_at = UtcDateTime(allow_none=True)
    escalation_level = fields.Integer()
    report_count = fields.Integer()
    report_ids = fields.List(fields.UUID())
    new_since_acknowledged = fields.Boolean(
        metadata={"description": "New evidence put it back to open after a clinician acknowledged it"}
    )


class _QueueFilterArgs(Schema):
    priority = fields.Enum(FlagPriority, by_value=True)
    patient_id = fields.UUID()
    assignee = fields.String(metadata={"description": "A clinician id, 'me', or 'none' for unassigned"})
    overdue = fields.Boolean()
    cursor = Text(200, metadata={"description": "From the X-Next-Cursor header of the previous page"})
    limit = fields.Integer(load_default=25, validate=validate.Range(min=1, max=100))


class FlagQueueArgsSchema(_QueueFilterArgs):
    status = fields.String(
        load_default="active",
        validate=validate.OneOf(["active", "open", "acknowledged", "resolved", "all"]),
        metadata={"description": "active = open or acknowledged (the default)"},
    )

    @pre_load
    def _point_to_cases(self, data, **kwargs):
        """The queue grouped by patient has its own operation (one answer shape per operation)."""
        if "group" in data:
            raise ValidationError({"group": ["The queue grouped by patient is GET /api/v1/flag-cases."]})
        return data


class FlagCaseArgsSchema(_QueueFilterArgs):
    status = fields.String(
        load_default="active",
        validate=validate.OneOf(["active", "open", "acknowledged"]),
        metadata={"description": "Which flags make up the cases: active = open or acknowledged (the default)"},
    )
    limit = fields.Integer(
        load_default=25, validate=validate.Range(min=1, max=100), metadata={"description": "Cases per page"}
    )


class CaseFlagSchema(FlagQueueItemSchema):
    actions = fields.List(
        fields.Enum(FlagAction, by_value=True),
        metadata={
            "description": "What can still be done to this flag: POST /api/v1/flags/{id}/<action>",
            "example": ["acknowledge", "assign", "notes", "escalate", "resolve"],
        },
    )


class FlagCaseSchema(Answer):
    """A patient with flags in the queue: one row however many rules one report set off."""

    patient_id = fields.UUID()
    patient_display_name = fields.String()
    priority = fields.Enum(FlagPriority, by_value=True, metadata={"description": "The most urgent of the case's flags"})
    due_by = UtcDateTime(metadata={"description": "When the case's leading (most urgent) flag is due"})
    lead_flag_id = fields.UUID(metadata={"description": "The flag that places the case in the queue"})
    overdue = fields.Boolean(metadata={"description": "Any of its flags is past its due time"})
    new_since_acknowledged = fields.Boolean(
        metadata={"description": "New evidence put one of its flags back to open after it was acknowledged"}
    )
    flag_count = fields.Integer()
    report_ids = fields.List(fields.UUID(), metadata={"description": "The reports behind its flags, each once"})
    flags = fields.List(
        fields.Nested(CaseFlagSchema),
        metadata={"description": "Its flags in queue order (critical first, then soonest due), each with its actions"},
    )


class FlagEventSchema(Answer):
    at = UtcDateTime()
    kind = fields.Enum(FlagEventKind, by_value=True)
    actor_id = fields.UUID(allow_none=True)
    report_id = fields.UUID(allow_none=True)
    text = fields.String(allow_none=True)
    data = fields.Dict(allow_none=True)


class PatientSummarySchema(Answer):
    id = fields.UUID()
    display_name = fields.String()
    age = fields.Integer()
    time_zone = fields.String()
    local_time = UtcDateTime()
    latest_infusion = fields.Dict(allow_none=True)


class FlagSchema(Answer):
    id = fields.UUID()
    patient_id = fields.UUID()
    rule = fields.String()
    rule_version = fields.Integer()
    priority = fields.Enum(FlagPriority, by_value=True)
    status = fields.Enum(FlagStatus, by_value=True)
    reason = fields.String()
    evidence = fields.Dict()
    due_by = UtcDateTime()
    overdue = fields.Boolean()
    created_at = UtcDateTime()
    updated_at = UtcDateTime()
    assignee_id = fields.UUID(allow_none=True)
    acknowledged_at = UtcDateTime(allow_none=True)
    acknowledged_by_id = fields.UUID(allow_none=True)
    resolved_at = UtcDateTime(allow_none=True)
    resolved_by_id = fields.UUID(allow_none=True)
    resolution = fields.Enum(Resolution, by_value=True, allow_none=True)
    resolution_note = fields.String(allow_none=True)
    escalation_level = fields.Integer()
    escalated_at = UtcDateTime(allow_none=True)
    page_count = fields.Integer(metadata={"description": "Pages written at once for it (critical news)"})
    last_paged_at = UtcDateTime(allow_none=True)
    new_since_acknowledged = fields.Boolean(
        metadata={"description": "New evidence put it back to open after a clinician acknowledged it"}
    )
    version = fields.Integer(metadata={"description": "Also sent as the ETag; send it back in If-Match"})
    report_ids = fields.List(fields.UUID())


class FlagDetailSchema(FlagSchema):
    reports = fields.List(fields.Nested(ReportSchema))
    events = fields.List(fields.Nested(FlagEventSchema))
    patient = fields.Nested(PatientSummarySchema)


class AcknowledgeSchema(Schema):
    assignee_id = fields.UUID(allow_none=True, metadata={"description": "Default: the acknowledging clinician"})


class ResolveSchema(Schema):
    resolution = fields.Enum(Resolution, by_value=True, required=True)
    note = Text(NOTE_MAX, min_length=1, required=True, metadata={"example": "Called the patient; BP down to 142/88."})


class NoteSchema(Schema):
    text = Text(NOTE_MAX, min_length=1, required=True)


class AssignSchema(Schema):
    clinician_id = fields.UUID(required=True)


class EscalateSchema(Schema):
    note = Text(NOTE_MAX, allow_none=True)
