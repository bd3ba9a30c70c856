"""Small SQL helpers for set-based work that stays fast on PostgreSQL and portable to SQLite."""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy import any_, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

_PG_TYPES = {"uuid": "uuid", "json": "jsonb", "int": "integer", "time": "timestamptz", "text": "text"}


def dialect_of(session: Session) -> str:
    return session.get_bind().dialect.name


def among(session: Session, column, values: Sequence):
    """``column IN values``: one array parameter on PostgreSQL (= ANY), an expanding IN elsewhere."""
    if dialect_of(session) == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(list(values))


def insert_unnest(session: Session, *, table: str, columns: dict[str, str], rows: list[dict], conflict: str) -> list:
    """PostgreSQL: insert many rows with one statement of one array per column (ON CONFLICT DO NOTHING);
    returns the ids of the rows written.

    A multi-row VALUES list costs the driver time per placeholder on every call; arrays keep the
    statement tiny and the same each time. ``columns`` maps a column to uuid, json, int, time or text.
    """
    names = list(columns)
    selects = ", ".join(f"CAST(:{name} AS {_PG_TYPES[kind]}[])" for name, kind in columns.items())
    statement = text(
        f"INSERT INTO {table} ({', '.join(names)}) SELECT * FROM unnest({selects}) "  # noqa: S608 - names are ours
        f"ON CONFLICT ({conflict}) DO NOTHING RETURNING id"
    )
    params = {}
    for name, kind in columns.items():
        values = [row.get(name) for row in rows]
        if kind == "json":
            values = [None if v is None else json.dumps(v) for v in values]
        elif kind == "text":
            values = [None if v is None else str(v) for v in values]
        params[name] = values
    return list(session.scalars(statement, params))
