"""analytics at scale: indexes for rule burden, incidence and outcomes over a range

Rule burden counts a clinic's reports received in a range (ix_reports_clinic_received), reads the flags
opened in it (ix_flags_clinic_created), when each rule version was first seen (ix_flags_clinic_rule_version,
index-only) and the reports that joined flags in it (ix_flag_events_kind_at). Incidence reads the infusions
ended in the range (ix_infusions_clinic_ended) and their follow-up reports (ix_reports_infusion_observed,
partial: reports tied to an infusion). Outcomes reads each patient's first infusions
(ix_infusions_clinic_patient_started) and PHQ-9s in order (ix_reports_clinic_phq9, partial: reports with a
PHQ-9). Figures: bench/analytics.py (bench/README.md).

Revision ID: 6d2b9e4a7c13
Revises: 6d1e9b4a2c70
Create Date: 2026-12-07 13:40:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "6d2b9e4a7c13"
down_revision = "6d1e9b4a2c70"
branch_labels = None
depends_on = None

TIED = sa.text("infusion_id IS NOT NULL")
PHQ9 = sa.text("phq9_total IS NOT NULL")


def upgrade():
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.create_index("ix_reports_clinic_received", ["clinic_id", "received_at"], unique=False)
        batch_op.create_index(
            "ix_reports_infusion_observed",
            ["infusion_id", "observed_at"],
            unique=False,
            postgresql_where=TIED,
            sqlite_where=TIED,
        )
        batch_op.create_index(
            "ix_reports_clinic_phq9",
            ["clinic_id", "patient_id", "observed_at", "received_at"],
            unique=False,
            postgresql_where=PHQ9,
            sqlite_where=PHQ9,
        )
    with op.batch_alter_table("infusions", schema=None) as batch_op:
        batch_op.create_index("ix_infusions_clinic_ended", ["clinic_id", "ended_at"], unique=False)
        batch_op.create_index(
            "ix_infusions_clinic_patient_started", ["clinic_id", "patient_id", "started_at"], unique=False
        )
    with op.batch_alter_table("flags", schema=None) as batch_op:
        batch_op.create_index("ix_flags_clinic_created", ["clinic_id", "created_at"], unique=False)
        batch_op.create_index(
            "ix_flags_clinic_rule_version", ["clinic_id", "rule", "rule_version", "created_at"], unique=False
        )
    with op.batch_alter_table("flag_events", schema=None) as batch_op:
        batch_op.create_index("ix_flag_events_kind_at", ["kind", "at"], unique=False)


def downgrade():
    with op.batch_alter_table("flag_events", schema=None) as batch_op:
        batch_op.drop_index("ix_flag_events_kind_at")
    with op.batch_alter_table("flags", schema=None) as batch_op:
        batch_op.drop_index("ix_flags_clinic_rule_version")
        batch_op.drop_index("ix_flags_clinic_created")
    with op.batch_alter_table("infusions", schema=None) as batch_op:
        batch_op.drop_index("ix_infusions_clinic_patient_started")
        batch_op.drop_index("ix_infusions_clinic_ended")
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_index("ix_reports_clinic_phq9")
        batch_op.drop_index("ix_reports_infusion_observed")
        batch_op.drop_index("ix_reports_clinic_received")
