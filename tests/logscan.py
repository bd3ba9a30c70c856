"""Every log line of a test run, as the app formats it, and the secrets and PHI none may contain.

conftest.py attaches ``TAPE`` to the root logger for the whole run; factories and fixtures ``register``
what must never be logged (passwords, tokens, enrollment codes, patients' names, notes);
tests/test_zz_log_scan.py checks every captured line against every registered value at the end.
"""

from __future__ import annotations

import io
import logging

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


def leaks(lines: list[str] | None = None) -> list[tuple[str, str]]:
    """(what, line) for each captured line containing a registered value."""
    found = []
    for line in TAPE.lines if lines is None else lines:
        for value, what in SECRETS.items():
            if value in line:
                found.append((what, line[:300]))
    return found
