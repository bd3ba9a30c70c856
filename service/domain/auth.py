"""Sign-in for staff and phones: login, refresh rotation, logout, enrollment, throttling."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.orm import Session

from service.domain.clinicians import normalize_email
from service.domain.sessions import revoke_sessions
from service.domain.sql import DriverStatement
from service.enums import PatientStatus, Platform, PrincipalKind, Role
from service.errors import NotFound, TooManyRequests, Unauthorized, ValidationFailed
from service.models import (
    AuthFailure,
    AuthSession,
    Clinic,
    Clinician,
    Device,
    EnrollmentCode,
    Patient,
    RefreshToken,
)
from service.security.passwords import hash_password, needs_rehash, verify_password
from service.security.tokens import (
    InvalidToken,
    access_token_id,
    digest,
    issue_access_token,
    new_enrollment_code,
    new_refresh_token,
    normalize_code,
    read_access_token,
    successor_refresh_token,
)


@dataclass(frozen=True)
class AuthSettings:
    """The knobs of sign-in, taken from the app config by the caller."""

    secret: str
    access_ttl: timedelta
    clinician_refresh_ttl: timedelta
    device_refresh_ttl: timedelta
    enrollment_code_ttl: timedelta
    window: timedelta
    max_failures_per_account: int
    max_failures_per_address: int
    # A refresh token presented again this soon after its rotation gets the same new pair back.
    refresh_reuse_grace: timedelta = timedelta(seconds=30)

    @classmethod
    def from_config(cls, config) -> AuthSettings:
        return cls(
            secret=config["SECRET_KEY"],
            access_ttl=config["ACCESS_TOKEN_TTL"],
            clinician_refresh_ttl=config["CLINICIAN_REFRESH_TTL"],
            device_refresh_ttl=config["DEVICE_REFRESH_TTL"],
            enrollment_code_ttl=config["ENROLLMENT_CODE_TTL"],
            window=config["LOGIN_WINDOW"],
            max_failures_per_account=config["LOGIN_MAX_FAILURES_PER_ACCOUNT"],
            max_failures_per_address=config["LOGIN_MAX_FAILURES_PER_ADDRESS"],
            refresh_reuse_grace=config["REFRESH_REUSE_GRACE"],
        )


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "Bearer"
    patient_id: uuid.UUID | None = None


@dataclass(frozen=True)
class StaffRef:
    """The signed-in clinician as a request needs them (a snapshot, not a tracked row)."""

    id: uuid.UUID
    clinic_id: uuid.UUID
    role: Role
    name: str


@dataclass(frozen=True)
class PatientRef:
    """The patient behind a signed-in phone, with what triage needs to know about them."""

    id: uuid.UUID
    clinic_id: uuid.UUID
    time_zone: str
    phq9_baseline: int | None
    mood_baseline: int | None
    status: PatientStatus
    language: str = "en"


@dataclass(frozen=True)
class Principal:
    """Who is calling: a clinician of a clinic, or a patient's paired phone."""

    kind: PrincipalKind
    session_id: uuid.UUID
    clinic_id: uuid.UUID
    clinician: StaffRef | None = None
    patient: PatientRef | None = None
    device_id: uuid.UUID | None = None
    clinic_settings: dict | None = None

    @property
    def role(self) -> Role | None:
        return self.clinician.role if self.clinician else None

    @property
    def patient_id(self) -> uuid.UUID | None:
        return self.patient.id if self.patient else None

    @property
    def actor_id(self) -> uuid.UUID:
        return self.clinician.id if self.clinician else self.device_id


class AuthFailed(Unauthorized):
    """Credentials were wrong; the failure was recorded and must be committed."""


# --- throttling ---------------------------------------------------------------------------------


def _account_key(email: str) -> str:
    return digest("account:" + normalize_email(email))


def _check_throttle(
    session: Session, *, column, key: str, limit: int, settings: AuthSettings, now: datetime, what: str
) -> None:
    since = now - settings.window
    count, oldest = session.execute(
        select(func.count(), func.min(AuthFailure.at)).where(column == key, AuthFailure.at > since)
    ).one()
    if count >= limit:
        retry_after = max(1, int((oldest + settings.window - now).total_seconds()) + 1)
        raise TooManyRequests(
            f"Too many failed attempts {what}; try again in {retry_after // 60 + 1} minutes.",
            retry_after=retry_after,
        )


