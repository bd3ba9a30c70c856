"""Configuration read from the environment, with safe defaults for local use."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta

DEV_SECRET_KEY = "aftercare-development-only-secret-key-do-not-use"
# The instance's own secret (scripts/demo.sh makes one): used when SECRET_KEY is not set, by the server and
# by every CLI command alike, so `flask --app wsgi jobs run` works from a new shell in a demo checkout.
INSTANCE_SECRET_FILE = "secret_key"
# The instance's VAPID key (web push to the companion app), made beside the secret when VAPID_PRIVATE_KEY is unset.
INSTANCE_VAPID_FILE = "vapid_private_key.pem"
DEFAULT_PORT = 5000


class ConfigError(RuntimeError):
    """The service cannot start with the configuration it was given."""


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def instance_secret(instance_path: str) -> str | None:
    """The secret kept in the instance folder, or None when there is none."""
    try:
        with open(os.path.join(instance_path, INSTANCE_SECRET_FILE), encoding="utf-8") as file:
            return file.read().strip() or None
    except FileNotFoundError:
        return None


def make_instance_secret(instance_path: str) -> str:
    """Keep a long random secret in the instance folder (readable by its owner only); an existing one stays."""
    existing = instance_secret(instance_path)
    if existing:
        return existing
    os.makedirs(instance_path, exist_ok=True)
    path = os.path.join(instance_path, INSTANCE_SECRET_FILE)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(secrets.token_urlsafe(48) + "\n")
    return instance_secret(instance_path)


def instance_vapid_key(instance_path: str, *, create: bool) -> str | None:
    """The VAPID private key (PEM) kept in the instance folder; made (owner-readable only) when asked and absent."""
    path = os.path.join(instance_path, INSTANCE_VAPID_FILE)
    try:
        with open(path, encoding="utf-8") as file:
            return file.read().strip() or None
    except FileNotFoundError:
        if not create:
            return None
    from service.delivery.webpush import generate_private_key_pem

    os.makedirs(instance_path, exist_ok=True)
    draft = f"{path}.{os.getpid()}.{secrets.token_hex(4)}"
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(generate_private_key_pem())
    try:
        os.link(draft, path)  # whole or not at all; a key another process kept first wins
    except FileExistsError:
        pass
    finally:
        os.unlink(draft)
    return instance_vapid_key(instance_path, create=False)


def _vapid_key(env, instance_path: str, *, testing: bool) -> str:
    """VAPID_PRIVATE_KEY (PEM, ``\\n`` for newlines allowed), else the instance's; tests get a key of their own."""
    value = (env.get("VAPID_PRIVATE_KEY") or "").replace("\\n", "\n").strip()
    if value:
        if "BEGIN" not in value:
            raise ConfigError("VAPID_PRIVATE_KEY must be a PEM private key (P-256).")
        return value
    if testing:
        from service.delivery.webpush import generate_private_key_pem

        return instance_vapid_key(instance_path, create=False) or generate_private_key_pem()
    return instance_vapid_key(instance_path, create=True)


def local_address(port: int) -> str:
    """Where a server started on this machine by scripts/demo.sh (or `flask run --port`) answers."""
    return f"http://127.0.0.1:{port}"


