"""FDA's rejection rules (../shared/data/e2b-r3/fda_rejection_warning_rules.csv) that apply to a postmarket,
spontaneous, initial ICSR from a clinic, each checked on a message; `rejections` names every rule that fires.

Rules about parts the export never sends (study, IND, literature, parent, tests, nullification, documents held)
are checked as "not sent" where the rule forbids them on the postmarket route."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from tests.api.e2b_reference import XSI, without_namespace

CASE = "/MCCI_IN200100UV01/PORR_IN049016UV/controlActProcess/subject/investigationEvent"
ROLE = f"{CASE}/component/adverseEventAssessment/subject1/primaryRole"
REACTION = f"{ROLE}/subjectOf2/observation[code/@code='29']"
DRUG = f"{ROLE}/subjectOf2/organizer[code/@code='4']/component/substanceAdministration"
REPORTER = f"{CASE}/outboundRelationship[relatedInvestigation/code/@code='2']"
SENDER = f"{CASE}/subjectOf1/controlActEvent/author/assignedEntity"
TIMES = "//creationTime/@value | //effectiveTime/@value | //low/@value | //high/@value | //availabilityTime/@value"


def _one(tree, xpath: str):
    found = tree.xpath(xpath, namespaces={"xsi": XSI["xsi"]})
    return found[0] if found else None


def _case_observation(tree, code: str):
    return _one(tree, f"{CASE}/component/observationEvent[code/@code='{code}']/value")


def rejections(xml: bytes, *, now: datetime) -> dict[str, str]:
    tree = without_namespace(xml)
    fired: dict[str, str] = {}
    n14 = _one(tree, "/MCCI_IN200100UV01/receiver/device/id/@extension")
    n13 = _one(tree, "/MCCI_IN200100UV01/sender/device/id/@extension")
    if n14 != "ZZFDA":
        fired["R0004"] = f"N.1.4 is {n14!r}, not ZZFDA"
    senders = tree.xpath("/MCCI_IN200100UV01/PORR_IN049016UV/sender/device/id/@extension")
    if not senders or any(s != n13 for s in senders):
        fired["R0100"] = "N.2.r.2 differs from N.1.3"
    receivers = tree.xpath("/MCCI_IN200100UV01/PORR_IN049016UV/receiver/device/id/@extension")
    if n14 == "ZZFDA" and (not receivers or any(r != "CDER" for r in receivers)):
        fired["R0006"] = "N.1.4 = ZZFDA but N.2.r.3 is not CDER"
    documents = _case_observation(tree, "1")
    if documents is not None and documents.get("value") == "true" and not tree.xpath(f"{CASE}/reference"):
        fired["R0009"] = "C.1.6.1 true without documents"
    local = _case_observation(tree, "23")
    if local is None or local.get("nullFlavor") == "NI":
        fired["R0011"] = "C.1.7 missing or nullFlavor NI on an initial report"
    combination = _case_observation(tree, "C156384")
    combination_true = combination is not None and combination.get("value") == "true"
    report_type = _case_observation(tree, "C54588")
    report_type = report_type.get("code") if report_type is not None else None
    expedited = local is not None and local.get("value") == "true"
    if combination_true and expedited and report_type not in ("1", "4"):
        fired["R0012"] = "FDA.C.1.7.1 not 1 or 4"
    if combination_true and not expedited and report_type not in ("2", "5"):
        fired["R0013"] = "FDA.C.1.7.1 not 2 or 5"
    if not combination_true and expedited and report_type != "1":
        fired["R0014"] = f"FDA.C.1.7.1 is {report_type!r}, not 1, with C.1.7 true"
    if not combination_true and not expedited and report_type != "2":
        fired["R0015"] = f"FDA.C.1.7.1 is {report_type!r}, not 2, with C.1.7 false"
    other_ids = _one(tree, f"{CASE}/subjectOf2/investigationCharacteristic[code/@code='2']/value")
    if (
        other_ids is not None
        and other_ids.get("value") == "true"
        and not tree.xpath(f"{CASE}/subjectOf1/controlActEvent/id")
    ):
        fired["R0017"] = "C.1.9.1 true without other case identifiers"
    if tree.xpath(f"{CASE}/subjectOf2/investigationCharacteristic[code/@code='3']/value[@code='1' or @code='2']"):
        fired["R0101"] = "C.1.11.1 nullification or amendment on an initial report"
    primary = tree.xpath(f"{REPORTER}[priorityNumber/@value='1']")
    if not primary:
        fired["R0021"] = "no reporter with C.2.r.5 = 1"
    for source in primary:
        person = "relatedInvestigation/subjectOf2/controlActEvent/author/assignedEntity/assignedPerson"
        if not source.xpath(f"{person}/asLocatedEntity/location/code/@code"):
            fired["R0019"] = "C.2.r.3 missing for the primary source"
        if not source.xpath(f"{person}/asQualifiedEntity/code/@code"):
            fired["R0020"] = "C.2.r.4 missing for the primary source"
    sender_type = _one(tree, f"{SENDER}/code/@code")
    if sender_type in ("1", "2", "3", "4", "5", "6") and not _one(
        tree, f"{SENDER}/representedOrganization/assignedEntity/representedOrganization/name/text()"
    ):
        fired["R0022"] = "C.3.2 missing"
    ich_type = _one(tree, f"{CASE}/subjectOf2/investigationCharacteristic[code/@code='1']/value/@code")
    if ich_type == "1" and tree.xpath(f"{CASE}//researchStudy"):
        fired["R0103"] = "C.5.4 study type on a spontaneous report to CDER"
    if tree.xpath(f"{CASE}//researchStudy/authorization"):
        fired["R0107"] = "IND / pre-ANDA numbers on a postmarket report"
    for reaction in tree.xpath(REACTION):
        translated = reaction.xpath("outboundRelationship2/observation[code/@code='30']/value")
        if translated and not translated[0].get("language"):
            fired["R0058"] = "E.i.1.1b missing with E.i.1.1a"
    for dose in tree.xpath(f"{DRUG}/outboundRelationship2/substanceAdministration/doseQuantity"):
        if dose.get("value") and not dose.get("unit"):
            fired["R0075"] = "G.k.4.r.1b missing with G.k.4.r.1a"
    for stamp in tree.xpath(TIMES):
        if not re.fullmatch(r"\d{8}(\d{6})?([+-]\d{4})?", stamp):
            fired["precision"] = f"{stamp!r} lacks CCYYMMDD precision"
            continue
        if len(stamp) >= 14:
            moment = datetime.strptime(stamp[:14] + (stamp[14:] or "+0000"), "%Y%m%d%H%M%S%z")
        else:
            moment = datetime.strptime(stamp[:8], "%Y%m%d").replace(tzinfo=UTC)
        if moment > now:
            fired["future"] = f"{stamp} is in the future"
    narrative = _one(tree, f"{CASE}/text/text()")
    if narrative is not None and len(narrative) > 100000:
        fired["H.1 length"] = "H.1 longer than 100000"
    return fired
