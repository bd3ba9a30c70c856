"""Time arithmetic in SQL that means the same on PostgreSQL and SQLite."""

from __future__ import annotations

from sqlalchemy import DateTime, literal_column
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
