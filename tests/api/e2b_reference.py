"""FDA's ICH E2B(R3) reference files (../shared/data/e2b-r3), read for tests: the data elements FDA requires for a
postmarket ICSR, each with its XPath and allowed values, and a check of a message against them.

The spreadsheet's XPaths are written without a namespace prefix and with placeholders for repeated parts
([r] the case, [i] the reaction, [k] the drug, "UUID of k-th drug"); the check takes the first of each and reads the
message with its HL7 v3 namespace dropped. An element whose allowed values name nullFlavors may carry one of them
instead of a value.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "e2b-r3"
ELEMENTS_CSV = DATA / "fda_icsr_data_elements.csv"
HL7 = "urn:hl7-org:v3"
XSI = {"xsi": "http://www.w3.org/2001/XMLSchema-instance"}
# Columns of the spreadsheet (its second row names them; ICH and Post-Market share the name CONFORMANCE).
NUMBER, NAME, ALLOWED, ICH_CONFORMANCE, POSTMARKET_CONFORMANCE, XPATH = 2, 3, 6, 7, 9, 32


@dataclass(frozen=True)
class Element:
    number: str
    name: str
    allowed: str
    xpath: str

    @property
    def codes(self) -> set[str] | None:
        """The coded values allowed ("1=Spontaneous report 2=…", "false, true"), or None for free text."""
        text = " ".join(self.allowed.split())
        text = re.sub(r"<Observation><code>=\s*\S+\.", "", text)
        codes = set(re.findall(r"(?:^|\s)([A-Za-z]?\d+)=", text))
        if codes:
            return codes
        words = {w.strip(" *") for w in text.split("nullFlavor")[0].replace(",", " ").split()}
        if words and words <= {"true", "false"}:
            return words
        return None

    @property
    def null_flavors(self) -> set[str]:
        text = " ".join(self.allowed.split())
        if "nullFlavor" not in text:
            return set()
        return set(re.findall(r"\b(NI|MSK|UNK|NA|ASKU|NASK|NINF|PINF|OTH)\b", text.split("nullFlavor", 1)[1]))


def _conformance(value: str) -> str:
    return " ".join(value.split()).lower()


def postmarket_required() -> list[Element]:
    """Every element FDA requires in a postmarket report: required by FDA's post-market column, or by ICH where
    FDA's column leaves it to ICH ('-')."""
    with ELEMENTS_CSV.open(encoding="utf-8", newline="") as file:
        rows = list(csv.reader(file))
    required = []
    for row in rows[2:]:
        ich, postmarket = _conformance(row[ICH_CONFORMANCE]), _conformance(row[POSTMARKET_CONFORMANCE])
        if postmarket.startswith("required") or (postmarket in ("-", "") and ich.startswith("required")):
            xpath = " ".join(row[XPATH].split())
            required.append(Element(row[NUMBER].strip(), " ".join(row[NAME].split()), row[ALLOWED], xpath))
    return required


def without_namespace(xml: bytes) -> etree._ElementTree:
    """The message with the HL7 v3 namespace dropped from its elements (the spreadsheet's XPaths have none)."""
    tree = etree.ElementTree(etree.fromstring(xml))
    for node in tree.iter():
        if isinstance(node.tag, str) and node.tag.startswith(f"{{{HL7}}}"):
            node.tag = node.tag.split("}", 1)[1]
    etree.cleanup_namespaces(tree)
    return tree


def _first(xpath: str) -> str:
    return re.sub(r"\[(?:r|i|k|j)\]", "[1]", xpath).replace("[@root='UUID of k-th drug']", "")


def value_of(tree, element: Element) -> str | None:
    """The element's value in the message, or its nullFlavor as 'nullFlavor:XX', or None when it is missing."""
    xpath = _first(element.xpath)
    found = tree.xpath(xpath, namespaces=XSI)
    if isinstance(found, list):
        found = found[0] if found else None
    if found not in (None, ""):
        return str(found).strip()
    # The nullFlavor on the node holding the value (drop the trailing @attribute or text() step).
    holder = re.sub(r"/(?:@[\w:]+|text\(\))(?:, \d+\))?$", "", xpath)
    holder = re.sub(r"^substring\(", "", holder)
    holder = re.sub(r"\[starts-with\(@value, ?'[a-z]+:'\)\]", "", holder)
    flavors = tree.xpath(f"{holder}/@nullFlavor", namespaces=XSI)
    return f"nullFlavor:{flavors[0]}" if flavors else None


