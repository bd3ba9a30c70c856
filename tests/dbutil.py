"""Test databases: a fresh SQLite file or a fresh PostgreSQL database per test run."""

from __future__ import annotations

import os
import secrets
import tempfile

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

POSTGRES_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def configured_database_url() -> str:
    """The server the suite runs against: TEST_DATABASE_URL, else a temporary SQLite file."""
    return os.environ.get("TEST_DATABASE_URL", "").strip()


class FreshDatabase:
    """Creates an isolated database for one test run and removes it afterwards."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.url: str | None = None
        self._tmpdir = None

    @property
    def is_postgres(self) -> bool:
        return bool(self.url and self.url.startswith("postgresql"))

    def create(self) -> str:
        if not self.base_url:
            self._tmpdir = tempfile.TemporaryDirectory(prefix="aftercare-test-")
            self.url = "sqlite:///" + os.path.join(self._tmpdir.name, "test.sqlite3")
            return self.url
        url = make_url(self.base_url)
        name = f"aftercare_test_{os.getpid()}_{secrets.token_hex(4)}"
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        self.url = url.set(database=name).render_as_string(hide_password=False)
        self._name = name
        return self.url

    def drop(self) -> None:
        if self._tmpdir is not None:
            self._tmpdir.cleanup()
            return
        admin = create_engine(make_url(self.base_url), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{self._name}" WITH (FORCE)'))
        admin.dispose()
