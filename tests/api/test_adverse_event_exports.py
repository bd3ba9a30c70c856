"""Exports of adverse events: a FHIR R4 AdverseEvent (validated with fhir.resources, R4B module) and the CSV
line listing (content, file name, and a stream whose memory does not grow with the number of events)."""

from __future__ import annotations

import csv
import io
import json
import tracemalloc
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from fhir.resources.R4B.adverseevent import AdverseEvent as FhirAdverseEvent
from sqlalchemy import insert

from service.clock import now_utc
from service.domain import line_listing
from service.domain.common import age_on
from service.domain.fhir import GRADE_EXTENSION, SERIOUSNESS_CRITERIA_EXTENSION
from service.extensions import db
from service.models import AdverseEvent
from service.vocabulary import OTHER_TERM
from tests.api.ae_support import EVENTS, assert_422, iso, record, serious_body
from tests.factories import clinic_day

EXPORT = f"{EVENTS}/export.csv"


# --- FHIR ---------------------------------------------------------------------------------------------------------


def fhir_of(client, caller, event_id) -> dict:
    response = client.get(f"{EVENTS}/{event_id}/fhir", headers=caller.headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/fhir+json"
    assert response.headers["Cache-Control"] == "no-store"
    return json.loads(response.get_data(as_text=True))


def extension(resource: dict, url: str) -> list[dict]:
    return [e for e in resource.get("extension", []) if e["url"] == url]


def test_fhir_adverse_event_validates_against_r4_and_carries_everything(client, case):
    created = record(client, case.world.nurse, flag_id=str(case.flag_id), grade=3, causality="possible")
    resource = fhir_of(client, case.world.physician, created["id"])

    parsed = FhirAdverseEvent.model_validate(resource)  # raises on anything R4(B) does not allow
    assert parsed.id == created["id"]
    assert resource["resourceType"] == "AdverseEvent"
    assert resource["actuality"] == "actual"
    assert resource["category"] and resource["category"][0]["text"]
    assert resource["event"]["text"] == "Nausea"
    assert resource["subject"] == {"reference": f"Patient/{case.patient_id}"}
    assert datetime.fromisoformat(resource["date"]) == datetime.fromisoformat(created["onset_at"])
    assert datetime.fromisoformat(resource["detected"]) == datetime.fromisoformat(created["aware_at"])
    assert datetime.fromisoformat(resource["recordedDate"]) == datetime.fromisoformat(created["created_at"])
    assert resource["seriousness"]["coding"][0]["code"] == "non-serious"
    assert resource["severity"]["coding"][0]["code"] == "severe"  # grade 3
    assert resource["outcome"]["coding"][0]["code"] == "recovering"
    assert resource["recorder"] == {"reference": f"Practitioner/{case.world.nurse.principal.id}"}

    # FHIR R4 severity cannot hold a CTCAE grade: it travels in the HL7 AE clinical research extension.
    (grade,) = extension(resource, GRADE_EXTENSION)
    assert grade["valueCodeableConcept"]["coding"][0]["code"] == "C41340"  # NCIt: grade 3 severe AE
    assert "Grade 3" in grade["valueCodeableConcept"]["coding"][0]["display"]
    assert extension(resource, SERIOUSNESS_CRITERIA_EXTENSION) == []  # non-serious

    (suspect,) = resource["suspectEntity"]
    assert suspect["instance"] == {"reference": "#infusion"}
    assert suspect["causality"][0]["assessment"]["coding"][0]["code"] == "possible"
    (administration,) = resource["contained"]
    assert administration["resourceType"] == "MedicationAdministration" and administration["id"] == "infusion"
    assert administration["medicationCodeableConcept"]["coding"][0]["display"] == "ketamine"
    assert administration["dosage"]["route"]["coding"][0]["code"] == "47625008"  # SNOMED: intravenous
    assert administration["dosage"]["dose"] == {
        "value": 35.0,
        "unit": "mg",
        "system": "http://unitsofmeasure.org",
        "code": "mg",
    }
    assert administration["dosage"]["text"] == "0.5 mg/kg"
    assert administration["identifier"][0]["value"] == f"urn:uuid:{case.infusion_id}"
    assert "Pat North" not in json.dumps(resource)


@pytest.mark.parametrize(
    ("criteria", "grade_code", "outcome"),
    [(["death"], "C48275", "fatal"), (["hospitalization", "life_threatening"], "C41337", "recovering")],
)
def test_fhir_serious_event_lists_each_ich_criterion_present_or_absent(client, case, criteria, grade_code, outcome):
    created = client.post(
        EVENTS, json=serious_body(criteria, patient_id=str(case.patient_id)), headers=case.world.physician.headers
    ).get_json()
    resource = fhir_of(client, case.world.nurse, created["id"])
    FhirAdverseEvent.model_validate(resource)
    assert resource["seriousness"]["coding"][0]["code"] == "serious"
    assert extension(resource, GRADE_EXTENSION)[0]["valueCodeableConcept"]["coding"][0]["code"] == grade_code
    assert resource["outcome"]["coding"][0]["code"] == outcome
    present = {}
    for criterion in extension(resource, SERIOUSNESS_CRITERIA_EXTENSION):
        parts = {part["url"]: part for part in criterion["extension"]}
        code = parts["criterionCode"]["valueCodeableConcept"]["coding"][0]["code"]
        present[code] = parts["criterionPresent"]["valueBoolean"]
    assert len(present) == 6
    expected = {"death": "C48275", "life_threatening": "C84266", "hospitalization": "C83052"}
    assert {code for code, ticked in present.items() if ticked} == {expected[c] for c in criteria}


def test_fhir_other_term_without_infusion_and_with_resolution(client, case):
    onset = now_utc() - timedelta(days=5)
    created = record(
        client,
        case.world.nurse,
        patient_id=str(case.patient_id),
        term=OTHER_TERM,
        term_other="Jaw stiffness",
        onset_at=iso(onset),
        outcome="recovered",
        resolved_at=iso(onset + timedelta(hours=6)),
        causality="unassessable",
    )
    assert created["infusion_id"] is None
    resource = fhir_of(client, case.world.nurse, created["id"])
    FhirAdverseEvent.model_validate(resource)
    assert resource["event"]["text"] == "Jaw stiffness"
    assert "contained" not in resource
    assert resource["suspectEntity"][0]["instance"] == {"display": "Ketamine"}
    assert resource["suspectEntity"][0]["causality"][0]["assessment"]["coding"][0]["code"] == (
        "unassessable-unclassifiable"
    )
    assert resource["outcome"]["coding"][0]["code"] == "resolved"
    resolve = [e for e in resource["extension"] if e["url"].endswith("/resolve-date")]
    assert datetime.fromisoformat(resolve[0]["valueDateTime"]) == onset + timedelta(hours=6)


def test_fhir_narrative_is_escaped_xhtml(client, case):
    created = record(client, case.world.nurse, patient_id=str(case.patient_id), narrative="BP <180 & rising>")
    resource = fhir_of(client, case.world.nurse, created["id"])
    FhirAdverseEvent.model_validate(resource)
    assert "BP &lt;180 &amp; rising&gt;" in resource["text"]["div"]
    assert resource["text"]["div"].startswith('<div xmlns="http://www.w3.org/1999/xhtml">')


# --- CSV line listing ---------------------------------------------------------------------------------------------


def rows_of(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_csv_line_listing_has_one_row_per_event_with_the_listed_columns(client, case):
    db.session.rollback()
    from service.models import Patient

    patient = db.session.get(Patient, case.patient_id)
    patient.sex, patient.mrn = "female", "MRN-0042"
    db.session.commit()
    mild = record(client, case.world.nurse, flag_id=str(case.flag_id))
    onset = datetime.fromisoformat(mild["onset_at"])
    grave = client.post(
        EVENTS,
        json=serious_body(["hospitalization"], patient_id=str(case.patient_id), causality="certain"),
        headers=case.world.physician.headers,
    ).get_json()
    today = clinic_day()
    response = client.get(
        f"{EXPORT}?from={(today - timedelta(days=1)).isoformat()}&to={today.isoformat()}",
        headers=case.world.admin.headers,
    )
    assert response.status_code == 200
    assert response.mimetype == "text/csv" and response.headers["Cache-Control"] == "no-store"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and ".csv" in disposition
    assert f"adverse-events_{(today - timedelta(days=1)).isoformat()}_{today.isoformat()}.csv" in disposition
    rows = rows_of(response)
    assert list(rows[0]) == list(line_listing.COLUMNS)
    assert [r["event_id"] for r in rows] == [mild["id"], grave["id"]]  # oldest onset first
    first = rows[0]
    assert first["patient_id"] == str(case.patient_id) and first["patient_ref"] == "MRN-0042"
    assert first["age"] == str(age_on(date(1985, 3, 14), onset.astimezone(UTC).date()))  # age at onset
    assert first["sex"] == "female"
    assert first["term"] == "Nausea" and first["grade"] == "2" and first["serious"] == "N"
    assert first["outcome"] == "recovering" and first["causality"] == "probable" and first["action_taken"] == "none"
    assert first["route"] == "iv" and first["dose_mg"] == "35" and first["dose_mg_per_kg"] == "0.5"
    expected_days = (onset - case.infusion_ended_at).total_seconds() / 86400
    assert float(first["days_since_infusion"]) == pytest.approx(expected_days, abs=0.05)
    assert first["flag_id"] == str(case.flag_id) and first["report_id"] == str(case.report_id)
    assert rows[1]["serious"] == "Y" and rows[1]["seriousness_criteria"] == "hospitalization"
    assert rows[1]["regulatory_due_at"] and rows[1]["causality"] == "certain"
    body_text = response.get_data(as_text=True)
    assert "Pat North" not in body_text and mild["narrative"] not in body_text


def test_csv_takes_whole_days_of_the_clinic_and_only_its_own_events(client, case):
    record(client, case.world.nurse, patient_id=str(case.patient_id), onset_at=iso(now_utc() - timedelta(days=10)))
    recent = record(client, case.world.nurse, patient_id=str(case.patient_id))
    today = clinic_day()
    response = client.get(
        f"{EXPORT}?from={(today - timedelta(days=2)).isoformat()}&to={today.isoformat()}",
        headers=case.world.admin.headers,
    )
    assert [r["event_id"] for r in rows_of(response)] == [recent["id"]]
    other = client.get(f"{EXPORT}?from=2000-01-01&to={today.isoformat()}", headers=case.world.other_admin.headers)
    assert other.status_code == 200 and rows_of(other) == []
    header = next(csv.reader(io.StringIO(other.get_data(as_text=True))))
    assert header == list(line_listing.COLUMNS)


def test_csv_defuses_text_a_spreadsheet_would_run(client, case):
    created = record(
        client,
        case.world.nurse,
        patient_id=str(case.patient_id),
        term=OTHER_TERM,
        term_other='=HYPERLINK("http://evil.test")',
    )
    today = clinic_day()  # the onset is 2 h ago: at the clinic's 01:00 that is yesterday
    query = f"?from={(today - timedelta(days=1)).isoformat()}&to={today.isoformat()}"
    rows = rows_of(client.get(f"{EXPORT}{query}", headers=case.world.admin.headers))
    assert rows[0]["event_id"] == created["id"]
    assert rows[0]["term_other"].startswith("'=")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("", "from"),
        ("?from=2026-01-01", "to"),
        ("?from=nope&to=2026-01-02", "from"),
        ("?from=2026-02-01&to=2026-01-01", "to"),
    ],
)
def test_csv_needs_a_valid_range(client, world, query, field):
    assert_422(client.get(f"{EXPORT}{query}", headers=world.admin.headers), field, location="query")


