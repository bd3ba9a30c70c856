"""Triage end to end: the phone learns the outcome at once, flags dedupe, the queue, the lifecycle, settings."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from service.clock import now_utc
from service.domain import triage
from service.domain.clinics import effective_settings
from service.extensions import db
from service.models import Flag, FlagEvent, FlagReport, Infusion
from service.rules import Finding, Priority
from tests import factories


def report(**overrides) -> dict:
    body = {
        "client_report_id": str(uuid.uuid4()),
        "observed_at": (now_utc() - timedelta(minutes=5)).isoformat(),
        "symptoms": [{"code": "nausea", "severity": 1}],
    }
    body.update(overrides)
    return body


def send(client, caller, **overrides):
    response = client.post("/api/v1/me/reports", json=report(**overrides), headers=caller.headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def flags_of(patient_id):
    db.session.rollback()
    return db.session.scalars(select(Flag).where(Flag.patient_id == patient_id).order_by(Flag.created_at)).all()


def add_infusion(world, **values):
    now = now_utc()
    defaults = {
        "started_at": now - timedelta(hours=4),
        "ended_at": now - timedelta(hours=3),
        "route": "iv",
        "phase": "induction",
    }
    defaults.update(values)
    infusion = Infusion(
        clinic_id=world.clinic.id,
        patient_id=world.patient.principal.patient_id,
        created_at=now,
        updated_at=now,
        **defaults,
    )
    db.session.add(infusion)
    db.session.commit()
    return infusion


# --- the phone's answer ---------------------------------------------------------------------------------------


def test_neutral_report_is_not_flagged(client, world):
    answer = send(client, world.patient)
    assert answer["triage"]["flagged"] is False and answer["triage"]["priority"] is None
    assert "crisis_resources" not in answer["triage"]
    assert flags_of(world.patient.principal.patient_id) == []


def test_suicidal_thoughts_alert_now_with_crisis_resources(client, world):
    before = now_utc()
    answer = send(client, world.patient, suicidal_thoughts=True)
    outcome = answer["triage"]
    assert outcome["flagged"] is True and outcome["priority"] == "critical"
    assert "alerted now" in outcome["message"]
    phones = {r.get("phone") for r in outcome["crisis_resources"]}
    assert {"911", "988"} <= phones
    [flag] = flags_of(world.patient.principal.patient_id)
    assert flag.rule == "suicidal-ideation" and flag.priority == "critical" and flag.status == "open"
    assert timedelta(minutes=14) < flag.due_by - before <= timedelta(minutes=16)
    assert db.session.scalar(select(FlagReport.report_id).where(FlagReport.flag_id == flag.id)) == uuid.UUID(
        answer["id"]
    )


def test_crisis_words_in_a_note_are_caught(client, world):
    answer = send(client, world.patient, note="Honestly I feel like there's no reason to live anymore")
    assert answer["triage"]["priority"] == "critical" and answer["triage"]["crisis_resources"]
    calm = send(client, world.patient, note="Killing it at work today, felt great")
    assert calm["triage"]["flagged"] is False


def test_a_negated_mention_opens_a_high_flag_with_crisis_resources(client, world):
    answer = send(client, world.patient, note="I'm not suicidal, just tired")
    outcome = answer["triage"]
    assert outcome["flagged"] is True and outcome["priority"] == "high"
    assert {"911", "988"} <= {r.get("phone") for r in outcome["crisis_resources"]}
    [flag] = flags_of(world.patient.principal.patient_id)
    assert flag.rule == "crisis-language" and flag.priority == "high" and flag.rule_version == 2
    assert flag.evidence["negated_phrases"] == ["not suicidal"]
    assert "'not suicidal'" in flag.reason


@pytest.mark.parametrize(
    "note, rule, priority",
    [
        ("i dont want to be here anymore", "crisis-language", "high"),
        ("I want to kms", "suicidal-ideation", "critical"),
        ("quiero morir", "suicidal-ideation", "critical"),
    ],
)
def test_crisis_language_gets_crisis_resources(client, world, note, rule, priority):
    outcome = send(client, world.patient, note=note)["triage"]
    assert outcome["priority"] == priority and outcome["crisis_resources"]
    assert [f.rule for f in flags_of(world.patient.principal.patient_id)] == [rule]


@pytest.mark.parametrize("note", ["walked 5 kms", "this headache is killing me", "suicide squad was on tv"])
def test_figures_of_speech_raise_nothing(client, world, note):
    outcome = send(client, world.patient, note=note)["triage"]
    assert outcome["flagged"] is False and "crisis_resources" not in outcome
    assert flags_of(world.patient.principal.patient_id) == []


def test_replay_answers_with_the_same_triage(client, world):
    body = report(suicidal_thoughts=True)
    first = client.post("/api/v1/me/reports", json=body, headers=world.patient.headers)
    again = client.post("/api/v1/me/reports", json=body, headers=world.patient.headers)
    assert again.status_code == 200 and again.get_json() == first.get_json()
    assert len(flags_of(world.patient.principal.patient_id)) == 1
    assert db.session.scalar(select(func.count()).select_from(FlagReport)) == 1


def test_clinic_crisis_resources_are_used(client, world):
    settings = effective_settings(None)
    settings["crisis_resources"] = [{"label": "North Clinic crisis line, 24/7", "phone": "+1 303 555 0111"}]
    world.clinic.settings = settings
    db.session.commit()
    outcome = send(client, world.patient, suicidal_thoughts=True)["triage"]
    assert outcome["crisis_resources"] == [{"label": "North Clinic crisis line, 24/7", "phone": "+1 303 555 0111"}]


def test_hypertensive_crisis_reason_has_values_time_and_route(client, world):
    add_infusion(world)
    answer = send(client, world.patient, vitals={"systolic": 186, "diastolic": 95})
    assert answer["triage"]["priority"] == "critical"
    [flag] = flags_of(world.patient.principal.patient_id)
    assert flag.rule == "hypertensive-crisis"
    assert "186/95" in flag.reason and "IV" in flag.reason and "180/120" in flag.reason
    assert flag.evidence["systolic"] == 186


@pytest.mark.parametrize(
    "overrides, rule, priority",
    [
        ({"symptoms": [{"code": "nausea", "severity": 4}]}, "very-severe-symptom", "critical"),
        ({"symptoms": [{"code": "nausea", "severity": 3}]}, "severe-symptom", "high"),
        ({"vitals": {"systolic": 165, "diastolic": 90}}, "elevated-blood-pressure", "high"),
        ({"vitals": {"heart_rate": 130}}, "abnormal-heart-rate", "high"),
        ({"symptoms": [{"code": "craving", "severity": 2}]}, "misuse-signal", "medium"),
        ({"symptoms": [{"code": "bladder_pain", "severity": 2}]}, "urinary-toxicity", "medium"),
        ({"phq9": [0, 0, 0, 0, 0, 0, 0, 0, 1]}, "suicidal-ideation", "critical"),
    ],
)
def test_rules_reach_the_queue(client, world, overrides, rule, priority):
    answer = send(client, world.patient, **overrides)
    assert answer["triage"]["priority"] == priority
    assert rule in {f.rule for f in flags_of(world.patient.principal.patient_id)}


def test_blood_pressure_rise_uses_the_pre_infusion_reading(client, world):
    add_infusion(world, pre_systolic=110, pre_diastolic=70)
    answer = send(client, world.patient, vitals={"systolic": 152, "diastolic": 80})
    assert answer["triage"]["priority"] == "high"
    assert {f.rule for f in flags_of(world.patient.principal.patient_id)} == {"blood-pressure-rise"}


def test_worsening_reads_the_previous_report(client, world):
    earlier = (now_utc() - timedelta(days=2)).isoformat()
    send(client, world.patient, observed_at=earlier, symptoms=[{"code": "headache", "severity": 0}])
    answer = send(client, world.patient, symptoms=[{"code": "headache", "severity": 2}])
    assert answer["triage"]["priority"] == "medium"
    assert {f.rule for f in flags_of(world.patient.principal.patient_id)} == {"worsening"}


def test_worsening_compares_with_the_latest_earlier_report_of_each_symptom(client, world):
    """Only the latest earlier report of a symptom counts: a mild report long ago does not make a
    steady severe one 'worse'."""
    days_ago = lambda n: (now_utc() - timedelta(days=n)).isoformat()  # noqa: E731
    send(client, world.patient, observed_at=days_ago(5), symptoms=[{"code": "headache", "severity": 0}])
    send(client, world.patient, observed_at=days_ago(3), symptoms=[{"code": "nausea", "severity": 0}])
    send(client, world.patient, observed_at=days_ago(2), symptoms=[{"code": "headache", "severity": 2}])
    answer = send(
        client, world.patient, symptoms=[{"code": "headache", "severity": 2}, {"code": "nausea", "severity": 2}]
    )
    [flag] = [f for f in flags_of(world.patient.principal.patient_id) if f.rule == "worsening"]
    assert [s["code"] for s in flag.evidence["symptoms"]] == ["nausea"]  # headache was already 2 two days ago
    assert flag.evidence["symptoms"][0]["previous_severity"] == 0 and answer["triage"]["flagged"]


def test_the_context_read_brings_one_earlier_report_per_symptom(client, world):
    for days in (6, 5, 4, 3):
        observed = (now_utc() - timedelta(days=days)).isoformat()
        send(client, world.patient, observed_at=observed, symptoms=[{"code": "headache", "severity": days % 3}])
    context = triage.read_context(
        db.session,
        patient_id=world.patient.principal.patient_id,
        observed_at=now_utc(),
        infusion_id=None,
        codes=["headache", "nausea"],
        window=timedelta(days=7),
    )
    [latest] = context.history  # four reports of headache, none of nausea: only the latest comes back
    assert [(s.code, s.severity) for s in latest.symptoms] == [("headache", 0)]
    assert (
        now_utc() - timedelta(days=3, minutes=1)
        < latest.observed_at
        < now_utc() - timedelta(days=3) + timedelta(minutes=1)
    )


def test_worsening_reads_as_far_back_as_the_clinic_window(client, world):
    """A clinic that compares over 14 days is served 14 days of history (not a fixed week)."""
    settings = client.get("/api/v1/clinic/settings", headers=world.admin.headers).get_json()
    settings["thresholds"]["worsening_window_days"] = 14
    assert client.put("/api/v1/clinic/settings", headers=world.admin.headers, json=settings).status_code == 200
    earlier = (now_utc() - timedelta(days=10)).isoformat()
    send(client, world.patient, observed_at=earlier, symptoms=[{"code": "headache", "severity": 0}])
    answer = send(client, world.patient, symptoms=[{"code": "headache", "severity": 2}])
    assert answer["triage"]["priority"] == "medium"
    assert {f.rule for f in flags_of(world.patient.principal.patient_id)} == {"worsening"}


# --- dedupe ---------------------------------------------------------------------------------------------------


def test_matching_reports_join_one_flag(client, world):
    first = send(client, world.patient, symptoms=[{"code": "nausea", "severity": 3}])
    second = send(client, world.patient, symptoms=[{"code": "vomiting", "severity": 3}])
    [flag] = flags_of(world.patient.principal.patient_id)
    assert flag.report_count == 2
    linked = set(db.session.scalars(select(FlagReport.report_id).where(FlagReport.flag_id == flag.id)))
    assert linked == {uuid.UUID(first["id"]), uuid.UUID(second["id"])}
    kinds = [
        e.kind for e in db.session.scalars(select(FlagEvent).where(FlagEvent.flag_id == flag.id).order_by(FlagEvent.id))
    ]
    assert kinds == ["opened", "joined"]
    assert "Vomiting" in flag.reason or "vomiting" in flag.reason


def raise_for(world, *findings, now, report_id=None):
    """triage.raise_flags for the world's patient with the default response targets."""
    return triage.raise_flags(
        db.session,
        clinic_id=world.clinic.id,
        patient_id=world.patient.principal.patient_id,
        report_id=report_id,
        findings=list(findings),
        targets=effective_settings(None)["response_targets_minutes"],
        now=now,
    )


