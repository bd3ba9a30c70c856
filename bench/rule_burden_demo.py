"""Alert burden per rule on the demo clinic: seeds a fresh SQLite database with the demo (40 patients, seed 7)
at the current clock and prints, for the last 90 days, what GET /api/v1/analytics/rules gives per rule.

Run it on two commits to compare (the demo's data follows the code of each commit, so a change in the seed
moves the figures too):  python -m bench.rule_burden_demo
"""

from __future__ import annotations

import contextlib
import tempfile
from datetime import timedelta

from flask_migrate import upgrade
from sqlalchemy import select

from service import create_app
from service.clock import now_utc
from service.demo import seed
from service.domain import analytics
from service.extensions import db
from service.models import Clinic


def main() -> None:
    folder = tempfile.mkdtemp(prefix="aftercare-burden-")
    app = create_app({"DATABASE_URL": f"sqlite:///{folder}/burden.sqlite3", "SECRET_KEY": "bench-" + "x" * 40})
    with app.app_context():
        upgrade()
        now = now_utc()
        quiet = lambda items, **_: contextlib.nullcontext(items)  # noqa: E731 - the seed's progress bar, silenced
        seed(db.session, patient_count=40, random_seed=7, now=now, progress=quiet)
        db.session.commit()
        clinic = db.session.scalars(select(Clinic)).first()
        items = analytics.rule_burden(db.session, clinic_id=clinic.id, since=now - timedelta(days=90), until=now)
        print(f"demo clinic, 40 patients, seed 7, last 90 days to {now:%Y-%m-%d %H:%M} UTC")
        print(f"{'rule':<24} {'ver':>3} {'reports':>7} {'flags':>5} {'per 100':>7} {'acted %':>7}")
        for item in items:
            print(
                f"{item['rule']:<24} {item['version']:>3} {item['reports']:>7} {item['flags_opened']:>5} "
                f"{item['fire_rate']!s:>7} {item['action_rate']!s:>7}"
            )


if __name__ == "__main__":
    main()
