"""Password hashing (argon2id) and the NIST SP 800-63B rev. 4 password rules."""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 15
# Long enough for any passphrase; a cap only protects the hasher from abuse.
MAX_LENGTH = 1024

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verified against when the account does not exist, so both paths cost the same.
_DUMMY_HASH = _hasher.hash("aftercare-timing-equaliser-not-a-password")


def normalize(password: str) -> str:
    """Apply NFKC so the same passphrase typed on two keyboards matches."""
    return unicodedata.normalize("NFKC", password)


@lru_cache(maxsize=1)
def _blocklist() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    words = set(FREQUENCY_LISTS["passwords"])
    return frozenset(w.lower() for w in words)


def password_problem(password: str, *, context: tuple[str, ...] = ()) -> str | None:
    """Return why a new password is not acceptable, or None when it is."""
    password = normalize(password)
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters; a few words make a good passphrase."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    folded = password.lower()
    if folded in _blocklist() or len(set(folded)) < 4:
        return "This password is too common or too easy to guess; choose another."
    for raw in context:
        word = (raw or "").strip().lower()
        if len(word) >= 4 and word in folded and len(folded) - len(word) < MIN_LENGTH:
            return "The password must not be built from your name, email address or the service name."
    return None


def hash_password(password: str) -> str:
    """Hash a password with argon2id."""
    return _hasher.hash(normalize(password))


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password against its hash; spend the same time when there is no hash."""
    candidate = normalize(password)
    if len(candidate) > MAX_LENGTH:
        return False
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, candidate) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Tell whether a stored hash uses outdated parameters."""
    return _hasher.check_needs_rehash(password_hash)
