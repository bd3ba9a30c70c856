"""The clinicians' queue and the actions on a flag (ETag / If-Match guard against lost updates)."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app, request, url_for
from flask.views import MethodView
from sqlalchemy import select

from schemas.flags import (
    AcknowledgeSchema,
    AssignSchema,
    EscalateSchema,
    FlagDetailSchema,
    FlagQueueArgsSchema,
    FlagQueueItemSchema,
    NoteSchema,
    ResolveSchema,
)
from service.api.common import Blueprint, current_principal
from service.clock import now_utc
from service.domain import escalation, flags, outbox, reports
from service.domain.clinics import effective_settings
from service.domain.common import age_on
from service.enums import FlagStatus
from service.errors import PreconditionFailed
from service.extensions import db
from service.models import Infusion, Patient, Report

blp = Blueprint("flags", __name__, url_prefix="/api/v1/flags", description="Triage: the queue and flags")

NEXT_CURSOR = {
    "X-Next-Cursor": {"description": "Cursor of the next page; absent on the last page", "schema": {"type": "string"}}
}
ETAG_HEADER = {"ETag": {"description": "The flag's version; send it back in If-Match", "schema": {"type": "string"}}}


def _etag(flag) -> str:
    return f'"{flag.version}"'


def _if_match() -> int | None:
    """The version the caller last saw (If-Match), or None when they sent none."""
    header = request.headers.get("If-Match")
    if not header:
        return None
    match = re.fullmatch(r'\s*(?:W/)?"?(\d+)"?\s*', header)
    if not match:
        raise PreconditionFailed("If-Match must be the ETag this API sent for the flag.")
    return int(match.group(1))


def _patient_summary(patient: Patient, now: datetime) -> dict:
    zone = ZoneInfo(patient.time_zone)
    latest = db.session.scalar(
        select(Infusion).where(Infusion.patient_id == patient.id).order_by(Infusion.started_at.desc()).limit(1)
    )
    return {
        "id": patient.id,
        "display_name": patient.display_name,
        "age": age_on(patient.date_of_birth, now.date()),
        "time_zone": patient.time_zone,
        "local_time": now.astimezone(zone),
        "latest_infusion": None
        if latest is None
        else {
            "id": str(latest.id),
            "started_at": latest.started_at.isoformat(),
            "ended_at": latest.ended_at.isoformat() if latest.ended_at else None,
            "route": str(latest.route),
            "dose_mg": latest.dose_mg,
            "dose_mg_per_kg": latest.dose_mg_per_kg,
        },
    }


def _detail(flag, now: datetime) -> dict:
    report_ids = flags.report_ids_of(db.session, flag_id=flag.id)
    rows = list(db.session.scalars(select(Report).where(Report.id.in_(report_ids)).order_by(Report.observed_at)))
    settings = effective_settings(current_principal().clinic_settings)
    patient = db.session.get(Patient, flag.patient_id)
    body = {column.key: getattr(flag, column.key) for column in flag.__table__.columns}
    body.update(
        overdue=flag.status != FlagStatus.RESOLVED and flag.due_by < now,
        report_ids=report_ids,
        reports=reports.report_views(db.session, rows, crisis_resources=settings["crisis_resources"]),
        events=flags.events_of(db.session, flag_id=flag.id),
        patient=_patient_summary(patient, now),
    )
    return body


def _flag(flag_id: uuid.UUID):
    return flags.get_flag(db.session, clinic_id=current_principal().clinic_id, flag_id=flag_id)


def _answer(flag):
    db.session.commit()
    return _detail(flag, now_utc()), 200, {"ETag": _etag(flag)}


@blp.route("")
class Queue(MethodView):
    @blp.staff()
    @blp.arguments(FlagQueueArgsSchema, location="query")
    @blp.response(200, FlagQueueItemSchema(many=True), headers=NEXT_CURSOR)
    def get(self, args):
        """List flags: critical first, then soonest due (active ones by default); page with cursor."""
        principal = current_principal()
        assignee = args.get("assignee")
        assignee_id, unassigned = None, False
        if assignee == "me":
            assignee_id = principal.clinician.id
        elif assignee == "none":
            unassigned = True
        elif assignee:
            try:
                assignee_id = uuid.UUID(assignee)
            except ValueError:
                from service.errors import ValidationFailed

                raise ValidationFailed(
                    "Give a clinician id, 'me' or 'none'.", field="assignee", location="query"
                ) from None
        filters = flags.QueueFilter(
            status=args["status"],
            priority=args.get("priority"),
            patient_id=args.get("patient_id"),
            assignee_id=assignee_id,
            unassigned=unassigned,
            overdue=args.get("overdue"),
        )
        items, next_cursor = flags.queue_page(
            db.session,
            clinic_id=principal.clinic_id,
            filters=filters,
            cursor=args.get("cursor"),
            limit=args["limit"],
            now=now_utc(),
        )
        headers = {}
        if next_cursor:
            query = {**request.args.to_dict(), "cursor": next_cursor}
            headers["X-Next-Cursor"] = next_cursor
            headers["Link"] = f'<{url_for("flags.Queue", _external=False, **query)}>; rel="next"'
        return items, 200, headers


@blp.route("/<uuid:flag_id>")
class FlagById(MethodView):
    @blp.staff()
    @blp.response(200, FlagDetailSchema, headers=ETAG_HEADER)
    @blp.errors(404)
    def get(self, flag_id):
        """Show a flag: reason, evidence, its reports, the patient's summary and the history."""
        flag = _flag(flag_id)
        return _detail(flag, now_utc()), 200, {"ETag": _etag(flag)}


