"""Every log line of a test run, as the app formats it, and the secrets and PHI none may contain.

conftest.py attaches ``TAPE`` to the root logger for the whole run; factories and fixtures ``register``
what must never be logged (passwords, tokens, enrollment codes, patients' names, notes);
tests/test_zz_log_scan.py checks every captured line against every registered value at the end.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

from service.observability import json_handler

MIN_SECRET_LENGTH = 6  # shorter values would match by accident (and are not secrets)


class _Tape(io.TextIOBase):
    def __init__(self):
        self.lines: list[str] = []

    def write(self, text: str) -> int:
        self.lines.extend(line for line in text.splitlines() if line.strip())
        return len(text)


TAPE = _Tape()
HANDLER: logging.Handler = json_handler(stream=TAPE)
HANDLER.setLevel(logging.DEBUG)
SECRETS: dict[str, str] = {}


def register(what: str, value: str | None) -> None:
    """Remember a value no log line may contain."""
    if value and len(value) >= MIN_SECRET_LENGTH:
        SECRETS[value] = what


ROOT = Path(__file__).resolve().parent.parent
_OUR_CODE: list[str] = []


def in_our_code(value: str) -> bool:
    """Whether a value is part of the application's own source (not its tests).

    Hypothesis draws examples from the string constants of the code under test, so a fuzzed login may
    "try" the password ``adverse_events`` and a property test may "write" it as a narrative; every
    traceback through service/api/adverse_events.py then quotes it without leaking anything.
    """
    if not _OUR_CODE:
        _OUR_CODE.append(
            "\n".join(
                path.read_text(encoding="utf-8", errors="replace")
                for path in sorted(ROOT.rglob("*.py"))
                if not {"tests", ".venv", "migrations"} & set(path.relative_to(ROOT).parts)
            )
        )
    return value in _OUR_CODE[0]


def register_text(what: str, value) -> None:
    """Remember free text a person wrote (a note, a narrative) when it is distinctive enough to grep for."""
    if not isinstance(value, str) or len(value.strip()) < 12 or sum(c.isalpha() for c in value) < 8:
        return
    if not in_our_code(value):
        SECRETS[value] = what


def watch_secrets(monkeypatch) -> None:
    """Register every token, refresh token and enrollment code the app issues and every password it checks."""
    from service.domain import adverse_events, auth, reports

    def recording(function, what, *, minimum=MIN_SECRET_LENGTH):
        def wrapper(*args, **kwargs):
            value = function(*args, **kwargs)
            if isinstance(value, str) and len(value) >= minimum:
                SECRETS[value] = what
            return value

        return wrapper

    monkeypatch.setattr(auth, "issue_access_token", recording(auth.issue_access_token, "an access token"))
    monkeypatch.setattr(auth, "new_refresh_token", recording(auth.new_refresh_token, "a refresh token"))
    monkeypatch.setattr(auth, "new_enrollment_code", recording(auth.new_enrollment_code, "an enrollment code"))
    verify = auth.verify_password

    def verify_and_remember(password_hash, password):
        # Short ones are words a log may hold anyway; our own code's strings are what tracebacks quote.
        if isinstance(password, str) and len(password) >= 12 and not in_our_code(password):
            SECRETS[password] = "a password tried"
        return verify(password_hash, password)

    monkeypatch.setattr(auth, "verify_password", verify_and_remember)
    submit = reports.submit_report

    def submit_and_remember(session, *, payload, **kwargs):
        register_text("a report note", payload.get("note"))
        for entry in payload.get("symptoms") or []:
            register_text("a symptom note", entry.get("note"))
        return submit(session, payload=payload, **kwargs)

    monkeypatch.setattr(reports, "submit_report", submit_and_remember)
    create = adverse_events.create_adverse_event

    def create_and_remember(session, *, values, **kwargs):
        register_text("an adverse event narrative", values.get("narrative"))
        register_text("an adverse event's own words", values.get("term_other"))
        return create(session, values=values, **kwargs)

    monkeypatch.setattr(adverse_events, "create_adverse_event", create_and_remember)


def leaks(lines: list[str] | None = None) -> list[tuple[str, str]]:
    """(what, line) for each captured line containing a registered value."""
    found = []
    for line in TAPE.lines if lines is None else lines:
        for value, what in SECRETS.items():
            if value in line:
                found.append((what, line[:300]))
    return found
