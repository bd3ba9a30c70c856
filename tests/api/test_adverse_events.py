"""Adverse events end to end: record (from a flag, a report, a patient), every field rule, the regulatory
clock, lists and filters, versioned corrections, submission."""

from __future__ import annotations

import threading
import uuid
from datetime import datetime, timedelta

import pytest

from service.clock import now_utc
from service.extensions import db
from service.models import AdverseEvent, AdverseEventVersion, Infusion
from service.vocabulary import OTHER_TERM
from tests import factories
from tests.api.ae_support import EVENTS, assert_422, body, count, iso, record, serious_body

# --- recording ---------------------------------------------------------------------------------------------------


def test_record_from_a_flag_takes_its_patient_report_and_infusion(client, case):
    answer = record(client, case.world.nurse, flag_id=str(case.flag_id))
    assert uuid.UUID(answer["id"])
    assert answer["patient_id"] == str(case.patient_id)
    assert answer["patient_display_name"] == "Pat North"
    assert answer["flag_id"] == str(case.flag_id)
    assert answer["report_id"] == str(case.report_id)
    assert answer["infusion_id"] == str(case.infusion_id)
    assert answer["infusion_route"] == "iv"
    assert answer["infusion_dose_mg"] == 35.0 and answer["infusion_dose_mg_per_kg"] == 0.5
    assert answer["regulatory_due_at"] is None and answer["overdue_reporting"] is False
    assert answer["recorded_by_id"] == str(case.world.nurse.principal.id)
    assert answer["version"] == 1


def test_record_from_a_report(client, case):
    answer = record(client, case.world.physician, report_id=str(case.report_id))
    assert answer["report_id"] == str(case.report_id)
    assert answer["patient_id"] == str(case.patient_id)
    assert answer["flag_id"] is None
    assert answer["infusion_id"] == str(case.infusion_id)


def test_record_directly_links_the_latest_infusion_begun_by_the_onset(client, case):
    onset = now_utc() - timedelta(hours=2)
    answer = record(client, case.world.nurse, patient_id=str(case.patient_id), onset_at=iso(onset))
    assert answer["infusion_id"] == str(case.infusion_id)
    assert answer["flag_id"] is None and answer["report_id"] is None
    before_any_infusion = record(
        client, case.world.nurse, patient_id=str(case.patient_id), onset_at=iso(onset - timedelta(days=2))
    )
    assert before_any_infusion["infusion_id"] is None and before_any_infusion["infusion_route"] is None


def test_route_and_dose_are_copied_so_a_later_correction_of_the_infusion_does_not_rewrite_them(client, case):
    answer = record(client, case.world.nurse, flag_id=str(case.flag_id))
    corrected = client.patch(
        f"/api/v1/infusions/{case.infusion_id}",
        json={"dose_mg": 50.0, "route": "intramuscular"},
        headers=case.world.nurse.headers,
    )
    assert corrected.status_code == 200
    again = client.get(f"{EVENTS}/{answer['id']}", headers=case.world.nurse.headers).get_json()
    assert again["infusion_route"] == "iv" and again["infusion_dose_mg"] == 35.0


def test_aware_at_defaults_to_now(client, case):
    before = now_utc()
    answer = record(client, case.world.nurse, patient_id=str(case.patient_id))
    aware = datetime.fromisoformat(answer["aware_at"])
    assert before - timedelta(seconds=1) <= aware <= now_utc() + timedelta(seconds=1)


def test_free_text_term_with_other_specify(client, case):
    answer = record(
        client, case.world.nurse, patient_id=str(case.patient_id), term=OTHER_TERM, term_other="Jaw stiffness"
    )
    assert answer["term"] == OTHER_TERM and answer["term_other"] == "Jaw stiffness"


def test_term_list_covers_every_vocabulary_symptom(client, world):
    response = client.get(f"{EVENTS}/terms", headers=world.nurse.headers)
    assert response.status_code == 200
    terms = {t["term"]: t for t in response.get_json()}
    symptoms = client.get("/api/v1/symptoms", headers=world.nurse.headers).get_json()["symptoms"]
    for symptom in symptoms:
        assert symptom["ctcae_term"] in terms, symptom
        assert symptom["code"] in terms[symptom["ctcae_term"]]["symptom_codes"]
    assert terms[OTHER_TERM]["needs_description"] is True
    assert "Death NOS" in terms and "Suicide attempt" in terms


