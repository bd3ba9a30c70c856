"""What the companion app needs from the API: Spanish symptom words, the crisis contacts to keep, the shell's CSP."""

from __future__ import annotations

from service.enums import Language
from service.extensions import db
from service.models import Patient
from service.vocabulary import CODES


def test_symptoms_in_spanish_keep_their_codes(client, world):
    english = client.get("/api/v1/symptoms", headers=world.nurse.headers).get_json()
    spanish = client.get("/api/v1/symptoms?language=es", headers=world.nurse.headers).get_json()
    assert [s["code"] for s in spanish["symptoms"]] == [s["code"] for s in english["symptoms"]] == list(CODES)
    labels = {s["code"]: s["label"] for s in spanish["symptoms"]}
    assert labels["nausea"].startswith("Náuseas")
    assert [level["label"] for level in spanish["severity_scale"]] == ["Nada", "Leve", "Moderado", "Grave", "Muy grave"]
    assert english["severity_scale"][4]["label"] == "Very severe"


def test_symptoms_default_to_the_patients_language_and_refuse_an_unknown_one(client, world):
    patient = db.session.get(Patient, world.patient.principal.patient_id)
    patient.language = Language.ES
    db.session.commit()
    answer = client.get("/api/v1/symptoms", headers=world.patient.headers).get_json()
    assert answer["severity_scale"][1]["label"] == "Leve"
    refused = client.get("/api/v1/symptoms?language=fr", headers=world.patient.headers)
    assert refused.status_code == 422 and "language" in str(refused.get_json())


def test_crisis_resources_in_the_patients_language(client, world):
    answer = client.get("/api/v1/me/crisis-resources", headers=world.patient.headers).get_json()
    assert [r["phone"] for r in answer["crisis_resources"]] == ["911", "988"]
    assert answer["crisis_resources"][1]["sms"] == "988"
    patient = db.session.get(Patient, world.patient.principal.patient_id)
    patient.language = Language.ES
    db.session.commit()
    spanish = client.get("/api/v1/me/crisis-resources", headers=world.patient.headers).get_json()
    assert spanish["crisis_resources"][0]["label"].startswith("Si está en peligro")


def test_the_shell_has_a_strict_policy_and_a_worker_scoped_to_the_app(client):
    with client.get("/app/") as page:
        policy = page.headers["Content-Security-Policy"]
        body = page.get_data()
    assert "script-src 'self';" in policy and "style-src 'self';" in policy and "unsafe-inline" not in policy
    assert b"<script>" not in body and b"style=" not in body
    with client.get("/app/sw.js") as worker:
        assert worker.headers["Service-Worker-Allowed"] == "/app/"
    with client.get("/app/manifest.webmanifest") as manifest:
        assert manifest.mimetype == "application/manifest+json" and manifest.get_json()["start_url"] == "/app/"
