"""An adverse event as a FHIR R4 ``AdverseEvent`` resource (JSON), for the clinic's systems and regulators.

FHIR R4's ``severity`` only knows mild | moderate | severe, so the CTCAE grade travels in the grade
extension of the HL7 Adverse Event Clinical Research IG (R4 backport, STU1), coded with the NCI Thesaurus
grade concepts; the ICH E2A criteria travel in that guide's seriousness-criteria extension. The ketamine
administration is a contained ``MedicationAdministration`` (route and dose as recorded with the event),
referenced from ``suspectEntity`` with its WHO-UMC causality assessment.

The resource carries references and codes, not names: the patient is ``Patient/<id>``.
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from service.domain.adverse_events import coding_of, criteria_of
from service.enums import ActionTaken, Causality, Outcome, Route, SeriousnessCriterion
from service.models import AdverseEvent
from service.vocabulary import BY_TERM

IG = "http://hl7.org/fhir/uv/ae-research-backport-ig/StructureDefinition"
GRADE_EXTENSION = f"{IG}/ae-grade"
SERIOUSNESS_CRITERIA_EXTENSION = f"{IG}/seriousness-criteria"
RESOLVE_DATE_EXTENSION = f"{IG}/resolve-date"
NOTE_EXTENSION = f"{IG}/note"

MEDDRA = "http://terminology.hl7.org/CodeSystem/mdr"
# Expectedness against the product label (FHIR R4 has no element for it; the IG's expected-in-research-study is
# about a study protocol, not a label), so it travels in an extension of Aftercare's own.
EXPECTEDNESS_EXTENSION = "urn:aftercare:fhir:StructureDefinition:listed-on-product-label"
NCIT = "http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl"
SNOMED = "http://snomed.info/sct"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
UCUM = "http://unitsofmeasure.org"
SERIOUSNESS_SYSTEM = "http://terminology.hl7.org/CodeSystem/adverse-event-seriousness"
SEVERITY_SYSTEM = "http://terminology.hl7.org/CodeSystem/adverse-event-severity"
OUTCOME_SYSTEM = "http://terminology.hl7.org/CodeSystem/adverse-event-outcome"
CAUSALITY_SYSTEM = "http://terminology.hl7.org/CodeSystem/adverse-event-causality-assess"

GRADES = {
    1: ("C41338", "Grade 1 Mild Adverse Event"),
    2: ("C41339", "Grade 2 Moderate Adverse Event"),
    3: ("C41340", "Grade 3 Severe Adverse Event"),
    4: ("C41337", "Grade 4 Life Threatening or Disabling Adverse Event"),
    5: ("C48275", "Grade 5 Death Related to Adverse Event"),
}
CRITERIA = {
    SeriousnessCriterion.DEATH: ("C48275", "Results in Death"),
    SeriousnessCriterion.LIFE_THREATENING: ("C84266", "Is Life Threatening"),
    SeriousnessCriterion.HOSPITALIZATION: ("C83052", "Requires Inpatient Hospitalization"),
    SeriousnessCriterion.DISABILITY: ("C11338", "Results in Persistent or Significant Disability"),
    SeriousnessCriterion.CONGENITAL_ANOMALY: ("C83117", "Congenital Anomaly or Birth Defect"),
    SeriousnessCriterion.MEDICALLY_IMPORTANT: ("C82521", "Other Medically Important Condition"),
}
OUTCOMES = {
    Outcome.RECOVERED: ("resolved", "Resolved"),
    Outcome.RECOVERING: ("recovering", "Recovering"),
    Outcome.NOT_RECOVERED: ("ongoing", "Ongoing"),
    Outcome.RECOVERED_WITH_SEQUELAE: ("resolvedWithSequelae", "Resolved with Sequelae"),
    Outcome.FATAL: ("fatal", "Fatal"),
    Outcome.UNKNOWN: ("unknown", "Unknown"),
}
CAUSALITY = {
    Causality.CERTAIN: ("certain", "Certain"),
    Causality.PROBABLE: ("probably-likely", "Probably/Likely"),
    Causality.POSSIBLE: ("possible", "Possible"),
    Causality.UNLIKELY: ("unlikely", "Unlikely"),
    Causality.CONDITIONAL: ("conditional-classified", "Conditional/Classified"),
    Causality.UNASSESSABLE: ("unassessable-unclassifiable", "Unassessable/Unclassifiable"),
}
ROUTES = {
    Route.IV: ("47625008", "Intravenous route"),
    Route.INTRANASAL: ("46713006", "Nasal route"),
    Route.INTRAMUSCULAR: ("78421000", "Intramuscular route"),
}
ACTIONS = {
    ActionTaken.NONE: "no action taken with ketamine",
    ActionTaken.DOSE_REDUCED: "ketamine dose reduced",
    ActionTaken.INFUSION_INTERRUPTED: "infusion interrupted",
    ActionTaken.TREATMENT_DISCONTINUED: "ketamine treatment discontinued",
    ActionTaken.UNKNOWN: "action taken with ketamine unknown",
}
KETAMINE = {"coding": [{"system": RXNORM, "code": "6130", "display": "ketamine"}], "text": "Ketamine"}
INFUSION_REF = "#infusion"


def _concept(system: str, code: str, display: str, text: str | None = None) -> dict:
    concept = {"coding": [{"system": system, "code": code, "display": display}]}
    if text:
        concept["text"] = text
    return concept


def _instant(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def severity_of(grade: int) -> tuple[str, str]:
    """FHIR R4's coarse severity for a CTCAE grade (the grade itself goes in the extension)."""
    if grade == 1:
        return "mild", "Mild"
    if grade == 2:
        return "moderate", "Moderate"
    return "severe", "Severe"


