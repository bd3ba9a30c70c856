"""Migrations: empty → head works, the models and the migrations agree, and downgrade is clean."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from service import create_app
from service.api.health import expected_heads
from service.extensions import db
from service.models import Base
from tests.dbutil import FreshDatabase, configured_database_url


@pytest.fixture()
def empty_database():
    fresh = FreshDatabase(configured_database_url())
    fresh.create()
    yield fresh
    fresh.drop()


def test_upgrade_from_empty_matches_models(empty_database):
    app = create_app({"TESTING": True, "DATABASE_URL": empty_database.url})
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            diff = compare_metadata(context, Base.metadata)
            assert set(context.get_current_heads()) == expected_heads()
        assert diff == [], f"models and migrations disagree: {diff}"
        tables = set(inspect(db.engine).get_table_names())
        assert {t.name for t in Base.metadata.sorted_tables} <= tables
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()


def test_readyz_says_pending_before_migrations(empty_database):
    app = create_app({"TESTING": True, "DATABASE_URL": empty_database.url})
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["migrations"] == "pending"
    with app.app_context():
        db.engine.dispose()


def test_sqlite_runs_with_wal_and_foreign_keys(tmp_path):
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3"})
    with app.app_context(), db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        db.engine.dispose()


def test_the_amends_index_holds_corrections_only(empty_database):
    """Partial-index conditions are not compared by autogenerate: check the one reports rely on."""
    app = create_app({"TESTING": True, "DATABASE_URL": empty_database.url})
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                definition = connection.exec_driver_sql(
                    "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_reports_amends'"
                ).scalar_one()
            else:
                definition = connection.exec_driver_sql(
                    "SELECT sql FROM sqlite_master WHERE name = 'ix_reports_amends'"
                ).scalar_one()
            names = {index["name"] for index in inspect(connection).get_indexes("reports")}
        assert "amends_id IS NOT NULL" in definition
        assert "ix_reports_clinic_observed" not in names and "ix_reports_patient_observed" in names
        db.engine.dispose()
