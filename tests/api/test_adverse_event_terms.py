"""Terms a regulator knows: CTCAE v5.0 terms with their MedDRA codes and organ classes, "<SOC> - Other, specify"
with specific words for ketamine effects without a term, the MedDRA coding in FHIR, and expectedness."""

from __future__ import annotations

import re

import pytest
from fhir.resources.R4B.adverseevent import AdverseEvent as FhirAdverseEvent

from service.domain.fhir import EXPECTEDNESS_EXTENSION, MEDDRA
from service.vocabulary import BY_TERM, CTCAE_TERMS, RETIRED_TERMS, SOCS, SYMPTOMS, is_other
from tests.api.ae_support import EVENTS, assert_422, body, record
from tests.api.test_adverse_event_exports import extension, fhir_of

PSYCH_OTHER = "Psychiatric disorders - Other, specify"


def test_no_term_of_the_list_is_one_ctcae_v5_does_not_have():
    for retired in RETIRED_TERMS:
        assert retired not in CTCAE_TERMS
        new, _ = RETIRED_TERMS[retired]
        assert new in CTCAE_TERMS and is_other(new)
    codes = [t.meddra_code for t in BY_TERM.values()]
    assert all(re.fullmatch(r"100\d{5}", code) for code in codes), codes
    assert len(set(codes)) == len(codes)  # one code per term
    for term in BY_TERM.values():
        assert term.soc in SOCS
        if is_other(term.term):  # CTCAE codes "<SOC> - Other, specify" with the SOC itself
            assert term.term == f"{term.soc} - Other, specify" and term.meddra_code == term.soc_code


@pytest.mark.parametrize(
    ("term", "code", "soc"),
    [
        ("Hypertension", "10020772", "Vascular disorders"),
        ("Hallucinations", "10019077", "Psychiatric disorders"),
        ("Suicidal ideation", "10042458", "Psychiatric disorders"),
        ("Cystitis noninfective", "10063057", "Renal and urinary disorders"),
        ("Somnolence", "10041349", "Nervous system disorders"),
        (PSYCH_OTHER, "10037175", "Psychiatric disorders"),
    ],
)
def test_terms_carry_the_meddra_code_and_soc_ctcae_v5_lists(client, world, term, code, soc):
    terms = {t["term"]: t for t in client.get(f"{EVENTS}/terms", headers=world.nurse.headers).get_json()}
    assert (terms[term]["meddra_code"], terms[term]["soc"]) == (code, soc)
    assert terms[term]["soc_code"] == SOCS[soc]
    assert terms[term]["needs_description"] is is_other(term)


def test_ketamine_effects_without_a_term_map_to_the_soc_other_with_words():
    by_code = {s.code: s for s in SYMPTOMS}
    for code, words in (
        ("dissociation", "Dissociation (depersonalization/derealization)"),
        ("vivid_dreams", "Abnormal dreams"),
        ("craving", "Drug craving"),
    ):
        assert (by_code[code].ctcae_term, by_code[code].ctcae_specify) == (PSYCH_OTHER, words)
    for symptom in SYMPTOMS:
        assert symptom.ctcae_term in BY_TERM, symptom
        assert (symptom.ctcae_specify is not None) == (is_other(symptom.ctcae_term) and not symptom.needs_description)


def test_a_soc_other_term_needs_words_and_a_plain_term_refuses_them(client, case):
    nurse = case.world.nurse
    pid = str(case.patient_id)
    base = {"patient_id": pid, "grade": 2}
    assert_422(client.post(EVENTS, json=body(**base, term=PSYCH_OTHER), headers=nurse.headers), "term_other")
    assert_422(
        client.post(EVENTS, json=body(**base, term="Nausea", term_other="queasy"), headers=nurse.headers), "term_other"
    )
    refused = client.post(EVENTS, json=body(**base, term="Depersonalization/derealization"), headers=nurse.headers)
    assert "CTCAE v5.0" in assert_422(refused, "term")["errors"]["json"]["term"][0]


def test_fhir_codes_the_event_with_meddra_and_keeps_the_words(client, case):
    created = record(
        client,
        case.world.nurse,
        patient_id=str(case.patient_id),
        term=PSYCH_OTHER,
        term_other="Dissociation (depersonalization/derealization)",
        expected=True,
    )
    assert (created["meddra_code"], created["soc"], created["expected"]) == (
        "10037175",
        "Psychiatric disorders",
        True,
    )
    resource = fhir_of(client, case.world.physician, created["id"])
    FhirAdverseEvent.model_validate(resource)
    (coding,) = resource["event"]["coding"]
    assert coding == {"system": MEDDRA, "code": "10037175", "display": PSYCH_OTHER}
    assert MEDDRA == "http://terminology.hl7.org/CodeSystem/mdr"
    assert resource["event"]["text"] == "Dissociation (depersonalization/derealization)"
    assert extension(resource, EXPECTEDNESS_EXTENSION) == [{"url": EXPECTEDNESS_EXTENSION, "valueBoolean": True}]


def test_expectedness_is_recorded_corrected_with_history_and_unknown_by_default(client, case):
    nurse = case.world.nurse
    created = record(client, nurse, patient_id=str(case.patient_id), term="Hypertension")
    assert created["expected"] is None
    resource = fhir_of(client, nurse, created["id"])
    assert extension(resource, EXPECTEDNESS_EXTENSION) == []
    assert resource["event"]["coding"][0]["code"] == "10020772"

    patched = client.patch(f"{EVENTS}/{created['id']}", json={"expected": False}, headers=nurse.headers)
    assert patched.status_code == 200 and patched.get_json()["expected"] is False
    history = client.get(f"{EVENTS}/{created['id']}/history", headers=nurse.headers).get_json()
    assert history[-1]["changes"]["expected"] == {"old": None, "new": False}
    assert_422(client.patch(f"{EVENTS}/{created['id']}", json={"expected": "maybe"}, headers=nurse.headers), "expected")