# --- the regulatory clock ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("criteria", "days"),
    [
        (["death"], 7),
        (["life_threatening"], 7),
        (["hospitalization", "life_threatening"], 7),
        (["hospitalization"], 15),
        (["disability"], 15),
        (["congenital_anomaly"], 15),
        (["medically_important"], 15),
    ],
)
def test_serious_events_are_due_7_days_after_awareness_if_fatal_or_life_threatening_else_15(
    client, case, criteria, days
):
    aware = now_utc().replace(microsecond=0) - timedelta(hours=1)
    answer = client.post(
        EVENTS,
        json=serious_body(
            criteria,
            patient_id=str(case.patient_id),
            onset_at=iso(aware - timedelta(hours=5)),
            aware_at=iso(aware),
        ),
        headers=case.world.physician.headers,
    )
    assert answer.status_code == 201, answer.get_json()
    due = datetime.fromisoformat(answer.get_json()["regulatory_due_at"])
    assert due == aware + timedelta(days=days)
    assert set(answer.get_json()["seriousness"]) == set(criteria)


def test_non_serious_events_have_no_regulatory_clock(client, case):
    answer = record(client, case.world.nurse, patient_id=str(case.patient_id), grade=3)
    assert answer["serious"] is False and answer["seriousness"] == []
    assert answer["regulatory_due_at"] is None


def test_the_clock_runs_from_awareness_in_calendar_days_across_a_dst_change(client, case):
    """7 days are 7 x 24 h from the moment of awareness, whatever the clinic's clocks did meanwhile."""
    aware = datetime.fromisoformat("2026-11-01T01:30:00-06:00")  # Denver, the night DST ends
    answer = client.post(
        EVENTS,
        json=serious_body(
            ["life_threatening"],
            patient_id=str(case.patient_id),
            onset_at=iso(aware - timedelta(hours=1)),
            aware_at=iso(aware),
            outcome="recovered",
            resolved_at=iso(aware + timedelta(hours=2)),
        ),
        headers=case.world.physician.headers,
    )
    assert answer.status_code == 201, answer.get_json()
    assert datetime.fromisoformat(answer.get_json()["regulatory_due_at"]) == aware + timedelta(days=7)


# --- every field rule --------------------------------------------------------------------------------------------


def _future(minutes: int) -> str:
    return iso(now_utc() + timedelta(minutes=minutes))


def _past(hours: int) -> str:
    return iso(now_utc() - timedelta(hours=hours))


