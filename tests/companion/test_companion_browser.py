"""The patients' companion app in a real browser (Debian's chromium via Playwright) against the served app.

Phone (390x844) and tablet (768 px) sizes: pair with the clinic's code, report and see the triage answer; a crisis
report shows the crisis contacts first; offline reports wait on the phone and reach the service once each, in order,
after a reload; Spanish; axe-core finds no serious or critical violation on any screen. Screenshots in tests/artifacts/.
"""

from __future__ import annotations

import os
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from service.clock import now_utc
from service.domain import auth
from service.enums import Language
from service.extensions import db
from service.models import Patient, Report
from tests.browser import ARGS, ARTIFACTS, AXE, CHROMIUM
from tests.live_server import served

SIZES = {"phone": {"width": 390, "height": 844}, "tablet": {"width": 768, "height": 1024}}

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's chromium at /usr/bin/chromium"),
]


@pytest.fixture(scope="module")
def server(app):
    with served(app) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(params=list(SIZES))
def size(request):
    return request.param


def open_page(browser, size, *, locale="en-US", bypass_csp=False):
    context = browser.new_context(viewport=SIZES[size], locale=locale, bypass_csp=bypass_csp)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console",
        lambda message: (
            errors.append(message.text)
            if message.type == "error" and not message.text.startswith("Failed to load resource")
            else None
        ),
    )
    return context, page, errors


def enrollment_code(patient: Patient) -> str:
    code, _ = auth.issue_enrollment_code(db.session, patient=patient, actor=None, ttl=timedelta(hours=1), now=now_utc())
    db.session.commit()
    return code


def stored(patient: Patient) -> list[Report]:
    db.session.expire_all()
    return list(db.session.scalars(select(Report).where(Report.patient_id == patient.id).order_by(Report.received_at)))


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"companion-{name}.png"), full_page=True)


def axe_clean(page, name: str) -> None:
    """No serious or critical axe-core violation on the screen shown."""
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(
        "async () => (await axe.run(document)).violations"
        ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
        ".map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))"
    )
    assert violations == [], f"{name}: {violations}"


def pair(page, server: str, code: str) -> None:
    page.goto(f"{server}/app/#code={code}")
    page.wait_for_selector("#screen-pair:not([hidden])")
    assert page.input_value("#pair-code") == code
    assert code not in page.url  # read from the fragment, then dropped from the address bar and history
    page.click("#pair-form button[type=submit]")
    page.wait_for_selector("#screen-report:not([hidden]) #sym-nausea")


def fill_report(page, *, symptom: str | None = None, severity: int = 3, suicidal: bool = False, note=None) -> None:
    if symptom:
        page.check(f"#sym-{symptom}")
        page.check(f"input[name='sev-{symptom}'][value='{severity}']")
    page.check("input[name=mood][value='5']")
    page.check(f"input[name=suicidal][value='{'yes' if suicidal else 'no'}']")
    if note:
        page.fill("#note", note)
    page.click("#report-form button[type=submit]")
    page.wait_for_selector("#screen-answer:not([hidden])")


def test_pair_report_and_see_the_answer(world, server, browser, size):
    patient = db.session.get(Patient, world.patient.principal.patient_id)
    context, page, errors = open_page(browser, size)
    try:
        pair(page, server, enrollment_code(patient))
        # Symptoms come from GET /symptoms with the PRO-CTCAE words.
        assert "Nausea" in page.inner_text("label[for=sym-nausea]")
        page.check("#sym-nausea")
        assert page.is_visible("input[name='sev-nausea'][value='4']")
        assert "Very severe" in page.inner_text("#sev-nausea")
        page.uncheck("#sym-nausea")
        fill_report(page, symptom="nausea", severity=3)
        assert page.inner_text("#answer-message").strip()
        assert page.is_hidden("#crisis")
        shot(page, f"answer-{size}")
        reports = stored(patient)
        assert len(reports) == 1 and reports[0].suicidal_thoughts is False
        # History lists it; once a clinician reviews it the patient is told.
        page.click("#nav-history")
        page.wait_for_selector("#history-list li[data-report]")
        assert "Not reviewed yet" in page.inner_text("#history-list")
        reports[0].reviewed_at = now_utc()
        db.session.commit()
        page.click("#nav-report")
        page.click("#nav-history")
        page.wait_for_selector("#history-list .seen")
        assert "Your care team saw this" in page.inner_text("#history-list")
        shot(page, f"history-{size}")
    finally:
        context.close()
    assert not errors, errors


