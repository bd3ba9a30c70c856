"""The FDA Form 3500 (MedWatch) layout of an adverse event: every section, the facts in their boxes, what is
missing called out, the same in the console page; access by role and clinic."""

from __future__ import annotations

from datetime import timedelta

from tests import factories
from tests.api.ae_support import EVENTS, serious_body

SECTIONS = ["A", "B", "C", "D", "E", "F", "G"]


def boxes(answer: dict) -> dict[tuple[str, str], dict]:
    return {(f["item"], f["label"]): f for s in answer["sections"] for f in s["fields"]}


def test_the_3500_layout_carries_every_section_the_events_facts_and_what_is_missing(client, case):
    factories.give_e2b_sender(case.world.clinic)
    values = serious_body(
        ["hospitalization"],
        flag_id=str(case.flag_id),
        infusion_id=str(case.infusion_id),
        action_taken="treatment_discontinued",
        onset_at=(case.infusion_ended_at + timedelta(minutes=20)).isoformat(),
        narrative="BP 210/120 after the infusion; admitted overnight.",
    )
    created = client.post(EVENTS, json=values, headers=case.world.physician.headers)
    assert created.status_code == 201, created.get_json()
    event = created.get_json()
    response = client.get(f"{EVENTS}/{event['id']}/medwatch", headers=case.world.nurse.headers)
    assert response.status_code == 200, response.get_json()
    answer = response.get_json()
    assert answer["event_id"] == event["id"] and answer["form"] == "FDA Form 3500"
    assert [s["section"] for s in answer["sections"]] == SECTIONS
    box = boxes(answer)
    assert box[("A1", "Patient identifier (initials)")]["value"] == "PN"
    assert box[("A4", "Weight")]["value"].startswith("70 kg")  # 35 mg at 0.5 mg/kg
    assert box[("B2", "Outcome attributed to adverse event")]["value"] == "Hospitalization (initial or prolonged)"
    assert event["meddra_code"] in box[("B5", "Describe event or problem")]["value"]
    assert "admitted overnight" in box[("B5", "Describe event or problem")]["value"]
    assert box[("D1", "Name, strength, manufacturer/compounder")]["value"] == "Ketamine"
    assert box[("D2", "Dose or amount")]["value"] == "35 mg (0.5 mg/kg)"
    assert box[("D2", "Route")]["value"] == "IV"
    assert box[("D8", "Event abated after use stopped or dose reduced?")]["value"] == "Yes"
    assert box[("G1", "Email")]["value"] == case.world.physician.principal.email
    assert box[("G3", "Occupation")]["value"] == "Physician"
    assert "Portland" in box[("G1", "Address")]["value"]
    # Every empty box says why, and the summary lists exactly those.
    empty = [f for f in box.values() if f["value"] is None]
    assert empty and all(f["missing"] for f in empty)
    assert len(answer["missing"]) == len(empty)
    assert any(line.startswith("D6 Lot #") for line in answer["missing"])


def test_without_a_clinic_address_the_boxes_say_so(client, case):
    created = client.post(
        EVENTS,
        json=serious_body(["medically_important"], patient_id=str(case.patient_id)),
        headers=case.world.nurse.headers,
    )
    assert created.status_code == 201, created.get_json()
    answer = client.get(f"{EVENTS}/{created.get_json()['id']}/medwatch", headers=case.world.admin.headers).get_json()
    box = boxes(answer)
    assert box[("D4", "Diagnosis or reason for use")]["missing"] == "not recorded in Aftercare"
    assert box[("G1", "Address")]["value"] is None and "e2b_sender" in box[("G1", "Address")]["missing"]


def test_other_clinic_and_patients_cannot_read_the_layout(client, case):
    created = client.post(
        EVENTS, json=serious_body(["hospitalization"], flag_id=str(case.flag_id)), headers=case.world.nurse.headers
    )
    url = f"{EVENTS}/{created.get_json()['id']}/medwatch"
    assert client.get(url, headers=case.world.other_admin.headers).status_code == 404
    assert client.get(url, headers=case.world.patient.headers).status_code == 403
    assert client.get(url, headers=case.world.physician.headers).status_code == 200