def test_joining_raises_priority_and_pulls_due_by_earlier(world):
    targets = effective_settings(None)["response_targets_minutes"]
    now = now_utc()
    [flag_id] = raise_for(world, Finding("unresponsive", 1, Priority.MEDIUM, "Two missed.", {}), now=now)
    [same] = raise_for(
        world, Finding("unresponsive", 1, Priority.HIGH, "Three missed.", {}), now=now + timedelta(minutes=1)
    )
    db.session.commit()
    assert same == flag_id
    flag = db.session.get(Flag, flag_id)
    db.session.refresh(flag)
    assert flag.priority == "high" and flag.urgency == 2
    assert flag.due_by == now + timedelta(minutes=1) + timedelta(minutes=targets["high"])
    # A lower priority joining later keeps the higher one and the earlier due time.
    raise_for(world, Finding("unresponsive", 1, Priority.MEDIUM, "Four missed.", {}), now=now + timedelta(minutes=2))
    db.session.commit()
    db.session.refresh(flag)
    assert flag.priority == "high" and flag.report_count == 3
    assert flag.due_by == now + timedelta(minutes=1) + timedelta(minutes=targets["high"])


def test_several_findings_open_and_join_their_flags_in_one_call(client, world):
    """Every finding of one report: a new flag, or the active one of its rule joined; events, links and the
    opened counter follow; the ids come back in the findings' order."""
    from service.metrics import FLAGS_OPENED

    pid = world.patient.principal.patient_id
    targets = effective_settings(None)["response_targets_minutes"]
    now = now_utc()
    [existing] = raise_for(world, Finding("low-mood", 1, Priority.MEDIUM, "Mood 2.", {"mood": 2}), now=now)
    db.session.commit()
    report_id = uuid.UUID(send(client, world.patient, mood=5)["id"])
    findings = [
        Finding("suicidal-ideation", 1, Priority.CRITICAL, "Said yes.", {"suicidal_thoughts": True}),
        Finding("low-mood", 2, Priority.HIGH, "Mood 1.", {"mood": 1, "baseline": None}),
        Finding("severe-symptom", 1, Priority.HIGH, "Nausea 4.", {"codes": ["nausea"]}),
    ]
    opened_before = (
        FLAGS_OPENED.labels(priority="critical")._value.get() + FLAGS_OPENED.labels(priority="high")._value.get()
    )
    ids = raise_for(world, *findings, now=now + timedelta(minutes=1), report_id=report_id)
    db.session.commit()
    opened_after = (
        FLAGS_OPENED.labels(priority="critical")._value.get() + FLAGS_OPENED.labels(priority="high")._value.get()
    )
    assert opened_after - opened_before == 2  # the joined low-mood flag is not counted as opened
    flags = {f.id: f for f in flags_of(pid)}
    assert [flags[i].rule for i in ids] == ["suicidal-ideation", "low-mood", "severe-symptom"]
    assert ids[1] == existing
    joined = flags[existing]
    assert (joined.priority, joined.urgency, joined.report_count, joined.version) == ("high", 2, 2, 2)
    assert joined.evidence == {"mood": 1, "baseline": None} and joined.rule_version == 2
    assert joined.due_by == now + timedelta(minutes=1) + timedelta(minutes=targets["high"])
    assert joined.last_report_at == now + timedelta(minutes=1)
    new = flags[ids[0]]
    assert (new.status, new.priority, new.urgency, new.report_count, new.escalation_level) == (
        "open",
        "critical",
        1,
        1,
        0,
    )
    assert new.created_at == new.updated_at == now + timedelta(minutes=1)
    linked = set(db.session.scalars(select(FlagReport.flag_id).where(FlagReport.report_id == report_id)))
    assert linked == set(ids)
    events = db.session.scalars(select(FlagEvent).where(FlagEvent.report_id == report_id).order_by(FlagEvent.id)).all()
    assert [(e.flag_id, e.kind, e.text) for e in events if e.kind != "paged"] == [
        (ids[0], "opened", "Said yes."),
        (ids[1], "joined", "Mood 1."),
        (ids[2], "opened", "Nausea 4."),
    ]
    # The critical flag that opened was paged in the same call; the high ones were not.
    assert [(e.flag_id, e.data["reason"]) for e in events if e.kind == "paged"] == [(ids[0], "opened")]
    assert events[1].data == {
        "rule": "low-mood",
        "version": 2,
        "priority": "high",
        "evidence": {"mood": 1, "baseline": None},
    }


