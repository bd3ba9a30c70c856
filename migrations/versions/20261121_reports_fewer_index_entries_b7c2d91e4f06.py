"""reports: no clinic-and-time index, corrections-only amends index

No query reads reports by clinic and time (every clinic-scoped read goes by id or by patient), so
ix_reports_clinic_observed cost every stored report an index entry for nothing; ix_reports_amends
keeps only the reports that correct another (the reads ask for amends_id IN (...), which implies
NOT NULL, so the partial index serves them).

Revision ID: b7c2d91e4f06
Revises: e2f2413419ba
Create Date: 2026-11-21 19:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7c2d91e4f06'
down_revision = 'e2f2413419ba'
branch_labels = None
depends_on = None

CORRECTIONS = sa.text("amends_id IS NOT NULL")


def upgrade():
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.drop_index('ix_reports_clinic_observed')
        batch_op.drop_index('ix_reports_amends')
        batch_op.create_index(
            'ix_reports_amends', ['amends_id'], unique=False, postgresql_where=CORRECTIONS, sqlite_where=CORRECTIONS
        )


def downgrade():
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.drop_index('ix_reports_amends')
        batch_op.create_index('ix_reports_amends', ['amends_id'], unique=False)
        batch_op.create_index('ix_reports_clinic_observed', ['clinic_id', 'observed_at'], unique=False)
