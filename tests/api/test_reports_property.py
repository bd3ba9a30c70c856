"""Property: whatever the schema accepts is stored and read back unchanged; whatever it refuses stores nothing."""

from __future__ import annotations

import uuid
from datetime import timedelta

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from service.clock import now_utc
from service.extensions import db
from service.models import Report, ReportSymptom
from service.vocabulary import CODES


def mostly(valid, invalid):
    """Mostly valid values, sometimes invalid ones, so both branches of the property are exercised."""
    return st.one_of(valid, valid, valid, valid, invalid)


text = mostly(st.one_of(st.none(), st.text(max_size=40)), st.sampled_from(["x" * 2001, "bad\x00byte"]))
symptom = st.fixed_dictionaries(
    {
        "code": mostly(st.sampled_from(CODES[:-1]), st.sampled_from(["zombie", "other"])),
        "severity": mostly(st.integers(0, 4), st.sampled_from([-1, 5, 1.5])),
    },
    optional={"note": text, "started_at_minutes": st.integers(-600, 20)},
)
vitals = mostly(
    st.one_of(
        st.none(),
        st.fixed_dictionaries({"systolic": st.integers(100, 300), "diastolic": st.integers(30, 99)}),
        st.fixed_dictionaries({"heart_rate": st.integers(20, 250)}),
    ),
    st.fixed_dictionaries(
        {},
        optional={
            "systolic": st.integers(40, 310),
            "diastolic": st.integers(20, 210),
            "heart_rate": st.integers(10, 260),
        },
    ),
)
body = st.fixed_dictionaries(
    {"observed_minutes_ago": mostly(st.integers(-4, 29 * 24 * 60), st.integers(-20, 31 * 24 * 60))},
    optional={
        "symptoms": st.lists(symptom, max_size=4),
        "mood": mostly(st.one_of(st.none(), st.integers(0, 10)), st.sampled_from([-1, 11])),
        "suicidal_thoughts": st.one_of(st.none(), st.booleans()),
        "phq9": mostly(
            st.one_of(st.none(), st.lists(st.integers(0, 3), min_size=9, max_size=9)),
            st.lists(st.integers(-1, 4), min_size=8, max_size=10),
        ),
        "vitals": vitals,
        "note": text,
    },
)


def build(raw: dict, now) -> dict:
    observed = now - timedelta(minutes=raw.pop("observed_minutes_ago"))
    out = {"client_report_id": str(uuid.uuid4()), "observed_at": observed.isoformat()}
    for key, value in raw.items():
        out[key] = value
    if "symptoms" in raw:
        out["symptoms"] = []
        for entry in raw["symptoms"]:
            item = dict(entry)
            minutes = item.pop("started_at_minutes", None)
            if minutes is not None:
                item["started_at"] = (observed + timedelta(minutes=minutes)).isoformat()
            out["symptoms"].append(item)
    return out


def counts():
    return (
        db.session.scalar(select(func.count()).select_from(Report)),
        db.session.scalar(select(func.count()).select_from(ReportSymptom)),
    )


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=body)
def test_accepted_is_stored_unchanged_rejected_stores_nothing(client, world, raw):
    sent = build(dict(raw), now_utc())
    before = counts()
    response = client.post("/api/v1/me/reports", json=sent, headers=world.patient.headers)
    assert response.status_code in (201, 422), response.get_json()
    event(f"status {response.status_code}")
    db.session.rollback()
    if response.status_code == 422:
        assert response.get_json()["errors"]
        assert counts() == before
        return
    report_id = response.get_json()["id"]
    stored = client.get(f"/api/v1/me/reports/{report_id}", headers=world.patient.headers).get_json()
    assert stored["client_report_id"] == sent["client_report_id"]
    assert stored["observed_at"] and _same_instant(stored["observed_at"], sent["observed_at"])
    for key in ("mood", "suicidal_thoughts", "phq9", "note"):
        assert stored[key] == sent.get(key)
    want_vitals = sent.get("vitals")
    if want_vitals:
        assert {k: v for k, v in stored["vitals"].items() if v is not None} == want_vitals
    else:
        assert stored["vitals"] is None
    got = {s["code"]: s for s in stored["symptoms"]}
    want = {s["code"]: s for s in sent.get("symptoms") or []}
    assert set(got) == set(want)
    for code, entry in want.items():
        assert got[code]["severity"] == entry["severity"]
        assert got[code]["note"] == entry.get("note")
        if "started_at" in entry:
            assert _same_instant(got[code]["started_at"], entry["started_at"])
    assert counts() == (before[0] + 1, before[1] + len(want))


def _same_instant(a: str, b: str) -> bool:
    from datetime import datetime

    return datetime.fromisoformat(a) == datetime.fromisoformat(b)