BAD = [
    ("unknown term", {"term": "Feeling weird"}, "term"),
    ("term of another case", {"term": "nausea"}, "term"),
    ("other without words", {"term": OTHER_TERM}, "term_other"),
    ("other with blank words", {"term": OTHER_TERM, "term_other": "   "}, "term_other"),
    ("words without other", {"term_other": "Jaw stiffness"}, "term_other"),
    ("grade 0", {"grade": 0}, "grade"),
    ("grade 6", {"grade": 6}, "grade"),
    ("grade as text", {"grade": "3"}, "grade"),
    ("grade as float", {"grade": 2.5}, "grade"),
    ("grade as bool", {"grade": True}, "grade"),
    ("grade missing", {"grade": ...}, "grade"),
    ("serious as text", {"serious": "yes"}, "serious"),
    ("serious missing", {"serious": ...}, "serious"),
    ("serious without criteria", {"serious": True, "grade": 3}, "seriousness"),
    ("criteria without serious", {"seriousness": ["hospitalization"]}, "serious"),
    ("unknown criterion", {"serious": True, "seriousness": ["prolonged_stay"]}, "seriousness"),
    ("criteria not a list", {"serious": True, "seriousness": "hospitalization"}, "seriousness"),
    ("grade 5 without death", {"grade": 5, "serious": True, "seriousness": ["life_threatening"]}, "grade"),
    (
        "death below grade 5",
        {"grade": 4, "serious": True, "seriousness": ["death"], "outcome": "fatal"},
        "grade",
    ),
    ("grade 5 not fatal", {"grade": 5, "serious": True, "seriousness": ["death"], "outcome": "recovering"}, "outcome"),
    ("fatal without death", {"outcome": "fatal"}, "outcome"),
    ("unknown causality", {"causality": "likely"}, "causality"),
    ("causality missing", {"causality": ...}, "causality"),
    ("unknown action", {"action_taken": "stopped"}, "action_taken"),
    ("unknown outcome", {"outcome": "better"}, "outcome"),
    ("onset in the future", {"onset_at": _future(30)}, "onset_at"),
    ("onset without offset", {"onset_at": "2026-11-20T10:00:00"}, "onset_at"),
    ("onset missing", {"onset_at": ...}, "onset_at"),
    ("aware before onset", {"onset_at": _past(2), "aware_at": _past(3)}, "aware_at"),
    ("aware in the future", {"aware_at": _future(30)}, "aware_at"),
    ("resolved before onset", {"outcome": "recovered", "resolved_at": _past(5)}, "resolved_at"),
    ("resolved in the future", {"outcome": "recovered", "resolved_at": _future(30)}, "resolved_at"),
    ("resolved yet recovering", {"outcome": "recovering", "resolved_at": _past(1)}, "resolved_at"),
    ("narrative missing", {"narrative": ...}, "narrative"),
    ("narrative blank", {"narrative": "   "}, "narrative"),
    ("narrative too long", {"narrative": "x" * 10001}, "narrative"),
    ("narrative with NUL", {"narrative": "a\x00b"}, "narrative"),
    ("unknown field", {"severity": 3}, "severity"),
]


@pytest.mark.parametrize(("changes", "field"), [pytest.param(c, f, id=i) for i, c, f in BAD])
def test_bad_event_is_refused_naming_the_field_and_nothing_is_stored(client, case, changes, field):
    response = client.post(
        EVENTS, json=body(patient_id=str(case.patient_id), **changes), headers=case.world.nurse.headers
    )
    assert_422(response, field)
    assert count(AdverseEvent) == 0 and count(AdverseEventVersion) == 0


def test_event_needs_a_flag_a_report_or_a_patient(client, case):
    assert_422(client.post(EVENTS, json=body(), headers=case.world.nurse.headers), "patient_id")
    assert count(AdverseEvent) == 0


@pytest.mark.parametrize("field", ["flag_id", "report_id", "patient_id", "infusion_id"])
def test_ids_from_elsewhere_are_refused_naming_the_field(client, case, field):
    """Another clinic's flag/report/patient, or another patient's infusion: refused, nothing revealed."""
    other_patient = factories.make_patient(case.world.other_clinic, display_name="Far Away")
    stranger = factories.make_patient(case.world.clinic, display_name="Next Door")
    now = now_utc()
    foreign_infusion = Infusion(
        clinic_id=stranger.clinic_id,
        patient_id=stranger.id,
        started_at=now - timedelta(hours=5),
        ended_at=now - timedelta(hours=4),
        route="iv",
        phase="induction",
        created_at=now,
        updated_at=now,
    )
    db.session.add(foreign_infusion)
    db.session.commit()
    values = {
        "flag_id": {"flag_id": str(uuid.uuid4())},
        "report_id": {"report_id": str(uuid.uuid4())},
        "patient_id": {"patient_id": str(other_patient.id)},
        "infusion_id": {"patient_id": str(case.patient_id), "infusion_id": str(foreign_infusion.id)},
    }[field]
    response = client.post(EVENTS, json=body(**values), headers=case.world.nurse.headers)
    payload = assert_422(response, field)
    assert "Far Away" not in str(payload)
    assert count(AdverseEvent) == 0