def test_a_crisis_report_shows_the_resources_first_then_the_safety_screen(world, server, browser, size):
    patient = db.session.get(Patient, world.patient.principal.patient_id)
    context, page, errors = open_page(browser, size)
    try:
        pair(page, server, enrollment_code(patient))
        fill_report(page, suicidal=True)
        page.wait_for_selector("#crisis:not([hidden])")
        crisis_top = page.locator("#crisis").bounding_box()["y"]
        assert crisis_top < page.locator("#answer-message").bounding_box()["y"]
        assert page.locator("#crisis-list a[href='tel:988']").count() == 1
        assert page.locator("#crisis-list a[href='sms:988']").count() == 1
        assert page.evaluate("() => document.activeElement.id") == "crisis-title"
        shot(page, f"crisis-{size}")
        # The safety screen the answer offered: a follow-up appears only after a yes.
        page.wait_for_selector("#screen-offer:not([hidden])")
        assert page.locator("fieldset[data-key=method]").is_hidden()
        page.check("input[name='q-wish_dead'][value='no']")
        page.check("input[name='q-suicidal_thoughts'][value='no']")
        page.check("input[name='q-behavior'][value='no']")
        page.click("#safety-form button[type=submit]")
        page.wait_for_selector("#safety-result:not([hidden])")
        assert page.inner_text("#safety-result").strip()
        report = stored(patient)[0]
        assert report.suicidal_thoughts is True
    finally:
        context.close()
    assert not errors, errors


def test_offline_reports_wait_on_the_phone_and_arrive_once_in_order(world, server, browser, size):
    patient = db.session.get(Patient, world.patient.principal.patient_id)
    context, page, errors = open_page(browser, size)
    try:
        pair(page, server, enrollment_code(patient))
        page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
        page.wait_for_function("() => navigator.serviceWorker.controller !== null")
        context.set_offline(True)
        fill_report(page, symptom="headache", note="first, offline")
        assert "saved on this phone" in page.inner_text("#answer-message")
        page.click("#answer-done")
        fill_report(page, suicidal=True, note="second, offline")
        # Critical while offline: the kept crisis contacts, and plain words that the clinic has not got it yet.
        assert page.is_visible("#offline-crisis")
        assert page.locator("#crisis-list a[href='tel:988']").count() == 1
        page.wait_for_function("() => document.getElementById('status').textContent.includes('2 reports are waiting')")
        shot(page, f"offline-crisis-{size}")
        assert stored(patient) == []
        # A reload while still offline: the service worker opens the app, the queue is still there.
        page.reload()
        page.wait_for_selector("#screen-report:not([hidden]) #sym-nausea")
        page.wait_for_function("() => document.getElementById('status').textContent.includes('2 reports are waiting')")
        assert stored(patient) == []
        context.set_offline(False)
        page.wait_for_function(
            "() => document.getElementById('status').textContent.includes('were sent')", timeout=40000
        )
        reports = stored(patient)
        assert [r.note for r in reports] == ["first, offline", "second, offline"]
        # Another reload sends nothing again.
        page.reload()
        page.wait_for_selector("#screen-report:not([hidden])")
        time.sleep(1)
        assert len(stored(patient)) == 2
        assert (
            page.evaluate(
                "() => new Promise(r => { const q = indexedDB.open('aftercare'); q.onsuccess = () => {"
                " const s = q.result.transaction('outbox').objectStore('outbox').count();"
                " s.onsuccess = () => r(s.result); }; })"
            )
            == 0
        )
    finally:
        context.close()
    assert not errors, errors