def test_two_findings_of_one_rule_are_refused_before_anything_is_written(world):
    pid = world.patient.principal.patient_id
    twice = [Finding("low-mood", 1, Priority.MEDIUM, "a", {}), Finding("low-mood", 1, Priority.HIGH, "b", {})]
    with pytest.raises(ValueError, match="one finding per rule"):
        raise_for(world, *twice, now=now_utc())
    assert flags_of(pid) == []


def test_resolved_flag_lets_a_new_one_open(client, world):
    send(client, world.patient, symptoms=[{"code": "nausea", "severity": 3}])
    [flag] = flags_of(world.patient.principal.patient_id)
    response = client.post(
        f"/api/v1/flags/{flag.id}/resolve",
        headers=world.nurse.headers,
        json={"resolution": "contacted_patient", "note": "Called; settling."},
    )
    assert response.status_code == 200
    send(client, world.patient, symptoms=[{"code": "nausea", "severity": 3}])
    assert [f.status for f in flags_of(world.patient.principal.patient_id)] == ["resolved", "open"]


# --- queue ----------------------------------------------------------------------------------------------------


def test_queue_puts_critical_first_then_soonest_due(client, world):
    send(client, world.patient, symptoms=[{"code": "craving", "severity": 2}])  # medium
    send(client, world.other_patient, symptoms=[{"code": "nausea", "severity": 3}])  # high
    send(client, world.patient, suicidal_thoughts=True)  # critical
    send(client, world.other_clinic_patient, suicidal_thoughts=True)  # another clinic's: never shown
    response = client.get("/api/v1/flags", headers=world.nurse.headers)
    assert response.status_code == 200
    items = response.get_json()
    assert [i["priority"] for i in items] == ["critical", "high", "medium"]
    assert items[0]["patient_display_name"] == "Pat North" and items[0]["report_ids"]
    assert "X-Next-Cursor" not in response.headers
    other = client.get("/api/v1/flags", headers=world.other_admin.headers).get_json()
    assert [i["patient_display_name"] for i in other] == ["Sol South"]


