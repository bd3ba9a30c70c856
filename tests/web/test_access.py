"""Who may open which console page: one table, every console route, every kind of caller.

Like the API's matrix (tests/api/test_authz_matrix.py), ``test_every_console_route_is_in_the_table``
fails when a page is added without a row here. Ids in paths belong to world.clinic, so for
``other_admin`` they are another clinic's: 404, never 403, never data. Anonymous browsers are
sent to sign-in (302); a nurse or physician asking for an admin page gets 403. POSTs carry the
session's CSRF token (CSRF itself is tested in test_csrf.py).
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from service.domain import adverse_events
from service.extensions import db
from service.models import AdverseEvent, Clinician, Flag, Patient
from service.rules import Priority
from tests import factories
from tests.web.conftest import csrf_of, make_flag, make_infusion

CALLERS = ("anonymous", "nurse", "physician", "admin", "other_admin")
R = 302  # to sign-in

# fmt: off
TABLE: dict[tuple[str, str], tuple[int, ...]] = {
    #                                                               anon nurse phys admin o.admin
    ("GET",  "/"):                                                  (302, 302, 302, 302, 302),
    ("GET",  "/console/"):                                          (302, 302, 302, 302, 302),
    ("GET",  "/console/sign-in"):                                   (200, 302, 302, 302, 302),
    ("POST", "/console/sign-in"):                                   (401, 401, 401, 401, 401),
    ("POST", "/console/sign-out"):                                  (302, 302, 302, 302, 302),
    ("GET",  "/console/queue"):                                     (R,   200, 200, 200, 200),
    ("GET",  "/console/queue/rows"):                                (401, 200, 200, 200, 200),
    ("GET",  "/console/flags/<uuid:flag_id>"):                      (R,   200, 200, 200, 404),
    ("POST", "/console/flags/<uuid:flag_id>/acknowledge"):          (R,   302, 302, 302, 404),
    ("POST", "/console/flags/<uuid:flag_id>/assign"):               (R,   302, 302, 302, 404),
    ("POST", "/console/flags/<uuid:flag_id>/notes"):                (R,   302, 302, 302, 404),
    ("POST", "/console/flags/<uuid:flag_id>/escalate"):             (R,   302, 302, 302, 404),
    ("POST", "/console/flags/<uuid:flag_id>/resolve"):              (R,   302, 302, 302, 404),
    ("POST", "/console/flags/<uuid:flag_id>/adverse-event"):        (R,   302, 302, 302, 404),
    ("GET",  "/console/adverse-events"):                            (R,   200, 200, 200, 200),
    ("GET",  "/console/adverse-events/<uuid:event_id>"):            (R,   200, 200, 200, 404),
    ("POST", "/console/adverse-events/<uuid:event_id>"):            (R,   302, 302, 302, 404),
    ("POST", "/console/adverse-events/<uuid:event_id>/submitted"):  (R,   403, 302, 302, 404),
    ("GET",  "/console/adverse-events/<uuid:event_id>/fhir"):       (R,   200, 200, 200, 404),
    ("GET",  "/console/adverse-events/<uuid:event_id>/e2b"):        (R,   200, 200, 200, 404),
    ("GET",  "/console/adverse-events/<uuid:event_id>/medwatch"):   (R,   200, 200, 200, 404),
    ("GET",  "/console/adverse-events/export.csv"):                 (R,   403, 403, 200, 200),
    ("GET",  "/console/patients"):                                  (R,   200, 200, 200, 200),
    ("GET",  "/console/patients/<uuid:patient_id>"):                (R,   200, 200, 200, 404),
    ("POST", "/console/patients/<uuid:patient_id>/infusions"):      (R,   302, 302, 302, 404),
    ("POST", "/console/patients/<uuid:patient_id>/enrollment-code"): (R,  200, 200, 200, 404),
    ("POST", "/console/infusions/<uuid:infusion_id>/screening"):    (R,   302, 302, 302, 404),
    ("GET",  "/console/infusions/<uuid:infusion_id>"):              (R,   200, 200, 200, 404),
    ("POST", "/console/infusions/<uuid:infusion_id>/observations"): (R,   302, 302, 302, 404),
    ("POST", "/console/infusions/<uuid:infusion_id>/discharge"):    (R,   302, 302, 302, 404),
    ("GET",  "/console/infusions/<uuid:infusion_id>/monitoring-record"): (R, 200, 200, 200, 404),
    ("GET",  "/console/infusions/<uuid:infusion_id>/monitoring-record.pdf"): (R, 200, 200, 200, 404),
    ("POST", "/console/patients/<uuid:patient_id>/status"):         (R,   302, 302, 302, 404),
    ("GET",  "/console/analytics/rules"):                           (R,   403, 200, 200, 200),
    ("GET",  "/console/analytics/rules.csv"):                       (R,   403, 200, 200, 200),
    ("GET",  "/console/analytics/incidence"):                       (R,   403, 200, 200, 200),
    ("GET",  "/console/analytics/incidence.csv"):                   (R,   403, 200, 200, 200),
    ("GET",  "/console/analytics/outcomes"):                        (R,   403, 200, 200, 200),
    ("GET",  "/console/analytics/outcomes.csv"):                    (R,   403, 200, 200, 200),
    ("GET",  "/console/admin/staff"):                               (R,   403, 403, 200, 200),
    ("POST", "/console/admin/staff"):                               (R,   403, 403, 302, 302),
    ("POST", "/console/admin/staff/<uuid:clinician_id>"):           (R,   403, 403, 302, 404),
    ("GET",  "/console/admin/settings"):                            (R,   403, 403, 200, 200),
    ("POST", "/console/admin/settings"):                            (R,   403, 403, 302, 302),
    ("GET",  "/console/admin/outbox"):                              (R,   403, 403, 200, 200),
    ("POST", "/console/admin/outbox/<uuid:notification_id>/retry"): (R,   403, 403, 302, 404),
    ("GET",  "/console/admin/audit"):                               (R,   403, 403, 200, 200),
}
# fmt: on
STATIC = ("GET", "/console/static/<path:filename>")


def _settings_form() -> dict:
    from service.domain.clinics import effective_settings

    settings = effective_settings(None)
    form = {f"threshold-{k}": str(v) for k, v in settings["thresholds"].items()}
    form.update({f"target-{k}": str(v) for k, v in settings["response_targets_minutes"].items()})
    form.update({"offsets": "2, 24, 72, 168, 336", "quiet_start": "21:00", "quiet_end": "08:00"})
    form.update({"crisis-0-label": "Call 911 if you are in danger.", "crisis-0-phone": "911"})
    form.update({f"visit-{k}": str(v) for k, v in settings["visit"].items()})
    form.update({f"e2b-{k}": v for k, v in factories.E2B_SENDER.items()})
    return form


def _body(method: str, rule: str, ids: dict) -> dict | None:
    if method != "POST":
        return None
    return {
        "/console/sign-in": {"email": "nobody@clinic.test", "password": "wrong password entirely"},
        "/console/flags/<uuid:flag_id>/acknowledge": {},
        "/console/flags/<uuid:flag_id>/assign": {"clinician_id": str(ids["clinician_id"])},
        "/console/flags/<uuid:flag_id>/notes": {"text": "Left a voicemail."},
        "/console/flags/<uuid:flag_id>/escalate": {},
        "/console/flags/<uuid:flag_id>/resolve": {"resolution": "contacted_patient", "note": "Called; settled."},
        "/console/flags/<uuid:flag_id>/adverse-event": {
            "term": "Nausea",
            "grade": "2",
            "serious": "no",
            "causality": "probable",
            "action_taken": "none",
            "outcome": "recovering",
            "onset_at": ids["onset_local"],
            "narrative": "Nausea on the drive home; settled with ondansetron.",
        },
        "/console/patients/<uuid:patient_id>/infusions": {
            "started_at": ids["started_local"],
            "route": "iv",
            "phase": "induction",
        },
        "/console/patients/<uuid:patient_id>/enrollment-code": {},
        "/console/infusions/<uuid:infusion_id>/observations": {
            "observed_at": ids["observed_local"],
            "systolic": "130",
            "diastolic": "82",
        },
        "/console/infusions/<uuid:infusion_id>/discharge": {
            "vitals_near_baseline": "1",
            "alert": "1",
            "ride_home": "1",
            "told_not_to_drive": "1",
        },
        "/console/infusions/<uuid:infusion_id>/screening": {
            "systolic": "128",
            "diastolic": "80",
            "heart_rate": "70",
            "weight_kg": "70",
        },
        "/console/patients/<uuid:patient_id>/status": {"status": "paused"},
        "/console/admin/staff": {
            "email": "new.colleague@clinic.test",
            "name": "New Colleague",
            "role": "nurse",
            "password": "violet kettle drums at dawn 7",
        },
        "/console/admin/staff/<uuid:clinician_id>": {"action": "on_call"},
        "/console/adverse-events/<uuid:event_id>": {"version": "1", "grade": "3", "narrative": "Worse, later."},
        "/console/adverse-events/<uuid:event_id>/submitted": {"submitted_at": ids["now_local"], "reference": "FDA-1"},
        "/console/admin/settings": _settings_form(),
    }.get(rule, {})


@pytest.fixture()
def scene(world, patient):
    from zoneinfo import ZoneInfo

    from service.clock import now_utc
    from tests import factories

    factories.give_e2b_sender(world.clinic)
    infusion = make_infusion(patient, world.nurse.principal)
    flag = make_flag(
        patient, priority=Priority.HIGH, rule="severe-symptom", reason="Severe nausea.", due_in=timedelta(hours=4)
    )
    zone = ZoneInfo(world.clinic.time_zone)
    now = now_utc()
    started = (now - timedelta(hours=3)).astimezone(zone)
    event = adverse_events.create_adverse_event(
        db.session,
        clinic_id=world.clinic.id,
        actor_id=world.nurse.principal.id,
        values={
            "flag_id": flag.id,
            "term": "Nausea",
            "grade": 2,
            "serious": True,  # serious, so that its submission can be recorded
            "seriousness": ["medically_important"],
            "causality": "probable",
            "action_taken": "none",
            "outcome": "recovering",
            "onset_at": now - timedelta(hours=2),
            "aware_at": now - timedelta(minutes=30),
            "narrative": "Felt queasy on the drive home.",
        },
        now=now,
    )
    db.session.commit()
    letter = _dead_letter(world, patient)
    return {
        "notification_id": letter,
        "flag_id": flag.id,
        "patient_id": patient.id,
        "infusion_id": infusion.id,
        "event_id": event.id,
        "clinician_id": world.physician.principal.id,
        "started_local": started.strftime("%Y-%m-%dT%H:%M"),
        # make_infusion started a day ago: an hour into that visit
        "observed_local": (now - timedelta(hours=23)).astimezone(zone).strftime("%Y-%m-%dT%H:%M"),
        "onset_local": (now - timedelta(hours=1)).astimezone(zone).strftime("%Y-%m-%dT%H:%M"),
        "today": now.astimezone(zone).date().isoformat(),
        "now_local": now.astimezone(zone).strftime("%Y-%m-%dT%H:%M"),
    }


def _dead_letter(world, patient):
    """A prompt that could not be delivered: the outbox page's retry button brings it back."""
    from service.clock import now_utc
    from service.domain import outbox
    from service.enums import Audience, DeliveryChannel, NotificationKind, NotificationStatus

    letter = outbox.row(
        clinic_id=world.clinic.id,
        kind=NotificationKind.CHECKIN_PROMPT,
        channel=DeliveryChannel.EMAIL,
        audience=Audience.PATIENT,
        patient_id=patient.id,
        checkin_id=None,
        dedupe_key=f"test:{patient.id}:dead",
        subject=outbox.PROMPT_SUBJECT,
        body=outbox.PROMPT_TEXT,
        now=now_utc(),
    )
    outbox.enqueue(
        db.session, [{**letter, "status": NotificationStatus.DEAD, "attempts": 6, "last_error": "SMTP down"}]
    )
    db.session.commit()
    return letter["id"]