def test_flag_and_report_of_different_patients_are_refused(client, case):
    other = client.post(
        "/api/v1/me/reports",
        json={
            "client_report_id": str(uuid.uuid4()),
            "observed_at": _past(1),
            "symptoms": [{"code": "headache", "severity": 1}],
        },
        headers=case.world.other_patient.headers,
    ).get_json()
    response = client.post(
        EVENTS, json=body(flag_id=str(case.flag_id), report_id=other["id"]), headers=case.world.nurse.headers
    )
    assert_422(response, "report_id")
    mismatch = client.post(
        EVENTS,
        json=body(flag_id=str(case.flag_id), patient_id=str(case.world.other_patient.principal.patient_id)),
        headers=case.world.nurse.headers,
    )
    assert_422(mismatch, "patient_id")
    assert count(AdverseEvent) == 0


# --- reads and lists -----------------------------------------------------------------------------------------------


def test_another_clinics_event_is_a_404(client, case):
    answer = record(client, case.world.nurse, patient_id=str(case.patient_id))
    for suffix in ("", "/history", "/fhir"):
        response = client.get(f"{EVENTS}/{answer['id']}{suffix}", headers=case.world.other_admin.headers)
        assert response.status_code == 404
        assert "Pat North" not in response.get_data(as_text=True)
    listing = client.get(EVENTS, headers=case.world.other_admin.headers)
    assert listing.status_code == 200 and listing.get_json() == []


def test_list_filters_by_onset_range_seriousness_and_overdue_reporting(client, case):
    nurse = case.world.nurse
    now = now_utc()
    recent = record(client, nurse, patient_id=str(case.patient_id), onset_at=iso(now - timedelta(hours=2)))
    old_onset = now - timedelta(days=40)
    overdue = client.post(
        EVENTS,
        json=serious_body(
            ["hospitalization"],
            patient_id=str(case.patient_id),
            onset_at=iso(old_onset),
            aware_at=iso(old_onset + timedelta(hours=3)),
        ),
        headers=nurse.headers,
    ).get_json()
    on_time = client.post(
        EVENTS,
        json=serious_body(["life_threatening"], patient_id=str(case.patient_id), onset_at=iso(now - timedelta(days=1))),
        headers=nurse.headers,
    ).get_json()

    def ids(query: str) -> list[str]:
        response = client.get(f"{EVENTS}{query}", headers=nurse.headers)
        assert response.status_code == 200, response.get_json()
        return [e["id"] for e in response.get_json()]

    assert ids("") == [recent["id"], on_time["id"], overdue["id"]]  # latest onset first
    assert set(ids("?serious=true")) == {overdue["id"], on_time["id"]}
    assert ids("?serious=false") == [recent["id"]]
    assert ids("?overdue=true") == [overdue["id"]]
    assert set(ids("?overdue=false")) == {recent["id"], on_time["id"]}
    since = factories.clinic_day(now - timedelta(days=45)).isoformat()
    until = factories.clinic_day(now - timedelta(days=30)).isoformat()
    assert ids(f"?from={since}&to={until}") == [overdue["id"]]
    assert ids(f"?from={iso(now - timedelta(hours=3)).replace('+', '%2B')}") == [recent["id"]]
    listing = client.get(EVENTS, headers=nurse.headers).get_json()
    assert {e["id"]: e["overdue_reporting"] for e in listing}[overdue["id"]] is True


@pytest.mark.parametrize(
    ("query", "field"),
    [("?from=2026-13-01", "from"), ("?to=yesterday", "to"), ("?serious=maybe", "serious"), ("?overdue=1x", "overdue")],
)
def test_bad_list_filters_are_named(client, world, query, field):
    assert_422(client.get(f"{EVENTS}{query}", headers=world.nurse.headers), field, location="query")


def test_range_that_ends_before_it_starts_is_refused(client, world):
    assert_422(client.get(f"{EVENTS}?from=2026-05-02&to=2026-05-01", headers=world.nurse.headers), "to", "query")


def test_list_pages(client, case):
    for _ in range(3):
        record(client, case.world.nurse, patient_id=str(case.patient_id))
    response = client.get(f"{EVENTS}?page=2&page_size=2", headers=case.world.nurse.headers)
    assert response.status_code == 200
    assert len(response.get_json()) == 1
    assert '"total": 3' in response.headers["X-Pagination"] or '"total":3' in response.headers["X-Pagination"]


