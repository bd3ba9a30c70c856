"""Fast dumping of flat schemas for hot lists (the triage queue).

``FlatDumper(Schema())`` reads the schema's own field declarations once and turns each into a plain
converter, so a page of items is dumped without marshmallow's per-field machinery (about six times
faster for the queue's 25 items of 15 fields). The output is the same JSON ``Schema.dump`` gives — tests
compare the two on the same data — and the schema stays the one source of the API's documentation.
Only plain field types and plain nested schemas of them are understood; anything else (methods,
hooks, partial nesting) is refused when the dumper is built, not silently dumped differently.

(Report ingestion loads and dumps through marshmallow's public ``Schema.load``/``dump``: a fast load and
dump there bought nothing measurable, see bench/README.md.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from marshmallow import Schema, fields, missing

from schemas.base import UtcDateTime, in_utc

Converter = Callable[[Any], Any]


def _nullable(convert: Converter) -> Converter:
    return lambda value: None if value is None else convert(value)


def _plain(field: fields.Field, base: type[fields.Field]) -> bool:
    """The field serializes exactly as ``base`` does (no subclass override)."""
    return isinstance(field, base) and type(field)._serialize is base._serialize


def converter_for(field: fields.Field) -> Converter:
    """A function giving what ``field.serialize`` gives for a present value."""
    if field.dump_default is not missing:
        raise TypeError(f"no fast dump for a field with a dump default ({type(field).__name__})")
    if _plain(field, fields.UUID):
        return _nullable(str)
    if _plain(field, fields.Enum) and field.by_value in (True, False):
        return _nullable((lambda v: v.value) if field.by_value else (lambda v: v.name))
    if _plain(field, UtcDateTime) and field.format in (None, "iso"):
        return _nullable(lambda v: in_utc(v).isoformat())
    if _plain(field, fields.DateTime) and not isinstance(field, fields.NaiveDateTime):
        if field.format not in (None, "iso"):
            raise TypeError(f"no fast dump for the {field.format!r} date format")
        return _nullable(lambda v: v.isoformat())
    if _plain(field, fields.String):
        return _nullable(str)
    if _plain(field, fields.Boolean):
        return lambda value: value  # marshmallow dumps booleans as they are
    if type(field) is fields.Integer and not field.as_string:
        return _nullable(int)
    if type(field) is fields.List:
        inner = converter_for(field.inner)
        return _nullable(lambda values: [inner(v) for v in values])
    if type(field) is fields.Nested and not (field.many or field.only or field.exclude):
        return _nullable(FlatDumper(field.schema).one)
    raise TypeError(f"no fast dump for {type(field).__name__}")


class FlatDumper:
    """Dumps mappings the way ``schema.dump`` would, for a schema of plain fields and no hooks."""

    def __init__(self, schema: Schema):
        if schema._hooks.get("post_dump") or schema._hooks.get("pre_dump"):
            raise TypeError(f"{type(schema).__name__} has dump hooks; dump it with marshmallow")
        self._plan = tuple(
            (field.attribute or name, field.data_key or name, converter_for(field))
            for name, field in schema.dump_fields.items()
        )

    def one(self, item: Mapping) -> dict:
        return {key: convert(item[attribute]) for attribute, key, convert in self._plan if attribute in item}

    def many(self, items: Iterable[Mapping]) -> list[dict]:
        return [self.one(item) for item in items]
