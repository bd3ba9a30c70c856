"""End to end in a real browser: Debian's chromium, headless, driven by Playwright, against the app on loopback.

Skips only when /usr/bin/chromium is missing (CI installs it: see .ci/run). Screenshots of the
queue, a flag and a patient chart are saved under tests/artifacts/ for a person to look at.
"""

from __future__ import annotations

import json
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
from tests.browser import ARGS, ARTIFACTS, AXE, CHROMIUM, overlapping_labels
from tests.live_server import served
from tests.web.conftest import make_flag, make_infusion

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
    settle_and_close(context)
    assert not errors, f"the page logged errors: {errors}"


def settle_and_close(context) -> None:
    """Close a browser context once its pages have no request in flight (a request cut off mid-answer
    leaves the server's file handle to the garbage collector, and the warning fails a later test)."""
    from playwright.sync_api import TimeoutError as Unsettled

    for tab in context.pages:
        try:
            tab.wait_for_load_state("networkidle", timeout=5_000)
        except Unsettled:  # a page that never settles is closed anyway
            pass
    context.close()


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
    rows = page.locator("#queue-rows tr.case")
    assert rows.count() == 2  # one row per patient
    first = rows.nth(0)
    assert first.get_attribute("data-lead-flag-id") == str(clinic_scene["critical"].id)
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
    ids = page.locator("#queue-rows li.case-flag").evaluate_all("rows => rows.map(r => r.dataset.flagId)")
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
    assert chart.locator("g.phq9-response").count() == 1 and chart.locator("g.phq9-remission").count() == 1
    assert overlapping_labels(chart) == []
    assert overlapping_labels(page.locator("svg.exposure-chart")) == []
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
        assert page.locator("#queue-rows li.case-flag").count() == 1
        olive = db.session.get(Patient, world.other_patient.principal.patient_id)
        new = make_flag(
            olive,
            priority=Priority.CRITICAL,
            rule="suicidal-ideation",
            reason="Suicidal thoughts.",
            due_in=timedelta(minutes=2),
        )
        make_flag(olive, priority=Priority.HIGH, rule="mood-dip", reason="Mood dip.", due_in=timedelta(minutes=1))
        page.locator(f'#queue-rows li[data-flag-id="{new.id}"]').wait_for(timeout=10_000)
        assert page.locator("#queue-rows li.case-flag").count() == 2  # the high flag stays filtered out
        assert page.locator("#queue-rows tr.case").count() == 1  # both criticals are Olive's: one row
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


# --- accessibility: axe-core, the keyboard alone, what a screen reader is told ------------------------------

ANNOUNCER = "#announcer"


def axe_violations(tab) -> list[dict]:
    """Serious and critical axe-core violations on the page as it stands (axe injected from clients/)."""
    assert AXE.exists(), "axe-core is missing: run `npm ci` in clients/ (see .ci/run)"
    tab.add_script_tag(path=str(AXE))
    result = tab.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def focus_key(tab) -> str | None:
    return tab.evaluate("() => document.activeElement && document.activeElement.dataset.focusKey || null")


def tab_to(tab, key: str, *, limit: int = 40) -> None:
    """Press Tab until the element with this data-focus-key has focus (the keyboard alone)."""
    for _ in range(limit):
        tab.keyboard.press("Tab")
        if focus_key(tab) == key:
            return
    raise AssertionError(f"Tab never reached {key}")


def rgb(css: str) -> str:
    """'rgb(230, 97, 1)' → '#e66101'."""
    r, g, b = (int(part) for part in re.findall(r"\d+", css)[:3])
    return f"#{r:02x}{g:02x}{b:02x}"


