"""The analytics roll-ups are kept by the service as reports arrive and infusions are recorded and corrected,
and always equal what their rebuilds work out from the stored rows alone: incidence's (infusions.followed_up,
infusion_symptoms; incidence.rebuild) and outcomes' patient courses (outcomes.rebuild_courses).

Incidence:

An IV infusion ends 5 days ago. Reports tied to it, through the API: at +1 h euphoria 2 and dizziness 0 (euphoria
counts, within its 6 h; severity 0 never counts), at +10 h euphoria 1 (beyond 6 h: adds nothing) and low mood 1
(within 14 days: counts). Another patient's report counts for nothing. Then the clinic corrects the end 12 h
later: both reports now lie before the end, so the infusion is not followed up and has no symptoms; corrected
again to 30 minutes after the first end, both count once more.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select

from service.clock import now_utc
from service.domain import incidence, outcomes
from service.extensions import db
from service.models import Infusion, InfusionSymptom, PatientCourse

REPORTS = "/api/v1/me/reports"


def _iso(moment) -> str:
    return moment.isoformat()


def _state(infusion_id) -> tuple[bool, set[str]]:
    db.session.rollback()
    db.session.expire_all()
    followed = db.session.scalar(select(Infusion.followed_up).where(Infusion.id == infusion_id))
    codes = set(db.session.scalars(select(InfusionSymptom.code).where(InfusionSymptom.infusion_id == infusion_id)))
    return followed, codes


def _rebuilt(infusion_id) -> tuple[bool, set[str]]:
    """The roll-up worked out again from the reports alone (rolled back afterwards: the kept one stays)."""
    db.session.rollback()
    incidence.rebuild(db.session)
    followed = db.session.scalar(select(Infusion.followed_up).where(Infusion.id == infusion_id))
    codes = set(db.session.scalars(select(InfusionSymptom.code).where(InfusionSymptom.infusion_id == infusion_id)))
    db.session.rollback()
    return followed, codes


def _report(client, caller, observed, symptoms, infusion_id=None) -> None:
    body = {"client_report_id": str(uuid.uuid4()), "observed_at": _iso(observed), "symptoms": symptoms}
    if infusion_id is not None:
        body["infusion_id"] = str(infusion_id)
    answer = client.post(REPORTS, json=body, headers=caller.headers)
    assert answer.status_code == 201, answer.get_json()


def _infusion(client, world, ended, phase="induction"):
    answer = client.post(
        f"/api/v1/patients/{world.patient.principal.patient_id}/infusions",
        json={"started_at": _iso(ended - timedelta(minutes=45)), "ended_at": _iso(ended), "route": "iv",
              "phase": phase, "dose_mg": 35.0, "dose_mg_per_kg": 0.5},
        headers=world.nurse.headers,
    )  # fmt: skip
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def test_each_report_adds_to_its_infusion_as_the_rebuild_would(client, world):
    ended = now_utc() - timedelta(days=5)
    infusion = _infusion(client, world, ended)
    infusion_id = uuid.UUID(infusion["id"])
    assert _state(infusion_id) == (False, set()) == _rebuilt(infusion_id)

    _report(client, world.patient, ended + timedelta(hours=1), [{"code": "euphoria", "severity": 2},
                                                        {"code": "dizziness", "severity": 0}], infusion_id)  # fmt: skip
    assert _state(infusion_id) == (True, {"euphoria"}) == _rebuilt(infusion_id)

    _report(client, world.patient, ended + timedelta(hours=10), [{"code": "euphoria", "severity": 1},
                                                         {"code": "low_mood", "severity": 1}], infusion_id)  # fmt: skip
    _report(client, world.other_patient, ended + timedelta(hours=2), [{"code": "nausea", "severity": 3}])
    assert _state(infusion_id) == (True, {"euphoria", "low_mood"}) == _rebuilt(infusion_id)


def test_a_corrected_end_works_the_infusion_out_again(client, world):
    ended = now_utc() - timedelta(days=5)
    infusion = _infusion(client, world, ended)
    infusion_id = uuid.UUID(infusion["id"])
    _report(client, world.patient, ended + timedelta(hours=1), [{"code": "euphoria", "severity": 2}], infusion_id)
    _report(client, world.patient, ended + timedelta(hours=10), [{"code": "low_mood", "severity": 1}], infusion_id)
    assert _state(infusion_id) == (True, {"euphoria", "low_mood"})

    later = client.patch(
        f"/api/v1/infusions/{infusion_id}",
        json={"ended_at": _iso(ended + timedelta(hours=12))},
        headers=world.nurse.headers,
    )
    assert later.status_code == 200, later.get_json()
    # The +1 h report is now before the end, the +10 h one too: nothing tied to it lies after the end.
    assert _state(infusion_id) == (False, set()) == _rebuilt(infusion_id)

    back = client.patch(
        f"/api/v1/infusions/{infusion_id}",
        json={"ended_at": _iso(ended + timedelta(minutes=30))},
        headers=world.nurse.headers,
    )
    assert back.status_code == 200, back.get_json()
    # +30 min: the +1 h report is 30 min after the end (euphoria within 6 h), the +10 h one within 72 h.
    assert _state(infusion_id) == (True, {"euphoria", "low_mood"}) == _rebuilt(infusion_id)


# --- outcomes: the patient's course -----------------------------------------------------------------------------

COURSE = (
    "start_1", "start_2", "start_3", "start_4", "start_5", "start_6", "start_7", "maintenance_started_at",
    "first_phq9_observed_at", "first_phq9_received_at", "first_phq9_total",
)  # fmt: skip


def _course(patient_id) -> tuple | None:
    db.session.rollback()
    db.session.expire_all()
    row = db.session.get(PatientCourse, patient_id)
    return None if row is None else tuple(getattr(row, name) for name in COURSE)


def _course_rebuilt(patient_id) -> tuple | None:
    db.session.rollback()
    outcomes.rebuild_courses(db.session)
    db.session.expire_all()
    row = db.session.get(PatientCourse, patient_id)
    values = None if row is None else tuple(getattr(row, name) for name in COURSE)
    db.session.rollback()
    return values


def _phq9(client, caller, observed, total) -> None:
    answers = [min(3, max(0, total - 3 * n)) for n in range(9)]
    assert sum(answers) == total
    body = {"client_report_id": str(uuid.uuid4()), "observed_at": _iso(observed), "phq9": answers}
    answer = client.post(REPORTS, json=body, headers=caller.headers)
    assert answer.status_code == 201, answer.get_json()


def test_the_course_follows_infusions_and_phq9s_as_the_rebuild_would(client, world):
    """A PHQ-9 before treatment, two infusions, a PHQ-9 earlier than the first (it becomes the first), a later
    one (it does not), and a correction making the second infusion a maintenance one that starts first."""
    pid = world.patient.principal.patient_id
    now = now_utc()
    _phq9(client, world.patient, now - timedelta(days=9), 18)
    course = _course(pid)
    assert course[-1] == 18 and course[0] is None and course == _course_rebuilt(pid)

    _infusion(client, world, now - timedelta(days=8))
    second = _infusion(client, world, now - timedelta(days=5))
    course = _course(pid)
    assert course[0] < course[1] and course[2] is None and course[7] is None
    assert course == _course_rebuilt(pid)

    _phq9(client, world.patient, now - timedelta(days=12), 21)  # earlier than the first: now the first
    _phq9(client, world.patient, now - timedelta(days=2), 9)  # later: changes nothing
    course = _course(pid)
    assert course[-1] == 21 and course == _course_rebuilt(pid)

    corrected = client.patch(
        f"/api/v1/infusions/{second['id']}",
        json={"phase": "maintenance", "started_at": _iso(now - timedelta(days=8, hours=3))},
        headers=world.nurse.headers,
    )
    assert corrected.status_code == 200, corrected.get_json()
    course = _course(pid)
    assert course[7] == course[0] < course[1]  # the corrected one now starts first, and is maintenance
    assert course == _course_rebuilt(pid)
