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


class Language(StrEnum):
    """The languages a patient can read Aftercare's messages in."""

    EN = "en"
    ES = "es"


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


class CheckinQuestionAnswer(StrEnum):
    """How a check-in's question is answered: a PRO-CTCAE severity 0-4, or yes/no."""

    SEVERITY = "severity"
    YES_NO = "yes_no"


class FlagStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


ACTIVE_FLAG_STATUSES = (FlagStatus.OPEN, FlagStatus.ACKNOWLEDGED)


class FlagAction(StrEnum):
    """What a clinician can do to a flag (POST /flags/{id}/<action>)."""

    ACKNOWLEDGE = "acknowledge"
    ASSIGN = "assign"
    NOTE = "notes"
    ESCALATE = "escalate"
    RESOLVE = "resolve"


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
    PAGED = "paged"  # clinicians and the clinic's pager were told at once (a critical flag, new evidence)
    REOPENED = "reopened"  # new evidence returned an acknowledged flag to open
    DELIVERED = "delivered"  # a page or escalation message left Aftercare
    UNDELIVERED = "undelivered"  # ... or could not, after its last attempt (a dead letter)
    SAFETY_SCREEN = "safety_screen"  # the patient answered the suicide-risk screener


class SeriousnessCriterion(StrEnum):
    """ICH E2A criteria that make an adverse event serious."""

    DEATH = "death"
    LIFE_THREATENING = "life_threatening"
    HOSPITALIZATION = "hospitalization"
    DISABILITY = "disability"
    CONGENITAL_ANOMALY = "congenital_anomaly"
    MEDICALLY_IMPORTANT = "medically_important"


# Criteria that put a serious event on the 7-day (expedited) regulatory clock; others get 15 days.
EXPEDITED_CRITERIA = (SeriousnessCriterion.DEATH, SeriousnessCriterion.LIFE_THREATENING)


class Causality(StrEnum):
    """WHO-UMC causality categories."""

    CERTAIN = "certain"
    PROBABLE = "probable"
    POSSIBLE = "possible"
    UNLIKELY = "unlikely"
    CONDITIONAL = "conditional"
    UNASSESSABLE = "unassessable"


class ActionTaken(StrEnum):
    """What was done with the ketamine treatment because of the event."""

    NONE = "none"
    DOSE_REDUCED = "dose_reduced"
    INFUSION_INTERRUPTED = "infusion_interrupted"
    TREATMENT_DISCONTINUED = "treatment_discontinued"
    UNKNOWN = "unknown"


class Outcome(StrEnum):
    RECOVERED = "recovered"
    RECOVERING = "recovering"
    NOT_RECOVERED = "not_recovered"
    RECOVERED_WITH_SEQUELAE = "recovered_with_sequelae"
    FATAL = "fatal"
    UNKNOWN = "unknown"


class AuditAction(StrEnum):
    READ = "read"
    WRITE = "write"
    EXPORT = "export"


class NotificationKind(StrEnum):
    """What a message in the outbox is for."""

    CHECKIN_PROMPT = "checkin_prompt"
    CHECKIN_REMINDER = "checkin_reminder"
    ESCALATION = "escalation"
    DIGEST = "digest"
    PAGE = "page"  # a critical flag, at once


# Messages about a flag whose delivery is written on the flag's history.
FLAG_MESSAGE_KINDS = (NotificationKind.PAGE, NotificationKind.ESCALATION)


class SafetyRisk(StrEnum):
    """The risk a suicide-risk screener's answers show (C-SSRS screener triage)."""

    NONE = "none"
    LOW = "low"
    MODERATE = "moderate"
    HIGH = "high"


class DeliveryChannel(StrEnum):
    """How a message leaves Aftercare."""

    LOG = "log"
    EMAIL = "email"
    WEBHOOK = "webhook"
    PUSH = "push"


class Audience(StrEnum):
    """Who a message is for: a patient, a clinician, or the clinic's own system (webhook)."""

    PATIENT = "patient"
    CLINICIAN = "clinician"
    CLINIC = "clinic"


class NotificationStatus(StrEnum):
    """pending → sending → sent, or back to pending with a backoff, or dead after the last attempt."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    DEAD = "dead"


class ScreeningDecision(StrEnum):
    """What a clinician decided about a screening on hold (blood pressure at or above the hold line, or a
    contraindication ticked)."""

    PROCEED = "proceed"
    POSTPONE = "postpone"


# Bands of a weight-based dose (mg/kg) the safety analytics break rates down by: < 0.5, 0.5 up to 0.75,
# 0.75 to 1.0 inclusive, > 1.0, and infusions with no mg/kg recorded.
DOSE_BANDS = ("under_0.5", "0.5_to_0.75", "0.75_to_1.0", "over_1.0", "unknown")