# --- corrections, with a history -------------------------------------------------------------------------------------


def test_every_correction_is_versioned_with_who_when_old_and_new(client, case):
    created = record(client, case.world.nurse, flag_id=str(case.flag_id))
    url = f"{EVENTS}/{created['id']}"
    first = client.patch(
        url, json={"grade": 3, "narrative": "Worse than first thought."}, headers=case.world.nurse.headers
    )
    assert first.status_code == 200, first.get_json()
    assert first.headers["ETag"] == '"2"' and first.get_json()["grade"] == 3
    second = client.patch(
        url,
        json={"serious": True, "seriousness": ["hospitalization"], "grade": 4},
        headers={**case.world.physician.headers, "If-Match": '"2"'},
    )
    assert second.status_code == 200, second.get_json()
    assert second.get_json()["regulatory_due_at"] is not None

    history = client.get(f"{url}/history", headers=case.world.admin.headers)
    assert history.status_code == 200
    versions = history.get_json()
    assert [v["version"] for v in versions] == [1, 2, 3]
    assert [v["action"] for v in versions] == ["created", "updated", "updated"]
    assert versions[0]["actor_id"] == str(case.world.nurse.principal.id)
    assert versions[0]["changes"]["term"] == {"old": None, "new": "Nausea"}
    assert versions[1]["changes"] == {
        "grade": {"old": 2, "new": 3},
        "narrative": {"old": created["narrative"], "new": "Worse than first thought."},
    }
    assert versions[2]["actor_id"] == str(case.world.physician.principal.id)
    assert versions[2]["actor_name"] == case.world.physician.principal.name
    assert versions[2]["changes"]["serious"] == {"old": False, "new": True}
    assert versions[2]["changes"]["seriousness"] == {"old": [], "new": ["hospitalization"]}
    assert versions[2]["changes"]["regulatory_due_at"]["old"] is None
    assert versions[2]["changes"]["regulatory_due_at"]["new"] is not None
    assert all(datetime.fromisoformat(v["at"]).tzinfo is not None for v in versions)


def test_a_stale_if_match_is_refused_and_changes_nothing(client, case):
    created = record(client, case.world.nurse, patient_id=str(case.patient_id))
    url = f"{EVENTS}/{created['id']}"
    assert client.patch(url, json={"grade": 3}, headers=case.world.nurse.headers).status_code == 200
    stale = client.patch(url, json={"grade": 1}, headers={**case.world.nurse.headers, "If-Match": '"1"'})
    assert stale.status_code == 412
    assert client.get(url, headers=case.world.nurse.headers).get_json()["grade"] == 3
    assert count(AdverseEventVersion) == 2


def test_a_bad_correction_is_refused_and_leaves_no_version(client, case):
    created = record(client, case.world.nurse, patient_id=str(case.patient_id))
    url = f"{EVENTS}/{created['id']}"
    assert_422(client.patch(url, json={"serious": True}, headers=case.world.nurse.headers), "seriousness")
    assert_422(client.patch(url, json={"grade": None}, headers=case.world.nurse.headers), "grade")
    assert_422(client.patch(url, json={"outcome": "fatal"}, headers=case.world.nurse.headers), "outcome")
    assert client.get(url, headers=case.world.nurse.headers).get_json()["version"] == 1
    assert count(AdverseEventVersion) == 1


def test_a_correction_that_changes_nothing_adds_no_version(client, case):
    created = record(client, case.world.nurse, patient_id=str(case.patient_id))
    response = client.patch(
        f"{EVENTS}/{created['id']}", json={"grade": created["grade"]}, headers=case.world.nurse.headers
    )
    assert response.status_code == 200 and response.get_json()["version"] == 1
    assert count(AdverseEventVersion) == 1


