"""The reading of FDA's E2B(R3) data elements that the E2B export is checked with, checked on FDA's own example."""

from __future__ import annotations

from tests.api.e2b_reference import (
    DATA,
    postmarket_required,
    problems,
    problems_as_in_example,
    value_of,
    without_namespace,
)


def test_fda_requires_the_header_case_sender_patient_reaction_drug_and_narrative():
    required = {element.number: element for element in postmarket_required()}
    for number in ("N.1.1", "N.1.4", "C.1.1", "C.1.3", "C.3.1", "D.1", "E.i.2.1b", "E.i.7", "G.k.1", "G.k.2.2", "H.1"):
        assert number in required, number
    assert required["C.1.3"].codes == {"1", "2", "3", "4"}
    assert required["E.i.3.2a"].codes == {"true"} and required["E.i.3.2a"].null_flavors == {"NI"}
    assert required["FDA.D.12"].codes == {"C17459", "C41222"}
    assert required["H.1"].codes is None


def test_fdas_example_message_carries_what_its_xpaths_point_at():
    xml = (DATA / "FAERS2022Scenario1.xml").read_bytes()
    tree = without_namespace(xml)
    by_number = {element.number: element for element in postmarket_required()}
    assert value_of(tree, by_number["N.1.4"]) == "ZZFDA"
    assert value_of(tree, by_number["E.i.2.1b"]) == "10027940"
    assert value_of(tree, by_number["C.3.4.6"]) == "6108887766"  # substring() after 'tel:'
    assert value_of(tree, by_number["G.k.2.2"]) == "Drug A"
    found = problems(xml)
    # What the example leaves out or codes differently from the spreadsheet is named with its XPath.
    assert all(reason for reason in found.values())
    assert "N.1.1" not in found and "C.1.1" not in found and "H.1" not in found


def test_fdas_example_passes_once_the_four_disputed_elements_are_read_where_the_example_puts_them():
    xml = (DATA / "FAERS2022Scenario1.xml").read_bytes()
    assert set(problems(xml)) == {"FDA.C.1.7.1", "FDA.C.1.12", "FDA.D.11.r.1", "FDA.E.i.3.2h"}
    assert problems_as_in_example(xml) == {}