def test_axe_finds_nothing_serious_on_the_queue_a_flag_and_a_patient(browser, server, clinic_scene):
    # The scan script is injected into pages whose CSP allows only the console's own scripts.
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    tab = context.new_page()
    try:
        sign_in(tab, server, clinic_scene["nurse"].email)
        pages = {
            "queue": "/console/queue",
            "flag": f"/console/flags/{clinic_scene['critical'].id}",
            "patient": f"/console/patients/{clinic_scene['patient'].id}",
        }
        found = {}
        for name, path in pages.items():
            tab.goto(server + path)
            found[name] = axe_violations(tab)
            shot(tab, f"axe-{name}.png")
        assert found == {"queue": [], "flag": [], "patient": []}
        version = tab.evaluate("() => axe.version")
        assert version == json.loads((AXE.parents[2] / "package.json").read_text())["devDependencies"]["axe-core"]
    finally:
        settle_and_close(context)


def test_keyboard_only_focus_stays_on_the_flag_across_refreshes_and_changes_are_announced(
    app, browser, server, clinic_scene, world
):
    app.config["CONSOLE_QUEUE_REFRESH_SECONDS"] = 1
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    try:
        sign_in(tab, server, clinic_scene["nurse"].email)
        high = clinic_scene["high"]
        assert tab.locator(ANNOUNCER).get_attribute("role") == "status"
        assert tab.locator(ANNOUNCER).get_attribute("aria-live") == "polite"
        tab_to(tab, f"flag:{high.id}")
        tab.evaluate("() => { window.focusedBefore = document.activeElement; }")
        # A new flag for another patient: Olive's row is redrawn, the count changes, focus stays put (Pat's
        # row did not change, so the very element that had focus is still there, untouched).
        olive = db.session.get(Patient, world.other_patient.principal.patient_id)
        new = make_flag(olive, priority=Priority.HIGH, rule="mood-dip", reason="Mood dip.", due_in=timedelta(hours=1))
        tab.locator(f'#queue-rows li[data-flag-id="{new.id}"]').wait_for(timeout=10_000)
        tab.wait_for_function(
            "() => document.querySelector('#announcer').textContent.includes('3 open flags')", timeout=5_000
        )
        assert tab.locator(ANNOUNCER).inner_text() == "Queue updated: 2 patients with 3 open flags, 1 critical."
        assert focus_key(tab) == f"flag:{high.id}"
        assert tab.evaluate("() => window.focusedBefore === document.activeElement")
        shot(tab, "queue-focus-kept.png")
        # Another refresh with nothing new keeps focus too; Enter opens the very flag that kept it.
        tab.wait_for_timeout(2_200)
        assert focus_key(tab) == f"flag:{high.id}"
        # Someone resolves that flag elsewhere (Pat's only one, so Pat's row goes): focus moves to the row that
        # took its place, and the page says why.
        db.session.execute(
            Flag.__table__.update()
            .where(Flag.id == high.id)
            .values(status="resolved", resolution="contacted_patient", resolved_at=now_utc())
        )
        db.session.commit()
        tab.wait_for_function(
            "() => document.querySelector('#announcer').textContent.includes('left the queue')", timeout=10_000
        )
        assert focus_key(tab) == f"patient:{olive.id}"
        assert tab.locator(ANNOUNCER).inner_text() == (
            "The flag you were on has left the queue. Queue updated: 1 patient with 2 open flags, 1 critical."
        )
    finally:
        app.config["CONSOLE_QUEUE_REFRESH_SECONDS"] = 30
        settle_and_close(context)


def test_keyboard_opens_a_flag_after_a_refresh(app, browser, server, clinic_scene, world):
    app.config["CONSOLE_QUEUE_REFRESH_SECONDS"] = 1
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    try:
        sign_in(tab, server, clinic_scene["nurse"].email)
        high = clinic_scene["high"]
        tab_to(tab, f"flag:{high.id}")
        olive = db.session.get(Patient, world.other_patient.principal.patient_id)
        make_flag(olive, priority=Priority.MEDIUM, rule="misuse-signal", reason="Craving.", due_in=timedelta(hours=5))
        tab.wait_for_function("() => document.querySelectorAll('#queue-rows li.case-flag').length === 3")
        tab.keyboard.press("Enter")
        tab.wait_for_url(f"{server}/console/flags/{high.id}")
    finally:
        app.config["CONSOLE_QUEUE_REFRESH_SECONDS"] = 30
        settle_and_close(context)


