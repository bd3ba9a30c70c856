"""Small SQL helpers for set-based work that stays fast on PostgreSQL and portable to SQLite."""

from __future__ import annotations

import json
from collections.abc import Sequence

from psycopg.types.json import Json
from sqlalchemy import JSON, any_, bindparam, exc, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from sqlalchemy.sql import ClauseElement

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


class DriverStatement:
    """A statement on a hot path: on PostgreSQL compiled once and run straight on the driver (psycopg)
    over the session's connection, in its transaction; through the session elsewhere.

    On small statements SQLAlchemy's per-execution work (cache lookup, execution context, result
    metadata) costs more than psycopg's own; this skips it and nothing else: the SQL is the one
    SQLAlchemy compiles, errors come back as SQLAlchemy's DBAPIError, and a lost connection is
    invalidated as SQLAlchemy would. Rows are plain tuples in the statement's column order. Values go
    to psycopg as they are (it adapts uuid, datetime, str, int and lists itself), JSON ones wrapped.
    """

    def __init__(self, statement: ClauseElement, *, elsewhere: ClauseElement | None = None):
        self.statement = statement
        self.elsewhere = statement if elsewhere is None else elsewhere  # e.g. IN (…) where PostgreSQL has = ANY
        self._pg: tuple[str, dict, frozenset[str]] | None = None

    def _compile(self, dialect) -> tuple[str, dict, frozenset[str]]:
        compiled = self.statement.compile(dialect=dialect)
        if compiled.positional or compiled.post_compile_params or compiled.literal_execute_params:
            raise ValueError("a DriverStatement needs named parameters and no expanding IN (use = ANY)")
        defaults = {name: bind.value for name, bind in compiled.binds.items() if not bind.required}
        json_names = frozenset(name for name, bind in compiled.binds.items() if isinstance(bind.type, JSON))
        return compiled.string, defaults, json_names

    def rows(self, session: Session, params: dict) -> list[tuple]:
        connection = session.connection()
        if connection.dialect.name != "postgresql":
            result = connection.execute(self.elsewhere, params)
            return [tuple(row) for row in result] if result.returns_rows else []
        if self._pg is None:
            self._pg = self._compile(connection.dialect)
        sql, defaults, json_names = self._pg
        values = {**defaults, **params}
        for name in json_names:
            if values.get(name) is not None:
                values[name] = Json(values[name])
        driver = connection.connection.dbapi_connection
        try:
            cursor = driver.execute(sql, values)
            return cursor.fetchall() if cursor.description is not None else []
        except connection.dialect.loaded_dbapi.Error as error:
            if connection.dialect.is_disconnect(error, driver, None):
                connection.invalidate(error)
            raise exc.DBAPIError.instance(sql, values, error, connection.dialect.loaded_dbapi.Error) from error