def test_queue_filters(client, world):
    send(client, world.patient, symptoms=[{"code": "craving", "severity": 2}])
    send(client, world.other_patient, symptoms=[{"code": "nausea", "severity": 3}])
    get = lambda **q: client.get("/api/v1/flags", query_string=q, headers=world.nurse.headers).get_json()  # noqa: E731
    assert [i["priority"] for i in get(priority="high")] == ["high"]
    assert [i["patient_id"] for i in get(patient_id=str(world.patient.principal.patient_id))] == [
        str(world.patient.principal.patient_id)
    ]
    assert get(overdue="true") == []
    flag_id = get(priority="high")[0]["id"]
    client.post(f"/api/v1/flags/{flag_id}/acknowledge", headers=world.nurse.headers)
    assert [i["id"] for i in get(assignee="me")] == [flag_id]
    assert [i["priority"] for i in get(assignee="none")] == ["medium"]
    assert [i["id"] for i in get(status="acknowledged")] == [flag_id]
    db.session.execute(Flag.__table__.update().values(due_by=now_utc() - timedelta(minutes=1)))
    db.session.commit()
    overdue = get(overdue="true")
    assert len(overdue) == 2 and all(i["overdue"] for i in overdue)
    bad = client.get("/api/v1/flags", query_string={"assignee": "someone"}, headers=world.nurse.headers)
    assert bad.status_code == 422 and "assignee" in bad.get_json()["errors"]["query"]