def test_a_user_can_pause_the_refresh(app, browser, server, clinic_scene, world):
    app.config["CONSOLE_QUEUE_REFRESH_SECONDS"] = 1
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    try:
        sign_in(tab, server, clinic_scene["nurse"].email)
        toggle = tab.get_by_role("button", name="Pause auto-refresh")
        assert toggle.get_attribute("aria-pressed") == "false"
        toggle.focus()
        tab.keyboard.press("Space")
        assert toggle.get_attribute("aria-pressed") == "true"
        tab.wait_for_function("() => document.querySelector('#announcer').textContent === 'Auto-refresh paused.'")
        olive = db.session.get(Patient, world.other_patient.principal.patient_id)
        new = make_flag(olive, priority=Priority.HIGH, rule="mood-dip", reason="Mood dip.", due_in=timedelta(hours=1))
        tab.wait_for_timeout(2_500)  # more than two refresh periods
        assert tab.locator(f'#queue-rows li[data-flag-id="{new.id}"]').count() == 0
        assert "paused" in tab.locator("#refresh-note").inner_text()
        tab.reload()  # the choice lasts for the tab's session
        assert tab.get_by_role("button", name="Pause auto-refresh").get_attribute("aria-pressed") == "true"
        tab.get_by_role("button", name="Pause auto-refresh").click()
        tab.locator(f'#queue-rows li[data-flag-id="{new.id}"]').wait_for(timeout=5_000)
    finally:
        app.config["CONSOLE_QUEUE_REFRESH_SECONDS"] = 30
        settle_and_close(context)


def test_acknowledge_is_announced_on_the_flag_page_and_from_the_queue(page, server, clinic_scene):
    sign_in(page, server, clinic_scene["nurse"].email)
    critical, high = clinic_scene["critical"], clinic_scene["high"]
    page.goto(f"{server}/console/flags/{critical.id}")
    page.get_by_role("button", name="Acknowledge").focus()
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelector('#announcer').textContent.startsWith('Acknowledged.')")
    assert page.locator(ANNOUNCER).inner_text() == (
        "Acknowledged. The flag is yours; the patient's reports show as reviewed."
    )
    # From the queue: the flag's own Acknowledge, back to the queue at that flag, the confirmation read out.
    page.goto(f"{server}/console/queue")
    tab_to(page, f"ack:{high.id}")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{server}/console/queue#flag-{high.id}")
    page.wait_for_function("() => document.querySelector('#announcer').textContent.startsWith('Acknowledged.')")
    assert focus_key(page) == f"flag:{high.id}"
    assert page.locator(f'#queue-rows li[data-flag-id="{high.id}"] button').count() == 0
    shot(page, "queue-after-acknowledge.png")


def test_contrast_of_the_high_badge_and_the_focus_ring_as_the_browser_draws_them(page, server, clinic_scene):
    from tests.web.test_contrast import contrast

    sign_in(page, server, clinic_scene["nurse"].email)
    badge = page.locator("#queue-rows .badge.prio-high").first
    colours = badge.evaluate("el => [getComputedStyle(el).color, getComputedStyle(el).backgroundColor]")
    assert contrast(rgb(colours[0]), rgb(colours[1])) >= 4.5, colours
    tab_to(page, f"flag:{clinic_scene['high'].id}")
    ring = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineColor, s.outlineStyle, s.outlineWidth]; }"
    )
    assert ring[1] == "solid" and ring[2] == "3px"
    background = page.evaluate("() => getComputedStyle(document.querySelector('table.queue')).backgroundColor")
    assert contrast(rgb(ring[0]), rgb(background)) >= 3.0, (ring, background)
    assert contrast(rgb(ring[0]), "#ffffff") >= 3.0


