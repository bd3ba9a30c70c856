"""An adverse event laid out by the sections of FDA Form 3500 (MedWatch, voluntary reporting by health
professionals), ready to copy into the form, with each item Aftercare does not hold called out as missing.

Sections: A patient, B adverse event, C product availability, D suspect product (ketamine), E suspect medical
device (does not apply), F other (concomitant) products, G reporter. Dates are the clinic's calendar dates.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from service.domain.adverse_events import coding_of, criteria_of
from service.domain.common import age_on
from service.enums import ROUTE_LABELS, ActionTaken, Outcome, SeriousnessCriterion, Sex
from service.models import AdverseEvent, Clinic, Clinician, Patient

FORM = "FDA Form 3500"
OUTCOMES_3500 = {
    SeriousnessCriterion.DEATH: "Death",
    SeriousnessCriterion.LIFE_THREATENING: "Life-threatening",
    SeriousnessCriterion.HOSPITALIZATION: "Hospitalization (initial or prolonged)",
    SeriousnessCriterion.DISABILITY: "Disability or permanent damage",
    SeriousnessCriterion.CONGENITAL_ANOMALY: "Congenital anomaly/birth defects",
    SeriousnessCriterion.MEDICALLY_IMPORTANT: "Other serious (important medical events)",
}
ROLE_OCCUPATIONS = {"physician": "Physician", "nurse": "Nurse", "admin": "Clinic administrator"}


def _field(item: str, label: str, value, *, missing: str | None = None) -> dict:
    """One box of the form: its value as text, or why it is empty (missing)."""
    text = None if value in (None, "") else str(value)
    return {"item": item, "label": label, "value": text, "missing": missing if text is None else None}


def _day(moment: datetime | None, zone: ZoneInfo) -> str | None:
    return moment.astimezone(zone).date().isoformat() if moment else None


def field_map(session: Session, *, event: AdverseEvent, now: datetime) -> dict:
    """The 3500 layout of one event: sections of items, and the list of items still to fill in by hand."""
    clinic = session.get(Clinic, event.clinic_id)
    patient = session.get(Patient, event.patient_id)
    reporter = session.get(Clinician, event.recorded_by_id) if event.recorded_by_id else None
    zone = ZoneInfo(clinic.time_zone)
    criteria = criteria_of(event)
    coding = coding_of(event)
    not_recorded = "not recorded in Aftercare"
    weight = None
    if event.infusion_dose_mg and event.infusion_dose_mg_per_kg:
        weight = f"{event.infusion_dose_mg / event.infusion_dose_mg_per_kg:.0f} kg (from the dose and dose per kg)"
    onset_day = event.onset_at.astimezone(zone).date()
    initials = "".join(part[0].upper() for part in patient.display_name.split() if part[:1].isalpha())
    sender = (clinic.settings or {}).get("e2b_sender") or {}
    address = ", ".join(
        str(sender[key]) for key in ("street", "city", "state", "postcode", "country") if sender.get(key)
    )
    stopped = (ActionTaken.TREATMENT_DISCONTINUED, ActionTaken.INFUSION_INTERRUPTED, ActionTaken.DOSE_REDUCED)
    if event.action_taken in stopped and event.outcome in (
        Outcome.RECOVERED,
        Outcome.RECOVERING,
        Outcome.RECOVERED_WITH_SEQUELAE,
    ):
        abated = "Yes"
    elif event.action_taken in stopped:
        abated = "No"
    else:
        abated = "Doesn't apply (ketamine not stopped or reduced)"
    dose = " ".join(
        part
        for part in (
            f"{event.infusion_dose_mg:g} mg" if event.infusion_dose_mg else "",
            f"({event.infusion_dose_mg_per_kg:g} mg/kg)" if event.infusion_dose_mg_per_kg else "",
        )
        if part
    )
    death_day = _day(event.resolved_at or event.onset_at, zone) if SeriousnessCriterion.DEATH in criteria else None
    sections = [
        {
            "section": "A",
            "title": "Patient information",
            "fields": [
                _field("A1", "Patient identifier (initials)", initials, missing="the patient's name has no initials"),
                _field("A2", "Age at time of event", age_on(patient.date_of_birth, onset_day)),
                _field("A2", "Date of birth", patient.date_of_birth.isoformat()),
                _field(
                    "A3",
                    "Sex",
                    patient.sex.value.title() if patient.sex in (Sex.MALE, Sex.FEMALE) else None,
                    missing="sex not recorded",
                ),
                _field("A4", "Weight", weight, missing="weight not recorded with the infusion"),
                _field("A5", "Ethnicity / race", None, missing=not_recorded),
            ],
        },
        {
            "section": "B",
            "title": "Adverse event, product problem",
            "fields": [
                _field("B1", "Check all that apply", "Adverse event"),
                _field(
                    "B2",
                    "Outcome attributed to adverse event",
                    "; ".join(OUTCOMES_3500[c] for c in criteria) or "None of these (not serious)",
                ),
                _field("B2", "Date of death", death_day or "Does not apply"),
                _field("B3", "Date of event", onset_day.isoformat()),
                _field("B4", "Date of this report", now.astimezone(zone).date().isoformat()),
                _field(
                    "B5",
                    "Describe event or problem",
                    f"{event.term_other or event.term} (CTCAE v5.0 {event.term}, grade {event.grade}; "
                    f"MedDRA {coding['meddra_code']}). {event.narrative}",
                ),
                _field("B6", "Relevant tests / laboratory data", None, missing=not_recorded),
                _field("B7", "Other relevant history, pre-existing medical conditions", None, missing=not_recorded),
            ],
        },
        {
            "section": "C",
            "title": "Product availability",
            "fields": [_field("C1", "Product available for evaluation?", None, missing=not_recorded)],
        },
        {
            "section": "D",
            "title": "Suspect products",
            "fields": [
                _field("D1", "Name, strength, manufacturer/compounder", "Ketamine"),
                _field("D1", "Strength", None, missing=not_recorded),
                _field("D1", "Manufacturer / compounder", None, missing=not_recorded),
                _field("D2", "Dose or amount", dose, missing="no infusion linked to the event"),
                _field(
                    "D2",
                    "Route",
                    ROUTE_LABELS.get(event.infusion_route) if event.infusion_route else None,
                    missing="no infusion linked to the event",
                ),
                _field(
                    "D3",
                    "Dates of use (start, stop)",
                    " to ".join(
                        d for d in (_day(event.infusion_started_at, zone), _day(event.infusion_ended_at, zone)) if d
                    ),
                    missing="no infusion linked to the event",
                ),
                _field("D4", "Diagnosis or reason for use", None, missing=not_recorded),
                _field("D6", "Lot #", None, missing=not_recorded),
                _field("D7", "Expiration date", None, missing=not_recorded),
                _field("D8", "Event abated after use stopped or dose reduced?", abated),
                _field("D9", "Event reappeared after reintroduction?", None, missing=not_recorded),
            ],
        },
        {
            "section": "E",
            "title": "Suspect medical device",
            "fields": [_field("E", "Suspect medical device", "Does not apply (a drug event)")],
        },
        {
            "section": "F",
            "title": "Other (concomitant) medical products",
            "fields": [_field("F", "Product names and therapy dates", None, missing=not_recorded)],
        },
        {
            "section": "G",
            "title": "Reporter",
            "fields": [
                _field("G1", "Name", reporter.name if reporter else None, missing="no recording clinician"),
                _field("G1", "Address", address, missing="the clinic's address (settings e2b_sender) is not set"),
                _field(
                    "G1", "Phone", sender.get("phone"), missing="the clinic's phone (settings e2b_sender) is not set"
                ),
                _field("G1", "Email", reporter.email if reporter else None, missing="no recording clinician"),
                _field("G2", "Health professional?", "Yes"),
                _field(
                    "G3",
                    "Occupation",
                    ROLE_OCCUPATIONS.get(str(reporter.role)) if reporter else None,
                    missing="no recording clinician",
                ),
                _field("G4", "Also reported to", None, missing=not_recorded),
            ],
        },
    ]
    missing = [f"{f['item']} {f['label']}: {f['missing']}" for s in sections for f in s["fields"] if f["missing"]]
    return {"event_id": event.id, "form": FORM, "sections": sections, "missing": missing}