def test_keyset_pages_walk_the_whole_queue_once(client, world, app):
    targets = effective_settings(None)["response_targets_minutes"]
    now = now_utc()
    patients = [factories.make_patient(world.clinic) for _ in range(9)]
    for n, patient in enumerate(patients):
        findings = [
            Finding(rule, 1, priority, "x", {})
            for rule, priority in (
                ("severe-symptom", Priority.HIGH),
                ("misuse-signal", Priority.MEDIUM),
                ("suicidal-ideation", Priority.CRITICAL),
            )
        ]
        triage.raise_flags(
            db.session,
            clinic_id=world.clinic.id,
            patient_id=patient.id,
            report_id=None,
            findings=findings,
            targets=targets,
            now=now - timedelta(minutes=n),
        )
    db.session.commit()
    seen, cursor, pages = [], None, 0
    while True:
        query = {"limit": 4, **({"cursor": cursor} if cursor else {})}
        response = client.get("/api/v1/flags", query_string=query, headers=world.nurse.headers)
        assert response.status_code == 200
        seen.extend(response.get_json())
        pages += 1
        cursor = response.headers.get("X-Next-Cursor")
        if not cursor:
            break
        assert 'rel="next"' in response.headers["Link"]
    assert pages == 7 and len(seen) == 27 and len({i["id"] for i in seen}) == 27
    order = [({"critical": 1, "high": 2, "medium": 3}[i["priority"]], i["due_by"]) for i in seen]
    assert order == sorted(order)
    bad = client.get("/api/v1/flags", query_string={"cursor": "garbage!"}, headers=world.nurse.headers)
    assert bad.status_code == 422 and "cursor" in bad.get_json()["errors"]["query"]