def test_no_flag_triangle_is_cut_off_at_the_right_edge(page, server, clinic_scene):
    patient = clinic_scene["patient"]
    for rule, priority in (
        ("mood-dip", Priority.HIGH),
        ("misuse-signal", Priority.MEDIUM),
        ("worsening", Priority.MEDIUM),
    ):
        make_flag(patient, priority=priority, rule=rule, reason=f"{rule} now.", due_in=timedelta(hours=4), report=False)
    sign_in(page, server, clinic_scene["nurse"].email)
    page.goto(f"{server}/console/patients/{patient.id}")
    chart = page.locator("svg.course-chart")
    chart.wait_for()
    assert chart.get_attribute("role") == "group"
    width = chart.evaluate("svg => svg.viewBox.baseVal.width")
    rights = chart.locator("a.chart-flag polygon").evaluate_all(
        "polys => polys.map(p => { const b = p.getBBox(); return b.x + b.width; })"
    )
    assert len(rights) >= 4 and max(rights) <= width - 1, (rights, width)
    chart.scroll_into_view_if_needed()
    shot(page, "patient-chart-flags-now.png")


def test_nurse_screens_before_an_infusion_and_a_high_blood_pressure_is_held(server, page, world):
    """The screening form on the patient page: 152/94 is "hold: re-check"; proceeding needs a reason."""
    nurse = factories.make_clinician(world.clinic, Role.NURSE, email="sam.screen@north.test")
    patient = db.session.get(Patient, world.patient.principal.patient_id)
    infusion = make_infusion(patient, nurse, days_ago=0.05)
    sign_in(page, server, nurse.email)
    page.goto(f"{server}/console/patients/{patient.id}")
    form = page.locator("#screening-form")
    assert "Not screened" in form.locator("#screening-status").inner_text()
    form.get_by_label("Systolic").fill("152")
    form.get_by_label("Diastolic").fill("94")
    form.get_by_label("Heart rate").fill("74")
    form.get_by_label("Weight (kg)").fill("71.5")
    form.get_by_role("button", name="Record screening").click()
    page.wait_for_url(f"{server}/console/patients/{patient.id}")
    form = page.locator("#screening-form")
    assert "Hold: re-check" in form.locator("#screening-status").inner_text()
    assert "152/94 is at or above the hold line 140/90" in form.locator("#hold-reasons").inner_text()
    shot(page, "screening-hold.png")

    form.get_by_label("Systolic").fill("146")
    form.get_by_label("Diastolic").fill("92")
    form.get_by_label("Heart rate").fill("72")
    form.get_by_label("Weight (kg)").fill("71.5")
    form.get_by_label("Proceed (give the reason)").check()
    form.get_by_role("button", name="Record re-check").click()
    assert "Give the reason to proceed" in page.locator("#screening-form").inner_text()
    form = page.locator("#screening-form")
    form.get_by_label("Reason", exact=True).fill("Re-checked after 10 min rest; her usual reading.")
    form.get_by_role("button", name="Record re-check").click()
    page.wait_for_url(f"{server}/console/patients/{patient.id}")
    assert "proceeding" in page.locator("#screening-status").inner_text()
    db.session.expire_all()  # the server's threads wrote it, not this session
    assert db.session.get(Infusion, infusion.id).pre_systolic == 146


