"""Property: any adverse event body is either stored (and then every rule holds) or refused with a 422 that
names a field and stores nothing (no event, no version, no audit entry) — never a 500."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from service.clock import now_utc
from service.enums import SeriousnessCriterion
from service.extensions import db
from service.models import AdverseEvent, AdverseEventVersion, AuditEntry
from service.vocabulary import CTCAE_TERMS, is_other
from tests.api.ae_support import EVENTS

CRITERIA = [c.value for c in SeriousnessCriterion]
OUTCOMES = ["recovered", "recovering", "not_recovered", "recovered_with_sequelae", "unknown"]


@st.composite
def coherent(draw) -> dict:
    """A body that follows every rule."""
    serious = draw(st.booleans())
    criteria = draw(st.lists(st.sampled_from(CRITERIA), min_size=1, max_size=3, unique=True)) if serious else []
    death = "death" in criteria
    term = draw(st.sampled_from(CTCAE_TERMS))
    outcome = "fatal" if death else draw(st.sampled_from(OUTCOMES))
    raw = {
        "term": term,
        "grade": 5 if death else draw(st.integers(1, 4)),
        "serious": serious,
        "seriousness": criteria,
        "causality": draw(
            st.sampled_from(["certain", "probable", "possible", "unlikely", "conditional", "unassessable"])
        ),
        "action_taken": draw(
            st.sampled_from(["none", "dose_reduced", "infusion_interrupted", "treatment_discontinued", "unknown"])
        ),
        "outcome": outcome,
        "onset_hours_ago": draw(st.integers(1, 24 * 400)),
        "narrative": draw(st.text(min_size=1, max_size=60).filter(lambda t: t.strip() and "\x00" not in t)),
    }
    if is_other(term):
        raw["term_other"] = draw(st.text(min_size=1, max_size=30).filter(lambda t: t.strip() and "\x00" not in t))
    if draw(st.booleans()):
        raw["aware_after_onset_hours"] = draw(st.integers(0, raw["onset_hours_ago"]))
    if outcome not in ("recovering", "not_recovered") and draw(st.booleans()):
        raw["resolved_after_onset_hours"] = draw(st.integers(0, raw["onset_hours_ago"]))
    return raw


BREAKAGES = {
    "term": st.sampled_from(["nausea", "", "Headache ", 7, None]),
    "term_other": st.sampled_from(["x" * 201, "  "]),
    "grade": st.sampled_from([0, 6, "2", 2.5, True, None, 10**30]),
    "serious": st.sampled_from(["true", 1, None]),
    "seriousness": st.sampled_from([["sad"], "death", [None], ["death"], ["life_threatening"]]),
    "causality": st.sampled_from(["likely", "", None]),
    "action_taken": st.sampled_from(["stopped", 3]),
    "outcome": st.sampled_from(["better", "fatal", "recovering"]),
    "onset_hours_ago": st.integers(-48, -1),
    "narrative": st.sampled_from(["", "  ", "x" * 10001, "a\x00b", None]),
    "aware_after_onset_hours": st.integers(-10, -1),
    "resolved_after_onset_hours": st.integers(-10, -1),
}


@st.composite
def broken(draw) -> dict:
    """A coherent body with one or two fields made wrong (some breakages happen to stay valid)."""
    raw = draw(coherent())
    for key in draw(st.lists(st.sampled_from(sorted(BREAKAGES)), min_size=1, max_size=2, unique=True)):
        raw[key] = draw(BREAKAGES[key])
    return raw


raw_bodies = st.one_of(coherent(), broken())


def build(raw: dict, patient_id, now: datetime) -> dict:
    raw = dict(raw)
    onset = now.replace(microsecond=0) - timedelta(hours=raw.pop("onset_hours_ago"))
    body = {"patient_id": str(patient_id), "onset_at": onset.isoformat()}
    aware = raw.pop("aware_after_onset_hours", None)
    if aware is not None:
        body["aware_at"] = (onset + timedelta(hours=aware)).isoformat()
    resolved = raw.pop("resolved_after_onset_hours", None)
    if resolved is not None:
        body["resolved_at"] = (onset + timedelta(hours=resolved)).isoformat()
    body.update(raw)
    return body


def counts() -> tuple[int, int, int]:
    db.session.rollback()
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (AdverseEvent, AdverseEventVersion, AuditEntry)
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=raw_bodies)
def test_any_body_is_stored_whole_or_refused_naming_a_field(client, world, raw):
    sent = build(raw, world.patient.principal.patient_id, now_utc())
    before = counts()
    response = client.post(EVENTS, json=sent, headers=world.nurse.headers)
    assert response.status_code in (201, 422), response.get_data(as_text=True)
    event(f"status {response.status_code}")
    if response.status_code == 422:
        errors = response.get_json()["errors"]["json"]
        assert errors and all(reasons for reasons in errors.values())
        assert counts() == before
        return
    stored = response.get_json()
    assert counts() == (before[0] + 1, before[1] + 1, before[2] + 1)
    assert stored["term"] == sent["term"] and stored["grade"] == sent["grade"]
    criteria = set(stored["seriousness"])
    assert stored["serious"] == bool(criteria)
    assert (stored["grade"] == 5) == ("death" in criteria) == (stored["outcome"] == "fatal")
    aware = datetime.fromisoformat(stored["aware_at"])
    onset = datetime.fromisoformat(stored["onset_at"])
    assert aware >= onset
    if stored["serious"]:
        days = 7 if criteria & {"death", "life_threatening"} else 15
        assert datetime.fromisoformat(stored["regulatory_due_at"]) == aware + timedelta(days=days)
    else:
        assert stored["regulatory_due_at"] is None
    if stored["resolved_at"]:
        assert datetime.fromisoformat(stored["resolved_at"]) >= onset
        assert stored["outcome"] not in ("recovering", "not_recovered")