def _insert_events(clinic_id: uuid.UUID, patient_id: uuid.UUID, count: int, *, start: datetime) -> None:
    """Many events straight into the table (the API path is tested above; here only volume matters)."""
    rows = []
    for n in range(count):
        onset = start + timedelta(minutes=n)
        rows.append(
            {
                "id": uuid.uuid4(),
                "clinic_id": clinic_id,
                "patient_id": patient_id,
                "term": "Nausea",
                "grade": 1 + n % 3,
                "serious": False,
                "seriousness_death": False,
                "seriousness_life_threatening": False,
                "seriousness_hospitalization": False,
                "seriousness_disability": False,
                "seriousness_congenital_anomaly": False,
                "seriousness_medically_important": False,
                "causality": "possible",
                "action_taken": "none",
                "outcome": "recovered",
                "onset_at": onset,
                "resolved_at": onset + timedelta(hours=4),
                "aware_at": onset + timedelta(hours=1),
                "narrative": "Volume test event with a narrative of ordinary length. " * 4,
                "infusion_route": "iv",
                "infusion_dose_mg": 40.0,
                "infusion_dose_mg_per_kg": 0.5,
                "infusion_started_at": onset - timedelta(hours=3),
                "infusion_ended_at": onset - timedelta(hours=2),
                "created_at": onset,
                "updated_at": onset,
                "version": 1,
            }
        )
    for chunk in range(0, count, 1000):
        db.session.execute(insert(AdverseEvent), rows[chunk : chunk + 1000])
    db.session.commit()


