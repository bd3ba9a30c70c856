"""Fixtures: one migrated database per run, emptied after every test; the app; signed-in callers."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from flask_migrate import upgrade
from sqlalchemy import delete, text

from service import create_app
from service.enums import Role
from service.extensions import db
from service.models import Base
from tests import factories, logscan
from tests.dbutil import FreshDatabase, configured_database_url


def pinned_start(clock: str, *, now: datetime) -> datetime:
    """Where AFTERCARE_TEST_CLOCK starts the run's clock: a full ISO timestamp, or "HH:MM" for the latest
    moment at or before ``now`` when UTC clocks read HH:MM (never ahead of the real clock, so what a real
    peer checks against the wall, like a certificate's notBefore, still holds)."""
    if "T" in clock:
        moment = datetime.fromisoformat(clock)
        if moment.tzinfo is None:
            raise ValueError("AFTERCARE_TEST_CLOCK needs an offset, e.g. 2026-12-07T00:30:00+00:00")
        return moment
    hour, minute = (int(part) for part in clock.split(":"))
    moment = now.astimezone(UTC).replace(hour=hour, minute=minute, second=0, microsecond=0)
    return moment if moment <= now else moment - timedelta(days=1)


_PINNED: list = []


def pytest_configure(config):
    """AFTERCARE_TEST_CLOCK=00:30 (or a full ISO timestamp) runs the suite as if it were that time of
    day: the clock starts there and ticks on (CI pins the hours that once failed)."""
    clock = os.environ.get("AFTERCARE_TEST_CLOCK")
    if clock:
        traveller = time_machine.travel(pinned_start(clock, now=datetime.now(UTC)), tick=True)
        traveller.start()
        _PINNED.append(traveller)


def pytest_collection_modifyitems(config, items):
    """A pinned run leaves out the tests marked wall_clock (they hand this process's tokens and times to
    servers in other processes, which read the real clock); the unpinned passes of CI run them."""
    if not _PINNED:
        return
    kept = [item for item in items if item.get_closest_marker("wall_clock") is None]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[item for item in items if item not in kept])
        items[:] = kept


def pytest_unconfigure(config):
    while _PINNED:
        _PINNED.pop().stop()


def pytest_report_header(config):
    url = configured_database_url()
    lines = [f"aftercare database: {'PostgreSQL ' + url if url else 'SQLite (temporary file)'}"]
    if _PINNED:
        lines.append(f"aftercare clock pinned: started at {datetime.now(UTC).isoformat()}")
    return lines


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
