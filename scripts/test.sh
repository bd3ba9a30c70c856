#!/usr/bin/env bash
# Install Aftercare with its test tools into .venv and run the whole test suite.
# SQLite by default; set TEST_DATABASE_URL=postgresql+psycopg://... to run it on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null || PYTHON=python3
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
.venv/bin/ruff check .
.venv/bin/lint-imports --no-cache --no-logo  # the layers: contracts in pyproject.toml
exec .venv/bin/python -m pytest "$@"
