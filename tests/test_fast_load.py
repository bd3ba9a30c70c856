"""FastLoader: wherever it answers, it answers what marshmallow would; typical reports take the fast path."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import marshmallow as ma
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError, fields, post_load, pre_load, validates, validates_schema

from schemas.base import Schema
from schemas.fast import FastLoader
from schemas.reports import ReportCreateSchema
from service.vocabulary import CODES

SCHEMA = ReportCreateSchema()
FAST = FastLoader(SCHEMA)
REFUSED = object()


def marshmallow_load(body):
    """What marshmallow itself gives (bypassing the FastLoad mixin), or REFUSED."""
    try:
        return ma.Schema.load(SCHEMA, body)
    except ValidationError:
        return REFUSED


NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
moments = st.one_of(
    st.integers(-40 * 24 * 60, 10).map(lambda m: (NOW + timedelta(minutes=m)).isoformat()),
    st.sampled_from(["2026-11-21T10:00:00", "2026-11-21", "not a time", "", "2026-11-21T10:00:00-07:00"]),
)
junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 400),
    st.floats(allow_nan=True),
    st.text(max_size=5),
    st.just([]),
    st.just({}),
)
ints = st.one_of(st.integers(-2, 12), st.sampled_from([1.0, 1.5, True, "3", 10**40]), junk)
symptom = st.fixed_dictionaries(
    {},
    optional={
        "code": st.one_of(st.sampled_from(CODES), st.sampled_from(["zombie", "NAUSEA"]), junk),
        "severity": ints,
        "note": st.one_of(st.none(), st.text(max_size=10), st.just(" "), st.just("x" * 2001), st.just("a\x00b"), junk),
        "started_at": st.one_of(moments, junk),
        "extra": junk,
    },
)
body = st.fixed_dictionaries(
    {},
    optional={
        "client_report_id": st.one_of(
            st.uuids().map(str), st.just("not-a-uuid"), st.uuids().map(lambda u: u.hex), junk
        ),
        "observed_at": st.one_of(moments, junk),
        "symptoms": st.one_of(st.lists(st.one_of(symptom, junk), max_size=4), junk),
        "mood": st.one_of(ints, st.none()),
        "suicidal_thoughts": st.one_of(st.booleans(), st.none(), st.sampled_from([1, 0, "true"])),
        "phq9": st.one_of(st.lists(ints, min_size=8, max_size=10), st.none(), junk),
        "vitals": st.one_of(
            st.fixed_dictionaries(
                {},
                optional={
                    "systolic": ints.map(lambda v: v * 25 if type(v) is int else v),
                    "diastolic": ints,
                    "heart_rate": ints,
                },
            ),
            junk,
        ),
        "note": st.one_of(st.text(max_size=10), st.just("x" * 2001), junk),
        "infusion_id": st.one_of(st.uuids().map(str), junk),
        "checkin_id": st.one_of(st.uuids().map(str), junk),
        "amends": st.one_of(st.uuids().map(str), junk),
        "unexpected": junk,
    },
)


valid_symptoms = st.lists(
    st.fixed_dictionaries(
        {"code": st.sampled_from([c for c in CODES if c != "other"]), "severity": st.integers(0, 4)},
        optional={
            "note": st.text(max_size=20).filter(lambda t: "\x00" not in t),
            "started_at": st.just(NOW.isoformat()),
        },
    ),
    max_size=5,
    unique_by=lambda s: s["code"],
)
valid = st.fixed_dictionaries(
    {"client_report_id": st.uuids().map(str), "observed_at": st.just(NOW.isoformat()), "symptoms": valid_symptoms},
    optional={
        "mood": st.integers(0, 10),
        "phq9": st.lists(st.integers(0, 3), min_size=9, max_size=9),
        "vitals": st.fixed_dictionaries({"systolic": st.integers(120, 200), "diastolic": st.integers(60, 110)}),
        "note": st.text(max_size=50).filter(lambda t: "\x00" not in t),
    },
)


edges = st.one_of(
    junk,
    st.sampled_from([0, 3, 4, 5, -1, 10, 11, 49, 50, 300, 301, 1.0, True, False, None, "", "x" * 2001, 10**40]),
    moments,
)


@st.composite
def near_valid(draw):
    """A valid report with one thing changed: a value at a field (top level, vitals or a symptom), a key
    dropped or an unknown key added. Many stay valid; many just cross a boundary."""
    raw = draw(valid)
    targets = [raw]
    if raw.get("vitals"):
        targets.append(raw["vitals"])
    targets.extend(raw["symptoms"])
    target = draw(st.sampled_from(targets))
    action = draw(st.sampled_from(["set", "set", "set", "drop", "add"]))
    if action == "drop" and target:
        del target[draw(st.sampled_from(sorted(target)))]
    elif action == "add":
        target[draw(st.sampled_from(["extra", "code", "severity", "mood", "heart_rate", "note"]))] = draw(edges)
    else:
        keys = ["code", "severity", "note", "started_at"] if target is not raw else sorted(SCHEMA.fields)
        if "systolic" in target:
            keys = ["systolic", "diastolic", "heart_rate"]
        target[draw(st.sampled_from(keys))] = draw(edges)
    return raw


@settings(max_examples=1500, deadline=None)
@given(st.one_of(body, junk, near_valid(), near_valid()))
def test_where_the_fast_loader_answers_marshmallow_gives_the_same(raw):
    fast = FAST.load(raw)
    slow = marshmallow_load(raw)
    if fast is not None:
        assert slow is not REFUSED, "the fast path accepted a body marshmallow refuses"
        assert fast == slow
    # and through the schema (the mixin): the same as marshmallow, refusals included
    try:
        through = SCHEMA.load(raw)
    except ValidationError:
        through = REFUSED
    assert through is REFUSED if slow is REFUSED else through == slow


@settings(max_examples=300, deadline=None)
@given(valid)
def test_valid_reports_take_the_fast_path(raw):
    fast = FAST.load(raw)
    assert fast is not None
    assert fast == marshmallow_load(raw)


def test_errors_still_come_from_marshmallow_with_their_wording():
    raw = {"client_report_id": str(uuid.uuid4()), "observed_at": NOW.isoformat(), "suicidal_thoughts": 1}
    assert FAST.load(raw) is None
    with pytest.raises(ValidationError) as caught:
        SCHEMA.load(raw)
    assert caught.value.messages == {"suicidal_thoughts": ["Not a valid boolean."]}  # 1 is not true


def hooked(**members):
    return type("Hooked", (Schema,), {"name": fields.String(), **members})


@pytest.mark.parametrize(
    "schema_class",
    [
        hooked(trim=pre_load(lambda self, data, **kw: data)),
        hooked(done=post_load(lambda self, data, **kw: data)),
        hooked(check=validates("name")(lambda self, value, **kw: None)),
        hooked(both=validates_schema(pass_original=True)(lambda self, data, original, **kw: None)),
        type("Defaulted", (Schema,), {"name": fields.String(load_default="x")}),
        type("Dotted", (Schema,), {"name": fields.String(attribute="a.b")}),
        type(
            "Partial", (Schema,), {"inner": fields.Nested(type("Inner", (Schema,), {"x": fields.Int()}), only=("x",))}
        ),
    ],
    ids=["pre_load", "post_load", "validates", "pass_original", "load_default", "dotted", "nested-only"],
)
def test_schemas_it_cannot_vouch_for_are_refused_when_built(schema_class):
    with pytest.raises(TypeError):
        FastLoader(schema_class())


def test_a_copy_made_by_nested_only_builds_its_own_fast_paths(caplog):
    """marshmallow copies a schema instance given to Nested before narrowing it: the copy must not use the
    original's loader or dumper (which know all of its fields)."""
    from schemas.reports import ReportReceiptSchema

    receipt = ReportReceiptSchema()
    answer = {
        "id": uuid.uuid4(),
        "client_report_id": uuid.uuid4(),
        "received_at": NOW,
        "infusion_id": None,
        "triage": {"flagged": False, "priority": None, "message": "Thank you."},
    }
    assert set(receipt.dump(answer)) == set(answer)  # the original's dumper is built
    narrow = Schema.from_dict({"r": fields.Nested(receipt, only=("id",))})()
    assert narrow.dump({"r": answer}) == {"r": {"id": str(answer["id"])}}

    body = {"client_report_id": str(uuid.uuid4()), "observed_at": NOW.isoformat(), "mood": 3}
    whole = ReportCreateSchema()
    assert whole.load(body)["mood"] == 3  # the original's loader is built
    only_ids = Schema.from_dict({"r": fields.Nested(whole, only=("client_report_id", "observed_at"))})()
    with pytest.raises(ValidationError) as caught:
        only_ids.load({"r": body})
    assert caught.value.messages == {"r": {"mood": ["Unknown field."]}}


def test_a_schema_of_many_items_is_refused_when_built():
    inner = type("Inner", (Schema,), {"x": fields.Int()})
    with pytest.raises(TypeError, match="many items"):
        FastLoader(inner(many=True))
    outer = Schema.from_dict({"inner": fields.Nested(inner(many=True))})
    with pytest.raises(TypeError, match="many items"):
        FastLoader(outer())


def test_a_schema_it_cannot_vouch_for_still_loads_through_marshmallow(caplog):
    from schemas.fast import FastLoad

    class Trimmed(FastLoad, Schema):
        name = fields.String()

        @pre_load
        def trim(self, data, **kwargs):
            return {k: v.strip() for k, v in data.items()}

    with caplog.at_level("WARNING", logger="schemas.fast"):
        assert Trimmed().load({"name": "  Ada "}) == {"name": "Ada"}
    assert "no fast path for Trimmed" in caplog.text
