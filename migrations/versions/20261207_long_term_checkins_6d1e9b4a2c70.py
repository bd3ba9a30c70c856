"""long-term check-ins: checkins.infusion_id optional (a maintenance patient's quarterly check-in has none), one per
patient and quarter; reports.ketamine_outside_clinic (the check-in's yes/no question)

Revision ID: 6d1e9b4a2c70
Revises: 3f8a6d2c1b57
Create Date: 2026-12-07 13:30:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "6d1e9b4a2c70"
down_revision = "3f8a6d2c1b57"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.alter_column("infusion_id", existing_type=sa.Uuid(), nullable=True)
        batch_op.create_index(
            "uq_checkins_patient_long_term",
            ["patient_id", "offset_hours"],
            unique=True,
            postgresql_where=sa.text("infusion_id IS NULL"),
            sqlite_where=sa.text("infusion_id IS NULL"),
        )
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ketamine_outside_clinic", sa.Boolean(), nullable=True))


def downgrade():
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_column("ketamine_outside_clinic")
    op.execute("DELETE FROM notifications WHERE checkin_id IN (SELECT id FROM checkins WHERE infusion_id IS NULL)")
    op.execute("UPDATE reports SET checkin_id = NULL WHERE checkin_id IN (SELECT id FROM checkins WHERE infusion_id IS NULL)")
    op.execute("DELETE FROM checkins WHERE infusion_id IS NULL")
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.drop_index("uq_checkins_patient_long_term")
        batch_op.alter_column("infusion_id", existing_type=sa.Uuid(), nullable=False)