# --- lifecycle ------------------------------------------------------------------------------------------------


def _flag_for(client, world):
    answer = send(client, world.patient, symptoms=[{"code": "nausea", "severity": 3}])
    [flag] = flags_of(world.patient.principal.patient_id)
    return flag, answer["id"]


def test_acknowledge_shows_the_patient_their_report_was_reviewed(client, world):
    flag, report_id = _flag_for(client, world)
    mine = client.get(f"/api/v1/me/reports/{report_id}", headers=world.patient.headers).get_json()
    assert mine["reviewed_at"] is None
    response = client.post(f"/api/v1/flags/{flag.id}/acknowledge", headers=world.nurse.headers)
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "acknowledged"
    assert body["assignee_id"] == str(world.nurse.principal.id)
    assert body["acknowledged_by_id"] == str(world.nurse.principal.id)
    assert response.headers["ETag"] == f'"{body["version"]}"'
    mine = client.get(f"/api/v1/me/reports/{report_id}", headers=world.patient.headers).get_json()
    assert mine["reviewed_at"] is not None


def test_acknowledge_with_another_assignee(client, world):
    flag, _ = _flag_for(client, world)
    response = client.post(
        f"/api/v1/flags/{flag.id}/acknowledge",
        headers=world.nurse.headers,
        json={"assignee_id": str(world.physician.principal.id)},
    )
    assert response.get_json()["assignee_id"] == str(world.physician.principal.id)
    foreign = client.post(
        f"/api/v1/flags/{flag.id}/assign",
        headers=world.nurse.headers,
        json={"clinician_id": str(world.other_admin.principal.id)},
    )
    assert foreign.status_code == 422 and "clinician_id" in foreign.get_json()["errors"]["json"]


def test_lifecycle_and_impossible_transitions(client, world):
    flag, _ = _flag_for(client, world)
    url = f"/api/v1/flags/{flag.id}"
    no_note = client.post(url + "/resolve", headers=world.nurse.headers, json={"resolution": "no_action_needed"})
    assert no_note.status_code == 422 and "note" in no_note.get_json()["errors"]["json"]
    blank = client.post(
        url + "/resolve", headers=world.nurse.headers, json={"resolution": "no_action_needed", "note": "   "}
    )
    assert blank.status_code == 422
    bad = client.post(url + "/resolve", headers=world.nurse.headers, json={"resolution": "shrug", "note": "x"})
    assert bad.status_code == 422 and "resolution" in bad.get_json()["errors"]["json"]
    assert (
        client.post(url + "/escalate", headers=world.nurse.headers, json={"note": "Need a physician"}).status_code
        == 200
    )
    assert client.post(url + "/notes", headers=world.nurse.headers, json={"text": "Left a message"}).status_code == 201
    done = client.post(
        url + "/resolve",
        headers=world.physician.headers,
        json={"resolution": "adjusted_treatment", "note": "Lowered next dose."},
    )
    assert done.status_code == 200
    body = done.get_json()
    assert body["status"] == "resolved" and body["resolution"] == "adjusted_treatment"
    assert body["escalation_level"] == 1
    assert [e["kind"] for e in body["events"]] == ["opened", "escalated", "note", "resolved"]
    for action, payload in (
        ("/acknowledge", {}),
        ("/resolve", {"resolution": "duplicate", "note": "x"}),
        ("/escalate", {}),
        ("/assign", {"clinician_id": str(world.nurse.principal.id)}),
    ):
        response = client.post(url + action, headers=world.nurse.headers, json=payload)
        assert response.status_code == 409, action
        assert response.get_json()["code"] == 409
    # the queue no longer shows it
    assert client.get("/api/v1/flags", headers=world.nurse.headers).get_json() == []


