"""Calibration points: the minimal endpoints the ingestion and queue targets are read against.

POST /reports: Flask parses the JSON and one transaction stores the report row and its symptom rows
with SQLAlchemy Core (one INSERT, one executemany). GET /queue: one Core SELECT of a page of the
clinic's flags in queue order (keyset; active ones unless status=all), as JSON. Both on PostgreSQL,
served like the real app, with no sign-in, no validation, no rules, no audit: only the database work
the request needs. Their ratio to the bare echo on this machine says how far the machine itself lets
such an endpoint go; the real endpoints' ratios are read against them.
"""

from __future__ import annotations

import os
import uuid
from datetime import datetime
from functools import lru_cache

from flask import Flask, jsonify, request
from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
    create_engine,
    insert,
    select,
    tuple_,
)

metadata = MetaData()
reports = Table(
    "prototype_reports",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("client_report_id", Uuid, unique=True),
    Column("observed_at", DateTime(timezone=True)),
    Column("mood", Integer),
    Column("systolic", Integer),
    Column("diastolic", Integer),
    Column("heart_rate", Integer),
    Column("note", Text),
)
symptoms = Table(
    "prototype_symptoms",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("report_id", Uuid, index=True),
    Column("code", String(32)),
    Column("severity", Integer),
    Column("note", Text),
)

app = Flask(__name__)
engine = create_engine(os.environ["DATABASE_URL"], pool_size=2) if "DATABASE_URL" in os.environ else None


def create_tables(url: str) -> None:
    """The bench's own two tables, in its throwaway database."""
    bench_engine = create_engine(url)
    metadata.create_all(bench_engine)
    bench_engine.dispose()


@app.get("/healthz")
def healthz():
    return jsonify({"ok": True})


@lru_cache(maxsize=1)
def _flags() -> Table:
    return Table("flags", MetaData(), autoload_with=engine)


@app.get("/queue")
def queue():
    """A page of a clinic's flags in queue order, after an optional keyset cursor (urgency, due_by, id)."""
    flags = _flags()
    after = request.args.get("after")
    status = request.args.get("status", "active")
    stmt = select(
        flags.c.id,
        flags.c.patient_id,
        flags.c.rule,
        flags.c.priority,
        flags.c.status,
        flags.c.reason,
        flags.c.due_by,
        flags.c.created_at,
    ).where(flags.c.clinic_id == uuid.UUID(request.args["clinic"]))
    if status == "active":  # the queue's default: open and acknowledged flags
        stmt = stmt.where(flags.c.status.in_(["open", "acknowledged"]))
    if after:
        urgency, due_by, flag_id = after.split(",")
        stmt = stmt.where(
            tuple_(flags.c.urgency, flags.c.due_by, flags.c.id)
            > tuple_(int(urgency), datetime.fromisoformat(due_by), uuid.UUID(flag_id))
        )
    stmt = stmt.order_by(flags.c.urgency, flags.c.due_by, flags.c.id).limit(25)
    with engine.connect() as connection:
        rows = connection.execute(stmt).all()
    return jsonify(
        [{k: (str(v) if not isinstance(v, (int, type(None))) else v) for k, v in row._mapping.items()} for row in rows]
    )


@app.post("/reports")
def post_report():
    body = request.get_json()
    report_id = uuid.uuid4()
    vitals = body.get("vitals") or {}
    with engine.begin() as connection:
        connection.execute(
            insert(reports),
            {
                "id": report_id,
                "client_report_id": uuid.UUID(body["client_report_id"]),
                "observed_at": body["observed_at"],
                "mood": body.get("mood"),
                "systolic": vitals.get("systolic"),
                "diastolic": vitals.get("diastolic"),
                "heart_rate": vitals.get("heart_rate"),
                "note": body.get("note"),
            },
        )
        rows = [
            {"report_id": report_id, "code": s["code"], "severity": s["severity"], "note": s.get("note")}
            for s in body.get("symptoms") or []
        ]
        if rows:
            connection.execute(insert(symptoms), rows)
    return jsonify({"id": str(report_id)}), 201