def test_a_report_the_service_refuses_leaves_the_queue_but_stays_on_the_phone_until_the_patient_removes_it(
    world, server, browser
):
    patient = db.session.get(Patient, world.patient.principal.patient_id)
    context, page, errors = open_page(browser, "phone", bypass_csp=True)  # for axe-core
    try:
        pair(page, server, enrollment_code(patient))
        page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
        page.wait_for_function("() => navigator.serviceWorker.controller !== null")
        context.set_offline(True)
        fill_report(page, symptom="headache", note="refused one")
        page.click("#answer-done")
        fill_report(page, symptom="nausea", note="accepted one")
        # The first saved report goes bad on the phone (severity 9): the service will refuse it, item by item.
        page.evaluate(
            "() => new Promise(r => { const q = indexedDB.open('aftercare'); q.onsuccess = () => {"
            " const tx = q.result.transaction('outbox', 'readwrite'); const s = tx.objectStore('outbox');"
            " s.getAll().onsuccess = (e) => { const item = e.target.result[0]; item.report.symptoms[0].severity = 9;"
            " s.put(item); }; tx.oncomplete = () => r(true); }; })"
        )
        context.set_offline(False)
        page.wait_for_function(
            "() => document.getElementById('status').textContent.includes('1 report was not accepted')", timeout=40000
        )
        assert [r.note for r in stored(patient)] == ["accepted one"]
        assert "waiting" not in page.inner_text("#status")  # out of the queue: it is not resent for ever
        # A reload resends nothing and still says so; the history shows what was refused and what to do.
        page.reload()
        page.wait_for_function(
            "() => document.getElementById('status').textContent.includes('1 report was not accepted')"
        )
        page.click("#nav-history")
        refused = page.locator("#history-list li.refused")
        refused.wait_for()
        assert "refused one" in refused.inner_text() and "call your clinic" in refused.inner_text()
        assert len(stored(patient)) == 1
        axe_clean(page, "history with a refused report")
        shot(page, "refused-history")
        refused.get_by_role("button", name="Remove from this phone").click()
        page.wait_for_function("() => !document.querySelector('#history-list li.refused')")
        page.wait_for_function("() => !document.getElementById('status').textContent.includes('not accepted')")
        assert page.evaluate("() => localStorage.getItem('aftercare.refused')") == "[]"
    finally:
        context.close()
    assert not errors, errors


def test_spanish_from_the_phone_and_from_the_patient_setting(world, server, browser):
    patient = db.session.get(Patient, world.patient.principal.patient_id)
    patient.language = Language.ES
    db.session.commit()
    context, page, errors = open_page(browser, "phone", locale="es-MX")
    try:
        page.goto(f"{server}/app/")
        page.wait_for_selector("#screen-pair:not([hidden])")
        assert page.inner_text("#pair-title") == "Conéctese con su clínica"
        assert page.get_attribute("html", "lang") == "es"
        code = enrollment_code(patient)
        page.fill("#pair-code", code)
        page.click("#pair-form button[type=submit]")
        page.wait_for_selector("#screen-report:not([hidden]) #sym-nausea")
        assert "Náuseas" in page.inner_text("label[for=sym-nausea]")
        page.check("#sym-nausea")
        assert "Muy grave" in page.inner_text("#sev-nausea")
        page.uncheck("#sym-nausea")
        fill_report(page, suicidal=True)
        assert page.inner_text("#crisis-title") == "No está solo. Hay ayuda ahora mismo."
        assert "988" in page.inner_text("#crisis-list")
        shot(page, "spanish-crisis")
    finally:
        context.close()
    assert not errors, errors


def test_every_screen_passes_axe(world, server, browser, size):
    patient = db.session.get(Patient, world.patient.principal.patient_id)
    context, page, _ = open_page(browser, size, bypass_csp=True)
    try:
        page.goto(f"{server}/app/#code=ABCD")
        page.wait_for_selector("#screen-pair:not([hidden])")
        axe_clean(page, "pair")
        shot(page, f"pair-{size}")
        pair(page, server, enrollment_code(patient))
        page.check("#sym-nausea")
        axe_clean(page, "report")
        shot(page, f"report-{size}")
        page.uncheck("#sym-nausea")
        fill_report(page, suicidal=True)
        page.check("input[name='q-suicidal_thoughts'][value='yes']")
        axe_clean(page, "answer with crisis and safety screen")
        page.click("#nav-history")
        page.wait_for_selector("#history-list li[data-report]")
        axe_clean(page, "history")
        page.click("#nav-help")
        page.wait_for_selector("#screen-help:not([hidden]) a[href='tel:911']")
        axe_clean(page, "help")
        shot(page, f"help-{size}")
        context.set_offline(True)
        page.click("#nav-report")
        fill_report(page, suicidal=True)
        axe_clean(page, "offline crisis")
    finally:
        context.close()


