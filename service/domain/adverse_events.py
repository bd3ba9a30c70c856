"""Adverse events: record one (from a flag, a report or directly), correct it with a history, track the
regulatory clock, and record its submission to the regulator.

Rules (each refusal is a 422 naming the field):

- ``term`` is a CTCAE v5.0 term of the list (service.vocabulary.CTCAE_TERMS); a "<SOC> - Other, specify"
  term needs ``term_other`` in specific words, and only those terms take one;
- ``expected`` (listed on the product label) is true, false or unknown (null);
- ``grade`` 1-5 (CTCAE); ``serious`` (ICH E2A) needs at least one seriousness criterion, and criteria
  need ``serious``; grade 5 (death related to the event), the ``death`` criterion and outcome ``fatal``
  go together;
- ``onset_at`` and ``aware_at`` not in the future; awareness not before onset; ``resolved_at`` not before
  onset, and only with an outcome that can have one;
- ``onset_at`` not before the suspected infusion started (an event with no suspected infusion has no
  such bound), on recording and on every correction;
- a serious event's report is due 7 calendar days after awareness when it is fatal or life-threatening,
  15 days otherwise; a non-serious one has no regulatory clock.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import Enum

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from service.enums import EXPEDITED_CRITERIA, ActionTaken, Causality, Outcome, SeriousnessCriterion
from service.errors import Conflict, NotFound, PreconditionFailed, ValidationFailed
from service.models import AdverseEvent, AdverseEventVersion, Flag, FlagReport, Infusion, Patient, Report
from service.vocabulary import BY_TERM, CTCAE_TERMS, OTHER_SUFFIX, OTHER_TERM, SYMPTOMS_BY_TERM, is_other

# Clock skew tolerated between the clinic's devices and the server.
SKEW = timedelta(minutes=5)
EXPEDITED_DAYS = 7
STANDARD_DAYS = 15
# Outcomes after which the event cannot have a resolution time.
UNRESOLVED_OUTCOMES = (Outcome.RECOVERING, Outcome.NOT_RECOVERED)

CRITERION_COLUMNS = {criterion: f"seriousness_{criterion.value}" for criterion in SeriousnessCriterion}
# The clinical content a clinician may correct (PATCH); each change is versioned.
EDITABLE = (
    "term",
    "term_other",
    "grade",
    "serious",
    "seriousness",
    "causality",
    "action_taken",
    "outcome",
    "onset_at",
    "resolved_at",
    "aware_at",
    "narrative",
    "expected",
    "infusion_id",
)
INFUSION_SNAPSHOT = ("route", "dose_mg", "dose_mg_per_kg", "started_at", "ended_at")


def term_list() -> list[dict]:
    """The CTCAE v5.0 terms an event is recorded with: MedDRA code, SOC, and the app's symptom codes each covers
    (the "<SOC> - Other, specify" terms last)."""
    return [
        {
            "term": t.term,
            "meddra_code": t.meddra_code,
            "soc": t.soc,
            "soc_code": t.soc_code,
            "symptom_codes": list(SYMPTOMS_BY_TERM[t.term]),
            "needs_description": t.needs_description,
        }
        for t in BY_TERM.values()
    ]


def coding_of(event: AdverseEvent) -> dict:
    """The event's MedDRA code (as CTCAE v5.0 lists it for the term) and its System Organ Class."""
    entry = BY_TERM[event.term]
    return {"meddra_code": entry.meddra_code, "soc": entry.soc, "soc_code": entry.soc_code}


def regulatory_due(*, serious: bool, criteria, aware_at: datetime) -> datetime | None:
    """When the report to the regulator is due: 7 days after awareness if fatal or life-threatening, else 15."""
    if not serious:
        return None
    days = EXPEDITED_DAYS if any(c in EXPEDITED_CRITERIA for c in criteria) else STANDARD_DAYS
    return aware_at + timedelta(days=days)


def criteria_of(event: AdverseEvent) -> list[SeriousnessCriterion]:
    """The seriousness criteria ticked on an event, in ICH E2A order."""
    return [criterion for criterion, column in CRITERION_COLUMNS.items() if getattr(event, column)]


def is_overdue(event: AdverseEvent, *, now: datetime) -> bool:
    """A serious event not submitted by its due date."""
    return bool(event.serious and event.submitted_at is None and event.regulatory_due_at < now)


