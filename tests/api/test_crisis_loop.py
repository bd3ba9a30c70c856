"""The crisis loop: a critical report pages at once, new evidence on an acknowledged flag pages again, the
patient is told the truth and what to do (in their language), and the safety screen after a suicidal signal."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from service.clock import now_utc
from service.enums import Language, NotificationKind, Role
from service.extensions import db
from service.models import Clinic, Flag, FlagEvent, Notification, Patient, Report, SafetyScreen
from tests import factories

REPORTS = "/api/v1/me/reports"


def body(**overrides) -> dict:
    values = {
        "client_report_id": str(uuid.uuid4()),
        "observed_at": (now_utc() - timedelta(minutes=2)).isoformat(),
        "symptoms": [{"code": "nausea", "severity": 1}],
    }
    values.update(overrides)
    return values


def send(client, caller, **overrides) -> dict:
    response = client.post(REPORTS, json=body(**overrides), headers=caller.headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def pages() -> list[Notification]:
    db.session.rollback()
    return list(
        db.session.scalars(
            select(Notification).where(Notification.kind == NotificationKind.PAGE).order_by(Notification.created_at)
        )
    )


def the_flag(patient_id, rule="suicidal-ideation") -> Flag:
    db.session.rollback()
    db.session.expire_all()  # after a commit, rollback has nothing to undo and expires nothing
    return db.session.scalar(
        select(Flag).where(Flag.patient_id == patient_id, Flag.rule == rule).order_by(Flag.created_at.desc()).limit(1)
    )


def events(flag_id, *kinds) -> list[FlagEvent]:
    db.session.rollback()
    stmt = select(FlagEvent).where(FlagEvent.flag_id == flag_id).order_by(FlagEvent.id)
    if kinds:
        stmt = stmt.where(FlagEvent.kind.in_(kinds))
    return list(db.session.scalars(stmt))


def set_settings(clinic_id, **values) -> None:
    clinic = db.session.get(Clinic, clinic_id)
    clinic.settings = {**(clinic.settings or {}), **values}
    db.session.commit()


def set_language(patient_id, language: Language) -> None:
    db.session.get(Patient, patient_id).language = language
    db.session.commit()


@pytest.fixture()
def on_call(world):
    nurse = factories.make_clinician(world.clinic, Role.NURSE, on_call=True)
    factories.make_clinician(world.clinic, Role.NURSE, on_call=True, active=False)  # inactive: never paged
    factories.make_clinician(world.other_clinic, Role.NURSE, on_call=True)  # another clinic's: never paged
    return nurse


# --- paging at once -------------------------------------------------------------------------------------------


def test_a_suicidal_report_pages_the_on_call_clinician_and_the_pager_in_its_own_transaction(client, world, on_call):
    set_settings(world.clinic.id, webhook={"url": "https://pager.clinic.test/hook", "secret": "s" * 20})
    answer = send(client, world.patient, suicidal_thoughts=True)
    triage = answer["triage"]
    assert triage["priority"] == "critical" and triage["paged"] is True
    assert "alerted now" in triage["message"]
    flag = the_flag(world.patient.principal.patient_id)
    written = pages()
    assert {(n.audience, n.clinician_id) for n in written} == {("clinician", on_call.id), ("clinic", None)}
    assert all(n.flag_id == flag.id and n.status == "pending" for n in written)
    # Written with the report: the same moment as the flag, not 15 minutes on.
    assert all(n.created_at == flag.created_at == flag.last_paged_at for n in written)
    assert flag.page_count == 1
    [paged] = events(flag.id, "paged")
    assert paged.data["reason"] == "opened" and paged.data["notified"] == [str(on_call.id)]
    assert paged.data["webhook"] is True and paged.report_id == uuid.UUID(answer["id"])
    report = db.session.get(Report, uuid.UUID(answer["id"]))
    assert report.paged is True and report.triage_rules == ["suicidal-ideation"]


def test_with_nobody_on_call_the_admins_are_paged(client, world):
    send(client, world.patient, vitals={"systolic": 205, "diastolic": 125})
    assert [n.clinician_id for n in pages()] == [world.admin.principal.id]
    flag = the_flag(world.patient.principal.patient_id, "hypertensive-crisis")
    assert "admins (nobody is on call)" in events(flag.id, "paged")[0].text


def test_a_page_says_nothing_about_the_patients_health(client, world, on_call):
    set_settings(world.clinic.id, webhook={"url": "https://pager.clinic.test/hook", "secret": "s" * 20})
    send(client, world.patient, suicidal_thoughts=True, note="I want to end my life tonight")
    for page in pages():
        text = f"{page.subject} {page.body} {page.data}".lower()
        for word in ("suicid", "life", "tonight", "pat north", "ideation", "blood"):
            assert word not in text


def test_reports_that_raise_nothing_or_only_high_write_no_page(client, world, on_call):
    calm = send(client, world.patient)
    high = send(client, world.patient, symptoms=[{"code": "headache", "severity": 3}])
    assert calm["triage"]["paged"] is False and high["triage"]["paged"] is False
    assert high["triage"]["priority"] == "high" and "few hours" in high["triage"]["message"]
    assert pages() == []


def test_a_report_joining_an_open_critical_flag_adds_to_it_without_a_second_page(client, world, on_call):
    first = send(client, world.patient, suicidal_thoughts=True)
    second = send(client, world.patient, suicidal_thoughts=True)
    assert first["triage"]["paged"] is True and second["triage"]["paged"] is False
    assert "alerted now" not in second["triage"]["message"]
    assert "already has an urgent alert" in second["triage"]["message"]
    assert second["triage"]["crisis_resources"]  # what to do still comes first
    assert len(pages()) == 1
    flag = the_flag(world.patient.principal.patient_id)
    assert (flag.report_count, flag.page_count, flag.status) == (2, 1, "open")


def test_a_critical_finding_raising_a_high_flag_pages(client, world, on_call):
    send(client, world.patient, symptoms=[{"code": "headache", "severity": 3}])
    assert pages() == []
    severe = the_flag(world.patient.principal.patient_id, "severe-symptom")
    # The same rule cannot change priority on its own; raise it the way a joining critical finding does.
    from service.domain import triage
    from service.rules import Finding, Priority

    raised = triage.open_or_join(
        db.session,
        clinic_id=world.clinic.id,
        patient_id=world.patient.principal.patient_id,
        report_id=None,
        findings=[Finding("severe-symptom", 1, Priority.CRITICAL, "Worse.", {})],
        targets={"critical": 15, "high": 240, "medium": 1440, "low": 4320},
        now=now_utc(),
    )
    db.session.commit()
    assert raised.paged is True and raised.flag_ids == [severe.id]
    flag = the_flag(world.patient.principal.patient_id, "severe-symptom")
    assert (flag.priority, flag.page_count) == ("critical", 1)
    assert events(flag.id, "paged")[0].data["reason"] == "raised"


# --- new evidence on an acknowledged flag ---------------------------------------------------------------------


def acknowledge(client, caller, flag_id) -> dict:
    response = client.post(f"/api/v1/flags/{flag_id}/acknowledge", json={}, headers=caller.headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_new_evidence_on_an_acknowledged_flag_reopens_it_and_pages_the_assignee_and_on_call(client, world, on_call):
    pid = world.patient.principal.patient_id
    send(client, world.patient, suicidal_thoughts=True)
    flag = the_flag(pid)
    acknowledged = acknowledge(client, world.nurse, flag.id)
    assert acknowledged["status"] == "acknowledged" and acknowledged["new_since_acknowledged"] is False
    later = send(client, world.patient, note="I am going to kill myself tonight")
    assert later["triage"]["paged"] is True and "alerted now" in later["triage"]["message"]

    flag = the_flag(pid)
    assert (flag.status, flag.page_count, flag.escalation_level) == ("open", 2, 0)
    assert flag.acknowledged_by_id == world.nurse.principal.id  # the earlier acknowledgement stays
    assert flag.due_by == flag.last_paged_at + timedelta(minutes=15)
    kinds = [e.kind for e in events(flag.id)]
    assert kinds == ["opened", "paged", "acknowledged", "joined", "reopened", "paged"]
    second = [n for n in pages() if n.created_at == flag.last_paged_at]
    assert {n.clinician_id for n in second} == {world.nurse.principal.id, on_call.id}
    assert events(flag.id, "paged")[-1].data["reason"] == "new_evidence"

    queue = client.get("/api/v1/flags", headers=world.nurse.headers).get_json()
    [row] = [f for f in queue if f["id"] == str(flag.id)]
    assert row["status"] == "open" and row["new_since_acknowledged"] is True
    detail = client.get(f"/api/v1/flags/{flag.id}", headers=world.nurse.headers).get_json()
    assert detail["new_since_acknowledged"] is True
    assert detail["reports"][0]["id"] == later["id"]  # the new report on top
    assert [r["new_since_acknowledged"] for r in detail["reports"]] == [True, False]


def test_acknowledging_again_clears_new_since_acknowledged(client, world, on_call):
    pid = world.patient.principal.patient_id
    send(client, world.patient, suicidal_thoughts=True)
    acknowledge(client, world.nurse, the_flag(pid).id)
    send(client, world.patient, suicidal_thoughts=True)
    again = acknowledge(client, world.physician, the_flag(pid).id)
    assert again["status"] == "acknowledged" and again["new_since_acknowledged"] is False


def test_the_escalation_chain_starts_again_after_new_evidence(app, client, world, on_call):
    from tests.jobkit import job_context, run

    pid = world.patient.principal.patient_id
    send(client, world.patient, suicidal_thoughts=True)
    acknowledge(client, world.nurse, the_flag(pid).id)
    send(client, world.patient, suicidal_thoughts=True)
    paged_at = the_flag(pid).last_paged_at
    ctx = job_context(app)
    run(ctx, paged_at + timedelta(minutes=14), "escalate_flags")
    assert the_flag(pid).escalation_level == 0
    run(ctx, paged_at + timedelta(minutes=15), "escalate_flags")
    flag = the_flag(pid)
    assert flag.escalation_level == 1
    [step] = events(flag.id, "escalated")
    assert "after 15 min" in step.text  # counted from the new evidence, not from the flag's opening
    db.session.rollback()
    escalations = db.session.scalars(select(Notification).where(Notification.kind == NotificationKind.ESCALATION))
    assert {n.dedupe_key.split(":clinician:")[0] for n in escalations} == {f"flag:{flag.id}:page:2:level:1"}


def test_the_flag_keeps_its_first_acknowledgement_and_every_escalation_for_rule_burden(app, client, world, on_call):
    """Rule burden reads these two from the flag alone: they must equal what its events say, through a reopen."""
    from tests.jobkit import job_context, run

    pid = world.patient.principal.patient_id
    send(client, world.patient, suicidal_thoughts=True)
    ctx = job_context(app)
    run(ctx, the_flag(pid).last_paged_at + timedelta(minutes=15), "escalate_flags")
    acknowledge(client, world.nurse, the_flag(pid).id)
    first = the_flag(pid).acknowledged_at
    send(client, world.patient, suicidal_thoughts=True)  # new evidence: open again, escalation level back to 0
    run(ctx, the_flag(pid).last_paged_at + timedelta(minutes=15), "escalate_flags")
    acknowledge(client, world.physician, the_flag(pid).id)
    flag = the_flag(pid)
    acks = [e.at for e in events(flag.id, "acknowledged")]
    assert len(acks) == 2 and flag.acknowledged_at == max(acks) > first
    assert flag.first_acknowledged_at == min(acks) == first
    assert flag.escalation_count == len(events(flag.id, "escalated")) == 2
    assert flag.escalation_level == 1


# --- delivery on the flag's history ---------------------------------------------------------------------------


def test_each_page_delivery_is_written_on_the_flag(app, client, world, on_call):
    from tests.jobkit import Recorder, failing, job_context, run

    set_settings(world.clinic.id, webhook={"url": "https://pager.clinic.test/hook", "secret": "s" * 20})
    send(client, world.patient, suicidal_thoughts=True)
    flag = the_flag(world.patient.principal.patient_id)
    ctx = job_context(app, webhook=Recorder("webhook", fail=failing("refused", permanent=True)))
    done = run(ctx, now_utc(), "deliver_pages")
    assert done == {"deliver_pages": 1}
    assert [m.flag_id for m in ctx.channels["log"].sent] == [flag.id]
    delivered = events(flag.id, "delivered", "undelivered")
    assert sorted((e.kind, e.data["channel"]) for e in delivered) == [("delivered", "log"), ("undelivered", "webhook")]
    assert "Page delivered: log to a clinician." in {e.text for e in delivered}


def test_the_page_job_sends_pages_only(app, client, world, on_call):
    from tests.jobkit import job_context, run

    send(client, world.patient, suicidal_thoughts=True)
    db.session.add_all(
        [
            Notification(
                clinic_id=world.clinic.id,
                kind=NotificationKind.DIGEST,
                channel="log",
                audience="clinic",
                dedupe_key="digest:x",
                subject="s",
                body="b",
                data={},
                status="pending",
                attempts=0,
                next_attempt_at=now_utc() - timedelta(minutes=1),
                created_at=now_utc(),
            )
        ]
    )
    db.session.commit()
    ctx = job_context(app)
    run(ctx, now_utc(), "deliver_pages")
    assert [m.kind for m in ctx.channels["log"].sent] == ["page"]


# --- what the patient is told ---------------------------------------------------------------------------------


def test_a_hypertensive_crisis_says_when_to_call_911(client, world, on_call):
    triage = send(client, world.patient, vitals={"systolic": 210, "diastolic": 130})["triage"]
    [advice] = triage["advice"]
    assert advice["rule"] == "hypertensive-crisis"
    for words in ("Call 911 now", "chest pain", "severe headache", "confusion", "weakness", "breathing", "seeing"):
        assert words in advice["text"]
    assert "crisis_resources" not in triage and "safety_screen" not in triage


def test_very_severe_and_lasting_perceptual_effects_get_their_advice(client, world, on_call):
    now = now_utc()
    from tests.api.test_triage import add_infusion

    add_infusion(world, started_at=now - timedelta(hours=31), ended_at=now - timedelta(hours=30))
    triage = send(
        client,
        world.patient,
        symptoms=[{"code": "vomiting", "severity": 4}, {"code": "dissociation", "severity": 2}],
    )["triage"]
    texts = {a["rule"]: a["text"] for a in triage["advice"]}
    assert "emergency department" in texts["very-severe-symptom"]
    assert "Do not drive" in texts["persistent-perceptual"] and "call the clinic" in texts["persistent-perceptual"]
    assert next(iter(texts)) == "very-severe-symptom"  # the most urgent advice first


def test_suicidal_thoughts_bring_the_crisis_resources_advice_and_the_safety_screen(client, world, on_call):
    answer = send(client, world.patient, suicidal_thoughts=True)
    triage = answer["triage"]
    assert [a["rule"] for a in triage["advice"]] == ["suicidal-ideation"]
    assert "911" in triage["advice"][0]["text"] and "988" in triage["advice"][0]["text"]
    assert [r["phone"] for r in triage["crisis_resources"]] == ["911", "988"]
    screen = triage["safety_screen"]
    assert screen["path"] == f"/api/v1/me/reports/{answer['id']}/safety-screen"
    assert [q["key"] for q in screen["questions"]] == [
        "wish_dead",
        "suicidal_thoughts",
        "method",
        "intent",
        "plan",
        "behavior",
        "behavior_recent",
    ]
    stored = client.get(f"{REPORTS}/{answer['id']}", headers=world.patient.headers).get_json()
    assert stored["triage"] == triage  # the patient's report says the same, later


def test_spanish_patients_are_told_in_spanish(client, world, on_call):
    set_language(world.patient.principal.patient_id, Language.ES)
    triage = send(client, world.patient, suicidal_thoughts=True)["triage"]
    assert triage["message"].startswith("Acabamos de avisar a su equipo")
    assert "llame al 911" in triage["advice"][0]["text"]
    assert triage["crisis_resources"][0]["label"] == "Si está en peligro inmediato, llame al 911."
    assert triage["safety_screen"]["questions"][0]["text"].startswith("En el último mes")
    vitals = send(client, world.patient, vitals={"systolic": 200, "diastolic": 100})["triage"]
    assert "Llame al 911 ahora" in vitals["advice"][0]["text"]
    calm = send(client, world.patient)["triage"]
    assert calm["message"].startswith("Gracias.")


def test_a_patient_chooses_their_language_from_the_phone(client, world):
    response = client.patch("/api/v1/me", json={"language": "es"}, headers=world.patient.headers)
    assert response.status_code == 200 and response.get_json()["language"] == "es"
    bad = client.patch("/api/v1/me", json={"language": "fr"}, headers=world.patient.headers)
    assert bad.status_code == 422 and "language" in bad.get_json()["errors"]["json"]


def test_a_clinic_words_its_own_advice_and_crisis_resources(client, world, on_call):
    settings = client.get("/api/v1/clinic/settings", headers=world.admin.headers).get_json()
    settings.pop("webhook", None)
    settings["advice"] = {"hypertensive-crisis": {"en": "Call the Mesa clinic line, then 911 if chest pain."}}
    settings["crisis_resources"] = [
        {"label": "Mesa crisis line", "labels": {"es": "Línea de crisis de Mesa"}, "phone": "+1 303 555 0199"}
    ]
    saved = client.put("/api/v1/clinic/settings", json=settings, headers=world.admin.headers)
    assert saved.status_code == 200, saved.get_json()
    triage = send(client, world.patient, vitals={"systolic": 210, "diastolic": 130})["triage"]
    assert triage["advice"] == [
        {"rule": "hypertensive-crisis", "text": "Call the Mesa clinic line, then 911 if chest pain."}
    ]
    set_language(world.patient.principal.patient_id, Language.ES)
    spanish = send(client, world.patient, vitals={"systolic": 211, "diastolic": 131}, suicidal_thoughts=True)["triage"]
    texts = {a["rule"]: a["text"] for a in spanish["advice"]}
    assert texts["hypertensive-crisis"].startswith("Su presión arterial")  # no Spanish override: ours
    assert spanish["crisis_resources"] == [{"label": "Línea de crisis de Mesa", "phone": "+1 303 555 0199"}]


@pytest.mark.parametrize(
    ("advice", "field"),
    [
        ({"no-such-rule": {"en": "x"}}, "advice"),
        ({"hypertensive-crisis": {"fr": "x"}}, "advice"),
        ({"hypertensive-crisis": {"en": "x" * 601}}, "advice"),
        ({"hypertensive-crisis": {"en": ""}}, "advice"),
    ],
)
def test_bad_advice_overrides_are_refused_naming_the_field(client, world, advice, field):
    settings = client.get("/api/v1/clinic/settings", headers=world.admin.headers).get_json()
    settings.pop("webhook", None)
    settings["advice"] = advice
    response = client.put("/api/v1/clinic/settings", json=settings, headers=world.admin.headers)
    assert response.status_code == 422 and field in response.get_json()["errors"]["json"]
    db.session.rollback()
    assert (db.session.get(Clinic, world.clinic.id).settings or {}).get("advice") in (None, {})


# --- the safety screen ----------------------------------------------------------------------------------------

NO = {"wish_dead": False, "suicidal_thoughts": False, "behavior": False}


def screen(client, caller, report_id, answers):
    return client.post(f"{REPORTS}/{report_id}/safety-screen", json=answers, headers=caller.headers)


@pytest.mark.parametrize(
    ("answers", "risk"),
    [
        (NO, "none"),
        ({**NO, "wish_dead": True}, "low"),
        ({**NO, "suicidal_thoughts": True, "method": False, "intent": False, "plan": False}, "low"),
        ({**NO, "suicidal_thoughts": True, "method": True, "intent": False, "plan": False}, "moderate"),
        ({**NO, "behavior": True, "behavior_recent": False}, "moderate"),
        ({**NO, "suicidal_thoughts": True, "method": True, "intent": True, "plan": False}, "high"),
        ({**NO, "suicidal_thoughts": True, "method": False, "intent": False, "plan": True}, "high"),
        ({**NO, "behavior": True, "behavior_recent": True}, "high"),
    ],
)
def test_the_screen_sorts_answers_into_the_screeners_risk_levels(client, world, on_call, answers, risk):
    report_id = send(client, world.patient, suicidal_thoughts=True)["id"]
    response = screen(client, world.patient, report_id, answers)
    assert response.status_code == 201, response.get_json()
    result = response.get_json()
    assert result["risk"] == risk and result["paged"] is (risk == "high")
    assert [r["phone"] for r in result["crisis_resources"]] == ["911", "988"]
    if risk == "high":
        assert "call 911 or call or text 988 now" in result["message"] and "alerted again" in result["message"]
    flag = the_flag(world.patient.principal.patient_id)
    [recorded] = events(flag.id, "safety_screen")
    assert recorded.data["risk"] == risk
    assert len(pages()) == (2 if risk == "high" else 1)
    after = client.get(f"{REPORTS}/{report_id}", headers=world.patient.headers).get_json()
    assert after["safety_screen"]["risk"] == risk and "safety_screen" not in after["triage"]


def test_a_high_risk_screen_reopens_an_acknowledged_flag_and_pages_again(client, world, on_call):
    pid = world.patient.principal.patient_id
    report_id = send(client, world.patient, suicidal_thoughts=True)["id"]
    acknowledge(client, world.nurse, the_flag(pid).id)
    response = screen(client, world.patient, report_id, {**NO, "behavior": True, "behavior_recent": True})
    assert response.status_code == 201 and response.get_json()["paged"] is True
    flag = the_flag(pid)
    assert (flag.status, flag.page_count, flag.priority) == ("open", 2, "critical")
    assert [e.kind for e in events(flag.id)][-3:] == ["safety_screen", "reopened", "paged"]
    assert {n.clinician_id for n in pages() if n.created_at == flag.last_paged_at} == {
        world.nurse.principal.id,
        on_call.id,
    }
    detail = client.get(f"/api/v1/flags/{flag.id}", headers=world.nurse.headers).get_json()
    assert detail["reports"][0]["safety_screen"]["risk"] == "high"


def test_the_screen_is_stored_once(client, world, on_call):
    report_id = send(client, world.patient, suicidal_thoughts=True)["id"]
    assert screen(client, world.patient, report_id, NO).status_code == 201
    again = screen(client, world.patient, report_id, NO)
    assert again.status_code == 200 and again.get_json()["risk"] == "none"
    other = screen(client, world.patient, report_id, {**NO, "wish_dead": True})
    assert other.status_code == 409
    db.session.rollback()
    assert len(db.session.scalars(select(SafetyScreen)).all()) == 1


@pytest.mark.parametrize(
    ("answers", "field"),
    [
        ({"suicidal_thoughts": False, "behavior": False}, "wish_dead"),
        ({**NO, "suicidal_thoughts": True}, "method"),
        ({**NO, "suicidal_thoughts": True, "method": True, "intent": True}, "plan"),
        ({**NO, "behavior": True}, "behavior_recent"),
        ({**NO, "wish_dead": "yes"}, "wish_dead"),
        ({**NO, "mood": 3}, "mood"),
    ],
)
def test_an_incomplete_screen_is_refused_naming_the_question(client, world, on_call, answers, field):
    report_id = send(client, world.patient, suicidal_thoughts=True)["id"]
    response = screen(client, world.patient, report_id, answers)
    assert response.status_code == 422 and field in response.get_json()["errors"]["json"]
    db.session.rollback()
    assert db.session.scalars(select(SafetyScreen)).all() == []


def test_only_the_patients_own_crisis_report_takes_a_screen(client, world, on_call):
    report_id = send(client, world.patient, suicidal_thoughts=True)["id"]
    calm_id = send(client, world.patient)["id"]
    assert screen(client, world.other_patient, report_id, NO).status_code == 404
    assert screen(client, world.other_clinic_patient, report_id, NO).status_code == 404
    assert screen(client, world.nurse, report_id, NO).status_code == 403
    assert screen(client, world.patient, calm_id, NO).status_code == 409
    assert screen(client, world.patient, uuid.uuid4(), NO).status_code == 404


# --- an acknowledgement racing a joining report ---------------------------------------------------------------


def test_an_acknowledgement_racing_new_evidence_never_leaves_the_evidence_unpaged(app, client, world, on_call):
    """Whichever takes the flag's row first, the outcome is consistent: evidence joining before the
    acknowledgement is acknowledged with it; evidence after it reopens the flag and pages again."""
    import threading

    pid = world.patient.principal.patient_id
    outcomes = []
    for _round in range(6):
        send(client, world.patient, suicidal_thoughts=True)
        flag_id = the_flag(pid).id
        barrier, statuses, errors = threading.Barrier(2), [], []

        def act(kind, flag_id=flag_id, barrier=barrier, statuses=statuses, errors=errors):
            try:
                with app.test_client() as c:
                    barrier.wait(timeout=10)
                    if kind == "ack":
                        response = c.post(f"/api/v1/flags/{flag_id}/acknowledge", json={}, headers=world.nurse.headers)
                    else:
                        response = c.post(REPORTS, json=body(note="I will kill myself"), headers=world.patient.headers)
                    statuses.append((kind, response.status_code))
            except Exception as exc:  # surfaced below
                errors.append(exc)

        threads = [threading.Thread(target=act, args=(kind,)) for kind in ("ack", "report")]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert not errors and sorted(statuses) == [("ack", 200), ("report", 201)]
        flag = the_flag(pid)
        kinds = [e.kind for e in events(flag.id)]
        acked, joined = kinds.index("acknowledged"), kinds.index("joined")
        if acked < joined:  # the acknowledgement came first: the evidence reopened the flag and paged
            assert (flag.status, flag.page_count) == ("open", 2)
            assert kinds[joined:] == ["joined", "reopened", "paged"]
            outcomes.append("reopened")
        else:  # the evidence came first and was acknowledged with the flag
            assert (flag.status, flag.page_count) == ("acknowledged", 1)
            assert "reopened" not in kinds
            outcomes.append("acknowledged with it")
        client.post(
            f"/api/v1/flags/{flag.id}/resolve",
            json={"resolution": "contacted_patient", "note": "Called; safe with family."},
            headers=world.nurse.headers,
        )
    assert len(outcomes) == 6


def test_the_page_commits_with_the_report_or_not_at_all(client, world, on_call, monkeypatch):
    """Paging is part of the report's transaction: when anything after the page fails, neither the report,
    nor its flag, nor its page is stored (and the phone, told nothing, sends it again)."""
    from service.domain import paging

    real = paging.write_pages

    def write_then_fail(*args, **kwargs):
        real(*args, **kwargs)
        db.session.flush()
        raise RuntimeError("the database went away after the page was written")

    monkeypatch.setattr(paging, "write_pages", write_then_fail)
    with pytest.raises(RuntimeError):
        client.post(REPORTS, json=body(suicidal_thoughts=True), headers=world.patient.headers)
    db.session.rollback()
    for model in (Report, Flag, Notification, FlagEvent):
        assert db.session.scalars(select(model)).all() == []
    monkeypatch.setattr(paging, "write_pages", real)
    assert send(client, world.patient, suicidal_thoughts=True)["triage"]["paged"] is True
    assert len(pages()) == 1