def load_config(instance_path: str, overrides: dict | None = None) -> dict:
    """Build the Flask config from the environment, then apply overrides."""
    overrides = dict(overrides or {})
    env = os.environ
    testing = bool(overrides.get("TESTING")) or _truthy(env.get("AFTERCARE_TESTING"))
    debug = _truthy(env.get("FLASK_DEBUG"))
    database_url = overrides.pop("DATABASE_URL", None) or env.get("DATABASE_URL")
    if not database_url:
        database_url = "sqlite:///" + os.path.join(instance_path, "aftercare.sqlite3")
    if database_url.startswith("postgres://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgres://") :]
    elif database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://") :]

    secret_key = overrides.pop("SECRET_KEY", None) or env.get("SECRET_KEY") or instance_secret(instance_path)
    if not secret_key:
        if debug or testing:
            secret_key = DEV_SECRET_KEY
        else:
            raise ConfigError(
                "SECRET_KEY is not set. Aftercare signs sign-in tokens with it and will not "
                "start in production without one. Set SECRET_KEY to a long random value "
                "(python -c 'import secrets; print(secrets.token_urlsafe(48))'), keep one in "
                f"{os.path.join(instance_path, INSTANCE_SECRET_FILE)} (scripts/demo.sh does), "
                "or set FLASK_DEBUG=1 for local development."
            )

    try:
        port = int(env.get("PORT") or DEFAULT_PORT)
    except ValueError:
        raise ConfigError("PORT must be a port number, e.g. 8080.") from None
    if not 0 < port < 65536:
        raise ConfigError("PORT must be a port number, e.g. 8080.")

    config = {
        "TESTING": testing,
        # Where scripts/demo.sh serves (flask run --port "$PORT"); what the demo's hints print.
        "PORT": port,
        "SECRET_KEY": secret_key,
        "SQLALCHEMY_DATABASE_URI": database_url,
        # No pre-ping (it costs a round trip per request); stale connections are recycled instead.
        "SQLALCHEMY_ENGINE_OPTIONS": {
            "pool_pre_ping": _truthy(env.get("DATABASE_POOL_PRE_PING")),
            "pool_recycle": 1800,
            # Database errors must not carry SQL parameters (patients' data) into logs or job_runs.last_error.
            "hide_parameters": True,
        },
        # Logs: JSON lines on stderr with each request's id (see service.observability).
        "LOG_JSON": not _truthy(env.get("AFTERCARE_PLAIN_LOGS")),
        "LOG_LEVEL": env.get("LOG_LEVEL", "INFO").upper(),
        # Bodies above this are refused with 413 before they are parsed.
        "MAX_CONTENT_LENGTH": 64 * 1024,
        # flask-smorest / OpenAPI
        "API_TITLE": "Aftercare",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "/docs",
        "OPENAPI_SWAGGER_UI_URL": "/api/v1/static/swagger-ui/",
        # Tokens
        "ACCESS_TOKEN_TTL": timedelta(minutes=int(env.get("ACCESS_TOKEN_MINUTES", "15"))),
        "CLINICIAN_REFRESH_TTL": timedelta(hours=int(env.get("CLINICIAN_REFRESH_HOURS", "12"))),
        "DEVICE_REFRESH_TTL": timedelta(days=int(env.get("DEVICE_REFRESH_DAYS", "90"))),
        "ENROLLMENT_CODE_TTL": timedelta(hours=72),
        # A refresh token presented again this soon after its rotation (the answer was lost) gets the same pair.
        "REFRESH_REUSE_GRACE": timedelta(seconds=int(env.get("REFRESH_REUSE_GRACE_SECONDS", "30"))),
        # Throttling of failed sign-ins (per account and per address, in a sliding window)
        "LOGIN_WINDOW": timedelta(minutes=15),
        "LOGIN_MAX_FAILURES_PER_ACCOUNT": int(env.get("LOGIN_MAX_FAILURES_PER_ACCOUNT", "5")),
        "LOGIN_MAX_FAILURES_PER_ADDRESS": int(env.get("LOGIN_MAX_FAILURES_PER_ADDRESS", "20")),
        # The clinicians' web console: a signed cookie holding a revocable server-side session id.
        # Secure is added whenever the request came over HTTPS (AFTERCARE_COOKIE_SECURE=1 forces it).
        "SESSION_COOKIE_NAME": "aftercare_console",
        "SESSION_COOKIE_PATH": "/console",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _truthy(env.get("AFTERCARE_COOKIE_SECURE")),
        "CONSOLE_IDLE_TIMEOUT": timedelta(minutes=int(env.get("CONSOLE_IDLE_MINUTES", "30"))),
        "CONSOLE_MAX_SESSION": timedelta(hours=int(env.get("CLINICIAN_REFRESH_HOURS", "12"))),
        "CONSOLE_QUEUE_REFRESH_SECONDS": 30,
        # Webhooks may only reach public https addresses unless this is set (a relay on the clinic's LAN).
        "WEBHOOK_ALLOW_PRIVATE": _truthy(env.get("AFTERCARE_WEBHOOK_ALLOW_PRIVATE")) or testing,
        # Only trust X-Forwarded-For when a proxy in front sets it.
        "TRUSTED_PROXIES": int(env.get("AFTERCARE_TRUSTED_PROXIES", "0")),
        # The job process: rows claimed per batch (each batch is one transaction).
        "JOBS_BATCH_SIZE": int(env.get("JOBS_BATCH_SIZE", "500")),
        # Delivery: attempts before a message becomes a dead letter, and the backoff between them.
        "DELIVERY_MAX_ATTEMPTS": int(env.get("DELIVERY_MAX_ATTEMPTS", "6")),
        "DELIVERY_BACKOFF_SECONDS": float(env.get("DELIVERY_BACKOFF_SECONDS", "30")),
        "DELIVERY_BACKOFF_MAX_SECONDS": float(env.get("DELIVERY_BACKOFF_MAX_SECONDS", "3600")),
        "DELIVERY_TIMEOUT_SECONDS": float(env.get("DELIVERY_TIMEOUT_SECONDS", "10")),
        # Email (SMTP): the channel is on when SMTP_HOST is set. SMTP_TLS: starttls, ssl or none.
        "SMTP_HOST": env.get("SMTP_HOST", ""),
        "SMTP_PORT": int(env.get("SMTP_PORT", "587")),
        "SMTP_TLS": env.get("SMTP_TLS", "starttls"),
        "SMTP_USERNAME": env.get("SMTP_USERNAME", ""),
        "SMTP_PASSWORD": env.get("SMTP_PASSWORD", ""),
        "SMTP_FROM": env.get("SMTP_FROM", "Aftercare <no-reply@aftercare.invalid>"),
        # Push (Firebase Cloud Messaging HTTP v1): on when a service-account JSON file is given.
        "FCM_CREDENTIALS_FILE": env.get("FCM_CREDENTIALS_FILE", ""),
        "FCM_ENDPOINT": env.get("FCM_ENDPOINT", "https://fcm.googleapis.com"),
        # Web push (VAPID) to the companion app: the instance's key pair; the public half is handed to browsers.
        "VAPID_PRIVATE_KEY": (
            overrides.pop("VAPID_PRIVATE_KEY", None) or _vapid_key(env, instance_path, testing=testing)
        ),
        "VAPID_SUBJECT": env.get("VAPID_SUBJECT", "mailto:no-reply@aftercare.invalid"),
    }
    if config["ACCESS_TOKEN_TTL"] > timedelta(minutes=15):
        raise ConfigError("ACCESS_TOKEN_MINUTES may not exceed 15.")
    if not timedelta(0) <= config["REFRESH_REUSE_GRACE"] <= timedelta(minutes=5):
        raise ConfigError("REFRESH_REUSE_GRACE_SECONDS must be between 0 and 300.")
    if config["SMTP_TLS"] not in ("starttls", "ssl", "none"):
        raise ConfigError("SMTP_TLS must be starttls, ssl or none.")
    config.update(overrides)
    return config
