"""Fixtures: one migrated database per run, emptied after every test; the app; signed-in callers."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pytest
from flask_migrate import upgrade
from sqlalchemy import delete, text

from service import create_app
from service.enums import Role
from service.extensions import db
from service.models import Base
from tests import factories, logscan
from tests.dbutil import FreshDatabase, configured_database_url


def pytest_report_header(config):
    url = configured_database_url()
    return f"aftercare database: {'PostgreSQL ' + url if url else 'SQLite (temporary file)'}"


@pytest.fixture(scope="session")
def database():
    fresh = FreshDatabase(configured_database_url())
    fresh.create()
    yield fresh
    fresh.drop()


TEST_SECRET_KEY = "test-secret-key-" + "x" * 32


@pytest.fixture(scope="session", autouse=True)
def _log_tape():
    """Capture every log line of the run as the app formats it (tests/test_zz_log_scan.py reads them)."""
    root = logging.getLogger()
    root.addHandler(logscan.HANDLER)
    logscan.register("the app's SECRET_KEY", TEST_SECRET_KEY)
    logscan.register("the test password", factories.PASSWORD)
    with pytest.MonkeyPatch.context() as patcher:
        logscan.watch_secrets(patcher)
        yield logscan.TAPE
    root.removeHandler(logscan.HANDLER)


@pytest.fixture(scope="session")
def app(database):
    app = create_app({"TESTING": True, "DATABASE_URL": database.url, "SECRET_KEY": TEST_SECRET_KEY})
    with app.app_context():
        upgrade()  # the real migrations, never create_all
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _clean_tables(request, app):
    """Each test starts with empty tables (threads and several connections make rollback-per-test unsafe)."""
    with app.app_context():
        yield
        db.session.rollback()
        db.session.remove()
        with db.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                # The audit log's trigger refuses DELETE, as it must; the test database's superuser may switch
                # triggers off for this one cleanup transaction (the app's role could not).
                connection.execute(text("SET LOCAL session_replication_role = replica"))
            for table in reversed(Base.metadata.sorted_tables):
                connection.execute(delete(table))


@pytest.fixture()
def client(app):
    return app.test_client()


@dataclass
class Caller:
    """A signed-in caller: its row and ready-to-use headers."""

    principal: object
    headers: dict
    tokens: object


@dataclass
class World:
    """Two clinics, each with staff of every role, a patient with a paired phone, and an infusion-less state."""

    clinic: object
    other_clinic: object
    admin: Caller
    nurse: Caller
    physician: Caller
    patient: Caller
    other_patient: Caller
    other_admin: Caller
    other_clinic_patient: Caller


def _caller(app, principal):
    pair = factories.tokens_for(app, principal)
    return Caller(principal=principal, headers=factories.bearer(pair), tokens=pair)


@pytest.fixture()
def world(app):
    clinic = factories.make_clinic("North Clinic")
    other = factories.make_clinic("South Clinic")
    patient = factories.make_patient(clinic, display_name="Pat North")
    other_patient = factories.make_patient(clinic, display_name="Olive North")
    far_patient = factories.make_patient(other, display_name="Sol South")
    for name in ("Pat North", "Olive North", "Sol South"):
        logscan.register("a patient's name", name)
    return World(
        clinic=clinic,
        other_clinic=other,
        admin=_caller(app, factories.make_clinician(clinic, Role.ADMIN)),
        nurse=_caller(app, factories.make_clinician(clinic, Role.NURSE)),
        physician=_caller(app, factories.make_clinician(clinic, Role.PHYSICIAN)),
        patient=_caller(app, factories.make_device(patient)),
        other_patient=_caller(app, factories.make_device(other_patient)),
        other_admin=_caller(app, factories.make_clinician(other, Role.ADMIN)),
        other_clinic_patient=_caller(app, factories.make_device(far_patient)),
    )


from hypothesis import settings as _hypothesis_settings  # noqa: E402

# CI runs the same examples every time; locally hypothesis explores.
_hypothesis_settings.register_profile("ci", derandomize=True, database=None)
if __import__("os").environ.get("CI"):
    _hypothesis_settings.load_profile("ci")
