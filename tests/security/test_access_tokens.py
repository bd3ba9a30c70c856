"""Access tokens: a verified signature is remembered per process, but expiry and tampering never are."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from service.security.tokens import ISSUER, InvalidToken, issue_access_token, read_access_token

SECRET = "s" * 48
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def token(**overrides) -> str:
    values = {"secret": SECRET, "session_id": uuid.uuid4(), "subject": uuid.uuid4(), "kind": "device", "now": NOW}
    return issue_access_token(**{**values, **overrides}, ttl=timedelta(minutes=15))


def test_a_token_read_before_is_still_refused_once_it_has_expired():
    session_id, subject = uuid.uuid4(), uuid.uuid4()
    raw = token(session_id=session_id, subject=subject)
    claims = read_access_token(raw, secret=SECRET, now=NOW + timedelta(minutes=1))
    assert (claims.session_id, claims.subject, claims.kind) == (session_id, subject, "device")
    assert read_access_token(raw, secret=SECRET, now=NOW + timedelta(minutes=14)) == claims  # remembered
    with pytest.raises(InvalidToken, match="expired"):
        read_access_token(raw, secret=SECRET, now=NOW + timedelta(minutes=15))


def test_a_remembered_token_is_not_accepted_under_another_secret():
    raw = token()
    read_access_token(raw, secret=SECRET, now=NOW)
    with pytest.raises(InvalidToken):
        read_access_token(raw, secret="t" * 48, now=NOW)


def test_a_refused_token_stays_refused_and_a_tampered_copy_of_a_good_one_is_refused():
    raw = token()
    read_access_token(raw, secret=SECRET, now=NOW)
    head, body, signature = raw.split(".")
    forged = jwt.encode(
        {**jwt.decode(raw, options={"verify_signature": False}), "sub": str(uuid.uuid4())}, "x" * 48, "HS256"
    )
    for bad in (f"{head}.{body}.{signature[:-2]}AA", forged, f"{head}.{body}"):
        for _ in range(2):
            with pytest.raises(InvalidToken):
                read_access_token(bad, secret=SECRET, now=NOW)


@pytest.mark.parametrize(
    "claims",
    [
        {"typ": "refresh"},
        {"exp": "soon"},
        {"exp": True},
        {"sid": "not-a-uuid"},
        {"iss": "someone-else"},
    ],
    ids=["not-access", "exp-text", "exp-bool", "bad-sid", "other-issuer"],
)
def test_malformed_claims_are_refused(claims):
    payload = {
        "iss": ISSUER,
        "sub": str(uuid.uuid4()),
        "sid": str(uuid.uuid4()),
        "knd": "device",
        "typ": "access",
        "iat": int(NOW.timestamp()),
        "exp": int((NOW + timedelta(minutes=15)).timestamp()),
        **claims,
    }
    with pytest.raises(InvalidToken):
        read_access_token(jwt.encode(payload, SECRET, "HS256"), secret=SECRET, now=NOW)