def check_rules(state: dict, *, now: datetime) -> None:
    """Refuse an event whose fields do not hold together (the first problem found, naming its field)."""
    term = state["term"]
    if term not in CTCAE_TERMS:
        raise ValidationFailed(
            f"Not a CTCAE v5.0 term of the list; use the organ class's '<SOC>{OTHER_SUFFIX}' "
            f"(e.g. '{OTHER_TERM}') with term_other.",
            field="term",
        )
    other = (state.get("term_other") or "").strip()
    if is_other(term) and not other:
        raise ValidationFailed(f"Describe the event in term_other when the term is '{term}'.", field="term_other")
    if not is_other(term) and other:
        raise ValidationFailed(f"term_other goes only with a '<SOC>{OTHER_SUFFIX}' term.", field="term_other")
    if not 1 <= state["grade"] <= 5:
        raise ValidationFailed("CTCAE grades run from 1 to 5.", field="grade")
    criteria = set(state["seriousness"])
    if state["serious"] and not criteria:
        raise ValidationFailed(
            "A serious event needs at least one seriousness criterion (ICH E2A): "
            + ", ".join(c.value for c in SeriousnessCriterion)
            + ".",
            field="seriousness",
        )
    if not state["serious"] and criteria:
        raise ValidationFailed("Seriousness criteria apply only to a serious event (set serious).", field="serious")
    death = SeriousnessCriterion.DEATH in criteria
    if state["grade"] == 5 and not death:
        raise ValidationFailed("Grade 5 is death related to the event: mark it serious with 'death'.", field="grade")
    if death and state["grade"] != 5:
        raise ValidationFailed("An event that resulted in death is grade 5.", field="grade")
    if (state["outcome"] == Outcome.FATAL) != death:
        raise ValidationFailed(
            "Outcome 'fatal' and the seriousness criterion 'death' go together.",
            field="outcome",
        )
    onset, aware, resolved = state["onset_at"], state["aware_at"], state.get("resolved_at")
    if onset > now + SKEW:
        raise ValidationFailed("onset_at cannot be in the future.", field="onset_at")
    if aware > now + SKEW:
        raise ValidationFailed("aware_at cannot be in the future.", field="aware_at")
    if aware < onset:
        raise ValidationFailed("aware_at cannot be before the onset.", field="aware_at")
    if resolved is not None:
        if resolved < onset:
            raise ValidationFailed("resolved_at cannot be before the onset.", field="resolved_at")
        if resolved > now + SKEW:
            raise ValidationFailed("resolved_at cannot be in the future.", field="resolved_at")
        if state["outcome"] in UNRESOLVED_OUTCOMES:
            raise ValidationFailed(
                f"An event with outcome '{state['outcome']}' has no resolution time yet.", field="resolved_at"
            )
    if not (state.get("narrative") or "").strip():
        raise ValidationFailed("Write the narrative: what happened, what was done.", field="narrative")


# --- recording --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """What an event was recorded from: the patient, and the flag and report when there are."""

    patient: Patient
    flag: Flag | None
    report: Report | None


def _source(
    session: Session,
    *,
    clinic_id: uuid.UUID,
    flag_id: uuid.UUID | None,
    report_id: uuid.UUID | None,
    patient_id: uuid.UUID | None,
) -> Source:
    if not (flag_id or report_id or patient_id):
        raise ValidationFailed("Give flag_id, report_id or patient_id.", field="patient_id")
    flag = report = None
    if flag_id is not None:
        flag = session.scalar(select(Flag).where(Flag.id == flag_id, Flag.clinic_id == clinic_id))
        if flag is None:
            raise ValidationFailed("No flag of this clinic has this id.", field="flag_id")
    if report_id is not None:
        report = session.scalar(select(Report).where(Report.id == report_id, Report.clinic_id == clinic_id))
        if report is None:
            raise ValidationFailed("No report of this clinic has this id.", field="report_id")
        if flag is not None and not session.scalar(
            select(func.count()).where(FlagReport.flag_id == flag.id, FlagReport.report_id == report.id)
        ):
            raise ValidationFailed("This report is not one of the flag's reports.", field="report_id")
    elif flag is not None:  # the flag's latest report
        report = session.scalar(
            select(Report)
            .join(FlagReport, FlagReport.report_id == Report.id)
            .where(FlagReport.flag_id == flag.id)
            .order_by(FlagReport.added_at.desc(), Report.observed_at.desc())
            .limit(1)
        )
    owner = flag.patient_id if flag is not None else report.patient_id if report is not None else None
    if patient_id is not None and owner is not None and patient_id != owner:
        raise ValidationFailed("The flag or report belongs to another patient.", field="patient_id")
    patient = session.scalar(select(Patient).where(Patient.id == (owner or patient_id), Patient.clinic_id == clinic_id))
    if patient is None:
        raise ValidationFailed("No patient of this clinic has this id.", field="patient_id")
    return Source(patient=patient, flag=flag, report=report)