def test_nurse_records_readings_in_the_chair_and_a_crisis_is_flagged(server, page, world):
    """The visit page: readings drawn as a chart; 190/110 at minute 40 raises hypertensive-crisis."""
    from service.domain import infusions, visits

    nurse = factories.make_clinician(world.clinic, Role.NURSE, email="kim.chair@north.test")
    patient = db.session.get(Patient, world.patient.principal.patient_id)
    now = now_utc()
    started = (now - timedelta(minutes=50)).replace(second=0, microsecond=0)
    infusion = infusions.record_infusion(
        db.session,
        patient=patient,
        actor=nurse,
        values={"started_at": started, "route": "iv", "phase": "induction", "dose_mg": 35.0},
        now=now,
    )
    for minute, (sys_, dia) in ((0, (124, 78)), (15, (132, 84)), (30, (146, 92))):
        visits.record_observation(
            db.session,
            infusion=infusion,
            actor=nurse,
            values={
                "observed_at": started + timedelta(minutes=minute),
                "systolic": sys_,
                "diastolic": dia,
                "heart_rate": 80,
                "spo2": 97,
                "sedation_moass": 5 - minute // 15,
                "dissociation": minute // 15,
            },
            now=now,
        )
    db.session.commit()
    zone = ZoneInfo(world.clinic.time_zone)
    sign_in(page, server, nurse.email)
    page.goto(f"{server}/console/patients/{patient.id}")
    page.locator("#open-visit").click()
    page.wait_for_url(f"{server}/console/infusions/{infusion.id}")
    assert page.locator("#visit-chart svg").get_attribute("data-marks") == "9"
    form = page.locator("#observation-form")
    form.get_by_label("Time (clinic time; empty: now)").fill(
        (started + timedelta(minutes=40)).astimezone(zone).strftime("%Y-%m-%dT%H:%M")
    )
    form.get_by_label("Systolic").fill("190")
    form.get_by_label("Diastolic").fill("110")
    form.get_by_label("Heart rate").fill("96")
    form.get_by_label("Sedation (MOASS").fill("3")
    form.get_by_role("button", name="Record readings").click()
    page.wait_for_url(f"{server}/console/infusions/{infusion.id}")
    assert "flagged: hypertensive-crisis" in page.locator(".flashes").inner_text()
    last = page.locator("#observations tbody tr").last
    assert last.locator("td").first.inner_text() == "40" and "Outside limits" in last.inner_text()
    assert page.locator("#visit-chart svg").get_attribute("data-marks") == "12"
    shot(page, "visit-monitoring.png")
    db.session.expire_all()  # the server's threads wrote it, not this session
    flag = db.session.scalar(select(Flag).where(Flag.rule == "hypertensive-crisis"))
    assert flag.reason.startswith("In the clinic, minute 40 of the visit")


def test_discharge_is_refused_outside_the_limits_until_a_reason_is_given(server, page, world):
    """The visit page's discharge form: a last reading of 168/96 blocks it until the nurse says why."""
    from service.domain import infusions, visits

    nurse = factories.make_clinician(world.clinic, Role.NURSE, email="ana.leave@north.test")
    patient = db.session.get(Patient, world.patient.principal.patient_id)
    now = now_utc()
    started = now - timedelta(hours=3)
    infusion = infusions.record_infusion(
        db.session,
        patient=patient,
        actor=nurse,
        values={
            "started_at": started,
            "ended_at": started + timedelta(minutes=50),
            "route": "iv",
            "phase": "induction",
        },
        now=now,
    )
    visits.record_observation(
        db.session,
        infusion=infusion,
        actor=nurse,
        values={"observed_at": now - timedelta(minutes=10), "systolic": 168, "diastolic": 96, "sedation_moass": 5},
        now=now,
    )
    db.session.commit()
    sign_in(page, server, nurse.email)
    page.goto(f"{server}/console/infusions/{infusion.id}")
    form = page.locator("#discharge-form")
    assert "BP 168/96" in form.locator("#outside-now").inner_text()
    for label in ("Vitals back near", "Alert (MOASS 5)", "Has a ride home", "Told not to drive"):
        form.get_by_label(label).check()
    form.get_by_role("button", name="Record discharge").click()
    form = page.locator("#discharge-form")
    assert "give the reason to discharge anyway" in form.locator("#override_reason-error").inner_text()
    for label in ("Vitals back near", "Alert (MOASS 5)", "Has a ride home", "Told not to drive"):
        form.get_by_label(label).check()
    form.get_by_label("Reason to discharge outside the limits").fill("Her usual reading; physician agreed.")
    form.get_by_role("button", name="Record discharge").click()
    page.wait_for_url(f"{server}/console/infusions/{infusion.id}")
    done = page.locator("#discharge-done")
    assert "Her usual reading" in done.inner_text() and "First check-in due" in done.inner_text()
    shot(page, "visit-discharge.png")


