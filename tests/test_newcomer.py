"""The newcomer's path from a demo checkout and a new shell: the instance's own secret (scripts/demo.sh makes it),
the address the seed prints under PORT, and `jobs tick` / `jobs run` with nothing exported."""

from __future__ import annotations

import os
import select
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.jobkit import stop_job_process

ROOT = Path(__file__).resolve().parents[1]
# What a checkout holds that the service runs from (a copy by symlinks: the instance folder is the copy's own).
CHECKOUT = ("service", "jobs", "schemas", "migrations", "wsgi.py")


@pytest.fixture()
def checkout(tmp_path):
    for name in CHECKOUT:
        (tmp_path / name).symlink_to(ROOT / name)
    return tmp_path


def new_shell(checkout: Path, **extra) -> dict:
    """A new shell's environment: nothing of Aftercare's exported (no SECRET_KEY, no FLASK_DEBUG, no database)."""
    return {"PATH": os.environ["PATH"], "HOME": str(checkout), "LANG": "C.UTF-8", "PYTHONUNBUFFERED": "1", **extra}


def run(checkout: Path, *args: str, **extra) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args],
        check=False,
        cwd=checkout,
        env=new_shell(checkout, **extra),
        capture_output=True,
        text=True,
        timeout=120,
    )


def flask(checkout: Path, *args: str, **extra) -> subprocess.CompletedProcess:
    return run(checkout, "-m", "flask", "--app", "wsgi", *args, **extra)


def demo_secret_command() -> list[str]:
    """The line of scripts/demo.sh that makes the instance's secret, as this interpreter's arguments."""
    [line] = [line for line in (ROOT / "scripts/demo.sh").read_text().splitlines() if "instance-secret" in line]
    program, *args = line.split()
    assert program == ".venv/bin/python"
    return args


@pytest.mark.slow
def test_a_demo_checkout_runs_the_job_process_from_a_new_shell(checkout):
    # Without the instance's secret, the CLI refuses to start, and says where the secret may live.
    refused = flask(checkout, "jobs", "tick")
    assert refused.returncode != 0
    assert "SECRET_KEY is not set" in refused.stderr and "instance/secret_key" in refused.stderr

    # scripts/demo.sh makes the secret once (owner-only), in the folder the service reads.
    made = run(checkout, *demo_secret_command())
    assert made.returncode == 0, made.stderr
    secret_file = checkout / "instance" / "secret_key"
    secret = secret_file.read_text().strip()
    assert len(secret) >= 48 and stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    again = run(checkout, *demo_secret_command())
    assert again.returncode == 0 and secret_file.read_text().strip() == secret  # kept, not replaced

    # The server (wsgi:app) signs with it, as the CLI does.
    server = run(checkout, "-c", "from wsgi import app; print(app.config['SECRET_KEY'])")
    assert server.returncode == 0, server.stderr
    assert server.stdout.strip() == secret

    assert flask(checkout, "db", "upgrade").returncode == 0
    seeded = flask(checkout, "demo", "seed", "--patients", "3", PORT="5123")
    assert seeded.returncode == 0, seeded.stderr
    assert "http://127.0.0.1:5123/console/" in seeded.stdout and ":5000" not in seeded.stdout
    assert "--app wsgi jobs run" in seeded.stdout
    assert "http://127.0.0.1:5123/app/#code=" in seeded.stdout  # the companion app's pairing link

    ticked = flask(checkout, "jobs", "tick")
    assert ticked.returncode == 0, ticked.stderr
    assert "send_checkins=" in ticked.stdout

    # `jobs run` works the same way, and stops on SIGTERM: once it has run jobs, or at once after it started.
    for marker in ("executed successfully", "job process started"):
        log, code = _run_jobs_until(checkout, marker)
        assert code == 0, log
        assert marker in log and "job process stopped" in log and "SECRET_KEY" not in log


def _run_jobs_until(checkout: Path, marker: str) -> tuple[str, int]:
    """Start `jobs run` from a new shell, send SIGTERM once its log shows the marker; its log and exit code."""
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "run"],
        cwd=checkout,
        env=new_shell(checkout),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        log = _read_until(process, marker, timeout=60)
    finally:
        rest = stop_job_process(process, timeout=60)
    return log + rest, process.returncode


def _read_until(process: subprocess.Popen, marker: str, *, timeout: float) -> str:
    """What the process wrote on stderr until a line holds the marker (or it ended, or time ran out)."""
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        ready, _, _ = select.select([process.stderr], [], [], 0.5)
        if ready:
            line = process.stderr.readline()
            seen.append(line)
            if marker in line:
                break
    return "".join(seen)


def test_port_names_the_address_and_a_bad_one_is_refused(checkout):
    made = run(checkout, *demo_secret_command())
    assert made.returncode == 0, made.stderr
    config = "from wsgi import app; print(app.config['PORT'])"
    assert run(checkout, "-c", config).stdout.strip() == "5000"
    assert run(checkout, "-c", config, PORT="8080").stdout.strip() == "8080"
    bad = run(checkout, "-c", config, PORT="eighty")
    assert bad.returncode != 0 and "PORT must be a port number" in bad.stderr
