"""flags: first acknowledgement and escalation count, so rule burden reads flags alone

``first_acknowledged_at`` is the first time anybody acknowledged the flag (``acknowledged_at`` is the latest:
a flag returned to open by new evidence is acknowledged again) and ``escalation_count`` the escalation steps
it has had (``escalation_level`` starts again at 0 when new evidence reopens it). Both are filled from the
flag's events here and kept by the code that writes those events. Figures: bench/analytics.py.

Revision ID: 7f3a9c1d5e20
Revises: 6d2b9e4a7c13
Create Date: 2026-12-07 20:50:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "7f3a9c1d5e20"
down_revision = "6d2b9e4a7c13"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("flags", schema=None) as batch_op:
        batch_op.add_column(sa.Column("first_acknowledged_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("escalation_count", sa.Integer(), server_default="0", nullable=False))
    op.execute(
        """
        UPDATE flags SET
            first_acknowledged_at = (
                SELECT min(e.at) FROM flag_events e WHERE e.flag_id = flags.id AND e.kind = 'acknowledged'),
            escalation_count = (
                SELECT count(*) FROM flag_events e WHERE e.flag_id = flags.id AND e.kind = 'escalated')
        WHERE EXISTS (
            SELECT 1 FROM flag_events e WHERE e.flag_id = flags.id AND e.kind IN ('acknowledged', 'escalated'))
        """
    )


def downgrade():
    with op.batch_alter_table("flags", schema=None) as batch_op:
        batch_op.drop_column("escalation_count")
        batch_op.drop_column("first_acknowledged_at")
