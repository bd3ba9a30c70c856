"""HTTP blueprints, registered from one MODULES tuple."""

from service.api import auth, clinic, clinicians, flags, health, me, patients, reports

# API blueprints (documented in OpenAPI) and plain ones (operations endpoints).
MODULES = (auth, patients, me, reports, flags, clinicians, clinic)
PLAIN_MODULES = (health,)
