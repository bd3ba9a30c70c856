"""Rules the OpenAPI document keeps so that clients generated from it are good to use.

An apispec plugin (flask-smorest hands it to the spec, see service.extensions) checks every operation as
it is documented: an operation without an ``operationId``, with one that is not a camelCase verb phrase,
or with one another operation already has, stops the app from being built, so a new endpoint cannot
forget its name (give it ``@blp.doc(operationId="verbNoun")``).

It also shapes two kinds of field for OpenAPI 3.0, which has no ``null`` type:
- an enum (``fields.Enum``, or a string field with ``metadata={"enum_of": SomeEnum}``) is one named
  component per enum class, referenced from every field that holds it; a field that may be null says
  ``nullable`` beside the reference, and ``null`` is never a member of the enum;
- a nested schema that may be null is that schema or null (``allOf`` of the one reference, ``nullable``),
  never "any object or the schema".
"""

from __future__ import annotations

import re
from enum import Enum

from apispec import BasePlugin
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import fields

OPERATION_ID = re.compile(r"[a-z]+(?:[A-Z][a-z0-9]*)*")


class ContractError(RuntimeError):
    """The document would break a rule that generated clients rely on."""


class ContractPlugin(BasePlugin):
    """Checks each documented operation's ``operationId``: present, camelCase, unique in the document."""

    def init_spec(self, spec) -> None:
        super().init_spec(spec)
        self._named: dict[str, str] = {}
        self._enums: dict[str, type[Enum]] = {}
        self.spec = spec
        converter = next(plugin for plugin in spec.plugins if isinstance(plugin, MarshmallowPlugin)).converter
        plugin = self

        def enums_and_nullables(_converter, field, ret, **kwargs) -> dict:
            plugin.shape(field, ret)
            return {}

        converter.add_attribute_function(enums_and_nullables)

    def shape(self, field: fields.Field, ret: dict) -> None:
        """Rewrite, in place, the property apispec made of ``field`` (runs after apispec's own rules)."""
        enum = field.enum if isinstance(field, fields.Enum) else field.metadata.get("enum_of")
        if enum is not None:
            for key in ("type", "enum", "nullable", "anyOf"):
                ret.pop(key, None)
            reference = self._enum_component(enum, field)
            if ret or field.allow_none:
                ret["allOf"] = [reference]  # a $ref stands alone in 3.0: its siblings would be ignored
            else:
                ret.update(reference)
        elif isinstance(field, fields.Nested) and field.allow_none and "anyOf" in ret:
            ret["allOf"] = [part for part in ret.pop("anyOf") if "$ref" in part]
        else:
            return
        if field.allow_none:
            ret["nullable"] = True

    def _enum_component(self, enum: type[Enum], field: fields.Field):
        name = enum.__name__
        known = self._enums.setdefault(name, enum)
        if known is not enum:
            raise ContractError(f"Two enums are named {name}: {known.__module__} and {enum.__module__}.")
        if name not in self.spec.components.schemas:
            values = [member.value for member in enum] if getattr(field, "by_value", True) else list(enum.__members__)
            kind = "integer" if all(isinstance(value, int) for value in values) else "string"
            self.spec.components.schema(name, {"type": kind, "enum": values})
        return {"$ref": f"#/components/schemas/{name}"}

    def operation_helper(self, path=None, operations=None, **kwargs) -> None:
        for method, operation in (operations or {}).items():
            where = f"{method.upper()} {path}"
            name = operation.get("operationId")
            if not name:
                raise ContractError(f'{where} has no operationId: give it @blp.doc(operationId="verbNoun").')
            if not OPERATION_ID.fullmatch(name):
                raise ContractError(f"{where}: operationId {name!r} is not camelCase (like 'submitReport').")
            if name in self._named:
                raise ContractError(f"{where}: operationId {name!r} is already {self._named[name]}'s.")
            self._named[name] = where