# Query strings some GET pages need to be a valid request.
QUERIES = {"/console/adverse-events/export.csv": "?from=2020-01-01&to={today}"}


def _url(rule: str, ids: dict) -> str:
    path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: str(ids[m.group(1)]), rule)
    return path + QUERIES.get(rule, "").format(**ids)


def _state(ids: dict) -> tuple:
    db.session.rollback()
    flag = db.session.execute(select(Flag.status, Flag.version).where(Flag.id == ids["flag_id"])).one()
    patient = db.session.execute(
        select(Patient.status, Patient.updated_at).where(Patient.id == ids["patient_id"])
    ).one()
    staff = db.session.scalars(select(Clinician.on_call).order_by(Clinician.id)).all()
    events = db.session.scalar(select(func.count()).select_from(AdverseEvent))
    db.session.rollback()
    return (tuple(flag), tuple(patient), tuple(staff), events)


CELLS = [
    pytest.param(method, rule, caller, statuses[i], id=f"{method} {rule} as {caller}")
    for (method, rule), statuses in TABLE.items()
    for i, caller in enumerate(CALLERS)
]


@pytest.mark.parametrize(("method", "rule", "caller", "expected"), CELLS)
def test_console_access(console, scene, world, method, rule, caller, expected):
    client = console[caller]
    body = _body(method, rule, scene)
    before = _state(scene)
    kwargs = {}
    if body is not None:
        kwargs["data"] = {**body, "csrf_token": csrf_of(client)}
    response = client.open(_url(rule, scene), method=method, **kwargs)

    assert response.status_code == expected, response.get_data(as_text=True)[:2000]
    if expected == R and caller == "anonymous" and rule not in ("/", "/console/", "/console/sign-out"):
        assert response.headers["Location"].startswith("/console/sign-in")
    if expected in (401, 403, 404) or (caller == "anonymous" and method == "POST"):
        assert _state(scene) == before, "a refused request changed data"
    if caller == "other_admin":
        text = response.get_data(as_text=True)
        assert "Pat North" not in text and "Felt queasy" not in text and str(scene["patient_id"]) not in text


