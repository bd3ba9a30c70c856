"""HTTP blueprints, registered from one MODULES tuple."""

from service.api import auth, checkins, clinic, clinicians, flags, health, me, notifications, patients, reports

# API blueprints (documented in OpenAPI) and plain ones (operations endpoints).
MODULES = (auth, patients, me, reports, flags, clinicians, clinic, checkins, notifications)
PLAIN_MODULES = (health,)
