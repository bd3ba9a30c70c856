#!/usr/bin/env bash
# Install Aftercare into .venv, migrate a local SQLite database, seed demo data and serve on :${PORT:-5000}.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null || PYTHON=python3
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
# A secret for this machine's demo, made once in instance/secret_key and kept out of git. With SECRET_KEY unset,
# the server and every `flask --app wsgi …` command (jobs run, jobs tick) read it there, from any shell.
.venv/bin/python -m service instance-secret
export FLASK_APP=wsgi
.venv/bin/flask db upgrade
.venv/bin/flask demo seed --if-missing
echo "Serving on http://127.0.0.1:${PORT:-5000}  (console: http://127.0.0.1:${PORT:-5000}/console/, API docs: http://127.0.0.1:${PORT:-5000}/docs)"
exec .venv/bin/flask run --host 127.0.0.1 --port "${PORT:-5000}"
