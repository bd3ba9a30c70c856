"""The project's base schema and strict field types."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import marshmallow as ma
from marshmallow import ValidationError, fields, validate


class Schema(ma.Schema):
    """Base schema: unknown fields are an error, never silently dropped."""

    class Meta:
        unknown = ma.RAISE


class Answer(Schema):
    """A response body whose fields are always in the answer (null when they have no value), so the document
    lists them as required and generated clients type them as present; a field that is left out when it
    does not apply is named in SOMETIMES. tests/clients check live answers against the document."""

    SOMETIMES: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.required = name not in self.SOMETIMES


class StrictInteger(fields.Integer):
    """An integer that refuses floats, numeric strings and booleans."""

    def __init__(self, **kwargs):
        super().__init__(strict=True, **kwargs)

    def _validated(self, value):
        if isinstance(value, bool):
            raise self.make_error("invalid")
        return super()._validated(value)


class StrictBoolean(fields.Boolean):
    """Only JSON true/false: no "yes", "on", 1 or 0 (1 == True in Python, so a membership test lets it in)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class StrictFloat(fields.Float):
    """A finite JSON number: no numeric strings, no booleans, no NaN or Infinity."""

    def __init__(self, **kwargs):
        super().__init__(allow_nan=False, **kwargs)

    def _validated(self, value):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.make_error("invalid")
        return super()._validated(value)


class TrimmedString(fields.String):
    """A string with surrounding whitespace removed before it is validated."""

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).strip()


class UtcDateTime(fields.AwareDateTime):
    """A timestamp that the API always writes in UTC with an explicit offset (``2026-11-01T21:00:00+00:00``),
    however the value came in: a create echoes what a later read gives."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return super()._serialize(in_utc(value), attr, obj, **kwargs)


def in_utc(value: datetime) -> datetime:
    """The same instant in UTC (a naive value is taken as UTC, the way the database stores it)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Moment(UtcDateTime):
    """An ISO 8601 timestamp with offset, within years 1900-2200 (so it always converts to UTC); loaded as UTC."""

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            utc = moment.astimezone(UTC)
        except (OverflowError, ValueError):
            raise ValidationError("Timestamp is out of range.") from None
        if not 1900 <= utc.year <= 2200:
            raise ValidationError("Timestamp is out of range (years 1900-2200).")
        return utc


class DateOrMoment(fields.String):
    """A calendar day (``2026-11-01``) or an instant with offset (``2026-11-01T09:00:00-07:00``).

    Days are read in the clinic's time zone by the caller: a range from day A to day B covers both days whole.
    """

    _DAY = re.compile(r"\d{4}-\d{2}-\d{2}")

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {})
        kwargs["metadata"].setdefault("description", "A date (YYYY-MM-DD, the clinic's day) or a timestamp with offset")
        super().__init__(**kwargs)
        self._moment = Moment()

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if self._DAY.fullmatch(value):
            try:
                day = date.fromisoformat(value)
            except ValueError:
                raise ValidationError("Not a valid date.") from None
            if not 1900 <= day.year <= 2200:
                raise ValidationError("Date is out of range (years 1900-2200).")
            return day
        return self._moment.deserialize(value, attr, data, **kwargs)


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


def Name(max_length: int, **kwargs) -> TrimmedString:  # noqa: N802
    """A name: trimmed, not blank, storable."""
    return TrimmedString(
        validate=[
            validate.Length(min=1, max=max_length, error=f"Must not be blank (at most {max_length} characters)."),
            storable_text,
        ],
        **kwargs,
    )


def Number(lo: float, hi: float, **kwargs) -> StrictFloat:  # noqa: N802
    """A finite number within [lo, hi] (NaN, Infinity and numeric strings refused)."""
    return StrictFloat(validate=validate.Range(min=lo, max=hi), **kwargs)


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
