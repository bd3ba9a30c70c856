"""The CSV line listing of a clinic's adverse events for a date range, produced as a stream.

One row per event. Rows are read from the database in batches (``yield_per``: a server-side cursor on
PostgreSQL) as plain column tuples, and written out as they come, so a year of events never sits in
memory. Text a clinician typed is defused for spreadsheets (a leading ``= + - @`` gets a quote).
"""

from __future__ import annotations

import csv
import uuid
from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.domain.adverse_events import EventFilter, filtered
from service.domain.common import age_on
from service.enums import SeriousnessCriterion
from service.models import AdverseEvent, Patient

BATCH = 500
CHUNK_BYTES = 32 * 1024

COLUMNS = (
    "event_id",
    "patient_id",
    "patient_ref",
    "age",
    "sex",
    "term",
    "term_other",
    "grade",
    "serious",
    "seriousness_criteria",
    "onset_at",
    "resolved_at",
    "outcome",
    "causality",
    "action_taken",
    "route",
    "dose_mg",
    "dose_mg_per_kg",
    "infusion_started_at",
    "days_since_infusion",
    "aware_at",
    "regulatory_due_at",
    "submitted_at",
    "submission_reference",
    "flag_id",
    "report_id",
)

_SELECTED = (
    AdverseEvent.id,
    AdverseEvent.patient_id,
    Patient.mrn,
    Patient.date_of_birth,
    Patient.sex,
    AdverseEvent.term,
    AdverseEvent.term_other,
    AdverseEvent.grade,
    AdverseEvent.serious,
    *(getattr(AdverseEvent, f"seriousness_{c.value}") for c in SeriousnessCriterion),
    AdverseEvent.onset_at,
    AdverseEvent.resolved_at,
    AdverseEvent.outcome,
    AdverseEvent.causality,
    AdverseEvent.action_taken,
    AdverseEvent.infusion_route,
    AdverseEvent.infusion_dose_mg,
    AdverseEvent.infusion_dose_mg_per_kg,
    AdverseEvent.infusion_started_at,
    AdverseEvent.infusion_ended_at,
    AdverseEvent.aware_at,
    AdverseEvent.regulatory_due_at,
    AdverseEvent.submitted_at,
    AdverseEvent.submission_reference,
    AdverseEvent.flag_id,
    AdverseEvent.report_id,
)


def patient_ref(patient_id: uuid.UUID, mrn: str | None) -> str:
    """How the clinic knows the patient without a name: the MRN, else a short form of the id."""
    return mrn or f"P-{patient_id.hex[:8]}"


def defuse(value: str | None) -> str:
    """Text a spreadsheet will not run as a formula."""
    if not value:
        return ""
    return "'" + value if value[0] in "=+-@\t\r" else value


def _moment(value: datetime | None) -> str:
    return value.isoformat() if value is not None else ""


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def listing_query(
    *,
    clinic_id: uuid.UUID,
    since: datetime | None,
    until: datetime | None,
    filters: EventFilter | None = None,
    now: datetime | None = None,
):
    """The clinic's events with onset in [since, until), oldest first, with the patient's age inputs (narrowed
    by the console list's filters when given)."""
    stmt = (
        select(*_SELECTED)
        .join(Patient, Patient.id == AdverseEvent.patient_id)
        .where(AdverseEvent.clinic_id == clinic_id)
    )
    if since is not None:
        stmt = stmt.where(AdverseEvent.onset_at >= since)
    if until is not None:
        stmt = stmt.where(AdverseEvent.onset_at < until)
    if filters is not None:
        stmt = filtered(stmt, filters=filters, now=now)
    return stmt.order_by(AdverseEvent.onset_at, AdverseEvent.id)


def listing_rows(
    session: Session,
    *,
    clinic_id: uuid.UUID,
    since: datetime | None,
    until: datetime | None,
    filters: EventFilter | None = None,
    now: datetime | None = None,
) -> Iterator[list[str]]:
    """The line listing's rows, fetched from the database a batch at a time."""
    stmt = listing_query(clinic_id=clinic_id, since=since, until=until, filters=filters, now=now)
    stmt = stmt.execution_options(yield_per=BATCH)
    for row in session.execute(stmt):
        (event_id, patient_id, mrn, date_of_birth, sex, term, term_other, grade, serious) = row[:9]
        criteria = [c.value for c, ticked in zip(SeriousnessCriterion, row[9:15], strict=True) if ticked]
        (
            onset_at,
            resolved_at,
            outcome,
            causality,
            action_taken,
            route,
            dose_mg,
            dose_mg_per_kg,
            infusion_started_at,
            infusion_ended_at,
            aware_at,
            regulatory_due_at,
            submitted_at,
            submission_reference,
            flag_id,
            report_id,
        ) = row[15:]
        reference_time = infusion_ended_at or infusion_started_at
        days = "" if reference_time is None else f"{(onset_at - reference_time).total_seconds() / 86400:.1f}"
        yield [
            str(event_id),
            str(patient_id),
            defuse(patient_ref(patient_id, mrn)),
            str(age_on(date_of_birth, onset_at.date())),
            str(sex) if sex else "",
            term,
            defuse(term_other),
            str(grade),
            "Y" if serious else "N",
            ";".join(criteria),
            _moment(onset_at),
            _moment(resolved_at),
            str(outcome),
            str(causality),
            str(action_taken),
            str(route) if route else "",
            _number(dose_mg),
            _number(dose_mg_per_kg),
            _moment(infusion_started_at),
            days,
            _moment(aware_at),
            _moment(regulatory_due_at),
            _moment(submitted_at),
            defuse(submission_reference),
            str(flag_id) if flag_id else "",
            str(report_id) if report_id else "",
        ]


class _Echo:
    """A file-like object whose write returns what it was given (so csv.writer formats one row at a time)."""

    def write(self, text: str) -> str:
        return text


def csv_chunks(
    rows: Iterator[list[str]], *, chunk_bytes: int = CHUNK_BYTES, columns: tuple[str, ...] = COLUMNS
) -> Iterator[bytes]:
    """The header (default: the line listing's) and the rows as CSV, in chunks of about chunk_bytes (UTF-8)."""
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    buffer = [writer.writerow(columns)]
    size = len(buffer[0])
    for row in rows:
        line = writer.writerow(row)
        buffer.append(line)
        size += len(line)
        if size >= chunk_bytes:
            yield "".join(buffer).encode("utf-8")
            buffer, size = [], 0
    if buffer:
        yield "".join(buffer).encode("utf-8")