def test_relinking_the_infusion_copies_its_route_and_dose(client, case):
    created = record(client, case.world.nurse, patient_id=str(case.patient_id), onset_at=_past(2))
    unlinked = client.patch(f"{EVENTS}/{created['id']}", json={"infusion_id": None}, headers=case.world.nurse.headers)
    assert unlinked.status_code == 200
    assert unlinked.get_json()["infusion_route"] is None and unlinked.get_json()["infusion_dose_mg"] is None
    relinked = client.patch(
        f"{EVENTS}/{created['id']}", json={"infusion_id": str(case.infusion_id)}, headers=case.world.nurse.headers
    )
    assert relinked.get_json()["infusion_route"] == "iv" and relinked.get_json()["infusion_dose_mg"] == 35.0
    changes = client.get(f"{EVENTS}/{created['id']}/history", headers=case.world.nurse.headers).get_json()[1]["changes"]
    assert changes["infusion_dose_mg"] == {"old": 35.0, "new": None}


# --- onset and the suspected infusion ------------------------------------------------------------------------------


def test_an_onset_before_the_named_infusion_started_is_refused(client, case):
    """The case's infusion began 4 h ago: an onset 5 h ago cannot be blamed on it, and nothing is stored."""
    for values in (
        {"patient_id": str(case.patient_id), "infusion_id": str(case.infusion_id)},
        {"flag_id": str(case.flag_id)},  # the flag's report names the infusion
        {"report_id": str(case.report_id)},
    ):
        response = client.post(EVENTS, json=body(onset_at=_past(5), **values), headers=case.world.nurse.headers)
        assert "suspected infusion" in assert_422(response, "onset_at")["errors"]["json"]["onset_at"][0]
    assert count(AdverseEvent) == 0 and count(AdverseEventVersion) == 0


def test_an_onset_at_the_infusion_start_or_with_no_suspected_infusion_is_allowed(client, case):
    db.session.rollback()
    started = db.session.get(Infusion, case.infusion_id).started_at
    at_start = record(
        client,
        case.world.nurse,
        patient_id=str(case.patient_id),
        infusion_id=str(case.infusion_id),
        onset_at=iso(started),
    )
    assert at_start["infusion_id"] == str(case.infusion_id)
    none_suspected = record(
        client, case.world.nurse, patient_id=str(case.patient_id), infusion_id=None, onset_at=_past(30)
    )
    assert none_suspected["infusion_id"] is None


def test_a_correction_cannot_move_the_onset_before_the_infusion(client, case):
    created = record(client, case.world.nurse, flag_id=str(case.flag_id))
    url = f"{EVENTS}/{created['id']}"
    headers = case.world.nurse.headers
    assert_422(client.patch(url, json={"onset_at": _past(5)}, headers=headers), "onset_at")
    # Unlinked first, the earlier onset is allowed; linking the infusion back is then refused on the onset.
    assert client.patch(url, json={"infusion_id": None}, headers=headers).status_code == 200
    assert client.patch(url, json={"onset_at": _past(5)}, headers=headers).status_code == 200
    assert_422(client.patch(url, json={"infusion_id": str(case.infusion_id)}, headers=headers), "onset_at")
    # Both in one correction: the onset and the infusion are judged together.
    together = client.patch(url, json={"infusion_id": str(case.infusion_id), "onset_at": _past(3)}, headers=headers)
    assert together.status_code == 200 and together.get_json()["infusion_id"] == str(case.infusion_id)
    assert together.get_json()["version"] == 4


# --- submission to the regulator -------------------------------------------------------------------------------------


