"""Small SQL helpers for set-based work that stays fast on PostgreSQL and portable to SQLite."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import JSON, Column, Integer, String, Text, any_, bindparam, column, func, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session, scoped_session
from sqlalchemy.sql import ClauseElement

_PG_TYPES = {"uuid": "uuid", "json": "jsonb", "int": "integer", "time": "timestamptz", "text": "text"}


def dialect_of(session: Session) -> str:
    return session.get_bind().dialect.name


def among(session: Session, column, values: Sequence):
    """``column IN values``: one array parameter on PostgreSQL (= ANY), an expanding IN elsewhere."""
    if dialect_of(session) == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(list(values))


def json_records(name: str, columns: dict[str, Column]):
    """``json_to_recordset(:name) AS name(position integer, column type, …)``: many rows as one JSON
    parameter (PostgreSQL), made by ``json_rows``; ``position`` is each row's place in the list.

    One JSON document costs the driver one dump, where an array per column costs it a scan of every
    list on every call. ``columns`` maps a field of the records to the table column whose type it
    takes (text for any string: a VARCHAR(n) here would be a second, silent length rule).
    """
    kinds = [column(name, Text() if isinstance(c.type, String) else c.type) for name, c in columns.items()]
    return (
        func.json_to_recordset(bindparam(name, type_=JSON()))
        .table_valued(column("position", Integer()), *kinds)
        .render_derived(name=name, with_types=True)
    )


def json_rows(rows: Sequence[dict], fields: Iterable[str]) -> list[dict]:
    """Rows as json_records reads them: each with its position, these fields made JSON (json_value)."""
    fields = tuple(fields)
    return [{"position": i, **{f: json_value(row.get(f)) for f in fields}} for i, row in enumerate(rows)]


def json_value(value):
    """A value as json_records sends it: UUIDs as text, timestamps as ISO 8601 with their offset."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        if value.utcoffset() is None:
            raise ValueError("a timestamp without a UTC offset would be read in the server's time zone")
        return value.isoformat()
    return value


def insert_records(session: Session, *, table: str, columns: dict[str, str], rows: list[dict], conflict: str) -> list:
    """PostgreSQL: insert many rows with one statement over one JSON parameter (ON CONFLICT DO NOTHING);
    returns the ids of the rows written (the table's key column is ``id``).

    As with json_records, the statement stays tiny and the same each time however many rows come.
    ``columns`` maps a column to uuid, json, int, time or text.
    """
    names = ", ".join(columns)
    kinds = ", ".join(["position integer", *(f"{name} {_PG_TYPES[kind]}" for name, kind in columns.items())])
    statement = text(
        f"INSERT INTO {table} ({names}) SELECT {names} "  # noqa: S608 - names are ours
        f"FROM json_to_recordset(CAST(:rows AS json)) AS given({kinds}) ORDER BY position "
        f"ON CONFLICT ({conflict}) DO NOTHING RETURNING id"
    )
    return list(session.scalars(statement, {"rows": json.dumps(json_rows(rows, columns))}))


class DriverStatement:
    """A statement on a hot path: with psycopg, compiled once and run straight on the driver over the
    session's connection, in its transaction; through the session's connection elsewhere.

    On small statements SQLAlchemy's per-execution work (cache lookup, execution context, result
    metadata) costs more than psycopg's own; this skips that and nothing else. The SQL is the one
    SQLAlchemy compiles; values go through the column types' own bind processors (UTC timestamps,
    JSON, enums) and rows through their result processors, so callers get what SQLAlchemy would give;
    errors are handled by the connection as SQLAlchemy handles them (wrapped as DBAPIError with the
    engine's hidden parameters, a lost connection invalidated with its pool). Rows are plain tuples
    in the statement's column order.

    ``direct`` (on by default) is the only switch: off, every statement runs through the session's
    connection (SQLAlchemy's public execution), as on other drivers; bench/fast_paths.py measures both.
    """

    direct = True

    def __init__(self, statement: ClauseElement, *, elsewhere: ClauseElement | None = None):
        self.statement = statement
        self.elsewhere = statement if elsewhere is None else elsewhere  # e.g. IN (…) where PostgreSQL has = ANY
        self._compiled: dict[type, _Compiled] = {}  # per dialect class

    def _compile(self, dialect) -> _Compiled:
        compiled = self.statement.compile(dialect=dialect)
        if compiled.positional or compiled.post_compile_params or compiled.literal_execute_params:
            raise ValueError("a DriverStatement needs named parameters and no expanding IN (use = ANY)")
        names = compiled.bind_names
        defaults = {names[bind]: bind.effective_value for bind in names if not bind.required}
        binds = tuple(compiled._bind_processors.items())
        results = tuple(column.type for column in compiled._result_columns)
        return _Compiled(compiled.string, defaults, binds, results)

    def rows(self, session: Session | scoped_session, params: dict) -> list[tuple]:
        if isinstance(session, scoped_session):
            session = session()  # the request's session itself (each attribute of the proxy is a lookup)
        if session.autoflush:  # as session.execute() would: pending ORM changes reach the database first
            session.flush()
        connection = session.connection()
        dialect = connection.dialect
        if dialect.driver != "psycopg" or not DriverStatement.direct:
            statement = self.statement if dialect.driver == "psycopg" else self.elsewhere
            result = connection.execute(statement, params)
            return [tuple(row) for row in result] if result.returns_rows else []
        compiled = self._compiled.get(type(dialect))
        if compiled is None:
            compiled = self._compiled[type(dialect)] = self._compile(dialect)
        values = {**compiled.defaults, **params}
        try:
            for name, process in compiled.binds:
                if name in values:
                    values[name] = process(values[name])
            cursor = _cursor_of(connection.connection)
            cursor.execute(compiled.sql, values)
            if not compiled.result_types:
                return []
            rows = cursor.fetchall()
        except BaseException as error:  # as Connection._execute_context does: wrap, invalidate, re-raise
            connection._handle_dbapi_exception(error, compiled.sql, values, None, None)
        processors = compiled.result_processors(dialect, cursor)
        if not processors:
            return rows
        return [tuple(process(v) if process else v for process, v in zip(processors, row, strict=True)) for row in rows]


def _cursor_of(fairy):
    """One psycopg cursor per database connection, made once and kept with it (a new cursor per statement
    costs about a third of the driver's work on these small statements)."""
    dbapi_connection = fairy.dbapi_connection
    cursor = fairy.info.get("driver_statement_cursor")
    if cursor is None or cursor.closed or cursor.connection is not dbapi_connection:
        cursor = fairy.info["driver_statement_cursor"] = dbapi_connection.cursor()
    return cursor


class _Compiled:
    """A DriverStatement compiled for one dialect: its SQL, default values, bind and result processors."""

    def __init__(self, sql: str, defaults: dict, binds: tuple, result_types: tuple):
        self.sql, self.defaults, self.binds, self.result_types = sql, defaults, binds, result_types
        self._result_processors: list | None = None

    def result_processors(self, dialect, cursor) -> list:
        """One processor (or None) per column, built from the first result; [] when no column needs one.

        (psycopg builds cursor.description anew on every access, so it is read only this once.)"""
        if self._result_processors is None:
            processors = [
                kind._cached_result_processor(dialect, column.type_code)
                for kind, column in zip(self.result_types, cursor.description, strict=True)
            ]
            self._result_processors = processors if any(processors) else []
        return self._result_processors
