"""The clinicians' queue and the actions on a flag (ETag / If-Match guard against lost updates)."""

from __future__ import annotations

import uuid
from datetime import datetime

from flask import current_app, jsonify, request, url_for
from flask.views import MethodView

from schemas.fast import FlatDumper
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
from service.api.common import Blueprint, current_principal, etag, etag_header, if_match_version
from service.clock import now_utc
from service.domain import escalation, flags, outbox
from service.domain.clinics import effective_settings
from service.errors import ValidationFailed
from service.extensions import db

blp = Blueprint("flags", __name__, url_prefix="/api/v1/flags", description="Triage: the queue and flags")

NEXT_CURSOR = {
    "X-Next-Cursor": {"description": "Cursor of the next page; absent on the last page", "schema": {"type": "string"}}
}
# The queue is the nurses' hot list: its items are dumped by a converter built from FlagQueueItemSchema.
_QUEUE_ITEMS = FlatDumper(FlagQueueItemSchema())
ETAG_HEADER = etag_header("flag")


def _if_match() -> int | None:
    return if_match_version("flag")


def _infusion_brief(infusion) -> dict | None:
    if infusion is None:
        return None
    return {
        "id": str(infusion.id),
        "started_at": infusion.started_at.isoformat(),
        "ended_at": infusion.ended_at.isoformat() if infusion.ended_at else None,
        "route": str(infusion.route),
        "dose_mg": infusion.dose_mg,
        "dose_mg_per_kg": infusion.dose_mg_per_kg,
    }


def _detail(flag, now: datetime) -> dict:
    settings = effective_settings(current_principal().clinic_settings)
    body = flags.flag_view(db.session, flag=flag, settings=settings, now=now)
    body["patient"] = {**body["patient"], "latest_infusion": _infusion_brief(body["patient"]["latest_infusion"])}
    return body


def _flag(flag_id: uuid.UUID):
    return flags.get_flag(db.session, clinic_id=current_principal().clinic_id, flag_id=flag_id)


def _answer(flag, *, commit: bool = True):
    """The flag as it now stands, with its ETag (after committing what the view changed)."""
    if commit:
        db.session.commit()
    return _detail(flag, now_utc()), 200, {"ETag": etag(flag.version)}


def queue_filter(args: dict) -> flags.QueueFilter:
    """The queue's filters from the parsed query ("me" is the caller; "none" is nobody)."""
    assignee = args.get("assignee")
    assignee_id, unassigned = None, False
    if assignee == "me":
        assignee_id = current_principal().clinician.id
    elif assignee == "none":
        unassigned = True
    elif assignee:
        try:
            assignee_id = uuid.UUID(assignee)
        except ValueError:
            raise ValidationFailed("Give a clinician id, 'me' or 'none'.", field="assignee", location="query") from None
    return flags.QueueFilter(
        status=args["status"],
        priority=args.get("priority"),
        patient_id=args.get("patient_id"),
        assignee_id=assignee_id,
        unassigned=unassigned,
        overdue=args.get("overdue"),
    )


def next_page_headers(endpoint: str, next_cursor: str | None) -> dict:
    """X-Next-Cursor and a Link to the next page (same query, the new cursor); none on the last page."""
    if not next_cursor:
        return {}
    query = {**request.args.to_dict(), "cursor": next_cursor}
    return {"X-Next-Cursor": next_cursor, "Link": f'<{url_for(endpoint, _external=False, **query)}>; rel="next"'}


@blp.route("")
class Queue(MethodView):
    @blp.doc(operationId="listFlags")
    @blp.staff()
    @blp.arguments(FlagQueueArgsSchema, location="query")
    @blp.response(200, FlagQueueItemSchema(many=True), headers=NEXT_CURSOR)
    def get(self, args):
        """List flags: critical first, then soonest due (active ones by default); page with cursor."""
        principal = current_principal()
        filters = queue_filter(args)
        items, next_cursor = flags.queue_page(
            db.session,
            clinic_id=principal.clinic_id,
            filters=filters,
            cursor=args.get("cursor"),
            limit=args["limit"],
            now=now_utc(),
        )
        return jsonify(_QUEUE_ITEMS.many(items)), 200, next_page_headers("flags.Queue", next_cursor)


@blp.route("/<uuid:flag_id>")
class FlagById(MethodView):
    @blp.doc(operationId="getFlag")
    @blp.staff()
    @blp.response(200, FlagDetailSchema, headers=ETAG_HEADER)
    @blp.errors(404)
    def get(self, flag_id):
        """Show a flag: reason, evidence, its reports, the patient's summary and the history."""
        flag = _flag(flag_id)
        return _answer(flag, commit=False)


@blp.route("/<uuid:flag_id>/acknowledge")
class Acknowledge(MethodView):
    @blp.doc(operationId="acknowledgeFlag")
    @blp.staff()
    @blp.arguments(AcknowledgeSchema, required=False)
    @blp.response(200, FlagDetailSchema, headers=ETAG_HEADER)
    @blp.errors(404, 409)
    @blp.if_match("flag")
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
    @blp.doc(operationId="resolveFlag")
    @blp.staff()
    @blp.arguments(ResolveSchema)
    @blp.response(200, FlagDetailSchema, headers=ETAG_HEADER)
    @blp.errors(404, 409)
    @blp.if_match("flag")
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
    @blp.doc(operationId="addFlagNote")
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
    @blp.doc(operationId="assignFlag")
    @blp.staff()
    @blp.arguments(AssignSchema)
    @blp.response(200, FlagDetailSchema, headers=ETAG_HEADER)
    @blp.errors(404, 409)
    @blp.if_match("flag")
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
    @blp.doc(operationId="escalateFlag")
    @blp.staff()
    @blp.arguments(EscalateSchema, required=False)
    @blp.response(200, FlagDetailSchema, headers=ETAG_HEADER)
    @blp.errors(404, 409)
    @blp.if_match("flag")
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
