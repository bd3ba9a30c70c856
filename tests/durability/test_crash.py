"""Crash durability: SIGKILL the whole gunicorn process group mid-load; phones retry; nothing is lost or doubled.

Runs against PostgreSQL (the production store): the PostgreSQL pass of CI runs it.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from service.clock import now_utc
from service.extensions import db
from service.models import Report
from tests.dbutil import configured_database_url

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [
    pytest.mark.skipif(
        not configured_database_url().startswith("postgresql"),
        reason="crash durability runs against PostgreSQL; the PostgreSQL pass of the suite runs it",
    ),
    pytest.mark.wall_clock,  # the phones' tokens are checked by gunicorn workers on the real clock
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn serving the app in its own process group, so a kill takes master and workers at once."""

    def __init__(self, app, port: int):
        self.env = {
            **os.environ,
            "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "SECRET_KEY": app.config["SECRET_KEY"],
        }
        self.port = port
        self.process = None

    def start(self) -> None:
        gunicorn = str(Path(sys.executable).parent / "gunicorn")
        self.process = subprocess.Popen(
            [gunicorn, "-w", "3", "-b", f"127.0.0.1:{self.port}", "--log-level", "error", "wsgi:app"],
            cwd=ROOT,
            env=self.env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.time() + 30
        while time.time() < deadline:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1)
            try:
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.1)
            finally:
                connection.close()
        raise RuntimeError("gunicorn did not start")

    def kill_group(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=30)


def test_sigkill_mid_load_loses_and_doubles_nothing(app, world):
    phones = [world.patient, world.other_patient]
    server = Server(app, _free_port())
    server.start()
    acknowledged: dict[str, int] = {}
    sent: set[str] = set()
    lock = threading.Lock()
    stop_at = time.time() + 150  # generous: under load a restart and the retries take a while
    failures_seen = []

    def phone(caller, count: int) -> None:
        for _ in range(count):
            body = {
                "client_report_id": str(uuid.uuid4()),
                "observed_at": (now_utc() - timedelta(minutes=2)).isoformat(),
                "symptoms": [{"code": "nausea", "severity": 1}],
                "note": "durability",
            }
            with lock:
                sent.add(body["client_report_id"])
            while time.time() < stop_at:  # retry as a phone would: same id, same body
                connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
                try:
                    connection.request(
                        "POST",
                        "/api/v1/me/reports",
                        body=json.dumps(body),
                        headers={**caller.headers, "Content-Type": "application/json"},
                    )
                    response = connection.getresponse()
                    response.read()
                    if response.status in (200, 201):
                        with lock:
                            acknowledged[body["client_report_id"]] = response.status
                        break
                    failures_seen.append(response.status)
                except OSError:
                    pass
                finally:
                    connection.close()
                time.sleep(0.05)

    threads = [threading.Thread(target=phone, args=(phones[i % 2], 30)) for i in range(4)]
    try:
        for t in threads:
            t.start()
        time.sleep(1.5)
        kills = 0
        for _ in range(2):  # two crashes while the phones keep sending
            server.kill_group()
            kills += 1
            time.sleep(0.5)
            server.start()
            time.sleep(1.0)
        for t in threads:
            t.join(timeout=180)
    finally:
        server.stop()

    assert kills == 2
    assert not [s for s in failures_seen if s >= 500 or s in (409, 422)], failures_seen
    assert set(acknowledged) == sent, "every report a phone sent was eventually acknowledged"
    db.session.rollback()
    stored = db.session.scalars(select(Report.client_report_id)).all()
    assert len(stored) == len(set(stored)), "no report stored twice"
    assert {str(s) for s in stored} == sent, "every acknowledged report is stored, and nothing else"
    assert db.session.scalar(select(func.count()).select_from(Report)) == 120
    replays = sum(1 for status in acknowledged.values() if status == 200)
    print(
        f"crash test: kills={kills} acknowledged={len(acknowledged)} lost=0 duplicated=0 answered-by-replay={replays}"
    )