def _stream_peak(client, caller, *, since: date, until: date) -> tuple[int, int, int]:
    """Read the export as a stream: (traced peak bytes while streaming, body bytes, chunks)."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        response = client.get(
            f"{EXPORT}?from={since.isoformat()}&to={until.isoformat()}", headers=caller.headers, buffered=False
        )
        assert response.status_code == 200
        size = chunks = 0
        for chunk in response.response:
            size += len(chunk)
            chunks += 1
        response.close()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, size, chunks


def test_csv_is_streamed_so_memory_does_not_grow_with_the_number_of_events(client, world, monkeypatch):
    """5,000 events take no more memory to export than 500: rows go out as they are read, a batch at a time.

    (Both counts exceed one batch and one chunk, so the fixed costs are the same; what may not grow is the rest.)
    """
    monkeypatch.setattr(line_listing, "BATCH", 100)
    patient_id = world.patient.principal.patient_id
    utc = now_utc().tzinfo
    _insert_events(world.clinic.id, patient_id, 500, start=datetime(2026, 3, 1, 12, tzinfo=utc))
    _insert_events(world.clinic.id, patient_id, 5000, start=datetime(2026, 6, 1, 12, tzinfo=utc))
    march, june = (date(2026, 3, 1), date(2026, 3, 31)), (date(2026, 6, 1), date(2026, 6, 30))

    _stream_peak(client, world.admin, since=june[0], until=june[1])  # warm caches (compiled SQL, imports)
    small_peak, small_size, _ = _stream_peak(client, world.admin, since=march[0], until=march[1])
    large_peak, large_size, large_chunks = _stream_peak(client, world.admin, since=june[0], until=june[1])
    print(f"500 events: {small_size} B out, peak {small_peak} B; 5000 events: {large_size} B out, peak {large_peak} B")

    assert large_size > 9 * small_size  # ten times the rows really went out
    assert large_chunks > 20  # in many pieces, not one body
    assert large_peak < 1.2 * small_peak + 64 * 1024, (small_peak, large_peak)
    # Holding the listing (or its rows) would grow the peak by at least the extra bytes sent; streaming does not.
    assert large_peak - small_peak < 0.05 * (large_size - small_size), (small_peak, large_peak)
