#!/usr/bin/env bash
# CI: the tests that cover Aftercare's fast paths (the ones that reach past a dependency's public API, see
# bench/README.md) against the newest released SQLAlchemy, marshmallow, flask-smorest and Flask, in a
# virtualenv of its own (.venv-newest): requirements-dev.txt first, then those four upgraded. An upgrade
# that breaks a fast path fails here the day it ships, while the pinned suite stays green.
# SQLite, and PostgreSQL too when NEWEST_POSTGRES_URL (or CI_POSTGRES_URL) is set (DriverStatement's
# psycopg path runs only there). NEWEST_FULL=1 runs the whole suite on SQLite instead of the focused files.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=python3.11
command -v "$PYTHON" >/dev/null || PYTHON=python3
VENV=.venv-newest
rm -rf "$VENV"
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade SQLAlchemy marshmallow flask-smorest Flask
echo "== newest releases:"
"$VENV/bin/python" -m pip list --disable-pip-version-check 2>/dev/null | grep -iE '^(sqlalchemy|marshmallow|flask|flask-smorest|webargs|apispec|werkzeug) '

FAST_PATH_TESTS=(
  tests/test_fast_dump.py          # schemas/fast.py FlatDumper (the triage queue) against Schema.dump
  tests/domain/test_driver_statement.py  # service/domain/sql.py DriverStatement against Connection.execute
  tests/api/test_triage.py         # the triage queue, dumped by FlatDumper
  tests/api/test_flag_cases.py     # the queue as cases, dumped by FlatDumper
  tests/api/test_reports.py        # report ingestion end to end, over DriverStatement
)
status=0
if [ "${NEWEST_FULL:-0}" = 1 ]; then
  echo "== whole suite, newest releases, SQLite"
  "$VENV/bin/python" -m pytest -q -p no:cacheprovider || status=1
else
  echo "== fast-path tests, newest releases, SQLite"
  "$VENV/bin/python" -m pytest -q -p no:cacheprovider "${FAST_PATH_TESTS[@]}" || status=1
fi
PG_URL="${NEWEST_POSTGRES_URL:-${CI_POSTGRES_URL:-}}"
if [ -n "$PG_URL" ]; then
  echo "== fast-path tests, newest releases, PostgreSQL"
  TEST_DATABASE_URL="$PG_URL" "$VENV/bin/python" -m pytest -q -p no:cacheprovider "${FAST_PATH_TESTS[@]}" || status=1
fi
[ "$status" -eq 0 ] || echo "NEWEST RELEASES: FAILED (a fast path, or the app, breaks on a new release)"
exit "$status"
