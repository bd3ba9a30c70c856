"""patient courses: outcomes' roll-up, so a range's outcomes read that range's PHQ-9s and one row per patient

One row per patient: the starts of their first seven infusions, their first maintenance infusion's start and
their first PHQ-9. Kept by service/domain/outcomes.py (each infusion recorded or corrected, each PHQ-9 stored);
worked out here from what is stored, by the same code (``outcomes.rebuild_courses``). Figures: bench/analytics.py.

Revision ID: 9b5c1e3f7a42
Revises: 8a4b0d2e6f31
Create Date: 2026-12-07 21:20:00.000000

"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.orm import Session


# revision identifiers, used by Alembic.
revision = "9b5c1e3f7a42"
down_revision = "8a4b0d2e6f31"
branch_labels = None
depends_on = None


def upgrade():
    moment = sa.DateTime(timezone=True)
    op.create_table(
        "patient_courses",
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("clinic_id", sa.Uuid(), nullable=False),
        *(sa.Column(f"start_{k}", moment, nullable=True) for k in range(1, 8)),
        sa.Column("maintenance_started_at", moment, nullable=True),
        sa.Column("first_phq9_observed_at", moment, nullable=True),
        sa.Column("first_phq9_received_at", moment, nullable=True),
        sa.Column("first_phq9_total", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["clinic_id"], ["clinics.id"], name=op.f("fk_patient_courses_clinic_id_clinics")),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"], name=op.f("fk_patient_courses_patient_id_patients")),
        sa.PrimaryKeyConstraint("patient_id", name=op.f("pk_patient_courses")),
    )
    op.create_index("ix_patient_courses_clinic", "patient_courses", ["clinic_id"], unique=False)
    from service.domain import outcomes  # the service's own rule of a course, for the rows already stored

    outcomes.rebuild_courses(Session(bind=op.get_bind()))


def downgrade():
    op.drop_index("ix_patient_courses_clinic", table_name="patient_courses")
    op.drop_table("patient_courses")
