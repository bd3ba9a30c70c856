"""DriverStatement: the same rows, values and errors as running the statement through SQLAlchemy."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import JSON, Integer, bindparam, column, exc, insert, literal, select, table
from sqlalchemy.dialects import postgresql

from service.domain.sql import DriverStatement
from service.extensions import db
from service.models import Clinic

T = datetime(2026, 1, 15, 17, 0, tzinfo=UTC)


def test_rows_match_what_sqlalchemy_returns(app):
    clinic_id = uuid.uuid4()
    clinics = Clinic.__table__
    db.session.execute(
        insert(clinics).values(
            id=clinic_id, name="Driver", time_zone="UTC", settings={"a": [1, 2]}, created_at=T, updated_at=T
        )
    )
    stmt = select(clinics.c.id, clinics.c.name, clinics.c.settings, clinics.c.created_at, literal(7).label("seven"))
    stmt = stmt.where(clinics.c.id == bindparam("clinic_id"))
    rows = DriverStatement(stmt).rows(db.session, {"clinic_id": clinic_id})
    assert rows == [(clinic_id, "Driver", {"a": [1, 2]}, T, 7)]
    assert rows == [tuple(r) for r in db.session.execute(stmt, {"clinic_id": clinic_id})]
    assert DriverStatement(stmt).rows(db.session, {"clinic_id": uuid.uuid4()}) == []
    db.session.rollback()


def test_json_values_are_sent_as_json(app):
    stmt = select(bindparam("doc", type_=JSON).label("doc"), bindparam("n", type_=Integer).label("n"))
    assert DriverStatement(stmt).rows(db.session, {"doc": [1, {"b": None}], "n": 3}) == [([1, {"b": None}], 3)]
    assert DriverStatement(stmt).rows(db.session, {"doc": None, "n": 3}) == [(None, 3)]
    db.session.rollback()


def test_database_errors_come_back_as_sqlalchemy_errors_and_the_session_rolls_back(app):
    clinics = Clinic.__table__
    row = {"id": uuid.uuid4(), "name": "Twice", "time_zone": "UTC", "settings": {}, "created_at": T, "updated_at": T}
    stmt = insert(clinics).values({name: bindparam(name) for name in row})
    assert DriverStatement(stmt).rows(db.session, row) == []
    with pytest.raises(exc.IntegrityError):
        DriverStatement(stmt).rows(db.session, row)
    db.session.rollback()
    assert db.session.scalar(select(clinics.c.id).where(clinics.c.id == row["id"])) is None  # nothing half-stored


def test_an_expanding_in_is_refused_on_postgresql():
    stmt = select(table("t", column("x"))).where(column("x").in_(bindparam("xs", expanding=True)))
    with pytest.raises(ValueError, match="ANY"):
        DriverStatement(stmt)._compile(postgresql.psycopg.dialect())
