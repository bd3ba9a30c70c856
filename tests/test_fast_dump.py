"""The queue's fast dumper gives exactly what marshmallow's dump gives, and refuses what it cannot do."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import fields, post_dump

from schemas.base import Schema
from schemas.fast import FlatDumper
from schemas.flags import FlagCaseSchema, FlagQueueItemSchema
from service.enums import FlagAction, FlagPriority, FlagStatus

aware = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1)).map(
    lambda d: d.replace(tzinfo=UTC)
) | st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1)).map(
    lambda d: d.replace(tzinfo=timezone(timedelta(hours=-7)))
)
queue_item = st.fixed_dictionaries(
    {
        "id": st.uuids(),
        "patient_id": st.uuids(),
        "patient_display_name": st.text(max_size=40),
        "rule": st.sampled_from(["hypertensive-crisis", "mood-dip", "suicidal-ideation"]),
        "priority": st.sampled_from(list(FlagPriority)),
        "status": st.sampled_from(list(FlagStatus)),
        "reason": st.text(max_size=200),
        "due_by": aware,
        "overdue": st.booleans(),
        "created_at": aware,
        "assignee_id": st.none() | st.uuids(),
        "acknowledged_at": st.none() | aware,
        "escalation_level": st.integers(0, 3),
        "report_count": st.integers(1, 10_000),
        "report_ids": st.lists(st.uuids(), max_size=5),
    },
    # Rows carry columns the schema does not show (urgency, display_name): both must ignore them.
    optional={"urgency": st.integers(1, 4), "display_name": st.text(max_size=10)},
)


@settings(max_examples=300, deadline=None)
@given(st.lists(queue_item, max_size=30))
def test_queue_items_dump_exactly_as_marshmallow_does(items):
    schema = FlagQueueItemSchema()
    assert FlatDumper(schema).many(items) == schema.dump(items, many=True)


flag_case = st.fixed_dictionaries(
    {
        "patient_id": st.uuids(),
        "patient_display_name": st.text(max_size=40),
        "priority": st.sampled_from(list(FlagPriority)),
        "due_by": aware,
        "lead_flag_id": st.uuids(),
        "overdue": st.booleans(),
        "new_since_acknowledged": st.booleans(),
        "flag_count": st.integers(1, 14),
        "report_ids": st.lists(st.uuids(), max_size=5),
        "flags": st.lists(
            st.builds(
                lambda item, actions: {**item, "new_since_acknowledged": False, "actions": actions},
                queue_item,
                st.lists(st.sampled_from(list(FlagAction)), max_size=5),
            ),
            min_size=1,
            max_size=4,
        ),
    }
)


@settings(max_examples=150, deadline=None)
@given(st.lists(flag_case, max_size=10))
def test_flag_cases_dump_exactly_as_marshmallow_does(cases):
    """The queue as cases (GET /flag-cases): a list of nested queue items with their actions."""
    schema = FlagCaseSchema()
    assert FlatDumper(schema).many(cases) == schema.dump(cases, many=True)


def test_a_missing_key_is_left_out_as_marshmallow_leaves_it_out():
    schema = FlagQueueItemSchema()
    item = {"id": uuid.uuid4(), "rule": "mood-dip"}
    assert FlatDumper(schema).one(item) == schema.dump(item) == {"id": str(item["id"]), "rule": "mood-dip"}


def test_data_keys_and_attributes_are_honoured():
    class Renamed(Schema):
        code = fields.String(data_key="symptom", attribute="symptom_code")

    assert FlatDumper(Renamed()).one({"symptom_code": "nausea"}) == Renamed().dump({"symptom_code": "nausea"})


@pytest.mark.parametrize(
    "field",
    [
        fields.Nested(FlagQueueItemSchema, only=("id",)),
        fields.Function(lambda item: 1),
        fields.Float(),
        fields.DateTime(format="rfc"),
        fields.Integer(as_string=True),
        fields.String(dump_default="x"),
        fields.Enum(FlagPriority, by_value=fields.String()),
        type("Shouting", (fields.String,), {"_serialize": lambda self, value, attr, obj, **kw: str(value).upper()})(),
    ],
    ids=[
        "nested-only",
        "function",
        "float",
        "rfc-date",
        "integer-as-string",
        "dump-default",
        "enum-by-field",
        "override",
    ],
)
def test_fields_it_does_not_understand_are_refused_when_built(field):
    schema_class = Schema.from_dict({"value": field})
    with pytest.raises(TypeError, match="no fast dump"):
        FlatDumper(schema_class())


def test_schemas_with_dump_hooks_are_refused():
    class Hooked(Schema):
        name = fields.String()

        @post_dump
        def shout(self, data, **kwargs):
            return {k: v.upper() for k, v in data.items()}

    with pytest.raises(TypeError, match="dump hooks"):
        FlatDumper(Hooked())
