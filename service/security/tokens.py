"""Access tokens (short-lived JWTs bound to a server-side session) and opaque secrets."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

import jwt

ALGORITHM = "HS256"
ISSUER = "aftercare"
# Crockford's base32 without look-alike letters: easy to read out and type on a phone.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 12


@dataclass(frozen=True)
class AccessClaims:
    session_id: uuid.UUID
    subject: uuid.UUID
    kind: str


class InvalidToken(Exception):
    """The token is malformed, expired, or not signed by us."""


def issue_access_token(
    *,
    secret: str,
    session_id: uuid.UUID,
    subject: uuid.UUID,
    kind: str,
    now: datetime,
    ttl: timedelta,
    jti: str | None = None,
) -> str:
    """Sign an access token for a session (the same arguments and ``jti`` sign the same token again)."""
    payload = {
        "iss": ISSUER,
        "sub": str(subject),
        "sid": str(session_id),
        "knd": kind,
        "typ": "access",
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
        "jti": jti or secrets.token_hex(8),
    }
    return jwt.encode(payload, secret, algorithm=ALGORITHM)


def read_access_token(token: str, *, secret: str, now: datetime) -> AccessClaims:
    """Verify signature, algorithm, issuer and expiry; return the claims."""
    claims, expires = _verified(token, secret)
    if expires <= int(now.timestamp()):
        raise InvalidToken("token expired")
    return claims


@lru_cache(maxsize=4096)
def _verified(token: str, secret: str) -> tuple[AccessClaims, int]:
    """The claims and expiry of a token whose signature, algorithm and issuer check out.

    A phone sends the same token with every request for up to 15 minutes: its signature is checked
    once per process and remembered (bounded; failures are never remembered). Expiry is checked on
    every call by the caller, and the session behind the token on every request by the database.
    """
    try:
        payload = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "sid", "typ"], "verify_exp": False},
        )
    except jwt.PyJWTError as exc:
        raise InvalidToken(str(exc)) from exc
    if payload.get("typ") != "access":
        raise InvalidToken("not an access token")
    if not isinstance(payload["exp"], int) or isinstance(payload["exp"], bool):
        raise InvalidToken("malformed expiry")
    try:
        claims = AccessClaims(uuid.UUID(payload["sid"]), uuid.UUID(payload["sub"]), str(payload.get("knd")))
    except (ValueError, TypeError, AttributeError) as exc:
        raise InvalidToken("malformed claims") from exc
    return claims, payload["exp"]


def new_refresh_token() -> str:
    """Return a fresh opaque refresh token."""
    return secrets.token_urlsafe(32)


def successor_refresh_token(refresh_token: str, *, secret: str) -> str:
    """The refresh token that rotating ``refresh_token`` hands out, derived with the server's secret.

    Only a holder of the presented token can derive it, so the server stores hashes alone and can still
    give a phone that lost the answer the very same pair when it asks again (the reuse grace window).
    """
    mac = hmac.new(secret.encode(), b"refresh-successor:" + refresh_token.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def access_token_id(refresh_token: str, *, secret: str) -> str:
    """The ``jti`` of the access token issued together with ``refresh_token`` (reproducible, never stored)."""
    return hmac.new(secret.encode(), b"access-jti:" + refresh_token.encode(), hashlib.sha256).hexdigest()[:16]


def new_enrollment_code() -> str:
    """Return a one-time enrollment code in groups of four for reading aloud (e.g. 7KQ2-M9XA-4TRE)."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def normalize_code(code: str) -> str:
    """Uppercase, drop separators, and read look-alike letters as Crockford does."""
    cleaned = "".join(ch for ch in code.upper() if ch.isalnum())
    return cleaned.translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))


def digest(secret: str) -> str:
    """SHA-256 of a high-entropy secret, for storage and lookup."""
    return hashlib.sha256(secret.encode()).hexdigest()