def _console_rules(app) -> set[tuple[str, str]]:
    return {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
        if rule.rule == "/" or rule.rule.startswith("/console")
    }


def test_every_console_route_is_in_the_table(app):
    missing = sorted(_console_rules(app) - set(TABLE) - {STATIC})
    assert not missing, f"console routes with no row in TABLE: {missing}"
    stale = sorted(set(TABLE) - _console_rules(app))
    assert not stale, f"TABLE rows for routes that do not exist: {stale}"


def test_every_console_view_declares_who_may_open_it(app):
    """A page without @console.page(...) or @console.public would be open to anyone: none may exist."""
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/console") or rule.endpoint == "console.static":
            continue
        view = app.view_functions[rule.endpoint]
        assert getattr(view, "console_access", None) in ("public", "staff", "admin"), rule.rule


def test_static_files_are_served_without_sign_in(client):
    for name in ("console.css", "console.js", "favicon.svg"):
        response = client.get(f"/console/static/{name}")
        assert response.status_code == 200
        response.close()


def test_missing_console_page_is_html_and_api_404_stays_json(client):
    page = client.get("/console/no-such-page")
    assert page.status_code == 404 and page.mimetype == "text/html"
    assert "There is no such page" in page.get_data(as_text=True)
    api = client.get("/api/v1/no-such-thing")
    assert api.status_code == 404 and api.get_json()["code"] == 404


