"""Adverse events: record, list, read, correct (versioned), submit; FHIR and CSV exports."""

from __future__ import annotations

import json
import uuid
from datetime import datetime

from flask import current_app
from flask.views import MethodView
from sqlalchemy import select

from schemas.adverse_events import (
    AdverseEventCreateSchema,
    AdverseEventPatchSchema,
    AdverseEventQueryArgsSchema,
    AdverseEventSchema,
    ExportArgsSchema,
    MedwatchSchema,
    SubmissionSchema,
    TermSchema,
    VersionSchema,
)
from service.api.common import (
    Blueprint,
    SelectPage,
    csv_attachment,
    csv_response,
    current_principal,
    etag,
    etag_header,
    if_match_version,
)
from service.clock import now_utc
from service.domain import adverse_events, e2b, line_listing, medwatch
from service.domain.common import range_bounds
from service.domain.fhir import adverse_event_resource
from service.enums import Role
from service.extensions import db
from service.models import AdverseEvent, Clinic, Clinician

blp = Blueprint(
    "adverse_events",
    __name__,
    url_prefix="/api/v1/adverse-events",
    description="Adverse events: the formal record, its regulatory clock, its history and exports",
)

ETAG_HEADER = etag_header("event")
FHIR_JSON = "application/fhir+json"


def _event(event_id: uuid.UUID) -> AdverseEvent:
    return adverse_events.get_adverse_event(db.session, clinic_id=current_principal().clinic_id, event_id=event_id)


def _views(events: list[AdverseEvent], now: datetime) -> list[dict]:
    names = adverse_events.display_names(db.session, patient_ids=[e.patient_id for e in events])
    views = []
    for event in events:
        view = {column.key: getattr(event, column.key) for column in AdverseEvent.__table__.columns}
        view.update(
            patient_display_name=names.get(event.patient_id),
            seriousness=adverse_events.criteria_of(event),
            overdue_reporting=adverse_events.is_overdue(event, now=now),
            **adverse_events.coding_of(event),
        )
        views.append(view)
    return views


def _answer(event: AdverseEvent, status: int = 200):
    return _views([event], now_utc())[0], status, {"ETag": etag(event.version)}


def _clinic_zone() -> str:
    return db.session.get(Clinic, current_principal().clinic_id).time_zone


