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


class FlagStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


ACTIVE_FLAG_STATUSES = (FlagStatus.OPEN, FlagStatus.ACKNOWLEDGED)


class Resolution(StrEnum):
    CONTACTED_PATIENT = "contacted_patient"
    ADVISED_EMERGENCY_CARE = "advised_emergency_care"
    ADJUSTED_TREATMENT = "adjusted_treatment"
    NO_ACTION_NEEDED = "no_action_needed"
    DUPLICATE = "duplicate"


class FlagPriority(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class FlagEventKind(StrEnum):
    OPENED = "opened"
    JOINED = "joined"
    ACKNOWLEDGED = "acknowledged"
    ASSIGNED = "assigned"
    NOTE = "note"
    ESCALATED = "escalated"
    RESOLVED = "resolved"
