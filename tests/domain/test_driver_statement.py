"""DriverStatement: the same rows, values and errors as running the statement through SQLAlchemy."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import JSON, Integer, bindparam, column, exc, func, insert, literal, select, table
from sqlalchemy.dialects import postgresql

from service.domain.sql import DriverStatement
from service.extensions import db
from service.models import Clinic
from tests import factories
from tests.dbutil import configured_database_url

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


def test_values_and_rows_go_through_the_column_types_as_with_sqlalchemy(app, world):
    from service.enums import Route
    from service.models import Infusion
    from tests.jobkit import give_infusion

    patient = factories.make_patient(world.clinic)
    give_infusion(patient, ended_at=T)
    db.session.commit()
    infusions = Infusion.__table__
    patient_id = patient.id
    stmt = select(infusions.c.route, infusions.c.ended_at, infusions.c.started_at).where(
        infusions.c.patient_id == bindparam("patient_id"), infusions.c.ended_at <= bindparam("before")
    )
    rows = DriverStatement(stmt).rows(db.session, {"patient_id": patient_id, "before": datetime.now(UTC)})
    assert rows == [tuple(r) for r in db.session.execute(stmt, {"patient_id": patient_id, "before": datetime.now(UTC)})]
    assert rows, "the world's patient has an infusion"
    route, ended_at, _ = rows[0]
    assert isinstance(route, Route)  # the enum member, as SQLAlchemy gives it
    assert ended_at.tzinfo is UTC  # UTC whatever the connection's time zone
    with pytest.raises(exc.StatementError, match="naive"):  # the UTC column type still refuses naive times
        DriverStatement(stmt).rows(db.session, {"patient_id": patient_id, "before": datetime(2026, 1, 1)})
    db.session.rollback()


def test_json_none_is_stored_as_sqlalchemy_stores_it(app):
    doc = bindparam("doc", type_=JSON)
    stmt = select(doc.is_(None).label("sql_null"))
    through_sqlalchemy = db.session.execute(stmt, {"doc": None}).scalar()
    assert DriverStatement(stmt).rows(db.session, {"doc": None}) == [(through_sqlalchemy,)]
    db.session.rollback()


def test_failed_statements_do_not_show_their_values_in_errors(app):
    clinics = Clinic.__table__
    row = {"id": uuid.uuid4(), "name": "Secret name", "time_zone": "UTC", "settings": {}, "created_at": T}
    stmt = insert(clinics).values({**{name: bindparam(name) for name in row}, "updated_at": T})
    DriverStatement(stmt).rows(db.session, row)
    with pytest.raises(exc.IntegrityError) as caught:  # the same id again
        DriverStatement(stmt).rows(db.session, row)
    assert "Secret name" not in str(caught.value) and "parameters hidden" in str(caught.value)
    db.session.rollback()


@pytest.mark.skipif(
    not configured_database_url().startswith("postgresql"), reason="ends a PostgreSQL backend; SQLite has none"
)
def test_a_lost_connection_is_invalidated_and_the_next_request_gets_a_new_one(app):
    backend = DriverStatement(select(func.pg_backend_pid()))
    [(pid,)] = backend.rows(db.session, {})
    with db.engine.connect() as other:
        other.execute(select(func.pg_terminate_backend(pid)))
    with pytest.raises(exc.DBAPIError) as caught:
        backend.rows(db.session, {})
    assert caught.value.connection_invalidated
    db.session.rollback()
    [(new_pid,)] = backend.rows(db.session, {})
    assert new_pid != pid
    db.session.rollback()


@pytest.mark.skipif(not configured_database_url().startswith("postgresql"), reason="the psycopg path's own cursor")
def test_one_cursor_serves_a_connection_and_each_new_connection_gets_its_own(app):
    backend = DriverStatement(select(func.pg_backend_pid()))
    backend.rows(db.session, {})
    fairy = db.session.connection().connection
    first = fairy.info["driver_statement_cursor"]
    assert first.connection is fairy.dbapi_connection
    backend.rows(db.session, {})
    assert fairy.info["driver_statement_cursor"] is first  # the same cursor for the next statement
    db.session.connection().invalidate()  # as after a lost connection: this DBAPI connection is closed
    db.session.rollback()
    assert first.connection.closed
    backend.rows(db.session, {})
    fresh = db.session.connection().connection
    cursor = fresh.info["driver_statement_cursor"]
    assert cursor is not first and cursor.connection is fresh.dbapi_connection and not cursor.connection.closed
    db.session.rollback()


def test_json_records_values_keep_the_instant_and_refuse_a_timestamp_without_offset():
    from datetime import timedelta, timezone

    from service.domain.sql import json_value

    ident = uuid.uuid4()
    assert json_value(ident) == str(ident)
    paris = datetime(2026, 3, 1, 9, 30, tzinfo=timezone(timedelta(hours=1)))
    assert datetime.fromisoformat(json_value(paris)) == paris  # the same instant, offset kept for PostgreSQL
    assert json_value({"a": [1]}) == {"a": [1]} and json_value(None) is None
    with pytest.raises(ValueError, match="UTC offset"):
        json_value(datetime(2026, 3, 1, 9, 30))


@pytest.mark.skipif(not configured_database_url().startswith("postgresql"), reason="json_to_recordset is PostgreSQL's")
def test_json_records_read_back_as_the_columns_types(app):
    from datetime import timedelta, timezone

    from service.domain.sql import json_records, json_value
    from service.models import ReportSymptom

    columns = ReportSymptom.__table__.c
    given = json_records("rows", {"code": columns.code, "started_at": columns.started_at})
    statement = DriverStatement(select(given.c.position, given.c.code, given.c.started_at).order_by(given.c.position))
    at = datetime(2026, 3, 1, 9, 30, tzinfo=timezone(timedelta(hours=-5)))
    rows = statement.rows(
        db.session,
        {
            "rows": [
                {"position": 1, "code": "b" * 100, "started_at": None},
                {"position": 0, "code": "a", "started_at": json_value(at)},
            ]
        },
    )
    assert rows == [(0, "a", at.astimezone(UTC)), (1, "b" * 100, None)]  # text is not cut to the column's length
    assert rows[0][2].tzinfo == UTC
