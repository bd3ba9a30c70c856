"""End to end in a real browser: Debian's chromium, headless, driven by Playwright, against the app on loopback.

Skips only when /usr/bin/chromium is missing (CI installs it: see .ci/run). Screenshots of the
queue, a flag and a patient chart are saved under tests/artifacts/ for a person to look at.
"""

from __future__ import annotations

import os
import re
import uuid
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from schemas.reports import ReportCreateSchema
from service.clock import now_utc
from service.domain import adverse_events, reports
from service.domain.clinics import effective_settings
from service.enums import Role
from service.extensions import db
from service.models import AdverseEvent, Flag, Infusion, Patient
from service.rules import Priority
from tests import factories
from tests.live_server import served
from tests.web.conftest import make_flag, make_infusion

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's chromium at /usr/bin/chromium"),
]


@pytest.fixture(scope="module")
def server(app):
    """The app served by a real WSGI server on 127.0.0.1 (a free port), in a thread."""
    with served(app) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture()
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    # Script errors fail the test; a refused page (403 on purpose) logs "Failed to load resource", which is fine.
    tab.on(
        "console",
        lambda message: (
            errors.append(message.text)
            if message.type == "error" and not message.text.startswith("Failed to load resource")
            else None
        ),
    )
    yield tab
    context.close()
    assert not errors, f"the page logged errors: {errors}"


@pytest.fixture()
def clinic_scene(world):
    """A nurse and an admin who sign in with a password, a patient with a course, a critical and a high flag."""
    nurse = factories.make_clinician(world.clinic, Role.NURSE, email="noor@north.test")
    admin = factories.make_clinician(world.clinic, Role.ADMIN, email="alex@north.test")
    patient = db.session.get(Patient, world.patient.principal.patient_id)
    patient.phq9_baseline, patient.mood_baseline = 16, 5
    db.session.commit()
    make_infusion(patient, nurse, days_ago=13)
    make_infusion(patient, nurse, days_ago=9)
    make_infusion(patient, nurse, days_ago=6)
    make_infusion(patient, nurse, days_ago=2)
    seed_course(patient)
    high = make_flag(
        patient, priority=Priority.HIGH, rule="severe-symptom", reason="Severe nausea (3/4).", due_in=timedelta(hours=3)
    )
    other = db.session.get(Patient, world.other_patient.principal.patient_id)
    critical = make_flag(
        other,
        priority=Priority.CRITICAL,
        rule="hypertensive-crisis",
        reason="BP 186/95 at 14:10, 3 h after IV infusion — threshold 180/120.",
        due_in=timedelta(minutes=12),
    )
    return {"nurse": nurse, "admin": admin, "patient": patient, "high": high, "critical": critical}


