"""HTTP blueprints, registered from one MODULES tuple."""

from service.api import (
    adverse_events,
    analytics,
    audit,
    auth,
    checkins,
    clinic,
    clinicians,
    flag_cases,
    flags,
    health,
    me,
    notifications,
    patients,
    reports,
    visits,
)

# API blueprints (documented in OpenAPI) and plain ones (operations endpoints).
MODULES = (
    auth,
    patients,
    me,
    reports,
    flags,
    flag_cases,
    adverse_events,
    clinicians,
    clinic,
    checkins,
    notifications,
    audit,
    analytics,
    visits,
)
PLAIN_MODULES = (health,)
