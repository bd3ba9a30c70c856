"""GET /api/v1/analytics/outcomes and the PHQ-9 baseline: figures worked out by hand.

Range: clinic days 1-30 November 2026 (America/Denver). Every infusion starts at 17:00 UTC.

  A (no typed baseline): PHQ-9 20 on 10-20 and 18 on 10-25 (before treatment: baseline 20, the first);
    induction infusions 10-28, 10-30, 11-02, 11-04, 11-06, 11-09, maintenance 11-20;
    PHQ-9 16 on 10-29 (before the range), 15 on 11-01 (after 2, before the 3rd), 12 on 11-05 (after 4),
    9 on 11-10 and 8 on 11-12 (after 6), 4 on 11-21 (maintenance). Latest 4: response (<= 10) and remission (< 5).
  B (typed baseline 12, overriding a PHQ-9 of 25 before treatment): infusions 11-03 and 11-05; PHQ-9 7 on 11-06,
    6 on 12-02 (after the range). Latest 7: no response (> 6), no remission.
  C: PHQ-9 9 before their only infusion (11-10), none after: a baseline, not measured.
  D: an infusion, no PHQ-9 ever: no baseline.
  The other clinic: baseline 20, infusion 11-02, PHQ-9 2 on 11-05: never counted.

→ with baseline 3 (A B C), measured 2, response 1 (0.5), remission 1 (0.5).
  After 2: A 15, B 7 → 2 patients, none respond or remit. After 4: A 12 → 1, 0, 0. After 6: A 8 → 1, responds,
  no remission. Maintenance: A 4 → 1, 1, 1.
  Weeks since the first infusion: week 0 A 15 (11-01) and B 7 (11-06) → median 11; week 1 A 9 (11-05 then 11-10:
  the latest of the week); week 2 A 8; week 3 A 4.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from service.clock import now_utc
from service.domain.outcomes import derived_phq9_baseline
from service.extensions import db
from service.models import Flag, Patient
from tests.analytics_data import add_infusion, build_outcome_history

URL = "/api/v1/analytics/outcomes"
NOVEMBER = "?from=2026-11-01&to=2026-11-30"


@pytest.fixture()
def course(world):
    return build_outcome_history(world)


def test_figures_match_the_hand_count(client, course):
    answer = client.get(URL + NOVEMBER, headers=course.admin.headers)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json() == {
        "patients_with_baseline": 3,
        "measured": 2,
        "response": 1,
        "response_rate": 0.5,
        "remission": 1,
        "remission_rate": 0.5,
        "by_infusions": [
            {"after": "2", "patients": 2, "response": 0, "response_rate": 0.0, "remission": 0, "remission_rate": 0.0},
            {"after": "4", "patients": 1, "response": 0, "response_rate": 0.0, "remission": 0, "remission_rate": 0.0},
            {"after": "6", "patients": 1, "response": 1, "response_rate": 1.0, "remission": 0, "remission_rate": 0.0},
            {"after": "maintenance", "patients": 1, "response": 1, "response_rate": 1.0, "remission": 1,
             "remission_rate": 1.0},
        ],
        "median_by_week": [
            {"week": 0, "patients": 2, "median_phq9": 11.0},
            {"week": 1, "patients": 1, "median_phq9": 9.0},
            {"week": 2, "patients": 1, "median_phq9": 8.0},
            {"week": 3, "patients": 1, "median_phq9": 4.0},
        ],
    }  # fmt: skip


def test_an_empty_range_has_no_rates(client, course):
    answer = client.get(URL + "?from=2026-09-01&to=2026-09-30", headers=course.physician.headers).get_json()
    assert answer["patients_with_baseline"] == 0 and answer["measured"] == 0
    assert answer["response_rate"] is None and answer["remission_rate"] is None and answer["median_by_week"] == []
    assert all(step["patients"] == 0 and step["response_rate"] is None for step in answer["by_infusions"])


def test_another_clinic_sees_only_its_own_patients(client, course):
    answer = client.get(URL + NOVEMBER, headers=course.other_admin.headers).get_json()
    assert (answer["patients_with_baseline"], answer["measured"], answer["remission"]) == (1, 1, 1)


def test_roles_and_bad_ranges(client, course):
    assert client.get(URL + NOVEMBER, headers=course.nurse.headers).status_code == 403
    assert client.get(URL + NOVEMBER, headers=course.patient.headers).status_code == 403
    bad = client.get(URL + "?from=2026-11-30&to=2026-11-01", headers=course.admin.headers)
    assert bad.status_code == 422 and "to" in bad.get_json()["errors"]["query"]
    assert "to" in client.get(URL + "?from=2026-11-01", headers=course.admin.headers).get_json()["errors"]["query"]


def test_the_baseline_is_the_first_phq9_before_the_first_infusion(course):
    assert derived_phq9_baseline(db.session, patient_id=course.patient.principal.patient_id) == 20
    assert derived_phq9_baseline(db.session, patient_id=course.other_patient.principal.patient_id) == 25


def _send(client, world, observed, total):
    items = [min(3, total // 8 + (1 if i < total % 8 else 0)) for i in range(8)] + [0]
    assert sum(items) == total
    body = {"client_report_id": str(uuid.uuid4()), "observed_at": observed.isoformat(), "symptoms": [], "phq9": items}
    answer = client.post("/api/v1/me/reports", json=body, headers=world.patient.headers)
    assert answer.status_code == 201, answer.get_json()


@pytest.mark.parametrize(("typed", "fires"), [(None, True), (10, False)])
def test_mood_dip_compares_with_the_derived_baseline_unless_one_was_typed(client, world, typed, fires):
    patient_id = world.patient.principal.patient_id
    db.session.get(Patient, patient_id).phq9_baseline = typed
    db.session.commit()
    now = now_utc()
    _send(client, world, now - timedelta(days=5), 8)  # the pre-treatment check-in: the baseline
    infusion = add_infusion(world.clinic.id, patient_id, (now - timedelta(days=3)).strftime("%Y-%m-%d %H:%M"))
    db.session.commit()
    assert infusion.ended_at < now
    _send(client, world, now - timedelta(days=1), 13)  # 8 + 5, but 13 < 10 + 5
    flags = db.session.query(Flag).filter_by(patient_id=patient_id, rule="mood-dip").all()
    assert bool(flags) is fires
    if fires:
        assert flags[0].evidence["phq9_baseline"] == 8 and flags[0].rule_version == 2


def test_the_patient_record_says_which_baseline_is_in_use_and_where_it_comes_from(client, course):
    def shown(patient_id):
        answer = client.get(f"/api/v1/patients/{patient_id}", headers=course.nurse.headers)
        assert answer.status_code == 200, answer.get_json()
        body = answer.get_json()
        return body["phq9_baseline"], body["phq9_baseline_in_use"], body["phq9_baseline_source"]

    assert shown(course.patient.principal.patient_id) == (None, 20, "pre_treatment_phq9")
    assert shown(course.other_patient.principal.patient_id) == (12, 12, "typed")  # typed 12 overrides the PHQ-9 25
    unmeasured = db.session.query(Patient).filter_by(display_name="Dee North").one()
    assert shown(unmeasured.id) == (None, None, None)
