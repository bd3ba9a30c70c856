"""Security headers on every kind of response: nosniff everywhere, no-store on API answers, strict CSP on HTML."""

from __future__ import annotations

import re

import pytest


@pytest.fixture()
def responses(client, world):
    nurse, phone = world.nurse.headers, world.patient.headers
    pid = world.patient.principal.patient_id
    calls = {
        "health": client.get("/healthz"),
        "openapi": client.get("/api/v1/openapi.json"),
        "docs page": client.get("/api/v1/docs"),
        "console sign-in": client.get("/console/sign-in"),
        "patient data": client.get(f"/api/v1/patients/{pid}", headers=nurse),
        "own reports": client.get("/api/v1/me/reports", headers=phone),
        "404": client.get("/api/v1/nothing-here"),
        "405": client.delete("/api/v1/symptoms", headers=nurse),
        "401": client.get("/api/v1/flags"),
        "422": client.post("/api/v1/patients", json={}, headers=nurse),
        "metrics": client.get("/metrics"),
    }
    yield calls
    for response in calls.values():
        response.close()


def test_nosniff_and_no_framing_everywhere(responses):
    for name, response in responses.items():
        assert response.headers.get("X-Content-Type-Options") == "nosniff", name
        assert response.headers.get("X-Frame-Options") == "DENY", name


def test_api_answers_are_never_cached(responses):
    for name in ("patient data", "own reports", "404", "401", "422", "openapi"):
        assert "no-store" in responses[name].headers.get("Cache-Control", ""), name


def test_html_pages_have_a_strict_csp(responses):
    for name in ("docs page", "console sign-in"):
        policy = responses[name].headers.get("Content-Security-Policy", "")
        assert "default-src 'none'" in policy, name
        script_src = re.search(r"script-src ([^;]*)", policy).group(1)
        assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src, name
        assert "frame-ancestors 'none'" in policy, name


def test_docs_page_inline_script_is_allowed_by_hash_only(responses):
    policy = responses["docs page"].headers["Content-Security-Policy"]
    assert re.search(r"'sha256-[A-Za-z0-9+/=]+'", policy)


def test_every_response_carries_a_request_id(responses):
    ids = {response.headers.get("X-Request-ID") for response in responses.values()}
    assert None not in ids and len(ids) == len(responses)