def test_the_monitoring_record_prints_from_the_visit(server, page, world):
    """From the visit page to the printable REMS record of an esketamine session, and its PDF."""
    from service.domain import infusions, visits

    nurse = factories.make_clinician(world.clinic, Role.NURSE, email="lee.rems@north.test")
    patient = db.session.get(Patient, world.patient.principal.patient_id)
    now = now_utc()
    start = now - timedelta(hours=3)
    infusion = infusions.record_infusion(
        db.session,
        patient=patient,
        actor=nurse,
        values={
            "started_at": start,
            "ended_at": start + timedelta(minutes=10),
            "route": "intranasal",
            "phase": "induction",
            "dose_mg": 56.0,
        },
        now=now,
    )
    visits.record_screening(
        db.session,
        infusion=infusion,
        actor=nurse,
        values={
            "systolic": 124,
            "diastolic": 78,
            "heart_rate": 70,
            "weight_kg": 66.0,
            **dict.fromkeys(visits.CHECKLIST, False),
        },
        now=now,
    )
    for minute, values in (
        (0, {"systolic": 124, "diastolic": 78, "sedation_moass": 5, "dissociation": 0}),
        (40, {"systolic": 146, "diastolic": 88, "sedation_moass": 4, "dissociation": 2, "cadss6": 8}),
        (125, {"systolic": 126, "diastolic": 80, "sedation_moass": 5, "dissociation": 0}),
    ):
        visits.record_observation(
            db.session,
            infusion=infusion,
            actor=nurse,
            values={"observed_at": start + timedelta(minutes=minute), **values},
            now=now,
        )
    visits.record_discharge(
        db.session,
        infusion=infusion,
        actor=nurse,
        values={"discharged_at": start + timedelta(minutes=130), **dict.fromkeys(visits.READINESS, True)},
        now=now,
    )
    db.session.commit()
    sign_in(page, server, nurse.email)
    page.goto(f"{server}/console/infusions/{infusion.id}")
    page.locator("#open-record").click()
    page.wait_for_url(f"{server}/console/infusions/{infusion.id}/monitoring-record")
    assert page.locator("#record-complete").inner_text() == "Complete"
    assert page.locator("#requirements tbody tr.met").count() == 6
    shot(page, "monitoring-record.png")
    with page.expect_download() as download:
        page.locator("#record-pdf").click()
    assert download.value.suggested_filename.endswith(".pdf")
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF-")


def test_rule_burden_page_draws_in_the_browser_for_physicians_and_admins(server, page, world):
    from tests.analytics_data import build_rule_history

    build_rule_history(world)
    physician = factories.make_clinician(world.clinic, Role.PHYSICIAN, email="pia@north.test")
    admin = factories.make_clinician(world.clinic, Role.ADMIN, email="alex@north.test")
    db.session.commit()
    for email in (physician.email, admin.email):
        page.context.clear_cookies()
        sign_in(page, server, email)
        page.get_by_role("link", name="Safety").click()
        page.get_by_role("heading", name="Rule burden").wait_for()
        page.get_by_label("From (clinic date)").fill("2026-11-01")
        page.get_by_label("To (clinic date)").fill("2026-11-01")
        page.get_by_role("button", name="Show").click()
        page.wait_for_url(f"{server}/console/analytics/rules?from=2026-11-01&to=2026-11-01")
        chart = page.locator("svg.rule-burden-chart")
        box = chart.bounding_box()
        assert box["width"] > 600 and box["height"] > 200
        assert chart.locator("g.fire-bar").count() >= 2 and chart.locator("g.ack-mark").count() >= 2
        assert chart.locator("g.ack-target").count() == len(page.locator("#burden-table tbody tr").all())
        with page.expect_download() as download:
            page.get_by_role("link", name="Download these figures (CSV)").click()
        assert download.value.suggested_filename == "rule-burden_2026-11-01_2026-11-01.csv"
        assert overlapping_labels(chart) == []
    shot(page, "rule-burden.png")


def test_nurse_has_no_safety_pages(server, page, clinic_scene):
    sign_in(page, server, clinic_scene["nurse"].email)
    assert page.get_by_role("link", name="Safety").count() == 0
    response = page.goto(f"{server}/console/analytics/rules")
    assert response.status == 403
    assert page.get_by_role("heading", name="Not allowed").is_visible()


