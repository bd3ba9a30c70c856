"""Request ids and JSON-lines logs.

Every response carries ``X-Request-ID``: the caller's own when it is a well-formed token (at most 64
characters of ``[A-Za-z0-9._-]``), otherwise one made here. Every log line is one JSON object with the
request id of the request it was written in, so a line, an audit entry and a client's bug report can be
matched up.

What is logged about a request is its method, its URL *rule* (``/api/v1/patients/<uuid:patient_id>``,
never the concrete path or the query string), the status, the duration and the caller's kind and id.
Bodies, headers, tokens and health details are never logged; SQL parameters are hidden from database
error messages (``hide_parameters``) and PostgreSQL's ``DETAIL`` (which quotes the offending values) is cut
out of logged exceptions, so an exception's text cannot carry them either.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime

from flask import Flask, g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
# PostgreSQL's error DETAIL quotes the row's values ("Key (email)=(…) already exists"): never log it.
_DB_DETAIL = re.compile(r"DETAIL:[^\n]*")
_HANDLER_MARK = "_aftercare_json_handler"

request_log = logging.getLogger("service.request")
# Values kept on flask.g for one request only.
REQUEST_SCOPED = ("request_id", "request_started", "principal", "audit_draft")

# LogRecord attributes that are not extra fields.
_RESERVED = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "request_id"}


def accepted_request_id(value: str | None) -> str | None:
    """The caller's request id when it is well-formed, else None."""
    if value and _REQUEST_ID.fullmatch(value):
        return value
    return None


def current_request_id() -> str | None:
    """The id of the request being handled (None outside a request)."""
    if not has_request_context():
        return None
    request_id = g.get("request_id")
    if request_id is None:
        request_id = g.request_id = accepted_request_id(request.headers.get(REQUEST_ID_HEADER)) or uuid.uuid4().hex
    return request_id


def scrub(text: str) -> str:
    """Text safe to log: a database error's DETAIL (which quotes row values) is cut out."""
    return _DB_DETAIL.sub("DETAIL: [hidden]", text) if "DETAIL:" in text else text


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, and any extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": scrub(record.getMessage()),
            "request_id": getattr(record, "request_id", None),
        }
        for key, value in vars(record).items():
            if key not in _RESERVED and not key.startswith("_"):
                payload[key] = value
        if record.exc_info:
            payload["exception"] = scrub(self.formatException(record.exc_info))
        if record.stack_info:
            payload["stack"] = self.formatStack(record.stack_info)
        return json.dumps(payload, default=str, ensure_ascii=False)


class RequestIdFilter(logging.Filter):
    """Stamps each record with the id of the request it was logged in."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id()
        return True


def json_handler(stream=None) -> logging.Handler:
    """A handler writing JSON lines (used by the app, and by tests that read the logs)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    return handler


def configure_logging(app: Flask) -> None:
    """Send every log record through one JSON-lines handler on the root logger (idempotent)."""
    if not app.config.get("LOG_JSON", True):
        return
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, _HANDLER_MARK, False):
            root.removeHandler(handler)
    handler = json_handler()
    setattr(handler, _HANDLER_MARK, True)
    root.addHandler(handler)
    root.setLevel(app.config.get("LOG_LEVEL", "INFO"))


def register_request_ids(app: Flask) -> None:
    """Give every request an id, answer it in X-Request-ID, and log one line per request."""

    @app.before_request
    def _start():
        g.request_started = time.perf_counter()
        g.request_id = accepted_request_id(request.headers.get(REQUEST_ID_HEADER)) or uuid.uuid4().hex

    @app.after_request
    def _finish(response):
        request_id = current_request_id()
        response.headers[REQUEST_ID_HEADER] = request_id
        started = g.get("request_started")
        principal = g.get("principal")
        request_log.info(
            "request",
            extra={
                "method": request.method,
                "route": request.url_rule.rule if request.url_rule is not None else None,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
                "principal": str(principal.kind) if principal else None,
                "actor_id": str(principal.actor_id) if principal else None,
            },
        )
        return response

    @app.teardown_request
    def _forget(_exc):
        # g outlives the request when an app context was already pushed (tests, CLI): leave nothing behind.
        for key in REQUEST_SCOPED:
            g.pop(key, None)