def _infusion(
    session: Session, *, patient_id: uuid.UUID, infusion_id: uuid.UUID | None, report: Report | None, onset: datetime
) -> Infusion | None:
    """The named infusion (it must be the patient's), else the report's, else the latest one begun by the onset."""
    if infusion_id is not None:
        infusion = session.scalar(select(Infusion).where(Infusion.id == infusion_id, Infusion.patient_id == patient_id))
        if infusion is None:
            raise ValidationFailed("No infusion of this patient has this id.", field="infusion_id")
        return infusion
    if report is not None and report.infusion_id is not None:
        return session.get(Infusion, report.infusion_id)
    return session.scalar(
        select(Infusion)
        .where(Infusion.patient_id == patient_id, Infusion.started_at <= onset)
        .order_by(Infusion.started_at.desc())
        .limit(1)
    )


def check_onset_after_infusion(onset: datetime, infusion_started_at: datetime | None) -> None:
    """An event cannot begin before the infusion it is suspected of: that is another infusion's, or none's."""
    if infusion_started_at is not None and onset < infusion_started_at:
        raise ValidationFailed(
            f"onset_at cannot be before the suspected infusion started ({infusion_started_at.isoformat()}); "
            "correct the onset, or link the infusion it followed (or none).",
            field="onset_at",
        )


def _snapshot(infusion: Infusion | None) -> dict:
    """Route and dose as they were recorded when the event was: later edits of the infusion do not rewrite it."""
    values = {"infusion_id": infusion.id if infusion else None}
    for key in INFUSION_SNAPSHOT:
        values[f"infusion_{key}"] = getattr(infusion, key) if infusion else None
    return values