def _record_failure(session: Session, *, account: str | None, address: str, now: datetime) -> None:
    session.add(AuthFailure(account=account, address=address[:64], at=now))
    session.flush()


def prune_failures(session: Session, *, settings: AuthSettings, now: datetime) -> int:
    """Delete failure records older than the throttling window."""
    result = session.execute(delete(AuthFailure).where(AuthFailure.at <= now - settings.window))
    return result.rowcount or 0


# --- tokens -------------------------------------------------------------------------------------


def _open_session(
    session: Session,
    *,
    kind: PrincipalKind,
    clinic_id: uuid.UUID,
    now: datetime,
    clinician_id: uuid.UUID | None = None,
    device_id: uuid.UUID | None = None,
) -> AuthSession:
    auth_session = AuthSession(
        kind=kind, clinic_id=clinic_id, clinician_id=clinician_id, device_id=device_id, created_at=now
    )
    session.add(auth_session)
    session.flush()
    return auth_session


def _issue_pair(
    session: Session,
    *,
    auth_session: AuthSession,
    subject: uuid.UUID,
    settings: AuthSettings,
    now: datetime,
    patient_id: uuid.UUID | None = None,
    refresh: str | None = None,
) -> TokenPair:
    """Store a new refresh token (its hash) and sign the access token that goes with it."""
    refresh = refresh or new_refresh_token()
    ttl = settings.device_refresh_ttl if auth_session.kind == PrincipalKind.DEVICE else settings.clinician_refresh_ttl
    session.add(
        RefreshToken(session_id=auth_session.id, token_hash=digest(refresh), created_at=now, expires_at=now + ttl)
    )
    session.flush()
    return _signed_pair(
        auth_session=auth_session,
        subject=subject,
        settings=settings,
        refresh=refresh,
        issued_at=now,
        now=now,
        patient_id=patient_id,
    )


def _signed_pair(
    *,
    auth_session: AuthSession,
    subject: uuid.UUID,
    settings: AuthSettings,
    refresh: str,
    issued_at: datetime,
    now: datetime,
    patient_id: uuid.UUID | None,
) -> TokenPair:
    """The pair of a refresh token issued at ``issued_at``: signing it again gives the same access token."""
    access = issue_access_token(
        secret=settings.secret,
        session_id=auth_session.id,
        subject=subject,
        kind=auth_session.kind.value,
        now=issued_at,
        ttl=settings.access_ttl,
        jti=access_token_id(refresh, secret=settings.secret),
    )
    return TokenPair(
        access_token=access,
        refresh_token=refresh,
        expires_in=max(0, int((issued_at + settings.access_ttl - now).total_seconds())),
        patient_id=patient_id,
    )


def login(
    session: Session, *, email: str, password: str, address: str, settings: AuthSettings, now: datetime
) -> TokenPair:
    """Sign a clinician in with email and password."""
    clinician = check_credentials(session, email=email, password=password, address=address, settings=settings, now=now)
    return sign_in_clinician(session, clinician=clinician, settings=settings, now=now)


def check_credentials(
    session: Session, *, email: str, password: str, address: str, settings: AuthSettings, now: datetime
) -> Clinician:
    """The active clinician with this email and password, under the sign-in throttle (API and console alike).

    A wrong password, an unknown email and a deactivated account fail alike (AuthFailed, recorded for
    throttling: the caller commits before answering); too many recent failures answer 429 first.
    """
    account = _account_key(email)
    _check_throttle(
        session,
        column=AuthFailure.address,
        key=address,
        now=now,
        settings=settings,
        limit=settings.max_failures_per_address,
        what="from this address",
    )
    _check_throttle(
        session,
        column=AuthFailure.account,
        key=account,
        now=now,
        settings=settings,
        limit=settings.max_failures_per_account,
        what="for this account",
    )
    clinician = session.scalar(select(Clinician).where(Clinician.email == normalize_email(email)))
    ok = verify_password(clinician.password_hash if clinician else None, password)
    if not ok or clinician is None or not clinician.active:
        _record_failure(session, account=account, address=address, now=now)
        raise AuthFailed("Email or password is incorrect.")
    if needs_rehash(clinician.password_hash):
        clinician.password_hash = hash_password(password)
    return clinician


