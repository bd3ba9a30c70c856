"""The project's base schema and strict field types."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import ValidationError, fields, validate


class Schema(ma.Schema):
    """Base schema: unknown fields are an error, never silently dropped."""

    class Meta:
        unknown = ma.RAISE


class StrictInteger(fields.Integer):
    """An integer that refuses floats, numeric strings and booleans."""

    def __init__(self, **kwargs):
        super().__init__(strict=True, **kwargs)

    def _validated(self, value):
        if isinstance(value, bool):
            raise self.make_error("invalid")
        return super()._validated(value)


def Int(lo: int, hi: int, **kwargs) -> StrictInteger:  # noqa: N802 - reads like a type
    """A strict integer within [lo, hi]."""
    return StrictInteger(validate=validate.Range(min=lo, max=hi), **kwargs)


def storable_text(value: str) -> None:
    """Refuse what no database should store: NUL characters and unpaired surrogates."""
    if "\x00" in value:
        raise ValidationError("Text may not contain NUL characters.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError("Text must be valid Unicode (no unpaired surrogates).") from None


def Text(max_length: int, *, min_length: int = 0, **kwargs) -> fields.String:  # noqa: N802
    """A string with a length limit that the database can store as given."""
    return fields.String(validate=[validate.Length(min=min_length, max=max_length), storable_text], **kwargs)


def Number(lo: float, hi: float, **kwargs) -> fields.Float:  # noqa: N802
    """A finite number within [lo, hi] (NaN and Infinity refused)."""
    return fields.Float(allow_nan=False, validate=validate.Range(min=lo, max=hi), **kwargs)


class ErrorSchema(Schema):
    """The one error shape of every error response."""

    code = fields.Integer(metadata={"description": "HTTP status code", "example": 422})
    status = fields.String(metadata={"description": "HTTP status name", "example": "Unprocessable Entity"})
    message = fields.String(metadata={"description": "What went wrong, in words"})
    errors = fields.Dict(
        metadata={
            "description": "Per location and field: a list of reasons",
            "example": {"json": {"time_zone": ["Not an IANA time zone."]}},
        }
    )
