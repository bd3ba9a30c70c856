"""observations: readings in the chair during and after an infusion (BP, heart rate, SpO2, MOASS, dissociation),
each run through the rules engine

Revision ID: 8b4d2f6c0e31
Revises: 7a3c1e5b9d20
Create Date: 2026-12-07 10:24:32.825745

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8b4d2f6c0e31'
down_revision = '7a3c1e5b9d20'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('observations',
    sa.Column('clinic_id', sa.Uuid(), nullable=False),
    sa.Column('patient_id', sa.Uuid(), nullable=False),
    sa.Column('infusion_id', sa.Uuid(), nullable=False),
    sa.Column('observed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('systolic', sa.Integer(), nullable=True),
    sa.Column('diastolic', sa.Integer(), nullable=True),
    sa.Column('heart_rate', sa.Integer(), nullable=True),
    sa.Column('spo2', sa.Integer(), nullable=True),
    sa.Column('sedation_moass', sa.Integer(), nullable=True),
    sa.Column('dissociation', sa.Integer(), nullable=True),
    sa.Column('cadss6', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('rules', sa.JSON(), nullable=False),
    sa.Column('flag_ids', sa.JSON(), nullable=False),
    sa.Column('recorded_by_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.CheckConstraint('cadss6 IS NULL OR cadss6 BETWEEN 0 AND 24', name=op.f('ck_observations_cadss6_range')),
    sa.CheckConstraint('diastolic IS NULL OR (diastolic BETWEEN 30 AND 200 AND diastolic < systolic)', name=op.f('ck_observations_diastolic_range')),
    sa.CheckConstraint('dissociation IS NULL OR dissociation BETWEEN 0 AND 4', name=op.f('ck_observations_dissociation_range')),
    sa.CheckConstraint('heart_rate IS NULL OR heart_rate BETWEEN 20 AND 250', name=op.f('ck_observations_heart_rate_range')),
    sa.CheckConstraint('sedation_moass IS NULL OR sedation_moass BETWEEN 0 AND 5', name=op.f('ck_observations_moass_range')),
    sa.CheckConstraint('spo2 IS NULL OR spo2 BETWEEN 50 AND 100', name=op.f('ck_observations_spo2_range')),
    sa.CheckConstraint('systolic IS NULL OR systolic BETWEEN 50 AND 300', name=op.f('ck_observations_systolic_range')),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinics.id'], name=op.f('fk_observations_clinic_id_clinics')),
    sa.ForeignKeyConstraint(['infusion_id', 'patient_id'], ['infusions.id', 'infusions.patient_id'], name='fk_observations_infusion'),
    sa.ForeignKeyConstraint(['patient_id', 'clinic_id'], ['patients.id', 'patients.clinic_id'], name='fk_observations_patient_clinic'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['clinicians.id'], name=op.f('fk_observations_recorded_by_id_clinicians')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_observations'))
    )
    with op.batch_alter_table('observations', schema=None) as batch_op:
        batch_op.create_index('ix_observations_infusion_observed', ['infusion_id', 'observed_at'], unique=False)



def downgrade():
    with op.batch_alter_table('observations', schema=None) as batch_op:
        batch_op.drop_index('ix_observations_infusion_observed')

    op.drop_table('observations')
