"""The queue as cases (GET /api/v1/flag-cases): one row per patient, their flags under it, in queue order.

The data are built by hand with due times chosen so the expected order can be read off the table below;
the flat queue over the same data is checked too, so the difference between the two is visible.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from service.clock import now_utc
from service.domain import flags, triage
from service.domain.clinics import effective_settings
from service.extensions import db
from service.models import Flag, Patient
from service.rules import Finding, Priority
from tests import factories

ALL = ["acknowledge", "assign", "notes", "escalate", "resolve"]


def open_flag(patient_id, clinic_id, rule, priority, *, due_in_minutes, report_id=None):
    """One open flag with its due time set by hand (minutes from now)."""
    now = now_utc()
    [flag_id] = triage.raise_flags(
        db.session,
        clinic_id=clinic_id,
        patient_id=patient_id,
        report_id=report_id,
        findings=[Finding(rule, 1, priority, f"{rule} for the test.", {})],
        targets=effective_settings(None)["response_targets_minutes"],
        now=now,
    )
    flag = db.session.get(Flag, flag_id)
    flag.due_by = now + timedelta(minutes=due_in_minutes)
    db.session.commit()
    return flag


@pytest.fixture()
def scene(world):
    """Pat: critical (due in 10 min), high (180), medium (600); Olive: high (60); Quinn: medium (120);
    Sol of the other clinic: critical (5). Flat queue: Sol aside, P-crit, O-high, P-high, Q-med, P-med."""
    clinic = world.clinic.id
    pat = world.patient.principal.patient_id
    olive = world.other_patient.principal.patient_id
    quinn = factories.make_patient(world.clinic, display_name="Quinn North").id
    sol = world.other_clinic_patient.principal.patient_id
    made = {
        "p_crit": open_flag(pat, clinic, "suicidal-ideation", Priority.CRITICAL, due_in_minutes=10),
        "p_high": open_flag(pat, clinic, "severe-symptom", Priority.HIGH, due_in_minutes=180),
        "p_med": open_flag(pat, clinic, "persistent-symptom", Priority.MEDIUM, due_in_minutes=600),
        "o_high": open_flag(olive, clinic, "elevated-blood-pressure", Priority.HIGH, due_in_minutes=60),
        "q_med": open_flag(quinn, clinic, "misuse-signal", Priority.MEDIUM, due_in_minutes=120),
        "s_crit": open_flag(sol, world.other_clinic.id, "suicidal-ideation", Priority.CRITICAL, due_in_minutes=5),
    }
    return {key: flag.id for key, flag in made.items()} | {"pat": pat, "olive": olive, "quinn": quinn, "sol": sol}


def get(client, caller, path="/api/v1/flag-cases", **query):
    response = client.get(path, query_string=query, headers=caller.headers)
    assert response.status_code == 200, response.get_json()
    return response


def test_one_case_per_patient_in_queue_order_with_every_flag_under_it(client, world, scene):
    cases = get(client, world.nurse).get_json()
    assert [c["patient_id"] for c in cases] == [str(scene[k]) for k in ("pat", "olive", "quinn")]
    assert [[f["id"] for f in c["flags"]] for c in cases] == [
        [str(scene["p_crit"]), str(scene["p_high"]), str(scene["p_med"])],
        [str(scene["o_high"])],
        [str(scene["q_med"])],
    ]
    assert [(c["priority"], c["flag_count"], c["lead_flag_id"]) for c in cases] == [
        ("critical", 3, str(scene["p_crit"])),
        ("high", 1, str(scene["o_high"])),
        ("medium", 1, str(scene["q_med"])),
    ]
    assert cases[0]["due_by"] == cases[0]["flags"][0]["due_by"]
    assert cases[0]["patient_display_name"] == "Pat North"
    # Every flag of the flat queue is in exactly one case; the flat queue itself is unchanged.
    flat = get(client, world.nurse, "/api/v1/flags").get_json()
    order = ["p_crit", "o_high", "p_high", "q_med", "p_med"]
    assert [f["id"] for f in flat] == [str(scene[k]) for k in order]
    assert "actions" not in flat[0]
    assert sorted(f["id"] for c in cases for f in c["flags"]) == sorted(f["id"] for f in flat)


def test_each_flag_keeps_its_own_actions(client, world, scene):
    ack = client.post(f"/api/v1/flags/{scene['p_high']}/acknowledge", headers=world.nurse.headers)
    assert ack.status_code == 200
    [pat, olive, _] = get(client, world.nurse).get_json()
    assert [(f["status"], f["actions"]) for f in pat["flags"]] == [
        ("open", ALL),
        ("acknowledged", ["assign", "notes", "escalate", "resolve"]),
        ("open", ALL),
    ]
    assert olive["flags"][0]["actions"] == ALL
    # The actions a case lists are the ones the API takes for that flag.
    again = client.post(f"/api/v1/flags/{scene['p_high']}/acknowledge", headers=world.nurse.headers)
    assert again.status_code == 409
    # Resolving the critical flag hands the case's lead to the next flag, and the case moves down.
    resolve = client.post(
        f"/api/v1/flags/{scene['p_crit']}/resolve",
        json={"resolution": "contacted_patient", "note": "Called; safe, with family."},
        headers=world.nurse.headers,
    )
    assert resolve.status_code == 200
    cases = get(client, world.nurse).get_json()
    assert [c["patient_id"] for c in cases] == [str(scene[k]) for k in ("olive", "pat", "quinn")]
    assert cases[1]["lead_flag_id"] == str(scene["p_high"]) and cases[1]["priority"] == "high"


def test_one_report_setting_off_several_rules_is_one_case(client, world):
    response = client.post(
        "/api/v1/me/reports",
        json={
            "client_report_id": str(uuid.uuid4()),
            "observed_at": (now_utc() - timedelta(minutes=5)).isoformat(),
            "symptoms": [{"code": "nausea", "severity": 3}, {"code": "craving", "severity": 2}],
            "vitals": {"systolic": 186, "diastolic": 95, "heart_rate": 80},
        },
        headers=world.patient.headers,
    )
    assert response.status_code == 201
    report_id = response.get_json()["id"]
    flat = get(client, world.nurse, "/api/v1/flags").get_json()
    assert len(flat) >= 3
    [case] = get(client, world.nurse).get_json()
    assert case["flag_count"] == len(flat) and case["report_ids"] == [report_id]
    assert case["priority"] == "critical" and case["flags"][0]["priority"] == "critical"


def test_cases_page_by_patient_and_never_split_a_patient(client, world, scene):
    seen, cursor, pages = [], None, 0
    while True:
        response = get(client, world.nurse, limit=1, **({"cursor": cursor} if cursor else {}))
        [case] = response.get_json()
        seen.append((case["patient_id"], len(case["flags"])))
        pages += 1
        cursor = response.headers.get("X-Next-Cursor")
        if not cursor:
            break
        assert 'rel="next"' in response.headers["Link"] and "/api/v1/flag-cases?" in response.headers["Link"]
    assert pages == 3
    assert seen == [(str(scene["pat"]), 3), (str(scene["olive"]), 1), (str(scene["quinn"]), 1)]


def test_cursors_of_the_flat_queue_and_of_cases_do_not_mix(client, world, scene):
    flat_cursor = get(client, world.nurse, "/api/v1/flags", limit=1).headers["X-Next-Cursor"]
    case_cursor = get(client, world.nurse, limit=1).headers["X-Next-Cursor"]
    for path, cursor in (("/api/v1/flag-cases", flat_cursor), ("/api/v1/flags", case_cursor)):
        bad = client.get(path, query_string={"cursor": cursor}, headers=world.nurse.headers)
        assert bad.status_code == 422 and "cursor" in bad.get_json()["errors"]["query"]


def test_filters_choose_the_flags_the_cases_group(client, world, scene):
    high = get(client, world.nurse, priority="high").get_json()
    assert [(c["patient_id"], [f["id"] for f in c["flags"]]) for c in high] == [
        (str(scene["olive"]), [str(scene["o_high"])]),
        (str(scene["pat"]), [str(scene["p_high"])]),
    ]
    assert get(client, world.nurse, overdue="true").get_json() == []
    client.post(f"/api/v1/flags/{scene['q_med']}/acknowledge", headers=world.nurse.headers)
    mine = get(client, world.nurse, assignee="me").get_json()
    assert [c["patient_id"] for c in mine] == [str(scene["quinn"])]
    assert [c["patient_id"] for c in get(client, world.nurse, status="acknowledged").get_json()] == [
        str(scene["quinn"])
    ]
    bad = client.get("/api/v1/flag-cases", query_string={"status": "resolved"}, headers=world.nurse.headers)
    assert bad.status_code == 422 and "status" in bad.get_json()["errors"]["query"]


def test_the_flat_queue_points_a_group_request_here(client, world, scene):
    bad = client.get("/api/v1/flags", query_string={"group": "patient"}, headers=world.nurse.headers)
    assert bad.status_code == 422
    assert "/api/v1/flag-cases" in bad.get_json()["errors"]["query"]["group"][0]


def test_another_clinic_sees_only_its_own_cases(client, world, scene):
    theirs = get(client, world.other_admin).get_json()
    assert [(c["patient_id"], [f["id"] for f in c["flags"]]) for c in theirs] == [
        (str(scene["sol"]), [str(scene["s_crit"])])
    ]
    assert "Pat North" not in get(client, world.other_admin).get_data(as_text=True)
    # Naming another clinic's patient finds nothing (never their flags).
    assert get(client, world.nurse, patient_id=str(scene["sol"])).get_json() == []
    assert get(client, world.other_admin, patient_id=str(scene["pat"])).get_json() == []


def test_case_page_in_the_domain_matches_the_flat_queue_order(world, scene):
    now = now_utc()
    cases, cursor = flags.case_page(
        db.session, clinic_id=world.clinic.id, filters=flags.QueueFilter(), cursor=None, limit=10, now=now
    )
    flat, _ = flags.queue_page(
        db.session, clinic_id=world.clinic.id, filters=flags.QueueFilter(), cursor=None, limit=10, now=now
    )
    assert cursor is None
    # The order of cases is the order in which each patient first appears in the flat queue.
    first_seen = list(dict.fromkeys(item["patient_id"] for item in flat))
    assert [c["patient_id"] for c in cases] == first_seen
    for case in cases:
        assert [f["id"] for f in case["flags"]] == [i["id"] for i in flat if i["patient_id"] == case["patient_id"]]
    assert db.session.get(Patient, scene["sol"]).clinic_id != world.clinic.id


def test_a_case_read_is_audited_against_the_patient_it_names(client, world, scene):
    from sqlalchemy import select

    from service.models import AuditEntry

    get(client, world.nurse, patient_id=str(scene["pat"]))
    entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry.endpoint == "/api/v1/flag-cases" and entry.patient_id == scene["pat"]
    assert entry.action == "read"