def sign_in_clinician(session: Session, *, clinician: Clinician, settings: AuthSettings, now: datetime) -> TokenPair:
    """Open a session for a clinician whose credentials were checked."""
    auth_session = _open_session(
        session, kind=PrincipalKind.CLINICIAN, clinic_id=clinician.clinic_id, clinician_id=clinician.id, now=now
    )
    return _issue_pair(session, auth_session=auth_session, subject=clinician.id, settings=settings, now=now)


def sign_in_device(session: Session, *, device: Device, settings: AuthSettings, now: datetime) -> TokenPair:
    """Open a session for a freshly paired phone."""
    auth_session = _open_session(
        session, kind=PrincipalKind.DEVICE, clinic_id=device.clinic_id, device_id=device.id, now=now
    )
    return _issue_pair(
        session,
        auth_session=auth_session,
        subject=device.patient_id,
        settings=settings,
        now=now,
        patient_id=device.patient_id,
    )


def refresh(session: Session, *, refresh_token: str, settings: AuthSettings, now: datetime) -> TokenPair:
    """Trade a refresh token for a new pair.

    The new refresh token is derived from the presented one (see ``successor_refresh_token``), so a phone
    that lost the answer and presents the same token again within ``refresh_reuse_grace`` gets the very
    same pair back, as long as that pair is still unused. Any other reuse revokes the whole family.
    Two presentations racing are ordered by the claim on the token's row: one rotates, the other replays.
    """
    token = session.scalar(select(RefreshToken).where(RefreshToken.token_hash == digest(refresh_token)))
    if token is None:
        raise Unauthorized("Refresh token is not valid.")
    auth_session = session.get(AuthSession, token.session_id)
    claimed = session.execute(
        update(RefreshToken).where(RefreshToken.id == token.id, RefreshToken.used_at.is_(None)).values(used_at=now),
        execution_options={"synchronize_session": False},
    ).rowcount
    if not claimed:
        replayed = _replayed_pair(
            session, token=token, refresh_token=refresh_token, auth_session=auth_session, settings=settings, now=now
        )
        if replayed is not None:
            return replayed
        revoke_sessions(session, session_id=auth_session.id, reason="refresh_reuse", now=now)
        raise AuthFailed("Refresh token was already used; this sign-in has been ended for safety.")
    if auth_session.revoked_at is not None or token.expires_at <= now:
        raise Unauthorized("This sign-in has ended; sign in again.")
    principal = _live_principal(session, session_id=auth_session.id)
    if principal is None:
        revoke_sessions(session, session_id=auth_session.id, reason="principal_inactive", now=now)
        raise AuthFailed("This sign-in has ended; sign in again.")
    if principal.device_id is not None:
        session.execute(update(Device).where(Device.id == principal.device_id).values(last_seen_at=now))
    return _issue_pair(
        session,
        auth_session=auth_session,
        subject=_subject(principal),
        settings=settings,
        now=now,
        patient_id=principal.patient_id,
        refresh=successor_refresh_token(refresh_token, secret=settings.secret),
    )


def _subject(principal: Principal) -> uuid.UUID:
    return principal.clinician.id if principal.clinician else principal.patient_id


def _replayed_pair(
    session: Session,
    *,
    token: RefreshToken,
    refresh_token: str,
    auth_session: AuthSession,
    settings: AuthSettings,
    now: datetime,
) -> TokenPair | None:
    """The pair a used refresh token's rotation handed out, if it may be given again; None means reuse.

    Only within the grace window after the first use, only while that pair's refresh token is itself
    unused and unexpired, and only while the sign-in is live. The window runs from the first use and is
    never extended by a replay.
    """
    used_at = session.scalar(select(RefreshToken.used_at).where(RefreshToken.id == token.id))
    if used_at is None or now - used_at > settings.refresh_reuse_grace:
        return None
    successor = successor_refresh_token(refresh_token, secret=settings.secret)
    issued = session.execute(
        select(RefreshToken.created_at, RefreshToken.expires_at).where(
            RefreshToken.token_hash == digest(successor),
            RefreshToken.session_id == token.session_id,
            RefreshToken.used_at.is_(None),
        )
    ).one_or_none()
    if issued is None or issued.expires_at <= now:
        return None
    principal = _live_principal(session, session_id=auth_session.id)
    if principal is None:
        return None
    return _signed_pair(
        auth_session=auth_session,
        subject=_subject(principal),
        settings=settings,
        refresh=successor,
        issued_at=issued.created_at,
        now=now,
        patient_id=principal.patient_id,
    )