def event_text(event: AdverseEvent) -> str:
    """The event's name: its CTCAE term, or the specific words of a '<SOC> - Other, specify' term."""
    return event.term_other or event.term


def event_concept(event: AdverseEvent) -> dict:
    """The event coded with the MedDRA code CTCAE v5.0 lists for its term, and the specific text."""
    coding = coding_of(event)
    return {
        "coding": [{"system": MEDDRA, "code": coding["meddra_code"], "display": BY_TERM[event.term].term}],
        "text": event_text(event),
    }


def _infusion(event: AdverseEvent) -> dict | None:
    if event.infusion_id is None:
        return None
    administration = {
        "resourceType": "MedicationAdministration",
        "id": "infusion",
        "identifier": [{"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{event.infusion_id}"}],
        "status": "completed",
        "medicationCodeableConcept": KETAMINE,
        "subject": {"reference": f"Patient/{event.patient_id}"},
    }
    if event.infusion_ended_at is not None:
        administration["effectivePeriod"] = {
            "start": _instant(event.infusion_started_at),
            "end": _instant(event.infusion_ended_at),
        }
    else:
        administration["effectiveDateTime"] = _instant(event.infusion_started_at)
    dosage: dict = {}
    if event.infusion_route is not None:
        code, display = ROUTES[event.infusion_route]
        dosage["route"] = _concept(SNOMED, code, display)
    if event.infusion_dose_mg is not None:
        dosage["dose"] = {"value": event.infusion_dose_mg, "unit": "mg", "system": UCUM, "code": "mg"}
    if event.infusion_dose_mg_per_kg is not None:
        dosage["text"] = f"{event.infusion_dose_mg_per_kg:g} mg/kg"
    if dosage:
        administration["dosage"] = dosage
    return administration


def _narrative(event: AdverseEvent) -> dict:
    criteria = ", ".join(c.value.replace("_", " ") for c in criteria_of(event)) or "not serious"
    lines = [
        f"{event_text(event)}, CTCAE grade {event.grade} ({criteria}).",
        f"Causality (WHO-UMC): {event.causality}. Action: {ACTIONS[event.action_taken]}. Outcome: {event.outcome}.",
        event.narrative,
    ]
    body = "".join(f"<p>{escape(line)}</p>" for line in lines)
    return {"status": "generated", "div": f'<div xmlns="http://www.w3.org/1999/xhtml">{body}</div>'}


def adverse_event_resource(event: AdverseEvent) -> dict:
    """The event as a FHIR R4 AdverseEvent (a JSON-ready dict)."""
    grade_code, grade_display = GRADES[event.grade]
    ticked = set(criteria_of(event))
    extensions = [
        {"url": GRADE_EXTENSION, "valueCodeableConcept": _concept(NCIT, grade_code, grade_display)},
    ]
    if event.serious:
        for criterion, (code, display) in CRITERIA.items():
            extensions.append(
                {
                    "url": SERIOUSNESS_CRITERIA_EXTENSION,
                    "extension": [
                        {"url": "criterionCode", "valueCodeableConcept": _concept(NCIT, code, display)},
                        {"url": "criterionPresent", "valueBoolean": criterion in ticked},
                    ],
                }
            )
    if event.resolved_at is not None:
        extensions.append({"url": RESOLVE_DATE_EXTENSION, "valueDateTime": _instant(event.resolved_at)})
    if event.expected is not None:
        extensions.append({"url": EXPECTEDNESS_EXTENSION, "valueBoolean": event.expected})
    extensions.append({"url": NOTE_EXTENSION, "valueAnnotation": {"text": event.narrative}})

    seriousness = ("serious", "Serious") if event.serious else ("non-serious", "Non-serious")
    severity = severity_of(event.grade)
    outcome = OUTCOMES[event.outcome]
    causality_code, causality_display = CAUSALITY[event.causality]
    infusion = _infusion(event)
    causality = {
        "assessment": _concept(CAUSALITY_SYSTEM, causality_code, causality_display, f"WHO-UMC: {event.causality}")
    }
    if event.recorded_by_id is not None:
        causality["author"] = {"reference": f"Practitioner/{event.recorded_by_id}"}

    resource = {
        "resourceType": "AdverseEvent",
        "id": str(event.id),
        "text": _narrative(event),
        "extension": extensions,
        "identifier": {"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{event.id}"},
        "actuality": "actual",
        "category": [{"text": "Adverse event after ketamine administration"}],
        "event": event_concept(event),
        "subject": {"reference": f"Patient/{event.patient_id}"},
        "date": _instant(event.onset_at),
        "detected": _instant(event.aware_at),
        "recordedDate": _instant(event.created_at),
        "seriousness": _concept(SERIOUSNESS_SYSTEM, *seriousness),
        "severity": _concept(SEVERITY_SYSTEM, *severity, text=f"CTCAE grade {event.grade}"),
        "outcome": _concept(OUTCOME_SYSTEM, *outcome),
        "suspectEntity": [
            {
                "instance": {"reference": INFUSION_REF} if infusion else {"display": "Ketamine"},
                "causality": [causality],
            }
        ],
    }
    if event.recorded_by_id is not None:
        resource["recorder"] = {"reference": f"Practitioner/{event.recorded_by_id}"}
    if infusion is not None:
        resource["contained"] = [infusion]
    return resource