def test_stale_if_match_is_412(client, world):
    flag, _ = _flag_for(client, world)
    url = f"/api/v1/flags/{flag.id}"
    etag = client.get(url, headers=world.nurse.headers).headers["ETag"]
    client.post(url + "/notes", headers=world.physician.headers, json={"text": "I'll call."})
    stale = client.post(url + "/acknowledge", headers={**world.nurse.headers, "If-Match": etag})
    assert stale.status_code == 412
    fresh = client.get(url, headers=world.nurse.headers).headers["ETag"]
    ok = client.post(url + "/acknowledge", headers={**world.nurse.headers, "If-Match": fresh})
    assert ok.status_code == 200


def test_flag_detail_has_reports_patient_and_history(client, world):
    add_infusion(world, dose_mg=42.0)
    flag, report_id = _flag_for(client, world)
    body = client.get(f"/api/v1/flags/{flag.id}", headers=world.physician.headers).get_json()
    assert [r["id"] for r in body["reports"]] == [report_id]
    assert body["reports"][0]["symptoms"][0] == {"code": "nausea", "severity": 3, "started_at": None, "note": None}
    assert body["patient"]["display_name"] == "Pat North" and body["patient"]["age"] >= 18
    assert body["patient"]["latest_infusion"]["route"] == "iv"
    assert body["patient"]["latest_infusion"]["dose_mg"] == 42.0
    assert body["events"][0]["kind"] == "opened"


@pytest.mark.parametrize("action", ["acknowledge", "resolve"])
def test_racing_clinicians_exactly_one_wins(app, client, world, action):
    flag, _ = _flag_for(client, world)
    callers = [world.nurse, world.physician, world.admin] + [
        type(world.nurse)(
            None, factories.bearer(factories.tokens_for(app, factories.make_clinician(world.clinic))), None
        )
        for _ in range(5)
    ]
    statuses, errors = [], []
    barrier = threading.Barrier(len(callers))
    payload = {"resolution": "contacted_patient", "note": "Called."} if action == "resolve" else {}

    def act(caller):
        try:
            with app.test_client() as c:
                barrier.wait(timeout=10)
                statuses.append(
                    c.post(f"/api/v1/flags/{flag.id}/{action}", headers=caller.headers, json=payload).status_code
                )
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=act, args=(caller,)) for caller in callers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    assert sorted(statuses) == [200] + [409] * (len(callers) - 1)
    events = db.session.scalar(
        select(func.count())
        .select_from(FlagEvent)
        .where(
            FlagEvent.flag_id == flag.id, FlagEvent.kind == ("acknowledged" if action == "acknowledge" else "resolved")
        )
    )
    assert events == 1


def test_cross_clinic_flags_are_404(client, world):
    flag, _ = _flag_for(client, world)
    for suffix, method, payload in (("", "get", None), ("/acknowledge", "post", {}), ("/notes", "post", {"text": "x"})):
        response = getattr(client, method)(
            f"/api/v1/flags/{flag.id}{suffix}", headers=world.other_admin.headers, json=payload
        )
        assert response.status_code == 404
        assert str(flag.id) not in response.get_data(as_text=True)


# --- settings -------------------------------------------------------------------------------------------------


