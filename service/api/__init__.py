"""HTTP blueprints, registered from one MODULES tuple."""

from service.api import auth, clinicians, health, me, patients, reports

# API blueprints (documented in OpenAPI) and plain ones (operations endpoints).
MODULES = (auth, patients, me, reports, clinicians)
PLAIN_MODULES = (health,)
