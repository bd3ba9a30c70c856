"""Typed SQLAlchemy models, one module per aggregate."""

from service.models.adverse_event import AdverseEvent, AdverseEventVersion
from service.models.audit import AuditEntry
from service.models.auth import AuthFailure, AuthSession, EnrollmentCode, RefreshToken
from service.models.base import Base
from service.models.checkin import Checkin
from service.models.clinic import Clinic, Clinician
from service.models.flag import Flag, FlagEvent, FlagReport, SettingsChange
from service.models.outbox import Digest, JobRun, Notification
from service.models.patient import Device, Infusion, InfusionSymptom, Patient, PatientCourse
from service.models.report import Report, ReportSymptom, SafetyScreen
from service.models.visit import Discharge, Observation, Screening

__all__ = [
    "AdverseEvent",
    "AdverseEventVersion",
    "AuditEntry",
    "AuthFailure",
    "AuthSession",
    "Base",
    "Checkin",
    "Clinic",
    "Clinician",
    "Device",
    "Digest",
    "Discharge",
    "EnrollmentCode",
    "Flag",
    "FlagEvent",
    "FlagReport",
    "Infusion",
    "InfusionSymptom",
    "JobRun",
    "Notification",
    "Observation",
    "Patient",
    "PatientCourse",
    "RefreshToken",
    "Report",
    "ReportSymptom",
    "SafetyScreen",
    "Screening",
    "SettingsChange",
]
