"""The patients' companion web app under /app/: static files that talk to the public API only.

The app is a shell (HTML, CSS, a small vanilla script, a service worker and a manifest); everything a
patient sees about their care comes from /api/v1 with the paired phone's tokens. Nothing here reads
the database, so the pages carry no health data and the shell may be cached by the service worker.
"""

from __future__ import annotations

from flask import Blueprint, Flask, redirect, send_from_directory

STATIC = __file__.rsplit("/", 1)[0] + "/static"

# Scripts, styles, the manifest and the worker only from our own files: nothing inline, nothing external.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "manifest-src 'self'; worker-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)

blp = Blueprint("companion", __name__, url_prefix="/app", static_folder="static", static_url_path="/static")


@blp.route("/")
def shell():
    """The app's one page (the clinic's link carries the enrollment code as #code=..., which only the script
    reads: a fragment never reaches a server or its access log)."""
    return send_from_directory(STATIC, "index.html", max_age=0)


@blp.route("/sw.js")
def service_worker():
    """The service worker, served from /app/ so that its scope is the whole app."""
    response = send_from_directory(STATIC, "sw.js", max_age=0)
    response.headers["Service-Worker-Allowed"] = "/app/"
    return response


@blp.route("/manifest.webmanifest")
def manifest():
    return send_from_directory(STATIC, "manifest.webmanifest", mimetype="application/manifest+json", max_age=0)


@blp.after_request
def _headers(response):
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers.setdefault("Cache-Control", "no-cache")
    return response


def register_companion(app: Flask) -> None:
    app.register_blueprint(blp)
    app.add_url_rule("/app", endpoint="companion_root", view_func=lambda: redirect("/app/"))