@blp.route("/<uuid:flag_id>/acknowledge")
class Acknowledge(MethodView):
    @blp.staff()
    @blp.arguments(AcknowledgeSchema, required=False)
    @blp.response(200, FlagDetailSchema, headers=ETAG_HEADER)
    @blp.errors(404, 409, 412)
    def post(self, body, flag_id):
        """Acknowledge an open flag (you become its assignee unless you name one)."""
        flag = flags.acknowledge(
            db.session,
            flag=_flag(flag_id),
            actor_id=current_principal().clinician.id,
            assignee_id=body.get("assignee_id"),
            expected_version=_if_match(),
            now=now_utc(),
        )
        return _answer(flag)


@blp.route("/<uuid:flag_id>/resolve")
class Resolve(MethodView):
    @blp.staff()
    @blp.arguments(ResolveSchema)
    @blp.response(200, FlagDetailSchema, headers=ETAG_HEADER)
    @blp.errors(404, 409, 412)
    def post(self, body, flag_id):
        """Resolve a flag with what was done and a note."""
        flag = flags.resolve(
            db.session,
            flag=_flag(flag_id),
            actor_id=current_principal().clinician.id,
            resolution=body["resolution"],
            note=body["note"],
            expected_version=_if_match(),
            now=now_utc(),
        )
        return _answer(flag)


@blp.route("/<uuid:flag_id>/notes")
class Notes(MethodView):
    @blp.staff()
    @blp.arguments(NoteSchema)
    @blp.response(201, FlagDetailSchema, headers=ETAG_HEADER)
    @blp.errors(404)
    def post(self, body, flag_id):
        """Add a note to a flag."""
        flag = flags.add_note(
            db.session, flag=_flag(flag_id), actor_id=current_principal().clinician.id, text=body["text"], now=now_utc()
        )
        detail, _, headers = _answer(flag)
        return detail, 201, headers


@blp.route("/<uuid:flag_id>/assign")
class Assign(MethodView):
    @blp.staff()
    @blp.arguments(AssignSchema)
    @blp.response(200, FlagDetailSchema, headers=ETAG_HEADER)
    @blp.errors(404, 409, 412)
    def post(self, body, flag_id):
        """Give an active flag to a clinician of the clinic."""
        flag = flags.assign(
            db.session,
            flag=_flag(flag_id),
            actor_id=current_principal().clinician.id,
            clinician_id=body["clinician_id"],
            expected_version=_if_match(),
            now=now_utc(),
        )
        return _answer(flag)


@blp.route("/<uuid:flag_id>/escalate")
class Escalate(MethodView):
    @blp.staff()
    @blp.arguments(EscalateSchema, required=False)
    @blp.response(200, FlagDetailSchema, headers=ETAG_HEADER)
    @blp.errors(404, 409, 412)
    def post(self, body, flag_id):
        """Escalate an active flag by one level: the on-call clinicians (then the admins) are told."""
        flag = escalation.escalate_by_hand(
            db.session,
            flag=_flag(flag_id),
            actor_id=current_principal().clinician.id,
            note=body.get("note"),
            expected_version=_if_match(),
            now=now_utc(),
            channels=outbox.Availability.from_config(current_app.config),
        )
        return _answer(flag)
