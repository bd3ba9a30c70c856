"""Time arithmetic in SQL that means the same on PostgreSQL and SQLite."""

from __future__ import annotations

from sqlalchemy import BigInteger, DateTime, Float, cast, literal_column
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class PlusHours(FunctionElement):
    """``moment + hours`` for a timestamp column, to compare with another timestamp column in SQL.

    PostgreSQL adds an interval. SQLite keeps UTC timestamps as text ('YYYY-MM-DD HH:MM:SS.ffffff', the
    form SQLAlchemy writes): whole hours are added to the whole seconds and the fraction is kept as it was, so
    the result compares as text exactly as the instants do.
    """

    type = DateTime()
    name = "plus_hours"
    inherit_cache = True

    def __init__(self, moment, hours: int):
        # The hours ride along as a literal clause, so that they are part of the statement's cache key.
        super().__init__(moment, literal_column(str(int(hours))))


@compiles(PlusHours)
def _plus_hours_postgresql(element, compiler, **kw):
    moment, hours = element.clauses
    return f"({compiler.process(moment, **kw)} + INTERVAL '{hours.name} hours')"


@compiles(PlusHours, "sqlite")
def _plus_hours_sqlite(element, compiler, **kw):
    moment, hours = element.clauses
    column = compiler.process(moment, **kw)
    # SQLite's date functions keep milliseconds (and round to them): add the hours to the whole seconds only.
    return f"(strftime('%Y-%m-%d %H:%M:%S', substr({column}, 1, 19), '+{hours.name} hours') || substr({column}, 20))"


class Percentile(FunctionElement):
    """The aggregate ``percentile_cont(share) WITHIN GROUP (ORDER BY value)``: linear between ranks, what
    ``statistics.quantiles(method="inclusive")`` and ``statistics.median`` give.

    PostgreSQL has it. SQLite has none: ``register_sqlite_functions`` adds ``percentile_cont(value, share)``,
    an aggregate in Python (``_SqlitePercentile``) with the same method, to every SQLite connection."""

    type = Float()
    name = "percentile"
    inherit_cache = True

    def __init__(self, value, share: float):
        super().__init__(value, literal_column(repr(float(share))))


@compiles(Percentile)
def _percentile_postgresql(element, compiler, **kw):
    value, share = element.clauses
    return f"percentile_cont({share.name}) WITHIN GROUP (ORDER BY {compiler.process(value, **kw)})"


@compiles(Percentile, "sqlite")
def _percentile_sqlite(element, compiler, **kw):
    value, share = element.clauses
    return f"percentile_cont({compiler.process(value, **kw)}, {share.name})"


def linear_percentile(values: list[float], share: float) -> float | None:
    """The value ``share`` of the way through the sorted values, linear between ranks; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = share * (len(ordered) - 1)
    below = int(position)
    if below + 1 >= len(ordered):
        return ordered[-1]
    return ordered[below] + (ordered[below + 1] - ordered[below]) * (position - below)


class _SqlitePercentile:
    """SQLite's ``percentile_cont(value, share)``: NULL values are left out, as PostgreSQL does."""

    def __init__(self):
        self.values: list[float] = []
        self.share = 0.5

    def step(self, value, share):
        self.share = share
        if value is not None:
            self.values.append(value)

    def finalize(self):
        return linear_percentile(self.values, self.share)


def register_sqlite_functions(dbapi_connection) -> None:
    """Add the aggregates SQLite lacks (see ``Percentile``) to a new SQLite connection."""
    dbapi_connection.create_aggregate("percentile_cont", 2, _SqlitePercentile)


class MicrosecondsBetween(FunctionElement):
    """``(end - start)`` in whole microseconds, exactly, as an integer: for counting whole weeks or days between
    two instants, where a float (Julian days) could land a moment on a boundary a hair to the wrong side.

    PostgreSQL takes the interval's seconds (numeric: exact). SQLite's text form ('YYYY-MM-DD HH:MM:SS.ffffff')
    gives whole seconds from strftime('%s') and the microseconds from the last six characters."""

    type = BigInteger()
    name = "microseconds_between"
    inherit_cache = True


@compiles(MicrosecondsBetween)
def _microseconds_between_postgresql(element, compiler, **kw):
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"CAST(EXTRACT(EPOCH FROM ({end} - {start})) * 1000000 AS BIGINT)"


@compiles(MicrosecondsBetween, "sqlite")
def _microseconds_between_sqlite(element, compiler, **kw):
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)

    def micros(column: str) -> str:
        return (
            f"(CAST(strftime('%s', substr({column}, 1, 19)) AS INTEGER) * 1000000"
            f" + CAST(substr({column} || '.000000', 21, 6) AS INTEGER))"
        )

    return f"({micros(end)} - {micros(start)})"


def minutes_between(start, end):
    """``(end - start)`` in minutes, as a float: from the exact microseconds (MicrosecondsBetween)."""
    return cast(MicrosecondsBetween(start, end), Float) / 60_000_000