def problems(xml: bytes) -> dict[str, str]:
    """Required elements missing or with a value not allowed, by data element number."""
    tree = without_namespace(xml)
    found: dict[str, str] = {}
    for element in postmarket_required():
        value = value_of(tree, element)
        if value is None:
            found[element.number] = f"missing at {element.xpath}"
        elif value.startswith("nullFlavor:"):
            if value.split(":", 1)[1] not in element.null_flavors:
                found[element.number] = f"{value} not allowed (allowed: {sorted(element.null_flavors)})"
        elif element.codes is not None and value not in element.codes:
            found[element.number] = f"value {value!r} not one of {sorted(element.codes)}"
    return found


# Where FDA's spreadsheet and its example message (FAERS2022Scenario1) place an element differently, the export
# follows the example: these are the example's XPaths for the four elements the spreadsheet puts elsewhere.
_CASE = (
    "/MCCI_IN200100UV01/PORR_IN049016UV[r]/controlActProcess[@classCode='CACT'][@moodCode='EVN']"
    "/subject[@typeCode='SUBJ'][1]/investigationEvent[@classCode='INVSTG'][@moodCode='EVN']"
)
_ROLE = (
    f"{_CASE}/component[@typeCode='COMP'][adverseEventAssessment][1]/adverseEventAssessment"
    "/subject1[@typeCode='SBJ'][1]/primaryRole[@classCode='INVSBJ']"
)
_NCIT = "2.16.840.1.113883.3.26.1.1"
AS_IN_EXAMPLE = {
    "FDA.C.1.7.1": f"{_CASE}/component[@typeCode='COMP'][observationEvent/code[@code='C54588'][@codeSystem='{_NCIT}']]"
    "[1]/observationEvent/value[@codeSystem='2.16.840.1.113883.3.989.5.1.2.2.1.1.1']/@code",
    "FDA.C.1.12": f"{_CASE}/component[@typeCode='COMP'][observationEvent/code[@code='C156384'][@codeSystem='{_NCIT}']]"
    "[1]/observationEvent/value[@xsi:type='BL']/@value",
    "FDA.D.11.r.1": f"{_ROLE}/subjectOf2[@typeCode='SBJ'][observation/code[@code='C17049'][@codeSystem='{_NCIT}']][r]"
    f"/observation/value[@codeSystem='{_NCIT}']/@code",
    "FDA.E.i.3.2h": f"{_ROLE}/subjectOf2[@typeCode='SBJ'][observation[id][code[@code='29']]][i]/observation"
    "/outboundRelationship2[@typeCode='PERT'][observation/code[@code='7']"
    "[@codeSystem='2.16.840.1.113883.3.989.5.1.2.2.1.3']][1]/observation/value[@xsi:type='BL'][1]/@value",
}


def postmarket_required_as_in_example() -> list[Element]:
    """The required elements, with the four the example places differently at the example's XPath."""
    return [Element(e.number, e.name, e.allowed, AS_IN_EXAMPLE.get(e.number, e.xpath)) for e in postmarket_required()]


def problems_as_in_example(xml: bytes) -> dict[str, str]:
    """problems(), with the four elements read where FDA's example message puts them."""
    tree = without_namespace(xml)
    found: dict[str, str] = {}
    for element in postmarket_required_as_in_example():
        value = value_of(tree, element)
        if value is None:
            found[element.number] = f"missing at {element.xpath}"
        elif value.startswith("nullFlavor:"):
            if value.split(":", 1)[1] not in element.null_flavors:
                found[element.number] = f"{value} not allowed (allowed: {sorted(element.null_flavors)})"
        elif element.codes is not None and value not in element.codes:
            found[element.number] = f"value {value!r} not one of {sorted(element.codes)}"
    return found