def _jsonable(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    return value


def _state(event: AdverseEvent) -> dict:
    """The event's current clinical content, as PATCH sees it."""
    state = {key: getattr(event, key) for key in EDITABLE if key != "seriousness"}
    state["seriousness"] = criteria_of(event)
    return state


def _columns(state: dict) -> dict:
    """The stored columns a state amounts to: its fields, the criteria as flags, and the regulatory due date."""
    columns = {key: state[key] for key in EDITABLE if key not in ("seriousness", "infusion_id")}
    for criterion, column in CRITERION_COLUMNS.items():
        columns[column] = criterion in state["seriousness"]
    columns["regulatory_due_at"] = regulatory_due(
        serious=state["serious"], criteria=state["seriousness"], aware_at=state["aware_at"]
    )
    return columns


def _normalize(values: dict) -> dict:
    values = dict(values)
    if "seriousness" in values:
        values["seriousness"] = sorted(
            {SeriousnessCriterion(c) for c in values["seriousness"] or []}, key=list(SeriousnessCriterion).index
        )
    for key, enum in (("causality", Causality), ("action_taken", ActionTaken), ("outcome", Outcome)):
        if values.get(key) is not None:
            values[key] = enum(values[key])
    for key in ("term_other", "narrative"):
        if isinstance(values.get(key), str):
            values[key] = values[key].strip() or None
    return values


def _version(
    session: Session, *, event: AdverseEvent, actor_id: uuid.UUID | None, action: str, changes: dict, now: datetime
) -> AdverseEventVersion:
    row = AdverseEventVersion(
        clinic_id=event.clinic_id,
        adverse_event_id=event.id,
        version=event.version,
        at=now,
        actor_id=actor_id,
        action=action,
        changes={key: {"old": _jsonable(old), "new": _jsonable(new)} for key, (old, new) in changes.items()},
    )
    session.add(row)
    session.flush()
    return row


def create_adverse_event(
    session: Session, *, clinic_id: uuid.UUID, actor_id: uuid.UUID | None, values: dict, now: datetime
) -> AdverseEvent:
    """Record an adverse event from a flag, a report or for a patient directly; its history starts here."""
    values = _normalize(values)
    source = _source(
        session,
        clinic_id=clinic_id,
        flag_id=values.get("flag_id"),
        report_id=values.get("report_id"),
        patient_id=values.get("patient_id"),
    )
    state = {key: values.get(key) for key in EDITABLE}
    state["seriousness"] = values.get("seriousness") or []
    # Default awareness: now (or the onset, when a device clock put the onset a moment ahead of ours).
    state["aware_at"] = values.get("aware_at") or max(now, state["onset_at"] or now)
    check_rules(state, now=now)
    infusion = _infusion(
        session,
        patient_id=source.patient.id,
        infusion_id=values.get("infusion_id"),
        report=source.report,
        onset=state["onset_at"],
    )
    check_onset_after_infusion(state["onset_at"], infusion.started_at if infusion else None)
    event = AdverseEvent(
        clinic_id=clinic_id,
        patient_id=source.patient.id,
        flag_id=source.flag.id if source.flag else None,
        report_id=source.report.id if source.report else None,
        recorded_by_id=actor_id,
        created_at=now,
        updated_at=now,
        version=1,
        **_snapshot(infusion),
        **_columns(state),
    )
    session.add(event)
    session.flush()
    recorded = {key: (None, getattr(event, key)) for key in _history_fields()}
    recorded["seriousness"] = (None, criteria_of(event))
    _version(session, event=event, actor_id=actor_id, action="created", changes=recorded, now=now)
    return event


def _history_fields() -> tuple[str, ...]:
    return (
        "patient_id",
        "flag_id",
        "report_id",
        *(k for k in EDITABLE if k != "seriousness"),
        *(f"infusion_{k}" for k in INFUSION_SNAPSHOT),
        "regulatory_due_at",
    )


def get_adverse_event(session: Session, *, clinic_id: uuid.UUID, event_id: uuid.UUID) -> AdverseEvent:
    """An adverse event of the caller's clinic; 404 for any other."""
    event = session.scalar(select(AdverseEvent).where(AdverseEvent.id == event_id, AdverseEvent.clinic_id == clinic_id))
    if event is None:
        raise NotFound("No such adverse event.")
    return event


def _save(
    session: Session, *, event: AdverseEvent, seen_version: int, expected_version: int | None, values: dict
) -> None:
    """Write the changed columns only if nobody changed the event since it was read (one of two racers wins)."""
    if expected_version is not None and expected_version != seen_version:
        raise PreconditionFailed("This adverse event changed since you loaded it; reload and try again.")
    changed = session.execute(
        update(AdverseEvent)
        .where(AdverseEvent.id == event.id, AdverseEvent.version == seen_version)
        .values(**values, version=seen_version + 1),
        execution_options={"synchronize_session": False},
    ).rowcount
    if not changed:
        if expected_version is not None:
            raise PreconditionFailed("This adverse event changed since you loaded it; reload and try again.")
        raise Conflict("Somebody else changed this adverse event at the same moment; reload and try again.")
    session.refresh(event)


def update_adverse_event(
    session: Session,
    *,
    event: AdverseEvent,
    actor_id: uuid.UUID | None,
    changes: dict,
    expected_version: int | None,
    now: datetime,
) -> AdverseEvent:
    """Correct an event; every changed field is kept with its old and new value, who and when."""
    changes = _normalize({k: v for k, v in changes.items() if k in EDITABLE})
    before = _state(event)
    after = {**before, **changes}
    for key in ("term", "grade", "serious", "causality", "action_taken", "outcome", "onset_at", "aware_at"):
        if after.get(key) is None:
            raise ValidationFailed("This field cannot be emptied.", field=key)
    check_rules(after, now=now)
    seen_version = event.version
    columns = _columns(after)
    if after["infusion_id"] != before["infusion_id"]:
        infusion = None
        if after["infusion_id"] is not None:
            infusion = _infusion(
                session,
                patient_id=event.patient_id,
                infusion_id=after["infusion_id"],
                report=None,
                onset=after["onset_at"],
            )
        columns.update(_snapshot(infusion))
    check_onset_after_infusion(after["onset_at"], columns.get("infusion_started_at", event.infusion_started_at))
    diff = {key: (getattr(event, key), value) for key, value in columns.items() if getattr(event, key) != value}
    if not diff:
        if expected_version is not None and expected_version != seen_version:
            raise PreconditionFailed("This adverse event changed since you loaded it; reload and try again.")
        return event
    history = {key: change for key, change in diff.items() if key not in CRITERION_COLUMNS.values()}
    if before["seriousness"] != after["seriousness"]:
        history["seriousness"] = (before["seriousness"], after["seriousness"])
    _save(
        session,
        event=event,
        seen_version=seen_version,
        expected_version=expected_version,
        values={**{key: new for key, (_, new) in diff.items()}, "updated_at": now},
    )
    _version(session, event=event, actor_id=actor_id, action="updated", changes=history, now=now)
    return event


def record_submission(
    session: Session,
    *,
    event: AdverseEvent,
    actor_id: uuid.UUID | None,
    submitted_at: datetime,
    reference: str,
    now: datetime,
) -> AdverseEvent:
    """Record that the event was reported to the regulator (when, and the regulator's reference)."""
    reference = (reference or "").strip()
    if not reference:
        raise ValidationFailed("Give the regulator's reference (case or acknowledgement number).", field="reference")
    if event.submitted_at is not None:
        raise Conflict(
            f"This event was already recorded as submitted on {event.submitted_at.date().isoformat()}.",
            field="submitted_at",
        )
    if submitted_at > now + SKEW:
        raise ValidationFailed("submitted_at cannot be in the future.", field="submitted_at")
    if submitted_at < event.aware_at:
        raise ValidationFailed(
            "submitted_at cannot be before the clinic became aware of the event.", field="submitted_at"
        )
    seen_version = event.version
    _save(
        session,
        event=event,
        seen_version=seen_version,
        expected_version=None,
        values={"submitted_at": submitted_at, "submission_reference": reference, "updated_at": now},
    )
    _version(
        session,
        event=event,
        actor_id=actor_id,
        action="submitted",
        changes={"submitted_at": (None, submitted_at), "submission_reference": (None, reference)},
        now=now,
    )
    return event


def history_of(session: Session, *, event: AdverseEvent) -> list[AdverseEventVersion]:
    """Every version of an event, oldest first."""
    return list(
        session.scalars(
            select(AdverseEventVersion)
            .where(AdverseEventVersion.adverse_event_id == event.id)
            .order_by(AdverseEventVersion.version)
        )
    )


# --- lists --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventFilter:
    since: datetime | None = None  # onset, inclusive
    until: datetime | None = None  # onset, exclusive
    serious: bool | None = None
    overdue: bool | None = None  # serious, not submitted, past its due date
    submitted: bool | None = None
    patient_id: uuid.UUID | None = None
    flag_id: uuid.UUID | None = None
    term: str | None = None  # the CTCAE term


def events_query(*, clinic_id: uuid.UUID, filters: EventFilter, now: datetime) -> Select:
    """A clinic's adverse events, latest onset first."""
    stmt = filtered(select(AdverseEvent).where(AdverseEvent.clinic_id == clinic_id), filters=filters, now=now)
    return stmt.order_by(AdverseEvent.onset_at.desc(), AdverseEvent.id)


def filtered(stmt: Select, *, filters: EventFilter, now: datetime) -> Select:
    """A SELECT over adverse events narrowed by the filters (the list, and the line listing from the list)."""
    if filters.term is not None:
        stmt = stmt.where(AdverseEvent.term == filters.term)
    if filters.since is not None:
        stmt = stmt.where(AdverseEvent.onset_at >= filters.since)
    if filters.until is not None:
        stmt = stmt.where(AdverseEvent.onset_at < filters.until)
    if filters.serious is not None:
        stmt = stmt.where(AdverseEvent.serious.is_(filters.serious))
    if filters.patient_id is not None:
        stmt = stmt.where(AdverseEvent.patient_id == filters.patient_id)
    if filters.flag_id is not None:
        stmt = stmt.where(AdverseEvent.flag_id == filters.flag_id)
    if filters.submitted is True:
        stmt = stmt.where(AdverseEvent.submitted_at.is_not(None))
    elif filters.submitted is False:
        stmt = stmt.where(AdverseEvent.submitted_at.is_(None))
    overdue = (
        AdverseEvent.serious.is_(True) & AdverseEvent.submitted_at.is_(None) & (AdverseEvent.regulatory_due_at < now)
    )
    if filters.overdue is True:
        stmt = stmt.where(overdue)
    elif filters.overdue is False:
        stmt = stmt.where(~overdue)
    return stmt


def display_names(session: Session, *, patient_ids) -> dict[uuid.UUID, str]:
    """Patients' display names by id (one query for a page of events)."""
    ids = list(set(patient_ids))
    if not ids:
        return {}
    return dict(session.execute(select(Patient.id, Patient.display_name).where(Patient.id.in_(ids))).all())
