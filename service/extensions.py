"""Extensions, created unbound and attached in the app factory."""

from __future__ import annotations

import json
from functools import wraps
from http import HTTPStatus

from flask import request
from flask_migrate import Migrate
from flask_smorest import Api as BaseApi
from flask_smorest import Blueprint as BaseBlueprint
from flask_smorest import abort
from flask_sqlalchemy import SQLAlchemy
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.http import HTTP_STATUS_CODES

from schemas.base import ErrorSchema
from service.errors import DomainError
from service.models.base import Base
from service.openapi import ContractPlugin


class Api(BaseApi):
    """flask-smorest's Api with one error shape for every error, domain ones included.

    The catch-all ``default`` error response is off: each operation documents
    the error statuses it really gives.
    """

    ERROR_SCHEMA = ErrorSchema
    DEFAULT_ERROR_RESPONSE_NAME = None

    def _register_error_handlers(self):
        super()._register_error_handlers()
        self._app.register_error_handler(DomainError, self.handle_domain_error)

    def handle_http_exception(self, error: HTTPException):
        payload, code, headers = super().handle_http_exception(error)
        if "message" not in payload:
            if isinstance(error, InternalServerError):
                payload["message"] = "Something went wrong on our side. It has been logged."
            else:
                payload["message"] = error.description or error.name
        if error.code == 405 and hasattr(error, "valid_methods") and error.valid_methods:
            headers = {**headers, "Allow": ", ".join(error.valid_methods)}
        return payload, code, headers

    def handle_domain_error(self, error: DomainError):
        payload = {
            "code": error.status,
            "status": HTTP_STATUS_CODES.get(error.status, "Error"),
            "message": error.message,
        }
        errors = error.errors()
        if errors:
            payload["errors"] = errors
        return payload, error.status, error.headers


MAX_JSON_DEPTH = 32


def _refuse_constant(name: str):
    raise json.JSONDecodeError(f"{name} is not valid JSON", name, 0)


# Python reads integers of at most this many digits (sys.get_int_max_str_digits' default).
MAX_INT_DIGITS = 4300


class _TooManyDigits(ValueError):
    pass


def _bounded_int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_INT_DIGITS:
        raise _TooManyDigits(digits[:20])
    return int(digits)


def _json_depth_ok(raw: str, limit: int) -> bool:
    """Tell whether brackets nest no deeper than the limit (cheap scan, strings skipped)."""
    if raw.count("[") + raw.count("{") <= limit:
        return True  # cannot nest deeper than it has brackets (those in strings only overcount)
    depth = 0
    in_string = escaped = False
    for ch in raw:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return False
        elif ch in "]}":
            depth -= 1
    return True


class StrictParser(FlaskParser):
    """Parses JSON bodies refusing NaN/Infinity and absurd nesting with a 400."""

    def _raw_load_json(self, req):
        if not is_json_request(req):
            return core.missing
        raw = req.get_data(cache=True)
        if not raw:  # no body at all: a missing body, which Blueprint.arguments refuses when one is required
            return core.missing
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            abort(400, message="The body is not valid UTF-8.", errors={"json": ["Invalid JSON body."]})
        if not _json_depth_ok(text, MAX_JSON_DEPTH):
            abort(
                400,
                message=f"JSON nested deeper than {MAX_JSON_DEPTH} levels is refused.",
                errors={"json": ["JSON nested too deeply."]},
            )
        try:
            return json.loads(text, parse_constant=_refuse_constant, parse_int=_bounded_int)
        except _TooManyDigits:
            abort(
                400,
                message=f"A number in the body has more than {MAX_INT_DIGITS} digits.",
                errors={"json": [f"A number has more than {MAX_INT_DIGITS} digits."]},
            )
        except (ValueError, RecursionError):  # json.JSONDecodeError is a ValueError
            abort(400, message="The body is not valid JSON.", errors={"json": ["Invalid JSON body."]})

    def _handle_invalid_json_error(self, error, req, *args, **kwargs):
        abort(400, message="The body is not valid JSON.", errors={"json": ["Invalid JSON body."]})


class Blueprint(BaseBlueprint):
    """The project's Blueprint; import this one, not flask-smorest's."""

    ARGUMENTS_PARSER = StrictParser()
    PAGINATION_ARGUMENTS_PARSER = StrictParser()

    def arguments(self, schema, *, location="json", required=True, **kwargs):
        """Parse arguments; a JSON body can also be malformed or missing (400), too large (413) or not
        JSON at all (415): say so in the docs, and refuse a missing body when the body is required.

        A schema class is instantiated once here, not by webargs on every request.
        """
        if isinstance(schema, type):
            schema = schema()
        parse = super().arguments(schema, location=location, required=required, **kwargs)
        if location != "json":
            return parse

        def decorator(func):
            func = _json_body(required)(parse(func))
            for status in (400, 413, 415):
                func = self.alt_response(status, response=HTTPStatus(status).name)(func)
            return func

        return decorator

    def _document_pagination_metadata(self, spec, resp_doc):
        """X-Pagination is sent as JSON text: document it as the string it is (flask-smorest's override hook)."""
        resp_doc.setdefault("headers", {})[self.PAGINATION_HEADER_NAME] = PAGINATION_HEADER_DOC


PAGINATION_HEADER_DOC = {
    "description": "The page's place in the whole list, as JSON text: the integer total always; when there are "
    "items, total_pages, first_page, last_page and page too, and previous_page / next_page when there is one.",
    "schema": {
        "type": "string",
        "example": '{"total": 42, "total_pages": 3, "first_page": 1, "last_page": 3, "page": 2, '
        '"previous_page": 1, "next_page": 3}',
    },
}


def _json_body(required: bool):
    """Refuse a body that is not JSON (415) and, when the body is required, no body at all (400)."""

    def decorator(func):
        @wraps(func)
        def wrapper(*args, **kwargs):
            has_body = bool(request.get_data(cache=True))
            if has_body and not is_json_request(request):
                abort(
                    415,
                    message="Send the body as JSON (Content-Type: application/json).",
                    errors={"json": [f"Content-Type {request.mimetype or '(none)'} is not JSON."]},
                )
            if required and not has_body:
                abort(400, message="This request needs a JSON body.", errors={"json": ["A JSON body is required."]})
            return func(*args, **kwargs)

        return wrapper

    return decorator


# Rows stay readable after commit (the answer is built from them) without a reload round trip.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
migrate = Migrate(render_as_batch=True, compare_type=True)
api = Api(spec_kwargs={"extra_plugins": [ContractPlugin()]})  # the document's rules: service.openapi