@blp.route("")
class AdverseEvents(MethodView):
    @blp.doc(operationId="listAdverseEvents")
    @blp.staff()
    @blp.arguments(AdverseEventQueryArgsSchema, location="query")
    @blp.response(200, AdverseEventSchema(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """List the clinic's adverse events, latest onset first (filter by onset dates, seriousness, overdue)."""
        since, until = range_bounds(args.get("from_"), args.get("to"), time_zone=_clinic_zone())
        now = now_utc()
        filters = adverse_events.EventFilter(
            since=since,
            until=until,
            serious=args.get("serious"),
            overdue=args.get("overdue"),
            submitted=args.get("submitted"),
            patient_id=args.get("patient_id"),
        )
        query = adverse_events.events_query(clinic_id=current_principal().clinic_id, filters=filters, now=now)
        return _views(SelectPage(query, pagination_parameters).items, now)

    @blp.doc(operationId="createAdverseEvent")
    @blp.staff()
    @blp.arguments(AdverseEventCreateSchema)
    @blp.response(201, AdverseEventSchema, headers=ETAG_HEADER)
    def post(self, body):
        """Record an adverse event from a flag, a report or for a patient; serious ones get a regulatory due date."""
        principal = current_principal()
        event = adverse_events.create_adverse_event(
            db.session, clinic_id=principal.clinic_id, actor_id=principal.clinician.id, values=body, now=now_utc()
        )
        db.session.commit()
        return _answer(event, 201)


@blp.route("/terms")
class Terms(MethodView):
    @blp.doc(operationId="listAdverseEventTerms")
    @blp.staff(audit=False)
    @blp.response(200, TermSchema(many=True))
    def get(self):
        """List the CTCAE terms an adverse event is recorded with (and the app's symptoms each covers)."""
        return adverse_events.term_list()


@blp.route("/export.csv")
class Export(MethodView):
    @blp.doc(operationId="exportAdverseEvents")
    @blp.staff(Role.ADMIN)
    @blp.arguments(ExportArgsSchema, location="query")
    @blp.response(
        200,
        **csv_response(
            line_listing.COLUMNS,
            "The line listing, one row per event with onset in the range (streamed, as an attachment).",
        ),
    )
    def get(self, args):
        """Download the line listing of adverse events with onset in a date range, as CSV."""
        principal = current_principal()
        zone = _clinic_zone()
        since, until = range_bounds(args["from_"], args["to"], time_zone=zone)
        rows = line_listing.listing_rows(db.session, clinic_id=principal.clinic_id, since=since, until=until)
        name = f"adverse-events_{_label(args['from_'])}_{_label(args['to'])}.csv"
        return csv_attachment(line_listing.csv_chunks(rows), filename=name, stream=True)


def _label(value) -> str:
    return value.date().isoformat() if isinstance(value, datetime) else value.isoformat()


@blp.route("/<uuid:event_id>")
class AdverseEventById(MethodView):
    @blp.doc(operationId="getAdverseEvent")
    @blp.staff()
    @blp.response(200, AdverseEventSchema, headers=ETAG_HEADER)
    @blp.errors(404)
    def get(self, event_id):
        """Show an adverse event with its regulatory clock."""
        return _answer(_event(event_id))

    @blp.doc(operationId="updateAdverseEvent")
    @blp.staff()
    @blp.arguments(AdverseEventPatchSchema)
    @blp.response(200, AdverseEventSchema, headers=ETAG_HEADER)
    @blp.errors(404, 409)
    @blp.if_match("adverse event")
    def patch(self, body, event_id):
        """Correct an adverse event (each change is kept in its history; If-Match guards against lost updates)."""
        event = adverse_events.update_adverse_event(
            db.session,
            event=_event(event_id),
            actor_id=current_principal().clinician.id,
            changes=body,
            expected_version=if_match_version("adverse event"),
            now=now_utc(),
        )
        db.session.commit()
        return _answer(event)


@blp.route("/<uuid:event_id>/history")
class History(MethodView):
    @blp.doc(operationId="getAdverseEventHistory")
    @blp.staff()
    @blp.response(200, VersionSchema(many=True))
    @blp.errors(404)
    def get(self, event_id):
        """Show every version of an adverse event: who changed what, when, from which value to which."""
        versions = adverse_events.history_of(db.session, event=_event(event_id))
        actor_ids = {v.actor_id for v in versions if v.actor_id}
        names = {}
        if actor_ids:
            names = dict(
                db.session.execute(select(Clinician.id, Clinician.name).where(Clinician.id.in_(actor_ids))).all()
            )
        return [
            {
                "version": v.version,
                "at": v.at,
                "actor_id": v.actor_id,
                "actor_name": names.get(v.actor_id),
                "action": v.action,
                "changes": v.changes,
            }
            for v in versions
        ]


@blp.route("/<uuid:event_id>/submitted")
class Submitted(MethodView):
    @blp.doc(operationId="markAdverseEventSubmitted")
    @blp.staff(Role.PHYSICIAN, Role.ADMIN)
    @blp.arguments(SubmissionSchema)
    @blp.response(200, AdverseEventSchema, headers=ETAG_HEADER)
    @blp.errors(404, 409)
    def post(self, body, event_id):
        """Record that the event was reported to the regulator (stops its regulatory clock)."""
        event = adverse_events.record_submission(
            db.session,
            event=_event(event_id),
            actor_id=current_principal().clinician.id,
            submitted_at=body["submitted_at"],
            reference=body["reference"],
            now=now_utc(),
        )
        db.session.commit()
        return _answer(event)


@blp.route("/<uuid:event_id>/fhir")
class Fhir(MethodView):
    @blp.doc(operationId="getAdverseEventFhir")
    @blp.staff()
    @blp.response(
        200,
        {"type": "object", "description": "A FHIR R4 AdverseEvent resource (http://hl7.org/fhir/R4/adverseevent.html)"},
        content_type=FHIR_JSON,
        description="A FHIR R4 AdverseEvent resource.",
    )
    @blp.errors(404)
    def get(self, event_id):
        """Export an adverse event as a FHIR R4 AdverseEvent resource (CTCAE grade in the HL7 AE research extension)."""
        resource = adverse_event_resource(_event(event_id))
        response = current_app.response_class(json.dumps(resource), mimetype=FHIR_JSON)
        response.headers["Cache-Control"] = "no-store"  # patient data: no cache keeps a copy
        return response


@blp.route("/<uuid:event_id>/e2b")
class E2b(MethodView):
    @blp.doc(operationId="exportAdverseEventE2b")
    @blp.staff()
    @blp.response(
        200,
        {"type": "string", "description": "An ICH E2B(R3) ICSR: HL7 v3 XML, root MCCI_IN200100UV01 (urn:hl7-org:v3)"},
        content_type=e2b.CONTENT_TYPE,
        description="The event as an ICH E2B(R3) ICSR for FDA's postmarket route (one PORR_IN049016UV).",
    )
    @blp.errors(404, 422)
    def get(self, event_id):
        """Export an adverse event as an ICH E2B(R3) ICSR (422 naming what the clinic or the event still lacks)."""
        message = e2b.e2b_message(db.session, event=_event(event_id), now=now_utc())
        response = current_app.response_class(message, mimetype=e2b.CONTENT_TYPE)
        response.headers["Cache-Control"] = "no-store"  # patient data: no cache keeps a copy
        response.headers["Content-Disposition"] = f'attachment; filename="adverse-event_{event_id}_e2b.xml"'
        return response


@blp.route("/<uuid:event_id>/medwatch")
class Medwatch(MethodView):
    @blp.doc(operationId="getAdverseEventMedwatch")
    @blp.staff()
    @blp.response(200, MedwatchSchema)
    @blp.errors(404)
    def get(self, event_id):
        """Lay an adverse event out by the sections of FDA Form 3500 (MedWatch), with what is missing called out."""
        return medwatch.field_map(db.session, event=_event(event_id), now=now_utc())
