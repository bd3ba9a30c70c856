"""Reading HTML forms: text fields become typed values, then the API's own schemas check them.

A browser sends every field as text, while the API's schemas are strict about JSON types (no
numeric strings). So a form is first turned into the JSON the API would receive (numbers as
numbers, empty fields left out, local times given the clinic's offset), and then loaded with
the same schema, so both doors apply one set of rules.
"""

from __future__ import annotations

import math
import uuid
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from marshmallow import Schema, ValidationError

from service.errors import ValidationFailed


class FormInvalid(ValidationFailed):
    """Several fields of a form are wrong; each is named with its reason."""

    def __init__(self, problems: dict[str, str]):
        first = next(iter(problems.values()), "Check the form.")
        super().__init__(first, field=next(iter(problems), None), location="form")
        self.problems = problems

    def errors(self) -> dict:
        return {"form": {field: [reason] for field, reason in self.problems.items()}}


def flatten(messages, prefix: str = "") -> dict[str, str]:
    """marshmallow's nested messages as {"field.sub": "first reason"}."""
    flat: dict[str, str] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            flat.update(flatten(value, name))
    elif isinstance(messages, list):
        if all(isinstance(m, str) for m in messages):
            flat[prefix or "form"] = messages[0] if messages else "Not valid."
        else:
            for item in messages:
                flat.update(flatten(item, prefix))
    else:
        flat[prefix or "form"] = str(messages)
    return flat


def load(schema: Schema, data: dict) -> dict:
    """Load a typed body with an API schema; every problem is named by field."""
    try:
        return schema.load(data)
    except ValidationError as error:
        raise FormInvalid(flatten(error.messages)) from None


def version(form) -> int | None:
    """The flag version the page showed (so two people acting at once cannot both win)."""
    raw = (form.get("version") or "").strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 10 or int(raw) > 2**31 - 1:
        raise ValidationFailed("The page sent a broken version; reload it.", field="version", location="form")
    return int(raw)


def uuid_field(form, name: str) -> uuid.UUID:
    """A required id from a select."""
    try:
        return uuid.UUID(form.get(name, ""))
    except ValueError:
        raise ValidationFailed("Choose someone from the list.", field=name, location="form") from None


def text(form, name: str, *, limit: int, required: bool = False, what: str = "text") -> str:
    """A trimmed text field within a length limit (no NUL)."""
    value = (form.get(name) or "").strip()
    if required and not value:
        raise ValidationFailed(f"Write {what}.", field=name, location="form")
    if len(value) > limit:
        raise ValidationFailed(f"At most {limit} characters (this has {len(value)}).", field=name, location="form")
    if "\x00" in value:
        raise ValidationFailed("Text may not contain NUL characters.", field=name, location="form")
    return value


def choice(form, name: str, enum: type[StrEnum], *, what: str) -> StrEnum:
    """One of an enum's values."""
    try:
        return enum(form.get(name, ""))
    except ValueError:
        raise ValidationFailed(f"Choose {what}.", field=name, location="form") from None


YES = ("1", "on", "true", "yes")
NO = ("0", "off", "false", "no")


def typed(form, spec: dict[str, str], *, zone: str) -> dict:
    """The JSON body a form stands for. spec: field -> int | float | str | local-datetime | bool | yes-no | list.

    Empty fields are left out (so schema defaults and "required" apply); a field that is not what
    its type needs is named with a reason in FormInvalid. "bool" is a checkbox (unticked is false);
    "yes-no" is a pair of radio buttons (neither chosen is left out, so "required" applies); "list"
    is a group of checkboxes sharing one name (none ticked is an empty list).
    """
    body: dict = {}
    problems: dict[str, str] = {}
    for name, kind in spec.items():
        if kind == "list":
            body[name] = [value.strip() for value in form.getlist(name) if value.strip()]
            continue
        raw = form.get(name)
        if kind == "bool":
            body[name] = raw in YES
            continue
        if kind == "yes-no":
            raw = (raw or "").strip().lower()
            if raw in YES:
                body[name] = True
            elif raw in NO:
                body[name] = False
            elif raw:
                problems[name] = "Choose yes or no."
            continue
        raw = (raw or "").strip()
        if raw == "":
            continue
        try:
            body[name] = _convert(raw, kind, zone)
        except ValueError as error:
            problems[name] = str(error)
    if problems:
        raise FormInvalid(problems)
    return body


def _convert(raw: str, kind: str, zone: str):
    if kind == "str":
        return raw
    if kind == "int":
        try:
            return int(raw)
        except ValueError:
            raise ValueError("Enter a whole number.") from None
    if kind == "float":
        try:
            value = float(raw)
        except ValueError:
            raise ValueError("Enter a number.") from None
        if not math.isfinite(value):
            raise ValueError("Enter a number.")
        return value
    if kind == "local-datetime":
        try:
            moment = datetime.fromisoformat(raw)
        except ValueError:
            raise ValueError("Enter a date and time.") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=ZoneInfo(zone))
        return moment.isoformat()
    raise AssertionError(kind)


def form_errors(error) -> dict[str, str]:
    """A domain error as {field: reason} for the page to show next to each field ("form" for the whole form)."""
    errors = error.errors() if hasattr(error, "errors") else None
    flat: dict[str, str] = {}
    for fields in (errors or {}).values():
        flat.update(flatten(fields))
    return flat or {"form": error.message}


def page_number(raw: str | None) -> int:
    """A list page's ``page`` from its query string: a whole number from 1; anything else is the first page."""
    return int(raw) if raw and raw.isdigit() and 0 < int(raw) < 100_000 else 1


def one_page(session, stmt, *, page: int, size: int) -> tuple[list, bool]:
    """The rows of one page of a SELECT (ordered by the caller) and whether another page follows."""
    rows = list(session.scalars(stmt.offset((page - 1) * size).limit(size + 1)))
    return rows[:size], len(rows) > size
