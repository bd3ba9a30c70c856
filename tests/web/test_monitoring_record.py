"""The monitoring record's printable page and PDF carry what the JSON record carries; the PDF is an audited export."""

from __future__ import annotations

import re
import zlib
from datetime import timedelta

from sqlalchemy import select

from service.clock import now_utc
from service.domain import infusions, visits
from service.extensions import db
from service.models import AuditEntry, Patient
from tests.web.conftest import signed_in


def _session(world):
    patient = db.session.get(Patient, world.patient.principal.patient_id)
    now = now_utc()
    start = now - timedelta(hours=3)
    infusion = infusions.record_infusion(
        db.session,
        patient=patient,
        actor=world.nurse.principal,
        values={
            "started_at": start,
            "ended_at": start + timedelta(minutes=10),
            "route": "intranasal",
            "phase": "induction",
            "dose_mg": 84.0,
        },
        now=now,
    )
    for minute, values in (
        (40, {"systolic": 152, "diastolic": 92, "sedation_moass": 4, "dissociation": 2}),
        (125, {"systolic": 128, "diastolic": 80, "sedation_moass": 5, "dissociation": 0}),
    ):
        visits.record_observation(
            db.session,
            infusion=infusion,
            actor=world.nurse.principal,
            values={"observed_at": start + timedelta(minutes=minute), **values},
            now=now,
        )
    db.session.commit()
    return patient, infusion


def _pdf_text(body: bytes) -> str:
    """The text drawn in a PDF's (Flate-compressed) content streams."""
    text = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", body, re.S):
        try:
            text.append(zlib.decompress(stream).decode("latin-1"))
        except zlib.error:
            text.append(stream.decode("latin-1"))
    drawn = re.findall(r"\(((?:\\.|[^\\)])*)\)\s*Tj", "".join(text))
    return "".join(re.sub(r"\\(.)", r"\1", piece) for piece in drawn)


def test_the_pdf_carries_the_record_and_is_audited_as_an_export(app, world):
    patient, infusion = _session(world)
    client = signed_in(app, world.nurse.principal)
    answer = client.get(f"/console/infusions/{infusion.id}/monitoring-record.pdf")
    assert answer.status_code == 200 and answer.mimetype == "application/pdf"
    assert answer.data.startswith(b"%PDF-")
    assert "attachment" in answer.headers["Content-Disposition"]
    text = _pdf_text(answer.data)
    for expected in (
        patient.display_name,
        "84 mg",
        "Record: INCOMPLETE",
        "Blood pressure before the dose: NOT MET",
        "Blood pressure about 40 minutes after the dose (30-50 min): met",
        "152/92 at minute 40",
        "Observed for at least two hours after the dose: met",
        "Not discharged yet.",
    ):
        assert expected in text, expected
    db.session.rollback()
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.endpoint == "/console/infusions/<uuid:infusion_id>/monitoring-record.pdf")
    )
    assert str(entry.action) == "export" and entry.patient_id == patient.id


def test_the_printable_page_lists_every_requirement(app, world):
    patient, infusion = _session(world)
    page = signed_in(app, world.physician.principal).get(f"/console/infusions/{infusion.id}/monitoring-record")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    record = visits.monitoring_record(db.session, infusion=infusion)
    for requirement in record["requirements"]:
        assert f'data-key="{requirement["key"]}"' in html
        assert requirement["detail"] in html
    assert 'class="unmet" data-key="bp_before_dose"' in html and "Incomplete" in html
    assert patient.display_name in html and "84 mg" in html


def test_the_patient_page_links_each_infusion_to_its_visit(app, world):
    patient, infusion = _session(world)
    html = signed_in(app, world.nurse.principal).get(f"/console/patients/{patient.id}").get_data(as_text=True)
    assert html.count(f'href="/console/infusions/{infusion.id}"') == 2  # the screening card and the timeline
