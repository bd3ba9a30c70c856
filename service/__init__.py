"""Aftercare: side-effect and adverse-event monitoring for ketamine-infusion clinics."""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import re
import time

from flask import Flask, g, request
from sqlalchemy import event
from swagger_ui_bundle import swagger_ui_path
from werkzeug.middleware.proxy_fix import ProxyFix

from service import extensions
from service.config import load_config
from service.domain.sqltime import register_sqlite_functions
from service.metrics import REQUEST_SECONDS, labelled
from service.observability import configure_logging, register_request_ids

MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "migrations")


def create_app(config: dict | None = None) -> Flask:
    """Build the WSGI app. The job scheduler is never started here."""
    app = Flask(__name__, instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.update(load_config(app.instance_path, config))
    configure_logging(app)
    register_request_ids(app)
    register_json(app)
    register_extensions(app)
    register_blueprints(app)
    register_security_headers(app)
    register_audit(app)
    register_cli(app)
    if app.config["TRUSTED_PROXIES"]:
        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)
    return app


def register_json(app: Flask) -> None:
    """Keep JSON answers compact."""
    app.json.compact = True


def register_extensions(app: Flask) -> None:
    db = extensions.db
    db.init_app(app)
    extensions.migrate.init_app(app, db, directory=MIGRATIONS_DIR)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", _sqlite_pragmas)
    app.config.setdefault("API_SPEC_OPTIONS", {})
    app.config["API_SPEC_OPTIONS"].update(
        {
            "info": {"description": "Aftercare API: patients report post-infusion symptoms; clinicians triage."},
            "components": {
                "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}
            },
        }
    )
    extensions.api.init_app(app)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
    register_sqlite_functions(dbapi_connection)


def register_blueprints(app: Flask) -> None:
    from service.api import MODULES, PLAIN_MODULES
    from service.companion import register_companion
    from service.web import register_console

    for module in MODULES:
        extensions.api.register_blueprint(module.blp)
    for module in PLAIN_MODULES:
        app.register_blueprint(module.blp)
    register_console(app)
    register_companion(app)
    app.add_url_rule(
        "/api/v1/static/swagger-ui/<path:filename>",
        endpoint="swagger_ui_static",
        view_func=lambda filename: _send_swagger(app, filename),
    )


def _send_swagger(app: Flask, filename: str):
    from flask import send_from_directory

    return send_from_directory(swagger_ui_path, filename, max_age=3600)


def register_security_headers(app: Flask) -> None:
    # g.request_started is set by the request-id hook (service.observability) before every request.
    @app.after_request
    def _headers(response):
        started = g.get("request_started")
        if started is not None and request.endpoint:
            labelled(REQUEST_SECONDS, request.endpoint).observe(time.perf_counter() - started)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if response.mimetype == "application/json":
            response.headers.setdefault("Cache-Control", "no-store")
        elif response.mimetype == "text/html" and "Content-Security-Policy" not in response.headers:
            response.headers["Content-Security-Policy"] = _strict_csp(response)
        return response


def register_audit(app: Flask) -> None:
    """Append an audit entry for each staff access, in the same transaction as what it did."""
    from service.api.audit_trail import install

    install(app)


_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.S)


def _strict_csp(response) -> str:
    """A strict CSP for HTML the app serves (the API docs page): inline scripts allowed by hash only."""
    body = b"" if response.direct_passthrough else response.get_data()
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(script).digest()).decode() + "'"
        for script in _INLINE_SCRIPT.findall(body)
    )
    return (
        "default-src 'none'; script-src 'self' " + hashes + "; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; connect-src 'self'; font-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
        "form-action 'self'"
    )


def register_cli(app: Flask) -> None:
    from service.cli import register

    register(app)


logging.getLogger("service").addHandler(logging.NullHandler())
