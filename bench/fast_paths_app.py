"""The real app with only the fast paths named in BENCH_FAST_PATHS switched on (a comma list of
bench.fast_paths.SWITCHES; empty: public APIs only): `gunicorn bench.fast_paths_app:app`."""

import os

from bench.fast_paths import set_switches
from service import create_app

set_switches({name for name in os.environ.get("BENCH_FAST_PATHS", "").split(",") if name})
app = create_app()