def logout(session: Session, *, principal: Principal, refresh_token: str | None, now: datetime) -> None:
    """End the caller's session at once; also end the session of a given refresh token of theirs."""
    revoke_sessions(session, session_id=principal.session_id, reason="logout", now=now)
    if refresh_token:
        token = session.scalar(select(RefreshToken).where(RefreshToken.token_hash == digest(refresh_token)))
        if token is not None:
            other = session.get(AuthSession, token.session_id)
            same_owner = other is not None and (
                (other.clinician_id is not None and other.clinician_id == principal.actor_id)
                or (other.device_id is not None and other.device_id == principal.device_id)
            )
            if same_owner:
                revoke_sessions(session, session_id=other.id, reason="logout", now=now)


_AS, _CL, _DV, _PT, _CN = (m.__table__ for m in (AuthSession, Clinician, Device, Patient, Clinic))
_PRINCIPAL_QUERY = select(
    _AS.c.kind,
    _AS.c.clinic_id,
    _AS.c.revoked_at,
    _CL.c.id,
    _CL.c.active,
    _CL.c.role,
    _CL.c.name,
    _DV.c.id,
    _DV.c.revoked_at,
    _DV.c.patient_id,
    _PT.c.time_zone,
    _PT.c.phq9_baseline,
    _PT.c.mood_baseline,
    _PT.c.status,
    _PT.c.language,
    _CN.c.settings,
).select_from(
    _AS.join(_CN, _CN.c.id == _AS.c.clinic_id)
    .outerjoin(_CL, _CL.c.id == _AS.c.clinician_id)
    .outerjoin(_DV, _DV.c.id == _AS.c.device_id)
    .outerjoin(_PT, _PT.c.id == _DV.c.patient_id)
)
# Every signed-in request runs this: straight on the driver (see DriverStatement).
_PRINCIPAL_BY_SESSION = DriverStatement(_PRINCIPAL_QUERY.where(_AS.c.id == bindparam("session_id")))


def _live_principal(session: Session, *, session_id: uuid.UUID) -> Principal | None:
    """The principal behind a live session in one round trip (no ORM rows), or None if it has ended."""
    rows = _PRINCIPAL_BY_SESSION.rows(session, {"session_id": session_id})
    if not rows:
        return None
    [row] = rows
    (
        kind,
        clinic_id,
        revoked_at,
        clinician_id,
        active,
        role,
        name,
        device_id,
        device_revoked_at,
        patient_id,
        time_zone,
        phq9_baseline,
        mood_baseline,
        status,
        language,
        clinic_settings,
    ) = row
    if revoked_at is not None:
        return None
    if kind == PrincipalKind.CLINICIAN:
        if clinician_id is None or not active:
            return None
        return Principal(
            kind=PrincipalKind.CLINICIAN,
            session_id=session_id,
            clinic_id=clinic_id,
            clinician=StaffRef(clinician_id, clinic_id, Role(role), name),
            clinic_settings=clinic_settings,
        )
    if device_id is None or device_revoked_at is not None:
        return None
    patient = PatientRef(
        patient_id, clinic_id, time_zone, phq9_baseline, mood_baseline, PatientStatus(status), str(language)
    )
    return Principal(
        kind=PrincipalKind.DEVICE,
        session_id=session_id,
        clinic_id=clinic_id,
        patient=patient,
        device_id=device_id,
        clinic_settings=clinic_settings,
    )


def open_console_session(session: Session, *, clinician: Clinician, now: datetime) -> AuthSession:
    """Open a server-side session for the web console (no tokens: the browser holds its id in a signed cookie).

    It is an AuthSession like an API sign-in, so deactivating the clinician, changing their password
    or signing out ends it the same way.
    """
    return _open_session(
        session, kind=PrincipalKind.CLINICIAN, clinic_id=clinician.clinic_id, clinician_id=clinician.id, now=now
    )


def console_principal(session: Session, *, session_id: uuid.UUID) -> Principal | None:
    """The clinician behind a live console session, or None when it has ended (revoked, deactivated)."""
    principal = _live_principal(session, session_id=session_id)
    if principal is None or principal.kind != PrincipalKind.CLINICIAN:
        return None
    return principal


