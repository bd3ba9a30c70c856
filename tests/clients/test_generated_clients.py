"""Clients generated from the live OpenAPI document work with no hand edits.

A real server (werkzeug, a thread, a free 127.0.0.1 port) serves the document; openapi-python-client
generates a Python client from it and openapi-typescript TypeScript types (clients/package.json pins it),
each failing on any warning; the TypeScript compiles under --strict, and the Python client drives
login -> enrollment code -> enroll -> infusion -> report -> flag list -> acknowledge against the server.
The generated code lives in a temporary directory, never in the repository.
"""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from service.clock import now_utc
from tests import factories
from tests.live_server import served

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = ROOT / "clients"
PACKAGE = "aftercare_generated_client"
# The one setting the generator is given: XML answers (the E2B(R3) export) are read as bytes.
GENERATOR_CONFIG = Path(__file__).resolve().parents[2] / "clients" / "openapi-python-client.yaml"


@pytest.fixture()
def server(app):
    """The test app served over HTTP on a free loopback port, for as long as the test runs."""
    with served(app) as url:
        yield url


@pytest.fixture()
def document_file(server, tmp_path) -> Path:
    answer = httpx.get(f"{server}/api/v1/openapi.json", timeout=30)
    assert answer.status_code == 200
    path = tmp_path / "openapi.json"
    path.write_bytes(answer.content)
    return path


def _run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    # the generator formats its output with ruff: the venv's own bin comes first on PATH
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run(command, capture_output=True, text=True, timeout=300, env=env, check=False, **kwargs)


def _generate_python_client(document: Path, into: Path):
    generator = Path(sys.executable).parent / "openapi-python-client"
    done = _run(
        [str(generator), "generate", "--path", str(document), "--meta", "none", "--fail-on-warning",
         "--config", str(GENERATOR_CONFIG), "--output-path", str(into / PACKAGE)]
    )  # fmt: skip
    said = done.stdout + done.stderr
    assert done.returncode == 0, said
    assert "warning" not in said.lower(), said
    sys.path.insert(0, str(into))
    try:
        importlib.invalidate_caches()
        return importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(into))


@pytest.fixture()
def generated(document_file, tmp_path):
    yield _generate_python_client(document_file, tmp_path)
    for name in [name for name in sys.modules if name == PACKAGE or name.startswith(PACKAGE + ".")]:
        del sys.modules[name]


def _module(name: str):
    return importlib.import_module(f"{PACKAGE}.{name}")


def test_the_generated_python_client_drives_login_enroll_report_and_flags(server, generated, world):
    models = _module("models")
    login, enroll_device = _module("api.auth.login"), _module("api.auth.enroll_device")
    create_enrollment_code = _module("api.patients.create_enrollment_code")
    record_infusion = _module("api.patients.record_infusion")
    submit_report = _module("api.reports.submit_report")
    list_flags, acknowledge_flag = _module("api.flags.list_flags"), _module("api.flags.acknowledge_flag")
    nurse = world.nurse.principal
    patient_id = world.patient.principal.patient_id

    signed_in = login.sync_detailed(
        client=generated.Client(base_url=server),
        body=models.Login(email=nurse.email, password=factories.PASSWORD),
    )
    assert signed_in.status_code == 200, signed_in.content
    staff = generated.AuthenticatedClient(base_url=server, token=signed_in.parsed.access_token)

    code = create_enrollment_code.sync(client=staff, patient_id=patient_id)
    assert isinstance(code, models.EnrollmentCode), code
    enrolled = enroll_device.sync(
        client=generated.Client(base_url=server),
        body=models.Enroll(code=code.code, device_name="Test phone", platform=models.Platform.ANDROID),
    )
    assert isinstance(enrolled, models.EnrollToken), enrolled
    assert str(enrolled.patient_id) == str(patient_id)
    phone = generated.AuthenticatedClient(base_url=server, token=enrolled.access_token)

    now = now_utc()
    infusion = record_infusion.sync(
        client=staff,
        patient_id=patient_id,
        body=models.InfusionCreate(
            started_at=now - timedelta(hours=5),
            ended_at=now - timedelta(hours=4),
            route=models.Route.IV,
            phase=models.Phase.INDUCTION,
        ),
    )
    assert isinstance(infusion, models.Infusion), infusion

    receipt = submit_report.sync(
        client=phone,
        body=models.ReportCreate(
            client_report_id=uuid.uuid4(),
            observed_at=now - timedelta(hours=1),
            symptoms=[models.SymptomEntry(code="hallucinations", severity=4)],
            vitals=models.Vitals(systolic=186, diastolic=95, heart_rate=88),
        ),
    )
    assert isinstance(receipt, models.ReportReceipt), receipt
    assert receipt.triage.flagged is True
    assert isinstance(receipt.triage.priority, models.FlagPriority)

    queue = list_flags.sync(client=staff)
    assert isinstance(queue, list) and queue, queue
    mine = [item for item in queue if str(item.patient_id) == str(patient_id)]
    assert mine and all(item.status == models.FlagStatus.OPEN for item in mine)

    acknowledged = acknowledge_flag.sync(client=staff, flag_id=mine[0].id, body=models.Acknowledge())
    assert isinstance(acknowledged, models.FlagDetail), acknowledged
    assert acknowledged.status == models.FlagStatus.ACKNOWLEDGED
    assert str(acknowledged.assignee_id) == str(nurse.id)
    assert any(str(report.id) == str(receipt.id) for report in acknowledged.reports)


def _npm_tools() -> Path:
    """clients/node_modules as clients/package-lock.json pins it (installed once, by npm ci)."""
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("npm is needed to generate the TypeScript types (Node 20 and npm)")
    tools = CLIENTS / "node_modules" / ".bin"
    if not (tools / "openapi-typescript").exists() or not (tools / "tsc").exists():
        installed = _run([npm, "ci", "--no-audit", "--no-fund"], cwd=CLIENTS)
        assert installed.returncode == 0, installed.stdout + installed.stderr
    return tools


USAGE = """
import type { components, operations } from "./api";

type Triage = components["schemas"]["Triage"];
type Priority = components["schemas"]["FlagPriority"];
const triage: Triage = { flagged: true, paged: false, message: "ok", advice: [], priority: null };
const priority: Priority | null | undefined = triage.priority;
const vitals: components["schemas"]["ReportCreate"]["vitals"] = { systolic: 120, diastolic: 80 };
const entry: components["schemas"]["SymptomEntry"] = { code: "a-code-added-by-the-clinic", severity: 1 };
type Receipt = operations["submitReport"]["responses"][201]["content"]["application/json"];
const flagged = (receipt: Receipt): boolean => receipt.triage.flagged;
export { priority, vitals, entry, flagged };
"""


def test_openapi_typescript_makes_strict_types_without_a_warning(document_file, tmp_path):
    tools = _npm_tools()
    made = _run([str(tools / "openapi-typescript"), str(document_file), "-o", str(tmp_path / "api.d.ts")])
    said = made.stdout + made.stderr
    assert made.returncode == 0, said
    assert not [line for line in said.splitlines() if "warn" in line.lower() or "error" in line.lower()], said
    (tmp_path / "usage.ts").write_text(USAGE)
    compiled = _run(
        [str(tools / "tsc"), "--noEmit", "--strict", "--target", "es2022", "--module", "es2022",
         "--moduleResolution", "bundler", str(tmp_path / "usage.ts")]
    )  # fmt: skip
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
