"""A calibration point: the minimal report endpoint the ingestion target was first measured with.

Flask parses the JSON and one transaction stores the report row and its symptom rows with
SQLAlchemy Core (one INSERT, one executemany), on PostgreSQL, served like the real app. No sign-in,
no validation, no rules, no idempotency: only the database work every report needs. Its ratio to the
bare echo on this machine says how far the machine itself lets a report endpoint go; the real
endpoint's ratio is read against it.
"""

from __future__ import annotations

import os
import uuid

from flask import Flask, jsonify, request
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, Text, Uuid, create_engine, insert

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
        connection.execute(
            insert(symptoms),
            [
                {"report_id": report_id, "code": s["code"], "severity": s["severity"], "note": s.get("note")}
                for s in body.get("symptoms") or []
            ],
        )
    return jsonify({"id": str(report_id)}), 201