def test_console_pages_are_audited_like_the_api(console, world, patient):
    """Opening a patient's page in the console leaves an audit entry naming the clinician and the patient."""
    from sqlalchemy import select

    from service.extensions import db
    from service.models import AuditEntry

    response = console["nurse"].get(f"/console/patients/{patient.id}")
    assert response.status_code == 200
    db.session.rollback()
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.patient_id == patient.id)).all()
    nurse_id = world.nurse.principal.id
    assert any(e.actor_id == nurse_id and e.action == "read" and e.resource_type == "patient" for e in entries)


def test_outbox_page_lists_dead_letters_and_retries_them(console, world, patient):
    from service.models import Notification

    letter_id = _dead_letter(world, patient)
    page = console["admin"].get("/console/admin/outbox")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "SMTP down" in html and "Retry" in html
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    refused = console["admin"].post(f"/console/admin/outbox/{letter_id}/retry")
    assert refused.status_code in (400, 403)
    done = console["admin"].post(f"/console/admin/outbox/{letter_id}/retry", data={"csrf_token": token})
    assert done.status_code == 302
    db.session.rollback()
    assert db.session.get(Notification, letter_id).status == "pending"
    assert "No dead letters" in console["admin"].get("/console/admin/outbox").get_data(as_text=True)
    other = console["other_admin"].get("/console/admin/outbox?status=all").get_data(as_text=True)
    assert "SMTP down" not in other


def test_a_refused_form_is_audited_as_a_read_of_the_page_shown_again(console, world, patient):
    """Nothing was changed, so no write is claimed; the flag page with the patient's data was shown: a read."""
    from service.models import AuditEntry

    flag = make_flag(
        patient, priority=Priority.HIGH, rule="severe-symptom", reason="Nausea.", due_in=timedelta(hours=4)
    )
    client = console["nurse"]
    token = csrf_of(client)
    refused = client.post(f"/console/flags/{flag.id}/resolve", data={"note": " ", "csrf_token": token})
    assert refused.status_code == 422
    done = client.post(f"/console/flags/{flag.id}/notes", data={"text": "Called back.", "csrf_token": token})
    assert done.status_code == 302
    db.session.rollback()
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.method == "POST").order_by(AuditEntry.id)).all()
    assert [(e.action, e.resource_type, e.patient_id, e.endpoint.rsplit("/", 1)[-1]) for e in entries] == [
        ("read", "flag", patient.id, "resolve"),
        ("write", "flag", patient.id, "notes"),
    ]
    assert all(e.actor_id == world.nurse.principal.id and e.resource_id == str(flag.id) for e in entries)
