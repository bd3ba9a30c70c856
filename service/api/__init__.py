"""HTTP blueprints, registered from one MODULES tuple."""

from service.api import adverse_events, audit, auth, clinic, clinicians, flags, health, me, patients, reports

# API blueprints (documented in OpenAPI) and plain ones (operations endpoints).
MODULES = (auth, patients, me, reports, flags, adverse_events, clinicians, clinic, audit)
PLAIN_MODULES = (health,)