def test_a_due_checkin_opens_a_report_that_answers_it(world, server, browser):
    from service.models import Checkin, Clinician
    from tests.web.conftest import make_infusion

    patient = db.session.get(Patient, world.patient.principal.patient_id)
    nurse = db.session.get(Clinician, world.nurse.principal.id)
    make_infusion(patient, nurse, days_ago=0.5)
    due = [
        c for c in db.session.scalars(select(Checkin).where(Checkin.patient_id == patient.id)) if c.due_at <= now_utc()
    ]
    assert due, "an infusion 12 h ago has its 2 h check-in due"
    context, page, errors = open_page(browser, "phone")
    try:
        pair(page, server, enrollment_code(patient))
        page.click("#nav-history")
        page.wait_for_selector("#checkins .checkin button")
        page.click("#checkins .checkin button")
        page.wait_for_selector("#screen-report:not([hidden]) #checkin-note:not([hidden])")
        fill_report(page, symptom="dizziness", severity=1)
        reports = stored(patient)
        assert len(reports) == 1 and reports[0].checkin_id in {c.id for c in due}
    finally:
        context.close()
    assert not errors, errors


def test_the_quarterly_long_term_check_in_asks_its_questions_and_a_yes_reaches_misuse_signal(
    app, world, server, browser
):
    """A maintenance patient's long-term check-in: the six questions in the report form (each answered on its own,
    a symptom also ticked in the list is sent once, with the question's answer), one report with the check-in."""
    from datetime import time as clock_time

    from service.domain.infusions import record_infusion
    from service.models import Checkin, Flag, ReportSymptom
    from tests.jobkit import job_context, run

    patient = db.session.get(Patient, world.patient.principal.patient_id)
    patient.quiet_hours_start = patient.quiet_hours_end = clock_time(0, 0)  # any hour of the test run
    ended = now_utc() - timedelta(days=91)
    record_infusion(
        db.session,
        patient=patient,
        actor=None,
        values={"started_at": ended - timedelta(hours=1), "ended_at": ended, "route": "iv", "phase": "maintenance"},
        now=now_utc(),
    )
    db.session.commit()
    run(job_context(app), now_utc(), "schedule_long_term", "send_checkins")
    [checkin] = db.session.scalars(select(Checkin).where(Checkin.patient_id == patient.id)).all()
    assert checkin.kind == "long_term" and checkin.status == "sent"
    context, page, errors = open_page(browser, "phone", bypass_csp=True)  # axe-core is injected
    try:
        pair(page, server, enrollment_code(patient))
        page.click("#nav-history")
        page.wait_for_selector("#checkins .checkin button")
        page.click("#checkins .checkin button")
        page.wait_for_selector("#screen-report:not([hidden]) fieldset.long-term")
        assert page.text_content("#checkin-note") == "You are answering your check-in of every three months."
        assert page.locator("fieldset.long-term > fieldset").count() == 6
        shot(page, "long-term-check-in")
        axe_clean(page, "long-term check-in")
        page.check("#sym-bladder_pain")  # ticked in the list too: the question's answer is the one sent
        for code, value in (
            ("urinary_frequency", "2"),
            ("urinary_urgency", "1"),
            ("bladder_pain", "0"),
            ("memory_problems", "0"),
            ("craving", "0"),
            ("ketamine_outside_clinic", "yes"),
        ):
            page.check(f"input[name='lt-{code}'][value='{value}']")
        fill_report(page)
        [report] = stored(patient)
        assert report.checkin_id == checkin.id and report.ketamine_outside_clinic is True
        sent = db.session.scalars(select(ReportSymptom).where(ReportSymptom.report_id == report.id))
        severities = {s.code: s.severity for s in sent}
        assert severities == {
            "urinary_frequency": 2,
            "urinary_urgency": 1,
            "bladder_pain": 0,
            "memory_problems": 0,
            "craving": 0,
        }
        rules = set(db.session.scalars(select(Flag.rule).where(Flag.patient_id == patient.id)))
        assert rules == {"misuse-signal", "persistent-symptom"}  # outside use; frequency 2, 91 days on
    finally:
        context.close()
    assert not errors, errors