def test_incidence_forest_plot_draws_in_the_browser(server, page, world):
    from tests.analytics_data import build_incidence_history

    build_incidence_history(world)  # hand-counted in tests/api/test_analytics_incidence.py
    admin = factories.make_clinician(world.clinic, Role.ADMIN, email="alex@north.test")
    db.session.commit()
    sign_in(page, server, admin.email)
    page.get_by_role("link", name="Safety").click()
    page.get_by_role("link", name="Side effects vs literature").click()
    page.get_by_role("heading", name="Side effects against the literature").wait_for()
    page.get_by_label("From (clinic date)").fill("2026-11-01")
    page.get_by_label("To (clinic date)").fill("2026-11-30")
    page.get_by_label("Route").select_option("intranasal")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r".*/console/analytics/incidence\?from=2026-11-01&to=2026-11-30&route=intranasal.*"))
    chart = page.locator("svg.forest-chart")
    box = chart.bounding_box()
    assert box["width"] > 600 and box["height"] > 200
    assert chart.locator("g.forest-reference").count() == 7
    assert chart.locator("g.forest-signal").count() == 1
    assert "Above the reference" in page.locator('#incidence-table tr[data-symptom="hallucinations"]').inner_text()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download these figures (CSV)").click()
    assert download.value.suggested_filename == "incidence_2026-11-01_2026-11-30.csv"
    page.goto(f"{server}/console/analytics/incidence?from=2026-11-01&to=2026-12-31")
    assert overlapping_labels(page.locator("svg.forest-chart")) == []
    shot(page, "incidence-forest.png")


def test_outcomes_page_draws_in_the_browser(server, page, world):
    from tests.analytics_data import build_outcome_history

    build_outcome_history(world)  # hand-counted in tests/api/test_analytics_outcomes.py
    physician = factories.make_clinician(world.clinic, Role.PHYSICIAN, email="pia@north.test")
    db.session.commit()
    sign_in(page, server, physician.email)
    page.goto(f"{server}/console/analytics/outcomes?from=2026-11-01&to=2026-11-30")
    chart = page.locator("svg.outcomes-chart")
    box = chart.bounding_box()
    assert box["width"] > 600 and box["height"] > 150
    assert chart.locator("g.outcome-bar").count() == 10 and chart.locator("g.week-mark").count() == 4
    assert "2 of 3 patients with a baseline measured" in page.locator("#outcomes-h").inner_text()
    assert overlapping_labels(chart) == []
    shot(page, "outcomes.png")


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


def test_admin_sets_the_visit_hold_line_and_the_e2b_safety_contact_in_the_settings_form(
    server, page, clinic_scene, world
):
    sign_in(page, server, clinic_scene["admin"].email)
    page.goto(f"{server}/console/admin/settings")
    page.get_by_label("Screening hold line, systolic (mmHg, at or above)").fill("150")
    for key, value in {**factories.E2B_SENDER, "country": "USA"}.items():
        page.locator(f"#e2b-{key}").fill(value)
    page.get_by_role("button", name="Save settings").click()
    page.locator("#e2b_sender-country-error").wait_for()
    assert "two-letter" in page.locator("#e2b_sender-country-error").inner_text()
    assert page.get_by_label("Screening hold line, systolic (mmHg, at or above)").input_value() == "150"
    page.get_by_label("Country (two letters, e.g. US)").fill("US")
    page.get_by_role("button", name="Save settings").click()
    page.get_by_text("Settings saved.").wait_for()
    assert page.get_by_label("Screening hold line, systolic (mmHg, at or above)").input_value() == "150"
    assert page.get_by_label("Family name").input_value() == "Reyes"
    db.session.expire_all()
    from service.models import Clinic

    settings = db.session.get(Clinic, world.clinic.id).settings
    assert settings["visit"]["hold_systolic"] == 150 and settings["e2b_sender"] == factories.E2B_SENDER