def test_settings_change_changes_the_outcome_and_is_recorded(client, world):
    settings = client.get("/api/v1/clinic/settings", headers=world.admin.headers).get_json()
    assert settings["thresholds"]["crisis_systolic"] == 180
    assert send(client, world.patient, vitals={"systolic": 175, "diastolic": 90})["triage"]["priority"] == "high"
    settings["thresholds"]["crisis_systolic"] = 170
    response = client.put("/api/v1/clinic/settings", headers=world.admin.headers, json=settings)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["thresholds"]["crisis_systolic"] == 170
    assert send(client, world.patient, vitals={"systolic": 175, "diastolic": 90})["triage"]["priority"] == "critical"
    history = client.get("/api/v1/clinic/settings/history", headers=world.admin.headers).get_json()
    assert history[0]["actor_id"] == str(world.admin.principal.id)
    assert history[0]["before"]["thresholds"]["crisis_systolic"] == 180
    assert history[0]["after"]["thresholds"]["crisis_systolic"] == 170


@pytest.mark.parametrize(
    "key, value", [("crisis_systolic", 400), ("hr_low", 200), ("severe_severity", 7), ("crisis_systolic", "high")]
)
def test_settings_that_would_never_or_always_fire_are_422(client, world, key, value):
    settings = client.get("/api/v1/clinic/settings", headers=world.admin.headers).get_json()
    settings["thresholds"][key] = value
    response = client.put("/api/v1/clinic/settings", headers=world.admin.headers, json=settings)
    assert response.status_code == 422
    assert key in response.get_json()["errors"]["json"]["thresholds"]
    again = client.get("/api/v1/clinic/settings", headers=world.admin.headers).get_json()
    assert again["thresholds"][key] != value


def test_settings_shape_is_validated(client, world):
    settings = client.get("/api/v1/clinic/settings", headers=world.admin.headers).get_json()
    wrong = {**settings, "response_targets_minutes": {**settings["response_targets_minutes"], "critical": 600}}
    response = client.put("/api/v1/clinic/settings", headers=world.admin.headers, json=wrong)
    assert response.status_code == 422 and "response_targets_minutes" in response.get_json()["errors"]["json"]
    unknown = {**settings, "thresholds": {**settings["thresholds"], "vibes": 3}}
    assert client.put("/api/v1/clinic/settings", headers=world.admin.headers, json=unknown).status_code == 422
    assert client.put("/api/v1/clinic/settings", headers=world.nurse.headers, json=settings).status_code == 403


# A note with no listed crisis phrase that the classifier reads as crisis language (score ≥ its threshold).
MODEL_ONLY_NOTE = "so depressed, crying every night, i just want to sleep and not feel anything anymore"


def test_a_note_only_the_classifier_reads_as_crisis_gets_crisis_resources_and_a_high_flag_no_page(client, world):
    answer = send(client, world.patient, note=MODEL_ONLY_NOTE)
    outcome = answer["triage"]
    assert outcome["flagged"] is True and outcome["priority"] == "high"
    assert {"911", "988"} <= {r.get("phone") for r in outcome["crisis_resources"]}
    assert "alerted now" not in outcome["message"]
    [flag] = flags_of(world.patient.principal.patient_id)
    assert (flag.rule, flag.priority, flag.rule_version) == ("crisis-language", "high", 2)
    assert flag.reason.startswith("The note reads like crisis language: classifier score 0.")
    assert flag.evidence["model_score"] >= flag.evidence["model_threshold"]
    assert "concern_phrases" not in flag.evidence and "negated_phrases" not in flag.evidence
    kinds = db.session.scalars(select(FlagEvent.kind).where(FlagEvent.flag_id == flag.id)).all()
    assert "paged" not in kinds


def test_a_rule_hit_stays_critical_and_paged_when_the_classifier_agrees(client, world):
    outcome = send(client, world.patient, note=MODEL_ONLY_NOTE + ". I want to kill myself")["triage"]
    assert outcome["priority"] == "critical" and outcome["crisis_resources"]
    [flag] = flags_of(world.patient.principal.patient_id)
    assert flag.rule == "suicidal-ideation" and flag.evidence["crisis_phrases"] == ["kill myself"]
    kinds = db.session.scalars(select(FlagEvent.kind).where(FlagEvent.flag_id == flag.id)).all()
    assert "paged" in kinds
