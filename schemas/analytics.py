"""Safety intelligence: the query arguments and the figures answered."""

from __future__ import annotations

from marshmallow import fields

from schemas.base import Answer, Schema


class RangeArgsSchema(Schema):
    from_ = fields.Date(
        data_key="from",
        required=True,
        metadata={"description": "First clinic day of the range (YYYY-MM-DD, counted whole)", "example": "2026-11-01"},
    )
    to = fields.Date(
        required=True,
        metadata={"description": "Last clinic day of the range (YYYY-MM-DD, counted whole)", "example": "2026-11-30"},
    )


class RuleBurdenSchema(Answer):
    rule = fields.String(metadata={"example": "persistent-symptom"})
    version = fields.Integer()
    priority = fields.String(allow_none=True, metadata={"description": "The priority the rule usually fires at"})
    reports = fields.Integer(metadata={"description": "Reports received in the range while this version was in force"})
    flags_opened = fields.Integer(metadata={"description": "Flags of this version opened in the range"})
    joined = fields.Integer(metadata={"description": "Reports that joined an open flag of this version in the range"})
    fire_rate = fields.Float(allow_none=True, metadata={"description": "Flags opened per 100 reports"})
    resolved = fields.Integer(metadata={"description": "Of the flags opened in the range, those resolved"})
    acted_on = fields.Integer(
        metadata={"description": "Resolved with anything other than no_action_needed or duplicate"}
    )
    action_rate = fields.Float(allow_none=True, metadata={"description": "Acted on per 100 resolved"})
    median_minutes_to_acknowledge = fields.Float(allow_none=True)
    p90_minutes_to_acknowledge = fields.Float(allow_none=True)
    target_minutes_to_acknowledge = fields.Integer(
        allow_none=True, metadata={"description": "The clinic's response target for the rule's usual priority"}
    )
    median_minutes_to_resolve = fields.Float(allow_none=True)
    overdue_at_acknowledge = fields.Float(
        allow_none=True, metadata={"description": "Share (0-1) of acknowledged flags first acknowledged after due_by"}
    )
    escalations = fields.Integer(metadata={"description": "Escalation steps recorded on the flags opened in the range"})
