"""On SQLite only one job process may run: a second one refuses to start (an OS file lock next to the database)."""

from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager

from sqlalchemy.engine import make_url


class AnotherJobProcess(RuntimeError):
    """A job process already runs against this SQLite database."""


def lock_path(database_url: str) -> str | None:
    """The lock file of a SQLite database (None on PostgreSQL, where row locks coordinate processes)."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return None
    database = url.database or ""
    if not database or database == ":memory:":
        return None
    return os.path.abspath(database) + ".jobs.lock"


@contextmanager
def single_job_process(database_url: str):
    """Hold the SQLite job lock for the life of the process; raise AnotherJobProcess when it is taken."""
    path = lock_path(database_url)
    if path is None:
        yield
        return
    handle = open(path, "a+")
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise AnotherJobProcess(
                "Another job process is already running against this SQLite database; on SQLite only one may run "
                "(use PostgreSQL to run several)."
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        yield
    finally:
        handle.close()