def end_session(session: Session, *, session_id: uuid.UUID, reason: str, now: datetime) -> None:
    """End one sign-in session at once (sign-out, idle timeout)."""
    revoke_sessions(session, session_id=session_id, reason=reason, now=now)


def authenticate(session: Session, *, token: str, settings: AuthSettings, now: datetime) -> Principal:
    """Turn a bearer access token into a live principal, or raise 401."""
    try:
        claims = read_access_token(token, secret=settings.secret, now=now)
    except InvalidToken:
        raise Unauthorized("The access token is invalid or expired.") from None
    principal = _live_principal(session, session_id=claims.session_id)
    if principal is None or _subject(principal) != claims.subject:
        raise Unauthorized("This sign-in has ended; sign in again.")
    return principal


# --- enrollment ---------------------------------------------------------------------------------


def issue_enrollment_code(
    session: Session, *, patient: Patient, actor: Clinician | None, ttl: timedelta, now: datetime
) -> tuple[str, datetime]:
    """Issue a one-time pairing code for a patient; earlier unused codes stop working."""
    if patient.status == PatientStatus.DISCHARGED:
        raise ValidationFailed("A discharged patient cannot pair a phone.", field="status")
    session.execute(
        update(EnrollmentCode)
        .where(
            EnrollmentCode.patient_id == patient.id, EnrollmentCode.used_at.is_(None), EnrollmentCode.expires_at > now
        )
        .values(expires_at=now),
        execution_options={"synchronize_session": False},
    )
    code = new_enrollment_code()
    expires_at = now + ttl
    session.add(
        EnrollmentCode(
            clinic_id=patient.clinic_id,
            patient_id=patient.id,
            created_by_id=actor.id if actor else None,
            code_hash=digest(normalize_code(code)),
            created_at=now,
            expires_at=expires_at,
        )
    )
    session.flush()
    return code, expires_at


def enroll(
    session: Session,
    *,
    code: str,
    device_name: str,
    platform: Platform,
    push_token: str | None,
    address: str,
    settings: AuthSettings,
    now: datetime,
) -> TokenPair:
    """Pair a phone with a one-time code and sign it in."""
    _check_throttle(
        session,
        column=AuthFailure.address,
        key=address,
        now=now,
        settings=settings,
        limit=settings.max_failures_per_address,
        what="from this address",
    )
    enrollment = session.scalar(select(EnrollmentCode).where(EnrollmentCode.code_hash == digest(normalize_code(code))))
    patient = session.get(Patient, enrollment.patient_id) if enrollment else None
    if (
        enrollment is None
        or enrollment.used_at is not None
        or enrollment.expires_at <= now
        or patient is None
        or patient.status == PatientStatus.DISCHARGED
    ):
        _record_failure(session, account=None, address=address, now=now)
        raise AuthFailed("This enrollment code is not valid. Ask your clinic for a new one.")
    claimed = session.execute(
        update(EnrollmentCode)
        .where(EnrollmentCode.id == enrollment.id, EnrollmentCode.used_at.is_(None))
        .values(used_at=now),
        execution_options={"synchronize_session": False},
    ).rowcount
    if not claimed:  # another phone used it a moment ago; nothing of ours is written
        raise Unauthorized("This enrollment code is not valid. Ask your clinic for a new one.")
    device = Device(
        clinic_id=patient.clinic_id,
        patient_id=patient.id,
        name=device_name.strip(),
        platform=Platform(platform),
        push_token=push_token,
        created_at=now,
        last_seen_at=now,
    )
    session.add(device)
    session.flush()
    session.execute(
        update(EnrollmentCode).where(EnrollmentCode.id == enrollment.id).values(device_id=device.id),
        execution_options={"synchronize_session": False},
    )
    return sign_in_device(session, device=device, settings=settings, now=now)


def revoke_device(session: Session, *, patient: Patient, device_id: uuid.UUID, now: datetime) -> Device:
    """Unpair a phone: its tokens stop working on their next use."""
    device = session.scalar(select(Device).where(Device.id == device_id, Device.patient_id == patient.id))
    if device is None:
        raise NotFound("No such device.")
    if device.revoked_at is None:
        device.revoked_at = now
    revoke_sessions(session, device_id=device.id, reason="device_revoked", now=now)
    session.flush()
    return device
