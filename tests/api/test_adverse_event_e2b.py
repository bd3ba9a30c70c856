"""The E2B(R3) export of an adverse event: FDA's required postmarket elements at their XPaths with allowed values,
FDA's rejection rules, the same facts parsed back, 422 naming what is missing, access and audit."""

from __future__ import annotations

from datetime import datetime, timedelta

from lxml import etree
from sqlalchemy import select

from service.clock import now_utc
from service.extensions import db
from service.models import AuditEntry
from tests import factories
from tests.api.ae_support import EVENTS, assert_422, iso, record, serious_body
from tests.api.e2b_reference import HL7, postmarket_required_as_in_example, problems_as_in_example, without_namespace
from tests.api.e2b_rules import CASE, DRUG, REACTION, rejections

NS = {"h": HL7, "xsi": "http://www.w3.org/2001/XMLSchema-instance"}


def e2b_of(client, caller, event_id) -> bytes:
    response = client.get(f"{EVENTS}/{event_id}/e2b", headers=caller.headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/xml"
    assert response.headers["Cache-Control"] == "no-store"
    return response.get_data()


def serious_event(client, case, **overrides) -> dict:
    values = serious_body(
        ["hospitalization", "medically_important"],
        flag_id=str(case.flag_id),
        infusion_id=str(case.infusion_id),
        causality="probable",
        action_taken="treatment_discontinued",
        onset_at=iso(case.infusion_ended_at + timedelta(minutes=20)),
        narrative="BP 210/120 twenty minutes after the infusion; admitted overnight, labetalol given.",
    )
    values.update(overrides)
    response = client.post(EVENTS, json=values, headers=case.world.physician.headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_every_element_fda_requires_for_a_postmarket_report_is_there_with_an_allowed_value(client, case):
    factories.give_e2b_sender(case.world.clinic)
    event = serious_event(client, case)
    xml = e2b_of(client, case.world.nurse, event["id"])
    root = etree.fromstring(xml)
    assert root.tag == f"{{{HL7}}}MCCI_IN200100UV01"
    assert len(root.findall(f"{{{HL7}}}PORR_IN049016UV")) == 1
    assert len(postmarket_required_as_in_example()) == 51
    assert problems_as_in_example(xml) == {}


def test_no_fda_rejection_rule_fires_serious_or_not(client, case):
    factories.give_e2b_sender(case.world.clinic)
    serious = serious_event(client, case)
    mild = record(client, case.world.nurse, flag_id=str(case.flag_id))
    for event, report_type in ((serious, "1"), (mild, "2")):
        xml = e2b_of(client, case.world.physician, event["id"])
        assert rejections(xml, now=now_utc() + timedelta(minutes=1)) == {}
        assert problems_as_in_example(xml) == {}
        tree = without_namespace(xml)
        assert tree.xpath(f"{CASE}/component/observationEvent[code/@code='C54588']/value/@code") == [report_type]


def test_the_rule_checks_catch_a_message_that_breaks_them(client, case):
    """The checks are not vacuous: a message with a wrong receiver, a lost qualifier or a future date is rejected."""
    factories.give_e2b_sender(case.world.clinic)
    xml = e2b_of(client, case.world.physician, serious_event(client, case)["id"])
    broken = (
        xml.replace(b'extension="ZZFDA"', b'extension="ZZFDA_PREMKT"')
        .replace(b'code="1" displayName="Physician"', b"")
        .replace(b'displayName="15-Day"', b"")
    )
    broken = broken.replace(
        b'<value xsi:type="CE" code="1" codeSystem="2.16.840.1.113883.3.989.5.1.2.2.1.1.1"',
        b'<value xsi:type="CE" code="2" codeSystem="2.16.840.1.113883.3.989.5.1.2.2.1.1.1"',
    )
    fired = rejections(broken, now=now_utc())
    assert {"R0004", "R0014"} <= set(fired), fired
    stale = rejections(xml, now=now_utc() - timedelta(days=30))
    assert "future" in stale


def test_the_message_parses_back_to_the_events_facts(client, case):
    factories.give_e2b_sender(case.world.clinic)
    event = serious_event(client, case)
    tree = without_namespace(e2b_of(client, case.world.physician, event["id"]))
    case_id = tree.xpath(f"{CASE}/id[@root='2.16.840.1.113883.3.989.2.1.3.1']/@extension")[0]
    assert case_id == f"US-AFTERCARE-{event['id']}"
    (reaction,) = tree.xpath(REACTION)
    assert reaction.xpath("value/@code") == [event["meddra_code"]]
    assert reaction.xpath("value/@codeSystemVersion") == ["20.1"]
    onset = datetime.strptime(reaction.xpath("effectiveTime/low/@value")[0], "%Y%m%d%H%M%S%z")
    assert onset == datetime.fromisoformat(event["onset_at"]).replace(microsecond=0)
    ticked = {
        code
        for code in ("34", "21", "33", "35", "12", "26")
        if reaction.xpath(f"outboundRelationship2/observation[code/@code='{code}']/value/@value") == ["true"]
    }
    assert ticked == {"33", "26"}  # hospitalization, medically important; the others NI
    assert reaction.xpath("outboundRelationship2/observation[code/@code='34']/value/@nullFlavor") == ["NI"]
    assert reaction.xpath("outboundRelationship2/observation[code/@code='27']/value/@code") == ["2"]  # recovering
    assert reaction.xpath("outboundRelationship2/observation[code/@code='30']/value/text()") == ["Hypertension"]
    (drug,) = tree.xpath(DRUG)
    assert drug.xpath("consumable/instanceOfKind/kindOfProduct/name/text()") == ["Ketamine"]
    dosage = drug.xpath("outboundRelationship2/substanceAdministration")[0]
    assert dosage.xpath("doseQuantity/@value") == ["35"] and dosage.xpath("doseQuantity/@unit") == ["mg"]
    assert dosage.xpath("routeCode/@code") == ["20045000"]  # EDQM intravenous use
    assert drug.xpath("inboundRelationship[@typeCode='CAUS']/act/code/@code") == ["1"]  # drug withdrawn
    drug_id = drug.xpath("id/@root")[0]
    assessment = f"{CASE}/component/adverseEventAssessment/component/causalityAssessment"
    assert tree.xpath(
        f"{assessment}[code/@code='20'][subject2/productUseReference/id/@root='{drug_id}']/value/@code"
    ) == ["1"]
    causality = tree.xpath(f"{assessment}[code/@code='39']")[0]
    assert causality.xpath("value/text()") == ["Probable"]
    assert causality.xpath("methodCode/originalText/text()") == ["WHO-UMC"]
    assert causality.xpath("subject1/adverseEffectReference/id/@root") == reaction.xpath("id/@root")
    assert "labetalol" in tree.xpath(f"{CASE}/text/text()")[0]
    patient = tree.xpath(f"{CASE}/component/adverseEventAssessment/subject1/primaryRole/player1")[0]
    assert patient.xpath("name/text()") == ["PN"]  # Pat North, initials only


def test_a_clinic_without_a_safety_contact_gets_a_422_naming_every_missing_field(client, case):
    event = serious_event(client, case)
    response = client.get(f"{EVENTS}/{event['id']}/e2b", headers=case.world.physician.headers)
    payload = assert_422(response, "e2b_sender.identifier")
    assert {"e2b_sender.email", "e2b_sender.country", "e2b_sender.family_name"} <= set(payload["errors"]["json"])
    factories.give_e2b_sender(case.world.clinic, {**factories.E2B_SENDER, "fax": "", "country": "USA"})
    response = client.get(f"{EVENTS}/{event['id']}/e2b", headers=case.world.physician.headers)
    payload = assert_422(response, "e2b_sender.fax")
    assert set(payload["errors"]["json"]) == {"e2b_sender.fax", "e2b_sender.country"}


def test_access_by_role_and_clinic_and_the_export_is_audited(client, case):
    world = case.world
    factories.give_e2b_sender(world.clinic)
    event = serious_event(client, case)
    url = f"{EVENTS}/{event['id']}/e2b"
    for caller in (world.nurse, world.physician, world.admin):
        assert client.get(url, headers=caller.headers).status_code == 200
    assert client.get(url, headers=world.patient.headers).status_code == 403
    assert client.get(url).status_code == 401
    assert client.get(url, headers=world.other_admin.headers).status_code == 404
    db.session.rollback()
    entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    # the other clinic's 404 is not an access to patient data; the admin's export is the last entry
    assert (entry.action, entry.resource_type, entry.resource_id) == ("export", "adverse_event", event["id"])
    assert entry.actor_id == world.admin.principal.id and entry.patient_id == case.patient_id


def test_the_safety_contact_is_set_through_the_clinic_settings_api(client, case):
    world = case.world
    shown = client.get("/api/v1/clinic/settings", headers=world.admin.headers).get_json()
    body = {k: v for k, v in shown.items() if k not in ("webhook", "e2b_sender")}
    put = lambda body: client.put("/api/v1/clinic/settings", json=body, headers=world.admin.headers)  # noqa: E731
    bad = put({**body, "e2b_sender": {**factories.E2B_SENDER, "country": "USA", "email": "nope"}})
    payload = assert_422(bad, "e2b_sender")
    assert {"country", "email"} == set(payload["errors"]["json"]["e2b_sender"])
    assert "e2b_sender" not in (db.session.get(type(world.clinic), world.clinic.id).settings or {})
    ok = put({**body, "e2b_sender": factories.E2B_SENDER})
    assert ok.status_code == 200 and ok.get_json()["e2b_sender"] == factories.E2B_SENDER
    event = serious_event(client, case)
    assert e2b_of(client, world.physician, event["id"]).startswith(b"<?xml")
    # A body without it keeps it; null removes it, and the export names what is missing again.
    assert put(body).get_json()["e2b_sender"] == factories.E2B_SENDER
    assert "e2b_sender" not in put({**body, "e2b_sender": None}).get_json()
    response = client.get(f"{EVENTS}/{event['id']}/e2b", headers=world.physician.headers)
    assert_422(response, "e2b_sender.identifier")
