"""An adverse event as an ICH E2B(R3) ICSR for FDA's postmarket route (FAERS): HL7 v3 XML, a batch
(``MCCI_IN200100UV01``) holding one message (``PORR_IN049016UV``) for the case.

The layout follows FDA's own example message (FAERS2022Scenario1). Where FDA's data-element spreadsheet and
its example disagree (local criteria report type FDA.C.1.7.1, combination product indicator FDA.C.1.12, race
FDA.D.11.r.1, required intervention FDA.E.i.3.2h) the message is built the way the example is.

What the message says:

- the sender is the clinic (sender type 3, health professional) with the safety contact named in its settings
  (``e2b_sender``: identifier, department, title, given_name, family_name, street, city, state, postcode,
  country, phone, fax, email); a contact field missing is a 422 naming every missing field;
- the primary source is the clinician who recorded the event (qualification from their role, their e-mail);
- the patient by initials, date of birth and sex; race and ethnicity are not recorded by the clinic (UNK);
- one reaction, MedDRA-coded (the code CTCAE v5.0 lists for the term, MedDRA 20.1), with onset, end,
  seriousness criteria (true, or NI when not met) and outcome;
- one suspect drug, ketamine, with route, dose, the infusion's times, action taken, and the reporter's
  WHO-UMC causality;
- the narrative.

A serious event that is not listed on the label (or whose expectedness is not assessed) is sent as a 15-day
expedited report; anything else as a non-expedited one.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from lxml import etree
from sqlalchemy.orm import Session

from service.domain.adverse_events import coding_of
from service.enums import ActionTaken, Outcome, Role, Route, SeriousnessCriterion, Sex
from service.errors import DomainError
from service.models import AdverseEvent, Clinic, Clinician, Patient

HL7 = "urn:hl7-org:v3"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
NSMAP = {None: HL7, "xsi": XSI}
CONTENT_TYPE = "application/xml"

POSTMARKET_BATCH_RECEIVER = "ZZFDA"
POSTMARKET_MESSAGE_RECEIVER = "CDER"
MEDDRA_VERSION = "20.1"
MEDDRA = "2.16.840.1.113883.6.163"
ICH_OBS = "2.16.840.1.113883.3.989.2.1.1.19"
NCIT = "2.16.840.1.113883.3.26.1.1"
FDA_REPORT_TYPE = "2.16.840.1.113883.3.989.5.1.2.2.1.1.1"
FDA_OBS = "2.16.840.1.113883.3.989.5.1.2.2.1.3"
COUNTRY = "1.0.3166.1.2.2"
EDQM_ROUTE = "0.4.0.127.0.16.1.1.2.6"

SENDER_FIELDS = (
    "identifier",
    "department",
    "title",
    "given_name",
    "family_name",
    "street",
    "city",
    "state",
    "postcode",
    "country",
    "phone",
    "fax",
    "email",
)
# E.i.3.2 seriousness criteria: ICH observation codes.
CRITERION_CODES = {
    SeriousnessCriterion.DEATH: ("34", "resultsInDeath"),
    SeriousnessCriterion.LIFE_THREATENING: ("21", "isLifeThreatening"),
    SeriousnessCriterion.HOSPITALIZATION: ("33", "requiresInpatientHospitalization"),
    SeriousnessCriterion.DISABILITY: ("35", "resultsInPersistentOrSignificantDisability"),
    SeriousnessCriterion.CONGENITAL_ANOMALY: ("12", "congenitalAnomalyBirthDefect"),
    SeriousnessCriterion.MEDICALLY_IMPORTANT: ("26", "otherMedicallyImportantCondition"),
}
# E.i.7 outcome (ICH 2.16.840.1.113883.3.989.2.1.1.11).
OUTCOME_CODES = {
    Outcome.RECOVERED: ("1", "recovered/resolved"),
    Outcome.RECOVERING: ("2", "recovering/resolving"),
    Outcome.NOT_RECOVERED: ("3", "not recovered/not resolved/ongoing"),
    Outcome.RECOVERED_WITH_SEQUELAE: ("4", "recovered/resolved with sequelae"),
    Outcome.FATAL: ("5", "fatal"),
    Outcome.UNKNOWN: ("0", "unknown"),
}
# G.k.8 action taken with the drug (ICH 2.16.840.1.113883.3.989.2.1.1.15).
ACTION_CODES = {
    ActionTaken.TREATMENT_DISCONTINUED: ("1", "Drug withdrawn"),
    ActionTaken.INFUSION_INTERRUPTED: ("1", "Drug withdrawn"),
    ActionTaken.DOSE_REDUCED: ("2", "Dose reduced"),
    ActionTaken.NONE: ("4", "Dose not changed"),
    ActionTaken.UNKNOWN: ("0", "Unknown"),
}
# G.k.4.r.10 route of administration: EDQM standard terms.
ROUTE_CODES = {
    Route.IV: ("20045000", "Intravenous use"),
    Route.INTRANASAL: ("20049000", "Nasal use"),
    Route.INTRAMUSCULAR: ("20035000", "Intramuscular use"),
}
SEX_CODES = {Sex.MALE: ("1", "Male"), Sex.FEMALE: ("2", "Female")}
# C.2.r.4 qualification: 1 physician, 3 other health professional.
QUALIFICATIONS = {Role.PHYSICIAN: ("1", "Physician")}
OTHER_PROFESSIONAL = ("3", "Other health professional")


class MissingForE2b(DomainError):
    """The event or the clinic lacks data an E2B(R3) report must carry; every missing item is named."""

    status = 422

    def __init__(self, missing: dict[str, str]):
        super().__init__("The E2B(R3) report cannot be made: " + "; ".join(f"{k}: {v}" for k, v in missing.items()))
        self.missing = missing

    def errors(self) -> dict:
        return {"json": {key: [reason] for key, reason in self.missing.items()}}


@dataclass(frozen=True)
class Case:
    event: AdverseEvent
    patient: Patient
    clinic: Clinic
    sender: dict
    reporter: Clinician | None


def case_of(session: Session, *, event: AdverseEvent) -> Case:
    """What the message needs, or a 422 naming everything missing."""
    clinic = session.get(Clinic, event.clinic_id)
    patient = session.get(Patient, event.patient_id)
    reporter = session.get(Clinician, event.recorded_by_id) if event.recorded_by_id else None
    sender = dict((clinic.settings or {}).get("e2b_sender") or {})
    missing = {
        f"e2b_sender.{name}": "the clinic's safety contact needs it (clinic settings)"
        for name in SENDER_FIELDS
        if not str(sender.get(name) or "").strip()
    }
    if sender.get("country") and len(str(sender["country"]).strip()) != 2:
        missing["e2b_sender.country"] = "a two-letter ISO 3166 country code"
    if reporter is None:
        missing["recorded_by_id"] = "the event has no recording clinician to name as the primary source"
    if missing:
        raise MissingForE2b(missing)
    return Case(event=event, patient=patient, clinic=clinic, sender=sender, reporter=reporter)


def _ts(moment: datetime) -> str:
    """An HL7 TS in UTC to the second (CCYYMMDDhhmmss+0000)."""
    return moment.astimezone(UTC).strftime("%Y%m%d%H%M%S+0000")


def _initials(name: str) -> str:
    return "".join(part[0].upper() for part in name.split() if part[:1].isalpha())[:10] or "UNK"


class _Builder:
    def __init__(self) -> None:
        self.xsi_type = f"{{{XSI}}}type"

    def el(self, parent, tag: str, text: str | None = None, **attrs) -> etree._Element:
        node = etree.SubElement(parent, f"{{{HL7}}}{tag}") if parent is not None else etree.Element(tag)
        for key, value in attrs.items():
            if value is None:
                continue
            node.set(self.xsi_type if key == "xsi_type" else key, str(value))
        if text is not None:
            node.text = text
        return node

    def device(self, parent, tag: str, type_code: str, root: str, extension: str) -> None:
        holder = self.el(parent, tag, typeCode=type_code)
        device = self.el(holder, "device", classCode="DEV", determinerCode="INSTANCE")
        self.el(device, "id", extension=extension, root=root)

    def observation(self, parent, obs_code: str, obs_display: str, *, code_system: str = ICH_OBS, **value):
        """An observation with its code and value; returns the value element."""
        observation = self.el(parent, "observation", classCode="OBS", moodCode="EVN")
        self.el(observation, "code", code=obs_code, codeSystem=code_system, displayName=obs_display)
        return self.el(observation, "value", **value)

    def bl(self, flag: bool | None) -> dict:
        return {"xsi_type": "BL", "value": "true" if flag else "false"} if flag is not None else {}


def build_message(case: Case, *, now: datetime) -> bytes:
    """The ICSR for one adverse event as UTF-8 XML bytes."""
    b = _Builder()
    event, patient, sender = case.event, case.patient, case.sender
    criteria = {c for c in SeriousnessCriterion if getattr(event, f"seriousness_{c.value}")}
    expedited = bool(event.serious and event.expected is not True)
    case_id = f"{sender['country'].upper()}-AFTERCARE-{event.id}"
    stamp = _ts(now)
    reaction_id = str(uuid.uuid5(event.id, "reaction"))
    drug_id = str(uuid.uuid5(event.id, "ketamine"))

    root = etree.Element(f"{{{HL7}}}MCCI_IN200100UV01", nsmap=NSMAP, ITSVersion="XML_1.0")
    b.el(root, "id", extension=f"{event.id}-v{event.version}", root="2.16.840.1.113883.3.989.2.1.3.22")
    b.el(root, "creationTime", value=stamp)
    b.el(root, "responseModeCode", code="D")
    b.el(root, "interactionId", extension="MCCI_IN200100UV01", root="2.16.840.1.113883.1.6")
    b.el(root, "name", code="1", displayName="ichicsr", codeSystem="2.16.840.1.113883.3.989.2.1.1.1")

    message = b.el(root, "PORR_IN049016UV")
    b.el(message, "id", extension=f"{event.id}-v{event.version}", root="2.16.840.1.113883.3.989.2.1.3.1")
    b.el(message, "creationTime", value=stamp)
    b.el(message, "interactionId", extension="PORR_IN049016UV", root="2.16.840.1.113883.1.6")
    b.el(message, "processingCode", code="P")
    b.el(message, "processingModeCode", code="T")
    b.el(message, "acceptAckCode", code="AL")
    b.device(message, "receiver", "RCV", "2.16.840.1.113883.3.989.2.1.3.12", POSTMARKET_MESSAGE_RECEIVER)
    b.device(message, "sender", "SND", "2.16.840.1.113883.3.989.2.1.3.11", sender["identifier"])

    act = b.el(message, "controlActProcess", classCode="CACT", moodCode="EVN")
    b.el(act, "code", code="PORR_TE049016UV", codeSystem="2.16.840.1.113883.1.18")
    b.el(act, "effectiveTime", value=stamp)
    investigation = b.el(
        b.el(act, "subject", typeCode="SUBJ"), "investigationEvent", classCode="INVSTG", moodCode="EVN"
    )
    b.el(investigation, "id", extension=case_id, root="2.16.840.1.113883.3.989.2.1.3.1")
    b.el(investigation, "id", extension=case_id, root="2.16.840.1.113883.3.989.2.1.3.2")
    b.el(investigation, "code", code="PAT_ADV_EVNT", codeSystem="2.16.840.1.113883.5.4")
    b.el(investigation, "text", narrative_of(event))
    b.el(investigation, "statusCode", code="active")
    b.el(b.el(investigation, "effectiveTime"), "low", value=_ts(event.aware_at))
    b.el(investigation, "availabilityTime", value=_ts(max(event.updated_at, event.aware_at)))

    assessment = b.el(
        b.el(investigation, "component", typeCode="COMP"), "adverseEventAssessment", classCode="INVSTG", moodCode="EVN"
    )
    role = b.el(b.el(assessment, "subject1", typeCode="SBJ"), "primaryRole", classCode="INVSBJ")
    person = b.el(role, "player1", classCode="PSN", determinerCode="INSTANCE")
    b.el(person, "name", _initials(patient.display_name))
    if patient.sex in SEX_CODES:
        code, display = SEX_CODES[patient.sex]
        b.el(person, "administrativeGenderCode", code=code, displayName=display, codeSystem="1.0.5218")
    b.el(person, "birthTime", value=patient.date_of_birth.strftime("%Y%m%d"))
    for code, display in (("C17049", "Race"), ("C16564", "Ethnic Group")):
        b.observation(
            b.el(role, "subjectOf2", typeCode="SBJ"),
            code,
            display,
            code_system=NCIT,
            xsi_type="CE",
            codeSystem=NCIT,
            nullFlavor="UNK",
        )

    reaction = b.el(b.el(role, "subjectOf2", typeCode="SBJ"), "observation", classCode="OBS", moodCode="EVN")
    b.el(reaction, "id", root=reaction_id)
    b.el(reaction, "code", code="29", codeSystem=ICH_OBS, displayName="reaction")
    period = b.el(reaction, "effectiveTime", xsi_type="IVL_TS")
    b.el(period, "low", value=_ts(event.onset_at))
    if event.resolved_at is not None:
        b.el(period, "high", value=_ts(event.resolved_at))
    b.el(
        reaction,
        "value",
        xsi_type="CE",
        code=coding_of(event)["meddra_code"],
        codeSystem=MEDDRA,
        codeSystemVersion=MEDDRA_VERSION,
    )
    place = b.el(
        b.el(b.el(reaction, "location", typeCode="LOC"), "locatedEntity", classCode="LOCE"),
        "locatedPlace",
        determinerCode="INSTANCE",
        classCode="COUNTRY",
    )
    b.el(place, "code", code=sender["country"].upper(), codeSystem=COUNTRY)
    # E.i.1.1a/b: the reaction as the reporter put it, and its language.
    as_reported = b.observation(
        b.el(reaction, "outboundRelationship2", typeCode="PERT"), "30", "reactionForTranslation", xsi_type="ED"
    )
    as_reported.text = event.term_other or event.term
    as_reported.set("language", "en")
    for criterion, (code, display) in CRITERION_CODES.items():
        value = {"xsi_type": "BL", "value": "true"} if criterion in criteria else {"xsi_type": "BL", "nullFlavor": "NI"}
        b.observation(b.el(reaction, "outboundRelationship2", typeCode="PERT"), code, display, **value)
    b.observation(
        b.el(reaction, "outboundRelationship2", typeCode="PERT"),
        "7",
        "requiredIntervention",
        code_system=FDA_OBS,
        xsi_type="BL",
        nullFlavor="NI",
    )
    code, display = OUTCOME_CODES[event.outcome]
    b.observation(
        b.el(reaction, "outboundRelationship2", typeCode="PERT"),
        "27",
        "outcome",
        xsi_type="CE",
        code=code,
        displayName=display,
        codeSystem="2.16.840.1.113883.3.989.2.1.1.11",
    )

    drugs = b.el(b.el(role, "subjectOf2", typeCode="SBJ"), "organizer", classCode="CATEGORY", moodCode="EVN")
    b.el(drugs, "code", code="4", codeSystem="2.16.840.1.113883.3.989.2.1.1.20", displayName="drugInformation")
    drug = b.el(b.el(drugs, "component", typeCode="COMP"), "substanceAdministration", classCode="SBADM", moodCode="EVN")
    b.el(drug, "id", root=drug_id)
    product = b.el(
        b.el(b.el(drug, "consumable", typeCode="CSM"), "instanceOfKind", classCode="INST"),
        "kindOfProduct",
        classCode="MMAT",
        determinerCode="KIND",
    )
    b.el(product, "name", "Ketamine")
    ingredient = b.el(product, "ingredient", classCode="ACTI")
    b.el(b.el(ingredient, "ingredientSubstance", classCode="MMAT", determinerCode="KIND"), "name", "KETAMINE")
    dosage = b.el(
        b.el(drug, "outboundRelationship2", typeCode="COMP"),
        "substanceAdministration",
        classCode="SBADM",
        moodCode="EVN",
    )
    if event.infusion_started_at is not None:
        times = b.el(dosage, "effectiveTime", xsi_type="IVL_TS")
        b.el(times, "low", value=_ts(event.infusion_started_at))
        if event.infusion_ended_at is not None:
            b.el(times, "high", value=_ts(event.infusion_ended_at))
    else:
        b.el(dosage, "effectiveTime", nullFlavor="ASKU")
    if event.infusion_route is not None:
        code, display = ROUTE_CODES[event.infusion_route]
        route = b.el(dosage, "routeCode", code=code, displayName=display, codeSystem=EDQM_ROUTE)
        b.el(route, "originalText", display)
    if event.infusion_dose_mg is not None:
        b.el(dosage, "doseQuantity", value=f"{event.infusion_dose_mg:g}", unit="mg")
    code, display = ACTION_CODES[event.action_taken]
    action = b.el(b.el(drug, "inboundRelationship", typeCode="CAUS"), "act", classCode="ACT", moodCode="EVN")
    b.el(action, "code", code=code, displayName=display, codeSystem="2.16.840.1.113883.3.989.2.1.1.15")

    role_of_drug = b.el(
        b.el(assessment, "component", typeCode="COMP"), "causalityAssessment", classCode="OBS", moodCode="EVN"
    )
    b.el(role_of_drug, "code", code="20", codeSystem=ICH_OBS, displayName="interventionCharacterization")
    b.el(
        role_of_drug,
        "value",
        xsi_type="CE",
        code="1",
        displayName="Suspect",
        codeSystem="2.16.840.1.113883.3.989.2.1.1.13",
    )
    b.el(
        b.el(b.el(role_of_drug, "subject2", typeCode="SUBJ"), "productUseReference", classCode="SBADM", moodCode="EVN"),
        "id",
        root=drug_id,
    )

    causality = b.el(
        b.el(assessment, "component", typeCode="COMP"), "causalityAssessment", classCode="OBS", moodCode="EVN"
    )
    b.el(causality, "code", code="39", codeSystem=ICH_OBS, displayName="causality")
    b.el(causality, "value", event.causality.value.capitalize(), xsi_type="ST")
    b.el(b.el(causality, "methodCode"), "originalText", "WHO-UMC")
    b.el(
        b.el(b.el(b.el(causality, "author", typeCode="AUT"), "assignedEntity", classCode="ASSIGNED"), "code"),
        "originalText",
        "Primary source reporter",
    )
    b.el(
        b.el(b.el(causality, "subject1", typeCode="SUBJ"), "adverseEffectReference", classCode="OBS", moodCode="EVN"),
        "id",
        root=reaction_id,
    )
    b.el(
        b.el(b.el(causality, "subject2", typeCode="SUBJ"), "productUseReference", classCode="SBADM", moodCode="EVN"),
        "id",
        root=drug_id,
    )

    def case_observation(obs_code: str, obs_display: str, code_system: str = ICH_OBS, **value) -> None:
        component = b.el(investigation, "component", typeCode="COMP")
        observation = b.el(component, "observationEvent", classCode="OBS", moodCode="EVN")
        b.el(observation, "code", code=obs_code, codeSystem=code_system, displayName=obs_display)
        b.el(observation, "value", **value)

    case_observation("1", "additionalDocumentsAvailable", **b.bl(False))
    case_observation("23", "localCriteriaForExpedited", **b.bl(expedited))
    case_observation(
        "C54588",
        "localCriteriaReportType",
        NCIT,
        xsi_type="CE",
        code="1" if expedited else "2",
        codeSystem=FDA_REPORT_TYPE,
        displayName="15-Day" if expedited else "Non-Expedited",
    )
    case_observation("C156384", "Combination Product Report Indicator", NCIT, **b.bl(False))

    first = b.el(
        b.el(investigation, "outboundRelationship", typeCode="SPRT"),
        "relatedInvestigation",
        classCode="INVSTG",
        moodCode="EVN",
    )
    b.el(first, "code", code="1", codeSystem="2.16.840.1.113883.3.989.2.1.1.22", displayName="initialReport")
    first_author = b.el(
        b.el(
            b.el(b.el(first, "subjectOf2", typeCode="SUBJ"), "controlActEvent", classCode="CACT", moodCode="EVN"),
            "author",
            typeCode="AUT",
        ),
        "assignedEntity",
        classCode="ASSIGNED",
    )
    b.el(first_author, "code", code="2", displayName="other", codeSystem="2.16.840.1.113883.3.989.2.1.1.3")

    _reporter(b, investigation, case)
    _sender(b, investigation, case)

    report_type = b.el(
        b.el(investigation, "subjectOf2", typeCode="SUBJ"),
        "investigationCharacteristic",
        classCode="OBS",
        moodCode="EVN",
    )
    b.el(report_type, "code", code="1", codeSystem="2.16.840.1.113883.3.989.2.1.1.23", displayName="ICH ReportType")
    b.el(
        report_type,
        "value",
        xsi_type="CE",
        code="1",
        displayName="Spontaneous report",
        codeSystem="2.16.840.1.113883.3.989.2.1.1.2",
    )
    other_ids = b.el(
        b.el(investigation, "subjectOf2", typeCode="SUBJ"),
        "investigationCharacteristic",
        classCode="OBS",
        moodCode="EVN",
    )
    b.el(other_ids, "code", code="2", codeSystem="2.16.840.1.113883.3.989.2.1.1.23", displayName="otherCaseIds")
    b.el(other_ids, "value", xsi_type="BL", nullFlavor="NI")

    b.device(root, "receiver", "RCV", "2.16.840.1.113883.3.989.2.1.3.14", POSTMARKET_BATCH_RECEIVER)
    b.device(root, "sender", "SND", "2.16.840.1.113883.3.989.2.1.3.13", sender["identifier"])
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _reporter(b: _Builder, investigation, case: Case) -> None:
    clinician = case.reporter
    source = b.el(investigation, "outboundRelationship", typeCode="SPRT")
    b.el(source, "priorityNumber", value="1")  # C.2.r.5: the primary source for regulatory purposes
    related = b.el(source, "relatedInvestigation", classCode="INVSTG", moodCode="EVN")
    b.el(related, "code", code="2", codeSystem="2.16.840.1.113883.3.989.2.1.1.22", displayName="sourceReport")
    entity = b.el(
        b.el(
            b.el(b.el(related, "subjectOf2", typeCode="SUBJ"), "controlActEvent", classCode="CACT", moodCode="EVN"),
            "author",
            typeCode="AUT",
        ),
        "assignedEntity",
        classCode="ASSIGNED",
    )
    b.el(entity, "telecom", value=f"mailto:{clinician.email}")
    person = b.el(entity, "assignedPerson", classCode="PSN", determinerCode="INSTANCE")
    given, _, family = clinician.name.rpartition(" ")
    name = b.el(person, "name")
    if given:
        b.el(name, "given", given)
    b.el(name, "family", family)
    code, display = QUALIFICATIONS.get(clinician.role, OTHER_PROFESSIONAL)
    b.el(
        b.el(person, "asQualifiedEntity", classCode="QUAL"),
        "code",
        code=code,
        displayName=display,
        codeSystem="2.16.840.1.113883.3.989.2.1.1.6",
    )
    location = b.el(
        b.el(person, "asLocatedEntity", classCode="LOCE"), "location", classCode="COUNTRY", determinerCode="INSTANCE"
    )
    b.el(location, "code", code=case.sender["country"].upper(), codeSystem=COUNTRY)
    organization = b.el(entity, "representedOrganization", classCode="ORG", determinerCode="INSTANCE")
    b.el(organization, "name", case.clinic.name)


def _sender(b: _Builder, investigation, case: Case) -> None:
    s = case.sender
    entity = b.el(
        b.el(
            b.el(
                b.el(investigation, "subjectOf1", typeCode="SUBJ"), "controlActEvent", classCode="CACT", moodCode="EVN"
            ),
            "author",
            typeCode="AUT",
        ),
        "assignedEntity",
        classCode="ASSIGNED",
    )
    b.el(entity, "code", code="3", displayName="Health professional", codeSystem="2.16.840.1.113883.3.989.2.1.1.7")
    address = b.el(entity, "addr")
    b.el(address, "streetAddressLine", s["street"])
    b.el(address, "city", s["city"])
    b.el(address, "state", s["state"])
    b.el(address, "postalCode", s["postcode"])
    b.el(entity, "telecom", value=f"tel:{s['phone']}")
    b.el(entity, "telecom", value=f"fax:{s['fax']}")
    b.el(entity, "telecom", value=f"mailto:{s['email']}")
    person = b.el(entity, "assignedPerson", classCode="PSN", determinerCode="INSTANCE")
    name = b.el(person, "name")
    b.el(name, "prefix", s["title"])
    b.el(name, "given", s["given_name"])
    b.el(name, "family", s["family_name"])
    location = b.el(
        b.el(person, "asLocatedEntity", classCode="LOCE"), "location", classCode="COUNTRY", determinerCode="INSTANCE"
    )
    b.el(location, "code", code=s["country"].upper(), codeSystem=COUNTRY)
    department = b.el(entity, "representedOrganization", classCode="ORG", determinerCode="INSTANCE")
    b.el(department, "name", s["department"])
    organization = b.el(
        b.el(department, "assignedEntity", classCode="ASSIGNED"),
        "representedOrganization",
        classCode="ORG",
        determinerCode="INSTANCE",
    )
    b.el(organization, "name", case.clinic.name)


def narrative_of(event: AdverseEvent) -> str:
    """H.1: the case narrative (the clinician's words, after a line of the coded facts)."""
    criteria = (
        ", ".join(c.value.replace("_", " ") for c in SeriousnessCriterion if getattr(event, f"seriousness_{c.value}"))
        or "not serious"
    )
    head = (
        f"{event.term_other or event.term} (CTCAE v5.0 grade {event.grade}; {criteria}) after ketamine. "
        f"Reporter's causality (WHO-UMC): {event.causality.value}. Outcome: {event.outcome.value.replace('_', ' ')}."
    )
    return f"{head}\n{event.narrative}"[:100000]


def e2b_message(session: Session, *, event: AdverseEvent, now: datetime) -> bytes:
    """The event's ICSR, or a 422 naming what the clinic or the event still lacks."""
    return build_message(case_of(session, event=event), now=now)