def seed_course(patient) -> None:
    """Two weeks of reports that settle: nausea and dizziness fade, mood rises, PHQ-9 falls."""
    now = now_utc()
    course = [
        (12.8, {"nausea": 3, "dizziness": 2, "dissociation": 2}, 3, None),
        (12.0, {"nausea": 2, "headache": 1}, 4, 19),
        (8.8, {"nausea": 2, "dizziness": 1}, 4, None),
        (8.0, {"headache": 1}, 5, 16),
        (5.8, {"nausea": 1, "dissociation": 1}, 6, None),
        (5.0, {}, 6, 13),
        (1.8, {"nausea": 1}, 7, None),
        (1.0, {}, 7, 10),
    ]
    for days_ago, symptoms, mood, phq9_total in course:
        body = {
            "client_report_id": str(uuid.uuid4()),
            "observed_at": (now - timedelta(days=days_ago)).isoformat(),
            "symptoms": [{"code": code, "severity": severity} for code, severity in symptoms.items()],
            "mood": mood,
        }
        if phq9_total is not None:
            items = [min(3, max(0, phq9_total // 8 + (1 if i < phq9_total % 8 else 0))) for i in range(8)] + [0]
            body["phq9"] = items
        reports.submit_report(
            db.session,
            patient=patient,
            device_id=None,
            payload=ReportCreateSchema().load(body),
            settings=effective_settings(None),
            now=now,
        )
    db.session.commit()


def _adverse_event(flag, clinician):
    """A serious adverse event recorded from a flag (through the domain, as the form does)."""
    now = now_utc()
    event = adverse_events.create_adverse_event(
        db.session,
        clinic_id=flag.clinic_id,
        actor_id=clinician.id,
        values={
            "flag_id": flag.id,
            "term": "Hypertension",
            "grade": 3,
            "serious": True,
            "seriousness": ["hospitalization"],
            "causality": "probable",
            "action_taken": "infusion_interrupted",
            "outcome": "recovered",
            "onset_at": now - timedelta(hours=3),
            "resolved_at": now - timedelta(hours=1),
            "narrative": "BP 186/112 forty minutes into the infusion; infusion stopped, observed overnight.",
        },
        now=now,
    )
    db.session.commit()
    return event


def sign_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/console/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/console/queue")


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def test_nurse_clears_the_critical_flag_from_the_queue(server, page, clinic_scene):
    sign_in(page, server, clinic_scene["nurse"].email)
    assert page.title().startswith("(1 critical) Triage queue")
    rows = page.locator("#queue-rows tr")
    assert rows.count() == 2
    first = rows.nth(0)
    assert first.get_attribute("data-flag-id") == str(clinic_scene["critical"].id)
    assert "Critical" in first.inner_text() and "min left" in first.inner_text()
    shot(page, "queue.png")

    first.get_by_role("link", name="BP 186/95").click()
    page.wait_for_url(f"{server}/console/flags/{clinic_scene['critical'].id}")
    assert page.locator("h1#flag-reason").inner_text().startswith("BP 186/95")
    shot(page, "flag.png")

    page.get_by_role("button", name="Acknowledge").click()
    page.get_by_text("Acknowledged. The flag is yours").wait_for()
    page.get_by_label("What was done").select_option("contacted_patient")
    page.get_by_label("Note (required)").fill("Called the patient: BP 150/90 on recheck, advised rest.")
    page.get_by_role("button", name="Resolve").click()
    page.wait_for_url(f"{server}/console/queue")
    page.get_by_text("Resolved. The flag has left the queue.").wait_for()
    ids = page.locator("#queue-rows tr").evaluate_all("rows => rows.map(r => r.dataset.flagId)")
    assert str(clinic_scene["critical"].id) not in ids and ids == [str(clinic_scene["high"].id)]
    assert page.title() == "Triage queue · Aftercare"
    db.session.expire_all()  # the server's threads changed it, not this session
    assert db.session.get(Flag, clinic_scene["critical"].id).status == "resolved"


def test_nurse_cannot_open_the_admin_pages(server, page, clinic_scene):
    sign_in(page, server, clinic_scene["nurse"].email)
    assert page.get_by_role("link", name="Admin").count() == 0
    for section in ("staff", "settings", "outbox", "audit"):
        response = page.goto(f"{server}/console/admin/{section}")
        assert response.status == 403
        assert page.get_by_role("heading", name="Not allowed").is_visible()


def test_admin_reaches_the_admin_pages(server, page, clinic_scene):
    sign_in(page, server, clinic_scene["admin"].email)
    page.get_by_role("link", name="Admin").click()
    page.get_by_role("heading", name="Staff", exact=True).wait_for()
    assert page.get_by_text("noor@north.test").is_visible()


def test_patient_chart_renders_for_a_seeded_patient(server, page, clinic_scene):
    sign_in(page, server, clinic_scene["nurse"].email)
    page.goto(f"{server}/console/patients/{clinic_scene['patient'].id}")
    chart = page.locator("svg.course-chart")
    chart.wait_for()
    box = chart.bounding_box()
    assert box["width"] > 600 and box["height"] > 200
    assert int(chart.get_attribute("data-marks")) >= 5
    assert chart.locator("g.sev-mark").count() >= 2  # symptom dots
    assert chart.locator("g.infusion").count() == 4
    assert chart.locator("a.chart-flag").count() >= 1
    assert chart.locator("circle.mood-mark").count() >= 8 and chart.locator("rect.phq9-mark").count() >= 4
    chart.scroll_into_view_if_needed()
    shot(page, "patient-chart.png")


def test_nurse_records_an_adverse_event_from_a_flag_and_sees_it_on_its_page(server, page, clinic_scene, world):
    flag = clinic_scene["high"]
    sign_in(page, server, clinic_scene["nurse"].email)
    page.goto(f"{server}/console/flags/{flag.id}")
    page.get_by_text("Record an adverse event").click()  # the form is folded away until wanted
    form = page.locator("#adverse-event-form")
    form.get_by_label("CTCAE term").select_option("Nausea")
    form.get_by_label("CTCAE grade").select_option("3")
    form.locator("#ae-serious-no").check()
    form.get_by_label("Causality").select_option("probable")
    form.get_by_label("Action taken").select_option("none")
    form.get_by_label("Outcome").select_option("recovering")
    onset = (now_utc() - timedelta(hours=2)).astimezone(ZoneInfo(world.clinic.time_zone))
    form.get_by_label("Onset").fill(onset.strftime("%Y-%m-%dT%H:%M"))
    form.get_by_label("Narrative").fill(
        "Severe nausea for four hours after the infusion; vomited twice. Ondansetron 4 mg given, settling."
    )
    form.get_by_role("button", name="Record adverse event").click()

    page.wait_for_url(re.compile(rf"{re.escape(server)}/console/adverse-events/[0-9a-f-]{{36}}$"))
    page.get_by_text("Adverse event recorded.").wait_for()
    assert page.locator("h1#event-term").inner_text().startswith("Nausea")
    assert "Grade 3 · Severe" in page.locator(".badges").inner_text()
    assert "Not serious" in page.locator("#regulatory").inner_text()
    assert "Created (version 1) by " + clinic_scene["nurse"].name in page.locator("#event-history").inner_text()
    assert page.get_by_role("link", name="FHIR R4 AdverseEvent (JSON)").is_visible()
    shot(page, "adverse-event.png")

    db.session.expire_all()  # the server's threads wrote it, not this session
    (event,) = db.session.scalars(select(AdverseEvent)).all()
    latest = db.session.scalars(select(Infusion).where(Infusion.patient_id == flag.patient_id)).all()
    assert event.flag_id == flag.id and event.patient_id == clinic_scene["patient"].id
    assert event.infusion_id == max(latest, key=lambda i: i.started_at).id and event.infusion_route == "iv"
    assert page.url.endswith(str(event.id))

    page.get_by_role("link", name="← The flag it was recorded from").click()
    page.wait_for_url(f"{server}/console/flags/{flag.id}")
    assert "Nausea, grade 3" in page.locator("#adverse-events-recorded").inner_text()


def test_queue_refreshes_itself_and_keeps_its_filters(app, server, page, clinic_scene, world):
    app.config["CONSOLE_QUEUE_REFRESH_SECONDS"] = 1
    try:
        sign_in(page, server, clinic_scene["nurse"].email)
        page.goto(f"{server}/console/queue?priority=critical")
        assert page.locator("#queue-rows tr").count() == 1
        olive = db.session.get(Patient, world.other_patient.principal.patient_id)
        new = make_flag(
            olive,
            priority=Priority.CRITICAL,
            rule="suicidal-ideation",
            reason="Suicidal thoughts.",
            due_in=timedelta(minutes=2),
        )
        make_flag(olive, priority=Priority.HIGH, rule="mood-dip", reason="Mood dip.", due_in=timedelta(minutes=1))
        page.locator(f'#queue-rows tr[data-flag-id="{new.id}"]').wait_for(timeout=10_000)
        assert page.locator("#queue-rows tr").count() == 2  # the high flag stays filtered out
        assert page.url.endswith("/console/queue?priority=critical")
        page.wait_for_function("document.title.startsWith('(2 critical)')", timeout=5_000)
    finally:
        app.config["CONSOLE_QUEUE_REFRESH_SECONDS"] = 30


def test_tablet_width_has_no_sideways_scrolling_and_every_field_is_labelled(browser, server, clinic_scene):
    context = browser.new_context(viewport={"width": 768, "height": 1024})
    tab = context.new_page()
    try:
        sign_in(tab, server, clinic_scene["admin"].email)
        event = _adverse_event(clinic_scene["high"], clinic_scene["nurse"])
        for path in (
            "/console/queue",
            f"/console/flags/{clinic_scene['critical'].id}",
            f"/console/patients/{clinic_scene['patient'].id}",
            f"/console/adverse-events/{event.id}",
            "/console/admin/staff",
            "/console/admin/settings",
            "/console/admin/audit",
        ):
            tab.goto(server + path)
            width = tab.evaluate("document.documentElement.scrollWidth")
            assert width <= 768, f"{path} scrolls sideways at 768 px ({width} px wide)"
            unlabelled = tab.evaluate(
                """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
                    .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
                    .map(el => el.name || el.id)"""
            )
            assert unlabelled == [], f"{path}: fields without a label: {unlabelled}"
        tab.goto(server + "/console/queue")
        shot(tab, "queue-768.png")
    finally:
        context.close()


def test_keyboard_alone_signs_in_and_opens_the_first_flag(browser, server, clinic_scene):
    context = browser.new_context(viewport={"width": 1024, "height": 800})
    tab = context.new_page()
    try:
        tab.goto(f"{server}/console/")
        # The email field takes focus by itself (autofocus); wait for that before typing, as a person would.
        tab.wait_for_function("document.activeElement && document.activeElement.id === 'email'")
        tab.keyboard.type(clinic_scene["nurse"].email)
        tab.keyboard.press("Tab")
        tab.keyboard.type(factories.PASSWORD)
        tab.keyboard.press("Enter")
        tab.wait_for_url(f"{server}/console/queue")
        tab.keyboard.press("Tab")
        assert tab.evaluate("document.activeElement.textContent") == "Skip to content"
        tab.keyboard.press("Enter")
        for _ in range(30):  # tab through the filters to the first flag's link
            tab.keyboard.press("Tab")
            if tab.evaluate("document.activeElement.classList.contains('flag-link')"):
                break
        tab.keyboard.press("Enter")
        tab.wait_for_url(f"{server}/console/flags/{clinic_scene['critical'].id}")
    finally:
        context.close()


def test_physician_opens_the_3500_layout_and_downloads_the_e2b_message_from_the_event(
    server, page, clinic_scene, world
):
    from lxml import etree

    factories.give_e2b_sender(world.clinic)
    physician = factories.make_clinician(world.clinic, Role.PHYSICIAN, email="pia@north.test")
    event = _adverse_event(clinic_scene["high"], physician)
    sign_in(page, server, physician.email)
    page.goto(f"{server}/console/adverse-events/{event.id}")
    page.get_by_role("link", name="MedWatch Form 3500 layout").click()
    page.wait_for_url(f"{server}/console/adverse-events/{event.id}/medwatch")
    for section in (
        "A. Patient information",
        "B. Adverse event, product problem",
        "D. Suspect products",
        "G. Reporter",
    ):
        assert page.get_by_role("heading", name=section).is_visible()
    assert "Hospitalization (initial or prolonged)" in page.locator("#section-B").inner_text()
    assert "Ketamine" in page.locator("#section-D").inner_text()
    assert "Yes" in page.locator("#section-D").inner_text()  # infusion stopped, recovered: the event abated
    assert "D6 Lot #" in page.locator("#medwatch-missing").inner_text()
    shot(page, "adverse-event-medwatch.png")

    page.get_by_role("link", name="← The adverse event").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="E2B(R3) ICSR for FDA (XML)").click()
    root = etree.parse(download.value.path()).getroot()
    assert root.tag == "{urn:hl7-org:v3}MCCI_IN200100UV01"
    assert download.value.suggested_filename == f"adverse-event_{event.id}_e2b.xml"


def test_admin_filters_the_adverse_event_list_and_marks_one_submitted(server, page, clinic_scene, world):
    event = _adverse_event(clinic_scene["high"], clinic_scene["nurse"])
    sign_in(page, server, clinic_scene["admin"].email)
    page.get_by_role("link", name="Adverse events").click()
    page.wait_for_url(f"{server}/console/adverse-events")
    page.get_by_label("Serious", exact=True).select_option("yes")
    page.get_by_label("CTCAE term").select_option("Hypertension")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r".*serious=yes.*term=Hypertension.*"))
    assert "Hypertension" in page.locator("#ae-list").inner_text()
    assert page.locator("#list-export input[name=serious]").get_attribute("value") == "yes"
    shot(page, "adverse-events-list.png")

    page.get_by_role("link", name="Hypertension").click()
    page.wait_for_url(f"{server}/console/adverse-events/{event.id}")
    # The clinic became aware when it was recorded (just now): the next whole minute is after that, within skew.
    at = (now_utc() + timedelta(minutes=1)).astimezone(ZoneInfo(world.clinic.time_zone))
    page.get_by_label("Submitted (clinic time)").fill(at.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Regulator's reference").fill("FDA-2026-0042")
    page.get_by_role("button", name="Record submission").click()
    page.get_by_text("Submission to the regulator recorded.").wait_for()
    assert "FDA-2026-0042" in page.locator("#regulatory").inner_text()
