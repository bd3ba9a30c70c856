"""Fast dumping of flat schemas for hot lists (the triage queue), and fast loading of hot bodies.

``FlatDumper(Schema())`` reads the schema's own field declarations once and turns each into a plain
converter, so a page of items is dumped without marshmallow's per-field machinery (about six times
faster for the queue's 25 items of 15 fields). The output is the same JSON ``Schema.dump`` gives — tests
compare the two on the same data — and the schema stays the one source of the API's documentation.
Only plain field types and plain nested schemas of them are understood; anything else (methods,
hooks, partial nesting) is refused when the dumper is built, not silently dumped differently.

``FastLoad`` (a schema mixin) loads a body without marshmallow's per-load machinery when it can vouch
for the result, and hands everything else to marshmallow (see FastLoader).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, missing

Converter = Callable[[Any], Any]
log = logging.getLogger(__name__)


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


def _own_fast_path(schema, attribute: str, build):
    """The fast loader or dumper of this very schema instance, built on first use; None when it cannot be
    built (the schema then goes through marshmallow, and a warning says so once).

    It is kept with its owner: a copy of the schema (marshmallow copies an instance given to Nested
    before applying only/exclude to it) builds its own from its own fields.
    """
    kept = schema.__dict__.get(attribute)
    if kept is None or kept[0] is not schema:
        try:
            fast = build(schema)
        except TypeError as refused:
            log.warning("no fast path for %s: %s", type(schema).__name__, refused)
            fast = None
        kept = schema.__dict__[attribute] = (schema, fast)
    return kept[1]


class FastDump:
    """Schema mixin: ``dump`` of mappings by a FlatDumper built from the schema (objects go to marshmallow)."""

    def dump(self, obj, *, many=None):
        many = self.many if many is None else bool(many)
        dumper = _own_fast_path(self, "_fast_dumper", FlatDumper)
        if dumper is not None and not many and isinstance(obj, Mapping):
            return dumper.one(obj)
        return super().dump(obj, many=many)


class FastLoader:
    """Loads what ``schema.load`` would, or says None: then marshmallow must load it (and word the errors).

    Every value still goes through its field's own ``deserialize`` (types, ranges, lengths, custom
    fields) and the result through the schema's own ``@validates_schema`` methods, nested schemas
    likewise; only marshmallow's orchestration (error store, getters, hook lookups) is skipped. So it
    answers only where it is sure: a dict with no unknown key and every required key, where no field
    and no validator objects. Anything else — an error of any kind, a key it does not know, a shape it
    was not built for — is None, and the caller asks marshmallow, which then gives the same answer
    or the error a client reads. Schemas with pre/post-load hooks, field-level ``@validates``,
    defaults or dotted attributes are refused when the loader is built.
    """

    def __init__(self, schema: Schema):
        hooks = schema._hooks
        if hooks["pre_load"] or hooks["post_load"] or hooks["validates"]:
            raise TypeError(f"{type(schema).__name__} has load hooks; load it with marshmallow")
        if schema.many:
            raise TypeError(f"{type(schema).__name__}: a schema of many items loads slowly")
        if schema.unknown != RAISE or schema.partial:
            raise TypeError(f"{type(schema).__name__}: only unknown=RAISE without partial loads fast")
        plan = []
        for name, field in schema.load_fields.items():
            attribute = field.attribute or name
            if field.load_default is not missing or "." in attribute:
                raise TypeError(f"{type(schema).__name__}.{name}: defaults and dotted attributes load slowly")
            plan.append((field.data_key or name, attribute, field, self._nested(field)))
        self._plan = tuple(plan)
        self._keys = frozenset(key for key, *_ in plan)
        self._required = frozenset(key for key, _attribute, field, _sub in plan if field.required)
        # In marshmallow's order: the validators given the whole collection first, then the others.
        validators = sorted(hooks["validates_schema"], key=lambda hook: not hook[1])
        if any(kwargs.get("pass_original") for _name, _many, kwargs in validators):
            raise TypeError(f"{type(schema).__name__}: validators given the original data load slowly")
        self._validators = tuple(getattr(schema, name) for name, _many, _kwargs in validators)

    @staticmethod
    def _nested(field: fields.Field):
        """A loader for a Nested field or a List of Nested; None for a field loaded by its own deserialize."""
        nested = field.inner if type(field) is fields.List else field
        if type(nested) is not fields.Nested:
            return None
        if nested.many or nested.unknown is not None or nested.only or nested.exclude:
            raise TypeError("only plain Nested schemas load fast")
        if nested is not field and nested.validators:
            raise TypeError("validators on a List's Nested items load slowly")
        return FastLoader(nested.schema)

    def load(self, data) -> dict | None:
        if type(data) is not dict or not data.keys() <= self._keys or not self._required <= data.keys():
            return None
        loaded = {}
        try:
            for key, attribute, field, nested in self._plan:
                if key not in data:
                    continue
                value = data[key]
                if nested is None:
                    loaded[attribute] = field.deserialize(value, key, data)
                    continue
                if value is None:
                    if not field.allow_none:
                        return None
                    loaded[attribute] = None
                    continue
                if type(field) is fields.List:
                    if type(value) is not list:
                        return None
                    items = [nested.load(item) for item in value]
                    if None in items:
                        return None
                    value = items
                else:
                    value = nested.load(value)
                    if value is None:
                        return None
                field._validate(value)  # the field's own validators (e.g. a List's Length)
                loaded[attribute] = value
            for validator in self._validators:
                validator(loaded, partial=None, many=False, unknown=RAISE)
        except ValidationError:
            return None
        return loaded


class FastLoad:
    """Schema mixin: ``load`` takes FastLoader's answer when it has one, marshmallow's otherwise."""

    def load(self, data, *, many=None, partial=None, unknown=None):
        if many is None and partial is None and unknown in (None, RAISE) and not self.many:
            fast = _own_fast_path(self, "_fast_loader", FastLoader)
            loaded = fast.load(data) if fast is not None else None
            if loaded is not None:
                return loaded
        return super().load(data, many=many, partial=partial, unknown=unknown)
