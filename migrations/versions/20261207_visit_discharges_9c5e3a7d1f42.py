"""discharges: the patient leaving after an infusion (readiness checks, the reason to leave with a reading
outside the clinic's limits); the check-ins after the infusion count from it

Revision ID: 9c5e3a7d1f42
Revises: 8b4d2f6c0e31
Create Date: 2026-12-07 10:30:54.751644

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9c5e3a7d1f42'
down_revision = '8b4d2f6c0e31'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('discharges',
    sa.Column('clinic_id', sa.Uuid(), nullable=False),
    sa.Column('patient_id', sa.Uuid(), nullable=False),
    sa.Column('infusion_id', sa.Uuid(), nullable=False),
    sa.Column('discharged_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('vitals_near_baseline', sa.Boolean(), nullable=False),
    sa.Column('alert', sa.Boolean(), nullable=False),
    sa.Column('ride_home', sa.Boolean(), nullable=False),
    sa.Column('told_not_to_drive', sa.Boolean(), nullable=False),
    sa.Column('outside_limits', sa.JSON(), nullable=False),
    sa.Column('override_reason', sa.Text(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('recorded_by_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.CheckConstraint('vitals_near_baseline AND alert AND ride_home AND told_not_to_drive', name=op.f('ck_discharges_ready_to_leave')),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinics.id'], name=op.f('fk_discharges_clinic_id_clinics')),
    sa.ForeignKeyConstraint(['infusion_id', 'patient_id'], ['infusions.id', 'infusions.patient_id'], name='fk_discharges_infusion'),
    sa.ForeignKeyConstraint(['patient_id', 'clinic_id'], ['patients.id', 'patients.clinic_id'], name='fk_discharges_patient_clinic'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['clinicians.id'], name=op.f('fk_discharges_recorded_by_id_clinicians')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_discharges')),
    sa.UniqueConstraint('infusion_id', name='uq_discharges_infusion')
    )


def downgrade():
    op.drop_table('discharges')