def test_submission_stops_the_clock_and_is_in_the_history(client, case):
    old = now_utc() - timedelta(days=20)
    created = client.post(
        EVENTS,
        json=serious_body(["hospitalization"], patient_id=str(case.patient_id), onset_at=iso(old), aware_at=iso(old)),
        headers=case.world.physician.headers,
    ).get_json()
    assert created["overdue_reporting"] is True
    url = f"{EVENTS}/{created['id']}/submitted"
    sent = client.post(
        url, json={"submitted_at": _past(1), "reference": "MW-2026-004211"}, headers=case.world.physician.headers
    )
    assert sent.status_code == 200, sent.get_json()
    assert sent.get_json()["submission_reference"] == "MW-2026-004211"
    assert sent.get_json()["overdue_reporting"] is False
    overdue = client.get(f"{EVENTS}?overdue=true", headers=case.world.nurse.headers).get_json()
    assert overdue == []
    history = client.get(f"{EVENTS}/{created['id']}/history", headers=case.world.nurse.headers).get_json()
    assert history[-1]["action"] == "submitted"
    assert history[-1]["changes"]["submission_reference"] == {"old": None, "new": "MW-2026-004211"}

    again = client.post(url, json={"submitted_at": _past(1), "reference": "MW-2"}, headers=case.world.admin.headers)
    assert again.status_code == 409


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"submitted_at": "2000-01-01T00:00:00+00:00", "reference": "X-1"}, "submitted_at"),
        ({"reference": "X-1"}, "submitted_at"),
        ({"submitted_at": "in a minute", "reference": "X-1"}, "submitted_at"),
        ({"submitted_at": _future(60), "reference": "X-1"}, "submitted_at"),
        ({"submitted_at": _past(1), "reference": "  "}, "reference"),
        ({"submitted_at": _past(1)}, "reference"),
        ({"submitted_at": _past(1), "reference": "x" * 121}, "reference"),
    ],
)
def test_bad_submission_is_refused_naming_the_field(client, case, values, field):
    created = record(client, case.world.nurse, patient_id=str(case.patient_id), onset_at=_past(3), aware_at=_past(2))
    response = client.post(f"{EVENTS}/{created['id']}/submitted", json=values, headers=case.world.admin.headers)
    assert_422(response, field)
    assert client.get(f"{EVENTS}/{created['id']}", headers=case.world.admin.headers).get_json()["submitted_at"] is None


# --- races ------------------------------------------------------------------------------------------------------------


def _race(app, callers, request) -> list[int]:
    statuses, errors = [], []
    barrier = threading.Barrier(len(callers))

    def act(caller):
        try:
            with app.test_client() as c:
                barrier.wait(timeout=10)
                statuses.append(request(c, caller).status_code)
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=act, args=(caller,)) for caller in callers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    return sorted(statuses)


@pytest.mark.parametrize("if_match", [True, False])
def test_racing_corrections_exactly_one_wins_and_one_version_is_kept(app, client, case, if_match):
    created = record(client, case.world.nurse, patient_id=str(case.patient_id))
    world = case.world
    callers = [world.nurse, world.physician, world.admin, world.nurse, world.physician, world.admin]
    narratives = iter(f"Correction number {n}." for n in range(len(callers)))

    def patch(c, caller):
        headers = {**caller.headers, **({"If-Match": '"1"'} if if_match else {})}
        return c.patch(f"{EVENTS}/{created['id']}", json={"narrative": next(narratives)}, headers=headers)

    statuses = _race(app, callers, patch)
    assert statuses.count(200) >= 1
    if if_match:  # everyone edited version 1: one wins, the others are told to reload
        assert statuses == [200] + [412] * (len(callers) - 1)
        assert count(AdverseEventVersion) == 2
    else:  # last writer wins, but no change is lost from the history
        assert set(statuses) <= {200, 409}
        assert count(AdverseEventVersion) == 1 + statuses.count(200)
    final = client.get(f"{EVENTS}/{created['id']}", headers=world.nurse.headers).get_json()
    assert final["version"] == count(AdverseEventVersion)


def test_racing_submissions_record_one(app, client, case):
    world = case.world
    serious = serious_body(["hospitalization"], patient_id=str(case.patient_id))
    created = client.post(EVENTS, json=serious, headers=world.admin.headers).get_json()
    sent_at = iso(now_utc())

    def submit(c, caller):
        return c.post(
            f"{EVENTS}/{created['id']}/submitted",
            json={"submitted_at": sent_at, "reference": f"MW-{uuid.uuid4().hex[:6]}"},
            headers=caller.headers,
        )

    statuses = _race(app, [world.admin, world.physician] * 3, submit)
    assert statuses == [200] + [409] * 5
    history = client.get(f"{EVENTS}/{created['id']}/history", headers=world.admin.headers).get_json()
    assert [v["action"] for v in history] == ["created", "submitted"]
