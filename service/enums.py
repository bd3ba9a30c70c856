"""Closed vocabularies shared by models, schemas and domain code."""

from enum import StrEnum


class Role(StrEnum):
    NURSE = "nurse"
    PHYSICIAN = "physician"
    ADMIN = "admin"


class PatientStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    DISCHARGED = "discharged"


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"
    INTERSEX = "intersex"
    UNKNOWN = "unknown"


class Channel(StrEnum):
    """How a patient prefers to be reached."""

    PUSH = "push"
    EMAIL = "email"
    LOG = "log"


class Platform(StrEnum):
    IOS = "ios"
    ANDROID = "android"
    WEB = "web"


class Route(StrEnum):
    IV = "iv"
    INTRANASAL = "intranasal"
    INTRAMUSCULAR = "intramuscular"


ROUTE_LABELS = {Route.IV: "IV", Route.INTRANASAL: "intranasal", Route.INTRAMUSCULAR: "IM"}


class Phase(StrEnum):
    INDUCTION = "induction"
    MAINTENANCE = "maintenance"


class PrincipalKind(StrEnum):
    CLINICIAN = "clinician"
    DEVICE = "device"


class CheckinStatus(StrEnum):
    SCHEDULED = "scheduled"
    SENT = "sent"
    ANSWERED = "answered"
    MISSED = "missed"
    CANCELLED = "cancelled"
